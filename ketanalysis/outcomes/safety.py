"""Safety and tolerability data: vital signs, dissociation and adverse events per session.

Two canonical long formats sit beside the scores (DESIGN.md §2):

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

:func:`read_vitals` and :func:`read_adverse_events` read files or DataFrames (as
:func:`ketanalysis.read_scores` does); :func:`validate_vitals` and
:func:`validate_adverse_events` report every problem at once with the rows of the input
and audit every excluded row; :func:`derive_safety` derives the per-session and
per-patient tables (pre-dose values, peaks, rises, threshold flags, time to return
towards the pre-dose value, peak CADSS, adverse-event counts) under
:class:`SafetyThresholds`. Statistics on them are in :mod:`ketanalysis.stats.safety`.

Only numpy and pandas are imported here.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..validation.scores import (
    DataWarning,
    ValidationReport,
    _as_numeric,
    _Context,
    _fmt,
    _format_issues,
    _guard_identifiers,
    _row_label,
    _row_rank,
    _Shower,
)

__all__ = [
    "AE_SEVERITIES",
    "TIMEPOINTS",
    "VITAL_RANGES",
    "SafetyOutcomes",
    "SafetyThresholds",
    "SafetyValidationReport",
    "derive_safety",
    "read_adverse_events",
    "read_vitals",
    "validate_adverse_events",
    "validate_vitals",
]

#: Canonical time points of a vital-sign reading, in time order.
TIMEPOINTS: tuple[str, ...] = ("pre", "peak", "post", "discharge")
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
MEASURES = tuple(VITAL_RANGES)
_BP_HR = ("sbp", "dbp", "hr")
#: Minutes after the dose: at most a day either side.
_MINUTES_RANGE = (-1440.0, 1440.0)
_COVARIATES = ("arm", "route", "dose_mg_per_kg", "dose_mg", "site")

_TP_ALIASES = {
    "pre": "pre",
    "predose": "pre",
    "beforedose": "pre",
    "before": "pre",
    "baseline": "pre",
    "prior": "pre",
    "peak": "peak",
    "40min": "peak",
    "40mins": "peak",
    "40minutes": "peak",
    "post": "post",
    "postdose": "post",
    "after": "post",
    "discharge": "discharge",
    "predischarge": "discharge",
    "end": "discharge",
    "endofsession": "discharge",
}
_TP_MINUTES = {"40min": 40.0, "40mins": 40.0, "40minutes": 40.0}
_MINUTES_RX = re.compile(r"^([+-]?\d+(?:\.\d+)?)(m|min|mins|minute|minutes)?$")
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


# ---------------------------------------------------------------------------------------
# thresholds
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SafetyThresholds:
    """Blood-pressure limits that flag a session, and the band of return to pre-dose.

    Parameters
    ----------
    pre_sbp, pre_dbp : float, default 140, 90
        A pre-dose reading at or above either (mmHg) flags the session (``flag_pre``).
    post_sbp, post_dbp : float, default 180, 110
        Any reading after dosing at or above either (mmHg) flags the session
        (``flag_post``).
    return_within : float, default 0.10
        A value has returned when it is at most ``(1 + return_within)`` times its pre-dose
        value (10 % above pre-dose by default).
    inclusive : bool, default True
        Limits are met at equality (``>=``); ``False`` flags only values strictly above
        them (``>``), the wording of the US label for the pre-dose limit.

    Notes
    -----
    Sources of the defaults, and how far they go:

    - Pre-dose 140/90 mmHg. SPRAVATO (esketamine) nasal spray, US Prescribing
      Information, Janssen Pharmaceuticals (initial approval 2019), sections 2 (Dosage
      and Administration) and 5 (Warnings and Precautions, Increases in Blood Pressure):
      assess blood pressure before dosing; if it is elevated (e.g. > 140 mmHg systolic or
      > 90 mmHg diastolic) weigh the risk of a short-term rise against the benefit. In the
      phase 3 trials in treatment-resistant depression dosing was withheld when the
      pre-dose value exceeded 140 (150 at 65 years or older) / 90 mmHg (Janssen medical
      information). The label says "greater than"; ketanalysis flags at equality by
      default (``inclusive=True``) so that a reading at the limit is looked at.
    - Monitoring times. The same label: reassess about 40 minutes after dosing (the time
      of the peak rise, which lasts about 4 hours) and afterwards as clinically warranted
      until values fall; the SPRAVATO REMS requires at least 2 hours of observation after
      each dose.
    - After dosing 180/110 mmHg. The US label gives no number: it asks that patients
      with symptoms of a hypertensive crisis be referred for emergency care. 180/110
      mmHg is the lower bound of grade 3 (severe) hypertension in the 2018 ESC/ESH
      guidelines (Williams B, Mancia G, Spiering W, et al. Eur Heart J
      2018;39:3021-3104), the limit clinic monitoring protocols commonly adopt for a
      post-dose reading that needs action. Set your own protocol's limits here.
    - The 10 % band of return to pre-dose is a convention of this toolkit, not a
      published rule.

    Examples
    --------
    >>> from ketanalysis import SafetyThresholds
    >>> t = SafetyThresholds()
    >>> (t.pre_sbp, t.pre_dbp, t.post_sbp, t.post_dbp, t.return_within)
    (140.0, 90.0, 180.0, 110.0, 0.1)
    >>> SafetyThresholds(post_sbp=160).post_sbp
    160.0
    """

    pre_sbp: float = 140.0
    pre_dbp: float = 90.0
    post_sbp: float = 180.0
    post_dbp: float = 110.0
    return_within: float = 0.10
    inclusive: bool = True

    #: Where the defaults come from (see the Notes).
    source = (
        "Pre-dose 140/90 mmHg and reassessment ~40 min after dosing: SPRAVATO (esketamine) "
        "nasal spray US Prescribing Information (Janssen, 2019-), sections 2 and 5 "
        "(Increases in Blood Pressure). Post-dose 180/110 mmHg: grade 3 hypertension, 2018 "
        "ESC/ESH guidelines (Williams B et al. Eur Heart J 2018;39:3021-3104); the US label "
        "gives no post-dose number. Return band 10 %: ketanalysis convention."
    )

    def __post_init__(self):
        for name in ("pre_sbp", "pre_dbp", "post_sbp", "post_dbp", "return_within"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise TypeError(f"SafetyThresholds.{name} must be a number, got {value!r}")
            if not np.isfinite(value) or value < 0:
                raise ValueError(
                    f"SafetyThresholds.{name} must be a non-negative number, got {value!r}"
                )
            object.__setattr__(self, name, float(value))
        if not isinstance(self.inclusive, (bool, np.bool_)):
            raise TypeError(
                f"SafetyThresholds.inclusive must be True or False, got {self.inclusive!r}"
            )
        object.__setattr__(self, "inclusive", bool(self.inclusive))

    def to_dict(self) -> dict:
        """The settings as a plain dict (for reports and provenance)."""
        return asdict(self)

    def describe(self) -> pd.DataFrame:
        """One row per limit: ``threshold``, ``value``, ``rule`` (plain words)."""
        op = ">=" if self.inclusive else ">"
        rows = [
            ("pre_sbp", self.pre_sbp, f"pre-dose systolic {op} {_fmt(self.pre_sbp)} mmHg"),
            ("pre_dbp", self.pre_dbp, f"pre-dose diastolic {op} {_fmt(self.pre_dbp)} mmHg"),
            ("post_sbp", self.post_sbp, f"post-dose systolic {op} {_fmt(self.post_sbp)} mmHg"),
            ("post_dbp", self.post_dbp, f"post-dose diastolic {op} {_fmt(self.post_dbp)} mmHg"),
            (
                "return_within",
                self.return_within,
                f"returned when at most {100 * self.return_within:g} % above pre-dose",
            ),
        ]
        return pd.DataFrame(rows, columns=["threshold", "value", "rule"])

    def _meets(self, values, limit) -> pd.Series:
        """``values >= limit`` (or ``>``) as a nullable boolean (missing stays missing)."""
        v = pd.Series(values, dtype=float)
        hit = (v >= limit) if self.inclusive else (v > limit)
        return hit.astype("boolean").mask(v.isna())


# ---------------------------------------------------------------------------------------
# validation report
# ---------------------------------------------------------------------------------------
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
            lines.append(_format_issues(self.errors, None, 20, "error", indent="    "))
        if n_warn:
            lines.append(_format_issues(self.warnings, None, 10, "warning", indent="    "))
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# readers
# ---------------------------------------------------------------------------------------
def read_vitals(
    source,
    *,
    columns: Mapping[str, str] | None = None,
    timepoints: Mapping[object, object] | None = None,
    sheet: str | int | None = None,
    allow_identifiers: Iterable[str] = (),
    validate: bool = True,
    **read_kwargs,
) -> pd.DataFrame:
    """Read vital signs (one row per patient x session x time point) into canonical form.

    Parameters
    ----------
    source : path or DataFrame
        Any format :func:`ketanalysis.read_scores` reads (CSV, TSV, Parquet, Excel, SPSS,
        Stata, SAS) or a DataFrame.
    columns : dict, optional
        Renames ``{column in your data: canonical name}``, e.g.
        ``{"subject": "patient_id", "visit": "session", "sys": "sbp", "pulse": "hr"}``.
    timepoints : dict, optional
        Time-point labels of your data: ``{label: canonical label or minutes}``, e.g.
        ``{"T0": "pre", "T1": 40, "T2": "discharge"}``. Labels not listed are read as
        described in :mod:`ketanalysis.outcomes.safety`.
    sheet : str or int, optional
        Excel sheet.
    allow_identifiers : iterable of str
        Columns that may look like direct identifiers; all others are refused.
    validate : bool, default True
        Validate (:func:`validate_vitals`) and raise :class:`~ketanalysis.DataError`
        listing every problem.
    **read_kwargs
        Passed to the pandas or pyreadstat reader.

    Returns
    -------
    DataFrame
        ``patient_id`` (str), ``session``, ``day`` (when given), ``timepoint`` (``pre``,
        ``peak``, ``post``, ``discharge``), ``minutes`` (float, missing when not
        recorded), ``sbp``, ``dbp``, ``hr`` and, when given, ``spo2`` and ``cadss``
        (float), the covariates as read, and ``source_row`` (the row in the input). No row
        is removed: rows that validation excludes (identical duplicates, rows without any
        reading) are announced by a :class:`~ketanalysis.DataWarning` and listed in
        ``validate_vitals(frame).audit``.

    Raises
    ------
    DataError
        Listing every problem, each with its row and column.

    Examples
    --------
    >>> from ketanalysis import read_vitals
    >>> vitals = read_vitals("data/sample/vitals.csv")
    >>> vitals[["patient_id", "session", "timepoint", "minutes", "sbp", "dbp"]].head(3)
      patient_id  session timepoint  minutes    sbp    dbp
    0      K0001        0       pre    -12.0  114.0   87.0
    1      K0001        0      peak     37.0  130.0  100.0
    2      K0001        0      post     80.0  126.0   97.0
    """
    from ..io.scores import _apply_columns, _load, _source_of

    df, name = _load(
        source, sheet=sheet, keep_text={_source_of("patient_id", columns)}, **read_kwargs
    )
    df = _apply_columns(df, columns, name)
    report, canonical = _run_vitals(df, timepoints, allow_identifiers, name)
    if not validate:
        return _order(canonical, "vitals")
    report.raise_for_errors()
    _warn(report)
    return _order(canonical, "vitals")


def read_adverse_events(
    source,
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    allow_identifiers: Iterable[str] = (),
    validate: bool = True,
    **read_kwargs,
) -> pd.DataFrame:
    """Read adverse events (one row per patient x session x event) into canonical form.

    Parameters
    ----------
    source : path or DataFrame
        Any format :func:`ketanalysis.read_scores` reads, or a DataFrame.
    columns : dict, optional
        Renames ``{column in your data: canonical name}``, e.g.
        ``{"subject": "patient_id", "event": "ae_term", "grade": "severity"}``.
    sheet, allow_identifiers, validate, **read_kwargs
        As for :func:`read_vitals`.

    Returns
    -------
    DataFrame
        ``patient_id`` (str), ``session``, ``day`` (when given), ``ae_term`` (lower case,
        single spaces; missing on a row recording a session without events),
        ``severity`` (``mild``, ``moderate``, ``severe`` or missing), ``serious``
        (nullable boolean), the covariates as read, and ``source_row``. No row is removed
        (see :func:`validate_adverse_events` for the audit).

    Raises
    ------
    DataError
        Listing every problem, each with its row and column.

    Examples
    --------
    >>> from ketanalysis import read_adverse_events
    >>> ae = read_adverse_events("data/sample/adverse_events.csv")
    >>> ae.columns.tolist()
    ['patient_id', 'session', 'ae_term', 'severity', 'serious', 'source_row']
    >>> sorted(ae["severity"].unique())
    ['mild', 'moderate', 'severe']
    """
    from ..io.scores import _apply_columns, _load, _source_of

    df, name = _load(
        source, sheet=sheet, keep_text={_source_of("patient_id", columns)}, **read_kwargs
    )
    df = _apply_columns(df, columns, name)
    report, canonical = _run_ae(df, allow_identifiers, name)
    if validate:
        report.raise_for_errors()
        _warn(report)
    return _order(canonical, "adverse_events")


def _warn(report: SafetyValidationReport) -> None:
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


# ---------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------
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
        Vital signs in the canonical format (see :mod:`ketanalysis.outcomes.safety`); a
        ``source_row`` column (added by the readers) gives the row numbers of messages,
        else the index labels are used.
    timepoints : dict, optional
        ``{label: canonical label or minutes}`` for labels of your own.
    allow_identifiers : iterable of str
        Columns that may look like direct identifiers.
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
    return _run_vitals(frame, timepoints, allow_identifiers, source)[0]


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
        Adverse events in the canonical format (see :mod:`ketanalysis.outcomes.safety`).
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
    return _run_ae(frame, allow_identifiers, source)[0]


def _start(frame, allow_identifiers) -> _Context:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    allow = (allow_identifiers,) if isinstance(allow_identifiers, str) else allow_identifiers
    ctx = _Context.start(frame)
    findings = _guard_identifiers(ctx, tuple(allow or ()))
    ctx.show = _Shower({f.column for f in findings if f.by != "name"})
    return ctx


def _require(ctx: _Context, frame, needed: list[str]) -> bool:
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


def _ids_and_sessions(ctx: _Context) -> np.ndarray:
    """Patient ids and sessions canonical; mask of rows with a usable key."""
    from ..validation.scores import _canonical_patient_ids, _canonical_sessions

    _canonical_patient_ids(ctx)
    _canonical_sessions(ctx)
    return (ctx.patient_codes >= 0) & ctx.df["session"].notna().to_numpy()


def _run_vitals(frame, timepoints, allow_identifiers, source):
    """Validate vitals; return (report, canonical frame with every input row)."""
    ctx = _start(frame, allow_identifiers)
    df, issues = ctx.df, ctx.issues
    needed = [c for c in ("patient_id", "session") if c not in df]
    if "timepoint" not in df and "minutes" not in df:
        needed.append("timepoint")
    if not any(m in df for m in _BP_HR):
        needed.append("sbp")
    if not _require(ctx, frame, needed):
        return _report(ctx, frame, source, "vitals"), df
    key_ok = _ids_and_sessions(ctx)
    tp_ok = _canonical_timepoints(ctx, timepoints)
    bad_value = np.zeros(ctx.n, dtype=bool)
    for m in MEASURES:
        if m not in df:
            if m in _BP_HR:
                df[m] = np.nan
            continue
        values, nonnum = _as_numeric(df[m])
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
                f"{_NAMES[m]} {_fmt(x) if np.isfinite(x) else x}{_UNITS[m]} is outside the "
                f"plausible range {_fmt(lo)}-{_fmt(hi)}{_UNITS[m]}"
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
            f"diastolic {_fmt(b)} mmHg is not below systolic {_fmt(a)} mmHg; are sbp and dbp "
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
    return _report(ctx, frame, source, "vitals"), _order(df, "vitals")


def _vital_label(df, idx) -> list[str]:
    minutes = df["minutes"].to_numpy(dtype=float)[idx]
    return [
        f"{tp}" + (f" ({_fmt(m)} min)" if np.isfinite(m) else "")
        for tp, m in zip(df["timepoint"].to_numpy(dtype=object)[idx], minutes, strict=True)
    ]


def _parse_timepoint(value) -> tuple[str, float] | None:
    """(label, minutes) of a time-point value; None when it cannot be read."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        t = float(value)
        return ("pre" if t <= 0 else "post", t) if np.isfinite(t) else None
    text = str(value).strip().lower()
    squashed = re.sub(r"[\s_\-.]", "", text)
    if squashed in _TP_ALIASES:
        return _TP_ALIASES[squashed], _TP_MINUTES.get(squashed, np.nan)
    m = _MINUTES_RX.match(re.sub(r"\s", "", text))
    if m:
        t = float(m.group(1))
        return ("pre" if t <= 0 else "post"), t
    return None


def _canonical_timepoints(ctx: _Context, timepoints) -> np.ndarray:
    """``timepoint`` labels and ``minutes``; returns the mask of rows whose time is usable."""
    df, rows, issues, show = ctx.df, ctx.rows, ctx.issues, ctx.show
    n = ctx.n
    ok = np.ones(n, dtype=bool)
    given_minutes = np.full(n, np.nan)
    if "minutes" in df:
        num, nonnum = _as_numeric(df["minutes"])
        issues.add(
            "error",
            "non_numeric",
            rows[nonnum],
            "minutes",
            [f"minutes {show.value('minutes', v)} is not a number" for v in df["minutes"][nonnum]],
        )
        given_minutes = num.to_numpy(dtype=float, copy=True)
        ok &= ~nonnum
    label = np.full(n, None, dtype=object)
    label_minutes = np.full(n, np.nan)
    tp_raw = df["timepoint"].to_numpy(dtype=object) if "timepoint" in df else label.copy()
    if "timepoint" in df:
        raw = df["timepoint"]
        mapping = {}
        if timepoints is not None:
            if not isinstance(timepoints, Mapping):
                raise TypeError("timepoints must be a dict {label: canonical label or minutes}")
            mapping = {str(k).strip(): v for k, v in timepoints.items()}
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        # kind of each distinct value: 0 read, 1 blank, 2 unknown (parsed once per value)
        kind = np.zeros(len(uniques), dtype=np.int64)
        u_label = np.full(len(uniques), None, dtype=object)
        u_minutes = np.full(len(uniques), np.nan)
        for j, u in enumerate(uniques):
            target = mapping.get(str(u).strip(), u)
            if isinstance(target, str) and target.strip() == "":
                kind[j] = 1
                continue
            if isinstance(target, str) and target.strip().lower() in TIMEPOINTS:
                parsed = (target.strip().lower(), np.nan)
            else:
                parsed = _parse_timepoint(target)
            if parsed is None:
                kind[j] = 2
            else:
                u_label[j], u_minutes[j] = parsed
        has = codes >= 0
        row_kind = np.ones(n, dtype=np.int64)
        row_kind[has] = kind[codes[has]]
        bad = row_kind == 2
        valid = "pre, peak (or 40min), post, discharge, or minutes after the dose (e.g. 90)"
        issues.add(
            "error",
            "timepoint",
            rows[bad],
            "timepoint",
            [
                f"time point {show.value('timepoint', v)} is not one of {valid}; map your "
                "labels with timepoints={label: 'pre' | 'peak' | 'post' | 'discharge' | "
                "minutes}"
                for v in raw[bad]
            ],
        )
        ok &= ~bad
        good = row_kind == 0
        label[good] = u_label[codes[good]]
        label_minutes[good] = u_minutes[codes[good]]
        missing_label = row_kind == 1
    else:
        missing_label = np.ones(n, dtype=bool)
    # minutes from the label and from the minutes column must agree
    both = ~np.isnan(label_minutes) & ~np.isnan(given_minutes)
    clash = both & (label_minutes != given_minutes)
    issues.add(
        "error",
        "timepoint",
        rows[clash],
        "minutes",
        [
            f"time point {show.value('timepoint', t)} says {_fmt(a)} minutes but minutes is "
            f"{_fmt(b)}"
            for t, a, b in zip(
                tp_raw[clash],
                label_minutes[clash],
                given_minutes[clash],
                strict=True,
            )
        ],
    )
    ok &= ~clash
    minutes = np.where(np.isnan(given_minutes), label_minutes, given_minutes)
    # a row with minutes but no label takes its label from the minutes
    from_minutes = missing_label & ~np.isnan(minutes)
    label[from_minutes] = np.where(minutes[from_minutes] <= 0, "pre", "post")
    nothing = missing_label & np.isnan(minutes) & ok
    issues.add(
        "error",
        "timepoint",
        rows[nothing],
        "timepoint",
        "time point is empty (no label and no minutes after the dose)",
    )
    ok &= ~nothing
    far = ~np.isnan(minutes) & ((minutes < _MINUTES_RANGE[0]) | (minutes > _MINUTES_RANGE[1]))
    issues.add(
        "error",
        "out_of_range",
        rows[far],
        "minutes",
        [
            f"minutes {_fmt(m) if np.isfinite(m) else m} is more than a day from the dose; "
            "minutes count from the dose of the session (not clock times or dates)"
            for m in minutes[far]
        ],
    )
    ok &= ~far
    is_pre = label == "pre"
    pre_late = ok & is_pre & (minutes > 0)
    post_early = ok & ~is_pre & (label != None) & (minutes <= 0)  # noqa: E711
    issues.add(
        "error",
        "timepoint",
        rows[pre_late],
        "minutes",
        [f"a pre-dose reading at {_fmt(m)} minutes after the dose" for m in minutes[pre_late]],
    )
    issues.add(
        "error",
        "timepoint",
        rows[post_early],
        "minutes",
        [
            f"a {t} reading at {_fmt(m)} minutes, not after the dose"
            for t, m in zip(label[post_early], minutes[post_early], strict=True)
        ],
    )
    ok &= ~pre_late & ~post_early
    df["timepoint"] = label
    df["minutes"] = minutes
    return ok


def _run_ae(frame, allow_identifiers, source):
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
    return _report(ctx, frame, source, "adverse_events"), _order(df, "adverse_events")


def _ae_label(df, idx) -> list[str]:
    return [
        f"event {t!r}" if t is not None else "no-event record"
        for t in df["ae_term"].to_numpy(dtype=object)[idx]
    ]


def _no_event_clash(ctx: _Context, none_rows: np.ndarray, event_rows: np.ndarray) -> None:
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


def _duplicates(ctx: _Context, usable, key_cols, value_cols, what_col, label) -> None:
    """Identical copies: warning, excluded (kept once). Conflicting copies: error."""
    df, rows = ctx.df, ctx.rows
    if not usable.any():
        ctx.excluded.insert(0, (np.zeros(ctx.n, dtype=bool), "identical duplicate row"))
        return
    keys = ["_pid", "session", *key_cols]
    sub = df.loc[usable, ["session", *key_cols, *value_cols]].assign(_pid=ctx.patient_codes[usable])
    sub = sub.iloc[np.argsort(_row_rank(rows)[sub.index], kind="stable")]
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
            [f"identical duplicate of {_row_label(rows[first[i]])}; kept once" for i in copies],
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


def _report(ctx: _Context, frame, source, kind) -> SafetyValidationReport:
    df = ctx.df
    keep = np.ones(ctx.n, dtype=bool)
    what = "timepoint" if kind == "vitals" else "ae_term"
    audit_cols = ["row", "patient_id", "session", what, "reason"]
    parts = []
    for mask, reason in ctx.excluded:
        new = mask & keep
        if not new.any():
            continue
        sub = df.loc[new]
        parts.append(
            pd.DataFrame(
                {
                    "row": ctx.rows[new],
                    "patient_id": sub["patient_id"].to_numpy(dtype=object)
                    if "patient_id" in sub
                    else None,
                    "session": sub["session"].to_numpy(dtype=object) if "session" in sub else None,
                    what: sub[what].to_numpy(dtype=object) if what in sub else None,
                    "reason": np.broadcast_to(np.asarray(reason, dtype=object), ctx.n)[new],
                }
            )
        )
        keep &= ~mask
    audit = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({c: pd.Series(dtype=object) for c in audit_cols})
    )
    issues = ctx.issues.frame()
    ok = not (issues["severity"] == "error").any()
    out = _order(df.loc[keep].reset_index(drop=True), kind) if ok else _order(df, kind)
    return SafetyValidationReport(
        frame=out,
        issues=issues,
        audit=audit,
        n_rows_in=len(frame),
        source=source,
        allowed_identifiers=(),
        kind=kind,
    )


def _order(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Canonical column order; text columns as object dtype."""
    df = df.copy()
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c].dtype) and df[c].dtype != object:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    if kind == "vitals":
        first = ["patient_id", "session", "day", "timepoint", "minutes", *MEASURES]
    else:
        first = ["patient_id", "session", "day", "ae_term", "severity", "serious"]
    first = [c for c in first if c in df.columns]
    last = [c for c in ("source_row",) if c in df.columns]
    middle = [c for c in df.columns if c not in first and c not in last and c != "_group"]
    return df[first + middle + last]


# ---------------------------------------------------------------------------------------
# derivations
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SafetyOutcomes:
    """Per-session and per-patient safety tables (see :func:`derive_safety`).

    Attributes
    ----------
    sessions : DataFrame
        One row per patient x treatment session (columns in :func:`derive_safety`).
    patients : DataFrame
        One row per patient.
    adverse_events : DataFrame
        The validated adverse events (no-event records removed) with the session's
        ``infusion`` number and covariates; empty without adverse-event data.
    thresholds : SafetyThresholds
        The limits used.
    audit : DataFrame
        Every input row excluded by validation: ``data`` (``"vitals"`` or
        ``"adverse_events"``), ``row``, ``patient_id``, ``session``, ``reason``.
    """

    sessions: pd.DataFrame = field(repr=False)
    patients: pd.DataFrame = field(repr=False)
    adverse_events: pd.DataFrame = field(repr=False)
    thresholds: SafetyThresholds
    audit: pd.DataFrame = field(repr=False)

    def summary(self) -> pd.DataFrame:
        """Counts of sessions and patients flagged or with events.

        Columns ``quantity``, ``k`` (sessions or patients with it), ``n`` (known).
        """
        s, p = self.sessions, self.patients
        rows = []
        for name, frame, col in (
            ("sessions with a pre-dose flag", s, "flag_pre"),
            ("sessions with a post-dose flag", s, "flag_post"),
            ("sessions with an adverse event", s, "any_ae"),
            ("patients with a post-dose flag", p, "any_flag_post"),
            ("patients with an adverse event", p, "any_ae"),
            ("patients with a severe adverse event", p, "any_severe_ae"),
            ("patients with a serious adverse event", p, "any_serious_ae"),
        ):
            if col in frame:
                v = frame[col]
                rows.append((name, int(v.sum(skipna=True)), int(v.notna().sum())))
        return pd.DataFrame(rows, columns=["quantity", "k", "n"])

    def _repr_html_(self) -> str:
        head = (
            f"<strong>Safety</strong>: {len(self.sessions)} sessions of "
            f"{len(self.patients)} patients; {len(self.audit)} input rows excluded"
        )
        return head + self.summary().to_html(index=False)


def derive_safety(
    vitals=None,
    adverse_events=None,
    scores=None,
    *,
    thresholds: SafetyThresholds | None = None,
    allow_identifiers: Iterable[str] = (),
) -> SafetyOutcomes:
    """Derive per-session and per-patient safety tables.

    Parameters
    ----------
    vitals : DataFrame or SafetyValidationReport, optional
        Vital signs (canonical format, e.g. from :func:`read_vitals`); validated first
        (a :class:`~ketanalysis.DataError` lists every problem).
    adverse_events : DataFrame or SafetyValidationReport, optional
        Adverse events (e.g. from :func:`read_adverse_events`).
    scores : DataFrame, ValidationReport or Outcomes, optional
        Scores in the canonical long format; their CADSS rows give the peak CADSS of each
        session and mark dosing sessions. Covariates missing from the safety data
        (``route``, dose, ``arm``) are taken from here.
    thresholds : SafetyThresholds, optional
        Limits of the flags and the band of return (default :class:`SafetyThresholds`).
    allow_identifiers : iterable of str
        Passed to the validation.

    Returns
    -------
    SafetyOutcomes
        ``sessions``: one row per patient x session found in any input (vital signs,
        adverse events, CADSS scores), sorted by patient and session:

        - ``patient_id``, ``session``; ``infusion``: the session's order among the
          patient's sessions here (1 = first treatment session);
        - covariates ``arm``, ``route``, ``dose_mg_per_kg``, ``dose_mg``, ``site`` where
          given (vital signs first, then adverse events, then scores) and ``dose_group``
          (route and dose as text, e.g. ``"IV 0.5 mg/kg"``, ``"intranasal 84 mg"``);
        - ``n_readings``: vital-sign rows of the session;
        - for ``v`` in ``sbp``, ``dbp``, ``hr``: ``v_pre`` (the last pre-dose reading, by
          minutes where given, else in input order), ``v_peak`` (the highest reading
          after dosing), ``v_rise`` = ``v_peak - v_pre``, ``v_peak_minutes`` (minutes of
          the first reading at the peak, where minutes are recorded), ``v_discharge``
          (the discharge reading);
        - ``spo2_pre``, ``spo2_min`` (the lowest after dosing) when SpO2 is given;
        - ``flag_pre_sbp``, ``flag_pre_dbp``: pre-dose value at or above
          ``thresholds.pre_sbp`` / ``pre_dbp``; ``flag_pre``: either;
          ``flag_post_sbp``, ``flag_post_dbp``: any reading after dosing at or above
          ``post_sbp`` / ``post_dbp``; ``flag_post``: either; ``flag_any``: ``flag_pre``
          or ``flag_post``. Nullable booleans: missing when the values are missing, and
          an "either" is True as soon as one part is True;
        - for ``v`` in ``sbp``, ``dbp``, ``hr``: ``v_returned`` and
          ``v_minutes_to_return``: see Notes;
        - ``cadss``: peak CADSS of the session (the CADSS score, else the highest
          ``cadss`` reading of the vital signs);
        - ``n_ae``: adverse events recorded; ``any_ae``, ``any_severe_ae``,
          ``any_serious_ae`` (False where the session has none; missing for sessions
          without adverse-event data when ``adverse_events`` is not given).

        ``patients``: one row per patient: covariates (first session), ``n_sessions``,
        ``n_flag_pre``, ``n_flag_post`` (sessions flagged), ``any_flag_pre``,
        ``any_flag_post``, ``sbp_peak_max``, ``dbp_peak_max``, ``hr_peak_max``,
        ``sbp_rise_max``, ``dbp_rise_max``, ``hr_rise_max``, ``sbp_rise_mean``,
        ``cadss_first`` (at the first session with a CADSS), ``cadss_max``, ``n_ae``,
        ``n_sessions_ae``, ``any_ae``, ``any_severe_ae``, ``any_serious_ae``.

        ``adverse_events``, ``thresholds`` and ``audit``: see :class:`SafetyOutcomes`.

    Notes
    -----
    Pre-dose is the time point ``pre``; every other time point (``peak``, ``post``,
    ``discharge``) is after dosing. Thresholds and their sources: :class:`SafetyThresholds`.

    Return towards pre-dose (for each of SBP, DBP and HR, from the readings after dosing
    that have minutes): with ``limit = pre * (1 + return_within)``, if no reading exceeds
    ``limit`` the value never left the band (``returned`` True, 0 minutes); otherwise
    ``minutes_to_return`` is the minutes of the first reading at or after the peak that
    is at or below ``limit`` (``returned`` True), and when there is none ``returned`` is
    False and the minutes missing (not reached while recorded). Falling below pre-dose
    counts as returned. Both are missing without a pre-dose value, without timed readings
    after dosing, or when a reading after dosing has no minutes (it cannot be placed in
    time).

    Examples
    --------
    >>> import pandas as pd
    >>> from ketanalysis import derive_safety
    >>> v = pd.DataFrame({"patient_id": "a", "session": 1,
    ...                   "timepoint": ["pre", "40min", "post", "discharge"],
    ...                   "minutes": [-5, 40, 80, 120],
    ...                   "sbp": [130, 182, 150, 140], "dbp": [80, 95, 88, 84]})
    >>> s = derive_safety(v).sessions
    >>> s[["sbp_pre", "sbp_peak", "sbp_rise", "flag_pre", "flag_post"]]
       sbp_pre  sbp_peak  sbp_rise  flag_pre  flag_post
    0    130.0     182.0      52.0     False       True
    >>> s[["sbp_minutes_to_return", "dbp_minutes_to_return"]]
       sbp_minutes_to_return  dbp_minutes_to_return
    0                  120.0                   80.0
    """
    thresholds = SafetyThresholds() if thresholds is None else thresholds
    if not isinstance(thresholds, SafetyThresholds):
        raise TypeError(f"thresholds must be a SafetyThresholds, got {type(thresholds).__name__}")
    if vitals is None and adverse_events is None and scores is None:
        raise ValueError("derive_safety needs vitals, adverse_events or scores")
    audits = []
    vit = None
    if vitals is not None:
        rep = _validated(vitals, "vitals", allow_identifiers)
        vit = rep.frame
        audits.append(_audit_part(rep, "vitals"))
    ae = None
    if adverse_events is not None:
        rep = _validated(adverse_events, "adverse_events", allow_identifiers)
        ae = rep.frame
        audits.append(_audit_part(rep, "adverse_events"))
    score_frame = _score_frame(scores) if scores is not None else None
    cad = _cadss_rows(score_frame) if score_frame is not None else None

    keys = ["patient_id", "session"]
    parts = [f[keys] for f in (vit, ae, cad) if f is not None]
    sessions = _session_keys(parts)
    if vit is not None:
        sessions = _vital_columns(sessions, vit, thresholds)
    if ae is not None or adverse_events is not None:
        sessions = _ae_columns(sessions, ae)
    sessions = _cadss_column(sessions, vit, cad)
    sessions = _covariates(sessions, [f for f in (vit, ae) if f is not None], score_frame)
    patients = _patients(sessions)
    events = _events(ae, sessions)
    audit = (
        pd.concat(audits, ignore_index=True)
        if audits
        else pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("data", "row", "patient_id", "session", "reason")}
        )
    )
    return SafetyOutcomes(
        sessions=sessions,
        patients=patients,
        adverse_events=events,
        thresholds=thresholds,
        audit=audit,
    )


def _validated(data, kind, allow_identifiers) -> SafetyValidationReport:
    if isinstance(data, SafetyValidationReport):
        if data.kind != kind:
            raise ValueError(f"a {data.kind} validation report was given as {kind}")
        return data.raise_for_errors()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{kind} must be a DataFrame or a SafetyValidationReport, got {type(data).__name__}"
        )
    if kind == "vitals":
        rep = _run_vitals(data, None, allow_identifiers, None)[0]
    else:
        rep = _run_ae(data, allow_identifiers, None)[0]
    return rep.raise_for_errors()


def _audit_part(rep: SafetyValidationReport, kind: str) -> pd.DataFrame:
    a = rep.audit
    return pd.DataFrame(
        {
            "data": kind,
            "row": a["row"].to_numpy(dtype=object),
            "patient_id": a["patient_id"].to_numpy(dtype=object),
            "session": a["session"].to_numpy(dtype=object),
            "reason": a["reason"].to_numpy(dtype=object),
        }
    )


def _score_frame(scores) -> pd.DataFrame:
    """The validated score frame (excluded rows removed)."""
    from ..validation.scores import validate
    from .engine import Outcomes

    if isinstance(scores, Outcomes):
        return scores.validation.frame
    if isinstance(scores, ValidationReport):
        return scores.raise_for_errors().frame
    if isinstance(scores, pd.DataFrame):
        return validate(scores).raise_for_errors().frame
    raise TypeError(
        "scores must be a DataFrame, a ValidationReport or an Outcomes, got "
        f"{type(scores).__name__}"
    )


def _cadss_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """CADSS rows of a score frame: patient_id, session, cadss and the covariates."""
    cad = frame.loc[(frame["scale"] == "CADSS").to_numpy()]
    cols = ["patient_id", "session", "score"] + [c for c in _COVARIATES if c in frame]
    return cad[cols].rename(columns={"score": "cadss"}).reset_index(drop=True)


def _session_keys(parts: list[pd.DataFrame]) -> pd.DataFrame:
    keys = pd.concat(parts, ignore_index=True).drop_duplicates()
    if keys["session"].dtype == object:
        try:
            keys["session"] = pd.to_numeric(keys["session"])
        except (TypeError, ValueError):
            raise ValueError(
                "the sessions of vital signs, adverse events and scores are of different "
                "kinds (numbers and labels); use the same session values in every input"
            ) from None
    keys = keys.sort_values(["patient_id", "session"], kind="stable").reset_index(drop=True)
    keys["infusion"] = keys.groupby("patient_id", sort=False).cumcount().to_numpy() + 1
    return keys


def _vital_columns(sessions, vit, th: SafetyThresholds) -> pd.DataFrame:
    keys = ["patient_id", "session"]
    v = vit.copy()
    v["_order"] = np.arange(len(v))
    # readings in time order: by minutes where given, else input order (missing minutes
    # sort first, so a timed pre-dose reading counts as the latest)
    v = v.sort_values([*keys, "minutes", "_order"], na_position="first", kind="stable")
    is_pre = (v["timepoint"] == "pre").to_numpy()
    gall = v.groupby(keys, sort=False, observed=True)
    out = gall.size().rename("n_readings").to_frame()
    pre = v[is_pre].groupby(keys, sort=False, observed=True)
    post_rows = v[~is_pre]
    post = post_rows.groupby(keys, sort=False, observed=True)
    for m in _BP_HR:
        out[f"{m}_pre"] = pre[m].last()
        out[f"{m}_peak"] = post[m].max()
        out[f"{m}_rise"] = out[f"{m}_peak"] - out[f"{m}_pre"]
        at_peak = post_rows[m] == post_rows.groupby(keys, sort=False, observed=True)[m].transform(
            "max"
        )
        out[f"{m}_peak_minutes"] = (
            post_rows["minutes"].where(at_peak).groupby([post_rows[k] for k in keys]).min()
        )
        dis = v[(v["timepoint"] == "discharge").to_numpy()]
        out[f"{m}_discharge"] = dis.groupby(keys, sort=False, observed=True)[m].last()
    if "spo2" in v and v["spo2"].notna().any():
        out["spo2_pre"] = pre["spo2"].last()
        out["spo2_min"] = post["spo2"].min()
    out = out.reindex(pd.MultiIndex.from_frame(sessions[keys]))
    flags = {
        "flag_pre_sbp": th._meets(out["sbp_pre"], th.pre_sbp),
        "flag_pre_dbp": th._meets(out["dbp_pre"], th.pre_dbp),
        "flag_post_sbp": th._meets(out["sbp_peak"], th.post_sbp),
        "flag_post_dbp": th._meets(out["dbp_peak"], th.post_dbp),
    }
    # Kleene logic: "either" is True when one part is True, missing when unknown
    flags["flag_pre"] = flags["flag_pre_sbp"] | flags["flag_pre_dbp"]
    flags["flag_post"] = flags["flag_post_sbp"] | flags["flag_post_dbp"]
    flags["flag_any"] = flags["flag_pre"] | flags["flag_post"]
    for name in ("flag_pre_sbp", "flag_pre_dbp", "flag_pre"):
        out[name] = flags[name]
    for name in ("flag_post_sbp", "flag_post_dbp", "flag_post", "flag_any"):
        out[name] = flags[name]
    for m in _BP_HR:
        returned, minutes = _return(post_rows, out[f"{m}_pre"], m, th.return_within, keys)
        out[f"{m}_returned"] = returned
        out[f"{m}_minutes_to_return"] = minutes
    out["n_readings"] = out["n_readings"].fillna(0).astype(np.int64)
    return pd.concat([sessions.reset_index(drop=True), out.reset_index(drop=True)], axis=1)


def _return(post_rows, pre, m, within, keys) -> tuple[pd.Series, pd.Series]:
    """Per session: returned (nullable bool) and minutes to return (float); see Notes."""
    has_value = post_rows[m].notna()
    untimed = (
        (has_value & post_rows["minutes"].isna())
        .groupby([post_rows[k] for k in keys], observed=True)
        .any()
    )
    timed = post_rows[(has_value & post_rows["minutes"].notna()).to_numpy()]
    gk = [timed[k] for k in keys]
    limit = pre.reindex(pd.MultiIndex.from_frame(timed[keys])).to_numpy() * (1 + within)
    vmax = timed.groupby(gk, observed=True)[m].transform("max")
    t_peak = timed["minutes"].where(timed[m] == vmax).groupby(gk, observed=True).transform("min")
    back = (timed["minutes"] >= t_peak).to_numpy() & (timed[m].to_numpy() <= limit + 1e-9)
    peak = timed.groupby(gk, observed=True)[m].max()
    t_return = timed["minutes"].where(back).groupby(gk, observed=True).min().reindex(peak.index)
    lim = pre.reindex(peak.index) * (1 + within)
    never_left = (peak <= lim + 1e-9).to_numpy()
    known = lim.notna().to_numpy() & ~untimed.reindex(peak.index, fill_value=False).to_numpy()
    returned = pd.array(never_left | t_return.notna().to_numpy(), dtype="boolean")
    returned[~known] = pd.NA
    minutes = np.where(never_left, 0.0, t_return.to_numpy(dtype=float))
    minutes[~known] = np.nan
    returned = pd.Series(returned, index=peak.index).reindex(pre.index)
    minutes = pd.Series(minutes, index=peak.index).reindex(pre.index)
    return returned.astype("boolean"), minutes


def _ae_columns(sessions, ae) -> pd.DataFrame:
    keys = ["patient_id", "session"]
    idx = pd.MultiIndex.from_frame(sessions[keys])
    if ae is None or ae.empty:
        n = pd.Series(0, index=idx)
        sev = ser = pd.Series(False, index=idx)
    else:
        ev = ae[ae["ae_term"].notna()]
        g = ev.groupby(keys, sort=False, observed=True)
        n = g.size().reindex(idx, fill_value=0)
        sev = (ev["severity"] == "severe").groupby([ev[k] for k in keys]).any()
        ser = ev["serious"].fillna(False).astype(bool).groupby([ev[k] for k in keys]).any()
        sev = sev.reindex(idx, fill_value=False)
        ser = ser.reindex(idx, fill_value=False)
    out = sessions.copy()
    out["n_ae"] = n.to_numpy(dtype=np.int64)
    out["any_ae"] = pd.array(n.to_numpy() > 0, dtype="boolean")
    out["any_severe_ae"] = pd.array(sev.to_numpy(dtype=bool), dtype="boolean")
    out["any_serious_ae"] = pd.array(ser.to_numpy(dtype=bool), dtype="boolean")
    return out


def _cadss_column(sessions, vit, cad) -> pd.DataFrame:
    keys = ["patient_id", "session"]
    in_vitals = vit is not None and "cadss" in vit and vit["cadss"].notna().any()
    if not in_vitals and cad is None:
        return sessions
    idx = pd.MultiIndex.from_frame(sessions[keys])
    value = pd.Series(np.nan, index=idx)
    if in_vitals:
        value = vit.groupby(keys, sort=False, observed=True)["cadss"].max().reindex(idx)
    if cad is not None:
        from_scores = cad.groupby(keys, sort=False, observed=True)["cadss"].max().reindex(idx)
        value = from_scores.where(from_scores.notna(), value)
    out = sessions.copy()
    out["cadss"] = value.to_numpy(dtype=float)
    return out


def _covariates(sessions, frames, score_frame) -> pd.DataFrame:
    keys = ["patient_id", "session"]
    idx = pd.MultiIndex.from_frame(sessions[keys])
    cov = None
    sources = list(frames)
    if score_frame is not None:
        sources.append(score_frame)
    for f in sources:
        cols = [c for c in _COVARIATES if c in f]
        if not cols:
            continue
        first = f.groupby(keys, sort=False, observed=True)[cols].first().reindex(idx)
        cov = first if cov is None else cov.combine_first(first)
    if score_frame is not None:
        cols = [c for c in _COVARIATES if c in score_frame]
        if cols:
            per_patient = score_frame.groupby("patient_id", sort=False)[cols].first()
            fill = per_patient.reindex(idx.get_level_values(0))
            fill.index = idx
            cov = fill if cov is None else cov.combine_first(fill)
    if cov is None:
        return sessions
    cols = [c for c in _COVARIATES if c in cov]
    out = sessions.copy()
    at = 3  # after patient_id, session, infusion
    for i, c in enumerate(cols):
        out.insert(at + i, c, cov[c].to_numpy())
    if "route" in cols or "dose_mg_per_kg" in cols or "dose_mg" in cols:
        out.insert(at + len(cols), "dose_group", _dose_group(out))
    return out


def _dose_group(frame: pd.DataFrame) -> np.ndarray:
    """Route and dose as text: "IV 0.5 mg/kg", "intranasal 84 mg", "IM" (no dose)."""
    n = len(frame)

    def col(name):
        return frame[name] if name in frame else pd.Series([None] * n, index=frame.index)

    combos = pd.DataFrame(
        {
            "r": col("route").astype(object).to_numpy(),
            "k": pd.to_numeric(col("dose_mg_per_kg"), errors="coerce").to_numpy(dtype=float),
            "m": pd.to_numeric(col("dose_mg"), errors="coerce").to_numpy(dtype=float),
        }
    )
    codes = combos.groupby(["r", "k", "m"], dropna=False, sort=False).ngroup().to_numpy()
    labels = []
    for r, k, m in combos.drop_duplicates().itertuples(index=False):  # once per combination
        parts = [] if r is None or r is pd.NA or r != r else [str(r)]
        if np.isfinite(k):
            parts.append(f"{k:g} mg/kg")
        elif np.isfinite(m):
            parts.append(f"{m:g} mg")
        labels.append(" ".join(parts) if parts else None)
    return np.asarray(labels, dtype=object)[codes]


def _patients(sessions: pd.DataFrame) -> pd.DataFrame:
    g = sessions.groupby("patient_id", sort=True)
    cov = [c for c in (*_COVARIATES, "dose_group") if c in sessions]
    out = g[cov].first() if cov else pd.DataFrame(index=g.size().index)
    out["n_sessions"] = g.size()
    if "flag_pre" in sessions:
        for name in ("pre", "post"):
            f = sessions[f"flag_{name}"]
            out[f"n_flag_{name}"] = (
                f.fillna(False).astype(bool).groupby(sessions["patient_id"]).sum()
            )
            known = f.notna().groupby(sessions["patient_id"]).any()
            anyf = f.fillna(False).astype(bool).groupby(sessions["patient_id"]).any()
            out[f"any_flag_{name}"] = pd.array(anyf.to_numpy(), dtype="boolean")
            out.loc[~known.reindex(out.index).to_numpy(), f"any_flag_{name}"] = pd.NA
        for m in _BP_HR:
            out[f"{m}_peak_max"] = g[f"{m}_peak"].max()
        for m in _BP_HR:
            out[f"{m}_rise_max"] = g[f"{m}_rise"].max()
        out["sbp_rise_mean"] = g["sbp_rise"].mean()
    if "cadss" in sessions:
        with_c = sessions[sessions["cadss"].notna()]
        out["cadss_first"] = with_c.groupby("patient_id", sort=True)["cadss"].first()
        out["cadss_max"] = g["cadss"].max()
    if "n_ae" in sessions:
        out["n_ae"] = g["n_ae"].sum()
        out["n_sessions_ae"] = g["any_ae"].sum()
        for c in ("any_ae", "any_severe_ae", "any_serious_ae"):
            out[c] = pd.array(g[c].any().to_numpy(), dtype="boolean")
    return out.reset_index()


def _events(ae, sessions) -> pd.DataFrame:
    if ae is None:
        return pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("patient_id", "session", "ae_term")}
        )
    ev = ae[ae["ae_term"].notna()].drop(columns=[c for c in _COVARIATES if c in ae])
    extra = [c for c in ("infusion", *_COVARIATES, "dose_group") if c in sessions]
    merged = ev.merge(
        sessions[["patient_id", "session", *extra]],
        on=["patient_id", "session"],
        how="left",
        sort=False,
    )
    return merged.reset_index(drop=True)
