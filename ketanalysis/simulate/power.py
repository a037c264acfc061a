"""Power and sample size of a two-arm trial by simulation.

:func:`power` simulates ``n_sim`` trials with ``n_per_arm`` patients per arm, analyses each
with the trial's primary analysis and reports the share of trials that reject the null
hypothesis, with an exact Monte Carlo confidence interval. :func:`power_curve` does so for
several sample sizes and :func:`sample_size` searches the smallest one reaching a target
power. The simulations run in parallel over processes; the result does not depend on the
number of processes.

Built-in analyses (``endpoint=``):

- ``"response"``: responder analysis at the primary session, a two-proportion z test of
  the response rates (observed cases), with the rate difference and its Newcombe interval
  (:func:`ketanalysis.stats.rate_difference`);
- ``"mmrm"``: the esketamine-style primary analysis, an MMRM of the change from baseline
  ``change ~ arm * C(session) + baseline`` with unstructured covariance and Kenward-Roger
  degrees of freedom (:func:`ketanalysis.stats.mmrm`), the arm contrast at the primary
  session;
- ``"t_test"`` and ``"two_proportion"``: Student's two-sample t test and the two-proportion
  z test of a ``value`` column, for the simple designs :func:`normal_outcome` and
  :func:`binary_outcome` whose power has a closed form (used to check the machinery).

Trials come from :func:`ketanalysis.simulate.simulate_cohort` (a blinded IV ketamine vs
midazolam trial by default) or from any function ``simulate(n_per_arm, rng) -> DataFrame``.

Only numpy and pandas are imported at module level; scipy, statsmodels and the statistics
of :mod:`ketanalysis.stats` load when a simulation runs.
"""

from __future__ import annotations

import html
import math
import os
import pickle
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "ENDPOINTS",
    "PowerResult",
    "binary_outcome",
    "normal_outcome",
    "power",
    "power_curve",
    "sample_size",
]

#: Built-in analyses of :func:`power`.
ENDPOINTS = ("response", "mmrm", "t_test", "two_proportion")

#: simulate_cohort settings of the default trial (overridable with ``simulate={...}``): a
#: blinded IV trial, induction only, totals only (faster).
_TRIAL_DEFAULTS = {
    "routes": ("IV",),
    "route_weights": (1.0,),
    "maintenance_months": 0,
    "items": False,
}
_SET_BY_POWER = ("n_patients", "seed", "arms")
_SUMMARY_COLUMNS = [
    "n_per_arm",
    "power",
    "ci_low",
    "ci_high",
    "mcse",
    "n_sim",
    "n_rejected",
    "n_failed",
]


# ---------------------------------------------------------------------------------------
# Simple designs with a closed-form power
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _NormalOutcome:
    """Normal outcome per arm (see :func:`normal_outcome`)."""

    effect_size: float
    sd: float
    arms: tuple[str, str]

    def values(self, n_per_arm: int, rng: np.random.Generator) -> np.ndarray:
        """Outcomes of the treatment arm, then of the control arm."""
        means = np.repeat([self.effect_size * self.sd, 0.0], n_per_arm)
        return means + self.sd * rng.standard_normal(2 * n_per_arm)

    def __call__(self, n_per_arm: int, rng: np.random.Generator) -> pd.DataFrame:
        return _simple_frame(self.arms, n_per_arm, self.values(n_per_arm, rng))


@dataclass(frozen=True)
class _BinaryOutcome:
    """Binary outcome per arm (see :func:`binary_outcome`)."""

    p_treatment: float
    p_control: float
    arms: tuple[str, str]

    def values(self, n_per_arm: int, rng: np.random.Generator) -> np.ndarray:
        """Outcomes (0 or 1) of the treatment arm, then of the control arm."""
        p = np.repeat([self.p_treatment, self.p_control], n_per_arm)
        return (rng.random(2 * n_per_arm) < p).astype(float)

    def __call__(self, n_per_arm: int, rng: np.random.Generator) -> pd.DataFrame:
        return _simple_frame(self.arms, n_per_arm, self.values(n_per_arm, rng))


def _simple_frame(arms, n_per_arm, value) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"S{i + 1:04d}" for i in range(2 * n_per_arm)],
            "arm": np.repeat(np.array(arms, dtype=object), n_per_arm),
            "value": value,
        }
    )


def normal_outcome(
    effect_size: float, *, sd: float = 1.0, arms: Sequence[str] = ("ketamine", "midazolam")
) -> Callable[[int, np.random.Generator], pd.DataFrame]:
    """A two-arm design with a normal outcome, for ``endpoint="t_test"``.

    Parameters
    ----------
    effect_size : float
        Standardised mean difference (Cohen's d): the first arm's mean is
        ``effect_size * sd``, the second arm's 0.
    sd : float, default 1.0
        Common standard deviation (positive).
    arms : pair of str, default ("ketamine", "midazolam")
        Arm labels, treatment first.

    Returns
    -------
    callable
        ``simulate(n_per_arm, rng)`` returning a DataFrame with ``patient_id``, ``arm`` and
        ``value`` (one row per patient, ``n_per_arm`` per arm); picklable, so it runs in
        worker processes.

    Notes
    -----
    With Student's t test the power is known exactly (noncentral t;
    ``statsmodels.stats.power.TTestIndPower``), which the tests use to check :func:`power`.

    Examples
    --------
    >>> import numpy as np
    >>> from ketanalysis.simulate import normal_outcome
    >>> frame = normal_outcome(0.5)(3, np.random.default_rng(1))
    >>> frame["arm"].tolist()
    ['ketamine', 'ketamine', 'ketamine', 'midazolam', 'midazolam', 'midazolam']
    """
    effect_size = _finite(effect_size, "effect_size")
    sd = _finite(sd, "sd")
    if sd <= 0:
        raise ValueError(f"sd: expected a positive number, got {sd!r}")
    return _NormalOutcome(effect_size, sd, _check_arms(arms))


def binary_outcome(
    p_treatment: float, p_control: float, *, arms: Sequence[str] = ("ketamine", "midazolam")
) -> Callable[[int, np.random.Generator], pd.DataFrame]:
    """A two-arm design with a binary outcome, for ``endpoint="two_proportion"``.

    Parameters
    ----------
    p_treatment, p_control : float
        Probability of the outcome (e.g. response) in the first and the second arm,
        between 0 and 1.
    arms : pair of str, default ("ketamine", "midazolam")
        Arm labels, treatment first.

    Returns
    -------
    callable
        ``simulate(n_per_arm, rng)`` returning a DataFrame with ``patient_id``, ``arm`` and
        ``value`` (0 or 1); picklable.

    Notes
    -----
    The power of the two-proportion z test is close to the normal approximation on
    Cohen's arcsine scale ``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p2))``
    (``statsmodels.stats.power.NormalIndPower`` with ``proportion_effectsize``).

    Examples
    --------
    >>> import numpy as np
    >>> from ketanalysis.simulate import binary_outcome
    >>> frame = binary_outcome(0.6, 0.2)(4, np.random.default_rng(1))
    >>> sorted(frame.columns)
    ['arm', 'patient_id', 'value']
    """
    probs = []
    for name, p in (("p_treatment", p_treatment), ("p_control", p_control)):
        p = _finite(p, name)
        if not 0 <= p <= 1:
            raise ValueError(f"{name}: expected a probability between 0 and 1, got {p!r}")
        probs.append(p)
    return _BinaryOutcome(probs[0], probs[1], _check_arms(arms))


# ---------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PowerResult:
    """Power of a two-arm design estimated by simulation (returned by :func:`power`).

    Attributes
    ----------
    power : float
        Share of the simulated trials whose analysis rejected the null hypothesis
        (``p_value < alpha``), ``n_rejected / n_sim``. Failed analyses count as not
        rejected.
    ci_low, ci_high : float
        Clopper-Pearson (exact binomial) interval of the power at ``level``: the Monte
        Carlo uncertainty, which shrinks as ``n_sim`` grows.
    mcse : float
        Monte Carlo standard error ``sqrt(power (1 - power) / n_sim)``.
    n_per_arm, n_sim, n_rejected, n_failed : int
        Patients per arm, simulated trials, trials rejecting, trials whose analysis failed
        (e.g. an MMRM that did not converge; their ``message`` says why).
    alpha, level : float
        Two-sided significance level of each trial's test; level of ``ci_low``/``ci_high``.
    endpoint : str
        The analysis (``"response"``, ``"mmrm"``, ``"t_test"``, ``"two_proportion"`` or the
        name of the function given).
    simulations : DataFrame
        One row per simulated trial: ``sim`` (0 .. n_sim - 1), ``seed`` (the integer seed
        its data were drawn with), ``estimate`` (treatment minus control: rate difference,
        difference of LS-mean changes or of means), ``se``, ``ci_low``, ``ci_high`` (at
        ``level``; missing where the analysis gives none), ``p_value``, ``reject``, ``n``
        (patients analysed), ``failed``, ``message``, then any further values an endpoint
        function returned.
    settings : dict
        Everything needed to rerun: ``seed`` (the entropy of the root
        ``numpy.random.SeedSequence``), ``arms``, ``session``, ``scale``, ``simulate``,
        ``n_jobs``, ``chunk_size``.

    Examples
    --------
    >>> from ketanalysis.simulate import normal_outcome, power
    >>> res = power(20, endpoint="t_test", simulate=normal_outcome(0.8), n_sim=200, n_jobs=1)
    >>> res.summary()[["n_per_arm", "n_sim", "n_rejected"]].to_numpy().tolist()
    [[20, 200, 152]]
    """

    power: float
    ci_low: float
    ci_high: float
    mcse: float
    n_per_arm: int
    n_sim: int
    n_rejected: int
    n_failed: int
    alpha: float
    level: float
    endpoint: str
    simulations: pd.DataFrame = field(repr=False)
    settings: dict = field(repr=False)

    def summary(self) -> pd.DataFrame:
        """One row: ``n_per_arm``, ``power``, ``ci_low``, ``ci_high``, ``mcse``, ``n_sim``,
        ``n_rejected``, ``n_failed``, ``alpha``, ``endpoint``."""
        row = {c: getattr(self, c) for c in _SUMMARY_COLUMNS}
        row.update(alpha=self.alpha, endpoint=self.endpoint)
        return pd.DataFrame([row])

    def _repr_html_(self) -> str:
        pct = f"{100 * self.level:g} %"
        head = (
            f"<strong>Power by simulation</strong>: {html.escape(self.endpoint)}, "
            f"{self.n_per_arm} per arm, alpha {self.alpha:g}: "
            f"<strong>{self.power:.3f}</strong> ({pct} CI {self.ci_low:.3f} to "
            f"{self.ci_high:.3f}, Clopper-Pearson) from {self.n_sim} simulated trials"
        )
        if self.n_failed:
            head += f"; {self.n_failed} failed analyses counted as not rejected"
        return head + self.summary().to_html(index=False, float_format="{:.4g}".format)


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------
def power(
    n_per_arm: int,
    *,
    endpoint: str | Callable = "response",
    n_sim: int = 1000,
    seed: int | None = 0,
    alpha: float = 0.05,
    n_jobs: int | None = None,
    simulate: Mapping | Callable | None = None,
    arms: Sequence[str] = ("ketamine", "midazolam"),
    session=7,
    scale: str = "MADRS",
    level: float = 0.95,
    chunk_size: int | None = None,
) -> PowerResult:
    """Power of a two-arm trial by simulation, with a Monte Carlo confidence interval.

    Simulates ``n_sim`` trials of ``n_per_arm`` patients per arm, runs the analysis of
    ``endpoint`` on each and counts the trials with a two-sided p-value below ``alpha``.

    Parameters
    ----------
    n_per_arm : int
        Patients randomised per arm (at least 2). With the default simulator the trial has
        ``2 * n_per_arm`` patients randomised 1:1 in permuted blocks of four.
    endpoint : {"response", "mmrm", "t_test", "two_proportion"} or callable
        The analysis of each simulated trial:

        - ``"response"``: response (MADRS reduction >= 50 %, :func:`ketanalysis.derive`) at
          ``session`` among the patients assessed there, compared between arms by the
          two-proportion z test with pooled variance (Pearson's chi-square test without
          continuity correction); estimate the rate difference with Newcombe's interval;
        - ``"mmrm"``: MMRM ``change ~ arm * C(session) + baseline`` on the sessions after
          baseline up to ``session``, unstructured covariance, REML, Kenward-Roger df
          (:func:`ketanalysis.stats.mmrm`); estimate the difference of LS-mean changes
          (treatment minus control) at ``session``. A fit that does not converge is
          refitted once from a diagonal start (the per-session variances of the change);
          one that still fails, or cannot be fitted, counts as failed (not rejected). The
          unstructured covariance of sessions 1-7 has 28 parameters, so the trial needs
          at least 14 patients per arm (20 or more for stable fits);
        - ``"t_test"``: Student's two-sample t test (equal variances) of the column
          ``value``, for :func:`normal_outcome`;
        - ``"two_proportion"``: the two-proportion z test of the 0/1 column ``value``, for
          :func:`binary_outcome`;
        - a function ``endpoint(frame)`` returning the p-value, or a dict with ``p_value``
          and optionally ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n`` and any other
          numbers (kept as columns of ``simulations``). Its exceptions propagate.
    n_sim : int, default 1000
        Number of simulated trials. The Monte Carlo standard error is at most
        ``0.5 / sqrt(n_sim)`` (0.016 for 1000); at a power near 0.8 it is
        ``0.4 / sqrt(n_sim)``.
    seed : int or None, default 0
        Root seed: trial ``i`` draws its data from the ``i``-th child of
        ``numpy.random.SeedSequence(seed).spawn(n_sim)``, so the result is the same for any
        ``n_jobs`` and ``chunk_size``, and every sample size uses the same seeds (common
        random numbers, which make power curves smooth). None draws fresh entropy (recorded
        in ``settings["seed"]``).
    alpha : float, default 0.05
        Two-sided significance level of each trial's test, in (0, 1).
    n_jobs : int or None, default None
        Worker processes (``concurrent.futures.ProcessPoolExecutor``): None or -1 for one
        per available CPU, 1 to run in this process. Functions given as ``simulate`` or
        ``endpoint`` must be picklable (defined at module level) to run in workers; if
        they are not (a lambda, a local function), the simulations run in this process
        with a warning.
    simulate : dict or callable, optional
        How trials are drawn. A dict: settings of
        :func:`ketanalysis.simulate.simulate_cohort` replacing the defaults, which are
        ``routes=("IV",), route_weights=(1.0,), maintenance_months=0, items=False`` (a
        blinded IV trial of six infusions; ``n_patients``, ``seed`` and ``arms`` are set
        by :func:`power`; ``routes`` without ``route_weights`` gets equal weights). A
        callable: ``simulate(n_per_arm, rng) -> DataFrame`` in the
        canonical long format (or with ``arm`` and ``value`` for the simple endpoints),
        drawing all its randomness from the ``numpy.random.Generator`` ``rng``.
    arms : pair of str, default ("ketamine", "midazolam")
        Arm labels, treatment first; estimates are treatment minus control.
    session : session value, default 7
        The primary session (7: the post-induction visit of ``simulate_cohort``).
    scale : str, default "MADRS"
        The outcome scale of the ``"response"`` and ``"mmrm"`` endpoints.
    level : float, default 0.95
        Level of the Clopper-Pearson interval of the power and of the per-trial intervals.
    chunk_size : int, optional
        Simulations per task sent to a worker (default: about four tasks per worker).

    Returns
    -------
    PowerResult
        ``power``, ``ci_low``, ``ci_high``, ``mcse``, ``n_rejected``, ``n_failed``,
        ``simulations`` (one row per trial), ``settings``; ``summary()`` gives one row.

    Raises
    ------
    ValueError
        Naming the parameter and the bad value: ``n_per_arm`` < 2, ``n_sim`` < 1, ``alpha``
        or ``level`` outside (0, 1), an unknown ``endpoint``, ``n_jobs`` of 0 or below -1,
        ``arms`` not two distinct labels, ``simulate`` neither a dict nor a callable (or a
        dict setting ``n_patients``, ``seed`` or ``arms``, or an unknown setting), or a
        simple endpoint without its simple design (and vice versa).

    See Also
    --------
    power_curve : power at several sample sizes.
    sample_size : the smallest sample size reaching a target power.

    Notes
    -----
    Power is estimated as ``k / n_sim`` with ``k`` the trials rejecting; its interval is
    the Clopper-Pearson interval ``[B(a/2; k, n_sim - k + 1), B(1 - a/2; k + 1,
    n_sim - k)]`` with ``B`` the beta quantile and ``a = 1 - level`` (Clopper CJ, Pearson
    ES. Biometrika 1934;26:404-413), which never undercovers. The pooled two-proportion z
    test is ``z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))`` with ``p`` the pooled rate; a
    trial in which every or no patient responds has ``p_value`` 1. Simulation error aside,
    the power of ``"t_test"`` equals the closed form of ``TTestIndPower`` and that of
    ``"two_proportion"`` is close to ``NormalIndPower`` on Cohen's h (Cohen J. Statistical
    power analysis for the behavioral sciences, 2nd ed, 1988), which ``tests/test_power.py``
    checks. Simulation studies in general: Morris TP, White IR, Crowther MJ. Using
    simulation studies to evaluate statistical methods. Stat Med 2019;38:2074-2102.

    Examples
    --------
    The default trial (IV ketamine vs midazolam, six infusions), responder analysis at the
    post-induction visit with 15 patients per arm:

    >>> from ketanalysis.simulate import power
    >>> res = power(15, endpoint="response", n_sim=20, n_jobs=1, seed=1)
    >>> res.n_sim, 0 <= res.ci_low <= res.power <= res.ci_high <= 1
    (20, True)
    >>> list(res.simulations.columns[:8])
    ['sim', 'seed', 'estimate', 'se', 'ci_low', 'ci_high', 'p_value', 'reject']
    """
    spec, n_sim, seed_seq, n_jobs, chunk_size = _prepare(
        endpoint, n_sim, seed, alpha, n_jobs, simulate, arms, session, scale, level, chunk_size
    )
    n = _check_n(n_per_arm, "n_per_arm")
    with _Executor(n_jobs, spec) as ex:
        (tables,) = ex.run(spec, [n], seed_seq, n_sim, chunk_size)
    res = _result(spec, n, tables, seed_seq, ex.n_jobs, chunk_size)
    _warn_failed([res])
    return res


def power_curve(n_values: Sequence[int], **kwargs) -> pd.DataFrame:
    """Power at several sample sizes per arm (a power curve).

    Parameters
    ----------
    n_values : sequence of int
        Patients per arm, each at least 2.
    **kwargs
        Any keyword argument of :func:`power` (``endpoint``, ``n_sim``, ``seed``,
        ``simulate``, ``n_jobs``, ...). The same seed serves every sample size (common
        random numbers), so each row equals ``power(n, **kwargs).summary()``.

    Returns
    -------
    DataFrame
        One row per value of ``n_values``, in the order given: ``n_per_arm``, ``power``,
        ``ci_low``, ``ci_high`` (Clopper-Pearson), ``mcse``, ``n_sim``, ``n_rejected``,
        ``n_failed``.

    Examples
    --------
    >>> from ketanalysis.simulate import normal_outcome, power_curve
    >>> curve = power_curve(
    ...     [10, 30], endpoint="t_test", simulate=normal_outcome(0.5), n_sim=200, n_jobs=1
    ... )
    >>> curve[["n_per_arm", "n_sim"]].to_numpy().tolist()
    [[10, 200], [30, 200]]
    >>> bool(curve["power"].is_monotonic_increasing)
    True
    """
    ns = _check_n_values(n_values)
    spec, n_sim, seed_seq, n_jobs, chunk_size = _prepare_kwargs(kwargs)
    with _Executor(n_jobs, spec) as ex:
        tables = ex.run(spec, ns, seed_seq, n_sim, chunk_size)
    results = [
        _result(spec, n, t, seed_seq, ex.n_jobs, chunk_size)
        for n, t in zip(ns, tables, strict=True)
    ]
    _warn_failed(results)
    return pd.DataFrame([{c: getattr(r, c) for c in _SUMMARY_COLUMNS} for r in results])


def sample_size(
    target: float = 0.8,
    *,
    n_min: int = 4,
    n_max: int = 200,
    step: int = 1,
    **kwargs,
) -> pd.DataFrame:
    """Smallest sample size per arm whose simulated power reaches a target.

    Bisection over ``n_min, n_min + step, ..., n_max``: each sample size tried is
    simulated with :func:`power` (the same seeds for all, so power rises smoothly with n).

    Parameters
    ----------
    target : float, default 0.8
        Target power, in (0, 1).
    n_min, n_max : int, default 4 and 200
        Range searched (patients per arm; ``2 <= n_min <= n_max``).
    step : int, default 1
        Granularity of the search (e.g. 2 so that ``2 * n`` fills blocks of four).
    **kwargs
        Any keyword argument of :func:`power`.

    Returns
    -------
    DataFrame
        One row per sample size simulated, sorted by ``n_per_arm``: the columns of
        :func:`power_curve`, ``target``, and ``selected`` (True for the smallest sample
        size whose estimated power is at least ``target``; no row is selected, with a
        warning, when even ``n_max`` falls short).

    Notes
    -----
    The search assumes power increases with n, which holds for the estimates with common
    random numbers up to Monte Carlo noise; with few simulations the selected n can be a
    step or two off where power is flat. The ``ci_low`` of the selected row says how sure
    the simulation is that the target is met; raise ``n_sim`` to narrow it.

    Examples
    --------
    >>> from ketanalysis.simulate import normal_outcome, sample_size
    >>> ss = sample_size(0.8, endpoint="t_test", simulate=normal_outcome(1.0), n_sim=200,
    ...                  n_min=4, n_max=40, n_jobs=1)
    >>> ss.loc[ss["selected"], "n_per_arm"].tolist()
    [17]
    """
    target = _unit_interval(target, "target")
    n_min = _check_n(n_min, "n_min")
    n_max = _check_n(n_max, "n_max")
    if n_max < n_min:
        raise ValueError(f"n_max: expected at least n_min={n_min}, got {n_max!r}")
    if not isinstance(step, (int, np.integer)) or isinstance(step, bool) or step < 1:
        raise ValueError(f"step: expected a positive integer, got {step!r}")
    spec, n_sim, seed_seq, n_jobs, chunk_size = _prepare_kwargs(kwargs)
    grid = list(range(n_min, n_max + 1, step))
    if grid[-1] != n_max:
        grid.append(n_max)
    done: dict[int, PowerResult] = {}
    with _Executor(n_jobs, spec) as ex:

        def evaluate(i: int) -> float:
            n = grid[i]
            if n not in done:
                (t,) = ex.run(spec, [n], seed_seq, n_sim, chunk_size)
                done[n] = _result(spec, n, t, seed_seq, ex.n_jobs, chunk_size)
            return done[n].power

        lo, hi = 0, len(grid) - 1
        found = None
        if evaluate(hi) >= target:
            if evaluate(lo) >= target:
                found = lo
            else:
                while hi - lo > 1:  # power(lo) < target <= power(hi)
                    mid = (lo + hi) // 2
                    if evaluate(mid) >= target:
                        hi = mid
                    else:
                        lo = mid
                found = hi
    _warn_failed(list(done.values()))
    rows = [{c: getattr(done[n], c) for c in _SUMMARY_COLUMNS} for n in sorted(done)]
    out = pd.DataFrame(rows)
    out["target"] = target
    out["selected"] = out["n_per_arm"] == (grid[found] if found is not None else -1)
    if found is None:
        warnings.warn(
            f"sample_size: power {done[grid[-1]].power:.3f} at n_max={n_max} is below the "
            f"target {target:g}; raise n_max",
            RuntimeWarning,
            stacklevel=2,
        )
    return out


# ---------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    """What a worker needs to simulate and analyse one trial (picklable)."""

    endpoint: str | Callable
    endpoint_name: str
    simulate: Callable | None
    cohort_kwargs: dict
    simulate_name: str
    alpha: float
    level: float
    arms: tuple[str, str]
    session: object
    scale: str


def _finite(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def _unit_interval(value, name: str) -> float:
    value = _finite(value, name)
    if not 0 < value < 1:
        raise ValueError(f"{name}: expected a number between 0 and 1 (exclusive), got {value!r}")
    return value


def _check_n(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
        raise ValueError(f"{name}: expected an integer of at least 2, got {value!r}")
    return int(value)


def _check_n_values(n_values) -> list[int]:
    if isinstance(n_values, (str, bytes)) or not isinstance(n_values, (Sequence, np.ndarray)):
        raise ValueError(f"n_values: expected a sequence of integers, got {n_values!r}")
    if len(n_values) == 0:
        raise ValueError("n_values: expected at least one sample size, got none")
    return [_check_n(n, "n_values") for n in n_values]


def _check_arms(arms) -> tuple[str, str]:
    if (
        isinstance(arms, str)
        or not isinstance(arms, Sequence)
        or len(arms) != 2
        or not all(isinstance(a, str) for a in arms)
        or arms[0] == arms[1]
    ):
        raise ValueError(f"arms: expected two distinct labels (treatment, control), got {arms!r}")
    return (arms[0], arms[1])


def _prepare_kwargs(kwargs: dict):
    """Check the keyword arguments of :func:`power` passed on by the other functions."""
    import inspect

    params = inspect.signature(power).parameters
    defaults = {k: p.default for k, p in params.items() if p.kind is p.KEYWORD_ONLY}
    unknown = [k for k in kwargs if k not in defaults]
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {unknown}; valid: {', '.join(defaults)}")
    return _prepare(**{**defaults, **kwargs})


def _prepare(
    endpoint, n_sim, seed, alpha, n_jobs, simulate, arms, session, scale, level, chunk_size
):
    if isinstance(n_sim, bool) or not isinstance(n_sim, (int, np.integer)) or n_sim < 1:
        raise ValueError(f"n_sim: expected a positive integer, got {n_sim!r}")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValueError(f"seed: expected a non-negative integer or None, got {seed!r}")
    alpha = _unit_interval(alpha, "alpha")
    level = _unit_interval(level, "level")
    if n_jobs is not None and (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, (int, np.integer))
        or n_jobs == 0
        or n_jobs < -1
    ):
        raise ValueError(f"n_jobs: expected None, -1 or a positive integer, got {n_jobs!r}")
    if chunk_size is not None and (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, (int, np.integer))
        or chunk_size < 1
    ):
        raise ValueError(f"chunk_size: expected None or a positive integer, got {chunk_size!r}")
    arms = _check_arms(arms)
    if not isinstance(scale, str):
        raise ValueError(f"scale: expected a scale name such as 'MADRS', got {scale!r}")
    if callable(endpoint):
        endpoint_name = getattr(endpoint, "__name__", type(endpoint).__name__)
    elif isinstance(endpoint, str) and endpoint in ENDPOINTS:
        endpoint_name = endpoint
    else:
        raise ValueError(
            f"endpoint: expected one of {', '.join(ENDPOINTS)} or a function, got {endpoint!r}"
        )

    cohort_kwargs: dict = {}
    if simulate is None or isinstance(simulate, Mapping):
        given = dict(simulate or {})
        bad = [k for k in given if k in _SET_BY_POWER]
        if bad:
            raise ValueError(
                f"simulate: {bad} are set by power() (n_patients = 2 * n_per_arm, seed per "
                "simulation, arms=arms); remove them"
            )
        import inspect

        from .cohort import simulate_cohort

        known = set(inspect.signature(simulate_cohort).parameters) - set(_SET_BY_POWER)
        unknown = [k for k in given if k not in known]
        if unknown:
            raise ValueError(
                f"simulate: unknown simulate_cohort setting(s) {unknown}; valid: "
                f"{', '.join(sorted(known))}"
            )
        cohort_kwargs = {**_TRIAL_DEFAULTS, **given}
        if "routes" in given and "route_weights" not in given:
            cohort_kwargs["route_weights"] = (1.0,) * len(given["routes"])
        try:  # a tiny cohort checks the settings here rather than in every worker
            simulate_cohort(4, 0, arms=arms, **cohort_kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"simulate: {exc}") from None
        sim_fn = None
        simulate_name = "simulate_cohort"
    elif callable(simulate):
        sim_fn = simulate
        simulate_name = (
            repr(simulate)
            if isinstance(simulate, (_NormalOutcome, _BinaryOutcome))
            else getattr(simulate, "__name__", type(simulate).__name__)
        )
    else:
        raise ValueError(
            f"simulate: expected a dict of simulate_cohort settings or a function "
            f"(n_per_arm, rng) -> DataFrame, got {type(simulate).__name__}"
        )
    simple = {"t_test": _NormalOutcome, "two_proportion": _BinaryOutcome}
    if endpoint in simple and sim_fn is None:
        helper = "normal_outcome" if endpoint == "t_test" else "binary_outcome"
        raise ValueError(
            f"endpoint: {endpoint!r} analyses a column 'value'; give simulate={helper}(...) or "
            "a function returning 'arm' and 'value'"
        )
    if endpoint in ("response", "mmrm") and isinstance(sim_fn, (_NormalOutcome, _BinaryOutcome)):
        raise ValueError(
            f"endpoint: {endpoint!r} needs rating-scale data; with simulate={sim_fn!r} use "
            "endpoint='t_test' or 'two_proportion'"
        )
    seed_seq = np.random.SeedSequence(seed)
    spec = _Spec(
        endpoint=endpoint,
        endpoint_name=endpoint_name,
        simulate=sim_fn,
        cohort_kwargs=cohort_kwargs,
        simulate_name=simulate_name,
        alpha=alpha,
        level=level,
        arms=arms,
        session=session,
        scale=scale,
    )
    return spec, int(n_sim), seed_seq, n_jobs, None if chunk_size is None else int(chunk_size)


# ---------------------------------------------------------------------------------------
# Running the simulations
# ---------------------------------------------------------------------------------------
def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Executor:
    """A process pool (or this process for n_jobs=1) reused across design points."""

    def __init__(self, n_jobs: int | None, spec: _Spec):
        n = _available_cpus() if n_jobs in (None, -1) else int(n_jobs)
        if n > 1:
            try:
                pickle.dumps(spec)
            except Exception as exc:  # lambdas, local functions, open handles ...
                warnings.warn(
                    f"n_jobs={n_jobs}: the simulate or endpoint function cannot be sent to "
                    f"worker processes ({type(exc).__name__}: {exc}); running in this process. "
                    "Define it at module level to run in parallel.",
                    RuntimeWarning,
                    stacklevel=3,
                )
                n = 1
        self.n_jobs = n
        self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._pool is not None:
            # on an error or Ctrl-C, drop the chunks not yet started instead of running them
            self._pool.shutdown(wait=True, cancel_futures=exc_type is not None)
        return False

    def run(self, spec, ns, seed_seq, n_sim, chunk_size) -> list[list[dict]]:
        """Rows of every simulation, per sample size in ``ns``."""
        # A fresh root each time: spawn() on the same SeedSequence object continues where the
        # last call stopped, and every sample size must get the same seeds.
        children = np.random.SeedSequence(seed_seq.entropy).spawn(n_sim)
        seeds = [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]
        if self.n_jobs == 1:
            return [_run_chunk((spec, n, list(enumerate(seeds)))) for n in ns]
        size = chunk_size or max(1, math.ceil(n_sim / (4 * self.n_jobs)))
        indexed = list(enumerate(seeds))
        tasks, owner = [], []
        for j, n in enumerate(ns):
            for start in range(0, n_sim, size):
                block = indexed[start : start + size]
                tasks.append((spec, n, block))
                owner.append(j)
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            _preload(spec)

            self._pool = ProcessPoolExecutor(max_workers=min(self.n_jobs, len(tasks)))
        out: list[list[dict]] = [[] for _ in ns]
        for j, rows in zip(owner, self._pool.map(_run_chunk, tasks), strict=True):
            out[j].extend(rows)
        return out


def _preload(spec: _Spec) -> None:
    """Import what the workers need before they start: forked workers inherit it instead
    of each importing scipy, statsmodels and patsy again (a second or more per pool)."""
    import scipy.stats  # noqa: F401

    if spec.endpoint in ("response", "mmrm"):
        from .. import outcomes, simulate  # noqa: F401
        from ..stats import mmrm, summary  # noqa: F401


def _run_chunk(task) -> list[dict]:
    """Simulate and analyse the trials of one chunk (runs in a worker process)."""
    spec, n_per_arm, block = task
    simple = _SIMPLE.get(spec.endpoint) if isinstance(spec.endpoint, str) else None
    if simple is not None and isinstance(spec.simulate, simple[0]):
        return _run_simple_chunk(spec, n_per_arm, block, simple[1])
    rows = []
    for sim, seed in block:
        frame = _draw(spec, n_per_arm, seed)
        row = {"sim": sim, "seed": seed}
        row.update(_analyse(spec, frame))
        rows.append(row)
    return rows


def _run_simple_chunk(spec, n_per_arm, block, core) -> list[dict]:
    """The simple designs, vectorised over the trials of a chunk.

    Each trial's values are drawn exactly as ``spec.simulate(n_per_arm, rng)`` draws them,
    so the result equals the one trial at a time path.
    """
    values = np.stack([spec.simulate.values(n_per_arm, np.random.default_rng(s)) for _, s in block])
    a, b = values[:, :n_per_arm], values[:, n_per_arm:]
    stats = core(a, b, spec.level)
    rows = []
    for i, (sim, seed) in enumerate(block):
        values_i = {k: v[i] for k, v in stats.items()}
        row = {"sim": sim, "seed": seed}
        row.update(_finish(spec, values_i))
        rows.append(row)
    return rows


def _draw(spec: _Spec, n_per_arm: int, seed: int) -> pd.DataFrame:
    if spec.simulate is None:
        from .cohort import simulate_cohort

        return simulate_cohort(2 * n_per_arm, seed, arms=spec.arms, **spec.cohort_kwargs)
    frame = spec.simulate(n_per_arm, np.random.default_rng(seed))
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"simulate: expected the function to return a DataFrame, got {type(frame).__name__}"
        )
    return frame


_BLANK = {
    "estimate": np.nan,
    "se": np.nan,
    "ci_low": np.nan,
    "ci_high": np.nan,
    "p_value": np.nan,
    "reject": False,
    "n": 0,
    "failed": False,
    "message": "",
}


def _analyse(spec: _Spec, frame: pd.DataFrame) -> dict:
    if callable(spec.endpoint):
        got = spec.endpoint(frame)
        values = dict(got) if isinstance(got, Mapping) else {"p_value": got}
        if "p_value" not in values:
            raise ValueError(f"endpoint: the function returned {sorted(values)} without 'p_value'")
    else:
        values = _BUILT_IN[spec.endpoint](spec, frame)
    return _finish(spec, values)


def _finish(spec: _Spec, values: dict) -> dict:
    row = {**_BLANK, **values}
    p = float(row["p_value"]) if row["p_value"] is not None else np.nan
    row["p_value"] = p
    row["failed"] = bool(row["failed"])
    row["message"] = str(row["message"])
    row["n"] = int(row["n"])
    if np.isnan(p) and not row["failed"]:
        row["failed"] = True
        row["message"] = row["message"] or "no p-value"
    row["reject"] = bool(p < spec.alpha) if not np.isnan(p) else False
    return row


def _two_groups(spec: _Spec, frame: pd.DataFrame, column: str):
    for col in ("arm", column):
        if col not in frame.columns:
            raise ValueError(f"simulate: the simulated frame has no column {col!r}")
    arm = frame["arm"].to_numpy()
    value = frame[column].to_numpy(dtype=float)
    ok = ~np.isnan(value)
    return value[ok & (arm == spec.arms[0])], value[ok & (arm == spec.arms[1])]


def _z_core(k1, n1, k2, n2, level: float) -> dict:
    """Pooled two-proportion z test and Newcombe's interval, over arrays of trials.

    Newcombe's hybrid score interval (method 10 of Newcombe RG. Stat Med
    1998;17:873-890) from Wilson intervals, as :func:`ketanalysis.stats.rate_difference`.
    """
    from scipy.stats import norm

    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    z = norm.ppf(0.5 + level / 2)
    ok = (n1 > 0) & (n2 > 0)
    m1, m2 = np.where(ok, n1, 1.0), np.where(ok, n2, 1.0)
    p1, p2 = k1 / m1, k2 / m2

    def wilson(k, n, p):
        centre = (k + z * z / 2) / (n + z * z)
        half = z / (n + z * z) * np.sqrt(k * (n - k) / n + z * z / 4)
        return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)

    (l1, u1), (l2, u2) = wilson(k1, m1, p1), wilson(k2, m2, p2)
    est = p1 - p2
    pooled = (k1 + k2) / (m1 + m2)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / m1 + 1 / m2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = np.where(se0 > 0, 2 * norm.sf(np.abs(est) / se0), 1.0)
    nan = np.where(ok, 1.0, np.nan)
    return {
        "estimate": est * nan,
        "se": np.sqrt(p1 * (1 - p1) / m1 + p2 * (1 - p2) / m2) * nan,
        "ci_low": (est - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)) * nan,
        "ci_high": (est + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)) * nan,
        "p_value": p_value * nan,
        "n": (n1 + n2).astype(np.int64),
        "failed": ~ok,
        "message": np.where(ok, "", "an arm has no patient with a known outcome"),
    }


def _t_core(a, b, level: float) -> dict:
    """Student's two-sample t test (pooled variance), over rows of trials."""
    from scipy.stats import t as t_dist

    n1, n2 = a.shape[1], b.shape[1]
    df = n1 + n2 - 2
    if n1 < 2 or n2 < 2:
        k = a.shape[0]
        return {
            "n": np.full(k, n1 + n2),
            "failed": np.ones(k, dtype=bool),
            "message": np.full(k, "fewer than 2 patients in an arm"),
        }
    sp2 = ((n1 - 1) * a.var(axis=1, ddof=1) + (n2 - 1) * b.var(axis=1, ddof=1)) / df
    est = a.mean(axis=1) - b.mean(axis=1)
    se = np.sqrt(sp2 * (1 / n1 + 1 / n2))
    ok = se > 0
    se_ok = np.where(ok, se, np.nan)
    q = t_dist.ppf(0.5 + level / 2, df)
    return {
        "estimate": est,
        "se": se_ok,
        "ci_low": est - q * se_ok,
        "ci_high": est + q * se_ok,
        "p_value": 2 * t_dist.sf(np.abs(est / se_ok), df),
        "n": np.full(est.shape, n1 + n2),
        "failed": ~ok,
        "message": np.where(ok, "", "no variation in the outcome"),
    }


def _z_rows(a, b, level: float) -> dict:
    """:func:`_z_core` on rows of 0/1 outcomes of each arm."""
    return _z_core(
        a.sum(axis=1),
        np.full(len(a), a.shape[1]),
        b.sum(axis=1),
        np.full(len(b), b.shape[1]),
        level,
    )


def _one(stats: dict) -> dict:
    """The first (only) trial of a core result, as plain Python values."""
    return {k: v[0].item() if hasattr(v[0], "item") else v[0] for k, v in stats.items()}


def _two_proportion(spec: _Spec, frame: pd.DataFrame) -> dict:
    a, b = _two_groups(spec, frame, "value")
    return _one(_z_core([a.sum()], [a.size], [b.sum()], [b.size], spec.level))


def _t_test(spec: _Spec, frame: pd.DataFrame) -> dict:
    a, b = _two_groups(spec, frame, "value")
    return _one(_t_core(a[None, :], b[None, :], spec.level))


def _derived(spec: _Spec, frame: pd.DataFrame):
    """derive() on the outcome scale's rows and the columns the analyses use.

    Leaving out ``day``, the other scales and the covariates halves the time of derive
    (validation scans every column) and changes neither response nor change from baseline.
    """
    from ..outcomes import derive

    need = ["patient_id", "session", "scale", "score", "arm"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"simulate: the simulated frame has no column(s) {missing}")
    rows = (frame["scale"] == spec.scale).to_numpy()
    return derive(frame.loc[rows, need] if rows.any() else frame[need], scale=spec.scale)


def _response(spec: _Spec, frame: pd.DataFrame) -> dict:
    out = _derived(spec, frame)
    a = out.assessments
    at = a.loc[(a["session"] == spec.session) & a["response"].notna(), ["arm", "response"]]
    y = at["response"].astype(bool).to_numpy()
    arm = at["arm"].to_numpy()
    g1, g2 = y[arm == spec.arms[0]], y[arm == spec.arms[1]]
    return _one(_z_core([g1.sum()], [g1.size], [g2.sum()], [g2.size], spec.level))


def _mmrm(spec: _Spec, frame: pd.DataFrame) -> dict:
    out = _derived(spec, frame)
    a = out.assessments
    keep = a["post_baseline"].astype(bool) & a["change"].notna()
    if pd.api.types.is_numeric_dtype(a["session"]):
        keep &= a["session"] <= spec.session
    data = a.loc[keep, ["patient_id", "session", "arm", "change", "baseline"]]
    n = int(data["patient_id"].nunique())
    row, problem = _fit_mmrm(spec, data, start=None)
    if row is None and problem.startswith("did not converge"):
        # Pairwise moment starts can be far from positive definite with few patients per
        # session; a diagonal start of the per-session variances usually converges.
        var = data.groupby("session", sort=True)["change"].var().to_numpy(dtype=float)
        fallback = np.nanmean(var) if np.isfinite(var).any() else 1.0
        var = np.where(np.isfinite(var) & (var > 0), var, fallback)
        row, second = _fit_mmrm(spec, data, start=np.diag(var))
        problem = "refitted from a diagonal start" if row is not None else f"{problem}; {second}"
    if row is None:
        return {"failed": True, "message": f"MMRM {problem}", "n": n}
    return {**row, "n": n, "message": problem}


def _fit_mmrm(spec: _Spec, data: pd.DataFrame, start) -> tuple[dict | None, str]:
    """The arm contrast at the primary session, or None and what went wrong."""
    from ..stats.mmrm.model import MMRMControl, MMRMConvergenceWarning, mmrm

    control = MMRMControl(start=start)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = mmrm(data, "change ~ arm * C(session) + baseline", control=control)
            con = fit.contrasts(
                "arm",
                by="session",
                method="trt.vs.ctrl",
                ref=spec.arms[1],
                at={"session": [spec.session]},
            )
        except (ValueError, np.linalg.LinAlgError) as exc:
            return None, f"could not be fitted: {type(exc).__name__}: {exc}"
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    converged = fit.converged and not any(
        issubclass(w.category, MMRMConvergenceWarning) for w in caught
    )
    if not converged:
        return None, "did not converge: " + "; ".join(notes)
    c = con.iloc[0]
    values = {k: float(c[k]) for k in ("estimate", "se", "ci_low", "ci_high", "p_value")}
    return values, "; ".join(notes)


_SIMPLE = {"t_test": (_NormalOutcome, _t_core), "two_proportion": (_BinaryOutcome, _z_rows)}
_BUILT_IN = {
    "response": _response,
    "mmrm": _mmrm,
    "t_test": _t_test,
    "two_proportion": _two_proportion,
}


def _warn_failed(results) -> None:
    failed = [(r.n_per_arm, r.n_failed, r.n_sim) for r in results if r.n_failed]
    if failed:
        where = ", ".join(f"{k} of {m} simulated trials at n_per_arm={n}" for n, k, m in failed)
        warnings.warn(
            f"the analysis failed in {where}; they count as not rejected "
            "(see PowerResult.simulations['message'])",
            RuntimeWarning,
            stacklevel=3,
        )


def _result(spec, n_per_arm, rows, seed_seq, n_jobs, chunk_size) -> PowerResult:
    from scipy.stats import beta

    sims = pd.DataFrame(rows).sort_values("sim", kind="stable").reset_index(drop=True)
    first = ["sim", "seed", *_BLANK]
    sims = sims[first + [c for c in sims.columns if c not in first]]
    sims["reject"] = sims["reject"].astype(bool)
    sims["failed"] = sims["failed"].astype(bool)
    sims["n"] = sims["n"].astype(np.int64)
    n_sim = len(sims)
    k = int(sims["reject"].sum())
    a = 1 - spec.level
    lo = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n_sim - k + 1))
    hi = 1.0 if k == n_sim else float(beta.ppf(1 - a / 2, k + 1, n_sim - k))
    p = k / n_sim
    return PowerResult(
        power=p,
        ci_low=lo,
        ci_high=hi,
        mcse=math.sqrt(p * (1 - p) / n_sim),
        n_per_arm=n_per_arm,
        n_sim=n_sim,
        n_rejected=k,
        n_failed=int(sims["failed"].sum()),
        alpha=spec.alpha,
        level=spec.level,
        endpoint=spec.endpoint_name,
        simulations=sims,
        settings={
            "seed": seed_seq.entropy,
            "arms": spec.arms,
            "session": spec.session,
            "scale": spec.scale,
            "simulate": spec.simulate_name
            if spec.simulate is not None
            else {"function": "simulate_cohort", **spec.cohort_kwargs},
            "n_jobs": n_jobs,
            "chunk_size": chunk_size,
        },
    )
