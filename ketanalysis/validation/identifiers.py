"""PHI guard: find columns whose names or values look like direct identifiers.

Anchor: the HIPAA Safe Harbor method, 45 CFR 164.514(b)(2): its 18 identifier kinds (names;
geographic subdivisions smaller than a state, ZIP and other postcodes; all elements of
dates except the year, and ages over 89; telephone and fax numbers; e-mail addresses;
social security numbers; medical record, health plan beneficiary, account and
certificate/licence numbers; vehicle and device identifiers and serial numbers; URLs; IP
addresses; biometric identifiers; photographs; any other unique identifying number). The
patterns are in :mod:`.identifier_patterns`.

ketanalysis takes de-identified data only. The guard checks column names, whole values and
tokens inside free text, case-insensitively; numeric columns only where the name says
age or id/number. A column of free text (a text covariate with more than
:data:`MAX_LEVELS` levels and more levels than :data:`LEVEL_SHARE` of the patients) is
refused too, whatever it holds: a covariate must be numeric or categorical. Each refusal
is a ``DataError`` naming the column, the kind and the rows, never the value (examples are
masked by :func:`mask`). ``allow_identifiers`` names columns to let through.

:func:`scan` finds such columns; :func:`guard_identifiers` turns its findings into errors of
a validation; :class:`Shower` writes data values into messages, masked for the columns the
guard refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import identifier_patterns as _p
from .columns import PROVENANCE, is_item
from .issues import list_rows

__all__ = [
    "LEVEL_SHARE",
    "MAX_LEVELS",
    "Finding",
    "Shower",
    "guard_identifiers",
    "is_free_text",
    "mask",
    "scan",
]

#: A text covariate with at most this many levels is categorical (a Table 1 block).
MAX_LEVELS = 20
#: ... or with levels for at most this share of the patients (20 patients per level on
#: average: a level is shared by patients, not one patient's own text).
LEVEL_SHARE = 0.05
FREE_TEXT = "free text"
AGES = "ages over 89"
# canonical columns of scores and safety data: never "free text" (their own checks apply)
ROLES = frozenset(
    "patient_id session scale score day timepoint minutes sbp dbp hr spo2 cadss ae_term "
    "severity serious source_column".split()
)
squash = _p.squash
_PERSON_WORD = re.compile(r"^[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?$")
_WORDS = re.compile(r"[A-Za-z][A-Za-z'-]*\.?")


@dataclass(frozen=True)
class Finding:
    """A column that looks like a direct identifier."""

    column: str
    kind: str
    by: str  # "name", "type" or "values"
    positions: np.ndarray  # 0-based positions of offending rows (empty for by="name")
    examples: tuple[str, ...] = ()


def scan(
    frame: pd.DataFrame,
    *,
    allow=(),
    n_patients: int | None = None,
    patient: str | None = "patient_id",
) -> list[Finding]:
    """Return the columns of ``frame`` that look like direct identifiers (or free text).

    Parameters
    ----------
    frame : DataFrame
    allow : iterable of str
        Column names the user explicitly allows; never reported.
    n_patients : int, optional
        Number of distinct patients (for the free-text rule and whole-value names).
    patient : str or None, default "patient_id"
        The patient key column, if present. Its values may have the shape of a phone
        number (trial ids such as ``2024-001-0042``); a column is taken for personal names
        by shape alone only when each name-like value belongs to a single patient.
    """
    allowed = set(allow)
    pid = frame[patient] if patient is not None and patient in frame.columns else None
    findings: list[Finding] = []
    for col in frame.columns:
        if col in allowed:
            continue
        f = _scan_column(frame[col], str(col), n_patients, pid, col == patient)
        if f is not None:
            findings.append(f)
    return findings


def _scan_column(s, col, n_patients, pid, is_key) -> Finding | None:
    key = squash(col)
    if key not in _p.INNOCENT_NAMES:
        for letter, rx in _p.NAME_RULES:
            if rx.search(key):
                return Finding(col, _p.KINDS[letter], "name", np.array([], dtype=int))
    if pd.api.types.is_datetime64_any_dtype(s.dtype) or isinstance(s.dtype, pd.PeriodDtype):
        return Finding(col, _p.KINDS["C"], "type", np.flatnonzero(s.notna().to_numpy()))
    if pd.api.types.is_bool_dtype(s.dtype):
        return None
    if pd.api.types.is_numeric_dtype(s.dtype):
        return _scan_numbers(s, col, key)
    return _scan_text(s, col, key, n_patients, None if is_key else pid, is_key)


def _scan_numbers(s, col, key) -> Finding | None:
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    if key == "age" or key.startswith("age_"):
        hit = v > 89
        if hit.any():
            return Finding(col, AGES, "values", np.flatnonzero(hit), ("a number above 89",))
    if _p.ID_LIKE.search(key):
        hit = (np.abs(v) >= 1e8) & (np.abs(v) < 1e20) & (np.mod(v, 1) == 0)
        if hit.any():
            nine = (np.abs(v[hit]) < 1e9).all()
            kind = _p.KINDS["G" if nine else "R"]
            return Finding(col, kind, "values", np.flatnonzero(hit), ("a number of 9+ digits",))
    return None


def _scan_text(s, col, key, n_patients, pid, is_key) -> Finding | None:
    present = s.notna().to_numpy()
    values = s[present]
    if values.empty:
        return None
    first = values.iloc[0]
    if isinstance(first, (pd.Timestamp, np.datetime64)) or hasattr(first, "isoformat"):
        return Finding(col, _p.KINDS["C"], "type", np.flatnonzero(present))
    # the text work is done on the distinct values only (vectorised over the rows)
    raw = np.asarray(pd.unique(values), dtype=object)
    stripped = pd.Series([str(v).strip() for v in raw], dtype=object)
    text = _LazyText(s, present, raw, stripped)
    uniques = [u for u in pd.unique(stripped) if u]
    id_like = bool(_p.ID_LIKE.search(key)) or is_key
    for u in uniques:
        hit = _identifier_in(u, is_key, id_like)
        if hit is not None:
            letter, token = hit
            return _finding(col, text, present, uniques, is_key, id_like, letter, token)
    f = _names_by_shape(col, text, present, uniques, n_patients, pid)
    if f is not None:
        return f
    if col in ROLES or is_item(col) or not _too_many_levels(len(uniques), n_patients, present):
        return None
    return Finding(
        col, FREE_TEXT, "values", np.flatnonzero(present), (f"{len(uniques)} distinct values",)
    )


class _LazyText:
    """The stripped text of a column, built only when rows must be found (a hit)."""

    def __init__(self, s, present, raw, stripped):
        self._s, self._present, self._raw, self._stripped = s, present, raw, stripped
        self._series = None

    def isin(self, hits: set) -> pd.Series:
        """Rows whose stripped text is in ``hits`` (found through the distinct values)."""
        raw = [r for r, t in zip(self._raw, self._stripped, strict=True) if t in hits]
        return self._s.astype(object).isin(raw) & pd.Series(self._present, index=self._s.index)

    def series(self) -> pd.Series:
        if self._series is None:
            text = pd.Series(np.full(len(self._s), None, dtype=object))
            lookup = dict(zip(self._raw, self._stripped, strict=True))
            text[self._present] = self._s[self._present].astype(object).map(lookup).to_numpy()
            self._series = text
        return self._series


def _too_many_levels(n_levels: int, n_patients, present) -> bool:
    basis = n_patients if n_patients else int(np.sum(present))
    return n_levels > MAX_LEVELS and n_levels > LEVEL_SHARE * basis


def is_free_text(values: pd.Series, n_patients: int | None = None) -> bool:
    """True for text (not numeric, boolean or categorical dtype) with too many levels.

    Too many: more than :data:`MAX_LEVELS` distinct values and more than
    :data:`LEVEL_SHARE` of ``n_patients`` (of the non-missing rows when not given). Such
    a column is never tabulated, even when ``allow_identifiers`` lets it through.
    """
    if (
        pd.api.types.is_numeric_dtype(values.dtype)
        or pd.api.types.is_bool_dtype(values.dtype)
        or isinstance(values.dtype, pd.CategoricalDtype)
    ):
        return False
    present = values.notna().to_numpy()
    n_levels = values[present].astype(str).str.strip().nunique()
    return _too_many_levels(n_levels, n_patients, present)


def _identifier_in(value: str, is_key: bool, id_like: bool):
    """(kind letter, matched text) of the first identifier in ``value``, or None."""
    if id_like and re.fullmatch(r"\d{9}", value):
        return "G", value
    if id_like and re.fullmatch(r"\d{10,19}", value):
        return "R", value
    if not is_key:
        m = _p.PHONE.search(value)
        if m is not None and sum(c.isdigit() for c in m.group()) >= 9:
            return "D", m.group()
    for letter, rx in _p.TEXT_RULES:
        m = rx.search(value)
        if m is not None:
            return letter, m.group()
    name = _name_in_text(value)
    if name is not None:
        return "A", name
    return None


def _name_in_text(value: str) -> str | None:
    """A given name + surname pair (or title + surname, "SURNAME, Given") in ``value``."""
    folded = _p.fold(value)
    # middle initials ("Maria J. Lopez") are left out of the pairs
    words = [w.rstrip(".") for w in _WORDS.findall(folded) if len(w.rstrip(".")) > 1]
    low = [w.lower() for w in words]
    for i in range(len(words) - 1):
        g, w = low[i].split("-")[-1], low[i + 1]
        pair = f"{words[i]} {words[i + 1]}"
        if w in _p.STOP or len(w) < 2:
            continue
        if i and low[i - 1] in _p.PLACE_PREFIX:
            continue
        capitalised = words[i][:1].isupper() and words[i + 1][:1].isupper()
        if g in _p.GIVEN:
            if g not in _p.AMBIGUOUS or w in _p.SURNAMES:
                return pair
            if capitalised and words[i + 1][1:].islower() and w not in _p.GIVEN:
                return pair
        if g in _p.SURNAMES and w in _p.GIVEN:
            return pair
        if g in _TITLE_WORDS and (w in _p.SURNAMES or words[i + 1][:1].isupper()):
            return pair
    return None


_TITLE_WORDS = frozenset("mr mrs ms miss dr prof mme mlle monsieur madame herr frau".split())


def _finding(col, text, present, uniques, is_key, id_like, letter, token) -> Finding:
    hits = {u for u in uniques if _identifier_in(u, is_key, id_like) is not None}
    pos = np.flatnonzero(text.isin(hits).to_numpy() & present)
    return Finding(col, _p.KINDS[letter], "values", pos, (mask(token),))


def _names_by_shape(col, text, present, uniques, n_patients, pid) -> Finding | None:
    """Whole values shaped like personal names ("Maria Lopez"), one patient each."""
    shaped = [u for u in uniques if _is_person_shape(u)]
    threshold = max(3, 0.5 * (n_patients or 0))
    if len(shaped) < threshold or len(shaped) < 0.5 * len(uniques):
        return None
    if pid is not None:
        keep = text.isin(set(shaped)).to_numpy() & present & pid.notna().to_numpy()
        series = text.series()
        per = pd.DataFrame({"v": series[keep], "p": pid[keep].to_numpy()}).groupby("v")["p"]
        per = per.nunique()
        if not len(per) or (per == 1).mean() < 0.9:
            return None
    pos = np.flatnonzero(text.isin(set(shaped)).to_numpy() & present)
    return Finding(col, _p.KINDS["A"], "values", pos, (mask(shaped[0]),))


def _is_person_shape(value: str) -> bool:
    words = _p.fold(value).replace(",", " ").split()
    if not 2 <= len(words) <= 3:
        return False
    inner = [w for w in words[1:-1] if not re.fullmatch(r"[A-Z]\.?", w)]
    return all(_PERSON_WORD.match(w) for w in [words[0], *inner, words[-1]])


def mask(value) -> str:
    """Mask a value for messages: its shape only (letters ``x``/``X``, digits ``9``).

    ``"John Smith"`` -> ``"Xxxx Xxxxx"``, ``"078-05-1120"`` -> ``"999-99-9999"``.
    """
    out = re.sub(r"[^\W\d_]", lambda m: "X" if m.group().isupper() else "x", str(value))
    return re.sub(r"\d", "9", out)


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
        where = list_rows(rows[f.positions]) if len(f.positions) else ""
        if f.by == "name":
            what = f"its name says it holds {f.kind}"
        elif f.by == "type":
            what = f"it holds {f.kind} ({where})"
        elif f.kind == FREE_TEXT:
            what = (
                f"it holds free text ({f.examples[0]}; a covariate must be numeric or "
                f"categorical with at most {MAX_LEVELS} levels or one level per "
                f"{round(1 / LEVEL_SHARE)} patients), which may hold identifiers and is "
                "never tabulated"
            )
        else:
            ex = ", ".join(repr(e) for e in f.examples)
            what = f"its values look like {f.kind} ({where}; e.g. {ex})"
        convert = "convert them with ka.to_relative_days, " if f.kind == _p.KINDS["C"] else ""
        ctx.issues.add_one(
            "error",
            "identifier",
            f.column,
            f"{what}: ketanalysis takes de-identified data only; remove the column, "
            f"{convert}or pass allow_identifiers=[{f.column!r}]",
            row=rows[f.positions[0]] if len(f.positions) else None,
        )
    return findings
