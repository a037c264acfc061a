"""Recall and false positives of the identifier guard on tests/data/identifiers/corpus.csv.

    .venv/bin/python benchmarks/identifier_corpus.py

Each case puts its value into its column on the rows of one of three patients of a small
valid MADRS frame (the other rows empty) and runs ``ka.validate``; a case is refused when
an ``identifier`` error names its column. Prints recall (identifier cases refused), the
false positives (look-alikes refused) and every miss.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pandas as pd

import ketanalysis as ka

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "identifiers" / "corpus.csv"


def base_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": np.repeat(["K0001", "K0002", "K0003"], 2),
            "session": [0, 1] * 3,
            "day": [0.0, 7.0] * 3,
            "scale": "MADRS",
            "score": [34.0, 20.0, 29.0, 15.0, 38.0, 30.0],
        }
    )


def refused(case: dict) -> bool:
    frame = base_frame()
    col, value = case["column"], case["value"]
    v = float(value) if case["type"] == "number" else value
    if col not in frame.columns:
        frame[col] = pd.Series(
            [None] * len(frame), dtype=float if case["type"] == "number" else object
        )
    frame[col] = frame[col].astype(object)
    frame.loc[frame.index[:2], col] = v
    if case["type"] == "number":
        frame[col] = frame[col].astype(float)
    issues = ka.validate(frame).issues
    return bool(((issues["check"] == "identifier") & (issues["column"] == col)).any())


def measure(path: Path = CORPUS) -> dict:
    with open(path, newline="", encoding="utf-8") as f:
        cases = list(csv.DictReader(f))
    result = {"missed": [], "false_positives": [], "n_id": 0, "n_look": 0, "cases": cases}
    for case in cases:
        got = refused(case)
        if case["refused"] == "yes":
            result["n_id"] += 1
            if not got:
                result["missed"].append(case)
        else:
            result["n_look"] += 1
            if got:
                result["false_positives"].append(case)
    result["recall"] = 1 - len(result["missed"]) / result["n_id"]
    return result


def main() -> int:
    r = measure()
    print(
        f"identifier cases: {r['n_id']}, refused {r['n_id'] - len(r['missed'])} "
        f"(recall {r['recall']:.3f}); look-alikes: {r['n_look']}, "
        f"false positives {len(r['false_positives'])}"
    )
    held = [c for c in r["cases"] if c["case"].startswith("held")]
    if held:
        missed = sum(c in r["missed"] or c in r["false_positives"] for c in held)
        print(f"  of which held out (not used to tune the patterns): {len(held)}, wrong {missed}")
    for c in r["missed"]:
        print(f"  missed {c['case']} [{c['kind']}] column {c['column']}: {c['value']!r}")
    for c in r["false_positives"]:
        print(f"  false positive {c['case']} column {c['column']}: {c['value']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
