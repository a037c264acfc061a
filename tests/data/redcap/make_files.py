"""Write the synthetic REDCap exports of this folder (run from the repository root:
``python tests/data/redcap/make_files.py``). No real person; values chosen by hand.

``repeating.csv`` is laid out as REDCap's "CSV (raw data)" export of a longitudinal
project writes it: ``record_id``, ``redcap_event_name``, ``redcap_repeat_instrument``,
``redcap_repeat_instance``, then the fields of each instrument in form order, each form
closed by its ``<form>_complete`` status (0 incomplete, 1 unverified, 2 complete).
Forms: ``demographics`` (baseline event), ``madrs`` (every visit), ``visit`` with the
checkbox ``side_effects`` (``side_effects___1`` ... ``___4``, exported 0/1 on every event
row) and the repeating instrument ``adverse_events`` (rows with
``redcap_repeat_instrument = adverse_events``). Record 5 has no MADRS at all.
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).parent
DEMO = ["age", "sex", "route", "demographics_complete"]
MADRS = [f"madrs_{i}" for i in range(1, 11)] + ["madrs_total", "madrs_complete"]
VISIT = [f"side_effects___{i}" for i in range(1, 5)] + ["visit_complete"]
AE = ["ae_term", "ae_severity", "ae_serious", "adverse_events_complete"]
HEADER = (
    ["record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance"]
    + DEMO
    + MADRS
    + VISIT
    + AE
)
EVENTS = ["baseline_arm_1", "week_1_arm_1", "week_2_arm_1"]


def _madrs(items):
    return [str(v) for v in items] + [str(sum(items)), "2"]


def rows():
    # (record, age, sex, route, [items per event or None], [side effects per event])
    records = [
        (
            "1",
            41,
            "F",
            "IV",
            [
                [4, 4, 3, 4, 3, 3, 4, 3, 2, 1],
                [2, 2, 2, 2, 2, 2, 2, 1, 1, 0],
                [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
            ],
            [[], [1, 3], [1]],
        ),
        (
            "2",
            35,
            "M",
            "IM",
            [[5, 4, 4, 4, 3, 3, 3, 3, 3, 2], [4, 4, 3, 3, 3, 3, 3, 2, 2, 1], None],
            [[], [2], []],
        ),
        (
            "3",
            52,
            "F",
            "IV",
            [
                [3, 3, 3, 3, 3, 3, 3, 3, 3, 0],
                [3, 3, 2, 3, 2, 2, 2, 2, 2, 0],
                [2, 2, 2, 2, 2, 1, 1, 1, 1, 0],
            ],
            [[], [], [4]],
        ),
        (
            "4",
            29,
            "M",
            "IN",
            [
                [4, 5, 4, 4, 4, 3, 4, 4, 3, 1],
                [2, 2, 1, 1, 1, 1, 1, 1, 1, 0],
                [0, 1, 0, 1, 0, 1, 0, 1, 0, 0],
            ],
            [[], [1, 2], [1]],
        ),
        ("5", 60, "F", "IV", [None, None, None], [[], [], []]),
    ]
    ae = {
        "1": [("week_1_arm_1", "nausea", "1", "0"), ("week_1_arm_1", "dizziness", "2", "0")],
        "4": [("week_2_arm_1", "headache", "1", "0")],
    }
    out = []
    for rec, age, sex, route, madrs, effects in records:
        for j, event in enumerate(EVENTS):
            row = dict.fromkeys(HEADER, "")
            row.update(record_id=rec, redcap_event_name=event)
            if j == 0:
                row.update(age=str(age), sex=sex, route=route, demographics_complete="2")
            else:
                row["demographics_complete"] = ""
            items = madrs[j] if madrs[j] is not None else None
            if items is not None:
                row.update(zip(MADRS, _madrs(items), strict=True))
            for i in range(1, 5):
                row[f"side_effects___{i}"] = "1" if i in effects[j] else "0"
            row["visit_complete"] = "2" if j else "0"
            out.append(row)
        for n, (event, term, sev, ser) in enumerate(ae.get(rec, []), start=1):
            row = dict.fromkeys(HEADER, "")
            row.update(
                record_id=rec,
                redcap_event_name=event,
                redcap_repeat_instrument="adverse_events",
                redcap_repeat_instance=str(n),
                ae_term=term,
                ae_severity=sev,
                ae_serious=ser,
                adverse_events_complete="2",
            )
            out.append(row)
    return out


def main() -> None:
    with open(HERE / "repeating.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        w.writeheader()
        w.writerows(rows())


if __name__ == "__main__":
    main()
