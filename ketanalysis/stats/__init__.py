"""Statistics of ketanalysis: models and tests on derived outcome frames.

``ka.stats`` is loaded on first use (``import ketanalysis`` stays light). Nothing here
imports matplotlib, plots, report or simulate.

Every fit returns a frozen result with the same views (:mod:`.results`): ``tidy()`` (one
row per term: ``term``, ``estimate``, ``se``, ``statistic``, [``df``], ``p_value``,
``ci_low``, ``ci_high`` on the scale of ``estimate``; ratios in their own columns such as
``hr``, ``or``, ``rr``), ``glance()`` (one row: n, events, log-likelihood, AIC, ...),
``summary()`` (text) and ``_repr_html_``. ``level`` is a probability in (0, 1) everywhere
(:func:`.arguments.check_level`). Shared helpers: :mod:`.arguments`, :mod:`.frames`,
:mod:`.intervals`.
"""

from .effects import cohens_d, effect_size, hedges_g, nnt
from .items import item_change
from .mmrm.model import MMRMControl, MMRMConvergenceWarning, MMRMResult, mmrm
from .models import GEEResult, LMMResult, ModelConvergenceWarning, gee, lmm
from .primary import PrimaryFit, PrimaryMMRM
from .safety import (
    DissociationResponseResult,
    ae_incidence,
    cadss_course,
    cadss_trend,
    dissociation_response,
)
from .sensitivity import responders
from .subgroups import subgroup_effects
from .summary import by_session, rate_difference, rates
from .survival import CoxResult, KaplanMeierResult, cox, kaplan_meier, logrank
from .transitions import endpoint_outcomes, severity_shares, severity_transitions
from .vitals import vitals_course

__all__ = [
    "CoxResult",
    "DissociationResponseResult",
    "GEEResult",
    "KaplanMeierResult",
    "LMMResult",
    "MMRMControl",
    "MMRMConvergenceWarning",
    "MMRMResult",
    "ModelConvergenceWarning",
    "PrimaryFit",
    "PrimaryMMRM",
    "ae_incidence",
    "by_session",
    "cadss_course",
    "cadss_trend",
    "cohens_d",
    "cox",
    "dissociation_response",
    "effect_size",
    "endpoint_outcomes",
    "gee",
    "hedges_g",
    "item_change",
    "kaplan_meier",
    "lmm",
    "logrank",
    "mmrm",
    "nnt",
    "rate_difference",
    "rates",
    "responders",
    "severity_shares",
    "severity_transitions",
    "subgroup_effects",
    "vitals_course",
]
