"""GEE and linear mixed model wrappers: against R geepack and nlme, and hand properties.

Reference values: tests/data/reference/survival/reference.json, written by
make_reference.R in that folder (R 4.2.2, geepack 1.3.9 with geese.control(epsilon =
1e-12), nlme 3.1.162 with tight lmeControl) from sim_a_assessments.csv (MADRS, sessions
0-7 of 240 simulated patients; the GEE uses sessions 1-7). Tolerances: 1e-6 relative for
estimates, 1e-4 relative for standard errors (the fits agree to about 1e-10).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.stats.models import ModelConvergenceWarning, gee, lmm

REF_DIR = Path(__file__).parent / "data" / "reference" / "survival"
REF = json.loads((REF_DIR / "reference.json").read_text())
DEP = json.loads((REF_DIR / "sim_a_gee_dependence.json").read_text())
EST, SE = 1e-6, 1e-4


@pytest.fixture(scope="module")
def sim_a():
    return pd.read_csv(REF_DIR / "sim_a_assessments.csv")


def _by_r_term(params: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Rows in R's order; patsy 'arm[T.midazolam]' is R 'armmidazolam'."""
    names = params["term"].str.replace("[T.", "", regex=False).str.replace("]", "", regex=False)
    names = names.replace({"Intercept": "(Intercept)"})
    return params.assign(term=names).set_index("term").loc[terms]


# ---- GEE ----------------------------------------------------------------------------------
def test_gee_independence_equals_logistic_regression_with_cluster_se(sim_a):
    """Hand property: with the independence working correlation the GEE estimates are the
    logistic regression's, and the robust SEs are the cluster sandwich of statsmodels GLM
    (cov_type="cluster", use_correction=False, i.e. no G/(G-1) factor); to 1e-8."""
    import patsy
    import statsmodels.api as sm

    fit = gee(sim_a, DEP["formula"], cov_struct="independence")
    d = sim_a.loc[sim_a["post_baseline"]].copy()
    d["response"] = d["response"].astype(float)
    y, x = patsy.dmatrices(DEP["formula"], d, return_type="dataframe")
    glm = sm.GLM(y, x, family=sm.families.Binomial()).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(d["patient_id"])[0], "use_correction": False},
    )
    np.testing.assert_allclose(fit.params["estimate"], glm.params, rtol=1e-8)
    np.testing.assert_allclose(fit.params["se"], glm.bse, rtol=1e-8)
    assert fit.n_obs == len(d) and fit.n_patients == d["patient_id"].nunique()


def test_gee_independence_matches_geepack(sim_a):
    """R: geeglm(response ~ arm + session + age, id, family = binomial, corstr =
    "independence"); estimates 1e-6, robust SEs 1e-4."""
    ref = REF["gee"]["independence"]
    p = _by_r_term(gee(sim_a, DEP["formula"], cov_struct="independence").params, ref["term"])
    np.testing.assert_allclose(p["estimate"], ref["estimate"], rtol=EST)
    np.testing.assert_allclose(p["se"], ref["se"], rtol=SE)


def test_gee_exchangeable_matches_geepack(sim_a):
    """R: geeglm(..., corstr = "exchangeable"): geepack's moment estimators divide by N
    and by the number of pairs, which is ketanalysis with ddof_scale=0: alpha and the
    estimates to 1e-6, robust SEs to 1e-4."""
    ref = REF["gee"]["exchangeable"]
    fit = gee(sim_a, DEP["formula"], cov_struct="exchangeable", ddof_scale=0)
    p = _by_r_term(fit.params, ref["term"])
    np.testing.assert_allclose(p["estimate"], ref["estimate"], rtol=EST)
    np.testing.assert_allclose(p["se"], ref["se"], rtol=SE)
    np.testing.assert_allclose(fit.dependence["estimate"].iloc[0], ref["alpha"], rtol=EST)
    # the default (ddof = number of parameters, as SAS GENMOD) gives a slightly smaller alpha
    default = gee(sim_a, DEP["formula"], cov_struct="exchangeable")
    assert default.dependence["estimate"].iloc[0] < ref["alpha"]


@pytest.mark.parametrize(
    ("cov_struct", "key"), [("ar1", "ar1_fixed"), ("unstructured", "unstructured_fixed")]
)
def test_gee_ar1_and_unstructured_match_geepack_at_the_same_correlation(sim_a, cov_struct, key):
    """R: geeglm(..., corstr = "fixed", zcor = fixed2Zcor(R, id, waves)) with R the
    working correlation ketanalysis estimated (sim_a_gee_dependence.json: AR1 rho on
    positions; unstructured by session). The correlation must still be what it was when
    the reference was written (1e-8), then estimates agree to 1e-6 and SEs to 1e-4.
    (geepack's own AR1 and unstructured moment estimators differ from statsmodels'.)"""
    ref = REF["gee"][key]
    fit = gee(sim_a, DEP["formula"], cov_struct=cov_struct)
    np.testing.assert_allclose(fit.dependence["estimate"], DEP[cov_struct], rtol=1e-8)
    p = _by_r_term(fit.params, ref["term"])
    np.testing.assert_allclose(p["estimate"], ref["estimate"], rtol=EST)
    np.testing.assert_allclose(p["se"], ref["se"], rtol=SE)
    assert fit.converged


def test_gee_ar1_rho_by_its_formula(sim_a):
    """Hand property: rho = sum_i mean(lag-1 products) / sum_i mean(squared residuals) of
    the Pearson residuals at the final estimates, assessments in session order; 1e-8."""
    fit = gee(sim_a, DEP["formula"], cov_struct="ar1")
    d = sim_a.loc[sim_a["post_baseline"]].sort_values(["patient_id", "session"])
    beta = fit.params.set_index("term")["estimate"]
    eta = (
        beta["Intercept"]
        + beta["arm[T.midazolam]"] * (d["arm"] == "midazolam")
        + beta["session"] * d["session"]
        + beta["age"] * d["age"]
    )
    mu = 1 / (1 + np.exp(-eta))
    r = (d["response"].astype(float) - mu) / np.sqrt(mu * (1 - mu))
    lag1 = lag0 = 0.0
    for _, ri in r.groupby(d["patient_id"]):
        v = ri.to_numpy()
        if len(v) > 1:
            lag1 += np.sum(v[:-1] * v[1:]) / (len(v) - 1)
            lag0 += np.sum(v**2) / len(v)
    np.testing.assert_allclose(fit.dependence["estimate"].iloc[0], lag1 / lag0, rtol=1e-8)


def test_gee_tidy_output(sim_a):
    """Odds ratios are exp(estimate) with exp'd limits; the statistic is z = estimate / se;
    ``params`` is the ``tidy()`` table."""
    fit = gee(sim_a, "response ~ arm * C(session)", cov_struct="exchangeable")
    p = fit.tidy()
    np.testing.assert_allclose(p["or"], np.exp(p["estimate"]))
    np.testing.assert_allclose(p["or_ci_low"], np.exp(p["ci_low"]))
    np.testing.assert_allclose(p["statistic"], p["estimate"] / p["se"])
    assert list(p.columns) == [
        "term",
        "estimate",
        "se",
        "statistic",
        "p_value",
        "ci_low",
        "ci_high",
        "or",
        "or_ci_low",
        "or_ci_high",
    ]
    assert fit.params.equals(p)


def test_gee_on_outcomes():
    """An Outcomes: the primary scale's post-baseline assessments; the nullable boolean
    response becomes 0/1. A fit stopped early reports converged=False with one warning."""
    out = ka.derive(ka.simulate_cohort(60, seed=4, arms=("ketamine", "placebo")))
    fit = gee(out, "response ~ arm + session", cov_struct="exchangeable")
    a = out.assessments.query("scale == 'MADRS' and post_baseline")
    assert fit.scale == "MADRS" and fit.n_obs == a["response"].notna().sum()
    assert fit.converged and "GEE" in fit._repr_html_()
    with pytest.warns(ModelConvergenceWarning, match="did not converge in max_iter=1"):
        early = gee(out, "response ~ arm + session", cov_struct="exchangeable", max_iter=1)
    assert not early.converged


def test_gee_bad_input(sim_a):
    with pytest.raises(
        ValueError,
        match=r"cov_struct must be one of exchangeable, ar1, unstructured, independence, got 'ar2'",
    ):
        gee(sim_a, "response ~ arm", cov_struct="ar2")
    with pytest.raises(ValueError, match=r"formula must be 'outcome ~ terms'"):
        gee(sim_a, "response")
    with pytest.raises(ValueError, match=r"patient='pid' is not a column"):
        gee(sim_a, "response ~ arm", patient="pid")
    with pytest.raises(ValueError, match=r"a binomial outcome must be 0/1"):
        gee(sim_a, "score ~ arm")
    with pytest.raises(ValueError, match=r"family must be one of binomial, gaussian, poisson"):
        gee(sim_a, "response ~ arm", family="gamma")


# ---- LMM ----------------------------------------------------------------------------------
@pytest.mark.parametrize("random", ["intercept", "slope"])
def test_lmm_matches_nlme(sim_a, random):
    """R: lme(score ~ arm * session, random = ~ 1 | patient_id (or ~ session |
    patient_id), method = "REML"): fixed effects, REML log-likelihood and variance
    components to 1e-6; SEs (GLS at the estimated covariance, as nlme) to 1e-4."""
    ref = REF["lmm"][random]
    fit = lmm(sim_a, "score ~ arm * session", random=random)
    p = _by_r_term(fit.params, ref["term"])
    np.testing.assert_allclose(p["estimate"], ref["estimate"], rtol=EST)
    np.testing.assert_allclose(p["se"], ref["se"], rtol=SE)
    np.testing.assert_allclose(fit.loglik, ref["loglik"], rtol=EST)
    v = fit.variance.set_index("component")["estimate"]
    g = np.asarray(ref["cov_re"], dtype=float)
    np.testing.assert_allclose(v["intercept"], g[0, 0], rtol=EST)
    np.testing.assert_allclose(v["residual"], ref["residual"], rtol=EST)
    if random == "slope":
        np.testing.assert_allclose([v["slope"], v["intercept:slope"]], [g[1, 1], g[0, 1]], rtol=EST)
    assert fit.converged and fit.n_patients == sim_a["patient_id"].nunique()


def test_lmm_bad_input(sim_a):
    with pytest.raises(ValueError, match=r"random must be one of intercept, slope, got 'curve'"):
        lmm(sim_a, "score ~ session", random="curve")
    with pytest.raises(ValueError, match=r"time='week' is not a column"):
        lmm(sim_a, "score ~ session", random="slope", time="week")
