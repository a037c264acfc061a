"""Outcomes: criteria, and their derivation across sessions for scores and safety data.

:func:`derive` turns a validated score frame into :class:`Outcomes` under the definitions
of :mod:`.criteria` (response, remission, relapse, ...); :func:`derive_safety` does the same
for vital signs, dissociation and adverse events (see docs/architecture.md).

Modules
-------
criteria
    The definitions and their defaults per scale.
scores
    :func:`derive` and its result :class:`Outcomes`.
engine
    The vectorised derivation engine behind :func:`derive`.
safety
    :class:`SafetyThresholds`, :func:`derive_safety` and its result :class:`SafetyOutcomes`.
"""

from . import criteria
from .safety import SafetyOutcomes, SafetyThresholds, derive_safety
from .scores import Outcomes, derive

__all__ = [
    "Outcomes",
    "SafetyOutcomes",
    "SafetyThresholds",
    "criteria",
    "derive",
    "derive_safety",
]
