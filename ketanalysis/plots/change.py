"""Change from baseline to the endpoint: waterfall and severity transitions.

Every number drawn comes from :mod:`ketanalysis.stats.transitions` (``endpoint_outcomes``,
``severity_shares``, ``severity_transitions``) or the derived frames; nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path
from matplotlib.ticker import MultipleLocator

from .. import scales as _scales
from ..outcomes import Outcomes
from ..outcomes.criteria import Response
from ..stats import transitions as _tr
from . import annotate, axes, checks, grouping
from .style import OKABE_ITO, bundled_font

__all__ = ["severity_transitions", "waterfall"]

#: Bar colours of :func:`waterfall` by endpoint outcome (greys 0.40, 0.62, 0.85: distinct).
OUTCOME_COLORS = {
    "remission": OKABE_ITO["blue"],
    "response": OKABE_ITO["sky_blue"],
    "no response": "#D4D4D4",
}
#: Sequential colour map of the severity bands (mildest lightest).
BAND_CMAP = "YlGnBu"
_KINDS = ("bars", "alluvial")


# ---------------------------------------------------------------------------------------
# waterfall
# ---------------------------------------------------------------------------------------
@bundled_font()
def waterfall(
    data,
    *,
    scale: str | None = None,
    endpoint=None,
    by: str | None = None,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax=None,
    min_cell_size: int | None = None,
    outcome_colors: Mapping | None = None,
    legend: bool = True,
):
    """Percentage change at the endpoint per patient, sorted, coloured by outcome.

    Parameters
    ----------
    data : Outcomes or DataFrame
        From :func:`ketanalysis.derive` (or a frame shaped like its ``assessments``).
    scale : str, optional
        The scale (default: the first derived scale).
    endpoint : session value, optional
        The endpoint session (default: the endpoint of :func:`~ketanalysis.derive`, else
        each patient's last assessment after baseline, i.e. ``patients.last_pct_change``).
    by : str, optional
        A column (e.g. ``"arm"``): one block of sorted bars per group, side by side.
    labels, colors : mapping or sequence, optional
        Group labels and colours (by level, or listed in level order); the colour marks
        each group's block under the axis.
    ax : matplotlib Axes, optional
        Axes to draw on (default: a new figure at the active journal size).
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``.
    outcome_colors : mapping, optional
        Bar colours by outcome (``"remission"``, ``"response"``, ``"no response"``).
    legend : bool, default True
        Draw the outcome legend.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per group (``ax.containers``), bars sorted from the largest
        increase to the largest decrease.

    Notes
    -----
    Heights are ``100 * pct_change`` of :func:`ketanalysis.stats.endpoint_outcomes`;
    colours are its ``endpoint_outcome``: remission (total at or below the remission
    threshold, whatever the reduction), else response (reduction of at least the
    response criterion, 50 % by default), else no response. The dashed line marks the
    response criterion; remission depends on the total, not the percentage, so only the
    colour shows it. Patients without an assessment after baseline are left out.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.waterfall(out)
    >>> len(ax.containers[0])
    150
    >>> ax.get_ylabel()
    'Change in MADRS total score (%)'
    >>> plt.close("all")
    """
    checks.check_min_cell_size(min_cell_size)
    checks.check_by(by)
    checks.check_plain_bool(legend, "legend")
    oc = checks.check_colors(outcome_colors, OUTCOME_COLORS, "outcome_colors")
    ep = _tr.endpoint_outcomes(data, scale=scale, endpoint=endpoint)
    scale = checks.endpoint_scale(ep, scale)
    gs = grouping.groups(ep, by, labels=labels, colors=colors)
    own = ax is None
    fig, ax = axes.new_axes(ax)
    fs = axes.small_font()
    # gap between group blocks, in bars
    gap = max(2, int(round(0.04 * len(ep)))) if len(gs) > 1 else 0
    start = 0
    centres, spans, xs_all, hs_all = [], [], [], []
    for g in gs:
        part = grouping.subset(ep, by, g)
        order = np.argsort(-part["pct_change"].to_numpy(dtype=float), kind="mergesort")
        part = part.iloc[order]
        heights = 100.0 * part["pct_change"].to_numpy(dtype=float)
        x = start + np.arange(len(part))
        colours = [oc[str(o)] for o in part["endpoint_outcome"]]
        ax.bar(x, heights, width=0.8, color=colours, linewidth=0, label=g.label)
        xs_all.append(x)
        hs_all.append(heights)
        centres.append(start + (len(part) - 1) / 2)
        spans.append((start - 0.4, start + len(part) - 0.6))
        start += len(part) + gap
    n_bars = start - gap
    ax.set_xlim(-0.5 - 0.01 * n_bars, n_bars - 0.5 + 0.01 * n_bars)
    top = float(np.nanmax(100.0 * ep["pct_change"])) if len(ep) else 0.0
    ax.set_ylim(-105, max(25.0, np.ceil((top + 5) / 25) * 25))
    ax.yaxis.set_major_locator(MultipleLocator(50 if top > 60 else 25))
    ax.axhline(0, color="black", linewidth=mpl.rcParams["axes.linewidth"], zorder=1)
    crit = _response_criterion(data)
    thr = -100.0 * crit
    ax.axhline(thr, color="black", linestyle="--", linewidth=0.6 * axes.line_width(), zorder=3)
    threshold_text = f"Response threshold (−{100 * crit:g}%)"
    ax.set_ylabel(annotate.score_label(scale, "pct_change"))
    ax.set_xlabel("Patients (sorted by change)")
    if by is None:
        ax.set_xticks([])
    else:
        ax.set_xticks(
            centres,
            [
                f"{g.label}\nn = {annotate.count_text(len(grouping.subset(ep, by, g)), min_cell_size)}"
                for g in gs
            ],
        )
        ax.tick_params(axis="x", length=0, pad=4)
        for g, span in zip(gs, spans, strict=True):
            _group_marker(ax, span, g.color, -0.012)
    ax.spines["bottom"].set_visible(False)
    if own:
        axes.tight(fig, pad=0.6, ignore=None)
    # label the threshold directly where no bar reaches into the label, else in the legend
    label = ax.annotate(
        threshold_text,
        xy=(0, thr),
        xycoords=("axes fraction", "data"),
        xytext=(2, -1.5),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=fs,
        gid="threshold-label",
    )
    if _covers_bars(ax, label, np.concatenate(xs_all), np.concatenate(hs_all)):
        label.remove()
        label = None
    if legend:
        counts = ep["endpoint_outcome"].value_counts()
        threshold = _remission_threshold(data, scale)
        names = {
            "remission": f"Remission ({annotate.scale_name(scale)} ≤ {threshold:g})",
            "response": f"Response (≥{100 * crit:g}% reduction)",
            "no response": "No response",
        }
        handles = [
            Patch(
                facecolor=oc[k],
                linewidth=0,
                label=f"{names[k]}, n = {annotate.count_text(counts.get(k, 0), min_cell_size)}",
            )
            for k in _tr.ENDPOINT_OUTCOMES
        ]
        if label is None:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="black",
                    linestyle="--",
                    linewidth=0.6 * axes.line_width(),
                    label=threshold_text,
                )
            )
        title = f"At endpoint (n = {annotate.count_text(len(ep), min_cell_size)})"
        leg = ax.legend(
            handles=handles,
            title=title,
            loc="upper right",
            fontsize=fs,
            title_fontsize=fs,
            handlelength=1.0,
            handleheight=0.8,
            borderaxespad=0.2,
            alignment="left",
        )
        _clear_legend(ax, leg, np.concatenate(xs_all), np.concatenate(hs_all))
    return ax


# ---------------------------------------------------------------------------------------
# severity transitions
# ---------------------------------------------------------------------------------------
@bundled_font()
def severity_transitions(
    data,
    *,
    scale: str | None = None,
    endpoint=None,
    by: str | None = None,
    kind: str = "bars",
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax=None,
    min_cell_size: int | None = None,
    band_colors: Mapping | Sequence | None = None,
    legend: bool = True,
):
    """Severity bands at baseline and at the endpoint: stacked bars or an alluvial plot.

    Parameters
    ----------
    data : Outcomes or DataFrame
        From :func:`ketanalysis.derive` (or a frame shaped like its ``assessments``).
    scale : str, optional
        The scale (default: the first derived scale); it needs severity bands.
    endpoint : session value, optional
        As for :func:`waterfall`.
    by : str, optional
        A column: one pair of bars (or one alluvium) per group.
    kind : {"bars", "alluvial"}, default "bars"
        ``"bars"``: 100 % stacked bars at baseline and endpoint, percentages in segments
        where they fit. ``"alluvial"``: bands as blocks at both times joined by flows whose
        widths are the numbers of patients moving between bands.
    labels, colors : mapping or sequence, optional
        Group labels and colours (by level or in level order); the colour underlines the
        group's label.
    ax : matplotlib Axes, optional
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``; the percentages of
        such cells are not written.
    band_colors : mapping or sequence, optional
        Colours of the bands (by label or mildest first); default a sequential
        colour-blind-safe map (``YlGnBu``), light for mild and dark for severe.
    legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes
        ``"bars"``: one bar container per band (``ax.containers``, mildest first), bars
        in the order group 1 baseline, group 1 endpoint, group 2 baseline, ...
        ``"alluvial"``: flow patches with ``gid`` ``"flow:<baseline band>:<endpoint
        band>:<group index>"``.

    Notes
    -----
    Percentages come from :func:`ketanalysis.stats.severity_shares`, flows from
    :func:`ketanalysis.stats.severity_transitions`; bands are those of the scale registry
    (MADRS: Snaith et al. 1986). The same patients appear at both times (those with an
    endpoint assessment), so n is written once per bar pair. The most severe band is at
    the bottom.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.severity_transitions(out, by="sex")
    >>> [round(float(b.get_height()), 1) for b in ax.containers[0]]  # "normal" band
    [0.0, 15.5, 0.0, 13.6]
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.severity_transitions(out, kind="alluvial")
    >>> plt.close("all")
    """
    checks.check_min_cell_size(min_cell_size)
    checks.check_by(by)
    checks.check_plain_bool(legend, "legend")
    if kind not in _KINDS:
        raise ValueError(f"kind={kind!r} must be one of {_KINDS}")
    shares = _tr.severity_shares(data, scale=scale, endpoint=endpoint, by=by)
    ep = _tr.endpoint_outcomes(data, scale=scale, endpoint=endpoint)
    scale = checks.endpoint_scale(ep, scale)
    bands = list(shares["severity"].cat.categories)
    bc = _band_colors(bands, band_colors)
    gs = grouping.groups(ep, by, labels=labels, colors=colors)
    own = ax is None
    fig, ax = axes.new_axes(ax)
    if kind == "bars":
        cell_n = _stacked_bars(ax, shares, gs, by, bands, bc, min_cell_size)
    else:
        tab = _tr.severity_transitions(data, scale=scale, endpoint=endpoint, by=by)
        _alluvial(ax, tab, shares, gs, by, bands, bc, min_cell_size)
    if legend:
        rng = {b.label: b for b in _scales.get(scale).severity}
        handles = [
            Patch(
                facecolor=bc[b],
                edgecolor="white",
                linewidth=0.3,
                label=f"{b.capitalize()} ({rng[b].low:g}–{rng[b].high:g})",
            )
            for b in bands  # mildest first: top-down, as in the stack
        ]
        ax.legend(
            handles=handles,
            title=f"{annotate.scale_name(scale)} severity",
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=axes.small_font(),
            title_fontsize=axes.small_font(),
            handlelength=1.0,
            handleheight=1.0,
            borderaxespad=0.0,
            alignment="left",
        )
    if own:
        axes.tight(fig, pad=0.6, ignore=None)
    if _crowded_ticks(ax):
        ax.set_xticklabels(
            ["BL" if t.get_text() == "Baseline" else "EP" for t in ax.get_xticklabels()]
        )
        ax.set_xlabel("BL, baseline; EP, endpoint", fontsize=axes.small_font())
        if by is not None:
            ax.xaxis.labelpad = axes.font() * 1.3 + 4
        if own:
            axes.tight(fig, pad=0.6, ignore=None)
    if kind == "bars":
        _segment_texts(ax, cell_n, bc, min_cell_size)
    return ax


def _stacked_bars(ax, shares, gs, by, bands, bc, min_cell_size):
    fs = axes.small_font()
    x, ticklabels, n_row = [], [], []
    for i, g in enumerate(gs):
        for j, time in enumerate(("baseline", "endpoint")):
            x.append(i * 2.5 + j)
            ticklabels.append(time.capitalize())
            part = _rows(shares, by, g, time)
            n_row.append(int(part["total"].iloc[0]))
    x = np.asarray(x, dtype=float)
    bottom = np.zeros(len(x))
    # most severe at the bottom: draw in reverse band order, containers kept mildest first
    containers, cell_n = {}, {}
    for b in reversed(bands):
        cells = [
            _rows(shares, by, g, t).set_index("severity").loc[b]
            for g in gs
            for t in ("baseline", "endpoint")
        ]
        heights = np.array([float(c["percent"]) for c in cells])
        cell_n[b] = [int(c["n"]) for c in cells]
        containers[b] = ax.bar(
            x,
            heights,
            bottom=bottom,
            width=0.8,
            color=bc[b],
            edgecolor="white",
            linewidth=0.3,
            label=b,
            gid=f"band:{b}",
        )
        bottom = bottom + heights
    # ax.containers in band order, mildest first (reorder the list matplotlib keeps)
    ax.containers[:] = [containers[b] for b in bands]
    ax.set_xticks(x, ticklabels)
    ax.tick_params(axis="x", length=0)
    ax.set_xlim(x[0] - 0.6, x[-1] + 0.6)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_locator(MultipleLocator(25))
    ax.set_ylabel("Patients (%)")
    ax.spines["bottom"].set_visible(False)
    # n of each bar on top
    for xi, n in zip(x, n_row, strict=True):
        ax.annotate(
            annotate.count_text(n, min_cell_size),
            xy=(xi, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 4.0),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=fs,
        )
    ax.annotate(
        "n",
        xy=(0, 1.0),
        xycoords="axes fraction",
        xytext=(-3, 4.0),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=fs,
        fontstyle="italic",
    )
    if by is not None:
        for i, g in enumerate(gs):
            _group_label(ax, i * 2.5 + 0.5, g, (i * 2.5 - 0.4, i * 2.5 + 1.4))
    return cell_n


def _group_label(ax, centre, g, span):
    fs = axes.small_font()
    ax.annotate(
        g.label,
        xy=(centre, 0),
        xycoords=("data", "axes fraction"),
        xytext=(0, -fs * 1.25 - 5.5),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=axes.font(),
        annotation_clip=False,
    )
    _group_marker(ax, span, g.color, -0.01)


def _group_marker(ax, span, colour, y: float) -> None:
    """A bar in the group's colour under the x-axis from ``span[0]`` to ``span[1]`` (data)
    at ``y`` (axes fraction)."""
    ax.plot(
        list(span),
        [y, y],
        transform=ax.get_xaxis_transform(),
        color=colour,
        linewidth=1.2 * axes.line_width(),
        solid_capstyle="butt",
        clip_on=False,
        gid="group-marker",
    )


def _segment_texts(ax, cell_n, bc, min_cell_size):
    """Percentages inside the bar segments that are tall and wide enough for them."""
    fig = ax.figure
    renderer = axes.renderer_of(fig)
    fs = axes.small_font()
    for container in ax.containers:
        band = container.get_label()
        colour = "white" if _luminance(bc[band]) < 0.5 else "black"
        for rect, n in zip(container, cell_n[band], strict=True):
            h = rect.get_height()
            if not h > 0:
                continue
            if min_cell_size is not None and 0 < n < min_cell_size:
                continue
            t = ax.text(
                rect.get_x() + rect.get_width() / 2,
                rect.get_y() + h / 2,
                f"{h:.0f}%",
                ha="center",
                va="center",
                fontsize=fs,
                color=colour,
            )
            tb = t.get_window_extent(renderer)
            rb = rect.get_window_extent(renderer)
            if tb.width > rb.width - 1 or tb.height > rb.height - 0.5:
                t.remove()


def _alluvial(ax, tab, shares, gs, by, bands, bc, min_cell_size):
    fs = axes.small_font()
    w = 0.16  # half-width of the blocks is w / 2
    gap = 2.5  # percentage points between bands
    xs, ticklabels = [], []
    order = list(reversed(bands))  # most severe at the bottom
    for i, g in enumerate(gs):
        x0, x1 = i * 2.25, i * 2.25 + 1.0
        xs += [x0, x1]
        ticklabels += ["Baseline", "Endpoint"]
        total = int(_rows(shares, by, g, "baseline")["total"].iloc[0])
        cells = _rows(tab, by, g, None)
        base_n = {b: int(cells.loc[cells["baseline_severity"] == b, "n"].sum()) for b in bands}
        end_n = {b: int(cells.loc[cells["endpoint_severity"] == b, "n"].sum()) for b in bands}
        height = 100 + gap * (len(bands) - 1)
        y_base = _stack(order, base_n, total, gap, height)
        y_end = _stack(order, end_n, total, gap, height)
        # blocks
        for x, ys, ns in ((x0, y_base, base_n), (x1, y_end, end_n)):
            for b in order:
                if ns[b] == 0:
                    continue
                lo, hi = ys[b]
                ax.add_patch(
                    mpl.patches.Rectangle(
                        (x - w / 2, lo),
                        w,
                        hi - lo,
                        facecolor=bc[b],
                        edgecolor="white",
                        linewidth=0.3,
                        gid=f"node:{b}:{i}",
                        zorder=3,
                    )
                )
                side = -1 if x == x0 else 1
                ax.annotate(
                    annotate.count_text(ns[b], min_cell_size),
                    xy=(x + side * w / 2, (lo + hi) / 2),
                    xytext=(side * 1.5, 0),
                    textcoords="offset points",
                    ha="right" if side < 0 else "left",
                    va="center",
                    fontsize=fs,
                    gid="node-count",
                )
        # flows: leave each baseline band in endpoint order, enter each endpoint band in
        # baseline order (both most severe first, i.e. bottom up)
        out_pos = {b: y_base[b][0] for b in bands if base_n[b]}
        in_pos = {b: y_end[b][0] for b in bands if end_n[b]}
        for b0 in order:
            for b1 in order:
                n = int(
                    cells.loc[
                        (cells["baseline_severity"] == b0) & (cells["endpoint_severity"] == b1),
                        "n",
                    ].iloc[0]
                )
                if n == 0:
                    continue
                h = 100.0 * n / total
                ya, yb = out_pos[b0], in_pos[b1]
                out_pos[b0] += h
                in_pos[b1] += h
                ax.add_patch(
                    _flow(x0 + w / 2, x1 - w / 2, ya, yb, h, bc[b0], f"flow:{b0}:{b1}:{i}")
                )
        ax.annotate(
            f"n = {annotate.count_text(total, min_cell_size)}",
            xy=((x0 + x1) / 2, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 4.0),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=fs,
        )
        if by is not None:
            _group_label(ax, (x0 + x1) / 2, g, (x0 - w, x1 + w))
    ax.set_xticks(xs, ticklabels)
    ax.tick_params(axis="x", length=0)
    ax.set_xlim(xs[0] - 0.45, xs[-1] + 0.45)
    ax.set_ylim(0, 100 + gap * (len(bands) - 1))
    ax.set_yticks([])
    for s in ("left", "bottom"):
        ax.spines[s].set_visible(False)


def _stack(order, counts, total, gap, height):
    """Bottom and top of each non-empty band, in percent of the group plus gaps, centred."""
    used = 100.0 + gap * (sum(1 for b in order if counts[b]) - 1)
    out, y = {}, (height - used) / 2
    for b in order:
        if counts[b] == 0:
            continue
        h = 100.0 * counts[b] / total
        out[b] = (y, y + h)
        y += h + gap
    return out


def _flow(xa, xb, ya, yb, h, colour, gid):
    """A band of height ``h`` from (xa, ya) to (xb, yb) with S-shaped (Bezier) edges."""
    mid = (xa + xb) / 2
    verts = [
        (xa, ya),
        (mid, ya),
        (mid, yb),
        (xb, yb),
        (xb, yb + h),
        (mid, yb + h),
        (mid, ya + h),
        (xa, ya + h),
        (xa, ya),
    ]
    codes = [
        Path.MOVETO,
        Path.CURVE4,
        Path.CURVE4,
        Path.CURVE4,
        Path.LINETO,
        Path.CURVE4,
        Path.CURVE4,
        Path.CURVE4,
        Path.CLOSEPOLY,
    ]
    return PathPatch(
        Path(verts, codes), facecolor=colour, alpha=0.55, edgecolor="none", gid=gid, zorder=2
    )


def _band_colors(bands: list[str], given) -> dict:
    if given is None:
        cmap = mpl.colormaps[BAND_CMAP]
        return {
            b: mpl.colors.to_hex(cmap(v))
            for b, v in zip(bands, np.linspace(0.12, 0.92, len(bands)), strict=True)
        }
    if isinstance(given, Mapping):
        return checks.check_colors(given, _band_colors(bands, None), "band_colors")
    given = list(given)
    if len(given) != len(bands):
        raise ValueError(f"band_colors has {len(given)} entries for {len(bands)} bands {bands}")
    bad = [c for c in given if not mpl.colors.is_color_like(c)]
    if bad:
        raise ValueError(f"band_colors: {bad[0]!r} is not a colour")
    return dict(zip(bands, given, strict=True))


def _luminance(colour) -> float:
    r, g, b = mpl.colors.to_rgb(colour)
    return 0.299 * r + 0.587 * g + 0.114 * b


def _rows(frame: pd.DataFrame, by, g, time):
    rows = frame if by is None else frame.loc[(frame[by] == g.level).to_numpy()]
    if time is not None:
        rows = rows.loc[(rows["time"] == time).to_numpy()]
    return rows


def _response_criterion(data) -> float:
    if isinstance(data, Outcomes):
        return float(data.criteria.response.min_reduction)
    return float(Response().min_reduction)


def _remission_threshold(data, scale: str) -> float:
    if isinstance(data, Outcomes):
        par = data.parameters.set_index("scale")
        if scale in par.index:
            return float(par.loc[scale, "remission_threshold"])
    return float(_scales.get(scale).remission_threshold)


def _covers_bars(ax, text, x, heights) -> bool:
    """True when a bar (from 0 to its height) reaches into the box of ``text``."""
    renderer = axes.renderer_of(ax.figure)
    bb = text.get_window_extent(renderer).transformed(ax.transData.inverted())
    under = (x + 0.5 >= bb.x0) & (x - 0.5 <= bb.x1)
    h = heights[under]
    return bool(np.any((np.minimum(h, 0) < bb.y1) & (np.maximum(h, 0) > bb.y0)))


def _clear_legend(ax, leg, x, heights, tries: int = 6) -> None:
    """Raise the top of the y-axis until no bar under the legend reaches into it."""
    renderer = axes.renderer_of(ax.figure)
    for _ in range(tries):
        bb = leg.get_window_extent(renderer).transformed(ax.transData.inverted())
        under = (x + 0.5 >= bb.x0) & (x - 0.5 <= bb.x1)
        if not under.any():
            return
        reach = float(np.max(np.maximum(heights[under], 0)))
        if reach <= bb.y0:
            return
        lo, hi = ax.get_ylim()
        frac = (hi - bb.y0) / (hi - lo)  # share of the axis the legend takes
        new_hi = (reach - lo * frac) / (1 - frac) + 0.02 * (hi - lo)
        ax.set_ylim(lo, np.ceil(new_hi / 5) * 5)


def _crowded_ticks(ax, min_gap_pt: float = 5.0) -> bool:
    """True when neighbouring x tick labels come closer than ``min_gap_pt``."""
    renderer = axes.renderer_of(ax.figure)
    min_gap_px = min_gap_pt * ax.figure.dpi / 72
    boxes = sorted(
        (t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()),
        key=lambda b: b.x0,
    )
    return any(b.x0 - a.x1 < min_gap_px for a, b in zip(boxes, boxes[1:], strict=False))


_ = plt  # pyplot is imported here (a plots module) so figures can be created
