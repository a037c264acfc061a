"""The issue collector of validation and the wording its messages share.

:class:`Issues` accumulates the problems found as column arrays; the functions below write
row labels, lists of rows and numbers the same way in every message, whichever check (of
scores, safety data or a reader) writes it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "ISSUE_COLUMNS",
    "Issues",
    "add_per_row",
    "format_issues",
    "format_number",
    "list_rows",
    "pick_column",
    "row_label",
    "row_rank",
    "shorten",
]

#: Longest line of a message (a column name or value echoed in it is cut to fit) and
#: longest message (a DataError's text), in characters.
MAX_LINE, MAX_MESSAGE = 1000, 30_000


#: Columns of ``ValidationReport.issues``.
ISSUE_COLUMNS = ("severity", "check", "row", "column", "message")


class Issues:
    """Accumulates issues as column arrays (vectorised, no per-row Python objects)."""

    def __init__(self):
        self._parts: list[pd.DataFrame] = []

    def add(self, severity, check, rows, column, messages):
        """Issues of one check at ``rows`` (messages and column broadcast to the rows)."""
        rows = np.atleast_1d(np.asarray(rows, dtype=object))
        if rows.size == 0:
            return
        messages = np.broadcast_to(np.asarray(messages, dtype=object), rows.shape)
        columns = np.broadcast_to(np.asarray(column, dtype=object), rows.shape)
        self._parts.append(
            pd.DataFrame(
                {
                    "severity": severity,
                    "check": check,
                    "row": rows,
                    "column": columns,
                    "message": messages,
                }
            )
        )

    def add_one(self, severity, check, column, message, row=None):
        """One issue (of a whole column when ``row`` is None)."""
        self.add(severity, check, [row], column, [message])

    def frame(self) -> pd.DataFrame:
        """The issues as a DataFrame of :data:`ISSUE_COLUMNS`, in the order of the checks."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})
        out = pd.concat(self._parts, ignore_index=True)
        # in the order the checks ran, rows ascending within a check (problems of a whole
        # column first); row labels that cannot be compared keep the order found
        order = out["check"].map({c: i for i, c in enumerate(pd.unique(out["check"]))})
        out["_check_order"] = order.to_numpy()
        try:
            out = out.sort_values(["_check_order", "row"], kind="stable", na_position="first")
        except TypeError:
            out = out.sort_values("_check_order", kind="stable")
        return out.drop(columns="_check_order").reset_index(drop=True)

    @property
    def has_errors(self) -> bool:
        """True when an issue of severity "error" was added."""
        return any((p["severity"] == "error").any() for p in self._parts)


def row_label(row) -> str:
    """``"row 12"`` for a row label; empty for a missing one (a whole column's problem)."""
    if row is None or (isinstance(row, float) and np.isnan(row)) or row is pd.NA:
        return ""
    return f"row {row}"


def list_rows(rows: Sequence, limit: int = 10) -> str:
    """``"rows 2, 5 and 3 more"``: the first ``limit`` row labels and a count of the rest."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) != 1 else ''} {shown}{more}"


def format_issues(
    issues: pd.DataFrame, source: str | None, limit: int, noun: str, indent: str = "  "
) -> str:
    """Issues as text, one line each with row and column: the first ``limit`` and a count."""
    n = len(issues)
    src = f" in {source}" if source else ""
    lines = [] if indent != "  " else [f"{n} {noun}{'s' if n != 1 else ''}{src}:"]
    for row, col, msg in issues[["row", "column", "message"]].head(limit).itertuples(index=False):
        where = ", ".join(x for x in (row_label(row), f"column {col}" if col else "") if x)
        line = f"{indent}{where}: {msg}" if where else f"{indent}{msg}"
        lines.append(shorten(line, MAX_LINE))
    if n > limit:
        lines.append(f"{indent}... and {n - limit} more (see .report.issues)")
    return "\n".join(lines)


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to at most ``limit`` characters, saying how much was left out (a 50 MB
    header line must not give a 50 MB message)."""
    text = str(text)
    if len(text) <= limit:
        return text
    cut = max(limit - 40, 0)
    return f"{text[:cut]}... ({len(text) - cut} more characters)"


def format_number(x) -> str:
    """A number for messages: ``12`` for a whole number, else the shortest ``%g`` form."""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def row_rank(rows: np.ndarray) -> np.ndarray:
    """Rank of each input row label (input order when the labels do not sort)."""
    try:
        return np.argsort(np.argsort(rows, kind="stable"), kind="stable")
    except TypeError:
        return np.arange(len(rows))


def pick_column(col, idx):
    """Column name for messages: the source column (wide input) or a fixed name."""
    if isinstance(col, pd.Series):
        return col.to_numpy(dtype=object)[idx]
    return col


def add_per_row(issues, check, rows, mask, column, values, template, render=repr):
    """One error per row of ``mask``: ``template`` filled with the rendered value of the row."""
    if mask.any():
        col = pick_column(column, np.flatnonzero(mask)) if isinstance(column, pd.Series) else column
        issues.add(
            "error", check, rows[mask], col, [template.format(render(v)) for v in values[mask]]
        )
