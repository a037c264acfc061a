"""ka.stats.mmrm against SAS PROC MIXED, R nlme::gls, and its own mathematics.

Reference data and their provenance:

- ``tests/data/reference/antidepressant_hamd17.csv`` with the SAS PROC MIXED results listed
  in ``tests/data/reference/antidepressant_hamd17.md`` (copied from shared/reference).
- ``tests/data/reference/mmrm/``: two simulated trials with dropout and the R fits of
  ``make_reference.R`` (nlme::gls, emmeans, glmmTMB) in ``nlme_results.json``; see the
  README there.

Every test states its tolerance and where the expected value comes from.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import patsy
import pytest

import ketanalysis as ka
from ketanalysis.stats import MMRMControl, MMRMConvergenceWarning, MMRMResult, mmrm
from ketanalysis.stats.mmrm.covariance import STRUCTURES, make_structure
from ketanalysis.stats.mmrm.design import build_design
from ketanalysis.stats.mmrm.fit import make_engine
from ketanalysis.stats.mmrm.likelihood import Engine

REF = Path(__file__).parent / "data" / "reference"
SAS_FORMULA = "CHANGE ~ BASVAL:C(VISIT) + C(THERAPY):C(VISIT)"  # SAS: BASVAL*VISIT THERAPY*VISIT


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hamd() -> pd.DataFrame:
    return pd.read_csv(REF / "antidepressant_hamd17.csv")


@pytest.fixture(scope="module")
def sas_fit(hamd) -> MMRMResult:
    return mmrm(hamd, SAS_FORMULA, patient="PATIENT", session="VISIT")


@pytest.fixture(scope="module")
def r_results() -> dict:
    return json.loads((REF / "mmrm" / "nlme_results.json").read_text())


def _r_data(name: str) -> pd.DataFrame:
    if name == "hamd17":
        h = pd.read_csv(REF / "antidepressant_hamd17.csv")
        return pd.DataFrame(
            {
                "id": h["PATIENT"].astype(str),
                "visit": h["VISIT"],
                "arm": h["THERAPY"],
                "base": h["BASVAL"],
                "y": h["CHANGE"],
            }
        )
    return pd.read_csv(REF / "mmrm" / f"{name}.csv")


R_FORMULAS = {  # the R formulas of make_reference.R, in patsy
    "sim_a": "y ~ base*C(visit) + arm*C(visit)",
    "sim_b": "y ~ base + sex + age + arm*C(visit)",
    "hamd17": "y ~ base*C(visit) + arm*C(visit)",
}


def _norm_patsy(name: str) -> str:
    """patsy column name -> R's, e.g. 'arm[T.trt]:C(visit)[T.2]' -> 'armtrt:visit2'."""
    parts = []
    for part in name.split(":"):
        m = re.fullmatch(r"(?:C\()?(\w+)\)?\[T\.(.+)\]", part)
        parts.append(m.group(1) + m.group(2) if m else part.replace("Intercept", "(Intercept)"))
    return ":".join(sorted(parts))


def _r_vector(values: dict, terms) -> np.ndarray:
    r = {":".join(sorted(k.split(":"))): v for k, v in values.items()}
    return np.array([r[_norm_patsy(t)] for t in terms])


# -- SAS PROC MIXED (antidepressant_hamd17.md) ----------------------------------------------
SAS_LSMEANS = [  # visit, arm, estimate, se, df
    (4, "DRUG", -1.6051, 0.4865, 169),
    (4, "PLACEBO", -1.6969, 0.4747, 169),
    (5, "DRUG", -4.2200, 0.6579, 165),
    (5, "PLACEBO", -2.8168, 0.6428, 165),
    (6, "DRUG", -6.3663, 0.7101, 161),
    (6, "PLACEBO", -4.1416, 0.6967, 162),
    (7, "DRUG", -7.6239, 0.7914, 149),
    (7, "PLACEBO", -4.8221, 0.7785, 151),
]
SAS_DIFFS = [  # visit, estimate, se, df (None: not reported), p
    (4, 0.09181, 0.6826, 169, 0.8932),
    (5, -1.4032, 0.9244, 165, 0.1309),
    (6, -2.2247, 1.0008, None, 0.0276),
    (7, -2.8018, 1.1163, 150, 0.0131),
]
SAS_UN = np.array(
    [
        [19.6845, 16.5157, 15.3879, 16.3599],
        [16.5157, 34.2105, 25.4250, 26.1843],
        [15.3879, 25.4250, 38.4363, 33.8949],
        [16.3599, 26.1843, 33.8949, 45.2587],
    ]
)


def test_sas_reml_loglik_aic_bic(sas_fit):
    """-2 Res Log Likelihood 3494.2029 (+-1e-3); AIC 3514.2, BIC 3545.7 (+-0.05, printed to 1
    decimal). SAS: REML AIC = -2RLL + 2 * 10 covariance parameters, BIC uses log(172)."""
    assert sas_fit.converged
    assert -2 * sas_fit.loglik == pytest.approx(3494.2029, abs=1e-3)
    assert sas_fit.aic == pytest.approx(3514.2, abs=0.05)
    assert sas_fit.bic == pytest.approx(3545.7, abs=0.05)
    assert (sas_fit.n_patients, sas_fit.n_obs) == (172, 608)


def test_sas_covariance(sas_fit):
    """UN matrix of SAS to +-1.5e-4 (SAS prints 4 decimals, and stops its Newton-Raphson at
    its own criterion: see the next test)."""
    np.testing.assert_allclose(sas_fit.covariance.to_numpy(), SAS_UN, atol=1.5e-4)
    assert list(sas_fit.covariance.index) == [4, 5, 6, 7]


def test_sas_iterate_reproduces_sas_loglik(hamd, sas_fit):
    """At SAS's printed covariance (no optimisation), -2 RLL is SAS's 3494.20285008 to 2e-8;
    ketanalysis's optimum is below it (SAS's last iterate is 2e-8 from the minimum)."""
    at_sas = mmrm(
        hamd,
        SAS_FORMULA,
        patient="PATIENT",
        session="VISIT",
        control=MMRMControl(start=SAS_UN, max_iter=0),
    )
    assert -2 * at_sas.loglik == pytest.approx(3494.20285008, abs=2e-8)
    assert -2 * sas_fit.loglik < -2 * at_sas.loglik


def test_sas_lsmeans(sas_fit):
    """LS-means and SEs to 4 decimals (+-5e-5), Kenward-Roger df within +-1 of SAS."""
    lsm = sas_fit.lsmeans("THERAPY", by="VISIT")
    assert list(lsm.columns) == [
        "VISIT",
        "THERAPY",
        "estimate",
        "se",
        "df",
        "t",
        "p_value",
        "ci_low",
        "ci_high",
    ]
    expected = pd.DataFrame(SAS_LSMEANS, columns=["VISIT", "THERAPY", "est", "se", "df"])
    assert (
        lsm[["VISIT", "THERAPY"]].values.tolist() == expected[["VISIT", "THERAPY"]].values.tolist()
    )
    np.testing.assert_allclose(lsm["estimate"], expected["est"], atol=5e-5 + 1e-9)
    np.testing.assert_allclose(lsm["se"], expected["se"], atol=5e-5 + 1e-9)
    np.testing.assert_allclose(lsm["df"], expected["df"], atol=1)


def test_sas_differences(sas_fit):
    """DRUG - PLACEBO: estimates and SEs to 4 decimals, df +-1, p-values to 3 decimals,
    t at visit 7 -2.51 (2 decimals)."""
    con = sas_fit.contrasts("THERAPY", by="VISIT")
    assert con["contrast"].unique().tolist() == ["DRUG - PLACEBO"]
    for (_, row), (visit, est, se, df, p) in zip(con.iterrows(), SAS_DIFFS, strict=True):
        assert row["VISIT"] == visit
        assert row["estimate"] == pytest.approx(est, abs=5e-5 + 1e-9)
        assert row["se"] == pytest.approx(se, abs=5e-5 + 1e-9)
        if df is not None:
            assert row["df"] == pytest.approx(df, abs=1)
        assert row["p_value"] == pytest.approx(p, abs=5e-4)
    assert con["t"].iloc[-1] == pytest.approx(-2.51, abs=5e-3)


def test_sas_type3(sas_fit):
    """Type 3 tests: BASVAL*VISIT F 6.46 (4, 153); VISIT*THERAPY F 1.99 (7, 206), p 0.0573.
    F to 2 decimals, denominator df +-1, p to 3 decimals."""
    t3 = sas_fit.type3().set_index("term")
    assert list(t3.columns) == ["num_df", "den_df", "f", "p_value"]
    basval = t3.loc["BASVAL:C(VISIT)"]
    therapy = t3.loc["C(THERAPY):C(VISIT)"]
    assert (basval["num_df"], therapy["num_df"]) == (4, 7)
    assert basval["f"] == pytest.approx(6.46, abs=5e-3)
    assert basval["den_df"] == pytest.approx(153, abs=1)
    assert therapy["f"] == pytest.approx(1.99, abs=5e-3)
    assert therapy["den_df"] == pytest.approx(206, abs=1)
    assert therapy["p_value"] == pytest.approx(0.0573, abs=5e-4)


def test_sas_model_written_hierarchically_gives_the_same_lsmeans(hamd, sas_fit):
    """'BASVAL*C(VISIT) + THERAPY*C(VISIT)' spans the columns of SAS's model: same fit,
    LS-means and differences (to 1e-7 relative; LS-means do not depend on coding)."""
    fit = mmrm(hamd, "CHANGE ~ BASVAL*C(VISIT) + THERAPY*C(VISIT)", patient="PATIENT",
               session="VISIT")  # fmt: skip
    assert fit.loglik == pytest.approx(sas_fit.loglik, rel=1e-10)
    for a, b in [
        (fit.lsmeans("THERAPY", by="VISIT"), sas_fit.lsmeans("THERAPY", by="VISIT")),
        (fit.contrasts("THERAPY", by="VISIT"), sas_fit.contrasts("THERAPY", by="VISIT")),
    ]:
        for col in ("estimate", "se", "df", "p_value"):
            np.testing.assert_allclose(a[col], b[col], rtol=1e-7)
    # the hierarchical Type 3 table splits VISIT*THERAPY into VISIT, THERAPY, THERAPY:VISIT
    assert fit.type3()["term"].tolist() == [
        "C(VISIT)",
        "THERAPY",
        "THERAPY:C(VISIT)",
        "BASVAL",
        "BASVAL:C(VISIT)",
    ]


def test_sas_kenward_roger_uses_observed_information(hamd, sas_fit):
    """Which W reproduces SAS? With the expected information (Kenward & Roger's choice) the
    visit-7 difference has SE 1.11635 and df 154 (SAS: 1.1163, 150); with the observed
    information (our default) 1.11628 and 150.1. Second-order terms vanish for UN in SAS's
    linear parameterisation (a log-Cholesky parameterisation with them gives SE 1.1066)."""
    expected = mmrm(hamd, SAS_FORMULA, patient="PATIENT", session="VISIT",
                    control=MMRMControl(information="expected"))  # fmt: skip
    last = expected.contrasts("THERAPY", by="VISIT").iloc[-1]
    assert last["df"] == pytest.approx(154.2, abs=0.1)
    assert last["se"] == pytest.approx(1.11635, abs=1e-5)
    ours = sas_fit.contrasts("THERAPY", by="VISIT").iloc[-1]
    assert (ours["df"], ours["se"]) == (
        pytest.approx(150.1, abs=0.1),
        pytest.approx(1.11628, abs=1e-5),
    )


def test_sas_data_other_df_methods(hamd):
    """Residual df = 608 - 12 = 596 (SAS DDFM=RESIDUAL); Satterthwaite and residual use the
    model-based SE: 1.114 at visit 7 (shared/reference README, nlme), KR gives 1.1163."""
    for df in ("satterthwaite", "residual", "between-within"):
        fit = mmrm(hamd, SAS_FORMULA, patient="PATIENT", session="VISIT", df=df)
        con = fit.contrasts("THERAPY", by="VISIT")
        assert con["se"].iloc[-1] == pytest.approx(1.114, abs=5e-4)
        if df == "residual":
            assert (con["df"] == 596).all()
            assert (fit.type3()["den_df"] == 596).all()
        if df == "satterthwaite":
            # one-row Satterthwaite df equal Kenward-Roger's (Kenward & Roger 1997: l = 1)
            np.testing.assert_allclose(con["df"], [169.0, 164.867, 162.2775, 150.1018], atol=1e-3)


# -- R nlme::gls (tests/data/reference/mmrm/) ---------------------------------------------------
R_KEYS = [
    "sim_a/us/REML",
    "sim_b/us/REML",
    "sim_a/cs/REML",
    "sim_b/cs/REML",
    "sim_a/csh/REML",
    "sim_b/csh/REML",
    "sim_a/ar1/REML",
    "sim_b/ar1/REML",
    "sim_a/ar1h/REML",
    "sim_b/ar1h/REML",
    "sim_a/us/ML",
    "sim_b/us/ML",
    "sim_b/ar1/ML",
    "hamd17/us/REML",
]


def _fit_r(key: str, control=None) -> MMRMResult:
    data, structure, method = key.split("/")
    return mmrm(
        _r_data(data),
        R_FORMULAS[data],
        patient="id",
        session="visit",
        covariance=structure,
        reml=method == "REML",
        df="residual",
        control=control,
    )


def _se_scale(fit: MMRMResult, method: str) -> float:
    """nlme's vcov of an ML fit uses sigma^2 with N - p in the denominator (REML-style), SAS
    and ketanalysis the ML estimate: nlme's ML SEs are sqrt(N / (N - p)) times larger."""
    if method == "REML":
        return 1.0
    return float(np.sqrt(fit.n_obs / (fit.n_obs - len(fit.params))))


@pytest.mark.parametrize("key", R_KEYS)
def test_nlme_at_nlme_covariance(key, r_results):
    """At nlme's fitted covariance (no optimisation), the GLS estimates and everything built
    on them match nlme and emmeans: -2 log-likelihood to 1e-9 relative, estimates, LS-means
    and differences and model-based SEs to 1e-8 relative (the acceptance criteria ask 1e-6
    and 1e-4; measured: 3e-12)."""
    r = r_results[key]
    V = np.array(r["covariance"])
    fit = _fit_r(key, MMRMControl(start=V, max_iter=0))
    np.testing.assert_allclose(fit.covariance.to_numpy(), V, rtol=1e-10)
    assert -2 * fit.loglik == pytest.approx(r["minus2loglik"], rel=1e-9)
    terms = fit.params["term"]
    np.testing.assert_allclose(fit.params["estimate"], _r_vector(r["coef"], terms), rtol=1e-8)
    scale = _se_scale(fit, key.split("/")[2])
    np.testing.assert_allclose(fit.params["se"] * scale, _r_vector(r["se"], terms), rtol=1e-8)
    lsm = fit.lsmeans("arm", by="visit")
    assert lsm["arm"].tolist() == r["lsmeans"]["level"]
    assert lsm["visit"].astype(str).tolist() == r["lsmeans"]["by"]
    np.testing.assert_allclose(lsm["estimate"], r["lsmeans"]["estimate"], rtol=1e-8)
    np.testing.assert_allclose(lsm["se"] * scale, r["lsmeans"]["se"], rtol=1e-8)
    con = fit.contrasts("arm", by="visit")
    assert con["contrast"].tolist() == r["contrasts"]["contrast"]
    np.testing.assert_allclose(con["estimate"], r["contrasts"]["estimate"], rtol=1e-8)
    np.testing.assert_allclose(con["se"] * scale, r["contrasts"]["se"], rtol=1e-8)


@pytest.mark.parametrize("key", R_KEYS)
def test_nlme_free_fit(key, r_results):
    """Fitted independently: -2 log-likelihood to 1e-10 relative and never above nlme's
    (+1e-8); covariance to 1e-5 relative; estimates within 1e-5 standard errors and model-based
    SEs to 1e-5 relative (nlme stops 1e-10 to 1e-9 above the minimum of -2 log-likelihood,
    see the README; measured: estimates 6.7e-6 relative at worst, for a coefficient of 0.004,
    1.7e-6 SE; SEs 1.3e-6)."""
    r = r_results[key]
    fit = _fit_r(key)
    assert fit.converged
    ll = -2 * fit.loglik
    assert ll == pytest.approx(r["minus2loglik"], rel=1e-10)
    assert ll <= r["minus2loglik"] + 1e-8
    V = np.array(r["covariance"])
    np.testing.assert_allclose(fit.covariance.to_numpy(), V, rtol=1e-5, atol=1e-5 * V.max())
    terms = fit.params["term"]
    est, se = fit.params["estimate"].to_numpy(), fit.params["se"].to_numpy()
    assert np.all(np.abs(est - _r_vector(r["coef"], terms)) <= 1e-5 * se)
    scale = _se_scale(fit, key.split("/")[2])
    np.testing.assert_allclose(se * scale, _r_vector(r["se"], terms), rtol=1e-5)


def test_glmmtmb_heterogeneous_toeplitz(r_results):
    """glmmTMB toep() (heterogeneous Toeplitz, REML, dispersion fixed near 0): nlme has no
    Toeplitz structure. glmmTMB reports false convergence and stops 1.7e-4 above our
    -2 log-likelihood: ours must be lower and within 1e-6 relative; covariance to 3e-3."""
    r = r_results["sim_a/toeph/REML/glmmTMB"]
    fit = mmrm(_r_data("sim_a"), R_FORMULAS["sim_a"], patient="id", session="visit",
               covariance="toeph")  # fmt: skip
    ll = -2 * fit.loglik
    assert ll <= r["minus2loglik"]
    assert ll == pytest.approx(r["minus2loglik"], rel=1e-6)
    np.testing.assert_allclose(fit.covariance.to_numpy(), np.array(r["covariance"]), rtol=3e-3)


# -- the mathematics, checked against direct computation ------------------------------------
def _design(data, formula, subject="id", session="visit"):
    env = patsy.EvalEnvironment.capture(0)
    return build_design(data, formula, subject, session, env, 1e-10)


def _dense_minus2ll(design, Sigma, reml):
    """-2 (restricted) log-likelihood by the textbook formula, subject by subject."""
    X, y = design.X, design.y
    N, p = X.shape
    blocks = []
    for s in np.unique(design.subject_codes):
        rows = design.subject_codes == s
        idx = design.session_codes[rows]
        blocks.append((X[rows], y[rows], Sigma[np.ix_(idx, idx)]))
    xvx = sum(x.T @ np.linalg.solve(v, x) for x, _, v in blocks)
    xvy = sum(x.T @ np.linalg.solve(v, yy) for x, yy, v in blocks)
    beta = np.linalg.solve(xvx, xvy)
    f = sum(np.linalg.slogdet(v)[1] + (yy - x @ beta) @ np.linalg.solve(v, yy - x @ beta)
            for x, yy, v in blocks)  # fmt: skip
    if reml:
        return f + (N - p) * np.log(2 * np.pi) + np.linalg.slogdet(xvx)[1]
    return f + N * np.log(2 * np.pi)


@pytest.mark.parametrize("reml", [True, False])
def test_engine_matches_textbook_likelihood_and_gradient(reml):
    """Pattern-wise engine (sufficient statistics and direct whitening) = subject-by-subject
    formula to 1e-10 relative; analytic d(-2l)/dSigma = central differences to 1e-6."""
    data = _r_data("sim_a")
    design = _design(data, R_FORMULAS["sim_a"])
    T = len(design.sessions)
    rng = np.random.default_rng(3)
    A = rng.normal(size=(T, T))
    Sigma = A @ A.T + T * np.eye(T)
    engine = make_engine(design, T, reml)
    assert any(p.suff for p in engine.patterns) and not all(p.suff for p in engine.patterns)
    ev = engine.evaluate(Sigma, grad=True, exact=True)
    assert ev["f"] == pytest.approx(_dense_minus2ll(design, Sigma, reml), rel=1e-10)
    for pat in engine.patterns:  # the other path gives the same value
        if not pat.suff:
            pat.make_sufficient()
    assert Engine(engine.patterns, T, reml).evaluate(Sigma)["f"] == pytest.approx(
        ev["f"], rel=1e-10
    )
    h = 1e-5
    for a, b in [(0, 0), (1, 0), (T - 1, 2)]:
        E = np.zeros((T, T))
        E[a, b] = E[b, a] = 1.0
        fd = (engine.evaluate(Sigma + h * E)["f"] - engine.evaluate(Sigma - h * E)["f"]) / (2 * h)
        analytic = ev["G"][a, b] * (1 if a == b else 2)
        assert analytic == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("name", STRUCTURES)
def test_structure_derivatives(name):
    """Complex-step/analytic dSigma/dtheta and the natural-parameter first and second
    derivatives agree with central differences (1e-6); natural <-> Sigma round trip."""
    structure = make_structure(name, ["a", "b", "c", "d"])
    rng = np.random.default_rng(1)
    theta = 0.4 * rng.normal(size=structure.n_theta)
    S = structure.sigma(theta)
    assert np.all(np.linalg.eigvalsh(S) > 0)
    eye = np.eye(structure.n_theta)
    h = 1e-6
    fd = np.stack([(structure.sigma(theta + h * e) - structure.sigma(theta - h * e)) / (2 * h)
                   for e in eye])  # fmt: skip
    np.testing.assert_allclose(structure.dsigma(theta), fd, atol=1e-7)
    phi = structure.natural(S)
    assert len(phi) == len(structure.natural_names) == structure.n_theta
    np.testing.assert_allclose(structure.natural_sigma(phi), S, atol=1e-12)
    np.testing.assert_allclose(structure.sigma(structure.start(S)), S, atol=1e-9)
    first, second = structure.natural_derivatives(phi)
    eye = np.eye(len(phi))
    fd1 = np.stack([(structure.natural_sigma(phi + h * e) - structure.natural_sigma(phi - h * e))
                    / (2 * h) for e in eye])  # fmt: skip
    np.testing.assert_allclose(first, fd1, atol=1e-7)
    if second is None:
        assert structure.linear
    else:
        fd2 = np.stack([(structure.natural_derivatives(phi + h * e)[0]
                         - structure.natural_derivatives(phi - h * e)[0]) / (2 * h)
                        for e in eye])  # fmt: skip
        np.testing.assert_allclose(second, fd2, atol=1e-6)


@pytest.mark.parametrize("name", ["us", "ar1h", "toeph"])
def test_observed_information_is_the_hessian(name):
    """Observed information (analytic, natural parameters, second-derivative terms included)
    = central-difference Hessian of -l_R at the optimum, to 1e-4 relative."""
    data = _r_data("sim_a")
    fit = mmrm(data, R_FORMULAS["sim_a"], patient="id", session="visit", covariance=name)
    design = _design(data, R_FORMULAS["sim_a"])
    structure = make_structure(name, design.sessions)
    engine = make_engine(design, len(design.sessions), True)
    phi = fit.cov_params["estimate"].to_numpy()
    first, second = structure.natural_derivatives(phi)
    ev = engine.evaluate(structure.natural_sigma(phi), grad=True)
    info = engine.inference(ev, first, second, "observed", kr=False)["info"]

    def grad(ph):  # gradient of -l_R = 0.5 * d(-2 l_R)
        e = engine.evaluate(structure.natural_sigma(ph), grad=True)
        return 0.5 * np.einsum("kab,ab->k", structure.natural_derivatives(ph)[0], e["G"])

    h = 1e-5 * np.maximum(np.abs(phi), 1e-2)
    hess = np.stack([(grad(phi + h[k] * e) - grad(phi - h[k] * e)) / (2 * h[k])
                     for k, e in enumerate(np.eye(len(phi)))])  # fmt: skip
    np.testing.assert_allclose(
        info, 0.5 * (hess + hess.T), rtol=1e-4, atol=1e-6 * np.abs(info).max()
    )
    np.testing.assert_allclose(
        fit.cov_params["se"], np.sqrt(np.diag(np.linalg.inv(info))), rtol=1e-8
    )


def test_toeplitz_is_at_a_minimum():
    """Homogeneous Toeplitz (no R reference): -2 l_R equals the textbook value (1e-10) and
    rises when any covariance parameter moves by 1e-3 relative."""
    data = _r_data("sim_b")
    fit = mmrm(data, R_FORMULAS["sim_b"], patient="id", session="visit", covariance="toeplitz")
    design = _design(data, R_FORMULAS["sim_b"])
    S = fit.covariance.to_numpy()
    f0 = -2 * fit.loglik
    assert f0 == pytest.approx(_dense_minus2ll(design, S, True), rel=1e-10)
    structure = make_structure("toeplitz", design.sessions)
    phi = structure.natural(S)
    engine = make_engine(design, len(design.sessions), True)
    for k in range(len(phi)):
        for sign in (-1, 1):
            moved = phi.copy()
            moved[k] *= 1 + sign * 1e-3
            assert engine.evaluate(structure.natural_sigma(moved))["f"] > f0


def test_kenward_roger_one_row_is_satterthwaite_with_adjusted_se(sas_fit, hamd):
    """For one contrast, KR's F scale is 1 and its df = Satterthwaite's (Kenward & Roger 1997,
    l = 1); only the SE differs (adjusted Phi_A), so F(KR) = t^2."""
    sat = mmrm(hamd, SAS_FORMULA, patient="PATIENT", session="VISIT", df="satterthwaite")
    a = sas_fit.contrasts("THERAPY", by="VISIT")
    b = sat.contrasts("THERAPY", by="VISIT")
    np.testing.assert_allclose(a["df"], b["df"], rtol=1e-10)
    assert np.all(a["se"] > b["se"])
    row = np.zeros(len(sas_fit.params))
    row[sas_fit.params["term"].tolist().index("C(THERAPY)[T.PLACEBO]:C(VISIT)[7]")] = 1.0
    test = sas_fit.test(row)
    est = sas_fit.params.set_index("term").loc["C(THERAPY)[T.PLACEBO]:C(VISIT)[7]"]
    assert test["f"].iloc[0] == pytest.approx(est["t"] ** 2, rel=1e-10)
    assert test["den_df"].iloc[0] == pytest.approx(est["df"], rel=1e-10)


def test_results_do_not_depend_on_row_order():
    """Shuffling the rows changes nothing (1e-9 relative)."""
    data = _r_data("sim_b")
    shuffled = data.sample(frac=1.0, random_state=5)
    a = mmrm(data, R_FORMULAS["sim_b"], patient="id", session="visit", covariance="csh")
    b = mmrm(shuffled, R_FORMULAS["sim_b"], patient="id", session="visit", covariance="csh")
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    np.testing.assert_allclose(a.params["estimate"], b.params["estimate"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.params["df"], b.params["df"], rtol=1e-7)


# -- API ----------------------------------------------------------------------------------------
def test_result_object(sas_fit):
    assert dataclasses.is_dataclass(sas_fit)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sas_fit.loglik = 0.0
    assert list(sas_fit.params.columns) == [
        "term", "estimate", "se", "df", "t", "p_value", "ci_low", "ci_high"
    ]  # fmt: skip
    assert list(sas_fit.cov_params.columns) == ["parameter", "estimate", "se"]
    assert sas_fit.cov_params["parameter"].iloc[1] == "UN(5,4)"
    stats_table = sas_fit.fit_statistics().set_index("statistic")["value"]
    assert stats_table["-2 res log likelihood"] == pytest.approx(-2 * sas_fit.loglik)
    assert stats_table["subjects"] == 172
    tidy, glance = sas_fit.tidy(), sas_fit.glance()
    assert tidy["statistic"].tolist() == sas_fit.params["t"].tolist()
    assert glance["n"].iloc[0] == 172 and glance["loglik"].iloc[0] == sas_fit.loglik
    assert isinstance(sas_fit.summary(), str) and "MMRM:" in sas_fit.summary()
    html = sas_fit._repr_html_()
    assert "<table" in html and "Fixed effects" in html
    assert "-2LL=3494.2029" in repr(sas_fit)
    assert sas_fit.vcov.shape == (12, 12)
    np.testing.assert_allclose(np.sqrt(np.diag(sas_fit.vcov)), sas_fit.params["se"])


def test_lsmeans_options(sas_fit):
    """'at' fixes a covariate (LS-means move by slope x change) or keeps factor levels;
    contrasts: trt.vs.ctrl, revpairwise and custom weights."""
    base = sas_fit.lsmeans("THERAPY", by="VISIT")
    at = sas_fit.lsmeans("THERAPY", by="C(VISIT)", at={"BASVAL": 20.0, "VISIT": [7]})
    slope7 = sas_fit.params.set_index("term").loc["BASVAL:C(VISIT)[7]", "estimate"]
    mean_basval = 20.0 - sas_fit._terms.covariate_means["BASVAL"]
    assert at["VISIT"].tolist() == [7, 7]
    np.testing.assert_allclose(at["estimate"], base["estimate"].iloc[-2:] + slope7 * mean_basval)
    rev = sas_fit.contrasts("THERAPY", by="VISIT", method="revpairwise")
    ctl = sas_fit.contrasts("THERAPY", by="VISIT", method="trt.vs.ctrl", ref="PLACEBO")
    custom = sas_fit.contrasts("THERAPY", by="VISIT", method={"drug minus placebo": [1, -1]})
    pair = sas_fit.contrasts("THERAPY", by="VISIT")
    assert rev["contrast"].iloc[0] == "PLACEBO - DRUG"
    np.testing.assert_allclose(rev["estimate"], -pair["estimate"])
    np.testing.assert_allclose(ctl["estimate"], pair["estimate"])
    np.testing.assert_allclose(custom["estimate"], pair["estimate"])
    visits = sas_fit.contrasts("VISIT", by="THERAPY", method="trt.vs.ctrl")
    assert visits["contrast"].tolist()[:3] == ["5 - 4", "6 - 4", "7 - 4"]
    marginal = sas_fit.lsmeans("THERAPY")  # averaged over visits with equal weights
    np.testing.assert_allclose(
        marginal["estimate"], base.groupby("THERAPY")["estimate"].mean().to_numpy()
    )


def test_ml_and_missing_values(hamd):
    """Rows with a missing response are dropped (n_dropped); ML AIC counts fixed effects."""
    data = hamd.copy()
    data.loc[[0, 5], "CHANGE"] = np.nan
    fit = mmrm(data, SAS_FORMULA, patient="PATIENT", session="VISIT", reml=False)
    assert (fit.n_obs, fit.n_dropped) == (606, 2)
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * (10 + 12))


def test_text_sessions_and_ordered_categorical():
    """Text sessions sort as text; an ordered categorical keeps its order."""
    data = _r_data("sim_b")
    fit = mmrm(data, R_FORMULAS["sim_b"], patient="id", session="visit", covariance="ar1")
    assert fit.sessions == ("wk01", "wk02", "wk03", "wk04", "wk05", "wk06")
    order = ["wk06", "wk05", "wk04", "wk03", "wk02", "wk01"]
    data = data.assign(visit=pd.Categorical(data["visit"], categories=order, ordered=True))
    rev = mmrm(data, R_FORMULAS["sim_b"], patient="id", session="visit", covariance="ar1")
    assert rev.sessions == tuple(order)
    assert rev.loglik == pytest.approx(fit.loglik, rel=1e-10)  # AR(1) is symmetric in time


def test_convergence_failure_warns(hamd):
    with pytest.warns(MMRMConvergenceWarning, match="did not converge"):
        fit = mmrm(hamd, SAS_FORMULA, patient="PATIENT", session="VISIT",
                   control=MMRMControl(max_iter=1))  # fmt: skip
    assert not fit.converged


@pytest.mark.parametrize("optimizer", ["L-BFGS-B", "BFGS"])
def test_quasi_newton_optimizers_agree(hamd, sas_fit, optimizer):
    fit = mmrm(hamd, SAS_FORMULA, patient="PATIENT", session="VISIT",
               control=MMRMControl(optimizer=optimizer))  # fmt: skip
    assert fit.converged
    assert fit.loglik == pytest.approx(sas_fit.loglik, rel=1e-12)
    np.testing.assert_allclose(fit.params["estimate"], sas_fit.params["estimate"], rtol=1e-7)


# -- errors ---------------------------------------------------------------------------------
def test_rank_deficient_design_names_columns_and_empty_cells(hamd):
    """A session with no data in one arm: the empty cell and the aliased column are named."""
    data = hamd[~((hamd["THERAPY"] == "DRUG") & (hamd["VISIT"] == 7))]
    with pytest.raises(ValueError, match=r"No rows at: THERAPY=DRUG, C\(VISIT\)=7") as err:
        mmrm(data, "CHANGE ~ BASVAL*C(VISIT) + THERAPY*C(VISIT)", patient="PATIENT",
             session="VISIT")  # fmt: skip
    assert "THERAPY[T.PLACEBO]:C(VISIT)[T.7]" in str(err.value)
    collinear = hamd.assign(B2=2 * hamd["BASVAL"])
    with pytest.raises(ValueError, match=r"aliased\): B2"):
        mmrm(collinear, "CHANGE ~ BASVAL + B2 + C(VISIT)", patient="PATIENT", session="VISIT")


def test_unidentifiable_covariance(hamd):
    few = hamd[hamd["PATIENT"].isin(hamd["PATIENT"].unique()[:8])]
    with pytest.raises(ValueError, match="8 subjects cannot estimate the 10 parameters"):
        mmrm(few, "CHANGE ~ C(VISIT)", patient="PATIENT", session="VISIT")
    assert mmrm(few, "CHANGE ~ C(VISIT)", patient="PATIENT", session="VISIT", covariance="cs")
    first_half = hamd["PATIENT"].isin(hamd["PATIENT"].unique()[:86])
    apart = hamd[~((first_half & (hamd["VISIT"] == 5)) | (~first_half & (hamd["VISIT"] == 4)))]
    with pytest.raises(ValueError, match=r"no subject is observed at both sessions of \(4, 5\)"):
        mmrm(apart, "CHANGE ~ C(VISIT)", patient="PATIENT", session="VISIT")
    # a structured covariance is identifiable without that pair
    assert mmrm(apart, "CHANGE ~ C(VISIT)", patient="PATIENT", session="VISIT", covariance="ar1")


def test_input_errors(hamd):
    with pytest.raises(TypeError, match="data"):
        mmrm(hamd.to_dict(), SAS_FORMULA)
    with pytest.raises(ValueError, match="patient: column 'patient_id'"):
        mmrm(hamd, SAS_FORMULA)
    with pytest.raises(ValueError, match="covariance"):
        mmrm(hamd, SAS_FORMULA, patient="PATIENT", session="VISIT", covariance="un")
    with pytest.raises(ValueError, match="df"):
        mmrm(hamd, SAS_FORMULA, patient="PATIENT", session="VISIT", df="kr")
    with pytest.raises(ValueError, match="control.information"):
        MMRMControl(information="hessian")
    with pytest.raises(ValueError, match="control.optimizer"):
        MMRMControl(optimizer="nelder-mead")
    with pytest.raises(ValueError, match="formula"):
        mmrm(hamd, "CHANGE ~ nonexistent", patient="PATIENT", session="VISIT")
    dup = pd.concat([hamd, hamd.iloc[[3]]])
    with pytest.raises(ValueError, match=r"more than one row .* \(rows 3, 3\)"):
        mmrm(dup, SAS_FORMULA, patient="PATIENT", session="VISIT")
    missing = hamd.astype({"VISIT": float})
    missing.loc[7, "VISIT"] = np.nan
    with pytest.raises(ValueError, match="missing values in rows 7"):
        mmrm(missing, "CHANGE ~ BASVAL", patient="PATIENT", session="VISIT")


def test_lsmeans_errors(sas_fit):
    with pytest.raises(ValueError, match="'BASVAL' is not a categorical factor"):
        sas_fit.lsmeans("BASVAL")
    with pytest.raises(ValueError, match="at: VISIT has no level"):
        sas_fit.lsmeans("THERAPY", at={"VISIT": 9})
    with pytest.raises(ValueError, match="'AGE' is not a covariate"):
        sas_fit.lsmeans("THERAPY", at={"AGE": 40})
    with pytest.raises(ValueError, match="method"):
        sas_fit.contrasts("THERAPY", method="tukey")
    with pytest.raises(ValueError, match="2 weights"):
        sas_fit.contrasts("VISIT", method={"x": [1, -1]})


def test_stats_never_imports_matplotlib():
    code = "import ketanalysis as ka, sys; ka.stats.mmrm; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_names():
    assert {"mmrm", "MMRMResult", "MMRMControl"} <= set(ka.stats.__all__)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ka.stats.mmrm is mmrm


def test_single_threaded_blas_restores_the_thread_count():
    """The fit runs on one OpenBLAS thread in the calling thread only, restored on exit."""
    from ketanalysis.stats.mmrm.blas import _openblas_setters, single_threaded_blas

    setters = _openblas_setters()
    if not setters:
        pytest.skip("no OpenBLAS with openblas_set_num_threads_local in this process")

    def read():
        out = []
        for fn in setters:
            n = fn(1)
            fn(n)
            out.append(n)
        return out

    before = read()
    with single_threaded_blas():
        assert read() == [1] * len(setters)
    assert read() == before


def test_start_values_are_projected_when_pairwise_moments_are_not_positive_definite():
    """Pairwise residual moments of incomplete data can be indefinite; the fit starts from
    the nearest correlation with eigenvalues >= 0.05 and reaches the same optimum as a
    diagonal start (the reference here: the same model started from control.start)."""
    import numpy as np
    import pandas as pd

    from ketanalysis.stats.mmrm.fit import _positive_definite

    # Hand-built pairs: sessions (a, b) move together, (b, c) move together, (a, c) move
    # opposite, each pair seen in different subjects: correlations +1, +1, -1 cannot hold
    # at once, so the pairwise matrix is indefinite.
    S = np.array([[1.0, 0.95, -0.95], [0.95, 1.0, 0.95], [-0.95, 0.95, 1.0]])
    assert np.linalg.eigvalsh(S).min() < 0
    P = _positive_definite(S)
    assert np.linalg.eigvalsh(P).min() > 0
    assert np.allclose(np.diag(P), 1.0)
    assert _positive_definite(np.eye(3)) is not None
    assert np.array_equal(_positive_definite(np.eye(3) * 2.0), np.eye(3) * 2.0)

    rng = np.random.default_rng(11)
    rows = []
    for i in range(60):
        pair = [("a", "b"), ("b", "c"), ("a", "c")][i % 3]
        sign = -1.0 if pair == ("a", "c") else 1.0
        e = rng.normal()
        for k, sess in enumerate(pair):
            noise = e * (sign if k == 1 else 1.0) + 0.3 * rng.normal()
            rows.append({"patient_id": f"P{i:03d}", "session": sess, "y": 10 + noise})
    data = pd.DataFrame(rows)
    for i in range(60, 90):  # a few complete subjects
        for sess in "abc":
            rows.append({"patient_id": f"P{i:03d}", "session": sess, "y": 10 + rng.normal()})
    data = pd.DataFrame(rows)
    fit = ka.stats.mmrm(data, "y ~ session")
    ref = ka.stats.mmrm(data, "y ~ session", control=ka.stats.MMRMControl(start=np.eye(3)))
    assert fit.converged and ref.converged
    assert fit.loglik == pytest.approx(ref.loglik, abs=1e-6)
    np.testing.assert_allclose(fit.params["estimate"], ref.params["estimate"], atol=1e-5)


def _projected_by_hand(S, floor=0.05):
    """The start-matrix repair as ketanalysis wrote it before calling statsmodels."""
    sd = np.sqrt(np.diag(S))
    C = S / np.outer(sd, sd)
    w, V = np.linalg.eigh((C + C.T) / 2)
    C = (V * np.maximum(w, floor)) @ V.T
    d = np.sqrt(np.diag(C))
    return C / np.outer(d, d) * np.outer(sd, sd)


def test_start_matrix_repair_equals_the_hand_written_projection():
    """The repair (statsmodels cov_nearest, method "clipped", threshold 0.05) equals the
    eigenvalue clipping of the correlations it replaced, to 1e-12, on indefinite pairwise
    matrices of 3 to 6 sessions with unequal variances; positive definite ones are kept."""
    from ketanalysis.stats.mmrm.fit import _positive_definite

    rng = np.random.default_rng(3)
    n_indefinite = 0
    for _ in range(200):
        t = int(rng.integers(3, 7))
        C = rng.uniform(-1, 1, (t, t))
        C = (C + C.T) / 2
        np.fill_diagonal(C, 1.0)
        sd = rng.uniform(0.5, 4.0, t)
        S = C * np.outer(sd, sd)
        if np.linalg.eigvalsh(S).min() > 0:
            assert _positive_definite(S) is S
            continue
        n_indefinite += 1
        np.testing.assert_allclose(_positive_definite(S), _projected_by_hand(S), atol=1e-12)
    assert n_indefinite > 50
