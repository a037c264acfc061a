"""Power by simulation (ketanalysis.simulate.power): closed forms, reproducibility, arguments.

Reference values come from statsmodels.stats.power (closed-form power) and, for the
two-proportion z test, from exact enumeration of the two binomial outcomes. Tolerance: a
simulated power is an average of n_sim Bernoulli draws, so it may differ from the true
power by a few Monte Carlo standard errors, ``sqrt(p (1 - p) / n_sim)`` with ``p`` the
reference; we allow 3.5 of them (a fixed-seed test that would fail by chance about once in
2,000 seeds per comparison).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ketanalysis.simulate.power import (
    PowerResult,
    binary_outcome,
    normal_outcome,
    power,
    power_curve,
    sample_size,
)

N_SIM = 4000
TOL_SE = 3.5


def _within_mc_error(simulated: float, reference: float, n_sim: int) -> None:
    se = math.sqrt(reference * (1 - reference) / n_sim)
    assert abs(simulated - reference) <= TOL_SE * se, (simulated, reference, se)


def _exact_z_power(n: int, p1: float, p2: float, alpha: float = 0.05) -> float:
    """Exact power of the pooled two-proportion z test: sum over all (k1, k2)."""
    k = np.arange(n + 1)
    k1, k2 = np.meshgrid(k, k, indexing="ij")
    pooled = (k1 + k2) / (2 * n)
    se0 = np.sqrt(pooled * (1 - pooled) * 2 / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se0 > 0, np.abs(k1 - k2) / n / se0, 0.0)
    reject = 2 * stats.norm.sf(z) < alpha
    prob = np.outer(stats.binom.pmf(k, n, p1), stats.binom.pmf(k, n, p2))
    return float(prob[reject].sum())


@pytest.mark.parametrize(("n", "d"), [(20, 0.5), (50, 0.5), (30, 0.8)])
def test_t_test_power_matches_closed_form(n, d):
    """Student's t test on normal outcomes against the noncentral t closed form.

    Reference: statsmodels.stats.power.TTestIndPower().power(effect_size=d, nobs1=n,
    alpha=0.05, ratio=1) (0.338, 0.697, 0.861), exact for this test.
    """
    from statsmodels.stats.power import TTestIndPower

    res = power(n, analysis="t_test", simulate=normal_outcome(d), n_sim=N_SIM, n_jobs=1)
    reference = TTestIndPower().power(effect_size=d, nobs1=n, alpha=0.05, ratio=1)
    _within_mc_error(res.power, reference, N_SIM)
    assert res.ci_low <= res.power <= res.ci_high


@pytest.mark.parametrize(("n", "p1", "p2"), [(80, 0.5, 0.3), (30, 0.64, 0.28)])
def test_two_proportion_power_matches_closed_form(n, p1, p2):
    """The two-proportion z test against NormalIndPower on Cohen's h and exact enumeration.

    References: statsmodels.stats.power.NormalIndPower().power(
    effect_size=proportion_effectsize(p1, p2), nobs1=n, alpha=0.05, ratio=1) (0.740,
    0.817), an arcsine-scale normal approximation whose own error at these two points is
    below 0.005 (20,000 simulations: 0.735 and 0.821); and the exact power of the pooled z
    test by summing the binomial probabilities of all outcomes that reject.
    """
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    res = power(
        n, analysis="two_proportion", simulate=binary_outcome(p1, p2), n_sim=N_SIM, n_jobs=1
    )
    approx = NormalIndPower().power(
        effect_size=proportion_effectsize(p1, p2), nobs1=n, alpha=0.05, ratio=1
    )
    _within_mc_error(res.power, approx, N_SIM)
    _within_mc_error(res.power, _exact_z_power(n, p1, p2), N_SIM)


def test_type_one_error_is_alpha():
    """No effect: the rejection rate is alpha (t test exact under the null)."""
    res = power(25, analysis="t_test", simulate=normal_outcome(0.0), n_sim=N_SIM, n_jobs=1)
    _within_mc_error(res.power, 0.05, N_SIM)


def test_result_fields_and_clopper_pearson_interval():
    res = power(15, analysis="t_test", simulate=normal_outcome(0.7), n_sim=300, n_jobs=1)
    assert isinstance(res, PowerResult)
    k, n = res.n_rejected, res.n_sim
    assert res.power == k / n
    # Clopper-Pearson limits: beta quantiles (Clopper & Pearson 1934)
    assert res.ci_low == pytest.approx(stats.beta.ppf(0.025, k, n - k + 1), rel=1e-12)
    assert res.ci_high == pytest.approx(stats.beta.ppf(0.975, k + 1, n - k), rel=1e-12)
    assert res.mcse == pytest.approx(math.sqrt(res.power * (1 - res.power) / n))
    sims = res.simulations
    assert list(sims.columns) == [
        "sim",
        "seed",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "reject",
        "n",
        "failed",
        "message",
    ]
    assert sims["sim"].tolist() == list(range(300))
    assert int(sims["reject"].sum()) == k
    assert (sims["reject"] == (sims["p_value"] < 0.05)).all()
    assert (sims["n"] == 30).all()
    tidy = res.tidy()
    assert list(tidy.columns) == [
        "n_per_arm",
        "estimate",
        "ci_low",
        "ci_high",
        "mcse",
        "n_sim",
        "n_rejected",
        "n_failed",
    ]
    assert tidy.iloc[0].tolist() == [15, res.power, res.ci_low, res.ci_high, res.mcse, 300, k, 0]
    glance = res.glance()
    assert glance.iloc[0].to_dict() == {
        "analysis": "t_test",
        "alpha": 0.05,
        "level": 0.95,
        "seed": 0,
        "n_jobs": 1,
    }
    text = res.summary()
    assert isinstance(text, str)
    assert f"{res.power:.3f} with 15 per arm" in text and "Clopper-Pearson" in text
    assert "Clopper-Pearson" in res._repr_html_()
    with pytest.raises(AttributeError):
        res.power = 0.5  # frozen


def test_single_trial_matches_scipy():
    """Each simulated trial's t test equals scipy.stats.ttest_ind on the same data."""
    design = normal_outcome(0.4, sd=2.0)
    res = power(12, analysis="t_test", simulate=design, n_sim=5, n_jobs=1, seed=4)
    for _, row in res.simulations.iterrows():
        frame = design(12, np.random.default_rng(int(row["seed"])))
        a = frame.loc[frame["arm"] == "ketamine", "value"]
        b = frame.loc[frame["arm"] == "midazolam", "value"]
        ref = stats.ttest_ind(a, b)
        assert row["estimate"] == pytest.approx(a.mean() - b.mean(), rel=1e-12)
        assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)


def _frame_path_normal(n_per_arm, rng):
    """A module-level simulator going through the generic one-frame-at-a-time path."""
    return normal_outcome(0.6)(n_per_arm, rng)


def test_vectorised_and_frame_paths_agree():
    fast = power(10, analysis="t_test", simulate=normal_outcome(0.6), n_sim=50, n_jobs=1)
    slow = power(10, analysis="t_test", simulate=_frame_path_normal, n_sim=50, n_jobs=1)
    pd.testing.assert_frame_equal(fast.simulations, slow.simulations)


def test_n_jobs_does_not_change_the_result():
    kw = {"analysis": "t_test", "simulate": normal_outcome(0.5), "n_sim": 200, "seed": 9}
    one = power(20, n_jobs=1, **kw)
    two = power(20, n_jobs=2, chunk_size=7, **kw)
    pd.testing.assert_frame_equal(one.simulations, two.simulations)
    assert (one.power, one.ci_low, one.ci_high) == (two.power, two.ci_low, two.ci_high)


def test_n_jobs_identical_on_the_response_analysis():
    one = power(10, analysis="response", n_sim=8, n_jobs=1, seed=2)
    two = power(10, analysis="response", n_sim=8, n_jobs=2, seed=2)
    pd.testing.assert_frame_equal(one.simulations, two.simulations)
    assert one.n_failed == 0
    assert one.simulations["estimate"].between(-1, 1).all()


def test_seed_reproducible_and_distinct():
    kw = {"analysis": "t_test", "simulate": normal_outcome(0.5), "n_sim": 100, "n_jobs": 1}
    a, b, c = power(20, seed=1, **kw), power(20, seed=1, **kw), power(20, seed=2, **kw)
    pd.testing.assert_frame_equal(a.simulations, b.simulations)
    assert not a.simulations["seed"].equals(c.simulations["seed"])
    assert a.settings["seed"] == 1


def test_mmrm_analysis_small_case():
    """The esketamine-style MMRM runs and its contrast is ketamine minus midazolam."""
    res = power(20, analysis="mmrm", n_sim=3, n_jobs=1, seed=5)
    assert res.n_sim == 3 and res.analysis == "mmrm"
    primary = res.settings["primary"]
    assert (primary.until, primary.ref) == (7, "midazolam")
    sims = res.simulations
    ok = ~sims["failed"]
    assert ok.any()
    # ketamine improves more: change from baseline is more negative on average (one of the
    # three small trials has a slightly positive difference under the report's model,
    # 0.27 with SE 2.97; tests/test_primary.py checks each estimate against a direct fit)
    assert sims.loc[ok, "estimate"].mean() < 0
    assert (sims.loc[ok, "ci_low"] < sims.loc[ok, "estimate"]).all()
    assert (sims.loc[ok, "estimate"] < sims.loc[ok, "ci_high"]).all()
    assert (sims["n"] <= 40).all()


def test_callable_analysis_and_extra_columns():
    def analysis(frame):
        a = frame.loc[frame["arm"] == "ketamine", "value"]
        b = frame.loc[frame["arm"] == "midazolam", "value"]
        return {"p_value": stats.mannwhitneyu(a, b).pvalue, "median_a": a.median()}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # not picklable: runs in-process
        res = power(15, analysis=analysis, simulate=normal_outcome(1.0), n_sim=40, n_jobs=1)
    assert res.analysis == "analysis"
    assert "median_a" in res.simulations.columns
    assert res.power > 0.5


def test_unpicklable_function_runs_in_process_with_warning():
    with pytest.warns(RuntimeWarning, match="cannot be sent to worker processes"):
        res = power(
            10,
            analysis="t_test",
            simulate=lambda n, rng: normal_outcome(0.5)(n, rng),
            n_sim=20,
            n_jobs=2,
        )
    assert res.settings["n_jobs"] == 1


def test_power_curve_rows_equal_single_runs():
    kw = {"analysis": "t_test", "simulate": normal_outcome(0.5), "n_sim": 300, "n_jobs": 1}
    curve = power_curve([10, 40, 25], **kw)
    assert list(curve.columns) == [
        "n_per_arm",
        "power",
        "ci_low",
        "ci_high",
        "mcse",
        "n_sim",
        "n_rejected",
        "n_failed",
    ]
    assert curve["n_per_arm"].tolist() == [10, 40, 25]
    single = power(25, **kw)
    assert curve.loc[2, "power"] == single.power
    assert curve.loc[0, "power"] < curve.loc[2, "power"] < curve.loc[1, "power"]


def test_sample_size_against_closed_form():
    """TTestIndPower().solve_power(effect_size=0.8, power=0.8, alpha=0.05) = 25.5 per arm."""
    ss = sample_size(
        0.8,
        analysis="t_test",
        simulate=normal_outcome(0.8),
        n_sim=2000,
        n_min=5,
        n_max=60,
        n_jobs=1,
    )
    chosen = int(ss.loc[ss["selected"], "n_per_arm"].iloc[0])
    assert 23 <= chosen <= 28
    assert ss["n_per_arm"].is_monotonic_increasing
    below = ss[ss["n_per_arm"] < chosen]
    assert (below["power"] < 0.8).all()
    # common random numbers: every row equals a separate power() run at that n
    for _, row in ss.iterrows():
        single = power(
            int(row["n_per_arm"]),
            analysis="t_test",
            simulate=normal_outcome(0.8),
            n_sim=2000,
            n_jobs=1,
        )
        assert row["power"] == single.power


def test_sample_size_warns_when_target_out_of_reach():
    with pytest.warns(RuntimeWarning, match="raise n_max"):
        ss = sample_size(
            0.9, analysis="t_test", simulate=normal_outcome(0.2), n_sim=100, n_max=10, n_jobs=1
        )
    assert not ss["selected"].any()


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"n_per_arm": 1}, "n_per_arm"),
        ({"n_per_arm": 2.5}, "n_per_arm"),
        ({"n_sim": 0}, "n_sim"),
        ({"alpha": 1.5}, "alpha"),
        ({"level": 0}, "level"),
        ({"seed": -1}, "seed"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"n_jobs": -3}, "n_jobs"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"analysis": "anova"}, "analysis"),
        ({"arms": ("a", "a")}, "arms"),
        ({"arms": "ab"}, "arms"),
        ({"simulate": 3}, "simulate"),
        ({"simulate": {"seed": 1}}, "simulate"),
        ({"simulate": {"n_arms": 3}}, "simulate"),
        ({"simulate": {"maintenance_months": -1}}, "simulate"),
        ({"analysis": "t_test"}, "analysis"),
        ({"analysis": "mmrm", "simulate": normal_outcome(0.5)}, "analysis"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, param):
    args = {"n_per_arm": 10, **kwargs}
    n = args.pop("n_per_arm")
    with pytest.raises(ValueError, match=rf"^{param}\b"):
        power(n, n_sim=args.pop("n_sim", 10), n_jobs=args.pop("n_jobs", 1), **args)


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: power_curve([], analysis="t_test", simulate=normal_outcome(0.5)), "n_values"),
        (lambda: power_curve([10, 1], analysis="t_test"), "n_values"),
        (lambda: sample_size(1.2), "target"),
        (lambda: sample_size(0.8, n_min=20, n_max=10), "n_max"),
        (lambda: sample_size(0.8, step=0), "step"),
        (lambda: normal_outcome(0.5, sd=0), "sd"),
        (lambda: normal_outcome("big"), "effect_size"),
        (lambda: binary_outcome(1.2, 0.3), "p_treatment"),
        (lambda: binary_outcome(0.5, float("nan")), "p_control"),
    ],
)
def test_bad_arguments_of_helpers(call, param):
    with pytest.raises(ValueError, match=rf"^{param}:"):
        call()


def _clopper_pearson_by_hand(k, n, level):
    """The interval PowerResult computed before statsmodels (beta quantiles)."""
    a = 1 - level
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return lo, hi


def _wilson_by_hand(k, n, level):
    """The Wilson interval the two-proportion analyses computed before statsmodels."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * np.sqrt(k * (n - k) / n + z * z / 4)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


_GRID = [(k, n) for n in (1, 2, 5, 17, 100, 1000) for k in sorted({0, 1, n // 3, n - 1, n})]


@pytest.mark.parametrize("level", [0.95, 0.9, 0.99])
def test_library_intervals_equal_the_hand_written_ones(level):
    """proportion_confint(method="beta" / "wilson") equals the former formulas to 1e-12."""
    from statsmodels.stats.proportion import proportion_confint

    from ketanalysis.stats.intervals import wilson_interval as wilson

    k = np.array([g[0] for g in _GRID], dtype=float)
    n = np.array([g[1] for g in _GRID], dtype=float)
    for ki, ni in _GRID:
        new = proportion_confint(ki, ni, alpha=1 - level, method="beta")
        np.testing.assert_allclose(new, _clopper_pearson_by_hand(ki, ni, level), atol=1e-12)
    np.testing.assert_allclose(wilson(k, n, level), _wilson_by_hand(k, n, level), atol=1e-12)
    assert proportion_confint(0, 5, method="beta")[0] == 0.0
    assert proportion_confint(5, 5, method="beta")[1] == 1.0


def test_power_interval_is_clopper_pearson_at_zero_and_all():
    """k = 0 and k = n_sim: the interval reaches 0 and 1, as the hand-written one did."""
    none = power(10, analysis="t_test", simulate=normal_outcome(0.0), n_sim=3, n_jobs=1, seed=1)
    every = power(30, analysis="t_test", simulate=normal_outcome(3.0), n_sim=20, n_jobs=1)
    assert none.n_rejected == 0 and every.n_rejected == 20
    for res in (none, every):
        expected = _clopper_pearson_by_hand(res.n_rejected, res.n_sim, res.level)
        np.testing.assert_allclose((res.ci_low, res.ci_high), expected, atol=1e-12)
    assert none.ci_low == 0.0 and every.ci_high == 1.0


def test_level_95_is_answered_with_0_95():
    with pytest.raises(ValueError, match=r"^level .*0\.95, got 95.*did you mean 0\.95"):
        power(10, n_sim=5, level=95, n_jobs=1)
