"""The configuration schema: the sections of a report config as frozen dataclasses (each
checks its own values), :class:`Config` holding one of each, the option lists they are
checked against, and :class:`ConfigError`.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import scales as _scales
from ..outcomes import SafetyThresholds
from ..outcomes import criteria as _criteria

#: Figures a report can draw (``figures.include``), in report order.
FIGURE_NAMES: tuple[str, ...] = (
    "trajectory",
    "change",
    "response_rates",
    "spaghetti",
    "waterfall",
    "severity_transitions",
    "jacobson_truax",
    "time_to_response",
    "time_to_relapse",
    "swimmer",
    "item_heatmap",
    "forest",
    "lsmeans",
    "cadss_course",
    "vitals",
    "ae_incidence",
)
#: Figures that show individual patients; left out under ``privacy.level = "strict"``.
INDIVIDUAL_FIGURES: tuple[str, ...] = ("spaghetti", "waterfall", "jacobson_truax", "swimmer")

#: Criteria presets by config name: a factory and the outcome scales it is meant for.
PRESETS: dict[str, tuple] = {
    "scale_defaults": (_criteria.scale_defaults, None),
    "SUSTAIN1": (lambda: _criteria.SUSTAIN1, ("MADRS",)),
}

JOURNALS = ("nature", "cell", "jama", "apa")
WIDTHS = ("single", "double")
FIGURE_FORMATS = ("pdf", "svg", "png", "tiff", "eps")
TABLE_FORMATS = ("csv", "latex", "markdown")
INPUT_FORMATS = ("long", "wide", "redcap")
PRIVACY_LEVELS = ("standard", "strict")
COVARIANCES = ("us", "cs", "csh", "ar1", "ar1h", "toeplitz", "toeph")
DF_METHODS = ("kenward-roger", "satterthwaite", "residual", "between-within")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _keys(section: str):
    return lambda k: f"{section}.{k}"


def _one_of(value: str, valid, key: str) -> None:
    if value in valid:
        return
    close = difflib.get_close_matches(str(value), list(valid), n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(key, f"unknown value {value!r}{hint}; valid: {', '.join(valid)}")


def _scale_key(name: str, key: str) -> str:
    try:
        return _scales.get(name).key
    except KeyError as e:
        raise ConfigError(key, str(e.args[0])) from None


class ConfigError(ValueError):
    """A configuration problem; the message is one line starting with the key path.

    Attributes
    ----------
    key : str
        The key path, e.g. ``"criteria.preset"`` (empty for a file that is not TOML).
    reason : str
        What is wrong.
    source : str or None
        The config file, when read from one.
    """

    def __init__(self, key: str, reason: str, source: str | None = None):
        self.key, self.reason, self.source = key, reason, source
        text = f"{key}: {reason}" if key else reason
        super().__init__(f"{source}: {text}" if source else text)


# Shown as ketanalysis.config.ConfigError (its public home) in tracebacks and docs.
ConfigError.__module__ = "ketanalysis.config"


# ---------------------------------------------------------------------------------------
# Sections. Each field's type annotation is checked against the TOML value; "" and an
# absent key mean "not set" where the comment says so (TOML has no null).
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSection:
    """``[report]``: the report's title and the seed of every random draw."""

    title: str = "Outcomes of ketamine and esketamine treatment"
    seed: int = 20261121


@dataclass(frozen=True)
class SafetyFiles:
    """``[input.safety]``: the safety files of a report, paths relative to the config file.

    ``vitals`` is read with :func:`ketanalysis.read_vitals` (one row per patient x session
    x time point), ``adverse_events`` with :func:`ketanalysis.read_adverse_events` (one row
    per patient x session x event); "" means not given. Either or both.
    ``adverse_events_instrument`` names the repeating instrument when ``adverse_events`` is
    a REDCap export (events mapped by ``[input] redcap_events``);
    ``adverse_events_columns`` renames the adverse-event file's columns
    (``{ ae_severity = "severity" }``), as ``read_adverse_events``'s ``columns``.
    """

    vitals: str = ""
    adverse_events: str = ""
    adverse_events_instrument: str = ""
    adverse_events_columns: dict[str, str] = field(default_factory=dict)

    def given(self) -> dict[str, str]:
        """``{kind: path}`` of the files named, in the order vitals, adverse_events."""
        return {
            k: v for k, v in (("vitals", self.vitals), ("adverse_events", self.adverse_events)) if v
        }

    def __bool__(self) -> bool:
        return bool(self.vitals or self.adverse_events)


@dataclass(frozen=True)
class InputSection:
    """``[input]``: how to read the score file (see :func:`ketanalysis.read_scores`).

    Wide files (``format = "wide"``, read with :func:`ketanalysis.from_wide`): the session
    columns are named by ``wide_sessions`` (a pattern with named groups ``session`` and
    ``scale``) or ``wide_columns`` (``{column: [scale, session]}``); text session labels
    are mapped to numbers by ``wide_session_labels``:

    >>> from ketanalysis.config import parse_config
    >>> cfg = parse_config(
    ...     '[input]\\nformat = "wide"\\n'
    ...     "wide_sessions = '(?P<scale>MADRS)_(?P<session>baseline|wk\\\\d)'\\n"
    ...     "[input.wide_session_labels]\\nbaseline = 0\\nwk1 = 1\\nwk4 = 4"
    ... )
    >>> cfg.input.wide_session_labels
    {'baseline': 0, 'wk1': 1, 'wk4': 4}
    """

    format: str = "long"
    columns: dict[str, str] = field(default_factory=dict)
    scale: str = ""
    wide_id: str = "patient_id"
    wide_sessions: str = ""
    wide_columns: dict[str, tuple] = field(default_factory=dict)
    wide_session_labels: dict[str, float] = field(default_factory=dict)
    wide_days: str = ""
    redcap_events: str = ""
    redcap_day: str = ""
    allow_identifiers: tuple[str, ...] = ()
    allow_negative_days: bool = False
    safety: SafetyFiles = field(default_factory=SafetyFiles)

    def __post_init__(self):
        key = _keys("input")
        _one_of(self.format, INPUT_FORMATS, key("format"))
        if self.scale:
            _scale_key(self.scale, key("scale"))
        if self.format == "wide" and not (self.wide_sessions or self.wide_columns):
            raise ConfigError(
                key("wide_sessions"),
                'format = "wide" needs wide_sessions (a pattern) or wide_columns (a table)',
            )
        if self.wide_sessions and self.wide_columns:
            raise ConfigError(
                key("wide_columns"), "give wide_sessions (a pattern) or wide_columns, not both"
            )
        if self.wide_sessions:
            try:
                rx = re.compile(self.wide_sessions)
            except re.error as e:
                raise ConfigError(key("wide_sessions"), f"not a regular expression: {e}") from None
            if "session" not in rx.groupindex:
                raise ConfigError(
                    key("wide_sessions"), "the pattern needs a named group (?P<session>...)"
                )
        for column, (scale, _) in self.wide_columns.items():
            _scale_key(scale, key(f"wide_columns.{column}"))
        if self.format == "redcap" and not self.redcap_events:
            raise ConfigError(key("redcap_events"), 'format = "redcap" needs redcap_events')


@dataclass(frozen=True)
class AnalysisSection:
    """``[analysis]``: scales, baseline, endpoint, grouping, Table 1 rows."""

    scales: tuple[str, ...] = ()
    primary_scale: str = ""
    baseline: int | float | str = 0
    endpoint: int | float | None = None
    group: str = ""
    arm: str = "arm"
    table1: tuple[str, ...] = ()
    subgroups: tuple[str, ...] = ("route", "sex")
    level: float = 0.95

    def __post_init__(self):
        key = _keys("analysis")
        scales = tuple(_scale_key(s, key("scales")) for s in self.scales)
        object.__setattr__(self, "scales", scales)
        if self.primary_scale:
            primary = _scale_key(self.primary_scale, key("primary_scale"))
            if scales and primary not in scales:
                raise ConfigError(
                    key("primary_scale"), f"{primary!r} is not one of scales {list(scales)}"
                )
            object.__setattr__(self, "primary_scale", primary)
        if not 0 < self.level < 1:
            raise ConfigError(
                key("level"),
                f"must be a probability between 0 and 1 such as 0.95, got {self.level!r}",
            )
        if self.arm and not _IDENTIFIER.match(self.arm):
            raise ConfigError(
                key("arm"), f"must be a plain column name (letters, digits, _), got {self.arm!r}"
            )


@dataclass(frozen=True)
class CriteriaSection:
    """``[criteria]``: a preset by name and, in sub-tables, changes to its definitions."""

    preset: str = "scale_defaults"
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def build(self) -> _criteria.Criteria:
        """The :class:`~ketanalysis.outcomes.criteria.Criteria` this section describes."""
        crit = PRESETS[self.preset][0]()
        changes = {}
        for part, values in self.overrides.items():
            changes[part] = dataclasses.replace(getattr(crit, part), **values)
        return crit.replace(**changes) if changes else crit


@dataclass(frozen=True)
class MMRMSection:
    """``[mmrm]``: the model of change from baseline when the data have arms."""

    covariance: str = "us"
    df: str = "kenward-roger"
    until: int | float | None = None

    def __post_init__(self):
        key = _keys("mmrm")
        _one_of(self.covariance, COVARIANCES, key("covariance"))
        _one_of(self.df, DF_METHODS, key("df"))


#: Allowed range (mmHg) of each blood-pressure limit of ``[safety]``.
SAFETY_LIMITS: dict[str, tuple[float, float]] = {
    "pre_sbp": (60.0, 300.0),
    "pre_dbp": (40.0, 200.0),
    "post_sbp": (60.0, 300.0),
    "post_dbp": (40.0, 200.0),
}


@dataclass(frozen=True)
class SafetySection:
    """``[safety]``: the blood-pressure limits that flag a treatment session.

    The keys and defaults are those of :class:`ketanalysis.SafetyThresholds`
    (pre-dose 140/90 mmHg from the esketamine label, after dosing 180/110 mmHg, grade 3
    hypertension; see its Notes for the sources): set your clinic's monitoring protocol
    here. Systolic limits must lie between 60 and 300 mmHg, diastolic ones between 40 and
    200 mmHg, ``return_within`` between 0 and 1.

    >>> from ketanalysis.config import parse_config
    >>> parse_config("[safety]\\npost_sbp = 160").safety.thresholds().post_sbp
    160.0
    >>> parse_config("[safety]\\npost_sbp = 400")
    Traceback (most recent call last):
    ...
    ketanalysis.config.ConfigError: safety.post_sbp: must be between 60 and 300 mmHg, got 400
    """

    pre_sbp: float = 140.0
    pre_dbp: float = 90.0
    post_sbp: float = 180.0
    post_dbp: float = 110.0
    return_within: float = 0.10
    inclusive: bool = True

    def __post_init__(self):
        key = _keys("safety")
        for name, (lo, hi) in SAFETY_LIMITS.items():
            value = getattr(self, name)
            if _is_number(value) and not lo <= value <= hi:
                raise ConfigError(
                    key(name), f"must be between {lo:g} and {hi:g} mmHg, got {value!r}"
                )
        value = self.return_within
        if _is_number(value) and not 0 <= value <= 1:
            raise ConfigError(
                key("return_within"), f"must be between 0 and 1 (a fraction), got {value!r}"
            )
        # SafetyThresholds checks the types itself and gives the values as floats
        th = self.thresholds()
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, getattr(th, f.name))

    def thresholds(self) -> SafetyThresholds:
        """The :class:`~ketanalysis.SafetyThresholds` of this section."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        try:
            return SafetyThresholds(**values)
        except (TypeError, ValueError) as e:
            named = [k for k in values if re.search(rf"\.{k}\b", str(e))]
            key = f"safety.{named[0]}" if named else "safety"
            raise ConfigError(key, str(e)) from None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class FiguresSection:
    """``[figures]``: which figures, in which journal's style."""

    journal: str = "nature"
    width: str = "single"
    include: tuple[str, ...] = FIGURE_NAMES
    max_patients: int = 300

    def __post_init__(self):
        key = _keys("figures")
        _one_of(self.journal, JOURNALS, key("journal"))
        _one_of(self.width, WIDTHS, key("width"))
        for name in self.include:
            _one_of(name, FIGURE_NAMES, key("include"))
        if self.max_patients < 10:
            raise ConfigError(key("max_patients"), f"must be at least 10, got {self.max_patients}")


@dataclass(frozen=True)
class OutputSection:
    """``[output]``: file formats of figures and tables."""

    figure_formats: tuple[str, ...] = ("pdf", "svg", "png")
    table_formats: tuple[str, ...] = TABLE_FORMATS
    dpi: int = 600

    def __post_init__(self):
        key = _keys("output")
        for f in self.figure_formats:
            _one_of(f, FIGURE_FORMATS, key("figure_formats"))
        for f in self.table_formats:
            _one_of(f, TABLE_FORMATS, key("table_formats"))
        if not 72 <= self.dpi <= 2400:
            raise ConfigError(key("dpi"), f"must be between 72 and 2400, got {self.dpi}")


@dataclass(frozen=True)
class PrivacySection:
    """``[privacy]``: ``level = "strict"`` suppresses counts below ``min_cell_size``.

    Under strict privacy a ``min_cell_size`` below 11 (the CMS cell-size threshold: no
    cell from 1 to 10) needs ``acknowledge_small_cells = true``, and ``min_cell_size = 1``
    is refused: it would suppress nothing.
    """

    level: str = "standard"
    min_cell_size: int = 11
    acknowledge_small_cells: bool = False

    def __post_init__(self):
        key = _keys("privacy")
        _one_of(self.level, PRIVACY_LEVELS, key("level"))
        if self.min_cell_size < 1:
            raise ConfigError(key("min_cell_size"), f"must be at least 1, got {self.min_cell_size}")
        if not isinstance(self.acknowledge_small_cells, bool):
            raise ConfigError(
                key("acknowledge_small_cells"),
                f"expected true or false, got {self.acknowledge_small_cells!r}",
            )
        if self.level == "strict" and self.min_cell_size == 1:
            raise ConfigError(
                key("min_cell_size"),
                'min_cell_size = 1 with level = "strict" suppresses nothing; use 11 '
                "(the default) or another value of at least 2",
            )
        if self.level == "strict" and self.min_cell_size < 11 and not self.acknowledge_small_cells:
            raise ConfigError(
                key("acknowledge_small_cells"),
                f'min_cell_size = {self.min_cell_size} with level = "strict" shows counts '
                f"from {self.min_cell_size} to 10 (the usual threshold is 11); set "
                "[privacy] acknowledge_small_cells = true to confirm",
            )

    @property
    def strict(self) -> bool:
        return self.level == "strict"


#: Sub-tables of a section: (section, key) -> dataclass.
NESTED = {("input", "safety"): SafetyFiles}

#: The sections of a config file, in order, with their dataclasses.
SECTIONS = {
    "report": ReportSection,
    "input": InputSection,
    "analysis": AnalysisSection,
    "criteria": CriteriaSection,
    "mmrm": MMRMSection,
    "safety": SafetySection,
    "figures": FiguresSection,
    "output": OutputSection,
    "privacy": PrivacySection,
}


@dataclass(frozen=True)
class Config:
    """A complete report configuration (every section has defaults).

    Attributes
    ----------
    report, input, analysis, criteria, mmrm, safety, figures, output, privacy
        One frozen dataclass per TOML section; see
        :func:`~ketanalysis.config.default_config_text` for every key with its meaning.
    base_dir : Path or None
        Directory of the config file: relative paths in ``[input]`` are taken from there
        (else from the working directory). Not part of :meth:`to_dict`.
    """

    report: ReportSection = field(default_factory=ReportSection)
    input: InputSection = field(default_factory=InputSection)
    analysis: AnalysisSection = field(default_factory=AnalysisSection)
    criteria: CriteriaSection = field(default_factory=CriteriaSection)
    mmrm: MMRMSection = field(default_factory=MMRMSection)
    safety: SafetySection = field(default_factory=SafetySection)
    figures: FiguresSection = field(default_factory=FiguresSection)
    output: OutputSection = field(default_factory=OutputSection)
    privacy: PrivacySection = field(default_factory=PrivacySection)
    base_dir: Path | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Every setting, defaults filled in, criteria resolved to their definitions."""
        out: dict[str, Any] = {}
        for name in SECTIONS:
            section = getattr(self, name)
            if name == "criteria":
                out[name] = {"preset": section.preset, **self.outcome_criteria().to_dict()}
                out[name].pop("type", None)
                continue
            out[name] = {f.name: _plain(getattr(section, f.name)) for f in _fields(section)}
        return out

    def outcome_criteria(self) -> _criteria.Criteria:
        """The outcome definitions (the preset with the overrides applied)."""
        return self.criteria.build()

    def outcome_scales(self) -> tuple[str, ...]:
        """The scales asked for: ``analysis.scales``, else those of the preset (SUSTAIN1:
        MADRS), else empty (every outcome scale in the data)."""
        return self.analysis.scales or (PRESETS[self.criteria.preset][1] or ())

    def redcap_event_map(self) -> dict[str, object]:
        """The events of ``[input] redcap_events`` (a JSON file): ``{event: session or
        (session, day)}``."""
        import json

        events_path = self.path(self.input.redcap_events)
        try:
            events = json.loads(events_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError("input.redcap_events", f"cannot read {events_path}: {e}") from None
        if not isinstance(events, dict):
            raise ConfigError(
                "input.redcap_events",
                f"{events_path} must hold a JSON object {{event name: session}}",
            )
        return {k: tuple(v) if isinstance(v, list) else v for k, v in events.items()}

    def path(self, value: str) -> Path:
        """A path from the config, relative to the config file's directory."""
        p = Path(value)
        return p if p.is_absolute() or self.base_dir is None else self.base_dir / p


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _fields(section) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(section) if f.name != "overrides"]
