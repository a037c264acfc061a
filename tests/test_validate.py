"""Tests of ka.validate: one hand-built frame per check, the report, and the bad-input corpus.

Each check test builds the smallest DataFrame that triggers the check and asserts the
issue's severity, check code, row (the DataFrame index label, or the file row for the
corpus) and column. Expected totals are computed by hand in the test.
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
from ketanalysis import DataWarning

BAD = Path(__file__).parent / "data" / "bad"
MANIFEST = pd.read_csv(BAD / "MANIFEST.csv", dtype=str, keep_default_na=False)


def issues_of(report, check, severity=None) -> pd.DataFrame:
    out = report.issues[report.issues["check"] == check]
    if severity is not None:
        out = out[out["severity"] == severity]
    return out.reset_index(drop=True)


def only_issue(report, check):
    """The single issue of a check (asserting there is exactly one)."""
    hits = issues_of(report, check)
    assert len(hits) == 1, report.issues.to_string()
    return hits.iloc[0]


def frame(*rows, **columns) -> pd.DataFrame:
    """Rows as (patient_id, session, scale, score) tuples plus extra columns."""
    df = pd.DataFrame(rows, columns=["patient_id", "session", "scale", "score"])
    for name, values in columns.items():
        df[name] = values
    return df


# ---------------------------------------------------------------------------------------
# a valid frame
# ---------------------------------------------------------------------------------------
def test_valid_frame_passes_unchanged(madrs_frame):
    report = ka.validate(madrs_frame)
    assert report.ok
    assert report.issues.empty and report.audit.empty
    assert report.n_rows_in == report.n_rows_out == 12
    out = report.frame
    assert list(out.columns[:5]) == ["patient_id", "session", "day", "scale", "score"]
    assert out["source_row"].tolist() == list(range(12))  # the index labels
    assert out["score"].tolist() == madrs_frame["score"].tolist()
    assert report.raise_for_errors() is report


def test_scale_spellings_are_normalised():
    df = frame(
        ("a", 0, "PHQ-9", 12), ("a", 1, "phq9", 6), ("b", 0, "ham-d", 20), ("b", 1, "HDRS", 9)
    )
    out = ka.validate(df).frame
    assert out["scale"].tolist() == ["PHQ9", "PHQ9", "HAMD17", "HAMD17"]


def test_scale_argument_replaces_a_scale_column():
    df = pd.DataFrame({"patient_id": ["a", "a"], "session": [0, 1], "score": [30, 12]})
    report = ka.validate(df, scale="MADRS")
    assert report.ok
    assert report.frame["scale"].tolist() == ["MADRS", "MADRS"]


def test_index_labels_are_the_rows_of_a_dataframe():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 75), index=None).drop(columns="index")
    df.index = ["r10", "r11"]
    issue = only_issue(ka.validate(df), "out_of_range")
    assert issue["row"] == "r11"


def test_bad_arguments():
    with pytest.raises(TypeError, match="DataFrame"):
        ka.validate([1, 2, 3])
    with pytest.raises(ValueError, match="baseline"):
        ka.validate(frame(("a", 0, "MADRS", 30)), baseline="earliest")
    df = frame(("a", "pre", "MADRS", 30))
    df["session"] = pd.Categorical(df["session"], ["pre", "post"], ordered=True)
    with pytest.raises(ValueError, match="not a session label"):
        ka.validate(df, baseline="baseline")


# ---------------------------------------------------------------------------------------
# errors, one test per check
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("column", ["patient_id", "session", "scale", "score"])
def test_missing_required_column(column):
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 20)).drop(columns=column)
    report = ka.validate(df)
    issue = only_issue(report, "missing_column")
    assert (issue["severity"], issue["column"]) == ("error", column)
    assert pd.isna(issue["row"])
    assert f"'{column}'" in issue["message"]
    with pytest.raises(ka.DataError, match=f"column {column}"):
        report.raise_for_errors()


def test_items_without_score_column_are_enough():
    df = pd.DataFrame(
        {"patient_id": ["a", "a"], "session": [0, 1], "scale": "GAD7"}
        | {f"item_{i}": [2, 1] for i in range(1, 8)}
    )
    report = ka.validate(df)
    assert report.ok
    assert report.frame["score"].tolist() == [14.0, 7.0]
    assert report.frame["score_source"].tolist() == ["items", "items"]


def test_missing_id():
    df = frame(("a", 0, "MADRS", 30), (None, 1, "MADRS", 20), ("  ", 2, "MADRS", 10))
    hits = issues_of(ka.validate(df), "missing_id")
    assert hits["row"].tolist() == [1, 2]
    assert set(hits["severity"]) == {"error"} and set(hits["column"]) == {"patient_id"}


def test_numeric_patient_ids_become_text_without_decimals():
    df = frame((12.0, 0, "MADRS", 30), (12.0, 1, "MADRS", 20))
    assert ka.validate(df).frame["patient_id"].tolist() == ["12", "12"]


def test_missing_session():
    df = frame(("a", 0, "MADRS", 30), ("a", np.nan, "MADRS", 20))
    issue = only_issue(ka.validate(df), "missing_session")
    assert (issue["severity"], issue["row"], issue["column"]) == ("error", 1, "session")


def test_text_sessions_are_refused_but_ordered_categories_accepted():
    df = frame(("a", "baseline", "MADRS", 30), ("a", "week 1", "MADRS", 20))
    hits = issues_of(ka.validate(df), "session_type")
    assert hits["row"].tolist() == [0, 1]
    assert set(hits["severity"]) == {"error"} and set(hits["column"]) == {"session"}
    assert "'week 1'" in hits["message"][1]

    df["session"] = pd.Categorical(df["session"], ["baseline", "week 1"], ordered=True)
    assert ka.validate(df, baseline="baseline").ok


def test_unknown_scale_suggests_the_closest_name():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRSS", 20), ("a", 2, "Beck", 10))
    hits = issues_of(ka.validate(df), "unknown_scale")
    assert hits["row"].tolist() == [1, 2]
    assert set(hits["column"]) == {"scale"} and set(hits["severity"]) == {"error"}
    assert "did you mean 'MADRS'?" in hits["message"][0]
    assert "valid scales are MADRS, PHQ9" in hits["message"][1]


def test_several_scales_without_scale_column():
    df = pd.DataFrame({"patient_id": ["a", "a"], "session": [0, 1], "score": [30, 12]})
    issue = only_issue(ka.validate(df, scale=["MADRS", "PHQ9"]), "several_scales")
    assert (issue["severity"], issue["column"]) == ("error", "scale")
    assert "MADRS, PHQ9" in issue["message"]


def test_non_numeric_score_item_and_day():
    df = frame(
        ("a", 0, "PHQ9", "19"),
        ("a", 1, "PHQ9", "twelve"),
        ("a", 2, "PHQ9", np.nan),
        day=["0", "1", "about 3"],
    )
    for i in range(1, 10):
        df[f"item_{i}"] = [2, 1, 1]
    df["item_1"] = [1, 1, 1]
    df["item_4"] = df["item_4"].astype(object)
    df.loc[2, "item_4"] = "x"
    df.loc[0, "score"] = "17"
    report = ka.validate(df)
    hits = issues_of(report, "non_numeric")
    assert list(zip(hits["row"], hits["column"], strict=True)) == [
        (1, "score"),
        (2, "item_4"),
        (2, "day"),
    ]
    assert set(hits["severity"]) == {"error"}
    assert "'twelve'" in hits["message"][0]


def test_score_out_of_range_and_infinite():
    df = frame(
        ("a", 0, "MADRS", 61),
        ("a", 1, "MADRS", -1),
        ("a", 2, "PHQ9", 27),
        ("a", 3, "MADRS", np.inf),
    )
    hits = issues_of(ka.validate(df), "out_of_range")
    assert hits["row"].tolist() == [0, 1, 3]  # one issue per cell; PHQ-9 27 is the maximum
    assert set(hits["column"]) == {"score"} and set(hits["severity"]) == {"error"}
    assert "MADRS total 61 is outside 0-60" in hits["message"][0]
    assert hits["message"][2] == "score is infinite"


def test_item_out_of_range_uses_each_items_own_maximum():
    # HAM-D17 item 4 (insomnia, early) is scored 0-2, item 1 is 0-4.
    items = [4, 0, 0, 3] + [0] * 13
    df = frame(("a", 0, "HAMD17", np.nan))
    for i, v in enumerate(items, start=1):
        df[f"item_{i}"] = v
    issue = only_issue(ka.validate(df), "out_of_range")
    assert (issue["severity"], issue["row"], issue["column"]) == ("error", 0, "item_4")
    assert "it must be 0-2" in issue["message"]


def test_item_beyond_the_scales_item_count():
    df = frame(("a", 0, "PHQ9", 9), ("a", 0, "MADRS", 10))
    for i in range(1, 11):
        df[f"item_{i}"] = 1
    issue = only_issue(ka.validate(df), "out_of_range")
    assert (issue["row"], issue["column"]) == (0, "item_10")


def test_item_like_covariate_is_not_an_item():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 20), item_comment=["calm", None])
    report = ka.validate(df)
    assert report.ok
    assert "item_comment" in report.frame.columns


def test_fractional_item():
    df = frame(("a", 0, "GAD7", np.nan))
    for i in range(1, 8):
        df[f"item_{i}"] = 1.0
    df.loc[0, "item_2"] = 1.5
    issue = only_issue(ka.validate(df), "not_whole")
    assert (issue["severity"], issue["row"], issue["column"]) == ("error", 0, "item_2")


def test_total_mismatch_sum_and_qids_domains():
    # MADRS: items sum to 22, total given 24.
    madrs = [3, 3, 2, 3, 2, 3, 2, 2, 2, 0]
    # QIDS-SR16 by hand (Rush et al. 2003): sleep max(1,0,0,2)=2, mood 1, appetite
    # max(0,1,0,0)=1, items 10-14 = 1+1+0+2+2 = 6, psychomotor max(1,0)=1 -> 11; the plain
    # item sum is 15.
    qids = [1, 0, 0, 2, 1, 0, 1, 0, 0, 1, 1, 0, 2, 2, 1, 0]
    df = pd.DataFrame(
        [
            {"patient_id": "a", "session": 0, "scale": "MADRS", "score": 24}
            | {f"item_{i}": v for i, v in enumerate(madrs, 1)},
            {"patient_id": "a", "session": 0, "scale": "QIDS_SR16", "score": 15}
            | {f"item_{i}": v for i, v in enumerate(qids, 1)},
            {"patient_id": "b", "session": 0, "scale": "QIDS_SR16", "score": 11}
            | {f"item_{i}": v for i, v in enumerate(qids, 1)},
        ]
    )
    hits = issues_of(ka.validate(df), "total_mismatch")
    assert hits["row"].tolist() == [0, 1]
    assert set(hits["column"]) == {"score"} and set(hits["severity"]) == {"error"}
    assert "the items sum to 22" in hits["message"][0]
    assert "domain total 11" in hits["message"][1]


def test_total_of_a_prorated_phq9_may_be_rounded():
    # 1 item missing; answered items sum to 10 over 8 -> 9 * 10 / 8 = 11.25; a total of 11
    # (rounded) is accepted, 13 is not.
    items = [2, 1, 1, 1, 1, 1, 1, 2, np.nan]
    df = frame(("a", 0, "PHQ9", 11), ("b", 0, "PHQ9", 13))
    for i, v in enumerate(items, start=1):
        df[f"item_{i}"] = v
    issue = only_issue(ka.validate(df), "total_mismatch")
    assert issue["row"] == 1


def test_conflicting_duplicates_name_both_rows():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 20), ("a", 1, "MADRS", 22))
    hits = issues_of(ka.validate(df), "duplicate")
    assert hits["row"].tolist() == [1, 2]
    assert set(hits["severity"]) == {"error"} and set(hits["column"]) == {"session"}
    assert "rows 1, 2" in hits["message"][0]


def test_a_row_without_score_does_not_conflict_with_a_scored_one():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 20), ("a", 1, "MADRS", np.nan))
    report = ka.validate(df)
    assert report.ok
    assert report.audit["row"].tolist() == [2]
    assert report.audit["reason"].tolist() == ["score missing"]


def test_day_order_names_the_earlier_session():
    df = frame(
        ("a", 0, "MADRS", 30),
        ("a", 1, "MADRS", 25),
        ("a", 2, "MADRS", 20),
        ("a", 3, "MADRS", 15),
        day=[0, 8, 4, 11],
    )
    issue = only_issue(ka.validate(df), "day_order")
    assert (issue["severity"], issue["row"], issue["column"]) == ("error", 2, "day")
    assert "earlier than session 1 (row 1, day 8)" in issue["message"]


def test_day_order_is_per_scale():
    # PHQ-9 at session 1 on day 3 is not compared with MADRS at session 0 on day 5.
    df = frame(("a", 0, "MADRS", 30), ("a", 0, "PHQ9", 15), ("a", 1, "PHQ9", 10), day=[5, 0, 3])
    assert ka.validate(df).ok


@pytest.mark.parametrize(
    ("day", "text"),
    [(-3.0, "is negative"), (np.inf, "is infinite"), (-np.inf, "is infinite"), (45366.0, "serial")],
)
def test_day_value(day, text):
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 20), day=[0.0, day])
    issue = only_issue(ka.validate(df), "day_value")
    assert (issue["severity"], issue["row"], issue["column"]) == ("error", 1, "day")
    assert text in issue["message"]


def test_allow_negative_days():
    df = frame(("a", -1, "MADRS", 32), ("a", 0, "MADRS", 30), ("a", 1, "MADRS", 20), day=[-7, 0, 1])
    assert issues_of(ka.validate(df), "day_value")["row"].tolist() == [0]
    report = ka.validate(df, allow_negative_days=True)
    assert report.ok and report.issues.empty


def test_calendar_dates_in_day_column():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 20))
    df["day"] = pd.to_datetime(["2024-03-01", "2024-03-02"])
    report = ka.validate(df, allow_identifiers=["day"])  # past the PHI guard
    issue = only_issue(report, "day_value")
    assert (issue["severity"], issue["column"]) == ("error", "day")
    assert "to_relative_days" in issue["message"]


def test_no_patient_has_a_baseline():
    df = frame(("a", 1, "MADRS", 30), ("a", 2, "MADRS", 20), ("b", 1, "MADRS", 25))
    issue = only_issue(ka.validate(df), "no_baseline")
    assert (issue["severity"], issue["column"]) == ("error", "session")
    assert pd.isna(issue["row"])
    assert "sessions present: 1, 2" in issue["message"]


def test_last_pre_baseline_needs_a_day_column():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 20))
    issue = only_issue(ka.validate(df, baseline="last_pre"), "no_baseline")
    assert (issue["severity"], issue["column"]) == ("error", "day")


# ---------------------------------------------------------------------------------------
# warnings and exclusions: every excluded row is in the audit
# ---------------------------------------------------------------------------------------
def test_identical_duplicates_are_kept_once_with_an_audit_entry():
    df = frame(
        ("a", 0, "MADRS", 30),
        ("a", 1, "MADRS", 20),
        ("a", 1, "MADRS", 20),
        ("a", 1, "MADRS", 20),
        day=[0, 1, 1, 1],
    )
    report = ka.validate(df)
    assert report.ok
    hits = issues_of(report, "duplicate")
    assert hits["row"].tolist() == [2, 3]
    assert set(hits["severity"]) == {"warning"}
    assert hits["message"][0] == "identical duplicate of row 1; kept once"
    assert report.frame["source_row"].tolist() == [0, 1]
    assert report.audit["row"].tolist() == [2, 3]
    assert set(report.audit["reason"]) == {"identical duplicate row (kept once)"}
    assert report.exclusions().to_dict("records") == [{"reason": "identical duplicate row", "n": 2}]


def test_missing_score_is_excluded_with_an_audit_entry():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", np.nan), ("a", 2, "MADRS", 12))
    report = ka.validate(df)
    issue = only_issue(report, "missing_score")
    assert (issue["severity"], issue["row"], issue["column"]) == ("warning", 1, "score")
    assert report.audit.to_dict("records") == [
        {"row": 1, "patient_id": "a", "scale": "MADRS", "session": 1, "reason": "score missing"}
    ]


def test_patients_without_baseline_are_excluded_per_scale():
    df = frame(
        ("a", 0, "MADRS", 30),
        ("a", 1, "MADRS", 20),
        ("b", 1, "MADRS", 25),
        ("b", 2, "MADRS", 18),
        ("b", 0, "PHQ9", 15),
        ("b", 1, "PHQ9", 10),
    )
    report = ka.validate(df)
    assert report.ok
    issue = only_issue(report, "no_baseline")
    assert (issue["severity"], issue["row"], issue["column"]) == ("warning", 2, "session")
    assert "patient b has no MADRS baseline" in issue["message"]
    assert report.audit["row"].tolist() == [2, 3]
    assert report.audit["reason"].str.startswith("no baseline assessment").all()
    assert report.frame["source_row"].tolist() == [0, 1, 4, 5]  # b's PHQ-9 rows stay


def test_cadss_needs_no_baseline():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "CADSS", 12), ("a", 2, "CADSS", 4))
    report = ka.validate(df)
    assert report.ok and report.issues.empty


def test_zero_baseline_is_a_warning():
    df = frame(
        ("a", 0, "MADRS", 0), ("a", 1, "MADRS", 3), ("b", 0, "MADRS", 20), ("b", 1, "MADRS", 10)
    )
    report = ka.validate(df)
    assert report.ok and report.audit.empty
    issue = only_issue(report, "zero_baseline")
    assert (issue["severity"], issue["row"], issue["column"]) == ("warning", 0, "score")
    assert "percentage change" in issue["message"]


def test_phq9_prorated_with_one_or_two_items_missing():
    # PHQ instruction manual: the mean of the answered items replaces each missing item.
    answered = {
        0: [2, 3, 1, 2, 2, 1, 0, 1, 1],  # complete: 13
        1: [2, 3, 1, np.nan, 2, 2, 1, 0, 1],  # 12 over 8 -> 9 * 12 / 8 = 13.5
        2: [2, 3, np.nan, 1, 2, 2, 1, 0, np.nan],  # 11 over 7 -> 9 * 11 / 7
        3: [np.nan, np.nan, 1, 1, 2, 2, 1, 0, np.nan],  # 3 missing: no total
    }
    df = frame(*[("a", s, "PHQ9", np.nan) for s in answered])
    for i in range(9):
        df[f"item_{i + 1}"] = [answered[s][i] for s in answered]
    report = ka.validate(df)
    assert report.ok
    out = report.frame.set_index("session")
    assert out.loc[0, "score"] == 13
    assert out.loc[1, "score"] == pytest.approx(13.5)
    assert out.loc[2, "score"] == pytest.approx(9 * 11 / 7)
    assert out["score_source"].tolist() == ["items", "prorated", "prorated"]
    prorated = issues_of(report, "prorated")
    assert prorated["row"].tolist() == [1, 2]
    assert set(prorated["severity"]) == {"warning"}
    issue = only_issue(report, "missing_items")
    assert (issue["severity"], issue["row"]) == ("warning", 3)
    assert report.audit.to_dict("records") == [
        {
            "row": 3,
            "patient_id": "a",
            "scale": "PHQ9",
            "session": 3,
            "reason": "too many missing items for a PHQ9 total (3 of 9; at most 2 may be missing)",
        }
    ]


def test_madrs_with_a_missing_item_has_no_total():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", np.nan))
    for i in range(1, 11):
        df[f"item_{i}"] = [3.0, 2.0]
    df.loc[1, "item_5"] = np.nan
    report = ka.validate(df)
    issue = only_issue(report, "missing_items")
    assert issue["row"] == 1 and "every item is needed" in issue["message"]
    assert report.audit["row"].tolist() == [1]


def test_a_baseline_without_a_total_is_no_baseline():
    # a's PHQ-9 baseline has 3 items missing, so it is excluded; a's later PHQ-9 row then
    # has no baseline and is excluded too, each with its reason. b keeps a PHQ-9 baseline.
    df = frame(("a", 0, "MADRS", 30), ("a", 0, "PHQ9", np.nan), ("a", 1, "PHQ9", 9))
    df = pd.concat([df, frame(("b", 0, "PHQ9", 12))], ignore_index=True)
    for i in range(1, 10):
        df[f"item_{i}"] = [np.nan, 1.0, 1.0, np.nan]
    df.loc[1, ["item_1", "item_2", "item_3"]] = np.nan
    report = ka.validate(df)
    assert report.ok
    assert report.frame["source_row"].tolist() == [0, 3]
    audit = report.audit.set_index("row")["reason"]
    assert audit[1].startswith("too many missing items")
    assert audit[2].startswith("no baseline assessment")


def test_a_scale_without_any_baseline_is_an_error():
    # MADRS starts at session 0 but the PHQ-9 at session 1: the baseline setting is wrong
    # for the PHQ-9; its rows are not silently dropped patient by patient.
    df = frame(
        ("a", 0, "MADRS", 30),
        ("a", 1, "PHQ9", 15),
        ("a", 2, "PHQ9", 9),
        ("b", 0, "MADRS", 28),
        ("b", 1, "PHQ9", 12),
    )
    report = ka.validate(df)
    issue = only_issue(report, "no_baseline")
    assert (issue["severity"], issue["column"]) == ("error", "session")
    assert "no patient has a PHQ9 baseline" in issue["message"]
    assert "PHQ9 sessions present: 1, 2" in issue["message"]
    assert ka.validate(df, baseline="first").ok


# ---------------------------------------------------------------------------------------
# baseline modes
# ---------------------------------------------------------------------------------------
def test_baseline_first():
    df = frame(
        ("a", 1, "MADRS", 30), ("a", 2, "MADRS", 20), ("b", 2, "MADRS", 0), ("b", 3, "MADRS", 4)
    )
    assert not ka.validate(df).ok  # nobody has session 0
    report = ka.validate(df, baseline="first")
    assert report.ok and report.audit.empty
    issue = only_issue(report, "zero_baseline")
    assert issue["row"] == 2  # b's first assessment


def test_baseline_named_session():
    df = frame(("a", 1, "MADRS", 30), ("a", 2, "MADRS", 20), ("b", 2, "MADRS", 25))
    report = ka.validate(df, baseline=1)
    assert report.ok
    assert report.audit["row"].tolist() == [2]
    assert "an assessment at session 1" in report.audit["reason"][0]


def test_baseline_last_pre():
    # a: screening (day -7, score 0) and day 0 (score 30): the baseline is day 0, not zero.
    # b: the last assessment on or before day 0 has score 0 -> warning.
    # c: nothing on or before day 0 -> excluded.
    df = frame(
        ("a", 0, "MADRS", 0),
        ("a", 1, "MADRS", 30),
        ("a", 2, "MADRS", 20),
        ("b", 0, "MADRS", 22),
        ("b", 1, "MADRS", 0),
        ("b", 2, "MADRS", 5),
        ("c", 1, "MADRS", 30),
        ("c", 2, "MADRS", 20),
        day=[-7, 0, 7, -10, -1, 7, 1, 7],
    )
    report = ka.validate(df, baseline="last_pre")  # negative days allowed
    assert report.ok
    assert issues_of(report, "zero_baseline")["row"].tolist() == [4]
    assert issues_of(report, "no_baseline")["row"].tolist() == [6]
    assert report.audit["row"].tolist() == [6, 7]


# ---------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------
def test_error_message_lists_the_first_20_problems_and_counts_the_rest():
    df = frame(*[(f"p{i}", 0, "MADRS", 70 + i) for i in range(25)])
    report = ka.validate(df, source="clinic.csv")
    with pytest.raises(ka.DataError) as info:
        report.raise_for_errors()
    lines = str(info.value).splitlines()
    assert lines[0] == "25 problems in clinic.csv:"
    assert len(lines) == 22
    assert lines[1].startswith("  row 0, column score: MADRS total 70 is outside 0-60")
    assert lines[20].startswith("  row 19, column score")
    assert lines[21] == "  ... and 5 more (see .report.issues)"
    assert len(info.value.report.errors) == 25
    assert isinstance(info.value, ValueError)


def test_summary_text():
    df = frame(
        ("a", 0, "MADRS", 30),
        ("a", 1, "MADRS", 20),
        ("a", 1, "MADRS", 20),
        ("a", 0, "PHQ9", 15),
        ("b", 0, "MADRS", 25),
        ("b", 1, "MADRS", np.nan),
        route=["IV"] * 4 + ["IM"] * 2,
    )
    report = ka.validate(df, source="clinic.csv")
    text = report.summary()
    assert text.splitlines()[:5] == [
        "Validation of clinic.csv: OK",
        "  rows: 6 read, 4 kept, 2 excluded",
        "  patients: 2",
        "  MADRS: 3 assessments of 2 patients, 2 sessions (0 to 1)",
        "  PHQ9: 1 assessments of 1 patients, 1 sessions (0 to 0)",
    ]
    assert "  covariates: route" in text
    assert "  excluded: 1 row: identical duplicate row" in text
    assert "  excluded: 1 row: score missing" in text
    assert "  errors: 0, warnings: 2" in text
    assert "    row 2: identical duplicate of row 1; kept once" in text
    assert str(report) == text
    assert "<pre>" in report._repr_html_()


def test_summary_of_a_failed_report_lists_errors():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 99))
    text = ka.validate(df).summary()
    assert text.startswith("Validation: FAILED")
    assert "errors: 1, warnings: 0" in text
    assert "    row 1, column score: MADRS total 99 is outside 0-60" in text


def test_every_problem_is_reported_at_once():
    df = frame(
        ("a", 0, "MADRS", 30),
        ("a", 1, "MADRSS", 20),
        ("b", 0, "PHQ9", 30),
        (None, 1, "PHQ9", 5),
        day=[0, 1, 0, -1],
    )
    checks = set(ka.validate(df).errors["check"])
    assert checks == {"unknown_scale", "out_of_range", "missing_id", "day_value"}


def test_source_column_of_wide_input_is_named():
    wide = pd.DataFrame({"patient_id": ["a", "b"], "madrs.s0": [30, 28], "madrs.s1": [20, 75]})
    with pytest.raises(ka.DataError) as info:
        ka.from_wide(wide, sessions={"madrs.s0": 0, "madrs.s1": 1}, scale="MADRS")
    issue = only_issue(info.value.report, "out_of_range")
    assert (issue["row"], issue["column"]) == (1, "madrs.s1")


def test_readers_warn_but_keep_rows_that_validation_excludes(tmp_path):
    path = tmp_path / "scores.csv"
    frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", np.nan)).to_csv(path, index=False)
    with pytest.warns(DataWarning, match="exclude 1 row"):
        out = ka.read_scores(path)
    assert out["source_row"].tolist() == [2, 3]
    assert ka.validate(out).audit["row"].tolist() == [3]


# ---------------------------------------------------------------------------------------
# the bad-input corpus (tests/data/bad, described by MANIFEST.csv)
# ---------------------------------------------------------------------------------------
def named_rows(message: str) -> set[int]:
    """Row numbers a message names: "row 7" and the lists in "rows 2, 3, 4"."""
    found = set()
    for m in re.finditer(r"\brows? (\d+(?:, \d+)*)", message):
        found.update(int(x) for x in m.group(1).split(", "))
    return found


def test_named_rows_helper():
    assert named_rows("row 4, column x: ... (rows 6, 8; score 25)") == {4, 6, 8}
    assert named_rows("rows 2, 3 and 5 more") == {2, 3}


def test_manifest_lists_every_file_and_only_existing_files():
    files = {p.name for p in BAD.iterdir() if p.name != "MANIFEST.csv"}
    listed = set(MANIFEST["file"])
    assert files - listed == set(), "files missing from MANIFEST.csv"
    assert listed - files == set(), "MANIFEST.csv lists files that do not exist"
    assert not MANIFEST["file"].duplicated().any()
    assert len(files) >= 15
    assert (MANIFEST["description"].str.len() > 0).all()


@pytest.mark.parametrize("entry", MANIFEST.to_dict("records"), ids=list(MANIFEST["file"]))
def test_bad_file_raises_data_error_naming_rows_and_column(entry):
    kwargs = json.loads(entry["read_kwargs"] or "{}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # warnings are not what these are about
        with pytest.raises(ka.DataError) as info:
            ka.read_scores(BAD / entry["file"], **kwargs)
    err = info.value
    message = str(err)
    assert entry["check"] in set(err.report.errors["check"]), message
    assert entry["file"] in message.splitlines()[0]
    expected_rows = {int(r) for r in entry["rows"].split(";") if r}
    assert expected_rows <= named_rows(message), message
    column = entry["column"]
    assert f"column {column}" in message or repr(column) in message, message


def test_text_session_labels_can_name_the_baseline():
    # from_wide makes an ordered category of text session labels; baseline= names one.
    wide = pd.DataFrame({"patient_id": ["a", "b"], "bdi.pre": [30, 25], "bdi.2m": [12, 20]})
    long = ka.from_wide(
        wide, sessions={"bdi.pre": "pre", "bdi.2m": "2m"}, scale="BDI2", baseline="pre"
    )
    assert long["session"].cat.categories.tolist() == ["pre", "2m"]
    report = ka.validate(long, baseline="pre")
    assert report.ok and report.issues.empty


def test_mixed_index_labels_are_reported_in_order_found():
    df = frame(("a", 0, "MADRS", 30), ("a", 1, "MADRS", 99), ("a", 2, "MADRS", 98))
    df.index = ["x", 7, "y"]
    hits = issues_of(ka.validate(df), "out_of_range")
    assert hits["row"].tolist() == [7, "y"]


def test_a_duplicated_zero_baseline_is_warned_once():
    df = frame(("a", 0, "MADRS", 0), ("a", 0, "MADRS", 0), ("a", 1, "MADRS", 4))
    report = ka.validate(df)
    assert issues_of(report, "zero_baseline")["row"].tolist() == [0]
    assert issues_of(report, "duplicate")["row"].tolist() == [1]


# ---------------------------------------------------------------------------------------
# the warning corpus (tests/data/warn): usable files whose problems are warnings
# ---------------------------------------------------------------------------------------
WARN = Path(__file__).parent / "data" / "warn"
WARN_MANIFEST = pd.read_csv(WARN / "MANIFEST.csv", dtype=str, keep_default_na=False)


def _row_list(text: str) -> list[int]:
    return [int(x) for x in text.split(";") if x]


def test_warn_manifest_lists_every_file():
    files = {p.name for p in WARN.iterdir() if p.name != "MANIFEST.csv"}
    assert files == set(WARN_MANIFEST["file"])


@pytest.mark.parametrize("entry", WARN_MANIFEST.to_dict("records"), ids=list(WARN_MANIFEST["file"]))
def test_warning_file_reads_and_audits_exclusions(entry):
    with pytest.warns(ka.DataWarning):
        frame = ka.read_scores(WARN / entry["file"])
    n_lines = len((WARN / entry["file"]).read_text().strip().splitlines()) - 1
    assert len(frame) == n_lines  # the reader drops nothing
    report = ka.validate(frame)
    assert report.ok, report.summary()
    warned = report.warnings[report.warnings["check"] == entry["check"]]
    assert sorted(warned["row"]) == _row_list(entry["rows"])
    assert sorted(report.audit["row"]) == _row_list(entry["excluded"])
    assert len(report.frame) + len(report.audit) == n_lines


def test_scale_argument_must_agree_with_a_scale_column(madrs_frame):
    # scale= names the scale of data without a scale column; with one, it must agree
    assert ka.validate(madrs_frame, scale="MADRS").ok
    assert ka.validate(madrs_frame, scale="madrs").ok  # spellings normalised
    mixed = madrs_frame.copy()
    mixed.loc[5, "scale"] = "PHQ-9"
    mixed.loc[5, "score"] = 12
    report = ka.validate(mixed, scale="MADRS")
    issue = only_issue(report, "several_scales")
    assert (issue["row"], issue["column"]) == (5, "scale")
    assert "scale= says MADRS but this row's scale column says PHQ9" in issue["message"]


def test_summary_describes_each_scale(madrs_frame):
    text = ka.validate(madrs_frame).summary()
    assert "MADRS: 12 assessments of 3 patients, 4 sessions (0 to 3), days 0 to 7" in text
