"""How long does ``ka.derive_safety`` take on a registry-sized cohort?

Simulates ``--patients`` patients (default 1,500, items left out) and their safety data
(``ka.simulate_safety``), then times ``ka.derive_safety(vitals, adverse_events)`` (best of
``--repeat``) against the target of 10 s that ``tests/test_safety.py`` once asserted, with
the ratio (at most 1 meets it). Exits with status 1 if the best time is over the target.
Run:

    .venv/bin/python benchmarks/derive_safety.py [--patients 1500] [--repeat 3] [--target 10]
"""

from __future__ import annotations

import argparse
import sys
import time

import ketanalysis as ka


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target", type=float, default=10.0, help="seconds")
    args = parser.parse_args(argv)
    cohort = ka.simulate_cohort(args.patients, seed=5, items=False)
    vitals, events = ka.simulate_safety(cohort, seed=6)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out = ka.derive_safety(vitals, events)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(
        f"derive_safety: {args.patients} patients, {len(vitals)} vital-sign rows, "
        f"{len(events)} adverse events, {len(out.sessions)} sessions"
    )
    print(
        f"best {best:.2f} s of {args.repeat}; target {args.target:g} s; "
        f"ratio {best / args.target:.2f}"
    )
    return 0 if best <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
