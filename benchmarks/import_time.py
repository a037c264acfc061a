"""How long does ``import ketanalysis`` take, and does it stay light?

Imports ketanalysis in fresh interpreters (``--repeat`` times, default 5) and prints the
best and the median wall time against the target: at most 1 s (the best of the runs, so a
cold disk cache does not count), with the ratio (at most 1 meets it). Also lists any heavy
package the import loaded (``tests/test_package.py`` checks that none is). Exits with
status 1 if the best time is over the target. Run:

    .venv/bin/python benchmarks/import_time.py [--repeat 5] [--target 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CODE = (
    "import sys, time; t = time.perf_counter(); import ketanalysis; "
    "dt = time.perf_counter() - t; "
    "heavy = [m for m in ('matplotlib', 'scipy', 'statsmodels') if m in sys.modules]; "
    "print(dt, ','.join(heavy) or '-')"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--target", type=float, default=1.0, help="seconds")
    args = parser.parse_args(argv)
    times, heavy = [], set()
    for _ in range(args.repeat):
        out = subprocess.run(
            [sys.executable, "-c", CODE], capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]))
        heavy.update(m for m in out[1].split(",") if m != "-")
    best = min(times)
    print(
        f"import ketanalysis: best {best:.3f} s, median {statistics.median(times):.3f} s "
        f"of {args.repeat}; target {args.target:g} s; ratio {best / args.target:.2f}"
    )
    print(f"heavy packages loaded: {', '.join(sorted(heavy)) or 'none'}")
    return 0 if best <= args.target else 1


if __name__ == "__main__":
    sys.exit(main())
