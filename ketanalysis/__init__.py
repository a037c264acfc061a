"""ketanalysis: outcome analysis for ketamine and esketamine therapy of depression.

Load de-identified rating-scale scores, validate them, derive response, remission and
relapse across sessions, fit the statistics papers report and draw publication figures.

>>> import ketanalysis as ka
>>> frame = ka.read_scores("data/sample/cohort_long.csv")
>>> report = ka.validate(frame)
>>> report.ok, report.frame["patient_id"].nunique()
(True, 150)

``import ketanalysis`` loads numpy and pandas only; scipy, statsmodels and matplotlib are
imported by the modules that need them.
"""

from . import scales
from .io import (
    from_wide,
    read_adverse_events,
    read_redcap,
    read_redcap_repeating,
    read_scores,
    read_vitals,
    to_relative_days,
)
from .outcomes import (
    Outcomes,
    SafetyOutcomes,
    SafetyThresholds,
    criteria,
    derive,
    derive_safety,
)
from .validation import (
    DataError,
    DataWarning,
    ValidationReport,
    validate,
    validate_adverse_events,
    validate_vitals,
)

__version__ = "0.1.0.dev0"

# Loaded on first use, so that `python -m ketanalysis.simulate` runs the module once.
_LAZY = {"simulate_cohort": "simulate.cohort", "simulate_safety": "simulate.safety"}
# Modules that import scipy, statsmodels or matplotlib (or are rarely needed) load on
# first use, so `import ketanalysis` stays light.
_LAZY_MODULES = ("config", "plots", "report", "simulate", "stats")


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _LAZY_MODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ketanalysis' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))


__all__ = [
    "DataError",
    "DataWarning",
    "Outcomes",
    "SafetyOutcomes",
    "SafetyThresholds",
    "ValidationReport",
    "__version__",
    "criteria",
    "derive",
    "derive_safety",
    "from_wide",
    "read_adverse_events",
    "read_redcap",
    "read_redcap_repeating",
    "read_scores",
    "read_vitals",
    "scales",
    "simulate_cohort",
    "simulate_safety",
    "to_relative_days",
    "validate",
    "validate_adverse_events",
    "validate_vitals",
]
