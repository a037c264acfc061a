"""REDCap longitudinal exports (records x events) to canonical long rows: :func:`read_redcap`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import scales as _scales
from ..validation.issues import Issues, list_rows
from .files import load, raise_data_error
from .scores import finish_scores

__all__ = ["read_redcap"]


def read_redcap(
    source,
    *,
    events: Mapping[str, object],
    scale: str | Sequence[str] | None = None,
    fields: Mapping[str, str] | None = None,
    patient: str = "record_id",
    day: str | None = None,
    baseline: int | float | str = 0,
    allow_identifiers: Sequence[str] = (),
    allow_negative_days: bool = False,
    validate: bool = True,
    **read_kwargs,
) -> pd.DataFrame:
    """Read a REDCap longitudinal export (records x events) into canonical long rows.

    Parameters
    ----------
    source : path or DataFrame
        The export ("CSV / Microsoft Excel (raw data)"): ``record_id``, ``redcap_event_name``
        and the fields of each instrument.
    events : dict
        ``{event name: session}`` or ``{event name: (session, day)}``, e.g.
        ``{"baseline_arm_1": (0, 0), "infusion_1_24h_arm_1": (1, 1)}``. Every event in the
        export must be mapped; an unmapped event is an error listing its rows.
    scale : str or list of str, optional
        Scales to read (default: every registry scale whose fields are in the export).
    fields : dict, optional
        ``{scale: field prefix}``; by default the lower-case scale key and an underscore
        (``madrs_``, ``phq9_``, ``hamd17_``, ``qids_sr16_``, ``bdi2_``, ``gad7_``,
        ``cadss_``). Item fields are ``<prefix>1`` ... ``<prefix>k``, the total
        ``<prefix>total`` (or ``<prefix>score``).
    patient : str, default "record_id"
    day : str, optional
        A field holding the study day of each event (days since the first treatment);
        overrides days given in ``events``.
    baseline, allow_identifiers, allow_negative_days, validate, **read_kwargs
        As for :func:`read_scores`.

    Returns
    -------
    DataFrame
        Canonical long format: one row per record x event x scale that has any field of
        that scale filled. Fields entered on one event only (demographics on the baseline
        event, as REDCap exports them) are copied to every row of the record; REDCap's own
        columns (``redcap_*``, ``*_complete``) are dropped.

    Examples
    --------
    >>> import json
    >>> import ketanalysis as ka
    >>> with open("data/sample/cohort_redcap_events.json") as f:
    ...     events = json.load(f)
    >>> frame = ka.read_redcap("data/sample/cohort_redcap.csv", events=events, day="study_day")
    >>> len(frame), sorted(frame["scale"].unique())
    (3798, ['CADSS', 'MADRS', 'PHQ9'])
    """
    df, name = load(source, keep_text={patient}, **read_kwargs)
    issues = Issues()
    for c in (patient, "redcap_event_name"):
        if c not in df.columns:
            issues.add_one("error", "missing_column", c, f"a REDCap export needs {c!r}")
    if issues.has_errors:
        raise_data_error(issues, name, df)
    rows = df["source_row"].to_numpy(dtype=object)
    ev = df["redcap_event_name"].astype(str)
    unmapped = ~ev.isin(list(events)).to_numpy()
    if unmapped.any():
        for e in pd.unique(ev[unmapped]):
            hit = (ev == e).to_numpy()
            issues.add(
                "error",
                "unknown_event",
                rows[hit][:1],
                "redcap_event_name",
                f"event {e!r} ({list_rows(rows[hit])}) is not in events=; map it to a session",
            )
        raise_data_error(issues, name, df)
    ev_session, ev_day = {}, {}
    for e, v in events.items():
        if isinstance(v, Mapping):
            ev_session[e], ev_day[e] = v["session"], v.get("day")
        elif isinstance(v, tuple):
            ev_session[e], ev_day[e] = v
        else:
            ev_session[e] = v
    wanted = [scale] if isinstance(scale, str) else list(scale or _scales.SCALES)
    fields = dict(fields or {})
    per_scale = {}
    for s in wanted:
        sc = _scales.get(s)
        prefix = fields.get(sc.key, fields.get(s, sc.key.lower() + "_"))
        item_f = [f"{prefix}{i}" for i in range(1, sc.n_items + 1)]
        total_f = next((f"{prefix}{t}" for t in ("total", "score") if f"{prefix}{t}" in df), None)
        present = [f for f in item_f if f in df.columns]
        if not present and total_f is None:
            if scale is not None:
                issues.add_one(
                    "error",
                    "missing_column",
                    f"{prefix}1",
                    f"no {sc.key} fields ({prefix}1 ... {prefix}{sc.n_items} or "
                    f"{prefix}total) in the export; set fields={{{sc.key!r}: 'prefix_'}}",
                )
            continue
        per_scale[sc.key] = (item_f, total_f)
    if not per_scale and not issues.has_errors:
        issues.add_one(
            "error",
            "missing_column",
            "",
            "no fields of any known scale found; pass scale= and fields={scale: prefix}",
        )
    if issues.has_errors:
        raise_data_error(issues, name, df)
    consumed = {"source_row", patient}
    for item_f, total_f in per_scale.values():
        consumed |= set(item_f) | {total_f}
    redcap_own = [
        c for c in df.columns if str(c).startswith("redcap_") or str(c).endswith("_complete")
    ]
    covariates = [c for c in df.columns if c not in consumed and c not in redcap_own]
    cov = df[covariates].copy()
    # Fields filled on a single event per record (e.g. demographics at baseline) go to every
    # row of that record; fields that vary by event stay per row.
    if covariates:
        g = cov.groupby(df[patient].to_numpy(), sort=False)
        n_filled = g.count()
        n_distinct = g.nunique()
        spread = [
            c
            for c in covariates
            if c != day and (n_distinct[c] <= 1).all() and (n_filled[c] < g.size()).any()
        ]
        if spread:
            filled = g[spread].transform("first")
            cov[spread] = filled
    parts = []
    for key, (item_f, total_f) in per_scale.items():
        have = [f for f in item_f + [total_f] if f is not None and f in df.columns]
        any_data = df[have].notna().any(axis=1).to_numpy()
        sub = pd.DataFrame(
            {
                "patient_id": df[patient].to_numpy(dtype=object)[any_data],
                "session": ev.map(ev_session).to_numpy(dtype=object)[any_data],
                "scale": key,
                "score": df[total_f].to_numpy(dtype=object)[any_data] if total_f else np.nan,
            }
        )
        if day is not None:
            sub["day"] = df[day].to_numpy(dtype=object)[any_data]
        elif any(v is not None for v in ev_day.values()):
            sub["day"] = ev.map(ev_day).to_numpy(dtype=object)[any_data]
        for c in covariates:
            if c != day:
                sub[c] = cov[c].to_numpy(dtype=object)[any_data]
        for i, f in enumerate(item_f, start=1):
            if f in df.columns:
                sub[f"item_{i}"] = df[f].to_numpy(dtype=object)[any_data]
        sub["source_row"] = rows[any_data]
        parts.append(sub)
    long = pd.concat(parts, ignore_index=True)
    for c in covariates:
        if c in long and c != day and pd.api.types.is_numeric_dtype(df[c].dtype):
            long[c] = pd.to_numeric(long[c])
            if long[c].notna().all() and (long[c] == np.round(long[c])).all():
                long[c] = long[c].astype("int64")  # integers again once spread
    if "day" in long:
        long["day"] = pd.to_numeric(long["day"], errors="coerce").where(long["day"].notna(), np.nan)
    sessions = pd.Series(list(ev_session.values()))
    if sessions.map(lambda v: isinstance(v, str)).any():
        long["session"] = pd.Categorical(
            long["session"], categories=list(dict.fromkeys(sessions)), ordered=True
        )
    else:
        long["session"] = pd.to_numeric(long["session"])
    order = np.lexsort((long["scale"].map(list(_scales.SCALES).index), long["source_row"]))
    long = long.iloc[order].reset_index(drop=True)
    return finish_scores(
        long,
        source=name,
        validate=validate,
        baseline=baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
    )
