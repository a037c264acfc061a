"""Forest plot of subgroup effects: a rate, or a difference between arms, per subgroup.

The estimates come from :func:`ketanalysis.stats.subgroup_effects` (Wilson intervals of
rates, Newcombe intervals of differences); a tidy table of any other effect can be drawn
as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import stats as _stats
from ..outcomes import Outcomes
from ..stats.subgroups import OVERALL
from . import annotate, axes, checks, grouping
from .style import bundled_font, current_style

__all__ = ["forest"]

_TIDY = ("estimate", "ci_low", "ci_high")
_DIFF = ("difference", "rate_difference")
_OUTCOME_WORDS = {
    "response": "response",
    "remission": "remission",
    "relapse": "relapse",
    "rapid_response": "rapid response",
    "sustained_response": "sustained response",
    "stable_remission": "stable remission",
    "stable_response": "stable response",
    "suicidality_resolved": "resolved suicidality",
}
_MINUS = "\u2212"


@bundled_font()
def forest(
    data,
    *,
    outcome: str = "response",
    subgroups=("route", "sex"),
    scale: str | None = None,
    by: str | None = None,
    labels=None,
    colors=None,
    ax=None,
    min_cell_size: int | None = None,
    measure: str | None = None,
    groups=None,
    bins: Mapping | None = None,
    overall: bool = True,
    level: float = 0.95,
    reference="auto",
    estimates: bool = True,
    subgroup_labels: Mapping | None = None,
    xlabel: str | None = None,
    percent: bool | None = None,
):
    """Forest plot of a rate or a difference of rates overall and per subgroup.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (or a DataFrame shaped like its ``patients``):
        the effects are computed by :func:`ketanalysis.stats.subgroup_effects`. Or a tidy
        effect table with ``estimate``, ``ci_low``, ``ci_high`` and ``label`` or
        ``level`` (optional: ``subgroup``, ``n``, ``measure``, and the ``by`` column),
        drawn as it is, one row per line in its order.
    outcome : str, default "response"
        Binary per-patient outcome (see :func:`ketanalysis.stats.rates`).
    subgroups : str or sequence of str, default ("route", "sex")
        Subgroup columns of ``patients``, in display order.
    scale : str, optional
        The outcome scale (default: the primary scale).
    by : str, optional
        The arm column: differences between its two levels (``measure="difference"``,
        the default with ``by``), or one rate per arm side by side (``measure="rate"``).
    labels, colors : dict or list, optional
        Label and colour of each level of ``by`` (the arms' names in the x label of a
        difference; legend entries and colours of per-arm rates).
    ax : matplotlib Axes, optional
        Draw here (the text columns are placed left and right of it; leave room). By
        default a new figure at the active publication size, laid out to fit.
    min_cell_size : int, optional
        Counts from 1 to ``min_cell_size - 1`` in the n column become ``"<k"``.
    measure : {"rate", "difference"}, optional
        See ``by``; default ``"difference"`` with ``by``, else ``"rate"``.
    groups : pair, optional
        ``(a, b)``: the difference a - b (default: the levels of ``by`` in sorted order).
    bins : dict, optional
        Cut continuous subgroup columns, e.g. ``{"age": [18, 40, 65, 100]}`` (bins include
        their lower edge; see :func:`ketanalysis.stats.subgroup_effects`).
    overall : bool, default True
        Draw the row of all patients first.
    level : float, default 0.95
        Confidence level.
    reference : "auto", float or None, default "auto"
        Vertical reference line: 0 for differences, the overall rate for rates (dashed),
        none for a tidy table without a ``measure`` column; a number; None for no line.
    estimates : bool, default True
        Write "estimate (interval)" right of the plot (not with per-arm rates).
    subgroup_labels : dict, optional
        Headings of the subgroup columns (default: the column name, capitalised).
    xlabel : str, optional
        x label (default from the outcome, scale and measure).
    percent : bool, optional
        Show estimates as percentages (default: for rates and differences of rates).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Rows: the overall estimate (diamond) first, then each subgroup heading with its
    levels (squares) and their n. Each estimate is drawn at ``estimate`` with a line from
    ``ci_low`` to ``ci_high``. Rates have Wilson score intervals; differences (arm a -
    arm b) Newcombe's hybrid score intervals (Newcombe RG. Stat Med 1998;17:873-890). A
    level where one arm has no patient has no estimate ("NA"). Subgroup estimates are
    descriptive: overlapping intervals are not a test of interaction.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> with ka.plots.publication("nature", "single"):
    ...     ax = ka.plots.forest(out, subgroups=["route", "sex"])
    >>> ax.get_xlabel()
    'Patients with MADRS response (%)'
    >>> plt.close("all")
    """
    checks.check_min_cell_size(min_cell_size)
    for name, value in (("overall", overall), ("estimates", estimates)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if percent is not None and not isinstance(percent, bool):
        raise TypeError(f"percent must be True, False or None, got {percent!r}")
    if by is not None and not isinstance(by, str):
        raise ValueError(f"by must name one column, got {by!r}")
    if subgroup_labels is not None and not isinstance(subgroup_labels, Mapping):
        raise TypeError(f"subgroup_labels must be a dict, got {type(subgroup_labels).__name__}")

    tidy = isinstance(data, pd.DataFrame) and all(col in data.columns for col in _TIDY)
    if tidy:
        tab = _check_tidy(data, by)
        scale_key = tab["scale"].iloc[0] if "scale" in tab.columns and len(tab) else None
        measure_used = str(tab["measure"].iloc[0]) if "measure" in tab.columns else None
        outcome_used = str(tab["outcome"].iloc[0]) if "outcome" in tab.columns else None
    elif isinstance(data, (Outcomes, pd.DataFrame)):
        tab = _stats.subgroup_effects(
            data,
            outcome=outcome,
            subgroups=subgroups,
            by=by,
            groups=groups,
            measure=measure,
            bins=bins,
            overall=overall,
            scale=scale,
            level=level,
        )
        scale_key = tab["scale"].iloc[0]
        measure_used = str(tab["measure"].iloc[0])
        outcome_used = outcome
    else:
        raise TypeError(
            "data must be an Outcomes from ka.derive, a patients DataFrame or a tidy effect "
            f"table (estimate, ci_low, ci_high, label), not {type(data).__name__}"
        )
    if min_cell_size is not None:
        tab = _hide_small(tab, min_cell_size)
    is_diff = measure_used in _DIFF
    if percent is None:
        percent = measure_used in ("rate", *_DIFF)
    per_arm = by is not None and by in tab.columns and not is_diff
    grp = grouping.groups(tab, by if per_arm else None, labels=labels, colors=colors)
    if not per_arm:
        grp = [g.__class__(g.level, g.label, "black", "s", "-", 0) for g in grp]
    arm_names = _arm_names(tab, by, labels) if is_diff else None

    rows = _rows(tab, per_arm, by, subgroup_labels)
    n_rows = len(rows)
    own = ax is None
    fig, ax = axes.new_axes(ax, height_ratio=_height_ratio(n_rows))
    lw = float(axes.pyplot().rcParams["lines.linewidth"])
    fs = axes.small_font()

    # estimates and intervals, one set per arm (one set without per-arm rates)
    dodge = _dodge(len(grp)) if per_arm else [0.0]
    for gi, g in enumerate(grp):
        for kind in ("overall", "estimates"):
            xs, ys, lo, hi = [], [], [], []
            for r, row in enumerate(rows):
                if row["kind"] != ("overall" if kind == "overall" else "level"):
                    continue
                est = row["values"].get(g.level if per_arm else None)
                if est is None or not np.isfinite(est[0]):
                    continue
                xs.append(est[0])
                ys.append(r + dodge[gi])
                lo.append(est[1])
                hi.append(est[2])
            if not xs:
                continue
            ci = ax.hlines(ys, lo, hi, color=g.color, linewidth=0.8 * lw, zorder=2)
            ci.set_gid(f"ci:{kind}:{gi}")
            big = kind == "overall"
            (pt,) = ax.plot(
                xs,
                ys,
                linestyle="none",
                marker="D" if big and not per_arm else g.marker,
                markersize=4.0 if big else 3.0,
                color=g.color,
                markeredgewidth=0,
                zorder=3,
            )
            pt.set_gid(f"{kind}:{gi}")

    ref = _reference(reference, tab, is_diff, measure_used, per_arm)
    if ref is not None:
        rl = ax.axvline(
            ref,
            color="#777777",
            linewidth=0.6 * lw,
            linestyle="-" if is_diff or ref == 0 else (0, (3, 2)),
            zorder=1,
        )
        rl.set_gid("reference")

    # axes
    ax.set_ylim(n_rows - 0.5, -1.3)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    if percent:
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _num(v * 100, 0)))
    ax.set_xlabel(
        xlabel if xlabel is not None else _x_label(scale_key, outcome_used, is_diff, arm_names),
        fontsize=axes.font(),
    )
    _pad_x(ax, ref)

    # text columns: labels and n left of the axes, estimates right of it
    header_y = -1.0
    label_texts, n_texts, est_texts = [], [], []
    for r, row in enumerate(rows):
        bold = row["kind"] in ("header", "overall")
        label_texts.append(
            (_annotate(ax, row["label"], 0, r, fs, ha="left", bold=bold), row["indent"])
        )
        if row["n"] is not None:
            n_texts.append(_annotate(ax, _n_text(row["n"], min_cell_size), 0, r, fs, ha="right"))
    has_n = bool(n_texts)
    if has_n:
        n_texts.append(_annotate(ax, "n", 0, header_y, fs, ha="right", bold=True))
    if estimates and not per_arm:
        for r, row in enumerate(rows):
            if row["kind"] == "header":
                continue
            est = row["values"].get(None)
            est_texts.append(_annotate(ax, _est_text(est, percent, is_diff), 1, r, fs))
        head = _est_header(measure_used, percent, level, outcome_used)
        est_texts.append(_annotate(ax, head, 1, header_y, fs, bold=True))

    renderer = axes.renderer_of(fig)
    pad = 4.0
    indent = fs * 0.9

    def width(t) -> float:
        return t.get_window_extent(renderer).width * 72.0 / fig.dpi

    n_w = max((width(t) for t in n_texts), default=0.0)
    lab_w = max((width(t) + i * indent for t, i in label_texts), default=0.0)
    n_x = -pad
    lab_x = -(pad + (n_w + pad if has_n else 0.0) + lab_w)
    for t, i in label_texts:
        t.xyann = (lab_x + i * indent, 0)
    for t in n_texts:
        t.xyann = (n_x, 0)
    for t in est_texts:
        t.xyann = (pad, 0)

    if per_arm and len(grp) > 1:
        handles = [
            axes.pyplot().Line2D(
                [],
                [],
                color=g.color,
                marker=g.marker,
                markersize=3.0,
                linewidth=0.8 * lw,
                label=g.label,
            )
            for g in grp
        ]
        if own:
            axes.tight(fig, ignore=UserWarning)
        annotate.legend_above(ax, handles, ncols=(len(handles), 2, 1))
    if own:
        axes.tight(fig, ignore=UserWarning)
        _fit_xlabel(ax)
        axes.tight(fig, ignore=UserWarning)
        if is_diff:
            _favours(ax, ref, arm_names, header_y, fs)
    elif is_diff:
        _favours(ax, ref, arm_names, header_y, fs)
    return ax


# ---------------------------------------------------------------------------------------
# table -> rows
# ---------------------------------------------------------------------------------------
def _check_tidy(data: pd.DataFrame, by) -> pd.DataFrame:
    if "label" not in data.columns and "level" not in data.columns:
        raise ValueError("a tidy effect table needs a 'label' or 'level' column")
    if not len(data):
        raise ValueError("the effect table has no rows")
    for col in _TIDY:
        try:
            pd.to_numeric(data[col])
        except (TypeError, ValueError):
            raise ValueError(f"effect table column {col!r} is not numeric") from None
    if by is not None and by not in data.columns:
        raise ValueError(f"by={by!r} is not a column of the effect table")
    return data.reset_index(drop=True)


def _heading(name, subgroup_labels) -> str:
    if subgroup_labels and name in subgroup_labels:
        return str(subgroup_labels[name])
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]


def _rows(tab: pd.DataFrame, per_arm: bool, by, subgroup_labels) -> list[dict]:
    """Display rows: overall, then per subgroup a heading and its levels."""
    label = tab["label"] if "label" in tab.columns else tab["level"].map(str)
    sub = tab["subgroup"] if "subgroup" in tab.columns else pd.Series([None] * len(tab))
    est = pd.to_numeric(tab["estimate"]).to_numpy(dtype=float)
    lo = pd.to_numeric(tab["ci_low"]).to_numpy(dtype=float)
    hi = pd.to_numeric(tab["ci_high"]).to_numpy(dtype=float)
    n = tab["n"].to_numpy() if "n" in tab.columns else [None] * len(tab)
    rows: list[dict] = []
    index: dict = {}
    last_sub = object()
    for i in range(len(tab)):
        s = sub.iloc[i]
        is_overall = isinstance(s, str) and s == OVERALL
        plain = s is None or (not isinstance(s, str) and pd.isna(s))
        key = (s if not plain else None, str(label.iloc[i]))
        if key not in index:
            if not is_overall and not plain and s != last_sub:
                rows.append(
                    {
                        "kind": "header",
                        "label": _heading(s, subgroup_labels),
                        "indent": 0,
                        "n": None,
                        "values": {},
                    }
                )
            last_sub = s
            index[key] = len(rows)
            rows.append(
                {
                    "kind": "overall" if is_overall else "level",
                    "label": str(label.iloc[i]),
                    "indent": 0 if (is_overall or plain) else 1,
                    "n": {} if n[i] is not None else None,
                    "values": {},
                }
            )
        row = rows[index[key]]
        arm = tab[by].iloc[i] if per_arm else None
        row["values"][arm] = (est[i], lo[i], hi[i])
        if row["n"] is not None and n[i] is not None:
            row["n"][arm] = n[i]
    if per_arm:  # one count per arm in arm order, 0 where an arm has no patient
        arms = grouping.groups(tab, by)
        for row in rows:
            if row["n"] is not None:
                row["n"] = [row["n"].get(g.level, 0) for g in arms]
    else:
        for row in rows:
            if row["n"] is not None:
                row["n"] = list(row["n"].values())
    return rows


def _hide_small(tab: pd.DataFrame, min_cell_size: int) -> pd.DataFrame:
    """No estimate or interval where n, k or n - k is from 1 to ``min_cell_size - 1``:
    a printed rate and interval invert to k / n."""
    hide = np.zeros(len(tab), dtype=bool)
    n = pd.to_numeric(tab["n"], errors="coerce").to_numpy(dtype=float) if "n" in tab else None
    if n is not None:
        hide |= (n > 0) & (n < min_cell_size)
        if "k" in tab.columns:
            k = pd.to_numeric(tab["k"], errors="coerce").to_numpy(dtype=float)
            hide |= ((k > 0) & (k < min_cell_size)) | ((n - k > 0) & (n - k < min_cell_size))
    if not hide.any():
        return tab
    tab = tab.copy()
    tab.loc[hide, ["estimate", "ci_low", "ci_high"]] = np.nan
    return tab


def _n_text(ns, min_cell_size) -> str:
    return " / ".join(annotate.count_text(v, min_cell_size) if v is not None else "0" for v in ns)


def _arm_names(tab, by, labels) -> tuple[str, str]:
    if "group1" in tab.columns:
        a, b = tab["group1"].iloc[0], tab["group2"].iloc[0]
    else:
        return ("", "")
    if isinstance(labels, Mapping):
        return str(labels.get(a, a)), str(labels.get(b, b))
    if labels is not None:
        labels = list(labels)
        if len(labels) != 2:
            raise ValueError(f"labels has {len(labels)} entries for 2 arms")
        return str(labels[0]), str(labels[1])
    return str(a), str(b)


# ---------------------------------------------------------------------------------------
# drawing helpers
# ---------------------------------------------------------------------------------------
def _height_ratio(n_rows: int) -> float:
    """Figure height from the number of rows (about 2.3 lines of small type per row)."""
    style, w, _ = current_style()
    need_in = (n_rows + 1.5) * axes.small_font() * 2.3 / 72 + 0.5
    return min(need_in, style.max_height_in) / w


def _dodge(k: int) -> list[float]:
    if k <= 1:
        return [0.0]
    step = min(0.6 / (k - 1), 0.25)
    return [(i - (k - 1) / 2) * step for i in range(k)]


def _annotate(ax, text, x_frac, y, fs, *, ha="left", bold=False):
    return ax.annotate(
        text,
        xy=(x_frac, y),
        xycoords=("axes fraction", "data"),
        xytext=(0, 0),
        textcoords="offset points",
        ha=ha,
        va="center",
        fontsize=fs,
        fontweight="bold" if bold else "normal",
        annotation_clip=False,
    )


def _num(v: float, decimals: int) -> str:
    text = f"{v:.{decimals}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", _MINUS)


def _est_text(est, percent: bool, is_diff: bool) -> str:
    if est is None or not np.isfinite(est[0]):
        return "NA"
    k, d = (100.0, 0) if percent else (1.0, 2)
    e, lo, hi = (_num(v * k, d) if np.isfinite(v) else "NA" for v in est)
    sep = " to " if is_diff or not percent else "\u2013"
    return f"{e} ({lo}{sep}{hi})"


def _est_header(measure, percent: bool, level: float, outcome=None) -> str:
    ci = f"{level * 100:g}% CI"
    if measure in _DIFF:
        return f"Difference, {'pp ' if percent else ''}({ci})"
    if measure == "rate":
        word = _OUTCOME_WORDS.get(outcome, "rate") if outcome else "rate"
        word = word[:1].upper() + word[1:]
        return f"{word}, % ({ci})" if percent else f"{word} ({ci})"
    return f"Estimate ({ci})"


def _x_label(scale, outcome, is_diff, arms) -> str:
    name = annotate.scale_name(scale) + " " if scale else ""
    word = _OUTCOME_WORDS.get(outcome, str(outcome).replace("_", " ")) if outcome else ""
    if is_diff:
        return f"Difference in {name}{word}, {arms[0]} {_MINUS} {arms[1]} (percentage points)"
    if outcome:
        return f"Patients with {name}{word} (%)"
    return "Estimate"


def _reference(reference, tab, is_diff, measure, per_arm):
    if reference is None:
        return None
    if isinstance(reference, str):
        if reference != "auto":
            raise ValueError(f"reference must be 'auto', a number or None, got {reference!r}")
        if is_diff:
            return 0.0
        if measure == "rate" and not per_arm and "subgroup" in tab.columns:
            ov = tab.loc[(tab["subgroup"] == OVERALL).to_numpy(), "estimate"]
            return float(ov.iloc[0]) if len(ov) and np.isfinite(ov.iloc[0]) else None
        return None
    if isinstance(reference, (int, float, np.number)) and not isinstance(reference, bool):
        return float(reference)
    raise TypeError(f"reference must be 'auto', a number or None, got {reference!r}")


def _pad_x(ax, ref) -> None:
    """x limits: the data and the reference line with a margin, ticks inside."""
    ax.autoscale(axis="x")
    lo, hi = ax.get_xlim()
    if ref is not None:
        lo, hi = min(lo, ref), max(hi, ref)
    span = hi - lo if hi > lo else 1.0
    ax.set_xlim(lo - 0.04 * span, hi + 0.04 * span)


def _fit_xlabel(ax) -> None:
    """Break a long x label into two lines (at the comma or the middle space)."""
    label = ax.xaxis.label
    text = label.get_text()
    if not text or "\n" in text:
        return
    renderer = axes.renderer_of(ax.figure)
    fig_w = ax.figure.get_figwidth() * ax.figure.dpi
    if label.get_window_extent(renderer).width <= min(fig_w - 4, ax.bbox.width * 1.6):
        return
    if ", " in text:
        head, tail = text.split(", ", 1)
        label.set_text(head + ",\n" + tail)
        return
    words = text.split(" ")
    mid = len(words) // 2
    label.set_text(" ".join(words[:mid]) + "\n" + " ".join(words[mid:]))


def _favours(ax, ref, arms, y, fs) -> None:
    """'<- b' and 'a ->' either side of the reference line, if they fit in the axes."""
    if ref is None or not arms or not all(arms):
        return
    renderer = axes.renderer_of(ax.figure)
    gap = 2.0
    left = ax.annotate(
        f"\u2190 {arms[1]}",
        xy=(ref, y),
        xycoords="data",
        xytext=(-gap, 0),
        textcoords="offset points",
        ha="right",
        va="center",
        fontsize=fs,
        color="#444444",
    )
    right = ax.annotate(
        f"{arms[0]} \u2192",
        xy=(ref, y),
        xycoords="data",
        xytext=(gap, 0),
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=fs,
        color="#444444",
    )
    box = ax.bbox
    for t in (left, right):
        bb = t.get_window_extent(renderer)
        if bb.x0 < box.x0 - 0.5 or bb.x1 > box.x1 + 0.5:
            t.remove()
