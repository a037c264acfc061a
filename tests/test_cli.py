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
