"""Reports: one command turns a score file and a config into a complete, self-contained
report to archive, diff and rerun.

``ka.report.build(source, out_dir, config)`` is ``ketanalysis report FILE --out DIR
--config CFG.toml``: ``report.html`` (figures inline as SVG, no external requests),
``figures/``, ``tables/``, ``provenance.json`` and ``timings.json``; see
:func:`~ketanalysis.report.build.build`. The sections are listed in
:data:`ketanalysis.report.sections.SECTIONS`, the figures in
:data:`ketanalysis.report.figures.FIGURES`.

Modules
-------
:mod:`~ketanalysis.report.build`
    :func:`build`: reads, validates, derives, runs the sections, writes the files.
:mod:`~ketanalysis.report.sections`
    The report's sections, each a list of text, figure and table blocks.
:mod:`~ketanalysis.report.figures`
    The report's figures: which plot function draws each and with which data.
:mod:`~ketanalysis.report.descriptive`
    Data summary, audit of excluded rows, Table 1.
:mod:`~ketanalysis.report.by_session`
    Means by session (scores, change, CADSS).
:mod:`~ketanalysis.report.rates`
    Rates, rate differences with the NNT, reliable change.
:mod:`~ketanalysis.report.tables`
    Model tables: endpoint analyses, effect sizes, the MMRM, time to event.
:mod:`~ketanalysis.report.safety`
    Safety data and their tables: vital signs, blood-pressure flags, adverse events.
:mod:`~ketanalysis.report.table_format`
    What the tables share: labels, suppression rules, formats, :func:`make_table`.
:mod:`~ketanalysis.report.tabular`
    :class:`Table` and the writers (CSV, LaTeX, Markdown, HTML cells).
:mod:`~ketanalysis.report.privacy`
    Small-cell suppression rules.
:mod:`~ketanalysis.report.disclosure`
    :func:`scan_report`: the disclosure scanner of a strict-privacy report folder.
:mod:`~ketanalysis.report.methods`
    The methods text with references.
:mod:`~ketanalysis.report.html`
    The self-contained ``report.html``.
"""

from .build import OutputDirError, build, build_figures, load_outcomes
from .disclosure import Finding, scan_report

__all__ = ["Finding", "OutputDirError", "build", "build_figures", "load_outcomes", "scan_report"]
