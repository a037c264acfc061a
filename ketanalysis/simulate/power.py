"""Power and sample size of a two-arm trial by simulation: the public API and its result.

:func:`power` simulates ``n_sim`` trials with ``n_per_arm`` patients per arm, analyses each
with the trial's primary analysis and reports the share of trials that reject the null
hypothesis, with an exact Monte Carlo confidence interval. :func:`power_curve` does so for
several sample sizes and :func:`sample_size` searches the smallest one reaching a target
power. The simulations run in parallel over processes (:mod:`.runner`); the result does
not depend on the number of processes.

Built-in analyses (``analysis=``, :mod:`.analyses`):

- ``"response"``: responder analysis at the primary session, a two-proportion z test of
  the response rates (observed cases), with the rate difference and its Newcombe interval
  (:func:`ketanalysis.stats.rate_difference`);
- ``"mmrm"``: the primary analysis of the report,
  :class:`ketanalysis.stats.primary.PrimaryMMRM`: an MMRM of the change from baseline
  ``change ~ baseline*C(session) + arm*C(session)`` with unstructured covariance and
  Kenward-Roger degrees of freedom, the arm contrast at the primary session;
- ``"t_test"`` and ``"two_proportion"``: Student's two-sample t test and the two-proportion
  z test of a ``value`` column, for the simple designs :func:`normal_outcome` and
  :func:`binary_outcome` (:mod:`.designs`) whose power has a closed form (used to check
  the machinery).

Trials come from :func:`ketanalysis.simulate.simulate_cohort` (a blinded IV ketamine vs
midazolam trial by default) or from any function ``simulate(n_per_arm, rng) -> DataFrame``.

Only numpy and pandas are imported at module level; scipy, statsmodels and the statistics
of :mod:`ketanalysis.stats` load when a simulation runs.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .analyses import ANALYSES, BLANK, AnalysisSpec
from .arguments import check_arms, check_n, check_n_values, finite, unit_interval
from .designs import BinaryOutcome, NormalOutcome, binary_outcome, normal_outcome
from .runner import Executor

__all__ = [
    "ANALYSES",
    "PowerResult",
    "binary_outcome",
    "normal_outcome",
    "power",
    "power_curve",
    "sample_size",
]

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
    analysis : str
        The analysis (``"response"``, ``"mmrm"``, ``"t_test"``, ``"two_proportion"`` or the
        name of the function given).
    simulations : DataFrame
        One row per simulated trial: ``sim`` (0 .. n_sim - 1), ``seed`` (the integer seed
        its data were drawn with), ``estimate`` (treatment minus control: rate difference,
        difference of LS-mean changes or of means), ``se``, ``ci_low``, ``ci_high`` (at
        ``level``; missing where the analysis gives none), ``p_value``, ``reject``, ``n``
        (patients analysed), ``failed``, ``message``, then any further values an analysis
        function returned.
    settings : dict
        Everything needed to rerun: ``seed`` (the entropy of the root
        ``numpy.random.SeedSequence``), ``arms``, ``endpoint``, ``scale``, ``simulate``,
        ``n_jobs``, ``chunk_size``, and ``primary``: the
        :class:`~ketanalysis.stats.primary.PrimaryMMRM` fitted by ``analysis="mmrm"``
        (None for the other analyses).

    Examples
    --------
    >>> from ketanalysis.simulate import normal_outcome, power
    >>> res = power(20, analysis="t_test", simulate=normal_outcome(0.8), n_sim=200, n_jobs=1)
    >>> res.tidy()[["n_per_arm", "n_sim", "n_rejected"]].to_numpy().tolist()
    [[20, 200, 152]]
    >>> float(res.tidy()["estimate"].iloc[0])
    0.76
    >>> res.glance()[["analysis", "alpha", "level", "seed"]].to_numpy().tolist()
    [['t_test', 0.05, 0.95, 0]]
    >>> print(res.summary())
    Power by simulation (t_test, alpha 0.05): 0.760 with 20 per arm (95 % CI 0.695
    to 0.817, Clopper-Pearson) from 200 simulated trials.
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
    analysis: str
    simulations: pd.DataFrame = field(repr=False)
    settings: dict = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """One row per design point (here one): ``n_per_arm``, ``estimate`` (the power),
        ``ci_low``, ``ci_high`` (Clopper-Pearson), ``mcse``, ``n_sim``, ``n_rejected``,
        ``n_failed``."""
        row = {c: getattr(self, c) for c in _SUMMARY_COLUMNS}
        row["estimate"] = row.pop("power")
        return pd.DataFrame([row])[["n_per_arm", "estimate", *_SUMMARY_COLUMNS[2:]]]

    def glance(self) -> pd.DataFrame:
        """One row of settings: ``analysis``, ``alpha``, ``level``, ``seed``, ``n_jobs``."""
        return pd.DataFrame(
            [
                {
                    "analysis": self.analysis,
                    "alpha": self.alpha,
                    "level": self.level,
                    "seed": self.settings.get("seed"),
                    "n_jobs": self.settings.get("n_jobs"),
                }
            ]
        )

    def summary(self) -> str:
        """A short plain-text description of the estimate."""
        import textwrap

        text = (
            f"Power by simulation ({self.analysis}, alpha {self.alpha:g}): {self.power:.3f} "
            f"with {self.n_per_arm} per arm ({100 * self.level:g} % CI {self.ci_low:.3f} to "
            f"{self.ci_high:.3f}, Clopper-Pearson) from {self.n_sim} simulated trials"
        )
        if self.n_failed:
            text += f"; {self.n_failed} failed analyses counted as not rejected"
        return textwrap.fill(text + ".", width=80)

    def _repr_html_(self) -> str:
        pct = f"{100 * self.level:g} %"
        head = (
            f"<strong>Power by simulation</strong>: {html.escape(self.analysis)}, "
            f"{self.n_per_arm} per arm, alpha {self.alpha:g}: "
            f"<strong>{self.power:.3f}</strong> ({pct} CI {self.ci_low:.3f} to "
            f"{self.ci_high:.3f}, Clopper-Pearson) from {self.n_sim} simulated trials"
        )
        if self.n_failed:
            head += f"; {self.n_failed} failed analyses counted as not rejected"
        return head + self.tidy().to_html(index=False, float_format="{:.4g}".format)


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------
def power(
    n_per_arm: int,
    *,
    analysis: str | Callable = "response",
    n_sim: int = 1000,
    seed: int | None = 0,
    alpha: float = 0.05,
    n_jobs: int | None = None,
    simulate: Mapping | Callable | None = None,
    arms: Sequence[str] = ("ketamine", "midazolam"),
    endpoint=7,
    scale: str = "MADRS",
    level: float = 0.95,
    chunk_size: int | None = None,
) -> PowerResult:
    """Power of a two-arm trial by simulation, with a Monte Carlo confidence interval.

    Simulates ``n_sim`` trials of ``n_per_arm`` patients per arm, runs ``analysis`` on
    each and counts the trials with a two-sided p-value below ``alpha``.

    Parameters
    ----------
    n_per_arm : int
        Patients randomised per arm (at least 2). With the default simulator the trial has
        ``2 * n_per_arm`` patients randomised 1:1 in permuted blocks of four.
    analysis : {"response", "mmrm", "t_test", "two_proportion"} or callable
        The analysis of each simulated trial:

        - ``"response"``: response (MADRS reduction >= 50 %, :func:`ketanalysis.derive`) at
          ``endpoint`` among the patients assessed there, compared between arms by the
          two-proportion z test with pooled variance (Pearson's chi-square test without
          continuity correction); estimate the rate difference with Newcombe's interval;
        - ``"mmrm"``: the report's primary MMRM,
          ``PrimaryMMRM(until=endpoint, ref=arms[1])``
          (:class:`ketanalysis.stats.primary.PrimaryMMRM`): change from baseline
          ``change ~ baseline*C(session) + arm*C(session)`` on the sessions after baseline
          up to ``endpoint``, unstructured covariance, REML, Kenward-Roger df; estimate the
          difference of LS-mean changes (treatment minus control) at ``endpoint``. A fit
          that does not converge is refitted once from a diagonal start (the per-session
          variances of the change); one that still fails, or cannot be fitted, counts as
          failed (not rejected). The unstructured covariance of sessions 1-7 has 28
          parameters, so the trial needs at least 14 patients per arm (20 or more for
          stable fits);
        - ``"t_test"``: Student's two-sample t test (equal variances) of the column
          ``value``, for :func:`normal_outcome`;
        - ``"two_proportion"``: the two-proportion z test of the 0/1 column ``value``, for
          :func:`binary_outcome`;
        - a function ``analysis(frame)`` returning the p-value, or a dict with ``p_value``
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
        ``analysis`` must be picklable (defined at module level) to run in workers; if
        they are not (a lambda, a local function), the simulations run in this process
        with a warning.
    simulate : dict or callable, optional
        How trials are drawn. A dict: settings of
        :func:`ketanalysis.simulate.simulate_cohort` replacing the defaults, which are
        ``routes=("IV",), route_weights=(1.0,), maintenance_months=0, items=False`` (a
        blinded IV trial of six infusions; ``n_patients``, ``seed`` and ``arms`` are set
        by :func:`power`; ``routes`` without ``route_weights`` gets equal weights). A
        callable: ``simulate(n_per_arm, rng) -> DataFrame`` in the
        canonical long format (or with ``arm`` and ``value`` for the simple analyses),
        drawing all its randomness from the ``numpy.random.Generator`` ``rng``.
    arms : pair of str, default ("ketamine", "midazolam")
        Arm labels, treatment first; estimates are treatment minus control.
    endpoint : session value, default 7
        The session of the primary endpoint (7: the post-induction visit of
        ``simulate_cohort``).
    scale : str, default "MADRS"
        The outcome scale of the ``"response"`` and ``"mmrm"`` analyses.
    level : float, default 0.95
        Level of the Clopper-Pearson interval of the power and of the per-trial intervals.
    chunk_size : int, optional
        Simulations per task sent to a worker (default: about four tasks per worker).

    Returns
    -------
    PowerResult
        ``power``, ``ci_low``, ``ci_high``, ``mcse``, ``n_rejected``, ``n_failed``,
        ``simulations`` (one row per trial), ``settings``; ``tidy()`` and ``glance()``
        give them as one-row tables, ``summary()`` as text.

    Raises
    ------
    ValueError
        Naming the parameter and the bad value: ``n_per_arm`` < 2, ``n_sim`` < 1, ``alpha``
        or ``level`` outside (0, 1), an unknown ``analysis``, ``n_jobs`` of 0 or below -1,
        ``arms`` not two distinct labels, ``simulate`` neither a dict nor a callable (or a
        dict setting ``n_patients``, ``seed`` or ``arms``, or an unknown setting), or a
        simple analysis without its simple design (and vice versa).

    See Also
    --------
    power_curve : power at several sample sizes.
    sample_size : the smallest sample size reaching a target power.

    Notes
    -----
    Power is estimated as ``k / n_sim`` with ``k`` the trials rejecting; its interval is
    the Clopper-Pearson interval ``[B(a/2; k, n_sim - k + 1), B(1 - a/2; k + 1,
    n_sim - k)]`` with ``B`` the beta quantile and ``a = 1 - level`` (Clopper CJ, Pearson
    ES. Biometrika 1934;26:404-413), which never undercovers
    (``statsmodels.stats.proportion.proportion_confint(method="beta")``). The pooled two-proportion z
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
    >>> res = power(15, analysis="response", n_sim=20, n_jobs=1, seed=1)
    >>> res.n_sim, 0 <= res.ci_low <= res.power <= res.ci_high <= 1
    (20, True)
    >>> list(res.simulations.columns[:8])
    ['sim', 'seed', 'estimate', 'se', 'ci_low', 'ci_high', 'p_value', 'reject']
    """
    spec, n_sim, seed_seq, n_jobs, chunk_size = _prepare(
        analysis, n_sim, seed, alpha, n_jobs, simulate, arms, endpoint, scale, level, chunk_size
    )
    n = check_n(n_per_arm, "n_per_arm")
    with Executor(n_jobs, spec) as ex:
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
        Any keyword argument of :func:`power` (``analysis``, ``n_sim``, ``seed``,
        ``simulate``, ``n_jobs``, ...). The same seed serves every sample size (common
        random numbers), so each row equals ``power(n, **kwargs).tidy()`` (with ``power``
        for ``estimate``).

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
    ...     [10, 30], analysis="t_test", simulate=normal_outcome(0.5), n_sim=200, n_jobs=1
    ... )
    >>> curve[["n_per_arm", "n_sim"]].to_numpy().tolist()
    [[10, 200], [30, 200]]
    >>> bool(curve["power"].is_monotonic_increasing)
    True
    """
    ns = check_n_values(n_values)
    spec, n_sim, seed_seq, n_jobs, chunk_size = _prepare_kwargs(kwargs)
    with Executor(n_jobs, spec) as ex:
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
    >>> ss = sample_size(0.8, analysis="t_test", simulate=normal_outcome(1.0), n_sim=200,
    ...                  n_min=4, n_max=40, n_jobs=1)
    >>> ss.loc[ss["selected"], "n_per_arm"].tolist()
    [17]
    """
    target = unit_interval(target, "target")
    n_min = check_n(n_min, "n_min")
    n_max = check_n(n_max, "n_max")
    if n_max < n_min:
        raise ValueError(f"n_max: expected at least n_min={n_min}, got {n_max!r}")
    if not isinstance(step, (int, np.integer)) or isinstance(step, bool) or step < 1:
        raise ValueError(f"step: expected a positive integer, got {step!r}")
    spec, n_sim, seed_seq, n_jobs, chunk_size = _prepare_kwargs(kwargs)
    grid = list(range(n_min, n_max + 1, step))
    if grid[-1] != n_max:
        grid.append(n_max)
    done: dict[int, PowerResult] = {}
    with Executor(n_jobs, spec) as ex:

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
    analysis, n_sim, seed, alpha, n_jobs, simulate, arms, endpoint, scale, level, chunk_size
):
    if isinstance(n_sim, bool) or not isinstance(n_sim, (int, np.integer)) or n_sim < 1:
        raise ValueError(f"n_sim: expected a positive integer, got {n_sim!r}")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise ValueError(f"seed: expected a non-negative integer or None, got {seed!r}")
    from ..stats.arguments import check_level  # stats loads on first use

    alpha = unit_interval(alpha, "alpha")
    level = check_level(finite(level, "level"))
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
    arms = check_arms(arms)
    if not isinstance(scale, str):
        raise ValueError(f"scale: expected a scale name such as 'MADRS', got {scale!r}")
    if callable(analysis):
        analysis_name = getattr(analysis, "__name__", type(analysis).__name__)
    elif isinstance(analysis, str) and analysis in ANALYSES:
        analysis_name = analysis
    else:
        raise ValueError(
            f"analysis: expected one of {', '.join(ANALYSES)} or a function, got {analysis!r}"
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
            if isinstance(simulate, (NormalOutcome, BinaryOutcome))
            else getattr(simulate, "__name__", type(simulate).__name__)
        )
    else:
        raise ValueError(
            f"simulate: expected a dict of simulate_cohort settings or a function "
            f"(n_per_arm, rng) -> DataFrame, got {type(simulate).__name__}"
        )
    simple = {"t_test": NormalOutcome, "two_proportion": BinaryOutcome}
    if analysis in simple and sim_fn is None:
        helper = "normal_outcome" if analysis == "t_test" else "binary_outcome"
        raise ValueError(
            f"analysis: {analysis!r} analyses a column 'value'; give simulate={helper}(...) or "
            "a function returning 'arm' and 'value'"
        )
    if analysis in ("response", "mmrm") and isinstance(sim_fn, (NormalOutcome, BinaryOutcome)):
        raise ValueError(
            f"analysis: {analysis!r} needs rating-scale data; with simulate={sim_fn!r} use "
            "analysis='t_test' or 'two_proportion'"
        )
    primary = None
    if analysis == "mmrm":
        from ..stats.primary import PrimaryMMRM

        primary = PrimaryMMRM(until=endpoint, ref=arms[1])
    seed_seq = np.random.SeedSequence(seed)
    spec = AnalysisSpec(
        analysis=analysis,
        analysis_name=analysis_name,
        simulate=sim_fn,
        cohort_kwargs=cohort_kwargs,
        simulate_name=simulate_name,
        alpha=alpha,
        level=level,
        arms=arms,
        endpoint=endpoint,
        scale=scale,
        primary=primary,
    )
    return spec, int(n_sim), seed_seq, n_jobs, None if chunk_size is None else int(chunk_size)


# ---------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------
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
    from statsmodels.stats.proportion import proportion_confint

    sims = pd.DataFrame(rows).sort_values("sim", kind="stable").reset_index(drop=True)
    first = ["sim", "seed", *BLANK]
    sims = sims[first + [c for c in sims.columns if c not in first]]
    sims["reject"] = sims["reject"].astype(bool)
    sims["failed"] = sims["failed"].astype(bool)
    sims["n"] = sims["n"].astype(np.int64)
    n_sim = len(sims)
    k = int(sims["reject"].sum())
    lo, hi = (float(x) for x in proportion_confint(k, n_sim, alpha=1 - spec.level, method="beta"))
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
        analysis=spec.analysis_name,
        simulations=sims,
        settings={
            "seed": seed_seq.entropy,
            "arms": spec.arms,
            "endpoint": spec.endpoint,
            "scale": spec.scale,
            "simulate": spec.simulate_name
            if spec.simulate is not None
            else {"function": "simulate_cohort", **spec.cohort_kwargs},
            "n_jobs": n_jobs,
            "chunk_size": chunk_size,
            "primary": spec.primary,
        },
    )
