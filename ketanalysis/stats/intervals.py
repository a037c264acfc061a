"""Confidence intervals shared by the functions of :mod:`ketanalysis.stats`.

Thin wrappers of the statsmodels and scipy intervals with the conventions of the package
(missing where undefined, ``level`` a probability in (0, 1); see ``docs/architecture.md``):
Wilson score intervals of a proportion, Newcombe's hybrid score interval of a difference of
proportions, Wald intervals and Fisher-z intervals of a correlation.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as _st

from .arguments import check_level

__all__ = ["fisher_interval", "newcombe_interval", "wald", "wilson_interval"]


def wilson_interval(k, n, level: float = 0.95):
    """Wilson score interval of k / n (arrays allowed).

    Parameters
    ----------
    k, n : int or array of int
        Events and trials.
    level : float, default 0.95

    Returns
    -------
    ci_low, ci_high : ndarray
        :func:`statsmodels.stats.proportion.proportion_confint` with ``method="wilson"``,
        clipped to [0, 1]; missing where n is 0.
    """
    from statsmodels.stats.proportion import proportion_confint

    check_level(level)
    k, n = np.broadcast_arrays(
        np.atleast_1d(np.asarray(k, dtype=float)), np.atleast_1d(np.asarray(n, dtype=float))
    )
    ok = n > 0
    lo = np.full(k.shape, np.nan)
    hi = np.full(k.shape, np.nan)
    if ok.any():
        lo_ok, hi_ok = proportion_confint(k[ok], n[ok], alpha=1 - level, method="wilson")
        lo[ok] = np.clip(lo_ok, 0.0, 1.0)
        hi[ok] = np.clip(hi_ok, 0.0, 1.0)
    return lo, hi


def newcombe_interval(k1, n1, k2, n2, level: float = 0.95) -> tuple[float, float, float]:
    """Difference k1/n1 - k2/n2 with Newcombe's hybrid score interval (method 10).

    Parameters
    ----------
    k1, n1, k2, n2 : int
        Events and patients of the two groups.
    level : float, default 0.95

    Returns
    -------
    estimate, ci_low, ci_high : float
        All missing when either n is 0.

    Notes
    -----
    Newcombe RG. Stat Med 1998;17:873-890, method 10: the Wilson limits of each
    proportion combined by the square-root rule, computed by
    :func:`statsmodels.stats.proportion.confint_proportions_2indep` with
    ``method="newcomb"``.
    """
    check_level(level)
    if n1 <= 0 or n2 <= 0:
        return np.nan, np.nan, np.nan
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(
        k1, n1, k2, n2, method="newcomb", compare="diff", alpha=1 - level
    )
    return float(k1 / n1 - k2 / n2), float(low), float(high)


def wald(est, se, level: float = 0.95):
    """Wald z statistic, two-sided p-value and normal interval ``est -/+ q se``.

    Parameters
    ----------
    est, se : array of float
    level : float, default 0.95

    Returns
    -------
    z, p_value, ci_low, ci_high : ndarray
    """
    check_level(level)
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    q = _st.norm.ppf(0.5 + level / 2)
    return z, 2 * _st.norm.sf(np.abs(z)), est - q * se, est + q * se


def fisher_interval(r: float, n: int, level: float = 0.95, var: float = 1.0):
    """Interval of a correlation by Fisher's z: ``tanh(atanh(r) -/+ q sqrt(var / (n - 3)))``.

    Parameters
    ----------
    r : float
        The correlation.
    n : int
        Pairs it was computed from.
    level : float, default 0.95
    var : float, default 1.0
        1 for Pearson's r; 1.06 for Spearman's rho (Fieller, Hartley and Pearson,
        Biometrika 1957;44:470-481).

    Returns
    -------
    ci_low, ci_high, se_z : float
        Missing when n <= 3.
    """
    check_level(level)
    if n <= 3 or not np.isfinite(r):
        return np.nan, np.nan, np.nan
    se = float(np.sqrt(var / (n - 3)))
    q = _st.norm.ppf(0.5 + level / 2)
    z = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    return float(np.tanh(z - q * se)), float(np.tanh(z + q * se)), se
