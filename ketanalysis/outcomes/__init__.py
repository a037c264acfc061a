"""Outcomes: criteria, and their derivation across sessions for scores and safety data.

:mod:`.criteria` holds the definitions (response, remission, relapse, ...); :func:`derive`
turns a validated score frame into :class:`Outcomes`; :func:`derive_safety` does the same
for vital signs, dissociation and adverse events.
"""

from . import criteria
from .engine import Outcomes, derive
from .safety import SafetyOutcomes, SafetyThresholds, derive_safety

__all__ = [
    "Outcomes",
    "SafetyOutcomes",
    "SafetyThresholds",
    "criteria",
    "derive",
    "derive_safety",
]
