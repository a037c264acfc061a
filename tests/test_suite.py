"""The suite itself: no test reads a clock, hypothesis runs without deadlines and the same
examples every time, and the list of slow tests names tests that exist.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from slow_tests import SLOW, is_slow

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"

# Calls that read a clock or limit time. A test may not use them to decide pass or fail;
# timings belong in benchmarks/ (which print the figure and the target).
CLOCKS = re.compile(
    r"\bperf_counter\b|\btime\.time\(|\bmonotonic\(|\bprocess_time\b|\bdatetime\.now\("
    r"|\btimeit\b|\b(?!startup_)\w*timeout=(?!None)|\bdeadline=(?!None)"
)
# nbclient cannot wait for a kernel start without a limit; 600 s only catches a kernel
# that never starts (see tests/test_notebooks.py)
ALLOWED = {("test_notebooks.py", "startup_timeout=600,")}


def _test_files() -> list[Path]:
    return sorted(p for p in TESTS.glob("*.py") if p.name != Path(__file__).name)


@pytest.mark.parametrize("path", _test_files(), ids=lambda p: p.name)
def test_no_test_reads_a_clock(path):
    found = [
        f"{path.name}:{i}: {line.strip()}"
        for i, line in enumerate(path.read_text().splitlines(), 1)
        if CLOCKS.search(line) and (path.name, line.strip()) not in ALLOWED
    ]
    assert not found, "a clock in a test (move the timing to benchmarks/):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "t0 = time.perf_counter()",
        "assert time.time() - t0 < 1",
        "client = NotebookClient(nb, timeout=120)",
        "@settings(max_examples=5, deadline=500)",
        "start = datetime.now()",
    ],
)
def test_the_clock_check_catches(line):
    assert CLOCKS.search(line)


@pytest.mark.parametrize(
    "line",
    ["timeout=None,", "@settings(deadline=None)", "assert s.is_monotonic_increasing"],
)
def test_the_clock_check_lets_pass(line):
    assert not CLOCKS.search(line)


def test_hypothesis_profile_has_no_clock_and_no_chance():
    hypothesis = pytest.importorskip("hypothesis")
    current = hypothesis.settings()
    assert current.deadline is None
    assert hypothesis.HealthCheck.too_slow in current.suppress_health_check
    assert current.derandomize is True
    assert current.database is None


def test_settings_in_tests_keep_deadline_off():
    # a settings(...) call may set max_examples and health checks, never a deadline
    for path in _test_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "settings":
                for kw in node.keywords:
                    if kw.arg == "deadline":
                        assert isinstance(kw.value, ast.Constant) and kw.value.value is None, (
                            f"{path.name}:{node.lineno}"
                        )


def test_slow_marker_is_registered():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    markers = meta["tool"]["pytest"]["ini_options"]["markers"]
    assert any(m.startswith("slow:") for m in markers)


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


@pytest.mark.parametrize("entry", SLOW)
def test_every_slow_entry_names_a_test(entry):
    file, _, name = entry.partition("::")
    path = ROOT / file
    assert path.is_file(), entry
    if name:
        assert name.split("[")[0] in _defined_tests(path), f"{entry}: no such test"


def test_is_slow_matches_functions_parametrisations_and_modules():
    slow = ("tests/a.py::f", "tests/b.py::g[x", "tests/c.py")
    assert is_slow("tests/a.py::f", slow)
    assert is_slow("tests/a.py::f[1-2]", slow)
    assert not is_slow("tests/a.py::f_other", slow)
    assert is_slow("tests/b.py::g[x-1]", slow)
    assert not is_slow("tests/b.py::g[y-1]", slow)
    assert is_slow("tests/c.py::anything", slow)
    assert not is_slow("tests/cd.py::anything", slow)


def test_make_test_fast_leaves_out_the_slow_tests():
    files = ["tests/test_cli.py", "tests/test_notebooks.py"]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        + ["-m", "slow", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    collected = {line.strip() for line in out.splitlines() if "::" in line}
    notebooks = {
        f"tests/test_notebooks.py::test_notebook_executes[{p.stem}]"
        for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
    }
    listed = {e for e in SLOW if e.split("::")[0] in files}
    assert listed and notebooks
    assert collected == listed | notebooks
