"""Statistics of safety and tolerability: adverse-event incidence, CADSS course, dissociation.

:func:`ae_incidence` gives the incidence of adverse events per patient or per session, by
term and group (route, dose), with Wilson intervals; :func:`cadss_course` summarises the
peak CADSS per session (tolerance to dissociation over sessions) and :func:`cadss_trend`
estimates the change per session by a Poisson GEE; :func:`dissociation_response` relates
the peak CADSS of the first infusion(s) to later response (logistic regression, and
point-biserial and Spearman correlations with Fisher z intervals). All take the
:class:`~ketanalysis.SafetyOutcomes` of :func:`ketanalysis.derive_safety`
and return tidy frames (docs/architecture.md §5.1). Nothing here imports matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from ..outcomes import SafetyOutcomes
from ..validation import AE_SEVERITIES
from .arguments import by_list, check_columns, check_level
from .dissociation import DissociationResponseResult, dissociation_response
from .frames import cadss_frame
from .intervals import wilson_interval

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
    unit: str = "patient",
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
    unit : {"patient", "session"}, default "patient"
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
        - ``unit``: ``"patient"`` or ``"session"``;
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
    if unit not in ("patient", "session"):
        raise ValueError(f"unit must be 'patient' or 'session', got {unit!r}")
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
    counted = ["patient_id"] if unit == "patient" else keys
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
    exposed = expo.drop_duplicates([*counted, *by_cols])
    if by_cols:
        n = exposed.groupby(by_cols, dropna=False, sort=True, observed=True).size()
    else:
        n = pd.Series([len(exposed)], index=pd.Index([0], name="_all"))
    k = (
        ev_all.drop_duplicates([*counted, *gcols])
        .groupby(gcols, dropna=False, observed=True)
        .size()
    )
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
    grid["unit"] = unit
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
    cols = [*by_cols, "ae_term", "unit", "k", "n", "rate", "ci_low", "ci_high", "n_events"]
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
    frame = cadss_frame(data, time)
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
    frame = cadss_frame(data, time)
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
            n=fit.n_patients,
            n_obs=fit.n_obs,
            converged=fit.converged,
        )
        rows.append(row)
    return pd.DataFrame(rows)
