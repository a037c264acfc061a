"""Argument checks shared by the functions of :mod:`ketanalysis.stats`.

Every stats function checks its arguments with these, so that one kind of mistake gives one
kind of message: the parameter, the bad value and what would be valid (see
``docs/architecture.md``). :func:`check_level` is the one check of a confidence level.
"""

from __future__ import annotations

import difflib
import numbers

import numpy as np
import pandas as pd

__all__ = [
    "as_binary",
    "as_float",
    "by_list",
    "check_columns",
    "check_level",
    "group_levels",
    "is_binary_dtype",
    "session_key",
    "sort_key",
    "two_groups",
]


def check_level(level, name: str = "level") -> float:
    """Check that a confidence level is a probability in (0, 1) and return it as a float.

    Parameters
    ----------
    level : float
        The confidence level, e.g. 0.95 (not 95).
    name : str, default "level"
        The parameter named in the error message.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When ``level`` is not a number strictly between 0 and 1; a percentage such as 95
        is answered with the probability it means (0.95).

    Examples
    --------
    >>> check_level(0.9)
    0.9
    >>> check_level(95)
    Traceback (most recent call last):
    ...
    ValueError: level must be a probability between 0 and 1 such as 0.95, got 95 (did you mean 0.95?)
    """
    ok = isinstance(level, numbers.Real) and not isinstance(level, bool)
    if ok and 0 < float(level) < 1:
        return float(level)
    hint = ""
    if ok and 1 < float(level) < 100:
        hint = f" (did you mean {float(level) / 100:g}?)"
    raise ValueError(
        f"{name} must be a probability between 0 and 1 such as 0.95, got {level!r}{hint}"
    )


def check_columns(frame: pd.DataFrame, columns, param: str) -> None:
    """Raise ValueError naming ``param`` unless every one of ``columns`` is in ``frame``.

    Parameters
    ----------
    frame : DataFrame
    columns : sequence of str
    param : str
        The parameter the columns came from, named in the message with a close match
        ("did you mean ...?") and the columns present.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hints = []
        for c in missing:
            close = difflib.get_close_matches(str(c), [str(x) for x in frame.columns], n=1)
            hints.append(f"{c!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(
            f"{param}={', '.join(hints)} is not a column of the data; columns: "
            f"{', '.join(map(str, frame.columns))}"
        )


def by_list(frame: pd.DataFrame, by) -> list[str]:
    """The grouping columns ``by`` as a list (empty for None), checked against ``frame``.

    Parameters
    ----------
    frame : DataFrame
    by : str, sequence of str or None

    Returns
    -------
    list of str
    """
    if by is None:
        return []
    cols = [by] if isinstance(by, str) else list(by)
    check_columns(frame, cols, "by")
    return cols


def as_float(col: pd.Series, param: str, name) -> pd.Series:
    """A column as float with NaN for missing; ValueError naming ``param`` if not numeric.

    Parameters
    ----------
    col : Series
    param : str
        The parameter named in the error.
    name : str
        The column named in the error.

    Returns
    -------
    Series
    """
    try:
        return pd.Series(
            pd.to_numeric(col).astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            index=col.index,
        )
    except (TypeError, ValueError):
        raise ValueError(f"{param}={name!r}: column is not numeric ({col.dtype})") from None


def as_binary(col: pd.Series, param: str, name) -> pd.Series:
    """A 0/1 float series with NaN for missing; ValueError if other values occur.

    Parameters
    ----------
    col : Series
    param, name : str
        The parameter and the column named in the error.

    Returns
    -------
    Series
    """
    if is_binary_dtype(col):
        values = pd.Series(
            col.astype("Float64").to_numpy(dtype=float, na_value=np.nan), index=col.index
        )
    else:
        values = as_float(col, param, name)
    bad = values.notna() & ~values.isin([0.0, 1.0])
    if bad.any():
        raise ValueError(f"{param}={name!r}: column is not binary (values other than 0/1)")
    return values


def sort_key(v):
    """Sort key putting numbers (in order) before text (in order).

    Parameters
    ----------
    v : object

    Returns
    -------
    tuple
    """
    return (0, v) if isinstance(v, (int, float, np.number)) else (1, str(v))


def is_binary_dtype(col: pd.Series) -> bool:
    """Whether a column is boolean (numpy or pandas nullable).

    Parameters
    ----------
    col : Series

    Returns
    -------
    bool
    """
    return pd.api.types.is_bool_dtype(col) or isinstance(col.dtype, pd.BooleanDtype)


def group_levels(col: pd.Series) -> list:
    """Distinct non-missing values in category order (else sorted).

    Parameters
    ----------
    col : Series

    Returns
    -------
    list
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        present = set(col.dropna())
        return [c for c in col.cat.categories if c in present]
    return sorted(pd.unique(col.dropna()), key=sort_key)


def two_groups(col: pd.Series, groups, by: str) -> tuple:
    """The pair of groups a difference compares: ``groups`` checked, or the two values.

    Parameters
    ----------
    col : Series
        The ``by`` column.
    groups : pair or None
        ``(a, b)``; default the two values of ``col`` (error when there are not two).
    by : str
        The column name, for the messages.

    Returns
    -------
    tuple
    """
    levels = group_levels(col)
    if groups is not None:
        groups = tuple(groups)
        if len(groups) != 2:
            raise ValueError(f"groups must be a pair (a, b), got {groups!r}")
        missing = [g for g in groups if g not in levels]
        if missing:
            raise ValueError(
                f"groups={groups!r}: {missing[0]!r} is not a value of by={by!r}; "
                f"values: {', '.join(map(str, levels))}"
            )
        return groups
    if len(levels) != 2:
        raise ValueError(
            f"by={by!r} has {len(levels)} group(s) ({', '.join(map(str, levels)) or 'none'}); "
            "a difference needs exactly two: pass groups=(a, b)"
        )
    return levels[0], levels[1]


def session_key(col: pd.Series, name: str) -> np.ndarray:
    """Session values as sortable floats (codes of an ordered categorical).

    Parameters
    ----------
    col : Series
    name : str
        The session column, named in the error.

    Returns
    -------
    ndarray
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        if not col.cat.ordered:
            raise ValueError(f"session={name!r}: a categorical session must be ordered")
        return col.cat.codes.to_numpy().astype(float)
    try:
        return pd.to_numeric(col).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ValueError(
            f"session={name!r} must be numeric or an ordered categorical, got {col.dtype}"
        ) from None
