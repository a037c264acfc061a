"""Descriptive summaries: means by session and responder rates with confidence intervals.

:func:`by_session` gives n, mean, SD, SE and a t interval of the score, change or percentage
change per scale x session x group; :func:`rates` gives counts, proportions and Wilson
score intervals of response, remission, relapse and the other derived outcomes;
:func:`rate_difference` gives the difference between two arms with Newcombe's hybrid score
interval. Every function takes an :class:`~ketanalysis.Outcomes` or a DataFrame of the same
shape as its ``assessments`` (or ``patients``) frame.

The small helpers at the end (input checks, Wilson and Newcombe intervals) are shared by
:mod:`.effects`, :mod:`.survival`, :mod:`.models` and :mod:`.sensitivity`.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from .. import scales as _scales
from ..outcomes import Outcomes

__all__ = ["by_session", "newcombe_interval", "rate_difference", "rates", "wilson_interval"]

#: Per-patient outcomes of :func:`rates` and the ``Outcomes.patients`` column of each.
PATIENT_OUTCOMES = {
    "response": "ever_response",
    "remission": "ever_remission",
    "rapid_response": "rapid_response",
    "sustained_response": "sustained_response",
    "stable_remission": "stable_remission",
    "stable_response": "stable_response",
    "relapse": "relapse",
    "suicidality_resolved": "suicidality_resolved",
}
#: Per-assessment outcomes (``rates(..., session=...)``): ``Outcomes.assessments`` columns.
ASSESSMENT_OUTCOMES = {"response": "response", "remission": "remission"}
_VALUES = ("score", "change", "pct_change")


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------
def by_session(
    data,
    *,
    by: str | Sequence[str] | None = None,
    value: str = "score",
    scale: str | Sequence[str] | None = None,
    level: float = 0.95,
    session: str = "session",
) -> pd.DataFrame:
    """Mean, SD and t confidence interval of a value per scale x session x group.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (its ``assessments`` are used) or a DataFrame of
        the same shape (one row per assessment).
    by : str or list of str, optional
        Grouping columns (e.g. ``"arm"``). Rows with a missing group value form their own
        group (shown as missing), so no row is dropped silently.
    value : {"score", "change", "pct_change"} or str, default "score"
        The column summarised; any numeric column of ``data`` is accepted.
    scale : str or list of str, optional
        Restrict to these scales (default: every scale in the data).
    level : float, default 0.95
        Confidence level of the interval.
    session : str, default "session"
        The session column.

    Returns
    -------
    DataFrame
        One row per scale x session x group (in scale, session and group order):

        - ``scale`` (when the data have a scale column), ``session``, the ``by`` columns;
        - ``variable``: the name of the summarised column (``value``);
        - ``n``: non-missing values; ``n_missing``: rows of the cell whose value is
          missing (e.g. ``pct_change`` for a baseline of 0);
        - ``mean``; ``sd``: sample SD (denominator n - 1); ``se`` = sd / sqrt(n);
        - ``ci_low``, ``ci_high``: ``mean -/+ t_{n-1, (1+level)/2} * se`` (missing when
          n < 2).

    Notes
    -----
    The t interval assumes approximately normal means, as in the descriptive tables of
    ketamine trials. At the baseline session ``change`` is 0 for everyone, so its SD is 0.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.summary import by_session
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"))
    >>> tab = by_session(out, value="change", scale="MADRS")
    >>> tab.loc[tab["session"] == 7, ["n", "mean"]].round(2).to_numpy().tolist()
    [[132.0, -15.94]]
    """
    frame = _assessments(data)
    _check_level(level)
    _check_columns(frame, [session], "session")
    if value not in frame.columns:
        raise ValueError(
            f"value={value!r} is not a column of the data; use one of {', '.join(_VALUES)} "
            "or another numeric column"
        )
    values = _as_float(frame[value], "value", value)
    by_cols = _by_list(frame, by)
    frame = _filter_scales(frame, scale)
    values = values.loc[frame.index]
    keys = (["scale"] if "scale" in frame.columns else []) + [session] + by_cols
    g = frame[keys].assign(_v=values).groupby(keys, sort=True, observed=True, dropna=False)["_v"]
    n = g.count()
    res = pd.DataFrame(
        {
            "n": n,
            "n_missing": g.size() - n,
            "mean": g.mean(),
            "sd": g.std(ddof=1),
        }
    )
    res = res.reset_index()
    res.insert(len(keys), "variable", value)
    n_arr = res["n"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = res["sd"].to_numpy(dtype=float) / np.sqrt(n_arr)
        tq = _st.t.ppf(0.5 + level / 2, np.where(n_arr >= 2, n_arr - 1, np.nan))
    res["se"] = se
    res["ci_low"] = res["mean"] - tq * se
    res["ci_high"] = res["mean"] + tq * se
    res["n"] = res["n"].astype(np.int64)
    res["n_missing"] = res["n_missing"].astype(np.int64)
    return res


def rates(
    data,
    *,
    outcome: str = "response",
    by: str | Sequence[str] | None = None,
    session=None,
    scale: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Counts, proportions and Wilson score intervals of a binary outcome.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes`, or a DataFrame shaped like its ``patients``
        (without ``session``) or ``assessments`` (with ``session``).
    outcome : str, default "response"
        Per patient: ``"response"`` (``ever_response``), ``"remission"``
        (``ever_remission``), ``"rapid_response"``, ``"sustained_response"``,
        ``"stable_remission"``, ``"stable_response"``, ``"relapse"`` (among the patients at
        risk) or ``"suicidality_resolved"``; any other boolean column of ``patients`` may be
        named directly. With ``session``: ``"response"`` or ``"remission"`` at that session.
    by : str or list of str, optional
        Grouping columns (e.g. ``"arm"``).
    session : session value, optional
        Rate among the assessments at this session (an observed-case rate) instead of the
        per-patient outcome.
    scale : str or list of str, optional
        Restrict to these scales (default: every scale in the data).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    DataFrame
        One row per scale x group:

        - ``scale``, ``session`` (with ``session=``), the ``by`` columns;
        - ``outcome``: the outcome name;
        - ``k``: patients (assessments) with the outcome; ``n``: with a known outcome;
        - ``n_excluded``: rows whose outcome is missing (relapse of patients not at risk,
          response for a baseline of 0, rapid response without an assessment in its
          window), left out of ``n``;
        - ``rate`` = k / n;
        - ``ci_low``, ``ci_high``: Wilson score interval without continuity correction.

    Notes
    -----
    Wilson score interval (Wilson EB. J Am Stat Assoc 1927;22:209-212), computed by
    :func:`statsmodels.stats.proportion.proportion_confint` with ``method="wilson"``;
    method 3 of Newcombe RG. Two-sided confidence intervals for the single proportion:
    comparison of seven methods. Stat Med 1998;17:857-872. For the difference between two
    arms use :func:`rate_difference`.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.summary import rates
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"))
    >>> r = rates(out, outcome="response", scale="MADRS")
    >>> r[["k", "n", "rate"]].round(3).to_numpy().tolist()
    [[83.0, 150.0, 0.553]]
    """
    _check_level(level)
    frame, column = _outcome_frame(data, outcome, session)
    by_cols = _by_list(frame, by)
    frame = _filter_scales(frame, scale)
    keys = (["scale"] if "scale" in frame.columns else []) + by_cols
    y = _as_binary(frame[column], "outcome", outcome)
    work = frame[keys].assign(_y=y)
    if keys:
        g = work.groupby(keys, sort=True, observed=True, dropna=False)["_y"]
        res = pd.DataFrame({"k": g.sum(min_count=0), "n": g.count(), "size": g.size()})
        res = res.reset_index()
    else:
        res = pd.DataFrame(
            {"k": [work["_y"].sum()], "n": [work["_y"].count()], "size": [len(work)]}
        )
    res["n_excluded"] = res.pop("size") - res["n"]
    res.insert(len(keys), "outcome", outcome)
    if session is not None:
        res.insert(1 if "scale" in keys else 0, "session", session)
    k = res["k"].to_numpy(dtype=float)
    n = res["n"].to_numpy(dtype=float)
    lo, hi = wilson_interval(k, n, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        res["rate"] = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    res["ci_low"] = lo
    res["ci_high"] = hi
    for c in ("k", "n", "n_excluded"):
        res[c] = res[c].astype(np.int64)
    return res[[c for c in res.columns if c != "n_excluded"] + ["n_excluded"]]


def rate_difference(
    data,
    *,
    outcome: str = "response",
    by: str,
    groups: Sequence | None = None,
    session=None,
    scale: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Difference of two rates with Newcombe's hybrid score interval.

    Parameters
    ----------
    data, outcome, session, scale, level
        As for :func:`rates`.
    by : str
        The column defining the arms (e.g. ``"arm"``).
    groups : pair, optional
        ``(a, b)``: the difference is rate(a) - rate(b). Default: the two groups of ``by``
        in sorted (or category) order; needed when ``by`` has more than two groups.

    Returns
    -------
    DataFrame
        One row per scale:

        - ``scale``, ``session`` (with ``session=``), ``outcome``;
        - ``group1``, ``group2``: a and b; ``k1``, ``n1``, ``k2``, ``n2``: counts;
          ``rate1``, ``rate2``: the two rates;
        - ``estimate`` = rate1 - rate2;
        - ``ci_low``, ``ci_high``: Newcombe's hybrid score interval;
        - ``n`` = n1 + n2.

    Notes
    -----
    Method 10 of Newcombe RG. Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 1998;17:873-890. With Wilson
    intervals (l1, u1) and (l2, u2) of the two rates (no continuity correction) and
    d = p1 - p2::

        L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    For 56/70 vs 48/80 this gives 0.2000 (0.0524 to 0.3339), as in Newcombe's Table II.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.summary import rate_difference
    >>> out = ka.derive(ka.simulate_cohort(120, seed=2, arms=("ketamine", "placebo")))
    >>> d = rate_difference(out, outcome="response", by="arm", scale="MADRS")
    >>> d[["group1", "group2"]].to_numpy().tolist()
    [['ketamine', 'placebo']]
    """
    if by is None or not isinstance(by, str):
        raise ValueError(f"by must name one column for a difference of rates, got {by!r}")
    tab = rates(data, outcome=outcome, by=by, session=session, scale=scale, level=level)
    g1, g2 = _two_groups(tab[by], groups, by)
    strata = ["scale"] if "scale" in tab.columns else []
    rows = []
    parts = tab.groupby(strata, sort=False, observed=True) if strata else [((), tab)]
    for key, part in parts:
        a = part.loc[part[by] == g1]
        b = part.loc[part[by] == g2]
        k1, n1 = (int(a["k"].iloc[0]), int(a["n"].iloc[0])) if len(a) else (0, 0)
        k2, n2 = (int(b["k"].iloc[0]), int(b["n"].iloc[0])) if len(b) else (0, 0)
        est, lo, hi = newcombe_interval(k1, n1, k2, n2, level)
        row = dict(zip(strata, key if isinstance(key, tuple) else (key,), strict=True))
        if session is not None:
            row["session"] = session
        row.update(
            outcome=outcome,
            group1=g1,
            group2=g2,
            k1=k1,
            n1=n1,
            k2=k2,
            n2=n2,
            rate1=k1 / n1 if n1 else np.nan,
            rate2=k2 / n2 if n2 else np.nan,
            estimate=est,
            ci_low=lo,
            ci_high=hi,
            n=n1 + n2,
        )
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# Intervals (shared)
# ---------------------------------------------------------------------------------------
def wilson_interval(k, n, level: float = 0.95):
    """Wilson score interval of k / n (arrays allowed); missing where n is 0."""
    from statsmodels.stats.proportion import proportion_confint

    k = np.atleast_1d(np.asarray(k, dtype=float))
    n = np.atleast_1d(np.asarray(n, dtype=float))
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

    Returns ``(estimate, ci_low, ci_high)``; all missing when either n is 0.
    """
    if n1 <= 0 or n2 <= 0:
        return np.nan, np.nan, np.nan
    p1, p2 = k1 / n1, k2 / n2
    (l1,), (u1,) = wilson_interval(k1, n1, level)
    (l2,), (u2,) = wilson_interval(k2, n2, level)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return float(d), float(low), float(high)


# ---------------------------------------------------------------------------------------
# Input handling (shared)
# ---------------------------------------------------------------------------------------
def _assessments(data) -> pd.DataFrame:
    if isinstance(data, Outcomes):
        return data.assessments
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(f"data must be an Outcomes or a DataFrame, got {type(data).__name__}")


def _patients(data) -> pd.DataFrame:
    if isinstance(data, Outcomes):
        return data.patients
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(f"data must be an Outcomes or a DataFrame, got {type(data).__name__}")


def _check_level(level) -> None:
    if not isinstance(level, (int, float, np.floating)) or not 0 < float(level) < 1:
        raise ValueError(f"level must be a number between 0 and 1, got {level!r}")


def _check_columns(frame: pd.DataFrame, columns, param: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hints = []
        for c in missing:
            close = difflib.get_close_matches(str(c), [str(x) for x in frame.columns], n=1)
            hints.append(f"{c!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(
            f"{param}={', '.join(hints)} is not a column of the data; columns: "
            f"{', '.join(map(str, frame.columns))}"
        )


def _by_list(frame: pd.DataFrame, by) -> list[str]:
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    _check_columns(frame, cols, "by")
    return cols


def _scale_order(frame: pd.DataFrame) -> list[str]:
    """Scales present, in registry order (the order derive uses), unknown ones last."""
    col = frame["scale"]
    present = [str(s) for s in pd.unique(col.dropna())]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories if str(c) in present]
    known = [k for k in _scales.SCALES if k in present]
    return known + [s for s in present if s not in known]


def _filter_scales(frame: pd.DataFrame, scale) -> pd.DataFrame:
    if scale is None:
        return frame
    if "scale" not in frame.columns:
        raise ValueError(f"scale={scale!r} given but the data have no 'scale' column")
    wanted = [scale] if isinstance(scale, str) else list(scale)
    present = _scale_order(frame)
    unknown = [s for s in wanted if s not in present]
    if unknown:
        raise ValueError(
            f"scale={unknown[0]!r} is not in the data; scales present: {', '.join(present)}"
        )
    return frame.loc[frame["scale"].isin(wanted).to_numpy()]


def _one_scale(data, frame: pd.DataFrame, scale) -> tuple[pd.DataFrame, str | None]:
    """Rows of one scale: ``scale`` or, by default, the primary (first derived) scale."""
    if "scale" not in frame.columns:
        if scale is not None:
            raise ValueError(f"scale={scale!r} given but the data have no 'scale' column")
        return frame, None
    if scale is None:
        order = list(data.scales) if isinstance(data, Outcomes) else _scale_order(frame)
        if not order:
            raise ValueError("the data have no rows")
        scale = order[0]
    elif not isinstance(scale, str):
        raise ValueError(f"scale must name one scale here, got {scale!r}")
    return _filter_scales(frame, scale), scale


def _as_float(col: pd.Series, param: str, name) -> pd.Series:
    try:
        return pd.Series(
            pd.to_numeric(col).astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            index=col.index,
        )
    except (TypeError, ValueError):
        raise ValueError(f"{param}={name!r}: column is not numeric ({col.dtype})") from None


def _as_binary(col: pd.Series, param: str, name) -> pd.Series:
    """A 0/1 float series with NaN for missing; error if other values occur."""
    if _is_binary_dtype(col):
        values = pd.Series(
            col.astype("Float64").to_numpy(dtype=float, na_value=np.nan), index=col.index
        )
    else:
        values = _as_float(col, param, name)
    bad = values.notna() & ~values.isin([0.0, 1.0])
    if bad.any():
        raise ValueError(f"{param}={name!r}: column is not binary (values other than 0/1)")
    return values


def _outcome_frame(data, outcome, session) -> tuple[pd.DataFrame, str]:
    if not isinstance(outcome, str):
        raise ValueError(f"outcome must be a string, got {outcome!r}")
    if session is None:
        frame = _patients(data)
        if outcome in PATIENT_OUTCOMES and PATIENT_OUTCOMES[outcome] in frame.columns:
            return frame, PATIENT_OUTCOMES[outcome]
        if outcome in frame.columns and _is_binary_dtype(frame[outcome]):
            return frame, outcome
        valid = [k for k, c in PATIENT_OUTCOMES.items() if c in frame.columns]
        raise ValueError(
            f"outcome={outcome!r} is not a per-patient outcome; valid: {', '.join(valid)} "
            "(or a boolean column of the patients frame)"
        )
    frame = _assessments(data)
    if outcome not in ASSESSMENT_OUTCOMES:
        raise ValueError(
            f"outcome={outcome!r} is not available per session; valid with session=: "
            f"{', '.join(ASSESSMENT_OUTCOMES)}"
        )
    _check_columns(frame, ["session", ASSESSMENT_OUTCOMES[outcome]], "outcome")
    at = frame["session"] == session
    if not at.any():
        sessions = pd.unique(frame["session"].dropna())
        raise ValueError(
            f"session={session!r} has no assessments; sessions present: "
            f"{', '.join(map(str, sorted(sessions, key=_sort_key)))}"
        )
    return frame.loc[at.to_numpy()], ASSESSMENT_OUTCOMES[outcome]


def _sort_key(v):
    return (0, v) if isinstance(v, (int, float, np.number)) else (1, str(v))


def _is_binary_dtype(col: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(col) or isinstance(col.dtype, pd.BooleanDtype)


def _group_levels(col: pd.Series) -> list:
    """Distinct non-missing values in category order (else sorted)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna())
        return [c for c in col.cat.categories if c in present]
    return sorted(pd.unique(col.dropna()), key=_sort_key)


def _two_groups(col: pd.Series, groups, by: str) -> tuple:
    levels = _group_levels(col)
    if groups is not None:
        groups = tuple(groups)
        if len(groups) != 2:
            raise ValueError(f"groups must be a pair (a, b), got {groups!r}")
        missing = [g for g in groups if g not in levels]
        if missing:
            raise ValueError(
                f"groups={groups!r}: {missing[0]!r} is not a value of by={by!r}; "
                f"values: {', '.join(map(str, levels))}"
            )
        return groups
    if len(levels) != 2:
        raise ValueError(
            f"by={by!r} has {len(levels)} group(s) ({', '.join(map(str, levels)) or 'none'}); "
            "a difference needs exactly two: pass groups=(a, b)"
        )
    return levels[0], levels[1]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable boolean/integer/float columns as float (NaN for missing), for patsy."""
    out = {}
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col) and not isinstance(col.dtype, pd.BooleanDtype):
            out[c] = col.to_numpy(dtype=float)
        elif isinstance(col.dtype, pd.api.extensions.ExtensionDtype) and (
            isinstance(col.dtype, pd.BooleanDtype) or pd.api.types.is_numeric_dtype(col)
        ):
            out[c] = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        elif pd.api.types.is_string_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
            out[c] = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
        else:
            out[c] = col.to_numpy()
    return pd.DataFrame(out, index=frame.index)


def _session_key(col: pd.Series, name: str) -> np.ndarray:
    """Session values as sortable floats (codes of an ordered categorical)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        if not col.cat.ordered:
            raise ValueError(f"session={name!r}: a categorical session must be ordered")
        return col.cat.codes.to_numpy().astype(float)
    try:
        return pd.to_numeric(col).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ValueError(
            f"session={name!r} must be numeric or an ordered categorical, got {col.dtype}"
        ) from None
