"""Statistics of ketanalysis: models and tests on derived outcome frames.

``ka.stats`` is loaded on first use (``import ketanalysis`` stays light). Nothing here
imports matplotlib.
"""

from .effects import cohens_d, effect_size, hedges_g, nnt
from .mmrm import MMRMControl, MMRMConvergenceWarning, MMRMResult, mmrm
from .models import GEEResult, LMMResult, ModelConvergenceWarning, gee, lmm
from .sensitivity import responders
from .summary import by_session, rate_difference, rates
from .survival import CoxResult, KaplanMeierResult, cox, kaplan_meier, logrank

__all__ = [
    "CoxResult",
    "GEEResult",
    "KaplanMeierResult",
    "LMMResult",
    "MMRMControl",
    "MMRMConvergenceWarning",
    "MMRMResult",
    "ModelConvergenceWarning",
    "by_session",
    "cohens_d",
    "cox",
    "effect_size",
    "gee",
    "hedges_g",
    "kaplan_meier",
    "lmm",
    "logrank",
    "mmrm",
    "nnt",
    "rate_difference",
    "rates",
    "responders",
]
