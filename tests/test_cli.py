"""The ``ketanalysis`` command: exit codes and output on the sample and on bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ketanalysis import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def test_validate_sample_long(capsys):
    assert cli.main(["validate", str(SAMPLE / "cohort_long.csv")]) == 0
    out = capsys.readouterr().out
    assert "Validation of" in out and ": OK" in out
    assert "patients: 150" in out
    assert "errors: 0" in out


def test_validate_sample_wide_and_redcap(capsys):
    wide = [
        "validate",
        str(SAMPLE / "cohort_wide.csv"),
        "--wide-sessions",
        r"(?P<scale>madrs|phq9|cadss)\.s(?P<session>\d+)",
        "--wide-days",
        r"day\.s(?P<session>\d+)",
    ]
    assert cli.main(wide) == 0
    redcap = [
        "validate",
        str(SAMPLE / "cohort_redcap.csv"),
        "--redcap-events",
        str(SAMPLE / "cohort_redcap_events.json"),
        "--redcap-day",
        "study_day",
    ]
    assert cli.main(redcap) == 0
    out = capsys.readouterr().out
    assert out.count("patients: 150") == 2


def test_validate_bad_data_exits_1_and_lists_rows(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    pd.DataFrame(
        {"patient_id": ["a", "a", "b"], "session": [0, 1, 0], "score": [30, 75, 20]}
    ).to_csv(bad, index=False)
    assert cli.main(["validate", str(bad), "--scale", "MADRS"]) == 1
    err = capsys.readouterr().err
    assert "row 3, column score: MADRS total 75 is outside 0-60" in err


def test_usage_errors_exit_2(tmp_path, capsys):
    assert cli.main([]) == 2
    with pytest.raises(SystemExit) as e:
        cli.main(["validate"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        cli.main(["frobnicate"])
    assert e.value.code == 2
    assert cli.main(["validate", str(SAMPLE / "cohort_long.csv"), "--baseline", "soon"]) == 2
    assert cli.main(["validate", str(tmp_path / "missing.csv")]) == 1  # a data error
    events = tmp_path / "events.json"
    events.write_text("{not json")
    assert (
        cli.main(["validate", str(SAMPLE / "cohort_redcap.csv"), "--redcap-events", str(events)])
        == 2
    )
    capsys.readouterr()


def test_console_script_help_has_examples():
    exe = Path(sys.executable).with_name("ketanalysis")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "ketanalysis.cli"]
    out = subprocess.run(cmd + ["validate", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "examples:" in out.stdout and "exit status" in out.stdout
    json.dumps(out.stdout)  # plain text


# ---------------------------------------------------------------------------------------
# derive, report, figures, simulate, init-config
# ---------------------------------------------------------------------------------------
FAST = """
[figures]
include = ["trajectory", "swimmer"]
[output]
figure_formats = ["svg", "png"]
dpi = 100
"""


def _one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("ketanalysis: error: ")
    return lines[0]


def test_report_end_to_end_on_the_sample(tmp_path, capsys):
    cfg = tmp_path / "fast.toml"
    cfg.write_text(FAST)
    out = tmp_path / "report"
    assert cli.main(["report", str(SAMPLE / "cohort_long.csv"), "--out", str(out),
                     "--config", str(cfg)]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out / "report.html")
    assert "ketanalysis: validate" in captured.err and "ketanalysis: total" in captured.err
    assert (out / "figures" / "swimmer.svg").exists() and (out / "tables" / "rates.csv").exists()
    assert "<svg" in (out / "report.html").read_text()
    # a second run into the same directory is refused, and allowed with --overwrite
    args = ["report", str(SAMPLE / "cohort_long.csv"), "--out", str(out), "--config", str(cfg)]
    assert cli.main(args + ["--quiet"]) == 2
    assert "is not empty" in _one_line_error(capsys.readouterr().err)
    assert cli.main(args + ["--quiet", "--overwrite"]) == 0
    assert capsys.readouterr().err == ""  # --quiet: no progress


def test_figures_command(tmp_path, capsys):
    cfg = tmp_path / "fast.toml"
    cfg.write_text(FAST)
    out = tmp_path / "figs"
    assert cli.main(["figures", str(SAMPLE / "cohort_long.csv"), "--out", str(out),
                     "--config", str(cfg), "-q"]) == 0  # fmt: skip
    names = sorted(p.name for p in out.iterdir())
    assert names == ["provenance.json", "swimmer.png", "swimmer.svg", "timings.json",
                     "trajectory.png", "trajectory.svg"]  # fmt: skip
    capsys.readouterr()


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ('[figures]\njurnal = "cell"\n', "figures.jurnal", "did you mean 'journal'?"),
        ('[privacy]\nmin_cell_size = "11"\n', "privacy.min_cell_size", "expected a whole number"),
        ('[criteria]\npreset = "SUSTAIN2"\n', "criteria.preset", "valid presets: scale_defaults"),
        ('[analysis]\ngroup = "rout"\n', "analysis.group", "did you mean 'route'?"),
        ("[analysis]\nendpoint = 99\n", "analysis.endpoint", "session 99 has no assessments"),
        ('[input.safety]\nvitls = "v.csv"\n', "input.safety.vitls", "did you mean 'vitals'?"),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path, capsys, text, key, reason):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    out = tmp_path / "out"
    code = cli.main(["report", str(SAMPLE / "cohort_long.csv"), "--out", str(out),
                     "--config", str(cfg), "-q"])  # fmt: skip
    assert code == 2
    line = _one_line_error(capsys.readouterr().err)
    assert f"{cfg}: {key}: " in line and reason in line
    assert not out.exists()


def test_bad_data_exits_1_listing_rows(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "patient_id,session,scale,score\na,0,MADRS,30\na,1,MADRS,75\nb,0,MADRS,20\nb,1,MADRS,-3\n"
    )
    for command in (["report", str(bad), "--out", str(tmp_path / "r"), "-q"],
                    ["derive", str(bad), "-o", str(tmp_path / "d.csv")]):  # fmt: skip
        assert cli.main(command) == 1
        err = capsys.readouterr().err
        assert "row 3, column score: MADRS total 75 is outside 0-60" in err
        assert "row 5, column score: MADRS total -3 is outside 0-60" in err
    assert not (tmp_path / "r").exists() and not (tmp_path / "d.csv").exists()


def test_bad_safety_file_exits_1_listing_rows(tmp_path, capsys):
    vitals = tmp_path / "vitals.csv"
    vitals.write_text(
        "patient_id,session,timepoint,sbp,dbp,hr\n"
        "K0001,0,pre,120,80,70\nK0001,0,peak,400,80,70\nK0002,0,later,130,85,72\n"
    )
    cfg = tmp_path / "report.toml"
    cfg.write_text('[input.safety]\nvitals = "vitals.csv"\n')  # relative to the config
    out = tmp_path / "r"
    code = cli.main(["report", str(SAMPLE / "cohort_long.csv"), "--out", str(out),
                     "--config", str(cfg), "-q"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert f"2 problems in {vitals}" in err
    assert "row 3, column sbp: systolic blood pressure 400 mmHg is outside" in err
    assert "row 4, column timepoint: time point 'later' is not one of" in err
    assert not out.exists()
    cfg.write_text('[input.safety]\nadverse_events = "missing.csv"\n')
    code = cli.main(["report", str(SAMPLE / "cohort_long.csv"), "--out", str(out),
                     "--config", str(cfg), "-q"])  # fmt: skip
    assert code == 2
    line = _one_line_error(capsys.readouterr().err)
    assert f"{cfg}: input.safety.adverse_events: no such file" in line


def test_derive_writes_csv_and_parquet(tmp_path, capsys):
    out, pats = tmp_path / "a.csv", tmp_path / "p.parquet"
    code = cli.main(["derive", str(SAMPLE / "cohort_long.csv"), "-o", str(out),
                     "--patients", str(pats)])  # fmt: skip
    assert code == 0
    assert "2609 assessments of 150 patients" in capsys.readouterr().out
    a = pd.read_csv(out)
    assert len(a) == 2609 and {"response", "remission", "pct_change"} <= set(a.columns)
    p = pd.read_parquet(pats)
    assert len(p) == 300 and int(p.loc[p["scale"] == "MADRS", "ever_response"].sum()) == 83
    cfg = tmp_path / "s1.toml"
    cfg.write_text('[criteria]\npreset = "SUSTAIN1"\n')
    assert cli.main(["derive", str(SAMPLE / "cohort_long.csv"), "-o", str(out),
                     "--config", str(cfg), "-q", "--overwrite"]) == 0  # fmt: skip
    assert set(pd.read_csv(out)["scale"]) == {"MADRS"}
    assert (
        cli.main(["derive", str(SAMPLE / "cohort_long.csv"), "-o", str(tmp_path / "a.xlsx")]) == 2
    )
    capsys.readouterr()


def test_simulate_is_reproducible(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert cli.main(["simulate", "--patients", "30", "--seed", "4", "-o", str(a)]) == 0
    assert cli.main(["simulate", "--patients", "30", "--seed", "4", "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    frame = pd.read_csv(a)
    assert frame["patient_id"].nunique() == 30
    assert cli.main(["simulate", "--patients", "30", "-o", str(a)]) == 2  # exists
    assert "--overwrite" in _one_line_error(capsys.readouterr().err)
    trial = tmp_path / "t.csv"
    assert cli.main(["simulate", "--patients", "20", "--arms", "ketamine", "midazolam",
                     "--months", "0", "-o", str(trial)]) == 0  # fmt: skip
    assert set(pd.read_csv(trial)["arm"]) == {"ketamine", "midazolam"}
    capsys.readouterr()


def test_init_config(tmp_path, capsys):
    from ketanalysis.config import Config, load_config, parse_config

    assert cli.main(["init-config"]) == 0
    assert parse_config(capsys.readouterr().out) == Config()
    path = tmp_path / "report.toml"
    assert cli.main(["init-config", "-o", str(path)]) == 0
    assert load_config(path) == Config()
    assert cli.main(["init-config", "-o", str(path)]) == 2
    assert "exists" in _one_line_error(capsys.readouterr().err)
    assert cli.main(["init-config", "-o", str(path), "--overwrite"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    "command", ["validate", "derive", "report", "figures", "simulate", "init-config"]
)
def test_every_subcommand_help_has_examples(command, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([command, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"ketanalysis {command}" in out and "exit status" in out


# ---------------------------------------------------------------------------------------
# The config drives every command (issue 13, scope item 6)
# ---------------------------------------------------------------------------------------
def _madrs_without_scale_column(tmp_path) -> Path:
    """The sample's MADRS rows with the scale column removed (the clinic file of issue 13)."""
    frame = pd.read_csv(SAMPLE / "cohort_long.csv")
    path = tmp_path / "madrs.csv"
    frame.loc[frame["scale"] == "MADRS"].drop(columns="scale").to_csv(path, index=False)
    return path


def _counts(summary: str) -> str:
    return next(ln for ln in summary.splitlines() if ln.strip().startswith("rows:"))


def test_input_scale_of_the_config_is_honoured_by_validate_and_derive(tmp_path, capsys):
    data = _madrs_without_scale_column(tmp_path)
    cfg = tmp_path / "madrs.toml"
    cfg.write_text('[input]\nscale = "MADRS"\n')
    assert cli.main(["validate", str(data)]) == 1  # without the config: no scale
    assert "--scale MADRS" in capsys.readouterr().err  # the CLI's syntax, not scale='MADRS'
    assert cli.main(["validate", str(data), "--config", str(cfg)]) == 0
    via_config = capsys.readouterr().out
    assert cli.main(["validate", str(data), "--scale", "MADRS"]) == 0
    via_flag = capsys.readouterr().out
    assert via_config == via_flag
    n = len(pd.read_csv(data))
    assert _counts(via_config).strip() == f"rows: {n} read, {n} kept, 0 excluded"
    out = tmp_path / "a.csv"
    assert cli.main(["derive", str(data), "-o", str(out), "--config", str(cfg)]) == 0
    assert f"{n} assessments of 150 patients (MADRS;" in capsys.readouterr().out
    assert set(pd.read_csv(out)["scale"]) == {"MADRS"} and len(pd.read_csv(out)) == n


def test_flags_win_over_the_config(tmp_path, capsys):
    data = _madrs_without_scale_column(tmp_path)
    cfg = tmp_path / "phq.toml"
    cfg.write_text('[input]\nscale = "PHQ-9"\n')
    # as PHQ-9 the MADRS totals (up to 60) are out of range (0-27): the config's scale used
    assert cli.main(["validate", str(data), "--config", str(cfg), "-q"]) == 1
    assert "PHQ9 total" in capsys.readouterr().err
    assert cli.main(["validate", str(data), "--config", str(cfg), "--scale", "MADRS", "-q"]) == 0
    # --baseline sets [analysis] baseline for the validation and the derivation
    out = tmp_path / "a.csv"
    code = cli.main(["derive", str(data), "-o", str(out), "--scale", "MADRS", "--baseline", "1",
                     "-q"])  # fmt: skip
    assert code == 0
    a = pd.read_csv(out)
    at1 = a.loc[a["session"] == 1].set_index("patient_id")
    baselines = a.groupby("patient_id")["baseline"].first()
    assert len(at1) > 100 and (baselines[at1.index] == at1["score"]).all()
    capsys.readouterr()


def test_validate_validates_once(tmp_path, capsys, monkeypatch):
    import ketanalysis.io.scores as io_scores
    import ketanalysis.validation.scores as v_scores

    calls = []
    real = v_scores.check_scores

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(v_scores, "check_scores", counting)
    monkeypatch.setattr(io_scores, "check_scores", counting)
    assert cli.main(["validate", str(SAMPLE / "cohort_long.csv"), "-q"]) == 0
    assert len(calls) == 1
    capsys.readouterr()


def test_input_options_that_do_not_fit_are_usage_errors(tmp_path, capsys):
    long = str(SAMPLE / "cohort_long.csv")
    for extra, text in (
        (["--wide-days", "d(?P<session>\\d)"], "--wide-days needs --wide-sessions"),
        (["--redcap-day", "study_day"], "--redcap-day needs --redcap-events"),
        (["--wide-sessions", "x(?P<session>\\d)", "--redcap-events", "e.json"], "combined"),
        (["--columns", "subject"], "--columns expects SOURCE=CANONICAL"),
        (["--wide-sessions", "nomatch(?P<session>\\d)"], "--wide-sessions: "),
    ):
        assert cli.main(["validate", long, *extra]) == 2, extra
        assert text in _one_line_error(capsys.readouterr().err)


def test_unknown_scale_is_one_line_with_the_closest_name(capsys):
    for command in (["validate", str(SAMPLE / "cohort_long.csv")],
                    ["derive", str(SAMPLE / "cohort_long.csv"), "-o", "never.csv"]):  # fmt: skip
        assert cli.main([*command, "--scale", "MADSR"]) == 2
        line = _one_line_error(capsys.readouterr().err)
        assert line.startswith("ketanalysis: error: --scale: unknown scale 'MADSR'")
        assert "Did you mean 'MADRS'?" in line
    assert not Path("never.csv").exists()


# ---------------------------------------------------------------------------------------
# The error contract (issue 13, scope item 7)
# ---------------------------------------------------------------------------------------
def _unreadable_files(tmp_path) -> dict[str, Path]:
    """Files no reader can parse, written here: random bytes named .xlsx, a Parquet file
    cut in half, an empty file and a file of unknown type."""
    files = {}
    files["corrupt.xlsx"] = tmp_path / "corrupt.xlsx"
    files["corrupt.xlsx"].write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    whole = tmp_path / "whole.parquet"
    pd.DataFrame({"patient_id": ["a", "b"], "session": [0, 0], "scale": "MADRS",
                  "score": [30.0, 25.0]}).to_parquet(whole)  # fmt: skip
    files["truncated.parquet"] = tmp_path / "truncated.parquet"
    files["truncated.parquet"].write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    files["empty.csv"] = tmp_path / "empty.csv"
    files["empty.csv"].write_bytes(b"")
    files["scores.foo"] = tmp_path / "scores.foo"  # an extension no reader knows
    files["scores.foo"].write_text("patient_id,session,scale,score\na,0,MADRS,30\n")
    return files


@pytest.mark.parametrize("command", ["validate", "derive"])
def test_unreadable_files_are_data_errors_naming_the_file(tmp_path, capsys, command):
    for name, path in _unreadable_files(tmp_path).items():
        args = [command, str(path)] + (
            ["-o", str(tmp_path / "o.csv")] if command == "derive" else []
        )
        assert cli.main(args) == 1, name
        err = capsys.readouterr().err
        assert f"in {path}:" in err and "cannot read" in err, err
        assert "Traceback" not in err
    assert not (tmp_path / "o.csv").exists()


def test_unreadable_file_is_a_data_error_in_python(tmp_path):
    import ketanalysis as ka

    files = _unreadable_files(tmp_path)
    with pytest.raises(ka.DataError, match="expected an Excel workbook"):
        ka.report.load_outcomes(files["corrupt.xlsx"])
    with pytest.raises(ka.DataError, match="expected a Parquet file"):
        ka.report.load_outcomes(files["truncated.parquet"])


def test_missing_input_is_exit_1_no_such_file(tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    for command in (["validate", str(missing)], ["derive", str(missing), "-o",
                    str(tmp_path / "o.csv")], ["report", str(missing), "--out",
                    str(tmp_path / "r"), "-q"]):  # fmt: skip
        assert cli.main(command) == 1
        assert _one_line_error(capsys.readouterr().err) == (
            f"ketanalysis: error: no such file: {missing}"
        )


def test_config_errors_exit_2(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[input\nscale = ")
    assert cli.main(["validate", str(SAMPLE / "cohort_long.csv"), "--config", str(cfg)]) == 2
    assert "not valid TOML" in _one_line_error(capsys.readouterr().err)
    missing = tmp_path / "none.toml"
    assert cli.main(["validate", str(SAMPLE / "cohort_long.csv"), "--config", str(missing)]) == 2
    assert "cannot read config file" in _one_line_error(capsys.readouterr().err)


def test_an_internal_error_is_exit_3_and_debug_shows_the_traceback(monkeypatch, capsys):
    import ketanalysis.report.inputs as inputs

    def broken(*args, **kwargs):
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(inputs, "validate_input", broken)
    args = ["validate", str(SAMPLE / "cohort_long.csv")]
    assert cli.main(args) == 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("ketanalysis: internal error (a bug in ketanalysis")
    assert "RuntimeError: something inside broke" in line and "--debug" in line
    assert "Traceback" not in line
    for debug in (["--debug", *args], [*args, "--debug"]):
        assert cli.main(debug) == 3
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err and "in broken" in err
        assert err.strip().splitlines()[-1].startswith("ketanalysis: internal error")


def test_messages_are_bounded(tmp_path, capsys):
    huge = "x" * 5_000_000  # one 5 MB column name in the header
    path = tmp_path / "huge.csv"
    path.write_text(f"patient_id,session,{huge}\na,0,1\n")
    assert cli.main(["validate", str(path), "--scale", "MADRS"]) == 1
    err = capsys.readouterr().err
    assert len(err) < 50_000 and "more characters)" in err
    import ketanalysis as ka

    with pytest.raises(ka.DataError) as e:
        ka.read_scores(path, scale="MADRS")
    assert len(str(e.value)) < 50_000


def test_cli_syntax_of_python_messages():
    assert cli.cli_syntax("pass columns={'madrs_total': 'score'}, scale='MADRS'") == (
        "pass --columns madrs_total=score, --scale MADRS"
    )
    assert cli.cli_syntax("set baseline= to your baseline session") == (
        "set --baseline to your baseline session"
    )
    assert cli.cli_syntax("or pass allow_identifiers=['dob']") == "or pass --allow-identifiers dob"
    assert cli.cli_syntax("allow_negative_days=True or baseline='last_pre'") == (
        "--allow-negative-days or --baseline last_pre"
    )
    # names that are not the API's keywords stay
    assert cli.cli_syntax("frame.drop(columns='day'); noscale=1") == (
        "frame.drop(columns='day'); noscale=1"
    )


def test_derive_refuses_existing_outputs_unless_overwrite(tmp_path, capsys):
    data = str(SAMPLE / "cohort_long.csv")
    out, pats = tmp_path / "a.csv", tmp_path / "p.csv"
    out.write_text("mine\n")
    assert cli.main(["derive", data, "-o", str(out)]) == 2
    assert "--overwrite" in _one_line_error(capsys.readouterr().err)
    assert out.read_text() == "mine\n"
    pats.write_text("mine too\n")
    assert cli.main(["derive", data, "-o", str(tmp_path / "new.csv"), "--patients", str(pats)]) == 2
    assert pats.read_text() == "mine too\n" and not (tmp_path / "new.csv").exists()
    capsys.readouterr()
    assert cli.main(["derive", data, "-o", str(out), "--patients", str(pats), "--overwrite",
                     "-q"]) == 0  # fmt: skip
    assert len(pd.read_csv(out)) == 2609 and len(pd.read_csv(pats)) == 300
    assert cli.main(["derive", data, "-o", str(out), "--patients", str(out), "--overwrite"]) == 2
    assert "same file" in _one_line_error(capsys.readouterr().err)


def test_report_and_figures_read_as_validate_does(tmp_path, capsys):
    """A file without a scale column is reported with ``[input] scale`` (issue 13) or with
    ``--scale``; report, figures and validate count the same rows."""
    data = _madrs_without_scale_column(tmp_path)
    cfg = tmp_path / "madrs.toml"
    cfg.write_text('[input]\nscale = "MADRS"\n' + FAST)
    fast = tmp_path / "fast.toml"
    fast.write_text(FAST)
    assert cli.main(["validate", str(data), "--config", str(cfg)]) == 0
    counts = _counts(capsys.readouterr().out).split(":", 1)[1].strip()  # "1585 read, ..."
    read, kept, excluded = (int(part.split()[0]) for part in counts.split(", "))
    for name, extra in (("by_config", ["--config", str(cfg)]),
                        ("by_flag", ["--config", str(fast), "--scale", "MADRS"])):  # fmt: skip
        out = tmp_path / name
        assert cli.main(["report", str(data), "--out", str(out), "-q", *extra]) == 0
        rows = pd.read_csv(out / "tables" / "data_rows.csv").set_index("item")["n"]
        assert (rows["rows read"], rows["rows kept"], rows["rows excluded"]) == (
            read,
            kept,
            excluded,
        )
        figs = tmp_path / f"{name}_figures"
        assert cli.main(["figures", str(data), "--out", str(figs), "-q", *extra]) == 0
        assert (figs / "trajectory.svg").exists()
    prov = json.loads((tmp_path / "by_flag" / "provenance.json").read_text())
    assert prov["config"]["config_keys"] == {"input.scale": "MADRS"}
    assert prov["config"]["file"] == "fast.toml"
    assert prov["config"]["resolved"]["input"]["scale"] == "MADRS"
    # the data are the same whichever way the scale was given
    a = (tmp_path / "by_config" / "tables" / "rates.csv").read_bytes()
    assert a == (tmp_path / "by_flag" / "tables" / "rates.csv").read_bytes()
    capsys.readouterr()


def test_validate_goes_on_after_a_file_it_cannot_read(tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    assert cli.main(["validate", str(missing), str(SAMPLE / "cohort_long.csv")]) == 1
    captured = capsys.readouterr()
    assert f"no such file: {missing}" in captured.err
    assert "patients: 150" in captured.out


def test_a_config_key_that_does_not_fit_the_file_names_the_key_and_the_file(tmp_path, capsys):
    cfg = tmp_path / "wide.toml"
    cfg.write_text('[input]\nformat = "wide"\nwide_sessions = "nomatch(?P<session>\\\\d)"\n')
    args = ["validate", str(SAMPLE / "cohort_wide.csv"), "--config", str(cfg)]
    assert cli.main(args) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert f"{cfg}: input.wide_sessions: sessions pattern" in line
