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
from ..outcomes.engine import Outcomes
from .arguments import check_columns, is_binary_dtype, sort_key

__all__ = [
    "ASSESSMENT_OUTCOMES",
    "PATIENT_OUTCOMES",
    "assessment_frame",
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
#: Per-assessment outcomes (``rates(..., session=...)``): ``Outcomes.assessments`` columns.
ASSESSMENT_OUTCOMES = {"response": "response", "remission": "remission"}


def assessment_frame(data) -> pd.DataFrame:
    if isinstance(data, Outcomes):
        return data.assessments
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(f"data must be an Outcomes or a DataFrame, got {type(data).__name__}")


def patient_frame(data) -> pd.DataFrame:
    if isinstance(data, Outcomes):
        return data.patients
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(f"data must be an Outcomes or a DataFrame, got {type(data).__name__}")


def scale_order(frame: pd.DataFrame) -> list[str]:
    """Scales present, in registry order (the order derive uses), unknown ones last."""
    col = frame["scale"]
    present = [str(s) for s in pd.unique(col.dropna())]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories if str(c) in present]
    known = [k for k in _scales.SCALES if k in present]
    return known + [s for s in present if s not in known]


def filter_scales(frame: pd.DataFrame, scale) -> pd.DataFrame:
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
    """Rows of one scale: ``scale`` or, by default, the primary (first derived) scale."""
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


def outcome_frame(data, outcome, session) -> tuple[pd.DataFrame, str]:
    if not isinstance(outcome, str):
        raise ValueError(f"outcome must be a string, got {outcome!r}")
    if session is None:
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
            f"outcome={outcome!r} is not available per session; valid with session=: "
            f"{', '.join(ASSESSMENT_OUTCOMES)}"
        )
    check_columns(frame, ["session", ASSESSMENT_OUTCOMES[outcome]], "outcome")
    at = frame["session"] == session
    if not at.any():
        sessions = pd.unique(frame["session"].dropna())
        raise ValueError(
            f"session={session!r} has no assessments; sessions present: "
            f"{', '.join(map(str, sorted(sessions, key=sort_key)))}"
        )
    return frame.loc[at.to_numpy()], ASSESSMENT_OUTCOMES[outcome]


def patsy_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable boolean/integer/float columns as float (NaN for missing), for patsy."""
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
