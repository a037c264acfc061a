"""Statistics of safety data: incidence, CADSS course and trend, dissociation and response.

References (each test says which):

- hand counts on small frames written out here;
- Wilson intervals: statsmodels ``proportion_confint(method="wilson")`` and the closed
  form of Wilson (1927), to 1e-12;
- t intervals, quartiles and correlations: numpy and scipy on the same values, to 1e-12;
- the logistic odds ratio of a binary exposure: the 2 x 2 table's ``ad / bc`` with the
  Woolf standard error ``sqrt(1/a + 1/b + 1/c + 1/d)`` of its log (the logistic MLE
  reproduces both exactly), to 1e-8;
- Fisher z intervals by hand: ``tanh(atanh(r) -/+ 1.959964 / sqrt(n - 3))``, to 1e-12;
- the Poisson GEE with two time points and complete data: the ratio of the two means
  (the saturated mean model's estimate whatever the working correlation), to 1e-8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

import ketanalysis as ka
from ketanalysis import derive_safety
from ketanalysis.stats import safety as ss

Z = stats.norm.ppf(0.975)


def wilson(k, n, z=Z):
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


@pytest.fixture
def small():
    """Four patients: p1, p2 IV; p3, p4 intranasal (p4 switched dose at session 2)."""
    sessions = pd.DataFrame(
        {
            "patient_id": ["p1", "p1", "p2", "p2", "p3", "p4", "p4"],
            "session": [1, 2, 1, 2, 1, 1, 2],
            "route": ["IV", "IV", "IV", "IV", "intranasal", "intranasal", "intranasal"],
            "dose_group": ["IV", "IV", "IV", "IV", "56 mg", "56 mg", "84 mg"],
        }
    )
    events = pd.DataFrame(
        {
            "patient_id": ["p1", "p1", "p1", "p3", "p4"],
            "session": [1, 1, 2, 1, 2],
            "ae_term": ["nausea", "dizziness", "nausea", "nausea", "dissociation"],
            "severity": ["mild", "severe", "moderate", "mild", "severe"],
            "serious": pd.array([False, False, True, False, pd.NA], dtype="boolean"),
        }
    )
    return sessions, events


def row(tab, **where):
    m = np.ones(len(tab), dtype=bool)
    for k, v in where.items():
        m &= (tab[k] == v).to_numpy()
    assert m.sum() == 1, tab
    return tab.loc[m].iloc[0]


# ---- ae_incidence ---------------------------------------------------------------------------
def test_incidence_per_patient_by_hand(small):
    sessions, events = small
    tab = ss.ae_incidence(sessions, adverse_events=events, by="route")
    # IV: p1 (nausea twice, dizziness), p2 none -> any 1/2, nausea 1/2 with 2 events
    # intranasal: p3 nausea, p4 dissociation -> any 2/2, nausea 1/2, dissociation 1/2
    r = row(tab, route="IV", ae_term="any adverse event")
    assert (r["k"], r["n"], r["n_events"], r["rate"]) == (1, 2, 3, 0.5)
    r = row(tab, route="IV", ae_term="nausea")
    assert (r["k"], r["n"], r["n_events"]) == (1, 2, 2)
    assert row(tab, route="IV", ae_term="dissociation")["k"] == 0  # full grid
    r = row(tab, route="intranasal", ae_term="any adverse event")
    assert (r["k"], r["n"]) == (2, 2)
    assert tab["ae_term"].tolist()[:4] == [
        "any adverse event",
        "dissociation",
        "dizziness",
        "nausea",
    ]
    assert tab["route"].tolist() == ["IV"] * 4 + ["intranasal"] * 4
    assert (tab["unit"] == "patient").all()


def test_incidence_per_session_by_hand(small):
    sessions, events = small
    tab = ss.ae_incidence(sessions, adverse_events=events, unit="session", terms=False)
    # 7 sessions; with events: p1 s1, p1 s2, p3 s1, p4 s2 -> 4/7, 5 events
    r = tab.iloc[0]
    assert (r["k"], r["n"], r["n_events"]) == (4, 7, 5)
    assert r["rate"] == pytest.approx(4 / 7, abs=1e-15)


def test_wilson_intervals_against_statsmodels_and_the_formula(small):
    sessions, events = small
    tab = ss.ae_incidence(sessions, adverse_events=events, unit="session", by="route")
    for _, r in tab.iterrows():
        lo, hi = proportion_confint(r["k"], r["n"], alpha=0.05, method="wilson")
        assert r["ci_low"] == pytest.approx(lo, abs=1e-12)
        assert r["ci_high"] == pytest.approx(hi, abs=1e-12)
        flo, fhi = wilson(r["k"], r["n"])
        assert r["ci_low"] == pytest.approx(max(flo, 0), abs=1e-12)
        assert r["ci_high"] == pytest.approx(min(fhi, 1), abs=1e-12)
    tab90 = ss.ae_incidence(sessions, adverse_events=events, level=0.9, terms=False)
    lo, hi = proportion_confint(3, 4, alpha=0.1, method="wilson")
    assert (tab90["ci_low"].iloc[0], tab90["ci_high"].iloc[0]) == pytest.approx((lo, hi))


def test_a_patient_counts_under_every_dose_they_received(small):
    sessions, events = small
    tab = ss.ae_incidence(sessions, adverse_events=events, by="dose_group", terms=False)
    # 56 mg: p3 (event), p4 (no event at session 1) -> 1/2; 84 mg: p4 (event) -> 1/1
    assert row(tab, dose_group="56 mg")[["k", "n"]].tolist() == [1, 2]
    assert row(tab, dose_group="84 mg")[["k", "n"]].tolist() == [1, 1]


def test_severity_and_seriousness_filters(small):
    sessions, events = small
    tab = ss.ae_incidence(sessions, adverse_events=events, min_severity="moderate", terms=False)
    # moderate or severe: p1 (dizziness severe, nausea moderate), p4 (severe) -> 2/4
    assert tab[["k", "n", "n_events"]].iloc[0].tolist() == [2, 4, 3]
    tab = ss.ae_incidence(sessions, adverse_events=events, serious=True)
    # serious: p1's nausea at session 2 only (p4's unknown seriousness is not counted)
    assert row(tab, ae_term="any adverse event")[["k", "n"]].tolist() == [1, 4]
    assert tab["ae_term"].tolist() == ["any adverse event", "nausea"]


def test_incidence_errors(small):
    sessions, events = small
    with pytest.raises(ValueError, match="unit must be"):
        ss.ae_incidence(sessions, adverse_events=events, unit="visit")
    with pytest.raises(ValueError, match="min_severity"):
        ss.ae_incidence(sessions, adverse_events=events, min_severity="grade 3")
    with pytest.raises(ValueError, match="not in the sessions frame"):
        ss.ae_incidence(sessions.iloc[:2], adverse_events=events)
    with pytest.raises(ValueError, match="by="):
        ss.ae_incidence(sessions, adverse_events=events, by="site")
    with pytest.raises(ValueError, match="no adverse-event data"):
        ss.ae_incidence(sessions)


def test_incidence_from_derive_safety_output():
    scores = ka.simulate_cohort(60, seed=3)
    from ketanalysis.simulate import simulate_safety

    vit, ae = simulate_safety(scores, seed=4)
    out = derive_safety(vit, ae, scores)
    tab = ss.ae_incidence(out, by="route", terms=False)
    per_patient = out.patients.groupby("route")["any_ae"].agg(["sum", "count"])
    assert tab["k"].tolist() == per_patient["sum"].astype(int).tolist()
    assert tab["n"].tolist() == per_patient["count"].tolist()


# ---- CADSS course and trend ---------------------------------------------------------------
@pytest.fixture
def cadss():
    return pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "a", "b", "c", "d"],
            "infusion": [1, 1, 1, 1, 2, 2, 2, 2],
            "cadss": [20.0, 12.0, 8.0, 30.0, 14.0, 9.0, 5.0, 24.0],
            "route": ["IV", "IV", "IM", "IM"] * 2,
        }
    )


def test_cadss_course_against_numpy(cadss):
    tab = ss.cadss_course(cadss)
    for t, values in ((1, [20, 12, 8, 30]), (2, [14, 9, 5, 24])):
        r = row(tab, infusion=t)
        v = np.array(values, dtype=float)
        sd = v.std(ddof=1)
        half = stats.t.ppf(0.975, 3) * sd / 2
        assert r["n"] == 4
        assert r["mean"] == pytest.approx(v.mean(), abs=1e-12)
        assert r["sd"] == pytest.approx(sd, abs=1e-12)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((v.mean() - half, v.mean() + half))
        assert (r["q1"], r["median"], r["q3"]) == pytest.approx(
            tuple(np.quantile(v, [0.25, 0.5, 0.75]))
        )
    by = ss.cadss_course(cadss, by="route")
    assert by[["route", "infusion"]].to_numpy().tolist() == [
        ["IM", 1],
        ["IM", 2],
        ["IV", 1],
        ["IV", 2],
    ]
    assert row(by, route="IM", infusion=1)["mean"] == 19  # (8 + 30) / 2


def test_cadss_course_from_scores_numbers_the_infusions():
    scores = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "b", "b"],
            "session": [0, 1, 2, 0, 2],
            "scale": ["CADSS", "MADRS", "CADSS", "CADSS", "CADSS"],
            "score": [10.0, 30.0, 6.0, 20.0, 12.0],
        }
    )
    tab = ss.cadss_course(scores)
    assert tab[["infusion", "n", "mean"]].to_numpy().tolist() == [[1, 2, 15.0], [2, 2, 9.0]]
    assert ss.cadss_course(scores, time="session")["session"].tolist() == [0, 2]


def test_cadss_trend_two_time_points_is_the_ratio_of_means(cadss):
    # saturated mean model: exp(b1) = mean(infusion 2) / mean(infusion 1) = 13 / 17.5
    fit = ss.cadss_trend(cadss)
    assert fit["estimate"].iloc[0] == pytest.approx(13 / 17.5, rel=1e-8)
    assert fit["ci_low"].iloc[0] < fit["estimate"].iloc[0] < fit["ci_high"].iloc[0]
    assert fit[["n", "n_obs"]].iloc[0].tolist() == [4, 8]
    # two patients per route are too few to estimate an exchangeable correlation
    by = ss.cadss_trend(cadss, by="route", cov_struct="independence")
    assert by["estimate"].tolist() == pytest.approx([29 / 38, 23 / 32], rel=1e-8)


def test_cadss_trend_recovers_the_simulated_tolerance():
    # simulate_cohort draws CADSS with a factor 0.88 per induction infusion
    scores = ka.simulate_cohort(400, seed=8, items=False)
    fit = ss.cadss_trend(scores, max_time=6)
    assert (
        fit["ci_low"].iloc[0] < 0.88 < fit["ci_high"].iloc[0]
        or abs(fit["estimate"].iloc[0] - 0.88) < 0.03
    )


# ---- dissociation and response ------------------------------------------------------------
def test_binary_exposure_reproduces_the_two_by_two_odds_ratio():
    # CADSS 10 (high) vs 0 (low): responders 6 of 8 high, 3 of 9 low.
    # a = 6, b = 2 (high), c = 3, d = 6 (low): OR = (6 * 6) / (2 * 3) = 6,
    # SE(log OR) = sqrt(1/6 + 1/2 + 1/3 + 1/6) = 1.0801234
    high = [1] * 6 + [0] * 2
    low = [1] * 3 + [0] * 6
    n = len(high) + len(low)
    safety = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(n)],
            "infusion": 1,
            "cadss": [10.0] * len(high) + [0.0] * len(low),
        }
    )
    outcomes = pd.DataFrame(
        {"patient_id": safety["patient_id"], "ever_response": np.array(high + low, dtype=bool)}
    )
    res = ss.dissociation_response(safety, outcomes, per=10)
    r = res.tidy().set_index("term").loc["log_odds_ratio"]
    se = np.sqrt(1 / 6 + 1 / 2 + 1 / 3 + 1 / 6)
    assert r["or"] == pytest.approx(6.0, rel=1e-8)
    assert r["estimate"] == pytest.approx(np.log(6.0), rel=1e-8)
    assert r["se"] == pytest.approx(se, rel=1e-8)
    assert r["or_ci_low"] == pytest.approx(6 * np.exp(-Z * se), rel=1e-8)
    assert r["or_ci_high"] == pytest.approx(6 * np.exp(Z * se), rel=1e-8)
    assert r["ci_low"] == pytest.approx(np.log(6) - Z * se, rel=1e-8)
    assert r["statistic"] == pytest.approx(np.log(6) / se, rel=1e-8)
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(np.log(6) / se), rel=1e-8)
    assert res.n == 17 and res.n_excluded == 0
    # per 5 points the odds ratio is sqrt(6)
    half = ss.dissociation_response(safety, outcomes, per=5)
    assert half.tidy()["or"].iloc[0] == pytest.approx(np.sqrt(6), rel=1e-8)


def test_correlations_against_scipy_and_fisher_z_by_hand():
    rng = np.random.default_rng(0)
    n = 40
    x = rng.gamma(2, 8, n).round()
    y = (rng.random(n) < 1 / (1 + np.exp(-(x - 15) / 8))).astype(float)
    safety = pd.DataFrame({"patient_id": range(n), "infusion": 1, "cadss": x})
    outcomes = pd.DataFrame({"patient_id": range(n), "ever_response": y})
    res = ss.dissociation_response(safety, outcomes)
    p = res.tidy().set_index("term")
    r = np.corrcoef(x, y)[0, 1]
    rho = stats.spearmanr(x, y).statistic
    assert p.loc["point_biserial_r", "estimate"] == pytest.approx(r, abs=1e-12)
    assert p.loc["point_biserial_r", "p_value"] == pytest.approx(
        stats.pointbiserialr(y, x).pvalue, abs=1e-12
    )
    assert p.loc["spearman_rho", "estimate"] == pytest.approx(rho, abs=1e-12)
    se = 1 / np.sqrt(n - 3)
    assert p.loc["point_biserial_r", "ci_low"] == pytest.approx(
        np.tanh(np.arctanh(r) - Z * se), abs=1e-12
    )
    assert p.loc["point_biserial_r", "ci_high"] == pytest.approx(
        np.tanh(np.arctanh(r) + Z * se), abs=1e-12
    )
    # scipy's own Fisher interval of Pearson's r agrees
    ci = stats.pearsonr(x, y).confidence_interval(0.95)
    assert (p.loc["point_biserial_r", "ci_low"], p.loc["point_biserial_r", "ci_high"]) == (
        pytest.approx((ci.low, ci.high), abs=1e-10)
    )
    se_rho = np.sqrt(1.06 / (n - 3))
    assert p.loc["spearman_rho", "se"] == pytest.approx(se_rho, abs=1e-15)
    assert p.loc["spearman_rho", "ci_high"] == pytest.approx(
        np.tanh(np.arctanh(rho) + Z * se_rho), abs=1e-12
    )
    assert (p["n"] == n).all()
    # the statistic of a correlation is the t behind its p-value, n - 2 df
    t = r * np.sqrt((n - 2) / (1 - r**2))
    assert p.loc["point_biserial_r", "statistic"] == pytest.approx(t, rel=1e-12)
    assert p.loc["point_biserial_r", "df"] == n - 2
    assert p.loc["point_biserial_r", "p_value"] == pytest.approx(
        2 * stats.t.sf(abs(t), n - 2), rel=1e-10
    )
    # Spearman keeps the 1.06 variance: scipy's Pearson interval on the ranks (1 / (n - 3))
    # is narrower, so the two differ
    ranks = stats.pearsonr(stats.rankdata(x), stats.rankdata(y)).confidence_interval(0.95)
    assert ranks.high == pytest.approx(np.tanh(np.arctanh(rho) + Z * se), abs=1e-12)
    assert p.loc["spearman_rho", "ci_high"] > ranks.high


def test_exposure_averages_the_first_infusions_and_exclusions_are_counted():
    safety = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "b", "b", "c", "d", "e", "f"],
            "infusion": [1, 2, 3, 1, 2, 1, 1, 1, 1],
            "cadss": [10.0, 20.0, 90.0, 4.0, np.nan, 30.0, 0.0, 12.0, 22.0],
        }
    )
    outcomes = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e", "f", "g"],
            "ever_response": pd.array([True, False, True, None, False, False, False]),
        }
    )
    res = ss.dissociation_response(safety, outcomes, infusions=2)
    d = res.data.set_index("patient_id")
    # a: (10 + 20) / 2 = 15 (infusion 3 not used); b: 4 (the missing second not averaged)
    assert d.loc["a", "cadss"] == 15 and d.loc["a", "n_cadss"] == 2
    assert d.loc["b", "cadss"] == 4 and d.loc["b", "n_cadss"] == 1
    # d: response unknown; g: no CADSS -> 2 excluded, 5 used
    assert res.n == 5 and res.n_excluded == 2
    assert sorted(d.index) == ["a", "b", "c", "e", "f"]


def test_dissociation_response_on_the_sample_with_covariates():
    scores = ka.read_scores("data/sample/cohort_long.csv")
    out = ka.derive(scores)
    res = ss.dissociation_response(scores, out, scale="MADRS", covariates=["route"])
    assert res.scale == "MADRS" and res.n == 150
    terms = res.coefficients["term"].tolist()
    assert "cadss/10" in terms and any("route" in t for t in terms)
    assert res.params["term"].iloc[0] == "log_odds_ratio"
    assert res.params.loc[0, "or"] == pytest.approx(
        res.coefficients.set_index("term").loc["cadss/10", "or"]
    )
    assert "<strong>" in res._repr_html_()


def test_dissociation_response_errors():
    safety = pd.DataFrame({"patient_id": ["a", "b"], "infusion": 1, "cadss": [1.0, 2.0]})
    outcomes = pd.DataFrame({"patient_id": ["a", "b"], "ever_response": [True, False]})
    with pytest.raises(ValueError, match="at least 4 patients"):
        ss.dissociation_response(safety, outcomes)
    with pytest.raises(ValueError, match="infusions"):
        ss.dissociation_response(safety, outcomes, infusions=0)
    with pytest.raises(ValueError, match="per must"):
        ss.dissociation_response(safety, outcomes, per=0)
    bad = outcomes.assign(ever_response=[2, 0])
    with pytest.raises(ValueError, match="binary"):
        ss.dissociation_response(safety, bad)


def test_exports():
    for name in (
        "ae_incidence",
        "cadss_course",
        "cadss_trend",
        "dissociation_response",
        "DissociationResponseResult",
    ):
        assert hasattr(ka.stats, name) and name in ka.stats.__all__
