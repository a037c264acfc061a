"""docs/architecture.md stays true to the tree, and the layers import in one direction.

The module map (section 2.2) must list every module of the package and nothing that is
gone; no module imports another module's underscore names; there is no import cycle; no
module is over 700 lines; imports between layers go the way section 2.1 draws them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "ketanalysis"
DOC = ROOT / "docs" / "architecture.md"
MAX_LINES = 700
# Section 2.1: scales -> validation -> io -> outcomes -> stats / config -> simulate / plots
# -> report -> cli. A layer may import from its own rank and the ranks before it.
RANK = {
    "scales": 0,
    "validation": 1,
    "io": 2,
    "outcomes": 3,
    "stats": 4,
    "simulate": 5,
    "plots": 5,
    "config": 4,
    "report": 6,
    "cli": 7,
}


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _imports(name: str, path: Path):
    """(target module, imported name, line) of every relative import, lazy ones included."""
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = name.split(".") if is_pkg else name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{target}.{alias.name}"
                yield (full if full in MODULES else target), alias.name, node.lineno


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_module_map_lists_every_module():
    text = DOC.read_text()
    section = text[text.index("### 2.2") : text.index("### 2.3")]
    listed = set(re.findall(r"^\|[^|]*\| `([\w/]+\.py)` \|", section, flags=re.M))
    present = {str(p.relative_to(PKG)) for p in MODULES.values()}
    assert not present - listed, (
        f"modules missing from docs/architecture.md 2.2: {sorted(present - listed)}"
    )
    assert not listed - present, f"modules listed but gone: {sorted(listed - present)}"


def test_no_module_over_the_limit():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_underscore_name_imported_from_another_module():
    bad = []
    for name, path in MODULES.items():
        for target, imported, line in _imports(name, path):
            private_module = any(s.startswith("_") for s in target.split(".")[1:])
            if target != name and (imported.startswith("_") or private_module):
                if imported == "__version__":
                    continue
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {imported} from {target}")
    assert not bad, "\n".join(bad)


def test_layers_import_in_one_direction():
    bad = []
    for name, path in MODULES.items():
        own = _layer(name)
        if own not in RANK:
            continue
        for target, _name, line in _imports(name, path):
            other = _layer(target)
            if other in RANK and RANK[other] > RANK[own]:
                bad.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {target} ({other})")
            if own != other and {own, other} in ({"simulate", "plots"}, {"stats", "config"}):
                bad.append(f"{path.relative_to(ROOT)}:{line}: {own} and {other} are siblings")
    assert not bad, "\n".join(bad)


def test_no_import_cycle():
    edges = {
        m: {t for t, _, _ in _imports(m, p) if t in MODULES and t != m} for m, p in MODULES.items()
    }
    # A package __init__ that re-exports its modules is not a cycle with them; any other
    # loop is (Tarjan's strongly connected components).
    for pkg in [m for m, p in MODULES.items() if p.name == "__init__.py"]:
        for m in list(edges):
            if m.startswith(pkg + ".") and pkg in edges[m]:
                edges[m].discard(pkg)
    index, low, stack, on, cycles, count = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = count[0]
        count[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_walk_sees_imports():
    """The walk finds the relative imports (guards the checks above against a vacuous pass)."""
    found = list(_imports("ketanalysis.stats.effects", PKG / "stats" / "effects.py"))
    assert found, "no relative import found in stats/effects.py: the walk is broken"
    assert any(t == "ketanalysis.stats.arguments" for t, _, _ in found)
