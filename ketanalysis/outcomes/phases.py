"""Treatment phase of each assessment: induction or maintenance.

The phase comes from the data's ``phase`` column when present (a value containing
"induct" means induction, "maint" maintenance, case-insensitive); otherwise from
``induction_end``, the last session of induction (session <= induction_end is induction,
later sessions maintenance). When neither is available the phase is unknown (NA).

A ``phase`` value that names neither phase (e.g. "follow-up") gives NA for that row, and
for that row only the ``induction_end`` rule is used when it is given. Validation, not this
function, is the place to warn about such values (left to the integrator).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["INDUCTION", "MAINTENANCE", "assign_phases"]

INDUCTION = "induction"
MAINTENANCE = "maintenance"


def assign_phases(frame: pd.DataFrame, induction_end: float | None = None) -> pd.Series:
    """Phase of each row of ``frame``: "induction", "maintenance" or NA when unknown.

    Parameters
    ----------
    frame : DataFrame
        Long-format data with a ``session`` column and, optionally, a ``phase`` column.
    induction_end : int or float, optional
        Last session of induction; used where the ``phase`` column is absent or does not
        name a phase.

    Returns
    -------
    Series
        Same index as ``frame``, string dtype, values "induction", "maintenance" or NA.
    """
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    if induction_end is not None:
        session = pd.to_numeric(frame["session"], errors="coerce").to_numpy(dtype=float)
        known = ~np.isnan(session)
        out[known] = np.where(session[known] <= float(induction_end), INDUCTION, MAINTENANCE)
    if "phase" in frame.columns:
        text = frame["phase"].astype("string").str.lower()
        is_ind = text.str.contains("induct", regex=False).fillna(False).to_numpy(dtype=bool)
        is_maint = text.str.contains("maint", regex=False).fillna(False).to_numpy(dtype=bool)
        out[is_ind] = INDUCTION
        out[is_maint & ~is_ind] = MAINTENANCE
    return out
