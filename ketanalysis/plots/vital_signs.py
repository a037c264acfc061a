"""Vital signs within the session: pre-dose, peak, post-dose and discharge readings by
group, with the blood-pressure limits of the :class:`~ketanalysis.SafetyThresholds` in use.

Every number drawn comes from :func:`~ketanalysis.stats.vitals_course`; nothing is
computed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from .. import stats as _stats
from ..outcomes import SafetyOutcomes, SafetyThresholds
from . import annotate, axes, checks, grouping
from .style import bundled_font

__all__ = ["vitals"]

_GREY = "#555555"
_MEASURE_NAMES = {
    "sbp": ("Systolic blood pressure", "mmHg"),
    "dbp": ("Diastolic blood pressure", "mmHg"),
    "hr": ("Heart rate", "beats/min"),
    "spo2": ("Oxygen saturation", "%"),
}
_SHORT = {"sbp": "Systolic", "dbp": "Diastolic", "hr": "Heart rate", "spo2": "SpO\u2082"}
_TIMEPOINT_LABELS = {
    "pre": "Pre-dose",
    "peak": "Peak",
    "post": "Post",
    "discharge": "Discharge",
    "max_post": "Highest\nafter dose",
}


# ---------------------------------------------------------------------------------------
# vital signs
# ---------------------------------------------------------------------------------------
@bundled_font()
def vitals(
    data,
    *,
    measure: str | Sequence[str] = "sbp",
    by: str | None = "route",
    at=None,
    time: str = "timepoint",
    unit: str = "patient",
    level: float | None = 0.95,
    thresholds: SafetyThresholds | bool | None = None,
    n_table: bool = True,
    scale: str | None = None,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax: Axes | None = None,
    min_cell_size: int | None = None,
) -> Axes:
    """Mean vital sign with confidence intervals by time point within the session.

    Parameters
    ----------
    data : DataFrame or SafetyOutcomes
        The readings from :func:`ketanalysis.read_vitals` (pre-dose, ~40-minute
        peak, later and discharge readings, with their minutes after the dose), or the
        result of :func:`ketanalysis.derive_safety`, whose per-session table gives
        the pre-dose, highest post-dose and discharge values (see
        :func:`ketanalysis.stats.vitals_course`).
    measure : {"sbp", "dbp", "hr", "spo2"} or pair, default "sbp"
        The vital sign; ``("sbp", "dbp")`` draws both blood pressures (systolic filled,
        diastolic open markers). ``"spo2"`` only from readings.
    by : str or None, default "route"
        Grouping column (``"route"``, ``"dose_group"``, ``"arm"``); one line per group.
        The default falls back to all patients together when the data have no route.
    at : session value or list of them, optional
        Use only these sessions (default: every session, pooled).
    time : {"timepoint", "minutes"}, default "timepoint"
        Time points evenly spaced and named (with the median minutes after the dose
        under the name), or a minutes axis with one point per recorded minute (for
        protocols that record planned times).
    unit : {"patient", "reading"}, default "patient"
        Average each patient's readings first (n = patients), or count every reading.
    level : float or None, default 0.95
        Level of the t interval drawn as error bars; ``None`` draws means only.
    thresholds : SafetyThresholds, bool or None
        Limits drawn as dotted lines: the pre-dose limit over the pre-dose time point and
        the post-dose limit over the later ones, each labelled. Default: the thresholds
        of the SafetyOutcomes, or :class:`~ketanalysis.SafetyThresholds` (140/90
        mmHg pre-dose, 180/110 mmHg after dosing). ``False`` draws none. Heart rate and
        SpO2 have none.
    n_table : bool, default True
        Write the number of patients (readings with ``unit="reading"``) per time point
        and group under the x-axis (of the first measure).
    scale : None
        Vital signs have no rating scale; only ``None`` is accepted.
    labels, colors : dict or list, optional
        Legend labels and colours of the groups (a dict by level or a list in level
        order).
    ax : Axes, optional
        Axes to draw in (default: a new figure at the active journal size).
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``.

    Returns
    -------
    Axes

    Notes
    -----
    Means, counts and t intervals (``mean -/+ t_{n-1} sd / sqrt(n)``) are
    :func:`ketanalysis.stats.vitals_course`. Groups are shifted sideways by a few points
    so that their intervals do not hide each other; the data keep their x values. The
    limits are those of :class:`~ketanalysis.SafetyThresholds` (pre-dose from the
    SPRAVATO US label; post-dose 180/110 mmHg, grade 3 hypertension in the 2018 ESC/ESH
    guidelines); they flag single readings, so a mean below a limit does not mean that no
    patient crossed it (see ``derive_safety(...).tidy()``).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> from ketanalysis import read_vitals
    >>> readings = read_vitals("data/sample/vitals.csv")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.vitals(readings, measure="sbp", by="route")
    >>> ax.get_ylabel()
    'Systolic blood pressure (mmHg)'
    >>> plt.close("all")
    """
    checks.check_options(labels, colors, ax, min_cell_size)
    checks.check_no_scale(scale)
    level = checks.check_level(level)
    checks.check_bool(n_table, "n_table")
    if not isinstance(data, (pd.DataFrame, SafetyOutcomes)):
        raise TypeError(
            "data must be the vital signs from read_vitals (a DataFrame) or a SafetyOutcomes "
            f"from derive_safety, not {type(data).__name__}"
        )
    if by is not None and not isinstance(by, str):
        raise TypeError(f"by={by!r} must name one column or be None")
    frame = data.sessions if isinstance(data, SafetyOutcomes) else data
    if by == "route" and "route" not in frame.columns:
        by = None
    limits = _thresholds(thresholds, data)
    tab = _stats.vitals_course(
        data,
        measure=measure,
        by=by,
        at=at,
        time=time,
        unit=unit,
        level=level or 0.95,
    )
    tab = annotate.hide_small(tab, min_cell_size, ("mean", "sd", "se", "ci_low", "ci_high"))
    measures = list(pd.unique(tab["measure"]))
    grp = grouping.groups(tab, by, labels=labels, colors=colors)
    if time == "timepoint":
        present = set(tab["timepoint"])
        points = [p for p in _ordered_points(data) if p in present]
        pos = np.arange(len(points), dtype=float)
        key = "timepoint"
    else:
        points = sorted(pd.unique(tab["minutes"]))
        pos = np.asarray(points, dtype=float)
        key = "minutes"
    where = {p: x for p, x in zip(points, pos, strict=True)}

    created = ax is None
    fig, ax = axes.new_axes(ax)
    lw = float(plt.rcParams["lines.linewidth"])
    for g in grp:
        part = grouping.subset(tab, by, g)
        trans = axes.dodge(ax, g.index, len(grp))
        for mi, m in enumerate(measures):
            rows = part[part["measure"] == m]
            xs = rows[key].map(where).to_numpy(dtype=float)
            axes.interval_plot(
                ax,
                trans,
                xs,
                rows["mean"].to_numpy(dtype=float),
                rows["ci_low"],
                rows["ci_high"],
                color=g.color,
                ci={"label": f"_ci {g.label} {m}", "gid": f"ci:{m}:{g.index}"}
                if level is not None
                else None,
                marker=g.marker,
                markerfacecolor=g.color if mi == 0 else "white",
                markeredgewidth=0.8 * lw if mi else 0.0,
                linestyle=g.linestyle,
                label=f"_{g.label} {m}",
                gid=f"mean:{m}:{g.index}",
                zorder=3,
            )
    ax.set_ylabel(_measure_label(measures))
    if time == "timepoint":
        ax.set_xlim(pos[0] - 0.4, pos[-1] + 0.4)
        ax.set_xticks(pos)
        mins = tab.drop_duplicates("timepoint").set_index("timepoint")["minutes"]
        ax.set_xticklabels([_point_label(p, mins.get(p, np.nan)) for p in points])
        ax.set_xlabel("Time point within the session")
        boundary = 0.5 if len(pos) > 1 and points[0] == "pre" else None
    else:
        span = pos[-1] - pos[0] if len(pos) > 1 else 10.0
        ax.set_xlim(pos[0] - 0.06 * span, pos[-1] + 0.06 * span)
        ax.set_xlabel("Minutes after dose")
        boundary = 0.0
    ax.tick_params(axis="x", which="minor", bottom=False)
    drawn_limits = _draw_limits(ax, limits, measures, boundary)
    ax.autoscale_view(scalex=False)
    if drawn_limits:
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + 0.08 * (hi - lo))
    handles = []
    if by is not None:
        handles += [grouping.handle(g, label=g.label) for g in grp]
    if len(measures) > 1:
        for mi, m in enumerate(measures):
            handles.append(
                Line2D(
                    [],
                    [],
                    color="black",
                    marker="o",
                    linestyle="none",
                    markerfacecolor="black" if mi == 0 else "white",
                    markeredgewidth=0.8 * lw if mi else 0.0,
                    label=_SHORT[m],
                )
            )
    axes.freeze_ticks(fig)
    if created:
        axes.tight(fig)
    if handles:
        annotate.legend_above(ax, handles, ncols=(len(handles), (len(handles) + 1) // 2, 1))
    if n_table:
        first = tab[tab["measure"] == measures[0]]
        annotate.group_count_table(ax, first, by, grp, key, points, pos, min_cell_size)
    axes.finish(fig, ax, created)
    return ax


def _ordered_points(data) -> tuple[str, ...]:
    from ..stats.vitals import SESSION_TIMEPOINTS
    from ..validation import TIMEPOINTS

    return SESSION_TIMEPOINTS if isinstance(data, SafetyOutcomes) else TIMEPOINTS


def _point_label(point: str, minutes: float) -> str:
    name = _TIMEPOINT_LABELS.get(point, str(point))
    if np.isfinite(minutes) and "\n" not in name:
        return f"{name}\n{annotate.number_text(minutes)} min"
    return name


def _measure_label(measures: list[str]) -> str:
    if len(measures) == 1:
        name, unit = _MEASURE_NAMES[measures[0]]
        return f"{name} ({unit})"
    if set(measures) <= {"sbp", "dbp"}:
        return "Blood pressure (mmHg)"
    units = {_MEASURE_NAMES[m][1] for m in measures}
    unit = units.pop() if len(units) == 1 else None
    names = ", ".join(_SHORT[m] for m in measures)
    return f"{names} ({unit})" if unit else names


def _thresholds(thresholds, data) -> SafetyThresholds | None:
    if thresholds is False:
        return None
    if thresholds is None or thresholds is True:
        if isinstance(data, SafetyOutcomes):
            return data.thresholds
        return SafetyThresholds()
    if isinstance(thresholds, SafetyThresholds):
        return thresholds
    raise TypeError(f"thresholds={thresholds!r} must be a SafetyThresholds, True, False or None")


def _draw_limits(ax, th: SafetyThresholds | None, measures, boundary) -> bool:
    """Pre-dose limits left of ``boundary``, post-dose limits right of it, labelled."""
    if th is None:
        return False
    fs = axes.small_font()
    lo, hi = ax.get_xlim()
    drawn = False
    for m in measures:
        if m not in ("sbp", "dbp"):
            continue
        pre, post = (th.pre_sbp, th.post_sbp) if m == "sbp" else (th.pre_dbp, th.post_dbp)
        spans = []
        if boundary is None:  # no pre-dose time point: the post-dose limit only
            spans.append(("post", post, lo, hi))
        else:
            spans += [("pre", pre, lo, boundary), ("post", post, boundary, hi)]
        for phase, value, x0, x1 in spans:
            ax.hlines(
                value,
                x0,
                x1,
                colors=axes.LIMIT_COLOR,
                linewidth=axes.thin_linewidth(),
                linestyles=(0, (1.5, 1.5)),
                zorder=1,
                gid=f"limit:{phase}:{m}",
            )
            word = "Pre-dose" if phase == "pre" else "Post-dose"
            left = phase == "pre"
            ax.annotate(
                f"{word} limit {annotate.number_text(value)}",
                xy=(x0 if left else x1, value),
                xycoords="data",
                xytext=(1.5 if left else -1.5, 1.0),
                textcoords="offset points",
                ha="left" if left else "right",
                va="bottom",
                fontsize=fs,
                color=_GREY,
                gid=f"limit_label:{phase}:{m}",
            )
            drawn = True
    return drawn
