"""Helpers shared by the figure functions: argument checks, inputs, labels, groups, count
tables, intervals, legends, tick and layout fixes.

Figure modules draw; numbers come from :mod:`ketanalysis.stats` or the derived frames.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
import pandas as pd

from .. import scales as _scales
from ..outcomes import Outcomes
from .style import LINESTYLES, MARKERS, PALETTE, current_style

#: Label of the time axis by :attr:`Outcomes.time_unit`.
TIME_LABELS = {"days": "Days since first infusion", "sessions": "Session"}


def pyplot():
    """matplotlib.pyplot, imported on first use (``import ketanalysis`` stays light)."""
    import matplotlib.pyplot as plt

    return plt


def new_axes(ax=None, *, height_ratio: float | None = None):
    """Return ``(fig, ax)``: the given axes, or a new figure at the active style's size."""
    if ax is not None:
        return ax.figure, ax
    _, w, h = current_style()
    if height_ratio is not None:
        h = w * height_ratio
    fig, ax = pyplot().subplots(figsize=(w, h))
    return fig, ax


def refuse_ax(ax, name: str) -> None:
    """Multi-panel figures draw their own axes."""
    if ax is not None:
        raise TypeError(f"{name}() draws a multi-panel Figure and does not take ax=")


def small_font() -> float:
    return current_style()[0].small_font_size


def font() -> float:
    return current_style()[0].font_size


def frames(data, *, need: str = "assessments") -> tuple[pd.DataFrame, Outcomes | None]:
    """The assessments or patients frame of an :class:`Outcomes` (or a frame as given)."""
    if isinstance(data, Outcomes):
        return getattr(data, need), data
    if isinstance(data, pd.DataFrame):
        return data, None
    raise TypeError(
        f"data must be an Outcomes from ka.derive or a DataFrame, not {type(data).__name__}"
    )


def pick_scale(frame: pd.DataFrame, scale: str | None, out: Outcomes | None = None):
    """Rows of one scale: ``scale`` or the first outcome scale. Returns (rows, scale)."""
    if "scale" not in frame.columns:
        if scale is None:
            raise ValueError("data has no 'scale' column; pass scale=")
        return frame, scale
    present = list(out.scales) if out is not None else list(pd.unique(frame["scale"]))
    if scale is None:
        if not present:
            raise ValueError("data has no rows")
        scale = present[0]
    if scale not in set(frame["scale"].unique()):
        raise ValueError(f"scale={scale!r} is not in the data; scales present: {present}")
    return frame[frame["scale"] == scale], scale


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


@dataclass(frozen=True)
class Group:
    """One group of a ``by=`` split: its level, label and look."""

    level: object
    label: str
    color: str
    marker: str
    linestyle: object
    index: int


def groups(
    frame: pd.DataFrame,
    by: str | None,
    *,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    all_label: str = "All patients",
) -> list[Group]:
    """Levels of ``by`` in sorted order with labels, colours, markers and line styles.

    ``labels`` and ``colors`` map levels (or list them in level order). Without ``by``
    there is one group, level ``None``.
    """
    if by is None:
        levels = [None]
    else:
        if by not in frame.columns:
            raise ValueError(f"by={by!r} is not a column; columns: {list(frame.columns)}")
        col = frame[by]
        if col.isna().any():
            raise ValueError(
                f"by={by!r} has {int(col.isna().sum())} missing values; fill or drop them"
            )
        levels = sorted(pd.unique(col), key=lambda v: (str(type(v)), v))
    out = []
    for i, level in enumerate(levels):
        label = all_label if level is None else str(level)
        if isinstance(labels, Mapping):
            label = str(labels.get(level, label))
        elif labels is not None:
            labels = list(labels)
            if len(labels) != len(levels):
                raise ValueError(f"labels has {len(labels)} entries for {len(levels)} groups")
            label = str(labels[i])
        color = PALETTE[i % len(PALETTE)]
        if isinstance(colors, Mapping):
            color = colors.get(level, color)
        elif colors is not None:
            colors = list(colors)
            if len(colors) != len(levels):
                raise ValueError(f"colors has {len(colors)} entries for {len(levels)} groups")
            color = colors[i]
        out.append(
            Group(
                level, label, color, MARKERS[i % len(MARKERS)], LINESTYLES[i % len(LINESTYLES)], i
            )
        )
    return out


def subset(frame: pd.DataFrame, by: str | None, group: Group) -> pd.DataFrame:
    if by is None:
        return frame
    return frame[frame[by] == group.level]


def count_text(n, min_cell_size: int | None = None) -> str:
    """A count as text; counts from 1 to ``min_cell_size - 1`` become ``"<k"``."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return ""
    n = int(n)
    if min_cell_size is not None and 0 < n < min_cell_size:
        return f"<{min_cell_size}"
    return str(n)


def check_min_cell_size(min_cell_size) -> None:
    if min_cell_size is None:
        return
    if not isinstance(min_cell_size, int) or isinstance(min_cell_size, bool) or min_cell_size < 1:
        raise ValueError(f"min_cell_size={min_cell_size!r} must be a positive integer or None")


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


def thin_labels(n_positions: int, width_in: float, label_chars: int, fontsize: float) -> int:
    """Keep every k-th tick label so that labels of ``label_chars`` characters fit."""
    per_label_in = max(label_chars, 1) * fontsize * 0.6 / 72 + fontsize * 0.5 / 72
    fit = max(int(width_in / per_label_in), 1)
    return max(int(np.ceil(n_positions / fit)), 1)


def format_p(p: float) -> str:
    """``p = 0.031``, ``p < 0.001``; three decimals."""
    if p is None or not np.isfinite(p):
        return "p = NA"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


# ---------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------
def check_choice(value, choices, name: str) -> None:
    """``value`` must be one of the strings ``choices`` (ValueError naming ``name``)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}={value!r} must be one of {', '.join(map(repr, choices))}")


def check_bool(value, name: str) -> None:
    """``value`` must be a bool (numpy's included); TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")


def check_ci(ci) -> float | None:
    """A confidence level strictly between 0 and 1 as a float, or None."""
    if ci is None:
        return None
    if isinstance(ci, bool) or not isinstance(ci, (int, float, np.floating)) or not 0 < ci < 1:
        raise ValueError(f"ci={ci!r} must be a confidence level between 0 and 1, or None")
    return float(ci)


def check_ax(ax) -> None:
    """``ax`` must be None or a matplotlib Axes."""
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, not {type(ax).__name__}")


def check_options(labels, colors, ax, min_cell_size) -> None:
    """The options every grouped figure takes: ``labels``/``colors`` (a dict by group
    level or a list), ``ax`` and ``min_cell_size``."""
    for name, value in (("labels", labels), ("colors", colors)):
        if value is not None and (
            isinstance(value, (str, bytes)) or not isinstance(value, (Mapping, Sequence))
        ):
            raise TypeError(f"{name}={value!r} must be a dict by group level or a list")
    check_ax(ax)
    check_min_cell_size(min_cell_size)


# ---------------------------------------------------------------------------------------
# intervals and legend handles
# ---------------------------------------------------------------------------------------
#: Points between neighbouring groups drawn at one x (or y) position.
DODGE_PT = 2.5


def thin_linewidth() -> float:
    """Width of interval and reference lines: 0.6 of the style's line width, at least 0.5."""
    return max(0.5, 0.6 * mpl.rcParams["lines.linewidth"])


def segments(xs, lo, hi) -> list:
    """Vertical segments from ``lo`` to ``hi`` at ``xs`` (pairs with a NaN end left out)."""
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    ok = ~np.isnan(lo) & ~np.isnan(hi)
    return [np.array([[x, a], [x, b]]) for x, a, b in zip(xs[ok], lo[ok], hi[ok], strict=True)]


def dodge(ax, index: int, n: int, *, vertical: bool = False):
    """Data transform of group ``index`` of ``n`` shifted by a few points (sideways, or
    down the rows with ``vertical``); the data keep their values."""
    from matplotlib.transforms import ScaledTranslation

    step = (index - (n - 1) / 2) * DODGE_PT / 72.0
    if vertical:
        return ax.transData + ScaledTranslation(0, -step, ax.figure.dpi_scale_trans)
    return ax.transData + ScaledTranslation(step, 0, ax.figure.dpi_scale_trans)


def interval_plot(ax, trans, xs, y, lo=None, hi=None, *, color, ci=None, **kw):
    """Error bars from ``lo`` to ``hi`` (when ``ci`` holds their keywords, e.g. label and
    gid) and then the markers/line ``y`` at ``xs``, both drawn with the transform
    ``trans`` (see :func:`dodge`). Returns the line."""
    from matplotlib.collections import LineCollection

    if ci is not None:
        coll = ax.add_collection(
            LineCollection(segments(xs, lo, hi), colors=color, linewidths=thin_linewidth(), **ci)
        )
        coll.set_transform(trans)
    (line,) = ax.plot(xs, y, color=color, **kw)
    line.set_transform(trans)
    return line


def handle(g: Group, **kw):
    """Legend handle of a group: its colour, marker and line style (overridable)."""
    from matplotlib.lines import Line2D

    kw.setdefault("linestyle", g.linestyle)
    return Line2D([], [], color=g.color, marker=g.marker, **kw)


# ---------------------------------------------------------------------------------------
# layout, ticks, labels and legends
# ---------------------------------------------------------------------------------------
def tight(fig, *, pad: float = 0.3, ignore: type[Warning] | None = Warning) -> None:
    """``fig.tight_layout(pad=pad)`` with warnings of category ``ignore`` silenced
    (``None``: none silenced)."""
    if ignore is None:
        fig.tight_layout(pad=pad)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ignore)
        fig.tight_layout(pad=pad)


def freeze_ticks(fig) -> None:
    """Fix the number of automatic ticks as the active style sets it.

    matplotlib's automatic locator counts ticks from the *current* tick-label size, so a
    figure drawn inside ``publication()`` and saved outside it would get other ticks (and
    labels that no longer fit the layout). Limits may still change later.
    """
    from matplotlib.ticker import AutoLocator, MaxNLocator

    for a in fig.axes:
        for axis in (a.xaxis, a.yaxis):
            loc = axis.get_major_locator()
            if type(loc) is AutoLocator:
                nbins = int(np.clip(axis.get_tick_space(), 1, 9))
                axis.set_major_locator(MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]))


def fit_ylabel(ax, *, draw: bool = False) -> bool:
    """Break the y label into two lines (at the space nearest its middle) when it is
    taller than the axes; True if broken. ``draw`` draws the figure first (axes
    locators, as of a difference panel, set positions at draw time)."""
    label = ax.yaxis.label
    text = label.get_text()
    if not text or "\n" in text or " " not in text:
        return False
    if draw:
        ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    if label.get_window_extent(renderer).height <= ax.get_window_extent(renderer).height:
        return False
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    label.set_text(text[:cut] + "\n" + text[cut + 1 :])
    return True


def thin_ticks(ax) -> None:
    """Hide x tick labels that would touch their left neighbour (greedy, left to right)."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    last = -np.inf
    gap = 0.4 * small_font() * fig.dpi / 72
    lo, hi = sorted(ax.get_xlim())
    for tick in ax.xaxis.get_major_ticks():
        label = tick.label1
        if not label.get_text() or not lo <= tick.get_loc() <= hi:
            continue
        label.set_visible(True)
        bb = label.get_window_extent(renderer)
        if bb.x0 < last + gap:
            label.set_visible(False)
        else:
            last = bb.x1


def finish(fig, ax, created: bool, *, freeze: bool = False, draw_first: bool = True) -> None:
    """Last layout steps of an axes-level figure.

    With ``freeze``, :func:`freeze_ticks` first. Then, each layout pass only in a figure
    the function ``created``: fit the layout, break a tall y label (:func:`fit_ylabel`;
    the figure is drawn first, always with ``draw_first``, else only when the label may
    be broken), fit again, hide touching x tick labels (:func:`thin_ticks`), and fit and
    thin once more.
    """
    if freeze:
        freeze_ticks(fig)
    if created:
        tight(fig)
    if draw_first:
        fig.canvas.draw()
    fit_ylabel(ax, draw=not draw_first)
    if created:
        tight(fig)
    fig.canvas.draw()
    thin_ticks(ax)
    if created:
        tight(fig)
        thin_ticks(ax)


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
    renderer = fig.canvas.get_renderer()
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
