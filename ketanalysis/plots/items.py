"""Item-level figures: which symptoms change, and when.

The numbers come from :func:`ketanalysis.stats.item_change`; this module only draws.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize

from .. import scales as _scales
from .. import stats as _stats
from . import annotate, axes, checks
from .style import bundled_font

__all__ = ["ITEM_LABELS", "item_heatmap"]

#: Short item names for axis labels, used when the scales registry has none.
#: MADRS: Montgomery SA, Åsberg M. Br J Psychiatry 1979;134:382-389 (item titles,
#: "Concentration difficulties" and "Pessimistic thoughts" shortened).
#: PHQ-9: Kroenke K, Spitzer RL, Williams JBW. J Gen Intern Med 2001;16:606-613 (the DSM-IV
#: criterion each item asks about). GAD-7: Spitzer RL et al. Arch Intern Med
#: 2006;166:1092-1097 (item stems shortened).
ITEM_LABELS: dict[str, tuple[str, ...]] = {
    "MADRS": (
        "Apparent sadness",
        "Reported sadness",
        "Inner tension",
        "Reduced sleep",
        "Reduced appetite",
        "Concentration",
        "Lassitude",
        "Inability to feel",
        "Pessimism",
        "Suicidal thoughts",
    ),
    "PHQ9": (
        "Anhedonia",
        "Depressed mood",
        "Sleep",
        "Fatigue",
        "Appetite",
        "Worthlessness",
        "Concentration",
        "Psychomotor",
        "Suicidal thoughts",
    ),
    "GAD7": (
        "Nervousness",
        "Uncontrolled worry",
        "Worrying too much",
        "Trouble relaxing",
        "Restlessness",
        "Irritability",
        "Feeling afraid",
    ),
}

_Y = {"change": "mean_change", "score": "mean_score"}


@bundled_font()
def item_heatmap(
    data,
    *,
    scale: str | None = "MADRS",
    y: str = "change",
    by: None = None,
    baseline=None,
    cmap: str | None = None,
    item_labels: Sequence[str] | None = None,
    n_table: bool = True,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax: Axes | None = None,
    min_cell_size: int | None = None,
) -> Axes:
    """Mean change of each item from baseline by session, as a heatmap.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (items come from its validated input) or a
        long frame with ``item_1`` ... ``item_k`` columns.
    scale : str, default "MADRS"
        Scale whose items are drawn (``None``: the first outcome scale).
    y : {"change", "score"}, default "change"
        Mean change from each patient's baseline item score (diverging colours centred on
        0), or the mean item score (sequential colours).
    by : None
        Not supported (one heatmap per group: call once per subset); must be ``None``.
    baseline : session value, "first" or "last_pre", optional
        Baseline of the change (default: the one the ``Outcomes`` was derived with).
    cmap : str, optional
        Colormap; default ``"RdBu_r"`` (diverging, colour-blind safe; blue is improvement)
        for change and ``"cividis"`` for scores.
    item_labels : sequence of str, optional
        Row labels (default: short item names from the scales registry or
        :data:`ITEM_LABELS`, else "Item 1" ...).
    n_table : bool, default True
        Write the number of patients per session under the x-axis (the largest n over
        items; items are rarely missing).
    labels, colors :
        Accepted for a uniform signature; there are no groups, so they must be ``None``.
    ax : Axes, optional
        Axes to draw in; the colour bar takes space from it.
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``.

    Returns
    -------
    Axes
        The heatmap axes (the colour bar is ``ax.collections[0].colorbar``).

    Notes
    -----
    Cell values are ``mean_change`` (or ``mean_score``) of
    :func:`ketanalysis.stats.item_change`: the mean over patients of item score minus the
    patient's baseline item score, among patients with the item at both assessments.
    The colour scale is symmetric around 0 (``-m`` to ``m`` with ``m`` the largest absolute
    mean change), so white means no change.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.item_heatmap(out)
    >>> ax.get_yticklabels()[0].get_text()
    'Apparent sadness'
    >>> plt.close("all")
    """
    checks.check_choice(y, _Y, "y")
    if by is not None:
        raise ValueError(f"by={by!r}: item_heatmap draws one heatmap; subset the data instead")
    for name, value in (("labels", labels), ("colors", colors)):
        if value is not None:
            raise ValueError(f"{name}={value!r}: item_heatmap has no groups to label or colour")
    checks.check_bool(n_table, "n_table")
    checks.check_ax(ax)
    if cmap is not None and not isinstance(cmap, str):
        raise TypeError(f"cmap={cmap!r} must be the name of a matplotlib colormap")
    checks.check_min_cell_size(min_cell_size)
    checks.frames(data)  # type check of data
    tab = _stats.item_change(data, scale=scale, baseline=baseline)
    if scale is None:
        scale = data.scales[0] if hasattr(data, "scales") else _only_scale(data)
    k = int(tab["item"].max())
    names = _item_names(scale, k, item_labels)
    sessions = sorted(pd.unique(tab["session"]), key=_order_key(tab["session"]))
    if y == "change":
        # The baseline column is 0 by definition: leave it out when the baseline is a session.
        rule = baseline if baseline is not None else getattr(data, "baseline", 0)
        if rule in sessions and len(sessions) > 1:
            sessions = [s for s in sessions if s != rule]
            tab = tab[tab["session"] != rule]
    pos = np.arange(len(sessions), dtype=float)  # equal columns, labelled by session
    col = _Y[y]
    grid = (
        tab.pivot(index="item", columns="session", values=col)
        .reindex(index=range(1, k + 1), columns=sessions)
        .to_numpy(dtype=float)
    )
    if y == "change":
        m = np.nanmax(np.abs(grid)) if np.isfinite(grid).any() else 1.0
        m = m if m > 0 else 1.0
        norm = Normalize(-m, m)
        cmap = cmap or "RdBu_r"
        unit = f"Mean change in {annotate.scale_name(scale)} item score from baseline (points)"
    else:
        hi = float(_scales.get(scale).item_max[0]) if _same_max(scale) else np.nanmax(grid)
        norm = Normalize(0, hi)
        cmap = cmap or "cividis"
        unit = f"Mean {annotate.scale_name(scale)} item score (points)"
    created = ax is None
    fig, ax = axes.new_axes(ax)
    x_edges = _edges(pos)
    y_edges = np.arange(0.5, k + 1.5)
    mesh = ax.pcolormesh(
        x_edges,
        y_edges,
        np.ma.masked_invalid(grid),
        cmap=cmap,
        norm=norm,
        edgecolors="white",
        linewidth=0.3,
        gid="item_heatmap",
    )
    ax.set_ylim(k + 0.5, 0.5)
    ax.set_yticks(np.arange(1, k + 1))
    ax.set_yticklabels(names)
    ax.tick_params(axis="y", length=0)
    ax.set_xticks(pos)
    ax.set_xticklabels([str(s) for s in sessions])
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_xlabel(annotate.time_label(None, "session"))
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    cbar = fig.colorbar(
        mesh, ax=ax, location="top", fraction=0.045, pad=0.03, aspect=45, shrink=0.7
    )
    cbar.set_label(unit, fontsize=axes.small_font(), labelpad=2.0)
    cbar.ax.tick_params(labelsize=axes.small_font(), length=2.0, pad=1.5)
    cbar.outline.set_visible(False)
    # Ticks as the active style places them (the automatic locator depends on rcParams).
    cbar.set_ticks([t for t in cbar.get_ticks() if norm.vmin <= t <= norm.vmax])
    if n_table:
        n = tab.groupby("session", sort=False)["n"].max().reindex(sessions)
        counts = [int(v) for v in n.to_numpy()]
        annotate.count_table(ax, list(pos), [("", counts, "black")], min_cell_size=min_cell_size)
    if created:
        axes.tight(fig)
    return ax


def _only_scale(frame) -> str:
    present = list(pd.unique(frame["scale"].dropna()))
    return present[0]


def _same_max(scale: str) -> bool:
    return len(set(_scales.get(scale).item_max)) == 1


def _order_key(col: pd.Series):
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = list(col.cat.categories)
        return cats.index
    return lambda v: v


def _edges(pos: np.ndarray) -> np.ndarray:
    if len(pos) == 1:
        return np.array([pos[0] - 0.5, pos[0] + 0.5])
    mid = (pos[1:] + pos[:-1]) / 2
    return np.concatenate([[pos[0] - (mid[0] - pos[0])], mid, [pos[-1] + (pos[-1] - mid[-1])]])


def _item_names(scale: str, k: int, given) -> list[str]:
    if given is not None:
        if isinstance(given, str) or not isinstance(given, Sequence):
            raise TypeError(f"item_labels={given!r} must be a list of {k} names")
        if len(given) != k:
            raise ValueError(f"item_labels has {len(given)} names for {k} items")
        return [str(s) for s in given]
    try:
        reg = _scales.get(scale)
    except (KeyError, ValueError):
        reg = None
    for attr in ("item_labels", "item_names"):
        names = getattr(reg, attr, None)
        if names and len(names) == k:
            return [str(s) for s in names]
    names = ITEM_LABELS.get(str(scale))
    if names and len(names) == k:
        return list(names)
    return [f"Item {i}" for i in range(1, k + 1)]
