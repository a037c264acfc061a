"""Groups of a ``by=`` split: each level's label, colour, marker and line style, its
rows, and its legend handle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .style import LINESTYLES, MARKERS, PALETTE


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


def handle(g: Group, **kw):
    """Legend handle of a group: its colour, marker and line style (overridable)."""
    from matplotlib.lines import Line2D

    kw.setdefault("linestyle", g.linestyle)
    return Line2D([], [], color=g.color, marker=g.marker, **kw)
