"""Write the simulated datasets of the survival/GEE/LMM reference tests.

Run from the repository root (after a change to the simulator only if the reference
values are to be regenerated too):

    .venv/bin/python tests/data/reference/survival/make_data.py
    Rscript tests/data/reference/survival/make_reference.R

sim_a: 240 patients randomised to ketamine or midazolam, derived with the default
       criteria; times in days (from the day column).
sim_b: 180 clinic patients (routes IV, IM, intranasal) without the day column, so the
       times are in sessions (many ties: a test of the Efron tie handling).
sim_a_gee_dependence.json: working correlations estimated by ketanalysis.stats.models.gee
       (AR1 rho; unstructured correlations, upper triangle by rows), fixed in R.
The tests read only the CSV and JSON files, so CI needs neither R nor this script.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import ketanalysis as ka
from ketanalysis.stats.models import gee

HERE = Path(__file__).parent

PATIENT_COLUMNS = [
    "patient_id",
    "scale",
    "arm",
    "route",
    "age",
    "sex",
    "baseline",
    "ever_response",
    "ever_remission",
    "relapse",
    "time_to_response",
    "response_event",
    "time_to_remission",
    "remission_event",
    "time_to_relapse",
    "relapse_event",
]
GEE_FORMULA = "response ~ arm + session + age"
ASSESSMENT_COLUMNS = [
    "patient_id",
    "scale",
    "session",
    "day",
    "score",
    "baseline",
    "post_baseline",
    "change",
    "response",
    "remission",
    "arm",
    "age",
    "sex",
]


def main() -> None:
    a = ka.simulate_cohort(240, seed=11, arms=("ketamine", "midazolam"))
    out_a = ka.derive(a)
    b = ka.simulate_cohort(180, seed=7).drop(columns="day")
    out_b = ka.derive(b)
    assert out_a.time_unit == "days" and out_b.time_unit == "sessions"
    p_a = out_a.patients[PATIENT_COLUMNS]
    p_b = out_b.patients[[c for c in PATIENT_COLUMNS if c != "arm"]]
    p_a.to_csv(HERE / "sim_a_patients.csv", index=False)
    p_b.to_csv(HERE / "sim_b_patients.csv", index=False)
    # induction sessions 0-7 of the MADRS, for the GEE and LMM references
    s = out_a.assessments
    s = s.loc[(s["scale"] == "MADRS") & (s["session"] <= 7), ASSESSMENT_COLUMNS]
    s.to_csv(HERE / "sim_a_assessments.csv", index=False)
    # The working correlations estimated by ketanalysis (statsmodels' moment estimators)
    # for the AR1 and unstructured GEE fits: make_reference.R fixes geepack's working
    # correlation at these values and compares the estimates and sandwich SEs.
    dep = {}
    for cs in ("ar1", "unstructured"):
        fit = gee(s, GEE_FORMULA, cov_struct=cs)
        dep[cs] = fit.dependence.set_index("parameter")["estimate"].tolist()
    dep["formula"] = GEE_FORMULA
    dep["sessions"] = [int(v) for v in np.unique(s.loc[s["post_baseline"], "session"])]
    (HERE / "sim_a_gee_dependence.json").write_text(json.dumps(dep, indent=1) + "\n")


if __name__ == "__main__":
    main()
