"""Validation of score frames in the canonical long format.

:func:`validate` checks a frame (DESIGN.md §2) and returns a :class:`ValidationReport`
with every problem found at once, each naming the row as in the input file, the column and
what is wrong; and an audit of every row it excludes, with the reason. :class:`DataError`
carries the report and its message lists the problems.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import scales as _scales
from . import identifiers as _phi

__all__ = ["DataError", "ValidationReport", "validate"]

REQUIRED = ("patient_id", "session", "scale", "score")
CANONICAL_ORDER = ("patient_id", "session", "day", "scale", "score", "score_source")
PROVENANCE = ("source_row", "source_column")
MAX_ITEMS = max(s.n_items for s in _scales.SCALES.values())
ISSUE_COLUMNS = ("severity", "check", "row", "column", "message")
AUDIT_COLUMNS = ("row", "patient_id", "scale", "session", "reason")
_MAX_LISTED = 20
# Relative days above this (about 55 years) are calendar serial numbers, not study days.
_MAX_RELATIVE_DAY = 20_000


class DataError(ValueError):
    """Raised when input data cannot be used; lists every problem found.

    Attributes
    ----------
    report : ValidationReport
        The full report: ``report.errors`` is a DataFrame with one row per problem.
    """

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.error_message())


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
        return _format_issues(self.errors, self.source, limit, "problem")

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
                c for c in f.columns if c not in CANONICAL_ORDER + PROVENANCE and not _is_item(c)
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
            lines.append(_format_issues(self.errors, None, _MAX_LISTED, "error", indent="    "))
        if n_warn:
            lines.append(_format_issues(self.warnings, None, 10, "warning", indent="    "))
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
        text += f", days {_fmt(g['day'].min())} to {_fmt(g['day'].max())}"
    if "score_source" in g:
        counts = g["score_source"].value_counts()
        made = [f"{counts[k]} {k}" for k in ("items", "prorated") if k in counts]
        if made:
            text += f"; totals from items: {', '.join(made)}"
    return text


def _row_label(row) -> str:
    if row is None or (isinstance(row, float) and np.isnan(row)) or row is pd.NA:
        return ""
    return f"row {row}"


def _format_issues(
    issues: pd.DataFrame, source: str | None, limit: int, noun: str, indent: str = "  "
) -> str:
    n = len(issues)
    src = f" in {source}" if source else ""
    lines = [] if indent != "  " else [f"{n} {noun}{'s' if n != 1 else ''}{src}:"]
    for row, col, msg in issues[["row", "column", "message"]].head(limit).itertuples(index=False):
        where = ", ".join(x for x in (_row_label(row), f"column {col}" if col else "") if x)
        lines.append(f"{indent}{where}: {msg}" if where else f"{indent}{msg}")
    if n > limit:
        lines.append(f"{indent}... and {n - limit} more (see .report.issues)")
    return "\n".join(lines)


class _Issues:
    """Accumulates issues as column arrays (vectorised, no per-row Python objects)."""

    def __init__(self):
        self._parts: list[pd.DataFrame] = []

    def add(self, severity, check, rows, column, messages):
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
        self.add(severity, check, [row], column, [message])

    def frame(self) -> pd.DataFrame:
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
        return any((p["severity"] == "error").any() for p in self._parts)


def _list_rows(rows: Sequence, limit: int = 10) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) != 1 else ''} {shown}{more}"


def _as_numeric(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numeric values and a mask of entries that are present but not numbers."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(float), np.zeros(len(s), dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype(float), np.zeros(len(s), dtype=bool)
    text = s.astype("string").str.strip()
    num = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype(float)
    bad = (text.notna() & (text != "")).to_numpy() & num.isna().to_numpy()
    return num, bad


def _fmt(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def validate(
    frame: pd.DataFrame,
    *,
    scale: str | None = None,
    baseline: int | float | str = 0,
    allow_identifiers: Iterable[str] = (),
    allow_negative_days: bool = False,
    source: str | None = None,
) -> ValidationReport:
    """Check a score frame and report every problem at once.

    Parameters
    ----------
    frame : DataFrame
        Scores in the canonical long format (DESIGN.md §2): ``patient_id``, ``session``,
        ``scale``, ``score`` and optionally ``day``, ``item_1`` ... ``item_k`` and covariates.
        A ``source_row`` column (added by the readers) gives the row numbers used in
        messages; without it the index labels are used.
    scale : str, optional
        The scale of every row, when the frame has no ``scale`` column.
    baseline : int, float, str, "first" or "last_pre", default 0
        Which assessment is the baseline: a session value (a label such as ``"pre"`` when
        ``session`` is an ordered category), the first assessment of each patient, or the
        last assessment with ``day <= 0``. Used by the baseline checks.
    allow_identifiers : iterable of str
        Columns that may look like direct identifiers (names, e-mail, phone, SSN, record
        number, street address, calendar dates); all others are refused.
    allow_negative_days : bool, default False
        Accept negative ``day`` values (assessments before the first treatment). Implied by
        ``baseline="last_pre"``.
    source : str, optional
        Name of the input for messages (the readers pass the file path).

    Returns
    -------
    ValidationReport
        ``frame`` (validated, excluded rows removed), ``issues``, ``audit`` and a
        ``summary()``. Call ``raise_for_errors()`` to turn errors into a :class:`DataError`.

    Notes
    -----
    Errors (the frame cannot be used):

    ``identifier``
        a column whose name or values look like a direct identifier (PHI guard).
    ``missing_column``
        ``patient_id``, ``session``, ``scale`` (without ``scale=``) or both ``score`` and
        items missing.
    ``missing_id``, ``missing_session``, ``session_type``
        empty patient or session; session values that are text and not an ordered category.
    ``unknown_scale``, ``several_scales``
        a scale name not in the registry (the closest valid name suggested); several scales
        given without a scale column.
    ``non_numeric``, ``out_of_range``, ``not_whole``
        scores, items or days that are not numbers, outside the scale's range, or items
        that are not whole numbers.
    ``total_mismatch``
        a given total that disagrees with its items.
    ``duplicate``
        the same patient, scale and session twice with different values.
    ``day_order``
        within a patient and scale, a later session on an earlier day.
    ``day_value``
        negative (unless allowed), infinite or calendar-serial-like day values.
    ``no_baseline``
        no patient has a baseline assessment of a scale (outcome scales only: CADSS needs
        no baseline); or ``baseline="last_pre"`` without a ``day`` column.

    Warnings (the frame is usable; affected rows may be excluded, each in ``audit``):
    identical duplicate rows (kept once), missing scores, too many missing items for a
    total, prorated PHQ-9 totals, patients without a baseline assessment (excluded for that
    scale), and baseline scores of 0 (percentage change undefined).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> report = ka.validate(ka.simulate_cohort(20, seed=1))
    >>> report.ok
    True
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"validate() needs a pandas DataFrame, got {type(frame).__name__}")
    return _run(
        frame,
        scale=scale,
        baseline=baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
        source=source,
    )[0]


def _run(frame, *, scale, baseline, allow_identifiers, allow_negative_days, source):
    """Validate; return (report, canonical frame with every input row, none excluded)."""
    _check_baseline_arg(frame, baseline)
    if isinstance(allow_identifiers, str):
        allow = (allow_identifiers,)
    else:
        allow = tuple(allow_identifiers or ())
    canonical, issues, excluded = _check(
        frame,
        scale=scale,
        baseline=baseline,
        allow_identifiers=allow,
        allow_negative_days=allow_negative_days,
    )
    keep = np.ones(len(canonical), dtype=bool)
    audit_parts = []
    for mask, reasons in excluded:
        new = mask & keep
        if not new.any():
            continue
        sub = canonical.loc[new]
        audit_parts.append(
            pd.DataFrame(
                {
                    c: sub[c].to_numpy(dtype=object) if c in sub else None
                    for c in ("source_row", "patient_id", "scale", "session")
                }
            )
            .rename(columns={"source_row": "row"})
            .assign(reason=np.broadcast_to(np.asarray(reasons, dtype=object), len(keep))[new])
        )
        keep &= ~mask
    if audit_parts:
        audit = pd.concat(audit_parts, ignore_index=True)
    else:
        audit = pd.DataFrame({c: pd.Series(dtype=object) for c in AUDIT_COLUMNS})
    report = ValidationReport(
        frame=canonical.loc[keep].reset_index(drop=True),
        issues=issues,
        audit=audit,
        n_rows_in=len(frame),
        source=source,
        allowed_identifiers=tuple(c for c in allow if c in frame.columns),
    )
    return report, canonical


def _check_baseline_arg(frame, baseline) -> None:
    """A text baseline is 'first', 'last_pre' or a label of an ordered category session."""
    if not isinstance(baseline, str) or baseline in ("first", "last_pre"):
        return
    session = frame["session"] if "session" in frame.columns else None
    if session is not None and isinstance(session.dtype, pd.CategoricalDtype):
        if baseline in session.cat.categories:
            return
        labels = ", ".join(map(repr, session.cat.categories[:10]))
        raise ValueError(
            f"baseline={baseline!r} is not a session label ({labels}), 'first' or 'last_pre'"
        )
    raise ValueError(f"baseline must be a session value, 'first' or 'last_pre'; got {baseline!r}")


def _check(frame, *, scale, baseline, allow_identifiers, allow_negative_days):
    """Canonicalise and check; return (canonical frame, issues, [(mask, reason), ...]).

    Each step below reads and updates the working frame ``ctx.df`` (canonical columns and
    types), adds issues and registers the rows it excludes; none drops a row.
    """
    ctx = _Context.start(frame)
    findings = _guard_identifiers(ctx, allow_identifiers)
    ctx.show = _Shower({f.column for f in findings if f.by != "name"})
    if not _check_required(ctx, frame, scale):
        return _order_columns(ctx.df), ctx.issues.frame(), ctx.excluded
    _canonical_patient_ids(ctx)
    sessions_ok = _canonical_sessions(ctx)
    unknown = _canonical_scales(ctx)
    _group_codes(ctx)
    score_nonnum, too_few_items = _check_scores_and_items(ctx, unknown)
    score = ctx.df["score"].to_numpy(dtype=float)
    no_score = np.isnan(score) & ~too_few_items & ~unknown & ~score_nonnum
    ctx.issues.add(
        "warning", "missing_score", ctx.rows[no_score], "score", "no score recorded; row excluded"
    )
    ctx.excluded.append((no_score, "score missing"))
    if "day" in ctx.df.columns:
        _check_days(
            ctx.df,
            ctx.rows,
            ctx.issues,
            allow_negative_days or baseline == "last_pre",
            ctx.show,
        )
    identical = _check_duplicates(ctx, no_score)
    if sessions_ok:
        if "day" in ctx.df.columns:
            _check_day_order(ctx.df, ctx.rows, ctx.issues, ctx.show)
        # rows that stay: a score, a known scale, not the copy of an identical duplicate
        has_score = ~np.isnan(score) & ~unknown & ~identical
        _check_baseline(ctx.df, ctx.rows, ctx.issues, ctx.excluded, baseline, has_score, ctx.show)
    return _order_columns(ctx.df.drop(columns="_group")), ctx.issues.frame(), ctx.excluded


def _group_codes(ctx: _Context) -> None:
    """An integer key per patient x scale (-1 where either is missing), computed once.

    Grouping by it is much faster than by the text columns on registry-sized frames.
    """
    pcode = ctx.patient_codes
    scode = pd.Categorical(ctx.df["scale"], categories=list(_scales.SCALES)).codes
    ctx.scale_codes = scode.astype(np.int64)
    ctx.df["_group"] = np.where(
        (pcode >= 0) & (scode >= 0), pcode * len(_scales.SCALES) + scode, -1
    )


_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or bool(
    getattr(pd.options.mode, "copy_on_write", False) is True
)


def _row_labels(labels) -> np.ndarray:
    """Row labels as int64 when they are integers (cheap at 20 M rows), else objects."""
    if pd.api.types.is_integer_dtype(labels.dtype):
        return np.asarray(labels, dtype=np.int64)
    return np.asarray(labels, dtype=object)


@dataclass
class _Context:
    """The working state of one validation: frame, input row labels, issues, exclusions."""

    df: pd.DataFrame
    rows: np.ndarray
    issues: _Issues
    excluded: list
    show: _Shower
    scale_codes: np.ndarray | None = None
    patient_codes: np.ndarray | None = None

    @classmethod
    def start(cls, frame: pd.DataFrame) -> _Context:
        # under copy-on-write (pandas 3) a shallow copy is safe and saves a full copy
        df = frame.copy(deep=not _COPY_ON_WRITE)
        if "source_row" in df.columns:
            rows = _row_labels(df["source_row"])
        else:
            rows = _row_labels(df.index)
            df["source_row"] = rows
        return cls(df.reset_index(drop=True), rows, _Issues(), [], _Shower())

    @property
    def n(self) -> int:
        return len(self.df)

    @property
    def item_cols(self) -> list[str]:
        return [c for c in self.df.columns if _is_item(c)]

    @property
    def score_col(self):
        """Column named in score messages: the wide column (from_wide) or ``score``."""
        return self.df["source_column"] if "source_column" in self.df.columns else "score"


def _guard_identifiers(ctx: _Context, allow_identifiers) -> list:
    """PHI guard: an error for every column that looks like a direct identifier."""
    df, rows = ctx.df, ctx.rows
    n_patients = df["patient_id"].nunique() if "patient_id" in df.columns else None
    findings = _phi.scan(
        df.drop(columns=list(PROVENANCE), errors="ignore"),
        allow=allow_identifiers,
        n_patients=n_patients,
    )
    for f in findings:
        if f.by == "name":
            what = f"its name says it holds {f.kind}"
        elif f.by == "type":
            what = f"it holds {f.kind} ({_list_rows(rows[f.positions])})"
        else:
            ex = ", ".join(repr(e) for e in f.examples)
            what = f"its values look like {f.kind} ({_list_rows(rows[f.positions])}; e.g. {ex})"
        convert = "convert them with ka.to_relative_days, " if f.kind == "calendar dates" else ""
        ctx.issues.add_one(
            "error",
            "identifier",
            f.column,
            f"{what}: ketanalysis takes de-identified data only; remove the column, "
            f"{convert}or pass allow_identifiers=[{f.column!r}]",
            row=rows[f.positions[0]] if len(f.positions) else None,
        )
    return findings


def _check_required(ctx: _Context, frame: pd.DataFrame, scale) -> bool:
    """Required columns; fills ``scale`` from ``scale=``. False when checks cannot go on."""
    df, issues = ctx.df, ctx.issues
    scale_list = [scale] if isinstance(scale, str) else list(scale or [])
    if "scale" not in df.columns:
        if len(scale_list) == 1:
            df["scale"] = scale_list[0]
        elif len(scale_list) > 1:
            issues.add_one(
                "error",
                "several_scales",
                "scale",
                f"several scales given ({', '.join(map(str, scale_list))}) but the data have "
                "no scale column to say which row is which; add a 'scale' column, or read "
                "each scale separately (columns=, or from_wide with scale={column: scale})",
            )
    elif scale_list:
        _check_scale_argument(ctx, scale_list)
    missing = [c for c in ("patient_id", "session") if c not in df.columns]
    if "scale" not in df.columns and len(scale_list) <= 1:
        missing.append("scale")
    if "score" not in df.columns and not ctx.item_cols:
        missing.append("score")
    for c in missing:
        hint = {
            "scale": "add a scale column or pass scale='MADRS' (one of "
            + ", ".join(_scales.SCALES)
            + ")",
            "score": "give a total score column or item columns item_1 ... item_k",
        }.get(c, f"map your column to it with columns={{'your_name': {c!r}}}")
        issues.add_one(
            "error",
            "missing_column",
            c,
            f"required column {c!r} is missing ({hint}); columns present: "
            + ", ".join(map(str, [x for x in frame.columns if x not in PROVENANCE][:30])),
        )
    if issues.has_errors and (missing or "scale" not in df.columns):
        return False
    if "score" not in df.columns:
        df["score"] = np.nan
    return True


def _check_scale_argument(ctx: _Context, scale_list) -> None:
    """``scale=`` with a scale column: every row must be of a scale given."""
    wanted = {_scales.normalize_name(str(s)) or str(s) for s in scale_list}
    raw = ctx.df["scale"].astype("string").str.strip()
    norm = raw.map({u: _scales.normalize_name(u) for u in pd.unique(raw.dropna())})
    other = (norm.notna() & ~norm.isin(wanted)).to_numpy()
    if other.any():
        found = ", ".join(sorted(set(norm[other])))
        ctx.issues.add(
            "error",
            "several_scales",
            ctx.rows[other],
            "scale",
            [
                f"scale= says {', '.join(sorted(wanted))} but this row's scale column says "
                f"{v}; scale= is for data without a scale column (this one also holds "
                f"{found}): leave it out, and select a scale later"
                for v in norm[other]
            ],
        )


def _canonical_patient_ids(ctx: _Context) -> None:
    """Patient ids as text (stripped); empty ids are errors.

    The text work is done once per distinct id (``_by_unique``), not once per row.
    """
    pid = ctx.df["patient_id"]
    if pd.api.types.is_float_dtype(pid.dtype):
        # IDs read from a numeric column: 12.0 becomes "12", never "12.0".
        whole = pid.dropna()
        if (whole == np.round(whole)).all():
            pid = pid.astype("Int64")
    text = _by_unique(pid, lambda u: u.astype("string").str.strip())
    bad = pd.isna(text) | (text == "")
    text[bad] = None
    ctx.patient_codes = pd.factorize(text)[0].astype(np.int64)
    ctx.issues.add("error", "missing_id", ctx.rows[bad], "patient_id", "patient_id is empty")
    text[bad] = None
    ctx.df["patient_id"] = pd.Series(text, dtype=object)


def _by_unique(values: pd.Series, fn) -> np.ndarray:
    """``fn`` applied to the distinct values only, spread back to every row (object array).

    ``fn`` takes and returns a Series; missing values stay missing (None).
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    done = fn(pd.Series(uniques)).to_numpy(dtype=object, na_value=None)
    out = np.empty(len(codes), dtype=object)
    ok = codes >= 0
    out[ok] = done[codes[ok]]
    out[~ok] = None
    return out


def _canonical_sessions(ctx: _Context) -> bool:
    """Sessions as numbers (int where whole) or an ordered category; False if text."""
    session = ctx.df["session"]
    if isinstance(session.dtype, pd.CategoricalDtype) and session.cat.ordered:
        bad = session.isna().to_numpy()
        ctx.issues.add("error", "missing_session", ctx.rows[bad], "session", "session is empty")
        return True
    num, nonnum = _as_numeric(session)
    if nonnum.any():
        shown = [ctx.show.value("session", v) for v in session[nonnum].astype(str)]
        labels = list(dict.fromkeys(shown))
        ctx.issues.add(
            "error",
            "session_type",
            ctx.rows[nonnum],
            "session",
            [
                f"session {v} is text; sessions must be numbers or an ordered category "
                f"(values: {', '.join(labels[:8])}); recode them as numbers in time "
                "order (read_scores(..., sessions={label: number})), or make session an "
                "ordered pandas Categorical"
                for v in shown
            ],
        )
    bad = num.isna().to_numpy() & ~nonnum
    whole = num.dropna()
    ctx.df["session"] = (
        num.astype("Int64") if len(whole) and (whole == np.round(whole)).all() else num
    )
    if not ctx.df["session"].isna().any() and ctx.df["session"].dtype == "Int64":
        ctx.df["session"] = ctx.df["session"].astype("int64")
    ctx.issues.add("error", "missing_session", ctx.rows[bad], "session", "session is empty")
    return not nonnum.any()


def _canonical_scales(ctx: _Context) -> np.ndarray:
    """Scale names to registry keys; returns the mask of rows with an unknown scale."""
    norm = _by_unique(
        ctx.df["scale"],
        lambda u: u.astype("string").str.strip().map(_scales.normalize_name).astype(object),
    )
    norm = pd.Series(norm, dtype=object)
    unknown = norm.isna().to_numpy()
    raw_scale = ctx.df["scale"][unknown].astype("string").str.strip()
    if unknown.any():
        msgs = []
        for v in raw_scale:
            if pd.isna(v) or v == "":
                msgs.append("scale is empty")
                continue
            hint = None if ctx.show.masks("scale") else _scales.suggest(v)
            dym = f"did you mean {hint!r}? " if hint else ""
            msgs.append(
                f"unknown scale {ctx.show.value('scale', v)}: {dym}valid scales are "
                f"{', '.join(_scales.SCALES)}"
            )
        ctx.issues.add("error", "unknown_scale", ctx.rows[unknown], "scale", msgs)
    ctx.df["scale"] = norm.astype(object)
    return unknown


def _check_scores_and_items(ctx: _Context, unknown: np.ndarray):
    """Numbers and ranges of totals and items; totals from items where none is given.

    Returns the masks of non-numeric scores and of rows with too many missing items.
    """
    df, rows, issues, show = ctx.df, ctx.rows, ctx.issues, ctx.show
    score_col, item_cols = ctx.score_col, ctx.item_cols
    score, score_nonnum = _as_numeric(df["score"])
    _add_per_row(
        issues,
        "non_numeric",
        rows,
        score_nonnum,
        score_col,
        df["score"],
        "score {} is not a number",
        show.render("score"),
    )
    score = score.to_numpy(dtype=float, copy=True)
    items = {}
    for c in item_cols:
        vals, nonnum = _as_numeric(df[c])
        _add_per_row(
            issues,
            "non_numeric",
            rows,
            nonnum,
            c,
            df[c],
            "item score {} is not a number",
            show.render(c),
        )
        items[c] = vals.to_numpy(dtype=float, copy=True)
    score_source = np.where(np.isnan(score), "", "given").astype(object)
    if "score_source" in df.columns:
        # a frame validated before (the readers' output) keeps how its totals arose
        before = df["score_source"].to_numpy(dtype=object)
        known = np.isin(before, ["items", "prorated"]) & ~np.isnan(score)
        score_source[known] = before[known]
    too_few_items = np.zeros(ctx.n, dtype=bool)
    inf = np.isinf(score)
    issues.add("error", "out_of_range", rows[inf], _pick(score_col, inf), "score is infinite")
    codes = ctx.scale_codes
    for j in np.unique(codes[codes >= 0]):
        sc = _scales.SCALES[list(_scales.SCALES)[j]]
        _check_one_scale(ctx, sc, codes == j, score, items, score_source, too_few_items)
    df["score"] = score
    for c in item_cols:
        df[c] = items[c]
    if item_cols:
        df["score_source"] = score_source
    return score_nonnum, too_few_items


def _check_one_scale(ctx, sc, m, score, items, score_source, too_few_items) -> None:
    """Checks of the rows ``m`` of one scale; fills ``score`` from items in place."""
    rows, issues, score_col = ctx.rows, ctx.issues, ctx.score_col
    idx_m = np.flatnonzero(m)
    s = score[m]
    out = np.isfinite(s) & ((s < sc.total_min) | (s > sc.total_max))
    issues.add(
        "error",
        "out_of_range",
        rows[idx_m[out]],
        _pick(score_col, idx_m[out]),
        [
            f"{sc.key} total {_fmt(v)} is outside {_fmt(sc.total_min)}-{_fmt(sc.total_max)}"
            for v in s[out]
        ],
    )
    for c in items:
        if not 1 <= int(c[5:]) <= sc.n_items:
            has = m & ~np.isnan(items[c])
            issues.add(
                "error",
                "out_of_range",
                rows[has],
                c,
                f"{sc.key} has {sc.n_items} items; {c} must be empty on {sc.key} rows",
            )
    own = sc.items
    if not any(c in items for c in own):
        return
    block = np.column_stack([items[c][m] if c in items else np.full(m.sum(), np.nan) for c in own])
    for j, c in enumerate(own):
        if c not in items:
            continue
        v = block[:, j]
        hi = sc.item_max[j]
        out = (v < 0) | (v > hi)
        issues.add(
            "error",
            "out_of_range",
            rows[idx_m[out]],
            c,
            [f"{sc.key} item {j + 1} is {_fmt(x)}; it must be 0-{hi}" for x in v[out]],
        )
        frac = ~np.isnan(v) & ~out & (v != np.round(v))
        issues.add(
            "error",
            "not_whole",
            rows[idx_m[frac]],
            c,
            [f"{sc.key} item {j + 1} is {_fmt(x)}; item scores are whole numbers" for x in v[frac]],
        )
    res = _scales.score_items(sc, block)
    given = score[m]
    has_total = ~np.isnan(res.total)
    # a prorated total may have been rounded to a whole number by whoever gave it
    tol = np.where(res.status == "prorated", 0.5 + 1e-9, 1e-6)
    mismatch = has_total & ~np.isnan(given) & (np.abs(given - res.total) > tol)
    rule = "the QIDS-SR16 domain total" if sc.scoring == "qids" else "the items sum to"
    issues.add(
        "error",
        "total_mismatch",
        rows[idx_m[mismatch]],
        _pick(score_col, idx_m[mismatch]),
        [
            f"{sc.key} total {_fmt(g)} disagrees with its items: {rule} {_fmt(t)}"
            for g, t in zip(given[mismatch], res.total[mismatch], strict=True)
        ],
    )
    fill = np.isnan(given) & has_total
    score[idx_m[fill]] = res.total[fill]
    score_source[idx_m[fill]] = np.where(res.status[fill] == "prorated", "prorated", "items")
    pro = (fill | (score_source[idx_m] == "prorated")) & (res.status == "prorated")
    issues.add(
        "warning",
        "prorated",
        rows[idx_m[pro]],
        "score",
        [
            f"{sc.key} total prorated from {sc.n_items - k} answered items ({k} missing): {_fmt(t)}"
            for k, t in zip(res.n_missing[pro], res.total[pro], strict=True)
        ],
    )
    short = np.isnan(given) & (res.status == "too_many_missing")
    allowed = sc.max_prorated
    rule_txt = f"at most {allowed} may be missing" if allowed else "every item is needed"
    reasons = [
        f"too many missing items for a {sc.key} total ({k} of {sc.n_items}; {rule_txt})"
        for k in res.n_missing[short]
    ]
    issues.add("warning", "missing_items", rows[idx_m[short]], "score", reasons)
    too_few_items[idx_m[short]] = True
    ctx.excluded.append((too_few_items & m, _spread(reasons, idx_m[short], ctx.n)))


def _check_duplicates(ctx: _Context, no_score: np.ndarray) -> np.ndarray:
    """Identical duplicates (warning, kept once) and conflicting ones (error).

    Returns the mask of identical copies, which are excluded.
    """
    df, rows, issues, show = ctx.df, ctx.rows, ctx.issues, ctx.show
    key = ["_group", "session"]
    usable = (df["_group"] >= 0) & df["session"].notna()
    identical = np.zeros(ctx.n, dtype=bool)
    if not usable.any():
        return identical
    value_cols = ["score", *(["day"] if "day" in df.columns else []), *ctx.item_cols]
    sub = df.loc[usable, key + value_cols]
    # the copy kept is the one of the lowest input row, whatever the order of the rows
    sub = sub.iloc[np.argsort(_row_rank(rows)[sub.index], kind="stable")]
    dup = sub.duplicated(keep="first").to_numpy()
    identical[sub.index[dup]] = True
    if dup.any():
        gid = sub.groupby(key + value_cols, sort=False, dropna=False, observed=True).ngroup()
        first = pd.Series(sub.index).groupby(gid.to_numpy()).transform("first").to_numpy()
        copies = np.sort(sub.index[dup])  # issues in input order
        kept = dict(zip(sub.index[dup], first[dup], strict=True))
        issues.add(
            "warning",
            "duplicate",
            rows[copies],
            "",
            [f"identical duplicate of {_row_label(rows[kept[i]])}; kept once" for i in copies],
        )
    ctx.excluded.insert(0, (identical, "identical duplicate row (kept once)"))
    # rows without a score are excluded anyway (see missing_score): no conflict
    rest = sub[~identical[sub.index] & ~no_score[sub.index]]
    clash = rest.duplicated(subset=key, keep=False)
    if clash.any():
        c = rest.loc[clash].join(df[["patient_id", "scale"]])
        c_rows = pd.Series(rows[c.index], index=c.index)
        grp = c_rows.groupby([c[k] for k in key], sort=False, dropna=False).transform(
            lambda r: ", ".join(map(str, r))
        )
        msgs = [
            f"patient {show.patient(p)}, {s} session {ss} recorded more than once with "
            "different values "
            f"(rows {g}; score {_fmt(v) if not np.isnan(v) else 'missing'} here)"
            for p, s, ss, g, v in zip(
                c["patient_id"], c["scale"], c["session"], grp, c["score"], strict=True
            )
        ]
        issues.add("error", "duplicate", rows[c.index], "session", msgs)
    return identical


def _row_rank(rows: np.ndarray) -> np.ndarray:
    """Rank of each input row label (input order when the labels do not sort)."""
    try:
        return np.argsort(np.argsort(rows, kind="stable"), kind="stable")
    except TypeError:
        return np.arange(len(rows))


def _is_item(col) -> bool:
    """True for item columns ``item_1``, ``item_2``, ... (not ``item_comment``)."""
    return isinstance(col, str) and col.startswith("item_") and col[5:].isdigit()


def _pick(col, idx):
    """Column name for messages: the source column (wide input) or a fixed name."""
    if isinstance(col, pd.Series):
        return col.to_numpy(dtype=object)[idx]
    return col


def _spread(values, idx, n):
    out = np.empty(n, dtype=object)
    out[idx] = values
    return out


def _add_per_row(issues, check, rows, mask, column, values, template, render=repr):
    if mask.any():
        col = _pick(column, np.flatnonzero(mask)) if isinstance(column, pd.Series) else column
        issues.add(
            "error", check, rows[mask], col, [template.format(render(v)) for v in values[mask]]
        )


class _Shower:
    """Shows data values in messages, masking those of columns the PHI guard refused.

    A message must not repeat an identifier that the guard refuses, whichever check
    writes it (a date in the ``day`` column, names used as patient ids).
    """

    def __init__(self, masked: Iterable[str] = ()):
        self._masked = frozenset(masked)

    def masks(self, column) -> bool:
        return column in self._masked

    def value(self, column, v) -> str:
        """``repr`` of a value, masked when its column was refused."""
        return repr(_phi.mask(str(v).strip())) if column in self._masked else repr(v)

    def render(self, column):
        return lambda v: self.value(column, v)

    def patient(self, p) -> str:
        """A patient id for messages (masked when the patient_id column was refused)."""
        return _phi.mask(str(p)) if "patient_id" in self._masked else str(p)


def _check_days(df, rows, issues, allow_negative, show):
    day = df["day"]
    if pd.api.types.is_datetime64_any_dtype(day.dtype):
        issues.add_one(
            "error",
            "day_value",
            "day",
            "day holds calendar dates; convert them with ka.to_relative_days(frame, date=...)",
        )
        df["day"] = np.nan
        return
    num, nonnum = _as_numeric(day)
    _add_per_row(
        issues,
        "non_numeric",
        rows,
        nonnum,
        "day",
        day,
        "day {} is not a number",
        show.render("day"),
    )
    d = num.to_numpy(dtype=float, copy=True)
    inf = np.isinf(d)
    issues.add("error", "day_value", rows[inf], "day", "day is infinite")
    big = np.isfinite(d) & (np.abs(d) > _MAX_RELATIVE_DAY)
    issues.add(
        "error",
        "day_value",
        rows[big],
        "day",
        [
            f"day {_fmt(v)} looks like a calendar date serial number, not days since the "
            "first treatment; convert dates with ka.to_relative_days"
            for v in d[big]
        ],
    )
    if not allow_negative:
        neg = np.isfinite(d) & (d < 0)
        issues.add(
            "error",
            "day_value",
            rows[neg],
            "day",
            [
                f"day {_fmt(v)} is negative; days count from the first treatment (pass "
                "allow_negative_days=True or baseline='last_pre' for screening visits)"
                for v in d[neg]
            ],
        )
    df["day"] = d


def _check_day_order(df, rows, issues, show):
    """Within a patient and scale, no session may fall before the days of earlier sessions.

    Each offending row is compared with the latest day of any earlier session, and the
    message names the row holding that day.
    """
    d = df[["_group", "session", "day"]].copy()
    d["_pos"] = np.arange(len(d))
    d = d[(d["_group"] >= 0).to_numpy() & d["session"].notna().to_numpy()]
    d = d[np.isfinite(d["day"].to_numpy(dtype=float))]
    if d.empty:
        return
    who = ["_group"]
    d = d.sort_values([*who, "session", "day"], kind="stable")
    # the latest day of each session (rows are sorted by day within a session)
    last = d.groupby([*who, "session"], sort=False, observed=True).tail(1).copy()
    by_who = [last[k] for k in who]
    last["run"] = last.groupby(by_who, sort=False)["day"].cummax()
    last["run_pos"] = (
        last["_pos"].where(last["day"] == last["run"]).groupby(by_who, sort=False).ffill()
    )
    last["run_session"] = (
        last["session"]
        .astype(object)
        .where(last["day"] == last["run"])
        .groupby(by_who, sort=False)
        .ffill()
    )
    prev = last.groupby(by_who, sort=False)[["run", "run_pos", "run_session"]].shift(1)
    prev[who] = last[who]
    prev["session"] = last["session"]
    m = d.merge(prev, on=[*who, "session"], how="left", sort=False)
    bad = (m["day"] < m["run"]).to_numpy()
    if not bad.any():
        return
    b = m[bad].sort_values("_pos")
    b = b.assign(
        patient_id=df["patient_id"].to_numpy()[b["_pos"].to_numpy()],
        scale=df["scale"].to_numpy()[b["_pos"].to_numpy()],
    )
    issues.add(
        "error",
        "day_order",
        rows[b["_pos"].to_numpy()],
        "day",
        [
            f"patient {show.patient(p)}, {s} session {ss} is on day {_fmt(v)}, earlier than "
            f"session {ps} ({_row_label(rows[int(pp)])}, day {_fmt(pm)}); sessions must "
            "follow the days in time order"
            for p, s, ss, v, ps, pp, pm in zip(
                b["patient_id"],
                b["scale"],
                b["session"],
                b["day"],
                b["run_session"],
                b["run_pos"],
                b["run"],
                strict=True,
            )
        ],
    )


def _check_baseline(df, rows, issues, excluded, baseline, usable, show):
    outcome_scales = [
        k for k in _scales.SCALES if _scales.SCALES[k].remission_threshold is not None
    ]
    m = usable & df["scale"].isin(outcome_scales).to_numpy() & (df["_group"] >= 0).to_numpy()
    m &= df["session"].notna().to_numpy()
    if not m.any():
        return
    cols = ["_group", "patient_id", "scale", "session", "score"]
    sub = df.loc[m, cols + (["day"] if "day" in df else [])]
    if baseline == "first":
        first = sub.sort_values("session", kind="stable").groupby("_group", sort=False).head(1)
        return _zero_baseline(rows, issues, first, show)
    if baseline == "last_pre":
        if "day" not in sub:
            issues.add_one(
                "error",
                "no_baseline",
                "day",
                "baseline='last_pre' needs a day column (the last assessment with day <= 0)",
            )
            return
        is_base = (sub["day"] <= 0).to_numpy()
        what = "an assessment on or before day 0"
    else:
        is_base = (sub["session"] == baseline).to_numpy()
        label = repr(baseline) if isinstance(baseline, str) else baseline
        what = f"an assessment at session {label}"
    has = (
        pd.Series(is_base, index=sub.index)
        .groupby(sub["_group"], sort=False)
        .transform("any")
        .to_numpy(copy=True)
    )
    # A scale on which no patient has a baseline: the baseline setting is wrong for it.
    scale_has = pd.Series(has, index=sub.index).groupby(sub["scale"], sort=False).any()
    for key in scale_has.index[~scale_has.to_numpy()]:
        of_scale = sub["scale"] == key
        sessions = sub.loc[of_scale, "session"].drop_duplicates().sort_values()
        listed = ", ".join(map(str, sessions.iloc[:10]))
        issues.add_one(
            "error",
            "no_baseline",
            "session",
            f"no patient has a {key} baseline ({what}); {key} sessions present: {listed}"
            f"{' ...' if len(sessions) > 10 else ''}; set baseline= to your baseline session, "
            "'first' or 'last_pre'",
        )
        has[of_scale.to_numpy()] = True  # reported once for the scale, not per patient
    lacking = sub.index[~has]
    if len(lacking):
        lacking = lacking[np.argsort(_row_rank(rows)[lacking], kind="stable")]
        first = sub.loc[lacking].groupby("_group", sort=False).head(1)
        issues.add(
            "warning",
            "no_baseline",
            rows[first.index],
            "session",
            [
                f"patient {show.patient(p)} has no {s} baseline ({what}); their {s} rows are "
                "excluded"
                for p, s in zip(first["patient_id"], first["scale"], strict=True)
            ],
        )
        mask = np.zeros(len(df), dtype=bool)
        mask[lacking] = True
        excluded.append((mask, f"no baseline assessment ({what})"))
    base_rows = sub[is_base]
    if baseline == "last_pre":
        base_rows = base_rows.sort_values(["day", "session"]).groupby("_group", sort=False).tail(1)
    _zero_baseline(rows, issues, base_rows, show)


def _zero_baseline(rows, issues, base_rows, show):
    zero = base_rows[base_rows["score"] == 0]
    issues.add(
        "warning",
        "zero_baseline",
        rows[zero.index],
        "score",
        [
            f"patient {show.patient(p)} has a {s} baseline of 0: percentage change from "
            "baseline is "
            "undefined, so percentage-based response cannot be assessed"
            for p, s in zip(zero["patient_id"], zero["scale"], strict=True)
        ],
    )


def _order_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Canonical column order; text columns as object dtype whatever the reader made them."""
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c].dtype) and df[c].dtype != object:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    items = sorted((c for c in df.columns if _is_item(c)), key=lambda c: int(c[5:]))
    first = [c for c in CANONICAL_ORDER if c in df.columns]
    last = [c for c in PROVENANCE if c in df.columns]
    middle = [c for c in df.columns if c not in first and c not in last and c not in items]
    return df[first + middle + items + last]


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
