"""Vital signs by time point within a treatment session: mean, SD and t interval.

:func:`vitals_course` summarises blood pressure, heart rate or oxygen saturation at each
time point of a session (before dosing, the planned reading at about 40 minutes, later
readings, discharge), pooled over sessions, by group (route, dose). It takes the readings
of :func:`ketanalysis.read_vitals` or the per-session table of
:func:`ketanalysis.derive_safety` and returns a tidy frame (docs/architecture.md §5.1). Nothing
here imports matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

from ..outcomes import SafetyOutcomes
from ..validation import TIMEPOINTS, validate_vitals
from .arguments import by_list, check_level

__all__ = ["SESSION_TIMEPOINTS", "vitals_course"]

#: Time points of the per-session table of :func:`~ketanalysis.derive_safety`:
#: the last pre-dose reading, the highest reading after the dose, the discharge reading.
SESSION_TIMEPOINTS: tuple[str, ...] = ("pre", "max_post", "discharge")
_SESSION_COLUMNS = {"pre": "pre", "max_post": "peak", "discharge": "discharge"}
_READING_MEASURES = ("sbp", "dbp", "hr", "spo2")
_SESSION_MEASURES = ("sbp", "dbp", "hr")
_UNITS = ("patient", "reading")
_TIMES = ("timepoint", "minutes")


def vitals_course(
    data,
    *,
    measure: str | Sequence[str] = "sbp",
    by: str | Sequence[str] | None = None,
    at=None,
    time: str = "timepoint",
    unit: str = "patient",
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean, SD and t interval of vital signs by time point within the session.

    Parameters
    ----------
    data : DataFrame or SafetyOutcomes
        The readings, one row per patient x session x time point, as
        :func:`ketanalysis.read_vitals` returns them (validated here with
        :func:`ketanalysis.validate_vitals`; rows it excludes are left out, errors
        raise :class:`~ketanalysis.DataError`). Or the result of
        :func:`ketanalysis.derive_safety`, whose per-session table holds three
        values per session: the last pre-dose reading (``pre``), the highest reading after
        the dose (``max_post``) and the discharge reading (``discharge``).
    measure : str or sequence of str, default "sbp"
        ``"sbp"``, ``"dbp"``, ``"hr"`` (and ``"spo2"`` for readings), or several.
    by : str or list of str, optional
        Grouping columns, e.g. ``"route"`` or ``"dose_group"``. Rows with a missing group
        value form their own group.
    at : session value or list of them, optional
        Use only these sessions (default: every session, pooled).
    time : {"timepoint", "minutes"}, default "timepoint"
        Group readings by their time point (``pre``, ``peak``, ``post``, ``discharge``),
        or by their minutes after the dose as recorded: one row per distinct value, for
        protocols that record planned times (0, 15, 30, 60 ...). Readings without minutes
        are left out with ``"minutes"``. Only ``"timepoint"`` with a SafetyOutcomes.
    unit : {"patient", "reading"}, default "patient"
        ``"patient"``: each patient's readings at a time point (over the sessions used)
        are averaged first, and the mean and interval are over patients, so a patient
        with many sessions does not weigh more and the interval respects that sessions of
        one patient are alike. ``"reading"``: every reading counts once.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    DataFrame
        One row per group x measure x time point (groups sorted, measures in the order
        given, time points in time order):

        - the ``by`` columns; ``measure``;
        - ``timepoint``: ``pre``, ``peak``, ``post``, ``discharge`` (readings) or ``pre``,
          ``max_post``, ``discharge`` (SafetyOutcomes); with ``time="minutes"`` the time
          point of the readings at that minute (the most frequent one);
        - ``minutes``: the median minutes after the dose of all readings at the time point
          in every group (so that groups line up), or the minute itself with
          ``time="minutes"``; missing when not recorded;
        - ``n``: patients (``unit="patient"``) or readings with a value;
          ``n_readings``: readings with a value;
        - ``mean``; ``sd`` (denominator n - 1); ``se`` = sd / sqrt(n);
        - ``ci_low``, ``ci_high``: ``mean -/+ t_{n-1, (1+level)/2} * se`` (missing when
          n < 2).

    Notes
    -----
    The t interval as in :func:`ketanalysis.stats.by_session`. Blood pressure after
    ketamine and esketamine rises to a peak at about 40 minutes and falls over the next
    1-2 hours (SPRAVATO US Prescribing Information, section 5); the per-session table of
    :func:`~ketanalysis.derive_safety` keeps only the pre-dose, highest and
    discharge values, so its ``max_post`` (the highest post-dose reading of each session)
    is higher on average than the planned ~40-minute reading (``peak``) of the readings.

    Examples
    --------
    >>> from ketanalysis import read_vitals
    >>> from ketanalysis.stats.vitals import vitals_course
    >>> tab = vitals_course(read_vitals("data/sample/vitals.csv"), measure="sbp")
    >>> tab[["timepoint", "minutes", "n"]].to_numpy().tolist()
    [['pre', -10.0, 150], ['peak', 40.0, 150], ['post', 80.0, 150], ['discharge', 128.0, 150]]
    """
    check_level(level)
    measures = _measures(measure, data)
    if not isinstance(unit, str) or unit not in _UNITS:
        raise ValueError(f"unit={unit!r} must be one of {', '.join(map(repr, _UNITS))}")
    if not isinstance(time, str) or time not in _TIMES:
        raise ValueError(f"time={time!r} must be one of {', '.join(map(repr, _TIMES))}")
    long = _long(data, measures, time)
    by_cols = by_list(long, by)
    if at is not None:
        wanted = list(at) if isinstance(at, (list, tuple, set, np.ndarray)) else [at]
        present = set(long["session"])
        missing = [s for s in wanted if s not in present]
        if missing:
            raise ValueError(
                f"at={at!r}: {missing} not in the data; sessions present: {sorted(present)}"
            )
        long = long.loc[long["session"].isin(wanted).to_numpy()]
    long = long.loc[long["value"].notna().to_numpy()]
    if long.empty:
        raise ValueError(f"no readings of {', '.join(measures)} in the data")

    tkey = "_t"
    if time == "minutes":
        long = long.loc[long["minutes"].notna().to_numpy()]
        if long.empty:
            raise ValueError("time='minutes': the readings have no minutes after the dose")
        long = long.assign(_t=long["minutes"].to_numpy(dtype=float))
    else:
        order = {t: i for i, t in enumerate(_order(data))}
        long = long.assign(_t=long["timepoint"].map(order).to_numpy())
    # minutes and labels of each time point, over every group
    per_t = long.groupby(tkey, sort=True)
    minutes = per_t["minutes"].median()
    labels = per_t["timepoint"].agg(lambda s: s.value_counts().index[0])

    keys = [*by_cols, "measure", tkey]
    if unit == "patient":
        g1 = long.groupby([*keys, "patient_id"], sort=False, observed=True, dropna=False)
        long = g1["value"].agg(["mean", "count"]).reset_index()
        long = long.rename(columns={"mean": "value", "count": "_k"})
    else:
        long = long.assign(_k=1)
    g = long.groupby(keys, sort=True, observed=True, dropna=False)
    res = pd.DataFrame(
        {
            "n": g["value"].count(),
            "n_readings": g["_k"].sum(),
            "mean": g["value"].mean(),
            "sd": g["value"].std(ddof=1),
        }
    ).reset_index()
    res["_m"] = res["measure"].map({m: i for i, m in enumerate(measures)})
    res = res.sort_values([*by_cols, "_m", tkey], kind="stable").reset_index(drop=True)
    n = res["n"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = res["sd"].to_numpy(dtype=float) / np.sqrt(n)
        tq = _st.t.ppf(0.5 + level / 2, np.where(n >= 2, n - 1, np.nan))
    res["se"] = se
    res["ci_low"] = res["mean"] - tq * se
    res["ci_high"] = res["mean"] + tq * se
    res["timepoint"] = res[tkey].map(labels).to_numpy(dtype=object)
    res["minutes"] = res[tkey].map(minutes).to_numpy(dtype=float)
    res["n"] = res["n"].astype(np.int64)
    res["n_readings"] = res["n_readings"].astype(np.int64)
    cols = [*by_cols, "measure", "timepoint", "minutes", "n", "n_readings", "mean", "sd", "se"]
    return res[[*cols, "ci_low", "ci_high"]]


def _order(data) -> tuple[str, ...]:
    return SESSION_TIMEPOINTS if isinstance(data, SafetyOutcomes) else TIMEPOINTS


def _measures(measure, data) -> list[str]:
    allowed = _SESSION_MEASURES if isinstance(data, SafetyOutcomes) else _READING_MEASURES
    measures = [measure] if isinstance(measure, str) else measure
    try:
        measures = list(measures)
    except TypeError:
        raise TypeError(f"measure={measure!r} must be a string or a sequence of strings") from None
    bad = [m for m in measures if not isinstance(m, str) or m not in allowed]
    if bad or not measures or len(set(measures)) != len(measures):
        raise ValueError(
            f"measure={measure!r}: each must be one of {', '.join(map(repr, allowed))}, given once"
        )
    return measures


def _long(data, measures: list[str], time: str) -> pd.DataFrame:
    """One row per reading and measure: patient_id, session, timepoint, minutes, value, covariates."""
    if isinstance(data, SafetyOutcomes):
        if time != "timepoint":
            raise ValueError(
                "time='minutes' needs the readings (read_vitals), not a SafetyOutcomes"
            )
        s = data.sessions
        need = [f"{m}_{_SESSION_COLUMNS[t]}" for m in measures for t in SESSION_TIMEPOINTS]
        if any(col not in s for col in need):
            raise ValueError("the safety data have no vital signs: derive_safety(vitals=...)")
        other = [c for c in s.columns if not c.startswith(("sbp_", "dbp_", "hr_", "spo2_"))]
        parts = []
        for m in measures:
            for t in SESSION_TIMEPOINTS:
                part = s[other].copy()
                part["measure"] = m
                part["timepoint"] = t
                part["minutes"] = np.nan
                part["value"] = s[f"{m}_{_SESSION_COLUMNS[t]}"].to_numpy(dtype=float)
                parts.append(part)
        return pd.concat(parts, ignore_index=True)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            "data must be the vital signs (read_vitals) or a SafetyOutcomes (derive_safety), "
            f"got {type(data).__name__}"
        )
    frame = validate_vitals(data).raise_for_errors().frame
    missing = [m for m in measures if m not in frame or frame[m].isna().all()]
    if missing:
        raise ValueError(f"measure={missing[0]!r} has no readings in the data")
    other = [c for c in frame.columns if c not in _READING_MEASURES and c != "cadss"]
    parts = []
    for m in measures:
        part = frame[other].copy()
        part["measure"] = m
        part["value"] = frame[m].to_numpy(dtype=float)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
