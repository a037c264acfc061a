"""Readers of safety data: :func:`read_vitals` and :func:`read_adverse_events`.

Both read what :func:`ketanalysis.read_scores` reads (files of every format or a
DataFrame, through :func:`ketanalysis.io.files.load`), rename columns with ``columns=``
and validate (:mod:`ketanalysis.validation.safety`, where the canonical formats are
described). Like the score readers they never drop a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from ..validation.safety import (
    check_adverse_events,
    check_vitals,
    order_safety_columns,
    warn_safety_summary,
)
from .files import apply_columns, load, source_of
from .redcap import read_redcap_repeating

__all__ = ["read_adverse_events", "read_vitals"]


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
        described in :mod:`ketanalysis.validation.safety`.
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
    df, name = load(
        source, sheet=sheet, keep_text={source_of("patient_id", columns)}, **read_kwargs
    )
    df = apply_columns(df, columns, name)
    report, canonical = check_vitals(df, timepoints, allow_identifiers, name)
    if not validate:
        return order_safety_columns(canonical, "vitals")
    report.raise_for_errors()
    warn_safety_summary(report)
    return order_safety_columns(canonical, "vitals")


def read_adverse_events(
    source,
    *,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    instrument: str | None = None,
    events: Mapping[str, object] | None = None,
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
    instrument : str, optional
        ``source`` is a REDCap export: read the rows of this repeating instrument (e.g.
        ``"adverse_events"``) with :func:`ketanalysis.read_redcap_repeating`; ``record_id``
        is the patient, ``columns`` renames the instrument's fields (``{"ae_severity":
        "severity"}``) and row numbers are those of the export.
    events : dict, optional
        With ``instrument``: ``{event name: session}`` or ``(session, day)``, as for
        :func:`ketanalysis.read_redcap`.

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
    if instrument is not None:
        frame = read_redcap_repeating(source, instrument, events=events, **read_kwargs)
        df, _ = load(frame, keep_text={"patient_id"})
        name = str(source) if not isinstance(source, pd.DataFrame) else "DataFrame"
    else:
        if events is not None:
            raise ValueError("events= is for REDCap exports; give instrument= too")
        df, name = load(
            source, sheet=sheet, keep_text={source_of("patient_id", columns)}, **read_kwargs
        )
    df = apply_columns(df, columns, name)
    report, canonical = check_adverse_events(df, allow_identifiers, name)
    if validate:
        report.raise_for_errors()
        warn_safety_summary(report)
    return order_safety_columns(canonical, "adverse_events")
