"""Report and pipeline configuration: a TOML file read into frozen dataclasses.

One file says how to read the data, which outcome definitions to use, how to group, which
blood-pressure limits flag a treatment session, which figures to draw in which journal's
style, which files to write and how strictly to protect privacy. :func:`load_config` reads
it with :mod:`tomllib` and checks it strictly: an unknown key is an error that names the
closest valid key, a value of the wrong type is an error naming the key and the type
expected, and nothing in a config is ever evaluated as code (column names that reach a
model formula are quoted, never parsed). Every error is a
:class:`ConfigError` whose one-line message starts with the key path
(``criteria.preset``, ``figures.journal``, ...).

:func:`default_config_text` is the commented default file (``ketanalysis init-config``);
it reads back to ``Config()``. ``Config.to_dict()`` is the resolved configuration recorded
in a report's ``provenance.json``.

Modules
-------
:mod:`~ketanalysis.config.schema`
    The sections as frozen dataclasses, :class:`Config`, the option lists and
    :class:`ConfigError`.
:mod:`~ketanalysis.config.loading`
    :func:`load_config` and :func:`parse_config`: strict TOML reading;
    :func:`apply_config_keys`: keys set on top (the command line's flags).
:mod:`~ketanalysis.config.default_text`
    :func:`default_config_text`, the commented default file.

Examples
--------
>>> from ketanalysis.config import Config, parse_config
>>> cfg = parse_config('[privacy]\\nlevel = "strict"\\n[criteria]\\npreset = "SUSTAIN1"')
>>> cfg.privacy.level, cfg.privacy.min_cell_size, cfg.outcome_criteria().name
('strict', 11, 'SUSTAIN-1')
>>> parse_config("[figures]\\njurnal = 'cell'")
Traceback (most recent call last):
...
ketanalysis.config.ConfigError: figures.jurnal: unknown key (did you mean 'journal'?); valid keys of [figures]: journal, width, include, max_patients
"""

from .default_text import default_config_text
from .loading import apply_config_keys, load_config, parse_config
from .schema import (
    COVARIANCES,
    DF_METHODS,
    FIGURE_FORMATS,
    FIGURE_NAMES,
    INDIVIDUAL_FIGURES,
    INPUT_FORMATS,
    JOURNALS,
    PRESETS,
    PRIVACY_LEVELS,
    SAFETY_LIMITS,
    TABLE_FORMATS,
    WIDTHS,
    AnalysisSection,
    Config,
    ConfigError,
    CriteriaSection,
    FiguresSection,
    InputSection,
    MMRMSection,
    OutputSection,
    PrivacySection,
    ReportSection,
    SafetyFiles,
    SafetySection,
)

__all__ = [
    "COVARIANCES",
    "DF_METHODS",
    "FIGURE_FORMATS",
    "FIGURE_NAMES",
    "INDIVIDUAL_FIGURES",
    "INPUT_FORMATS",
    "JOURNALS",
    "PRESETS",
    "PRIVACY_LEVELS",
    "SAFETY_LIMITS",
    "TABLE_FORMATS",
    "WIDTHS",
    "AnalysisSection",
    "Config",
    "ConfigError",
    "CriteriaSection",
    "FiguresSection",
    "InputSection",
    "MMRMSection",
    "OutputSection",
    "PrivacySection",
    "ReportSection",
    "SafetyFiles",
    "SafetySection",
    "apply_config_keys",
    "default_config_text",
    "load_config",
    "parse_config",
]
