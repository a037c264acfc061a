"""Readers: files and frames in, the canonical long frames out (see docs/architecture.md).

Scores come from long files of every common format, wide files and REDCap exports; calendar
dates become study days; vital signs and adverse events are read the same way. Readers
never drop a row: what validation will exclude is announced, and
:func:`ketanalysis.validate` (or :func:`ketanalysis.validate_vitals`,
:func:`ketanalysis.validate_adverse_events`) audits it.

Modules
-------
files
    Loading every file format or a DataFrame, row numbers of the input, type inference,
    column mapping and the errors of readers.
scores
    :func:`read_scores` (long data) and the validation every score reader ends with.
wide
    :func:`from_wide` (one column per session).
redcap
    :func:`read_redcap` (REDCap longitudinal exports) and :func:`read_redcap_repeating`
    (the rows of a repeating instrument, e.g. adverse events).
dates
    :func:`to_relative_days` (calendar dates to study days).
safety
    :func:`read_vitals` and :func:`read_adverse_events`.
"""

from .dates import to_relative_days
from .redcap import read_redcap, read_redcap_repeating
from .safety import read_adverse_events, read_vitals
from .scores import read_scores
from .wide import from_wide

__all__ = [
    "from_wide",
    "read_adverse_events",
    "read_redcap",
    "read_redcap_repeating",
    "read_scores",
    "read_vitals",
    "to_relative_days",
]
