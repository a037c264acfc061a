"""Checks of study days: their values, and sessions in the order of their days."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .context import as_numeric
from .issues import add_per_row, format_number, row_label

__all__ = ["check_day_order", "check_days"]


# Relative days above this (about 55 years) are calendar serial numbers, not study days.
_MAX_RELATIVE_DAY = 20_000


def check_days(df, rows, issues, allow_negative, show):
    """Day values: numbers, finite, not calendar serials, not negative unless allowed."""
    day = df["day"]
    if pd.api.types.is_datetime64_any_dtype(day.dtype):
        issues.add_one(
            "error",
            "day_value",
            "day",
            "day holds calendar dates; convert them with ka.to_relative_days(frame, date=...)",
        )
        df["day"] = np.nan
        return
    num, nonnum = as_numeric(day)
    add_per_row(
        issues,
        "non_numeric",
        rows,
        nonnum,
        "day",
        day,
        "day {} is not a number",
        show.render("day"),
    )
    d = num.to_numpy(dtype=float, copy=True)
    inf = np.isinf(d)
    issues.add("error", "day_value", rows[inf], "day", "day is infinite")
    big = np.isfinite(d) & (np.abs(d) > _MAX_RELATIVE_DAY)
    issues.add(
        "error",
        "day_value",
        rows[big],
        "day",
        [
            f"day {format_number(v)} looks like a calendar date serial number, not days since the "
            "first treatment; convert dates with ka.to_relative_days"
            for v in d[big]
        ],
    )
    if not allow_negative:
        neg = np.isfinite(d) & (d < 0)
        issues.add(
            "error",
            "day_value",
            rows[neg],
            "day",
            [
                f"day {format_number(v)} is negative; days count from the first treatment (pass "
                "allow_negative_days=True or baseline='last_pre' for screening visits)"
                for v in d[neg]
            ],
        )
    df["day"] = d


def check_day_order(df, rows, issues, show):
    """Within a patient and scale, no session may fall before the days of earlier sessions.

    Each offending row is compared with the latest day of any earlier session, and the
    message names the row holding that day.
    """
    d = df[["_group", "session", "day"]].copy()
    d["_pos"] = np.arange(len(d))
    d = d[(d["_group"] >= 0).to_numpy() & d["session"].notna().to_numpy()]
    d = d[np.isfinite(d["day"].to_numpy(dtype=float))]
    if d.empty:
        return
    who = ["_group"]
    d = d.sort_values([*who, "session", "day"], kind="stable")
    # the latest day of each session (rows are sorted by day within a session)
    last = d.groupby([*who, "session"], sort=False, observed=True).tail(1).copy()
    by_who = [last[k] for k in who]
    last["run"] = last.groupby(by_who, sort=False)["day"].cummax()
    last["run_pos"] = (
        last["_pos"].where(last["day"] == last["run"]).groupby(by_who, sort=False).ffill()
    )
    last["run_session"] = (
        last["session"]
        .astype(object)
        .where(last["day"] == last["run"])
        .groupby(by_who, sort=False)
        .ffill()
    )
    prev = last.groupby(by_who, sort=False)[["run", "run_pos", "run_session"]].shift(1)
    prev[who] = last[who]
    prev["session"] = last["session"]
    m = d.merge(prev, on=[*who, "session"], how="left", sort=False)
    bad = (m["day"] < m["run"]).to_numpy()
    if not bad.any():
        return
    b = m[bad].sort_values("_pos")
    b = b.assign(
        patient_id=df["patient_id"].to_numpy()[b["_pos"].to_numpy()],
        scale=df["scale"].to_numpy()[b["_pos"].to_numpy()],
    )
    issues.add(
        "error",
        "day_order",
        rows[b["_pos"].to_numpy()],
        "day",
        [
            f"patient {show.patient(p)}, {s} session {ss} is on day {format_number(v)}, earlier than "
            f"session {ps} ({row_label(rows[int(pp)])}, day {format_number(pm)}); sessions must "
            "follow the days in time order"
            for p, s, ss, v, ps, pp, pm in zip(
                b["patient_id"],
                b["scale"],
                b["session"],
                b["day"],
                b["run_session"],
                b["run_pos"],
                b["run"],
                strict=True,
            )
        ],
    )
