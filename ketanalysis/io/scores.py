"""Readers: files and DataFrames to the canonical long format (DESIGN.md §2).

:func:`read_scores` reads long data (one row per patient x scale x session) from CSV, TSV,
Parquet, Excel, SPSS, Stata, SAS or a DataFrame; :func:`from_wide` turns one column per
session into rows; :func:`read_redcap` reads a REDCap longitudinal export;
:func:`to_relative_days` replaces calendar dates by days since each patient's first
treatment.

Every reader validates what it read (:func:`ketanalysis.validate`) and raises
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

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import scales as _scales
from ..validation.scores import (
    DataError,
    ValidationReport,
    _Issues,
    _list_rows,
    _order_columns,
    _run,
    warn_summary,
)

__all__ = ["from_wide", "read_redcap", "read_scores", "to_relative_days"]

_TEXT = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
_EXCEL = {".xlsx", ".xlsm", ".xls"}
_RECORD_FORMATS = {".parquet", ".pq", ".sav", ".zsav", ".dta", ".sas7bdat", ".xpt"}
_ROLES = ("patient_id", "session", "day", "scale", "score")
_NA = ["", "NA", "N/A", "na", "n/a", "NaN", "nan", ".", "-", "missing", "null", "NULL"]


# ----------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------
def _load(source, *, sheet=None, keep_text=(), **read_kwargs) -> tuple[pd.DataFrame, str]:
    """Read a file or copy a DataFrame; add ``source_row``. Returns (frame, source name)."""
    if isinstance(source, pd.DataFrame):
        df = source.copy()
        df["source_row"] = df.index.to_numpy(dtype=object)
        return df.reset_index(drop=True), "DataFrame"
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"source must be a file path or a pandas DataFrame, got {type(source).__name__}"
        )
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    ext = "".join(path.suffixes[-1:]).lower()
    name = str(path)
    if ext in _TEXT or ext in _EXCEL:
        if ext in _EXCEL:
            _need("openpyxl", "Excel files")
            df = pd.read_excel(
                path, sheet_name=sheet if sheet is not None else 0, dtype=object, **read_kwargs
            )
        else:
            sep = _TEXT[ext]
            header = pd.read_csv(
                path, sep=sep, engine="python" if sep is None else "c", nrows=0, **read_kwargs
            ).columns
            df = pd.read_csv(
                path,
                sep=sep,
                engine="python" if sep is None else "c",
                dtype={c: str for c in keep_text if c in header},
                keep_default_na=False,
                na_values=_NA,
                skipinitialspace=True,
                **read_kwargs,
            )
        df = _infer_types(df, keep_text)
        first_data_row = 2  # the header is row 1
        df["source_row"] = np.arange(first_data_row, first_data_row + len(df))
        return df, name
    if ext not in _RECORD_FORMATS:
        raise ValueError(
            f"cannot read {path.name!r}: unknown file type {ext!r}; ketanalysis reads .csv, "
            ".tsv, .parquet, .xlsx, .sav, .dta, .sas7bdat and .xpt files or a DataFrame"
        )
    if ext in (".parquet", ".pq"):
        _need("pyarrow", "Parquet files")
        df = pd.read_parquet(path, **read_kwargs)
    else:
        df = _read_stat(path, ext, keep_text, **read_kwargs)
    df["source_row"] = np.arange(1, len(df) + 1)
    return df, name


def _need(module: str, what: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise ImportError(
            f"reading {what} needs the optional package {module!r}: pip install 'ketanalysis[io]'"
        ) from None


def _read_stat(path: Path, ext: str, keep_text, **read_kwargs) -> pd.DataFrame:
    """SPSS, Stata and SAS files through pyreadstat, falling back on pandas."""
    try:
        import pyreadstat
    except ImportError:
        if ext == ".dta":
            return pd.read_stata(path, convert_categoricals=False, **read_kwargs)
        if ext in (".sas7bdat", ".xpt"):
            fmt = "xport" if ext == ".xpt" else "sas7bdat"
            return _decode_bytes(pd.read_sas(path, format=fmt, encoding="infer", **read_kwargs))
        _need("pyreadstat", "SPSS files")
    reader = {
        ".sav": pyreadstat.read_sav,
        ".zsav": pyreadstat.read_sav,
        ".dta": pyreadstat.read_dta,
        ".sas7bdat": pyreadstat.read_sas7bdat,
        ".xpt": pyreadstat.read_xport,
    }[ext]
    df, meta = reader(str(path), **read_kwargs)
    # Value labels replace codes for covariates (sex 1/2 -> "F"/"M") only; scores, items,
    # sessions and days keep their numbers.
    labels = getattr(meta, "variable_value_labels", {}) or {}
    for col, lab in labels.items():
        if col in df.columns and col not in keep_text and lab:
            codes = df[col]
            mapped = codes.map(lab)
            df[col] = mapped.where(mapped.notna(), codes)
    return df


def _decode_bytes(df: pd.DataFrame) -> pd.DataFrame:
    for c in df.columns:
        if (
            df[c].dtype == object
            and len(df[c].dropna())
            and isinstance(df[c].dropna().iloc[0], bytes)
        ):
            df[c] = df[c].str.decode("utf-8")
    return df


def _infer_types(df: pd.DataFrame, keep_text) -> pd.DataFrame:
    """Text columns that are entirely numbers become numeric; others stay text.

    Columns in ``keep_text`` (the patient identifier) are never converted, so "007" stays
    "007".
    """
    out = {}
    for c in df.columns:
        s = df[c]
        if c in keep_text or s.dtype.kind in "biufcmM":
            out[c] = s
            continue
        text = s.astype(object).where(s.isna(), s.astype(str).str.strip())
        text = text.where(text != "", None)
        present = text.dropna()
        # Only columns that start with a number can be numeric; text columns are skipped
        # cheaply (to_numeric on long text columns is slow).
        if len(present) and _looks_numeric(present.iloc[0]):
            num = pd.to_numeric(text, errors="coerce")
            if num.notna().sum() == len(present):
                out[c] = num
                continue
        out[c] = text
    return pd.DataFrame(out, index=df.index)


def _looks_numeric(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


# ----------------------------------------------------------------------------------------
# mapping and finishing
# ----------------------------------------------------------------------------------------
def _apply_columns(df: pd.DataFrame, columns: Mapping[str, str] | None, source: str):
    """Rename ``{source_name: canonical_name}``; unknown source names are an error."""
    if not columns:
        return df
    if not isinstance(columns, Mapping):
        raise TypeError("columns must be a mapping {column in your data: canonical name}")
    issues = _Issues()
    for src, dst in columns.items():
        if src in df.columns:
            continue
        if dst in df.columns and src in _ROLES:
            hint = f"; the mapping goes {{your column: canonical name}}: {{{dst!r}: {src!r}}}"
        else:
            close = difflib.get_close_matches(str(src), [str(c) for c in df.columns], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
        issues.add_one(
            "error",
            "missing_column",
            src,
            f"columns= maps {src!r} to {dst!r} but the data have no column {src!r}{hint}",
        )
    targets = pd.Series(list(columns.values()))
    for dst in targets[targets.duplicated()].unique():
        issues.add_one("error", "missing_column", dst, f"columns= maps several columns to {dst!r}")
    if issues.has_errors:
        _fail(issues, source, df)
    return df.rename(columns=dict(columns))


def _fail(issues: _Issues, source: str, df: pd.DataFrame):
    empty = pd.DataFrame(columns=["patient_id", "scale", "session"])
    raise DataError(
        ValidationReport(
            frame=empty,
            issues=issues.frame(),
            audit=pd.DataFrame(columns=["row", "patient_id", "scale", "session", "reason"]),
            n_rows_in=len(df),
            source=source,
        )
    )


def _whole_covariates(df: pd.DataFrame) -> pd.DataFrame:
    """Float covariates holding whole numbers only (SPSS, Stata and SAS store every number
    as a double) become int64, as a CSV reader would read them."""
    for c in df.columns:
        if c in _ROLES or c in ("source_row", "source_column") or str(c).startswith("item_"):
            continue
        s = df[c]
        if pd.api.types.is_float_dtype(s.dtype) and s.notna().all() and len(s):
            v = s.to_numpy()
            if np.isfinite(v).all() and (v == np.round(v)).all() and np.abs(v).max() < 2**53:
                df[c] = s.astype("int64")
    return df


def _finish(df, *, source, validate, scale=None, **vkw) -> pd.DataFrame:
    """Validate; raise DataError on errors; warn on warnings; return every row."""
    df = _whole_covariates(df)
    if not validate:
        return _order_columns(df)
    report, canonical = _run(df, scale=scale, source=source, **vkw)
    report.raise_for_errors()
    warn_summary(report, stacklevel=4)
    return canonical


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
        if m and c not in _ROLES and not str(c).startswith("item_"):
            found.setdefault(f"item_{int(m.group(2))}", c)
    return found


# ----------------------------------------------------------------------------------------
# public readers
# ----------------------------------------------------------------------------------------
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
    **read_kwargs
        Passed to the underlying pandas or pyreadstat reader.

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
    id_src = _source_of("patient_id", columns)
    df, name = _load(source, sheet=sheet, keep_text={id_src}, **read_kwargs)
    df = _apply_columns(df, columns, name)
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
    return _finish(
        df,
        source=name,
        validate=validate,
        scale=scale,
        baseline=baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
    )


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
        issues = _Issues()
        rows = df["source_row"].to_numpy(dtype=object)
        issues.add(
            "error",
            "session_type",
            rows[unknown],
            "session",
            [f"session {v!r} is not one of the labels in sessions=" for v in key[unknown]],
        )
        _fail(issues, source, df)
    return out


def _source_of(role: str, columns) -> str:
    for src, dst in (columns or {}).items():
        if dst == role:
            return src
    return role


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
        key = _scales.normalize_name(re.sub(r"(?i)[_. ]?(total|score|sum)$", "", str(c)))
        if key:
            looks.setdefault(key, c)
    if len(looks) > 1:
        cols = ", ".join(f"{c!r} ({k})" for k, c in looks.items())
        issues = _Issues()
        issues.add_one(
            "error",
            "several_scales",
            "scale",
            f"columns {cols} look like totals of several scales and there is no scale "
            "column; read one scale at a time, e.g. columns={"
            f"{next(iter(looks.values()))!r}: 'score'}}, scale={next(iter(looks))!r}, "
            "or use ka.from_wide",
        )
        _fail(issues, source, df)
    if len(looks) == 1 and "score" not in df.columns:
        key, col = next(iter(looks.items()))
        issues = _Issues()
        issues.add_one(
            "error",
            "missing_column",
            "score",
            f"required column 'score' is missing; column {col!r} looks like the {key} total: "
            f"pass columns={{{col!r}: 'score'}}, scale={key!r}",
        )
        if not any(str(c).startswith("item_") for c in df.columns):
            _fail(issues, source, df)


def from_wide(
    data,
    *,
    id: str = "patient_id",
    sessions: Mapping[str, object] | str,
    scale: str | Mapping[str, str] | None = None,
    days: Mapping[str, object] | str | None = None,
    baseline: int | float | str = 0,
    allow_identifiers: Sequence[str] = (),
    allow_negative_days: bool = False,
    validate: bool = True,
    **read_kwargs,
) -> pd.DataFrame:
    """Turn one column per session into canonical long rows.

    Parameters
    ----------
    data : path or DataFrame
        One row per patient (any format :func:`read_scores` reads).
    id : str, default "patient_id"
        The patient identifier column.
    sessions : dict or str
        Either ``{column: session}`` (e.g. ``{"bdi.pre": 0, "bdi.2m": 1, "bdi.3m": 2}``;
        text session labels become an ordered category in the order given), or a regular
        expression matched against every column name with a named group ``session`` (its
        value a number) and optionally a group ``scale``, e.g.
        ``r"(?P<scale>madrs|phq9)\\.s(?P<session>\\d+)"``.
    scale : str or dict, optional
        The scale of every session column, or ``{column: scale}``. Not needed when the
        ``sessions`` pattern has a ``scale`` group.
    days : dict or str, optional
        Day of each assessment: ``{column: day}`` where day is a number (the nominal day of
        that session for everyone) or the name of a column holding each patient's day; or a
        pattern with a ``session`` group naming day columns, e.g. ``r"day\\.s(?P<session>\\d+)"``.
    baseline, allow_identifiers, allow_negative_days, validate, **read_kwargs
        As for :func:`read_scores`.

    Returns
    -------
    DataFrame
        Canonical long format, one row per patient x session column (an empty cell gives a
        row with a missing score, which validation excludes and lists in its audit). Every
        column that is neither the id, a session column nor a day column is carried to
        each row as a covariate. ``source_row`` is the patient's row in the wide input,
        ``source_column`` the column the score came from.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> long = ka.from_wide(
    ...     "data/sample/cohort_wide.csv",
    ...     sessions=r"(?P<scale>madrs|phq9|cadss)\\.s(?P<session>\\d+)",
    ...     days=r"day\\.s(?P<session>\\d+)",
    ... )
    >>> long.groupby("scale")["patient_id"].nunique().to_dict()
    {'CADSS': 150, 'MADRS': 150, 'PHQ9': 150}
    """
    df, name = _load(data, keep_text={id}, **read_kwargs)
    if id not in df.columns:
        close = difflib.get_close_matches(id, [str(c) for c in df.columns], n=1)
        hint = f" (did you mean id={close[0]!r}?)" if close else ""
        issues = _Issues()
        issues.add_one("error", "missing_column", id, f"no id column {id!r}{hint}")
        _fail(issues, name, df)
    spec = _session_spec(df, sessions, scale, name)
    day_of = _day_spec(df, days, spec, name)
    used = set(spec["column"]) | {c for c in day_of.values() if isinstance(c, str)}
    covariates = [c for c in df.columns if c not in used and c not in (id, "source_row")]
    n, k = len(df), len(spec)
    score = df[list(spec["column"])].to_numpy(dtype=object).T.ravel()
    # Empty cells are assessments not made, not rows: they give no long row. A patient with
    # no score at all keeps one row (missing score) so that validation lists them in its
    # audit instead of losing them silently.
    filled = pd.notna(score) & (pd.Series(score, dtype=object).astype(str).str.strip() != "")
    filled = filled.to_numpy().copy()
    any_score = filled.reshape(k, n).any(axis=0)
    filled[:n] |= ~any_score
    long = pd.DataFrame(
        {
            "patient_id": np.tile(df[id].to_numpy(dtype=object), k),
            "session": np.repeat(spec["session"].to_numpy(dtype=object), n),
            "scale": np.repeat(spec["scale"].to_numpy(dtype=object), n),
            "score": score,
        }
    )
    if isinstance(spec["session"].dtype, pd.CategoricalDtype):
        long["session"] = pd.Categorical(
            long["session"], categories=spec["session"].cat.categories, ordered=True
        )
    else:
        long["session"] = pd.to_numeric(long["session"])
    if day_of:
        day = np.full(n * k, np.nan)
        for j, col in enumerate(spec["column"]):
            d = day_of.get(col)
            if d is None:
                continue
            block = slice(j * n, (j + 1) * n)
            if isinstance(d, str):
                day[block] = pd.to_numeric(df[d], errors="coerce").to_numpy(dtype=float)
                bad = df[d].notna().to_numpy() & np.isnan(day[block])
                if bad.any():
                    issues = _Issues()
                    issues.add(
                        "error",
                        "non_numeric",
                        df["source_row"].to_numpy(dtype=object)[bad],
                        d,
                        [f"day {v!r} is not a number" for v in df[d][bad]],
                    )
                    _fail(issues, name, df)
            else:
                day[block] = float(d)
        long["day"] = day
    for c in covariates:
        long[c] = np.tile(df[c].to_numpy(dtype=object), k)
        if pd.api.types.is_numeric_dtype(df[c].dtype):
            long[c] = long[c].astype(df[c].dtype)
    long["source_row"] = np.tile(df["source_row"].to_numpy(dtype=object), k)
    long["source_column"] = np.repeat(spec["column"].to_numpy(dtype=object), n)
    long = long.loc[filled].reset_index(drop=True)
    return _finish(
        long,
        source=name,
        validate=validate,
        baseline=baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
    )


def _session_spec(df, sessions, scale, source) -> pd.DataFrame:
    """Columns to melt: DataFrame with ``column``, ``session``, ``scale``."""
    issues = _Issues()
    if isinstance(sessions, str):
        rx = re.compile(sessions)
        if "session" not in rx.groupindex:
            raise ValueError(f"sessions pattern {sessions!r} needs a named group (?P<session>...)")
        rows = []
        for c in df.columns:
            m = rx.fullmatch(str(c))
            if m:
                rows.append((c, m.group("session"), m.groupdict().get("scale")))
        if not rows:
            raise ValueError(f"sessions pattern {sessions!r} matches no column of {source}")
        spec = pd.DataFrame(rows, columns=["column", "session", "scale_raw"])
        num = pd.to_numeric(spec["session"], errors="coerce")
        if num.isna().any():
            raise ValueError(
                "the session group of the sessions pattern must capture numbers; got "
                + ", ".join(map(repr, spec.loc[num.isna(), "session"]))
            )
        spec["session"] = num
    elif isinstance(sessions, Mapping):
        missing = [c for c in sessions if c not in df.columns]
        for c in missing:
            close = difflib.get_close_matches(str(c), [str(x) for x in df.columns], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            issues.add_one("error", "missing_column", c, f"no session column {c!r}{hint}")
        if issues.has_errors:
            _fail(issues, source, df)
        spec = pd.DataFrame(
            {"column": list(sessions), "session": list(sessions.values()), "scale_raw": None}
        )
        vals = list(sessions.values())
        if any(isinstance(v, str) for v in vals):
            cats = list(dict.fromkeys(vals))
            spec["session"] = pd.Categorical(vals, categories=cats, ordered=True)
    else:
        raise TypeError("sessions must be a dict {column: session} or a regex pattern")
    if isinstance(scale, Mapping):
        spec["scale"] = spec["column"].map(scale)
        lacking = spec.loc[spec["scale"].isna(), "column"].tolist()
        if lacking:
            raise ValueError(f"scale= gives no scale for session columns {lacking}")
    elif scale is not None:
        spec["scale"] = scale
    elif spec["scale_raw"].notna().all():
        spec["scale"] = spec["scale_raw"]
    else:
        raise ValueError(
            "from_wide needs scale= (a scale for all columns, or {column: scale}) unless "
            "the sessions pattern has a (?P<scale>...) group"
        )
    return spec.drop(columns="scale_raw").reset_index(drop=True)


def _day_spec(df, days, spec, source) -> dict[str, object]:
    if days is None:
        return {}
    if isinstance(days, str):
        rx = re.compile(days)
        if "session" not in rx.groupindex:
            raise ValueError(f"days pattern {days!r} needs a named group (?P<session>...)")
        by_session = {}
        for c in df.columns:
            m = rx.fullmatch(str(c))
            if m:
                by_session[float(m.group("session"))] = c
        if not by_session:
            raise ValueError(f"days pattern {days!r} matches no column of {source}")
        out = {}
        for col, sess in zip(spec["column"], spec["session"], strict=True):
            try:
                out[col] = by_session.get(float(sess))
            except (TypeError, ValueError):
                out[col] = None
        return {k: v for k, v in out.items() if v is not None}
    if isinstance(days, Mapping):
        unknown = [c for c in days if c not in set(spec["column"])]
        if unknown:
            raise ValueError(f"days= names columns that are not session columns: {unknown}")
        for c, d in days.items():
            if isinstance(d, str) and d not in df.columns:
                raise ValueError(f"days= maps {c!r} to column {d!r}, which {source} lacks")
        return dict(days)
    raise TypeError("days must be a dict {column: day or day column} or a regex pattern")


def read_redcap(
    source,
    *,
    events: Mapping[str, object],
    scale: str | Sequence[str] | None = None,
    fields: Mapping[str, str] | None = None,
    id: str = "record_id",
    day: str | None = None,
    baseline: int | float | str = 0,
    allow_identifiers: Sequence[str] = (),
    allow_negative_days: bool = False,
    validate: bool = True,
    **read_kwargs,
) -> pd.DataFrame:
    """Read a REDCap longitudinal export (records x events) into canonical long rows.

    Parameters
    ----------
    source : path or DataFrame
        The export ("CSV / Microsoft Excel (raw data)"): ``record_id``, ``redcap_event_name``
        and the fields of each instrument.
    events : dict
        ``{event name: session}`` or ``{event name: (session, day)}``, e.g.
        ``{"baseline_arm_1": (0, 0), "infusion_1_24h_arm_1": (1, 1)}``. Every event in the
        export must be mapped; an unmapped event is an error listing its rows.
    scale : str or list of str, optional
        Scales to read (default: every registry scale whose fields are in the export).
    fields : dict, optional
        ``{scale: field prefix}``; by default the lower-case scale key and an underscore
        (``madrs_``, ``phq9_``, ``hamd17_``, ``qids_sr16_``, ``bdi2_``, ``gad7_``,
        ``cadss_``). Item fields are ``<prefix>1`` ... ``<prefix>k``, the total
        ``<prefix>total`` (or ``<prefix>score``).
    id : str, default "record_id"
    day : str, optional
        A field holding the study day of each event (days since the first treatment);
        overrides days given in ``events``.
    baseline, allow_identifiers, allow_negative_days, validate, **read_kwargs
        As for :func:`read_scores`.

    Returns
    -------
    DataFrame
        Canonical long format: one row per record x event x scale that has any field of
        that scale filled. Fields entered on one event only (demographics on the baseline
        event, as REDCap exports them) are copied to every row of the record; REDCap's own
        columns (``redcap_*``, ``*_complete``) are dropped.

    Examples
    --------
    >>> import json
    >>> import ketanalysis as ka
    >>> with open("data/sample/cohort_redcap_events.json") as f:
    ...     events = json.load(f)
    >>> frame = ka.read_redcap("data/sample/cohort_redcap.csv", events=events, day="study_day")
    >>> len(frame), sorted(frame["scale"].unique())
    (3798, ['CADSS', 'MADRS', 'PHQ9'])
    """
    df, name = _load(source, keep_text={id}, **read_kwargs)
    issues = _Issues()
    for c in (id, "redcap_event_name"):
        if c not in df.columns:
            issues.add_one("error", "missing_column", c, f"a REDCap export needs {c!r}")
    if issues.has_errors:
        _fail(issues, name, df)
    rows = df["source_row"].to_numpy(dtype=object)
    ev = df["redcap_event_name"].astype(str)
    unmapped = ~ev.isin(list(events)).to_numpy()
    if unmapped.any():
        for e in pd.unique(ev[unmapped]):
            hit = (ev == e).to_numpy()
            issues.add(
                "error",
                "unknown_event",
                rows[hit][:1],
                "redcap_event_name",
                f"event {e!r} ({_list_rows(rows[hit])}) is not in events=; map it to a session",
            )
        _fail(issues, name, df)
    ev_session, ev_day = {}, {}
    for e, v in events.items():
        if isinstance(v, Mapping):
            ev_session[e], ev_day[e] = v["session"], v.get("day")
        elif isinstance(v, tuple):
            ev_session[e], ev_day[e] = v
        else:
            ev_session[e] = v
    wanted = [scale] if isinstance(scale, str) else list(scale or _scales.SCALES)
    fields = dict(fields or {})
    per_scale = {}
    for s in wanted:
        sc = _scales.get(s)
        prefix = fields.get(sc.key, fields.get(s, sc.key.lower() + "_"))
        item_f = [f"{prefix}{i}" for i in range(1, sc.n_items + 1)]
        total_f = next((f"{prefix}{t}" for t in ("total", "score") if f"{prefix}{t}" in df), None)
        present = [f for f in item_f if f in df.columns]
        if not present and total_f is None:
            if scale is not None:
                issues.add_one(
                    "error",
                    "missing_column",
                    f"{prefix}1",
                    f"no {sc.key} fields ({prefix}1 ... {prefix}{sc.n_items} or "
                    f"{prefix}total) in the export; set fields={{{sc.key!r}: 'prefix_'}}",
                )
            continue
        per_scale[sc.key] = (item_f, total_f)
    if not per_scale and not issues.has_errors:
        issues.add_one(
            "error",
            "missing_column",
            "",
            "no fields of any known scale found; pass scale= and fields={scale: prefix}",
        )
    if issues.has_errors:
        _fail(issues, name, df)
    consumed = {"source_row", id}
    for item_f, total_f in per_scale.values():
        consumed |= set(item_f) | {total_f}
    redcap_own = [
        c for c in df.columns if str(c).startswith("redcap_") or str(c).endswith("_complete")
    ]
    covariates = [c for c in df.columns if c not in consumed and c not in redcap_own]
    cov = df[covariates].copy()
    # Fields filled on a single event per record (e.g. demographics at baseline) go to every
    # row of that record; fields that vary by event stay per row.
    if covariates:
        g = cov.groupby(df[id].to_numpy(), sort=False)
        n_filled = g.count()
        n_distinct = g.nunique()
        spread = [
            c
            for c in covariates
            if c != day and (n_distinct[c] <= 1).all() and (n_filled[c] < g.size()).any()
        ]
        if spread:
            filled = g[spread].transform("first")
            cov[spread] = filled
    parts = []
    for key, (item_f, total_f) in per_scale.items():
        have = [f for f in item_f + [total_f] if f is not None and f in df.columns]
        any_data = df[have].notna().any(axis=1).to_numpy()
        sub = pd.DataFrame(
            {
                "patient_id": df[id].to_numpy(dtype=object)[any_data],
                "session": ev.map(ev_session).to_numpy(dtype=object)[any_data],
                "scale": key,
                "score": df[total_f].to_numpy(dtype=object)[any_data] if total_f else np.nan,
            }
        )
        if day is not None:
            sub["day"] = df[day].to_numpy(dtype=object)[any_data]
        elif any(v is not None for v in ev_day.values()):
            sub["day"] = ev.map(ev_day).to_numpy(dtype=object)[any_data]
        for c in covariates:
            if c != day:
                sub[c] = cov[c].to_numpy(dtype=object)[any_data]
        for i, f in enumerate(item_f, start=1):
            if f in df.columns:
                sub[f"item_{i}"] = df[f].to_numpy(dtype=object)[any_data]
        sub["source_row"] = rows[any_data]
        parts.append(sub)
    long = pd.concat(parts, ignore_index=True)
    for c in covariates:
        if c in long and c != day and pd.api.types.is_numeric_dtype(df[c].dtype):
            long[c] = pd.to_numeric(long[c])
            if long[c].notna().all() and (long[c] == np.round(long[c])).all():
                long[c] = long[c].astype("int64")  # integers again once spread
    if "day" in long:
        long["day"] = pd.to_numeric(long["day"], errors="coerce").where(long["day"].notna(), np.nan)
    sessions = pd.Series(list(ev_session.values()))
    if sessions.map(lambda v: isinstance(v, str)).any():
        long["session"] = pd.Categorical(
            long["session"], categories=list(dict.fromkeys(sessions)), ordered=True
        )
    else:
        long["session"] = pd.to_numeric(long["session"])
    order = np.lexsort((long["scale"].map(list(_scales.SCALES).index), long["source_row"]))
    long = long.iloc[order].reset_index(drop=True)
    return _finish(
        long,
        source=name,
        validate=validate,
        baseline=baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
    )


def to_relative_days(
    frame: pd.DataFrame,
    *,
    date: str = "date",
    patient: str = "patient_id",
    first_treatment=None,
    session: str = "session",
    day: str = "day",
    format: str | None = None,
    dayfirst: bool = False,
    _source: str = "DataFrame",
) -> pd.DataFrame:
    """Replace calendar dates by days since each patient's first treatment.

    Parameters
    ----------
    frame : DataFrame
    date : str, default "date"
        The column of calendar dates (datetimes or text such as ``2024-03-15``).
    patient : str, default "patient_id"
    first_treatment : session value, optional
        The session whose date is day 0 for each patient (assessments before it get
        negative days). By default each patient's earliest date is day 0.
    session : str, default "session"
    day : str, default "day"
        Name of the column to write.
    format : str, optional
        ``strftime`` format of text dates, e.g. ``"%d/%m/%Y"``; by default ISO dates and
        pandas' inference. Ambiguous day/month orders need ``format`` or ``dayfirst``.
    dayfirst : bool, default False

    Returns
    -------
    DataFrame
        A copy with ``day`` (float; fractional when the dates carry times) and without the
        date column.

    Raises
    ------
    DataError
        Naming the rows whose dates are missing or cannot be read, and the patients with no
        date at ``first_treatment``.

    Examples
    --------
    >>> import pandas as pd, ketanalysis as ka
    >>> f = pd.DataFrame({"patient_id": ["a", "a"], "session": [0, 1],
    ...                   "date": ["2024-03-01", "2024-03-08"]})
    >>> ka.to_relative_days(f, date="date")["day"].tolist()
    [0.0, 7.0]
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a DataFrame, got {type(frame).__name__}")
    issues = _Issues()
    for c in (date, patient) + ((session,) if first_treatment is not None else ()):
        if c not in frame.columns:
            issues.add_one("error", "missing_column", c, f"to_relative_days needs column {c!r}")
    if issues.has_errors:
        _fail(issues, _source, frame)
    rows = (
        frame["source_row"].to_numpy(dtype=object)
        if "source_row" in frame.columns
        else frame.index.to_numpy(dtype=object)
    )
    raw = frame[date]
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        when = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
    else:
        text = raw.astype("string").str.strip().replace("", pd.NA)
        kw = {"format": format} if format else {"format": "mixed"}
        when = pd.to_datetime(text, errors="coerce", dayfirst=dayfirst, **kw)
    missing = (
        raw.isna().to_numpy() | (raw.astype("string").str.strip() == "").fillna(True).to_numpy()
    )
    bad = when.isna().to_numpy() & ~missing
    issues.add("error", "missing_date", rows[missing], date, "date is missing")
    issues.add(
        "error",
        "bad_date",
        rows[bad],
        date,
        [f"cannot read {v!r} as a date" + ("" if format else " (pass format=)") for v in raw[bad]],
    )
    pid = frame[patient]
    if first_treatment is None:
        anchor = when.groupby(pid.to_numpy(), sort=False).transform("min")
    else:
        at = when.where((frame[session] == first_treatment).to_numpy())
        anchor = at.groupby(pid.to_numpy(), sort=False).transform("min")
        lacking = anchor.isna().to_numpy() & ~missing & ~bad
        if lacking.any():
            for p in pd.unique(pid[lacking]):
                hit = (pid == p).to_numpy()
                issues.add_one(
                    "error",
                    "missing_date",
                    date,
                    f"patient {p} has no date at session {first_treatment!r} (the first "
                    f"treatment; {_list_rows(rows[hit])})",
                    row=rows[hit][0],
                )
    if issues.has_errors:
        _fail(issues, _source, frame)
    out = frame.drop(columns=[date]).copy()
    out[day] = ((when - anchor) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return out
