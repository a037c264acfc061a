"""Hand-worked tests of every outcome definition (criteria.py, outcomes.py).

Each test builds a tiny frame whose expected outcomes are worked out by hand in the
comments; comparisons are exact (floats to 1e-12).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.outcomes.criteria import (
    SUSTAIN1,
    Criteria,
    PercentChange,
    RapidResponse,
    Relapse,
    ReliableChange,
    Remission,
    Response,
    StableRemission,
    StableResponse,
    SustainedResponse,
    scale_defaults,
)


def course(pid, scores, days=None, scale="MADRS", sessions=None, **cols):
    """One patient's assessments: sessions 0, 1, 2, ... unless given."""
    n = len(scores)
    out = pd.DataFrame(
        {
            "patient_id": pid,
            "session": list(range(n)) if sessions is None else sessions,
            "scale": scale,
            "score": [float(s) for s in scores],
        }
    )
    if days is not None:
        out.insert(2, "day", [float(d) for d in days])
    for k, v in cols.items():
        out[k] = v
    return out


def patients(*frames, **kwargs):
    out = ka.derive(pd.concat(frames, ignore_index=True), **kwargs)
    return out.patients.set_index(["patient_id", "scale"])


def one(*frames, **kwargs) -> pd.Series:
    p = patients(*frames, **kwargs)
    assert len(p) == 1
    return p.iloc[0]


# --- response and remission ----------------------------------------------------------------
def test_response_tie_at_fifty_percent_counts():
    # baseline 30: 16 is a 46.7 % reduction, 15 exactly 50 % -> response at session 2
    out = ka.derive(course("a", [30, 16, 15, 20], days=[0, 1, 7, 14]))
    a = out.assessments
    assert a["response"].tolist() == [False, False, True, False]
    assert a["pct_change"].tolist() == pytest.approx([0, -14 / 30, -0.5, -1 / 3], abs=1e-12)
    p = out.patients.iloc[0]
    assert p["ever_response"] and p["first_response_session"] == 2
    assert p["first_response_day"] == 7 and p["time_to_response"] == 7
    assert p["response_event"] == 1


def test_response_threshold_is_configurable():
    # 40 % reduction: a response with min_reduction=0.4, not with the default 0.5
    frame = course("a", [30, 18], days=[0, 7])
    assert one(frame, response=Response(0.4))["ever_response"]
    assert not one(frame)["ever_response"]


def test_remission_tie_at_threshold_and_scale_defaults():
    # MADRS remission <= 10 by default; PHQ-9 <= 4 (< 5)
    madrs = course("a", [30, 11, 10], days=[0, 7, 14])
    phq = course("a", [20, 5, 4], days=[0, 7, 14], scale="PHQ9")
    out = ka.derive(pd.concat([madrs, phq], ignore_index=True))
    a = out.assessments.set_index(["scale", "session"])
    assert a.loc["MADRS", "remission"].tolist() == [False, False, True]
    assert a.loc["PHQ9", "remission"].tolist() == [False, False, True]
    # esketamine trials: MADRS <= 12
    p = one(madrs, remission=Remission(threshold=12))
    assert p["first_remission_session"] == 1


def test_baseline_is_never_an_event():
    # a baseline already in the remission range is not a remission event
    p = one(course("a", [8, 12, 14], days=[0, 7, 14]))
    assert not p["ever_remission"]
    assert p["time_to_remission"] == 14 and p["remission_event"] == 0


def test_baseline_of_zero():
    # PHQ-9 baseline 0: percentage change undefined, response missing (never a response);
    # remission still defined by the total
    frame = course("a", [0, 3, 2], days=[0, 7, 14], scale="PHQ9")
    with pytest.warns(ka.DataWarning, match="baseline score"):
        frame = ka.read_scores(frame)
    out = ka.derive(frame)
    a = out.assessments
    assert a["pct_change"].isna().all()
    assert a["response"].isna().tolist() == [False, True, True]
    p = out.patients.iloc[0]
    assert not p["ever_response"] and p["ever_remission"]
    assert pd.isna(p["rapid_response"])


def test_never_responding_patient_is_censored_at_the_last_assessment():
    p = one(course("a", [30, 28, 25, 24], days=[0, 1, 14, 40]))
    assert not p["ever_response"]
    assert p["time_to_response"] == 40 and p["response_event"] == 0
    assert pd.isna(p["first_response_session"]) and np.isnan(p["first_response_day"])
    # never in the entry state: not at risk of relapse, relapse is missing, not False
    assert not p["relapse_at_risk"]
    assert pd.isna(p["relapse"]) and np.isnan(p["time_to_relapse"])


def test_time_in_sessions_without_days():
    p = one(course("a", [30, 20, 14, 12]))
    assert p["time_to_response"] == 2 and p["response_event"] == 1
    out = ka.derive(course("a", [30, 20, 14, 12]))
    assert out.time_unit == "sessions"


# --- rapid and sustained response ----------------------------------------------------------
def test_rapid_response_at_24_hours():
    # day 1: 30 -> 14 is a response; the default window is days 0.5-2
    p = one(course("a", [30, 14, 20, 12], days=[0, 1, 3, 7]))
    assert p["rapid_response"]
    p = one(course("a", [30, 18, 14], days=[0, 1, 3]))
    assert not p["rapid_response"]  # 40 % at 24 h; the day-3 response is not rapid
    # no assessment in the window: missing, not False
    p = one(course("a", [30, 14], days=[0, 7]))
    assert pd.isna(p["rapid_response"])
    # by session instead of day
    p = one(course("a", [30, 25, 14]), rapid_response=RapidResponse(at=2))
    assert p["rapid_response"]


def test_sustained_response_and_one_lapse():
    # responses at sessions 1, 2, 4; a lapse at 3 (16/30 = 46.7 %)
    frame = course("a", [30, 15, 14, 16, 12], days=[0, 1, 7, 14, 21])
    assert not one(frame)["sustained_response"]
    assert one(frame, sustained_response=SustainedResponse(allowed_lapses=1))["sustained_response"]
    # the window may end earlier: responses at 1 and 2 only -> sustained through session 2
    assert one(frame, sustained_response=SustainedResponse(until=2))["sustained_response"]


def test_single_post_baseline_assessment():
    # one assessment after baseline: response yes, but not sustained (needs 2) and no
    # stable remission (needs 3 of the last 4)
    p = one(course("a", [30, 6], days=[0, 7]))
    assert p["ever_response"] and p["ever_remission"]
    assert p["n_assessments"] == 2 and p["n_post_baseline"] == 1
    assert not p["sustained_response"]
    assert not p["stable_remission"]
    assert p["last_score"] == 6 and p["last_change"] == -24 and p["last_pct_change"] == -0.8


# --- stable remission and stable response (SUSTAIN-1) ----------------------------------------
def test_stable_remission_three_of_last_four():
    # MADRS <= 12 at 3 of the last 4: 11, 13, 12, 10 -> yes; 11, 13, 13, 10 -> no
    yes = course("a", [30, 11, 13, 12, 10], days=[0, 7, 14, 21, 28])
    no = course("b", [30, 11, 13, 13, 10], days=[0, 7, 14, 21, 28])
    p = patients(yes, no, criteria=SUSTAIN1)
    assert p.loc[("a", "MADRS"), "stable_remission"]
    assert not p.loc[("b", "MADRS"), "stable_remission"]
    # only the last 4 count: an early run of remissions does not make it stable
    early = course("c", [30, 5, 5, 5, 20, 20, 20], days=[0, 7, 14, 21, 28, 35, 42])
    assert not one(early, criteria=SUSTAIN1)["stable_remission"]
    # evaluated at the end of a phase with until=
    crit = SUSTAIN1.replace(stable_remission=StableRemission(3, 4, threshold=12, until=4))
    assert one(early, criteria=crit)["stable_remission"]


def test_stable_response_without_stable_remission():
    # last two: 14 and 13 of baseline 30 -> >= 50 % at each; not in stable remission
    p = one(course("a", [30, 20, 14, 13], days=[0, 7, 14, 21]), criteria=SUSTAIN1)
    assert p["stable_response"] and not p["stable_remission"]
    # in stable remission -> not counted as stable response (SUSTAIN-1)
    p = one(course("b", [30, 10, 9, 8, 7], days=[0, 7, 14, 21, 28]), criteria=SUSTAIN1)
    assert p["stable_remission"] and not p["stable_response"]
    crit = SUSTAIN1.replace(stable_response=StableResponse(exclude_stable_remission=False))
    p = one(course("b", [30, 10, 9, 8, 7], days=[0, 7, 14, 21, 28]), criteria=crit)
    assert p["stable_remission"] and p["stable_response"]


# --- relapse -------------------------------------------------------------------------------
SCORE22 = Relapse(entry="response", condition="score", threshold=22, consecutive=2)


def test_relapse_two_consecutive_and_dated_at_the_second():
    # response at day 7 (14/30); 23 at day 14 and 25 at day 21 -> relapse on day 21
    p = one(course("a", [30, 14, 23, 25, 10], days=[0, 7, 14, 21, 28]), relapse=SCORE22)
    assert p["relapse_at_risk"] and p["relapse"]
    assert p["relapse_session"] == 3 and p["relapse_day"] == 21
    assert p["time_to_relapse"] == 21 - 7 and p["relapse_event"] == 1


def test_relapse_single_high_score_is_not_enough():
    # 23 then 21 then 23: never two in a row at or above 22 -> censored at day 35 - 7
    p = one(course("a", [30, 14, 23, 21, 23], days=[0, 7, 14, 21, 35]), relapse=SCORE22)
    assert p["relapse_at_risk"] and not p["relapse"]
    assert p["time_to_relapse"] == 28 and p["relapse_event"] == 0
    # a tie at the threshold counts: 22 and 22
    p = one(course("a", [30, 14, 22, 22], days=[0, 7, 14, 21]), relapse=SCORE22)
    assert p["relapse"] and p["relapse_day"] == 21


def test_relapse_run_broken_by_a_missing_session():
    # sessions 0, 1, 2, 4, 5: 2 and 4 are adjacent rows but session 3 was missed; with
    # max_session_gap=1 the run 2-4 is broken, and 4-5 is the relapse
    frame = course("a", [30, 14, 24, 24, 25], sessions=[0, 1, 2, 4, 5])
    rule = dataclasses.replace(SCORE22, max_session_gap=1)
    p = one(frame, relapse=rule)
    assert p["relapse"] and p["relapse_session"] == 5
    # without the rule, the adjacent assessments 2 and 4 already make the relapse
    assert one(frame, relapse=SCORE22)["relapse_session"] == 4


def test_relapse_gaps_outside_5_to_15_days_break_the_run():
    rule = dataclasses.replace(SCORE22, min_gap_days=5, max_gap_days=15)
    # gap of 4 days (too close), then 16 days (too far): no relapse
    p = one(course("a", [30, 14, 23, 24, 25], days=[0, 7, 14, 18, 34]), relapse=rule)
    assert p["relapse_at_risk"] and not p["relapse"]
    # the limits are inclusive: gaps of exactly 5 and of exactly 15 days both count
    p = one(course("a", [30, 14, 23, 24], days=[0, 7, 14, 19]), relapse=rule)
    assert p["relapse"] and p["relapse_day"] == 19
    p = one(course("a", [30, 14, 23, 24], days=[0, 7, 14, 29]), relapse=rule)
    assert p["relapse"] and p["relapse_day"] == 29


def test_re_response_after_relapse_keeps_the_first_relapse():
    # response (day 7), relapse (days 14, 21), response again (day 28), high again later
    frame = course("a", [30, 12, 24, 26, 10, 25, 27], days=[0, 7, 14, 21, 28, 35, 42])
    p = one(frame, relapse=SCORE22)
    assert p["relapse_day"] == 21 and p["time_to_relapse"] == 14
    assert p["first_response_day"] == 7 and p["ever_response"]


def test_relapse_as_loss_of_response_and_leaving_remission():
    frame = course("a", [30, 14, 8, 16, 17, 12], days=[0, 7, 14, 21, 28, 35])
    # loss of response: 16 and 17 are < 50 % reductions after the first response at day 7
    p = one(frame, relapse=Relapse(entry="response", condition="loss_of_response"))
    assert p["relapse_day"] == 28 and p["time_to_relapse"] == 21
    # leaving remission: entry at the first remission (8 on day 14), then 16, 17 > 10
    p = one(frame, relapse=Relapse(entry="remission", condition="leaving_remission"))
    assert p["relapse_day"] == 28 and p["time_to_relapse"] == 14


def test_relapse_never_precedes_entry():
    # high scores before the response do not count: 25, 24 precede the response on day 21
    p = one(course("a", [30, 25, 24, 14, 23], days=[0, 7, 14, 21, 28]), relapse=SCORE22)
    assert p["relapse_at_risk"] and not p["relapse"]


def test_sustain1_relapse_with_anchor_and_clinical_event():
    # stable remission over sessions 1-4 (anchor 4: maintenance starts); then MADRS
    # 23 (day 35), 20, 24 (day 49), 26 (day 56, 7 days later) -> relapse on day 56
    days = [0, 7, 14, 21, 28, 35, 42, 49, 56]
    frame = course("a", [32, 12, 11, 13, 10, 23, 20, 24, 26], days=days)
    crit = SUSTAIN1.replace(
        relapse=dataclasses.replace(SUSTAIN1.relapse, anchor=4),
        stable_remission=dataclasses.replace(SUSTAIN1.stable_remission, until=4),
    )
    p = one(frame, criteria=crit)
    assert p["stable_remission"] and p["relapse_at_risk"]
    assert p["relapse_day"] == 56 and p["time_to_relapse"] == 56 - 28
    # a clinical relapse event (hospitalisation) recorded on day 42 counts on its own
    flagged = frame.assign(hospitalised=[False] * 6 + [True, False, False])
    crit_event = crit.replace(
        relapse=dataclasses.replace(crit.relapse, event_column="hospitalised")
    )
    p = one(flagged, criteria=crit_event)
    assert p["relapse_day"] == 42
    # in stable remission but gone before the anchor (last seen at session 3): not at risk
    left = course("c", [32, 12, 11, 10], days=[0, 7, 14, 21])
    crit5 = crit.replace(relapse=dataclasses.replace(crit.relapse, anchor=5))
    assert not one(left, criteria=crit5)["relapse_at_risk"]
    # not in stable remission at the anchor: not at risk
    unstable = course("b", [32, 20, 18, 13, 10, 23, 24, 25, 26], days=days)
    p = one(unstable, criteria=crit)
    assert not p["relapse_at_risk"] and pd.isna(p["relapse"])


# --- reliable and clinically significant change ------------------------------------------------
def test_reliable_change_by_hand():
    # sd 5, reliability 0.8: SEm = 5 * sqrt(0.2) = 2.2361, S_diff = sqrt(2) * SEm = 3.1623
    # change -7: RCI = -2.2136 -> improved; change -6: -1.897 -> unchanged; +7 -> deteriorated
    a = course("a", [30, 23], days=[0, 7])
    b = course("b", [30, 24], days=[0, 7])
    c = course("c", [20, 27], days=[0, 7])
    d = course("d", [20, 9], days=[0, 7])  # -11: improved and 9 <= 10 -> recovered
    rc = ReliableChange(reliability=0.8, sd=5.0)
    out = ka.derive(pd.concat([a, b, c, d], ignore_index=True), reliable_change=rc)
    p = out.patients.set_index("patient_id")
    s_diff = np.sqrt(2) * 5 * np.sqrt(0.2)
    assert p["rci"].tolist() == pytest.approx([-7 / s_diff, -6 / s_diff, 7 / s_diff, -11 / s_diff])
    assert p["reliable_change"].tolist() == ["improved", "unchanged", "deteriorated", "improved"]
    assert p["clinically_significant"].tolist() == [
        "improved",
        "unchanged",
        "deteriorated",
        "recovered",
    ]
    assert out.parameters.loc[0, "rc_s_diff"] == pytest.approx(s_diff, abs=1e-12)


def test_percent_change_categories_by_hand():
    # endpoint changes: 20 -> 14 is -30 % (improved, a tie); 45 -> 32 is -28.9 %
    # (unchanged); 20 -> 24 is +20 % (deteriorated with a 20 % deterioration threshold)
    frames = [
        course("a", [20, 14], days=[0, 7]),
        course("b", [45, 32], days=[0, 7]),
        course("c", [20, 24], days=[0, 7]),
    ]
    out = ka.derive(
        pd.concat(frames, ignore_index=True),
        percent_change=PercentChange(improvement=0.3, deterioration=0.2),
    )
    assert out.patients["pct_change_category"].tolist() == ["improved", "unchanged", "deteriorated"]


def test_endpoint_at_a_named_session():
    # endpoint session 2 (e.g. end of induction): values there, not at the last assessment
    p = one(course("a", [30, 20, 12, 25], days=[0, 7, 14, 60]), endpoint=2)
    assert p["endpoint_score"] == 12 and p["endpoint_change"] == -18
    assert p["endpoint_pct_change"] == pytest.approx(-0.6)
    assert p["pct_change_category"] == "improved"
    assert p["last_score"] == 25
    # a patient without the endpoint session has missing endpoint values and categories
    p = one(course("b", [30, 20, 25], days=[0, 7, 60], sessions=[0, 1, 3]), endpoint=2)
    assert np.isnan(p["endpoint_score"]) and pd.isna(p["pct_change_category"])


# --- suicidality, CADSS, covariates, several scales -------------------------------------------
def test_suicidality_item_and_resolution():
    items = {f"item_{i}": [2, 1, 1] for i in range(1, 11)}
    items["item_10"] = [3, 1, 0]  # MADRS item 10: suicidal thoughts
    frame = course("a", [21, 10, 9], days=[0, 7, 14], **items)
    out = ka.derive(frame)
    assert out.assessments["suicidality"].tolist() == [3, 1, 0]
    p = out.patients.iloc[0]
    assert p["suicidality_baseline"] == 3 and p["suicidality_last"] == 0
    assert p["suicidality_resolved"]


def test_peak_cadss_covariates_and_several_scales():
    madrs = course("a", [30, 14, 12], days=[0, 1, 7], route="IV", arm="ketamine")
    phq = course("a", [18, 10, 8], days=[0, 1, 7], scale="PHQ9", route="IV", arm="ketamine")
    cadss = course("a", [0, 22, 9], days=[0, 1, 7], scale="CADSS", route="IV", arm="ketamine")
    out = ka.derive(pd.concat([madrs, phq, cadss], ignore_index=True))
    assert out.scales == ("MADRS", "PHQ9")
    p = out.patients.set_index("scale")
    assert p.loc["MADRS", "peak_cadss"] == 22 and p.loc["PHQ9", "peak_cadss"] == 22
    assert p.loc["MADRS", "first_response_session"] == 1
    assert p.loc["PHQ9", "first_response_session"] == 2  # 10/18 is a 44 % reduction
    assert (p["route"] == "IV").all() and (p["arm"] == "ketamine").all()
    assert set(out.assessments["scale"]) == {"MADRS", "PHQ9"}
    only = ka.derive(pd.concat([madrs, phq, cadss], ignore_index=True), scale="PHQ-9")
    assert only.scales == ("PHQ9",)
    with pytest.raises(ValueError, match="not in the data"):
        ka.derive(madrs, scale="BDI2")


def test_ordered_category_sessions():
    frame = course("a", [30, 14, 12], sessions=["pre", "24h", "week 1"])
    frame["session"] = pd.Categorical(frame["session"], ["pre", "24h", "week 1"], ordered=True)
    p = one(frame, baseline="pre")
    assert p["first_response_session"] == "24h"
    assert p["time_to_response"] == 1  # one session later


def test_exclusions_reported():
    frame = pd.concat(
        [course("a", [30, 14]), course("b", [25, 20], sessions=[1, 2])], ignore_index=True
    )
    with pytest.warns(ka.DataWarning):
        frame = ka.read_scores(frame)
    out = ka.derive(frame)
    assert out.patients["patient_id"].tolist() == ["a"]
    ex = out.exclusions.set_index("reason")
    assert ex.loc["no baseline assessment", "rows"] == 2
    assert ex.loc["no baseline assessment", "patients"] == 1


def test_derive_refuses_invalid_data_and_bad_arguments():
    bad = course("a", [30, 75])
    with pytest.raises(ka.DataError, match="row 1, column score"):
        ka.derive(bad)
    with pytest.raises(TypeError, match="DataFrame or a ValidationReport"):
        ka.derive([1, 2, 3])
    with pytest.raises(ValueError, match="event_column"):
        ka.derive(course("a", [30, 14]), relapse=Relapse(event_column="nope"))
    report = ka.validate(course("a", [30, 14], days=[0, 7]))
    assert ka.derive(report).patients["ever_response"].tolist() == [True]


# --- criteria objects ---------------------------------------------------------------------------
def test_criteria_round_trip_dict_and_toml():
    crit = SUSTAIN1.replace(relapse=dataclasses.replace(SUSTAIN1.relapse, anchor=16))
    assert Criteria.from_dict(crit.to_dict()) == crit
    assert Criteria.from_toml(crit.to_toml()) == crit
    assert Criteria.from_toml(scale_defaults("PHQ9").to_toml()).remission.threshold == 4
    assert Relapse.from_dict(SCORE22.to_dict()) == SCORE22


def test_criteria_errors_name_the_setting():
    with pytest.raises(ValueError, match="did you mean 'threshold'"):
        Relapse.from_dict({"type": "Relapse", "threshhold": 22, "condition": "score"})
    with pytest.raises(ValueError, match="did you mean 'relapse'"):
        Criteria.from_dict({"relapsee": {}})
    with pytest.raises(ValueError, match="needs threshold"):
        Relapse(condition="score")
    with pytest.raises(ValueError, match="entry must be one of"):
        Relapse(entry="remision")
    with pytest.raises(ValueError, match="k <= n"):
        StableRemission(k=5, n=4)
    with pytest.raises(ValueError, match="min_reduction"):
        Response(1.5)
    with pytest.raises(ValueError, match="gap range is empty"):
        Relapse(min_gap_days=15, max_gap_days=5)


def test_presets_cite_their_sources():
    assert "JAMA Psychiatry" in SUSTAIN1.source and "2019" in SUSTAIN1.source
    assert SUSTAIN1.relapse.threshold == 22 and SUSTAIN1.relapse.consecutive == 2
    assert (SUSTAIN1.relapse.min_gap_days, SUSTAIN1.relapse.max_gap_days) == (5, 15)
    assert SUSTAIN1.stable_remission.k == 3 and SUSTAIN1.stable_remission.n == 4
    assert scale_defaults("MADRS").remission.threshold == 10
    assert "Jacobson" in ReliableChange.__doc__


def test_every_output_column_is_documented():
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "cohort_long.csv"
    out = ka.derive(ka.read_scores(sample), endpoint=7)
    doc = ka.derive.__doc__
    covariates = {"phase", "route", "age", "sex", "dose_mg_per_kg", "dose_mg"}
    for table in (out.assessments, out.patients):
        for column in table.columns:
            if column not in covariates:
                assert f"``{column}``" in doc, column


# --- the time unit does not depend on other patients ----------------------------------------
def test_time_unit_is_days_whenever_there_is_a_day_column():
    """A patient without days gets a missing time, alone or among patients with days.

    Regression: the unit used to switch to sessions when no row had a day, so a patient's
    time_to_response was 2 (sessions) alone and missing (days) beside a dated patient.
    Hand calculation: A responds at session 2 (30 -> 12, -60 %), B at day 14 (30 -> 14).
    """
    nan = float("nan")
    a = course("A", [30, 20, 12], days=[nan, nan, nan])
    b = course("B", [30, 14], days=[0, 14])
    with pytest.warns(ka.DataWarning, match="column 'day' has no value"):
        alone = ka.derive(a)
    assert alone.time_unit == "days"
    assert np.isnan(alone.patients["time_to_response"].iloc[0])
    both = patients(a, b)
    assert np.isnan(both.loc[("A", "MADRS"), "time_to_response"])
    assert both.loc[("B", "MADRS"), "time_to_response"] == 14.0
    assert ka.derive(a.drop(columns="day")).patients["time_to_response"].iloc[0] == 2.0


def test_summary_is_text_and_tidy_the_table():
    """summary() is plain text on every result; tidy() the per-scale DataFrame."""
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "cohort_long.csv"
    out = ka.derive(ka.read_scores(sample))
    tab = out.tidy()
    assert isinstance(tab, pd.DataFrame) and tab["scale"].tolist() == list(out.scales)
    madrs = tab.set_index("scale").loc["MADRS"]
    text = out.summary()
    assert isinstance(text, str) and text.startswith("Outcomes: ")
    assert f"response {madrs['ever_response']}/{madrs['n']} (" in text
    assert f"relapse {madrs['relapse']}/{madrs['relapse_at_risk']} at risk" in text
    assert tab.to_html(index=False) in out._repr_html_()


def test_criteria_per_scale_mapping_uses_each_scales_own_threshold():
    """derive(criteria={scale: Criteria}) (issue 13): MADRS at <= 12 (esketamine trials),
    PHQ-9 at its registry <= 4; expected counts by hand from the raw rows (post-baseline
    assessments at or below the cut-off, patients counted once)."""
    from ketanalysis.outcomes.criteria import Remission, resolve_per_scale, scale_defaults

    frame = ka.simulate_cohort(60, seed=4, items=False)
    madrs12 = scale_defaults("MADRS").replace(remission=Remission(threshold=12))
    out = ka.derive(frame, criteria={"madrs": madrs12, "PHQ-9": scale_defaults("PHQ9")})
    for scale, cut in (("MADRS", 12), ("PHQ9", 4)):
        post = frame[(frame["scale"] == scale) & (frame["session"] > 0)]
        expected = post.loc[post["score"] <= cut, "patient_id"].nunique()
        got = out.patients.loc[out.patients["scale"] == scale, "ever_remission"].sum()
        assert got == expected, (scale, got, expected)
    assert out.criteria_by_scale["MADRS"].remission.threshold == 12
    # keys go through the registry; a scale left out gets the defaults
    resolved = resolve_per_scale({"madrs": madrs12}, ["MADRS", "PHQ-9"])
    assert resolved["MADRS"] is madrs12
    assert resolved["PHQ9"].absolute_thresholds() == []
    assert madrs12.fits("MADRS") and not madrs12.fits("PHQ9")
    with pytest.raises(ValueError, match="two entries for the scale MADRS"):
        resolve_per_scale({"MADRS": madrs12, "madrs": madrs12}, ["MADRS"])
    with pytest.raises(TypeError, match="mapping"):
        resolve_per_scale(12, ["MADRS"])
