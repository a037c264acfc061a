"""The report of a validation and the errors and warnings it raises.

:class:`ValidationReport` holds the validated frame, every issue and the audit of excluded
rows; :class:`DataError` carries it when the data cannot be used; :class:`DataWarning` and
:func:`warn_summary` announce problems that do not stop the analysis.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import scales as _scales
from .columns import CANONICAL_ORDER, PROVENANCE, is_item
from .issues import MAX_MESSAGE, format_issues, format_number, shorten

__all__ = [
    "AUDIT_COLUMNS",
    "DataError",
    "DataWarning",
    "ValidationReport",
    "build_audit",
    "warn_summary",
]


#: Columns of ``ValidationReport.audit``.
AUDIT_COLUMNS = ("row", "patient_id", "scale", "session", "reason")


_MAX_LISTED = 20


class DataError(ValueError):
    """Raised when input data cannot be used; lists every problem found.

    Attributes
    ----------
    report : ValidationReport
        The full report: ``report.errors`` is a DataFrame with one row per problem.
    """

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(shorten(report.error_message(), MAX_MESSAGE))


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of :func:`validate`.

    Attributes
    ----------
    frame : DataFrame
        The validated frame in the canonical long format: scale names normalised to
        registry keys, totals computed from items where needed, numeric types; excluded
        rows removed (see ``audit``). Only meaningful when ``ok`` is True.
    issues : DataFrame
        One row per problem, columns ``severity`` ("error" or "warning"), ``check`` (a short
        code such as ``"out_of_range"``), ``row`` (row number as in the input: for text and
        Excel files the file's row with the header as row 1; for other formats the 1-based
        record number; for a DataFrame given directly, its index label; missing for problems
        of a whole column), ``column`` and ``message``.
    audit : DataFrame
        One row per input row excluded from ``frame``: ``row``, ``patient_id``, ``scale``,
        ``session`` and ``reason``. Nothing is dropped without an entry here.
    n_rows_in : int
        Number of rows given to :func:`validate`.
    source : str or None
        Name of the input (file path) used in messages.
    allowed_identifiers : tuple of str
        Columns the user allowed although they look like direct identifiers.
    """

    frame: pd.DataFrame = field(repr=False)
    issues: pd.DataFrame = field(repr=False)
    audit: pd.DataFrame = field(repr=False)
    n_rows_in: int
    source: str | None = None
    allowed_identifiers: tuple[str, ...] = ()

    @property
    def errors(self) -> pd.DataFrame:
        """The issues of severity "error"."""
        return self.issues[self.issues["severity"] == "error"].reset_index(drop=True)

    @property
    def warnings(self) -> pd.DataFrame:
        """The issues of severity "warning"."""
        return self.issues[self.issues["severity"] == "warning"].reset_index(drop=True)

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings allowed)."""
        return not (self.issues["severity"] == "error").any()

    @property
    def n_rows_out(self) -> int:
        """Number of rows in ``frame``."""
        return len(self.frame)

    def raise_for_errors(self) -> ValidationReport:
        """Raise :class:`DataError` if there are errors; return self otherwise."""
        if not self.ok:
            raise DataError(self)
        return self

    def error_message(self, limit: int = _MAX_LISTED) -> str:
        """The errors as text: the first ``limit`` and a count of the rest."""
        return format_issues(self.errors, self.source, limit, "problem")

    def exclusions(self) -> pd.DataFrame:
        """Count of excluded rows per reason (columns ``reason``, ``n``)."""
        if self.audit.empty:
            return pd.DataFrame({"reason": pd.Series(dtype=str), "n": pd.Series(dtype=int)})
        reasons = self.audit["reason"].str.replace(r" \(.*\)$", "", regex=True)
        counts = reasons.value_counts(sort=False).sort_index()
        return pd.DataFrame({"reason": counts.index.astype(str), "n": counts.to_numpy()})

    def summary(self) -> str:
        """A short plain-text summary: counts, scales, sessions, exclusions, problems."""
        f = self.frame
        src = f" of {self.source}" if self.source else ""
        lines = [f"Validation{src}: {'OK' if self.ok else 'FAILED'}"]
        lines.append(
            f"  rows: {self.n_rows_in} read, {self.n_rows_out} kept, {len(self.audit)} excluded"
        )
        if self.ok and len(f):
            lines.append(f"  patients: {f['patient_id'].nunique()}")
            order = {k: i for i, k in enumerate(_scales.SCALES)}
            for scale, g in sorted(
                f.groupby("scale", sort=False, observed=True), key=lambda kv: order[kv[0]]
            ):
                lines.append(f"  {scale}: {_describe_scale(g)}")
            extra = [
                c for c in f.columns if c not in CANONICAL_ORDER + PROVENANCE and not is_item(c)
            ]
            if extra:
                lines.append(f"  covariates: {', '.join(map(str, extra))}")
        for reason, n in self.exclusions().itertuples(index=False):
            lines.append(f"  excluded: {n} row{'s' if n != 1 else ''}: {reason}")
        if self.allowed_identifiers:
            lines.append(f"  identifier columns allowed: {', '.join(self.allowed_identifiers)}")
        n_err, n_warn = len(self.errors), len(self.warnings)
        lines.append(f"  errors: {n_err}, warnings: {n_warn}")
        if n_err:
            lines.append(format_issues(self.errors, None, _MAX_LISTED, "error", indent="    "))
        if n_warn:
            lines.append(format_issues(self.warnings, None, 10, "warning", indent="    "))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = html.escape(self.summary().splitlines()[0])
        parts = [f"<strong>{head}</strong>", f"<pre>{html.escape(self.summary())}</pre>"]
        if len(self.issues):
            parts.append(self.issues.head(50).to_html(index=False))
        return "\n".join(parts)


def _describe_scale(g: pd.DataFrame) -> str:
    """One line on a scale's rows: assessments, patients, sessions, days, computed totals."""
    text = f"{len(g)} assessments of {g['patient_id'].nunique()} patients"
    sessions = pd.unique(g["session"].dropna())
    if len(sessions):
        lo, hi = min(sessions), max(sessions)
        text += f", {len(sessions)} sessions ({lo} to {hi})"
    if "day" in g and g["day"].notna().any():
        text += f", days {format_number(g['day'].min())} to {format_number(g['day'].max())}"
    if "score_source" in g:
        counts = g["score_source"].value_counts()
        made = [f"{counts[k]} {k}" for k in ("items", "prorated") if k in counts]
        if made:
            text += f"; totals from items: {', '.join(made)}"
    return text


def build_audit(
    df: pd.DataFrame, rows: np.ndarray, excluded, columns
) -> tuple[pd.DataFrame, np.ndarray]:
    """The audit of excluded rows and the mask of rows kept.

    ``excluded`` lists ``(mask, reason)`` pairs (a reason per row or one for all) in the
    order their reasons take precedence; the audit has a row per excluded row of ``df``:
    ``row`` (from ``rows``), ``columns`` and ``reason``.
    """
    keep = np.ones(len(df), dtype=bool)
    parts = []
    for mask, reasons in excluded:
        new = mask & keep
        if not new.any():
            continue
        sub = df.loc[new]
        part = {"row": rows[new]}
        for c in columns:
            part[c] = sub[c].to_numpy(dtype=object) if c in sub else None
        part["reason"] = np.broadcast_to(np.asarray(reasons, dtype=object), len(keep))[new]
        parts.append(pd.DataFrame(part))
        keep &= ~mask
    if parts:
        return pd.concat(parts, ignore_index=True), keep
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ("row", *columns, "reason")}), keep


_WARNING_TEXT = {
    "prorated": "total(s) prorated from items",
    "missing_items": "total(s) with too many missing items",
    "missing_score": "row(s) without a score",
    "duplicate": "identical duplicate row(s)",
    "no_baseline": "patient(s) without a baseline",
    "zero_baseline": "baseline score(s) of 0",
}


def warn_summary(report: ValidationReport, stacklevel: int = 3) -> None:
    """Emit one Python warning summarising the report's warnings and exclusions."""
    if report.warnings.empty:
        return
    counts = report.warnings["check"].value_counts(sort=False)
    parts = "; ".join(f"{n} {_WARNING_TEXT.get(c, c.replace('_', ' '))}" for c, n in counts.items())
    n_ex = len(report.audit)
    excluded = (
        f"validation will exclude {n_ex} row{'s' if n_ex != 1 else ''}"
        if n_ex
        else "no row will be excluded"
    )
    warnings.warn(
        f"{parts}; {excluded}. See ka.validate(frame).summary() and .audit for the rows.",
        DataWarning,
        stacklevel=stacklevel,
    )


class DataWarning(UserWarning):
    """Problems in the data that do not stop the analysis (each listed by validate)."""
