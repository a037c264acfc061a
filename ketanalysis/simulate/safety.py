"""Synthetic vital signs and adverse events for a simulated (or real) score cohort.

:func:`simulate_safety` draws, for every treatment session of a cohort (the sessions with a
CADSS score, i.e. with an infusion or a nasal-spray dose), blood pressure, heart rate and
SpO2 before dosing, at about 40 minutes, at about 80 minutes and before discharge, and the
adverse events of the session. Used by :func:`ketanalysis.simulate.write_sample` for
``data/sample/vitals.csv`` and ``data/sample/adverse_events.csv``, the tests and demos.

Only numpy and pandas; all randomness from one ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["AE_TERMS", "simulate_safety"]

#: Adverse-event terms drawn, in the order rows are written within a session.
AE_TERMS: tuple[str, ...] = (
    "dissociation",
    "dizziness",
    "nausea",
    "vomiting",
    "sedation",
    "headache",
    "increased blood pressure",
)

# ---------------------------------------------------------------------------------------
# Generating parameters (described in the docstring of simulate_safety; keep in step)
# ---------------------------------------------------------------------------------------
_SBP_MEAN, _SBP_SD, _SBP_CLIP = 124.0, 13.0, (95.0, 165.0)
_DBP_MEAN, _DBP_SLOPE, _DBP_SD, _DBP_CLIP = 78.0, 0.4, 6.0, (55.0, 105.0)
_HR_MEAN, _HR_SD, _HR_CLIP = 74.0, 10.0, (50.0, 110.0)
_SPO2_MEAN, _SPO2_SD = 97.5, 1.0
_PRE_SD = {"sbp": 7.0, "dbp": 5.0, "hr": 7.0}  # session-to-session variation before dosing
_NOISE_SD = {"sbp": 4.0, "dbp": 3.0, "hr": 3.0}  # each reading
# Mean rise of SBP at the peak (mmHg) by route; DBP and HR rise in proportion.
_SBP_RISE = {"IV": 14.0, "IM": 14.0, "intranasal": 10.0}
_SBP_RISE_CONTROL = 2.0
_DBP_PER_SBP, _HR_PER_SBP = 0.55, 0.45
_PATIENT_SHAPE, _SESSION_SHAPE = 4.0, 6.0  # gamma multipliers of the rise, mean 1
_PEAK_MIN = 40.0  # the rise follows (t / 40)^2 exp(2 (1 - t / 40)), peaking at 40 min
_P_MISSING_READING = 0.03  # a post-dose reading not taken
_P_MISSING_SPO2 = 0.01
# Adverse events: probability at the first session, by route (IV, IM, intranasal,
# control); later sessions x max(0.85 ** (n - 1), 0.45) (events wane over sessions).
_AE_P = {
    "dizziness": (0.20, 0.18, 0.28, 0.05),
    "nausea": (0.15, 0.15, 0.25, 0.04),
    "vomiting": (0.04, 0.04, 0.06, 0.01),
    "sedation": (0.10, 0.12, 0.12, 0.25),
    "headache": (0.10, 0.10, 0.10, 0.08),
}
_AE_DECAY, _AE_FLOOR = 0.85, 0.45
_DISSOCIATION_LOGIT = (-3.2, 0.12)  # P(dissociation reported) = logistic(a + b * CADSS)
_P_BP_EVENT_HIGH, _P_BP_EVENT_LOW = 0.85, 0.02  # "increased blood pressure" reported
_SEVERITY_P = (0.65, 0.28, 0.07)
_P_SERIOUS, _P_SERIOUS_CRISIS = 0.003, 0.1


def simulate_safety(
    cohort: pd.DataFrame, seed: int | None = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate vital signs and adverse events for the treatment sessions of a cohort.

    Parameters
    ----------
    cohort : DataFrame
        Scores in the canonical long format, e.g. from
        :func:`ketanalysis.simulate.simulate_cohort`. Its CADSS rows mark the treatment
        sessions (a dose was given) and give the dissociation of each; ``route``,
        ``dose_mg_per_kg``, ``dose_mg``, ``arm`` and ``day`` are used and copied when
        present.
    seed : int or None, default 0
        Seed of ``numpy.random.default_rng``; the same cohort and seed give the same frames.

    Returns
    -------
    vitals : DataFrame
        One row per patient x treatment session x time point, sorted by patient, session
        and minutes: ``patient_id``, ``session``, ``day`` (when the cohort has it),
        ``timepoint`` (``pre``, ``peak``, ``post``, ``discharge``), ``minutes`` (after the
        dose), ``sbp``, ``dbp``, ``hr``, ``spo2`` (whole numbers; SpO2 occasionally
        missing) and the covariates ``route``, ``arm``, ``dose_mg_per_kg``, ``dose_mg``
        present in the cohort.
    adverse_events : DataFrame
        One row per patient x session x event, sorted by patient, session and term (in
        :data:`AE_TERMS` order): ``patient_id``, ``session``, ``ae_term``, ``severity``
        (``mild``, ``moderate``, ``severe``), ``serious`` (bool). Sessions without events
        have no row; the vital signs list every treatment session.

    Raises
    ------
    ValueError
        When the cohort lacks ``patient_id``, ``session``, ``scale`` or ``score``, or has no
        CADSS rows.

    Notes
    -----
    Patients. Usual blood pressure SBP ~ N(124, 13) clipped to 95-165 mmHg, DBP = 78 +
    0.4 (SBP - 124) + N(0, 6) clipped to 55-105, HR ~ N(74, 10) clipped to 50-110,
    SpO2 ~ N(97.5, 1). Before each dose these vary by N(0, 7), N(0, 5) and N(0, 7).

    Course of a session. Readings before dosing (5-15 min before), at about 40 min
    (``peak``, 35-45), about 80 min (``post``, 75-85) and before discharge (120-135 min,
    after the 2-hour observation of the SPRAVATO REMS). The rise over the pre-dose value
    follows ``R * (t / 40)^2 * exp(2 (1 - t / 40))``: its maximum R at 40 min (the time
    of the peak in the SPRAVATO label), 54 % of it at 80 min and 17 % at 120 min, so
    most values are back within 10 % of pre-dose by discharge. The mean SBP rise R is 14
    mmHg for IV ketamine (0.5 mg/kg) and IM ketamine (scaled by sqrt(dose / 0.75)), 10
    mmHg for esketamine nasal spray (x0.9 at 56 mg, x1.1 at 84 mg) and 2 mmHg for an
    active placebo (no ketamine dose), times gamma multipliers per patient (shape 4) and
    session (shape 6); DBP rises 0.55 and HR 0.45 times as much. Each reading adds noise
    N(0, 4), N(0, 3), N(0, 3); SpO2 dips by up to 1 point at the peak. Values are rounded
    to whole numbers and DBP kept at least 20 below SBP. 3 % of post-dose readings are
    missing, and 1 % of SpO2 values.

    Adverse events. Per session, independently: dizziness, nausea, vomiting, sedation and
    headache with a probability by route (first session: IV 20, 15, 4, 10, 10 %; IM 18,
    15, 4, 12, 10 %; intranasal 28, 25, 6, 12, 10 %; active placebo 5, 4, 1, 25, 8 %,
    sedation being midazolam's main effect), scaled for IM by sqrt(dose / 0.75) and for
    intranasal by 0.9 (56 mg) or 1.1 (84 mg), and waning over sessions by 0.85 per
    session down to 45 % of the first (incidence highest in the first week, as in the
    pooled esketamine phase 3 data); dissociation with probability
    ``logistic(-3.2 + 0.12 * CADSS)`` of the session's CADSS; increased blood pressure
    with probability 0.85 when the session's peak reached 170/105 mmHg or rose by 40/25
    mmHg or more, else 0.02. Severity mild/moderate/severe 65/28/7 %, severe for
    dissociation with CADSS above 40 and for a blood-pressure event at or above 180/110;
    serious in 0.3 % of events and 10 % of blood-pressure events at or above 180/110
    (a serious event is severe).

    Examples
    --------
    >>> from ketanalysis.simulate import simulate_cohort
    >>> from ketanalysis.simulate import simulate_safety
    >>> vitals, ae = simulate_safety(simulate_cohort(20, seed=1), seed=2)
    >>> vitals["timepoint"].unique().tolist()
    ['pre', 'peak', 'post', 'discharge']
    >>> ae.columns.tolist()
    ['patient_id', 'session', 'ae_term', 'severity', 'serious']
    """
    sess = _treatment_sessions(cohort)
    rng = np.random.default_rng(seed)
    n = len(sess)
    pid_codes, pids = pd.factorize(sess["patient_id"])
    n_pat = len(pids)
    route = sess["route"].to_numpy(dtype=object)
    kg = sess["dose_mg_per_kg"].to_numpy(dtype=float)
    mg = sess["dose_mg"].to_numpy(dtype=float)
    # an active placebo (control arm): no ketamine dose recorded
    has_dose = "dose_mg_per_kg" in cohort or "dose_mg" in cohort
    control = np.isnan(kg) & np.isnan(mg) & has_dose
    route_code = np.select(
        [control, route == "IM", route == "intranasal"], [3, 1, 2], 0
    )  # IV (and unknown routes) 0
    with np.errstate(invalid="ignore"):
        dose_factor = np.select(
            [route_code == 1, route_code == 2],
            [np.sqrt(np.nan_to_num(kg, nan=0.75) / 0.75), np.where(mg >= 84, 1.1, 0.9)],
            1.0,
        )

    # usual values per patient, pre-dose values per session
    sbp0 = np.clip(rng.normal(_SBP_MEAN, _SBP_SD, n_pat), *_SBP_CLIP)
    dbp0 = np.clip(
        _DBP_MEAN + _DBP_SLOPE * (sbp0 - _SBP_MEAN) + rng.normal(0, _DBP_SD, n_pat), *_DBP_CLIP
    )
    hr0 = np.clip(rng.normal(_HR_MEAN, _HR_SD, n_pat), *_HR_CLIP)
    spo20 = rng.normal(_SPO2_MEAN, _SPO2_SD, n_pat)
    usual = {"sbp": sbp0[pid_codes], "dbp": dbp0[pid_codes], "hr": hr0[pid_codes]}
    pre = {k: usual[k] + rng.normal(0, _PRE_SD[k], n) for k in usual}

    # the rise at the peak
    base = np.array([_SBP_RISE["IV"], _SBP_RISE["IM"], _SBP_RISE["intranasal"], 0.0])
    r_sbp = np.where(control, _SBP_RISE_CONTROL, base[route_code] * dose_factor)
    u_pat = rng.gamma(_PATIENT_SHAPE, 1 / _PATIENT_SHAPE, n_pat)[pid_codes]
    u_ses = rng.gamma(_SESSION_SHAPE, 1 / _SESSION_SHAPE, n)
    r_sbp = r_sbp * u_pat * u_ses
    rise = {"sbp": r_sbp, "dbp": _DBP_PER_SBP * r_sbp, "hr": _HR_PER_SBP * r_sbp}

    # readings: (n sessions, 4 time points)
    minutes = np.column_stack(
        [
            -rng.integers(5, 16, n),
            _PEAK_MIN + rng.integers(-5, 6, n),
            2 * _PEAK_MIN + rng.integers(-5, 6, n),
            120 + rng.integers(0, 16, n),
        ]
    ).astype(float)
    shape = np.where(
        minutes > 0, (minutes / _PEAK_MIN) ** 2 * np.exp(2 * (1 - minutes / _PEAK_MIN)), 0.0
    )
    values = {}
    for k in ("sbp", "dbp", "hr"):
        noise = rng.normal(0, _NOISE_SD[k], (n, 4))
        noise[:, 0] = 0.0  # the pre-dose value already varies
        values[k] = np.round(pre[k][:, None] + rise[k][:, None] * shape + noise)
    values["dbp"] = np.minimum(values["dbp"], values["sbp"] - 20)
    spo2 = np.round(
        np.clip(spo20[pid_codes][:, None] - shape + rng.normal(0, 0.7, (n, 4)), 88, 100)
    )
    spo2[rng.random((n, 4)) < _P_MISSING_SPO2] = np.nan
    taken = rng.random((n, 4)) >= _P_MISSING_READING
    taken[:, 0] = True
    s_idx, t_idx = np.nonzero(taken)
    vitals = {
        "patient_id": sess["patient_id"].to_numpy(dtype=object)[s_idx],
        "session": sess["session"].to_numpy()[s_idx],
    }
    if "day" in sess:
        vitals["day"] = sess["day"].to_numpy(dtype=float)[s_idx]
    vitals["timepoint"] = np.array(["pre", "peak", "post", "discharge"], dtype=object)[t_idx]
    vitals["minutes"] = minutes[s_idx, t_idx]
    for k in ("sbp", "dbp", "hr"):
        vitals[k] = values[k][s_idx, t_idx]
    vitals["spo2"] = spo2[s_idx, t_idx]
    for c in ("route", "arm", "dose_mg_per_kg", "dose_mg"):
        if c in sess and c in cohort:
            vitals[c] = sess[c].to_numpy()[s_idx]
    vitals = pd.DataFrame(vitals)

    # adverse events
    infusion = sess.groupby("patient_id", sort=False).cumcount().to_numpy() + 1
    wane = np.maximum(_AE_DECAY ** (infusion - 1), _AE_FLOOR)
    p = {}
    for term, by_route in _AE_P.items():
        p[term] = np.asarray(by_route)[route_code] * np.where(control, 1.0, dose_factor) * wane
    a, b = _DISSOCIATION_LOGIT
    cadss = sess["cadss"].to_numpy(dtype=float)
    p["dissociation"] = 1 / (1 + np.exp(-(a + b * cadss)))
    peak_s = values["sbp"][:, 1:].max(axis=1)
    peak_d = values["dbp"][:, 1:].max(axis=1)
    high = (
        (peak_s >= 170)
        | (peak_d >= 105)
        | (peak_s - values["sbp"][:, 0] >= 40)
        | (peak_d - values["dbp"][:, 0] >= 25)
    )
    crisis = (peak_s >= 180) | (peak_d >= 110)
    p["increased blood pressure"] = np.where(high, _P_BP_EVENT_HIGH, _P_BP_EVENT_LOW)
    prob = np.column_stack([np.clip(p[t], 0, 1) for t in AE_TERMS])
    occurs = rng.random(prob.shape) < prob
    sev = np.searchsorted(np.cumsum(_SEVERITY_P), rng.random(prob.shape), side="right")
    sev = np.minimum(sev, 2)
    j_dis, j_bp = AE_TERMS.index("dissociation"), AE_TERMS.index("increased blood pressure")
    sev[:, j_dis] = np.where(cadss > 40, 2, sev[:, j_dis])
    sev[:, j_bp] = np.where(crisis, 2, sev[:, j_bp])
    p_serious = np.full(prob.shape, _P_SERIOUS)
    p_serious[:, j_bp] = np.where(crisis, _P_SERIOUS_CRISIS, _P_SERIOUS)
    serious = rng.random(prob.shape) < p_serious
    sev = np.where(serious, 2, sev)
    e_s, e_t = np.nonzero(occurs)
    adverse = pd.DataFrame(
        {
            "patient_id": sess["patient_id"].to_numpy(dtype=object)[e_s],
            "session": sess["session"].to_numpy()[e_s],
            "ae_term": np.asarray(AE_TERMS, dtype=object)[e_t],
            "severity": np.array(["mild", "moderate", "severe"], dtype=object)[sev[e_s, e_t]],
            "serious": serious[e_s, e_t],
        }
    )
    return vitals, adverse


def _treatment_sessions(cohort: pd.DataFrame) -> pd.DataFrame:
    """One row per CADSS row (a dosing session), sorted by patient and session."""
    if not isinstance(cohort, pd.DataFrame):
        raise TypeError(f"cohort must be a DataFrame, got {type(cohort).__name__}")
    missing = [c for c in ("patient_id", "session", "scale", "score") if c not in cohort]
    if missing:
        raise ValueError(
            f"cohort must be a score frame in the canonical long format; missing {missing}"
        )
    cad = cohort.loc[cohort["scale"] == "CADSS"]
    if cad.empty:
        raise ValueError(
            "cohort has no CADSS rows: simulate_safety takes the sessions with a CADSS score "
            "as the treatment sessions"
        )
    cols = ["patient_id", "session"] + [
        c for c in ("day", "route", "arm", "dose_mg_per_kg", "dose_mg") if c in cohort
    ]
    sess = cad[cols].assign(cadss=cad["score"].to_numpy(dtype=float))
    sess = sess.sort_values(["patient_id", "session"], kind="stable").reset_index(drop=True)
    for c in ("dose_mg_per_kg", "dose_mg"):
        if c not in sess:
            sess[c] = np.nan
    if "route" not in sess:
        sess["route"] = "IV"
    return sess


# ---------------------------------------------------------------------------------------
# Sample files (used by ketanalysis.simulate.write_sample)
# ---------------------------------------------------------------------------------------
def sample_files(long: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    """The frames of ``vitals.csv`` and ``adverse_events.csv`` for a sample cohort.

    ``serious`` is written as ``yes``/``no``.
    """
    vitals, adverse = simulate_safety(long, seed=seed)
    adverse = adverse.assign(
        serious=np.where(adverse["serious"].to_numpy(), "yes", "no").astype(object)
    )
    return {"vitals.csv": vitals, "adverse_events.csv": adverse}


def sample_readme(readme: str, vitals: pd.DataFrame, adverse: pd.DataFrame, seed: int) -> str:
    """The sample README with the two safety files listed and described."""
    from ..outcomes import derive_safety

    out = derive_safety(vitals, adverse)
    s, p = out.sessions, out.patients

    def pct(k, n):
        return f"{k}/{n} ({100 * k / n:.1f} %)" if n else "0/0"

    numbers = {
        "seed": seed,
        "n_vitals": len(vitals),
        "n_ae": len(adverse),
        "n_sessions": len(s),
        "flag_pre": pct(int(s["flag_pre"].sum()), int(s["flag_pre"].notna().sum())),
        "flag_post": pct(int(s["flag_post"].sum()), int(s["flag_post"].notna().sum())),
        "returned": pct(int(s["sbp_returned"].sum()), int(s["sbp_returned"].notna().sum())),
        "any_ae": pct(int(p["any_ae"].sum()), len(p)),
        "sbp_rise": f"{s['sbp_rise'].mean():.1f}",
    }
    anchor = "| `README.md` | | this description |"
    if anchor not in readme or "all five files" not in readme:
        raise RuntimeError("the sample README template changed; update sample_readme")
    rows = (
        f"| `vitals.csv` | {numbers['n_vitals']} rows | vital signs: one row per patient x "
        "treatment session x time point |\n"
        f"| `adverse_events.csv` | {numbers['n_ae']} rows | adverse events: one row per "
        "patient x session x event |\n"
    )
    readme = readme.replace(anchor, rows + anchor).replace("all five files", "all seven files")
    return readme + _README_SECTION.format(**numbers)


_README_SECTION = """
## Safety data: `vitals.csv` and `adverse_events.csv`

Drawn by `ketanalysis.simulate.simulate_safety(cohort, seed={seed})` for each of the
{n_sessions} treatment sessions of the cohort (the sessions with a CADSS row: the
infusions or nasal-spray doses). Read them with `ketanalysis.read_vitals` and
`read_adverse_events`; `ketanalysis.derive_safety(vitals, adverse_events, scores)`
derives the per-session and per-patient tables.

### `vitals.csv`

| column | meaning |
|---|---|
| `patient_id`, `session`, `day` | as in `cohort_long.csv` (the session of the dose) |
| `timepoint` | `pre` (before dosing), `peak` (about 40 min), `post` (about 80 min), `discharge` (120-135 min) |
| `minutes` | minutes after the dose (negative before it) |
| `sbp`, `dbp` | systolic and diastolic blood pressure, mmHg |
| `hr` | heart rate, beats/min |
| `spo2` | oxygen saturation, %; empty where not recorded |
| `route`, `dose_mg_per_kg`, `dose_mg` | as in `cohort_long.csv` |

About 3 % of post-dose readings are missing (no row). Blood pressure rises transiently
after dosing, peaking at about 40 minutes (mean SBP rise here {sbp_rise} mmHg) and falling
back by discharge: SBP was back within 10 % of pre-dose in {returned} of the sessions
with timed readings. Pre-dose at or above 140/90 mmHg: {flag_pre} sessions; at or above
180/110 mmHg after dosing: {flag_post} sessions.

### `adverse_events.csv`

| column | meaning |
|---|---|
| `patient_id`, `session` | as in `cohort_long.csv` |
| `ae_term` | `dissociation`, `dizziness`, `nausea`, `vomiting`, `sedation`, `headache` or `increased blood pressure` |
| `severity` | `mild`, `moderate` or `severe` |
| `serious` | `yes` or `no` |

Sessions without events have no row ({any_ae} patients had at least one event). Events
wane over sessions; dissociation follows the session's CADSS and increased blood pressure
the session's vital signs. The generating model is described in the docstring of
`ketanalysis.simulate.simulate_safety`.
"""
