"""Outcome definitions: response, remission, relapse and their published presets.

Every definition is a frozen dataclass that says exactly what it counts, serialises to a
plain dict (``to_dict``/``from_dict``) and to TOML (``to_toml``/``from_toml``), and is
used by :func:`ketanalysis.derive`. A :class:`Criteria` bundles one of each; the presets
:data:`SUSTAIN1` and :func:`scale_defaults` cite their sources.

Conventions (docs/architecture.md §4.1)
---------------------------------------
- Change is ``score - baseline``; percentage change is ``(score - baseline) / baseline``,
  undefined for a baseline of 0. Lower scores are better on every registry scale.
- Response: a reduction from baseline of at least ``min_reduction`` (ties count: exactly
  50 % is a response). Remission: a total at or below ``threshold``.
- Only assessments after the baseline assessment count for events; the baseline itself
  is never a response.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .. import scales as _scales

__all__ = [
    "SUSTAIN1",
    "Criteria",
    "PARTS",
    "PercentChange",
    "RapidResponse",
    "Relapse",
    "ReliableChange",
    "Remission",
    "Response",
    "StableRemission",
    "StableResponse",
    "SustainedResponse",
    "resolve_per_scale",
    "scale_defaults",
]


class _Definition:
    """Shared serialisation of the frozen definitions."""

    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """The definition as a plain dict, with ``type`` naming the class."""
        out = {"type": type(self).__name__}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """Build from :meth:`to_dict` output; unknown keys are an error naming them."""
        data = dict(data)
        kind = data.pop("type", cls.__name__)
        if kind != cls.__name__:
            raise ValueError(f"expected a {cls.__name__} definition, got type={kind!r}")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = [k for k in data if k not in names]
        if unknown:
            hints = []
            for k in unknown:
                close = difflib.get_close_matches(k, names, n=1)
                hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise ValueError(
                f"unknown {cls.__name__} setting {', '.join(hints)}; valid: {', '.join(names)}"
            )
        for f in dataclasses.fields(cls):
            if f.name in data and isinstance(data[f.name], list):
                data[f.name] = tuple(data[f.name])
        return cls(**data)


def _check_fraction(name: str, value: float) -> None:
    if not 0 < value <= 1:
        raise ValueError(f"{name} must be a fraction in (0, 1], got {value!r}")


def _check_positive_int(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")


@dataclass(frozen=True)
class Response(_Definition):
    """Response: a reduction from baseline of at least ``min_reduction``.

    ``(baseline - score) / baseline >= min_reduction``; exactly 50 % counts. Undefined
    (missing) when the baseline is 0. The 50 % convention is that of antidepressant and
    ketamine trials (e.g. Zarate CA et al. Arch Gen Psychiatry 2006;63:856-864;
    Daly EJ et al. JAMA Psychiatry 2019;76:893-903).
    """

    min_reduction: float = 0.5

    def __post_init__(self):
        _check_fraction("Response.min_reduction", self.min_reduction)


@dataclass(frozen=True)
class Remission(_Definition):
    """Remission: a total at or below ``threshold``.

    ``threshold=None`` takes the scale's default from the registry
    (:mod:`ketanalysis.scales`: MADRS <= 10, PHQ-9 <= 4, HAM-D17 <= 7, QIDS-SR16 <= 5,
    BDI-II <= 13, GAD-7 <= 4). Esketamine phase 3 trials used MADRS <= 12.
    """

    threshold: float | None = None

    def threshold_for(self, scale: str) -> float | None:
        """The threshold used for ``scale``."""
        if self.threshold is not None:
            return float(self.threshold)
        return _scales.get(scale).remission_threshold


@dataclass(frozen=True)
class RapidResponse(_Definition):
    """Rapid response: response at the first assessment about 24 h after the first dose.

    The assessment is the one at the session ``at`` when given; otherwise the first assessment
    after baseline with ``day`` between ``min_day`` and ``max_day`` (inclusive). Missing
    when the patient has no such assessment. The 24-hour assessment is that of the
    ketamine trials (Zarate CA et al. 2006; Murrough JW et al. Am J Psychiatry
    2013;170:1134-1142).
    """

    at: float | None = None
    min_day: float = 0.5
    max_day: float = 2.0


@dataclass(frozen=True)
class SustainedResponse(_Definition):
    """Sustained response: response kept at every assessment after the first response.

    From the first response to the end of the window (``until``: a session value; None for
    the patient's last assessment) at most ``allowed_lapses`` assessments may fail to show
    response, and at least ``min_assessments`` assessments (the first response included)
    must lie in the window. False for patients who never respond.
    """

    until: float | None = None
    allowed_lapses: int = 0
    min_assessments: int = 2

    def __post_init__(self):
        if self.allowed_lapses < 0:
            raise ValueError("SustainedResponse.allowed_lapses must be >= 0")
        _check_positive_int("SustainedResponse.min_assessments", self.min_assessments)


@dataclass(frozen=True)
class StableRemission(_Definition):
    """Stable remission: remission at ``k`` or more of the last ``n`` assessments.

    The last ``n`` assessments up to and including ``until`` (a session value; None for
    the patient's last assessment). ``threshold=None`` takes the scale default. Patients
    with fewer than ``k`` assessments after baseline cannot be in stable remission.
    SUSTAIN-1: MADRS <= 12 in at least 3 of the last 4 weeks (Daly et al. 2019).
    """

    k: int = 3
    n: int = 4
    threshold: float | None = None
    until: float | None = None

    def __post_init__(self):
        _check_positive_int("StableRemission.k", self.k)
        _check_positive_int("StableRemission.n", self.n)
        if self.k > self.n:
            raise ValueError(f"StableRemission needs k <= n, got k={self.k}, n={self.n}")


@dataclass(frozen=True)
class StableResponse(_Definition):
    """Stable response: response at ``k`` or more of the last ``n`` assessments.

    With ``exclude_stable_remission`` (SUSTAIN-1), patients in stable remission are not in
    stable response. SUSTAIN-1: >= 50 % MADRS reduction at each of the last 2 weeks,
    without stable remission (Daly et al. 2019).
    """

    k: int = 2
    n: int = 2
    min_reduction: float = 0.5
    exclude_stable_remission: bool = True
    until: float | None = None

    def __post_init__(self):
        _check_positive_int("StableResponse.k", self.k)
        _check_positive_int("StableResponse.n", self.n)
        if self.k > self.n:
            raise ValueError(f"StableResponse needs k <= n, got k={self.k}, n={self.n}")
        _check_fraction("StableResponse.min_reduction", self.min_reduction)


_ENTRIES = ("response", "remission", "stable_remission", "stable_response")
_CONDITIONS = ("score", "loss_of_response", "leaving_remission")


@dataclass(frozen=True)
class Relapse(_Definition):
    """Relapse: after the entry state, the first run of assessments meeting a condition.

    Parameters
    ----------
    entry : {"response", "remission", "stable_remission", "stable_response"}
        The state a patient must reach to be at risk of relapse. Without ``anchor`` the
        patient enters at the first assessment in that state (for the stable states: the
        first assessment at which the k-of-last-n rule holds); with ``anchor`` the patient
        is at risk when in that state at the anchor (the last assessment at or before it)
        and still followed there (an assessment at or after the anchor session).
    condition : {"score", "loss_of_response", "leaving_remission"}
        What an assessment after entry must show: a total ``>= threshold``; no longer a
        response (reduction from baseline below the Response criterion); or a total above
        the remission threshold.
    threshold : float, optional
        For ``condition="score"``.
    consecutive : int, default 2
        Number of consecutive assessments meeting the condition; relapse is dated at the
        last of them.
    min_gap_days, max_gap_days : float, optional
        Each gap between successive assessments of the run must lie in this range
        (inclusive); a run with a gap outside it, or with a missing day, is broken.
        Needs ``day``.
    max_session_gap : float, optional
        Successive assessments of a run may be at most this many sessions apart (1: a
        missing session breaks the run).
    anchor : float, optional
        A session value: relapse is looked for only after it, and time to relapse counts
        from the patient's last assessment at or before it (else from the entry
        assessment).
    event_column : str, optional
        A column of the data flagging a clinical relapse event (hospitalisation, suicide
        attempt, ...); a flagged assessment after entry is a relapse on its own.

    Notes
    -----
    Time to relapse is in days where ``day`` exists, else in sessions; patients at risk
    without relapse are censored at their last assessment. Only the first relapse counts;
    later re-response does not reset it.
    """

    entry: str = "response"
    condition: str = "loss_of_response"
    threshold: float | None = None
    consecutive: int = 2
    min_gap_days: float | None = None
    max_gap_days: float | None = None
    max_session_gap: float | None = None
    anchor: float | None = None
    event_column: str | None = None

    def __post_init__(self):
        if self.entry not in _ENTRIES:
            raise ValueError(f"Relapse.entry must be one of {_ENTRIES}, got {self.entry!r}")
        if self.condition not in _CONDITIONS:
            raise ValueError(
                f"Relapse.condition must be one of {_CONDITIONS}, got {self.condition!r}"
            )
        if self.condition == "score" and self.threshold is None:
            raise ValueError("Relapse(condition='score') needs threshold=")
        _check_positive_int("Relapse.consecutive", self.consecutive)
        lo, hi = self.min_gap_days, self.max_gap_days
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"Relapse gap range is empty: min_gap_days={lo} > max_gap_days={hi}")
        if self.entry.startswith("stable") and self.anchor is None:
            # allowed: the rolling k-of-last-n rule dates the entry
            pass


@dataclass(frozen=True)
class ReliableChange(_Definition):
    """Reliable and clinically significant change (Jacobson & Truax 1991).

    ``SEm = sd * sqrt(1 - reliability)``, ``S_diff = sqrt(2) * SEm``,
    ``RCI = (score - baseline) / S_diff``; reliably improved when ``RCI < -z``,
    deteriorated when ``RCI > z`` (``z`` = 1.96 by default), unchanged otherwise.
    Clinically significant: "recovered" when reliably improved and the score is at or below
    ``cutoff`` (default: the scale's remission threshold), "improved" when reliably
    improved without crossing it, else "unchanged" or "deteriorated".

    ``sd=None`` uses the sample SD (n - 1) of the baseline scores of the patients with an
    endpoint assessment, as the R package clinicalsignificance does; the SD used is reported
    in ``Outcomes.parameters``.

    Jacobson NS, Truax P. Clinical significance: a statistical approach to defining
    meaningful change in psychotherapy research. J Consult Clin Psychol 1991;59:12-19.
    """

    reliability: float = 0.8
    sd: float | None = None
    z: float = 1.96
    cutoff: float | None = None

    def __post_init__(self):
        if not 0 <= self.reliability < 1:
            raise ValueError(
                f"ReliableChange.reliability must be in [0, 1), got {self.reliability}"
            )
        if self.sd is not None and not self.sd > 0:
            raise ValueError(f"ReliableChange.sd must be positive, got {self.sd}")


@dataclass(frozen=True)
class PercentChange(_Definition):
    """Categories of percentage change at the endpoint.

    "improved" when the reduction from baseline is at least ``improvement``,
    "deteriorated" when the increase is at least ``deterioration`` (default: the same as
    ``improvement``), "unchanged" otherwise. The convention of the R package
    clinicalsignificance (``cs_percentage``).
    """

    improvement: float = 0.3
    deterioration: float | None = None

    def __post_init__(self):
        _check_fraction("PercentChange.improvement", self.improvement)
        if self.deterioration is not None and not self.deterioration > 0:
            raise ValueError("PercentChange.deterioration must be positive")

    @property
    def deterioration_threshold(self) -> float:
        return self.improvement if self.deterioration is None else self.deterioration


#: The definitions of a :class:`Criteria`, ``{field (and TOML section): class}``.
PARTS = {
    "response": Response,
    "remission": Remission,
    "rapid_response": RapidResponse,
    "sustained_response": SustainedResponse,
    "stable_remission": StableRemission,
    "stable_response": StableResponse,
    "relapse": Relapse,
    "reliable_change": ReliableChange,
    "percent_change": PercentChange,
}


@dataclass(frozen=True)
class Criteria(_Definition):
    """A complete set of definitions, one of each, as :func:`ketanalysis.derive` uses them.

    ``replace(**changes)`` returns a copy with some definitions changed.

    ``scale`` names the one scale the set fits (a registry key, e.g. ``"MADRS"``); any
    absolute score threshold (``remission.threshold``, ``stable_remission.threshold``,
    ``relapse.threshold``, ``reliable_change.cutoff``) makes a set specific to one scale,
    and :func:`ketanalysis.derive` refuses to apply it to rows of another scale. A set
    without absolute thresholds resolves each scale's thresholds from the registry.
    """

    name: str = "default"
    response: Response = field(default_factory=Response)
    remission: Remission = field(default_factory=Remission)
    rapid_response: RapidResponse = field(default_factory=RapidResponse)
    sustained_response: SustainedResponse = field(default_factory=SustainedResponse)
    stable_remission: StableRemission = field(default_factory=StableRemission)
    stable_response: StableResponse = field(default_factory=StableResponse)
    relapse: Relapse = field(default_factory=Relapse)
    reliable_change: ReliableChange = field(default_factory=ReliableChange)
    percent_change: PercentChange = field(default_factory=PercentChange)
    source: str = ""
    scale: str | None = None

    def __post_init__(self):
        if self.scale is not None:
            object.__setattr__(self, "scale", _scales.get(self.scale).key)
        for key, cls in PARTS.items():
            if not isinstance(getattr(self, key), cls):
                raise TypeError(
                    f"Criteria.{key} must be a {cls.__name__}, got {type(getattr(self, key)).__name__}"
                )

    def absolute_thresholds(self) -> list[str]:
        """The settings holding an absolute score threshold (scale-specific), by name."""
        found = []
        if self.remission.threshold is not None:
            found.append("remission.threshold")
        if self.stable_remission.threshold is not None:
            found.append("stable_remission.threshold")
        if self.relapse.condition == "score" and self.relapse.threshold is not None:
            found.append("relapse.threshold")
        if self.reliable_change.cutoff is not None:
            found.append("reliable_change.cutoff")
        return found

    def fits(self, scale: str) -> bool:
        """Whether the set may be applied to ``scale`` (no absolute threshold, or its scale)."""
        if not self.absolute_thresholds():
            return True
        return self.scale is not None and _scales.get(scale).key == self.scale

    def replace(self, **changes) -> Criteria:
        """A copy with the given definitions (or name/source) replaced."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "Criteria", "name": self.name, "source": self.source}
        if self.scale is not None:
            out["scale"] = self.scale
        for key in PARTS:
            part = getattr(self, key).to_dict()
            part.pop("type")
            out[key] = part
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Criteria:
        data = dict(data)
        data.pop("type", None)
        unknown = [k for k in data if k not in (*PARTS, "name", "source", "scale")]
        if unknown:
            valid = [*PARTS, "name", "source", "scale"]
            hints = [
                f"{k!r}"
                + (
                    f" (did you mean {m[0]!r}?)"
                    if (m := difflib.get_close_matches(k, valid, n=1))
                    else ""
                )
                for k in unknown
            ]
            raise ValueError(f"unknown criteria section {', '.join(hints)}")
        kwargs: dict[str, Any] = {k: data[k] for k in ("name", "source", "scale") if k in data}
        for key, part_cls in PARTS.items():
            if key in data:
                value = data[key]
                kwargs[key] = value if isinstance(value, part_cls) else part_cls.from_dict(value)
        return cls(**kwargs)

    def to_toml(self) -> str:
        """TOML text: a section per definition; ``from_toml`` reads it back."""
        lines = [f"name = {_toml_value(self.name)}", f"source = {_toml_value(self.source)}"]
        if self.scale is not None:
            lines.append(f"scale = {_toml_value(self.scale)}")
        for key, part in self.to_dict().items():
            if key in ("type", "name", "source", "scale"):
                continue
            lines.append(f"\n[{key}]")
            for k, v in part.items():
                if v is not None:  # TOML has no null: an absent key means the default None
                    lines.append(f"{k} = {_toml_value(v)}")
        return "\n".join(lines) + "\n"

    @classmethod
    def from_toml(cls, text: str) -> Criteria:
        """Read :meth:`to_toml` output (or a hand-written file of the same shape)."""
        try:
            import tomllib
        except ImportError:  # Python 3.10
            import tomli as tomllib
        return cls.from_dict(tomllib.loads(text))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def scale_defaults(scale: str | None = None) -> Criteria:
    """The default definitions, with the scale's remission threshold when given.

    With ``scale`` the set is specific to that scale (``Criteria.scale``); without it each
    scale's remission threshold comes from the registry, row by row, so one set fits every
    scale.

    Response >= 50 % reduction; remission at the registry threshold; rapid response at the
    first assessment on days 0.5-2; sustained response without lapse; stable remission
    3 of the last 4; stable response 2 of the last 2; relapse after response as loss of
    response on 2 consecutive assessments; Jacobson-Truax reliable change with
    reliability 0.8; percentage-change categories at 30 %.
    """
    remission = Remission()
    if scale is not None:
        remission = Remission(threshold=_scales.get(scale).remission_threshold)
    return Criteria(
        name=f"{_scales.get(scale).key} defaults" if scale else "defaults",
        remission=remission,
        source="docs/architecture.md §4; thresholds from ketanalysis.scales",
        scale=_scales.get(scale).key if scale else None,
    )


def resolve_per_scale(criteria, scales) -> dict[str, Criteria]:
    """The criteria each of ``scales`` uses, ``{scale key: Criteria}``.

    ``criteria`` is None (the registry defaults for every scale), one :class:`Criteria`
    or a mapping ``{scale: Criteria}`` (keys through the registry: ``"PHQ-9"``,
    ``"phq9"``); scales missing from a mapping get :func:`scale_defaults` (no scale).
    A scale-specific set applied to another scale is a ``ValueError`` naming the scales
    it does not fit and showing the mapping that fixes it.

    Parameters
    ----------
    criteria : Criteria, mapping {scale: Criteria} or None
        What :func:`ketanalysis.derive` was given as ``criteria``.
    scales : iterable of str
        The scales derived (any spelling the registry knows).

    Returns
    -------
    dict
        ``{scale key: Criteria}`` for every scale in ``scales``.

    Raises
    ------
    ValueError
        A scale-specific set on another scale, or two mapping keys for one scale.
    TypeError
        ``criteria`` is neither a Criteria nor a mapping of them.
    """
    scales = [_scales.get(s).key for s in scales]
    if criteria is None:
        criteria = scale_defaults()
    if isinstance(criteria, Criteria):
        wrong = [s for s in scales if not criteria.fits(s)]
        if criteria.scale is None and len(scales) == 1:
            wrong = []  # unnamed absolute thresholds fit the one scale derived
        if wrong:
            own = criteria.scale or "one scale"
            raise ValueError(
                f"criteria {criteria.name!r} are specific to {own} (absolute "
                f"{', '.join(criteria.absolute_thresholds())}) and do not fit "
                f"{', '.join(wrong)}; pass a mapping, e.g. criteria={{"
                + ", ".join(
                    f"{s!r}: {'<your criteria>' if s == criteria.scale else f'ka.criteria.scale_defaults({s!r})'}"
                    for s in scales
                )
                + "}, or derive(scale=...) for the scale they fit"
            )
        return {s: criteria for s in scales}
    if not hasattr(criteria, "items"):
        raise TypeError(
            f"criteria must be a Criteria or a mapping {{scale: Criteria}}, "
            f"got {type(criteria).__name__}"
        )
    by_key: dict[str, Criteria] = {}
    for key, crit in criteria.items():
        if not isinstance(crit, Criteria):
            raise TypeError(f"criteria[{key!r}] must be a Criteria, got {type(crit).__name__}")
        k = _scales.get(key).key
        if k in by_key:
            raise ValueError(f"criteria has two entries for the scale {k} ({key!r})")
        if not crit.fits(k) and crit.scale is not None:
            raise ValueError(
                f"criteria[{key!r}] ({crit.name!r}) are specific to {crit.scale or 'another scale'}"
                f" and do not fit {k}; use e.g. ka.criteria.scale_defaults({k!r})"
            )
        by_key[k] = crit
    return {s: by_key.get(s, scale_defaults()) for s in scales}


SUSTAIN1 = Criteria(
    name="SUSTAIN-1",
    response=Response(0.5),
    remission=Remission(threshold=12),
    stable_remission=StableRemission(k=3, n=4, threshold=12),
    stable_response=StableResponse(k=2, n=2, min_reduction=0.5, exclude_stable_remission=True),
    relapse=Relapse(
        entry="stable_remission",
        condition="score",
        threshold=22,
        consecutive=2,
        min_gap_days=5,
        max_gap_days=15,
    ),
    source=(
        "Daly EJ, Trivedi MH, Janik A, et al. Efficacy of esketamine nasal spray plus oral "
        "antidepressant treatment for relapse prevention in patients with treatment-resistant "
        "depression: a randomized clinical trial (SUSTAIN-1). JAMA Psychiatry "
        "2019;76(9):893-903. Stable remission: MADRS <= 12 in at least 3 of the last 4 "
        "weeks; stable response: >= 50 % MADRS reduction in each of the last 2 weeks without "
        "stable remission; relapse: MADRS >= 22 on 2 consecutive assessments 5-15 days apart "
        "(dated at the second), or a clinical relapse event (set Relapse.event_column)."
    ),
    scale="MADRS",
)
"""SUSTAIN-1 (Daly et al. 2019, JAMA Psychiatry 76:893-903) definitions for the MADRS.

Set ``relapse.anchor`` to the session at which maintenance starts (randomisation) and
``stable_remission.until``/``stable_response.until`` to the last session before it, e.g.
``SUSTAIN1.replace(relapse=dataclasses.replace(SUSTAIN1.relapse, anchor=16))``.
"""
