"""Wide files with text visit labels: from_wide(session_labels=), {column: (scale, session)},
empty cells audited, the validated baseline carried into derive, and the [input] config keys.

The file tests/data/wide/text_visits.csv is synthetic (written by hand, see its README);
expected values below are read off the file by eye.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.config import parse_config
from ketanalysis.report.build import load_outcomes

WIDE = Path(__file__).parent / "data" / "wide"
FILE = WIDE / "text_visits.csv"
PATTERN = r"(?P<scale>MADRS|PHQ9)_(?P<session>baseline|wk\d)"
LABELS = {"baseline": 0, "wk1": 1, "wk2": 2, "wk4": 4}


def _read(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ka.DataWarning)
        return ka.from_wide(FILE, patient="pid", **kw)


def test_text_labels_mapped_and_empty_cells_audited():
    frame = _read(sessions=PATTERN, session_labels=LABELS)
    # 6 patients x 6 cells: every cell a row, none lost
    assert len(frame) == 36
    assert sorted(frame["session"].unique()) == [0, 1, 2, 4]
    report = ka.validate(frame)
    assert report.ok
    # 10 empty cells: W02 MADRS_wk1 and PHQ9_wk4, W03 MADRS_wk2, W05 all 6, W06 MADRS_wk4
    assert len(report.audit) == 10
    assert set(report.audit["reason"]) == {"score missing"}
    audited = report.audit.groupby("patient_id").size().to_dict()
    assert audited == {"W02": 2, "W03": 1, "W05": 6, "W06": 1}
    assert len(report.frame) == 26
    w2 = report.frame.query("patient_id == 'W02' and scale == 'MADRS'")
    assert w2["session"].tolist() == [0, 2, 4] and w2["score"].tolist() == [29, 21, 15]
    assert w2["source_column"].tolist() == ["MADRS_baseline", "MADRS_wk2", "MADRS_wk4"]


def test_labels_are_matched_without_case_and_spaces():
    frame = _read(sessions=PATTERN, session_labels={"Baseline ": 0, "WK1": 7, "wk2": 14, "wk4": 28})
    assert sorted(frame["session"].unique()) == [0, 7, 14, 28]


def test_unmapped_label_is_a_data_error_naming_the_columns():
    with pytest.raises(ka.DataError) as err:
        _read(sessions=PATTERN, session_labels={"baseline": 0, "wk1": 1, "wk2": 2})
    message = str(err.value)
    assert "session label 'wk4' of column(s) MADRS_wk4, PHQ9_wk4 is not a number" in message
    assert "add 'wk4' to session_labels=" in message


def test_text_labels_without_session_labels_say_how():
    with pytest.raises(ka.DataError) as err:
        _read(sessions=PATTERN)
    assert "give session_labels={'baseline': number, ...}" in str(err.value)


def test_pattern_matching_no_column_says_which_columns_there_are():
    with pytest.raises(ValueError, match="matches no column of .*; columns present: pid, age"):
        _read(sessions=r"(?P<scale>HAMD)_(?P<session>\d)")


def test_column_mapping_with_scale_and_text_sessions_then_derive():
    sessions = {
        "MADRS_baseline": ("MADRS", "baseline"),
        "MADRS_wk1": ("MADRS", "wk1"),
        "MADRS_wk2": ("MADRS", "wk2"),
        "MADRS_wk4": ("MADRS", "wk4"),
    }
    frame = _read(sessions=sessions, baseline="baseline")
    assert frame["session"].cat.categories.tolist() == ["baseline", "wk1", "wk2", "wk4"]
    report = ka.validate(frame, baseline="baseline")
    assert report.baseline == "baseline"
    # the baseline chosen at validation is the one derive uses (was: ValueError 0 not in list)
    out = ka.derive(report)
    p = out.patients.set_index("patient_id")
    assert p.loc["W01", "baseline"] == 32 and p.loc["W04", "last_score"] == 6
    # W04: 27 -> 6 is a 77.8 % reduction, a response; W06's last (wk2) 25 vs 31 is not
    assert p.loc["W04", "ever_response"] and not p.loc["W06", "ever_response"]
    assert p.loc["W01", "last_pct_change"] == pytest.approx((10 - 32) / 32)
    # an explicit baseline= still wins ("first" is the baseline visit here too)
    first = ka.derive(report, baseline="first").patients.set_index("patient_id")
    assert first["baseline"].to_dict() == p["baseline"].to_dict()


def test_report_of_a_frame_validated_at_a_number_still_derives():
    frame = _read(sessions=PATTERN, session_labels=LABELS)
    out = ka.derive(ka.validate(frame, baseline=0), scale="MADRS")
    assert out.patients.set_index("patient_id").loc["W03", "baseline"] == 35


def test_config_wide_pattern_and_labels_drive_the_read(tmp_path):
    cfg = parse_config(
        '[input]\nformat = "wide"\nwide_id = "pid"\n'
        f"wide_sessions = '{PATTERN}'\n"
        "[input.wide_session_labels]\nbaseline = 0\nwk1 = 1\nwk2 = 2\nwk4 = 4\n"
    )
    report, outcomes = load_outcomes(FILE, cfg)
    assert len(report.audit) == 10
    madrs = outcomes.patients.query("scale == 'MADRS'").set_index("patient_id")
    assert madrs.loc["W02", "baseline"] == 29 and madrs.loc["W02", "last_score"] == 15


def test_config_wide_columns_table(tmp_path):
    cfg = parse_config(
        '[input]\nformat = "wide"\nwide_id = "pid"\n'
        "[input.wide_columns]\n"
        'MADRS_baseline = ["MADRS", 0]\nMADRS_wk4 = ["MADRS", 4]\n'
        'PHQ9_baseline = ["PHQ-9", 0]\nPHQ9_wk4 = ["PHQ-9", 4]\n'
    )
    report, outcomes = load_outcomes(FILE, cfg)
    # 24 cells; empty: W02 PHQ9_wk4, W05 x4, W06 MADRS_wk4
    assert len(report.audit) == 6
    phq = outcomes.patients.query("scale == 'PHQ9'").set_index("patient_id")
    assert phq.loc["W04", "last_score"] == 4
    assert phq.loc["W02", "n_post_baseline"] == 0  # its PHQ9_wk4 is empty


def test_empty_cells_of_a_frame_keep_their_rows():
    df = pd.DataFrame({"patient_id": ["a", "b"], "m0": [30, 25], "m1": [" ", np.nan]})
    with pytest.warns(ka.DataWarning, match=r"2 row\(s\) without a score"):
        out = ka.from_wide(df, sessions={"m0": 0, "m1": 1}, scale="MADRS")
    assert len(out) == 4
    assert ka.validate(out).audit["row"].tolist() == [0, 1]


def test_day_columns_with_text_labels():
    df = pd.DataFrame(
        {
            "pid": ["a", "b"],
            "MADRS_baseline": [30, 28],
            "MADRS_wk1": [20, 14],
            "day_baseline": [0, 0],
            "day_wk1": [6, 9],
        }
    )
    out = ka.from_wide(
        df,
        patient="pid",
        sessions=r"(?P<scale>MADRS)_(?P<session>\w+)",
        days=r"day_(?P<session>\w+)",
        session_labels={"baseline": 0, "wk1": 1},
    )
    assert out["day"].tolist() == [0, 0, 6, 9]
    assert "day_wk1" not in out.columns


def test_cli_validate_wide_with_session_labels(capsys):
    from ketanalysis import cli

    args = ["validate", str(FILE), "--wide-id", "pid", "--wide-sessions", PATTERN]
    assert cli.main([*args, "--wide-session-labels", "baseline=0", "wk1=1", "wk2=2", "wk4=4"]) == 0
    out = capsys.readouterr().out
    assert "rows: 36 read, 26 kept, 10 excluded" in out
    # an unmapped label is a data error (exit 1) naming the columns
    assert cli.main([*args, "--wide-session-labels", "baseline=0", "wk1=1", "wk2=2"]) == 1
    assert "MADRS_wk4, PHQ9_wk4" in capsys.readouterr().err
    assert cli.main([*args, "--wide-session-labels", "baseline"]) == 2
    assert "LABEL=NUMBER" in capsys.readouterr().err
