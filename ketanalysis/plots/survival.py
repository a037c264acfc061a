"""Kaplan-Meier figure: time to response, remission or relapse with a number-at-risk table.

Every number drawn comes from :func:`ketanalysis.stats.kaplan_meier` (curves, confidence
bands, censoring times, medians, numbers at risk) and :func:`ketanalysis.stats.logrank`
(the p value).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import stats as _stats
from ..outcomes import Outcomes
from . import annotate, axes, checks, grouping
from .style import bundled_font, current_style

__all__ = ["kaplan_meier"]

_ENTRY = {
    "response": "response",
    "remission": "remission",
    "stable_remission": "stable remission",
    "stable_response": "stable response",
}
_UNITS = {"days": "Days", "sessions": "Sessions"}
# Legend corners in order of preference: rising curves leave the lower right empty,
# falling ones the lower left.
_CUMULATIVE_CORNERS = ("lower right", "upper left", "center right", "upper right", "lower left")
_SURVIVAL_CORNERS = ("lower left", "upper right", "lower right", "center left", "upper left")


@bundled_font()
def kaplan_meier(
    data,
    *,
    event: str = "relapse",
    scale: str | None = None,
    by: str | None = None,
    labels=None,
    colors=None,
    ax=None,
    min_cell_size: int | None = None,
    ci: bool | None = None,
    at_risk: bool = True,
    logrank: bool = True,
    median: bool = True,
    cumulative: bool | None = None,
    times=None,
    max_time: float | str | None = "auto",
    level: float = 0.95,
    legend: bool = True,
):
    """Kaplan-Meier curves of the time to response, remission or relapse.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` from :func:`ketanalysis.derive` (its
        ``patients``), or a DataFrame shaped like ``patients`` with ``time_to_<event>`` and
        ``<event>_event``.
    event : {"response", "remission", "relapse"}, default "relapse"
        The event. Relapse curves include only the patients at risk of relapse.
    scale : str, optional
        The outcome scale (default: the primary scale of ``data``).
    by : str, optional
        Column of ``patients`` splitting the curves (e.g. ``"arm"``, ``"route"``).
    labels, colors : dict or list, optional
        Legend label and colour of each level of ``by`` (a dict by level, or a list in
        level order).
    ax : matplotlib Axes, optional
        Draw here; by default a new figure at the active :func:`~ketanalysis.plots.
        publication` size, laid out so that the risk table and labels fit.
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` (numbers at risk, group sizes) are shown as
        ``"<k"``.
    ci : bool, optional
        Shade the pointwise confidence bands (default: with one or two curves; more
        bands would hide each other).
    at_risk : bool, default True
        Numbers at risk under the x-axis at the tick positions.
    logrank : bool, default True
        With two or more groups, give the log-rank p value in the legend title.
    median : bool, default True
        Dashed lines to the median time of each group where the curve reaches 50 %, and
        the median in the legend.
    cumulative : bool, optional
        Draw 1 - S(t), the cumulative share of patients with the event. Default: True for
        response and remission (curves rise), False for relapse (relapse-free share).
    times : sequence of float, optional
        x ticks and risk-table times (default: about six round numbers up to the last
        time).
    max_time : float, "auto" or None, default "auto"
        Right end of the x-axis. ``"auto"``: the last time at which at least 10 % of the
        patients (all groups together) are still at risk, as Pocock et al. recommend
        (curves become unreliable when few remain); None: the last follow-up time.
    level : float, default 0.95
        Level of the confidence band and of the medians' intervals.
    legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Curves are right-continuous steps of ``KaplanMeierResult.table`` starting at
    (0, 1); the band is the log-transformed pointwise interval (R ``survfit``'s
    default). Censored patients are marked ``|`` on the curve at their censoring times
    (times with ``n_censored > 0``). The risk table shows
    ``KaplanMeierResult.at_risk(ticks)["n_at_risk"]`` (patients with time >= t) at
    exactly the x tick positions. Medians are ``KaplanMeierResult.median`` (as R
    ``quantile.survfit``); the p value is :func:`ketanalysis.stats.logrank`. Time to
    relapse runs from the relapse entry (the first assessment in response, or remission,
    as the criteria say) or from the relapse anchor session, which the x label names.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.kaplan_meier(out, event="response", by="route")
    >>> ax.get_xlabel()
    'Days since first infusion'
    >>> ax.get_ylabel()
    'Patients with MADRS response (%)'
    >>> plt.close("all")
    """
    checks.check_min_cell_size(min_cell_size)
    for name, value in (
        ("at_risk", at_risk),
        ("logrank", logrank),
        ("median", median),
        ("legend", legend),
    ):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if ci is not None and not isinstance(ci, bool):
        raise TypeError(f"ci must be True, False or None, got {ci!r}")
    if cumulative is None:
        cumulative = event != "relapse"
    elif not isinstance(cumulative, bool):
        raise TypeError(f"cumulative must be True, False or None, got {cumulative!r}")
    if by is not None and not isinstance(by, str):
        raise ValueError(f"by must name one column, got {by!r}")
    if not isinstance(data, (Outcomes, pd.DataFrame)):
        raise TypeError(
            f"data must be an Outcomes from ka.derive or a DataFrame, not {type(data).__name__}"
        )
    km = _stats.kaplan_meier(data, event=event, by=by, scale=scale, level=level)
    grp = grouping.groups(km.groups, by, labels=labels, colors=colors)
    if ci is None:
        ci = len(grp) <= 2
    xmax = _max_time(km, max_time)
    ticks = _ticks(km, times, xmax)
    xmax = max(xmax, float(ticks[-1]), 1e-9)

    own = ax is None
    fig, ax = axes.new_axes(ax)
    lw = float(axes.pyplot().rcParams["lines.linewidth"])
    medians = km.median
    unit = {"days": " days", "sessions": " sessions"}.get(km.time_unit, "")
    handles = []
    for g, (_, part) in zip(grp, _parts(km, grp, by), strict=True):
        t = part["time"].to_numpy(dtype=float)
        s = part["survival"].to_numpy(dtype=float)
        x = np.r_[0.0, t]
        y = _y(np.r_[1.0, s], cumulative)
        n = int(_row(km.groups, by, g.level)["n"])
        label = f"{g.label} (n = {annotate.count_text(n, min_cell_size)}"
        if median:
            m = float(_row(medians, by, g.level)["estimate"])
            label += (
                f"; median {_fmt_time(m)}{unit})" if np.isfinite(m) else "; median not reached)"
            )
        else:
            label += ")"
        (line,) = ax.plot(
            x,
            y,
            drawstyle="steps-post",
            color=g.color,
            linestyle=g.linestyle,
            label=label,
            zorder=3,
        )
        line.set_gid(f"curve:{g.index}")
        handles.append(line)
        if ci:
            lo = np.r_[1.0, part["ci_low"].to_numpy(dtype=float)]
            hi = np.r_[1.0, part["ci_high"].to_numpy(dtype=float)]
            y0, y1 = (_y(hi, True), _y(lo, True)) if cumulative else (lo, hi)
            band = ax.fill_between(
                x, y0, y1, step="post", color=g.color, alpha=0.15, linewidth=0, zorder=1
            )
            band.set_gid(f"ci:{g.index}")
        cens = part["n_censored"].to_numpy() > 0
        if cens.any():
            (mk,) = ax.plot(
                t[cens],
                _y(s[cens], cumulative),
                linestyle="none",
                marker="|",
                markersize=3.0,
                markeredgewidth=max(0.5, 0.6 * lw),
                color=g.color,
                zorder=4,
            )
            mk.set_gid(f"censored:{g.index}")
        if median:
            m = float(_row(medians, by, g.level)["estimate"])
            if np.isfinite(m):
                (ml,) = ax.plot(
                    [0.0, m, m],
                    [0.5, 0.5, 0.0],
                    color=g.color,
                    linestyle=(0, (2.5, 1.5)),
                    linewidth=0.6 * lw,
                    zorder=2,
                )
                ml.set_gid(f"median:{g.index}")

    ax.set_xlim(0.0 if not at_risk else -0.03 * xmax, xmax * 1.02)
    ax.set_ylim(0.0, 1.02)
    ax.set_xticks(ticks)
    ax.set_xticklabels([_fmt_time(t) for t in ticks])
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.set_yticklabels(["0", "25", "50", "75", "100"])
    ax.set_ylabel(_y_label(km, event, cumulative), fontsize=axes.font())
    ax.set_xlabel(_x_label(data, km, event), fontsize=axes.font())

    if at_risk:
        table = km.at_risk(ticks)
        rows = []
        for g in grp:
            sub = table if by is None else table.loc[_match(table[by], g.level)]
            counts = sub["n_at_risk"].to_numpy()
            rows.append((g.label if by is not None else "", list(counts), g.color))
        annotate.count_table(
            ax, list(ticks), rows, title="No. at risk", min_cell_size=min_cell_size
        )

    if own:
        axes.tight(fig, ignore=UserWarning)
        if at_risk:
            _pad_left(ax, xmax, min_cell_size)
    title = None
    if logrank and by is not None and len(grp) >= 2:
        p = float(_stats.logrank(data, event=event, by=by, scale=scale)["p_value"].iloc[0])
        title = "Log-rank " + annotate.format_p(p)
    if legend:
        prefer = _CUMULATIVE_CORNERS if cumulative else _SURVIVAL_CORNERS
        place_legend(ax, handles, title=title, prefer=prefer, layout=own)
    if own:
        axes.tight(fig, ignore=UserWarning)
        if axes.fit_ylabel(ax):
            axes.tight(fig, ignore=UserWarning)
    return ax


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _y(values: np.ndarray, cumulative: bool) -> np.ndarray:
    return 1.0 - values if cumulative else values


def _match(col: pd.Series, level) -> np.ndarray:
    return (col == level).to_numpy()


def _row(frame: pd.DataFrame, by, level) -> pd.Series:
    if by is None:
        return frame.iloc[0]
    return frame.loc[_match(frame[by], level)].iloc[0]


def _parts(km, grp, by):
    tab = km.table
    for g in grp:
        yield g, (tab if by is None else tab.loc[_match(tab[by], g.level)])


def _fmt_time(t: float) -> str:
    return f"{t:g}" if abs(t - round(t)) > 1e-9 else str(int(round(t)))


def _max_time(km, max_time) -> float:
    last = float(km.groups["max_time"].max())
    if max_time is None:
        return last
    if isinstance(max_time, str):
        if max_time != "auto":
            raise ValueError(f"max_time must be a number, 'auto' or None, got {max_time!r}")
        # pooled numbers at risk at every time of the table
        times = np.unique(km.table["time"].to_numpy(dtype=float))
        ar = km.at_risk(times).groupby("time", sort=True)["n_at_risk"].sum()
        enough = ar.index.to_numpy()[ar.to_numpy() >= 0.1 * km.groups["n"].sum()]
        return float(enough.max()) if len(enough) else last
    if not isinstance(max_time, (int, float, np.number)) or isinstance(max_time, bool):
        raise TypeError(f"max_time must be a number, 'auto' or None, got {max_time!r}")
    if not max_time > 0:
        raise ValueError(f"max_time must be positive, got {max_time!r}")
    return float(max_time)


def _ticks(km, times, hi: float) -> np.ndarray:
    if times is not None:
        try:
            t = np.asarray(times, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"times must be numbers, got {times!r}") from None
        if t.ndim != 1 or len(t) == 0 or np.isnan(t).any() or np.any(t < 0):
            raise ValueError(f"times must be non-negative numbers, got {times!r}")
        if np.any(np.diff(t) <= 0):
            raise ValueError(f"times must increase, got {times!r}")
        return t
    from matplotlib.ticker import MaxNLocator

    _, w, _ = current_style()
    nbins = int(np.clip(w * 25.4 / 14, 4, 8))
    if km.time_unit == "days":
        for step in (7.0, 14.0):  # weeks while they fit
            if 2 <= hi / step <= nbins + 0.5:
                return np.arange(0.0, hi + 1e-9, step)
    loc = MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 3, 5, 6, 10], integer=True)
    t = loc.tick_values(0.0, max(hi, 1.0))
    return t[(t >= 0) & (t <= hi * 1.02 + 1e-9)]


def _y_label(km, event, cumulative) -> str:
    name = annotate.scale_name(km.scale) + " " if km.scale else ""
    if cumulative:
        return f"Patients with {name}{event} (%)"
    return f"Patients free of {name}{event} (%)"


def _x_label(data, km, event) -> str:
    unit = _UNITS.get(km.time_unit, "Time")
    if event != "relapse":
        if km.time_unit == "sessions":
            return "Sessions since baseline"
        return (
            annotate.TIME_LABELS["days"] if km.time_unit == "days" else "Time since first infusion"
        )
    if isinstance(data, Outcomes):
        rl = data.criteria.relapse
        if rl.anchor is not None:
            return f"{unit} since session {_fmt_time(float(rl.anchor))}"
        return f"{unit} since {_ENTRY.get(rl.entry, rl.entry)}"
    return f"{unit} since response or remission (relapse entry)"


def _pad_left(ax, xmax: float, min_cell_size) -> None:
    """Leave room left of x = 0 for the first column of the risk table (half its width)."""
    fig = ax.figure
    width_pt = ax.get_position().width * fig.get_figwidth() * 72.0
    digits = max(3, len(f"<{min_cell_size}") if min_cell_size else 3)
    need_pt = 0.6 * axes.small_font() * digits / 2 + 4.0  # half a count plus the label gap
    frac = min(need_pt / max(width_pt, 1.0), 0.2)
    right = xmax * 1.02
    ax.set_xlim(-frac * right / (1 - frac), right)


def place_legend(ax, handles, *, title=None, prefer=("upper right",), layout=True, **kw):
    """A legend in the first preferred corner where it covers no drawn data, else above.

    Data are the lines (their drawn steps), markers and filled bands of ``ax``. When no
    corner is free the legend goes above the axes, outside the data.
    """
    fs = axes.small_font()
    opts = {
        "fontsize": fs,
        "title_fontsize": fs,
        "alignment": "left",
        "handlelength": 2.2,
        "borderaxespad": 0.3,
        "borderpad": 0.2,
        "labelspacing": 0.3,
    }
    opts.update(kw)
    fig = ax.figure
    if layout:
        axes.tight(fig, ignore=UserWarning)
    renderer = axes.renderer_of(fig)
    paths = _data_paths(ax)
    for loc in prefer:
        leg = ax.legend(handles=handles, title=title, loc=loc, **opts)
        box = leg.get_window_extent(renderer).padded(2.0)
        if not any(p.intersects_bbox(box, filled=f) for p, f in paths):
            leg.set_zorder(5)
            return leg
        leg.remove()
    return annotate.legend_above(ax, handles, title=title, ncols=(len(handles), 1), **opts)


def _data_paths(ax):
    """(display-space path, filled) of every line, marker set and band of ``ax``."""
    from matplotlib.cbook import pts_to_poststep
    from matplotlib.path import Path

    out = []
    for line in ax.get_lines():
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        if line.get_drawstyle() == "steps-post" and len(x) > 1:
            x, y = pts_to_poststep(x, y)
        xy = ax.transData.transform(np.column_stack([x, y]))
        xy = xy[np.isfinite(xy).all(axis=1)]
        if not len(xy):
            continue
        if line.get_linestyle() in ("None", "none", "", " "):
            for p in xy:  # markers: small squares
                r = line.get_markersize() / 2 * ax.figure.dpi / 72
                out.append((Path.unit_rectangle().transformed(_box(p, r)), True))
        else:
            out.append((Path(xy), False))
    for coll in ax.collections:
        for p in coll.get_paths():
            tp = p.transformed(ax.transData)
            if len(tp.vertices) and np.isfinite(tp.vertices).all():
                out.append((tp, True))
    return out


def _box(center, r):
    from matplotlib.transforms import Affine2D

    return Affine2D().scale(2 * r).translate(center[0] - r, center[1] - r)
