"""PHI guard: find columns whose names or values look like direct identifiers.

The guard is deliberately conservative: ketanalysis takes de-identified data only, so a
column that *looks* like names, e-mail addresses, phone numbers, US social security numbers,
medical record numbers, street addresses or calendar dates is refused unless the user names
it in ``allow_identifiers``. Numeric scores, relative days and coded covariates never match.

The categories follow the direct identifiers of the HIPAA Safe Harbor method
(45 CFR 164.514(b)(2)): names, geographic subdivisions smaller than a state (street
address, ZIP code), all elements of dates (except year) directly related to an
individual, telephone numbers, e-mail addresses, social security numbers and medical
record numbers.

:func:`scan` finds such columns; :func:`guard_identifiers` turns its findings into errors of
a validation; :class:`Shower` writes data values into messages, masked (:func:`mask`) for the
columns the guard refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import PROVENANCE
from .issues import list_rows

# Column names (lower case, non-alphanumerics squashed to "_") that are identifiers by name.
_NAME_RULES: tuple[tuple[str, re.Pattern], ...] = (
    (
        "names",
        re.compile(
            r"^(patient_|pt_|subject_|first_|last_|full_|given_|family_|middle_|maiden_|"
            r"sur|fore|nick)?names?$|^(firstname|lastname|fullname|initials)$"
        ),
    ),
    ("e-mail addresses", re.compile(r"^(e_?mail|email_address|e_?mail_?addr)$")),
    (
        "phone numbers",
        re.compile(r"^(phone|telephone|tel|mobile|cell|cell_?phone|fax)(_?(number|no|num))?$"),
    ),
    (
        "social security numbers",
        re.compile(r"^(ssn|social_?security(_?(number|no))?|sin|nhs_?(number|no|num))$"),
    ),
    (
        "medical record numbers",
        re.compile(
            r"^(mrn|mr_?(number|no|num)|medical_?record(_?(number|no|num))?|"
            r"hospital_?(number|no|num|id)|chart_?(number|no|num))$"
        ),
    ),
    (
        "street addresses",
        re.compile(r"^(home_|street_|postal_|mailing_)?(address|street|zip|zip_?code|post_?code)$"),
    ),
    (
        "calendar dates",
        re.compile(
            r"^(dob|birth_?date|birthday|date_?of_?birth|date)$|(^|_)date(_|$)|"
            r"_(dt|datetime|timestamp)$"
        ),
    ),
)

_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
# Value patterns, tried on the distinct non-missing text values of each column.
_VALUE_RULES: tuple[tuple[str, re.Pattern], ...] = (
    ("e-mail addresses", re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")),
    ("social security numbers", re.compile(r"^\d{3}-\d{2}-\d{4}$")),
    (
        "medical record numbers",
        re.compile(r"^(MRN|MR#|MR|MEDREC)[\s:#-]*\d{4,}$", re.IGNORECASE),
    ),
    (
        "calendar dates",
        re.compile(
            r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}.*)?$"
            r"|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$"
            r"|^\d{4}/\d{1,2}/\d{1,2}$"
            rf"|^\d{{1,2}}[\s-]{_MONTH}[\s-]\d{{2,4}}$"
            rf"|^{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}$",
            re.IGNORECASE,
        ),
    ),
    (
        "phone numbers",
        re.compile(r"^(\+\d{1,3}[\s.-]?)?(\(\d{2,5}\)|\d{2,5})[\s.-]\d{2,4}([\s.-]\d{2,4}){0,3}$"),
    ),
    (
        "street addresses",
        re.compile(
            r"^\d+[A-Za-z]?\s+([A-Za-z'.-]+\s+){1,4}(street|st|avenue|ave|road|rd|lane|ln|drive|"
            r"dr|boulevard|blvd|way|court|ct|place|pl|terrace|close|crescent)\b\.?",
            re.IGNORECASE,
        ),
    ),
)
# Personal names: two or three capitalised words (Latin-1 letters: "María López"), the
# middle one possibly an initial ("Maria J. Lopez"), "Lopez, Maria", "O'Brien",
# "McDonald", "Smith-Jones".
_UP, _LO = "[A-ZÀ-ÖØ-Þ]", "[a-zß-öø-ÿ]"
_WORD = rf"{_UP}(?:{_LO}+(?:{_UP}{_LO}+)?|'{_UP}{_LO}+)(?:[-']{_UP}?{_LO}+)?"
_PERSON_NAME = re.compile(rf"^{_WORD},?(?:\s+(?:{_UP}\.?|{_WORD}))?\s+{_WORD}$")
_MIN_DIGITS_PHONE = 9


@dataclass(frozen=True)
class Finding:
    """A column that looks like a direct identifier."""

    column: str
    kind: str
    by: str  # "name", "type" or "values"
    positions: np.ndarray  # 0-based positions of offending rows (empty for by="name")
    examples: tuple[str, ...] = ()


def squash(name) -> str:
    """Lower-case a column name and squash runs of non-alphanumerics to one underscore."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")


def scan(
    frame: pd.DataFrame,
    *,
    allow=(),
    n_patients: int | None = None,
    patient: str | None = "patient_id",
) -> list[Finding]:
    """Return the columns of ``frame`` that look like direct identifiers.

    Parameters
    ----------
    frame : DataFrame
    allow : iterable of str
        Column names the user explicitly allows; never reported.
    n_patients : int, optional
        Number of distinct patients; a column is taken for personal names only when it has
        at least half as many distinct name-like values as there are patients.
    patient : str or None, default "patient_id"
        The patient key column, if present. Its values may have the shape of a phone
        number (trial ids such as ``101-0042`` or ``2024-001-0042``); and a column is taken
        for personal names only when each name-like value belongs to a single patient
        (a drug or site name shared by many patients is a category, not a name).
    """
    allowed = set(allow)
    pid = frame[patient] if patient is not None and patient in frame.columns else None
    findings: list[Finding] = []
    for col in frame.columns:
        if col in allowed:
            continue
        s = frame[col]
        key = squash(col)
        by_name = next((kind for kind, rx in _NAME_RULES if rx.search(key)), None)
        if by_name is not None:
            findings.append(Finding(str(col), by_name, "name", np.array([], dtype=int)))
            continue
        if pd.api.types.is_datetime64_any_dtype(s.dtype) or isinstance(s.dtype, pd.PeriodDtype):
            pos = np.flatnonzero(s.notna().to_numpy())
            findings.append(Finding(str(col), "calendar dates", "type", pos))
            continue
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            continue
        finding = _scan_values(
            str(col), s, n_patients, pid=None if col == patient else pid, is_key=col == patient
        )
        if finding is not None:
            findings.append(finding)
    return findings


def _scan_values(
    col: str, s: pd.Series, n_patients: int | None, *, pid=None, is_key=False
) -> Finding | None:
    values = s.dropna()
    if values.empty:
        return None
    # Dates and datetimes stored as Python objects (e.g. from Excel or SPSS readers).
    first = values.iloc[0]
    if isinstance(first, (pd.Timestamp, np.datetime64)) or hasattr(first, "isoformat"):
        pos = np.flatnonzero(s.notna().to_numpy())
        return Finding(col, "calendar dates", "type", pos)
    # the text work is done on the distinct values only
    stripped = pd.Series(pd.unique(values), dtype=object).astype(str).str.strip()
    uniques = pd.Series(pd.unique(stripped), dtype=object)
    # Every identifier pattern needs a separator (space, -, /, ., @, parentheses, +) or
    # starts with MR: values without either (coded ids like K0001) skip the regexes.
    maybe = uniques.str.contains(
        r"[\s/.\-()+@:#,]", regex=True
    ) | uniques.str.upper().str.startswith(("MR", "MEDREC"))
    uniques = uniques[maybe.to_numpy(dtype=bool)].reset_index(drop=True)
    n_distinct = len(maybe)
    if uniques.empty:
        return None
    for kind, rx in _VALUE_RULES:
        if is_key and kind == "phone numbers":
            continue
        hit = _matches(uniques, rx)
        if kind == "phone numbers" and hit.any():
            digits = uniques.str.count(r"\d")
            hit &= digits >= _MIN_DIGITS_PHONE
        if hit.any():
            return _finding_from_hits(col, s, uniques[hit], kind)
    hit = _matches(uniques, _PERSON_NAME)
    n_hit = int(hit.sum())
    threshold = max(3, 0.5 * (n_patients or 0))
    if n_hit >= threshold and n_hit >= 0.5 * n_distinct:
        if pid is not None and not _one_patient_each(s, pid, set(uniques[hit])):
            return None
        return _finding_from_hits(col, s, uniques[hit], "names")
    return None


def _one_patient_each(s: pd.Series, pid: pd.Series, names: set) -> bool:
    """True when at least 90 % of the name-like values each belong to a single patient."""
    text = s.astype(str).str.strip()
    keep = text.isin(names).to_numpy() & s.notna().to_numpy() & pid.notna().to_numpy()
    if not keep.any():
        return False
    per_value = pd.DataFrame({"v": text[keep], "p": pid[keep]}).groupby("v")["p"].nunique()
    return bool((per_value == 1).mean() >= 0.9)


def _matches(values: pd.Series, rx: re.Pattern) -> pd.Series:
    return pd.Series([rx.search(v) is not None for v in values], index=values.index, dtype=bool)


def _finding_from_hits(col: str, s: pd.Series, hits: pd.Series, kind: str) -> Finding:
    text = s.astype(str).str.strip()
    pos = np.flatnonzero(text.isin(set(hits)).to_numpy() & s.notna().to_numpy())
    # Examples are masked: an error message must not repeat the identifier it refuses.
    return Finding(col, kind, "values", pos, tuple(mask(v) for v in hits.iloc[:2]))


def mask(value) -> str:
    """Mask a value for messages: first and last character kept, the rest as ``*``."""
    value = str(value)
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


class Shower:
    """Shows data values in messages, masking those of columns the PHI guard refused.

    A message must not repeat an identifier that the guard refuses, whichever check
    writes it (a date in the ``day`` column, names used as patient ids).
    """

    def __init__(self, masked: Iterable[str] = ()):
        self._masked = frozenset(masked)

    def masks(self, column) -> bool:
        return column in self._masked

    def value(self, column, v) -> str:
        """``repr`` of a value, masked when its column was refused."""
        return repr(mask(str(v).strip())) if column in self._masked else repr(v)

    def render(self, column):
        return lambda v: self.value(column, v)

    def patient(self, p) -> str:
        """A patient id for messages (masked when the patient_id column was refused)."""
        return mask(str(p)) if "patient_id" in self._masked else str(p)


def guard_identifiers(ctx, allow_identifiers) -> list[Finding]:
    """PHI guard: an error for every column that looks like a direct identifier.

    ``ctx`` is the :class:`ketanalysis.validation.context.Context` of the validation (its
    ``df``, ``rows`` and ``issues`` are used); returns the findings of :func:`scan`.
    """
    df, rows = ctx.df, ctx.rows
    n_patients = df["patient_id"].nunique() if "patient_id" in df.columns else None
    findings = scan(
        df.drop(columns=list(PROVENANCE), errors="ignore"),
        allow=allow_identifiers,
        n_patients=n_patients,
    )
    for f in findings:
        if f.by == "name":
            what = f"its name says it holds {f.kind}"
        elif f.by == "type":
            what = f"it holds {f.kind} ({list_rows(rows[f.positions])})"
        else:
            ex = ", ".join(repr(e) for e in f.examples)
            what = f"its values look like {f.kind} ({list_rows(rows[f.positions])}; e.g. {ex})"
        convert = "convert them with ka.to_relative_days, " if f.kind == "calendar dates" else ""
        ctx.issues.add_one(
            "error",
            "identifier",
            f.column,
            f"{what}: ketanalysis takes de-identified data only; remove the column, "
            f"{convert}or pass allow_identifiers=[{f.column!r}]",
            row=rows[f.positions[0]] if len(f.positions) else None,
        )
    return findings
