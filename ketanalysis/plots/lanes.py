"""Swimmer plot: one lane per patient with sessions, response, remission and relapse.

Lanes, sessions and events are read from the derived frames (``Outcomes.assessments`` for
the assessment times and phases, ``Outcomes.patients`` for ``first_response_day``,
``first_remission_day`` and ``relapse_day``); nothing is estimated. Lanes are numbered,
never labelled with patient identifiers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..outcomes import Outcomes
from . import annotate, axes, checks, grouping
from .style import OKABE_ITO, bundled_font, current_style

__all__ = ["swimmer"]

SORTS = ("duration", "response", "none")
#: Event markers: (patients column stem, legend label, marker, colour).
EVENTS = (
    ("first_response", "Response", "^", OKABE_ITO["bluish_green"]),
    ("first_remission", "Remission", "D", OKABE_ITO["reddish_purple"]),
    ("relapse", "Relapse", "X", OKABE_ITO["vermillion"]),
)
_LANE_GREY = "#8C8C8C"
_MAINTENANCE_ALPHA = 0.35
#: Without a ``phase`` column, maintenance starts at this session (simulate_cohort: baseline,
#: six infusions and a post-induction visit are sessions 0-7; monthly visits follow).
MAINTENANCE_SESSION = 8


@bundled_font()
def swimmer(
    data,
    *,
    scale: str | None = None,
    by: str | None = None,
    labels=None,
    colors=None,
    ax=None,
    min_cell_size: int | None = None,
    max_patients: int = 60,
    sort: str = "duration",
    seed: int = 0,
    x: str | None = None,
    maintenance="auto",
    compress: bool = True,
    legend: bool = True,
):
    """Swimmer plot of follow-up, sessions and outcome events per patient.

    Parameters
    ----------
    data : Outcomes
        From :func:`ketanalysis.derive` (both frames are used).
    scale : str, optional
        The outcome scale (default: the primary scale).
    by : str, optional
        Column of ``patients`` (e.g. ``"arm"``): lanes are grouped by it and coloured.
    labels, colors : dict or list, optional
        Legend label and colour of each level of ``by``.
    ax : matplotlib Axes, optional
        Draw here; by default a new figure at the active publication size.
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` in the labels become ``"<k"``.
    max_patients : int, default 60
        With more patients, a random sample of this many (drawn with ``seed``) is shown
        and the y label says so.
    sort : {"duration", "response", "none"}, default "duration"
        Lane order from the top: longest follow-up first; earliest response first
        (non-responders after, by follow-up); or the order of ``patients``. With ``by``,
        within each group.
    seed : int, default 0
        Seed of the sample (``numpy.random.default_rng``).
    x : {"day", "session"}, optional
        Time axis: days since the first infusion (default when the data have days) or the
        session number.
    maintenance : "auto", float or None, default "auto"
        Which part of each lane is the maintenance phase, drawn lighter: ``"auto"`` uses
        the ``phase`` column of ``assessments`` (values containing "maint") and else
        sessions from 8 on; a number is the first maintenance session; None draws no
        phases.
    compress : bool, default True
        On a day axis, give induction 40 % of the width and compress maintenance
        linearly, with a break mark on the axis (induction sessions are days apart,
        maintenance visits a month).
    legend : bool, default True

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    A lane runs from the patient's first to last assessment of ``scale``; a tick marks
    each assessment. Markers: response at ``first_response_day`` (first assessment with a
    reduction of at least 50 % from baseline under the default criteria), remission at
    ``first_remission_day``, relapse at ``relapse_day`` (with ``x="session"``, the
    ``*_session`` columns). Lanes are numbered 1..n from the top; patient identifiers are
    never drawn.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.swimmer(out, max_patients=40)
    >>> ax.get_ylabel()
    'Patient (random 40 of 150)'
    >>> plt.close("all")
    """
    if not isinstance(data, Outcomes):
        raise TypeError(
            f"data must be an Outcomes from ka.derive (swimmer needs both its frames), "
            f"not {type(data).__name__}"
        )
    checks.check_min_cell_size(min_cell_size)
    if not isinstance(max_patients, (int, np.integer)) or isinstance(max_patients, bool):
        raise TypeError(f"max_patients must be an integer, got {max_patients!r}")
    if max_patients < 1:
        raise ValueError(f"max_patients must be at least 1, got {max_patients!r}")
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    for name, value in (("compress", compress), ("legend", legend)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if by is not None and not isinstance(by, str):
        raise ValueError(f"by must name one column, got {by!r}")

    assessments, _ = checks.frames(data, need="assessments")
    assessments, scale = checks.pick_scale(assessments, scale, data)
    patients = data.patients.loc[(data.patients["scale"] == scale).to_numpy()]
    if x is None:
        x = "day" if data.time_unit == "days" and "day" in assessments.columns else "session"
    if x not in ("day", "session"):
        raise ValueError(f"x must be 'day' or 'session', got {x!r}")
    if x == "day" and "day" not in assessments.columns:
        raise ValueError("x='day' needs a day column in the data")
    if by is not None and by not in patients.columns:
        raise ValueError(f"by={by!r} is not a column of patients; columns: {list(patients)}")
    grp = grouping.groups(patients, by, labels=labels, colors=colors)
    if by is None and colors is None:
        grp = [g.__class__(g.level, g.label, _LANE_GREY, g.marker, g.linestyle, 0) for g in grp]

    lanes = _lanes(assessments, patients, x, maintenance)
    n_all = len(lanes)
    if n_all > max_patients:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(n_all, size=max_patients, replace=False))
        lanes = lanes.iloc[keep]
    lanes = _order(lanes, by, grp, sort)
    n = len(lanes)
    lanes = lanes.assign(y=np.arange(1, n + 1, dtype=float))

    own = ax is None
    fig, ax = axes.new_axes(ax, height_ratio=_height_ratio(n))
    lw = float(axes.pyplot().rcParams["lines.linewidth"])
    colour = {g.level: g.color for g in grp}
    lane_colors = [colour[v] for v in (lanes[by] if by is not None else [None] * n)]
    start = lanes["start"].to_numpy(dtype=float)
    end = lanes["end"].to_numpy(dtype=float)
    mstart = lanes["maintenance_start"].to_numpy(dtype=float)
    split = np.where(np.isnan(mstart), end, np.clip(mstart, start, end))
    height = 0.56
    bars = ax.barh(
        lanes["y"], split - start, left=start, height=height, color=lane_colors, linewidth=0
    )
    for patch in bars:
        patch.set_gid("lane")
    has_m = ~np.isnan(mstart)
    if has_m.any():
        mbars = ax.barh(
            lanes["y"][has_m],
            (end - split)[has_m],
            left=split[has_m],
            height=height,
            color=np.asarray(lane_colors, dtype=object)[has_m].tolist(),
            alpha=_MAINTENANCE_ALPHA,
            linewidth=0,
        )
        for patch in mbars:
            patch.set_gid("maintenance")

    # sizes from the lane pitch at the final size
    _, w_in, h_in = current_style()
    axes_h_pt = fig.get_figheight() * 72 * 0.75
    pitch = axes_h_pt / max(n, 1)
    tick_ms = float(np.clip(pitch * height * 1.25, 1.5, 4.0))
    ev_ms = float(np.clip(pitch * 1.0, 2.0, 4.0))

    # assessment ticks: white on dark solid lane segments, dark elsewhere
    sx, sy, light = [], [], []
    lane_dark = [_luminance(col) < 0.45 for col in lane_colors]
    for i, (yv, times) in enumerate(zip(lanes["y"], lanes["times"], strict=True)):
        sx.extend(times)
        sy.extend([yv] * len(times))
        light.extend(lane_dark[i] and t < split[i] for t in times)
    sx, sy, light = np.asarray(sx, float), np.asarray(sy, float), np.asarray(light, bool)
    for on_dark, col in ((False, "#222222"), (True, "white")):
        sel = light == on_dark
        if not sel.any():
            continue
        (tk,) = ax.plot(
            sx[sel],
            sy[sel],
            linestyle="none",
            marker="|",
            markersize=tick_ms,
            markeredgewidth=0.4,
            color=col,
            zorder=3,
        )
        tk.set_gid("sessions")
    handles = [
        axes.pyplot().Line2D(
            [], [], linestyle="none", marker="|", markersize=4, color="#222222", label="Assessment"
        )
    ]
    # a response and a remission on the same day sit side by side (display offset only)
    resp = lanes["first_response"].to_numpy(dtype=float)
    remi = lanes["first_remission"].to_numpy(dtype=float)
    same = resp == remi
    from matplotlib.transforms import ScaledTranslation

    nudge = ev_ms * 0.5 / 72
    shift = {
        "first_response": ScaledTranslation(-nudge, 0, fig.dpi_scale_trans),
        "first_remission": ScaledTranslation(nudge, 0, fig.dpi_scale_trans),
    }
    yy = lanes["y"].to_numpy(dtype=float)
    for k, (stem, label, marker, col) in enumerate(EVENTS):
        t = lanes[stem].to_numpy(dtype=float)
        ok = ~np.isnan(t)
        parts = [(ok & ~same, None), (ok & same, shift.get(stem))]
        if stem not in shift:
            parts = [(ok, None)]
        for sel, offset in parts:
            if not sel.any():
                continue
            (ev,) = ax.plot(
                t[sel],
                yy[sel],
                linestyle="none",
                marker=marker,
                markersize=ev_ms * (0.85 if marker == "D" else 1.0),
                markerfacecolor=col,
                markeredgecolor="black",
                markeredgewidth=0.3,
                zorder=4 + k,
                label=label,
            )
            if offset is not None:
                ev.set_transform(ax.transData + offset)
            ev.set_gid(f"event:{label.lower()}")
        handles.append(
            axes.pyplot().Line2D(
                [],
                [],
                linestyle="none",
                marker=marker,
                markersize=4,
                markerfacecolor=col,
                markeredgecolor="black",
                markeredgewidth=0.3,
                label=f"{label} ({annotate.count_text(int(ok.sum()), min_cell_size)})",
            )
        )
    from matplotlib.patches import Patch

    if has_m.any():
        base = _LANE_GREY if by is not None else grp[0].color
        handles.append(Patch(color=base, linewidth=0, label="Induction"))
        handles.append(
            Patch(color=base, alpha=_MAINTENANCE_ALPHA, linewidth=0, label="Maintenance")
        )
    if by is not None:
        counts = lanes[by].value_counts()
        for g in grp:
            k = int(counts.get(g.level, 0))
            handles.append(
                Patch(
                    color=g.color,
                    linewidth=0,
                    label=f"{g.label} ({annotate.count_text(k, min_cell_size)})",
                )
            )

    # axes
    ax.set_ylim(n + 0.7, 0.3)
    ax.yaxis.set_major_locator(axes.pyplot().FixedLocator(_lane_ticks(n, fig, ax)))
    ax.tick_params(axis="y", length=1.5)
    ax.spines["left"].set_visible(False)
    ax.set_ylabel(_y_label(n, n_all, min_cell_size), fontsize=axes.font())
    ax.set_xlabel(annotate.TIME_LABELS["days"] if x == "day" else "Session", fontsize=axes.font())
    lo = min(0.0, float(np.nanmin(start)))
    hi = float(np.nanmax(end))
    _x_axis(ax, lanes, x, compress, lo, hi, lw)

    if own:
        axes.tight(fig, ignore=UserWarning)
    if legend:
        annotate.legend_above(ax, handles, ncols=(3, 2, 1) if by is None else (4, 3, 2, 1))
    if own:
        axes.tight(fig, ignore=UserWarning)
        if axes.fit_ylabel(ax):
            axes.tight(fig, ignore=UserWarning)
        ax.yaxis.set_major_locator(axes.pyplot().FixedLocator(_lane_ticks(n, fig, ax)))
    return ax


# ---------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------
def _lanes(assessments: pd.DataFrame, patients: pd.DataFrame, x: str, maintenance) -> pd.DataFrame:
    """One row per patient: start, end, assessment times, maintenance start and events."""
    a = assessments
    t = pd.to_numeric(a[x] if x == "day" else a["session"], errors="coerce").astype(float)
    work = pd.DataFrame({"patient_id": a["patient_id"].to_numpy(), "t": t.to_numpy()})
    work["m"] = _maintenance_rows(a, maintenance)
    work = work.loc[work["t"].notna().to_numpy()]
    g = work.groupby("patient_id", sort=False)
    per = pd.DataFrame(
        {
            "start": g["t"].min(),
            "end": g["t"].max(),
            "times": g["t"].agg(lambda s: s.to_list()),
            "maintenance_start": work.loc[work["m"]].groupby("patient_id", sort=False)["t"].min(),
        }
    )
    suffix = "_day" if x == "day" else "_session"
    cols = {stem: stem + suffix for stem, *_ in EVENTS}
    pat = patients.set_index("patient_id")
    out = pat.join(per, how="inner")
    for stem, col in cols.items():
        out[stem] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out.reset_index()


def _maintenance_rows(a: pd.DataFrame, maintenance) -> np.ndarray:
    if maintenance is None or maintenance is False:
        return np.zeros(len(a), dtype=bool)
    if isinstance(maintenance, str):
        if maintenance != "auto":
            raise ValueError(
                f"maintenance must be 'auto', a session number or None, got {maintenance!r}"
            )
        if "phase" in a.columns:
            phase = a["phase"].astype("string").str.lower()
            return phase.str.contains("maint").fillna(False).to_numpy(dtype=bool)
        first = MAINTENANCE_SESSION
    elif isinstance(maintenance, (int, float, np.number)) and not isinstance(maintenance, bool):
        first = float(maintenance)
    else:
        raise TypeError(
            f"maintenance must be 'auto', a session number or None, got {maintenance!r}"
        )
    s = pd.to_numeric(a["session"], errors="coerce").to_numpy(dtype=float)
    return np.nan_to_num(s, nan=-np.inf) >= first


def _order(lanes: pd.DataFrame, by, grp, sort: str) -> pd.DataFrame:
    duration = lanes["end"] - lanes["start"]
    if sort == "duration":
        keys, asc = [-duration], [True]
    elif sort == "response":
        keys = [lanes["first_response"].fillna(np.inf), -duration]
        asc = [True, True]
    else:
        keys, asc = [], []
    frame = pd.DataFrame({f"k{i}": k.to_numpy() for i, k in enumerate(keys)}, index=lanes.index)
    if by is not None:
        rank = {g.level: g.index for g in grp}
        frame.insert(0, "g", lanes[by].map(rank).to_numpy())
        asc = [True, *asc]
    if frame.shape[1] == 0:
        return lanes.reset_index(drop=True)
    order = frame.sort_values(list(frame.columns), ascending=asc, kind="stable").index
    return lanes.loc[order].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# axes
# ---------------------------------------------------------------------------------------
def _y_label(n: int, n_all: int, min_cell_size) -> str:
    if n < n_all:
        return (
            f"Patient (random {annotate.count_text(n, min_cell_size)} of "
            f"{annotate.count_text(n_all, min_cell_size)})"
        )
    return f"Patient (n = {annotate.count_text(n, min_cell_size)})"


def _lane_ticks(n: int, fig, ax) -> list[int]:
    """Lane numbers to label: every k-th (k from 1, 2, 5, 10, ...) so labels do not touch."""
    height_pt = ax.get_position().height * fig.get_figheight() * 72
    pitch = height_pt / max(n, 1)  # points per lane
    need = axes.small_font() * 1.5 / pitch  # lanes one label needs
    k = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if s >= need), 1000)
    if k <= 2:
        return list(range(1, n + 1, k))
    ticks = list(range(k, n + 1, k))
    return ([1] if k - 1 >= need else []) + ticks


def _x_axis(ax, lanes, x, compress, lo, hi, lw) -> None:
    from matplotlib.ticker import FixedLocator, MaxNLocator

    if x == "session":
        ax.set_xlim(lo - 0.5, hi + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        return
    m = lanes["maintenance_start"].to_numpy(dtype=float)
    times = lanes["times"]
    # the break lies between the last induction and the first maintenance assessment
    pre_end = np.nan
    if compress and np.isfinite(m).any():
        first_m = float(np.nanmin(m))
        pre = [t for ts, ms in zip(times, m, strict=True) for t in ts if not t >= ms]
        pre_end = max([t for t in pre if t < first_m], default=np.nan)
    if not np.isfinite(pre_end) or hi <= first_m:
        ax.set_xlim(lo - 0.01 * (hi - lo), hi + 0.01 * (hi - lo))
        return
    b = (pre_end + first_m) / 2
    ratio = (b - lo) * 0.6 / (0.4 * (hi - b))
    if ratio >= 1:
        ax.set_xlim(lo, hi)
        return

    def fwd(v):
        v = np.asarray(v, dtype=float)
        return np.where(v <= b, v, b + (v - b) * ratio)

    def inv(v):
        v = np.asarray(v, dtype=float)
        return np.where(v <= b, v, b + (v - b) / ratio)

    ax.set_xscale("function", functions=(fwd, inv))
    pad = 0.01 * (b - lo)
    ax.set_xlim(lo - pad, hi + pad / ratio)
    week = 7.0 if (b - lo) <= 8 * 7 else 14.0
    pre_ticks = np.arange(0.0, b - 0.25 * week, week)
    month = 30.0
    post_ticks = np.arange(month * np.ceil((b + 0.5 * month) / month), hi + 1e-9, month)
    ax.xaxis.set_major_locator(FixedLocator(np.r_[pre_ticks, post_ticks]))
    ax.xaxis.set_minor_locator(FixedLocator([]))
    # break mark: two short slanted strokes across the x-axis at the break
    from matplotlib.path import Path
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    strokes = Path(
        [(-2.2, -2.5), (-0.2, 2.5), (0.2, -2.5), (2.2, 2.5)],
        [Path.MOVETO, Path.LINETO, Path.MOVETO, Path.LINETO],
    )
    (gap,) = ax.plot(
        [b],
        [0],
        transform=trans,
        marker="s",
        markersize=3.2,
        markeredgewidth=0,
        color="white",
        clip_on=False,
        zorder=5,
    )
    gap.set_gid("break:gap")
    (brk,) = ax.plot(
        [b],
        [0],
        transform=trans,
        marker=strokes,
        markersize=5,
        fillstyle="none",
        markeredgewidth=max(0.5, 0.6 * lw),
        color="black",
        clip_on=False,
        zorder=6,
    )
    brk.set_gid("break")


def _height_ratio(n: int) -> float:
    """Height for ``n`` lanes (at least 2.6 pt each), not below the style's, within the
    journal's maximum."""
    style, w, h = current_style()
    need = n * 2.6 / 72 + 1.0
    return min(max(h, need), style.max_height_in) / w


def _luminance(color) -> float:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
