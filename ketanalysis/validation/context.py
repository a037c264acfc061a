"""The working state of one validation and the canonical forms all kinds of data share.

:class:`Context` holds the frame being checked, the row labels of the input, the issues
found and the rows excluded; the functions below canonicalise what scores and safety data
have in common (patient ids, sessions, numbers), each adding its issues to the context.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import is_item
from .identifiers import Shower
from .issues import Issues

__all__ = [
    "MAX_SESSION",
    "Context",
    "as_numeric",
    "by_unique",
    "canonical_patient_ids",
    "canonical_sessions",
]


#: Largest session number accepted (larger or non-finite values are input errors, e.g. the
#: ``1e20`` of a mistyped cell).
MAX_SESSION = 100_000


_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or bool(
    getattr(pd.options.mode, "copy_on_write", False) is True
)


def _row_labels(labels) -> np.ndarray:
    """Row labels as int64 when they are integers (cheap at 20 M rows), else objects."""
    if pd.api.types.is_integer_dtype(labels.dtype):
        return np.asarray(labels, dtype=np.int64)
    return np.asarray(labels, dtype=object)


@dataclass
class Context:
    """The working state of one validation: frame, input row labels, issues, exclusions."""

    df: pd.DataFrame
    rows: np.ndarray
    issues: Issues
    excluded: list
    show: Shower
    scale_codes: np.ndarray | None = None
    patient_codes: np.ndarray | None = None

    @classmethod
    def start(cls, frame: pd.DataFrame) -> Context:
        # under copy-on-write (pandas 3) a shallow copy is safe and saves a full copy
        df = frame.copy(deep=not _COPY_ON_WRITE)
        if "source_row" in df.columns:
            rows = _row_labels(df["source_row"])
        else:
            rows = _row_labels(df.index)
            df["source_row"] = rows
        return cls(df.reset_index(drop=True), rows, Issues(), [], Shower())

    @property
    def n(self) -> int:
        return len(self.df)

    @property
    def item_cols(self) -> list[str]:
        return [c for c in self.df.columns if is_item(c)]

    @property
    def score_col(self):
        """Column named in score messages: the wide column (from_wide) or ``score``."""
        return self.df["source_column"] if "source_column" in self.df.columns else "score"


def as_numeric(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Numeric values and a mask of entries that are present but not numbers."""
    if pd.api.types.is_bool_dtype(s.dtype):
        # True/False are not numbers: a boolean score, session or day is an input error
        return pd.Series(np.nan, index=s.index), s.notna().to_numpy()
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype(float), np.zeros(len(s), dtype=bool)
    text = s.astype("string").str.strip()
    num = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype(float)
    bad = (text.notna() & (text != "")).to_numpy() & num.isna().to_numpy()
    return num, bad


def canonical_patient_ids(ctx: Context) -> None:
    """Patient ids as text (stripped); empty ids are errors.

    The text work is done once per distinct id (``by_unique``), not once per row.
    """
    pid = ctx.df["patient_id"]
    if pd.api.types.is_float_dtype(pid.dtype):
        # IDs read from a numeric column: 12.0 becomes "12", never "12.0".
        whole = pid.dropna()
        if (whole == np.round(whole)).all():
            pid = pid.astype("Int64")
    text = by_unique(pid, lambda u: u.astype("string").str.strip())
    bad = pd.isna(text) | (text == "")
    text[bad] = None
    ctx.patient_codes = pd.factorize(text)[0].astype(np.int64)
    ctx.issues.add("error", "missing_id", ctx.rows[bad], "patient_id", "patient_id is empty")
    text[bad] = None
    ctx.df["patient_id"] = pd.Series(text, dtype=object)


def by_unique(values: pd.Series, fn) -> np.ndarray:
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


def canonical_sessions(ctx: Context) -> bool:
    """Sessions as numbers (int where whole) or an ordered category; False if text."""
    session = ctx.df["session"]
    if isinstance(session.dtype, pd.CategoricalDtype) and session.cat.ordered:
        bad = session.isna().to_numpy()
        ctx.issues.add("error", "missing_session", ctx.rows[bad], "session", "session is empty")
        return True
    num, nonnum = as_numeric(session)
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
    values = num.to_numpy(dtype=float)
    huge = ~np.isnan(values) & ~(np.abs(values) <= MAX_SESSION)
    if huge.any():
        ctx.issues.add(
            "error",
            "session_range",
            ctx.rows[huge],
            "session",
            [
                f"session {v:g} is not a finite number within -{MAX_SESSION:,} to {MAX_SESSION:,}"
                for v in values[huge]
            ],
        )
        num = num.where(~huge)
        nonnum = nonnum | huge
    bad = num.isna().to_numpy() & ~nonnum
    whole = num.dropna()
    ctx.df["session"] = (
        num.astype("Int64") if len(whole) and (whole == np.round(whole)).all() else num
    )
    if not ctx.df["session"].isna().any() and ctx.df["session"].dtype == "Int64":
        ctx.df["session"] = ctx.df["session"].astype("int64")
    ctx.issues.add("error", "missing_session", ctx.rows[bad], "session", "session is empty")
    return not nonnum.any()
