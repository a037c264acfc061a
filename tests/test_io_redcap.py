"""REDCap exports as REDCap writes them: repeating instruments, checkboxes, records without
a score, and the column hint that never proposes an item as a total.

tests/data/redcap/repeating.csv is synthetic, written by tests/data/redcap/make_files.py
(its docstring describes the layout); expected values are read off that script by eye.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka

REDCAP = Path(__file__).parent / "data" / "redcap"
FILE = REDCAP / "repeating.csv"
EVENTS = {"baseline_arm_1": (0, 0), "week_1_arm_1": (1, 7), "week_2_arm_1": (2, 14)}


def _read(**kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ka.DataWarning)
        return ka.read_redcap(FILE, events=EVENTS, **kw)


def test_files_are_written_by_their_script(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_files", REDCAP / "make_files.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "HERE", tmp_path)
    mod.main()
    assert (tmp_path / "repeating.csv").read_bytes() == FILE.read_bytes()


def test_repeating_adverse_events_are_not_smeared_onto_scores():
    frame = _read()
    assert not [c for c in frame.columns if c.startswith("ae_") or c.startswith("redcap_")]
    # 11 MADRS assessments + 1 row for record 5, which has none; the 3 AE rows and the
    # 3 unscored event rows of record 5 / record 2's week 2 are no score rows
    assert len(frame) == 12
    assert frame["source_row"].tolist() == [2, 3, 4, 7, 8, 10, 11, 12, 13, 14, 15, 17]
    assert frame["day"].tolist() == [0, 7, 14, 0, 7, 0, 7, 14, 0, 7, 14, 0]
    # demographics still reach every row of their record
    assert frame.groupby("patient_id")["sex"].unique().map(list).to_dict() == {
        "1": ["F"],
        "2": ["M"],
        "3": ["F"],
        "4": ["M"],
        "5": ["F"],
    }


def test_record_without_any_score_is_audited():
    with pytest.warns(ka.DataWarning, match=r"1 row\(s\) without a score"):
        frame = ka.read_redcap(FILE, events=EVENTS)
    report = ka.validate(frame)
    assert report.ok
    assert report.audit[["row", "patient_id", "reason"]].values.tolist() == [
        [17, "5", "score missing"]
    ]
    assert sorted(report.frame["patient_id"].unique()) == ["1", "2", "3", "4"]


def test_checkboxes_are_one_multi_choice_variable():
    frame = _read()
    assert not [c for c in frame.columns if "___" in c]
    assert frame["side_effects"].dtype == object
    got = frame.set_index(["patient_id", "session"])["side_effects"]
    assert got[("1", 1)] == "1,3" and got[("1", 2)] == "1" and got[("4", 1)] == "1,2"
    assert got[("3", 2)] == "4" and pd.isna(got[("3", 1)]) and pd.isna(got[("1", 0)])
    # not a numeric covariate of Table 1
    assert not pd.api.types.is_numeric_dtype(frame["side_effects"])


def test_repeating_instrument_goes_to_the_safety_reader():
    ae = ka.read_redcap_repeating(FILE, "adverse_events", events=EVENTS)
    assert ae.index.tolist() == [5, 6, 16]  # rows of the export
    assert ae["patient_id"].tolist() == ["1", "1", "4"]
    assert ae["session"].tolist() == [1, 1, 2] and ae["day"].tolist() == [7, 7, 14]
    assert ae["instance"].tolist() == [1, 2, 1]
    assert ae.columns.tolist() == [
        "patient_id",
        "session",
        "day",
        "instance",
        "ae_term",
        "ae_severity",
        "ae_serious",
    ]
    events = ka.read_adverse_events(
        ae, columns={"ae_severity": "severity", "ae_serious": "serious"}
    )
    assert events["ae_term"].tolist() == ["nausea", "dizziness", "headache"]
    assert events["severity"].tolist() == ["mild", "moderate", "mild"]
    assert events["serious"].tolist() == [False, False, False]
    assert events["source_row"].tolist() == [5, 6, 16]


def test_unknown_repeating_instrument_lists_those_present():
    with pytest.raises(ka.DataError, match="instruments in the export: 'adverse_events'"):
        ka.read_redcap_repeating(FILE, "concomitant_meds", events=EVENTS)


def test_repeating_score_instrument_stays_scores():
    # a repeating MADRS instrument (one instance per event) next to a repeating AE form
    export = pd.DataFrame(
        {
            "record_id": ["1", "1", "1", "1"],
            "redcap_event_name": ["base_arm_1", "base_arm_1", "wk1_arm_1", "wk1_arm_1"],
            "redcap_repeat_instrument": ["madrs", "", "madrs", "adverse_events"],
            "redcap_repeat_instance": [1, np.nan, 1, 1],
            "sex": [None, "F", None, None],
            "madrs_total": [30, np.nan, 12, np.nan],
            "madrs_complete": [2, np.nan, 2, np.nan],
            "ae_term": [None, None, None, "nausea"],
            "adverse_events_complete": [np.nan, np.nan, np.nan, 2],
        }
    )
    out = ka.read_redcap(export, events={"base_arm_1": 0, "wk1_arm_1": 1}, validate=False)
    assert out["score"].tolist() == [30, 12]
    assert "ae_term" not in out.columns


def test_event_of_a_repeating_row_must_be_mapped():
    with pytest.raises(ka.DataError, match="event 'week_2_arm_1'"):
        ka.read_redcap_repeating(
            FILE, "adverse_events", events={"baseline_arm_1": 0, "week_1_arm_1": 1}
        )


@pytest.mark.parametrize(
    ("extra", "hinted"),
    [(["madrs_total"], "madrs_total"), (["phq9_total"], "phq9_total")],
)
def test_column_hint_never_proposes_an_item(extra, hinted):
    raw = pd.read_csv(FILE, dtype=str)
    items = [f"madrs_{i}" for i in range(1, 11)] + [f"phq9_{i}" for i in range(1, 4)]
    for i in range(1, 4):
        raw[f"phq9_{i}"] = raw[f"madrs_{i}"]
    raw["phq9_total"] = raw["madrs_total"]
    df = raw[["record_id", "redcap_event_name", *items, *extra]].rename(
        columns={"record_id": "patient_id", "redcap_event_name": "session"}
    )
    with pytest.raises(ka.DataError) as err:
        ka.read_scores(df, validate=False)
    message = str(err.value)
    assert f"column {hinted!r} looks like the" in message
    assert "madrs_10" not in message and "phq9_3" not in message


def test_config_redcap_reads_the_repeating_export():
    from ketanalysis.config import parse_config
    from ketanalysis.report.build import load_outcomes

    cfg = parse_config(
        '[input]\nformat = "redcap"\nredcap_events = "repeating_events.json"\nscale = "MADRS"\n',
        base_dir=REDCAP,
    )
    report, outcomes = load_outcomes(FILE, cfg)
    assert report.audit["patient_id"].tolist() == ["5"]
    p = outcomes.patients.set_index("patient_id")
    assert p["baseline"].to_dict() == {"1": 31, "2": 34, "3": 27, "4": 36}
    assert p.loc["4", "last_score"] == 4 and p.loc["4", "last_day"] == 14


def test_read_adverse_events_reads_the_instrument_of_an_export():
    events = ka.read_adverse_events(
        FILE,
        instrument="adverse_events",
        events=EVENTS,
        columns={"ae_severity": "severity", "ae_serious": "serious"},
    )
    assert events["patient_id"].tolist() == ["1", "1", "4"]
    assert events["severity"].tolist() == ["mild", "moderate", "mild"]
    assert events["source_row"].tolist() == [5, 6, 16]
    # a bad value is named by its row of the export
    bad = pd.read_csv(FILE, dtype=str)
    bad.loc[bad["ae_term"] == "headache", "ae_severity"] = "7"
    bad.index = bad.index + 2  # the export's file rows
    with pytest.raises(ka.DataError, match="row 16, column severity"):
        ka.read_adverse_events(
            bad,
            instrument="adverse_events",
            events=EVENTS,
            columns={"ae_severity": "severity", "ae_serious": "serious"},
        )


def test_config_reads_adverse_events_from_the_redcap_export():
    import importlib

    from ketanalysis.config import parse_config

    build = importlib.import_module("ketanalysis.report.build")  # the module, not ka.report.build
    from ketanalysis.report.inputs import read_input
    from ketanalysis.report.safety import load_safety

    cfg = parse_config(
        '[input]\nformat = "redcap"\nredcap_events = "repeating_events.json"\n'
        "[input.safety]\n"
        'adverse_events = "repeating.csv"\nadverse_events_instrument = "adverse_events"\n'
        'adverse_events_columns = { ae_severity = "severity", ae_serious = "serious" }\n',
        base_dir=REDCAP,
    )
    report, _ = build.load_outcomes(FILE, cfg)
    name = read_input(FILE, cfg)[2]
    ctx = build._context_for(cfg, {}, report, name, "")
    data = load_safety(ctx)
    ae = data.outcomes.adverse_events
    assert sorted(ae["ae_term"].dropna()) == ["dizziness", "headache", "nausea"]
    assert data.files == {"adverse_events": "repeating.csv"}
