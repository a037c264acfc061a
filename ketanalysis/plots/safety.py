"""Safety and tolerability figures: the CADSS course over sessions and adverse-event
incidence (vital signs within the session are in :mod:`ketanalysis.plots.vital_signs`).

Every number drawn comes from :mod:`ketanalysis.stats`:
:func:`~ketanalysis.stats.vitals_course` (vital signs by time point),
:func:`~ketanalysis.stats.cadss_course` and :func:`~ketanalysis.stats.cadss_trend`
(dissociation over sessions) and :func:`~ketanalysis.stats.ae_incidence` (adverse events);
the threshold lines are the :class:`~ketanalysis.SafetyThresholds` in use. These
functions only draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from .. import stats as _stats
from ..outcomes import Outcomes, SafetyOutcomes
from ..stats.safety import ANY_AE
from . import annotate, axes, checks, grouping
from .style import bundled_font, current_style

__all__ = ["ae_incidence", "cadss_course"]

_EN_DASH = "\u2013"


# ---------------------------------------------------------------------------------------
# CADSS over sessions
# ---------------------------------------------------------------------------------------
@bundled_font()
def cadss_course(
    data,
    *,
    by: str | None = None,
    time: str = "infusion",
    level: float | None = 0.95,
    trend: bool = False,
    max_time: float | None = None,
    n_table: bool = True,
    scale: str | None = None,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax: Axes | None = None,
    min_cell_size: int | None = None,
) -> Axes:
    """Mean peak CADSS per session with confidence intervals over the course of treatment.

    Parameters
    ----------
    data : SafetyOutcomes, Outcomes or DataFrame
        :func:`ketanalysis.derive_safety` output with CADSS (``scores=``), an
        :class:`~ketanalysis.Outcomes` whose input had CADSS rows, a score frame in the
        canonical long format with CADSS rows, or a frame with ``patient_id``, ``cadss``
        and the ``time`` column (see :func:`ketanalysis.stats.cadss_course`).
    by : str, optional
        Grouping column (``"route"``, ``"dose_group"``, ``"arm"``); one line per group.
    time : {"infusion", "session"}, default "infusion"
        Each patient's first, second, ... treatment session, or the session as recorded.
    level : float or None, default 0.95
        Level of the t interval drawn as error bars; ``None`` draws means only.
    trend : bool, default False
        Write the ratio of mean CADSS per session later with its interval
        (:func:`ketanalysis.stats.cadss_trend`, Poisson GEE) in the upper right corner:
        below 1 when dissociation wanes with repeated sessions (tolerance).
    max_time : float, optional
        Fit the trend on sessions with ``time <= max_time`` only (e.g. the induction).
    n_table : bool, default True
        Write the number of sessions with a CADSS per time and group under the x-axis.
    scale : None or "CADSS"
        Only the CADSS is drawn.
    labels, colors : dict or list, optional
        Legend labels and colours of the groups.
    ax : Axes, optional
        Axes to draw in (default: a new figure at the active journal size).
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``.

    Returns
    -------
    Axes

    Notes
    -----
    Means, counts and t intervals are :func:`ketanalysis.stats.cadss_course`; the trend
    is ``exp(b1)`` of ``log E[CADSS] = b0 + b1 * time`` with robust standard errors
    (:func:`ketanalysis.stats.cadss_trend`). CADSS: Bremner JD et al. J Trauma Stress
    1998;11:125-136. Groups are shifted sideways by a few points; the data keep their x.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.cadss_course(out, by="route", trend=True, max_time=6)
    >>> ax.get_xlabel()
    'Infusion'
    >>> plt.close("all")
    """
    checks.check_options(labels, colors, ax, min_cell_size)
    if scale is not None and scale != "CADSS":
        raise ValueError(f"scale={scale!r}: cadss_course draws the CADSS only")
    level = checks.check_level(level)
    checks.check_bool(n_table, "n_table")
    checks.check_bool(trend, "trend")
    if by is not None and not isinstance(by, str):
        raise TypeError(f"by={by!r} must name one column or be None")
    if not isinstance(time, str) or time not in ("infusion", "session"):
        raise ValueError(f"time={time!r} must be 'infusion' or 'session'")
    if isinstance(data, Outcomes):
        data = data.validation.frame
    elif not isinstance(data, (SafetyOutcomes, pd.DataFrame)):
        raise TypeError(
            "data must be a SafetyOutcomes from derive_safety, an Outcomes or a DataFrame, "
            f"not {type(data).__name__}"
        )
    tab = _stats.cadss_course(data, by=by, time=time, level=level or 0.95)
    tab = annotate.hide_small(
        tab, min_cell_size, ("mean", "sd", "se", "ci_low", "ci_high", "median", "q1", "q3")
    )
    grp = grouping.groups(tab, by, labels=labels, colors=colors)
    points = sorted(pd.unique(tab[time]))
    pos = np.asarray(points, dtype=float)

    created = ax is None
    fig, ax = axes.new_axes(ax)
    for g in grp:
        part = grouping.subset(tab, by, g)
        xs = part[time].to_numpy(dtype=float)
        axes.interval_plot(
            ax,
            axes.dodge(ax, g.index, len(grp)),
            xs,
            part["mean"].to_numpy(dtype=float),
            part["ci_low"],
            part["ci_high"],
            color=g.color,
            ci={"label": f"_ci {g.label}", "gid": f"ci:{g.index}"} if level is not None else None,
            marker=g.marker,
            linestyle=g.linestyle,
            label=g.label,
            gid=f"mean:{g.index}",
            zorder=3,
        )
    ax.set_ylabel(f"Peak {annotate.scale_name('CADSS')} total score")
    ax.set_xlim(pos[0] - 0.5, pos[-1] + 0.5)
    ax.set_xticks(pos)
    ax.set_xticklabels([annotate.number_text(p) for p in points])
    ax.tick_params(axis="x", which="minor", bottom=False)
    ax.set_xlabel("Infusion" if time == "infusion" else "Session")
    ax.autoscale_view(scalex=False)
    lo, hi = ax.get_ylim()
    ax.set_ylim(min(lo, 0.0) if lo > -0.5 else lo, hi)
    if trend:
        fit = _stats.cadss_trend(data, by=by, time=time, max_time=max_time, level=level or 0.95)
        block = _trend_text(ax, fit, by, grp, time, level or 0.95, max_time)
    axes.freeze_ticks(fig)
    if created:
        axes.tight(fig)
    if by is not None:
        annotate.legend_above(
            ax, [grouping.handle(g, label=g.label) for g in grp], ncols=(len(grp), 2, 1)
        )
    if n_table:
        annotate.group_count_table(ax, tab, by, grp, time, points, pos, min_cell_size)
    axes.finish(fig, ax, created)
    if trend:
        _place_block(ax, block)
        axes.freeze_ticks(fig)
    return ax


def _trend_text(ax, fit: pd.DataFrame, by, grp, time, level, max_time) -> list:
    """The trend per group as a block of texts (placed later by :func:`_place_block`)."""
    fs = axes.small_font()
    word = "infusion" if time == "infusion" else "session"
    span = f", {word}s \u2264 {annotate.number_text(max_time)}" if max_time is not None else ""
    head = f"Ratio per {word} ({level * 100:g}% CI{span})"
    lines = [(head, "black", "trend_header")]
    for g in grp:
        row = fit if by is None else fit[fit[by] == g.level]
        if row.empty:
            continue
        r = row.iloc[0]
        est = f"{r['estimate']:.2f} ({r['ci_low']:.2f}{_EN_DASH}{r['ci_high']:.2f})"
        text = est if by is None else f"{g.label}: {est}"
        lines.append((text, g.color, f"trend:{g.index}"))
    texts = []
    for text, color, gid in lines:
        t = ax.annotate(
            text,
            xy=(1.0, 1.0),
            xycoords="axes fraction",
            xytext=(-2.0, -2.0),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=fs,
            color=color,
            gid=gid,
        )
        t.set_in_layout(False)  # placed inside the axes after the layout
        texts.append(t)
    return texts


_CORNERS = {  # corner: (x, y in axes fraction, ha, va)
    "upper right": (1.0, 1.0, "right", "top"),
    "lower left": (0.0, 0.0, "left", "bottom"),
    "upper left": (0.0, 1.0, "left", "top"),
    "lower right": (1.0, 0.0, "right", "bottom"),
}


def _place_block(ax, texts, prefer=("upper right", "lower left", "upper left", "lower right")):
    """Put a block of texts in the first corner where it covers no data, else above the data.

    The texts are stacked one line apart; when every corner covers data, the y-axis is
    extended upwards and the block goes in the upper right corner, above the data.
    """
    if not texts:
        return
    fig = ax.figure
    step = axes.small_font() * 1.25
    pad = 2.0

    def put(corner):
        x, y, ha, va = _CORNERS[corner]
        n = len(texts)
        for i, t in enumerate(texts):
            k = i if va == "top" else n - 1 - i
            dy = -(pad + k * step) if va == "top" else pad + k * step
            t.xy = (x, y)
            t.xyann = ((-pad if ha == "right" else pad), dy)
            t.set_ha(ha)
            t.set_va(va)

    def box():
        renderer = axes.renderer_of(fig)
        boxes = [t.get_window_extent(renderer) for t in texts]
        from matplotlib.transforms import Bbox

        return Bbox.union(boxes).padded(1.5)

    paths = _data_paths(ax)
    for corner in prefer:
        put(corner)
        axes.draw_figure(fig)
        b = box()
        if not any(p.intersects_bbox(b, filled=False) for p in paths):
            return
    put("upper right")
    axes.draw_figure(fig)
    for _ in range(4):  # extend the axis until the block clears the data
        b = box()
        if not any(p.intersects_bbox(b, filled=False) for p in _data_paths(ax)):
            return
        lo, hi = ax.get_ylim()
        frac = min((b.height + 2 * pad) / ax.bbox.height, 0.6)
        ax.set_ylim(lo, hi + frac * (hi - lo) / (1 - frac))
        axes.draw_figure(fig)


def _data_paths(ax) -> list:
    """Display-space paths of the lines, markers and interval segments of ``ax``."""
    from matplotlib.path import Path

    out = []
    for line in ax.get_lines():
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) > 1 and line.get_linestyle() not in ("None", "none", "", " "):
            out.append(Path(xy))
        r = line.get_markersize() / 2 * ax.figure.dpi / 72
        for px, py in xy:  # markers as small squares
            out.append(
                Path(
                    [
                        (px - r, py - r),
                        (px + r, py - r),
                        (px + r, py + r),
                        (px - r, py + r),
                        (px - r, py - r),
                    ]
                )
            )
    for coll in ax.collections:
        trans = coll.get_transform()
        for p in coll.get_paths():
            v = trans.transform(p.vertices)
            if len(v) and np.isfinite(v).all():
                out.append(Path(v))
    return out


# ---------------------------------------------------------------------------------------
# adverse events
# ---------------------------------------------------------------------------------------
@bundled_font()
def ae_incidence(
    data,
    *,
    unit: str = "patient",
    by: str | None = None,
    top: int | None = 10,
    adverse_events: pd.DataFrame | None = None,
    min_severity: str | None = None,
    serious: bool = False,
    level: float = 0.95,
    counts: bool = True,
    scale: str | None = None,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax: Axes | None = None,
    min_cell_size: int | None = None,
) -> Axes:
    """Dot plot of adverse-event incidence per term with Wilson intervals.

    Parameters
    ----------
    data : SafetyOutcomes or DataFrame
        :func:`ketanalysis.derive_safety` output with adverse events, or a sessions
        frame (one row per patient x session treated) with the events in
        ``adverse_events`` (see :func:`ketanalysis.stats.ae_incidence`).
    unit : {"patient", "session"}, default "patient"
        Incidence among patients (at least one event at any session) or among sessions.
    by : str, optional
        Grouping column of the sessions (``"route"``, ``"dose_group"``, ``"arm"``):
        one marker per group on each row, shifted up and down.
    top : int or None, default 10
        Draw the ``top`` most frequent terms (by incidence in all patients together)
        after the row of any adverse event; ``None`` draws every term.
    adverse_events : DataFrame, optional
        The events when ``data`` is a sessions frame.
    min_severity : {"mild", "moderate", "severe"}, optional
        Count only events at least this severe.
    serious : bool, default False
        Count only serious events.
    level : float, default 0.95
        Level of the Wilson score interval.
    counts : bool, default True
        Write ``k/n`` of each row (and group) right of the plot.
    scale : None
        Adverse events have no rating scale; only ``None`` is accepted.
    labels, colors : dict or list, optional
        Legend labels and colours of the groups.
    ax : Axes, optional
        Axes to draw in (the counts are written right of it; leave room). By default a new
        figure at the active journal width, tall enough for the rows.
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"`` (both k and n).

    Returns
    -------
    Axes

    Notes
    -----
    Incidence ``k / n`` with Wilson score intervals (Wilson EB. J Am Stat Assoc
    1927;22:209-212) from :func:`ketanalysis.stats.ae_incidence`: per patient, the
    share of patients with the event at any session among those treated (in a group,
    among those treated in it), as in the safety tables of the esketamine phase 3 trials.
    Rows are the row of any adverse event, then the terms from most to least frequent in
    all patients together (:func:`~ketanalysis.stats.ae_incidence` without ``by``), ties
    in alphabetical order.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> from ketanalysis import derive_safety, read_adverse_events, read_vitals
    >>> safety = derive_safety(read_vitals("data/sample/vitals.csv"),
    ...                        read_adverse_events("data/sample/adverse_events.csv"))
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.ae_incidence(safety, by="route")
    >>> [t.get_text() for t in ax.get_yticklabels()][:2]
    ['Any adverse event', 'Dizziness']
    >>> plt.close("all")
    """
    checks.check_options(labels, colors, ax, min_cell_size)
    checks.check_no_scale(scale)
    checks.check_bool(counts, "counts")
    if level is None:
        raise ValueError(
            "level=None: the incidence plot always draws intervals; give a level such as 0.95"
        )
    level = checks.check_level(level)
    if by is not None and not isinstance(by, str):
        raise TypeError(f"by={by!r} must name one column or be None")
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer))):
        raise TypeError(f"top={top!r} must be a positive integer or None")
    if top is not None and top < 1:
        raise ValueError(f"top={top!r} must be a positive integer or None")
    if isinstance(data, SafetyOutcomes) and adverse_events is None and "n_ae" not in data.sessions:
        raise ValueError("data has no adverse-event data: derive_safety(..., adverse_events=...)")
    opts = {
        "unit": unit,
        "adverse_events": adverse_events,
        "min_severity": min_severity,
        "serious": serious,
        "level": level,
    }
    overall = _stats.ae_incidence(data, **opts)
    tab = _stats.ae_incidence(data, by=by, **opts) if by is not None else overall
    hidden_k = np.zeros(len(tab), dtype=bool)
    if min_cell_size is not None:  # a small k or n - k: no rate, interval or k drawn
        k_, n_ = tab["k"].to_numpy(dtype=float), tab["n"].to_numpy(dtype=float)
        hidden_k = ((k_ > 0) & (k_ < min_cell_size)) | ((n_ - k_ > 0) & (n_ - k_ < min_cell_size))
        tab = tab.copy()
        tab.loc[hidden_k, ["rate", "ci_low", "ci_high"]] = np.nan
    tab = tab.assign(_hidden_k=hidden_k)
    terms = overall[overall["ae_term"] != ANY_AE]
    terms = terms.sort_values(["rate", "ae_term"], ascending=[False, True], kind="stable")
    order = [ANY_AE, *terms["ae_term"].tolist()[: top if top is not None else None]]
    grp = grouping.groups(tab, by, labels=labels, colors=colors)
    if by is None and colors is None:  # one group: black unless a colour is given
        grp = [grouping.Group(None, grp[0].label, "black", "o", "-", 0)]

    created = ax is None
    fig, ax = axes.new_axes(ax, height_ratio=_height_ratio(len(order), len(grp)))
    lw = float(plt.rcParams["lines.linewidth"])
    rowpos = {t: float(i) for i, t in enumerate(order)}
    for g in grp:
        part = grouping.subset(tab, by, g)
        part = part[part["ae_term"].isin(order)].copy()
        part["_y"] = part["ae_term"].map(rowpos)
        part = part.sort_values("_y", kind="stable")
        ys = part["_y"].to_numpy(dtype=float)
        trans = axes.dodge(ax, g.index, len(grp), vertical=True)
        ci_lines = ax.hlines(
            ys,
            100.0 * part["ci_low"].to_numpy(dtype=float),
            100.0 * part["ci_high"].to_numpy(dtype=float),
            colors=g.color,
            linewidth=0.8 * lw,
            zorder=2,
            gid=f"ci:{g.index}",
            clip_on=False,
        )
        ci_lines.set_transform(trans)
        (dots,) = ax.plot(
            100.0 * part["rate"].to_numpy(dtype=float),
            ys,
            linestyle="none",
            marker=g.marker,
            color=g.color,
            markeredgewidth=0.0,
            markersize=3.0,
            label=g.label,
            gid=f"rate:{g.index}",
            zorder=3,
            clip_on=False,
        )
        dots.set_transform(trans)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_yticks(np.arange(len(order), dtype=float))
    ax.set_yticklabels([_term_label(t) for t in order])
    ax.get_yticklabels()[0].set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlim(0.0, _upper(tab[tab["ae_term"].isin(order)]["ci_high"]))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    counted = "Patients" if unit == "patient" else "Sessions"
    ax.set_xlabel(f"{counted} with the event (%)")
    ax.grid(axis="x", color="#E0E0E0", linewidth=0.4, zorder=0)
    ax.set_axisbelow(True)
    ax.axhline(
        0.5, color=axes.LIMIT_COLOR, linewidth=axes.thin_linewidth(), zorder=1, gid="separator"
    )

    fs = axes.small_font()
    count_texts = []
    if counts:
        for gi, g in enumerate(grp):
            part = grouping.subset(tab, by, g).set_index("ae_term")
            for t in order:
                k, n = part.loc[t, "k"], part.loc[t, "n"]
                k_text = annotate.count_text(k, min_cell_size)
                if part.loc[t, "_hidden_k"] and not k_text.startswith("<"):
                    k_text = "*"  # n - k is small: k would reveal it
                text = f"{k_text}/{annotate.count_text(n, min_cell_size)}"
                count_texts.append(
                    (
                        gi,
                        ax.annotate(
                            text,
                            xy=(1.0, rowpos[t]),
                            xycoords=("axes fraction", "data"),
                            xytext=(0.0, 0.0),
                            textcoords="offset points",
                            ha="right",
                            va="center",
                            fontsize=fs,
                            color=g.color,
                            annotation_clip=False,
                            gid=f"count:{g.index}:{t}",
                        ),
                    )
                )
        header = ax.annotate(
            "k/n",
            xy=(1.0, -0.5),
            xycoords=("axes fraction", "data"),
            xytext=(0.0, 1.0),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=fs,
            fontweight="bold",
            annotation_clip=False,
            gid="count_header",
        )
        _place_counts(ax, count_texts, header, len(grp))
    axes.freeze_ticks(fig)
    if created:
        axes.tight(fig)
    if by is not None:
        annotate.legend_above(
            ax,
            [grouping.handle(g, linestyle="none", label=g.label) for g in grp],
            ncols=(len(grp), 2, 1),
        )
        if created:
            axes.tight(fig)
    if created:
        axes.tight(fig)
    return ax


def _upper(ci_high: pd.Series) -> float:
    """Right end of the % axis: the highest interval, rounded up (10 % steps; 5 below 20)."""
    hi = float(np.nanmax(ci_high.to_numpy(dtype=float), initial=0.0)) * 100.0 * 1.03
    step = 10.0 if hi > 20 else 5.0
    return float(min(100.0, max(step, np.ceil(hi / step) * step)))


def _term_label(term: str) -> str:
    text = str(term)
    return text[:1].upper() + text[1:]


def _height_ratio(n_rows: int, n_groups: int) -> float:
    style, w, _ = current_style()
    fs = axes.small_font()
    row_pt = fs * (1.7 + 0.75 * max(n_groups - 1, 0))
    extra_in = 0.45 + (0.25 if n_groups > 1 else 0.0)
    need_in = n_rows * row_pt / 72 + extra_in
    return min(need_in, style.max_height_in) / w


def _place_counts(ax, count_texts, header, n_groups) -> None:
    """Columns of k/n right of the axes, one per group, right-aligned."""
    fig = ax.figure
    renderer = axes.renderer_of(fig)
    gap = 4.0
    widths = [0.0] * n_groups
    for gi, t in count_texts:
        widths[gi] = max(widths[gi], t.get_window_extent(renderer).width * 72.0 / fig.dpi)
    right = []
    x = gap
    for w in widths:
        x += w
        right.append(x)
        x += gap
    for gi, t in count_texts:
        t.xyann = (right[gi], 0.0)
    header.xyann = (right[-1], 1.0)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
