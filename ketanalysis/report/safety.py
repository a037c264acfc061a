"""The report's safety data and tables: vital signs and adverse events read from the files
named by ``[input.safety]``, derived once with :func:`ketanalysis.derive_safety`, and the
tables of the safety and dissociation sections.

Every number comes from :func:`ketanalysis.derive_safety` or :mod:`ketanalysis.stats`
(:func:`~ketanalysis.stats.ae_incidence`, :func:`~ketanalysis.stats.cadss_trend`,
:func:`~ketanalysis.stats.dissociation_response`); every table goes through the privacy
rules. Counts only: no table lists a patient. Nothing here imports matplotlib.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import ConfigError
from .privacy import Privacy, Rule
from .table_format import CI_COLUMNS, LABELS, column_labels, make_table, rate_formats, rate_rules
from .tabular import Table

__all__ = [
    "FLAGS",
    "TOP_TERMS",
    "SafetyData",
    "ae_table",
    "changed_limits",
    "cadss_trend_table",
    "dissociation_response_table",
    "exclusion_table",
    "load_safety",
    "rise_table",
    "threshold_table",
]

#: Adverse-event terms shown in the table and the figure (the most frequent ones).
TOP_TERMS = 10
#: The session flags of :func:`ketanalysis.derive_safety`, in table order.
FLAGS = (
    "flag_pre_sbp",
    "flag_pre_dbp",
    "flag_pre",
    "flag_post_sbp",
    "flag_post_dbp",
    "flag_post",
    "flag_any",
)
_MEASURES = {"sbp": "systolic (mmHg)", "dbp": "diastolic (mmHg)", "hr": "heart rate (beats/min)"}
_ALL = "All"
_MISSING = "(missing)"


@dataclass(frozen=True)
class SafetyData:
    """What the safety section and figures need.

    Attributes
    ----------
    outcomes : SafetyOutcomes
        :func:`ketanalysis.derive_safety` of the safety files with the scores; when the
        report has a group, its ``sessions`` and ``adverse_events`` carry the group column
        as text (a patient's group from the scores where the safety files lack it;
        ``"(missing)"`` for patients not in the scores).
    readings : DataFrame or None
        The vital-sign readings as read (with the group column), for the figure (which
        leaves out the rows validation excludes).
    files : dict
        ``{"vitals": file name, "adverse_events": file name}`` of the files given.
    """

    outcomes: object
    readings: pd.DataFrame | None
    files: dict

    @property
    def has_vitals(self) -> bool:
        return self.readings is not None and "flag_pre" in self.outcomes.sessions

    @property
    def has_ae(self) -> bool:
        return "adverse_events" in self.files


def load_safety(ctx) -> SafetyData:
    """Read, validate and derive the safety files of ``ctx.config`` (:class:`SafetyData`).

    Raises :class:`~ketanalysis.DataError` listing every problem of a file with its rows,
    and :class:`~ketanalysis.config.ConfigError` (key ``input.safety``) when the safety
    data do not fit the scores.
    """
    import ketanalysis as ka

    cfg = ctx.config
    allow = list(cfg.input.allow_identifiers)
    frames, files = {}, {}
    readers = {"vitals": ka.read_vitals, "adverse_events": ka.read_adverse_events}
    for kind, value in cfg.input.safety.given().items():
        path = Path(cfg.path(value))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ka.DataWarning)  # exclusions are in the audit
            # a DataError lists every problem of the file with its row and value
            frames[kind] = readers[kind](path, allow_identifiers=allow, **_options(cfg, kind))
        files[kind] = path.name
    try:
        out = ka.derive_safety(
            frames.get("vitals"),
            frames.get("adverse_events"),
            ctx.report,
            thresholds=cfg.safety.thresholds(),
            allow_identifiers=allow,
        )
    except ka.DataError:
        raise
    except ValueError as e:  # e.g. sessions as numbers here and labels there
        raise ConfigError("input.safety", str(e)) from None
    readings = frames.get("vitals")
    if ctx.group is not None:
        groups = _patient_groups(ctx)
        out = dataclasses.replace(
            out,
            sessions=_with_group(out.sessions, ctx.group, groups),
            adverse_events=_with_group(out.adverse_events, ctx.group, groups),
        )
        if readings is not None:
            readings = _with_group(readings, ctx.group, groups)
    return SafetyData(outcomes=out, readings=readings, files=files)


def _options(cfg, kind: str) -> dict:
    """Reader options of a safety file from ``[input.safety]``."""
    s = cfg.input.safety
    if kind != "adverse_events":
        return {}
    out: dict = {}
    if s.adverse_events_columns:
        out["columns"] = dict(s.adverse_events_columns)
    if s.adverse_events_instrument:
        if not cfg.input.redcap_events:
            raise ConfigError(
                "input.safety.adverse_events_instrument",
                "a REDCap adverse-event instrument needs [input] redcap_events (its events)",
            )
        out["instrument"] = s.adverse_events_instrument
        out["events"] = cfg.redcap_event_map()
    return out


def _patient_groups(ctx) -> pd.Series:
    p = ctx.out.patients
    p = p.loc[p["scale"] == ctx.primary]
    return p.set_index(p["patient_id"].astype(str))[ctx.group]


def _with_group(frame: pd.DataFrame, group: str, groups: pd.Series) -> pd.DataFrame:
    """``frame`` with ``group`` as text: its own values, else the patient's from the scores."""
    frame = frame.copy()
    from_scores = frame["patient_id"].astype(str).map(groups)
    values = frame[group] if group in frame else from_scores
    values = values.astype(object).where(values.notna(), from_scores.astype(object))
    frame[group] = [_text(v) for v in values.tolist()]
    return frame


def _text(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return _MISSING
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _groups(frame: pd.DataFrame, group, privacy: Privacy) -> list[tuple[str, np.ndarray]]:
    """(label, row mask) per group level, then all rows (not with groups under strict
    privacy: the total would reveal hidden group counts by difference)."""
    out = []
    if group is not None:
        levels = sorted(pd.unique(frame[group]), key=lambda v: (v == _MISSING, v))
        out = [(v, (frame[group] == v).to_numpy()) for v in levels]
    if group is None or not privacy.strict:
        out.append((_ALL, np.ones(len(frame), dtype=bool)))
    return out


# ---------------------------------------------------------------------------------------
# Tables of the safety section
# ---------------------------------------------------------------------------------------
def changed_limits(thresholds) -> tuple[str, ...]:
    """The settings of ``thresholds`` that differ from the defaults of
    :class:`~ketanalysis.SafetyThresholds` (set in ``[safety]``), in field order."""
    from ..outcomes import SafetyThresholds

    default = SafetyThresholds()
    return tuple(
        f.name
        for f in dataclasses.fields(thresholds)
        if getattr(thresholds, f.name) != getattr(default, f.name)
    )


def thresholds_table(thresholds) -> Table:
    """The limits used (:meth:`SafetyThresholds.describe`), their source as the note; the
    limits set in the configuration (``[safety]``) are named as such, with the defaults."""
    from ..outcomes import SafetyThresholds

    changed = changed_limits(thresholds)
    note = "Sources: " + thresholds.source
    if changed:
        default = SafetyThresholds()
        own = ", ".join(f"{k} = {_g(getattr(thresholds, k))}" for k in changed)
        was = ", ".join(f"{k} = {_g(getattr(default, k))}" for k in changed)
        note = (
            f"Set in the report configuration ([safety]): {own} "
            f"(defaults: {was}). Sources of the defaults: " + thresholds.source
        )
    return Table(
        "safety_thresholds",
        "Safety: blood-pressure limits that flag a session",
        thresholds.describe(),
        formats={"value": "g"},
        note=note,
    )


def _g(value) -> str:
    return str(value).lower() if isinstance(value, bool) else f"{value:g}"


def _criteria(th) -> dict[str, str]:
    op = "≥" if th.inclusive else ">"
    return {
        "flag_pre_sbp": f"pre-dose systolic {op} {th.pre_sbp:g} mmHg",
        "flag_pre_dbp": f"pre-dose diastolic {op} {th.pre_dbp:g} mmHg",
        "flag_pre": "pre-dose, either",
        "flag_post_sbp": f"after dosing, systolic {op} {th.post_sbp:g} mmHg",
        "flag_post_dbp": f"after dosing, diastolic {op} {th.post_dbp:g} mmHg",
        "flag_post": "after dosing, either",
        "flag_any": "pre-dose or after dosing",
    }


def threshold_table(safety, *, group, privacy: Privacy) -> Table:
    """Sessions and patients crossing each limit (counts and %), by group.

    ``sessions_k`` is the sum of the flag over the sessions (``SafetyOutcomes.sessions``),
    ``sessions_n`` the sessions where it is known; ``patients_k`` the patients with the
    flag at one session or more, ``patients_n`` those with it known at one or more.
    """
    s = safety.sessions
    crit = _criteria(safety.thresholds)
    rows = []
    for label, mask in _groups(s, group, privacy):
        sub = s.loc[mask]
        pid = sub["patient_id"].to_numpy()
        for flag in FLAGS:
            f = sub[flag]
            known = f.notna().to_numpy()
            hit = f.fillna(False).to_numpy(dtype=bool)
            per = pd.DataFrame({"p": pid, "known": known, "hit": hit}).groupby("p", sort=False)
            pk, pn = per["hit"].any(), per["known"].any()
            row = {} if group is None else {group: label}
            row.update(
                flag=flag,
                criterion=crit[flag],
                sessions_k=int(hit.sum()),
                sessions_n=int(known.sum()),
                patients_k=int(pk.sum()),
                patients_n=int(pn.sum()),
            )
            rows.append(row)
    tab = pd.DataFrame(rows)
    for unit in ("sessions", "patients"):
        n = tab[f"{unit}_n"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            tab.insert(
                tab.columns.get_loc(f"{unit}_n") + 1,
                f"{unit}_rate",
                np.where(n > 0, tab[f"{unit}_k"] / np.where(n > 0, n, 1), np.nan),
            )
    counts = ("sessions_k", "sessions_n", "patients_k", "patients_n")
    return make_table(
        "safety_flags",
        "Safety: sessions and patients crossing the blood-pressure limits"
        + (f" by {group}" if group else ""),
        tab,
        privacy,
        [
            Rule("sessions_k", also=("sessions_rate",), total="sessions_n"),
            Rule("sessions_n", also=("sessions_k", "sessions_rate")),
            Rule("patients_k", also=("patients_rate",), total="patients_n"),
            Rule("patients_n", also=("patients_k", "patients_rate")),
        ],
        formats=dict.fromkeys(counts, "count") | {"sessions_rate": "pct", "patients_rate": "pct"},
        labels={
            "sessions_k": "sessions",
            "sessions_n": "of sessions",
            "sessions_rate": "% of sessions",
            "patients_k": "patients",
            "patients_n": "of patients",
            "patients_rate": "% of patients",
        },
        note="Sessions flagged among the sessions with the readings; patients with one "
        "flagged session or more among the patients with the readings at one session or "
        "more (a patient treated in two groups counts in each). The last pre-dose reading "
        "and every reading after dosing are compared with the limits.",
    )


def rise_table(safety, *, group, privacy: Privacy) -> Table:
    """Rise from the last pre-dose reading to the highest after dosing, per measure."""
    s = safety.sessions
    rows = []
    for label, mask in _groups(s, group, privacy):
        sub = s.loc[mask]
        for m, name in _MEASURES.items():
            rise = sub[f"{m}_rise"]
            known = rise.notna().to_numpy()
            v = rise.to_numpy(dtype=float)[known]
            row = {} if group is None else {group: label}
            row.update(
                measure=name,
                sessions=int(known.sum()),
                patients=int(sub.loc[known, "patient_id"].nunique()),
                mean_pre=float(sub.loc[known, f"{m}_pre"].mean()) if len(v) else np.nan,
                mean_peak=float(sub.loc[known, f"{m}_peak"].mean()) if len(v) else np.nan,
                mean=float(v.mean()) if len(v) else np.nan,
                sd=float(v.std(ddof=1)) if len(v) > 1 else np.nan,
                median=float(np.median(v)) if len(v) else np.nan,
                q1=float(np.percentile(v, 25)) if len(v) else np.nan,
                q3=float(np.percentile(v, 75)) if len(v) else np.nan,
            )
            rows.append(row)
    stats = ("mean_pre", "mean_peak", "mean", "sd", "median", "q1", "q3")
    return make_table(
        "safety_rises",
        "Safety: rise of vital signs from pre-dose to the highest reading after dosing"
        + (f" by {group}" if group else ""),
        pd.DataFrame(rows),
        privacy,
        [Rule("sessions", also=stats), Rule("patients", also=stats)],
        formats={"sessions": "count", "patients": "count"} | dict.fromkeys(stats, "num1"),
        labels={
            "mean_pre": "pre-dose, mean",
            "mean_peak": "highest after dosing, mean",
            "mean": "rise, mean",
            "sd": "rise, SD",
            "median": "rise, median",
            "q1": "rise, Q1",
            "q3": "rise, Q3",
        },
        note="Per session: the highest reading after dosing minus the last pre-dose reading "
        "(ketanalysis.derive_safety); mean, SD and quartiles over the sessions with both, "
        "which are not independent within a patient.",
    )


def ae_table(safety, *, group, level, privacy: Privacy, top: int = TOP_TERMS) -> Table:
    """Incidence per patient of any adverse event, of severe and serious ones and of the
    ``top`` most frequent terms, with Wilson intervals
    (:func:`ketanalysis.stats.ae_incidence`), by group."""
    from .. import stats
    from ..stats.safety import ANY_AE

    full = stats.ae_incidence(safety, unit="patient", by=group, level=level)
    overall = stats.ae_incidence(safety, unit="patient", level=level)
    ranked = overall.loc[overall["ae_term"] != ANY_AE].sort_values(
        ["k", "ae_term"], ascending=[False, True], kind="stable"
    )
    terms = ranked["ae_term"].head(top).tolist()
    parts = [full.loc[full["ae_term"] == ANY_AE]]
    ev = safety.adverse_events
    extra = []
    if "severity" in ev and ev["severity"].notna().any():
        extra.append(("any severe adverse event", {"min_severity": "severe"}))
    if "serious" in ev and ev["serious"].notna().any():
        extra.append(("any serious adverse event", {"serious": True}))
    for name, kw in extra:
        t = stats.ae_incidence(safety, unit="patient", by=group, level=level, terms=False, **kw)
        parts.append(t.assign(ae_term=name))
    rank = {t: i for i, t in enumerate(terms)}
    parts.append(
        full.loc[full["ae_term"].isin(terms)].sort_values(
            [*([group] if group else []), "ae_term"],
            key=lambda c: c.map(rank) if c.name == "ae_term" else c,
            kind="stable",
        )
    )
    tab = pd.concat(parts, ignore_index=True)
    if group:
        order = {g: i for i, g in enumerate(pd.unique(full[group]))}
        tab = tab.sort_values(group, key=lambda c: c.map(order), kind="stable")
    tab = tab.drop(columns="unit")
    n_terms = int((overall["ae_term"] != ANY_AE).sum())
    shown = (
        f"the {len(terms)} most frequent of {n_terms} terms"
        if n_terms > len(terms)
        else f"all {n_terms} terms"
    )
    return make_table(
        "ae_incidence",
        "Adverse events: patients with the event" + (f" by {group}" if group else ""),
        tab,
        privacy,
        rate_rules(("n_events",), n_also=("n_events",)),
        formats=rate_formats(("n_events",)),
        labels={**column_labels(level, pct=True), "ae_term": "adverse event"},
        note="Patients with the event at one session or more among the patients treated "
        "(in the group), with Wilson score intervals (ketanalysis.stats.ae_incidence); "
        f"{shown}, ordered by incidence in all patients. Events: every event counted.",
    )


def exclusion_table(safety, privacy: Privacy) -> Table:
    """Rows of the safety files excluded by validation, by file and reason."""
    a = safety.audit
    if a.empty:
        tab = pd.DataFrame(
            {
                "data": pd.Series(dtype=str),
                "reason": pd.Series(dtype=str),
                "rows": pd.Series(dtype=np.int64),
                "patients": pd.Series(dtype=np.int64),
            }
        )
    else:
        g = a.groupby(["data", "reason"], sort=True)
        tab = pd.DataFrame({"rows": g.size(), "patients": g["patient_id"].nunique()})
        tab = tab.reset_index()
    return make_table(
        "safety_exclusions",
        "Safety: rows excluded by reason",
        tab,
        privacy,
        [Rule("rows"), Rule("patients")],
        formats={"rows": "count", "patients": "count"},
        note="" if len(tab) else "No row of the safety files was excluded.",
    )


# ---------------------------------------------------------------------------------------
# Dissociation: trend over infusions and relation to response
# ---------------------------------------------------------------------------------------
def cadss_trend_table(data, *, group, level, privacy: Privacy):
    """Ratio of mean peak CADSS per infusion (:func:`ketanalysis.stats.cadss_trend`).

    Returns ``(Table, fit)``; raises ValueError when the model cannot be fitted.
    """
    from .. import stats

    fit = stats.cadss_trend(data, by=group, level=level)
    tab = fit.drop(columns=["log_estimate"])
    if group is not None:
        tab[group] = [_text(v) for v in tab[group].tolist()]
    tab["converged"] = tab["converged"].map({True: "yes", False: "no"})
    dep = ("estimate", "se", *CI_COLUMNS, "p_value")
    table = make_table(
        "cadss_trend",
        "Dissociation (CADSS): change per infusion" + (f" by {group}" if group else ""),
        tab,
        privacy,
        [Rule("n", also=dep), Rule("n_obs", also=dep)],
        formats={
            "estimate": "num3",
            "se": "num3",
            "ci_low": "num3",
            "ci_high": "num3",
            "p_value": "p",
            "n": "count",
            "n_obs": "count",
        },
        labels={
            **column_labels(level),
            "estimate": "ratio per infusion",
            "se": "SE (log)",
            "n": "patients",
            "n_obs": "sessions",
        },
        note="Ratio of the mean peak CADSS per treatment session later (below 1: "
        "dissociation wanes), Poisson GEE with exchangeable working correlation and robust "
        "standard errors (ketanalysis.stats.cadss_trend); infusion = the patient's first, "
        "second, ... session with a CADSS rating.",
    )
    return table, fit


_STATISTICS = {
    "odds_ratio": "odds ratio of response per {per:g} CADSS points",
    "point_biserial_r": "point-biserial r",
    "spearman_rho": "Spearman's rho",
}


def _dissociation_rows(tidy: pd.DataFrame) -> pd.DataFrame:
    """The report's rows of a dissociation_response tidy table: the odds ratio (not its
    log) with its interval, and the correlations; the SE stays on the log-odds scale."""
    ratio = (tidy["term"] == "log_odds_ratio").to_numpy()
    return pd.DataFrame(
        {
            "statistic": tidy["term"].replace({"log_odds_ratio": "odds_ratio"}),
            "estimate": np.where(ratio, tidy["or"], tidy["estimate"]),
            "se": tidy["se"],
            "ci_low": np.where(ratio, tidy["or_ci_low"], tidy["ci_low"]),
            "ci_high": np.where(ratio, tidy["or_ci_high"], tidy["ci_high"]),
            "p_value": tidy["p_value"],
            "n": tidy["n"],
        }
    )


def dissociation_response_table(
    safety, out, *, scale: str, group, level, privacy: Privacy, per: float = 10.0
):
    """Peak CADSS of the first infusion against response
    (:func:`ketanalysis.stats.dissociation_response`), unadjusted and, with a group,
    adjusted for it. Returns ``(Table, result, notes)``; raises ValueError when it cannot
    be estimated."""
    from .. import stats

    notes = []
    kw = {"scale": scale, "outcome": "ever_response", "per": per, "level": level}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.dissociation_response(safety, out, **kw)
        rows = _dissociation_rows(res.tidy())
        rows["statistic"] = [_STATISTICS[s].format(per=per) for s in rows["statistic"]]
        rows["n_responders"] = int(res.data["response"].sum())
        if group is not None:
            try:
                adj = stats.dissociation_response(safety, out, covariates=[group], **kw)
            except ValueError:
                adj = None
            if adj is not None:
                row = _dissociation_rows(adj.tidy()).iloc[[0]].copy()
                row["statistic"] = _STATISTICS["odds_ratio"].format(per=per) + (
                    f", adjusted for {group}"
                )
                row["n_responders"] = int(adj.data["response"].sum())
                rows = pd.concat([rows.iloc[[0]], row, rows.iloc[1:]], ignore_index=True)
    for w in caught:
        notes.append(str(w.message))
    dep = ("estimate", "se", *CI_COLUMNS, "p_value")
    table = make_table(
        "dissociation_response",
        "Dissociation at the first infusion and response",
        rows,
        privacy,
        [Rule("n_responders", also=dep, total="n"), Rule("n", also=(*dep, "n_responders"))],
        formats={
            "estimate": "num2",
            "se": "num3",
            "ci_low": "num2",
            "ci_high": "num2",
            "p_value": "p",
            "n": "count",
            "n_responders": "count",
        },
        labels={
            **LABELS,
            **column_labels(level),
            "se": "SE (log OR or Fisher z)",
            "n": "patients",
            "n_responders": "responders",
        },
        note=f"Peak CADSS of each patient's first treatment session against response "
        f"({scale}, ever); logistic regression (Wald interval) and correlations with Fisher z "
        "intervals (ketanalysis.stats.dissociation_response). An association, not a causal "
        "effect."
        + (
            f" Patients with a CADSS or a response but not both: {res.n_excluded:,}."
            if res.n_excluded and not privacy.is_small(res.n_excluded)
            else ""
        ),
    )
    return table, res, notes
