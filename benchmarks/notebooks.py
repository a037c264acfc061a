"""How long does each cell of the notebooks take?

Runs every notebook in ``notebooks/`` top to bottom with nbclient (as
``tests/test_notebooks.py`` does, which checks only that they run) and prints, per
notebook, its total time and its slowest cell against the target of issue 7: no cell over
30 s. A cell's time is from ``iopub.execute_input`` to ``shell.execute_reply`` in the
cell's execution metadata. The ratio is the slowest cell's seconds over the target (at
most 1 meets it). Exits with status 1 if a cell is over the target. Run:

    .venv/bin/python benchmarks/notebooks.py [--target 30] [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def cell_seconds(path: Path) -> tuple[float, list[tuple[int, float]]]:
    """Wall seconds of the whole run and ``(cell index, seconds)`` of each code cell."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=None,
        startup_timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=True,
    )
    t0 = time.perf_counter()
    client.execute()
    total = time.perf_counter() - t0
    cells = []
    for i, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if start and end:
            cells.append((i, (_when(end) - _when(start)).total_seconds()))
    return total, cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--target", type=float, default=30.0, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(
        f"{'notebook':<36} {'total s':>8} {'slowest cell':>12} {'s':>7} {'target s':>9} "
        f"{'ratio':>6}"
    )
    worst = 0.0
    for path in paths:
        total, cells = cell_seconds(path)
        index, seconds = max(cells, key=lambda c: c[1], default=(-1, 0.0))
        ratio = seconds / args.target
        worst = max(worst, ratio)
        print(
            f"{path.name:<36} {total:>8.1f} {index:>12} {seconds:>7.1f} {args.target:>9.0f} "
            f"{ratio:>6.2f}"
        )
    print(f"slowest cell / target: {worst:.2f} ({'meets' if worst <= 1 else 'misses'} the target)")
    return 0 if worst <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
