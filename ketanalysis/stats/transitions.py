"""Outcomes at the endpoint and severity transitions from baseline to the endpoint.

:func:`endpoint_outcomes` picks each patient's endpoint assessment (a named session or the
last assessment after baseline) and classifies it as remission, response or no response;
:func:`severity_transitions` cross-tabulates the severity band at baseline against the
band at the endpoint; :func:`severity_shares` gives the band distributions at baseline and
at the endpoint. The figures :func:`ketanalysis.plots.waterfall`,
:func:`~ketanalysis.plots.severity_transitions` and
:func:`~ketanalysis.plots.jacobson_truax` draw these numbers. Nothing here imports
matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import scales as _scales
from ..outcomes import Outcomes
from .arguments import by_list, check_columns
from .frames import assessment_frame, one_scale

__all__ = ["ENDPOINT_OUTCOMES", "endpoint_outcomes", "severity_shares", "severity_transitions"]

#: Levels of ``endpoint_outcome``, best first.
ENDPOINT_OUTCOMES = ["remission", "response", "no response"]
_NEEDED = ["patient_id", "session", "score", "baseline", "post_baseline", "pct_change"]


def endpoint_outcomes(data, *, scale: str | None = None, endpoint=None) -> pd.DataFrame:
    """Each patient's assessment at the endpoint, classified by outcome.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (its ``assessments`` are used) or a DataFrame of
        the same shape.
    scale : str, optional
        The scale (default: the first derived scale).
    endpoint : session value, optional
        The endpoint session. Default: the endpoint given to :func:`ketanalysis.derive`
        when there was one, else each patient's last assessment after baseline (the
        assessment at which ``Outcomes.patients`` takes ``last_pct_change``,
        ``reliable_change`` and ``clinically_significant``).

    Returns
    -------
    DataFrame
        One row per patient with an endpoint assessment (patients without one, and those
        whose percentage change is undefined because the baseline is 0, are left out), in
        the order of ``data``: every column of the endpoint assessment (``patient_id``,
        ``scale``, ``session``, ``day``, ``score``, ``baseline``, ``change``,
        ``pct_change``, ``severity``, ``response``, ``remission``, ``rci``,
        ``reliable_change``, ``clinically_significant`` and the covariates), plus

        - ``baseline_severity``, ``endpoint_severity``: the scale's severity bands
          (:mod:`ketanalysis.scales`) of the baseline and endpoint totals, ordered
          categoricals (missing for a scale without bands);
        - ``endpoint_outcome``: ``"remission"`` (total at or below the remission
          threshold, the ``remission`` column), else ``"response"`` (the ``response``
          column: reduction of at least the response criterion), else ``"no response"``;
          an ordered categorical with the levels of :data:`ENDPOINT_OUTCOMES`.

    Notes
    -----
    Remission is judged on the total score and response on the reduction from baseline,
    so a patient can remit without a 50 % reduction (a low baseline); such patients count
    as remission. Nothing is recomputed: the classifications are those of
    :func:`ketanalysis.derive`.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> ep = ka.stats.endpoint_outcomes(out)
    >>> ep["endpoint_outcome"].value_counts().to_dict()
    {'no response': 101, 'remission': 33, 'response': 16}
    """
    frame = assessment_frame(data)
    check_columns(frame, _NEEDED + ["response", "remission"], "data")
    rows, scale = one_scale(data, frame, scale)
    if endpoint is None and isinstance(data, Outcomes):
        endpoint = data.endpoint
    post = rows["post_baseline"].to_numpy(dtype=bool)
    if endpoint is None:
        cand = rows.loc[post]
        ep = cand.loc[~cand["patient_id"].duplicated(keep="last").to_numpy()]
    else:
        at = rows.loc[post & (rows["session"] == endpoint).to_numpy()]
        if at.empty:
            sessions = sorted(pd.unique(rows.loc[post, "session"]).tolist())
            raise ValueError(
                f"endpoint={endpoint!r} has no assessment after baseline; sessions: {sessions}"
            )
        ep = at.loc[~at["patient_id"].duplicated(keep="last").to_numpy()]
    ep = ep.loc[ep["pct_change"].notna().to_numpy()].copy()
    ep["baseline_severity"] = _bands(scale, ep["baseline"])
    ep["endpoint_severity"] = _bands(scale, ep["score"])
    remission = ep["remission"].to_numpy(dtype=bool)
    response = ep["response"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    codes = np.where(remission, 0, np.where(response, 1, 2))
    ep["endpoint_outcome"] = pd.Categorical.from_codes(codes, ENDPOINT_OUTCOMES, ordered=True)
    return ep.reset_index(drop=True)


def severity_transitions(
    data,
    *,
    scale: str | None = None,
    endpoint=None,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Cross-tabulation of severity bands at baseline and at the endpoint.

    Parameters
    ----------
    data : Outcomes or DataFrame
        As for :func:`endpoint_outcomes`.
    scale : str, optional
        The scale (default: the first derived scale); it must have severity bands.
    endpoint : session value, optional
        As for :func:`endpoint_outcomes`.
    by : str or list of str, optional
        Grouping columns (their value at the endpoint assessment).

    Returns
    -------
    DataFrame
        One row per group x baseline band x endpoint band, every combination of bands
        included (zero counts too), in group order and band order (mildest first):

        - the ``by`` columns; ``baseline_severity``, ``endpoint_severity`` (band labels);
        - ``n``: patients moving from the baseline band to the endpoint band;
        - ``n_baseline``: patients of the group in that baseline band;
        - ``percent``: ``100 * n / n_baseline`` (missing when ``n_baseline`` is 0).

    Notes
    -----
    The patients are those of :func:`endpoint_outcomes`: one endpoint assessment each.
    The bands are those of the scale registry (:mod:`ketanalysis.scales`, e.g. MADRS
    normal 0-6, mild 7-19, moderate 20-34, severe 35-60; Snaith et al. 1986).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> tab = ka.stats.severity_transitions(out)
    >>> tab.query("baseline_severity == 'severe'")[["endpoint_severity", "n"]].to_numpy().tolist()
    [['normal', 4], ['mild', 13], ['moderate', 16], ['severe', 9]]
    """
    ep, labels, by_cols = _prepared(data, scale, endpoint, by)
    keys = by_cols + ["baseline_severity", "endpoint_severity"]
    counts = ep.groupby(keys, observed=False, sort=True).size()
    grid = _grid(ep, by_cols, [labels, labels], ["baseline_severity", "endpoint_severity"])
    tab = grid.merge(counts.rename("n").reset_index(), on=keys, how="left")
    tab["n"] = tab["n"].fillna(0).astype(np.int64)
    tab["n_baseline"] = tab.groupby(by_cols + ["baseline_severity"], observed=True, sort=False)[
        "n"
    ].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        tab["percent"] = np.where(
            tab["n_baseline"] > 0, 100.0 * tab["n"] / tab["n_baseline"], np.nan
        )
    return tab


def severity_shares(
    data,
    *,
    scale: str | None = None,
    endpoint=None,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Distribution of severity bands at baseline and at the endpoint.

    Parameters
    ----------
    data, scale, endpoint, by
        As for :func:`severity_transitions`.

    Returns
    -------
    DataFrame
        One row per group x time x band (every band, zero counts included), in group,
        time (baseline first) and band order (mildest first):

        - the ``by`` columns; ``time``: ``"baseline"`` or ``"endpoint"``; ``severity``;
        - ``n``: patients in the band; ``total``: patients of the group (the same at
          both times);
        - ``percent``: ``100 * n / total``.

    Notes
    -----
    The margins of :func:`severity_transitions`: the baseline counts are its row sums,
    the endpoint counts its column sums.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> sh = ka.stats.severity_shares(out)
    >>> sh.query("time == 'endpoint'")[["severity", "n"]].to_numpy().tolist()
    [['normal', 22], ['mild', 38], ['moderate', 79], ['severe', 11]]
    """
    ep, labels, by_cols = _prepared(data, scale, endpoint, by)
    parts = []
    for time in ("baseline", "endpoint"):
        col = f"{time}_severity"
        counts = ep.groupby(by_cols + [col], observed=False, sort=True).size()
        counts = counts.rename("n").reset_index().rename(columns={col: "severity"})
        grid = _grid(ep, by_cols, [labels], ["severity"])
        part = grid.merge(counts, on=by_cols + ["severity"], how="left")
        part.insert(len(by_cols), "time", time)
        parts.append(part)
    tab = pd.concat(parts, ignore_index=True)
    tab["n"] = tab["n"].fillna(0).astype(np.int64)
    tab["severity"] = pd.Categorical(tab["severity"], categories=labels, ordered=True)
    tab = tab.sort_values(by_cols + ["time", "severity"], kind="mergesort").reset_index(drop=True)
    tab["total"] = tab.groupby(by_cols + ["time"], sort=False)["n"].transform("sum")
    tab["percent"] = np.where(
        tab["total"] > 0, 100.0 * tab["n"] / tab["total"].clip(lower=1), np.nan
    )
    return tab


# ---------------------------------------------------------------------------------------
def _bands(scale: str, scores: pd.Series) -> pd.Categorical:
    try:
        reg = _scales.get(scale)
    except (KeyError, ValueError):
        return pd.Categorical([None] * len(scores), categories=[])
    return reg.severity_of(scores.to_numpy(dtype=float))


def _prepared(data, scale, endpoint, by):
    ep = endpoint_outcomes(data, scale=scale, endpoint=endpoint)
    by_cols = by_list(ep, by)
    scale_key = str(ep["scale"].iloc[0]) if "scale" in ep.columns and len(ep) else scale
    labels = list(ep["baseline_severity"].cat.categories)
    if not labels:
        raise ValueError(f"scale={scale_key!r} has no severity bands in the scale registry")
    for c in by_cols:
        if ep[c].isna().any():
            raise ValueError(
                f"by={c!r} has {int(ep[c].isna().sum())} missing values at the endpoint"
            )
    return ep, labels, by_cols


def _grid(ep: pd.DataFrame, by_cols: list[str], levels: list[list], names: list[str]):
    """Every combination of the groups present and the given levels."""
    if by_cols:
        groups = ep[by_cols].drop_duplicates().sort_values(by_cols, kind="mergesort")
    else:
        groups = pd.DataFrame(index=[0])
    grid = pd.MultiIndex.from_product(levels, names=names).to_frame(index=False)
    out = groups.reset_index(drop=True).merge(grid, how="cross")
    for name in names:
        out[name] = pd.Categorical(out[name], categories=levels[0], ordered=True)
    return out
