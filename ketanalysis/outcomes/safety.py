"""Derivation of safety outcomes: vital signs, dissociation and adverse events per session.

:func:`derive_safety` validates vital signs and adverse events
(:mod:`ketanalysis.validation.safety`, where their canonical formats are described) and
derives the per-session and per-patient tables (pre-dose values, peaks, rises, threshold
flags, time to return towards the pre-dose value, peak CADSS, adverse-event counts) under
:class:`SafetyThresholds`, returned as :class:`SafetyOutcomes`. Statistics on them are in
:mod:`ketanalysis.stats.safety`.

Only numpy and pandas are imported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..validation.issues import format_number
from ..validation.report import ValidationReport
from ..validation.safety import BP_HR, SafetyValidationReport, check_adverse_events, check_vitals
from ..validation.scores import validate
from .scores import Outcomes

__all__ = ["SafetyOutcomes", "SafetyThresholds", "derive_safety"]


_COVARIATES = ("arm", "route", "dose_mg_per_kg", "dose_mg", "site")


@dataclass(frozen=True)
class SafetyThresholds:
    """Blood-pressure limits that flag a session, and the band of return to pre-dose.

    Parameters
    ----------
    pre_sbp, pre_dbp : float, default 140, 90
        A pre-dose reading at or above either (mmHg) flags the session (``flag_pre``).
    post_sbp, post_dbp : float, default 180, 110
        Any reading after dosing at or above either (mmHg) flags the session
        (``flag_post``).
    return_within : float, default 0.10
        A value has returned when it is at most ``(1 + return_within)`` times its pre-dose
        value (10 % above pre-dose by default).
    inclusive : bool, default True
        Limits are met at equality (``>=``); ``False`` flags only values strictly above
        them (``>``), the wording of the US label for the pre-dose limit.

    Notes
    -----
    Sources of the defaults, and how far they go:

    - Pre-dose 140/90 mmHg. SPRAVATO (esketamine) nasal spray, US Prescribing
      Information, Janssen Pharmaceuticals (initial approval 2019), sections 2 (Dosage
      and Administration) and 5 (Warnings and Precautions, Increases in Blood Pressure):
      assess blood pressure before dosing; if it is elevated (e.g. > 140 mmHg systolic or
      > 90 mmHg diastolic) weigh the risk of a short-term rise against the benefit. In the
      phase 3 trials in treatment-resistant depression dosing was withheld when the
      pre-dose value exceeded 140 (150 at 65 years or older) / 90 mmHg (Janssen medical
      information). The label says "greater than"; ketanalysis flags at equality by
      default (``inclusive=True``) so that a reading at the limit is looked at.
    - Monitoring times. The same label: reassess about 40 minutes after dosing (the time
      of the peak rise, which lasts about 4 hours) and afterwards as clinically warranted
      until values fall; the SPRAVATO REMS requires at least 2 hours of observation after
      each dose.
    - After dosing 180/110 mmHg. The US label gives no number: it asks that patients
      with symptoms of a hypertensive crisis be referred for emergency care. 180/110
      mmHg is the lower bound of grade 3 (severe) hypertension in the 2018 ESC/ESH
      guidelines (Williams B, Mancia G, Spiering W, et al. Eur Heart J
      2018;39:3021-3104), the limit clinic monitoring protocols commonly adopt for a
      post-dose reading that needs action. Set your own protocol's limits here.
    - The 10 % band of return to pre-dose is a convention of this toolkit, not a
      published rule.

    Examples
    --------
    >>> from ketanalysis import SafetyThresholds
    >>> t = SafetyThresholds()
    >>> (t.pre_sbp, t.pre_dbp, t.post_sbp, t.post_dbp, t.return_within)
    (140.0, 90.0, 180.0, 110.0, 0.1)
    >>> SafetyThresholds(post_sbp=160).post_sbp
    160.0
    """

    pre_sbp: float = 140.0
    pre_dbp: float = 90.0
    post_sbp: float = 180.0
    post_dbp: float = 110.0
    return_within: float = 0.10
    inclusive: bool = True

    #: Where the defaults come from (see the Notes).
    source = (
        "Pre-dose 140/90 mmHg and reassessment ~40 min after dosing: SPRAVATO (esketamine) "
        "nasal spray US Prescribing Information (Janssen, 2019-), sections 2 and 5 "
        "(Increases in Blood Pressure). Post-dose 180/110 mmHg: grade 3 hypertension, 2018 "
        "ESC/ESH guidelines (Williams B et al. Eur Heart J 2018;39:3021-3104); the US label "
        "gives no post-dose number. Return band 10 %: ketanalysis convention."
    )

    def __post_init__(self):
        for name in ("pre_sbp", "pre_dbp", "post_sbp", "post_dbp", "return_within"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise TypeError(f"SafetyThresholds.{name} must be a number, got {value!r}")
            if not np.isfinite(value) or value < 0:
                raise ValueError(
                    f"SafetyThresholds.{name} must be a non-negative number, got {value!r}"
                )
            object.__setattr__(self, name, float(value))
        if not isinstance(self.inclusive, (bool, np.bool_)):
            raise TypeError(
                f"SafetyThresholds.inclusive must be True or False, got {self.inclusive!r}"
            )
        object.__setattr__(self, "inclusive", bool(self.inclusive))

    def to_dict(self) -> dict:
        """The settings as a plain dict (for reports and provenance)."""
        return asdict(self)

    def describe(self) -> pd.DataFrame:
        """One row per limit: ``threshold``, ``value``, ``rule`` (plain words)."""
        op = "≥" if self.inclusive else ">"
        rows = [
            ("pre_sbp", self.pre_sbp, f"pre-dose systolic {op} {format_number(self.pre_sbp)} mmHg"),
            (
                "pre_dbp",
                self.pre_dbp,
                f"pre-dose diastolic {op} {format_number(self.pre_dbp)} mmHg",
            ),
            (
                "post_sbp",
                self.post_sbp,
                f"post-dose systolic {op} {format_number(self.post_sbp)} mmHg",
            ),
            (
                "post_dbp",
                self.post_dbp,
                f"post-dose diastolic {op} {format_number(self.post_dbp)} mmHg",
            ),
            (
                "return_within",
                self.return_within,
                f"returned when at most {100 * self.return_within:g} % above pre-dose",
            ),
        ]
        return pd.DataFrame(rows, columns=["threshold", "value", "rule"])

    def _meets(self, values, limit) -> pd.Series:
        """``values >= limit`` (or ``>``) as a nullable boolean (missing stays missing)."""
        v = pd.Series(values, dtype=float)
        hit = (v >= limit) if self.inclusive else (v > limit)
        return hit.astype("boolean").mask(v.isna())


@dataclass(frozen=True)
class SafetyOutcomes:
    """Per-session and per-patient safety tables (see :func:`derive_safety`).

    Attributes
    ----------
    sessions : DataFrame
        One row per patient x treatment session (columns in :func:`derive_safety`).
    patients : DataFrame
        One row per patient.
    adverse_events : DataFrame
        The validated adverse events (no-event records removed) with the session's
        ``infusion`` number and covariates; empty without adverse-event data.
    thresholds : SafetyThresholds
        The limits used.
    audit : DataFrame
        Every input row excluded by validation: ``data`` (``"vitals"`` or
        ``"adverse_events"``), ``row``, ``patient_id``, ``session``, ``reason``.
    """

    sessions: pd.DataFrame = field(repr=False)
    patients: pd.DataFrame = field(repr=False)
    adverse_events: pd.DataFrame = field(repr=False)
    thresholds: SafetyThresholds
    audit: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """Counts of sessions and patients flagged or with events.

        Columns ``quantity``, ``k`` (sessions or patients with it), ``n`` (known).
        """
        s, p = self.sessions, self.patients
        rows = []
        for name, frame, col in (
            ("sessions with a pre-dose flag", s, "flag_pre"),
            ("sessions with a post-dose flag", s, "flag_post"),
            ("sessions with an adverse event", s, "any_ae"),
            ("patients with a post-dose flag", p, "any_flag_post"),
            ("patients with an adverse event", p, "any_ae"),
            ("patients with a severe adverse event", p, "any_severe_ae"),
            ("patients with a serious adverse event", p, "any_serious_ae"),
        ):
            if col in frame:
                v = frame[col]
                rows.append((name, int(v.sum(skipna=True)), int(v.notna().sum())))
        return pd.DataFrame(rows, columns=["quantity", "k", "n"])

    def summary(self) -> str:
        """A short plain-text summary: the counts of :meth:`tidy`, one line each."""
        lines = [
            f"Safety: {len(self.sessions)} sessions of {len(self.patients)} patients; "
            f"{len(self.audit)} input rows excluded"
        ]
        for quantity, k, n in self.tidy().itertuples(index=False):
            lines.append(f"  {quantity}: {k} of {n}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = (
            f"<strong>Safety</strong>: {len(self.sessions)} sessions of "
            f"{len(self.patients)} patients; {len(self.audit)} input rows excluded"
        )
        return head + self.tidy().to_html(index=False)


def derive_safety(
    vitals=None,
    adverse_events=None,
    scores=None,
    *,
    thresholds: SafetyThresholds | None = None,
    allow_identifiers: Iterable[str] = (),
) -> SafetyOutcomes:
    """Derive per-session and per-patient safety tables.

    Parameters
    ----------
    vitals : DataFrame or SafetyValidationReport, optional
        Vital signs (canonical format, e.g. from :func:`read_vitals`); validated first
        (a :class:`~ketanalysis.DataError` lists every problem).
    adverse_events : DataFrame or SafetyValidationReport, optional
        Adverse events (e.g. from :func:`read_adverse_events`).
    scores : DataFrame, ValidationReport or Outcomes, optional
        Scores in the canonical long format; their CADSS rows give the peak CADSS of each
        session and mark dosing sessions. Covariates missing from the safety data
        (``route``, dose, ``arm``) are taken from here.
    thresholds : SafetyThresholds, optional
        Limits of the flags and the band of return (default :class:`SafetyThresholds`).
    allow_identifiers : iterable of str
        Passed to the validation.

    Returns
    -------
    SafetyOutcomes
        ``sessions``: one row per patient x session found in any input (vital signs,
        adverse events, CADSS scores), sorted by patient and session:

        - ``patient_id``, ``session``; ``infusion``: the session's order among the
          patient's sessions here (1 = first treatment session);
        - covariates ``arm``, ``route``, ``dose_mg_per_kg``, ``dose_mg``, ``site`` where
          given (vital signs first, then adverse events, then scores) and ``dose_group``
          (route and dose as text, e.g. ``"IV 0.5 mg/kg"``, ``"intranasal 84 mg"``);
        - ``n_readings``: vital-sign rows of the session;
        - for ``v`` in ``sbp``, ``dbp``, ``hr``: ``v_pre`` (the last pre-dose reading, by
          minutes where given, else in input order), ``v_peak`` (the highest reading
          after dosing), ``v_rise`` = ``v_peak - v_pre``, ``v_peak_minutes`` (minutes of
          the first reading at the peak, where minutes are recorded), ``v_discharge``
          (the discharge reading);
        - ``spo2_pre``, ``spo2_min`` (the lowest after dosing) when SpO2 is given;
        - ``flag_pre_sbp``, ``flag_pre_dbp``: pre-dose value at or above
          ``thresholds.pre_sbp`` / ``pre_dbp``; ``flag_pre``: either;
          ``flag_post_sbp``, ``flag_post_dbp``: any reading after dosing at or above
          ``post_sbp`` / ``post_dbp``; ``flag_post``: either; ``flag_any``: ``flag_pre``
          or ``flag_post``. Nullable booleans: missing when the values are missing, and
          an "either" is True as soon as one part is True;
        - for ``v`` in ``sbp``, ``dbp``, ``hr``: ``v_returned`` and
          ``v_minutes_to_return``: see Notes;
        - ``cadss``: peak CADSS of the session (the CADSS score, else the highest
          ``cadss`` reading of the vital signs);
        - ``n_ae``: adverse events recorded; ``any_ae``, ``any_severe_ae``,
          ``any_serious_ae`` (False where the session has none; missing for sessions
          without adverse-event data when ``adverse_events`` is not given).

        ``patients``: one row per patient: covariates (first session), ``n_sessions``,
        ``n_flag_pre``, ``n_flag_post`` (sessions flagged), ``any_flag_pre``,
        ``any_flag_post``, ``sbp_peak_max``, ``dbp_peak_max``, ``hr_peak_max``,
        ``sbp_rise_max``, ``dbp_rise_max``, ``hr_rise_max``, ``sbp_rise_mean``,
        ``cadss_first`` (at the first session with a CADSS), ``cadss_max``, ``n_ae``,
        ``n_sessions_ae``, ``any_ae``, ``any_severe_ae``, ``any_serious_ae``.

        ``adverse_events``, ``thresholds`` and ``audit``: see :class:`SafetyOutcomes`.

    Notes
    -----
    Pre-dose is the time point ``pre``; every other time point (``peak``, ``post``,
    ``discharge``) is after dosing. Thresholds and their sources: :class:`SafetyThresholds`.

    Return towards pre-dose (for each of SBP, DBP and HR, from the readings after dosing
    that have minutes): with ``limit = pre * (1 + return_within)``, if no reading exceeds
    ``limit`` the value never left the band (``returned`` True, 0 minutes); otherwise
    ``minutes_to_return`` is the minutes of the first reading at or after the peak that
    is at or below ``limit`` (``returned`` True), and when there is none ``returned`` is
    False and the minutes missing (not reached while recorded). Falling below pre-dose
    counts as returned. Both are missing without a pre-dose value, without timed readings
    after dosing, or when a reading after dosing has no minutes (it cannot be placed in
    time).

    Examples
    --------
    >>> import pandas as pd
    >>> from ketanalysis import derive_safety
    >>> v = pd.DataFrame({"patient_id": "a", "session": 1,
    ...                   "timepoint": ["pre", "40min", "post", "discharge"],
    ...                   "minutes": [-5, 40, 80, 120],
    ...                   "sbp": [130, 182, 150, 140], "dbp": [80, 95, 88, 84]})
    >>> s = derive_safety(v).sessions
    >>> s[["sbp_pre", "sbp_peak", "sbp_rise", "flag_pre", "flag_post"]]
       sbp_pre  sbp_peak  sbp_rise  flag_pre  flag_post
    0    130.0     182.0      52.0     False       True
    >>> s[["sbp_minutes_to_return", "dbp_minutes_to_return"]]
       sbp_minutes_to_return  dbp_minutes_to_return
    0                  120.0                   80.0
    """
    thresholds = SafetyThresholds() if thresholds is None else thresholds
    if not isinstance(thresholds, SafetyThresholds):
        raise TypeError(f"thresholds must be a SafetyThresholds, got {type(thresholds).__name__}")
    if vitals is None and adverse_events is None and scores is None:
        raise ValueError("derive_safety needs vitals, adverse_events or scores")
    audits = []
    vit = None
    if vitals is not None:
        rep = _validated(vitals, "vitals", allow_identifiers)
        vit = rep.frame
        audits.append(_audit_part(rep, "vitals"))
    ae = None
    if adverse_events is not None:
        rep = _validated(adverse_events, "adverse_events", allow_identifiers)
        ae = rep.frame
        audits.append(_audit_part(rep, "adverse_events"))
    score_frame = _score_frame(scores) if scores is not None else None
    cad = _cadss_rows(score_frame) if score_frame is not None else None

    keys = ["patient_id", "session"]
    parts = [f[keys] for f in (vit, ae, cad) if f is not None]
    sessions = _session_keys(parts)
    if vit is not None:
        sessions = _vital_columns(sessions, vit, thresholds)
    if ae is not None or adverse_events is not None:
        sessions = _ae_columns(sessions, ae)
    sessions = _cadss_column(sessions, vit, cad)
    sessions = _covariates(sessions, [f for f in (vit, ae) if f is not None], score_frame)
    patients = _patients(sessions)
    events = _events(ae, sessions)
    audit = (
        pd.concat(audits, ignore_index=True)
        if audits
        else pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("data", "row", "patient_id", "session", "reason")}
        )
    )
    return SafetyOutcomes(
        sessions=sessions,
        patients=patients,
        adverse_events=events,
        thresholds=thresholds,
        audit=audit,
    )


def _validated(data, kind, allow_identifiers) -> SafetyValidationReport:
    if isinstance(data, SafetyValidationReport):
        if data.kind != kind:
            raise ValueError(f"a {data.kind} validation report was given as {kind}")
        return data.raise_for_errors()
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{kind} must be a DataFrame or a SafetyValidationReport, got {type(data).__name__}"
        )
    if kind == "vitals":
        rep = check_vitals(data, None, allow_identifiers, None)[0]
    else:
        rep = check_adverse_events(data, allow_identifiers, None)[0]
    return rep.raise_for_errors()


def _audit_part(rep: SafetyValidationReport, kind: str) -> pd.DataFrame:
    a = rep.audit
    return pd.DataFrame(
        {
            "data": kind,
            "row": a["row"].to_numpy(dtype=object),
            "patient_id": a["patient_id"].to_numpy(dtype=object),
            "session": a["session"].to_numpy(dtype=object),
            "reason": a["reason"].to_numpy(dtype=object),
        }
    )


def _score_frame(scores) -> pd.DataFrame:
    """The validated score frame (excluded rows removed)."""
    if isinstance(scores, Outcomes):
        return scores.validation.frame
    if isinstance(scores, ValidationReport):
        return scores.raise_for_errors().frame
    if isinstance(scores, pd.DataFrame):
        return validate(scores).raise_for_errors().frame
    raise TypeError(
        "scores must be a DataFrame, a ValidationReport or an Outcomes, got "
        f"{type(scores).__name__}"
    )


def _cadss_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """CADSS rows of a score frame: patient_id, session, cadss and the covariates."""
    cad = frame.loc[(frame["scale"] == "CADSS").to_numpy()]
    cols = ["patient_id", "session", "score"] + [c for c in _COVARIATES if c in frame]
    return cad[cols].rename(columns={"score": "cadss"}).reset_index(drop=True)


def _session_keys(parts: list[pd.DataFrame]) -> pd.DataFrame:
    keys = pd.concat(parts, ignore_index=True).drop_duplicates()
    if keys["session"].dtype == object:
        try:
            keys["session"] = pd.to_numeric(keys["session"])
        except (TypeError, ValueError):
            raise ValueError(
                "the sessions of vital signs, adverse events and scores are of different "
                "kinds (numbers and labels); use the same session values in every input"
            ) from None
    keys = keys.sort_values(["patient_id", "session"], kind="stable").reset_index(drop=True)
    keys["infusion"] = keys.groupby("patient_id", sort=False).cumcount().to_numpy() + 1
    return keys


def _vital_columns(sessions, vit, th: SafetyThresholds) -> pd.DataFrame:
    keys = ["patient_id", "session"]
    v = vit.copy()
    v["_order"] = np.arange(len(v))
    # readings in time order: by minutes where given, else input order (missing minutes
    # sort first, so a timed pre-dose reading counts as the latest)
    v = v.sort_values([*keys, "minutes", "_order"], na_position="first", kind="stable")
    is_pre = (v["timepoint"] == "pre").to_numpy()
    gall = v.groupby(keys, sort=False, observed=True)
    out = gall.size().rename("n_readings").to_frame()
    pre = v[is_pre].groupby(keys, sort=False, observed=True)
    post_rows = v[~is_pre]
    post = post_rows.groupby(keys, sort=False, observed=True)
    for m in BP_HR:
        out[f"{m}_pre"] = pre[m].last()
        out[f"{m}_peak"] = post[m].max()
        out[f"{m}_rise"] = out[f"{m}_peak"] - out[f"{m}_pre"]
        at_peak = post_rows[m] == post_rows.groupby(keys, sort=False, observed=True)[m].transform(
            "max"
        )
        out[f"{m}_peak_minutes"] = (
            post_rows["minutes"].where(at_peak).groupby([post_rows[k] for k in keys]).min()
        )
        dis = v[(v["timepoint"] == "discharge").to_numpy()]
        out[f"{m}_discharge"] = dis.groupby(keys, sort=False, observed=True)[m].last()
    if "spo2" in v and v["spo2"].notna().any():
        out["spo2_pre"] = pre["spo2"].last()
        out["spo2_min"] = post["spo2"].min()
    out = out.reindex(pd.MultiIndex.from_frame(sessions[keys]))
    flags = {
        "flag_pre_sbp": th._meets(out["sbp_pre"], th.pre_sbp),
        "flag_pre_dbp": th._meets(out["dbp_pre"], th.pre_dbp),
        "flag_post_sbp": th._meets(out["sbp_peak"], th.post_sbp),
        "flag_post_dbp": th._meets(out["dbp_peak"], th.post_dbp),
    }
    # Kleene logic: "either" is True when one part is True, missing when unknown
    flags["flag_pre"] = flags["flag_pre_sbp"] | flags["flag_pre_dbp"]
    flags["flag_post"] = flags["flag_post_sbp"] | flags["flag_post_dbp"]
    flags["flag_any"] = flags["flag_pre"] | flags["flag_post"]
    for name in ("flag_pre_sbp", "flag_pre_dbp", "flag_pre"):
        out[name] = flags[name]
    for name in ("flag_post_sbp", "flag_post_dbp", "flag_post", "flag_any"):
        out[name] = flags[name]
    for m in BP_HR:
        returned, minutes = _return(post_rows, out[f"{m}_pre"], m, th.return_within, keys)
        out[f"{m}_returned"] = returned
        out[f"{m}_minutes_to_return"] = minutes
    out["n_readings"] = out["n_readings"].fillna(0).astype(np.int64)
    return pd.concat([sessions.reset_index(drop=True), out.reset_index(drop=True)], axis=1)


def _return(post_rows, pre, m, within, keys) -> tuple[pd.Series, pd.Series]:
    """Per session: returned (nullable bool) and minutes to return (float); see Notes."""
    has_value = post_rows[m].notna()
    untimed = (
        (has_value & post_rows["minutes"].isna())
        .groupby([post_rows[k] for k in keys], observed=True)
        .any()
    )
    timed = post_rows[(has_value & post_rows["minutes"].notna()).to_numpy()]
    gk = [timed[k] for k in keys]
    limit = pre.reindex(pd.MultiIndex.from_frame(timed[keys])).to_numpy() * (1 + within)
    vmax = timed.groupby(gk, observed=True)[m].transform("max")
    t_peak = timed["minutes"].where(timed[m] == vmax).groupby(gk, observed=True).transform("min")
    back = (timed["minutes"] >= t_peak).to_numpy() & (timed[m].to_numpy() <= limit + 1e-9)
    peak = timed.groupby(gk, observed=True)[m].max()
    t_return = timed["minutes"].where(back).groupby(gk, observed=True).min().reindex(peak.index)
    lim = pre.reindex(peak.index) * (1 + within)
    never_left = (peak <= lim + 1e-9).to_numpy()
    known = lim.notna().to_numpy() & ~untimed.reindex(peak.index, fill_value=False).to_numpy()
    returned = pd.array(never_left | t_return.notna().to_numpy(), dtype="boolean")
    returned[~known] = pd.NA
    minutes = np.where(never_left, 0.0, t_return.to_numpy(dtype=float))
    minutes[~known] = np.nan
    returned = pd.Series(returned, index=peak.index).reindex(pre.index)
    minutes = pd.Series(minutes, index=peak.index).reindex(pre.index)
    return returned.astype("boolean"), minutes


def _ae_columns(sessions, ae) -> pd.DataFrame:
    keys = ["patient_id", "session"]
    idx = pd.MultiIndex.from_frame(sessions[keys])
    if ae is None or ae.empty:
        n = pd.Series(0, index=idx)
        sev = ser = pd.Series(False, index=idx)
    else:
        ev = ae[ae["ae_term"].notna()]
        g = ev.groupby(keys, sort=False, observed=True)
        n = g.size().reindex(idx, fill_value=0)
        sev = (ev["severity"] == "severe").groupby([ev[k] for k in keys]).any()
        ser = ev["serious"].fillna(False).astype(bool).groupby([ev[k] for k in keys]).any()
        sev = sev.reindex(idx, fill_value=False)
        ser = ser.reindex(idx, fill_value=False)
    out = sessions.copy()
    out["n_ae"] = n.to_numpy(dtype=np.int64)
    out["any_ae"] = pd.array(n.to_numpy() > 0, dtype="boolean")
    out["any_severe_ae"] = pd.array(sev.to_numpy(dtype=bool), dtype="boolean")
    out["any_serious_ae"] = pd.array(ser.to_numpy(dtype=bool), dtype="boolean")
    return out


def _cadss_column(sessions, vit, cad) -> pd.DataFrame:
    keys = ["patient_id", "session"]
    in_vitals = vit is not None and "cadss" in vit and vit["cadss"].notna().any()
    if not in_vitals and cad is None:
        return sessions
    idx = pd.MultiIndex.from_frame(sessions[keys])
    value = pd.Series(np.nan, index=idx)
    if in_vitals:
        value = vit.groupby(keys, sort=False, observed=True)["cadss"].max().reindex(idx)
    if cad is not None:
        from_scores = cad.groupby(keys, sort=False, observed=True)["cadss"].max().reindex(idx)
        value = from_scores.where(from_scores.notna(), value)
    out = sessions.copy()
    out["cadss"] = value.to_numpy(dtype=float)
    return out


def _covariates(sessions, frames, score_frame) -> pd.DataFrame:
    keys = ["patient_id", "session"]
    idx = pd.MultiIndex.from_frame(sessions[keys])
    cov = None
    sources = list(frames)
    if score_frame is not None:
        sources.append(score_frame)
    for f in sources:
        cols = [c for c in _COVARIATES if c in f]
        if not cols:
            continue
        first = f.groupby(keys, sort=False, observed=True)[cols].first().reindex(idx)
        cov = first if cov is None else cov.combine_first(first)
    if score_frame is not None:
        cols = [c for c in _COVARIATES if c in score_frame]
        if cols:
            per_patient = score_frame.groupby("patient_id", sort=False)[cols].first()
            fill = per_patient.reindex(idx.get_level_values(0))
            fill.index = idx
            cov = fill if cov is None else cov.combine_first(fill)
    if cov is None:
        return sessions
    cols = [c for c in _COVARIATES if c in cov]
    out = sessions.copy()
    at = 3  # after patient_id, session, infusion
    for i, c in enumerate(cols):
        out.insert(at + i, c, cov[c].to_numpy())
    if "route" in cols or "dose_mg_per_kg" in cols or "dose_mg" in cols:
        out.insert(at + len(cols), "dose_group", _dose_group(out))
    return out


def _dose_group(frame: pd.DataFrame) -> np.ndarray:
    """Route and dose as text: "IV 0.5 mg/kg", "intranasal 84 mg", "IM" (no dose)."""
    n = len(frame)

    def col(name):
        return frame[name] if name in frame else pd.Series([None] * n, index=frame.index)

    combos = pd.DataFrame(
        {
            "r": col("route").astype(object).to_numpy(),
            "k": pd.to_numeric(col("dose_mg_per_kg"), errors="coerce").to_numpy(dtype=float),
            "m": pd.to_numeric(col("dose_mg"), errors="coerce").to_numpy(dtype=float),
        }
    )
    codes = combos.groupby(["r", "k", "m"], dropna=False, sort=False).ngroup().to_numpy()
    labels = []
    for r, k, m in combos.drop_duplicates().itertuples(index=False):  # once per combination
        parts = [] if r is None or r is pd.NA or r != r else [str(r)]
        if np.isfinite(k):
            parts.append(f"{k:g} mg/kg")
        elif np.isfinite(m):
            parts.append(f"{m:g} mg")
        labels.append(" ".join(parts) if parts else None)
    return np.asarray(labels, dtype=object)[codes]


def _patients(sessions: pd.DataFrame) -> pd.DataFrame:
    g = sessions.groupby("patient_id", sort=True)
    cov = [c for c in (*_COVARIATES, "dose_group") if c in sessions]
    out = g[cov].first() if cov else pd.DataFrame(index=g.size().index)
    out["n_sessions"] = g.size()
    if "flag_pre" in sessions:
        for name in ("pre", "post"):
            f = sessions[f"flag_{name}"]
            out[f"n_flag_{name}"] = (
                f.fillna(False).astype(bool).groupby(sessions["patient_id"]).sum()
            )
            known = f.notna().groupby(sessions["patient_id"]).any()
            anyf = f.fillna(False).astype(bool).groupby(sessions["patient_id"]).any()
            out[f"any_flag_{name}"] = pd.array(anyf.to_numpy(), dtype="boolean")
            out.loc[~known.reindex(out.index).to_numpy(), f"any_flag_{name}"] = pd.NA
        for m in BP_HR:
            out[f"{m}_peak_max"] = g[f"{m}_peak"].max()
        for m in BP_HR:
            out[f"{m}_rise_max"] = g[f"{m}_rise"].max()
        out["sbp_rise_mean"] = g["sbp_rise"].mean()
    if "cadss" in sessions:
        with_c = sessions[sessions["cadss"].notna()]
        out["cadss_first"] = with_c.groupby("patient_id", sort=True)["cadss"].first()
        out["cadss_max"] = g["cadss"].max()
    if "n_ae" in sessions:
        out["n_ae"] = g["n_ae"].sum()
        out["n_sessions_ae"] = g["any_ae"].sum()
        for c in ("any_ae", "any_severe_ae", "any_serious_ae"):
            out[c] = pd.array(g[c].any().to_numpy(), dtype="boolean")
    return out.reset_index()


def _events(ae, sessions) -> pd.DataFrame:
    if ae is None:
        return pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("patient_id", "session", "ae_term")}
        )
    ev = ae[ae["ae_term"].notna()].drop(columns=[c for c in _COVARIATES if c in ae])
    extra = [c for c in ("infusion", *_COVARIATES, "dose_group") if c in sessions]
    merged = ev.merge(
        sessions[["patient_id", "session", *extra]],
        on=["patient_id", "session"],
        how="left",
        sort=False,
    )
    return merged.reset_index(drop=True)
