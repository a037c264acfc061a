"""Reliable and clinically significant change (Jacobson-Truax): baseline against endpoint
score per patient with the reliable-change band and the cut-offs.

Every number drawn comes from the columns of the derived frames (``rc_s_diff``,
``rc_cutoff`` of ``Outcomes.parameters``, the ``clinically_significant`` category) at the
endpoint of :func:`ketanalysis.stats.endpoint_outcomes`; nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MultipleLocator

from .. import scales as _scales
from ..outcomes import Outcomes
from ..stats import transitions as _tr
from . import annotate, axes, checks, grouping
from .style import OKABE_ITO, bundled_font

__all__ = ["jacobson_truax"]

#: Colours and markers of the Jacobson-Truax categories.
CATEGORY_STYLE = {
    "recovered": (OKABE_ITO["bluish_green"], "o"),
    "improved": (OKABE_ITO["sky_blue"], "s"),
    "unchanged": ("#8C8C8C", "^"),
    "deteriorated": (OKABE_ITO["vermillion"], "D"),
}


@bundled_font()
def jacobson_truax(
    data,
    *,
    scale: str | None = None,
    endpoint=None,
    by: str | None = None,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax=None,
    min_cell_size: int | None = None,
    category_colors: Mapping | None = None,
    legend: bool = True,
):
    """Baseline against endpoint score per patient with the reliable-change band.

    Parameters
    ----------
    data : Outcomes
        From :func:`ketanalysis.derive` (its ``parameters`` give S_diff and the cut-off).
    scale : str, optional
        The scale (default: the first derived scale).
    endpoint : session value, optional
        As for :func:`~ketanalysis.plots.waterfall`.
    by : str, optional
        A column: points coloured and marked by group (the categories are then the regions
        of the plot, and the legend gives the counts per category and group).
    labels, colors : mapping or sequence, optional
        Group labels and colours (by level or in level order).
    ax : matplotlib Axes, optional
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``.
    category_colors : mapping, optional
        Colours of ``"recovered"``, ``"improved"``, ``"unchanged"``, ``"deteriorated"``
        (without ``by``).
    legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes
        Points are ``Line2D`` objects with ``gid`` ``"points:<category>"`` (without
        ``by``) or ``"points:<group index>"``; the band edges ``"rc-band:low"`` and
        ``"rc-band:high"``, the identity ``"identity"``, the cut-offs ``"cutoff:x"``,
        ``"cutoff:y"``.

    Notes
    -----
    Jacobson & Truax (1991): the reliable change index is ``(endpoint - baseline) /
    S_diff`` with ``S_diff = sqrt(2) * SD * sqrt(1 - r)``; points outside the band
    ``identity +/- z * S_diff`` (z = 1.96) changed reliably. Reliably improved patients at
    or below the cut-off (default the remission threshold) have recovered. The values are
    ``rc_s_diff`` and ``rc_cutoff`` of ``Outcomes.parameters`` and the categories the
    ``clinically_significant`` column, at the endpoint of
    :func:`ketanalysis.stats.endpoint_outcomes` (by default the one of ``Outcomes.patients``).
    Jacobson NS, Truax P. J Consult Clin Psychol 1991;59:12-19.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.jacobson_truax(out)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Baseline MADRS total score', 'Endpoint MADRS total score')
    >>> plt.close("all")
    """
    if not isinstance(data, Outcomes):
        raise TypeError(
            "data must be an Outcomes from ka.derive (its parameters give S_diff and the "
            f"cut-off), not {type(data).__name__}"
        )
    checks.check_min_cell_size(min_cell_size)
    checks.check_by(by)
    checks.check_plain_bool(legend, "legend")
    cc = checks.check_colors(
        category_colors, {k: v[0] for k, v in CATEGORY_STYLE.items()}, "category_colors"
    )
    ep = _tr.endpoint_outcomes(data, scale=scale, endpoint=endpoint)
    scale = checks.endpoint_scale(ep, scale)
    par = data.parameters.set_index("scale").loc[scale]
    s_diff, cutoff = float(par["rc_s_diff"]), float(par["rc_cutoff"])
    z = float(data.criteria.reliable_change.z)
    gs = grouping.groups(ep, by, labels=labels, colors=colors)
    own = ax is None
    fig, ax = axes.new_axes(ax)
    fs = axes.small_font()
    hi = float(np.nanmax(np.r_[ep["baseline"].to_numpy(float), ep["score"].to_numpy(float)]))
    reg_max = _scales.get(scale).total_max if scale in _scales.SCALES else hi
    lim = min(reg_max, np.ceil((hi + 2) / 10) * 10)
    lw = axes.line_width()
    grid = np.array([0.0, lim])
    ax.fill_between(
        grid,
        grid - z * s_diff,
        grid + z * s_diff,
        color="0.9",
        linewidth=0,
        zorder=0,
        gid="rc-band",
    )
    for sign, name in ((-1, "low"), (1, "high")):
        ax.plot(
            grid,
            grid + sign * z * s_diff,
            color="0.55",
            linewidth=0.5 * lw,
            linestyle=":",
            zorder=1,
            gid=f"rc-band:{name}",
        )
    ax.plot(grid, grid, color="0.3", linewidth=0.6 * lw, zorder=1, gid="identity")
    if np.isfinite(cutoff):
        across, along = [0, lim], [cutoff, cutoff]
        for axis, xy in (("y", (across, along)), ("x", (along, across))):
            ax.plot(
                *xy,
                color="black",
                linestyle="--",
                linewidth=0.6 * lw,
                zorder=1,
                gid=f"cutoff:{axis}",
            )
    cats = list(ep["clinically_significant"].cat.categories)
    counts = ep["clinically_significant"].value_counts()
    handles = []
    if by is None:
        for cat in cats:
            part = ep.loc[(ep["clinically_significant"] == cat).to_numpy()]
            n = annotate.count_text(counts.get(cat, 0), min_cell_size)
            handles.append(
                _points(
                    ax,
                    part,
                    CATEGORY_STYLE[cat][1],
                    cc[cat],
                    gid=f"points:{cat}",
                    label=f"{cat.capitalize()}, n = {n}",
                )
            )
        title = f"{gs[0].label} (n = {annotate.count_text(len(ep), min_cell_size)})"
    else:
        for g in gs:
            part = grouping.subset(ep, by, g)
            pc = part["clinically_significant"].value_counts()
            nums = "/".join(annotate.count_text(pc.get(c, 0), min_cell_size) for c in cats)
            n = annotate.count_text(len(part), min_cell_size)
            handles.append(
                _points(
                    ax,
                    part,
                    g.marker,
                    g.color,
                    gid=f"points:{g.index}",
                    label=f"{g.label}, n = {n}\n{nums}",
                )
            )
        title = "Recovered/improved/\nunchanged/deteriorated"
    handles += [
        Patch(
            facecolor="0.9",
            edgecolor="0.55",
            linestyle=":",
            linewidth=0.5 * lw,
            label=f"No reliable change\n(±{z:g} S$_\\mathrm{{diff}}$ = ±{z * s_diff:.1f})",
        ),
        Line2D(
            [],
            [],
            color="black",
            linestyle="--",
            linewidth=0.6 * lw,
            label=f"Cut-off ({annotate.scale_name(scale)} ≤ {cutoff:g})",
        ),
    ]
    ax.set_xlim(0, lim)
    ax.set_ylim(0, lim)
    ax.set_aspect("equal", adjustable="box")
    step = 10 if lim <= 60 else 20
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.yaxis.set_major_locator(MultipleLocator(step))
    name = annotate.scale_name(scale)
    ax.set_xlabel(f"Baseline {name} total score")
    ax.set_ylabel(f"Endpoint {name} total score")
    if legend:
        ax.legend(
            handles=handles,
            title=title,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize=fs,
            title_fontsize=fs,
            handlelength=1.2,
            borderaxespad=0.0,
            alignment="left",
            labelspacing=0.5,
        )
        # our own S_diff is mathtext; every other text (group labels) stays literal
        ax.get_legend().get_texts()[len(handles) - 2].set_parse_math(True)
    if own:
        _layout_square(fig, ax)
    return ax


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def _points(ax, part, marker, colour, *, gid, label) -> Line2D:
    """Endpoint against baseline score of the patients in ``part``; returns the legend
    handle (labelled ``label``)."""
    ms = mpl.rcParams["lines.markersize"]
    ax.plot(
        part["baseline"].to_numpy(float),
        part["score"].to_numpy(float),
        linestyle="none",
        marker=marker,
        markersize=ms,
        color=colour,
        markeredgewidth=0.3,
        markeredgecolor="white",
        alpha=0.85,
        gid=gid,
        zorder=3,
    )
    return Line2D([], [], linestyle="none", marker=marker, markersize=ms, color=colour, label=label)


def _layout_square(fig, ax) -> None:
    """Place a square axes with its legend on the right, all inside the figure."""
    renderer = axes.renderer_of(fig)
    W, H = fig.get_size_inches()
    dpi = fig.dpi
    pad = 0.3 * axes.font() / 72
    ax.set_position([0.15, 0.15, 0.5, 0.5 * W / H])
    tb = ax.get_tightbbox(renderer, bbox_extra_artists=[])
    box = ax.get_window_extent(renderer)
    left = (box.x0 - tb.x0) / dpi
    bottom = (box.y0 - tb.y0) / dpi
    top = max(tb.y1 - box.y1, 0) / dpi
    right = max(tb.x1 - box.x1, 0) / dpi
    leg = ax.get_legend()
    leg_w = 0.0
    if leg is not None:
        lb = leg.get_window_extent(renderer)
        leg_w = (lb.x1 - box.x1) / dpi
    right = max(right, leg_w)
    side = min(H - bottom - top - 2 * pad, W - left - right - 2 * pad)
    extra_w = W - (left + side + right + 2 * pad)
    extra_h = H - (bottom + side + top + 2 * pad)
    x0 = pad + left + extra_w / 2
    y0 = pad + bottom + extra_h / 2
    ax.set_position([x0 / W, y0 / H, side / W, side / H])


_ = plt  # pyplot is imported here (a plots module) so figures can be created
