"""Loading files and frames: formats, row numbers of the input, types, column mapping.

:func:`load` reads every format the readers accept (CSV, TSV, Parquet, Excel, SPSS, Stata,
SAS) or copies a DataFrame, adds ``source_row`` (the input row named in messages) and
makes text columns that hold only numbers numeric; :func:`apply_columns` renames columns
to canonical names; :func:`raise_data_error` turns a reader's issues into a
:class:`ketanalysis.DataError`.

Row numbers are those of the input: for text and Excel files the row in the file counting
the header as row 1 (as a spreadsheet shows it), for SPSS, Stata, SAS and Parquet the
1-based record number, for a DataFrame its index label.
"""

from __future__ import annotations

import difflib
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..validation.issues import Issues, shorten
from ..validation.report import DataError, ValidationReport
from .dialect import MalformedFile, read_text

__all__ = ["ROLES", "apply_columns", "load", "raise_data_error", "source_of"]


_TEXT = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}


_EXCEL = {".xlsx", ".xlsm", ".xls"}


_STAT_KINDS = {
    ".sav": "an SPSS file",
    ".zsav": "an SPSS file",
    ".dta": "a Stata file",
    ".sas7bdat": "a SAS file",
    ".xpt": "a SAS transport file",
}


_RECORD_FORMATS = {".parquet", ".pq", ".sav", ".zsav", ".dta", ".sas7bdat", ".xpt"}


#: The key and score columns of a score frame (never covariates or items).
ROLES = ("patient_id", "session", "day", "scale", "score")


_NA = ["", "NA", "N/A", "na", "n/a", "NaN", "nan", ".", "-", "missing", "null", "NULL"]


def load(
    source, *, sheet=None, keep_text=(), sep=None, decimal=None, encoding=None, **read_kwargs
) -> tuple[pd.DataFrame, str]:
    """Read a file or copy a frame; add ``source_row``. Returns (frame, source name).

    Text files (``.csv``, ``.tsv``, ``.tab``, ``.txt``) are read by :mod:`.dialect`:
    ``sep``, ``decimal`` and ``encoding`` are detected unless given, and what was used is
    in ``frame.attrs["dialect"]``. Besides pandas DataFrames, a ``pyarrow.Table`` or any
    object with ``__arrow_c_stream__`` or ``__dataframe__`` (polars, ...) is converted.
    Unreadable, empty or malformed files raise :class:`DataError` naming the file.
    """
    if isinstance(source, pd.DataFrame):
        df = source.copy()
        df["source_row"] = df.index.to_numpy(dtype=object)
        return df.reset_index(drop=True), "DataFrame"
    if not isinstance(source, (str, os.PathLike)):
        return _other_frame(source), type(source).__name__
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    ext = "".join(path.suffixes[-1:]).lower()
    name = str(path)
    if ext in _TEXT:
        if read_kwargs:
            raise TypeError(
                f"unexpected keyword argument(s) {', '.join(sorted(read_kwargs))} for a text "
                "file; text files take sep=, decimal= and encoding="
            )
        return _load_text(path, ext, name, keep_text, sep, decimal, encoding), name
    if sep is not None or decimal is not None:
        raise TypeError(f"sep= and decimal= apply to text files (.csv, .tsv, .txt), not {ext}")
    if encoding is not None:
        if ext in _EXCEL or ext in (".parquet", ".pq"):
            raise TypeError(f"encoding= applies to text, SPSS, Stata and SAS files, not {ext}")
        read_kwargs["encoding"] = encoding
    if ext in _EXCEL:
        _need("openpyxl", "Excel files")
        df = _guarded(name, "an Excel workbook (.xlsx)", _read_excel, path, sheet, read_kwargs)
        df = _infer_types(df, keep_text)
        df["source_row"] = np.arange(2, 2 + len(df))  # the header is row 1
        return df, name
    if ext not in _RECORD_FORMATS:
        _file_error(  # a DataError (a ValueError too) naming the file
            name,
            "unknown_file_type",
            f"cannot read {path.name!r}: unknown file type {ext!r}; ketanalysis reads .csv, "
            ".tsv, .parquet, .xlsx, .sav, .dta, .sas7bdat and .xpt files or a DataFrame",
        )
    if ext in (".parquet", ".pq"):
        _need("pyarrow", "Parquet files")
        df = _guarded(name, "a Parquet file", pd.read_parquet, path, **read_kwargs)
    else:
        df = _guarded(
            name,
            _STAT_KINDS.get(ext, f"a {ext} file"),
            _read_stat,
            path,
            ext,
            keep_text,
            **read_kwargs,
        )
    _check_not_empty(df, name)
    df["source_row"] = np.arange(1, len(df) + 1)
    return df, name


def _file_error(name: str, check: str, message: str, row=None, column=None):
    issues = Issues()
    issues.add_one("error", check, column, message, row=row)
    raise_data_error(issues, name, pd.DataFrame())


def _guarded(name: str, what: str, function, *args, **kwargs) -> pd.DataFrame:
    """``function(*args)``; a reader's exception becomes a DataError naming the file."""
    try:
        return function(*args, **kwargs)
    except (DataError, ImportError, TypeError):
        raise
    except Exception as e:  # any reader failure: zipfile, pyarrow, openpyxl, pyreadstat
        _file_error(
            name,
            "unreadable",
            f"cannot read the file: expected {what} ({type(e).__name__}: {shorten(e, 240)}); "
            "it may be truncated or corrupt, or in another format than its extension says",
        )


def _check_not_empty(df: pd.DataFrame, name: str) -> None:
    if len(df.columns) == 0:
        _file_error(name, "empty_file", "cannot read the file: it has no columns")
    if len(df) == 0:
        _file_error(
            name,
            "header_only",
            f"the file has columns ({shorten(', '.join(map(str, df.columns)), 120)}) "
            "but no data rows",
        )


def _read_excel(path: Path, sheet, read_kwargs) -> pd.DataFrame:
    raw = pd.read_excel(
        path, sheet_name=sheet if sheet is not None else 0, header=None, dtype=object, **read_kwargs
    )
    if raw.empty:
        _file_error(
            str(path),
            "empty_file",
            "cannot read the file: the sheet is empty; expected a header row",
        )
    names = [
        f"Unnamed: {i}" if pd.isna(v) or str(v).strip() == "" else v
        for i, v in enumerate(raw.iloc[0])
    ]
    names = [v.strip() if isinstance(v, str) else v for v in names]
    text = pd.Series([str(v) for v in names])
    dup = text[text.duplicated()]
    if len(dup):
        _file_error(
            str(path),
            "duplicate_column",
            f"column {shorten(dup.iloc[0])!r} appears more than once in the header row; "
            "every column needs a distinct name",
            row=1,
            column=shorten(dup.iloc[0]),
        )
    df = raw.iloc[1:].reset_index(drop=True)
    df.columns = names
    _check_not_empty(df, str(path))
    return df


def _load_text(path, ext, name, keep_text, sep, decimal, encoding) -> pd.DataFrame:
    try:
        header, cells, lines, dialect = read_text(
            path, sep=sep, decimal=decimal, encoding=encoding, default_sep=_TEXT[ext] or ","
        )
    except MalformedFile as e:
        _file_error(name, e.check, e.message, row=e.row, column=e.column)
    raw = pd.DataFrame(cells, columns=header)
    df = pd.DataFrame(
        {c: _clean_text(raw[c]) for c in header},
        index=raw.index,
    )
    df = _infer_types(df, keep_text, decimal=dialect.decimal)
    df["source_row"] = lines
    df.attrs["dialect"] = dialect.as_dict()
    return df


def _clean_text(s: pd.Series) -> pd.Series:
    text = s.str.strip()
    return text.where(~text.isin(_NA), None)


def _from_interchange(source) -> pd.DataFrame:
    """A ``__dataframe__`` object through pyarrow's interchange (pandas' is deprecated)."""
    try:
        from pyarrow.interchange import from_dataframe
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.api.interchange.from_dataframe(source)
    return from_dataframe(source).to_pandas()


def _other_frame(source) -> pd.DataFrame:
    """A pyarrow Table, an Arrow stream or a ``__dataframe__`` object as a pandas frame."""
    kind = type(source).__name__
    try:
        if hasattr(source, "__arrow_c_stream__") or type(source).__module__.startswith("pyarrow"):
            import pyarrow as pa

            df = pa.table(source).to_pandas()
        elif hasattr(source, "__dataframe__"):
            df = _from_interchange(source)
        else:
            raise TypeError(
                f"source must be a file path or a DataFrame (pandas, polars, pyarrow), got {kind}"
            )
    except TypeError:
        raise
    except Exception as e:
        raise TypeError(
            f"cannot convert the {kind} to a pandas DataFrame ({type(e).__name__}: "
            f"{shorten(e, 120)}); convert it first, e.g. frame.to_pandas()"
        ) from None
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"cannot convert the {kind} to a pandas DataFrame; use .to_pandas()")
    df = df.reset_index(drop=True)
    df["source_row"] = np.arange(1, len(df) + 1)
    return df


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


def _infer_types(df: pd.DataFrame, keep_text, decimal: str = ".") -> pd.DataFrame:
    """Text columns that are entirely numbers become numeric; others stay text.

    Columns in ``keep_text`` (the patient identifier) are never converted, so "007" stays
    "007". With ``decimal=","`` numbers written ``12,5`` are read as 12.5 (in columns
    without a ``.``). ``True``/``False`` stay text (validation refuses them as scores).
    """
    out = {}
    for c in df.columns:
        s = df[c]
        if c in keep_text or s.dtype.kind in "biufcmM":
            out[c] = s
            continue
        text = s.astype(object).where(s.isna(), s.astype(str).str.strip())
        text = text.where(text != "", None)
        numbers = text
        if decimal == ",":
            written = text.dropna().astype(str)
            if not written.str.contains(".", regex=False).any():
                numbers = text.where(text.isna(), text.astype(str).str.replace(",", "."))
        present = numbers.dropna()
        # Only columns that start with a number can be numeric; text columns are skipped
        # cheaply (to_numeric on long text columns is slow).
        if len(present) and _looks_numeric(present.iloc[0]):
            num = pd.to_numeric(numbers, errors="coerce")
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


def apply_columns(df: pd.DataFrame, columns: Mapping[str, str] | None, source: str):
    """Rename ``{source_name: canonical_name}``; unknown source names are an error."""
    if not columns:
        return df
    if not isinstance(columns, Mapping):
        raise TypeError("columns must be a mapping {column in your data: canonical name}")
    issues = Issues()
    for src, dst in columns.items():
        if src in df.columns:
            continue
        if dst in df.columns and src in ROLES:
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
        raise_data_error(issues, source, df)
    return df.rename(columns=dict(columns))


def source_of(role: str, columns) -> str:
    """The input column that ``columns=`` maps to ``role`` (``role`` itself if none)."""
    for src, dst in (columns or {}).items():
        if dst == role:
            return src
    return role


def raise_data_error(issues: Issues, source: str, df: pd.DataFrame):
    """Raise a :class:`DataError` listing a reader's ``issues`` about ``df`` read from ``source``."""
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
