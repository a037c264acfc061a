"""The bundled sample files of ``data/sample/``, written byte for byte reproducibly.

:func:`write_sample` draws the sample clinic cohort with
:func:`ketanalysis.simulate.simulate_cohort` and its vital signs and adverse events with
:func:`ketanalysis.simulate.simulate_safety`, and writes them as the long, wide and
REDCap-style CSVs with a README; ``python -m ketanalysis.simulate OUT_DIR`` (or ``make
sample``) runs :func:`main`. Files have no timestamps, ``\\n`` line endings and fixed number
formatting, so the same NumPy random stream gives identical bytes.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .cohort import N_INDUCTION_SESSIONS, N_ITEMS, ROUTES, schedule, simulate_cohort
from .safety import sample_files, sample_readme

__all__ = ["main", "write_sample"]

_COVARIATES = ("route", "age", "sex", "dose_mg_per_kg", "dose_mg", "arm")
_DEMOGRAPHICS = ("age", "sex", "route", "dose_mg_per_kg", "dose_mg", "arm")


def _to_wide(frame: pd.DataFrame, maintenance_months: int) -> pd.DataFrame:
    """One row per patient: covariates, totals per scheduled scale x session, days."""
    ids = pd.Index(frame["patient_id"].unique(), name="patient_id").sort_values()
    first = frame.drop_duplicates("patient_id").set_index("patient_id").reindex(ids)
    out = {"patient_id": ids.to_numpy()}
    for col in _COVARIATES:
        if col in frame.columns:
            out[col] = first[col].to_numpy()
    for scale, sessions in schedule(maintenance_months).items():
        sub = frame[frame["scale"] == scale]
        table = sub.pivot(index="patient_id", columns="session", values="score")
        table = table.reindex(index=ids, columns=sessions)
        for s in sessions:
            out[f"{scale.lower()}.s{s}"] = table[s].to_numpy()
    days = frame.drop_duplicates(["patient_id", "session"]).pivot(
        index="patient_id", columns="session", values="day"
    )
    days = days.reindex(index=ids, columns=range(N_INDUCTION_SESSIONS + maintenance_months))
    for s in days.columns:
        out[f"day.s{s}"] = days[s].to_numpy()
    return pd.DataFrame(out)


def _events_json(long: pd.DataFrame) -> str:
    """The event -> session map that ``read_redcap`` needs for ``cohort_redcap.csv``."""
    sessions = sorted(int(s) for s in pd.unique(long["session"]))
    return json.dumps({_redcap_event(s): s for s in sessions}, indent=2) + "\n"


def _redcap_event(session: int) -> str:
    """REDCap unique event name of a session."""
    if session == 0:
        return "baseline_arm_1"
    if session == 1:
        return "infusion_1_24h_arm_1"
    if session <= 6:
        return f"infusion_{session}_arm_1"
    if session == 7:
        return "post_induction_arm_1"
    return f"month_{session - 7}_arm_1"


def _to_redcap(frame: pd.DataFrame) -> pd.DataFrame:
    """REDCap-style longitudinal export: one row per record x event with any data."""
    keys = frame[["patient_id", "session", "day"]].drop_duplicates(["patient_id", "session"])
    keys = keys.sort_values(["patient_id", "session"], kind="stable").reset_index(drop=True)
    index = pd.MultiIndex.from_frame(keys[["patient_id", "session"]])
    first = frame.drop_duplicates("patient_id").set_index("patient_id")
    baseline = (keys["session"] == 0).to_numpy()
    blank = np.full(len(keys), "", dtype=object)
    out: dict[str, np.ndarray] = {
        "record_id": keys["patient_id"].to_numpy(),
        "redcap_event_name": np.array([_redcap_event(s) for s in keys["session"]], dtype=object),
        "redcap_repeat_instrument": blank,
        "redcap_repeat_instance": blank,
    }
    for col in _DEMOGRAPHICS:
        if col in frame.columns:
            values = first[col].reindex(keys["patient_id"]).to_numpy()
            if values.dtype.kind in "if":
                out[col] = np.where(baseline, values.astype(float), np.nan)
            else:
                out[col] = np.where(baseline, values.astype(object), "")
    out["study_day"] = keys["day"].to_numpy()
    for scale, prefix in (("MADRS", "madrs"), ("PHQ9", "phq9"), ("CADSS", "cadss")):
        sub = frame[frame["scale"] == scale].set_index(["patient_id", "session"])
        sub = sub.reindex(index)
        n_items = N_ITEMS.get(scale, 0)
        for j in range(1, n_items + 1):
            out[f"{prefix}_{j}"] = sub[f"item_{j}"].to_numpy(dtype=float)
        total = sub["score"].to_numpy(dtype=float)
        out[f"{prefix}_total"] = total
        out[f"{prefix}_complete"] = np.where(np.isnan(total), np.nan, 2.0)
    return pd.DataFrame(out)


def _format_csv(df: pd.DataFrame) -> str:
    """CSV text with fixed formatting: integral floats as integers, others as the shortest
    round-trip repr, missing values empty, '\\n' line endings, no index."""
    columns = []
    for name in df.columns:
        values = df[name].to_numpy()
        if values.dtype.kind == "f":
            cells = [
                "" if np.isnan(v) else str(int(v)) if float(v).is_integer() else repr(float(v))
                for v in values
            ]
        elif values.dtype.kind in "iub":
            cells = [str(int(v)) for v in values]
        else:
            cells = ["" if v is None or v is pd.NA or v != v else str(v) for v in values]
        bad = [c for c in cells if any(ch in c for ch in ',"\n\r')]
        if bad:
            raise ValueError(f"column {name!r} has values that need CSV quoting: {bad[:3]!r}")
        columns.append(cells)
    lines = [",".join(map(str, df.columns))]
    lines.extend(",".join(row) for row in zip(*columns, strict=True))
    return "\n".join(lines) + "\n"


def _write_text(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))


def _pct(k: int, n: int) -> str:
    return f"{k}/{n} ({100 * k / n:.1f} %)" if n else "0/0"


def _sample_summary(long: pd.DataFrame) -> dict[str, str]:
    """Numbers quoted in the sample README, computed from the frame."""
    madrs = long[long["scale"] == "MADRS"].pivot(
        index="patient_id", columns="session", values="score"
    )
    base = madrs[0]
    at7 = madrs[7].notna()
    resp7 = int((madrs.loc[at7, 7] <= 0.5 * base[at7]).sum())
    at1 = madrs[1].notna()
    resp1 = int((madrs.loc[at1, 1] <= 0.5 * base[at1]).sum())
    responders = madrs.index[at7 & (madrs[7] <= 0.5 * base)]
    maint = long[
        (long["scale"] == "MADRS")
        & (long["session"] >= N_INDUCTION_SESSIONS)
        & long["patient_id"].isin(responders)
    ]
    high = maint["score"] >= 22
    pair = high & high.groupby(maint["patient_id"]).shift(1, fill_value=False)
    relapsed = int(pair.groupby(maint["patient_id"]).any().sum())
    last = long.groupby("patient_id")["session"].max()
    routes = long.drop_duplicates("patient_id")["route"].value_counts()
    return {
        "relapse": _pct(relapsed, len(responders)),
        "n_rows": str(len(long)),
        "n_patients": str(long["patient_id"].nunique()),
        "routes": ", ".join(f"{r} {int(routes.get(r, 0))}" for r in ROUTES),
        "resp1": _pct(resp1, int(at1.sum())),
        "resp7": _pct(resp7, int(at7.sum())),
        "drop_induction": _pct(int((last < 7).sum()), len(last)),
        "n_prorated": str(int((long["score"] % 1 != 0).sum())),
    }


def write_sample(
    out_dir: str | Path, n_patients: int = 150, seed: int = 20261121
) -> dict[str, Path]:
    """Write the bundled sample cohort, byte for byte reproducibly.

    Parameters
    ----------
    out_dir : str or Path
        Directory to write to (created if missing).
    n_patients : int, default 150
        Number of patients.
    seed : int, default 20261121
        Seed passed to :func:`simulate_cohort`.

    Returns
    -------
    dict of str to Path
        The files written: ``cohort_long.csv`` (the long frame), ``cohort_wide.csv`` (one
        row per patient), ``cohort_redcap.csv`` (a REDCap-style longitudinal export),
        ``cohort_redcap_events.json`` (its event -> session map), ``vitals.csv`` and
        ``adverse_events.csv`` (vital signs and adverse events of every treatment session,
        from :func:`ketanalysis.simulate.simulate_safety` with seed ``seed + 1``)
        and ``README.md`` (describing every column, the schedule and the parameters).

    Notes
    -----
    The cohort is ``simulate_cohort(n_patients, seed)`` with every other parameter at its
    default (a clinic cohort without arms, six maintenance months). Files have no
    timestamps, '\\n' line endings and fixed number formatting (integral values without a
    decimal point, other values as the shortest repr that reads back exactly), so the same
    NumPy random stream gives identical bytes. ``make sample`` runs
    ``python -m ketanalysis.simulate data/sample``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     sorted(write_sample(tmp, n_patients=10))  # doctest: +NORMALIZE_WHITESPACE
    ['README.md', 'adverse_events.csv', 'cohort_long.csv', 'cohort_redcap.csv',
     'cohort_redcap_events.json', 'cohort_wide.csv', 'vitals.csv']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    months = 6
    long = simulate_cohort(n_patients, seed, maintenance_months=months)
    redcap = _to_redcap(long)
    # the safety data draw from their own stream, so the cohort files stay as they were
    safety_seed = seed + 1
    safety = sample_files(long, safety_seed)
    readme = _SAMPLE_README.format(
        seed=seed, n_patients_arg=n_patients, n_redcap=len(redcap), **_sample_summary(long)
    )
    files = {
        "cohort_long.csv": _format_csv(long),
        "cohort_wide.csv": _format_csv(_to_wide(long, months)),
        "cohort_redcap.csv": _format_csv(redcap),
        "cohort_redcap_events.json": _events_json(long),
        "vitals.csv": _format_csv(safety["vitals.csv"]),
        "adverse_events.csv": _format_csv(safety["adverse_events.csv"]),
        "README.md": sample_readme(
            readme, safety["vitals.csv"], safety["adverse_events.csv"], safety_seed
        ),
    }
    paths = {}
    for name, text in files.items():
        paths[name] = out / name
        _write_text(paths[name], text)
    return paths


_SAMPLE_README = """\
# Sample cohort (synthetic)

**These data are synthetic.** They were drawn at random by
`ketanalysis.simulate.simulate_cohort` and describe no real person: no patient, date, name
or place in them is real. Use them for demos, tests and trying out analyses.

{n_patients} patients of a ketamine / esketamine clinic treated for treatment-resistant
depression: a baseline visit, six infusions over two to three weeks (induction), a
post-induction visit and six monthly maintenance visits, rated on the MADRS, the PHQ-9 and,
during infusions, the CADSS. Routes: {routes}. There are no randomised arms.

## Regenerating the files

From the repository root:

```
make sample
```

which runs `.venv/bin/python -m ketanalysis.simulate data/sample`, i.e.
`ketanalysis.simulate.write_sample("data/sample", n_patients={n_patients_arg}, seed={seed})`.
It rewrites all five files (this README included) byte for byte: no timestamps, `\\n` line
endings, rows sorted by patient and session, integral numbers written without a decimal
point and other numbers as the shortest decimal that reads back exactly. The test
`tests/test_simulate.py` checks that regenerating gives identical bytes. (NumPy does not
promise that a seeded `Generator` gives the same stream in every future release; if a NumPy
upgrade changes the stream, the test says so and `make sample` refreshes the files.)

## Files

| file | shape | content |
|---|---|---|
| `cohort_long.csv` | {n_rows} rows | the canonical long format: one row per patient x scale x session |
| `cohort_wide.csv` | {n_patients} rows | one row per patient: covariates, totals per scale x session, days |
| `cohort_redcap.csv` | {n_redcap} rows | a REDCap-style longitudinal export: one row per patient x visit |
| `cohort_redcap_events.json` | | the REDCap event -> session map for `ka.read_redcap(..., events=...)` |
| `README.md` | | this description |

Missing values are empty cells in every file.

### `cohort_long.csv`

| column | meaning |
|---|---|
| `patient_id` | de-identified key `K0001` ... `K{n_patients:0>4}` |
| `session` | 0 baseline; 1 about 24 h after infusion 1; 2-6 before infusions 2-6; 7 post-induction visit; 8-13 maintenance months 1-6 (sorts in time order) |
| `day` | whole days since infusion 1 (relative; there are no calendar dates) |
| `scale` | `MADRS`, `PHQ9` or `CADSS` |
| `score` | total: MADRS 0-60, PHQ-9 0-27, CADSS 0-92; integers except {n_prorated} PHQ-9 totals prorated over 1-2 unanswered items (mean of the answered items substituted, e.g. `11.25`) |
| `phase` | `induction` (sessions 0-7) or `maintenance` (8-13) |
| `route` | `IV` (racemic ketamine infusion), `IM` (intramuscular ketamine) or `intranasal` (esketamine nasal spray) |
| `age` | years at baseline, 18-75 |
| `sex` | `F` or `M` |
| `dose_mg_per_kg` | ketamine dose per treatment: IV 0.5; IM 0.5, 0.75 or 1.0; empty for intranasal |
| `dose_mg` | esketamine dose, 56 or 84 mg; empty unless intranasal |
| `item_1` ... `item_10` | MADRS rows: items 1-10 (0-6; item 10 suicidal thoughts). PHQ9 rows: items 1-9 in `item_1` ... `item_9` (0-3; item 9 thoughts of death or self-harm; empty if unanswered), `item_10` empty. CADSS rows: all empty (total only). Items sum to `score` (prorated for PHQ-9 as above). |

Rows are sorted by `patient_id`, `session`, then scale in the order MADRS, PHQ9, CADSS.

### `cohort_wide.csv`

One row per patient, sorted by `patient_id`:

- `patient_id`, `route`, `age`, `sex`, `dose_mg_per_kg`, `dose_mg`: as in the long file;
- `madrs.s0` ... `madrs.s13`: MADRS total at sessions 0-13;
- `phq9.s0`, `phq9.s3`, `phq9.s5`, `phq9.s7` ... `phq9.s13`: PHQ-9 total where scheduled;
- `cadss.s0`, `cadss.s2` ... `cadss.s6`, `cadss.s8` ... `cadss.s13`: CADSS total where an
  infusion may be given;
- `day.s0` ... `day.s13`: study day of each session.

Totals only (no items); a cell is empty when the scale was not assessed at that session
(missed visit, dropout, or no maintenance infusion for CADSS).

### `cohort_redcap.csv`

A longitudinal REDCap export (raw field names, one row per record x event that has data):

| column | meaning |
|---|---|
| `record_id` | the `patient_id` |
| `redcap_event_name` | `baseline_arm_1` (session 0), `infusion_1_24h_arm_1` (1), `infusion_2_arm_1` ... `infusion_6_arm_1` (2-6), `post_induction_arm_1` (7), `month_1_arm_1` ... `month_6_arm_1` (8-13) |
| `redcap_repeat_instrument`, `redcap_repeat_instance` | empty (no repeating instruments) |
| `age`, `sex`, `route`, `dose_mg_per_kg`, `dose_mg` | demographics form, filled on the baseline event only and blank on the others, as REDCap exports them; `sex` and `route` as the text codes of the long file |
| `study_day` | the `day` of the long file |
| `madrs_1` ... `madrs_10`, `madrs_total` | MADRS items and total |
| `madrs_complete` | `2` (complete) where the MADRS form has data, blank otherwise |
| `phq9_1` ... `phq9_9`, `phq9_total`, `phq9_complete` | PHQ-9 items, total (prorated as in the long file) and form status |
| `cadss_total`, `cadss_complete` | CADSS total (peak during the infusion) and form status |

## Schedule

| session | event | day | MADRS | PHQ-9 | CADSS |
|---|---|---|---|---|---|
| 0 | baseline, before infusion 1 | 0 | x | x | x (peak ~40 min after dosing) |
| 1 | 24 h after infusion 1 | 1 | x | | |
| 2-6 | before infusions 2-6 | `[2, 4, 7, 9, 11]` or `[3, 7, 10, 14, 17]`, +-1 | x | sessions 3 and 5 | x |
| 7 | post-induction | 1-4 days after the last infusion | x | x | |
| 8-13 | maintenance month 1-6 | 30 x month +-3 | x | x | where an infusion is given |

## Generating model

- Baseline MADRS ~ N(32, 5), rounded, clipped to 20-50; assessment noise SD 3 points.
- Latent classes: rapid responders 35 % (most of the improvement by day 1), late
  responders 25 % (gradual improvement through induction), non-responders 40 %.
- Response (MADRS reduction >= 50 %) in this sample: at 24 h {resp1}; at session 7
  {resp7} of those assessed (Phillips et al., Am J Psychiatry 2019;176:401-409: 59 %
  after six infusions).
- Maintenance: responders receive an infusion at 85 % of their monthly visits; a third of
  them relapse (MADRS back to >= 22 on consecutive monthly visits, the SUSTAIN-1 rule of
  Daly et al., JAMA Psychiatry 2019;76:893-903; here {relapse} of the responders at
  session 7 have MADRS >= 22 on two consecutive maintenance visits); non-responders
  drift back towards baseline without infusions.
- Dropout: about 12 % during induction (more among non-responders; here {drop_induction}
  have no session 7 or later); most non-responders leave after induction or within three
  months; 4 % monthly attrition in maintenance; half of the relapsed leave after the
  confirming visit; 4 % of other visits missed.
- PHQ-9 = 27/60 x latent MADRS + patient offset N(0, 2) + noise N(0, 1.5), rounded,
  clipped to 0-27; about 2 % of PHQ-9 forms have one or two items unanswered.
- CADSS: Poisson with mean 16 (IV), 14 (IM, x sqrt(dose / 0.75)) or 11 (intranasal, x0.9
  at 56 mg, x1.1 at 84 mg) at infusion 1, x0.88 per later infusion (tolerance), times
  patient and visit gamma multipliers: right skewed, many small totals.
- Items: each total is split into integer items that sum exactly to it, with the
  suicidality item weighted down.
- Age N(44, 13) clipped to 18-75; 56 % female; IM doses 0.5 / 0.75 / 1.0 mg/kg; intranasal
  56 / 84 mg.

The full description is the docstring of `ketanalysis.simulate.simulate_cohort`.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m ketanalysis.simulate OUT_DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m ketanalysis.simulate",
        description=(
            "Write the synthetic sample cohort (long, wide, REDCap CSVs, vital signs, "
            "adverse events and README)."
        ),
    )
    parser.add_argument("out_dir", help="directory to write to, e.g. data/sample")
    parser.add_argument("--n-patients", type=int, default=150, help="default: 150")
    parser.add_argument("--seed", type=int, default=20261121, help="default: 20261121")
    args = parser.parse_args(argv)
    for path in write_sample(args.out_dir, n_patients=args.n_patients, seed=args.seed).values():
        print(path)
    return 0
