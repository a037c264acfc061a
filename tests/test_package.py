"""Packaging promises: the public names, a light import, declared dependencies, the metadata."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import ketanalysis as ka

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "constraints.txt"

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


def test_import_is_light():
    # how long the import takes is measured by benchmarks/import_time.py, not asserted here
    code = (
        "import sys; import ketanalysis; "
        "print(','.join(m for m in ('matplotlib', 'scipy', 'statsmodels') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import ketanalysis loaded {out.stdout.strip()}"


def test_pyproject_declares_extras_and_script():
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


# ---------------------------------------------------------------------------------------
# dependencies: declared, and locked
# ---------------------------------------------------------------------------------------
def _normal(name: str) -> str:
    """A distribution name in its normal form (PEP 503): ``Jinja2`` -> ``jinja2``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(spec: str) -> str:
    return _normal(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec).group(1))


def _declared() -> tuple[set[str], set[str]]:
    """Distributions of the core dependencies, and of core plus every extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_requirement_name(d) for d in project["dependencies"]}
    extras = {
        _requirement_name(d)
        for specs in project["optional-dependencies"].values()
        for d in specs
        if _requirement_name(d) != "ketanalysis"
    }
    return core, core | extras


def _guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether an import runs only on demand: inside a function, a ``try`` or an ``if``."""
    while node in parents:
        node = parents[node]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Try, ast.If)):
            return True
    return False


def imported_modules(package: Path) -> dict[str, list[tuple[str, bool]]]:
    """Top-level third-party modules imported in ``package``, with where and whether guarded.

    Counts ``import x``, ``from x import y`` and the names given as strings to
    ``__import__``, ``importlib.import_module`` and the optional-reader check ``_need``.
    The standard library and ketanalysis itself are left out.
    """
    found: dict[str, list[tuple[str, bool]]] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                first = node.args[0]
                if (
                    called in ("__import__", "import_module", "_need")
                    and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                    and not first.value.startswith(".")
                ):
                    names = [first.value]
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "ketanalysis":
                    continue
                where = f"{path.relative_to(package.parent)}:{node.lineno}"
                found.setdefault(top, []).append((where, _guarded(node, parents)))
    return found


def test_every_imported_package_is_declared():
    core, declared = _declared()
    installed = packages_distributions()
    modules = imported_modules(ROOT / "ketanalysis")
    assert {"numpy", "pandas", "patsy", "matplotlib", "pyreadstat"} <= set(modules)
    problems = []
    for module, places in sorted(modules.items()):
        # a module not installed here (tomli on Python >= 3.11) is named as its distribution
        dists = {_normal(d) for d in installed.get(module, [module])}
        if not dists & declared:
            problems.append(f"{module} (distribution {sorted(dists)}) at {places[0][0]}")
        unguarded = [where for where, guarded in places if not guarded]
        if unguarded and not dists & core:
            # an extra's package may be imported only where it is needed (a function or a
            # try), so that the core install still imports every module
            problems.append(f"{module} from an extra, imported at module level: {unguarded}")
    assert not problems, "imports not declared in pyproject.toml:\n" + "\n".join(problems)


def test_import_walk_sees_every_kind_of_import(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text(
        "import os\nimport numpy.linalg\nfrom scipy import stats\nfrom . import sibling\n"
        "def f():\n    import pyarrow\n    _need('openpyxl', 'Excel files')\n"
        "try:\n    import pyreadstat\nexcept ImportError:\n    pass\n"
        "import importlib\nimportlib.import_module('yaml')\n"
    )
    found = imported_modules(pkg)
    assert sorted(found) == ["numpy", "openpyxl", "pyarrow", "pyreadstat", "scipy", "yaml"]
    guarded = {m: places[0][1] for m, places in found.items()}
    assert guarded == {
        "numpy": False,
        "scipy": False,
        "pyarrow": True,
        "openpyxl": True,
        "pyreadstat": True,
        "yaml": False,
    }


def _locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep and version and not line.startswith("-"), f"{LOCK.name}: {line!r}"
            pins[_normal(name)] = version
    return pins


def test_lock_pins_every_declared_dependency():
    _, declared = _declared()
    pins = _locked()
    assert "ketanalysis" not in pins
    # tomli is needed on Python < 3.11 only; the lock is for Python 3.11
    missing = sorted(declared - set(pins) - {"tomli"})
    assert not missing, f"{LOCK.name} does not pin {missing}: run make lock"
    assert re.search(r"pip-compile with Python 3\.11", LOCK.read_text())


def test_make_installs_from_the_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCK := requirements/constraints.txt" in makefile
    installs = re.findall(r"^\t.*pip install.*$", makefile, flags=re.MULTILINE)
    assert installs and all("-c $(LOCK)" in ln for ln in installs if "--upgrade pip" not in ln)
    for stamp in (".installed-core", ".installed-dev"):
        rule = re.search(rf"^\$\(VENV\)/\{stamp}:(.*)$", makefile, flags=re.MULTILINE)
        assert rule and "$(LOCK)" in rule.group(1).split("|")[0], stamp
    assert re.search(r"^lock:", makefile, flags=re.MULTILINE)
    assert re.search(r'^test-fast:.*\n\t.*pytest.*-m "not slow"', makefile, flags=re.MULTILINE)
