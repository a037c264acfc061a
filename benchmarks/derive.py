"""How fast is ``ka.derive`` on registry-sized data, and is it right?

Builds a synthetic canonical frame of N patients x 20 MADRS assessments directly with numpy
(``make_frame``: baseline, a 24-hour rating, induction twice to thrice weekly, then roughly
weekly maintenance visits with irregular gaps; rapid, late and non-responders; relapse
with partial re-response in maintenance), and measures, each in a fresh subprocess:

- ``ka.validate`` on the N-patient frame (wall time and peak memory, reported apart);
- ``ka.derive(report)`` on it (the validation report passed, so nothing is validated
  twice): wall time and peak memory, against the targets of issue 3 (1,000,000 patients,
  20 M rows: <= 20 s and <= 6 GiB on the 2-core, 24 GiB machine);
- the honest per-patient pandas implementation (``derive_reference.py``) on the first
  10,000 patients (the same rows as in the big frame: the frame is generated in chunks of
  10,000 patients with their own seeds), ``ka.derive`` on the same subset, and a check
  that both give the same ``patients`` and ``assessments`` (default criteria and
  SUSTAIN-1 with an anchor). The speed ratio is the reference's time per patient over
  derive's time per patient at N.

Peak memory is the process's resident high-water mark (``VmHWM``), reset through
``/proc/self/clear_refs`` just before the step, so it counts the input frame already in
memory plus everything the step allocates; the whole child's ``ru_maxrss`` is shown too.
Run:

    .venv/bin/python benchmarks/derive.py [--patients 1000000] [--subset 10000] [--repeat 1]
        [--profile]   # cProfile of ka.derive at N: the functions where the time goes
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
N_SESSIONS = 20
CHUNK = 10_000
GIB = 2**30


# ----------------------------------------------------------------------------------------
# synthetic data
# ----------------------------------------------------------------------------------------
def _chunk(n: int, first_patient: int, seed: int, chunk_index: int) -> dict[str, np.ndarray]:
    """Arrays (n, 20) for patients first_patient .. first_patient + n - 1."""
    rng = np.random.default_rng([seed, chunk_index])
    s = np.arange(N_SESSIONS)
    # days: 0 baseline, 1 (24 h), induction sessions 2-7 every 2-4 days, maintenance
    # sessions 8-19 mostly weekly, sometimes fortnightly, 3 days or 3 weeks (irregular)
    gaps = np.empty((n, N_SESSIONS))
    gaps[:, 0], gaps[:, 1] = 0, 1
    gaps[:, 2:8] = rng.integers(2, 5, (n, 6))
    maint = rng.choice([7, 14, 3, 21], size=(n, N_SESSIONS - 8), p=[0.75, 0.12, 0.07, 0.06])
    gaps[:, 8:] = maint + rng.integers(-1, 2, (n, N_SESSIONS - 8))
    day = np.cumsum(gaps, axis=1)

    base = np.clip(np.round(rng.normal(32, 5, n)), 20, 50)
    cls = rng.choice(3, size=n, p=[0.30, 0.30, 0.40])  # rapid, late, non-responders
    r = rng.beta(np.array([16.0, 14.0, 2.0])[cls], np.array([6.0, 7.0, 7.0])[cls])
    shape = np.array(
        [
            [0.0, 0.90, 0.90, 0.95, 1.0, 1.0, 1.0, 1.0],
            [0.0, 0.15, 0.20, 0.35, 0.50, 0.65, 0.80, 1.0],
            [0.0, 1.00, 0.80, 0.70, 0.70, 0.70, 0.70, 0.70],
        ]
    )
    frac = np.concatenate([shape[cls], np.repeat(shape[cls][:, -1:], N_SESSIONS - 8, 1)], 1)
    expected = base[:, None] * (1 - r[:, None] * frac)
    # maintenance: non-responders drift halfway back; others fluctuate (random walk)
    responder = r * frac[:, 7] >= 0.45
    drift = np.where(responder[:, None], 0.0, 0.5 * (base * r * frac[:, 7])[:, None])
    walk = np.cumsum(rng.normal(0, 1.0, (n, N_SESSIONS - 8)), axis=1)
    expected[:, 8:] += drift + walk
    # relapse in maintenance for 35 % of responders; 30 % of them re-respond 3 visits later
    relapses = responder & (rng.random(n) < 0.35)
    at = rng.integers(9, N_SESSIONS, n)
    back = relapses & (rng.random(n) < 0.30)
    relapsed = relapses[:, None] & (s >= at[:, None])
    recovered = back[:, None] & (s >= at[:, None] + 3)
    level = np.maximum(0.9 * base, 26.0)[:, None]
    expected = np.where(relapsed & ~recovered, level, expected)
    score = np.clip(np.round(expected + rng.normal(0, 3, (n, N_SESSIONS))), 0, 60)
    score[:, 0] = base
    ids = np.array([f"P{i:07d}" for i in range(first_patient, first_patient + n)], dtype=object)
    return {"patient_id": ids, "day": day, "score": score}


def make_frame(n_patients: int, seed: int = 1) -> pd.DataFrame:
    """N x 20 MADRS assessments in the canonical long format, sorted by patient, session.

    Built in chunks of 10,000 patients, each from its own seed, so the first k x 10,000
    patients are the same whatever ``n_patients``.
    """
    parts = []
    for c, first in enumerate(range(0, n_patients, CHUNK)):
        part = _chunk(CHUNK, first, seed, c)  # always a whole chunk, then cut
        parts.append({k: v[: n_patients - first] for k, v in part.items()})
    # text columns as pandas strings taken from the few distinct values (converting 20 M
    # Python str objects would take longer than derive itself)
    ids = pd.array(np.concatenate([p["patient_id"] for p in parts]), dtype="str")
    n = len(ids)
    return pd.DataFrame(
        {
            "patient_id": ids.take(np.repeat(np.arange(n), N_SESSIONS)),
            "session": np.tile(np.arange(N_SESSIONS, dtype=np.int64), n),
            "day": np.concatenate([p["day"] for p in parts]).ravel(),
            "scale": pd.array(["MADRS"], dtype="str").take(np.zeros(n * N_SESSIONS, np.int64)),
            "score": np.concatenate([p["score"] for p in parts]).ravel(),
        }
    )


def fingerprint(frame: pd.DataFrame, n_patients: int) -> str:
    """Hash of the first ``n_patients`` patients' rows (to check the subset is the same)."""
    head = frame.iloc[: n_patients * N_SESSIONS]
    h = hashlib.sha256()
    h.update("|".join(head["patient_id"].astype(str)).encode())
    for c in ("session", "day", "score"):
        h.update(head[c].to_numpy(dtype=float).tobytes())
    return h.hexdigest()[:16]


def sustain1_anchored():
    """SUSTAIN-1 with maintenance from session 8: anchor and stable states at session 7."""
    from ketanalysis.outcomes.criteria import SUSTAIN1

    return SUSTAIN1.replace(
        relapse=dataclasses.replace(SUSTAIN1.relapse, anchor=7),
        stable_remission=dataclasses.replace(SUSTAIN1.stable_remission, until=7),
        stable_response=dataclasses.replace(SUSTAIN1.stable_response, until=7),
    )


# ----------------------------------------------------------------------------------------
# measurement helpers (run inside the child processes)
# ----------------------------------------------------------------------------------------
def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _rss_kib(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    m = re.search(rf"{field}:\s+(\d+) kB", text)
    return int(m.group(1)) if m else None


CPU: dict[str, list[float]] = {}  # step -> [user s, system s], for the table


def _measure(fn, step: str = ""):
    """(result, wall seconds, peak RSS bytes during fn, RSS bytes before fn)."""
    before = _rss_kib("VmRSS")
    ok = _reset_peak()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    CPU[step] = [r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime]
    peak = _rss_kib("VmHWM") if ok else None
    return result, wall, (peak * 1024 if peak else None), (before * 1024 if before else None)


def child_full(n: int, seed: int, subset: int, criteria_name: str, profile: bool) -> dict:
    import ketanalysis as ka

    out: dict = {}
    frame, out["build_s"], _, _ = _measure(lambda: make_frame(n, seed), "build")
    out["rows"] = len(frame)
    out["fingerprint"] = fingerprint(frame, min(subset, n))
    report, out["validate_s"], out["validate_peak"], out["validate_before"] = _measure(
        lambda: ka.validate(frame), "validate"
    )
    if not report.ok:
        raise SystemExit(report.error_message())
    crit = sustain1_anchored() if criteria_name == "sustain1" else None
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    res, out["derive_s"], out["derive_peak"], out["derive_before"] = _measure(
        lambda: ka.derive(report, criteria=crit), "derive"
    )
    if profile:
        prof.disable()
        stats = pstats.Stats(prof, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    p = res.patients
    out["counts"] = {
        "responders": int(p["ever_response"].sum()),
        "remitters": int(p["ever_remission"].sum()),
        "at risk of relapse": int(p["relapse_at_risk"].sum()),
        "relapses": int(p["relapse"].sum()),
    }
    out["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["cpu"] = CPU
    return out


def child_subset(n: int, seed: int) -> dict:
    import ketanalysis as ka

    sys.path.insert(0, str(HERE))
    from derive_reference import compare_frames, derive_reference

    out: dict = {}
    frame = make_frame(n, seed)
    out["fingerprint"] = fingerprint(frame, n)
    report = ka.validate(frame)
    res, out["derive_s"], out["derive_peak"], _ = _measure(lambda: ka.derive(report), "derive")
    (ref_a, ref_p), out["reference_s"], out["reference_peak"], _ = _measure(
        lambda: derive_reference(report.frame), "reference"
    )
    problems = compare_frames(res.patients, ref_p)
    problems += [
        "assessments " + x
        for x in compare_frames(res.assessments, ref_a, key=("patient_id", "scale", "session"))
    ]
    out["columns"] = [len(ref_p.columns), len(ref_a.columns)]
    crit = sustain1_anchored()
    res = ka.derive(report, criteria=crit)
    ref_a, ref_p = derive_reference(report.frame, criteria=crit)
    problems += ["SUSTAIN-1 " + x for x in compare_frames(res.patients, ref_p)]
    problems += [
        "SUSTAIN-1 assessments " + x
        for x in compare_frames(res.assessments, ref_a, key=("patient_id", "scale", "session"))
    ]
    out["sustain1_relapses"] = int(ref_p["relapse"].sum())
    out["problems"] = problems
    out["cpu"] = CPU
    out["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


# ----------------------------------------------------------------------------------------
# the driver
# ----------------------------------------------------------------------------------------
def _run_child(kind: str, *args: str) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child {kind} {' '.join(args)} failed with code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _gib(x) -> str:
    return "-" if x is None else f"{x / GIB:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1_000_000)
    ap.add_argument("--subset", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="fresh processes for derive at N")
    ap.add_argument("--criteria", choices=["default", "sustain1"], default="default")
    ap.add_argument("--profile", action="store_true", help="cProfile ka.derive at N (stderr)")
    ap.add_argument("--child", choices=["full", "subset"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "full":
        result = child_full(args.patients, args.seed, args.subset, args.criteria, args.profile)
        print(json.dumps(result))
        return
    if args.child == "subset":
        print(json.dumps(child_subset(args.patients, args.seed)))
        return

    load_before = os.getloadavg()
    n, k = args.patients, min(args.subset, args.patients)
    common = ["--seed", str(args.seed), "--subset", str(k), "--criteria", args.criteria]
    fulls = []
    for _ in range(args.repeat):
        extra = ["--profile"] if args.profile and not fulls else []
        fulls.append(_run_child("full", "--patients", str(n), *common, *extra))
    sub = _run_child("subset", "--patients", str(k), "--seed", str(args.seed))
    best = min(fulls, key=lambda r: r["derive_s"])
    rows = n * N_SESSIONS
    derive_pp = best["derive_s"] / n
    ref_pp = sub["reference_s"] / k
    ratio = ref_pp / derive_pp
    ratio_same = sub["reference_s"] / sub["derive_s"]
    peak = max(r["derive_peak"] or 0 for r in fulls) or None

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(
        f"ka.derive benchmark: {n:,} patients x {N_SESSIONS} MADRS assessments "
        f"({rows:,} rows), criteria {args.criteria}, seed {args.seed}; "
        f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}"
    )
    head = (
        f"{'step':<34} {'patients':>10} {'rows':>11} {'wall s':>8} {'user s':>7} {'sys s':>6} "
        f"{'peak GiB':>9} {'in GiB':>7}"
    )
    print(head)
    print("-" * len(head))
    first = fulls[0]

    def line(label, patients, r, wall, step, peak=None, before=None):
        user, system = r["cpu"].get(step, [np.nan, np.nan])
        print(
            f"{label:<34} {patients:>10,} {patients * N_SESSIONS:>11,} {wall:>8.2f} "
            f"{user:>7.2f} {system:>6.2f} {_gib(peak):>9} {_gib(before):>7}"
        )

    line("build frame (numpy)", n, first, first["build_s"], "build")
    line(
        "ka.validate(frame)",
        n,
        first,
        first["validate_s"],
        "validate",
        first["validate_peak"],
        first["validate_before"],
    )
    for i, r in enumerate(fulls):
        label = "ka.derive(report)" + (f" run {i + 1}" if len(fulls) > 1 else "")
        line(label, n, r, r["derive_s"], "derive", r["derive_peak"], r["derive_before"])
    line(
        "reference (per-patient pandas)",
        k,
        sub,
        sub["reference_s"],
        "reference",
        sub["reference_peak"],
    )
    line("ka.derive(report) on the subset", k, sub, sub["derive_s"], "derive", sub["derive_peak"])
    print(
        "(peak GiB: resident high-water mark of the process during the step, input "
        "included; in GiB: resident before the step; whole-process ru_maxrss of the big "
        f"run {_gib(max(r['ru_maxrss'] for r in fulls))} GiB)"
    )
    print()
    print(
        f"derive at N: {derive_pp * 1e6:.2f} us/patient; reference: {ref_pp * 1e6:.1f} us/patient"
    )
    print(f"{'target':<46} {'measured':>12}  verdict")
    print(
        f"{'derive wall at 20 M rows <= 20 s':<46} {best['derive_s']:>10.2f} s  "
        f"{verdict(best['derive_s'] <= 20) if n == 1_000_000 else 'n/a (N != 1M)'}"
    )
    print(
        f"{'derive peak memory at 20 M rows <= 6 GiB':<46} {_gib(peak):>8} GiB  "
        f"{verdict(peak is not None and peak <= 6 * GIB) if n == 1_000_000 else 'n/a (N != 1M)'}"
    )
    print(f"{'speed ratio per patient >= 30x':<46} {ratio:>10.1f} x  {verdict(ratio >= 30)}")
    print(f"{f'  (same {k:,} patients, both timed)':<46} {ratio_same:>10.1f} x")
    same_rows = sub["fingerprint"] == first["fingerprint"]
    print(
        f"subset = first {k:,} patients of the big frame: {'yes' if same_rows else 'NO'}; "
        f"derive == reference on it ({sub['columns'][0]} patient and {sub['columns'][1]} "
        f"assessment columns, default and SUSTAIN-1 with anchor 7, "
        f"{sub['sustain1_relapses']} SUSTAIN-1 relapses): "
        f"{'yes' if not sub['problems'] else 'NO'}"
    )
    for line in sub["problems"]:
        print("  " + line)
    print("counts at N:", ", ".join(f"{key} {v:,}" for key, v in first["counts"].items()))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(f"largest child ru_maxrss: {_gib(children)} GiB")
    load = ", ".join(f"{x:.1f}" for x in (*load_before, *os.getloadavg()))
    print(
        f"load average (1, 5, 15 min) before and after: {load} on {os.cpu_count()} cores "
        "(wall times include any other work on the machine; user + sys is this run's CPU)"
    )


if __name__ == "__main__":
    main()
