"""Calendar dates to study days: :func:`to_relative_days`."""

from __future__ import annotations

import pandas as pd

from ..validation.issues import Issues, list_rows
from .files import raise_data_error

__all__ = ["to_relative_days"]


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
    issues = Issues()
    for c in (date, patient) + ((session,) if first_treatment is not None else ()):
        if c not in frame.columns:
            issues.add_one("error", "missing_column", c, f"to_relative_days needs column {c!r}")
    if issues.has_errors:
        raise_data_error(issues, _source, frame)
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
                    f"treatment; {list_rows(rows[hit])})",
                    row=rows[hit][0],
                )
    if issues.has_errors:
        raise_data_error(issues, _source, frame)
    out = frame.drop(columns=[date]).copy()
    out[day] = ((when - anchor) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    return out
