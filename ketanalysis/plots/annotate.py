"""Text the figure functions write: scale, score and time axis labels, counts (with
small cells suppressed) and count tables under the x-axis, p-values and legends above the
axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import scales as _scales
from ..outcomes import Outcomes
from . import grouping
from .axes import renderer_of, small_font

#: The minus sign of numbers written in figures.
MINUS = "\u2212"

#: Label of the time axis by :attr:`Outcomes.time_unit`.
TIME_LABELS = {"days": "Days since first infusion", "sessions": "Session"}


def scale_name(scale: str) -> str:
    """Display name of a registry key (``"PHQ9"`` → ``"PHQ-9"``)."""
    try:
        return _scales.get(scale).label
    except (KeyError, ValueError, AttributeError):
        return str(scale)


def score_label(scale: str, y: str = "score") -> str:
    """Axis label of a score column: 'MADRS total score', 'Change in ...', '% change in ...'."""
    name = scale_name(scale)
    if y == "score":
        return f"{name} total score"
    if y == "change":
        return f"Change in {name} total score"
    if y == "pct_change":
        return f"Change in {name} total score (%)"
    return f"{name} {y}"


def time_label(out: Outcomes | None, x: str = "session") -> str:
    if x == "day":
        return TIME_LABELS["days"]
    if x == "session":
        return "Session"
    if out is not None and x == "time":
        return TIME_LABELS.get(out.time_unit, out.time_unit)
    return x


def hide_small(tab, min_cell_size: int | None, columns, *, k: str | None = None):
    """``tab`` with ``columns`` missing (not drawn) where the row's ``n`` is from 1 to
    ``min_cell_size - 1``, or with ``k``, where ``k`` or ``n - k`` is: the points and
    intervals of a figure under strict privacy show only what the report's tables show."""
    if min_cell_size is None or "n" not in tab.columns or not len(tab):
        return tab
    n = tab["n"].to_numpy(dtype=float)
    hide = (n > 0) & (n < min_cell_size)
    if k is not None and k in tab.columns:
        kk = tab[k].to_numpy(dtype=float)
        hide |= ((kk > 0) & (kk < min_cell_size)) | ((n - kk > 0) & (n - kk < min_cell_size))
    if not hide.any():
        return tab
    tab = tab.copy()
    tab.loc[hide, [c for c in columns if c in tab.columns]] = np.nan
    return tab


def count_text(n, min_cell_size: int | None = None) -> str:
    """A count as text; counts from 1 to ``min_cell_size - 1`` become ``"<k"``."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return ""
    n = int(n)
    if min_cell_size is not None and 0 < n < min_cell_size:
        return f"<{min_cell_size}"
    return str(n)


def count_table(
    ax,
    x: Sequence[float],
    rows: Sequence[tuple[str, Sequence, str]],
    *,
    title: str = "n",
    min_cell_size: int | None = None,
) -> None:
    """Write counts under the x-axis, one row per group, aligned with ``x`` (data units).

    ``rows`` holds ``(label, counts, colour)``. The x-axis label moves below the table.
    """
    fs = small_font()
    step = fs * 1.3  # points between rows
    tick = ax.xaxis.get_major_ticks()[0] if ax.xaxis.get_major_ticks() else None
    tick_len = tick.tick1line.get_markersize() if tick is not None else 2.5
    # height of the tick labels: one line, plus 1.2 em per extra line of multi-line labels
    n_lines = max([t.get_text().count("\n") + 1 for t in ax.get_xticklabels()] or [1])
    label_h = fs * 1.25 + fs * 1.2 * (n_lines - 1)
    top = tick_len + 2.0 + label_h + 3.0  # below the tick labels
    trans = ax.get_xaxis_transform()
    y_title = -top
    ax.annotate(
        title,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(-3, y_title),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=fs,
        fontweight="bold",
        annotation_clip=False,
    )
    for r, (label, counts, color) in enumerate(rows):
        y = y_title - step * (r + 1) + (0 if title else step)
        if len(rows) > 1 or label:
            ax.annotate(
                label,
                xy=(0, 0),
                xycoords="axes fraction",
                xytext=(-3, y),
                textcoords="offset points",
                ha="right",
                va="top",
                fontsize=fs,
                color=color,
                annotation_clip=False,
            )
        for xi, n in zip(x, counts, strict=True):
            ax.annotate(
                count_text(n, min_cell_size),
                xy=(xi, 0),
                xycoords=trans,
                xytext=(0, y),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=fs,
                color=color,
                annotation_clip=False,
            )
    depth = top + step * len(rows) + fs * 1.2 + 2.0  # bottom of the last row
    ax.xaxis.labelpad = depth - (tick_len + 2.0 + label_h)


def format_p(p: float) -> str:
    """``p = 0.031``, ``p < 0.001``; three decimals."""
    if p is None or not np.isfinite(p):
        return "p = NA"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


def legend_above(ax, handles, *, title=None, ncols=(1,), **kw):
    """A legend above the axes, in the first number of columns that fits the figure width."""
    fs = small_font()
    opts = {
        "fontsize": fs,
        "title_fontsize": fs,
        "alignment": "left",
        "handlelength": 1.2,
        "handletextpad": 0.4,
        "columnspacing": 1.0,
        "labelspacing": 0.3,
        "borderpad": 0.2,
    }
    opts.update(kw)
    opts["borderaxespad"] = 0.0
    fig = ax.figure
    renderer = renderer_of(fig)
    fig_w = fig.get_figwidth() * fig.dpi
    leg = None
    for ncol in dict.fromkeys(max(int(k), 1) for k in ncols):
        if leg is not None:
            leg.remove()
        leg = ax.legend(
            handles=handles,
            title=title,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            ncol=ncol,
            **opts,
        )
        if leg.get_window_extent(renderer).x1 <= fig_w - 2:
            break
    return leg


def number_text(v: float) -> str:
    """A number as figure text: no decimals when whole, else ``%g``; a real minus sign."""
    text = f"{v:.0f}" if float(v).is_integer() else f"{v:g}"
    return text.replace("-", MINUS)


def group_count_table(ax, tab, by, grp, key, points, pos, min_cell_size) -> None:
    """Counts ``n`` of each group at each of ``points`` (values of ``key``) under the axis."""
    table = []
    for g in grp:
        part = grouping.subset(tab, by, g)
        counts = dict(zip(part[key], part["n"], strict=True))
        table.append((g.label if by is not None else "", [counts.get(p) for p in points], g.color))
    count_table(ax, list(pos), table, min_cell_size=min_cell_size)
