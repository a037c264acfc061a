"""Shared fixtures (paths to test data, a small valid score frame), the hypothesis profile
and the list of slow tests.

No test decides by a clock: the hypothesis profile has no deadline and no too-slow health
check, and runs the same examples every time (``derandomize``), so the suite cannot fail at
random on a loaded machine. ``HYPOTHESIS_PROFILE=explore`` draws new random examples
instead, for a developer hunting bugs.

Tests that take more than a few seconds (measured with ``pytest --durations=60`` on 2
cores) are marked ``slow`` here, by the node ids listed in ``slow_tests.py``, so that ``make test-fast`` (``-m "not
slow"``) leaves them out; ``make test`` and CI run everything.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from slow_tests import is_slow

DATA = Path(__file__).parent / "data"

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - hypothesis comes with the dev extra
    pass
else:
    settings.register_profile(
        "ketanalysis",
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=True,
        database=None,
        print_blob=True,
    )
    settings.register_profile(
        "explore", parent=settings.get_profile("ketanalysis"), derandomize=False
    )
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ketanalysis"))


@pytest.hookimpl(tryfirst=True)  # before -m "not slow" deselects
def pytest_collection_modifyitems(config, items):
    for item in items:
        if is_slow(item.nodeid):
            item.add_marker(pytest.mark.slow)


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
