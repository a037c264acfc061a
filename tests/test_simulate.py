"""Tests of ketanalysis.simulate: reproducibility, format, schedule, items and realism.

The realism bounds are hand checks against the published figures the generator mimics
(see the Notes of ``simulate_cohort``): 59 % response after six ketamine infusions
(Phillips JL et al., Am J Psychiatry 2019;176:401-409), relapse as MADRS >= 22 on two
consecutive assessments (SUSTAIN-1, Daly EJ et al., JAMA Psychiatry 2019;76:893-903) and a
low response to the active placebo midazolam (Murrough JW et al., Am J Psychiatry
2013;170:1134-1142). The bounds are wide enough for sampling error at the stated sizes
(binomial SE about 1.2 points at n = 1,700).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketanalysis import scales
from ketanalysis.simulate import SCALE_ORDER, schedule, simulate_cohort, write_sample
from ketanalysis.simulate.cohort import _split_total

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
SAMPLE_FILES = (
    "README.md",
    "adverse_events.csv",
    "cohort_long.csv",
    "cohort_redcap.csv",
    "cohort_redcap_events.json",
    "cohort_wide.csv",
    "vitals.csv",
)
ITEMS = [f"item_{j}" for j in range(1, 11)]
COLUMNS = [
    "patient_id",
    "session",
    "day",
    "scale",
    "score",
    "phase",
    "route",
    "age",
    "sex",
    "dose_mg_per_kg",
    "dose_mg",
    *ITEMS,
]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return simulate_cohort(400, seed=11)


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return simulate_cohort(2000, seed=7, items=False)


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    return simulate_cohort(1000, seed=3, arms=("ketamine", "midazolam"), items=False)


def madrs_wide(frame: pd.DataFrame) -> pd.DataFrame:
    rows = frame[frame["scale"] == "MADRS"]
    return rows.pivot(index="patient_id", columns="session", values="score")


def response_at(frame: pd.DataFrame, session: int) -> float:
    """Share with >= 50 % MADRS reduction from session 0, among those assessed."""
    wide = madrs_wide(frame)
    assessed = wide[session].notna()
    return float((wide.loc[assessed, session] <= 0.5 * wide.loc[assessed, 0]).mean())


# --- reproducibility ----------------------------------------------------------------------
def test_same_seed_gives_identical_frames():
    pd.testing.assert_frame_equal(simulate_cohort(60, seed=3), simulate_cohort(60, seed=3))


def test_different_seeds_differ():
    a, b = simulate_cohort(60, seed=3), simulate_cohort(60, seed=4)
    assert not (a.shape == b.shape and a.equals(b))


def test_global_numpy_random_state_untouched():
    # the legacy global state is what a module seeding at import or call would change
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    simulate_cohort(20, seed=1)
    assert np.array_equal(np.random.get_state()[1], before)  # noqa: NPY002


def test_items_false_only_drops_item_columns():
    with_items = simulate_cohort(50, seed=2)
    without = simulate_cohort(50, seed=2, items=False)
    assert list(without.columns) == COLUMNS[:11]
    pd.testing.assert_frame_equal(without, with_items[COLUMNS[:11]])


def test_regenerated_sample_is_byte_identical(tmp_path):
    written = write_sample(tmp_path)
    assert sorted(written) == sorted(SAMPLE_FILES)
    assert sorted(p.name for p in SAMPLE_DIR.iterdir()) == sorted(SAMPLE_FILES)
    for name in SAMPLE_FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), (
            f"data/sample/{name} differs from a fresh `make sample`"
        )


# --- format -------------------------------------------------------------------------------
def test_columns_dtypes_and_order(cohort):
    assert list(cohort.columns) == COLUMNS
    assert isinstance(cohort.index, pd.RangeIndex)
    assert cohort["session"].dtype == np.int64
    assert cohort["age"].dtype == np.int64
    for col in ("day", "score", "dose_mg_per_kg", "dose_mg", *ITEMS):
        assert cohort[col].dtype == np.float64, col
    assert cohort["patient_id"].str.fullmatch(r"K\d{4}").all()
    assert set(cohort["scale"]) == set(SCALE_ORDER)


def test_rows_sorted_by_patient_session_scale(cohort):
    key = cohort["scale"].map({s: i for i, s in enumerate(SCALE_ORDER)})
    expected = cohort.assign(_k=key).sort_values(["patient_id", "session", "_k"], kind="stable")
    assert expected.index.equals(cohort.index)
    assert not cohort.duplicated(["patient_id", "session", "scale"]).any()


def test_covariates_constant_within_patient_and_plausible(cohort):
    per_patient = cohort.groupby("patient_id")[
        ["route", "age", "sex", "dose_mg_per_kg", "dose_mg"]
    ].nunique(dropna=False)
    assert (per_patient == 1).all().all()
    assert cohort["age"].between(18, 75).all()
    assert set(cohort["sex"]) == {"F", "M"}
    assert set(cohort["route"]) == {"IV", "IM", "intranasal"}
    iv, im, nasal = (cohort["route"] == r for r in ("IV", "IM", "intranasal"))
    assert (cohort.loc[iv, "dose_mg_per_kg"] == 0.5).all()
    assert cohort.loc[im, "dose_mg_per_kg"].between(0.5, 1.0).all()
    assert cohort.loc[nasal, "dose_mg_per_kg"].isna().all()
    assert set(cohort.loc[nasal, "dose_mg"]) <= {56.0, 84.0}
    assert cohort.loc[~nasal, "dose_mg"].isna().all()


def test_phase_follows_session(cohort):
    expected = np.where(cohort["session"] <= 7, "induction", "maintenance")
    assert (cohort["phase"].to_numpy() == expected).all()


# --- scores and items ---------------------------------------------------------------------
@pytest.mark.parametrize("scale", SCALE_ORDER)
def test_scores_in_range_and_integer(cohort, scale):
    sc = scales.get(scale)
    rows = cohort[cohort["scale"] == scale]
    assert rows["score"].notna().all()
    assert rows["score"].between(sc.total_min, sc.total_max).all()
    integral = rows["score"] % 1 == 0
    if scale == "PHQ9":  # only totals prorated over unanswered items may be fractional
        integral |= rows[ITEMS[:9]].isna().any(axis=1)
    assert integral.all()


@pytest.mark.parametrize("scale", ["MADRS", "PHQ9"])
def test_items_give_the_score(cohort, scale):
    sc = scales.get(scale)
    rows = cohort[cohort["scale"] == scale]
    items = rows[sc.items].to_numpy()
    result = scales.score_items(scale, items)
    assert np.array_equal(result.total, rows["score"].to_numpy())
    answered = items[~np.isnan(items)]
    assert np.array_equal(answered, np.round(answered))
    assert answered.min() >= 0 and answered.max() <= max(sc.item_max)
    assert rows[ITEMS[sc.n_items :]].isna().all().all()
    assert set(result.status) <= {"complete", "prorated"}


def test_madrs_items_complete_and_phq9_sometimes_unanswered(cohort):
    madrs = cohort.loc[cohort["scale"] == "MADRS", ITEMS]
    assert madrs.notna().all().all()
    phq = cohort.loc[cohort["scale"] == "PHQ9", ITEMS[:9]]
    n_missing = phq.isna().sum(axis=1)
    assert n_missing.max() <= 2
    assert 0.005 < (n_missing > 0).mean() < 0.05  # about 2 %
    prorated = cohort.loc[phq.index[n_missing > 0], "score"]
    assert (prorated % 1 != 0).any()  # e.g. 11.25


def test_cadss_is_total_only_with_many_small_values(cohort):
    cadss = cohort[cohort["scale"] == "CADSS"]
    assert cadss[ITEMS].isna().all().all()
    first = cadss[cadss["session"] == 0]
    assert 8 <= first["score"].mean() <= 20
    assert first["score"].median() < first["score"].mean()  # right skewed
    by_route = first.groupby("route")["score"].mean()
    assert by_route["IV"] > by_route["intranasal"]
    # tolerance: infusion 6 lower than infusion 1
    assert cadss.loc[cadss["session"] == 6, "score"].mean() < first["score"].mean()


def test_suicidality_items_lower(cohort):
    madrs = cohort.loc[cohort["scale"] == "MADRS", ITEMS].mean()
    assert madrs["item_10"] < madrs[ITEMS[:9]].min()
    phq = cohort.loc[cohort["scale"] == "PHQ9", ITEMS[:9]].mean()
    assert phq["item_9"] < phq[ITEMS[:8]].min()


@settings(max_examples=60, deadline=None)
@given(
    caps=st.lists(st.integers(0, 6), min_size=1, max_size=12),
    data=st.data(),
)
def test_split_total_sums_exactly_within_caps(caps, data):
    n = data.draw(st.integers(1, 5))
    totals = np.array(data.draw(st.lists(st.integers(0, sum(caps)), min_size=n, max_size=n)))
    weights = np.array(
        data.draw(
            st.lists(
                st.lists(st.floats(0.01, 10), min_size=len(caps), max_size=len(caps)),
                min_size=n,
                max_size=n,
            )
        )
    )
    items = _split_total(np.random.default_rng(0), totals, weights, caps)
    assert np.array_equal(items.sum(axis=1), totals)
    assert (items >= 0).all() and (items <= np.array(caps)).all()
    assert np.array_equal(items, np.round(items))


# --- schedule and days --------------------------------------------------------------------
def test_days_whole_and_strictly_increasing(cohort):
    visits = cohort.drop_duplicates(["patient_id", "session"])
    # one day per patient x session, shared across scales
    per_visit = cohort.groupby(["patient_id", "session"])["day"].nunique()
    assert (per_visit == 1).all()
    assert (visits["day"] % 1 == 0).all()
    steps = visits.groupby("patient_id")["day"].diff().dropna()
    assert (steps > 0).all()
    assert (visits.loc[visits["session"] == 0, "day"] == 0).all()
    assert (visits.loc[visits["session"] == 1, "day"] == 1).all()
    induction_end = visits.loc[visits["session"] == 6, "day"]
    assert induction_end.between(10, 19).all()  # six infusions over 2-3 weeks
    month = visits[visits["session"] >= 8]
    assert (month["day"] - 30 * (month["session"] - 7)).abs().max() <= 3


def test_scales_only_at_scheduled_sessions(cohort):
    sched = schedule(6)
    for scale in SCALE_ORDER:
        sessions = set(cohort.loc[cohort["scale"] == scale, "session"])
        assert sessions <= set(sched[scale].tolist()), scale
    assert set(cohort.loc[cohort["session"] == 1, "scale"]) == {"MADRS"}
    assert set(cohort.loc[cohort["session"] == 7, "scale"]) == {"MADRS", "PHQ9"}
    for s in (2, 4, 6):
        assert set(cohort.loc[cohort["session"] == s, "scale"]) == {"MADRS", "CADSS"}
    for s in (3, 5):
        assert set(cohort.loc[cohort["session"] == s, "scale"]) == set(SCALE_ORDER)
    baseline = cohort[cohort["session"] == 0].groupby("patient_id")["scale"].apply(tuple)
    assert len(baseline) == cohort["patient_id"].nunique()
    assert (baseline == SCALE_ORDER).all()


def test_maintenance_cadss_only_for_responders(cohort):
    wide = madrs_wide(cohort)
    # responders continue with infusions; session 7 itself may have been missed
    not_nonresponder = ~(wide[7] > 0.5 * wide[0])
    maint_cadss = cohort[(cohort["scale"] == "CADSS") & (cohort["session"] >= 8)]
    assert len(maint_cadss) > 0
    assert not_nonresponder.reindex(maint_cadss["patient_id"].unique()).all()


@pytest.mark.parametrize("months", [0, 1, 3])
def test_maintenance_months(months):
    frame = simulate_cohort(60, seed=5, maintenance_months=months, items=False)
    assert frame["session"].max() <= 7 + months
    assert (frame["phase"] == "maintenance").any() == (months > 0)


def test_baseline_madrs_treatment_resistant(big):
    baseline = madrs_wide(big)[0]
    assert baseline.between(20, 50).all()
    assert abs(baseline.mean() - 32) < 1 and 4 < baseline.std() < 6


# --- realism (hand checks of the published figures; see the module docstring) -----------
def test_response_rate_after_induction_matches_case_series(big):
    # Phillips et al. 2019: 59 % after six infusions; accepted range 50-70 %.
    assert 0.50 <= response_at(big, 7) <= 0.70
    # rapid response at 24 h: the rapid-responder class (about 35 %) mostly responds
    assert 0.20 <= response_at(big, 1) <= 0.45


def test_phq9_tracks_madrs(big):
    wide = big.pivot_table(index=["patient_id", "session"], columns="scale", values="score")
    both = wide[["MADRS", "PHQ9"]].dropna()
    assert both.corr().loc["MADRS", "PHQ9"] > 0.8
    ratio = both["PHQ9"].mean() / both["MADRS"].mean()
    assert 0.35 < ratio < 0.55  # about 27/60


def test_relapse_in_a_share_of_responders(big):
    wide = madrs_wide(big)
    responders = wide.index[wide[7] <= 0.5 * wide[0]]
    maint = big[(big["scale"] == "MADRS") & (big["session"] >= 8)]
    maint = maint[maint["patient_id"].isin(responders)]
    high = maint["score"] >= 22
    consecutive = high & high.groupby(maint["patient_id"]).shift(1, fill_value=False)
    relapsed = consecutive.groupby(maint["patient_id"]).any()
    share = relapsed.sum() / len(responders)
    assert 0.15 <= share <= 0.45  # "about a third" of responders


def test_dropout_and_missed_visits(big):
    last = big.groupby("patient_id")["session"].max()
    assert 0.08 <= (last < 7).mean() <= 0.18  # ~10-15 % stop during induction
    wide = madrs_wide(big)
    completed = wide[7].notna()
    responder = completed & (wide[7] <= 0.5 * wide[0])
    nonresponder = completed & ~responder
    in_maintenance = last.reindex(wide.index) >= 8
    assert in_maintenance[nonresponder].mean() < 0.6  # most non-responders leave
    assert in_maintenance[responder].mean() > 0.85
    visits = big.drop_duplicates(["patient_id", "session"])
    attended = visits.groupby("patient_id")["session"].count()
    gaps = (last + 1 - attended).reindex(last.index)
    assert 0.01 < gaps.sum() / (last + 1).sum() < 0.08  # ~3-5 % missed intermittently


# --- arms ---------------------------------------------------------------------------------
def test_arms_balanced_and_control_responds_less(trial):
    assert list(trial.columns[:8]) == [*COLUMNS[:7], "arm"]
    patients = trial.drop_duplicates("patient_id").set_index("patient_id")
    counts = patients["arm"].value_counts()
    assert set(counts.index) == {"ketamine", "midazolam"}
    assert abs(counts["ketamine"] - counts["midazolam"]) <= 2  # permuted blocks of 4
    assert (patients.loc[patients["arm"] == "midazolam", "route"] == "IV").all()
    assert patients.loc[patients["arm"] == "midazolam", "dose_mg_per_kg"].isna().all()
    active = response_at(trial[trial["arm"] == "ketamine"], 7)
    control = response_at(trial[trial["arm"] == "midazolam"], 7)
    assert 0.48 <= active <= 0.72
    assert 0.10 <= control <= 0.30
    cadss = trial[trial["scale"] == "CADSS"].groupby("arm")["score"].mean()
    assert cadss["midazolam"] < 0.5 * cadss["ketamine"]


# --- de-identification --------------------------------------------------------------------
PHI_COLUMN = re.compile(r"date|dob|birth|name|address|phone|email|mrn|ssn|zip", re.I)
DATE_VALUE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2}")
REDCAP_STANDARD = {"record_id", "redcap_event_name"}


def test_no_column_looks_like_a_date_or_name(cohort):
    assert not [c for c in cohort.columns if PHI_COLUMN.search(c)]
    assert cohort["day"].between(0, 400).all()  # relative days, not date serials
    for name in SAMPLE_FILES[1:]:
        text = (SAMPLE_DIR / name).read_text(encoding="utf-8")
        header = text.split("\n", 1)[0].split(",")
        assert not [c for c in header if PHI_COLUMN.search(c) and c not in REDCAP_STANDARD]
        assert not DATE_VALUE.search(text), name


# --- sample files agree with each other ---------------------------------------------------
def test_sample_files_agree():
    long = pd.read_csv(SAMPLE_DIR / "cohort_long.csv")
    wide = pd.read_csv(SAMPLE_DIR / "cohort_wide.csv").set_index("patient_id")
    redcap = pd.read_csv(SAMPLE_DIR / "cohort_redcap.csv")
    assert long["patient_id"].nunique() == len(wide) == 150
    for scale in SCALE_ORDER:
        rows = long[long["scale"] == scale]
        for row in rows.sample(50, random_state=0).itertuples():
            assert wide.loc[row.patient_id, f"{scale.lower()}.s{row.session}"] == row.score
    visits = long.drop_duplicates(["patient_id", "session"])
    assert len(redcap) == len(visits)
    assert (redcap["study_day"].to_numpy() == visits["day"].to_numpy()).all()
    baseline = redcap["redcap_event_name"] == "baseline_arm_1"
    assert redcap.loc[baseline, "age"].notna().all()
    assert redcap.loc[~baseline, ["age", "sex", "route"]].isna().all().all()
    madrs = long[long["scale"] == "MADRS"]
    has_madrs = redcap["madrs_total"].notna()
    assert has_madrs.sum() == len(madrs)
    assert (redcap.loc[has_madrs, "madrs_complete"] == 2).all()
    assert redcap.loc[~has_madrs, "madrs_complete"].isna().all()
    assert np.array_equal(redcap.loc[has_madrs, "madrs_total"], madrs["score"])


# --- argument checks ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_patients": 0}, "n_patients"),
        ({"arms": ("a", "a")}, "arms"),
        ({"arms": ("a", "b", "c")}, "arms"),
        ({"routes": ("oral",)}, "routes"),
        ({"route_weights": (1.0, 1.0)}, "route_weights"),
        ({"maintenance_months": -1}, "maintenance_months"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        simulate_cohort(**{"n_patients": 10, **kwargs})


def test_sample_safety_files_agree_with_the_cohort():
    """vitals.csv and adverse_events.csv cover exactly the cohort's treatment sessions
    (its CADSS rows), with the cohort's routes."""
    long = pd.read_csv(SAMPLE_DIR / "cohort_long.csv")
    vitals = pd.read_csv(SAMPLE_DIR / "vitals.csv")
    ae = pd.read_csv(SAMPLE_DIR / "adverse_events.csv")
    cad = long[long["scale"] == "CADSS"]
    treated = set(zip(cad["patient_id"], cad["session"], strict=True))
    assert set(zip(vitals["patient_id"], vitals["session"], strict=True)) == treated
    assert set(zip(ae["patient_id"], ae["session"], strict=True)) <= treated
    route = long.drop_duplicates("patient_id").set_index("patient_id")["route"]
    assert (vitals["route"].to_numpy() == route.reindex(vitals["patient_id"]).to_numpy()).all()
    assert set(ae["serious"]) <= {"yes", "no"}
