"""Readers of scores: files and DataFrames to the canonical long format (docs/architecture.md §3.1).

:func:`read_scores` reads long data (one row per patient x scale x session) from CSV, TSV,
Parquet, Excel, SPSS, Stata, SAS or a DataFrame; :func:`finish_scores` is the validation
every score reader ends with (here, :mod:`.wide` for :func:`ketanalysis.from_wide` and
:mod:`.redcap` for :func:`ketanalysis.read_redcap`).

Every score reader validates what it read (:func:`ketanalysis.validate`) and raises
:class:`ketanalysis.DataError` listing every problem at once. Readers never drop a row: rows
that validation will exclude (identical duplicates, missing scores, no baseline) are kept
in the returned frame, announced by a :class:`ketanalysis.DataWarning`, and listed
with their reasons in ``ka.validate(frame).audit``.

Row numbers in messages are those of the input: for text and Excel files the row in the
file counting the header as row 1 (as a spreadsheet shows it), for SPSS, Stata, SAS and
Parquet the 1-based record number, for a DataFrame its index label. They are kept in the
``source_row`` column; ``from_wide`` also records the wide column in ``source_column``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import scales as _scales
from ..validation.columns import order_columns
from ..validation.issues import Issues
from ..validation.report import warn_summary
from ..validation.scores import check_scores
from .dates import to_relative_days
from .files import ROLES, apply_columns, load, raise_data_error, source_of

__all__ = ["finish_scores", "read_scores"]


def _whole_covariates(df: pd.DataFrame) -> pd.DataFrame:
    """Float covariates holding whole numbers only (SPSS, Stata and SAS store every number
    as a double) become int64, as a CSV reader would read them."""
    for c in df.columns:
        if c in ROLES or c in ("source_row", "source_column") or str(c).startswith("item_"):
            continue
        s = df[c]
        if pd.api.types.is_float_dtype(s.dtype) and s.notna().all() and len(s):
            v = s.to_numpy()
            if np.isfinite(v).all() and (v == np.round(v)).all() and np.abs(v).max() < 2**53:
                df[c] = s.astype("int64")
    return df


def finish_scores(df, *, source, validate, scale=None, dialect=None, **vkw) -> pd.DataFrame:
    """Validate; raise DataError on errors; warn on warnings; return every row.

    ``dialect`` (how a text file was read, :mod:`.dialect`) is kept in ``attrs["dialect"]``
    of the frame returned, where the validation report and provenance find it.
    """
    df = _whole_covariates(df)
    if dialect:
        df.attrs["dialect"] = dialect
    if not validate:
        out = order_columns(df)
    else:
        report, out = check_scores(df, scale=scale, source=source, **vkw)
        report.raise_for_errors()
        warn_summary(report, stacklevel=4)
    if dialect:
        out.attrs["dialect"] = dialect
    return out


def _item_sources(df: pd.DataFrame, scale_keys: Sequence[str], items) -> dict[str, str]:
    """Source columns for item_1..item_k: an explicit list or pattern, else auto-detected.

    Auto-detected: ``item1``, ``item_1``, ``item.1``, ``item01`` and, for a known scale,
    ``madrs_1``, ``madrs1``, ``phq9_1`` ... (case-insensitive).
    """
    if items is not None:
        if isinstance(items, str):
            if "{" not in items:
                raise ValueError(
                    f"items={items!r} must be a pattern with {{i}} for the item number, "
                    "like 'madrs_{i}', or a list of columns in item order"
                )
            n = max((_scales.get(k).n_items for k in scale_keys), default=0) or 30
            found = {f"item_{i}": items.format(i=i) for i in range(1, n + 1)}
            found = {k: v for k, v in found.items() if v in df.columns}
            if not found:
                raise ValueError(f"items={items!r} matches no column")
            return found
        return {f"item_{i}": c for i, c in enumerate(items, start=1)}
    prefixes = ["item", "item_", "item."]
    for k in scale_keys:
        sc = _scales.get(k)
        for alias in {sc.key, sc.label, *sc.aliases}:
            base = re.sub(r"[^0-9a-z]", "", alias.lower())
            prefixes += [base + "_", base + ".", base + "_item", base + "_item_"]
    rx = re.compile(
        r"^("
        + "|".join(re.escape(p) for p in sorted(set(prefixes), key=len, reverse=True))
        + r")0*(\d+)$",
        re.IGNORECASE,
    )
    found = {}
    for c in df.columns:
        m = rx.match(str(c))
        if m and c not in ROLES and not str(c).startswith("item_"):
            found.setdefault(f"item_{int(m.group(2))}", c)
    return found


def read_scores(
    source,
    *,
    columns: Mapping[str, str] | None = None,
    scale: str | None = None,
    items: str | Sequence[str] | None = None,
    sessions: Mapping[object, float] | Sequence[object] | None = None,
    sheet: str | int | None = None,
    dates: str | None = None,
    first_treatment=None,
    baseline: int | float | str = 0,
    allow_identifiers: Sequence[str] = (),
    allow_negative_days: bool = False,
    validate: bool = True,
    sep: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
    **read_kwargs,
) -> pd.DataFrame:
    """Read long-format scores into the canonical frame.

    Parameters
    ----------
    source : path or DataFrame
        ``.csv``, ``.tsv``/``.tab``/``.txt`` (tab or sniffed), ``.parquet``, ``.xlsx``/``.xls``
        (needs openpyxl), ``.sav``/``.zsav`` (SPSS, needs pyreadstat), ``.dta`` (Stata),
        ``.sas7bdat`` or ``.xpt`` (SAS), or a DataFrame.
    columns : dict, optional
        Renames ``{column in your data: canonical name}``, e.g.
        ``{"subject": "patient_id", "visit": "session", "madrs_total": "score"}``.
    scale : str, optional
        The scale of every row when the data have no ``scale`` column ("MADRS", "PHQ-9",
        ...; spellings are normalised to the registry keys).
    items : str or list of str, optional
        Item columns: a pattern such as ``"madrs_{i}"`` or the columns in item order.
        By default ``item_1``, ``item1``, ``item01`` and ``<scale>_1`` style names are found.
    sessions : dict or list, optional
        Session labels written as text: ``{label: number}`` recodes them (e.g.
        ``{"screening": -1, "baseline": 0, "week 1": 1}``); a list of labels in time order
        makes ``session`` an ordered category. A label not listed is an error naming its
        rows.
    sheet : str or int, optional
        Excel sheet (default: the first).
    dates : str, optional
        A column of calendar dates to convert to ``day`` (days since each patient's first
        treatment) with :func:`to_relative_days`; the dates are dropped.
    first_treatment : session value, optional
        With ``dates``: the session whose date is day 0 (default: each patient's earliest).
    baseline, allow_identifiers, allow_negative_days
        Passed to :func:`ketanalysis.validate`.
    validate : bool, default True
        Validate and raise :class:`~ketanalysis.DataError` listing every problem.
    sep, decimal, encoding : str, optional
        The delimiter, decimal mark (``"."`` or ``","``) and encoding of a text file.
        Detected when not given (see :mod:`ketanalysis.io.dialect`); given values always
        win. What was used is in ``frame.attrs["dialect"]``, the validation summary and
        the report's provenance.
    **read_kwargs
        Passed to the underlying pandas or pyreadstat reader (not for text files).

    Returns
    -------
    DataFrame
        Canonical long format: ``patient_id`` (str), ``session``, ``day`` (when present),
        ``scale`` (registry key), ``score`` (float; computed from the items where no total
        is given), ``score_source`` (when items are present: "given", "items", "prorated" or
        empty), the covariates as read, ``item_1`` ... ``item_k``, and ``source_row`` (the
        row in the input). No row is removed; ``ka.validate(frame)`` gives the clean frame
        and the audit of rows it excludes.

    Raises
    ------
    DataError
        Listing every problem found, each with its row and column.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> frame = ka.read_scores("data/sample/cohort_long.csv")
    >>> frame[["patient_id", "session", "day", "scale", "score"]].head(3)
      patient_id  session  day  scale  score
    0      K0001        0  0.0  MADRS   37.0
    1      K0001        0  0.0   PHQ9   17.0
    2      K0001        0  0.0  CADSS   35.0
    """
    id_src = source_of("patient_id", columns)
    df, name = load(
        source,
        sheet=sheet,
        keep_text={id_src},
        sep=sep,
        decimal=decimal,
        encoding=encoding,
        **read_kwargs,
    )
    dialect = df.attrs.get("dialect")
    df = apply_columns(df, columns, name)
    scale_keys = _scale_keys(df, scale)
    found = _item_sources(df, scale_keys, items)
    if found:
        df = df.rename(columns={v: k for k, v in found.items()})
    if "score" not in df.columns and "scale" not in df.columns:
        _check_score_columns(df, scale, name)
    if sessions is not None and "session" in df.columns:
        df["session"] = _recode_sessions(df, sessions, name)
    if dates is not None:
        df = to_relative_days(df, date=dates, first_treatment=first_treatment, _source=name)
    if dialect:
        df.attrs["dialect"] = dialect
    out = finish_scores(
        df,
        source=name,
        validate=validate,
        scale=scale,
        baseline=baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
    )
    if dialect:
        out.attrs["dialect"] = dialect
    return out


def _recode_sessions(df: pd.DataFrame, sessions, source: str) -> pd.Series:
    """Session labels to numbers (a mapping) or to an ordered category (a list)."""
    raw = df["session"]
    key = raw.astype(object).where(raw.isna(), raw.astype(str).str.strip())
    if isinstance(sessions, Mapping):
        labels = {str(k).strip(): v for k, v in sessions.items()}
        out = key.map(labels)
    elif isinstance(sessions, Sequence) and not isinstance(sessions, str):
        labels = [str(k).strip() for k in sessions]
        if len(set(labels)) != len(labels):
            raise ValueError(f"sessions= lists a label twice: {list(sessions)}")
        out = pd.Series(pd.Categorical(key, categories=labels, ordered=True), index=df.index)
    else:
        raise TypeError("sessions must be a dict {label: number} or a list of labels in order")
    unknown = (out.isna() & key.notna()).to_numpy()
    if unknown.any():
        issues = Issues()
        rows = df["source_row"].to_numpy(dtype=object)
        issues.add(
            "error",
            "session_type",
            rows[unknown],
            "session",
            [f"session {v!r} is not one of the labels in sessions=" for v in key[unknown]],
        )
        raise_data_error(issues, source, df)
    return out


def _scale_keys(df: pd.DataFrame, scale) -> list[str]:
    if scale is not None:
        keys = [scale] if isinstance(scale, str) else list(scale)
        return [k for k in (_scales.normalize_name(x) for x in keys) if k]
    if "scale" in df.columns:
        vals = pd.unique(df["scale"].dropna().astype(str))
        return [k for k in (_scales.normalize_name(v) for v in vals[:50]) if k]
    return []


def _check_score_columns(df: pd.DataFrame, scale, source: str) -> None:
    """No score and no scale column: name the columns that look like totals of scales."""
    looks = {}
    for c in df.columns:
        if _is_item_column(c):
            continue  # madrs_10 is MADRS item 10, never a total (nor the "MADRS-10" alias)
        key = _scales.normalize_name(re.sub(r"(?i)[_. ]?(total|score|sum)$", "", str(c)))
        if key:
            looks.setdefault(key, c)
    if len(looks) > 1:
        cols = ", ".join(f"{c!r} ({k})" for k, c in looks.items())
        issues = Issues()
        issues.add_one(
            "error",
            "several_scales",
            "scale",
            f"columns {cols} look like totals of several scales and there is no scale "
            "column; read one scale at a time, e.g. columns={"
            f"{next(iter(looks.values()))!r}: 'score'}}, scale={next(iter(looks))!r}, "
            "or use ka.from_wide",
        )
        raise_data_error(issues, source, df)
    if len(looks) == 1 and "score" not in df.columns:
        key, col = next(iter(looks.items()))
        issues = Issues()
        issues.add_one(
            "error",
            "missing_column",
            "score",
            f"required column 'score' is missing; column {col!r} looks like the {key} total: "
            f"pass columns={{{col!r}: 'score'}}, scale={key!r}",
        )
        if not any(str(c).startswith("item_") for c in df.columns):
            raise_data_error(issues, source, df)


_ITEM_NAME = re.compile(r"(?i)^(?P<scale>.+?)[_. ](?:item[_. ]?)?0*(?P<n>\d+)$")


def _is_item_column(column) -> bool:
    """``madrs_10``, ``phq9_3``, ``hamd17.item_2``: a scale name, a separator and an item
    number within the scale's items."""
    m = _ITEM_NAME.match(str(column))
    if not m:
        return False
    key = _scales.normalize_name(m.group("scale"))
    return bool(key) and 1 <= int(m.group("n")) <= _scales.get(key).n_items
