"""Reports: one command turns a score file and a config into a complete, self-contained
report to archive, diff and rerun.

``ka.report.build(source, out_dir, config)`` is ``ketanalysis report FILE --out DIR
--config CFG.toml``: ``report.html`` (figures inline as SVG, no external requests),
``figures/``, ``tables/``, ``provenance.json`` and ``timings.json``; see
:func:`~ketanalysis.report.build.build`. The sections are listed in
:data:`ketanalysis.report.sections.SECTIONS`, the figures in
:data:`ketanalysis.report.figures.FIGURES`.
"""

from .build import OutputDirError, build, build_figures, load_outcomes

__all__ = ["OutputDirError", "build", "build_figures", "load_outcomes"]
