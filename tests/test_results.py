"""One shape of result across ka.stats (docs/architecture.md), on data/sample/.

- every result class has ``tidy()`` (a DataFrame with the fixed columns), ``glance()`` (one
  row), ``summary()`` (a str) and ``_repr_html_()``;
- in every table with an interval that ka.stats returns (the ``tidy()`` of each result and
  each function of ``ka.stats.__all__`` that gives ``estimate``, ``ci_low``, ``ci_high``),
  ``ci_low <= estimate <= ci_high`` wherever all three are present, and the same for
  every ratio and its limits (``hr``, ``or``, ``rr``);
- every function and method with a ``level`` refuses ``level=95`` naming ``level`` and
  saying 0.95.

The reproduction of R survival's coxph under the new column names is in
tests/test_stats_survival.py (``test_cox_matches_coxph``).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.stats.results import TIDY_COLUMNS, ResultViews

SAMPLE = "data/sample/cohort_long.csv"
PAIR = ("IV", "intranasal")
_CI = ("estimate", "ci_low", "ci_high")


@pytest.fixture(scope="module")
def sample():
    scores = ka.read_scores(SAMPLE)
    out = ka.derive(scores, scale="MADRS")
    safety = ka.derive_safety(
        ka.read_vitals("data/sample/vitals.csv"),
        ka.read_adverse_events("data/sample/adverse_events.csv"),
    )
    a = out.assessments
    mm = a[a["post_baseline"].to_numpy(dtype=bool) & a["change"].notna().to_numpy()]
    mm = mm[(mm["session"] <= 6).to_numpy()][
        ["patient_id", "session", "change", "baseline", "route"]
    ]
    return {"scores": scores, "out": out, "safety": safety, "mmrm": mm.reset_index(drop=True)}


def _results(s):
    """One fit of every result class, on the sample."""
    out = s["out"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "KaplanMeierResult": ka.stats.kaplan_meier(out, event="response", by="route"),
            "CoxResult": ka.stats.cox(out, event="response", formula="route + age"),
            "GEEResult": ka.stats.gee(out, "response ~ route + session"),
            "GEEResult-poisson": ka.stats.gee(
                out, "score ~ route + session", family="poisson", cov_struct="independence"
            ),
            "GEEResult-gaussian": ka.stats.gee(out, "change ~ route + session", family="gaussian"),
            "LMMResult": ka.stats.lmm(out, "change ~ route + session"),
            "MMRMResult": ka.stats.mmrm(s["mmrm"], "change ~ route * C(session) + baseline"),
            "DissociationResponseResult": ka.stats.dissociation_response(
                s["scores"], out, scale="MADRS"
            ),
        }


def _tables(s):
    """Every function of ka.stats.__all__ that returns a table, on the sample."""
    out, scores, safety = s["out"], s["scores"], s["safety"]
    two = {"by": "route", "groups": PAIR}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "by_session": ka.stats.by_session(out, by="route"),
            "rates": ka.stats.rates(out, by="route"),
            "rates-session": ka.stats.rates(out, by="route", at=7),
            "rate_difference": ka.stats.rate_difference(out, **two),
            "effect_size": ka.stats.effect_size(out, at=7, **two),
            "cohens_d": ka.stats.cohens_d([1, 2, 3, 5, 4], [0, 1, 2, 2, 1]),
            "hedges_g": ka.stats.hedges_g([1, 2, 3, 5, 4], [0, 1, 2, 2, 1]),
            "nnt": ka.stats.nnt(out, **two),
            "responders": ka.stats.responders(out, at=7, method=["observed", "locf"]),
            "subgroup_effects": ka.stats.subgroup_effects(out, subgroups=["sex"]),
            "item_change": ka.stats.item_change(out),
            "ae_incidence": ka.stats.ae_incidence(safety, by="route"),
            "cadss_course": ka.stats.cadss_course(scores, by="route"),
            "cadss_trend": ka.stats.cadss_trend(scores, by="route"),
            "vitals_course": ka.stats.vitals_course(safety, measure="sbp"),
            "logrank": ka.stats.logrank(out, event="response", by="route"),
            "km-quantiles": ka.stats.kaplan_meier(out, event="response").quantiles(),
            "km-at_risk": ka.stats.kaplan_meier(out, event="response").at_risk(),
            "severity_shares": ka.stats.severity_shares(out),
            "severity_transitions": ka.stats.severity_transitions(out),
            "endpoint_outcomes": ka.stats.endpoint_outcomes(out),
        }


@pytest.fixture(scope="module")
def results(sample):
    return _results(sample)


@pytest.fixture(scope="module")
def tables(sample, results):
    t = _tables(sample)
    mm = results["MMRMResult"]
    t["mmrm-lsmeans"] = mm.lsmeans("route", by="session")
    t["mmrm-contrasts"] = mm.contrasts("route", by="session")
    for name, res in results.items():
        t[f"{name}.tidy"] = res.tidy()
    t["DissociationResponseResult.coefficients"] = results[
        "DissociationResponseResult"
    ].coefficients
    return t


def _check_order(frame: pd.DataFrame, est: str, lo: str, hi: str, name: str) -> int:
    e, a, b = (
        pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float) for c in (est, lo, hi)
    )
    ok = ~(np.isnan(e) | np.isnan(a) | np.isnan(b))
    tol = 1e-12 * np.maximum(1.0, np.abs(e[ok]))
    bad = ok.copy()
    bad[ok] = (a[ok] > e[ok] + tol) | (e[ok] > b[ok] + tol)
    assert not bad.any(), f"{name}: {lo} <= {est} <= {hi} fails on rows {np.flatnonzero(bad)}"
    return int(ok.sum())


def test_every_result_class_in_ka_stats_is_covered(results):
    classes = {
        n
        for n in ka.stats.__all__
        if n.endswith("Result") and inspect.isclass(getattr(ka.stats, n))
    }
    assert classes == {name.split("-")[0] for name in results}
    for n in classes:
        assert issubclass(getattr(ka.stats, n), ResultViews), n


def test_every_result_has_the_four_views(results):
    for name, res in results.items():
        tidy, glance = res.tidy(), res.glance()
        assert isinstance(tidy, pd.DataFrame) and len(tidy), name
        cols = [c for c in TIDY_COLUMNS if c != "df"]
        assert [c for c in tidy.columns if c in TIDY_COLUMNS and c != "df"] == cols, name
        assert all(c.isidentifier() for c in tidy.columns), name
        assert isinstance(glance, pd.DataFrame) and len(glance) == 1, name
        assert {"n", "method"} <= set(glance.columns), name
        text = res.summary()
        assert isinstance(text, str) and text.splitlines()[0] == res._title(), name
        html = res._repr_html_()
        assert html.count("<table") >= 2, name
        # frozen
        with pytest.raises(AttributeError):
            res.level = 0.5


def test_glance_counts_agree_with_the_fits(results):
    cox = results["CoxResult"].glance().iloc[0]
    assert (cox["n"], cox["n_events"]) == (results["CoxResult"].n, results["CoxResult"].n_events)
    assert cox["aic"] == pytest.approx(-2 * results["CoxResult"].loglik + 2 * cox["df"])
    km = results["KaplanMeierResult"]
    assert km.glance()["n"].iloc[0] == km.groups["n"].sum()
    gee = results["GEEResult"].glance().iloc[0]
    assert (gee["n"], gee["n_obs"]) == (results["GEEResult"].n_patients, results["GEEResult"].n_obs)
    mm = results["MMRMResult"]
    assert mm.glance()["aic"].iloc[0] == mm.aic and mm.glance()["n"].iloc[0] == mm.n_patients


def test_intervals_contain_their_estimates(tables):
    checked = 0
    for name, frame in tables.items():
        if "ci_through_infinity" in frame.columns:
            # an NNT whose risk difference interval includes 0 runs through infinity
            # (Altman 1998): NNTB from ci_low up, NNTH from ci_high down
            through = frame["ci_through_infinity"].to_numpy(dtype=bool)
            e, lo, hi = (frame.loc[through, c].to_numpy(dtype=float) for c in _CI)
            assert np.all((e >= lo) | (e <= hi)) and np.all(lo > hi), name
            frame = frame.loc[~through]
            checked += _check_order(frame, "risk_difference", "rd_ci_low", "rd_ci_high", name)
        # the interval's point: estimate, or a rate, survival or mean where that is the name
        if {"ci_low", "ci_high"} <= set(frame.columns):
            points = [c for c in ("estimate", "rate", "survival", "mean") if c in frame.columns]
            points = points or [c for c in frame.columns if str(c).startswith("mean_change")]
            assert points, f"{name}: an interval without its estimate"
            checked += _check_order(frame, points[0], "ci_low", "ci_high", name)
        for ratio in ("hr", "or", "rr"):
            if ratio in frame.columns:
                checked += _check_order(
                    frame, ratio, f"{ratio}_ci_low", f"{ratio}_ci_high", f"{name} {ratio}"
                )
    assert checked > 300


def test_every_function_with_an_interval_is_walked(tables):
    """Every function of ka.stats.__all__ that takes ``level`` is among the tables (the
    fits through the ``tidy()`` of their result)."""
    fits = {"kaplan_meier", "cox", "gee", "lmm", "mmrm", "dissociation_response"}
    walked = {name.split("-")[0] for name in tables} | fits
    for name in ka.stats.__all__:
        obj = getattr(ka.stats, name)
        if inspect.isfunction(obj) and "level" in inspect.signature(obj).parameters:
            assert name in walked, name


def test_ratios_are_the_exponent_of_the_log_scale(results):
    cox = results["CoxResult"].tidy()
    np.testing.assert_allclose(cox["hr"], np.exp(cox["estimate"]), rtol=1e-12)
    np.testing.assert_allclose(cox["hr_ci_low"], np.exp(cox["ci_low"]), rtol=1e-12)
    np.testing.assert_allclose(cox["hr_ci_high"], np.exp(cox["ci_high"]), rtol=1e-12)
    gee = results["GEEResult"].tidy()
    np.testing.assert_allclose(gee["or"], np.exp(gee["estimate"]), rtol=1e-12)
    poisson = results["GEEResult-poisson"].tidy()
    np.testing.assert_allclose(poisson["rr_ci_high"], np.exp(poisson["ci_high"]), rtol=1e-12)
    assert not {"or", "rr"} & set(results["GEEResult-gaussian"].tidy().columns)
    mm = results["MMRMResult"]
    assert mm.tidy()["statistic"].tolist() == mm.params["t"].tolist()
    assert mm.tidy()["df"].tolist() == mm.params["df"].tolist()


def _level_calls(s, results):
    out, scores, safety = s["out"], s["scores"], s["safety"]
    two = {"by": "route", "groups": PAIR}
    mm = results["MMRMResult"]
    return {
        "by_session": lambda lv: ka.stats.by_session(out, level=lv),
        "rates": lambda lv: ka.stats.rates(out, level=lv),
        "rate_difference": lambda lv: ka.stats.rate_difference(out, level=lv, **two),
        "effect_size": lambda lv: ka.stats.effect_size(out, at=7, level=lv, **two),
        "cohens_d": lambda lv: ka.stats.cohens_d([1, 2, 3], [0, 1, 1], level=lv),
        "hedges_g": lambda lv: ka.stats.hedges_g([1, 2, 3], [0, 1, 1], level=lv),
        "nnt": lambda lv: ka.stats.nnt(out, level=lv, **two),
        "responders": lambda lv: ka.stats.responders(out, at=7, level=lv),
        "subgroup_effects": lambda lv: ka.stats.subgroup_effects(out, subgroups=["sex"], level=lv),
        "item_change": lambda lv: ka.stats.item_change(out, level=lv),
        "ae_incidence": lambda lv: ka.stats.ae_incidence(safety, level=lv),
        "cadss_course": lambda lv: ka.stats.cadss_course(scores, level=lv),
        "cadss_trend": lambda lv: ka.stats.cadss_trend(scores, level=lv),
        "vitals_course": lambda lv: ka.stats.vitals_course(safety, level=lv),
        "dissociation_response": lambda lv: ka.stats.dissociation_response(scores, out, level=lv),
        "kaplan_meier": lambda lv: ka.stats.kaplan_meier(out, event="response", level=lv),
        "cox": lambda lv: ka.stats.cox(out, event="response", covariates=["age"], level=lv),
        "gee": lambda lv: ka.stats.gee(out, "response ~ session", level=lv),
        "lmm": lambda lv: ka.stats.lmm(out, "change ~ session", level=lv),
        "mmrm.lsmeans": lambda lv: mm.lsmeans("route", level=lv),
        "mmrm.contrasts": lambda lv: mm.contrasts("route", level=lv),
    }


def test_level_is_a_probability_everywhere(sample, results):
    calls = _level_calls(sample, results)
    with_level = {
        n
        for n in ka.stats.__all__
        if inspect.isfunction(getattr(ka.stats, n))
        and "level" in inspect.signature(getattr(ka.stats, n)).parameters
    }
    assert with_level <= set(calls), with_level - set(calls)
    for name, call in calls.items():
        for bad in (95, 0, 1, -0.5, "0.95", True):
            with pytest.raises(ValueError, match=r"level must be a probability.*0\.95") as e:
                call(bad)
                pytest.fail(f"{name}(level={bad!r}) did not raise")
            if bad == 95:
                assert "did you mean 0.95?" in str(e.value), name
