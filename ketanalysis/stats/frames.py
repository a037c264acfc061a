"""The frames a stats function works on, taken out of an Outcomes or a DataFrame.

Every function of :mod:`ketanalysis.stats` takes an :class:`~ketanalysis.Outcomes` or a
DataFrame shaped like one of its frames; these helpers return the ``assessments`` or
``patients`` frame, the rows of one scale, the frame of an outcome and a patsy-ready copy
(see ``docs/architecture.md``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import scales as _scales
from ..outcomes import Outcomes, SafetyOutcomes
from .arguments import check_columns, is_binary_dtype, sort_key

__all__ = [
    "ASSESSMENT_OUTCOMES",
    "EVENTS",
    "PATIENT_OUTCOMES",
    "assessment_frame",
    "cadss_frame",
    "event_frame",
    "filter_scales",
    "one_scale",
    "outcome_frame",
    "patient_frame",
    "patsy_frame",
    "scale_order",
]

#: Per-patient outcomes of :func:`~ketanalysis.stats.rates` and the ``Outcomes.patients``
#: column of each.
PATIENT_OUTCOMES = {
    "response": "ever_response",
    "remission": "ever_remission",
    "rapid_response": "rapid_response",
    "sustained_response": "sustained_response",
    "stable_remission": "stable_remission",
    "stable_response": "stable_response",
    "relapse": "relapse",
    "suicidality_resolved": "suicidality_resolved",
}
#: Per-assessment outcomes (``rates(..., at=...)``): ``Outcomes.assessments`` columns.
ASSESSMENT_OUTCOMES = {"response": "response", "remission": "remission"}
#: The events with a time: ``time_to_<event>`` and ``<event>_event`` columns.
EVENTS = ("response", "remission", "relapse")


def assessment_frame(data) -> pd.DataFrame:
    """The assessments: ``data.assessments`` of an Outcomes, or the DataFrame itself.

    Parameters
    ----------
    data : Outcomes or DataFrame

    Returns
    -------
    DataFrame
    """
    if isinstance(data, Outcomes):
        return data.assessments
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(f"data must be an Outcomes or a DataFrame, got {type(data).__name__}")


def patient_frame(data) -> pd.DataFrame:
    """The patients: ``data.patients`` of an Outcomes, or the DataFrame itself.

    Parameters
    ----------
    data : Outcomes or DataFrame

    Returns
    -------
    DataFrame
    """
    if isinstance(data, Outcomes):
        return data.patients
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(f"data must be an Outcomes or a DataFrame, got {type(data).__name__}")


def scale_order(frame: pd.DataFrame) -> list[str]:
    """Scales present, in registry order (the order derive uses), unknown ones last.

    Parameters
    ----------
    frame : DataFrame
        With a ``scale`` column.

    Returns
    -------
    list of str
    """
    col = frame["scale"]
    present = [str(s) for s in pd.unique(col.dropna())]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories if str(c) in present]
    known = [k for k in _scales.SCALES if k in present]
    return known + [s for s in present if s not in known]


def filter_scales(frame: pd.DataFrame, scale) -> pd.DataFrame:
    """The rows of the scale(s) ``scale`` (all rows for None); error naming a missing one.

    Parameters
    ----------
    frame : DataFrame
    scale : str, sequence of str or None

    Returns
    -------
    DataFrame
    """
    if scale is None:
        return frame
    if "scale" not in frame.columns:
        raise ValueError(f"scale={scale!r} given but the data have no 'scale' column")
    wanted = [scale] if isinstance(scale, str) else list(scale)
    present = scale_order(frame)
    unknown = [s for s in wanted if s not in present]
    if unknown:
        raise ValueError(
            f"scale={unknown[0]!r} is not in the data; scales present: {', '.join(present)}"
        )
    return frame.loc[frame["scale"].isin(wanted).to_numpy()]


def one_scale(data, frame: pd.DataFrame, scale) -> tuple[pd.DataFrame, str | None]:
    """Rows of one scale: ``scale`` or, by default, the primary (first derived) scale.

    Parameters
    ----------
    data : Outcomes or DataFrame
        Where the primary scale is read from.
    frame : DataFrame
        The frame to filter.
    scale : str or None

    Returns
    -------
    rows : DataFrame
    scale : str or None
        None when the frame has no ``scale`` column.
    """
    if "scale" not in frame.columns:
        if scale is not None:
            raise ValueError(f"scale={scale!r} given but the data have no 'scale' column")
        return frame, None
    if scale is None:
        order = list(data.scales) if isinstance(data, Outcomes) else scale_order(frame)
        if not order:
            raise ValueError("the data have no rows")
        scale = order[0]
    elif not isinstance(scale, str):
        raise ValueError(f"scale must name one scale here, got {scale!r}")
    return filter_scales(frame, scale), scale


def outcome_frame(data, outcome, at) -> tuple[pd.DataFrame, str]:
    """The frame and column of an outcome of :func:`~ketanalysis.stats.rates`.

    Parameters
    ----------
    data : Outcomes or DataFrame
    outcome : str
        A key of :data:`PATIENT_OUTCOMES` (or a boolean patients column) or, with
        ``at``, of :data:`ASSESSMENT_OUTCOMES`.
    at : session value or None
        None: per patient; else the assessments at that session.

    Returns
    -------
    frame : DataFrame
    column : str
    """
    if not isinstance(outcome, str):
        raise ValueError(f"outcome must be a string, got {outcome!r}")
    if at is None:
        frame = patient_frame(data)
        if outcome in PATIENT_OUTCOMES and PATIENT_OUTCOMES[outcome] in frame.columns:
            return frame, PATIENT_OUTCOMES[outcome]
        if outcome in frame.columns and is_binary_dtype(frame[outcome]):
            return frame, outcome
        valid = [k for k, c in PATIENT_OUTCOMES.items() if c in frame.columns]
        raise ValueError(
            f"outcome={outcome!r} is not a per-patient outcome; valid: {', '.join(valid)} "
            "(or a boolean column of the patients frame)"
        )
    frame = assessment_frame(data)
    if outcome not in ASSESSMENT_OUTCOMES:
        raise ValueError(
            f"outcome={outcome!r} is not available per session; valid with at=: "
            f"{', '.join(ASSESSMENT_OUTCOMES)}"
        )
    check_columns(frame, ["session", ASSESSMENT_OUTCOMES[outcome]], "outcome")
    rows = frame["session"] == at
    if not rows.any():
        sessions = pd.unique(frame["session"].dropna())
        raise ValueError(
            f"at={at!r} has no assessments; sessions present: "
            f"{', '.join(map(str, sorted(sessions, key=sort_key)))}"
        )
    return frame.loc[rows.to_numpy()], ASSESSMENT_OUTCOMES[outcome]


def patsy_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable boolean/integer/float columns as float (NaN for missing), for patsy.

    Parameters
    ----------
    frame : DataFrame

    Returns
    -------
    DataFrame
    """
    out = {}
    for c in frame.columns:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col) and not isinstance(col.dtype, pd.BooleanDtype):
            out[c] = col.to_numpy(dtype=float)
        elif isinstance(col.dtype, pd.api.extensions.ExtensionDtype) and (
            isinstance(col.dtype, pd.BooleanDtype) or pd.api.types.is_numeric_dtype(col)
        ):
            out[c] = col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        elif pd.api.types.is_string_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
            out[c] = col.astype(object).where(col.notna(), None).to_numpy(dtype=object)
        else:
            out[c] = col.to_numpy()
    return pd.DataFrame(out, index=frame.index)


def event_frame(data, event, scale):
    """The patients of one scale with a known time to ``event``.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An Outcomes (its ``patients``) or a frame with ``time_to_<event>`` and
        ``<event>_event``.
    event : {"response", "remission", "relapse"}
    scale : str or None
        The scale (default: the primary scale).

    Returns
    -------
    rows : DataFrame
        The patients with a known time, with ``_time`` and ``_status`` (1 event, 0
        censored) added.
    scale : str or None
    n_excluded : int
        Patients without a known time (for relapse: not at risk).
    """
    if event not in EVENTS:
        raise ValueError(f"event must be one of {', '.join(EVENTS)}, got {event!r}")
    frame = patient_frame(data)
    tcol, scol = f"time_to_{event}", f"{event}_event"
    check_columns(frame, [tcol, scol], "event")
    frame, scale = one_scale(data, frame, scale)
    time = pd.to_numeric(frame[tcol]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    status = pd.to_numeric(frame[scol]).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(time) & ~np.isnan(status)
    if np.any(time[known] < 0):
        raise ValueError(f"{tcol} has negative times")
    if not np.isin(status[known], (0.0, 1.0)).all():
        raise ValueError(f"{scol} must be 0 (censored) or 1 (event)")
    n_excluded = int((~known).sum())
    rows = frame.loc[known].copy()
    rows["_time"] = time[known]
    rows["_status"] = status[known]
    if not len(rows):
        raise ValueError(f"no patient has a known {tcol} (scale {scale})")
    return rows, scale, n_excluded


def cadss_frame(data, time: str = "infusion") -> pd.DataFrame:
    """Peak CADSS per session out of a SafetyOutcomes, a frame with ``cadss`` or a score
    frame with CADSS rows (numbered ``infusion`` 1, 2, ... per patient).

    Parameters
    ----------
    data : SafetyOutcomes or DataFrame
    time : str, default "infusion"
        The session column the caller will use (not used to build the frame).

    Returns
    -------
    DataFrame
    """
    if isinstance(data, SafetyOutcomes):
        frame = data.sessions
        if "cadss" not in frame:
            raise ValueError(
                "the safety data have no CADSS: pass scores= to derive_safety or a cadss "
                "column in the vital signs"
            )
        return frame
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a SafetyOutcomes or a DataFrame, got {type(data).__name__}")
    if "cadss" in data:
        return data
    if "scale" in data and "score" in data:
        frame = data.loc[(data["scale"] == "CADSS").to_numpy()].rename(columns={"score": "cadss"})
        if frame.empty:
            raise ValueError("the score frame has no CADSS rows")
        frame = frame.sort_values(["patient_id", "session"], kind="stable")
        frame = frame.assign(
            infusion=frame.groupby("patient_id", sort=False).cumcount().to_numpy() + 1
        )
        return frame.reset_index(drop=True)
    raise ValueError("data need a 'cadss' column, or 'scale' and 'score' with CADSS rows")
