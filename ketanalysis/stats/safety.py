"""Statistics of safety and tolerability: adverse-event incidence, CADSS course, dissociation.

:func:`ae_incidence` gives the incidence of adverse events per patient or per session, by
term and group (route, dose), with Wilson intervals; :func:`cadss_course` summarises the
peak CADSS per session (tolerance to dissociation over sessions) and :func:`cadss_trend`
estimates the change per session by a Poisson GEE; :func:`dissociation_response` relates
the peak CADSS of the first infusion(s) to later response (logistic regression, and
point-biserial and Spearman correlations with Fisher z intervals). All take the
:class:`~ketanalysis.SafetyOutcomes` of :func:`ketanalysis.derive_safety`
and return tidy frames (STYLE.md §3). Nothing here imports matplotlib.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from ..outcomes.safety import AE_SEVERITIES, SafetyOutcomes
from .arguments import by_list, check_columns, check_level
from .intervals import fisher_interval, wald, wilson_interval
from .results import ResultViews, ratio_columns, tidy_frame

__all__ = [
    "DissociationResponseResult",
    "ae_incidence",
    "cadss_course",
    "cadss_trend",
    "dissociation_response",
]

ANY_AE = "any adverse event"


# ---------------------------------------------------------------------------------------
# adverse-event incidence
# ---------------------------------------------------------------------------------------
def ae_incidence(
    data,
    *,
    per: str = "patient",
    by: str | Sequence[str] | None = None,
    adverse_events: pd.DataFrame | None = None,
    terms: bool = True,
    min_severity: str | None = None,
    serious: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Incidence of adverse events per patient or per session, with Wilson intervals.

    Parameters
    ----------
    data : SafetyOutcomes or DataFrame
        The result of :func:`ketanalysis.derive_safety` (its ``sessions`` give the
        exposure, its ``adverse_events`` the events), or a sessions frame (one row per
        patient x session exposed: ``patient_id``, ``session`` and the ``by`` columns)
        with the events in ``adverse_events``.
    per : {"patient", "session"}, default "patient"
        Unit of incidence: patients with at least one event among the patients treated,
        or sessions with at least one event among the sessions.
    by : str or list of str, optional
        Grouping columns of the sessions, e.g. ``"route"`` or ``"dose_group"``. Per
        patient, a patient counts in every group they were treated in (a patient whose
        dose changed counts under each dose). Rows with a missing group value form their
        own group.
    adverse_events : DataFrame, optional
        Events (``patient_id``, ``session``, ``ae_term``, ``severity``, ``serious``) when
        ``data`` is a DataFrame.
    terms : bool, default True
        One row per term as well as the row of any adverse event; False: only the latter.
    min_severity : {"mild", "moderate", "severe"}, optional
        Count only events at least this severe (events of unknown severity are then not
        counted).
    serious : bool, default False
        Count only serious events (events whose seriousness is unknown are not counted).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    DataFrame
        One row per group x term, groups in sorted order, within a group the row
        ``"any adverse event"`` first and the terms in alphabetical order; every term
        seen anywhere appears in every group (k = 0 where none occurred):

        - the ``by`` columns; ``ae_term``;
        - ``per``: ``"patient"`` or ``"session"``;
        - ``k``: patients (sessions) with at least one such event; ``n``: patients
          (sessions) treated in the group; ``rate`` = k / n;
        - ``ci_low``, ``ci_high``: Wilson score interval (no continuity correction);
        - ``n_events``: events counted (a patient or session may have several).

    Notes
    -----
    Wilson EB. J Am Stat Assoc 1927;22:209-212, as in :func:`ketanalysis.stats.rates`.
    Incidence per patient is the proportion of patients with the event at any session,
    as reported in the safety tables of the esketamine phase 3 trials; incidence per
    session answers how often a session brings it.

    Examples
    --------
    >>> from ketanalysis import derive_safety, read_vitals, read_adverse_events
    >>> from ketanalysis.stats.safety import ae_incidence
    >>> out = derive_safety(read_vitals("data/sample/vitals.csv"),
    ...                     read_adverse_events("data/sample/adverse_events.csv"))
    >>> tab = ae_incidence(out, by="route", terms=False)
    >>> tab[["route", "k", "n"]].to_numpy().tolist()
    [['IM', 22, 23], ['IV', 93, 96], ['intranasal', 31, 31]]
    """
    check_level(level)
    if per not in ("patient", "session"):
        raise ValueError(f"per must be 'patient' or 'session', got {per!r}")
    if min_severity is not None and min_severity not in AE_SEVERITIES:
        raise ValueError(
            f"min_severity must be one of {', '.join(AE_SEVERITIES)} or None, got {min_severity!r}"
        )
    sessions, events = _sessions_and_events(data, adverse_events)
    by_cols = by_list(sessions, by)
    keys = ["patient_id", "session"]
    if events is None or "ae_term" not in events:
        raise ValueError("no adverse-event data: derive_safety(..., adverse_events=...)")
    ev = events.loc[events["ae_term"].notna(), [*keys, "ae_term"]].copy()
    if min_severity is not None:
        rank = {s: i for i, s in enumerate(AE_SEVERITIES)}
        sev = events.loc[ev.index, "severity"].map(rank)
        ev = ev.loc[(sev >= rank[min_severity]).fillna(False).to_numpy(dtype=bool)]
    if serious:
        ser = events.loc[ev.index, "serious"].astype("boolean").fillna(False)
        ev = ev.loc[ser.to_numpy(dtype=bool)]
    unit = ["patient_id"] if per == "patient" else keys
    expo = sessions[[*keys, *by_cols]]
    # events take the groups of their session; events at sessions outside the exposure
    # frame are an error (they would count without a denominator)
    ev = ev.merge(expo, on=keys, how="left", indicator=True, sort=False)
    orphan = ev["_merge"] != "both"
    if orphan.any():
        first = ev.loc[orphan, keys].drop_duplicates().head(5)
        listed = ", ".join(f"{p} session {s}" for p, s in first.itertuples(index=False))
        raise ValueError(
            f"{int(orphan.sum())} adverse events are at sessions not in the sessions frame "
            f"(e.g. {listed}); pass every treated session"
        )
    ev = ev.drop(columns="_merge")
    all_terms = sorted(pd.unique(ev["ae_term"]).tolist()) if terms else []
    ev_any = ev.assign(ae_term=ANY_AE)
    ev_all = pd.concat([ev_any, ev], ignore_index=True) if terms else ev_any
    gcols = [*by_cols, "ae_term"]
    exposed = expo.drop_duplicates([*unit, *by_cols])
    if by_cols:
        n = exposed.groupby(by_cols, dropna=False, sort=True, observed=True).size()
    else:
        n = pd.Series([len(exposed)], index=pd.Index([0], name="_all"))
    k = ev_all.drop_duplicates([*unit, *gcols]).groupby(gcols, dropna=False, observed=True).size()
    n_events = ev_all.groupby(gcols, dropna=False, observed=True).size()
    term_list = [ANY_AE, *all_terms]
    if by_cols:
        groups = n.index.to_frame(index=False)
    else:
        groups = pd.DataFrame(index=[0])
    grid = groups.merge(pd.DataFrame({"ae_term": term_list}), how="cross")
    if by_cols:
        n_col = grid[by_cols].merge(
            n.rename("n").reset_index(), on=by_cols, how="left", sort=False
        )["n"]
    else:
        n_col = pd.Series(int(n.iloc[0]), index=grid.index)
    kk = k.rename("k").reset_index()
    ne = n_events.rename("n_events").reset_index()
    grid = grid.merge(kk, on=gcols, how="left", sort=False).merge(
        ne, on=gcols, how="left", sort=False
    )
    grid["n"] = n_col.to_numpy()
    grid["k"] = grid["k"].fillna(0).astype(np.int64)
    grid["n_events"] = grid["n_events"].fillna(0).astype(np.int64)
    grid["n"] = grid["n"].astype(np.int64)
    kv, nv = grid["k"].to_numpy(dtype=float), grid["n"].to_numpy(dtype=float)
    lo, hi = wilson_interval(kv, nv, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        grid["rate"] = np.where(nv > 0, kv / np.where(nv > 0, nv, 1), np.nan)
    grid["ci_low"], grid["ci_high"] = lo, hi
    grid["per"] = per
    grid["_t"] = grid["ae_term"].map({t: i for i, t in enumerate(term_list)})
    if by_cols:
        grid["_g"] = (
            grid[by_cols]
            .merge(groups.assign(_g=np.arange(len(groups))), on=by_cols, how="left")["_g"]
            .to_numpy()
        )
        grid = grid.sort_values(["_g", "_t"], kind="stable")
    else:
        grid = grid.sort_values("_t", kind="stable")
    cols = [*by_cols, "ae_term", "per", "k", "n", "rate", "ci_low", "ci_high", "n_events"]
    return grid[cols].reset_index(drop=True)


def _sessions_and_events(data, adverse_events):
    if isinstance(data, SafetyOutcomes):
        events = data.adverse_events if adverse_events is None else adverse_events
        return data.sessions, events
    if isinstance(data, pd.DataFrame):
        check_columns(data, ["patient_id", "session"], "data")
        return data, adverse_events
    raise TypeError(f"data must be a SafetyOutcomes or a DataFrame, got {type(data).__name__}")


# ---------------------------------------------------------------------------------------
# CADSS over sessions
# ---------------------------------------------------------------------------------------
def cadss_course(
    data,
    *,
    by: str | Sequence[str] | None = None,
    time: str = "infusion",
    level: float = 0.95,
) -> pd.DataFrame:
    """Peak CADSS per session: mean, t interval, median and quartiles by group and time.

    Parameters
    ----------
    data : SafetyOutcomes or DataFrame
        :func:`ketanalysis.derive_safety` output (its ``sessions``, column
        ``cadss``), a frame with ``patient_id``, ``cadss`` and the ``time`` column, or a
        score frame in the canonical long format (its CADSS rows; ``infusion`` is then
        each patient's count of CADSS sessions).
    by : str or list of str, optional
        Grouping columns, e.g. ``"route"`` or ``"dose_group"``.
    time : str, default "infusion"
        ``"infusion"`` (first, second, ... treatment session of each patient) or
        ``"session"``.
    level : float, default 0.95

    Returns
    -------
    DataFrame
        One row per group x time (sorted): the ``by`` columns, the ``time`` column,
        ``n`` (sessions with a CADSS), ``mean``, ``sd`` (n - 1), ``se``, ``ci_low``,
        ``ci_high`` (``mean -/+ t_{n-1} se``; missing when n < 2), ``median``, ``q1``,
        ``q3`` (quartiles, linear interpolation), ``min``, ``max``.

    Notes
    -----
    CADSS: Bremner JD, Krystal JH, Putnam FW, et al. Measurement of dissociative states
    with the Clinician-Administered Dissociative States Scale (CADSS). J Trauma Stress
    1998;11:125-136. Dissociation after ketamine wanes over repeated sessions; the t
    interval describes the mean of skewed totals adequately at the sizes of clinic
    cohorts, and the quartiles show the skew. :func:`cadss_trend` estimates the change per
    session.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.safety import cadss_course
    >>> tab = cadss_course(ka.read_scores("data/sample/cohort_long.csv"))
    >>> tab[["infusion", "n", "median"]].head(2).to_numpy().tolist()
    [[1.0, 150.0, 12.0], [2.0, 147.0, 10.0]]
    """
    check_level(level)
    frame = _cadss_frame(data, time)
    by_cols = by_list(frame, by)
    check_columns(frame, [time], "time")
    frame = frame.loc[frame["cadss"].notna().to_numpy()]
    keys = [*by_cols, time]
    g = frame.groupby(keys, sort=True, observed=True, dropna=False)["cadss"]
    res = pd.DataFrame(
        {
            "n": g.count(),
            "mean": g.mean(),
            "sd": g.std(ddof=1),
            "median": g.median(),
            "q1": g.quantile(0.25),
            "q3": g.quantile(0.75),
            "min": g.min(),
            "max": g.max(),
        }
    ).reset_index()
    n = res["n"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = res["sd"].to_numpy(dtype=float) / np.sqrt(n)
        tq = _st.t.ppf(0.5 + level / 2, np.where(n >= 2, n - 1, np.nan))
    res["se"] = se
    res["ci_low"] = res["mean"] - tq * se
    res["ci_high"] = res["mean"] + tq * se
    res["n"] = res["n"].astype(np.int64)
    cols = [*keys, "n", "mean", "sd", "se", "ci_low", "ci_high", "median", "q1", "q3"]
    return res[[*cols, "min", "max"]]


def _cadss_frame(data, time: str) -> pd.DataFrame:
    if isinstance(data, SafetyOutcomes):
        frame = data.sessions
        if "cadss" not in frame:
            raise ValueError(
                "the safety data have no CADSS: pass scores= to derive_safety or a cadss "
                "column in the vital signs"
            )
        return frame
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a SafetyOutcomes or a DataFrame, got {type(data).__name__}")
    if "cadss" in data:
        return data
    if "scale" in data and "score" in data:
        frame = data.loc[(data["scale"] == "CADSS").to_numpy()].rename(columns={"score": "cadss"})
        if frame.empty:
            raise ValueError("the score frame has no CADSS rows")
        frame = frame.sort_values(["patient_id", "session"], kind="stable")
        frame = frame.assign(
            infusion=frame.groupby("patient_id", sort=False).cumcount().to_numpy() + 1
        )
        return frame.reset_index(drop=True)
    raise ValueError("data need a 'cadss' column, or 'scale' and 'score' with CADSS rows")


def cadss_trend(
    data,
    *,
    by: str | None = None,
    time: str = "infusion",
    max_time: float | None = None,
    cov_struct: str = "exchangeable",
    level: float = 0.95,
) -> pd.DataFrame:
    """Change of peak CADSS per session: ratio per session from a Poisson GEE.

    Parameters
    ----------
    data : SafetyOutcomes or DataFrame
        As for :func:`cadss_course`.
    by : str, optional
        A grouping column; one model per group.
    time : str, default "infusion"
        The numeric time column (``"infusion"`` or ``"session"``).
    max_time : float, optional
        Use only sessions with ``time <= max_time`` (e.g. 6: the induction infusions).
    cov_struct : str, default "exchangeable"
        Working correlation within a patient (see :func:`ketanalysis.stats.gee`).
    level : float, default 0.95

    Returns
    -------
    DataFrame
        One row per group: the ``by`` column, ``term`` (the ``time`` column),
        ``estimate``: the ratio of mean CADSS per one session later (below 1 when
        dissociation wanes: tolerance), ``ci_low``, ``ci_high`` (Wald interval of the log
        ratio, exponentiated; robust standard errors), ``p_value`` (Wald, ratio 1),
        ``log_estimate``, ``se`` (of the log ratio), ``n`` (patients), ``n_obs``
        (sessions), ``converged``.

    Notes
    -----
    ``log E[CADSS] = b0 + b1 * time`` fitted by generalised estimating equations with a
    log link and Poisson variance (Liang and Zeger, Biometrika 1986;73:13-22), robust
    (sandwich) standard errors, through :func:`ketanalysis.stats.gee`; ``exp(b1)`` is the
    ratio per session. The mean model is log-linear in time: look at
    :func:`cadss_course` to see whether that fits.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.safety import cadss_trend
    >>> fit = cadss_trend(ka.read_scores("data/sample/cohort_long.csv"), max_time=6)
    >>> bool(fit["estimate"].iloc[0] < 1)
    True
    """
    from .models import gee

    check_level(level)
    frame = _cadss_frame(data, time)
    by_cols = by_list(frame, by)
    if len(by_cols) > 1:
        raise ValueError(f"by must name one column here, got {by!r}")
    check_columns(frame, [time], "time")
    cols = ["patient_id", time, "cadss", *by_cols]
    frame = frame.loc[frame["cadss"].notna().to_numpy(), cols]
    if max_time is not None:
        frame = frame.loc[(frame[time] <= max_time).to_numpy()]
    parts = frame.groupby(by_cols, sort=True, dropna=False) if by_cols else [((), frame)]
    rows = []
    for key, part in parts:  # one model per group (a handful of groups, not patients)
        fit = gee(
            part,
            f"cadss ~ {time}",
            family="poisson",
            cov_struct=cov_struct,
            session=time,
            post_baseline=False,
            level=level,
        )
        p = fit.params.set_index("term").loc[time]
        row = dict(zip(by_cols, key if isinstance(key, tuple) else (key,), strict=True))
        row.update(
            term=time,
            estimate=float(np.exp(p["estimate"])),
            ci_low=float(np.exp(p["ci_low"])),
            ci_high=float(np.exp(p["ci_high"])),
            p_value=float(p["p_value"]),
            log_estimate=float(p["estimate"]),
            se=float(p["se"]),
            n=fit.n_clusters,
            n_obs=fit.n_obs,
            converged=fit.converged,
        )
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# dissociation and response
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DissociationResponseResult(ResultViews):
    """Relation between early dissociation and later response (:func:`dissociation_response`).

    Attributes
    ----------
    params : DataFrame
        The three statistics, the same as :meth:`tidy`.
    coefficients : DataFrame
        The logistic model, one row per term: ``term``, ``estimate`` (log odds), ``se``,
        ``statistic`` (Wald z), ``p_value``, ``ci_low``, ``ci_high`` (on the log-odds
        scale), ``or``, ``or_ci_low``, ``or_ci_high`` (odds ratio and its interval).
    data : DataFrame
        One row per patient used: ``patient_id``, ``cadss`` (the exposure), ``n_cadss``
        (sessions it averages), ``response`` (0/1) and the covariates.
    response, scale : str
        The outcome column and scale.
    infusions : int
        The exposure is the mean peak CADSS of each patient's first ``infusions``
        treatment sessions.
    per : float
        The odds ratio is per ``per`` CADSS points.
    n : int
        Patients used.
    n_excluded : int
        Patients with a CADSS or a response but not both (or a missing covariate).
    loglik : float
        Log-likelihood of the logistic model (missing when it could not be fitted).
    converged : bool
        Whether the logistic model converged.
    level : float
        The confidence level.
    """

    params: pd.DataFrame = field(repr=False)
    coefficients: pd.DataFrame = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    response: str
    scale: str | None
    infusions: int
    per: float
    n: int
    n_excluded: int
    loglik: float = np.nan
    converged: bool = True
    level: float = 0.95

    def tidy(self) -> pd.DataFrame:
        """One row per statistic of the association.

        Returns
        -------
        DataFrame
            ``term``: ``"log_odds_ratio"`` (of response per ``per`` CADSS points, from the
            logistic model), ``"point_biserial_r"``, ``"spearman_rho"``; ``estimate``;
            ``se`` (log odds ratio: Wald; correlations: the SE of Fisher's z their
            interval is built on, 1/sqrt(n - 3) and sqrt(1.06/(n - 3))); ``statistic``
            (log odds ratio: Wald z; correlations: t with n - 2 degrees of freedom, the
            test behind their p-values); ``df`` (missing for the z statistic);
            ``p_value``; ``ci_low``, ``ci_high`` (on the scale of ``estimate``); ``or``,
            ``or_ci_low``, ``or_ci_high`` (the odds ratio and its interval, on the
            ``log_odds_ratio`` row only); ``n`` (patients).
        """
        return self.params.copy()

    def glance(self) -> pd.DataFrame:
        """The analysis in one row.

        Returns
        -------
        DataFrame
            ``n`` (patients), ``n_excluded``, ``n_responders``, ``loglik``, ``aic`` and
            ``df`` of the logistic model, ``converged``, ``method``
            (``"logistic regression"``), ``response``, ``scale``, ``infusions``, ``per``,
            ``level``.
        """
        k = len(self.coefficients)
        return pd.DataFrame(
            [
                {
                    "n": self.n,
                    "n_excluded": self.n_excluded,
                    "n_responders": int(self.data["response"].sum()),
                    "loglik": self.loglik,
                    "aic": -2 * self.loglik + 2 * k,
                    "df": k,
                    "converged": self.converged,
                    "method": "logistic regression",
                    "response": self.response,
                    "scale": self.scale,
                    "infusions": self.infusions,
                    "per": self.per,
                    "level": self.level,
                }
            ]
        )

    def _title(self) -> str:
        return (
            f"Dissociation and response: mean peak CADSS of the first {self.infusions} "
            f"session(s) and {self.response}{' (' + self.scale + ')' if self.scale else ''}; "
            f"{self.n} patients"
        )


def dissociation_response(
    safety,
    outcomes,
    *,
    response: str = "ever_response",
    scale: str | None = None,
    infusions: int = 1,
    per: float = 10.0,
    covariates: Sequence[str] = (),
    level: float = 0.95,
) -> DissociationResponseResult:
    """Relate the peak CADSS of the first treatment session(s) to later response.

    Parameters
    ----------
    safety : SafetyOutcomes or DataFrame
        Peak CADSS per session: :func:`ketanalysis.derive_safety` output (with
        scores), or a frame with ``patient_id``, ``cadss`` and ``infusion`` (or a score
        frame with CADSS rows, as for :func:`cadss_course`).
    outcomes : Outcomes or DataFrame
        Per-patient outcomes: an :class:`~ketanalysis.Outcomes` (its ``patients``) or a
        frame with ``patient_id`` and the ``response`` column.
    response : str, default "ever_response"
        A binary per-patient column, e.g. ``"ever_response"``, ``"ever_remission"``,
        ``"sustained_response"``.
    scale : str, optional
        The scale of the outcome (default: the first scale of ``outcomes``).
    infusions : int, default 1
        Exposure: the mean peak CADSS over each patient's first ``infusions`` treatment
        sessions (those with a CADSS among them).
    per : float, default 10
        Odds ratio per ``per`` CADSS points.
    covariates : sequence of str
        Per-patient columns of ``outcomes`` (or of the sessions, e.g. ``"route"``)
        adjusted for in the logistic model (categorical when not numeric).
    level : float, default 0.95

    Returns
    -------
    DissociationResponseResult
        ``tidy()``: the log odds ratio (and odds ratio) of response per ``per`` CADSS
        points (logistic regression), the point-biserial correlation and Spearman's rho,
        each with its interval, p-value and n.

    Notes
    -----
    Logistic regression ``logit P(response) = b0 + b1 * cadss / per (+ covariates)`` by
    maximum likelihood (statsmodels GLM, binomial); odds ratio ``exp(b1)`` with a Wald
    interval. With one row per patient this is also the logistic GEE with any working
    correlation. The point-biserial correlation is Pearson's r between CADSS and the 0/1
    response (p-value from the t test of scipy); Spearman's rho ranks CADSS (ties
    averaged). Intervals of both by Fisher's z: ``tanh(atanh(r) -/+ q / sqrt(n - 3))``,
    for rho with the variance ``1.06 / (n - 3)`` of Fieller, Hartley and Pearson
    (Biometrika 1957;44:470-481). Ketamine studies differ on whether early dissociation
    predicts response (e.g. Luckenbaugh DA et al. J Affect Disord 2014;159:56-61: yes;
    later pooled analyses: not consistently); an association here is not a causal effect.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.safety import dissociation_response
    >>> scores = ka.read_scores("data/sample/cohort_long.csv")
    >>> res = dissociation_response(scores, ka.derive(scores), scale="MADRS")
    >>> res.tidy()["term"].tolist()
    ['log_odds_ratio', 'point_biserial_r', 'spearman_rho']
    >>> res.n
    150
    """
    import statsmodels.api as sm

    check_level(level)
    if isinstance(infusions, bool) or not isinstance(infusions, (int, np.integer)):
        raise ValueError(f"infusions must be a positive integer, got {infusions!r}")
    if infusions < 1:
        raise ValueError(f"infusions must be a positive integer, got {infusions!r}")
    if not isinstance(per, (int, float, np.number)) or not per > 0:
        raise ValueError(f"per must be a positive number, got {per!r}")
    frame = _cadss_frame(safety, "infusion")
    check_columns(frame, ["patient_id", "infusion", "cadss"], "safety")
    early = frame.loc[(frame["infusion"] <= infusions).to_numpy() & frame["cadss"].notna()]
    g = early.groupby("patient_id", sort=True)["cadss"]
    expo = pd.DataFrame({"cadss": g.mean(), "n_cadss": g.count()}).reset_index()
    pats, scale = _patients(outcomes, scale)
    check_columns(pats, ["patient_id", response], "response")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    cov_in_pats = [c for c in covariates if c in pats]
    cov_in_sessions = [c for c in covariates if c not in pats]
    check_columns(frame, cov_in_sessions, "covariates")
    y = pats[["patient_id", response, *cov_in_pats]].rename(columns={response: "response"})
    merged = expo.merge(y, on="patient_id", how="outer", sort=True)
    if cov_in_sessions:
        first = frame.groupby("patient_id", sort=True)[cov_in_sessions].first().reset_index()
        merged = merged.merge(first, on="patient_id", how="left")
    resp = merged["response"]
    if pd.api.types.is_bool_dtype(resp) or isinstance(resp.dtype, pd.BooleanDtype):
        resp = resp.astype("Float64")
    resp = pd.to_numeric(resp, errors="coerce").astype(float)
    if resp.notna().any() and not resp.dropna().isin([0.0, 1.0]).all():
        raise ValueError(f"response={response!r} must be binary (True/False or 0/1)")
    merged["response"] = resp
    complete = merged[["cadss", "response", *covariates]].notna().all(axis=1).to_numpy()
    used = merged.loc[complete].reset_index(drop=True)
    n, n_excluded = len(used), int((~complete).sum())
    if n < 4 or used["response"].nunique() < 2:
        raise ValueError(
            f"dissociation_response needs at least 4 patients with both outcomes and CADSS, "
            f"responders and non-responders; got {n} patients"
        )
    x = used["cadss"].to_numpy(dtype=float)
    yv = used["response"].to_numpy(dtype=float)
    # logistic regression
    import patsy

    design = used.assign(_cadss_per=x / per)
    rhs = " + ".join(["_cadss_per", *[_term(used, c) for c in covariates]])
    X = patsy.dmatrix(rhs, design, return_type="dataframe")
    loglik, converged = np.nan, False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.GLM(yv, X, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
            est, se = np.asarray(fit.params, float), np.asarray(fit.bse, float)
            loglik, converged = float(fit.llf), bool(fit.converged)
        except Exception as exc:  # perfect separation and the like
            warnings.warn(f"logistic regression failed: {exc}", UserWarning, stacklevel=2)
            est = se = np.full(X.shape[1], np.nan)
    for w in caught:
        if "separation" in str(w.message).lower():
            warnings.warn(
                "perfect separation in the logistic regression: the odds ratio is not estimable",
                UserWarning,
                stacklevel=2,
            )
    z, p, lo, hi = wald(est, se, level)
    terms = [t.replace("_cadss_per", f"cadss/{per:g}") for t in X.columns]
    coef = tidy_frame(terms, est, se, z, p, lo, hi, extra=ratio_columns("or", est, lo, hi))
    b = coef.loc[(coef["term"] == f"cadss/{per:g}").to_numpy()].iloc[0]
    # correlations: Pearson (point-biserial) by scipy, with scipy's Fisher-z interval;
    # Spearman's rho with the variance 1.06 / (n - 3) of Fieller, Hartley and Pearson
    # (scipy's Pearson interval on the ranks would use 1 / (n - 3))
    pear = _st.pearsonr(x, yv)
    ci = pear.confidence_interval(confidence_level=level) if n > 3 else None
    r = float(pear.statistic)
    rho, p_rho = _st.spearmanr(x, yv)
    rho = float(rho)
    se_r = fisher_interval(r, n, level)[2]
    lo_rho, hi_rho, se_rho = fisher_interval(rho, n, level, 1.06)
    nan = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        t_r, t_rho = (v * np.sqrt((n - 2) / (1 - v**2)) for v in (r, rho))
    params = tidy_frame(
        ["log_odds_ratio", "point_biserial_r", "spearman_rho"],
        [b["estimate"], r, rho],
        [b["se"], se_r, se_rho],
        [b["statistic"], t_r, t_rho],
        [b["p_value"], float(pear.pvalue), float(p_rho)],
        [b["ci_low"], ci.low if ci is not None else nan, lo_rho],
        [b["ci_high"], ci.high if ci is not None else nan, hi_rho],
        df=[nan, n - 2, n - 2],
        extra={
            "or": [b["or"], nan, nan],
            "or_ci_low": [b["or_ci_low"], nan, nan],
            "or_ci_high": [b["or_ci_high"], nan, nan],
            "n": n,
        },
    )
    return DissociationResponseResult(
        params=params,
        coefficients=coef,
        data=used[["patient_id", "cadss", "n_cadss", "response", *covariates]],
        response=response,
        scale=scale,
        infusions=int(infusions),
        per=float(per),
        n=n,
        n_excluded=n_excluded,
        loglik=loglik,
        converged=converged,
        level=level,
    )


def _term(frame: pd.DataFrame, col: str) -> str:
    if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]):
        return f"Q({col!r})"
    return f"C(Q({col!r}))"


def _patients(outcomes, scale) -> tuple[pd.DataFrame, str | None]:
    from ..outcomes.engine import Outcomes

    if isinstance(outcomes, Outcomes):
        pats = outcomes.patients
        order = list(outcomes.scales)
    elif isinstance(outcomes, pd.DataFrame):
        pats = outcomes
        order = [str(s) for s in pd.unique(pats["scale"].dropna())] if "scale" in pats else []
    else:
        raise TypeError(
            f"outcomes must be an Outcomes or a DataFrame, got {type(outcomes).__name__}"
        )
    if "scale" not in pats:
        if scale is not None:
            raise ValueError(f"scale={scale!r} given but the outcomes have no 'scale' column")
        return pats, None
    if scale is None:
        if not order:
            raise ValueError("the outcomes have no rows")
        scale = order[0]
    if scale not in set(pats["scale"]):
        raise ValueError(
            f"scale={scale!r} is not in the outcomes; scales present: {', '.join(order)}"
        )
    return pats.loc[(pats["scale"] == scale).to_numpy()], scale
