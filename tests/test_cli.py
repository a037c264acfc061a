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
    assert cli.main(["validate", str(tmp_path / "missing.csv")]) == 2
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
