"""Validation of safety data: vital signs, dissociation and adverse events per session.

Two canonical long formats sit beside the scores (docs/architecture.md §3.3):

*Vital signs*, one row per patient x session x time point:

========== ============================================================================
column     meaning
========== ============================================================================
patient_id de-identified patient key (text)
session    the treatment session, as in the scores (numbers or an ordered category)
timepoint  ``"pre"`` (before dosing), ``"peak"`` (the planned reading at about 40 min),
           ``"post"`` (any other reading after dosing) or ``"discharge"``
minutes    optional: minutes after the dose (``pre`` at or before 0, others after 0)
sbp, dbp   systolic and diastolic blood pressure, mmHg
hr         heart rate, beats/min
spo2       optional: oxygen saturation, %
cadss      optional: CADSS total at that time point (dissociation)
other      covariates: ``route``, ``dose_mg_per_kg``, ``dose_mg``, ``arm``, ``day``, ...
========== ============================================================================

The readers accept time points written as ``pre``, ``pre-dose``, ``baseline``, ``40min``,
``peak``, ``post``, ``discharge``, minutes such as ``15`` or ``"90 min"`` (minutes
after the dose), and any labels mapped with ``timepoints={label: canonical label or
minutes}``.

*Adverse events*, one row per patient x session x event: ``patient_id``, ``session``,
``ae_term`` (free text, compared in lower case; an empty term or ``"none"`` records a
session checked without events), ``severity`` (``mild``, ``moderate``, ``severe`` or
1-3) and ``serious`` (yes/no, true/false, 1/0), plus covariates.

Validation of safety data: :func:`validate_vitals` and :func:`validate_adverse_events`
report every problem at once with the rows of the input and audit every excluded row,
in a :class:`SafetyValidationReport`; the ranges and vocabularies they check are
:data:`VITAL_RANGES`, :data:`AE_SEVERITIES` and the time points of
:mod:`ketanalysis.validation.timepoints`. The readers are in :mod:`ketanalysis.io.safety`,
the derivation in :mod:`ketanalysis.outcomes.safety`.

Only numpy and pandas are imported here.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import text_as_object
from .context import Context, as_numeric, canonical_patient_ids, canonical_sessions
from .identifiers import Shower, guard_identifiers
from .issues import format_issues, format_number, row_label, row_rank
from .report import DataWarning, ValidationReport, build_audit
from .timepoints import canonical_timepoints

__all__ = [
    "AE_SEVERITIES",
    "BP_HR",
    "MEASURES",
    "VITAL_RANGES",
    "SafetyValidationReport",
    "check_adverse_events",
    "check_vitals",
    "order_safety_columns",
    "validate_adverse_events",
    "validate_vitals",
    "warn_safety_summary",
]


#: Adverse-event severities, in increasing order.
AE_SEVERITIES: tuple[str, ...] = ("mild", "moderate", "severe")


#: Plausible limits of each measurement (inclusive). Values outside are data-entry errors
#: (a misplaced digit, a swapped column), not clinical judgements: they are wide enough
#: for any reading of a monitored adult.
VITAL_RANGES: dict[str, tuple[float, float]] = {
    "sbp": (40.0, 300.0),
    "dbp": (20.0, 200.0),
    "hr": (20.0, 250.0),
    "spo2": (50.0, 100.0),
    "cadss": (0.0, 92.0),
}


_UNITS = {"sbp": " mmHg", "dbp": " mmHg", "hr": " beats/min", "spo2": " %", "cadss": ""}


_NAMES = {
    "sbp": "systolic blood pressure",
    "dbp": "diastolic blood pressure",
    "hr": "heart rate",
    "spo2": "oxygen saturation",
    "cadss": "CADSS total",
}


#: The measurements of a vital-sign row, in canonical column order.
MEASURES = tuple(VITAL_RANGES)


#: Blood pressure and heart rate: the measurements of which a vital-sign row needs one.
BP_HR = ("sbp", "dbp", "hr")


_SEVERITY_ALIASES = {
    "mild": "mild",
    "1": "mild",
    "moderate": "moderate",
    "mod": "moderate",
    "2": "moderate",
    "severe": "severe",
    "3": "severe",
}


_SERIOUS_ALIASES = {
    "yes": True,
    "y": True,
    "true": True,
    "t": True,
    "1": True,
    "serious": True,
    "no": False,
    "n": False,
    "false": False,
    "f": False,
    "0": False,
    "nonserious": False,
    "non-serious": False,
}


_NO_EVENT = {"none", "no", "nil", "no event", "no events", "no ae", "no adverse event", "nae"}


@dataclass(frozen=True)
class SafetyValidationReport(ValidationReport):
    """Outcome of :func:`validate_vitals` or :func:`validate_adverse_events`.

    As :class:`ketanalysis.ValidationReport`: ``frame`` (canonical, excluded rows
    removed), ``issues`` (``severity``, ``check``, ``row``, ``column``, ``message``),
    ``audit`` (one row per excluded input row: ``row``, ``patient_id``, ``session``,
    ``timepoint`` or ``ae_term``, ``reason``), ``n_rows_in``, ``source``, ``ok``,
    ``errors``, ``warnings``, ``raise_for_errors()``; and ``kind``: ``"vitals"`` or
    ``"adverse_events"``.
    """

    kind: str = "vitals"

    def summary(self) -> str:
        """A short plain-text summary: counts, exclusions, problems."""
        f = self.frame
        what = "vital signs" if self.kind == "vitals" else "adverse events"
        src = f" of {self.source}" if self.source else ""
        lines = [f"Validation of {what}{src}: {'OK' if self.ok else 'FAILED'}"]
        lines.append(
            f"  rows: {self.n_rows_in} read, {self.n_rows_out} kept, {len(self.audit)} excluded"
        )
        if self.ok and len(f):
            n_sessions = len(f[["patient_id", "session"]].drop_duplicates())
            lines.append(f"  patients: {f['patient_id'].nunique()}, sessions: {n_sessions}")
            if self.kind == "vitals":
                present = [m for m in MEASURES if m in f and f[m].notna().any()]
                lines.append(f"  measurements: {', '.join(present)}")
            else:
                n_events = int(f["ae_term"].notna().sum())
                lines.append(f"  events: {n_events} ({f['ae_term'].nunique()} distinct terms)")
        for reason, n in self.exclusions().itertuples(index=False):
            lines.append(f"  excluded: {n} row{'s' if n != 1 else ''}: {reason}")
        n_err, n_warn = len(self.errors), len(self.warnings)
        lines.append(f"  errors: {n_err}, warnings: {n_warn}")
        if n_err:
            lines.append(format_issues(self.errors, None, 20, "error", indent="    "))
        if n_warn:
            lines.append(format_issues(self.warnings, None, 10, "warning", indent="    "))
        return "\n".join(lines)


def warn_safety_summary(report: SafetyValidationReport) -> None:
    """Emit one :class:`DataWarning` summarising the report's warnings and exclusions."""
    if report.warnings.empty:
        return
    counts = report.warnings["check"].value_counts(sort=False)
    parts = "; ".join(f"{n} {c.replace('_', ' ')}" for c, n in counts.items())
    n_ex = len(report.audit)
    fn = "validate_vitals" if report.kind == "vitals" else "validate_adverse_events"
    warnings.warn(
        f"{parts}; validation will exclude {n_ex} row{'s' if n_ex != 1 else ''}. See "
        f"ketanalysis.{fn}(frame).summary() and .audit for the rows.",
        DataWarning,
        stacklevel=3,
    )


def validate_vitals(
    frame: pd.DataFrame,
    *,
    timepoints: Mapping[object, object] | None = None,
    allow_identifiers: Iterable[str] = (),
    source: str | None = None,
) -> SafetyValidationReport:
    """Check a vital-signs frame and report every problem at once.

    Parameters
    ----------
    frame : DataFrame
        Vital signs in the canonical format (see :mod:`ketanalysis.validation.safety`); a
        ``source_row`` column (added by the readers) gives the row numbers of messages,
        else the index labels are used.
    timepoints : dict, optional
        ``{label: canonical label or minutes}`` for labels of your own.
    allow_identifiers : iterable of str
        Columns that may look like direct identifiers or hold free text (as for
        :func:`ketanalysis.validate`; ``ae_term`` is free text by design and only
        scanned for identifiers).
    source : str, optional
        Name of the input for messages.

    Returns
    -------
    SafetyValidationReport
        ``frame`` (canonical; excluded rows removed), ``issues``, ``audit``.

    Notes
    -----
    Errors: ``identifier`` (PHI guard: names, dates, record numbers ...),
    ``missing_column`` (``patient_id``, ``session``, ``timepoint`` or ``minutes``, and at
    least one of ``sbp``, ``dbp``, ``hr``), ``missing_id``, ``missing_session``,
    ``session_type``, ``timepoint`` (empty or unknown labels, minutes that contradict the
    label, e.g. ``pre`` at 15 minutes), ``non_numeric``, ``out_of_range`` (outside
    :data:`VITAL_RANGES` or minutes beyond a day), ``bp_order`` (diastolic at or above
    systolic), ``duplicate`` (one time point twice with different values).

    Warnings (the row is excluded and listed in ``audit``): ``no_reading`` (no
    measurement on the row), ``duplicate`` (an identical copy, kept once).

    Examples
    --------
    >>> import pandas as pd
    >>> from ketanalysis import validate_vitals
    >>> f = pd.DataFrame({"patient_id": ["a", "a"], "session": [1, 1],
    ...                   "timepoint": ["pre", "40min"], "sbp": [128, 121], "dbp": [131, 80]})
    >>> print(validate_vitals(f).error_message())
    1 problem:
      row 0, column dbp: diastolic 131 mmHg is not below systolic 128 mmHg; are sbp and dbp swapped?
    """
    return check_vitals(frame, timepoints, allow_identifiers, source)[0]


def validate_adverse_events(
    frame: pd.DataFrame,
    *,
    allow_identifiers: Iterable[str] = (),
    source: str | None = None,
) -> SafetyValidationReport:
    """Check an adverse-event frame and report every problem at once.

    Parameters
    ----------
    frame : DataFrame
        Adverse events in the canonical format (see :mod:`ketanalysis.validation.safety`).
    allow_identifiers, source
        As for :func:`validate_vitals`.

    Returns
    -------
    SafetyValidationReport

    Notes
    -----
    Errors: ``identifier``, ``missing_column`` (``patient_id``, ``session``,
    ``ae_term``), ``missing_id``, ``missing_session``, ``session_type``, ``severity``
    (not mild/moderate/severe or 1-3), ``serious`` (not yes/no, true/false, 1/0),
    ``ae_term`` (severity or seriousness given without a term), ``duplicate`` (an event
    twice at one session with different severity or seriousness), ``no_event`` (a session
    recorded as without events that also has events).

    Warnings (row excluded, listed in ``audit``): ``duplicate`` (identical copy).

    Examples
    --------
    >>> import pandas as pd
    >>> from ketanalysis import validate_adverse_events
    >>> f = pd.DataFrame({"patient_id": ["a", "b"], "session": [1, 1],
    ...                   "ae_term": ["Nausea", "dizziness"], "severity": ["mild", "grave"]})
    >>> print(validate_adverse_events(f).error_message())
    1 problem:
      row 1, column severity: severity 'grave' is not one of mild, moderate, severe (or 1, 2, 3)
    """
    return check_adverse_events(frame, allow_identifiers, source)[0]


def _start(frame, allow_identifiers) -> Context:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    allow = (allow_identifiers,) if isinstance(allow_identifiers, str) else allow_identifiers
    ctx = Context.start(frame)
    findings = guard_identifiers(ctx, tuple(allow or ()))
    ctx.show = Shower({f.column for f in findings if f.by != "name"})
    return ctx


def _require(ctx: Context, frame, needed: list[str]) -> bool:
    for c in needed:
        hint = {
            "timepoint": "a timepoint column (pre, 40min, discharge, ...) or minutes after "
            "the dose",
            "sbp": "at least one of sbp, dbp, hr",
        }.get(c, f"map your column to it with columns={{'your_name': {c!r}}}")
        ctx.issues.add_one(
            "error",
            "missing_column",
            c,
            f"required column {c!r} is missing ({hint}); columns present: "
            + ", ".join(map(str, [x for x in frame.columns if x != "source_row"][:30])),
        )
    return not needed


def _ids_and_sessions(ctx: Context) -> np.ndarray:
    """Patient ids and sessions canonical; mask of rows with a usable key."""
    canonical_patient_ids(ctx)
    canonical_sessions(ctx)
    return (ctx.patient_codes >= 0) & ctx.df["session"].notna().to_numpy()


def check_vitals(frame, timepoints, allow_identifiers, source):
    """Validate vitals; return (report, canonical frame with every input row)."""
    ctx = _start(frame, allow_identifiers)
    df, issues = ctx.df, ctx.issues
    needed = [c for c in ("patient_id", "session") if c not in df]
    if "timepoint" not in df and "minutes" not in df:
        needed.append("timepoint")
    if not any(m in df for m in BP_HR):
        needed.append("sbp")
    if not _require(ctx, frame, needed):
        return _report(ctx, frame, source, "vitals"), df
    key_ok = _ids_and_sessions(ctx)
    tp_ok = canonical_timepoints(ctx, timepoints)
    bad_value = np.zeros(ctx.n, dtype=bool)
    for m in MEASURES:
        if m not in df:
            if m in BP_HR:
                df[m] = np.nan
            continue
        values, nonnum = as_numeric(df[m])
        issues.add(
            "error",
            "non_numeric",
            ctx.rows[nonnum],
            m,
            [f"{m} {ctx.show.value(m, v)} is not a number" for v in df[m][nonnum]],
        )
        v = values.to_numpy(dtype=float, copy=True)
        lo, hi = VITAL_RANGES[m]
        out = ~np.isnan(v) & ~((v >= lo) & (v <= hi))
        issues.add(
            "error",
            "out_of_range",
            ctx.rows[out],
            m,
            [
                f"{_NAMES[m]} {format_number(x) if np.isfinite(x) else x}{_UNITS[m]} is outside the "
                f"plausible range {format_number(lo)}-{format_number(hi)}{_UNITS[m]}"
                for x in v[out]
            ],
        )
        bad_value |= nonnum | out
        df[m] = v
    s, d = df["sbp"].to_numpy(dtype=float), df["dbp"].to_numpy(dtype=float)
    swapped = ~np.isnan(s) & ~np.isnan(d) & (d >= s)
    issues.add(
        "error",
        "bp_order",
        ctx.rows[swapped],
        "dbp",
        [
            f"diastolic {format_number(b)} mmHg is not below systolic {format_number(a)} mmHg; are sbp and dbp "
            "swapped?"
            for a, b in zip(s[swapped], d[swapped], strict=True)
        ],
    )
    present = [m for m in MEASURES if m in df]
    no_reading = df[present].isna().all(axis=1).to_numpy() & ~bad_value
    issues.add(
        "warning",
        "no_reading",
        ctx.rows[no_reading],
        ",".join(present),
        "no measurement on this row; row excluded",
    )
    ctx.excluded.append((no_reading, "no vital sign recorded"))
    usable = key_ok & tp_ok & ~no_reading
    _duplicates(ctx, usable, ["timepoint", "minutes"], present, "timepoint", _vital_label)
    return _report(ctx, frame, source, "vitals"), order_safety_columns(df, "vitals")


def _vital_label(df, idx) -> list[str]:
    minutes = df["minutes"].to_numpy(dtype=float)[idx]
    return [
        f"{tp}" + (f" ({format_number(m)} min)" if np.isfinite(m) else "")
        for tp, m in zip(df["timepoint"].to_numpy(dtype=object)[idx], minutes, strict=True)
    ]


def check_adverse_events(frame, allow_identifiers, source):
    """Validate adverse events; return (report, canonical frame with every input row)."""
    ctx = _start(frame, allow_identifiers)
    df, rows, issues, show = ctx.df, ctx.rows, ctx.issues, ctx.show
    needed = [c for c in ("patient_id", "session", "ae_term") if c not in df]
    if not _require(ctx, frame, needed):
        return _report(ctx, frame, source, "adverse_events"), df
    key_ok = _ids_and_sessions(ctx)
    # terms: lower case, single spaces; empty or "none" = a session without events
    raw = df["ae_term"]
    text = raw.astype("string").str.strip().str.replace(r"\s+", " ", regex=True).str.lower()
    no_event = (text.isna() | (text == "") | text.isin(_NO_EVENT)).to_numpy(dtype=bool)
    df["ae_term"] = text.astype(object).where(~no_event, None).to_numpy(dtype=object)
    # severity
    if "severity" in df:
        sev_raw = df["severity"]
        sev_key = sev_raw.astype("string").str.strip().str.lower()
        sev_key = sev_key.str.replace(r"\.0$", "", regex=True)
        sev = sev_key.map(_SEVERITY_ALIASES).astype(object)
        given = (sev_key.notna() & (sev_key != "")).to_numpy(dtype=bool)
        bad = given & sev.isna().to_numpy()
        issues.add(
            "error",
            "severity",
            rows[bad],
            "severity",
            [
                f"severity {show.value('severity', v)} is not one of mild, moderate, severe "
                "(or 1, 2, 3)"
                for v in sev_raw[bad]
            ],
        )
        df["severity"] = sev.where(sev.notna(), None).to_numpy(dtype=object)
    else:
        given = np.zeros(ctx.n, dtype=bool)
        df["severity"] = None
    # serious
    if "serious" in df:
        ser_raw = df["serious"]
        if pd.api.types.is_bool_dtype(ser_raw.dtype):
            ser = ser_raw.astype("boolean")
            ser_given = ser.notna().to_numpy(dtype=bool)
        else:
            key = ser_raw.astype("string").str.strip().str.lower()
            key = key.str.replace(r"\.0$", "", regex=True)
            ser = key.map(_SERIOUS_ALIASES).astype("boolean")
            ser_given = (key.notna() & (key != "")).to_numpy(dtype=bool)
            bad = ser_given & ser.isna().to_numpy(dtype=bool)
            issues.add(
                "error",
                "serious",
                rows[bad],
                "serious",
                [
                    f"serious {show.value('serious', v)} is not yes/no, true/false or 1/0"
                    for v in ser_raw[bad]
                ],
            )
        df["serious"] = ser.to_numpy()
        df["serious"] = df["serious"].astype("boolean")
    else:
        ser_given = np.zeros(ctx.n, dtype=bool)
        df["serious"] = pd.array([pd.NA] * ctx.n, dtype="boolean")
    orphan = no_event & (given | ser_given)
    issues.add(
        "error",
        "ae_term",
        rows[orphan],
        "ae_term",
        "severity or seriousness given but no adverse-event term",
    )
    usable = key_ok & ~orphan
    _duplicates(ctx, usable, ["ae_term"], ["severity", "serious"], "ae_term", _ae_label)
    _no_event_clash(ctx, usable & no_event, usable & ~no_event)
    return _report(ctx, frame, source, "adverse_events"), order_safety_columns(df, "adverse_events")


def _ae_label(df, idx) -> list[str]:
    return [
        f"event {t!r}" if t is not None else "no-event record"
        for t in df["ae_term"].to_numpy(dtype=object)[idx]
    ]


def _no_event_clash(ctx: Context, none_rows: np.ndarray, event_rows: np.ndarray) -> None:
    """A session recorded as without events that also has events: an error."""
    if not none_rows.any() or not event_rows.any():
        return
    df = ctx.df
    key = pd.Series(ctx.patient_codes).astype(str) + "|" + df["session"].astype(str)
    with_events = set(key[event_rows])
    clash = none_rows & key.isin(with_events).to_numpy()
    if not clash.any():
        return
    ev = pd.Series(ctx.rows[event_rows], index=key[event_rows].to_numpy())
    listed = ev.groupby(level=0, sort=False).agg(lambda r: ", ".join(map(str, r)))
    ctx.issues.add(
        "error",
        "no_event",
        ctx.rows[clash],
        "ae_term",
        [
            f"patient {ctx.show.patient(p)}, session {s} is recorded without adverse events "
            f"here but has events in rows {listed[k]}"
            for p, s, k in zip(
                df["patient_id"][clash], df["session"][clash], key[clash], strict=True
            )
        ],
    )


def _duplicates(ctx: Context, usable, key_cols, value_cols, what_col, label) -> None:
    """Identical copies: warning, excluded (kept once). Conflicting copies: error."""
    df, rows = ctx.df, ctx.rows
    if not usable.any():
        ctx.excluded.insert(0, (np.zeros(ctx.n, dtype=bool), "identical duplicate row"))
        return
    keys = ["_pid", "session", *key_cols]
    sub = df.loc[usable, ["session", *key_cols, *value_cols]].assign(_pid=ctx.patient_codes[usable])
    sub = sub.iloc[np.argsort(row_rank(rows)[sub.index], kind="stable")]
    cols = keys + list(value_cols)
    dup = sub.duplicated(subset=cols, keep="first").to_numpy()
    identical = np.zeros(ctx.n, dtype=bool)
    identical[sub.index[dup]] = True
    if dup.any():
        first = (
            pd.Series(sub.index, index=sub.index)
            .groupby([sub[c] for c in cols], sort=False, dropna=False, observed=True)
            .transform("first")
        )
        copies = np.sort(sub.index[dup])
        ctx.issues.add(
            "warning",
            "duplicate",
            rows[copies],
            "",
            [f"identical duplicate of {row_label(rows[first[i]])}; kept once" for i in copies],
        )
    ctx.excluded.insert(0, (identical, "identical duplicate row (kept once)"))
    rest = sub[~identical[sub.index]]
    clash = rest.duplicated(subset=keys, keep=False).to_numpy()
    if not clash.any():
        return
    c = rest[clash]
    c_rows = pd.Series(rows[c.index], index=c.index)
    grouped = c_rows.groupby([c[k] for k in keys], sort=False, dropna=False, observed=True)
    listed = grouped.transform(lambda r: ", ".join(map(str, r)))
    what = label(df, c.index.to_numpy())
    ctx.issues.add(
        "error",
        "duplicate",
        rows[c.index],
        what_col,
        [
            f"patient {ctx.show.patient(p)}, session {s}: {w} recorded more than once with "
            f"different values (rows {g})"
            for p, s, w, g in zip(
                df.loc[c.index, "patient_id"],
                df.loc[c.index, "session"],
                what,
                listed,
                strict=True,
            )
        ],
    )


def _report(ctx: Context, frame, source, kind) -> SafetyValidationReport:
    df = ctx.df
    what = "timepoint" if kind == "vitals" else "ae_term"
    audit, keep = build_audit(df, ctx.rows, ctx.excluded, ("patient_id", "session", what))
    issues = ctx.issues.frame()
    ok = not (issues["severity"] == "error").any()
    out = (
        order_safety_columns(df.loc[keep].reset_index(drop=True), kind)
        if ok
        else order_safety_columns(df, kind)
    )
    return SafetyValidationReport(
        frame=out,
        issues=issues,
        audit=audit,
        n_rows_in=len(frame),
        source=source,
        allowed_identifiers=(),
        kind=kind,
    )


def order_safety_columns(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Canonical column order; text columns as object dtype."""
    df = text_as_object(df.copy())
    if kind == "vitals":
        first = ["patient_id", "session", "day", "timepoint", "minutes", *MEASURES]
    else:
        first = ["patient_id", "session", "day", "ae_term", "severity", "serious"]
    first = [c for c in first if c in df.columns]
    last = [c for c in ("source_row",) if c in df.columns]
    middle = [c for c in df.columns if c not in first and c not in last and c != "_group"]
    return df[first + middle + last]
