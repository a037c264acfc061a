"""Shared fixtures: paths to test data and a small valid score frame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def bad_dir() -> Path:
    """The corpus of bad inputs, tests/data/bad (described by its MANIFEST.csv)."""
    return DATA / "bad"


@pytest.fixture
def madrs_frame() -> pd.DataFrame:
    """Three patients, MADRS at sessions 0-3 with days; valid, no warnings."""
    rows = []
    for p, (base, age, route) in enumerate([(34, 41, "IV"), (29, 57, "IM"), (38, 33, "IV")]):
        for session, day in enumerate([0, 1, 3, 7]):
            rows.append(
                {
                    "patient_id": f"K{p + 1:04d}",
                    "session": session,
                    "day": float(day),
                    "scale": "MADRS",
                    "score": float(base - 5 * session),
                    "route": route,
                    "age": age,
                }
            )
    return pd.DataFrame(rows)
