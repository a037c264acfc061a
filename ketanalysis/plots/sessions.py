"""Figures over treatment sessions: mean trajectories, individual trajectories, responder
rates and MMRM LS-means.

Every number drawn comes from :mod:`ketanalysis.stats` (:func:`~ketanalysis.stats.by_session`,
:func:`~ketanalysis.stats.rates`, :meth:`~ketanalysis.stats.MMRMResult.lsmeans`) or from
the columns of the derived frames; these functions only draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from .. import stats as _stats
from . import annotate, axes, checks, grouping, session_axis
from .style import LINESTYLES, MARKERS, PALETTE, bundled_font

__all__ = ["lsmeans", "response_rates", "spaghetti", "trajectory"]

_Y = ("score", "change", "pct_change")
_X = ("session", "day")
_GREY = "#7F7F7F"


# ---------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------
@bundled_font()
def trajectory(
    data,
    *,
    scale: str | None = None,
    y: str = "score",
    by: str | None = None,
    x: str = "session",
    level: float | None = 0.95,
    n_table: bool = True,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax: Axes | None = None,
    min_cell_size: int | None = None,
) -> Axes:
    """Mean score (or change) by session with confidence intervals, per group.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` from :func:`ketanalysis.derive` or a frame shaped
        like its ``assessments``.
    scale : str, optional
        Scale to draw (default: the first outcome scale).
    y : {"score", "change", "pct_change"}, default "score"
        Total score, change from baseline, or percentage change from baseline (drawn in %).
    by : str, optional
        Grouping column (e.g. ``"arm"``, ``"route"``); one line per group.
    x : {"session", "day"}, default "session"
        Sessions at evenly spaced positions, or at each session's mean day since the first
        infusion (see Notes).
    level : float or None, default 0.95
        Level of the t interval drawn as error bars; ``None`` draws means only.
    n_table : bool, default True
        Write the number of patients per session (and group) under the x-axis.
    labels, colors : dict or list, optional
        Legend labels and colours of the groups (a dict by level or a list in level order).
    ax : Axes, optional
        Axes to draw in (default: a new figure at the active journal size).
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``.

    Returns
    -------
    Axes

    Notes
    -----
    Means, counts and intervals are :func:`ketanalysis.stats.by_session` (t interval
    ``mean -/+ t_{n-1} * sd / sqrt(n)``; observed cases). Groups are shifted sideways by a
    few points so that intervals do not hide each other; the data keep their x values.
    With ``x="day"`` the positions are the mean day of each session
    (``by_session(value="day")``); where sessions are too close for their counts, the
    axis is stretched piecewise linearly (ticks are placed at their true days), so equal
    distances are equal times only within stretches.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.trajectory(out, y="change", by="route")
    >>> ax.get_ylabel()
    'Change in MADRS total score'
    >>> plt.close("all")
    """
    checks.check_choice(y, _Y, "y")
    checks.check_choice(x, _X, "x")
    level = checks.check_level(level)
    checks.check_bool(n_table, "n_table")
    checks.check_options(labels, colors, ax, min_cell_size)
    frame, out = checks.frames(data)
    rows, scale = checks.pick_scale(frame, scale, out)
    grp = grouping.groups(rows, by, labels=labels, colors=colors)
    tab = _stats.by_session(rows, by=by, value=y, scale=None, level=level or 0.95)
    tab = annotate.hide_small(tab, min_cell_size, ("mean", "sd", "se", "ci_low", "ci_high"))
    sessions = session_axis.sessions_of(rows)
    fig, ax, created = session_axis.open_axes(ax)
    pos = session_axis.positions(rows, sessions, x, ax, created)
    factor = 100.0 if y == "pct_change" else 1.0
    for g in grp:
        part = session_axis.aligned(grouping.subset(tab, by, g), sessions)
        xs = pos[part["_ok"].to_numpy()]
        part = part[part["_ok"]]
        axes.interval_plot(
            ax,
            axes.dodge(ax, g.index, len(grp)),
            xs,
            factor * part["mean"].to_numpy(dtype=float),
            factor * part["ci_low"],
            factor * part["ci_high"],
            color=g.color,
            ci={"label": f"_ci {g.label}", "gid": f"ci:{g.index}"} if level is not None else None,
            marker=g.marker,
            linestyle=g.linestyle,
            label=g.label,
            gid=f"mean:{g.index}",
            zorder=3,
        )
    if y == "pct_change" or y == "change":
        ax.axhline(0.0, color=_GREY, linewidth=axes.thin_linewidth(), zorder=0, label="_zero")
    ax.set_ylabel(annotate.score_label(scale, y))
    session_axis.draw_x_axis(ax, pos, sessions, x, out)
    ax.autoscale_view(scalex=False)
    if by is not None:
        session_axis.legend(ax, [grouping.handle(g) for g in grp], [g.label for g in grp])
    if n_table:
        table = [
            (
                g.label if by is not None else "",
                session_axis.counts(grouping.subset(tab, by, g), sessions),
                g.color,
            )
            for g in grp
        ]
        annotate.count_table(ax, list(pos), table, min_cell_size=min_cell_size)
    axes.finish(fig, ax, created, freeze=True, draw_first=False)
    return ax


@bundled_font()
def spaghetti(
    data,
    *,
    scale: str | None = None,
    y: str = "score",
    by: str | None = None,
    x: str = "session",
    max_patients: int | None = None,
    seed: int = 0,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax: Axes | None = None,
    min_cell_size: int | None = None,
) -> Axes:
    """Individual trajectories, thin and light, with the group mean on top.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` or a frame shaped like its ``assessments``.
    scale : str, optional
        Scale to draw (default: the first outcome scale).
    y : {"score", "change", "pct_change"}, default "score"
        The value drawn (percentage change in %).
    by : str, optional
        Grouping column; each group gets its colour, and its mean its marker and line style.
    x : {"session", "day"}, default "session"
        Session positions, or days since the first infusion (each patient at the actual
        day of each assessment, the means at each session's mean day).
    max_patients : int, optional
        Draw a random sample of this many patients (the means still use everyone); the
        legend title says so.
    seed : int, default 0
        Seed of the sample (``numpy.random.default_rng``).
    labels, colors : dict or list, optional
        Legend labels and colours of the groups.
    ax : Axes, optional
        Axes to draw in.
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``.

    Returns
    -------
    Axes

    Notes
    -----
    Individual lines are the ``assessments`` rows of each patient in session order; the
    means are :func:`ketanalysis.stats.by_session` of all patients of the group. The
    legend gives the number of patients per group. Patient identifiers are never drawn.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.spaghetti(out, by="sex", max_patients=60)
    >>> ax.get_legend().get_title().get_text()
    'Random sample of 60 of 150 patients drawn'
    >>> plt.close("all")
    """
    checks.check_choice(y, _Y, "y")
    checks.check_choice(x, _X, "x")
    checks.check_options(labels, colors, ax, min_cell_size)
    if max_patients is not None and (
        not isinstance(max_patients, (int, np.integer))
        or isinstance(max_patients, bool)
        or max_patients < 1
    ):
        raise ValueError(f"max_patients={max_patients!r} must be a positive integer or None")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed={seed!r} must be an integer")
    frame, out = checks.frames(data)
    rows, scale = checks.pick_scale(frame, scale, out)
    if x == "day" and "day" not in rows.columns:
        raise ValueError("x='day' needs a 'day' column in the data")
    grp = grouping.groups(rows, by, labels=labels, colors=colors)
    tab = _stats.by_session(rows, by=by, value=y, scale=None)
    sessions = session_axis.sessions_of(rows)
    fig, ax, created = session_axis.open_axes(ax)
    pos = session_axis.positions(rows, sessions, x, ax, created)
    factor = 100.0 if y == "pct_change" else 1.0
    ids = pd.unique(rows["patient_id"])
    n_all = len(ids)
    note = None
    if max_patients is not None and max_patients < n_all:
        rng = np.random.default_rng(seed)
        keep = set(rng.choice(np.sort(ids.astype(str)), size=max_patients, replace=False))
        rows_drawn = rows[rows["patient_id"].astype(str).isin(keep)]
        note = f"Random sample of {max_patients} of {n_all} patients drawn"
    else:
        rows_drawn = rows
    session_pos = dict(zip(sessions, pos, strict=True))
    handles, texts = [], []
    lw_thin = 0.4
    for g in grp:
        mine = grouping.subset(rows_drawn, by, g).sort_values(
            ["patient_id", "session"], kind="stable"
        )
        segs = []
        for _, one in mine.groupby("patient_id", sort=True):
            v = factor * one[y].to_numpy(dtype=float)
            if x == "day":
                xi = one["day"].to_numpy(dtype=float)
            else:
                xi = one["session"].map(session_pos).to_numpy(dtype=float)
            ok = ~np.isnan(v) & ~np.isnan(xi)
            if ok.sum() >= 1:
                segs.append(np.column_stack([xi[ok], v[ok]]))
        ax.add_collection(
            LineCollection(
                segs,
                colors=g.color,
                linewidths=lw_thin,
                alpha=0.25,
                label=f"_patients {g.label}",
                gid=f"patients:{g.index}",
                zorder=1,
            )
        )
        part = session_axis.aligned(grouping.subset(tab, by, g), sessions)
        ok = part["_ok"].to_numpy()
        ax.plot(
            pos[ok],
            factor * part.loc[ok, "mean"].to_numpy(dtype=float),
            color="white",
            linewidth=plt.rcParams["lines.linewidth"] * 2.6,
            solid_capstyle="round",
            label="_halo",
            zorder=2.5,
        )
        ax.plot(
            pos[ok],
            factor * part.loc[ok, "mean"].to_numpy(dtype=float),
            color=g.color,
            marker=g.marker,
            linestyle=g.linestyle,
            linewidth=plt.rcParams["lines.linewidth"] * 1.4,
            label=g.label,
            gid=f"mean:{g.index}",
            zorder=3,
        )
        n_group = grouping.subset(rows, by, g)["patient_id"].nunique()
        handles.append(grouping.handle(g, linewidth=plt.rcParams["lines.linewidth"] * 1.4))
        name = "Mean" if by is None else f"{g.label}, mean"
        texts.append(f"{name} (n = {annotate.count_text(n_group, min_cell_size)})")
    handles.append(Line2D([], [], color=_GREY, linewidth=lw_thin * 1.5, alpha=0.6))
    texts.append("Individual patients")
    if y in ("change", "pct_change"):
        ax.axhline(0.0, color=_GREY, linewidth=axes.thin_linewidth(), zorder=0, label="_zero")
    ax.set_ylabel(annotate.score_label(scale, y))
    session_axis.draw_x_axis(ax, pos, sessions, x, out)
    ax.autoscale_view(scalex=False)
    session_axis.legend(ax, handles, texts, title=note)
    axes.finish(fig, ax, created, freeze=True, draw_first=False)
    return ax


@bundled_font()
def response_rates(
    data,
    *,
    scale: str | None = None,
    outcomes: Sequence[str] = ("response", "remission"),
    by: str | None = None,
    level: float | None = 0.95,
    n_table: bool = True,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax: Axes | None = None,
    min_cell_size: int | None = None,
) -> Axes:
    """Response and remission rates by session with Wilson confidence intervals.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` or a frame shaped like its ``assessments``
        (with boolean ``response`` and ``remission`` columns).
    scale : str, optional
        Scale to draw (default: the first outcome scale).
    outcomes : sequence of {"response", "remission"}, default both
        The per-assessment outcomes drawn.
    by : str, optional
        Grouping column. Without ``by`` each outcome has its colour; with ``by`` colours
        and markers show groups and line style (solid, dashed) and marker fill (filled,
        open) show the outcome.
    level : float or None, default 0.95
        Level of the Wilson interval; ``None`` draws rates only.
    n_table : bool, default True
        Write the number of assessments with a known outcome (of the first outcome) per
        session under the x-axis.
    labels, colors : dict or list, optional
        Labels and colours of the groups (of the outcomes when ``by`` is None).
    ax : Axes, optional
        Axes to draw in.
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``.

    Returns
    -------
    Axes

    Notes
    -----
    Rates are observed-case rates among the assessments at each post-baseline session:
    :func:`ketanalysis.stats.rates` on the assessments with ``by=["session", ...]``
    (``k / n`` with the Wilson score interval; Wilson 1927, Newcombe 1998 method 3),
    drawn in per cent.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.response_rates(out)
    >>> ax.get_ylabel()
    'Patients (%)'
    >>> plt.close("all")
    """
    if isinstance(outcomes, str):
        outcomes = (outcomes,)
    if not isinstance(outcomes, Sequence) or not outcomes:
        raise TypeError(f"outcomes={outcomes!r} must be a non-empty sequence of names")
    for o in outcomes:
        checks.check_choice(o, ("response", "remission"), "outcomes")
    if len(set(outcomes)) != len(outcomes):
        raise ValueError(f"outcomes={outcomes!r} names an outcome twice")
    level = checks.check_level(level)
    checks.check_bool(n_table, "n_table")
    checks.check_options(labels, colors, ax, min_cell_size)
    frame, out = checks.frames(data)
    rows, scale = checks.pick_scale(frame, scale, out)
    if "post_baseline" in rows.columns:
        rows = rows[rows["post_baseline"].astype(bool).to_numpy()]
    keys = ["session"] + ([by] if by is not None else [])
    tabs = {
        o: _stats.rates(rows, outcome=o, by=keys, scale=None, level=level or 0.95) for o in outcomes
    }
    sessions = session_axis.sessions_of(rows)
    fig, ax, created = session_axis.open_axes(ax)
    pos = session_axis.positions(rows, sessions, "session", ax, created)
    handles, texts = [], []
    if by is None:
        grp = _outcome_groups(outcomes, labels, colors)
        draws = [(o, g, None, len(outcomes), g.index) for o, g in zip(outcomes, grp, strict=True)]
        handles = [grouping.handle(g) for g in grp]
        texts = [g.label for g in grp]
        table_rows = [("", session_axis.counts(tabs[outcomes[0]], sessions), "black")]
    else:
        grp = grouping.groups(rows, by, labels=labels, colors=colors)
        styles = ("-", "--", ":", "-.")
        draws = []
        slots = len(grp) * len(outcomes)
        for g in grp:
            for j, o in enumerate(outcomes):
                look = grouping.Group(g.level, g.label, g.color, g.marker, styles[j % 4], g.index)
                draws.append((o, look, j, slots, g.index * len(outcomes) + j))
        handles = [grouping.handle(g, linestyle="none") for g in grp]
        texts = [g.label for g in grp]
        for j, o in enumerate(outcomes):
            handles.append(
                Line2D(
                    [],
                    [],
                    color="black",
                    linestyle=styles[j % 4],
                    marker="o",
                    markerfacecolor="black" if j == 0 else "white",
                )
            )
            texts.append(o.capitalize())
        table_rows = [
            (
                g.label,
                session_axis.counts(grouping.subset(tabs[outcomes[0]], by, g), sessions),
                g.color,
            )
            for g in grp
        ]
    for o, g, j, slots, slot in draws:
        tab = annotate.hide_small(tabs[o], min_cell_size, ("rate", "ci_low", "ci_high"), k="k")
        part = session_axis.aligned(
            grouping.subset(tab, by, g) if by is not None else tab, sessions
        )
        ok = part["_ok"].to_numpy() & part["n"].gt(0).to_numpy()
        xs = pos[ok]
        part = part[ok]
        ci = {"label": f"_ci {o} {g.label}", "gid": f"ci:{o}:{g.index}"}
        axes.interval_plot(
            ax,
            axes.dodge(ax, slot, slots),
            xs,
            100.0 * part["rate"].to_numpy(dtype=float),
            100.0 * part["ci_low"],
            100.0 * part["ci_high"],
            color=g.color,
            ci=ci if level is not None else None,
            marker=g.marker,
            markerfacecolor=g.color if (j is None or j == 0) else "white",
            linestyle=g.linestyle,
            label=f"{g.label}" if by is None else f"{g.label} {o}",
            gid=f"rate:{o}:{g.index}",
            zorder=3,
        )
    ax.set_ylabel("Patients (%)")
    ax.set_ylim(0, 100)
    ax.set_yticks([0, 25, 50, 75, 100])
    session_axis.draw_x_axis(ax, pos, sessions, "session", out)
    session_axis.legend(ax, handles, texts)
    if n_table:
        annotate.count_table(ax, list(pos), table_rows, min_cell_size=min_cell_size)
    axes.finish(fig, ax, created, freeze=True, draw_first=False)
    return ax


@bundled_font()
def lsmeans(
    result,
    *,
    scale: str | None = None,
    by: str | None = None,
    session: str = "session",
    difference: bool = False,
    level: float = 0.95,
    labels: Mapping | Sequence | None = None,
    colors: Mapping | Sequence | None = None,
    ax: Axes | None = None,
    min_cell_size: int | None = None,
) -> Axes:
    """LS-means by session (and arm) with confidence intervals from an MMRM.

    Parameters
    ----------
    result : MMRMResult
        A fit of :func:`ketanalysis.stats.mmrm` with the session as a categorical factor
        (``C(session)``).
    scale : str, optional
        Scale of the response, for the axis label (``"MADRS"`` gives "LS-mean change in
        MADRS total score"); without it the label names the model's response.
    by : str, optional
        Arm factor of the model (e.g. ``"arm"``): LS-means of each arm at each session.
        Without it, LS-means by session average over the other factors.
    session : str, default "session"
        The session factor of the model.
    difference : bool, default False
        With ``by``: draw the differences between arms at each session (pairwise
        contrasts with their CIs) in a panel under the LS-means, sharing its x-axis. The
        panel is attached to the returned Axes (``ax.figure.axes``).
    level : float, default 0.95
        Confidence level of the intervals.
    labels, colors : dict or list, optional
        Labels and colours of the arms.
    ax : Axes, optional
        Axes to draw in (with ``difference=True`` its area is split).
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` are shown as ``"<k"``.

    Returns
    -------
    Axes
        The LS-means panel.

    Notes
    -----
    Estimates and intervals are :meth:`MMRMResult.lsmeans` ``(by, by=session)`` (or
    ``(session)``) and :meth:`MMRMResult.contrasts` ``(by, by=session)``, with the
    model's degrees of freedom (Kenward-Roger by default). The numbers of patients and
    assessments in the fit are given above the panel.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.simulate_cohort(120, seed=3, arms=("ketamine", "midazolam")))
    >>> a = out.assessments
    >>> a = a[(a["scale"] == "MADRS") & a["session"].between(1, 7)]
    >>> fit = ka.stats.mmrm(a, ka.stats.PrimaryMMRM().formula("arm"))  # the primary model
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.lsmeans(fit, scale="MADRS", by="arm", difference=True)
    >>> " ".join(ax.get_ylabel().split())  # broken into two lines to fit the panel
    'LS-mean change in MADRS total score'
    >>> plt.close("all")
    """
    if not isinstance(result, _stats.MMRMResult):
        raise TypeError(
            f"result must be an MMRMResult from ka.stats.mmrm, not {type(result).__name__}"
        )
    factors = result._terms.factor_vars
    session = result._terms.factor_codes.get(session, session)
    if session not in factors:
        raise ValueError(
            f"session={session!r} is not a categorical factor of the model; factors: "
            f"{list(factors)}"
        )
    if by is not None:
        by = result._terms.factor_codes.get(by, by)
        if by not in factors or by == session:
            raise ValueError(
                f"by={by!r} is not a categorical factor of the model other than the "
                f"session; factors: {[f for f in factors if f != session]}"
            )
    checks.check_bool(difference, "difference")
    if difference and by is None:
        raise ValueError("difference=True needs by= (the arm factor)")
    level = checks.check_level(level)
    if level is None:
        raise ValueError("level=None: lsmeans always draws intervals; give a level such as 0.95")
    checks.check_options(labels, colors, ax, min_cell_size)
    if by is None:
        tab = result.lsmeans(session, level=level)
    else:
        tab = result.lsmeans(session, by=by, level=level)
    sessions = list(factors[session])
    grp = grouping.groups(tab, by, labels=labels, colors=colors)
    created = ax is None
    fig, ax = axes.new_axes(ax)
    numeric = all(isinstance(s, (int, float, np.number)) for s in sessions)
    pos = np.asarray(sessions if numeric else range(len(sessions)), dtype=float)
    for g in grp:
        part = session_axis.aligned(grouping.subset(tab, by, g), sessions)
        ok = part["_ok"].to_numpy()
        part = part[ok]
        axes.interval_plot(
            ax,
            axes.dodge(ax, g.index, len(grp)),
            pos[ok],
            part["estimate"].to_numpy(dtype=float),
            part["ci_low"],
            part["ci_high"],
            color=g.color,
            ci={"label": f"_ci {g.label}", "gid": f"ci:{g.index}"},
            marker=g.marker,
            linestyle=g.linestyle,
            label=g.label,
            gid=f"lsmean:{g.index}",
            zorder=3,
        )
    response = result.formula.split("~")[0].strip()
    ax.set_ylabel(_lsmean_label(scale, response))
    if response in ("change", "pct_change"):
        ax.axhline(0.0, color=_GREY, linewidth=axes.thin_linewidth(), zorder=0, label="_zero")
    fit_n = (
        f"MMRM: n = {annotate.count_text(result.n_patients, min_cell_size)} patients, "
        f"{annotate.count_text(result.n_obs, min_cell_size)} assessments"
    )
    diff_ax = None
    if difference:
        diff_ax = _difference_panel(ax, result, by, session, sessions, pos, level)
    bottom = diff_ax if diff_ax is not None else ax
    session_axis.draw_x_axis(bottom, pos, sessions, "session", None)
    if diff_ax is not None:
        ax.set_xlabel("")
        ax.tick_params(axis="x", labelbottom=False)
    ax.autoscale_view(scalex=False)
    handles = [grouping.handle(g) for g in grp] if by is not None else []
    texts = [g.label for g in grp] if by is not None else []
    session_axis.legend(ax, handles, texts, title=fit_n)
    axes.freeze_ticks(fig)
    if created:
        axes.tight(fig)
    axes.fit_ylabel(ax, draw=True)
    if diff_ax is not None:
        axes.fit_ylabel(diff_ax, draw=True)
        fig.align_ylabels([ax, diff_ax])
    if created:
        axes.tight(fig)
    return ax


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------
def _outcome_groups(outcomes, labels, colors) -> list[grouping.Group]:
    """Looks of the outcomes when they are the groups (``labels``/``colors`` by outcome)."""
    for name, value in (("labels", labels), ("colors", colors)):
        if value is not None and not isinstance(value, Mapping) and len(value) != len(outcomes):
            raise ValueError(f"{name} has {len(value)} entries for {len(outcomes)} outcomes")
    out = []
    for i, o in enumerate(outcomes):
        label, color = o.capitalize(), PALETTE[i % len(PALETTE)]
        if isinstance(labels, Mapping):
            label = str(labels.get(o, label))
        elif labels is not None:
            label = str(list(labels)[i])
        if isinstance(colors, Mapping):
            color = colors.get(o, color)
        elif colors is not None:
            color = list(colors)[i]
        marker = MARKERS[i % len(MARKERS)]
        out.append(grouping.Group(o, label, color, marker, LINESTYLES[i % len(LINESTYLES)], i))
    return out


def _lsmean_label(scale, response: str) -> str:
    if scale is not None:
        label = annotate.score_label(scale, response)
        return "LS-mean " + label[0].lower() + label[1:]
    return f"LS-mean {response}"


def _difference_panel(ax, result, by, session, sessions, pos, level) -> Axes:
    """Pairwise differences between arms at each session, in a panel under ``ax``."""
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    con = result.contrasts(by, by=session, level=level)
    divider = make_axes_locatable(ax)
    dax = divider.append_axes("bottom", size="45%", pad=0.08, sharex=ax)
    names = list(pd.unique(con["contrast"]))
    for i, name in enumerate(names):
        part = session_axis.aligned(con[con["contrast"] == name], sessions)
        ok = part["_ok"].to_numpy()
        part = part[ok]
        axes.interval_plot(
            dax,
            axes.dodge(dax, i, len(names)),
            pos[ok],
            part["estimate"].to_numpy(dtype=float),
            part["ci_low"],
            part["ci_high"],
            color="black" if len(names) == 1 else PALETTE[(i + 2) % len(PALETTE)],
            ci={"gid": f"diff_ci:{i}"},
            marker="o",
            linestyle="none",
            label=name,
            gid=f"diff:{i}",
            zorder=3,
        )
    dax.axhline(0.0, color=_GREY, linewidth=axes.thin_linewidth(), zorder=0, label="_zero")
    dax.autoscale_view(scalex=False)
    dax.yaxis.set_major_locator(MaxNLocator(nbins=3, steps=[1, 2, 2.5, 5, 10]))
    dax.set_ylabel("Difference", fontsize=axes.font())
    dax.legend(loc="best", fontsize=axes.small_font(), frameon=False, ncol=1, handlelength=1.5)
    return dax
