"""REDCap exports to canonical long rows: :func:`read_redcap` (scores) and
:func:`read_redcap_repeating` (the rows of one repeating instrument, e.g. adverse events).

A REDCap "CSV (raw data)" export of a longitudinal project has ``record_id``,
``redcap_event_name``, ``redcap_repeat_instrument`` and ``redcap_repeat_instance``, then the
fields of each instrument in form order, each form closed by its ``<form>_complete`` status
(0/1/2). Rows of a repeating instrument carry its name in ``redcap_repeat_instrument`` and
only its fields. Checkbox fields are exported one column per choice, ``<field>___<code>``
holding 0/1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import scales as _scales
from ..validation.issues import Issues, list_rows
from .files import load, raise_data_error
from .scores import finish_scores

__all__ = ["read_redcap", "read_redcap_repeating"]

REPEAT = "redcap_repeat_instrument"
_CHECKBOX = re.compile(r"^(?P<field>.+?)___(?P<code>[A-Za-z0-9_.-]+)$")


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
        columns (``redcap_*``, ``*_complete``) are dropped. Checkbox fields
        (``side_effects___1`` ... ``side_effects___4``) become one text column
        (``side_effects``) holding the codes checked, joined by ``","`` in code order
        (``"1,3"``; missing when no box is checked, which REDCap cannot tell apart from a
        form not filled). Rows of a repeating instrument without score fields (adverse
        events) are not score rows and their fields are not covariates: read them with
        :func:`read_redcap_repeating`. Rows of a repeating instrument holding scores are
        score rows (session from their event). A record without any score gets one row
        with a missing score (its first event), which validation excludes and lists in its
        audit ("score missing"), so no record vanishes unannounced.

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
    dialect = df.attrs.get("dialect")
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
    # Rows of repeating instruments without score fields (adverse events ...) are not score
    # rows; their fields are neither scores nor covariates (read_redcap_repeating).
    other = _repeat_rows(df)
    score_cols = [c for c in consumed if c in df.columns and c not in ("source_row", patient)]
    other = other & ~df[score_cols].notna().any(axis=1).to_numpy()
    if other.any():
        forms = pd.unique(df.loc[other, REPEAT].astype(str).str.strip())
        drop = {c for f in forms for c in _form_fields(df, f, patient)} - consumed
        df = df.loc[~other, [c for c in df.columns if c not in drop]].reset_index(drop=True)
        rows = df["source_row"].to_numpy(dtype=object)
        ev = df["redcap_event_name"].astype(str)
    df = _group_checkboxes(df, exclude=consumed)
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
    has_event_days = any(v is not None for v in ev_day.values())

    def rows_of(mask, scale, score, item_fields=()):
        """The long rows of the export rows in ``mask``: keys, day, covariates, items."""
        sub = pd.DataFrame(
            {
                "patient_id": df[patient].to_numpy(dtype=object)[mask],
                "session": ev.map(ev_session).to_numpy(dtype=object)[mask],
                "scale": scale,
                "score": score,
            }
        )
        if day is not None:
            sub["day"] = df[day].to_numpy(dtype=object)[mask]
        elif has_event_days:
            sub["day"] = ev.map(ev_day).to_numpy(dtype=object)[mask]
        for c in covariates:
            if c != day:
                sub[c] = cov[c].to_numpy(dtype=object)[mask]
        for i, f in enumerate(item_fields, start=1):
            if f in df.columns:
                sub[f"item_{i}"] = df[f].to_numpy(dtype=object)[mask]
        sub["source_row"] = rows[mask]
        return sub

    parts = []
    for key, (item_f, total_f) in per_scale.items():
        have = [f for f in item_f + [total_f] if f is not None and f in df.columns]
        any_data = df[have].notna().any(axis=1).to_numpy()
        score = df[total_f].to_numpy(dtype=object)[any_data] if total_f else np.nan
        parts.append(rows_of(any_data, key, score, item_f))
    scored = pd.concat([p["patient_id"] for p in parts]).unique()
    unscored = ~df[patient].isin(scored).to_numpy() & ~df[patient].duplicated().to_numpy()
    if unscored.any():
        # a record without any score: one row with a missing score, audited by validation
        parts.append(rows_of(unscored, next(iter(per_scale)), np.nan))
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
        dialect=dialect,
        source=name,
        validate=validate,
        baseline=baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
    )


def _repeat_rows(df: pd.DataFrame) -> np.ndarray:
    """True on the rows of a repeating instrument (``redcap_repeat_instrument`` filled)."""
    if REPEAT not in df.columns:
        return np.zeros(len(df), dtype=bool)
    r = df[REPEAT]
    return (r.notna() & (r.astype(str).str.strip() != "")).to_numpy().copy()


def _form_fields(df: pd.DataFrame, form: str, patient: str) -> list[str]:
    """The fields of ``form``: the columns between the previous form's ``*_complete`` column
    and ``<form>_complete`` (REDCap exports forms in order), else the columns filled on
    the form's rows."""
    cols = [str(c) for c in df.columns]
    own = {patient, "source_row"}
    end = f"{form}_complete"
    if end in cols:
        stop = cols.index(end)
        begin = max((i for i, c in enumerate(cols[:stop]) if c.endswith("_complete")), default=-1)
        return [
            c for c in cols[begin + 1 : stop + 1] if c not in own and not c.startswith("redcap_")
        ]
    on = (df[REPEAT].astype(str).str.strip() == form).to_numpy()
    filled = df.loc[on].notna().any(axis=0)
    return [c for c in cols if filled[c] and c not in own and not c.startswith("redcap_")]


def _group_checkboxes(df: pd.DataFrame, exclude=()) -> pd.DataFrame:
    """Checkbox columns ``f___1``, ``f___2`` ... to one text column ``f`` of the codes
    checked, joined by "," in column order (missing where none is checked)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in df.columns:
        m = _CHECKBOX.match(str(c))
        if m and c not in exclude:
            groups.setdefault(m.group("field"), []).append((m.group("code"), c))
    if not groups:
        return df
    out = df.copy()
    for field, boxes in groups.items():
        if field in out.columns:
            continue  # a field of that name exists: leave the boxes as they are
        cols = [c for _, c in boxes]
        checked = out[cols].apply(pd.to_numeric, errors="coerce").to_numpy(float) == 1
        text = np.full(len(out), "", dtype=object)
        for j, (code, _) in enumerate(boxes):
            text = text + np.where(checked[:, j], code + ",", "")
        text = pd.Series(text, dtype=object).str.rstrip(",").to_numpy(dtype=object, copy=True)
        text[~checked.any(axis=1)] = None
        at = out.columns.get_loc(cols[0])
        out = out.drop(columns=cols)
        out.insert(min(at, len(out.columns)), field, text)
    return out


def read_redcap_repeating(
    source,
    instrument: str,
    *,
    events: Mapping[str, object] | None = None,
    patient: str = "record_id",
    **read_kwargs,
) -> pd.DataFrame:
    """The rows of one repeating instrument of a REDCap export as a long frame.

    Use it for the instruments :func:`read_redcap` leaves out, such as adverse events:
    the frame goes to :func:`ketanalysis.read_adverse_events` with ``columns=`` naming the
    instrument's fields.

    Parameters
    ----------
    source : path or DataFrame
        The export ("CSV / Microsoft Excel (raw data)").
    instrument : str
        The repeating instrument, as in ``redcap_repeat_instrument`` (e.g.
        ``"adverse_events"``).
    events : dict, optional
        ``{event name: session}`` or ``{event name: (session, day)}`` as for
        :func:`read_redcap`; gives ``session`` (and ``day``). Without it ``session`` is
        the event name.
    patient : str, default "record_id"
    **read_kwargs
        As for :func:`read_scores`.

    Returns
    -------
    DataFrame
        One row per instance: ``patient_id``, ``session``, ``day`` (when ``events`` gives
        days), ``instance`` (``redcap_repeat_instance``) and the instrument's fields
        (checkboxes grouped as in :func:`read_redcap`, ``<instrument>_complete`` dropped).
        The index is the row of the export (as named in messages); readers given this
        frame name those rows.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> events = {"baseline_arm_1": 0, "week_1_arm_1": 1, "week_2_arm_1": 2}
    >>> ae = ka.read_redcap_repeating(
    ...     "tests/data/redcap/repeating.csv", "adverse_events", events=events
    ... )
    >>> ae[["patient_id", "session", "instance", "ae_term", "ae_severity"]]
       patient_id  session  instance    ae_term  ae_severity
    5           1        1         1     nausea            1
    6           1        1         2  dizziness            2
    16          4        2         1   headache            1
    >>> ka.read_adverse_events(ae, columns={"ae_severity": "severity", "ae_serious": "serious"})[
    ...     ["patient_id", "session", "ae_term", "severity", "serious"]
    ... ]
      patient_id  session    ae_term  severity  serious
    0          1        1     nausea      mild    False
    1          1        1  dizziness  moderate    False
    2          4        2   headache      mild    False
    """
    df, name = load(source, keep_text={patient}, **read_kwargs)
    issues = Issues()
    for c in (patient, REPEAT):
        if c not in df.columns:
            issues.add_one(
                "error",
                "missing_column",
                c,
                f"a REDCap export with repeating instruments needs {c!r}",
            )
    if issues.has_errors:
        raise_data_error(issues, name, df)
    on = _repeat_rows(df) & (df[REPEAT].astype(str).str.strip() == instrument).to_numpy()
    if not on.any():
        found = sorted(pd.unique(df.loc[_repeat_rows(df), REPEAT].astype(str).str.strip()))
        issues.add_one(
            "error",
            "missing_column",
            REPEAT,
            f"no rows of repeating instrument {instrument!r}; instruments in the export: "
            + (", ".join(map(repr, found[:20])) or "none"),
        )
        raise_data_error(issues, name, df)
    fields = [c for c in _form_fields(df, instrument, patient) if not c.endswith("_complete")]
    sub = df.loc[on]
    out = pd.DataFrame({"patient_id": sub[patient].astype(str).to_numpy(dtype=object)})
    if "redcap_event_name" in sub.columns:
        ev = sub["redcap_event_name"].astype(str)
        if events is not None:
            unmapped = ~ev.isin(list(events)).to_numpy()
            for e in pd.unique(ev[unmapped]):
                hit = (ev == e).to_numpy()
                issues.add(
                    "error",
                    "unknown_event",
                    sub["source_row"].to_numpy(dtype=object)[hit][:1],
                    "redcap_event_name",
                    f"event {e!r} ({list_rows(sub['source_row'].to_numpy()[hit])}) is not "
                    "in events=; map it to a session",
                )
            if issues.has_errors:
                raise_data_error(issues, name, df)
            value = ev.map(events).to_numpy(dtype=object)
            pairs = [v if isinstance(v, tuple) else (v, None) for v in value]
            out["session"] = [p[0] for p in pairs]
            if any(p[1] is not None for p in pairs):
                out["day"] = [p[1] for p in pairs]
        else:
            out["session"] = ev.to_numpy(dtype=object)
    if "redcap_repeat_instance" in sub.columns:
        out["instance"] = pd.to_numeric(sub["redcap_repeat_instance"]).to_numpy()
    body = _group_checkboxes(sub[fields].reset_index(drop=True))
    out = pd.concat([out, body], axis=1)
    for c in out.columns:
        v = out[c]
        if pd.api.types.is_float_dtype(v.dtype) and v.notna().all() and len(v):
            if (v == np.round(v)).all():
                out[c] = v.astype("int64")  # whole numbers again once the other rows are gone
    out.index = pd.Index(sub["source_row"].to_numpy(), name=None)
    return out
