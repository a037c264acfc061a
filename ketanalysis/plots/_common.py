"""Helpers shared by the figure functions: inputs, labels, groups, count tables.

Figure modules draw; numbers come from :mod:`ketanalysis.stats` or the derived frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
