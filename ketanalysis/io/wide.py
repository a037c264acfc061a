"""Wide data to canonical long rows: :func:`from_wide` (one column per session)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..validation.issues import Issues
from .files import load, raise_data_error
from .scores import finish_scores

__all__ = ["from_wide"]


def from_wide(
    data,
    *,
    patient: str = "patient_id",
    sessions: Mapping[str, object] | str,
    scale: str | Mapping[str, str] | None = None,
    days: Mapping[str, object] | str | None = None,
    session_labels: Mapping[str, float] | None = None,
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
    patient : str, default "patient_id"
        The patient identifier column.
    sessions : dict or str
        Either ``{column: session}`` (e.g. ``{"bdi.pre": 0, "bdi.2m": 1, "bdi.3m": 2}``;
        text session labels become an ordered category in the order given, unless
        ``session_labels`` maps them to numbers), ``{column: (scale, session)}`` (e.g.
        ``{"MADRS_baseline": ("MADRS", "baseline"), "PHQ9_wk1": ("PHQ-9", "wk1")}``), or a
        regular expression matched against every column name with a named group
        ``session`` and optionally a group ``scale``, e.g.
        ``r"(?P<scale>madrs|phq9)\\.s(?P<session>\\d+)"`` or, with text visit labels and
        ``session_labels``, ``r"(?P<scale>MADRS|PHQ9)_(?P<session>baseline|wk\\d+)"``.
    scale : str or dict, optional
        The scale of every session column, or ``{column: scale}``. Not needed when the
        ``sessions`` pattern has a ``scale`` group or the mapping gives (scale, session).
    days : dict or str, optional
        Day of each assessment: ``{column: day}`` where day is a number (the nominal day of
        that session for everyone) or the name of a column holding each patient's day; or a
        pattern with a ``session`` group naming day columns, e.g. ``r"day\\.s(?P<session>\\d+)"``.
    session_labels : dict, optional
        Text session labels to session numbers, e.g. ``{"baseline": 0, "wk1": 1, "wk2": 2}``
        (labels compared without case and surrounding spaces). Every text label of a
        session column must be listed: an unmapped label is a
        :class:`~ketanalysis.DataError` naming its columns. Without it, labels captured by
        a ``sessions`` pattern must be numbers.
    baseline, allow_identifiers, allow_negative_days, validate, **read_kwargs
        As for :func:`read_scores`.

    Returns
    -------
    DataFrame
        Canonical long format, one row per patient x session column. An empty cell (an
        assessment not made) gives a row with a missing score, which validation excludes
        and lists in its audit ("score missing"), as for a long file; no cell is lost.
        Every column that is neither the id, a session column nor a day column is carried
        to each row as a covariate. ``source_row`` is the patient's row in the wide input,
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
    df, name = load(data, keep_text={patient}, **read_kwargs)
    dialect = df.attrs.get("dialect")
    if patient not in df.columns:
        close = difflib.get_close_matches(patient, [str(c) for c in df.columns], n=1)
        hint = f" (did you mean patient={close[0]!r}?)" if close else ""
        issues = Issues()
        issues.add_one("error", "missing_column", patient, f"no patient column {patient!r}{hint}")
        raise_data_error(issues, name, df)
    spec = _session_spec(df, sessions, scale, session_labels, name)
    day_of = _day_spec(df, days, spec, session_labels, name)
    used = set(spec["column"]) | {c for c in day_of.values() if isinstance(c, str)}
    covariates = [c for c in df.columns if c not in used and c not in (patient, "source_row")]
    n, k = len(df), len(spec)
    # Every cell gives a row: an empty cell is an assessment not made, kept with a missing
    # score so that validation audits it (as the missing scores of long files).
    score = df[list(spec["column"])].to_numpy(dtype=object).T.ravel()
    long = pd.DataFrame(
        {
            "patient_id": np.tile(df[patient].to_numpy(dtype=object), k),
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
                    issues = Issues()
                    issues.add(
                        "error",
                        "non_numeric",
                        df["source_row"].to_numpy(dtype=object)[bad],
                        d,
                        [f"day {v!r} is not a number" for v in df[d][bad]],
                    )
                    raise_data_error(issues, name, df)
            else:
                day[block] = float(d)
        long["day"] = day
    for c in covariates:
        long[c] = np.tile(df[c].to_numpy(dtype=object), k)
        if pd.api.types.is_numeric_dtype(df[c].dtype):
            long[c] = long[c].astype(df[c].dtype)
    long["source_row"] = np.tile(df["source_row"].to_numpy(dtype=object), k)
    long["source_column"] = np.repeat(spec["column"].to_numpy(dtype=object), n)
    return finish_scores(
        long,
        dialect=dialect,
        source=name,
        validate=validate,
        baseline=baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
    )


def _label_key(value) -> str:
    return str(value).strip().casefold()


def _map_labels(spec, labels, df, source) -> None:
    """Replace text sessions of ``spec`` by numbers from ``labels`` (in place)."""
    raw = spec["session"].astype(object)
    num = pd.to_numeric(raw, errors="coerce")
    text = num.isna().to_numpy()
    if labels is not None:
        if not isinstance(labels, Mapping):
            raise TypeError("session_labels must be a dict {label: session number}")
        table = {_label_key(k): v for k, v in labels.items()}
        bad = [k for k, v in labels.items() if not _is_number(v)]
        if bad:
            raise ValueError(f"session_labels must map labels to numbers; got {bad}")
        mapped = raw[text].map(lambda v: table.get(_label_key(v)))
        num[text] = pd.to_numeric(mapped)
        text = num.isna().to_numpy()
    if text.any():
        issues = Issues()
        cols = spec["column"][text]
        for label in pd.unique(raw[text]):
            named = [str(c) for c in cols[raw[text] == label]]
            shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
            fix = (
                f"add {str(label)!r} to session_labels="
                if labels is not None
                else f"give session_labels={{{str(label)!r}: number, ...}}"
            )
            issues.add_one(
                "error",
                "session_type",
                named[0],
                f"session label {str(label)!r} of column(s) {shown} is not a number; {fix}",
            )
        raise_data_error(issues, source, df)
    spec["session"] = num.astype(float)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _session_spec(df, sessions, scale, labels, source) -> pd.DataFrame:
    """Columns to melt: DataFrame with ``column``, ``session``, ``scale``."""
    issues = Issues()
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
            # an argument that does not fit the file (a usage error on the command line)
            shown = ", ".join(str(c)[:40] for c in df.columns[:12] if c != "source_row")
            raise ValueError(
                f"sessions pattern {sessions!r} matches no column of {source}; columns "
                f"present: {shown}" + (" ..." if len(df.columns) > 12 else "")
            )
        spec = pd.DataFrame(rows, columns=["column", "session", "scale_raw"])
        _map_labels(spec, labels, df, source)
    elif isinstance(sessions, Mapping):
        missing = [c for c in sessions if c not in df.columns]
        for c in missing:
            close = difflib.get_close_matches(str(c), [str(x) for x in df.columns], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            issues.add_one("error", "missing_column", c, f"no session column {c!r}{hint}")
        if issues.has_errors:
            raise_data_error(issues, source, df)
        vals = list(sessions.values())
        pairs = [isinstance(v, (tuple, list)) for v in vals]
        if any(pairs):
            if not all(pairs) or any(len(v) != 2 for v in vals):
                raise ValueError(
                    "sessions= mixes forms: give every column a session, or every column "
                    "a (scale, session) pair"
                )
            scale_raw, vals = [v[0] for v in vals], [v[1] for v in vals]
        else:
            scale_raw = None
        spec = pd.DataFrame({"column": list(sessions), "session": vals, "scale_raw": scale_raw})
        if labels is not None:
            _map_labels(spec, labels, df, source)
        elif any(isinstance(v, str) for v in vals):
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
            "the sessions pattern has a (?P<scale>...) group or sessions= gives "
            "{column: (scale, session)}"
        )
    return spec.drop(columns="scale_raw").reset_index(drop=True)


def _day_spec(df, days, spec, labels, source) -> dict[str, object]:
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
                by_session[_day_session(m.group("session"), labels)] = c
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


def _day_session(label, labels):
    """The session number of a day column's session group (a number or a mapped label)."""
    try:
        return float(label)
    except ValueError:
        table = {_label_key(k): v for k, v in (labels or {}).items()}
        value = table.get(_label_key(label))
        return float(value) if value is not None else label
