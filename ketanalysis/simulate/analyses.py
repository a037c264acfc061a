"""The built-in analyses of a simulated trial (``analysis=`` of :func:`.power.power`).

Each analysis takes the :class:`AnalysisSpec` of a power run and one simulated trial and
returns the values of one row of ``PowerResult.simulations``:

- ``"response"``: the two-proportion z test of the response rates at the primary session
  (observed cases), with the rate difference and its Newcombe interval;
- ``"mmrm"``: the primary MMRM of :class:`ketanalysis.stats.primary.PrimaryMMRM` (the
  report's model), the arm contrast at the primary session;
- ``"t_test"`` and ``"two_proportion"``: Student's t test and the two-proportion z test of
  the ``value`` of the simple designs of :mod:`.designs`, also vectorised over the trials
  of a chunk (:data:`SIMPLE`).

scipy, statsmodels and :mod:`ketanalysis.stats` load when an analysis runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .designs import BinaryOutcome, NormalOutcome

__all__ = [
    "ANALYSES",
    "BLANK",
    "SIMPLE",
    "AnalysisSpec",
    "analyse",
    "finish",
    "fit_primary",
]

#: Built-in analyses of :func:`ketanalysis.simulate.power`.
ANALYSES = ("response", "mmrm", "t_test", "two_proportion")

#: The values of a row of ``PowerResult.simulations`` an analysis did not set.
BLANK = {
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


@dataclass(frozen=True)
class AnalysisSpec:
    """What a worker needs to simulate and analyse one trial (picklable).

    ``analysis`` is a name of :data:`ANALYSES` or a function; ``primary`` the
    :class:`~ketanalysis.stats.primary.PrimaryMMRM` of ``analysis="mmrm"`` (else None);
    ``simulate`` None means :func:`ketanalysis.simulate.simulate_cohort` with
    ``cohort_kwargs``.
    """

    analysis: str | Callable
    analysis_name: str
    simulate: Callable | None
    cohort_kwargs: dict
    simulate_name: str
    alpha: float
    level: float
    arms: tuple[str, str]
    endpoint: object
    scale: str
    primary: object = None


def analyse(spec: AnalysisSpec, frame: pd.DataFrame) -> dict:
    """The row values of one simulated trial: the analysis of ``spec`` on ``frame``."""
    if callable(spec.analysis):
        got = spec.analysis(frame)
        values = dict(got) if isinstance(got, Mapping) else {"p_value": got}
        if "p_value" not in values:
            raise ValueError(f"analysis: the function returned {sorted(values)} without 'p_value'")
    else:
        values = _BUILT_IN[spec.analysis](spec, frame)
    return finish(spec, values)


def finish(spec: AnalysisSpec, values: dict) -> dict:
    """Complete an analysis' values to a row: blanks, types, ``failed`` and ``reject``."""
    row = {**BLANK, **values}
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


def _two_groups(spec: AnalysisSpec, frame: pd.DataFrame, column: str):
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

    from ..stats.intervals import wilson_interval

    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    ok = (n1 > 0) & (n2 > 0)
    m1, m2 = np.where(ok, n1, 1.0), np.where(ok, n2, 1.0)
    p1, p2 = k1 / m1, k2 / m2
    (l1, u1), (l2, u2) = wilson_interval(k1, m1, level), wilson_interval(k2, m2, level)
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


def _two_proportion(spec: AnalysisSpec, frame: pd.DataFrame) -> dict:
    a, b = _two_groups(spec, frame, "value")
    return _one(_z_core([a.sum()], [a.size], [b.sum()], [b.size], spec.level))


def _t_test(spec: AnalysisSpec, frame: pd.DataFrame) -> dict:
    a, b = _two_groups(spec, frame, "value")
    return _one(_t_core(a[None, :], b[None, :], spec.level))


def _derived(frame: pd.DataFrame, scale: str):
    """derive() on the outcome scale's rows and the columns the analyses use.

    Leaving out ``day``, the other scales and the covariates halves the time of derive
    (validation scans every column) and changes neither response nor change from baseline.
    """
    from ..outcomes import derive

    need = ["patient_id", "session", "scale", "score", "arm"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(f"simulate: the simulated frame has no column(s) {missing}")
    rows = (frame["scale"] == scale).to_numpy()
    return derive(frame.loc[rows, need] if rows.any() else frame[need], scale=scale)


def _response(spec: AnalysisSpec, frame: pd.DataFrame) -> dict:
    out = _derived(frame, spec.scale)
    a = out.assessments
    at = a.loc[(a["session"] == spec.endpoint) & a["response"].notna(), ["arm", "response"]]
    y = at["response"].astype(bool).to_numpy()
    arm = at["arm"].to_numpy()
    g1, g2 = y[arm == spec.arms[0]], y[arm == spec.arms[1]]
    return _one(_z_core([g1.sum()], [g1.size], [g2.sum()], [g2.size], spec.level))


def fit_primary(frame: pd.DataFrame, *, primary, scale: str = "MADRS"):
    """The primary MMRM of one simulated trial, as ``analysis="mmrm"`` fits it.

    Parameters
    ----------
    frame : DataFrame
        A simulated trial in the canonical long format with an ``arm`` column.
    primary : PrimaryMMRM
        The definition (``PowerResult.settings["primary"]``); ``until`` is the primary
        session. Sessions that are not numbers are all modelled.
    scale : str, default "MADRS"
        Scale of the outcome.

    Returns
    -------
    PrimaryFit
        :meth:`ketanalysis.stats.primary.PrimaryMMRM.fit` on
        :meth:`~ketanalysis.stats.primary.PrimaryMMRM.data` of the derived trial.
    """
    out = _derived(frame, scale)
    numeric = pd.api.types.is_numeric_dtype(out.assessments["session"])
    data = primary.data(out, scale=scale, arm="arm", until=primary.until if numeric else None)
    return primary.fit(data, arm="arm")


def _mmrm(spec: AnalysisSpec, frame: pd.DataFrame) -> dict:
    fit = fit_primary(frame, primary=spec.primary, scale=spec.scale)
    if not fit.converged:
        return {"failed": True, "message": f"MMRM {fit.message}", "n": fit.n_patients}
    try:
        values = fit.primary_values(spec.endpoint, level=spec.level)
    except (ValueError, np.linalg.LinAlgError) as exc:
        message = f"MMRM could not be fitted: {type(exc).__name__}: {exc}"
        return {"failed": True, "message": message, "n": fit.n_patients}
    return {**values, "n": fit.n_patients, "message": fit.message}


#: The simple designs and their vectorised analysis (rows of trials of each arm).
SIMPLE = {"t_test": (NormalOutcome, _t_core), "two_proportion": (BinaryOutcome, _z_rows)}
_BUILT_IN = {
    "response": _response,
    "mmrm": _mmrm,
    "t_test": _t_test,
    "two_proportion": _two_proportion,
}
