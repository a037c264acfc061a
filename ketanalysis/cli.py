"""The ``ketanalysis`` command.

Exit codes: 0 success, 1 data errors (listed on stderr), 2 usage or configuration errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

_VALIDATE_EPILOG = """\
examples:
  ketanalysis validate data/sample/cohort_long.csv
  ketanalysis validate scores.xlsx --scale MADRS --columns subject=patient_id visit=session
  ketanalysis validate data/sample/cohort_wide.csv \\
      --wide-sessions '(?P<scale>madrs|phq9|cadss)\\.s(?P<session>\\d+)' \\
      --wide-days 'day\\.s(?P<session>\\d+)'
  ketanalysis validate data/sample/cohort_redcap.csv --redcap-events events.json \\
      --redcap-day study_day

exit status: 0 valid (warnings allowed), 1 data errors (each listed with its row and
column), 2 usage errors.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with a one-line reason
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    p = _Parser(
        prog="ketanalysis",
        description="Outcome analysis for ketamine and esketamine therapy of depression.",
    )
    p.add_argument("--version", action="version", version=f"ketanalysis {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    v = sub.add_parser(
        "validate",
        help="check score files and print a validation summary",
        description="Read score files, check them and print what was found: counts, "
        "exclusions with reasons, and every error with its row and column.",
        epilog=_VALIDATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("files", nargs="+", metavar="FILE", type=Path, help="score file(s)")
    v.add_argument("--scale", help="scale of every row when the file has no scale column")
    v.add_argument(
        "--columns",
        nargs="+",
        default=[],
        metavar="SOURCE=CANONICAL",
        help="column mapping, e.g. subject=patient_id visit=session madrs_total=score",
    )
    v.add_argument(
        "--baseline",
        default="0",
        help="baseline session value, 'first' or 'last_pre' (default: session 0)",
    )
    v.add_argument(
        "--allow-identifiers",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="columns allowed although they look like direct identifiers",
    )
    v.add_argument("--allow-negative-days", action="store_true")
    v.add_argument("--wide-id", default="patient_id", help="id column of a wide file")
    v.add_argument("--wide-sessions", metavar="REGEX", help="read a wide file: session columns")
    v.add_argument("--wide-days", metavar="REGEX", help="wide file: day columns")
    v.add_argument(
        "--redcap-events", metavar="JSON", type=Path, help="read a REDCap export: event map"
    )
    v.add_argument("--redcap-day", metavar="FIELD", help="REDCap field with the study day")
    v.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    return p


def _baseline(text: str):
    if text in ("first", "last_pre"):
        return text
    try:
        value = float(text)
    except ValueError:
        raise SystemExit(
            f"ketanalysis: error: --baseline must be a number, 'first' or 'last_pre'; got {text!r}"
        ) from None
    return int(value) if value.is_integer() else value


def _cmd_validate(args) -> int:
    import ketanalysis as ka

    columns = {}
    for pair in args.columns:
        if "=" not in pair:
            print(
                f"ketanalysis: error: --columns expects SOURCE=CANONICAL, got {pair!r}",
                file=sys.stderr,
            )
            return EXIT_USAGE
        src, dst = pair.split("=", 1)
        columns[src] = dst
    try:
        baseline = _baseline(args.baseline)
    except SystemExit as e:
        print(e, file=sys.stderr)
        return EXIT_USAGE
    events = None
    if args.redcap_events:
        try:
            events = json.loads(args.redcap_events.read_text())
        except (OSError, json.JSONDecodeError) as e:
            print(f"ketanalysis: error: --redcap-events: {e}", file=sys.stderr)
            return EXIT_USAGE
        events = {k: tuple(v) if isinstance(v, list) else v for k, v in events.items()}
    common = dict(
        baseline=baseline,
        allow_identifiers=args.allow_identifiers,
        allow_negative_days=args.allow_negative_days,
    )
    status = EXIT_OK
    for path in args.files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ka.DataWarning)
                if events is not None:
                    frame = ka.read_redcap(path, events=events, day=args.redcap_day, **common)
                elif args.wide_sessions:
                    frame = ka.from_wide(
                        path,
                        id=args.wide_id,
                        sessions=args.wide_sessions,
                        days=args.wide_days,
                        scale=args.scale,
                        **common,
                    )
                else:
                    frame = ka.read_scores(path, columns=columns, scale=args.scale, **common)
            report = ka.validate(frame, source=str(path), **common)
        except ka.DataError as e:
            print(e, file=sys.stderr)
            status = max(status, EXIT_DATA)
            continue
        except (OSError, ValueError, TypeError, ImportError, KeyError) as e:
            print(f"ketanalysis: error: {path}: {e}", file=sys.stderr)
            return EXIT_USAGE
        if not args.quiet:
            print(report.summary())
    return status


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ketanalysis`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return {"validate": _cmd_validate}[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
