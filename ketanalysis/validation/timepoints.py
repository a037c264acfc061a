"""Time points of vital-sign readings: canonical labels, the labels read, minutes after the dose.

The labels and minutes the readers accept are described in
:mod:`ketanalysis.validation.safety`; :func:`canonical_timepoints` turns them into the
canonical ``timepoint`` (one of :data:`TIMEPOINTS`) and ``minutes`` columns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .context import Context, as_numeric
from .issues import format_number

__all__ = ["TIMEPOINTS", "canonical_timepoints"]


#: Canonical time points of a vital-sign reading, in time order.
TIMEPOINTS: tuple[str, ...] = ("pre", "peak", "post", "discharge")


#: Minutes after the dose: at most a day either side.
_MINUTES_RANGE = (-1440.0, 1440.0)


_TP_ALIASES = {
    "pre": "pre",
    "predose": "pre",
    "beforedose": "pre",
    "before": "pre",
    "baseline": "pre",
    "prior": "pre",
    "peak": "peak",
    "40min": "peak",
    "40mins": "peak",
    "40minutes": "peak",
    "post": "post",
    "postdose": "post",
    "after": "post",
    "discharge": "discharge",
    "predischarge": "discharge",
    "end": "discharge",
    "endofsession": "discharge",
}


_TP_MINUTES = {"40min": 40.0, "40mins": 40.0, "40minutes": 40.0}


_MINUTES_RX = re.compile(r"^([+-]?\d+(?:\.\d+)?)(m|min|mins|minute|minutes)?$")


def _parse_timepoint(value) -> tuple[str, float] | None:
    """(label, minutes) of a time-point value; None when it cannot be read."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        t = float(value)
        return ("pre" if t <= 0 else "post", t) if np.isfinite(t) else None
    text = str(value).strip().lower()
    squashed = re.sub(r"[\s_\-.]", "", text)
    if squashed in _TP_ALIASES:
        return _TP_ALIASES[squashed], _TP_MINUTES.get(squashed, np.nan)
    m = _MINUTES_RX.match(re.sub(r"\s", "", text))
    if m:
        t = float(m.group(1))
        return ("pre" if t <= 0 else "post"), t
    return None


def canonical_timepoints(ctx: Context, timepoints) -> np.ndarray:
    """``timepoint`` labels and ``minutes``; returns the mask of rows whose time is usable."""
    df, rows, issues, show = ctx.df, ctx.rows, ctx.issues, ctx.show
    n = ctx.n
    ok = np.ones(n, dtype=bool)
    given_minutes = np.full(n, np.nan)
    if "minutes" in df:
        num, nonnum = as_numeric(df["minutes"])
        issues.add(
            "error",
            "non_numeric",
            rows[nonnum],
            "minutes",
            [f"minutes {show.value('minutes', v)} is not a number" for v in df["minutes"][nonnum]],
        )
        given_minutes = num.to_numpy(dtype=float, copy=True)
        ok &= ~nonnum
    label = np.full(n, None, dtype=object)
    label_minutes = np.full(n, np.nan)
    tp_raw = df["timepoint"].to_numpy(dtype=object) if "timepoint" in df else label.copy()
    if "timepoint" in df:
        raw = df["timepoint"]
        mapping = {}
        if timepoints is not None:
            if not isinstance(timepoints, Mapping):
                raise TypeError("timepoints must be a dict {label: canonical label or minutes}")
            mapping = {str(k).strip(): v for k, v in timepoints.items()}
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        # kind of each distinct value: 0 read, 1 blank, 2 unknown (parsed once per value)
        kind = np.zeros(len(uniques), dtype=np.int64)
        u_label = np.full(len(uniques), None, dtype=object)
        u_minutes = np.full(len(uniques), np.nan)
        for j, u in enumerate(uniques):
            target = mapping.get(str(u).strip(), u)
            if isinstance(target, str) and target.strip() == "":
                kind[j] = 1
                continue
            if isinstance(target, str) and target.strip().lower() in TIMEPOINTS:
                parsed = (target.strip().lower(), np.nan)
            else:
                parsed = _parse_timepoint(target)
            if parsed is None:
                kind[j] = 2
            else:
                u_label[j], u_minutes[j] = parsed
        has = codes >= 0
        row_kind = np.ones(n, dtype=np.int64)
        row_kind[has] = kind[codes[has]]
        bad = row_kind == 2
        valid = "pre, peak (or 40min), post, discharge, or minutes after the dose (e.g. 90)"
        issues.add(
            "error",
            "timepoint",
            rows[bad],
            "timepoint",
            [
                f"time point {show.value('timepoint', v)} is not one of {valid}; map your "
                "labels with timepoints={label: 'pre' | 'peak' | 'post' | 'discharge' | "
                "minutes}"
                for v in raw[bad]
            ],
        )
        ok &= ~bad
        good = row_kind == 0
        label[good] = u_label[codes[good]]
        label_minutes[good] = u_minutes[codes[good]]
        missing_label = row_kind == 1
    else:
        missing_label = np.ones(n, dtype=bool)
    # minutes from the label and from the minutes column must agree
    both = ~np.isnan(label_minutes) & ~np.isnan(given_minutes)
    clash = both & (label_minutes != given_minutes)
    issues.add(
        "error",
        "timepoint",
        rows[clash],
        "minutes",
        [
            f"time point {show.value('timepoint', t)} says {format_number(a)} minutes but minutes is "
            f"{format_number(b)}"
            for t, a, b in zip(
                tp_raw[clash],
                label_minutes[clash],
                given_minutes[clash],
                strict=True,
            )
        ],
    )
    ok &= ~clash
    minutes = np.where(np.isnan(given_minutes), label_minutes, given_minutes)
    # a row with minutes but no label takes its label from the minutes
    from_minutes = missing_label & ~np.isnan(minutes)
    label[from_minutes] = np.where(minutes[from_minutes] <= 0, "pre", "post")
    nothing = missing_label & np.isnan(minutes) & ok
    issues.add(
        "error",
        "timepoint",
        rows[nothing],
        "timepoint",
        "time point is empty (no label and no minutes after the dose)",
    )
    ok &= ~nothing
    far = ~np.isnan(minutes) & ((minutes < _MINUTES_RANGE[0]) | (minutes > _MINUTES_RANGE[1]))
    issues.add(
        "error",
        "out_of_range",
        rows[far],
        "minutes",
        [
            f"minutes {format_number(m) if np.isfinite(m) else m} is more than a day from the dose; "
            "minutes count from the dose of the session (not clock times or dates)"
            for m in minutes[far]
        ],
    )
    ok &= ~far
    is_pre = label == "pre"
    pre_late = ok & is_pre & (minutes > 0)
    post_early = ok & ~is_pre & (label != None) & (minutes <= 0)  # noqa: E711
    issues.add(
        "error",
        "timepoint",
        rows[pre_late],
        "minutes",
        [
            f"a pre-dose reading at {format_number(m)} minutes after the dose"
            for m in minutes[pre_late]
        ],
    )
    issues.add(
        "error",
        "timepoint",
        rows[post_early],
        "minutes",
        [
            f"a {t} reading at {format_number(m)} minutes, not after the dose"
            for t, m in zip(label[post_early], minutes[post_early], strict=True)
        ],
    )
    ok &= ~pre_late & ~post_early
    df["timepoint"] = label
    df["minutes"] = minutes
    return ok
