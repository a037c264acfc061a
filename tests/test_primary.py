"""One primary analysis: the report's MMRM and power's ``analysis="mmrm"`` are one definition.

The report fits :func:`ketanalysis.report.sections.fit_mmrm` on the outcomes it derives
(``load_outcomes``); power by simulation fits
:func:`ketanalysis.simulate.analyses.fit_primary` on each simulated trial. On the same trial
(the first one a power run simulates) both must fit the same formula with the same
covariance, degrees of freedom, sessions and control arm, and give the estimate that a
direct :func:`ketanalysis.stats.mmrm` call with that formula gives.
"""

from __future__ import annotations

import dataclasses
import types
import warnings

import numpy as np
import pytest

import ketanalysis as ka
from ketanalysis.config import parse_config
from ketanalysis.report import load_outcomes
from ketanalysis.report.sections import fit_mmrm, mmrm_formula, primary_mmrm
from ketanalysis.simulate import power, simulate_cohort
from ketanalysis.simulate.analyses import fit_primary
from ketanalysis.stats import primary as primary_module
from ketanalysis.stats.primary import PrimaryMMRM

REPORT_FORMULA = "change ~ baseline*C(session) + arm*C(session)"
CONFIG = "[analysis]\nendpoint = 7\n"


@pytest.fixture(scope="module")
def run():
    """A power run of the MMRM analysis and its first simulated trial."""
    res = power(20, analysis="mmrm", n_sim=2, seed=5, n_jobs=1)
    settings = dict(res.settings["simulate"])
    assert settings.pop("function") == "simulate_cohort"
    trial = simulate_cohort(
        40, int(res.simulations.loc[0, "seed"]), arms=res.settings["arms"], **settings
    )
    return res, trial


def _report_context(trial, tmp_path, config=CONFIG):
    """The report's build context, with the outcomes derived exactly as the report does."""
    csv = tmp_path / "trial.csv"
    trial.to_csv(csv, index=False)
    toml = tmp_path / "report.toml"
    toml.write_text(config)
    _, out = load_outcomes(csv, toml)
    cfg = parse_config(config)
    return types.SimpleNamespace(
        config=cfg,
        out=out,
        primary="MADRS",
        arm="arm",
        endpoint=cfg.analysis.endpoint,
        results={},
        log=lambda message: None,
    )


def test_report_and_power_fit_the_same_model(run, tmp_path):
    res, trial = run
    ctx = _report_context(trial, tmp_path)
    report_fit = fit_mmrm(ctx)
    report = ctx.results["mmrm_primary"]
    assert report.result is report_fit
    simulated = fit_primary(trial, primary=res.settings["primary"], scale="MADRS")

    # the formula and every setting
    assert report.formula == simulated.formula == mmrm_formula(ctx) == REPORT_FORMULA
    assert report_fit.formula == simulated.result.formula == REPORT_FORMULA
    mine, theirs = report.definition, simulated.definition
    for name in ("covariance", "df", "until", "value", "baseline"):
        assert getattr(mine, name) == getattr(theirs, name), name
    assert (mine.covariance, mine.df, mine.until) == ("us", "kenward-roger", 7)
    assert report_fit.covariance_type == simulated.result.covariance_type
    assert report_fit.df_method == simulated.result.df_method == "kenward-roger"
    assert report_fit.sessions == simulated.result.sessions == (1, 2, 3, 4, 5, 6, 7)
    assert report.ref == simulated.ref == "midazolam"
    assert (report_fit.n_patients, report_fit.n_obs) == (
        simulated.result.n_patients,
        simulated.result.n_obs,
    )

    # the estimate: the report's, power's and a direct ka.stats.mmrm call agree
    report_row = report.contrast(level=0.95).iloc[0]
    power_row = res.simulations.iloc[0]
    data = PrimaryMMRM(until=7).data(ctx.out, scale="MADRS", arm="arm")
    direct = ka.stats.mmrm(data, REPORT_FORMULA, covariance="us", df="kenward-roger")
    direct_row = direct.contrasts(
        "arm", by="session", method="trt.vs.ctrl", ref="midazolam", at={"session": [7]}
    ).iloc[0]
    assert direct_row["contrast"] == report_row["contrast"] == "ketamine - midazolam"
    for column in ("estimate", "se", "ci_low", "ci_high", "p_value"):
        assert report_row[column] == pytest.approx(direct_row[column], rel=1e-9), column
        assert power_row[column] == pytest.approx(direct_row[column], rel=1e-9), column
    # ... and it is the row of the report's own pairwise differences at the endpoint
    pairwise = report_fit.contrasts("arm", by="session", method="pairwise")
    at7 = pairwise[pairwise["session"] == 7].iloc[0]
    assert at7["contrast"] == "ketamine - midazolam"
    assert at7["estimate"] == pytest.approx(direct_row["estimate"], rel=1e-9)


def test_config_maps_onto_the_definition(run, tmp_path):
    _, trial = run
    config = (
        '[analysis]\nendpoint = 7\n[mmrm]\ncovariance = "cs"\ndf = "satterthwaite"\nuntil = 5\n'
    )
    ctx = _report_context(trial, tmp_path, config)
    assert primary_mmrm(ctx) == PrimaryMMRM(covariance="cs", df="satterthwaite", until=5)
    fit = fit_mmrm(ctx)
    assert (fit.covariance_type, fit.df_method, fit.sessions) == (
        "cs",
        "satterthwaite",
        (1, 2, 3, 4, 5),
    )
    # without mmrm.until the endpoint is the last session; without either, every session
    assert primary_mmrm(_report_context(trial, tmp_path)).until == 7
    assert primary_mmrm(_report_context(trial, tmp_path, "")).until is None


def test_power_fits_the_report_model_not_the_former_one(run):
    """The former power model ``arm * C(session) + baseline`` gives another estimate."""
    res, trial = run
    out = ka.derive(trial, scale="MADRS")
    data = PrimaryMMRM(until=7).data(out, scale="MADRS", arm="arm")
    former = ka.stats.mmrm(data, "change ~ arm * C(session) + baseline")
    old = former.contrasts(
        "arm", by="session", method="trt.vs.ctrl", ref="midazolam", at={"session": [7]}
    )
    assert res.simulations.loc[0, "estimate"] != pytest.approx(old["estimate"].iloc[0], rel=1e-6)


def test_contrast_defaults_and_level(run):
    _, trial = run
    out = ka.derive(trial, scale="MADRS")
    primary = PrimaryMMRM(until=7)
    fit = primary.fit(primary.data(out, scale="MADRS", arm="arm"), arm="arm")
    assert fit.converged and fit.ref == "midazolam"
    at7 = fit.contrast()
    assert at7["session"].tolist() == [7]
    at3 = fit.contrast(3, level=0.9)
    assert at3["session"].tolist() == [3]
    ref = fit.result.contrasts(
        "arm",
        by="session",
        method="trt.vs.ctrl",
        ref="midazolam",
        at={"session": [3]},
        level=0.9,
    )
    np.testing.assert_allclose(at3[["ci_low", "ci_high"]], ref[["ci_low", "ci_high"]])
    # another control arm reverses the sign
    other = primary.fit(primary.data(out, scale="MADRS", arm="arm"), ref="ketamine")
    assert other.contrast()["estimate"].iloc[0] == pytest.approx(-at7["estimate"].iloc[0])


def test_retry_from_a_diagonal_start(run, monkeypatch):
    """A fit that does not converge from the moment start is refitted from a diagonal one
    (the behaviour and message of power's former ``_mmrm``)."""
    _, trial = run
    out = ka.derive(trial, scale="MADRS")
    primary = PrimaryMMRM(until=7)
    data = primary.data(out, scale="MADRS", arm="arm")
    real = primary_module.mmrm
    starts = []

    def stalling(data, formula, *, control, **kwargs):
        starts.append(control.start)
        if control.start is None:  # the moment start stops after one iteration
            control = dataclasses.replace(control, max_iter=1, polish=False)
        return real(data, formula, control=control, **kwargs)

    monkeypatch.setattr(primary_module, "mmrm", stalling)
    fit = primary.fit(data, arm="arm")
    assert len(starts) == 2 and starts[0] is None
    var = data.groupby("session")["change"].var().to_numpy()
    np.testing.assert_allclose(starts[1], np.diag(var))
    assert fit.converged and fit.message == "refitted from a diagonal start"
    direct = real(data, REPORT_FORMULA, control=ka.stats.MMRMControl(start=np.diag(var)))
    assert fit.result.loglik == pytest.approx(direct.loglik, rel=1e-12)

    no_retry = primary.fit(data, arm="arm", retry=False)
    assert not no_retry.converged and no_retry.message.startswith("did not converge")
    with pytest.warns(ka.stats.MMRMConvergenceWarning):
        no_retry.contrast()


def test_fit_errors_are_kept_not_raised():
    """Too few patients: ``result`` None, the error and a message naming it."""
    trial = simulate_cohort(6, 1, arms=("ketamine", "midazolam"), items=False)
    out = ka.derive(trial, scale="MADRS")
    primary = PrimaryMMRM(until=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = primary.fit(primary.data(out, scale="MADRS", arm="arm"), arm="arm")
    assert isinstance(fit.error, ValueError) and "6 subjects cannot estimate" in str(fit.error)
    assert fit.result is None and not fit.converged
    assert fit.message == f"could not be fitted: ValueError: {fit.error}"
    with pytest.raises(ValueError, match="the MMRM could not be fitted"):
        fit.contrast()


def test_data_names_missing_columns():
    out = ka.derive(simulate_cohort(10, 1, items=False), scale="MADRS")
    with pytest.raises(ValueError, match=r"data: .*\['arm'\]"):
        PrimaryMMRM().data(out, scale="MADRS", arm="arm")


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"covariance": "un"}, "covariance"),
        ({"df": "kr"}, "df"),
        ({"until": True}, "until"),
        ({"until": [7]}, "until"),
        ({"value": "change from baseline"}, "value"),
    ],
)
def test_bad_definitions_name_the_parameter(kwargs, param):
    with pytest.raises(ValueError, match=rf"^{param}:"):
        PrimaryMMRM(**kwargs)
