"""How much do reading and validation cost on registry-sized data?

Simulates clinic cohorts of growing size (``ka.simulate_cohort``: about 25 rows per
patient), writes each as CSV and times, in the same run and on the same file:

- reference: ``pandas.read_csv`` alone (the unavoidable cost of parsing the file);
- ``ka.read_scores`` (parsing, identifiers kept as text, totals from items, validation);
- ``ka.validate`` on the frame already in memory.

It prints the times and the ratio of ``read_scores`` to the plain parse. Run:

    .venv/bin/python benchmarks/read_validate.py [--sizes 1000 10000 40000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

import ketanalysis as ka


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 40_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(
        f"{'patients':>9} {'rows':>9} {'read_csv s':>11} {'read_scores s':>14} "
        f"{'ratio':>6} {'validate s':>11} {'rows/s validate':>16}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            frame = ka.simulate_cohort(n, seed=1)
            path = Path(tmp) / f"cohort_{n}.csv"
            frame.to_csv(path, index=False)
            t_ref = best_of(lambda p=path: pd.read_csv(p), args.repeat)
            t_read = best_of(lambda p=path: ka.read_scores(p), args.repeat)
            t_val = best_of(lambda f=frame: ka.validate(f), args.repeat)
            print(
                f"{n:>9} {len(frame):>9} {t_ref:>11.3f} {t_read:>14.3f} "
                f"{t_read / t_ref:>6.1f} {t_val:>11.3f} {len(frame) / t_val:>16,.0f}"
            )


if __name__ == "__main__":
    main()
