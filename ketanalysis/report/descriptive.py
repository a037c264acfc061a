"""Descriptive tables of the report: the data summary, the audit of excluded rows and
Table 1 (baseline characteristics by group: continuous variables as mean (SD) and
median [IQR], categorical ones as n (%)).

Every function returns :class:`~ketanalysis.report.tabular.Table` objects passed through
the privacy rules; none draws and none imports matplotlib.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import scales as _scales
from ..validation import CANONICAL_ORDER, PROVENANCE
from .privacy import SECONDARY, Privacy, Rule
from .table_format import make_table
from .tabular import Table

__all__ = ["covariates", "data_tables", "table1"]

_ITEM = re.compile(r"item_\d+\Z")
# Categorical when numeric with at most this many distinct values (e.g. dose levels).
_MAX_LEVELS_NUMERIC = 5


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
        make_table(
            "data_rows", "Rows and patients", rows, privacy, [Rule("n")], formats={"n": "count"}
        )
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
        make_table(
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
        make_table(
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
        make_table(
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
        columns.append((str(label), mask))
    if group is not None and not privacy.strict:
        columns.append(("All", np.ones(len(pats), dtype=bool)))
    if group is None:
        columns = [("All", np.ones(len(pats), dtype=bool))]
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
    header = ["characteristic"] + [_n_header(c[0], n) for c, n in zip(columns, ns, strict=True)]
    if privacy.strict:
        header = ["characteristic"] + [
            _n_header(c[0], privacy.label if privacy.is_small(n) else n)
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


def _n_header(label: str, n) -> str:
    """A column header ``label (N = n)``: concatenated, as the label is a data value and
    never a format string."""
    return label + " (N = " + str(n) + ")"


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
        # a percentage of the known values reveals their number, hence a hidden missing count
        no_pct = has_missing and bool(marks[-1])
        for i, c in enumerate(counts):
            is_missing_row = has_missing and i == len(counts) - 1
            pct = "" if is_missing_row or not known or no_pct else f" ({100 * c / known:.1f})"
            block_cells[i].append(f"{c}{pct}")
            block_marks[i].append(marks[i])
    names = [_level(v) for v in levels] + (["missing"] if has_missing else [])
    hidden_names = 0
    for i, (name, cells, marks) in enumerate(zip(names, block_cells, block_marks, strict=True)):
        if privacy.strict and i < len(levels) and all(marks):
            hidden_names += 1  # the label of a category hidden everywhere is not shown
            name = f"other (suppressed {hidden_names})"
        add(f"    {name}", cells, marks)
