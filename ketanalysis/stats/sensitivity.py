"""Sensitivity of responder rates to missing assessments: observed case, LOCF and BOCF.

Ketamine courses lose patients between infusions, so the responder rate at the end of
induction depends on how the patients without that assessment are counted.
:func:`responders` gives the rate at a session three ways, each labelled in a ``method``
column, so that a report can show them side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .arguments import as_binary, by_list, check_columns, check_level, session_key
from .frames import ASSESSMENT_OUTCOMES, assessment_frame, filter_scales
from .intervals import wilson_interval

__all__ = ["METHODS", "responders"]

#: Methods of :func:`responders`.
METHODS = ("observed", "locf", "bocf")


def responders(
    data,
    *,
    at,
    method: str | Sequence[str] = "observed",
    by: str | Sequence[str] | None = None,
    outcome: str = "response",
    scale: str | Sequence[str] | None = None,
    level: float = 0.95,
    patient: str = "patient_id",
) -> pd.DataFrame:
    """Responder (or remitter) rate at a session under three handlings of missing data.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (its ``assessments``) or a DataFrame shaped like
        it; every patient is assumed to have a baseline row.
    at : session value
        The session at which the rate is taken (e.g. the end of induction).
    method : {"observed", "locf", "bocf"} or a list of them, default "observed"
        ``"observed"``: observed case, only the patients assessed at ``at``.
        ``"locf"``: last observation carried forward, every patient; one missing at
        ``at`` counts with their last assessment before it (the baseline, which is
        never a response, if there is none after it). ``"bocf"``: baseline observation
        carried forward, every patient; one missing at ``at`` counts as at baseline:
        change 0, so not a responder (and not a remitter: derive defines both as False at
        baseline).
    by : str or list of str, optional
        Grouping columns (taken from each patient's baseline row).
    outcome : {"response", "remission"}, default "response"
    scale : str or list of str, optional
        Restrict to these scales (default: all).
    level : float, default 0.95
        Level of the Wilson intervals.
    patient : str, default "patient_id"

    Returns
    -------
    DataFrame
        One row per method x scale x group:

        - ``method``, ``scale``, ``session``, the ``by`` columns, ``outcome``;
        - ``k``: responders; ``n``: patients counted;
        - ``n_imputed``: patients counted with a carried-forward value (0 for observed);
        - ``n_missing``: patients without an assessment at ``at`` (left out of ``n``
          for observed, carried forward otherwise);
        - ``n_excluded``: patients whose outcome is undefined (response with a baseline of
          0) or who have no assessment at or before ``at``;
        - ``rate``, ``ci_low``, ``ci_high``: k / n with the Wilson score interval.

    Notes
    -----
    LOCF and BOCF are single imputations that ignore the uncertainty of the imputed values
    and are biased under most missingness mechanisms (National Research Council. The
    prevention and treatment of missing data in clinical trials. 2010); report them next
    to the observed-case rate and a likelihood-based analysis (MMRM), not instead of it.
    BOCF as a "non-responder imputation" follows the practice of esketamine trials
    (e.g. Daly EJ et al. JAMA Psychiatry 2019;76:893-903).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.sensitivity import responders
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"))
    >>> r = responders(out, at=7, method=["observed", "locf", "bocf"], scale="MADRS")
    >>> r[["method", "k", "n"]].to_numpy().tolist()
    [['observed', 78, 132], ['locf', 80, 150], ['bocf', 78, 150]]
    """
    methods = [method] if isinstance(method, str) else list(method)
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if outcome not in ASSESSMENT_OUTCOMES:
        raise ValueError(
            f"outcome={outcome!r} is not available per session; valid: "
            f"{', '.join(ASSESSMENT_OUTCOMES)}"
        )
    check_level(level)
    frame = assessment_frame(data)
    column = ASSESSMENT_OUTCOMES[outcome]
    check_columns(frame, [patient], "patient")
    check_columns(frame, ["session"], "session")
    check_columns(frame, [column], "outcome")
    by_cols = by_list(frame, by)
    frame = filter_scales(frame, scale)
    skey = session_key(frame["session"], "session")
    target = _target_key(frame["session"], at)
    if not np.any(skey == target):
        raise ValueError(f"at={at!r} has no assessments")
    strata = ["scale"] if "scale" in frame.columns else []
    unit = [patient, *strata]
    work = frame[unit + by_cols].copy()
    work["_key"] = skey
    work["_y"] = as_binary(frame[column], "outcome", outcome).to_numpy()
    if "post_baseline" in frame.columns:
        work["_pre"] = ~frame["post_baseline"].fillna(False).astype(bool).to_numpy()
    else:  # without the derive flag, the first assessment is the baseline
        work["_pre"] = False
    work = work.sort_values([*unit, "_key"], kind="stable")
    if "post_baseline" not in frame.columns:
        work.loc[work.groupby(unit, sort=False, observed=True).head(1).index, "_pre"] = True
    g_all = work.groupby(unit, sort=False, observed=True)
    patients = g_all.head(1)[unit + by_cols].reset_index(drop=True)
    # baseline value: the last assessment not after baseline
    base = work.loc[work["_pre"]].groupby(unit, sort=False, observed=True).tail(1)
    base = base[[*unit, "_y"]].rename(columns={"_y": "_base"})
    # last assessment at or before the session, and whether it is at the session
    last = work.loc[work["_key"] <= target].groupby(unit, sort=False, observed=True).tail(1)
    last = last[[*unit, "_key", "_y"]].rename(columns={"_y": "_last"})
    merged = patients.merge(last, on=unit, how="left").merge(base, on=unit, how="left")
    has_at = (merged["_key"] == target).to_numpy()
    has_before = merged["_key"].notna().to_numpy()
    last_y = merged["_last"].to_numpy(dtype=float)
    obs = np.where(has_at, last_y, np.nan)

    results = []
    for m in methods:
        if m == "observed":
            y, imputed = obs, np.zeros(len(merged), dtype=bool)
            excluded = has_at & np.isnan(obs)
        elif m == "locf":
            y, imputed = last_y, ~has_at & has_before
            excluded = np.isnan(y)
        else:
            y = np.where(has_at, obs, merged["_base"].to_numpy(dtype=float))
            imputed = ~has_at
            excluded = np.isnan(y)
        part = patients.assign(_y=y, _imp=imputed & ~np.isnan(y), _miss=~has_at, _excl=excluded)
        keys = strata + by_cols
        if keys:
            g = part.groupby(keys, sort=True, observed=True, dropna=False)
            res = pd.DataFrame(
                {
                    "k": g["_y"].sum(min_count=0),
                    "n": g["_y"].count(),
                    "n_imputed": g["_imp"].sum(),
                    "n_missing": g["_miss"].sum(),
                    "n_excluded": g["_excl"].sum(),
                }
            ).reset_index()
        else:
            res = pd.DataFrame(
                {
                    "k": [part["_y"].sum()],
                    "n": [part["_y"].count()],
                    "n_imputed": [part["_imp"].sum()],
                    "n_missing": [part["_miss"].sum()],
                    "n_excluded": [part["_excl"].sum()],
                }
            )
        res.insert(0, "method", m)
        res.insert(1 + len(strata), "session", at)
        res.insert(2 + len(keys), "outcome", outcome)
        results.append(res)
    res = pd.concat(results, ignore_index=True)
    for c in ("k", "n", "n_imputed", "n_missing", "n_excluded"):
        res[c] = res[c].astype(np.int64)
    k = res["k"].to_numpy(dtype=float)
    n = res["n"].to_numpy(dtype=float)
    lo, hi = wilson_interval(k, n, level)
    res["rate"] = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    res["ci_low"] = lo
    res["ci_high"] = hi
    return res


def _target_key(col: pd.Series, at) -> float:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = list(col.cat.categories)
        if at not in cats:
            raise ValueError(
                f"at={at!r} is not a session level; levels: {', '.join(map(str, cats))}"
            )
        return float(cats.index(at))
    try:
        return float(at)
    except (TypeError, ValueError):
        raise ValueError(f"at={at!r} must be a session value") from None
