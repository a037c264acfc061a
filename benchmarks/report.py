"""How long does a full report take on a large clinic cohort?

Simulates 10,000 patients with twelve monthly maintenance visits
(``ka.simulate_cohort(10000, seed, maintenance_months=12)``: up to 20 sessions each, about
300,000 rows of MADRS, PHQ-9 and CADSS with items) and their safety data
(``ka.simulate_safety(cohort, seed)``: vital signs at four time points and adverse events
of every treatment session, about 365,000 and 58,000 rows), writes them to CSV files and
times ``ka.report.build`` on them with the default configuration plus ``[input.safety]``,
as ``ketanalysis report`` runs it: one read, one validation, one derivation (and one of
the safety data), every section's tables, every figure (PDF,
SVG and PNG at 600 dpi; the individual-level figures draw a random sample of 300
patients), the HTML page and the provenance record. Prints the seconds of every step
(they are also in the report's ``timings.json``) and the total against the target of
issue 6: at most 60 s.

Run:

    .venv/bin/python benchmarks/report.py [--patients 10000] [--seed 1] [--arms]
        [--endpoint 7] [--out DIR] [--keep] [--no-safety]

``--arms`` simulates two arms (ketamine and midazolam), which adds the MMRM and the
comparisons between arms; ``--endpoint 7`` sets the primary endpoint (the end of
induction), so the MMRM models sessions 1-7 as a trial's primary analysis would (an
unstructured covariance over all 19 post-baseline sessions has 190 parameters and takes
minutes); ``--no-safety`` leaves out the safety files (and section).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--months", type=int, default=12, help="maintenance months")
    parser.add_argument("--arms", action="store_true", help="two randomised arms")
    parser.add_argument("--out", type=Path, help="report directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--no-safety", action="store_true", help="no safety files")
    parser.add_argument(
        "--endpoint",
        type=int,
        help="analysis.endpoint (the MMRM then models the sessions up to it)",
    )
    args = parser.parse_args(argv)

    import ketanalysis as ka
    from ketanalysis.config import parse_config
    from ketanalysis.report import build

    work = Path(tempfile.mkdtemp(prefix="ka-report-bench-"))
    t = time.perf_counter()
    arms = ("ketamine", "midazolam") if args.arms else None
    frame = ka.simulate_cohort(args.patients, args.seed, maintenance_months=args.months, arms=arms)
    data = work / "cohort.csv"
    frame.to_csv(data, index=False)
    text = ""
    if args.endpoint is not None:
        text += f"[analysis]\nendpoint = {args.endpoint}\n"
    if not args.no_safety:
        vitals, events = ka.simulate_safety(frame, args.seed)
        vitals.to_csv(work / "vitals.csv", index=False)
        events.to_csv(work / "adverse_events.csv", index=False)
        text += '[input.safety]\nvitals = "vitals.csv"\nadverse_events = "adverse_events.csv"\n'
    config = parse_config(text, base_dir=work) if text else None
    print(
        f"simulated {args.patients:,} patients, {len(frame):,} rows, "
        f"{frame['session'].nunique()} sessions"
        + (
            ""
            if args.no_safety
            else f", {len(vitals):,} vital-sign and {len(events):,} adverse-event rows"
        )
        + f" in {time.perf_counter() - t:.1f} s (not timed below)"
    )
    out = args.out or work / "report"
    t = time.perf_counter()
    html = build(data, out, config, overwrite=args.out is not None, quiet=True)
    total = time.perf_counter() - t
    timings = json.loads((out / "timings.json").read_text())
    width = max(len(s["step"]) for s in timings["steps"])
    for s in timings["steps"]:
        print(f"  {s['step']:<{width}}  {s['seconds']:7.2f} s")
    verdict = "OK" if total <= TARGET_SECONDS else "over the target"
    print(
        f"report on {args.patients:,} patients: {total:.1f} s (target <= {TARGET_SECONDS:g} s: {verdict})"
    )
    print(f"report: {html}")
    if not (args.keep or args.out):
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0 if total <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
