"""Validation: every check of the data contract, the identifier guard and the report object.

:func:`validate` returns a :class:`ValidationReport` (issues, audit of excluded rows and the
clean frame); :class:`DataError` lists every problem with its rows and columns.
"""

from .scores import (
    AUDIT_COLUMNS,
    CANONICAL_ORDER,
    ISSUE_COLUMNS,
    PROVENANCE,
    REQUIRED,
    DataError,
    DataWarning,
    ValidationReport,
    validate,
)

__all__ = [
    "AUDIT_COLUMNS",
    "CANONICAL_ORDER",
    "ISSUE_COLUMNS",
    "PROVENANCE",
    "REQUIRED",
    "DataError",
    "DataWarning",
    "ValidationReport",
    "validate",
]
