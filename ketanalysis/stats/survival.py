"""Time to response, remission and relapse: Kaplan-Meier, log-rank test and Cox model.

Each function takes an :class:`~ketanalysis.Outcomes` (or a DataFrame shaped like its
``patients``) and an ``event`` name: the time column is ``time_to_<event>`` and the status
column ``<event>_event`` (1 = event, 0 = censored at the last assessment). For relapse
only the patients at risk (a non-missing ``time_to_relapse``) enter. The estimates come
from :mod:`statsmodels.duration` and follow the conventions of R's survival package
(``survfit``, ``survdiff``, ``coxph``), against which the tests check them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from .arguments import by_list, check_columns, check_level, group_levels
from .cox import CoxResult, cox
from .frames import event_frame, patient_frame
from .results import ResultViews, tidy_frame

__all__ = ["CoxResult", "KaplanMeierResult", "cox", "kaplan_meier", "logrank"]

_TOL = np.sqrt(np.finfo(float).eps)  # survival's quantile tolerance


def _groups(rows, by_cols):
    """(label dict, sub-frame) per group, in category or sorted order."""
    if not by_cols:
        return [({}, rows)]
    out = []
    g = rows.groupby(by_cols, sort=True, observed=True, dropna=False)
    for key, part in g:
        key = key if isinstance(key, tuple) else (key,)
        out.append((dict(zip(by_cols, key, strict=True)), part))
    return out


# ---------------------------------------------------------------------------------------
# Kaplan-Meier
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KaplanMeierResult(ResultViews):
    """Kaplan-Meier estimates per group (see :func:`kaplan_meier`).

    Attributes
    ----------
    table : DataFrame
        One row per group x distinct time (events or censoring), in time order: the ``by``
        columns, ``time``, ``n_at_risk`` (time >= t), ``n_events``, ``n_censored``,
        ``survival`` (S(t), right-continuous), ``se`` (Greenwood standard error of S(t)),
        ``ci_low``, ``ci_high`` (pointwise, log transform, as R ``survfit``
        ``conf.type="log"``; missing where S(t) = 0).
    groups : DataFrame
        One row per group: the ``by`` columns, ``n`` (patients), ``n_events``,
        ``max_time`` (the last time of the group).
    event, scale, by, level, time_unit, times, n_excluded
        The settings; ``n_excluded`` patients had no known time (for relapse: not at
        risk).
    """

    table: pd.DataFrame = field(repr=False)
    groups: pd.DataFrame = field(repr=False)
    event: str
    scale: str | None
    by: tuple[str, ...]
    level: float
    time_unit: str | None
    times: tuple[float, ...] | None
    n_excluded: int

    def _parts(self):
        """(group row, its rows of ``table``) for each group."""
        tab = self.table
        for _, g in self.groups.iterrows():
            mask = np.ones(len(tab), dtype=bool)
            for c in self.by:
                mask &= _same(tab[c].to_numpy(), g[c])
            yield g, tab.loc[mask]

    def quantiles(self, probs: Sequence[float] = (0.25, 0.5, 0.75)) -> pd.DataFrame:
        """Quantiles of the time to event with confidence intervals, per group.

        Parameters
        ----------
        probs : sequence of float
            Probabilities of the event (0.5: the median time; 0.25: the time by which a
            quarter have had the event).

        Returns
        -------
        DataFrame
            The ``by`` columns, ``prob``, ``estimate``, ``ci_low``, ``ci_high``, ``n``,
            ``n_events``. Missing where the curve (or a confidence limit) never reaches
            the probability.

        Notes
        -----
        As R ``quantile.survfit`` (survival 3.x): the estimate is the first time at which
        1 - S(t) >= p, the midpoint of the flat stretch when 1 - S(t) equals p there
        (within sqrt(machine epsilon)); the limits are where the pointwise confidence
        band crosses p (Brookmeyer R, Crowley J. Biometrics 1982;38:29-41, with the
        interval of S(t) on the log scale, survfit's default).
        """
        probs = np.atleast_1d(np.asarray(probs, dtype=float))
        if np.any((probs < 0) | (probs > 1)) or np.any(np.isnan(probs)):
            raise ValueError(f"probs must lie in [0, 1], got {probs.tolist()}")
        by = list(self.by)
        rows = []
        for g, part in self._parts():
            x = np.r_[0.0, part["time"].to_numpy(dtype=float)]
            est = _findq(x, np.r_[0.0, 1 - part["survival"].to_numpy(dtype=float)], probs)
            # the lower limit is where the lower band (1 - ci_low rises first) reaches p
            lo = _findq(x, np.r_[0.0, 1 - part["ci_low"].to_numpy(dtype=float)], probs)
            hi = _findq(x, np.r_[0.0, 1 - part["ci_high"].to_numpy(dtype=float)], probs)
            for i, p in enumerate(probs):
                row = {c: g[c] for c in by}
                row.update(
                    prob=float(p),
                    estimate=est[i],
                    ci_low=lo[i],
                    ci_high=hi[i],
                    n=int(g["n"]),
                    n_events=int(g["n_events"]),
                )
                rows.append(row)
        return pd.DataFrame(rows)

    @property
    def median(self) -> pd.DataFrame:
        """Median time to event with its confidence interval, per group.

        Columns: the ``by`` columns, ``estimate``, ``ci_low``, ``ci_high``, ``n``,
        ``n_events`` (see :meth:`quantiles`).
        """
        return self.quantiles((0.5,)).drop(columns="prob")

    def at_risk(self, times: Sequence[float] | None = None) -> pd.DataFrame:
        """Numbers at risk and survival at chosen times, per group (a risk table).

        Parameters
        ----------
        times : sequence of float, optional
            Default: the ``times`` given to :func:`kaplan_meier`, else about six evenly
            spaced round numbers up to the last time.

        Returns
        -------
        DataFrame
            The ``by`` columns, ``time``, ``n_at_risk`` (patients with time >= t, as R
            ``summary(fit, times=)``), ``cum_events`` and ``cum_censored`` (up to and
            including t), ``survival``, ``ci_low``, ``ci_high`` at t (missing after the
            group's last time).
        """
        if times is None:
            times = self.times if self.times is not None else _nice_times(self.table["time"])
        times = np.atleast_1d(np.asarray(times, dtype=float))
        if np.isnan(times).any() or np.any(times < 0):
            raise ValueError(f"times must be non-negative numbers, got {times.tolist()}")
        by = list(self.by)
        rows = []
        for g, part in self._parts():
            t = part["time"].to_numpy(dtype=float)
            ev = np.cumsum(part["n_events"].to_numpy())
            ce = np.cumsum(part["n_censored"].to_numpy())
            nr = part["n_at_risk"].to_numpy()
            for tt in times:
                i = np.searchsorted(t, tt, side="right") - 1  # last time <= tt
                j = np.searchsorted(t, tt, side="left")  # first time >= tt
                row = {c: g[c] for c in by}
                row.update(
                    time=float(tt),
                    n_at_risk=int(nr[j]) if j < len(t) else 0,
                    cum_events=int(ev[i]) if i >= 0 else 0,
                    cum_censored=int(ce[i]) if i >= 0 else 0,
                )
                for col in ("survival", "ci_low", "ci_high"):
                    if tt > t[-1]:  # after the last follow-up: not estimated
                        row[col] = np.nan
                    else:  # before the first time S = 1 with a degenerate interval
                        row[col] = float(part[col].iloc[i]) if i >= 0 else 1.0
                rows.append(row)
        return pd.DataFrame(rows)

    def tidy(self) -> pd.DataFrame:
        """The median time to event per group, one row per group.

        Returns
        -------
        DataFrame
            The ``by`` columns; ``term`` (the group as R names strata, ``"route=IV"``, or
            ``"all"`` without ``by``); ``estimate`` (median time, missing when the curve
            never reaches 0.5); ``se``, ``statistic``, ``p_value`` (missing: a median has
            no test); ``ci_low``, ``ci_high`` (Brookmeyer-Crowley interval of the median,
            see :meth:`quantiles`); ``n`` (patients), ``n_events``.
        """
        med = self.median
        by = list(self.by)
        if by:
            term = [
                ", ".join(f"{c}={v}" for c, v in zip(by, vals, strict=True))
                for vals in med[by].itertuples(index=False, name=None)
            ]
        else:
            term = ["all"] * len(med)
        nan = np.full(len(med), np.nan)
        return tidy_frame(
            term,
            med["estimate"],
            nan,
            nan,
            nan,
            med["ci_low"],
            med["ci_high"],
            lead={c: med[c].to_numpy() for c in by},
            extra={"n": med["n"].to_numpy(), "n_events": med["n_events"].to_numpy()},
        )

    def glance(self) -> pd.DataFrame:
        """The estimate in one row.

        Returns
        -------
        DataFrame
            ``n`` (patients), ``n_events``, ``n_excluded`` (no known time), ``n_groups``,
            ``method`` (``"kaplan-meier"``), ``conf_type`` (``"log"``), ``event``,
            ``scale``, ``time_unit``, ``level``.
        """
        return pd.DataFrame(
            [
                {
                    "n": int(self.groups["n"].sum()),
                    "n_events": int(self.groups["n_events"].sum()),
                    "n_excluded": self.n_excluded,
                    "n_groups": len(self.groups),
                    "method": "kaplan-meier",
                    "conf_type": "log",
                    "event": self.event,
                    "scale": self.scale,
                    "time_unit": self.time_unit,
                    "level": self.level,
                }
            ]
        )

    def _title(self) -> str:
        return (
            f"Kaplan-Meier: time to {self.event}"
            + (f" ({self.scale})" if self.scale else "")
            + (f" in {self.time_unit}" if self.time_unit else "")
            + f"; {int(self.groups['n'].sum())} patients"
            + (f", {self.n_excluded} without a time" if self.n_excluded else "")
        )


def _same(values, target) -> np.ndarray:
    if pd.isna(target):
        return pd.isna(values)
    return values == target


def _nice_times(time: pd.Series) -> np.ndarray:
    hi = float(np.nanmax(time)) if len(time) else 0.0
    if hi <= 0:
        return np.array([0.0])
    raw = hi / 5
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    return np.arange(0.0, hi + 1e-9, step)


def _findq(x: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """R survival's ``findq`` (survival 3.x), transcribed.

    ``x`` = (0, times), ``y`` = (0, 1 - S) (or 1 - a confidence limit). Duplicated ``y``
    values are dropped keeping the first; ``approx(y +/- tol, index, p, "constant",
    f = 1)`` then picks, among the points left (missing ones dropped, sorted by y), the
    first with ``y +/- tol >= p``; the quantile is the mean of the two times (the midpoint
    of a flat stretch at exactly p), or the mean with the last time when the curve ends at
    p.
    """
    out = np.full(len(p), np.nan)
    if np.all(np.isnan(y)) or np.nanmax(y) < p.min():
        return out
    xmax = x[-1]
    key = np.where(np.isnan(y), np.inf, y)  # duplicated() treats NA as a value
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    last_na = np.isnan(y[-1])
    ok = np.flatnonzero(~np.isnan(y))
    order = ok[np.argsort(y[ok], kind="stable")]
    ys = y[order]

    def index(shift, pp):
        a = ys + shift
        k = int(np.searchsorted(a, pp, side="left"))
        if pp < a[0] or k >= len(a):
            return None
        return order[k]

    for i, pp in enumerate(p):
        i1, i2 = index(_TOL, pp), index(-_TOL, pp)
        quant = np.nan if i1 is None or i2 is None else (x[i1] + x[i2]) / 2
        if pp == 0:
            quant = x[0]
        elif not last_na and abs(pp - y[-1]) < _TOL:
            quant = np.nan if i1 is None else (x[i1] + xmax) / 2
        out[i] = quant
    return out


def kaplan_meier(
    data,
    *,
    event: str = "relapse",
    by: str | Sequence[str] | None = None,
    times: Sequence[float] | None = None,
    scale: str | None = None,
    level: float = 0.95,
) -> KaplanMeierResult:
    """Kaplan-Meier estimate of the time to response, remission or relapse.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (its ``patients``) or a DataFrame shaped like it
        with ``time_to_<event>`` and ``<event>_event``.
    event : {"response", "remission", "relapse"}, default "relapse"
    by : str or list of str, optional
        Grouping columns (e.g. ``"arm"``); one curve per group.
    times : sequence of float, optional
        Default times of :meth:`KaplanMeierResult.at_risk` (the risk table).
    scale : str, optional
        The outcome scale (default: the primary scale, the first of ``Outcomes.scales``).
    level : float, default 0.95
        Level of the pointwise intervals and of the quantile intervals.

    Returns
    -------
    KaplanMeierResult
        ``.table`` (per time), ``.median`` (with CI), ``.quantiles(probs)``,
        ``.at_risk(times)``, ``.groups``.

    Notes
    -----
    Product-limit estimate and Greenwood variance from
    :class:`statsmodels.duration.survfunc.SurvfuncRight`;
    ``Var(log S(t)) = sum_{t_i <= t} d_i / (n_i (n_i - d_i))``. Pointwise interval on the
    log scale, ``S exp(-/+ z sqrt(Var(log S)))`` with the upper limit capped at 1, which is
    R ``survfit``'s default ``conf.type="log"`` (Kalbfleisch JD, Prentice RL. The
    statistical analysis of failure time data, 2002). Median and quantile intervals as R
    ``quantile.survfit`` (see :meth:`KaplanMeierResult.quantiles`).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.survival import kaplan_meier
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"))
    >>> km = kaplan_meier(out, event="response")
    >>> km.median[["estimate", "n", "n_events"]].to_numpy().tolist()
    [[16.0, 150.0, 83.0]]
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    check_level(level)
    rows, scale, n_excluded = event_frame(data, event, scale)
    by_cols = by_list(patient_frame(data), by)
    z = _st.norm.ppf(0.5 + level / 2)
    tables, groups = [], []
    for labels, part in _groups(rows, by_cols):
        time = part["_time"].to_numpy(dtype=float)
        status = part["_status"].to_numpy(dtype=float)
        utime, inv = np.unique(time, return_inverse=True)
        n_event = np.bincount(inv, weights=status, minlength=len(utime)).astype(np.int64)
        n_all = np.bincount(inv, minlength=len(utime))
        n_risk = np.cumsum(n_all[::-1])[::-1]
        surv = np.ones(len(utime))
        se = np.zeros(len(utime))
        if n_event.sum() > 0:
            sf = SurvfuncRight(time, status)
            pos = np.searchsorted(sf.surv_times, utime, side="right") - 1
            has = pos >= 0
            surv[has] = sf.surv_prob[pos[has]]
            se[has] = sf.surv_prob_se[pos[has]]
        with np.errstate(divide="ignore", invalid="ignore"):
            se_log = np.where(surv > 0, se / surv, np.nan)
            lo = np.where(surv > 0, surv * np.exp(-z * se_log), np.nan)
            hi = np.where(surv > 0, np.minimum(surv * np.exp(z * se_log), 1.0), np.nan)
        tab = pd.DataFrame(
            {
                "time": utime,
                "n_at_risk": n_risk.astype(np.int64),
                "n_events": n_event,
                "n_censored": (n_all - n_event).astype(np.int64),
                "survival": surv,
                "se": se,
                "ci_low": lo,
                "ci_high": hi,
            }
        )
        for i, (c, v) in enumerate(labels.items()):
            tab.insert(i, c, v)
        tables.append(tab)
        groups.append(
            {**labels, "n": len(part), "n_events": int(status.sum()), "max_time": utime[-1]}
        )
    time_unit = getattr(data, "time_unit", None)
    return KaplanMeierResult(
        table=pd.concat(tables, ignore_index=True),
        groups=pd.DataFrame(groups),
        event=event,
        scale=scale,
        by=tuple(by_cols),
        level=level,
        time_unit=time_unit,
        times=None if times is None else tuple(float(t) for t in np.atleast_1d(times)),
        n_excluded=n_excluded,
    )


# ---------------------------------------------------------------------------------------
# Log-rank test
# ---------------------------------------------------------------------------------------
def logrank(
    data,
    *,
    event: str = "relapse",
    by: str,
    strata: str | None = None,
    scale: str | None = None,
) -> pd.DataFrame:
    """Log-rank test of equal time-to-event distributions across groups.

    Parameters
    ----------
    data : Outcomes or DataFrame
        As for :func:`kaplan_meier`.
    event : {"response", "remission", "relapse"}, default "relapse"
    by : str
        The column defining the groups (at least two).
    strata : str, optional
        A column of strata: the stratified log-rank test (R ``survdiff(... +
        strata(s))``).
    scale : str, optional
        The outcome scale (default: the primary scale).

    Returns
    -------
    DataFrame
        One row: ``scale``, ``event``, ``chi2`` (the log-rank statistic), ``df`` (groups -
        1), ``p_value`` (upper chi-square tail), ``n`` (patients), ``n_events``,
        ``n_excluded`` (patients without a known time, or a missing group or stratum).

    Notes
    -----
    Mantel-Haenszel log-rank statistic (Peto R, Peto J. J R Stat Soc A 1972;135:185-207) by
    :func:`statsmodels.duration.survfunc.survdiff`; identical to R ``survdiff`` with
    ``rho = 0``.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.survival import logrank
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"))
    >>> logrank(out, event="response", by="route")[["df", "n"]].to_numpy().tolist()
    [[2, 150]]
    """
    from statsmodels.duration.survfunc import survdiff

    if by is None:
        raise ValueError("by is required: the column defining the groups to compare")
    rows, scale, n_excluded = event_frame(data, event, scale)
    by_cols = by_list(rows, by)
    if len(by_cols) != 1:
        raise ValueError(f"by must name one column, got {by!r}")
    cols = by_cols + ([strata] if strata is not None else [])
    if strata is not None:
        check_columns(rows, [strata], "strata")
    known = rows[cols].notna().all(axis=1).to_numpy()
    n_excluded += int((~known).sum())
    rows = rows.loc[known]
    levels = group_levels(rows[by_cols[0]])
    if len(levels) < 2:
        raise ValueError(
            f"by={by!r} has {len(levels)} group(s) ({', '.join(map(str, levels)) or 'none'});"
            " the log-rank test needs at least two"
        )
    group = pd.Categorical(rows[by_cols[0]], categories=levels).codes
    kw = {}
    if strata is not None:
        kw["strata"] = pd.factorize(rows[strata])[0]
    chi2, p = survdiff(
        rows["_time"].to_numpy(dtype=float), rows["_status"].to_numpy(dtype=float), group, **kw
    )
    return pd.DataFrame(
        [
            {
                "scale": scale,
                "event": event,
                "chi2": float(chi2),
                "df": len(levels) - 1,
                "p_value": float(p),
                "n": len(rows),
                "n_events": int(rows["_status"].sum()),
                "n_excluded": n_excluded,
            }
        ]
    )
