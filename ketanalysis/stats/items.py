"""Item-level change from baseline: which symptoms move, and when.

:func:`item_change` gives, per item and session, the mean item score, the mean change from
each patient's own baseline item score, its SD and a t confidence interval. Items are not
part of :attr:`Outcomes.assessments`; they are read from the validated input
(``Outcomes.validation.frame``, columns ``item_1`` ... ``item_k``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

from .. import scales as _scales
from ..outcomes import Outcomes
from .arguments import check_level

__all__ = ["item_change"]


def item_change(
    data,
    *,
    scale: str | None = None,
    baseline=None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean change of each item from the patient's baseline item score, per session.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (items come from ``data.validation.frame``,
        restricted to the assessments that were derived) or a DataFrame in the canonical
        long format with ``patient_id``, ``session`` and item columns ``item_1`` ...
        ``item_k`` (and ``day`` for ``baseline="last_pre"``).
    scale : str, optional
        Registry key of the scale (default: the first outcome scale of an ``Outcomes``,
        or the only scale of a DataFrame). Its number of items sets ``k``.
    baseline : session value, "first" or "last_pre", optional
        The baseline assessment, as in :func:`ketanalysis.derive`: the assessment at that
        session, each patient's first, or the last one with ``day <= 0``. Default: the
        baseline the ``Outcomes`` was derived with, else session ``0``.
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        One row per item x session (items 1..k, sessions in time order):

        - ``item`` (int, 1..k), ``session``;
        - ``n``: patients with the item answered at this session and at baseline;
        - ``mean_score``: mean item score of those patients at this session;
        - ``mean_baseline``: their mean baseline item score;
        - ``mean_change``: mean of (item score - baseline item score);
        - ``sd``: its sample SD (denominator n - 1); ``se`` = sd / sqrt(n);
        - ``ci_low``, ``ci_high``: ``mean_change -/+ t_{n-1, (1+level)/2} * se`` (missing
          when n < 2).

        At the baseline session the change is 0 for everyone.

    Notes
    -----
    The change is computed within patients against their own baseline item score, so
    ``mean_change = mean_score - mean_baseline`` over the same patients; patients without
    a baseline value of an item do not count for that item. The t interval is the one of
    :func:`ketanalysis.stats.by_session`.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> tab = ka.stats.item_change(out)
    >>> row = tab[(tab["item"] == 1) & (tab["session"] == 7)]
    >>> row[["n", "mean_score", "mean_baseline", "mean_change"]].round(2).to_numpy().tolist()
    [[132.0, 1.86, 3.51, -1.65]]
    """
    check_level(level)
    frame, scale, base_rule = _item_frame(data, scale, baseline)
    k = _scales.get(scale).n_items
    cols = _scales.item_columns(k)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(
            f"scale={scale!r}: the data have no item columns {missing[:3]}"
            f"{'...' if len(missing) > 3 else ''}; item_change needs item_1...item_{k}"
        )
    for c in ("patient_id", "session"):
        if c not in frame.columns:
            raise ValueError(f"data: column {c!r} is missing")
    frame = frame.reset_index(drop=True)
    base_rows = _baseline_rows(frame, base_rule)
    items = frame[cols].apply(pd.to_numeric, errors="raise").to_numpy(dtype=float)
    base_index = frame["patient_id"].map(base_rows)
    has_base = base_index.notna().to_numpy()
    base_items = np.full_like(items, np.nan)
    base_items[has_base] = items[base_index[has_base].astype(int).to_numpy()]
    change = items - base_items
    sessions = frame["session"]
    order = _session_order(sessions)
    rows = []
    for j in range(k):
        ok = ~np.isnan(change[:, j])
        work = pd.DataFrame(
            {
                "session": sessions[ok].to_numpy(),
                "score": items[ok, j],
                "base": base_items[ok, j],
                "change": change[ok, j],
            }
        )
        g = work.groupby("session", sort=False)
        part = pd.DataFrame(
            {
                "n": g["change"].count(),
                "mean_score": g["score"].mean(),
                "mean_baseline": g["base"].mean(),
                "mean_change": g["change"].mean(),
                "sd": g["change"].std(ddof=1),
            }
        )
        part = part.reindex([s for s in order if s in part.index])
        part.index.name = "session"
        part = part.reset_index()
        part.insert(0, "item", j + 1)
        rows.append(part)
    res = pd.concat(rows, ignore_index=True)
    n = res["n"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = res["sd"].to_numpy(dtype=float) / np.sqrt(n)
        tq = _st.t.ppf(0.5 + level / 2, np.where(n >= 2, n - 1, np.nan))
    res["se"] = se
    res["ci_low"] = res["mean_change"] - tq * se
    res["ci_high"] = res["mean_change"] + tq * se
    res["n"] = res["n"].astype(np.int64)
    res["item"] = res["item"].astype(np.int64)
    return res


def _item_frame(data, scale, baseline):
    """Rows of one scale with items; the scale and the baseline rule."""
    if isinstance(data, Outcomes):
        if scale is None:
            scale = data.scales[0]
        if scale not in data.scales:
            raise ValueError(f"scale={scale!r} was not derived; scales: {list(data.scales)}")
        rule = data.baseline if baseline is None else baseline
        frame = data.validation.frame
        frame = frame[frame["scale"] == scale]
        keys = data.assessments.loc[data.assessments["scale"] == scale, ["patient_id", "session"]]
        kept = pd.MultiIndex.from_frame(keys.astype(object))
        here = pd.MultiIndex.from_frame(frame[["patient_id", "session"]].astype(object))
        return frame[here.isin(kept)], scale, rule
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be an Outcomes or a DataFrame, not {type(data).__name__}")
    frame = data
    if "scale" in frame.columns:
        present = list(pd.unique(frame["scale"].dropna()))
        if scale is None:
            if len(present) != 1:
                raise ValueError(f"data have several scales {present}; pass scale=")
            scale = present[0]
        if scale not in present:
            raise ValueError(f"scale={scale!r} is not in the data; scales present: {present}")
        frame = frame[frame["scale"] == scale]
    elif scale is None:
        raise ValueError("data have no 'scale' column; pass scale=")
    try:
        _scales.get(scale)
    except (KeyError, ValueError) as err:
        raise ValueError(f"scale={scale!r} is not a registered scale") from err
    return frame, scale, (0 if baseline is None else baseline)


def _baseline_rows(frame: pd.DataFrame, rule) -> pd.Series:
    """Row position of each patient's baseline assessment (patients without one left out)."""
    pos = pd.Series(np.arange(len(frame)), index=frame.index)
    if rule in ("first", "last_pre"):
        key = pd.Series(_session_key(frame["session"]), index=frame.index)
        if rule == "first":
            ordered = pos[np.lexsort((key.to_numpy(), frame["patient_id"].astype(str)))]
            first = frame.loc[ordered.index].drop_duplicates("patient_id", keep="first")
            return pd.Series(pos.loc[first.index].to_numpy(), index=first["patient_id"])
        if "day" not in frame.columns:
            raise ValueError("baseline='last_pre' needs a 'day' column")
        pre = frame[pd.to_numeric(frame["day"]) <= 0]
        pre_key = key.loc[pre.index].to_numpy()
        ordered = pre.iloc[np.lexsort((pre_key, pre["patient_id"].astype(str)))]
        last = ordered.drop_duplicates("patient_id", keep="last")
        return pd.Series(pos.loc[last.index].to_numpy(), index=last["patient_id"])
    at = frame[frame["session"] == rule]
    if at.empty:
        raise ValueError(f"baseline={rule!r}: no assessment at that session")
    at = at.drop_duplicates("patient_id", keep="first")
    return pd.Series(pos.loc[at.index].to_numpy(), index=at["patient_id"])


def _session_key(col: pd.Series) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().astype(float)
    return pd.to_numeric(col).to_numpy(dtype=float)


def _session_order(col: pd.Series) -> list:
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna())
        return [c for c in col.cat.categories if c in present]
    return sorted(pd.unique(col.dropna()))
