"""The report's tables: each computed by :mod:`ketanalysis.stats` (or counted from the
validation report), then passed through the privacy rules.

Every function returns :class:`~ketanalysis.report.tabular.Table` objects; none draws and
none imports matplotlib. Table 1 (baseline characteristics by group) is descriptive:
continuous variables as mean (SD) and median [IQR], categorical ones as n (%).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import scales as _scales
from ..validation.scores import CANONICAL_ORDER, PROVENANCE
from .privacy import SECONDARY, Privacy, Rule
from .tabular import Table

__all__ = [
    "by_session_tables",
    "cadss_tables",
    "covariates",
    "data_tables",
    "effect_size_tables",
    "endpoint_tables",
    "mmrm_tables",
    "rate_tables",
    "reliable_change_tables",
    "survival_tables",
    "table1",
]

#: Per-patient outcomes reported as rates, in order.
RATE_OUTCOMES = (
    "response",
    "remission",
    "rapid_response",
    "sustained_response",
    "stable_remission",
    "stable_response",
    "relapse",
)
_ITEM = re.compile(r"item_\d+\Z")
_CI = ("ci_low", "ci_high")
LABELS = {
    "n": "n",
    "k": "k",
    "rate": "%",
    "sd": "SD",
    "se": "SE",
    "p_value": "p",
    "n_missing": "missing",
    "n_excluded": "excluded",
    "n_imputed": "imputed",
    "n_events": "events",
    "n_at_risk": "at risk",
    "cum_events": "events (cum.)",
    "cum_censored": "censored (cum.)",
}
# Categorical when numeric with at most this many distinct values (e.g. dose levels).
_MAX_LEVELS_NUMERIC = 5


#: Suppression rules and number formats of a by-session table of means.
MEAN_RULES = (Rule("n", also=("mean", "sd", "se", *_CI)), Rule("n_missing"))
MEAN_FORMATS = {
    "n": "count",
    "n_missing": "count",
    "session": "g",
    "mean": "num1",
    "sd": "num1",
    "se": "num2",
    "ci_low": "num1",
    "ci_high": "num1",
}


def rate_rules(counts=(), n_also=()) -> list:
    """Suppression rules of a rate table: k with its rate and CI, n, and other counts."""
    return [
        Rule("k", also=("rate", *_CI), total="n"),
        Rule("n", also=("k", "rate", *_CI, *n_also)),
        *(Rule(c) for c in counts),
    ]


def rate_formats(counts=(), **more) -> dict[str, str]:
    """Number formats of a rate table: counts, then the rate and its CI in %."""
    return {
        "k": "count",
        "n": "count",
        **dict.fromkeys(counts, "count"),
        "rate": "pct",
        "ci_low": "pct",
        "ci_high": "pct",
        **more,
    }


def _labels(level: float, pct: bool = False) -> dict[str, str]:
    ci = f"{level * 100:g}% CI"
    unit = " (%)" if pct else ""
    return {**LABELS, "ci_low": f"{ci} low{unit}", "ci_high": f"{ci} high{unit}"}


def _table(key, title, frame, privacy: Privacy, rules=(), **kw) -> Table:
    frame = frame.reset_index(drop=True)
    hidden = privacy.apply(title, frame, rules)
    return Table(key, title, frame, hidden=hidden, **kw)


def covariates(frame: pd.DataFrame) -> list[str]:
    """Covariate columns of a validated frame (neither structural nor items)."""
    skip = set(CANONICAL_ORDER) | set(PROVENANCE)
    return [c for c in frame.columns if c not in skip and not _ITEM.match(str(c))]


def _scale_label(key: str) -> str:
    return _scales.get(key).label


# ---------------------------------------------------------------------------------------
# Data summary and the audit of excluded rows
# ---------------------------------------------------------------------------------------
def data_tables(report, privacy: Privacy) -> list[Table]:
    """Rows read and kept, assessments per scale, exclusions by reason, the audit rows and
    the validation warnings (listed row by row only under standard privacy)."""
    f = report.frame
    rows = pd.DataFrame(
        {
            "item": ["rows read", "rows kept", "rows excluded", "patients"],
            "n": [
                report.n_rows_in,
                report.n_rows_out,
                len(report.audit),
                f["patient_id"].nunique(),
            ],
        }
    )
    out = [
        _table("data_rows", "Rows and patients", rows, privacy, [Rule("n")], formats={"n": "count"})
    ]
    order = {k: i for i, k in enumerate(_scales.SCALES)}
    per = []
    for scale, g in sorted(f.groupby("scale", observed=True), key=lambda kv: order[kv[0]]):
        sessions = pd.unique(g["session"].dropna())
        row = {
            "scale": _scale_label(scale),
            "patients": g["patient_id"].nunique(),
            "assessments": len(g),
            "sessions": len(sessions),
            "first_session": min(sessions) if len(sessions) else np.nan,
            "last_session": max(sessions) if len(sessions) else np.nan,
        }
        if "day" in g:
            row["last_day"] = g["day"].max()
        if "score_source" in g:
            row["totals_from_items"] = int(g["score_source"].isin(["items", "prorated"]).sum())
            row["prorated"] = int((g["score_source"] == "prorated").sum())
        per.append(row)
    per = pd.DataFrame(per)
    counts = ["patients", "assessments", "totals_from_items", "prorated"]
    out.append(
        _table(
            "data_scales",
            "Assessments by scale",
            per,
            privacy,
            [Rule(c) for c in counts],
            formats={c: "count" for c in counts}
            | {"sessions": "int", "first_session": "g", "last_session": "g", "last_day": "g"},
            labels={
                "first_session": "first session",
                "last_session": "last session",
                "last_day": "last day",
                "totals_from_items": "totals from items",
            },
        )
    )
    excl = _exclusions(report)
    out.append(
        _table(
            "exclusions",
            "Excluded rows by reason",
            excl,
            privacy,
            [Rule("rows"), Rule("patients")],
            formats={"rows": "count", "patients": "count"},
            note="" if len(excl) else "No row was excluded.",
        )
    )
    warn = report.warnings
    wcount = (
        warn.groupby("check", sort=True).size().rename("n").reset_index()
        if len(warn)
        else pd.DataFrame({"check": pd.Series(dtype=str), "n": pd.Series(dtype=np.int64)})
    )
    out.append(
        _table(
            "warnings",
            "Validation warnings by check",
            wcount,
            privacy,
            [Rule("n")],
            formats={"n": "count"},
            note="" if len(warn) else "No warnings.",
        )
    )
    if not privacy.strict and len(report.audit):
        audit = report.audit.copy()
        out.append(
            Table(
                "audit",
                "Audit of excluded rows",
                audit,
                formats={"row": "int", "session": "g"},
                note="Each row of the input excluded before analysis, with its row number "
                "as in the input file and the reason.",
                html_rows=200,
            )
        )
        if len(warn):
            out.append(
                Table(
                    "warnings_list",
                    "Validation warnings",
                    warn[["check", "row", "column", "message"]],
                    formats={"row": "int"},
                    html_rows=200,
                )
            )
    return out


def _exclusions(report) -> pd.DataFrame:
    audit = report.audit
    if audit.empty:
        return pd.DataFrame(
            {
                "reason": pd.Series(dtype=str),
                "rows": pd.Series(dtype=np.int64),
                "patients": pd.Series(dtype=np.int64),
            }
        )
    reason = audit["reason"].str.replace(r" \(.*\)$", "", regex=True)
    g = audit.assign(reason=reason).groupby("reason", sort=True)
    return pd.DataFrame({"rows": g.size(), "patients": g["patient_id"].nunique()}).reset_index()


# ---------------------------------------------------------------------------------------
# Table 1
# ---------------------------------------------------------------------------------------
def table1(
    out,
    *,
    group: str | None,
    variables,
    privacy: Privacy,
    scale: str | None = None,
    title: str | None = None,
) -> Table:
    """Baseline characteristics by group.

    One row per patient (the primary scale's ``patients`` rows, with every outcome
    scale's baseline score). Numeric variables with more than five distinct values are
    continuous (mean (SD), median [IQR]); others categorical (n (%), percentages of the
    patients with a known value). Under strict privacy there is no "All" column when there
    are groups (it would reveal hidden group counts by difference), a group of fewer than
    ``min_cell_size`` patients is hidden whole, statistics of fewer than that many values
    are hidden, and a second category is hidden when only one would be.
    """
    pats = _patient_frame(out, scale or out.scales[0])
    groups = _group_levels(pats, group)
    columns = []
    for label, mask in groups:
        columns.append((f"{label} (N = {{n}})", mask))
    if group is not None and not privacy.strict:
        columns.append(("All (N = {n})", np.ones(len(pats), dtype=bool)))
    if group is None:
        columns = [("All (N = {n})", np.ones(len(pats), dtype=bool))]
    rows: list[tuple[str, list[str], list[str]]] = []
    whole = [privacy.is_small(int(m.sum())) for _, m in columns]

    def add(label, cells, marks):
        marks = [SECONDARY if whole[i] and not marks[i] else marks[i] for i in range(len(marks))]
        rows.append((label, cells, marks))

    ns = [int(m.sum()) for _, m in columns]
    add(
        "Patients, n",
        [str(n) for n in ns],
        [privacy.label if privacy.is_small(n) else "" for n in ns],
    )
    variables = list(variables)
    for var, label in variables:
        col = pats[var]
        if _is_continuous(col):
            _continuous_rows(add, label, col, columns, privacy)
        else:
            _categorical_rows(add, label, col, columns, privacy)
    header = ["characteristic"] + [c[0].format(n=n) for c, n in zip(columns, ns, strict=True)]
    if privacy.strict:
        header = ["characteristic"] + [
            c[0].format(n=privacy.label if privacy.is_small(n) else n)
            for c, n in zip(columns, ns, strict=True)
        ]
    frame = pd.DataFrame([[r[0], *r[1]] for r in rows], columns=header)
    hidden = pd.DataFrame([["", *r[2]] for r in rows], columns=header, dtype=object)
    privacy.record(title or "Table 1", hidden)
    note = (
        "Continuous variables: mean (SD) and median [IQR]; categorical: n (%) of the "
        "patients with a known value. Baseline values of each patient."
    )
    if privacy.strict:
        note += f" Counts below {privacy.min_cell_size} are shown as {privacy.label}; * marks a value hidden because it would reveal one."
    return Table(
        "table1",
        title or "Table 1. Baseline characteristics" + (f" by {group}" if group else ""),
        frame,
        formats=dict.fromkeys(header, "text"),
        hidden=hidden,
        note=note,
    )


def _patient_frame(out, primary: str) -> pd.DataFrame:
    """One row per patient: the primary scale's patients rows plus each scale's baseline."""
    p = out.patients
    pats = p.loc[p["scale"] == primary].set_index("patient_id")
    for s in out.scales:
        base = p.loc[p["scale"] == s].set_index("patient_id")["baseline"]
        pats[f"baseline:{s}"] = base.reindex(pats.index)
    return pats.reset_index()


def _group_levels(frame: pd.DataFrame, group: str | None) -> list[tuple[str, np.ndarray]]:
    if group is None:
        return []
    col = frame[group]
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [v for v in col.cat.categories if (col == v).any()]
    else:
        levels = sorted(pd.unique(col.dropna()), key=lambda v: (str(type(v)), v))
    out = [(str(v), (col == v).to_numpy(dtype=bool)) for v in levels]
    if col.isna().any():
        out.append(("(missing)", col.isna().to_numpy()))
    return out


def _is_continuous(col: pd.Series) -> bool:
    return (
        pd.api.types.is_numeric_dtype(col)
        and not pd.api.types.is_bool_dtype(col)
        and col.nunique() > _MAX_LEVELS_NUMERIC
    )


def _continuous_rows(add, label, col, columns, privacy):
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    mean_sd, med_iqr, miss, marks, mmarks = [], [], [], [], []
    for _, m in columns:
        v = values[m]
        known = v[~np.isnan(v)]
        nmiss = int(len(v) - len(known))
        if len(known):
            mean_sd.append(
                f"{known.mean():.1f} ({known.std(ddof=1):.1f})"
                if len(known) > 1
                else f"{known.mean():.1f}"
            )
            q1, q2, q3 = np.percentile(known, [25, 50, 75])
            med_iqr.append(f"{_num(q2)} [{_num(q1)}, {_num(q3)}]")
        else:
            mean_sd.append("")
            med_iqr.append("")
        miss.append(str(nmiss))
        marks.append(SECONDARY if privacy.is_small(len(known)) else "")
        mmarks.append(privacy.label if privacy.is_small(nmiss) else "")
    add(f"{label}, mean (SD)", mean_sd, marks)
    add(f"{label}, median [IQR]", med_iqr, list(marks))
    if np.isnan(values).any():
        add(f"{label}, missing, n", miss, mmarks)


def _level(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _num(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def _categorical_rows(add, label, col, columns, privacy):
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = [v for v in col.cat.categories if (col == v).any()]
    else:
        levels = sorted(pd.unique(col.dropna()), key=lambda v: (str(type(v)), v))
    has_missing = bool(col.isna().any())
    add(f"{label}, n (%)", [""] * len(columns), [""] * len(columns))
    block_cells = [[] for _ in levels] + ([[]] if has_missing else [])
    block_marks = [[] for _ in block_cells]
    for _, m in columns:
        sub = col[m]
        known = int(sub.notna().sum())
        counts = [int((sub == v).sum()) for v in levels]
        if has_missing:
            counts.append(int(sub.isna().sum()))
        marks = [privacy.label if privacy.is_small(c) else "" for c in counts]
        if privacy.strict and sum(1 for x in marks if x) == 1 and len(counts) > 1:
            # complementary: hide the smallest other count too
            j = min((c, i) for i, c in enumerate(counts) if not marks[i])[1]
            marks[j] = SECONDARY
        for i, c in enumerate(counts):
            is_missing_row = has_missing and i == len(counts) - 1
            pct = "" if is_missing_row or not known else f" ({100 * c / known:.1f})"
            block_cells[i].append(f"{c}{pct}")
            block_marks[i].append(marks[i])
    names = [_level(v) for v in levels] + (["missing"] if has_missing else [])
    for name, cells, marks in zip(names, block_cells, block_marks, strict=True):
        add(f"    {name}", cells, marks)


# ---------------------------------------------------------------------------------------
# Outcomes by session, rates, endpoint analyses
# ---------------------------------------------------------------------------------------
def by_session_tables(out, *, group, level, privacy: Privacy) -> list[Table]:
    """Mean score and mean change from baseline per scale x session (x group)."""
    from .. import stats

    tables = []
    for value, title in (
        ("score", "Scores by session"),
        ("change", "Change from baseline by session"),
    ):
        tab = stats.by_session(out, by=group, value=value, level=level).drop(columns="variable")
        tab["scale"] = tab["scale"].astype(str)
        tables.append(
            _table(
                f"by_session_{value}",
                title,
                tab,
                privacy,
                MEAN_RULES,
                formats=MEAN_FORMATS,
                labels=_labels(level),
            )
        )
    return tables


def rate_tables(out, *, group, level, privacy: Privacy) -> list[Table]:
    """Per-patient rates of response, remission, ... and relapse (Wilson intervals)."""
    from .. import stats

    parts = []
    for outcome in RATE_OUTCOMES:
        parts.append(stats.rates(out, outcome=outcome, by=group, level=level))
    tab = pd.concat(parts, ignore_index=True)
    tab["scale"] = tab["scale"].astype(str)
    order = {k: i for i, k in enumerate(out.scales)}
    tab = tab.sort_values("scale", key=lambda s: s.map(order), kind="stable")
    return [
        _table(
            "rates",
            "Response, remission and relapse rates",
            tab,
            privacy,
            rate_rules(("n_excluded",)),
            formats=rate_formats(("n_excluded",)),
            labels=_labels(level, pct=True),
            note="Per patient and scale over the whole follow-up; relapse among the patients "
            "at risk (who reached the relapse entry state). Wilson score intervals.",
        )
    ]


def difference_tables(out, *, arm, level, privacy: Privacy) -> list[Table]:
    """Rate differences between two arms (Newcombe) with the number needed to treat."""
    from .. import stats

    parts = []
    for outcome in ("response", "remission", "relapse"):
        try:
            diff = stats.rate_difference(out, outcome=outcome, by=arm, level=level)
            nnt = stats.nnt(out, outcome=outcome, by=arm, level=level)
        except ValueError:
            continue
        diff["nnt"] = nnt["label"].to_numpy()
        parts.append(diff)
    if not parts:
        return []
    tab = pd.concat(parts, ignore_index=True)
    tab["scale"] = tab["scale"].astype(str)
    dep = ("rate1", "rate2", "estimate", *_CI, "nnt")
    return [
        _table(
            "rate_differences",
            f"Differences in rates between arms ({arm})",
            tab,
            privacy,
            [
                Rule("k1", also=dep, total="n1"),
                Rule("k2", also=dep, total="n2"),
                Rule("n1", also=dep),
                Rule("n2", also=dep),
            ],
            formats={
                "k1": "count",
                "n1": "count",
                "k2": "count",
                "n2": "count",
                "n": "count",
                "rate1": "pct",
                "rate2": "pct",
                "estimate": "pct",
                "ci_low": "pct",
                "ci_high": "pct",
            },
            labels={**_labels(level, pct=True), "estimate": "difference (%)", "nnt": "NNT"},
            note="Difference group1 - group2 with Newcombe's hybrid score interval; NNT "
            "(Altman's NNTB/NNTH) from the same interval.",
        )
    ]


def endpoint_tables(out, *, endpoint, group, level, privacy: Privacy) -> list[Table]:
    """Response and remission at the endpoint session: observed, LOCF and BOCF."""
    from .. import stats

    parts = []
    for outcome in ("response", "remission"):
        parts.append(
            stats.responders(
                out,
                session=endpoint,
                method=["observed", "locf", "bocf"],
                by=group,
                outcome=outcome,
                level=level,
            )
        )
    tab = pd.concat(parts, ignore_index=True)
    tab["scale"] = tab["scale"].astype(str)
    return [
        _table(
            "endpoint_rates",
            f"Response and remission at session {endpoint}",
            tab,
            privacy,
            rate_rules(("n_imputed", "n_missing", "n_excluded")),
            formats=rate_formats(("n_imputed", "n_missing", "n_excluded"), session="g"),
            labels=_labels(level, pct=True),
            note="Observed case (patients assessed at the session), last observation carried "
            "forward (LOCF) and baseline observation carried forward (BOCF, non-responder "
            "imputation). Wilson score intervals.",
        )
    ]


def effect_size_tables(out, *, endpoint, group, arm, level, privacy: Privacy) -> list[Table]:
    """Hedges' g of the change from baseline at the endpoint: within groups and between
    two arms."""
    from .. import stats

    tables = []
    within = stats.effect_size(
        out, session=endpoint, value="change", kind="within", by=group, level=level
    )
    within["scale"] = within["scale"].astype(str)
    dep = ("estimate", "se", *_CI, "mean_difference", "sd")
    tables.append(
        _table(
            "effect_size_within",
            f"Change from baseline at session {endpoint}: standardised mean change",
            within.drop(columns=["variable"]),
            privacy,
            [Rule("n", also=dep)],
            formats={
                "n": "count",
                "session": "g",
                "estimate": "num2",
                "se": "num2",
                "ci_low": "num2",
                "ci_high": "num2",
                "mean_difference": "num1",
                "sd": "num1",
            },
            labels={**_labels(level), "mean_difference": "mean change"},
            note="Hedges' g_z = mean change / SD of the changes with the exact small-sample "
            "correction; noncentral t interval.",
        )
    )
    if arm is not None:
        try:
            between = stats.effect_size(
                out, session=endpoint, value="change", kind="between", by=arm, level=level
            )
        except ValueError:
            between = None
        if between is not None:
            between["scale"] = between["scale"].astype(str)
            tables.append(
                _table(
                    "effect_size_between",
                    f"Difference between arms in change at session {endpoint}: Hedges' g",
                    between.drop(columns=["variable"]),
                    privacy,
                    [Rule("n1", also=dep), Rule("n2", also=dep)],
                    formats={
                        "n": "count",
                        "n1": "count",
                        "n2": "count",
                        "session": "g",
                        "mean_difference": "num1",
                        "sd": "num1",
                    },
                    labels={**_labels(level), "mean_difference": "mean difference"},
                )
            )
    return tables


# ---------------------------------------------------------------------------------------
# MMRM
# ---------------------------------------------------------------------------------------
def mmrm_data(out, *, scale, arm, until) -> pd.DataFrame:
    """Rows of the MMRM: the scale's post-baseline assessments up to ``until``."""
    a = out.assessments
    keep = (a["scale"] == scale).to_numpy() & a["post_baseline"].to_numpy(dtype=bool)
    keep &= a["change"].notna().to_numpy() & a[arm].notna().to_numpy()
    if until is not None:
        keep &= (a["session"] <= until).to_numpy(dtype=bool)
    cols = ["patient_id", "session", "change", "baseline", arm]
    return a.loc[keep, cols].reset_index(drop=True)


def mmrm_tables(fit, *, arm, level, privacy: Privacy) -> list[Table]:
    """Fit statistics, Type 3 tests, LS-means by arm x session and their differences."""
    summary = fit.fit_statistics()
    summary["value"] = [_stat_text(v) for v in summary["value"].tolist()]
    lsm = fit.lsmeans(arm, by="session", level=level)
    con = fit.contrasts(arm, by="session", method="pairwise", level=level)
    fmt = {
        "estimate": "num2",
        "se": "num2",
        "df": "num1",
        "t": "num2",
        "p_value": "p",
        "ci_low": "num2",
        "ci_high": "num2",
        "session": "g",
        "num_df": "g",
        "den_df": "num1",
        "f": "num2",
    }
    return [
        Table("mmrm_fit", "MMRM: model and fit", summary, formats={"value": "text"}),
        Table(
            "mmrm_type3",
            "MMRM: Type 3 tests of fixed effects",
            fit.type3(),
            formats=fmt,
            labels=LABELS,
        ),
        Table(
            "mmrm_lsmeans",
            "MMRM: least-squares mean change from baseline",
            lsm,
            formats=fmt,
            labels=_labels(level),
        ),
        Table(
            "mmrm_contrasts",
            "MMRM: differences between arms by session",
            con,
            formats=fmt,
            labels=_labels(level),
            note="Unadjusted for multiplicity, as SAS LSMEANS / DIFF.",
        ),
    ]


def _stat_text(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    return str(v)


# ---------------------------------------------------------------------------------------
# Time to event
# ---------------------------------------------------------------------------------------
def survival_tables(out, *, event, scale, group, arm, level, privacy: Privacy):
    """Kaplan-Meier medians and risk table, log-rank test across groups, Cox hazard ratio
    between arms. Returns ``(tables, km_result)``; raises ValueError when no patient has a
    known time (e.g. nobody at risk of relapse)."""
    from .. import stats

    km = stats.kaplan_meier(out, event=event, by=group, scale=scale, level=level)
    unit = out.time_unit
    tables = []
    med = km.median
    tables.append(
        _table(
            f"{event}_median",
            f"Median time to {event} ({unit}), Kaplan-Meier",
            med,
            privacy,
            [
                Rule("n_events", also=("estimate", *_CI), total="n"),
                Rule("n", also=("estimate", *_CI)),
            ],
            formats={
                "n": "count",
                "n_events": "count",
                "estimate": "g",
                "ci_low": "g",
                "ci_high": "g",
            },
            labels={**_labels(level), "estimate": f"median ({unit})"},
            note="Missing where the curve (or a confidence limit) does not reach 50 %."
            + (
                f" {km.n_excluded} patients without a known time are left out."
                if km.n_excluded and not privacy.is_small(km.n_excluded)
                else ""
            ),
        )
    )
    risk = km.at_risk()
    tables.append(
        _table(
            f"{event}_at_risk",
            f"Time to {event}: numbers at risk and probability without {event}",
            risk,
            privacy,
            [Rule("n_at_risk", also=("survival", *_CI)), Rule("cum_events"), Rule("cum_censored")],
            formats={
                "time": "g",
                "n_at_risk": "count",
                "cum_events": "count",
                "cum_censored": "count",
                "survival": "num3",
                "ci_low": "num3",
                "ci_high": "num3",
            },
            labels={**_labels(level), "time": f"time ({unit})", "survival": f"without {event}"},
        )
    )
    if group is not None and km.groups[group].nunique() >= 2:
        lr = stats.logrank(out, event=event, by=group, scale=scale)
        lr["scale"] = lr["scale"].astype(str)
        tables.append(
            _table(
                f"{event}_logrank",
                f"Time to {event}: log-rank test across {group}",
                lr,
                privacy,
                [Rule("n"), Rule("n_events"), Rule("n_excluded")],
                formats={
                    "n": "count",
                    "n_events": "count",
                    "n_excluded": "count",
                    "chi2": "num2",
                    "df": "int",
                    "p_value": "p",
                },
                labels=LABELS,
            )
        )
    if arm is not None:
        try:
            fit = stats.cox(out, event=event, formula=arm, scale=scale, level=level)
        except ValueError:
            fit = None
        if fit is not None:
            params = (
                fit.tidy()[["term", "estimate", "se", "statistic", "p_value", "hr"]]
                .assign(ci_low=fit.tidy()["hr_ci_low"], ci_high=fit.tidy()["hr_ci_high"])
                .rename(columns={"statistic": "z"})
                .assign(n=fit.n, n_events=fit.n_events)
            )
            tables.append(
                _table(
                    f"{event}_cox",
                    f"Time to {event}: hazard ratio between arms (Cox)",
                    params,
                    privacy,
                    [Rule("n_events", also=("estimate", "se", "z", "hr", *_CI), total="n")],
                    formats={
                        "estimate": "num3",
                        "se": "num3",
                        "z": "num2",
                        "p_value": "p",
                        "hr": "num2",
                        "ci_low": "num2",
                        "ci_high": "num2",
                        "n": "count",
                        "n_events": "count",
                    },
                    labels={**_labels(level), "estimate": "log HR", "hr": "HR"},
                )
            )
    return tables, km


# ---------------------------------------------------------------------------------------
# Reliable change, dissociation
# ---------------------------------------------------------------------------------------
def reliable_change_tables(out, *, group, level, privacy: Privacy) -> list[Table]:
    """The reliable-change parameters used and the Jacobson-Truax categories (rates)."""
    from .. import stats

    par = out.parameters.copy()
    par["scale"] = par["scale"].astype(str)
    par = par[
        [
            "scale",
            "rc_reliability",
            "rc_sd",
            "rc_sd_source",
            "rc_s_diff",
            "rc_cutoff",
            "n_with_endpoint",
        ]
    ]
    tables = [
        _table(
            "reliable_change_parameters",
            "Reliable change: parameters used",
            par,
            privacy,
            [Rule("n_with_endpoint")],
            formats={
                "rc_reliability": "num2",
                "rc_sd": "num2",
                "rc_s_diff": "num2",
                "rc_cutoff": "g",
                "n_with_endpoint": "count",
            },
            labels={
                "rc_reliability": "reliability",
                "rc_sd": "SD",
                "rc_sd_source": "SD from",
                "rc_s_diff": "S_diff",
                "rc_cutoff": "cut-off",
                "n_with_endpoint": "n",
            },
        )
    ]
    p = out.patients
    frame = p[["patient_id", "scale"] + ([group] if group else [])].copy()
    for column, levels in (
        ("reliable_change", ("improved", "unchanged", "deteriorated")),
        ("clinically_significant", ("recovered", "improved", "unchanged", "deteriorated")),
    ):
        known = p[column].notna().to_numpy()
        for lv in levels:
            values = pd.array((p[column] == lv).to_numpy(dtype=bool), dtype="boolean")
            values[~known] = pd.NA
            frame[f"{column}: {lv}"] = values
    parts = []
    for col in frame.columns[(3 if group else 2) :]:
        parts.append(stats.rates(frame, outcome=col, by=group, level=level))
    tab = pd.concat(parts, ignore_index=True)
    tab["scale"] = tab["scale"].astype(str)
    order = {k: i for i, k in enumerate(out.scales)}
    tab = tab.sort_values("scale", key=lambda s: s.map(order), kind="stable")
    tables.append(
        _table(
            "reliable_change",
            "Reliable and clinically significant change at the endpoint",
            tab,
            privacy,
            rate_rules(("n_excluded",)),
            formats=rate_formats(("n_excluded",)),
            labels=_labels(level, pct=True),
            note="Jacobson-Truax categories at the endpoint (else the last assessment after "
            "baseline); patients without an assessment after baseline are excluded.",
        )
    )
    return tables


def cadss_tables(report, out, *, group, level, privacy: Privacy, scale=None) -> list[Table]:
    """CADSS totals by session and each patient's peak CADSS, by group."""
    from .. import stats

    f = report.frame
    rows = f.loc[(f["scale"] == "CADSS").to_numpy()]
    if rows.empty:
        return []
    tab = stats.by_session(rows, by=group, value="score", level=level).drop(columns="variable")
    tab["scale"] = tab["scale"].astype(str)
    tables = [
        _table(
            "cadss_by_session",
            "Dissociation (CADSS) by session",
            tab,
            privacy,
            MEAN_RULES,
            formats=MEAN_FORMATS,
            labels=_labels(level),
        )
    ]
    if "peak_cadss" in out.patients.columns:
        peak = table1(
            out,
            group=group,
            variables=[("peak_cadss", "Peak CADSS")],
            privacy=privacy,
            scale=scale,
            title="Peak dissociation (CADSS) per patient",
        )
        peak.key = "cadss_peak"
        peak.note = "Each patient's highest CADSS total over all sessions."
        tables.append(peak)
    return tables
