"""Publication figures from derived outcomes and statistics results.

``ka.plots`` is loaded on first use, so ``import ketanalysis`` never imports matplotlib.
Figure functions take an :class:`~ketanalysis.Outcomes` (or a result from
:mod:`ketanalysis.stats`), draw, and compute nothing themselves: every number drawn comes
from the statistics layer. Axes-level functions return the ``Axes`` and take ``ax=``;
multi-panel ones return a ``Figure``. Use them inside :func:`publication` for a journal's
size and type, and write files with :func:`save_figure`.

Modules
-------
Figures, by family (each loaded when one of its figures is first used):

:mod:`~ketanalysis.plots.sessions`
    ``trajectory``, ``spaghetti``, ``response_rates``, ``lsmeans``: outcomes by session.
:mod:`~ketanalysis.plots.items`
    ``item_heatmap``: item scores by session.
:mod:`~ketanalysis.plots.survival`
    ``kaplan_meier``: time to response or relapse.
:mod:`~ketanalysis.plots.lanes`
    ``swimmer``: one lane per patient.
:mod:`~ketanalysis.plots.subgroups`
    ``forest``: effects by subgroup.
:mod:`~ketanalysis.plots.change`
    ``waterfall``, ``severity_transitions``: change from baseline to the endpoint.
:mod:`~ketanalysis.plots.reliable_change`
    ``jacobson_truax``: reliable and clinically significant change.
:mod:`~ketanalysis.plots.vital_signs`
    ``vitals``: vital signs within the session.
:mod:`~ketanalysis.plots.safety`
    ``cadss_course``, ``ae_incidence``: dissociation and adverse events.

Shared by the figure modules:

:mod:`~ketanalysis.plots.style`
    Journal styles, palettes, :func:`publication` and :func:`save_figure`.
:mod:`~ketanalysis.plots.axes`
    New axes, font sizes, intervals with dodged groups, the last layout steps.
:mod:`~ketanalysis.plots.annotate`
    Axis labels, counts and count tables, p-values, legends.
:mod:`~ketanalysis.plots.checks`
    Argument checks and inputs (frames, one scale's rows).
:mod:`~ketanalysis.plots.grouping`
    The groups of a ``by=`` split and their looks.
:mod:`~ketanalysis.plots.session_axis`
    The session x-axis of the by-session figures.
"""

import importlib
import importlib.util

from .style import (
    JOURNALS,
    OKABE_ITO,
    PALETTE,
    JournalStyle,
    publication,
    save_figure,
)

# Figure functions by module; each module is imported when one of its figures is used.
_FIGURES = {
    "trajectory": "sessions",
    "spaghetti": "sessions",
    "response_rates": "sessions",
    "lsmeans": "sessions",
    "item_heatmap": "items",
    "kaplan_meier": "survival",
    "swimmer": "lanes",
    "forest": "subgroups",
    "waterfall": "change",
    "severity_transitions": "change",
    "jacobson_truax": "reliable_change",
    "vitals": "vital_signs",
    "cadss_course": "safety",
    "ae_incidence": "safety",
}


def _available() -> list[str]:
    return [n for n, m in _FIGURES.items() if importlib.util.find_spec(f"{__name__}.{m}")]


def __getattr__(name: str):
    if name in _FIGURES:
        value = getattr(importlib.import_module(f".{_FIGURES[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ketanalysis.plots' has no attribute {name!r}")


__all__ = ["JOURNALS", "OKABE_ITO", "PALETTE", "JournalStyle", "publication", "save_figure"]
__all__ += _available()
