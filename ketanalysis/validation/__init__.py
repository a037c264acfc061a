"""Validation: every check of the data contract, the identifier guard and the report object.

:func:`validate` returns a :class:`ValidationReport` (issues, audit of excluded rows and the
clean frame); :class:`DataError` lists every problem with its rows and columns.
:func:`validate_vitals` and :func:`validate_adverse_events` do the same for safety data
with the same building blocks (see docs/architecture.md).

Modules
-------
columns
    Canonical column names and order of the score frame, item columns.
issues
    The issue collector and the wording of messages (row labels, lists of rows, numbers).
report
    :class:`ValidationReport`, :class:`DataError`, :class:`DataWarning`, ``warn_summary``.
identifiers
    The identifier (PHI) guard and the masking of refused values in messages.
context
    The working state of one validation; patient ids, sessions and numbers made canonical.
scores
    :func:`validate` and the checks of scores, items and duplicates.
days, baseline
    Checks of study days and of the baseline assessment.
timepoints
    Time points of vital-sign readings.
safety
    :func:`validate_vitals`, :func:`validate_adverse_events`,
    :class:`SafetyValidationReport` and the ranges and vocabularies they check.
"""

from .columns import CANONICAL_ORDER, PROVENANCE, REQUIRED
from .issues import ISSUE_COLUMNS
from .report import AUDIT_COLUMNS, DataError, DataWarning, ValidationReport
from .safety import (
    AE_SEVERITIES,
    VITAL_RANGES,
    SafetyValidationReport,
    validate_adverse_events,
    validate_vitals,
)
from .scores import validate
from .timepoints import TIMEPOINTS

__all__ = [
    "AE_SEVERITIES",
    "AUDIT_COLUMNS",
    "CANONICAL_ORDER",
    "ISSUE_COLUMNS",
    "PROVENANCE",
    "REQUIRED",
    "TIMEPOINTS",
    "VITAL_RANGES",
    "DataError",
    "DataWarning",
    "SafetyValidationReport",
    "ValidationReport",
    "validate",
    "validate_adverse_events",
    "validate_vitals",
]
