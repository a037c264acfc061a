"""Effect sizes: standardised mean differences with confidence intervals, and the NNT.

:func:`cohens_d` and :func:`hedges_g` work on arrays (two independent samples, or one
sample of changes); :func:`effect_size` computes them from an
:class:`~ketanalysis.Outcomes` between two arms or within groups (change from baseline) at
a session; :func:`nnt` gives the number needed to treat with the Newcombe interval inverted
as Altman (1998) recommends.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize as _opt
from scipy import special as _sp
from scipy import stats as _st

from .arguments import as_float, by_list, check_columns, check_level, two_groups
from .frames import assessment_frame, filter_scales
from .summary import rate_difference

__all__ = ["cohens_d", "effect_size", "hedges_g", "hedges_j", "nnt"]

_CI_METHODS = ("noncentral_t", "normal")
_MEASURES = ("hedges_g", "cohens_d")
_KINDS = ("between", "within")
_BAD_OUTCOMES = ("relapse",)  # outcomes where a higher rate is worse


# ---------------------------------------------------------------------------------------
# Array level
# ---------------------------------------------------------------------------------------
def hedges_j(df) -> np.ndarray:
    """Hedges' exact small-sample correction factor J(m) for ``m`` degrees of freedom.

    ``J(m) = Gamma(m/2) / (sqrt(m/2) * Gamma((m-1)/2))`` (Hedges LV. J Educ Stat
    1981;6:107-128, eq. 6e); approximately ``1 - 3 / (4m - 1)``. Missing for m <= 1.
    """
    m = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.exp(_sp.gammaln(m / 2) - 0.5 * np.log(m / 2) - _sp.gammaln((m - 1) / 2))
    return np.where(m > 1, out, np.nan)


def cohens_d(x, y=None, *, level: float = 0.95, ci_method: str = "noncentral_t") -> pd.DataFrame:
    """Cohen's d of two independent samples, or d_z of one sample of changes.

    Parameters
    ----------
    x, y : array-like
        Two samples (``y`` given): d = (mean(x) - mean(y)) / pooled SD. One sample (``y``
        None, e.g. changes from baseline): d_z = mean(x) / SD(x). Missing values are
        dropped.
    level : float, default 0.95
        Confidence level.
    ci_method : {"noncentral_t", "normal"}, default "noncentral_t"
        Exact interval by inverting the noncentral t distribution, or the large-sample
        normal interval ``estimate -/+ z * se``.

    Returns
    -------
    DataFrame
        One row: ``measure`` ("cohens_d" or "cohens_dz"), ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``n`` and, for two samples, ``n1``, ``n2``; ``mean_difference``
        (mean(x) - mean(y), or mean(x)) and ``sd`` (pooled SD, or SD of x).

    Notes
    -----
    See :func:`effect_size` for the formulas.

    Examples
    --------
    >>> from ketanalysis.stats.effects import cohens_d
    >>> cohens_d([1, 2, 3, 4], [0, 1, 2, 2])["estimate"].round(4).tolist()
    [1.0999]
    """
    return _smd_frame(x, y, level=level, ci_method=ci_method, correct=False)


def hedges_g(x, y=None, *, level: float = 0.95, ci_method: str = "noncentral_t") -> pd.DataFrame:
    """Hedges' g: Cohen's d (or d_z) times the exact small-sample correction J.

    Parameters and returned columns as for :func:`cohens_d`; ``measure`` is "hedges_g"
    (two samples, J with n1 + n2 - 2 degrees of freedom) or "hedges_gz" (one sample, J
    with n - 1). The interval is that of d multiplied by J.

    Examples
    --------
    >>> from ketanalysis.stats.effects import hedges_g
    >>> hedges_g([1, 2, 3, 4], [0, 1, 2, 2])["estimate"].round(4).tolist()
    [0.9554]
    """
    return _smd_frame(x, y, level=level, ci_method=ci_method, correct=True)


def _clean(a) -> np.ndarray:
    a = np.asarray(pd.to_numeric(pd.Series(np.asarray(a).ravel())), dtype=float)
    return a[~np.isnan(a)]


def _nct_ci(t: float, df: float, level: float) -> tuple[float, float]:
    """Noncentrality parameters whose t distributions put t at the 1-a/2 and a/2 points."""
    if not (np.isfinite(t) and df > 0):
        return np.nan, np.nan
    alpha = 1 - level

    def solve(target):
        def f(ncp):
            return _st.nct.cdf(t, df, ncp) - target

        step = 2.0 + 0.1 * abs(t)
        lo, hi = t - step, t + step
        for _ in range(200):
            if f(lo) > 0:
                break
            lo -= step
            step *= 1.5
        step = 2.0 + 0.1 * abs(t)
        for _ in range(200):
            if f(hi) < 0:
                break
            hi += step
            step *= 1.5
        return _opt.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12, maxiter=500)

    return solve(1 - alpha / 2), solve(alpha / 2)


def _smd(x, y, *, level, ci_method, correct) -> dict:
    if ci_method not in _CI_METHODS:
        raise ValueError(f"ci_method must be one of {', '.join(_CI_METHODS)}, got {ci_method!r}")
    check_level(level)
    x = _clean(x)
    z = _st.norm.ppf(0.5 + level / 2)
    if y is None:
        n = len(x)
        mean = x.mean() if n else np.nan
        sd = x.std(ddof=1) if n > 1 else np.nan
        df = n - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            d = mean / sd
        scale = 1 / np.sqrt(n) if n else np.nan  # d = t * scale
        j = float(hedges_j(df)) if correct else 1.0
        est = j * d
        var = 1 / n + est**2 / (2 * n) if n else np.nan
        row = {"measure": "hedges_gz" if correct else "cohens_dz"}
        extra = {"n": n, "mean_difference": mean, "sd": sd}
    else:
        y = _clean(y)
        n1, n2 = len(x), len(y)
        df = n1 + n2 - 2
        m1 = x.mean() if n1 else np.nan
        m2 = y.mean() if n2 else np.nan
        ss = (x.var(ddof=1) * (n1 - 1) if n1 > 1 else 0.0) + (
            y.var(ddof=1) * (n2 - 1) if n2 > 1 else 0.0
        )
        sd = np.sqrt(ss / df) if df > 0 and n1 and n2 else np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (m1 - m2) / sd
        scale = np.sqrt(1 / n1 + 1 / n2) if n1 and n2 else np.nan
        j = float(hedges_j(df)) if correct else 1.0
        est = j * d
        var = 1 / n1 + 1 / n2 + est**2 / (2 * (n1 + n2)) if n1 and n2 else np.nan
        row = {"measure": "hedges_g" if correct else "cohens_d"}
        extra = {"n": n1 + n2, "n1": n1, "n2": n2, "mean_difference": m1 - m2, "sd": sd}
    se = np.sqrt(var) if np.isfinite(var) else np.nan
    if ci_method == "noncentral_t":
        with np.errstate(divide="ignore", invalid="ignore"):
            t = d / scale
        lo, hi = _nct_ci(float(t), float(df), level)
        lo, hi = j * lo * scale, j * hi * scale
    else:
        lo, hi = est - z * se, est + z * se
    row.update(estimate=float(est), se=float(se), ci_low=float(lo), ci_high=float(hi))
    row.update(extra)
    return row


def _smd_frame(x, y, *, level, ci_method, correct) -> pd.DataFrame:
    return pd.DataFrame([_smd(x, y, level=level, ci_method=ci_method, correct=correct)])


# ---------------------------------------------------------------------------------------
# Frame level
# ---------------------------------------------------------------------------------------
def effect_size(
    data,
    *,
    at,
    value: str = "change",
    by: str | Sequence[str] | None = None,
    kind: str = "between",
    measure: str = "hedges_g",
    groups: Sequence | None = None,
    scale: str | Sequence[str] | None = None,
    level: float = 0.95,
    ci_method: str = "noncentral_t",
) -> pd.DataFrame:
    """Standardised mean difference at a session, between two arms or within groups.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (its ``assessments``) or a DataFrame shaped like
        it.
    at : session value
        The session (e.g. the end of induction) at which the values are compared.
    value : str, default "change"
        The column compared: ``"change"`` (from baseline), ``"pct_change"`` or, for
        ``kind="between"`` only, ``"score"``.
    by : str or list of str, optional
        ``kind="between"``: the column defining the two arms (required).
        ``kind="within"``: optional grouping; one effect size per group.
    kind : {"between", "within"}, default "between"
        Between two independent arms, or within a group (change from baseline).
    measure : {"hedges_g", "cohens_d"}, default "hedges_g"
    groups : pair, optional
        ``kind="between"``: ``(a, b)``, the difference is a - b (default: the two values
        of ``by`` in sorted or category order).
    scale : str or list of str, optional
        Restrict to these scales (default: all; one row per scale).
    level : float, default 0.95
    ci_method : {"noncentral_t", "normal"}, default "noncentral_t"

    Returns
    -------
    DataFrame
        One row per scale (between) or per scale x group (within):

        - ``scale``, ``session``, then ``group1``, ``group2`` (between) or the ``by``
          columns (within);
        - ``kind``, ``measure`` (``cohens_d``, ``hedges_g``; within: ``cohens_dz``,
          ``hedges_gz``), ``variable`` (= ``value``);
        - ``estimate``; ``se``: the large-sample standard error below;
        - ``ci_low``, ``ci_high``; ``n`` (and between ``n1``, ``n2``);
        - ``mean_difference``: mean(a) - mean(b) (between) or the mean change (within);
          ``sd``: the pooled SD (between) or the SD of the changes (within).

    Notes
    -----
    Between arms, ``d = (m1 - m2) / s_p`` with the pooled SD
    ``s_p^2 = ((n1-1) s1^2 + (n2-1) s2^2) / (n1 + n2 - 2)`` (Cohen J. Statistical power
    analysis for the behavioral sciences, 2nd ed, 1988). Within a group the effect size is
    d_z = mean(change) / SD(change), the standardised mean change of the paired t-test
    (Cohen 1988, section 2.3.5; Lakens D. Front Psychol 2013;4:863), not d_av; it is
    negative when scores fall (improvement on every registry scale).

    Hedges' g multiplies d by the exact correction
    ``J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))`` with m = n1 + n2 - 2 (within:
    n - 1), not the approximation ``1 - 3/(4(n1+n2) - 9)`` (Hedges LV. J Educ Stat
    1981;6:107-128); this is the correction of R's metafor ``escalc`` ("SMD", "SMCC").

    ``ci_method="noncentral_t"`` (default) inverts the noncentral t distribution of
    ``t = d / sqrt(1/n1 + 1/n2)`` (within: ``t = d_z sqrt(n)``) with m degrees of freedom
    and rescales the noncentrality limits to d; for g they are multiplied by J (Steiger JH,
    Fouladi RT 1997, in: What if there were no significance tests?; as MBESS and
    effectsize do). ``ci_method="normal"`` uses ``estimate -/+ z se`` with the Hedges & Olkin
    (1985) large-sample variance ``1/n1 + 1/n2 + est^2 / (2 (n1 + n2))`` (within:
    ``1/n + est^2 / (2n)``), the variance metafor reports; ``se`` is always this one.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.effects import effect_size
    >>> out = ka.derive(ka.simulate_cohort(120, seed=2, arms=("ketamine", "placebo")))
    >>> es = effect_size(out, at=7, by="arm", scale="MADRS")
    >>> es[["group1", "group2", "measure"]].to_numpy().tolist()
    [['ketamine', 'placebo', 'hedges_g']]
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    if measure not in _MEASURES:
        raise ValueError(f"measure must be one of {', '.join(_MEASURES)}, got {measure!r}")
    if ci_method not in _CI_METHODS:
        raise ValueError(f"ci_method must be one of {', '.join(_CI_METHODS)}, got {ci_method!r}")
    check_level(level)
    frame = assessment_frame(data)
    check_columns(frame, ["session"], "session")
    if value not in frame.columns:
        raise ValueError(
            f"value={value!r} is not a column of the data; use 'change', 'pct_change' or 'score'"
        )
    if kind == "within" and value in ("score", "baseline"):
        raise ValueError(
            f"value={value!r}: a within-group effect size needs a change from baseline "
            "('change' or 'pct_change')"
        )
    by_cols = by_list(frame, by)
    if kind == "between" and len(by_cols) != 1:
        raise ValueError(f"kind='between' needs by= naming one column (the arms), got by={by!r}")
    frame = filter_scales(frame, scale)
    here = (frame["session"] == at).to_numpy()
    if not here.any():
        present = pd.unique(frame["session"].dropna())
        raise ValueError(
            f"at={at!r} has no assessments; sessions present: {', '.join(map(str, present))}"
        )
    frame = frame.loc[here]
    values = as_float(frame[value], "value", value)
    frame = frame.assign(_v=values)
    correct = measure == "hedges_g"
    strata = ["scale"] if "scale" in frame.columns else []
    rows = []
    if kind == "between":
        g1, g2 = two_groups(frame[by_cols[0]], groups, by_cols[0])
        parts = frame.groupby(strata, sort=True, observed=True) if strata else [((), frame)]
        for key, part in parts:
            x = part.loc[part[by_cols[0]] == g1, "_v"]
            y = part.loc[part[by_cols[0]] == g2, "_v"]
            row = _strata_row(strata, key)
            row.update(session=at, group1=g1, group2=g2, kind=kind)
            row.update(_smd(x, y, level=level, ci_method=ci_method, correct=correct))
            rows.append(row)
    else:
        keys = strata + by_cols
        parts = (
            frame.groupby(keys, sort=True, observed=True, dropna=False) if keys else [((), frame)]
        )
        for key, part in parts:
            row = _strata_row(keys, key)
            row.update(session=at, kind=kind)
            row.update(_smd(part["_v"], None, level=level, ci_method=ci_method, correct=correct))
            rows.append(row)
    res = pd.DataFrame(rows)
    res.insert(res.columns.get_loc("measure") + 1, "variable", value)
    first = [c for c in ("scale", "session") if c in res.columns]
    return res[first + [c for c in res.columns if c not in first]]


def _strata_row(keys, key) -> dict:
    key = key if isinstance(key, tuple) else (key,)
    return dict(zip(keys, key, strict=True))


def nnt(
    data,
    *,
    outcome: str = "response",
    by: str,
    groups: Sequence | None = None,
    at=None,
    scale: str | Sequence[str] | None = None,
    level: float = 0.95,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """Number needed to treat, with the Newcombe interval of the risk difference inverted.

    Parameters
    ----------
    data, outcome, at, scale, level
        As for :func:`ketanalysis.stats.summary.rates`.
    by : str
        The column defining the two arms.
    groups : pair, optional
        ``(treatment, comparison)``; default the two values of ``by`` in sorted (or
        category) order.
    higher_is_better : bool, optional
        Whether the outcome is desirable (default: True, except for ``"relapse"``). It
        decides whether a positive risk difference is a benefit or a harm.

    Returns
    -------
    DataFrame
        One row per scale:

        - ``scale``, ``session`` (with ``at=``), ``outcome``, ``group1``, ``group2``;
        - ``risk_difference`` = rate(group1) - rate(group2), with ``rd_ci_low``,
          ``rd_ci_high``: Newcombe's hybrid score interval;
        - ``estimate``: the NNT, signed on Altman's scale: ``1 / b`` where ``b`` is the
          risk difference oriented so that a positive value is a benefit of group1;
          positive = number needed to treat to benefit (NNTB), negative = number needed to
          harm (NNTH), infinite when b = 0;
        - ``ci_low``, ``ci_high``: ``1 / b_high`` and ``1 / b_low``. When the interval of
          ``b`` excludes 0 they bound the NNT (ci_low < ci_high, same sign). When it
          includes 0 the interval runs through infinity (``ci_through_infinity`` True):
          it is NNTB from ``ci_low`` to infinity and NNTH from infinity to ``-ci_high``,
          and ``ci_low > ci_high``;
        - ``ci_through_infinity``: whether the interval of ``b`` includes 0;
        - ``label``: the result as text, e.g. ``"NNTB 10.0 (95% CI NNTH 20.0 to inf to NNTB
          4.0)"``;
        - ``n`` = n1 + n2.

    Notes
    -----
    NNT = 1 / risk difference (Laupacis A, Sackett DL, Roberts RS. N Engl J Med
    1988;318:1728-1733). The interval is the Newcombe (1998, method 10) interval of the
    difference inverted; when it includes 0 the NNT interval is reported as "NNTB x to
    infinity to NNTH y" (Altman DG. Confidence intervals for the number needed to treat.
    BMJ 1998;317:1309-1312).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.effects import nnt
    >>> out = ka.derive(ka.simulate_cohort(120, seed=2, arms=("ketamine", "placebo")))
    >>> r = nnt(out, outcome="response", by="arm", scale="MADRS")
    >>> r["estimate"].round(2).tolist()
    [2.73]
    """
    if higher_is_better is None:
        higher_is_better = outcome not in _BAD_OUTCOMES
    diff = rate_difference(
        data, outcome=outcome, by=by, groups=groups, at=at, scale=scale, level=level
    )
    rd = diff["estimate"].to_numpy(dtype=float)
    lo = diff["ci_low"].to_numpy(dtype=float)
    hi = diff["ci_high"].to_numpy(dtype=float)
    sign = 1.0 if higher_is_better else -1.0
    b, b_lo, b_hi = sign * rd, np.minimum(sign * lo, sign * hi), np.maximum(sign * lo, sign * hi)
    with np.errstate(divide="ignore"):
        # 1/0 is unbounded: +inf for the benefit limit, -inf for the harm limit
        est = np.where(b == 0, np.inf, 1.0 / b)
        nnt_lo = np.where(b_hi == 0, np.inf, 1.0 / b_hi)
        nnt_hi = np.where(b_lo == 0, -np.inf, 1.0 / b_lo)
    through = (b_lo <= 0) & (b_hi >= 0)
    keep = [c for c in ("scale", "session", "outcome", "group1", "group2") if c in diff.columns]
    res = diff[keep].copy()
    res["risk_difference"] = rd
    res["rd_ci_low"] = lo
    res["rd_ci_high"] = hi
    res["estimate"] = est
    res["ci_low"] = nnt_lo
    res["ci_high"] = nnt_hi
    res["ci_through_infinity"] = through
    res["label"] = [
        _nnt_label(e, a, z, t, level)
        for e, a, z, t in zip(est, nnt_lo, nnt_hi, through, strict=True)
    ]
    res["n"] = diff["n"].to_numpy()
    return res


def _fmt_nnt(x: float) -> str:
    if not np.isfinite(x):
        return "inf" if not np.isnan(x) else "NA"
    return f"{'NNTB' if x > 0 else 'NNTH'} {abs(x):.1f}"


def _nnt_label(est, lo, hi, through, level) -> str:
    if np.isnan(est):
        return "NA"
    pct = f"{100 * level:g}% CI"
    if through:
        harm = "NNTH inf" if not np.isfinite(hi) else f"NNTH {abs(hi):.1f}"
        benefit = "NNTB inf" if not np.isfinite(lo) else f"NNTB {lo:.1f}"
        return f"{_fmt_nnt(est)} ({pct} {harm} to inf to {benefit})"
    return f"{_fmt_nnt(est)} ({pct} {abs(lo):.1f} to {abs(hi):.1f})"
