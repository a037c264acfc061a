"""Simulation: synthetic cohorts and their safety data, and power analysis by simulation.

The layer sits above :mod:`ketanalysis.outcomes` and :mod:`ketanalysis.stats`: the cohort
and safety simulators use only numpy and pandas; :mod:`.power` imports the cohort simulator
(never the reverse) and analyses each simulated trial with the primary analysis of
:mod:`ketanalysis.stats.primary`.

``python -m ketanalysis.simulate OUT_DIR`` (or ``make sample``) writes ``data/sample/``.
"""

from .cohort import SCALE_ORDER, schedule, simulate_cohort, write_sample
from .power import (
    ENDPOINTS,
    PowerResult,
    binary_outcome,
    normal_outcome,
    power,
    power_curve,
    sample_size,
)
from .safety import AE_TERMS, simulate_safety

__all__ = [
    "AE_TERMS",
    "ENDPOINTS",
    "SCALE_ORDER",
    "PowerResult",
    "binary_outcome",
    "normal_outcome",
    "power",
    "power_curve",
    "sample_size",
    "schedule",
    "simulate_cohort",
    "simulate_safety",
    "write_sample",
]
