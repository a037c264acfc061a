"""The session axis of the by-session figures: the sessions present, per-session rows
aligned to them, the x position of each session (its value, or its mean day on a day
axis stretched so that neighbouring sessions stay apart), the ticks and label of the
x-axis, and the legend above the axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import stats as _stats
from . import annotate, axes


def open_axes(ax):
    """``(fig, ax, created)``: the given axes, or new ones (``created`` True)."""
    created = ax is None
    fig, ax = axes.new_axes(ax)
    return fig, ax, created


def sessions_of(rows: pd.DataFrame) -> list:
    """The sessions present in ``rows``, in category or sorted order."""
    col = rows["session"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna())
        return [c for c in col.cat.categories if c in present]
    return sorted(pd.unique(col.dropna()))


def aligned(part: pd.DataFrame, sessions: list) -> pd.DataFrame:
    """Rows of a per-session table in ``sessions`` order (missing sessions flagged)."""
    idx = part.drop_duplicates("session").set_index("session")
    res = idx.reindex(sessions)
    res["_ok"] = res.index.isin(idx.index) & res.index.notna()
    return res


def counts(part: pd.DataFrame, sessions: list) -> list:
    """Column ``n`` of a per-session table at each of ``sessions`` (None where absent)."""
    res = aligned(part, sessions)
    return [int(n) if ok else None for n, ok in zip(res["n"], res["_ok"], strict=True)]


def positions(rows, sessions, x, ax, created) -> np.ndarray:
    """x position of each session: its value (or rank), or its mean day."""
    if x == "session":
        numeric = all(isinstance(s, (int, float, np.number)) for s in sessions)
        return np.asarray(sessions if numeric else range(len(sessions)), dtype=float)
    if "day" not in rows.columns:
        raise ValueError("x='day' needs a 'day' column in the data")
    days = _stats.by_session(rows, value="day", scale=None)
    days = aligned(days, sessions)
    if not days["_ok"].all() or days["mean"].isna().any():
        raise ValueError("x='day': some sessions have no days")
    pos = days["mean"].to_numpy(dtype=float)
    if np.any(np.diff(pos) <= 0):
        raise ValueError("x='day': the mean days of the sessions are not increasing")
    _day_scale(ax, pos, created)
    return pos


def _day_scale(ax, days: np.ndarray, created: bool) -> None:
    """Stretch the day axis piecewise linearly so that neighbouring sessions are apart."""
    if len(days) < 2:
        return
    fig = ax.figure
    width_pt = fig.get_size_inches()[0] * 72 * (0.72 if created else ax.get_position().width)
    need = (3 * 0.6 * axes.small_font() + 3.0) / width_pt  # a 3-digit count and a gap
    gaps = np.diff(days)
    span = 0.9  # share of the axis between the first and last session
    if need * len(gaps) >= span:
        widths = np.full(len(gaps), span / len(gaps))
    else:
        lo_k, hi_k = 0.0, span / gaps.min()
        for _ in range(100):
            k = (lo_k + hi_k) / 2
            if np.maximum(gaps * k, need).sum() > span:
                hi_k = k
            else:
                lo_k = k
        widths = np.maximum(gaps * lo_k, need)
    if np.allclose(widths / gaps, (widths / gaps)[0]):
        return  # linear already
    knots_u = np.concatenate([[0.0], np.cumsum(widths)])
    slope_lo = widths[0] / gaps[0]
    slope_hi = widths[-1] / gaps[-1]

    def forward(v):
        v = np.asarray(v, dtype=float)
        out = np.interp(v, days, knots_u)
        out = np.where(v < days[0], (v - days[0]) * slope_lo, out)
        return np.where(v > days[-1], knots_u[-1] + (v - days[-1]) * slope_hi, out)

    def inverse(u):
        u = np.asarray(u, dtype=float)
        out = np.interp(u, knots_u, days)
        out = np.where(u < 0, days[0] + u / slope_lo, out)
        return np.where(u > knots_u[-1], days[-1] + (u - knots_u[-1]) / slope_hi, out)

    ax.set_xscale("function", functions=(forward, inverse))


def draw_x_axis(ax, pos, sessions, x, out) -> None:
    """Limits, ticks, tick labels and label of the x-axis (sessions or days)."""
    pad = 0.5 if x == "session" else None
    if x == "session":
        ax.set_xlim(pos[0] - pad, pos[-1] + pad)
        ax.set_xticks(pos)
        ax.set_xticklabels([str(s) for s in sessions])
        ax.set_xlabel(annotate.time_label(out, "session"))
    else:
        fwd = ax.xaxis.get_transform()
        u = fwd.transform(np.asarray(pos, dtype=float))
        margin = 0.05 * (u[-1] - u[0])
        inv = fwd.inverted()
        ax.set_xlim(*inv.transform(np.array([u[0] - margin, u[-1] + margin])))
        ticks = np.unique(np.round(pos))
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:.0f}" for t in ticks])
        ax.set_xlabel(annotate.time_label(out, "day"))
    ax.tick_params(axis="x", which="minor", bottom=False)


def legend(ax, handles, texts, *, title=None) -> None:
    """Legend above the axes, in as many columns as fit in the figure's width."""
    if not handles and not title:
        return
    fig = ax.figure
    renderer = axes.renderer_of(fig)
    width = ax.get_window_extent(renderer).width
    for ncol in range(max(len(handles), 1), 0, -1):
        leg = ax.legend(
            handles,
            texts,
            title=title,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.02),
            borderaxespad=0.0,
            ncol=ncol,
            frameon=False,
            handlelength=2.4,
            handletextpad=0.5,
            columnspacing=1.2,
            borderpad=0.2,
            alignment="left",
        )
        if leg.get_window_extent(renderer).width <= width:
            break
    if title:
        leg.get_title().set_fontsize(axes.small_font())
