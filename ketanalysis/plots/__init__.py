"""Publication figures from derived outcomes and statistics results.

``ka.plots`` is loaded on first use, so ``import ketanalysis`` never imports matplotlib.
Figure functions take an :class:`~ketanalysis.Outcomes` (or a result from
:mod:`ketanalysis.stats`), draw, and compute nothing themselves: every number drawn comes
from the statistics layer. Axes-level functions return the ``Axes`` and take ``ax=``;
multi-panel ones return a ``Figure``. Use them inside :func:`publication` for a journal's
size and type, and write files with :func:`save_figure`.
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
