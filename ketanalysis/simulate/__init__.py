"""Simulation: synthetic cohorts and their safety data, and power analysis by simulation.

The layer sits above :mod:`ketanalysis.outcomes` and :mod:`ketanalysis.stats`:

- :mod:`.cohort` and :mod:`.safety`: the cohort and safety simulators (numpy and pandas
  only); :mod:`.sample` writes the sample files from them;
- :mod:`.power`: power and sample size by simulation (the public API and
  :class:`PowerResult`), with the simple designs of :mod:`.designs`, the analyses of each
  simulated trial in :mod:`.analyses` (``analysis="mmrm"`` is the primary analysis of
  :mod:`ketanalysis.stats.primary`, as in the report) and the parallel runner of
  :mod:`.runner`. Power imports the cohort simulator, never the reverse, and no module
  here imports this package.

``python -m ketanalysis.simulate OUT_DIR`` (or ``make sample``) writes ``data/sample/``.
"""

from .cohort import SCALE_ORDER, schedule, simulate_cohort
from .power import (
    ANALYSES,
    PowerResult,
    binary_outcome,
    normal_outcome,
    power,
    power_curve,
    sample_size,
)
from .safety import AE_TERMS, simulate_safety
from .sample import write_sample

__all__ = [
    "AE_TERMS",
    "ANALYSES",
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
