"""Descriptive summaries: means by session and responder rates with confidence intervals.

:func:`by_session` gives n, mean, SD, SE and a t interval of the score, change or percentage
change per scale x session x group; :func:`rates` gives counts, proportions and Wilson
score intervals of response, remission, relapse and the other derived outcomes;
:func:`rate_difference` gives the difference between two arms with Newcombe's hybrid score
interval. Every function takes an :class:`~ketanalysis.Outcomes` or a DataFrame of the same
shape as its ``assessments`` (or ``patients``) frame.

The argument checks, frames and intervals shared with the other stats modules live in
:mod:`.arguments`, :mod:`.frames` and :mod:`.intervals`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from .arguments import as_binary, as_float, by_list, check_columns, check_level, two_groups
from .frames import (
    assessment_frame,
    filter_scales,
    outcome_frame,
)
from .intervals import newcombe_interval, wilson_interval

__all__ = ["by_session", "newcombe_interval", "rate_difference", "rates", "wilson_interval"]

_VALUES = ("score", "change", "pct_change")


# ---------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------
def by_session(
    data,
    *,
    by: str | Sequence[str] | None = None,
    value: str = "score",
    scale: str | Sequence[str] | None = None,
    level: float = 0.95,
    session: str = "session",
) -> pd.DataFrame:
    """Mean, SD and t confidence interval of a value per scale x session x group.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (its ``assessments`` are used) or a DataFrame of
        the same shape (one row per assessment).
    by : str or list of str, optional
        Grouping columns (e.g. ``"arm"``). Rows with a missing group value form their own
        group (shown as missing), so no row is dropped silently.
    value : {"score", "change", "pct_change"} or str, default "score"
        The column summarised; any numeric column of ``data`` is accepted.
    scale : str or list of str, optional
        Restrict to these scales (default: every scale in the data).
    level : float, default 0.95
        Confidence level of the interval.
    session : str, default "session"
        The session column.

    Returns
    -------
    DataFrame
        One row per scale x session x group (in scale, session and group order):

        - ``scale`` (when the data have a scale column), ``session``, the ``by`` columns;
        - ``variable``: the name of the summarised column (``value``);
        - ``n``: non-missing values; ``n_missing``: rows of the cell whose value is
          missing (e.g. ``pct_change`` for a baseline of 0);
        - ``n_expected``: patients of the group expected at the session (rule below);
          ``n_not_assessed`` = ``n_expected`` - ``n``: expected patients without a value
          (missed visits and blank scores). Both are missing (``<NA>``) when the data have
          no ``patient_id`` column;
        - ``mean``; ``sd``: sample SD (denominator n - 1); ``se`` = sd / sqrt(n);
        - ``ci_low``, ``ci_high``: ``mean -/+ t_{n-1, (1+level)/2} * se`` (missing when
          n < 2).

    Notes
    -----
    The t interval assumes approximately normal means, as in the descriptive tables of
    ketamine trials. At the baseline session ``change`` is 0 for everyone, so its SD is 0.

    Expected patients. A patient is expected at session s of scale S (within the group)
    when (1) S was rated at s in the data given (some row of S at s has a score: the
    schedule; a scale rated at only some sessions is expected at those only) and (2) the
    patient is still followed at s: the patient has a scored assessment of any scale
    (before the ``scale`` restriction) at s or later. A patient who leaves early is not
    expected after their last assessment; a missed visit in the middle is counted in
    ``n_not_assessed``. The patient's group is taken from their rows (a patient whose rows
    fall in two groups is expected in both).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.summary import by_session
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"))
    >>> tab = by_session(out, value="change", scale="MADRS")
    >>> tab.loc[tab["session"] == 7, ["n", "mean"]].round(2).to_numpy().tolist()
    [[132.0, -15.94]]
    """
    frame = assessment_frame(data)
    check_level(level)
    check_columns(frame, [session], "session")
    if value not in frame.columns:
        raise ValueError(
            f"value={value!r} is not a column of the data; use one of {', '.join(_VALUES)} "
            "or another numeric column"
        )
    values = as_float(frame[value], "value", value)
    by_cols = by_list(frame, by)
    whole = frame
    frame = filter_scales(frame, scale)
    values = values.loc[frame.index]
    keys = (["scale"] if "scale" in frame.columns else []) + [session] + by_cols
    g = frame[keys].assign(_v=values).groupby(keys, sort=True, observed=True, dropna=False)["_v"]
    n = g.count()
    res = pd.DataFrame(
        {
            "n": n,
            "n_missing": g.size() - n,
            "mean": g.mean(),
            "sd": g.std(ddof=1),
        }
    )
    res = res.reset_index()
    res.insert(len(keys), "variable", value)
    n_arr = res["n"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = res["sd"].to_numpy(dtype=float) / np.sqrt(n_arr)
        tq = _st.t.ppf(0.5 + level / 2, np.where(n_arr >= 2, n_arr - 1, np.nan))
    res["se"] = se
    res["ci_low"] = res["mean"] - tq * se
    res["ci_high"] = res["mean"] + tq * se
    res["n"] = res["n"].astype(np.int64)
    res["n_missing"] = res["n_missing"].astype(np.int64)
    expected = _expected(whole, frame, keys, by_cols, session)
    if expected is None:
        res["n_expected"] = pd.array([pd.NA] * len(res), dtype="Int64")
    else:
        res = res.merge(expected, on=keys, how="left", sort=False)
        res["n_expected"] = res["n_expected"].fillna(0).astype(np.int64)
    res["n_not_assessed"] = (res["n_expected"] - res["n"]).astype(res["n_expected"].dtype)
    cols = list(res.columns)
    at = cols.index("n_missing") + 1
    order = cols[:at] + ["n_expected", "n_not_assessed"]
    order += [c for c in cols[at:] if c not in order]
    return res[order]


def _expected(whole, frame, keys, by_cols, session, patient="patient_id"):
    """Patients expected per scale x session x group (see :func:`by_session`), or None
    when the data have no patient column. Vectorised: a cross join of each patient's last
    followed session with the schedule of (scale, session) pairs."""
    if patient not in whole.columns:
        return None
    scored = whole["score"].notna() if "score" in whole.columns else pd.Series(True, whole.index)
    followed = whole.loc[scored.to_numpy(), [patient, *by_cols, session]]
    last = (
        followed.groupby([patient, *by_cols], sort=True, observed=True, dropna=False)[session]
        .max()
        .rename("_last")
        .reset_index()
    )
    rated = frame["score"].notna() if "score" in frame.columns else pd.Series(True, frame.index)
    sched_keys = [k for k in keys if k not in by_cols]
    schedule = frame.loc[rated.to_numpy(), sched_keys].drop_duplicates()
    pairs = schedule.merge(last, how="cross")
    pairs = pairs.loc[(pairs["_last"] >= pairs[session]).to_numpy()]
    n_exp = pairs.groupby(keys, sort=True, observed=True, dropna=False)[patient].nunique()
    return n_exp.rename("n_expected").reset_index()


def rates(
    data,
    *,
    outcome: str = "response",
    by: str | Sequence[str] | None = None,
    at=None,
    scale: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Counts, proportions and Wilson score intervals of a binary outcome.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes`, or a DataFrame shaped like its ``patients``
        (without ``at``) or ``assessments`` (with ``at``).
    outcome : str, default "response"
        Per patient: ``"response"`` (``ever_response``), ``"remission"``
        (``ever_remission``), ``"rapid_response"``, ``"sustained_response"``,
        ``"stable_remission"``, ``"stable_response"``, ``"relapse"`` (among the patients at
        risk) or ``"suicidality_resolved"``; any other boolean column of ``patients`` may be
        named directly. With ``at``: ``"response"`` or ``"remission"`` at that session.
    by : str or list of str, optional
        Grouping columns (e.g. ``"arm"``).
    at : session value, optional
        Rate among the assessments at this session (an observed-case rate) instead of the
        per-patient outcome.
    scale : str or list of str, optional
        Restrict to these scales (default: every scale in the data).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    DataFrame
        One row per scale x group:

        - ``scale``, ``session`` (with ``at=``), the ``by`` columns;
        - ``outcome``: the outcome name;
        - ``k``: patients (assessments) with the outcome; ``n``: with a known outcome;
        - ``n_excluded``: rows whose outcome is missing (relapse of patients not at risk,
          response for a baseline of 0, rapid response without an assessment in its
          window), left out of ``n``;
        - ``rate`` = k / n;
        - ``ci_low``, ``ci_high``: Wilson score interval without continuity correction.

    Notes
    -----
    Wilson score interval (Wilson EB. J Am Stat Assoc 1927;22:209-212), computed by
    :func:`statsmodels.stats.proportion.proportion_confint` with ``method="wilson"``;
    method 3 of Newcombe RG. Two-sided confidence intervals for the single proportion:
    comparison of seven methods. Stat Med 1998;17:857-872. For the difference between two
    arms use :func:`rate_difference`.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.summary import rates
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"))
    >>> r = rates(out, outcome="response", scale="MADRS")
    >>> r[["k", "n", "rate"]].round(3).to_numpy().tolist()
    [[83.0, 150.0, 0.553]]
    """
    check_level(level)
    frame, column = outcome_frame(data, outcome, at)
    by_cols = by_list(frame, by)
    frame = filter_scales(frame, scale)
    keys = (["scale"] if "scale" in frame.columns else []) + by_cols
    y = as_binary(frame[column], "outcome", outcome)
    work = frame[keys].assign(_y=y)
    if keys:
        g = work.groupby(keys, sort=True, observed=True, dropna=False)["_y"]
        res = pd.DataFrame({"k": g.sum(min_count=0), "n": g.count(), "size": g.size()})
        res = res.reset_index()
    else:
        res = pd.DataFrame(
            {"k": [work["_y"].sum()], "n": [work["_y"].count()], "size": [len(work)]}
        )
    res["n_excluded"] = res.pop("size") - res["n"]
    res.insert(len(keys), "outcome", outcome)
    if at is not None:
        res.insert(1 if "scale" in keys else 0, "session", at)
    k = res["k"].to_numpy(dtype=float)
    n = res["n"].to_numpy(dtype=float)
    lo, hi = wilson_interval(k, n, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        res["rate"] = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    res["ci_low"] = lo
    res["ci_high"] = hi
    for c in ("k", "n", "n_excluded"):
        res[c] = res[c].astype(np.int64)
    return res[[c for c in res.columns if c != "n_excluded"] + ["n_excluded"]]


def rate_difference(
    data,
    *,
    outcome: str = "response",
    by: str,
    groups: Sequence | None = None,
    at=None,
    scale: str | Sequence[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Difference of two rates with Newcombe's hybrid score interval.

    Parameters
    ----------
    data, outcome, at, scale, level
        As for :func:`rates`.
    by : str
        The column defining the arms (e.g. ``"arm"``).
    groups : pair, optional
        ``(a, b)``: the difference is rate(a) - rate(b). Default: the two groups of ``by``
        in sorted (or category) order; needed when ``by`` has more than two groups.

    Returns
    -------
    DataFrame
        One row per scale:

        - ``scale``, ``session`` (with ``at=``), ``outcome``;
        - ``group1``, ``group2``: a and b; ``k1``, ``n1``, ``k2``, ``n2``: counts;
          ``rate1``, ``rate2``: the two rates;
        - ``estimate`` = rate1 - rate2;
        - ``ci_low``, ``ci_high``: Newcombe's hybrid score interval;
        - ``n`` = n1 + n2.

    Notes
    -----
    Method 10 of Newcombe RG. Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 1998;17:873-890. With Wilson
    intervals (l1, u1) and (l2, u2) of the two rates (no continuity correction) and
    d = p1 - p2::

        L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    For 56/70 vs 48/80 this gives 0.2000 (0.0524 to 0.3339), as in Newcombe's Table II.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.summary import rate_difference
    >>> out = ka.derive(ka.simulate_cohort(120, seed=2, arms=("ketamine", "placebo")))
    >>> d = rate_difference(out, outcome="response", by="arm", scale="MADRS")
    >>> d[["group1", "group2"]].to_numpy().tolist()
    [['ketamine', 'placebo']]
    """
    if by is None or not isinstance(by, str):
        raise ValueError(f"by must name one column for a difference of rates, got {by!r}")
    tab = rates(data, outcome=outcome, by=by, at=at, scale=scale, level=level)
    g1, g2 = two_groups(tab[by], groups, by)
    strata = ["scale"] if "scale" in tab.columns else []
    rows = []
    parts = tab.groupby(strata, sort=False, observed=True) if strata else [((), tab)]
    for key, part in parts:
        a = part.loc[part[by] == g1]
        b = part.loc[part[by] == g2]
        k1, n1 = (int(a["k"].iloc[0]), int(a["n"].iloc[0])) if len(a) else (0, 0)
        k2, n2 = (int(b["k"].iloc[0]), int(b["n"].iloc[0])) if len(b) else (0, 0)
        est, lo, hi = newcombe_interval(k1, n1, k2, n2, level)
        row = dict(zip(strata, key if isinstance(key, tuple) else (key,), strict=True))
        if at is not None:
            row["session"] = at
        row.update(
            outcome=outcome,
            group1=g1,
            group2=g2,
            k1=k1,
            n1=n1,
            k2=k2,
            n2=n2,
            rate1=k1 / n1 if n1 else np.nan,
            rate2=k2 / n2 if n2 else np.nan,
            estimate=est,
            ci_low=lo,
            ci_high=hi,
            n=n1 + n2,
        )
        rows.append(row)
    return pd.DataFrame(rows)
