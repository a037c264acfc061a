"""Subgroup effects: a rate, or a difference of rates between two arms, per subgroup level.

:func:`subgroup_effects` gives the tidy table a forest plot draws: one row for all patients,
then one row per level of each subgroup column (route, sex, age in bins, ...). Without an
arm column the estimate is the rate of a binary outcome with its Wilson interval (as
:func:`~ketanalysis.stats.rates`); with one it is the difference between two arms with
Newcombe's hybrid score interval (as :func:`~ketanalysis.stats.rate_difference`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .arguments import check_columns, check_level, group_levels, two_groups
from .frames import one_scale, patient_frame
from .intervals import newcombe_interval
from .summary import rate_difference, rates

__all__ = ["MEASURES", "OVERALL", "subgroup_effects"]

#: Measures of :func:`subgroup_effects`.
MEASURES = ("rate", "difference")
#: ``subgroup`` (and ``label``) of the row of all patients.
OVERALL = "Overall"


def subgroup_effects(
    data,
    *,
    outcome: str = "response",
    subgroups: str | Sequence[str] = ("route", "sex"),
    by: str | None = None,
    groups: Sequence | None = None,
    measure: str | None = None,
    bins: Mapping[str, Sequence[float]] | None = None,
    overall: bool = True,
    scale: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Rate or rate difference of a binary outcome overall and per subgroup level.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (its ``patients``) or a DataFrame shaped like it.
    outcome : str, default "response"
        A per-patient outcome of :func:`~ketanalysis.stats.rates` (``"response"``,
        ``"remission"``, ``"relapse"``, ... or a boolean column of ``patients``).
    subgroups : str or sequence of str, default ("route", "sex")
        Columns whose levels define the subgroups, in display order.
    by : str, optional
        The arm column. Needed for ``measure="difference"``; with ``measure="rate"`` each
        subgroup level gets one row per arm.
    groups : pair, optional
        ``(a, b)``: the difference is rate(a) - rate(b) (default: the two levels of ``by``
        in sorted or category order).
    measure : {"rate", "difference"}, optional
        Default ``"difference"`` with ``by``, else ``"rate"``.
    bins : dict, optional
        Cut a continuous subgroup column into intervals: ``{"age": [18, 40, 65, 100]}``
        gives the levels ``"18 to <40"``, ``"40 to <65"``, ``"65 to <100"`` (each bin
        includes its lower edge, ``pandas.cut(right=False)``; the last one also its upper
        edge). Values outside the edges are left out of that subgroup.
    overall : bool, default True
        Start with the row of all patients.
    scale : str, optional
        The outcome scale (default: the primary scale, the first of ``Outcomes.scales``).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    DataFrame
        One row per subgroup level (per arm too for ``measure="rate"`` with ``by``), the
        overall row first (``subgroup`` and ``label`` ``"Overall"``, ``level`` missing),
        then each column of ``subgroups`` in order with its levels in category or sorted
        order (bins in interval order):

        - ``scale``, ``outcome``, ``measure``;
        - ``subgroup``: the column name; ``level``: its value (the bin label for binned
          columns); ``label``: the level as text;
        - the ``by`` column (``measure="rate"`` with ``by`` only);
        - ``estimate``; ``ci_low``, ``ci_high``: the interval at ``level``;
        - ``n``: patients with a known outcome (both arms for a difference);
        - ``k`` (``measure="rate"``): patients with the outcome;
        - ``group1``, ``group2``, ``k1``, ``n1``, ``k2``, ``n2``, ``rate1``, ``rate2``
          (``measure="difference"``): the arms and their counts and rates.

        Rows of patients whose subgroup value is missing (or outside the bins) are left
        out of that subgroup only. A level where an arm has no patient has a missing
        estimate and interval.

    Notes
    -----
    Rates and Wilson score intervals from :func:`~ketanalysis.stats.rates` (Wilson EB. J
    Am Stat Assoc 1927;22:209-212); differences with Newcombe's hybrid score interval,
    method 10 of Newcombe RG. Stat Med 1998;17:873-890 (:func:`~ketanalysis.stats.
    rate_difference` for the overall row, the same formula on the subgroup counts for the
    others). Subgroup estimates are descriptive: no test of interaction is made and no
    adjustment for multiplicity.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> tab = ka.stats.subgroup_effects(out, subgroups=["sex"])
    >>> tab[["subgroup", "label", "k", "n"]].to_numpy().tolist()
    [['Overall', 'Overall', 83, 150], ['sex', 'F', 45, 84], ['sex', 'M', 38, 66]]
    >>> tab = ka.stats.subgroup_effects(out, subgroups=["age"], bins={"age": [18, 45, 76]})
    >>> tab["label"].tolist()
    ['Overall', '18 to <45', '45 to <76']
    """
    check_level(level)
    frame = patient_frame(data)
    frame, scale = one_scale(data, frame, scale)
    subs = _subgroup_list(subgroups)
    check_columns(frame, subs, "subgroups")
    if by is not None:
        if not isinstance(by, str):
            raise ValueError(f"by must name one column, got {by!r}")
        check_columns(frame, [by], "by")
        if by in subs:
            raise ValueError(f"by={by!r} is also in subgroups={subs!r}")
    if measure is None:
        measure = "difference" if by is not None else "rate"
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    if measure == "difference" and by is None:
        raise ValueError("measure='difference' needs by= (the arm column)")
    if not isinstance(overall, bool):
        raise TypeError(f"overall must be True or False, got {overall!r}")
    frame = _binned(frame, bins, subs)
    pair = two_groups(frame[by], groups, by) if measure == "difference" else None

    parts = []
    if overall:
        parts.append(_overall(frame, outcome, by, pair, measure, level))
    for s in subs:
        parts.append(_levels(frame, s, outcome, by, pair, measure, level))
    res = pd.concat(parts, ignore_index=True)
    res.insert(0, "scale", scale)
    res.insert(1, "outcome", outcome)
    res.insert(2, "measure", measure)
    for c in ("n", "k", "k1", "n1", "k2", "n2"):
        if c in res.columns:
            res[c] = res[c].astype(np.int64)
    return res


def _subgroup_list(subgroups) -> list[str]:
    if isinstance(subgroups, str):
        return [subgroups]
    if subgroups is None:
        return []
    try:
        subs = list(subgroups)
    except TypeError:
        raise TypeError(
            f"subgroups must be a column name or a list of them, got {subgroups!r}"
        ) from None
    if not all(isinstance(s, str) for s in subs):
        raise TypeError(f"subgroups must be column names (str), got {subgroups!r}")
    if len(set(subs)) != len(subs):
        raise ValueError(f"subgroups has a column twice: {subs!r}")
    return subs


def _bin_labels(edges: np.ndarray) -> list[str]:
    return [f"{a:g} to <{b:g}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _binned(frame: pd.DataFrame, bins, subs: list[str]) -> pd.DataFrame:
    """The frame with each binned column replaced by an ordered categorical of bin labels."""
    if bins is None:
        return frame
    if not isinstance(bins, Mapping):
        raise TypeError(f"bins must be a dict of column -> edges, got {type(bins).__name__}")
    out = frame.copy()
    for col, edges in bins.items():
        if col not in subs:
            raise ValueError(f"bins names {col!r}, which is not in subgroups={subs!r}")
        try:
            e = np.asarray(edges, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"bins[{col!r}] must be a list of numbers, got {edges!r}") from None
        if e.ndim != 1 or len(e) < 2 or np.isnan(e).any() or np.any(np.diff(e) <= 0):
            raise ValueError(
                f"bins[{col!r}] must be at least two increasing edges, got {list(edges)!r}"
            )
        try:
            values = pd.to_numeric(frame[col]).astype("Float64")
        except (TypeError, ValueError):
            raise ValueError(f"bins[{col!r}]: column {col!r} is not numeric") from None
        v = values.to_numpy(dtype=float, na_value=np.nan)
        code = np.searchsorted(e, v, side="right") - 1
        code[v == e[-1]] = len(e) - 2  # the last bin includes its upper edge
        code[(v < e[0]) | (v > e[-1]) | np.isnan(v)] = -1
        labels = _bin_labels(e)
        out[col] = pd.Categorical.from_codes(code, categories=labels, ordered=True)
    return out


def _overall(frame, outcome, by, pair, measure, level) -> pd.DataFrame:
    if measure == "difference":
        d = rate_difference(frame, outcome=outcome, by=by, groups=pair, level=level)
        row = d.drop(columns=[c for c in ("scale", "outcome") if c in d.columns])
        return _diff_layout(row.assign(subgroup=OVERALL, level=None, label=OVERALL))
    r = rates(frame, outcome=outcome, by=by, level=level)
    return _rate_layout(r.assign(subgroup=OVERALL, level=None, label=OVERALL), by)


def _levels(frame, col, outcome, by, pair, measure, level) -> pd.DataFrame:
    keys = [col] + ([by] if by is not None else [])
    r = rates(frame, outcome=outcome, by=keys, level=level)
    r = r.loc[r[col].notna().to_numpy()]
    levels = group_levels(frame[col])
    if measure == "rate":
        order = {v: i for i, v in enumerate(levels)}
        r = r.assign(_o=r[col].map(order)).sort_values(["_o"], kind="stable")
        out = r.assign(subgroup=col, level=r[col], label=r[col].map(str))
        return _rate_layout(out.drop(columns=["_o"]), by)
    g1, g2 = pair
    rows = []
    for v in levels:
        part = r.loc[(r[col] == v).to_numpy()]
        a = part.loc[(part[by] == g1).to_numpy()]
        b = part.loc[(part[by] == g2).to_numpy()]
        k1, n1 = (int(a["k"].iloc[0]), int(a["n"].iloc[0])) if len(a) else (0, 0)
        k2, n2 = (int(b["k"].iloc[0]), int(b["n"].iloc[0])) if len(b) else (0, 0)
        est, lo, hi = newcombe_interval(k1, n1, k2, n2, level)
        rows.append(
            {
                "subgroup": col,
                "level": v,
                "label": str(v),
                "group1": g1,
                "group2": g2,
                "k1": k1,
                "n1": n1,
                "k2": k2,
                "n2": n2,
                "rate1": k1 / n1 if n1 else np.nan,
                "rate2": k2 / n2 if n2 else np.nan,
                "estimate": est,
                "ci_low": lo,
                "ci_high": hi,
                "n": n1 + n2,
            }
        )
    return _diff_layout(pd.DataFrame(rows))


def _rate_layout(r: pd.DataFrame, by) -> pd.DataFrame:
    cols = ["subgroup", "level", "label"] + ([by] if by is not None else [])
    cols += ["estimate", "ci_low", "ci_high", "n", "k"]
    return r.rename(columns={"rate": "estimate"})[cols].reset_index(drop=True)


def _diff_layout(d: pd.DataFrame) -> pd.DataFrame:
    cols = ["subgroup", "level", "label", "estimate", "ci_low", "ci_high", "n"]
    cols += ["group1", "group2", "k1", "n1", "k2", "n2", "rate1", "rate2"]
    return d[cols].reset_index(drop=True)
