"""The ``ketanalysis`` command.

Subcommands: ``validate``, ``derive``, ``report``, ``figures``, ``simulate`` and
``init-config``; ``ketanalysis COMMAND --help`` shows examples. Exit codes: 0 success,
1 data errors (listed on stderr with their rows), 2 usage or configuration errors (one
line naming the option or config key).
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


_DERIVE_EPILOG = """\
examples:
  ketanalysis derive data/sample/cohort_long.csv -o outcomes.csv
  ketanalysis derive scores.csv -o assessments.parquet --patients patients.parquet \\
      --config analysis.toml

The config's [input], [analysis] and [criteria] sections say how to read the file and
which definitions to use (see ketanalysis init-config).

exit status: 0 written, 1 data errors (each listed with its row and column), 2 usage or
config errors.
"""

_REPORT_EPILOG = """\
examples:
  ketanalysis report data/sample/cohort_long.csv --out report/
  ketanalysis report scores.csv --out report/ --config report.toml --overwrite
  ketanalysis init-config -o report.toml   # a commented config to start from

writes DIR/report.html (self-contained), DIR/figures/ (PDF, SVG, PNG), DIR/tables/
(CSV, LaTeX, Markdown), DIR/provenance.json and DIR/timings.json. Building again gives
byte-identical files except timings.json. A non-empty DIR is refused unless --overwrite
(which replaces only a previous ketanalysis report).

exit status: 0 built (the path of report.html is printed), 1 data errors (each listed
with its row and column), 2 usage or config errors.
"""

_FIGURES_EPILOG = """\
examples:
  ketanalysis figures data/sample/cohort_long.csv --out figures/
  ketanalysis figures scores.csv --out figures/ --config report.toml

writes the report's figures (PDF, SVG, PNG by default; [output] figure_formats) and
provenance.json into DIR; [figures] in the config chooses them and the journal style.

exit status: 0 drawn, 1 data errors, 2 usage or config errors.
"""

_SIMULATE_EPILOG = """\
examples:
  ketanalysis simulate --patients 200 --seed 1 -o cohort.csv
  ketanalysis simulate --patients 10000 --seed 1 --months 12 -o big.parquet
  ketanalysis simulate --patients 120 --seed 2 --arms ketamine midazolam -o trial.csv

synthetic data only: the cohorts of ka.simulate_cohort (see its docstring).

exit status: 0 written, 2 usage errors.
"""

_INIT_EPILOG = """\
examples:
  ketanalysis init-config                  # print the default config
  ketanalysis init-config -o report.toml   # write it to a file

every key is shown with its default and a comment; delete what you do not change.

exit status: 0 written, 2 usage errors (e.g. the file exists without --overwrite).
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with a one-line reason
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    import ketanalysis as ka

    p = _Parser(
        prog="ketanalysis",
        description="Outcome analysis for ketamine and esketamine therapy of depression.",
    )
    p.add_argument("--version", action="version", version=f"ketanalysis {ka.__version__}")
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

    raw = argparse.RawDescriptionHelpFormatter
    d = sub.add_parser(
        "derive",
        help="derive response, remission and relapse; write the assessments table",
        description="Read and validate a score file, derive outcomes per assessment and "
        "per patient, and write them as CSV or Parquet.",
        epilog=_DERIVE_EPILOG,
        formatter_class=raw,
    )
    d.add_argument("file", metavar="FILE", type=Path, help="score file")
    d.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="OUT",
        help="assessments table: .csv or .parquet",
    )
    d.add_argument("--patients", type=Path, metavar="OUT", help="also write the patients table")
    d.add_argument("--config", type=Path, metavar="CFG.toml", help="configuration file")
    d.add_argument("-q", "--quiet", action="store_true", help="print only errors")

    for name, helptext, desc, epilog in (
        (
            "report",
            "build the full report of a score file",
            "Build a complete, self-contained report: data summary and audit, Table 1, "
            "outcomes by session, rates, MMRM (with arms), time to response and relapse, "
            "reliable change, dissociation, methods with references, figures and tables.",
            _REPORT_EPILOG,
        ),
        (
            "figures",
            "draw the report's figures only",
            "Draw the report's figures of a score file into a directory.",
            _FIGURES_EPILOG,
        ),
    ):
        r = sub.add_parser(
            name, help=helptext, description=desc, epilog=epilog, formatter_class=raw
        )
        r.add_argument("file", metavar="FILE", type=Path, help="score file")
        r.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
        r.add_argument("--config", type=Path, metavar="CFG.toml", help="configuration file")
        r.add_argument("--overwrite", action="store_true", help="replace a previous report in DIR")
        r.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    s = sub.add_parser(
        "simulate",
        help="write a synthetic clinic cohort",
        description="Simulate a synthetic ketamine / esketamine clinic cohort in the "
        "canonical long format (CSV or Parquet).",
        epilog=_SIMULATE_EPILOG,
        formatter_class=raw,
    )
    s.add_argument("--patients", type=int, default=150, metavar="N", help="default: 150")
    s.add_argument("--seed", type=int, default=0, metavar="S", help="default: 0")
    s.add_argument(
        "-o", "--output", required=True, type=Path, metavar="FILE", help=".csv or .parquet"
    )
    s.add_argument(
        "--months", type=int, default=6, metavar="M", help="monthly maintenance visits (default: 6)"
    )
    s.add_argument(
        "--arms",
        nargs=2,
        metavar=("ARM1", "ARM2"),
        help="two randomised arms (the second an active placebo)",
    )
    s.add_argument("--no-items", action="store_true", help="totals only, no item columns")
    s.add_argument("--overwrite", action="store_true", help="replace an existing FILE")

    i = sub.add_parser(
        "init-config",
        help="write a commented default configuration",
        description="Write the default report configuration (TOML), every key commented.",
        epilog=_INIT_EPILOG,
        formatter_class=raw,
    )
    i.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: standard output")
    i.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
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
                        patient=args.wide_id,
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


def _error(message: str) -> int:
    print(f"ketanalysis: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _guarded(run):
    """Map the errors of a command to exit codes: data errors 1, the rest 2."""
    import ketanalysis as ka

    from .config import ConfigError

    try:
        return run()
    except ka.DataError as e:
        print(e, file=sys.stderr)
        return EXIT_DATA
    except ConfigError as e:
        return _error(str(e))
    except FileExistsError as e:
        return _error(str(e))
    except (OSError, ValueError, TypeError, ImportError, KeyError) as e:
        return _error(str(e).strip("'\""))


def _write_frame(frame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    else:
        raise ValueError(f"{path}: the output must end in .csv or .parquet")


def _cmd_derive(args) -> int:
    from .report import load_outcomes

    for path in (args.output, args.patients):
        if path is not None and path.suffix.lower() not in (".csv", ".parquet"):
            return _error(f"{path}: the output must end in .csv or .parquet")

    def run():
        report, out = load_outcomes(args.file, args.config)
        _write_frame(out.assessments, args.output)
        if args.patients is not None:
            _write_frame(out.patients, args.patients)
        if not args.quiet:
            print(
                f"{len(out.assessments)} assessments of {out.patients['patient_id'].nunique()} "
                f"patients ({', '.join(out.scales)}; criteria {out.criteria.name}) -> "
                f"{args.output}" + (f", patients -> {args.patients}" if args.patients else "")
            )
        return EXIT_OK

    return _guarded(run)


def _cmd_report(args) -> int:
    from .report import build, build_figures

    fn = build if args.command == "report" else build_figures

    def run():
        path = fn(args.file, args.out, args.config, overwrite=args.overwrite, quiet=args.quiet)
        print(path)
        return EXIT_OK

    return _guarded(run)


def _cmd_simulate(args) -> int:
    if args.output.exists() and not args.overwrite:
        return _error(f"{args.output} exists; pass --overwrite to replace it")
    if args.output.suffix.lower() not in (".csv", ".parquet"):
        return _error(f"{args.output}: the output must end in .csv or .parquet")

    def run():
        import ketanalysis as ka

        frame = ka.simulate_cohort(
            args.patients,
            args.seed,
            arms=tuple(args.arms) if args.arms else None,
            maintenance_months=args.months,
            items=not args.no_items,
        )
        _write_frame(frame, args.output)
        print(args.output)
        return EXIT_OK

    return _guarded(run)


def _cmd_init_config(args) -> int:
    from .config import default_config_text

    text = default_config_text()
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    if args.output.exists() and not args.overwrite:
        return _error(f"{args.output} exists; pass --overwrite to replace it")
    try:
        args.output.write_bytes(text.encode("utf-8"))
    except OSError as e:
        return _error(str(e))
    print(args.output)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ketanalysis`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    commands = {
        "validate": _cmd_validate,
        "derive": _cmd_derive,
        "report": _cmd_report,
        "figures": _cmd_report,
        "simulate": _cmd_simulate,
        "init-config": _cmd_init_config,
    }
    return commands[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
