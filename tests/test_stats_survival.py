"""Kaplan-Meier, log-rank and Cox: against R survival and hand-worked examples.

Reference values: tests/data/reference/survival/reference.json, written by
make_reference.R in that folder (R 4.2.2, survival 3.5.3) from the simulated cohorts
sim_a_patients.csv (240 patients, ketamine vs midazolam, times in days) and
sim_b_patients.csv (180 clinic patients, three routes, times in sessions: many ties),
themselves written by make_data.py. Tolerances, as issue 4 asks: 1e-6 relative for
estimates (survival, confidence limits, statistics, coefficients), 1e-4 relative for
standard errors; counts and times exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ketanalysis as ka
from ketanalysis.stats.survival import cox, kaplan_meier, logrank

REF_DIR = Path(__file__).parent / "data" / "reference" / "survival"
REF = json.loads((REF_DIR / "reference.json").read_text())
DATA = {
    "a": pd.read_csv(REF_DIR / "sim_a_patients.csv"),
    "b": pd.read_csv(REF_DIR / "sim_b_patients.csv"),
}
# name -> (dataset, scale, event, by); the same cases as make_reference.R
CASES = {
    "a_response_arm": ("a", "MADRS", "response", "arm"),
    "a_remission_arm": ("a", "MADRS", "remission", "arm"),
    "a_relapse_arm": ("a", "MADRS", "relapse", "arm"),
    "a_relapse_all": ("a", "MADRS", "relapse", None),
    "a_relapse_phq9_arm": ("a", "PHQ9", "relapse", "arm"),
    "b_response_route": ("b", "MADRS", "response", "route"),
    "b_relapse_route": ("b", "MADRS", "relapse", "route"),
    "b_remission_all": ("b", "MADRS", "remission", None),
}
EST = 1e-6  # relative tolerance of estimates
SE = 1e-4  # relative tolerance of standard errors


def _close(actual, expected, rtol, atol=1e-12):
    """Equal within tolerance, with missing values (R NA / JSON null) in the same places."""
    a = np.asarray(actual, dtype=float)
    e = np.array([np.nan if v is None else v for v in expected], dtype=float)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e))
    np.testing.assert_allclose(a[~np.isnan(a)], e[~np.isnan(e)], rtol=rtol, atol=atol)


def _records(rows):
    """A data frame that jsonlite wrote row by row, as a dict of column lists."""
    frame = pd.DataFrame(rows)
    return {c: [None if pd.isna(v) else v for v in frame[c]] for c in frame.columns}


def _fit(name):
    data, scale, event, by = CASES[name]
    return kaplan_meier(DATA[data], event=event, by=by, scale=scale)


def _group_col(frame, by):
    return frame[by].astype(str).to_numpy() if by else np.full(len(frame), "")


@pytest.mark.parametrize("name", list(CASES))
def test_kaplan_meier_table_matches_survfit(name):
    """R: survfit(Surv(time_to_<event>, <event>_event) ~ <by>, data) (conf.type = "log");
    time, n.risk, n.event, n.censor exactly; surv, lower, upper to 1e-6; std.err * surv
    (the SE of S that summary.survfit prints) to 1e-4."""
    ref = _records(REF["survival"][name]["table"])
    km = _fit(name)
    by = CASES[name][3]
    tab = km.table
    # R orders strata by factor level (locale collation); compare group by group
    for group in sorted(set(ref["group"])):
        rows = [i for i, g in enumerate(ref["group"]) if g == group]
        mine = tab.loc[_group_col(tab, by) == group]
        np.testing.assert_array_equal(mine["time"], [ref["time"][i] for i in rows])
        for col in ("n_at_risk", "n_events", "n_censored"):
            np.testing.assert_array_equal(mine[col], [ref[col][i] for i in rows])
        for col in ("survival", "ci_low", "ci_high"):
            _close(mine[col], [ref[col][i] for i in rows], EST)
        _close(mine["se"], [ref["se"][i] for i in rows], SE)


@pytest.mark.parametrize("name", list(CASES))
def test_quantiles_match_quantile_survfit(name):
    """R: quantile(survfit(...), probs = c(0.25, 0.5, 0.75)) with its lower and upper
    limits (Brookmeyer-Crowley on the log-transformed band), including NA where a curve or
    limit never reaches the probability; to 1e-6."""
    ref = REF["survival"][name]["quantiles"]
    km = _fit(name)
    by = CASES[name][3]
    q = km.quantiles((0.25, 0.5, 0.75))
    groups = ref["group"] if isinstance(ref["group"], list) else [ref["group"]]
    for gi, group in enumerate(groups):
        mine = q.loc[_group_col(q, by) == group].sort_values("prob")
        for col in ("estimate", "ci_low", "ci_high"):
            _close(mine[col], ref[col][3 * gi : 3 * gi + 3], EST)


@pytest.mark.parametrize("name", list(CASES))
def test_at_risk_matches_summary_times(name):
    """R: summary(fit, times = ..., extend = TRUE)$n.risk exactly and $surv to 1e-6 (at
    times up to the group's last time; beyond it ketanalysis reports a missing survival
    where extend = TRUE repeats the last value -- a deliberate difference)."""
    ref = _records(REF["survival"][name]["at_risk"])
    km = _fit(name)
    by = CASES[name][3]
    times = sorted(set(ref["time"]))
    tab = km.at_risk(times)
    last = dict(zip(_group_col(km.groups, by), km.groups["max_time"], strict=True))
    for group, t, n, s in zip(
        ref["group"], ref["time"], ref["n_at_risk"], ref["survival"], strict=True
    ):
        row = tab.loc[(_group_col(tab, by) == group) & (tab["time"] == t)]
        assert int(row["n_at_risk"].iloc[0]) == n
        if t <= last[group]:
            np.testing.assert_allclose(row["survival"].iloc[0], s, rtol=EST)
        else:
            assert np.isnan(row["survival"].iloc[0])


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c[3]])
def test_logrank_matches_survdiff(name):
    """R: survdiff(Surv(time, status) ~ <by>, data); chisq and its p-value to 1e-6."""
    data, scale, event, by = CASES[name]
    ref = REF["survival"][name]["logrank"]
    res = logrank(DATA[data], event=event, by=by, scale=scale)
    assert res["df"].iloc[0] == ref["df"]
    np.testing.assert_allclose(res["chi2"].iloc[0], ref["chi2"], rtol=EST)
    np.testing.assert_allclose(res["p_value"].iloc[0], ref["p_value"], rtol=EST)


def test_stratified_logrank_matches_survdiff():
    """R: survdiff(Surv(time_to_response, response_event) ~ arm + strata(sex), sim_a MADRS);
    to 1e-6."""
    ref = REF["logrank_strata"]
    res = logrank(DATA["a"], event="response", by="arm", strata="sex", scale="MADRS")
    np.testing.assert_allclose(res["chi2"].iloc[0], ref["chi2"], rtol=EST)
    np.testing.assert_allclose(res["p_value"].iloc[0], ref["p_value"], rtol=EST)


# name -> (case, formula, strata, ties)
COX = {
    "a_relapse_efron": ("a_relapse_arm", "arm + age + sex", None, "efron"),
    "a_relapse_breslow": ("a_relapse_arm", "arm + age + sex", None, "breslow"),
    "a_response_efron": ("a_response_arm", "arm + age", None, "efron"),
    "a_response_strata": ("a_response_arm", "arm + age", "sex", "efron"),
    "b_response_efron": ("b_response_route", "route + age", None, "efron"),
    "b_relapse_efron": ("b_relapse_route", "route + age", None, "efron"),
}


def _r_term(term: str) -> str:
    """patsy's 'arm[T.midazolam]' as R's 'armmidazolam'."""
    return term.replace("[T.", "").replace("]", "")


@pytest.mark.parametrize("name", list(COX))
def test_cox_matches_coxph(name):
    """R: coxph(Surv(time, status) ~ <formula> [+ strata(sex)], data, ties = <ties>):
    coef (``estimate``), exp(coef) (``hr``), its limits lower .95, upper .95
    (``hr_ci_low``, ``hr_ci_high``), z (``statistic``), p and the partial log-likelihood
    to 1e-6; se(coef) (``se``) to 1e-4; ``ci_low``/``ci_high`` are coef -/+ z se, on the
    scale of coef. sim_b has times in sessions, so many ties: Efron vs Breslow matters
    there."""
    case, formula, strata, ties = COX[name]
    data, scale, event, _ = CASES[case]
    ref = REF["cox"][name]
    fit = cox(DATA[data], event=event, formula=formula, strata=strata, ties=ties, scale=scale)
    tidy = fit.tidy()
    p = tidy.assign(term=tidy["term"].map(_r_term)).set_index("term")
    p = p.loc[ref["term"]]
    new_names = {
        "estimate": "estimate",
        "statistic": "z",
        "p_value": "p_value",
        "hr_ci_low": "ci_low",
        "hr_ci_high": "ci_high",
    }
    for col, r_col in new_names.items():
        np.testing.assert_allclose(p[col], ref[r_col], rtol=EST)
    np.testing.assert_allclose(p["se"], ref["se"], rtol=SE)
    np.testing.assert_allclose(p["hr"], np.exp(ref["estimate"]), rtol=EST)
    q = stats.norm.ppf(0.975)
    coef, se = np.asarray(ref["estimate"]), np.asarray(ref["se"])
    # within the tolerances of coef (EST) and se(coef) (SE)
    tol = EST * np.abs(coef) + SE * q * se
    assert np.all(np.abs(p["ci_low"].to_numpy() - (coef - q * se)) <= tol)
    assert np.all(np.abs(p["ci_high"].to_numpy() - (coef + q * se)) <= tol)
    np.testing.assert_allclose(p["ci_low"], p["estimate"] - q * p["se"], rtol=1e-12)
    np.testing.assert_allclose(np.log(p["hr_ci_low"]), p["ci_low"], rtol=1e-12)
    assert fit.params.equals(tidy)
    np.testing.assert_allclose(fit.loglik, ref["loglik"], rtol=EST)
    assert (fit.n, fit.n_events) == (ref["n"], ref["n_events"])
    assert fit.ties == ties and fit.converged


def test_efron_and_breslow_differ_with_ties():
    """With tied event times the two approximations give different estimates (sanity)."""
    a = cox(DATA["b"], event="response", formula="route + age", ties="efron", scale="MADRS")
    b = cox(DATA["b"], event="response", formula="route + age", ties="breslow", scale="MADRS")
    assert not np.allclose(a.params["estimate"], b.params["estimate"], rtol=1e-3)


# ---- hand-worked ------------------------------------------------------------------------
def _toy():
    """Six patients: times 1, 2, 2, 3, 4, 5 with events at 1, 2, 3 and 5."""
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(6)],
            "scale": "MADRS",
            "time_to_relapse": [1.0, 2, 2, 3, 4, 5],
            "relapse_event": [1, 1, 0, 1, 0, 1],
            "arm": ["a", "a", "a", "b", "b", "b"],
        }
    )


def test_kaplan_meier_hand_worked():
    """Product-limit by hand: S(1) = 5/6, S(2) = 5/6 * 4/5 = 2/3, S(3) = 2/3 * 2/3 = 4/9,
    S(4) = 4/9, S(5) = 0. Greenwood: Var(log S(2)) = 1/(6*5) + 1/(5*4) = 1/12; exact. (R
    survfit on these data prints the same table, with NA limits at S = 0.)"""
    km = kaplan_meier(_toy(), event="relapse")
    t = km.table
    np.testing.assert_array_equal(t["time"], [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(t["n_at_risk"], [6, 5, 3, 2, 1])
    np.testing.assert_array_equal(t["n_events"], [1, 1, 1, 0, 1])
    np.testing.assert_array_equal(t["n_censored"], [0, 1, 0, 1, 0])
    np.testing.assert_allclose(t["survival"], [5 / 6, 2 / 3, 4 / 9, 4 / 9, 0], atol=1e-12)
    np.testing.assert_allclose(t["se"].iloc[1], (2 / 3) * np.sqrt(1 / 12), rtol=1e-12)
    z = 1.959963984540054
    np.testing.assert_allclose(
        t["ci_low"].iloc[1], (2 / 3) * np.exp(-z * np.sqrt(1 / 12)), rtol=1e-12
    )
    assert np.isnan(t["ci_low"].iloc[-1])  # S = 0: no log interval (R gives NA)
    # median: first time with S <= 0.5 is 3; R quantile(fit, 0.5): 3 (lower 2, upper NA)
    med = km.median
    assert med["estimate"].iloc[0] == 3.0 and med["ci_low"].iloc[0] == 2.0
    assert np.isnan(med["ci_high"].iloc[0])
    risk = km.at_risk([0, 2, 2.5, 6])
    assert risk["n_at_risk"].tolist() == [6, 5, 3, 0]
    assert risk["cum_events"].tolist() == [0, 2, 2, 4]


def test_median_midpoint_rule():
    """survfit convention: when S(t) equals 0.5 exactly over a stretch, the median is the
    midpoint to the next event time. Four patients, events at 1, 2, 3, 4: S(2) = 0.5, so
    the median is (2 + 3) / 2 = 2.5 (R: quantile(survfit(Surv(1:4, rep(1, 4)) ~ 1), 0.5)
    gives 2.5, lower limit 1, upper NA)."""
    d = pd.DataFrame(
        {"patient_id": list("abcd"), "time_to_relapse": [1.0, 2, 3, 4], "relapse_event": 1}
    )
    med = kaplan_meier(d, event="relapse").median
    assert med[["estimate", "ci_low"]].iloc[0].tolist() == [2.5, 1.0]
    assert np.isnan(med["ci_high"].iloc[0])


def test_outcomes_and_frame_give_the_same_result():
    """An Outcomes and its patients frame are the same input; the primary scale is the
    default; relapse uses only the patients at risk."""
    out = ka.derive(ka.simulate_cohort(80, seed=5, arms=("ketamine", "placebo")))
    a = kaplan_meier(out, event="relapse", by="arm")
    b = kaplan_meier(out.patients, event="relapse", by="arm", scale="MADRS")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.scale == "MADRS" and a.time_unit == "days"
    p = out.patients.query("scale == 'MADRS'")
    assert a.groups["n"].sum() == p["relapse_at_risk"].sum()
    assert a.n_excluded == (~p["relapse_at_risk"]).sum()
    assert "<strong>Kaplan-Meier: time to relapse" in a._repr_html_()
    c = cox(out, event="relapse", covariates=["arm"])
    assert c.params["term"].tolist() == ["arm[T.placebo]"]
    assert "Cox" in c._repr_html_()


# ---- bad input ----------------------------------------------------------------------------
def test_unknown_event_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"event must be one of response, remission, relapse"):
        kaplan_meier(DATA["a"], event="death")


def test_by_column_must_exist():
    with pytest.raises(ValueError, match=r"by='arms'.*did you mean 'arm'"):
        kaplan_meier(DATA["a"], event="response", by="arms")


def test_logrank_needs_two_groups():
    one = DATA["a"].query("arm == 'ketamine'")
    with pytest.raises(ValueError, match=r"by='arm' has 1 group\(s\) \(ketamine\)"):
        logrank(one, event="response", by="arm")


def test_cox_arguments():
    with pytest.raises(ValueError, match="exactly one of formula= and covariates="):
        cox(DATA["a"], event="relapse")
    with pytest.raises(ValueError, match="ties must be one of efron, breslow"):
        cox(DATA["a"], event="relapse", covariates=["age"], ties="exact")
    with pytest.raises(ValueError, match=r"covariates='agee'"):
        cox(DATA["a"], event="relapse", covariates=["agee"])
    with pytest.raises(ValueError, match="only the right-hand side"):
        cox(DATA["a"], event="relapse", formula="time ~ age")


def test_unknown_scale():
    with pytest.raises(ValueError, match=r"scale='HAMD17' is not in the data; scales present"):
        kaplan_meier(DATA["a"], event="response", scale="HAMD17")
