"""Packaging promises: the public names, a fast import without matplotlib, the metadata."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import ketanalysis as ka

ROOT = Path(__file__).resolve().parents[1]

PUBLIC = [
    "read_scores",
    "from_wide",
    "read_redcap",
    "to_relative_days",
    "validate",
    "DataError",
    "ValidationReport",
    "simulate_cohort",
    "scales",
]


def test_public_api_importable():
    for name in PUBLIC:
        assert hasattr(ka, name), name
        assert name in ka.__all__ or name == "scales"
    assert issubclass(ka.DataError, ValueError)


def test_import_is_fast_and_light():
    code = (
        "import sys, time; t = time.perf_counter(); import ketanalysis; "
        "dt = time.perf_counter() - t; "
        "heavy = [m for m in ('matplotlib', 'scipy', 'statsmodels') if m in sys.modules]; "
        "print(dt, ','.join(heavy))"
    )
    # best of three, to keep a cold disk cache from failing the test
    times = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]))
        assert len(out) == 1, f"import ketanalysis loaded {out[1]}"
    assert min(times) < 1.0, times


def test_pyproject_declares_extras_and_script():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = meta["project"]
    assert project["requires-python"] == ">=3.10"
    core = " ".join(project["dependencies"])
    for dep in ("numpy", "pandas", "scipy", "statsmodels", "matplotlib"):
        assert dep in core
    extras = project["optional-dependencies"]
    for dep in ("pyarrow", "openpyxl", "pyreadstat"):
        assert any(dep in x for x in extras["io"])
    for dep in ("jupyter", "ipykernel", "nbclient"):
        assert any(dep in x for x in extras["notebook"])
    dev = " ".join(extras["dev"])
    assert "ketanalysis[io,notebook]" in dev and "pytest" in dev and "hypothesis" in dev
    assert project["scripts"]["ketanalysis"] == "ketanalysis.cli:main"
    assert "ruff" in meta["tool"]


def test_ci_runs_make_test_only():
    lines = [
        ln.strip()
        for ln in (ROOT / ".ci" / "run").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert lines[-1] == "exec make test"
    assert not any(re.search(r"\b(pytest|pip)\b", ln) for ln in lines)
