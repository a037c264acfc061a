"""The ``ketanalysis`` command.

Subcommands: ``validate``, ``derive``, ``report``, ``figures``, ``simulate`` and
``init-config``; ``ketanalysis COMMAND --help`` shows examples.

``validate``, ``derive``, ``figures`` and ``report`` read their input the same way
(:mod:`ketanalysis.report.inputs`): a config file (``--config``) and the input options
(``--scale``, ``--columns``, ``--baseline``, ``--wide-*``, ``--redcap-*``, ``--allow-*``),
each of which sets the config key of the same name and wins over the file's value.

Exit codes:

0
    success (warnings allowed);
1
    data errors: the input file is missing, cannot be read as expected, or its rows have
    errors (each listed with its row and column);
2
    usage or configuration errors: one line naming the option or config key (also an
    output that exists without ``--overwrite`` and a missing optional package);
3
    an internal error, i.e. a bug of ketanalysis: one line saying so; ``--debug`` shows
    the traceback.

Messages use the command line's syntax (``--scale MADRS`` where the Python API says
``scale='MADRS'``) and are bounded in size.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from pathlib import Path

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3

#: Where a bug is to be reported (printed with exit status 3).
BUG_REPORT = "the ketanalysis issue tracker"

#: The longest error line printed (a huge header echoed in a message is cut to fit).
_MAX_LINE = 2000

_INPUT_HELP = """\
input options (validate, derive, figures, report):
  --config FILE reads a config (see ketanalysis init-config). Each input option sets the
  config key of the same name and wins over the file's value: --scale, --columns,
  --allow-identifiers, --allow-negative-days, --wide-id, --wide-sessions, --wide-days,
  --wide-session-labels, --redcap-events and --redcap-day the [input] keys, --baseline
  [analysis] baseline.
  --wide-sessions reads a wide file ([input] format = "wide"), --redcap-events a REDCap
  export (format = "redcap"); they cannot be combined, and --columns is for long files.
  The four commands given the same file, config and options read and validate it the
  same way (same rows, same exclusions, same errors).
"""

_EXIT_HELP = """\
exit status:
  0 {ok}
  1 data errors: a missing or unreadable file, or rows with errors (each listed with its
    row and column)
  2 usage or config errors (one line naming the option or config key)
  3 internal error, a bug of ketanalysis (one line; --debug shows the traceback)
"""


def _epilog(examples: str, ok: str) -> str:
    return examples + _INPUT_HELP + "\n" + _EXIT_HELP.format(ok=ok)


_VALIDATE_EPILOG = _epilog(
    """\
examples:
  ketanalysis validate data/sample/cohort_long.csv
  ketanalysis validate scores.xlsx --scale MADRS --columns subject=patient_id visit=session
  ketanalysis validate scores.csv --config analysis.toml      # [input] of the config
  ketanalysis validate data/sample/cohort_wide.csv \\
      --wide-sessions '(?P<scale>madrs|phq9|cadss)\\.s(?P<session>\\d+)' \\
      --wide-days 'day\\.s(?P<session>\\d+)'
  ketanalysis validate data/sample/cohort_redcap.csv --redcap-events events.json \\
      --redcap-day study_day

""",
    "valid (warnings allowed)",
)

_DERIVE_EPILOG = _epilog(
    """\
examples:
  ketanalysis derive data/sample/cohort_long.csv -o outcomes.csv
  ketanalysis derive scores.csv -o assessments.parquet --patients patients.parquet \\
      --config analysis.toml
  ketanalysis derive scores.csv -o outcomes.csv --scale MADRS --baseline 1 --overwrite

The config's [input], [analysis] and [criteria] sections say how to read the file and
which definitions to use (see ketanalysis init-config); the baseline of the validation
is the baseline of the derivation. An existing OUT is refused unless --overwrite.

""",
    "written",
)

_REPORT_EPILOG = _epilog(
    """\
examples:
  ketanalysis report data/sample/cohort_long.csv --out report/
  ketanalysis report scores.csv --out report/ --config report.toml --overwrite
  ketanalysis init-config -o report.toml   # a commented config to start from

writes DIR/report.html (self-contained), DIR/figures/ (PDF, SVG, PNG), DIR/tables/
(CSV, LaTeX, Markdown), DIR/provenance.json and DIR/timings.json. Building again gives
byte-identical files except timings.json. A non-empty DIR is refused unless --overwrite,
which removes only the unchanged files its provenance.json lists. Input options given are recorded
in provenance.json (config.config_keys).

""",
    "built (the path of report.html is printed)",
)

_FIGURES_EPILOG = _epilog(
    """\
examples:
  ketanalysis figures data/sample/cohort_long.csv --out figures/
  ketanalysis figures scores.csv --out figures/ --config report.toml

writes the report's figures (PDF, SVG, PNG by default; [output] figure_formats) and
provenance.json into DIR; [figures] in the config chooses them and the journal style.

""",
    "drawn",
)

_SIMULATE_EPILOG = """\
examples:
  ketanalysis simulate --patients 200 --seed 1 -o cohort.csv
  ketanalysis simulate --patients 10000 --seed 1 --months 12 -o big.parquet
  ketanalysis simulate --patients 120 --seed 2 --arms ketamine midazolam -o trial.csv

synthetic data only: the cohorts of ka.simulate_cohort (see its docstring).

exit status: 0 written, 2 usage errors, 3 internal error (a bug).
"""

_INIT_EPILOG = """\
examples:
  ketanalysis init-config                  # print the default config
  ketanalysis init-config -o report.toml   # write it to a file

every key is shown with its default and a comment; delete what you do not change.

exit status: 0 written, 2 usage errors (e.g. the file exists without --overwrite).
"""

#: Input options: (flag, config key) in the order of --help.
_FLAGS = (
    ("--scale", "input.scale"),
    ("--columns", "input.columns"),
    ("--baseline", "analysis.baseline"),
    ("--allow-identifiers", "input.allow_identifiers"),
    ("--allow-negative-days", "input.allow_negative_days"),
    ("--wide-id", "input.wide_id"),
    ("--wide-sessions", "input.wide_sessions"),
    ("--wide-days", "input.wide_days"),
    ("--wide-session-labels", "input.wide_session_labels"),
    ("--redcap-events", "input.redcap_events"),
    ("--redcap-day", "input.redcap_day"),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors exit 2 with a one-line reason
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {_line(message)}\n")


class UsageError(Exception):
    """A usage error found by the command itself (exit status 2)."""


def _input_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", type=Path, metavar="CFG.toml", help="configuration file")
    g = parent.add_argument_group("input options (override the config)")
    g.add_argument("--scale", help="scale of every row when the file has no scale column")
    g.add_argument(
        "--columns",
        nargs="+",
        metavar="SOURCE=CANONICAL",
        help="column mapping, e.g. subject=patient_id visit=session madrs_total=score",
    )
    g.add_argument(
        "--baseline", help="baseline session value, 'first' or 'last_pre' (default: session 0)"
    )
    g.add_argument(
        "--allow-identifiers",
        nargs="+",
        metavar="COLUMN",
        help="columns allowed although they look like direct identifiers",
    )
    g.add_argument(
        "--allow-negative-days",
        action="store_true",
        default=None,
        help="accept assessments before the first treatment",
    )
    g.add_argument("--wide-id", metavar="COLUMN", help="id column of a wide file")
    g.add_argument("--wide-sessions", metavar="REGEX", help="read a wide file: session columns")
    g.add_argument("--wide-days", metavar="REGEX", help="wide file: day columns")
    g.add_argument("--wide-session-labels", nargs="+", metavar="LABEL=NUMBER",
                   help="wide file: session labels to numbers, e.g. baseline=0 wk1=1")  # fmt: skip
    g.add_argument("--redcap-events", metavar="JSON", help="read a REDCap export: event map")
    g.add_argument("--redcap-day", metavar="FIELD", help="REDCap field with the study day")
    return parent


def _parser() -> argparse.ArgumentParser:
    import ketanalysis as ka

    p = _Parser(
        prog="ketanalysis",
        description="Outcome analysis for ketamine and esketamine therapy of depression.",
    )
    p.add_argument("--version", action="version", version=f"ketanalysis {ka.__version__}")
    p.add_argument(
        "--debug", action="store_true", help="show the traceback of an internal error (a bug)"
    )
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="as above")
    inputs = _input_options()
    raw = argparse.RawDescriptionHelpFormatter
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    v = sub.add_parser(
        "validate",
        help="check score files and print a validation summary",
        description="Read score files, check them and print what was found: counts, "
        "exclusions with reasons, and every error with its row and column.",
        epilog=_VALIDATE_EPILOG,
        formatter_class=raw,
        parents=[inputs, debug],
    )
    v.add_argument("files", nargs="+", metavar="FILE", type=Path, help="score file(s)")
    v.add_argument("-q", "--quiet", action="store_true", help="print only errors")

    d = sub.add_parser(
        "derive",
        help="derive response, remission and relapse; write the assessments table",
        description="Read and validate a score file, derive outcomes per assessment and "
        "per patient, and write them as CSV or Parquet.",
        epilog=_DERIVE_EPILOG,
        formatter_class=raw,
        parents=[inputs, debug],
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
    d.add_argument("--overwrite", action="store_true", help="replace existing OUT files")
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
            name,
            help=helptext,
            description=desc,
            epilog=epilog,
            formatter_class=raw,
            parents=[inputs, debug],
        )
        r.add_argument("file", metavar="FILE", type=Path, help="score file")
        r.add_argument("--out", required=True, type=Path, metavar="DIR", help="output directory")
        r.add_argument("--overwrite", action="store_true", help="replace a previous report in DIR")
        r.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    s = sub.add_parser(
        "simulate",
        help="write a synthetic clinic cohort",
        description="Simulate a synthetic ketamine / esketamine clinic cohort in the "
        "canonical long format (CSV or Parquet).",
        epilog=_SIMULATE_EPILOG,
        formatter_class=raw,
        parents=[debug],
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
        parents=[debug],
    )
    i.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: standard output")
    i.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    return p


# ---------------------------------------------------------------------------------------
# Input options -> config keys
# ---------------------------------------------------------------------------------------
def _baseline(text: str):
    if text in ("first", "last_pre"):
        return text
    try:
        value = float(text)
    except ValueError:
        return text  # a session label (ordered categories); validation checks it
    if not value == value or value in (float("inf"), float("-inf")):
        raise UsageError(f"--baseline must be a session, 'first' or 'last_pre'; got {text!r}")
    return int(value) if value.is_integer() else value


def _columns(pairs: list[str], flag="--columns", what="SOURCE=CANONICAL", kind=str) -> dict:
    out = {}
    for pair in pairs:
        src, _, dst = pair.partition("=")
        try:
            out[src] = kind(dst) if src and dst else float("")  # float("") raises
        except ValueError:
            raise UsageError(f"{flag} expects {what}, got {pair!r}") from None
    return out


def _labels(pairs: list[str]) -> dict[str, float]:
    return _columns(pairs, "--wide-session-labels", "LABEL=NUMBER", float)


def _config_keys(args) -> dict[str, object]:
    """The config keys the input options set, ``{key: value}`` (options not given left out)."""
    if args.wide_sessions and args.redcap_events:
        raise UsageError("--wide-sessions (a wide file) and --redcap-events (a REDCap export) "
                         "cannot be combined")  # fmt: skip
    out: dict[str, object] = {}
    values = {
        "--scale": args.scale,
        "--columns": _columns(args.columns) if args.columns else None,
        "--baseline": _baseline(args.baseline) if args.baseline is not None else None,
        "--allow-identifiers": args.allow_identifiers,
        "--allow-negative-days": args.allow_negative_days,
        "--wide-id": args.wide_id,
        "--wide-sessions": args.wide_sessions,
        "--wide-days": args.wide_days,
        "--wide-session-labels": args.wide_session_labels and _labels(args.wide_session_labels),
        "--redcap-events": os.path.abspath(args.redcap_events) if args.redcap_events else None,
        "--redcap-day": args.redcap_day,
    }
    for flag, key in _FLAGS:
        if values[flag] is not None:
            out[key] = values[flag]
    if args.wide_sessions:
        out["input.format"] = "wide"
    if args.redcap_events:
        out["input.format"] = "redcap"
    return out


def _check_layout(cfg, config_keys: dict) -> None:
    """Input options that do not fit the file's layout are usage errors."""
    fmt = cfg.input.format
    need = {
        "--wide-id": "wide",
        "--wide-days": "wide",
        "--wide-session-labels": "wide",
        "--redcap-day": "redcap",
        "--columns": "long",
    }
    for flag, layout in need.items():
        if dict(_FLAGS)[flag] in config_keys and fmt != layout:
            how = {
                "wide": '--wide-sessions (or [input] format = "wide")',
                "redcap": '--redcap-events (or [input] format = "redcap")',
                "long": f'a long file; the input is read as {fmt} ([input] format = "{fmt}")',
            }[layout]
            raise UsageError(f"{flag} is for {how}" if layout == "long" else f"{flag} needs {how}")


def _resolved(args):
    """(config, record, config_keys) of a command's input options."""
    from .report.inputs import resolve_config

    config_keys = _config_keys(args)
    cfg, record = resolve_config(args.config, config_keys)
    _check_layout(cfg, config_keys)
    return cfg, record, config_keys


# ---------------------------------------------------------------------------------------
# Messages and exit codes
# ---------------------------------------------------------------------------------------
_PAIR = re.compile(r"'([^']*)': '([^']*)'")
_NOT_AFTER = r"(?<![\w.(\-])"
_SYNTAX = (
    (re.compile(r"\s*\((?:overwrite=True)\)"), lambda m: ""),
    (re.compile(_NOT_AFTER + r"allow_negative_days=True"), lambda m: "--allow-negative-days"),
    (
        re.compile(_NOT_AFTER + r"allow_identifiers=\[([^\]]*)\]"),
        lambda m: "--allow-identifiers " + " ".join(re.findall(r"'([^']*)'", m.group(1))),
    ),
    (
        re.compile(_NOT_AFTER + r"columns=\{([^{}]*)\}"),
        lambda m: "--columns " + " ".join(f"{a}={b}" for a, b in _PAIR.findall(m.group(1))),
    ),
    (re.compile(_NOT_AFTER + r"(scale|baseline)='([^']*)'"), lambda m: f"--{m[1]} {m[2]}"),
    (re.compile(_NOT_AFTER + r"(scale|baseline|columns)="), lambda m: f"--{m[1]}"),
    (re.compile(_NOT_AFTER + r"allow_identifiers="), lambda m: "--allow-identifiers"),
)


def cli_syntax(text: str) -> str:
    """A message of the Python API in the command line's syntax: ``scale='MADRS'`` becomes
    ``--scale MADRS``, ``columns={'a': 'score'}`` ``--columns a=score``, ``baseline=``
    ``--baseline`` and so on."""
    for rx, repl in _SYNTAX:
        text = rx.sub(repl, text)
    return text


def _line(text) -> str:
    from .validation.issues import shorten

    return shorten(" ".join(str(text).split()), _MAX_LINE)


def _bounded(text: str) -> str:
    from .validation.issues import MAX_MESSAGE, shorten

    lines = [shorten(ln, _MAX_LINE) for ln in str(text).splitlines()]
    return shorten("\n".join(lines), MAX_MESSAGE)


def _error(message, code: int = EXIT_USAGE) -> int:
    print(f"ketanalysis: error: {_line(cli_syntax(str(message)))}", file=sys.stderr)
    return code


def _config_error(e, config_keys: dict) -> int:
    flags = {key: flag for flag, key in _FLAGS}
    flags["input.format"] = "--wide-sessions" if "input.wide_sessions" in config_keys else (
        "--redcap-events"
    )  # fmt: skip
    if e.key in config_keys and e.key in flags:
        return _error(f"{flags[e.key]}: {e.reason}")
    return _error(str(e))


def _bug(e: BaseException, debug: bool) -> int:
    import ketanalysis as ka

    if debug:
        traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)
    detail = _line(f"{type(e).__name__}: {e}")
    hint = "" if debug else "; run again with --debug for the traceback"
    print(
        f"ketanalysis: internal error (a bug in ketanalysis {ka.__version__}): {detail}{hint}; "
        f"please report it to {BUG_REPORT} with the command",
        file=sys.stderr,
    )
    return EXIT_BUG


def _guarded(run, args, config_keys: dict | None = None) -> int:
    """Run a command, mapping its errors to exit codes: data 1, usage and config 2, bugs 3."""
    import ketanalysis as ka

    from .config import ConfigError

    config_keys = config_keys or {}
    try:
        return run()
    except ka.DataError as e:
        print(_bounded(cli_syntax(str(e))), file=sys.stderr)
        return EXIT_DATA
    except ConfigError as e:
        return _config_error(e, config_keys)
    except UsageError as e:
        return _error(str(e))
    except FileNotFoundError as e:
        if str(e).startswith(("no such file", "is a directory")):
            return _error(str(e), EXIT_DATA)
        return _bug(e, args.debug)
    except FileExistsError as e:  # an output directory or file in the way
        return _error(str(e))
    except ImportError as e:
        if "optional package" in str(e):
            return _error(str(e))
        return _bug(e, args.debug)
    except KeyboardInterrupt:
        print("ketanalysis: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        return _bug(e, args.debug)


def _write_frame(frame, path: Path) -> None:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame.to_parquet(path, index=False)
        elif suffix == ".csv":
            frame.to_csv(path, index=False, lineterminator="\n")
        else:
            raise UsageError(f"{path}: the output must end in .csv or .parquet")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------
def _cmd_validate(args) -> int:
    from .report.inputs import read_input, validate_input
    from .validation import DataError

    def run():
        cfg, record, _ = _resolved(args)
        status = EXIT_OK
        for path in args.files:  # a file that cannot be read does not stop the others
            try:
                frame, _, name = read_input(path, cfg, record)
            except FileNotFoundError as e:
                status = _error(str(e), EXIT_DATA)
                continue
            except DataError as e:
                print(_bounded(cli_syntax(str(e))), file=sys.stderr)
                status = EXIT_DATA
                continue
            report = validate_input(frame, cfg, name)  # the one validation
            if not report.ok:
                print(_bounded(cli_syntax(report.error_message())), file=sys.stderr)
                status = EXIT_DATA
            elif not args.quiet:
                print(_bounded(cli_syntax(report.summary())))
        return status

    return _guarded(run, args, _keys_or_empty(args))


def _keys_or_empty(args) -> dict:
    try:
        return _config_keys(args)
    except UsageError:
        return {}


def _check_outputs(args, paths) -> None:
    given = [p for p in paths if p is not None]
    for path in given:
        if path.suffix.lower() not in (".csv", ".parquet"):
            raise UsageError(f"{path}: the output must end in .csv or .parquet")
    if len(given) == 2 and given[0].resolve() == given[1].resolve():
        raise UsageError("-o and --patients name the same file")
    for path in given:
        if path.exists() and not args.overwrite:
            raise UsageError(f"{path} exists; pass --overwrite to replace it")
        if path.resolve() == args.file.resolve():
            raise UsageError(f"{path} is the input file; choose another output")


def _cmd_derive(args) -> int:
    from .report import load_outcomes

    def run():
        _check_outputs(args, (args.output, args.patients))
        cfg, record, config_keys = _resolved(args)
        report, out = load_outcomes(args.file, args.config, config_keys=config_keys)
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

    return _guarded(run, args, _keys_or_empty(args))


def _cmd_report(args) -> int:
    from .report import build, build_figures

    fn = build if args.command == "report" else build_figures

    def run():
        cfg, record, config_keys = _resolved(args)
        path = fn(
            args.file,
            args.out,
            args.config,
            overwrite=args.overwrite,
            quiet=args.quiet,
            config_keys=config_keys,
        )
        print(path)
        return EXIT_OK

    return _guarded(run, args, _keys_or_empty(args))


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

    return _guarded(run, args)


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
        return _error(f"cannot write {args.output}: {e.strerror or e}")
    print(args.output)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ketanalysis`` console script (returns the exit status)."""
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
