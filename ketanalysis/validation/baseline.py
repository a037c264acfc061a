"""Checks of the baseline: the ``baseline=`` setting and each patient's baseline assessment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import scales as _scales
from .issues import row_rank

__all__ = ["check_baseline", "check_baseline_arg"]


def check_baseline_arg(frame, baseline) -> None:
    """A text baseline is 'first', 'last_pre' or a label of an ordered category session."""
    if not isinstance(baseline, str) or baseline in ("first", "last_pre"):
        return
    session = frame["session"] if "session" in frame.columns else None
    if session is not None and isinstance(session.dtype, pd.CategoricalDtype):
        if baseline in session.cat.categories:
            return
        labels = ", ".join(map(repr, session.cat.categories[:10]))
        raise ValueError(
            f"baseline={baseline!r} is not a session label ({labels}), 'first' or 'last_pre'"
        )
    raise ValueError(f"baseline must be a session value, 'first' or 'last_pre'; got {baseline!r}")


def check_baseline(df, rows, issues, excluded, baseline, usable, show):
    """Every patient has a baseline assessment of each outcome scale; baselines of 0."""
    outcome_scales = [
        k for k in _scales.SCALES if _scales.SCALES[k].remission_threshold is not None
    ]
    m = usable & df["scale"].isin(outcome_scales).to_numpy() & (df["_group"] >= 0).to_numpy()
    m &= df["session"].notna().to_numpy()
    if not m.any():
        return
    cols = ["_group", "patient_id", "scale", "session", "score"]
    sub = df.loc[m, cols + (["day"] if "day" in df else [])]
    if baseline == "first":
        first = sub.sort_values("session", kind="stable").groupby("_group", sort=False).head(1)
        return _zero_baseline(rows, issues, first, show)
    if baseline == "last_pre":
        if "day" not in sub:
            issues.add_one(
                "error",
                "no_baseline",
                "day",
                "baseline='last_pre' needs a day column (the last assessment with day <= 0)",
            )
            return
        is_base = (sub["day"] <= 0).to_numpy()
        what = "an assessment on or before day 0"
    else:
        is_base = (sub["session"] == baseline).to_numpy()
        label = repr(baseline) if isinstance(baseline, str) else baseline
        what = f"an assessment at session {label}"
    has = (
        pd.Series(is_base, index=sub.index)
        .groupby(sub["_group"], sort=False)
        .transform("any")
        .to_numpy(copy=True)
    )
    # A scale on which no patient has a baseline: the baseline setting is wrong for it.
    scale_has = pd.Series(has, index=sub.index).groupby(sub["scale"], sort=False).any()
    for key in scale_has.index[~scale_has.to_numpy()]:
        of_scale = sub["scale"] == key
        sessions = sub.loc[of_scale, "session"].drop_duplicates().sort_values()
        listed = ", ".join(map(str, sessions.iloc[:10]))
        issues.add_one(
            "error",
            "no_baseline",
            "session",
            f"no patient has a {key} baseline ({what}); {key} sessions present: {listed}"
            f"{' ...' if len(sessions) > 10 else ''}; set baseline= to your baseline session, "
            "'first' or 'last_pre'",
        )
        has[of_scale.to_numpy()] = True  # reported once for the scale, not per patient
    lacking = sub.index[~has]
    if len(lacking):
        lacking = lacking[np.argsort(row_rank(rows)[lacking], kind="stable")]
        first = sub.loc[lacking].groupby("_group", sort=False).head(1)
        issues.add(
            "warning",
            "no_baseline",
            rows[first.index],
            "session",
            [
                f"patient {show.patient(p)} has no {s} baseline ({what}); their {s} rows are "
                "excluded"
                for p, s in zip(first["patient_id"], first["scale"], strict=True)
            ],
        )
        mask = np.zeros(len(df), dtype=bool)
        mask[lacking] = True
        excluded.append((mask, f"no baseline assessment ({what})"))
    base_rows = sub[is_base]
    if baseline == "last_pre":
        base_rows = base_rows.sort_values(["day", "session"]).groupby("_group", sort=False).tail(1)
    _zero_baseline(rows, issues, base_rows, show)


def _zero_baseline(rows, issues, base_rows, show):
    zero = base_rows[base_rows["score"] == 0]
    issues.add(
        "warning",
        "zero_baseline",
        rows[zero.index],
        "score",
        [
            f"patient {show.patient(p)} has a {s} baseline of 0: percentage change from "
            "baseline is "
            "undefined, so percentage-based response cannot be assessed"
            for p, s in zip(zero["patient_id"], zero["scale"], strict=True)
        ],
    )
