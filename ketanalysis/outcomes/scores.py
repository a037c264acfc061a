"""Outcomes of scores: :func:`derive` and its result, :class:`Outcomes`.

:func:`derive` turns a validated frame (docs/architecture.md §3.1) and a set of definitions
(:mod:`ketanalysis.outcomes.criteria`) into an :class:`Outcomes`: one row per assessment and
one row per patient x scale, computed by :class:`ketanalysis.outcomes.engine.Engine`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from .. import scales as _scales
from ..validation.report import ValidationReport
from ..validation.scores import validate
from . import criteria as _criteria
from .engine import Engine

__all__ = ["Outcomes", "derive"]


@dataclass(frozen=True)
class Outcomes:
    """Derived outcomes; see :func:`derive` for every column.

    Attributes
    ----------
    assessments : DataFrame
        One row per assessment of an outcome scale, sorted by patient, scale, session.
    patients : DataFrame
        One row per patient x outcome scale.
    criteria : Criteria
        The definitions used (with several scales under different criteria: those of the
        first scale; see ``criteria_by_scale``).
    scales : tuple of str
        The outcome scales derived.
    baseline, endpoint
        The baseline and endpoint settings used.
    time_unit : {"days", "sessions"}
        Unit of every ``time_to_*`` column.
    parameters : DataFrame
        Per scale: the remission threshold, the reliable-change SD, reliability, S_diff and
        cut-off actually used, and the numbers of patients and assessments.
    exclusions : DataFrame
        Rows and patients excluded before derivation, per reason (``reason``, ``rows``,
        ``patients``).
    audit : DataFrame
        Every excluded input row with its reason (from validation).
    validation : ValidationReport
    criteria_by_scale : dict
        ``{scale: Criteria}``: the definitions each outcome scale used.
    """

    assessments: pd.DataFrame = field(repr=False)
    patients: pd.DataFrame = field(repr=False)
    criteria: _criteria.Criteria
    scales: tuple[str, ...]
    baseline: object
    endpoint: object
    time_unit: str
    parameters: pd.DataFrame = field(repr=False)
    exclusions: pd.DataFrame = field(repr=False)
    audit: pd.DataFrame = field(repr=False)
    validation: ValidationReport = field(repr=False)
    criteria_by_scale: dict = field(default_factory=dict, repr=False)

    def criteria_label(self) -> str:
        """The criteria name, or ``"MADRS: SUSTAIN-1; PHQ9: defaults"`` when scales differ."""
        names = {s: c.name for s, c in self.criteria_by_scale.items()}
        if len(set(names.values())) <= 1:
            return self.criteria.name
        return "; ".join(f"{s}: {n}" for s, n in names.items())

    def tidy(self) -> pd.DataFrame:
        """Per scale: patients (``n``), responders, remitters, rapid and sustained
        responders, patients at risk of relapse and relapses (counts)."""
        p = self.patients
        rows = []
        for scale, g in p.groupby("scale", sort=False):
            n = len(g)
            at_risk = int(g["relapse_at_risk"].sum())
            rows.append(
                {
                    "scale": scale,
                    "n": n,
                    "ever_response": int(g["ever_response"].sum()),
                    "ever_remission": int(g["ever_remission"].sum()),
                    "rapid_response": int(g["rapid_response"].sum()),
                    "sustained_response": int(g["sustained_response"].sum()),
                    "relapse_at_risk": at_risk,
                    "relapse": int(g["relapse"].sum()),
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A short plain-text summary: the counts of :meth:`tidy` per scale, with shares."""
        lines = [
            f"Outcomes: {len(self.patients)} patient x scale rows, "
            f"{len(self.assessments)} assessments; criteria {self.criteria_label()}; "
            f"time in {self.time_unit}"
        ]
        for row in self.tidy().itertuples(index=False):
            n, at_risk = row.n, row.relapse_at_risk
            parts = [
                f"{label} {k}/{n} ({_share(k, n)})"
                for label, k in (
                    ("response", row.ever_response),
                    ("remission", row.ever_remission),
                    ("rapid response", row.rapid_response),
                    ("sustained response", row.sustained_response),
                )
            ]
            parts.append(
                f"relapse {row.relapse}/{at_risk} at risk ({_share(row.relapse, at_risk)})"
            )
            lines.append(f"  {row.scale}: {n} patients; " + ", ".join(parts))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = (
            f"<strong>Outcomes</strong>: {len(self.patients)} patient x scale rows, "
            f"{len(self.assessments)} assessments; criteria {html.escape(self.criteria_label())}; "
            f"time in {self.time_unit}"
        )
        return head + self.tidy().to_html(index=False)


def _share(k: int, n: int) -> str:
    return f"{100 * k / n:.1f}%" if n else "-"


def derive(
    data,
    *,
    scale: str | list[str] | None = None,
    criteria: _criteria.Criteria | dict | None = None,
    baseline: int | float | str | None = None,
    endpoint: float | None = None,
    response: _criteria.Response | None = None,
    remission: _criteria.Remission | None = None,
    rapid_response: _criteria.RapidResponse | None = None,
    sustained_response: _criteria.SustainedResponse | None = None,
    stable_remission: _criteria.StableRemission | None = None,
    stable_response: _criteria.StableResponse | None = None,
    relapse: _criteria.Relapse | None = None,
    reliable_change: _criteria.ReliableChange | None = None,
    percent_change: _criteria.PercentChange | None = None,
    allow_identifiers=(),
    allow_negative_days: bool = False,
) -> Outcomes:
    """Derive per-assessment and per-patient outcomes.

    Parameters
    ----------
    data : DataFrame or ValidationReport
        Scores in the canonical long format; a DataFrame is validated first (and a
        :class:`~ketanalysis.DataError` raised on errors). Pass the report of
        :func:`ketanalysis.validate` to skip a second validation.
    scale : str or list of str, optional
        Outcome scales to derive (default: every scale in the data with a remission
        threshold, i.e. all but CADSS). CADSS, when present, gives ``peak_cadss``.
    criteria : Criteria or dict {scale: Criteria}, optional
        The definitions (default :func:`ketanalysis.outcomes.criteria.scale_defaults`, each
        scale at its registry thresholds); the keyword arguments ``response`` ...
        ``percent_change`` replace single definitions. A scale-specific set (e.g.
        ``scale_defaults("MADRS")``, ``SUSTAIN1``) applied to another scale is a
        ``ValueError``; a mapping gives each scale its own set (keys through the registry,
        scales left out get the defaults; the sets may differ only in
        ``remission.threshold``). ``Outcomes.criteria_by_scale`` records each scale's set.
    baseline : session value, "first" or "last_pre", optional
        The baseline assessment: the one at that session, each patient's first, or the last
        with ``day <= 0``. Default: the baseline ``data`` was validated with when it is a
        :class:`~ketanalysis.ValidationReport` (``validate(frame, baseline="pre")``),
        else 0.
    endpoint : session value, optional
        A named endpoint session (e.g. the end of induction); gives the ``endpoint_*``
        columns. Categories of change (``pct_change_category``, ``reliable_change``,
        ``clinically_significant`` in ``patients``) are taken there, else at the last
        assessment.
    allow_identifiers, allow_negative_days
        Passed to :func:`ketanalysis.validate` when ``data`` is a DataFrame.

    Returns
    -------
    Outcomes
        ``assessments``, one row per assessment (sorted by patient, scale, session):

        - ``patient_id``, ``scale``, ``session``, ``day`` (when given), ``score``;
        - ``baseline``: the patient's baseline score on that scale;
        - ``post_baseline``: True after the baseline assessment (events count only there);
        - ``change`` = score - baseline; ``pct_change`` = change / baseline (missing for a
          baseline of 0);
        - ``severity``: the scale's severity band;
        - ``response`` (nullable boolean; missing where pct_change is) and ``remission``
          (score at or below the threshold), both False at and before baseline;
        - ``rci`` = change / S_diff, ``reliable_change`` (improved/unchanged/deteriorated),
          ``clinically_significant`` (recovered/improved/unchanged/deteriorated);
        - ``suicidality``: the suicidality item (MADRS 10, PHQ-9 9, HAM-D 3, QIDS 12,
          BDI-II 9) where items are given;
        - every covariate column of the input.

        ``patients``, one row per patient x scale:

        - ``baseline``, ``baseline_session``, ``baseline_day``; ``n_assessments`` (all,
          baseline included), ``n_post_baseline``;
        - ``last_session``, ``last_day``, ``last_score``, ``last_change``,
          ``last_pct_change``: the last observation;
        - ``endpoint_score``, ``endpoint_change``, ``endpoint_pct_change`` at ``endpoint``;
        - ``pct_change_category``, ``rci``, ``reliable_change``, ``clinically_significant``
          at the endpoint (else the last observation after baseline);
        - ``ever_response``, ``first_response_session``, ``first_response_day``,
          ``rapid_response`` (missing without an assessment in the rapid window),
          ``sustained_response``;
        - ``ever_remission``, ``first_remission_session``, ``first_remission_day``,
          ``stable_remission``, ``stable_response``;
        - ``relapse_at_risk`` (entered the relapse entry state), ``relapse``,
          ``relapse_session``, ``relapse_day``;
        - ``time_to_response``, ``response_event``, ``time_to_remission``,
          ``remission_event`` (from baseline), ``time_to_relapse``, ``relapse_event``
          (from entry or the relapse anchor; missing when not at risk): in ``time_unit``
          (days whenever the data have a ``day`` column; a missing day gives a missing time),
          censored at the last assessment (event 0);
        - ``suicidality_baseline``, ``suicidality_last`` (the last answered value after
          baseline), ``suicidality_resolved`` (item above 0 at baseline and 0 at the last
          answered assessment);
        - ``peak_cadss``: the highest CADSS total of the patient (when CADSS is present);
        - covariates: the value at the baseline assessment.

    Notes
    -----
    Definitions in :mod:`ketanalysis.outcomes.criteria` and docs/architecture.md §4. derive never imputes:
    missed sessions are simply absent. Ties at a threshold count as meeting it (a 50.0 %
    reduction is a response; a score equal to the remission threshold is a remission).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"))
    >>> out.scales
    ('MADRS', 'PHQ9')
    >>> int(out.patients.query("scale == 'MADRS'")["ever_response"].sum())
    83
    """
    report = _validated(data, baseline, allow_identifiers, allow_negative_days)
    if baseline is None:
        baseline = report.baseline
    crit = _resolve_criteria(
        None if isinstance(criteria, dict) else criteria,
        response=response,
        remission=remission,
        rapid_response=rapid_response,
        sustained_response=sustained_response,
        stable_remission=stable_remission,
        stable_response=stable_response,
        relapse=relapse,
        reliable_change=reliable_change,
        percent_change=percent_change,
    )
    frame = report.frame
    scale_codes, scale_names = pd.factorize(frame["scale"])  # hashed once, reused below
    found = set(scale_names)
    present = [k for k in _scales.SCALES if k in found]
    if scale is None:
        chosen = [k for k in present if _scales.SCALES[k].remission_threshold is not None]
    else:
        wanted = [scale] if isinstance(scale, str) else list(scale)
        chosen = [_scales.get(s).key for s in wanted]
        missing = [k for k in chosen if k not in present]
        if missing:
            raise ValueError(
                f"scale {missing} not in the data; scales present: {', '.join(present)}"
            )
    if not chosen:
        raise ValueError(
            f"no outcome scale in the data (scales present: {', '.join(present) or 'none'})"
        )
    by_scale = _resolve_by_scale(criteria, crit, chosen)
    crit = by_scale[chosen[0]]
    if crit.relapse.event_column is not None and crit.relapse.event_column not in frame:
        raise ValueError(
            f"Relapse.event_column={crit.relapse.event_column!r} is not a column of the data"
        )
    engine = Engine(
        frame, chosen, crit, baseline, endpoint, scale_codes, list(scale_names), by_scale
    )
    assessments, patients, parameters = engine.run()
    exclusions = _exclusions(report)
    return Outcomes(
        assessments=assessments,
        patients=patients,
        criteria=crit,
        scales=tuple(chosen),
        baseline=baseline,
        endpoint=endpoint,
        time_unit=engine.time_unit,
        parameters=parameters,
        exclusions=exclusions,
        audit=report.audit,
        validation=report,
        criteria_by_scale=by_scale,
    )


def _validated(data, baseline, allow_identifiers, allow_negative_days) -> ValidationReport:
    if isinstance(data, ValidationReport):
        return data.raise_for_errors()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"derive() needs a DataFrame or a ValidationReport, got {type(data).__name__}"
        )
    return validate(
        data,
        baseline=0 if baseline is None else baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
    ).raise_for_errors()


def _resolve_by_scale(criteria, crit, chosen) -> dict:
    """``{scale: Criteria}``; sets may differ between scales only in remission.threshold."""
    if isinstance(criteria, dict):
        changes = {k: getattr(crit, k) for k in _criteria.PARTS if getattr(crit, k) is not None}
        changes = {k: v for k, v in changes.items() if v != getattr(_criteria.Criteria(), k)}
        by_scale = _criteria.resolve_per_scale(criteria, chosen)
        if changes:
            by_scale = {s: c.replace(**changes) for s, c in by_scale.items()}
            _criteria.resolve_per_scale(by_scale, chosen)  # re-checks that each set fits
    else:
        by_scale = _criteria.resolve_per_scale(crit, chosen)
    first = next(iter(by_scale.values()))
    for s, c in by_scale.items():
        differ = [
            k for k in _criteria.PARTS if k != "remission" and getattr(c, k) != getattr(first, k)
        ]
        if differ:
            raise ValueError(
                f"criteria for {s} differ from those for {chosen[0]} in {', '.join(differ)}; "
                "per-scale criteria may differ only in remission.threshold in one derive() "
                "call - derive each scale separately (derive(scale=...))"
            )
    return by_scale


def _resolve_criteria(criteria, **parts) -> _criteria.Criteria:
    crit = criteria if criteria is not None else _criteria.scale_defaults()
    if not isinstance(crit, _criteria.Criteria):
        raise TypeError(f"criteria must be a Criteria, got {type(crit).__name__}")
    changes = {k: v for k, v in parts.items() if v is not None}
    return crit.replace(**changes) if changes else crit


def _exclusions(report: ValidationReport) -> pd.DataFrame:
    audit = report.audit
    if audit.empty:
        return pd.DataFrame(
            {
                "reason": pd.Series(dtype=object),
                "rows": pd.Series(dtype=int),
                "patients": pd.Series(dtype=int),
            }
        )
    reason = audit["reason"].str.replace(r" \(.*\)$", "", regex=True)
    g = audit.assign(reason=reason).groupby("reason", sort=True)
    return pd.DataFrame({"rows": g.size(), "patients": g["patient_id"].nunique()}).reset_index()
