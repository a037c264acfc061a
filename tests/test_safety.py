"""Safety data: readers, validation, the bad-input corpus, derivations and the simulator.

Every derivation is checked on small frames written out here, with the expected numbers
worked by hand in the test (comments show the arithmetic), including the edge cases of the
thresholds (exactly 180 / 110 after dosing, exactly 140 / 90 before), a missing peak, no
pre-dose value and a value that never returns within 10 % of pre-dose.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis import (
    DataWarning,
    SafetyThresholds,
    derive_safety,
    read_adverse_events,
    read_vitals,
    validate_adverse_events,
    validate_vitals,
)
from ketanalysis.simulate import AE_TERMS, simulate_cohort, simulate_safety

BAD = Path(__file__).parent / "data" / "bad_safety"
MANIFEST = pd.read_csv(BAD / "MANIFEST.csv", dtype=str, keep_default_na=False)
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def vitals(*rows, columns=("patient_id", "session", "timepoint", "minutes", "sbp", "dbp")):
    return pd.DataFrame(list(rows), columns=list(columns))


def one_session(sbp, dbp, minutes=(-5, 40, 80, 120), tps=("pre", "peak", "post", "discharge")):
    """One patient, one session; None drops a reading."""
    rows = [
        ("a", 1, tp, m, s, d)
        for tp, m, s, d in zip(tps, minutes, sbp, dbp, strict=True)
        if not (s is None and d is None)
    ]
    return vitals(*rows)


def session_row(frame, thresholds=None) -> pd.Series:
    out = derive_safety(frame, thresholds=thresholds or SafetyThresholds())
    assert len(out.sessions) == 1
    return out.sessions.iloc[0]


# ---------------------------------------------------------------------------------------
# the bad-input corpus
# ---------------------------------------------------------------------------------------
def named_rows(message: str) -> set[int]:
    found = set()
    for m in re.finditer(r"\brows? (\d+(?:, \d+)*)", message):
        found.update(int(x) for x in m.group(1).split(", "))
    return found


def test_manifest_lists_every_file():
    files = {p.name for p in BAD.iterdir() if p.name != "MANIFEST.csv"}
    assert files == set(MANIFEST["file"])
    assert not MANIFEST["file"].duplicated().any()
    assert (MANIFEST["fragment"].str.len() > 0).all()
    assert (MANIFEST["description"].str.len() > 0).all()
    assert set(MANIFEST["reader"]) == {"vitals", "adverse_events"}


@pytest.mark.parametrize("entry", MANIFEST.to_dict("records"), ids=list(MANIFEST["file"]))
def test_bad_safety_file_raises_data_error_naming_rows_and_column(entry):
    reader = read_vitals if entry["reader"] == "vitals" else read_adverse_events
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(ka.DataError) as info:
            reader(BAD / entry["file"])
    err = info.value
    message = str(err)
    assert entry["check"] in set(err.report.errors["check"]), message
    assert entry["file"] in message.splitlines()[0]
    assert entry["fragment"] in message, message
    expected_rows = {int(r) for r in entry["rows"].split(";") if r}
    assert expected_rows <= named_rows(message), message
    assert f"column {entry['column']}" in message or repr(entry["column"]) in message, message


def test_identifier_messages_do_not_repeat_the_names():
    with pytest.raises(ka.DataError) as info:
        read_vitals(BAD / "phi_names_vitals.csv")
    assert "Maria Lopez" not in str(info.value)
    # allowed explicitly, the column passes
    frame = read_vitals(BAD / "phi_names_vitals.csv", allow_identifiers=["patient_name"])
    assert len(frame) == 6


def test_every_problem_of_a_file_is_listed_at_once():
    f = vitals(
        ("a", 1, "pre", -5, 400, 80),  # out of range
        ("a", 1, "peak", 40, 150, 160),  # dbp above sbp
        ("a", 1, "soon", None, 140, 90),  # unknown time point
    )
    report = validate_vitals(f)
    assert set(report.errors["check"]) == {"out_of_range", "bp_order", "timepoint"}
    # in the order the checks run (time points, ranges, blood-pressure order)
    assert report.errors["row"].tolist() == [2, 0, 1]


# ---------------------------------------------------------------------------------------
# readers
# ---------------------------------------------------------------------------------------
def test_read_sample_vitals_keeps_every_row():
    raw = pd.read_csv(SAMPLE / "vitals.csv")
    frame = read_vitals(SAMPLE / "vitals.csv")
    assert len(frame) == len(raw)
    assert frame.columns[:9].tolist() == [
        "patient_id",
        "session",
        "day",
        "timepoint",
        "minutes",
        "sbp",
        "dbp",
        "hr",
        "spo2",
    ]
    assert frame["source_row"].tolist() == list(range(2, len(raw) + 2))
    assert set(frame["timepoint"]) == {"pre", "peak", "post", "discharge"}
    assert frame["sbp"].dtype == np.float64


def test_read_sample_adverse_events():
    frame = read_adverse_events(SAMPLE / "adverse_events.csv")
    assert set(frame["ae_term"]) <= set(AE_TERMS)
    assert frame["serious"].dtype == "boolean"
    assert set(frame["severity"]) == {"mild", "moderate", "severe"}


def test_columns_mapping_and_timepoint_labels():
    raw = pd.DataFrame(
        {
            "subject": ["7", "7", "7", "7"],
            "visit": [2, 2, 2, 2],
            "when": ["T0", "T1", "90 min", "Discharge"],
            "sys": [120, 150, 130, 125],
            "dia": [80, 95, 85, 82],
            "pulse": [70, 80, 75, 72],
        },
        index=[10, 11, 12, 13],
    )
    frame = read_vitals(
        raw,
        columns={
            "subject": "patient_id",
            "visit": "session",
            "when": "timepoint",
            "sys": "sbp",
            "dia": "dbp",
            "pulse": "hr",
        },
        timepoints={"T0": "pre", "T1": 40},
    )
    assert frame["patient_id"].tolist() == ["7"] * 4
    assert frame["timepoint"].tolist() == ["pre", "post", "post", "discharge"]
    np.testing.assert_array_equal(frame["minutes"], [np.nan, 40.0, 90.0, np.nan])
    assert frame["source_row"].tolist() == [10, 11, 12, 13]  # a DataFrame's index labels


@pytest.mark.parametrize(
    ("value", "label", "minutes"),
    [
        ("pre", "pre", np.nan),
        ("Pre-dose", "pre", np.nan),
        ("baseline", "pre", np.nan),
        ("40min", "peak", 40.0),
        ("40 min", "peak", 40.0),
        ("PEAK", "peak", np.nan),
        ("discharge", "discharge", np.nan),
        ("post", "post", np.nan),
        ("15", "post", 15.0),
        ("-10 min", "pre", -10.0),
        ("0", "pre", 0.0),
    ],
)
def test_timepoint_labels(value, label, minutes):
    f = pd.DataFrame({"patient_id": ["a"], "session": [1], "timepoint": [value], "sbp": [120]})
    report = validate_vitals(f)
    assert report.ok, report.error_message()
    assert report.frame["timepoint"].tolist() == [label]
    np.testing.assert_array_equal(report.frame["minutes"], [minutes])


def test_minutes_alone_give_the_timepoint():
    f = pd.DataFrame(
        {"patient_id": "a", "session": 1, "minutes": [-5, 0, 40], "sbp": [120, 121, 140]}
    )
    assert validate_vitals(f).frame["timepoint"].tolist() == ["pre", "pre", "post"]


def test_identical_duplicate_and_empty_row_are_excluded_with_audit():
    f = vitals(
        ("a", 1, "pre", -5, 120, 80),
        ("a", 1, "pre", -5, 120, 80),  # identical copy of row 0
        ("a", 1, "peak", 40, None, None),  # no reading
        ("a", 1, "discharge", 120, 125, 82),
    )
    report = validate_vitals(f)
    assert report.ok
    assert len(report.frame) == 2
    assert report.audit["row"].tolist() == [1, 2]
    assert report.audit["reason"].tolist() == [
        "identical duplicate row (kept once)",
        "no vital sign recorded",
    ]
    with pytest.warns(DataWarning, match="validation will exclude 2 rows"):
        kept = read_vitals(f)
    assert len(kept) == 4  # readers drop nothing
    out = derive_safety(f)
    assert out.audit["row"].tolist() == [1, 2]
    assert out.audit["data"].tolist() == ["vitals", "vitals"]


def test_adverse_event_normalisation():
    f = pd.DataFrame(
        {
            "patient_id": ["a", "a", "b", "c"],
            "session": [1, 1, 1, 2],
            "ae_term": ["  Nausea ", "Blurred   vision", "none", ""],
            "severity": [1, "Severe", None, None],
            "serious": ["Y", "0", None, None],
        }
    )
    report = validate_adverse_events(f)
    assert report.ok, report.error_message()
    fr = report.frame
    assert fr["ae_term"].tolist() == ["nausea", "blurred vision", None, None]
    assert fr["severity"].tolist() == ["mild", "severe", None, None]
    assert fr["serious"].tolist()[:2] == [True, False]
    assert fr["serious"].isna().tolist() == [False, False, True, True]


# ---------------------------------------------------------------------------------------
# thresholds
# ---------------------------------------------------------------------------------------
def test_threshold_defaults_and_source():
    t = SafetyThresholds()
    assert (t.pre_sbp, t.pre_dbp, t.post_sbp, t.post_dbp) == (140, 90, 180, 110)
    assert t.return_within == 0.10 and t.inclusive
    assert "SPRAVATO" in SafetyThresholds.source and "ESC/ESH" in SafetyThresholds.source
    assert t.describe()["threshold"].tolist() == [
        "pre_sbp",
        "pre_dbp",
        "post_sbp",
        "post_dbp",
        "return_within",
    ]
    with pytest.raises(ValueError, match="post_sbp"):
        SafetyThresholds(post_sbp=-1)
    with pytest.raises(TypeError, match="pre_dbp"):
        SafetyThresholds(pre_dbp="90")
    with pytest.raises(TypeError, match="thresholds"):
        derive_safety(one_session([120, 130], [80, 85], (-5, 40), ("pre", "peak")), thresholds={})


@pytest.mark.parametrize(
    ("peak_sbp", "peak_dbp", "inclusive", "flag_sbp", "flag_dbp"),
    [
        (180, 100, True, True, False),  # exactly 180: >= 180
        (179, 109, True, False, False),  # just below both
        (170, 110, True, False, True),  # exactly 110
        (180, 110, False, False, False),  # strict: 180 is not > 180
        (181, 111, False, True, True),
    ],
)
def test_post_dose_flags_at_the_limits(peak_sbp, peak_dbp, inclusive, flag_sbp, flag_dbp):
    f = one_session(
        [130, peak_sbp, 140], [80, peak_dbp, 85], (-5, 40, 120), ("pre", "peak", "discharge")
    )
    s = session_row(f, SafetyThresholds(inclusive=inclusive))
    assert s["flag_post_sbp"] == flag_sbp
    assert s["flag_post_dbp"] == flag_dbp
    assert s["flag_post"] == (flag_sbp or flag_dbp)
    assert not s["flag_pre"]
    assert s["flag_any"] == (flag_sbp or flag_dbp)


@pytest.mark.parametrize(
    ("pre_sbp", "pre_dbp", "inclusive", "flag_sbp", "flag_dbp"),
    [
        (140, 80, True, True, False),  # exactly 140
        (130, 90, True, False, True),  # exactly 90
        (139, 89, True, False, False),
        (140, 90, False, False, False),  # the label's "greater than"
        (141, 91, False, True, True),
    ],
)
def test_pre_dose_flags_at_the_limits(pre_sbp, pre_dbp, inclusive, flag_sbp, flag_dbp):
    f = one_session([pre_sbp, 150], [pre_dbp, 95], (-5, 40), ("pre", "peak"))
    s = session_row(f, SafetyThresholds(inclusive=inclusive))
    assert s["flag_pre_sbp"] == flag_sbp
    assert s["flag_pre_dbp"] == flag_dbp
    assert s["flag_pre"] == (flag_sbp or flag_dbp)
    assert not s["flag_post"]


def test_custom_thresholds():
    f = one_session([130, 165], [80, 95], (-5, 40), ("pre", "peak"))
    assert not session_row(f)["flag_post"]
    assert session_row(f, SafetyThresholds(post_sbp=160))["flag_post"]


# ---------------------------------------------------------------------------------------
# derivations, by hand
# ---------------------------------------------------------------------------------------
def test_pre_peak_rise_and_return_by_hand():
    # pre 130/80; after dosing 182/95 at 40, 150/88 at 80, 140/84 at 120.
    # SBP: peak 182 at 40, rise 52; limit 130 * 1.1 = 143: 150 > 143 at 80, 140 <= 143 at
    # 120 -> 120 min. DBP: peak 95, rise 15; limit 88: 88 <= 88 at 80 -> 80 min.
    f = one_session([130, 182, 150, 140], [80, 95, 88, 84])
    s = session_row(f)
    assert (s["sbp_pre"], s["sbp_peak"], s["sbp_rise"]) == (130, 182, 52)
    assert (s["dbp_pre"], s["dbp_peak"], s["dbp_rise"]) == (80, 95, 15)
    assert s["sbp_peak_minutes"] == 40 and s["dbp_peak_minutes"] == 40
    assert (s["sbp_discharge"], s["dbp_discharge"]) == (140, 84)
    assert s["sbp_returned"] and s["sbp_minutes_to_return"] == 120
    assert s["dbp_returned"] and s["dbp_minutes_to_return"] == 80
    assert s["n_readings"] == 4 and s["infusion"] == 1
    assert s["flag_post"] and not s["flag_pre"]  # 182 >= 180


def test_return_never_reached():
    # pre 120, limit 132: 150 at 40, 140 at 80, 135 at 120 all above -> not returned
    s = session_row(one_session([120, 150, 140, 135], [80, 85, 84, 83]))
    assert s["sbp_returned"] is False or s["sbp_returned"] == False  # noqa: E712
    assert np.isnan(s["sbp_minutes_to_return"])
    # DBP limit 88: never above -> never left the band: 0 minutes
    assert s["dbp_returned"] and s["dbp_minutes_to_return"] == 0


def test_a_dip_before_the_peak_is_not_a_return():
    # pre 100 (limit 110): 105 at 20 (inside), 130 at 40 (peak), 108 at 60 -> 60, not 20
    f = one_session([100, 105, 130, 108], [60, 62, 70, 61], (-5, 20, 40, 60))
    f["timepoint"] = ["pre", "post", "peak", "post"]
    s = session_row(f)
    assert s["sbp_peak_minutes"] == 40
    assert s["sbp_minutes_to_return"] == 60


def test_return_exactly_at_the_band():
    # pre 100, limit 100 * 1.1 = 110: a reading of exactly 110 has returned
    s = session_row(one_session([100, 130, 110, 104], [60, 70, 65, 61]))
    assert s["sbp_minutes_to_return"] == 80
    # a 20 % band: limit 120; 110 at 80 is back, but so is nothing earlier (130 at 40)
    s = session_row(
        one_session([100, 130, 125, 104], [60, 70, 65, 61]), SafetyThresholds(return_within=0.2)
    )
    assert s["sbp_minutes_to_return"] == 120


def test_missing_peak():
    # only a pre-dose reading: no peak, no rise, post flag unknown, return unknown
    f = one_session([150, None], [85, None], (-5, 40), ("pre", "peak"))
    s = session_row(f)
    assert s["sbp_pre"] == 150 and np.isnan(s["sbp_peak"]) and np.isnan(s["sbp_rise"])
    assert s["flag_pre"]  # 150 >= 140
    assert pd.isna(s["flag_post"]) and pd.isna(s["flag_post_sbp"])
    assert s["flag_any"]  # True or unknown is True
    assert pd.isna(s["sbp_returned"]) and np.isnan(s["sbp_minutes_to_return"])


def test_no_pre_dose_value():
    f = one_session([None, 185, 150], [None, 100, 90], (-5, 40, 120), ("pre", "peak", "post"))
    s = session_row(f)
    assert np.isnan(s["sbp_pre"]) and s["sbp_peak"] == 185 and np.isnan(s["sbp_rise"])
    assert pd.isna(s["flag_pre"])
    assert s["flag_post"]  # 185 >= 180 is known without the pre-dose value
    assert pd.isna(s["sbp_returned"]) and np.isnan(s["sbp_minutes_to_return"])


def test_partly_missing_flags_follow_kleene_logic():
    # pre SBP 150 with DBP missing: flag_pre True; pre SBP 120 with DBP missing: unknown
    f = vitals(
        ("a", 1, "pre", -5, 150, None),
        ("a", 1, "peak", 40, 160, 90),
        ("a", 2, "pre", -5, 120, None),
        ("a", 2, "peak", 40, 130, 85),
    )
    s = derive_safety(f).sessions
    assert s["flag_pre"].tolist()[0] is True or s["flag_pre"].iloc[0] == True  # noqa: E712
    assert pd.isna(s["flag_pre"].iloc[1])
    assert pd.isna(s["flag_pre_dbp"].iloc[0]) and s["flag_pre_sbp"].iloc[0]


def test_untimed_reading_after_dosing_makes_return_unknown():
    f = vitals(
        ("a", 1, "pre", -5, 120, 80),
        ("a", 1, "peak", 40, 150, 90),
        ("a", 1, "discharge", None, 125, 82),  # no minutes: cannot be placed in time
    )
    s = session_row(f)
    assert s["sbp_peak"] == 150 and s["sbp_discharge"] == 125
    assert pd.isna(s["sbp_returned"]) and np.isnan(s["sbp_minutes_to_return"])


def test_labels_without_minutes_still_give_pre_peak_and_flags():
    f = vitals(
        ("a", 1, "pre", None, 142, 85),
        ("a", 1, "peak", None, 176, 111),
        ("a", 1, "discharge", None, 150, 90),
    )
    s = session_row(f)
    assert (s["sbp_pre"], s["sbp_peak"], s["sbp_rise"]) == (142, 176, 34)
    assert s["flag_pre_sbp"] and s["flag_post_dbp"] and not s["flag_post_sbp"]
    assert np.isnan(s["sbp_peak_minutes"])


def test_the_last_pre_dose_reading_counts_per_measure():
    # pre readings at -30 (150/95) and -5 (132/missing): SBP pre is 132 (latest); DBP pre
    # is 95 (the latest reading that has a DBP)
    f = vitals(
        ("a", 1, "pre", -5, 132, None),
        ("a", 1, "pre", -30, 150, 95),
        ("a", 1, "peak", 40, 160, 100),
    )
    s = session_row(f)
    assert s["sbp_pre"] == 132 and s["dbp_pre"] == 95
    assert s["sbp_rise"] == 28 and s["dbp_rise"] == 5


def test_heart_rate_and_spo2():
    f = pd.DataFrame(
        {
            "patient_id": "a",
            "session": 1,
            "timepoint": ["pre", "peak", "discharge"],
            "minutes": [-5, 40, 120],
            "sbp": [120, 130, 121],
            "dbp": [80, 84, 80],
            "hr": [70, 84, 72],
            "spo2": [98, 95, 97],
        }
    )
    s = session_row(f)
    # HR: rise 14; limit 77; 72 at 120 -> 120 min. SpO2: lowest after dosing 95.
    assert (s["hr_pre"], s["hr_peak"], s["hr_rise"]) == (70, 84, 14)
    assert s["hr_minutes_to_return"] == 120
    assert (s["spo2_pre"], s["spo2_min"]) == (98, 95)


def test_sessions_patients_events_and_cadss_by_hand():
    vit = pd.DataFrame(
        {
            "patient_id": ["p1"] * 4 + ["p2"] * 2,
            "session": [0, 0, 2, 2, 0, 0],
            "timepoint": ["pre", "peak"] * 3,
            "minutes": [-5, 40] * 3,
            "sbp": [120, 150, 145, 185, 118, 124],
            "dbp": [80, 90, 92, 105, 75, 79],
            "route": ["IV", "IV", "IV", "IV", "intranasal", "intranasal"],
            "dose_mg_per_kg": [0.5, 0.5, 0.5, 0.5, np.nan, np.nan],
            "dose_mg": [np.nan, np.nan, np.nan, np.nan, 84.0, 84.0],
        }
    )
    ae = pd.DataFrame(
        {
            "patient_id": ["p1", "p1", "p1", "p2", "p3"],
            "session": [0, 0, 2, 0, 0],
            "ae_term": ["nausea", "dissociation", "increased blood pressure", "none", "headache"],
            "severity": ["mild", "severe", "moderate", None, "mild"],
            "serious": ["no", "no", "yes", None, "no"],
        }
    )
    scores = pd.DataFrame(
        {
            "patient_id": ["p1", "p1", "p2", "p3", "p3"],
            "session": [0, 2, 0, 0, 0],
            "scale": ["CADSS", "CADSS", "CADSS", "CADSS", "MADRS"],
            "score": [20.0, 12.0, 8.0, 30.0, 33.0],
            "route": ["IV", "IV", "intranasal", "IM", "IM"],
        }
    )
    out = derive_safety(vit, ae, scores)
    s = out.sessions
    # sessions: p1 0 and 2 (vitals), p2 0, p3 0 (adverse events and CADSS only)
    assert list(zip(s["patient_id"], s["session"], strict=True)) == [
        ("p1", 0),
        ("p1", 2),
        ("p2", 0),
        ("p3", 0),
    ]
    assert s["infusion"].tolist() == [1, 2, 1, 1]
    assert s["route"].tolist() == ["IV", "IV", "intranasal", "IM"]  # p3's from the scores
    assert s["dose_group"].tolist() == ["IV 0.5 mg/kg", "IV 0.5 mg/kg", "intranasal 84 mg", "IM"]
    assert s["sbp_rise"].tolist()[:3] == [30, 40, 6]
    assert np.isnan(s["sbp_rise"].iloc[3])
    assert s["flag_post"].tolist()[:3] == [False, True, False] and pd.isna(s["flag_post"][3])
    assert s["flag_pre"].tolist()[:3] == [False, True, False]  # 145 >= 140; 92 >= 90
    assert s["n_ae"].tolist() == [2, 1, 0, 1]
    assert s["any_ae"].tolist() == [True, True, False, True]
    assert s["any_severe_ae"].tolist() == [True, False, False, False]
    assert s["any_serious_ae"].tolist() == [False, True, False, False]
    assert s["cadss"].tolist() == [20, 12, 8, 30]
    p = out.patients.set_index("patient_id")
    assert p.loc["p1", "n_sessions"] == 2 and p.loc["p1", "n_flag_post"] == 1
    assert p.loc["p1", "sbp_peak_max"] == 185 and p.loc["p1", "sbp_rise_max"] == 40
    assert p.loc["p1", "sbp_rise_mean"] == 35  # (30 + 40) / 2
    assert p.loc["p1", "n_ae"] == 3 and p.loc["p1", "n_sessions_ae"] == 2
    assert (p.loc["p1", "cadss_first"], p.loc["p1", "cadss_max"]) == (20, 20)
    assert p["any_ae"].tolist() == [True, False, True]
    assert p["any_serious_ae"].tolist() == [True, False, False]
    assert pd.isna(p.loc["p3", "any_flag_post"])
    ev = out.adverse_events
    assert ev["ae_term"].tolist() == [
        "nausea",
        "dissociation",
        "increased blood pressure",
        "headache",
    ]
    assert ev["infusion"].tolist() == [1, 1, 2, 1]
    assert ev["route"].tolist() == ["IV", "IV", "IV", "IM"]
    assert out.tidy().set_index("quantity").loc["sessions with a post-dose flag", "k"] == 1
    # summary() is plain text built from tidy(), as on every result
    text = out.summary()
    assert isinstance(text, str) and text.startswith("Safety: ")
    assert "  sessions with a post-dose flag: 1 of " in text


def test_cadss_from_vitals_when_scores_lack_it():
    f = pd.DataFrame(
        {
            "patient_id": "a",
            "session": [1, 1, 1, 2, 2],
            "timepoint": ["pre", "peak", "discharge", "pre", "peak"],
            "sbp": [120, 130, 121, 119, 128],
            "cadss": [0, 24, 3, 0, 15],
        }
    )
    assert derive_safety(f).sessions["cadss"].tolist() == [24, 15]


def test_derive_refuses_bad_input_and_needs_some_data():
    with pytest.raises(ka.DataError, match="out_of_range|outside the plausible"):
        derive_safety(vitals(("a", 1, "pre", -5, 20, 10)))
    with pytest.raises(ValueError, match="needs vitals"):
        derive_safety()
    with pytest.raises(TypeError, match="DataFrame"):
        derive_safety([1, 2])


def test_sessions_of_different_kinds_are_refused():
    v = vitals(("a", 1, "pre", -5, 120, 80))
    ae = pd.DataFrame({"patient_id": ["a"], "session": ["x"], "ae_term": ["nausea"]})
    ae["session"] = pd.Categorical(ae["session"], ordered=True)
    with pytest.raises(ValueError, match="different kinds"):
        derive_safety(v, ae)


def test_derivation_of_a_registry_sized_cohort():
    # how long it takes is measured by benchmarks/derive_safety.py, not asserted here
    cohort = simulate_cohort(1500, seed=5, items=False)
    v, ae = simulate_safety(cohort, seed=6)
    out = derive_safety(v, ae)
    assert len(out.sessions) == (cohort["scale"] == "CADSS").sum()


# ---------------------------------------------------------------------------------------
# the simulator
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def simulated():
    cohort = simulate_cohort(300, seed=4)
    return cohort, *simulate_safety(cohort, seed=9)


def test_simulation_is_reproducible_and_leaves_global_state():
    cohort = simulate_cohort(30, seed=1)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    a = simulate_safety(cohort, seed=3)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    b = simulate_safety(cohort, seed=3)
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert not a[0].equals(simulate_safety(cohort, seed=4)[0])


def test_simulation_matches_the_cohort_sessions(simulated):
    cohort, vit, ae = simulated
    cad = cohort[cohort["scale"] == "CADSS"]
    treated = set(zip(cad["patient_id"], cad["session"], strict=True))
    assert set(zip(vit["patient_id"], vit["session"], strict=True)) == treated
    assert set(zip(ae["patient_id"], ae["session"], strict=True)) <= treated
    # every session has its pre-dose reading; routes copied from the cohort
    pre = vit[vit["timepoint"] == "pre"]
    assert len(pre) == len(treated)
    route = cohort.drop_duplicates("patient_id").set_index("patient_id")["route"]
    assert (vit["route"].to_numpy() == route.reindex(vit["patient_id"]).to_numpy()).all()
    assert validate_vitals(vit).ok and validate_adverse_events(ae).ok


def test_simulated_blood_pressure_peaks_at_40_minutes_and_falls_by_discharge(simulated):
    cohort, vit, ae = simulated
    out = derive_safety(vit, ae, cohort)
    s = out.sessions
    by_tp = vit.groupby("timepoint")["sbp"].mean()
    assert by_tp["peak"] > by_tp["post"] > by_tp["discharge"] > by_tp["pre"] - 1
    assert 8 < s["sbp_rise"].mean() < 20  # ketamine: a transient rise of 10-20 mmHg
    assert s["sbp_returned"].mean() > 0.9
    assert s["flag_post"].mean() < 0.06  # crossing 180/110 is rare
    iv = s[s["route"] == "IV"]["sbp_rise"].mean()
    nasal = s[s["route"] == "intranasal"]["sbp_rise"].mean()
    assert iv > nasal
    # dissociation events follow the CADSS; events wane over sessions
    ev = out.adverse_events.merge(s[["patient_id", "session", "cadss"]])
    dis = ev[ev["ae_term"] == "dissociation"]
    assert dis["cadss"].mean() > s["cadss"].mean()
    first = s[s["infusion"] == 1]["any_ae"].mean()
    sixth = s[s["infusion"] == 6]["any_ae"].mean()
    assert first > sixth


def test_simulation_needs_cadss_rows():
    cohort = simulate_cohort(5, seed=1)
    with pytest.raises(ValueError, match="no CADSS rows"):
        simulate_safety(cohort[cohort["scale"] != "CADSS"])
    with pytest.raises(ValueError, match="missing"):
        simulate_safety(cohort.drop(columns="score"))


def test_sample_readme_documents_the_safety_files():
    text = (SAMPLE / "README.md").read_text()
    assert "`vitals.csv`" in text and "`adverse_events.csv`" in text
    assert "all seven files" in text
    json.loads((SAMPLE / "cohort_redcap_events.json").read_text())  # untouched, still valid
