"""Synthetic ketamine and esketamine clinic cohorts in the canonical long format.

:func:`simulate_cohort` draws a realistic treatment course (induction, monthly maintenance,
response classes, relapse, dropout, dissociation) for the sample data, the tests, the demos
and power analysis by simulation. :func:`write_sample` writes the bundled sample files of
``data/sample/`` byte for byte reproducibly (the cohort, and its vital signs and adverse
events from :func:`ketanalysis.simulate.simulate_safety`);
``python -m ketanalysis.simulate OUT_DIR`` (or ``make sample``) runs it.

Only numpy and pandas are used, so ``import ketanalysis`` stays fast. All randomness comes
from one ``numpy.random.default_rng(seed)``; nothing is seeded globally.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .. import scales

__all__ = [
    "N_INDUCTION_SESSIONS",
    "N_ITEMS",
    "ROUTES",
    "SCALE_ORDER",
    "schedule",
    "simulate_cohort",
]

#: Order of the scales within a session (the sort order of the long frame).
SCALE_ORDER: tuple[str, ...] = ("MADRS", "PHQ9", "CADSS")

#: Sessions 0-7 are the induction phase; 8 onwards the monthly maintenance visits.
N_INDUCTION_SESSIONS = 8

#: Routes of administration, in the order of ``route_weights``.
ROUTES = ("IV", "IM", "intranasal")
#: Number of items of the itemised scales.
N_ITEMS = {"MADRS": 10, "PHQ9": 9}

# ---------------------------------------------------------------------------------------
# Generating parameters. The docstring of simulate_cohort and data/sample/README.md
# describe them; keep the three in step.
# ---------------------------------------------------------------------------------------
# Latent classes: rapid responders, late responders, non-responders.
_CLASS_P_ACTIVE = (0.35, 0.25, 0.40)
_CLASS_P_CONTROL = (0.05, 0.15, 0.80)
# Share of a patient's maximal improvement reached at sessions 0..7, by class.
_SHAPE = np.array(
    [
        [0.0, 0.90, 0.90, 0.95, 1.0, 1.0, 1.0, 1.0],  # rapid: most of the drop by day 1
        [0.0, 0.15, 0.20, 0.35, 0.50, 0.65, 0.80, 1.0],  # late: gradual over induction
        [0.0, 1.00, 0.80, 0.70, 0.70, 0.70, 0.70, 0.70],  # non: small, transient
    ]
)
# Maximal fractional MADRS improvement per patient ~ Beta(a, b), by class
# (means 0.73, 0.67 and 0.22).
_RMAX_BETA = ((16.0, 6.0), (14.0, 7.0), (2.0, 7.0))
_BASELINE_MEAN, _BASELINE_SD, _BASELINE_MIN, _BASELINE_MAX = 32.0, 5.0, 20.0, 50.0
_MADRS_NOISE_SD = 3.0  # assessment noise, MADRS points
_MAINT_LATENT_SD = 2.0  # month-to-month fluctuation of the latent score in maintenance
_PHQ9_PER_MADRS = 27.0 / 60.0
_PHQ9_PATIENT_SD, _PHQ9_NOISE_SD = 2.0, 1.5
# Maintenance: share of responders who relapse; relapse month weights ~ 0.8**(month - 1).
_P_RELAPSE = 1.0 / 3.0
_RELAPSE_MONTH_DECAY = 0.8
_RELAPSE_FLOOR = 26.0  # latent MADRS after relapse: max(0.9 * baseline, 26)
_P_MAINT_INFUSION = 0.85  # a responder's monthly visit includes an infusion
# Dropout and missed visits.
_P_DROP_INDUCTION = (0.06, 0.10, 0.20)  # by class; overall ~12 %
_NONRESP_LAST = ((0, 0.60), (1, 0.15), (2, 0.10), (3, 0.05))  # months attended, then leave
_MONTHLY_DROPOUT = 0.04
_P_LEAVE_AFTER_RELAPSE = 0.5
_P_MISSED_VISIT = 0.04
# CADSS: expected peak at infusion 1 by route, tolerance per infusion, heterogeneity.
_CADSS_BASE = {"IV": 16.0, "IM": 14.0, "intranasal": 11.0}
_CADSS_CONTROL = 2.5
_CADSS_TOLERANCE = 0.88
_CADSS_PATIENT_SHAPE = 2.0
_CADSS_VISIT_SHAPE = 8.0
_CADSS_SOFT_CAP = (40.0, 30.0)  # expected total bends from 40 towards 40 + 30
# Items.
_SUICIDALITY_WEIGHT = 0.35
_P_PHQ9_UNANSWERED = 0.02
# Demographics and doses.
_AGE_MEAN, _AGE_SD = 44.0, 13.0
_P_FEMALE = 0.56
_IM_DOSES, _IM_DOSE_P = (0.5, 0.75, 1.0), (0.40, 0.35, 0.25)
_IN_DOSES, _IN_DOSE_P = (56.0, 84.0), (0.35, 0.65)
# Days of infusions 2-6 (sessions 2-6): thrice weekly over two weeks or twice weekly.
_INFUSION_DAY_PATTERNS = np.array([[2, 4, 7, 9, 11], [3, 7, 10, 14, 17]])


def schedule(maintenance_months: int = 6) -> dict[str, np.ndarray]:
    """Sessions at which each scale is scheduled.

    Parameters
    ----------
    maintenance_months : int
        Number of monthly maintenance visits (sessions 8 .. 7 + maintenance_months).

    Returns
    -------
    dict of str to numpy.ndarray of int
        Session numbers per scale key, in ``SCALE_ORDER``. CADSS is listed at every
        maintenance visit but recorded only where a maintenance infusion is given.

    Examples
    --------
    >>> schedule(2)["PHQ9"].tolist()
    [0, 3, 5, 7, 8, 9]
    """
    maint = list(range(N_INDUCTION_SESSIONS, N_INDUCTION_SESSIONS + maintenance_months))
    return {
        "MADRS": np.array([0, 1, 2, 3, 4, 5, 6, 7, *maint]),
        "PHQ9": np.array([0, 3, 5, 7, *maint]),
        "CADSS": np.array([0, 2, 3, 4, 5, 6, *maint]),
    }


def simulate_cohort(
    n_patients: int = 150,
    seed: int | None = 0,
    *,
    arms: Sequence[str] | None = None,
    routes: Sequence[str] = ROUTES,
    route_weights: Sequence[float] = (0.6, 0.15, 0.25),
    maintenance_months: int = 6,
    items: bool = True,
) -> pd.DataFrame:
    """Simulate a ketamine / esketamine clinic cohort in the canonical long format.

    Each patient has a baseline visit, six infusions over two to three weeks (induction),
    a post-induction visit and monthly maintenance visits, rated on the MADRS, the PHQ-9
    and (during infusions) the CADSS. The course follows latent response classes, with
    relapse in maintenance, dropout and missed visits. Vectorised over patients.

    Parameters
    ----------
    n_patients : int, default 150
        Number of patients (at least 1).
    seed : int or None, default 0
        Seed of ``numpy.random.default_rng``; the same seed gives the same frame.
    arms : pair of str, optional
        Two arm labels, e.g. ``("ketamine", "midazolam")``. Patients are randomised 1:1 in
        permuted blocks of four. The first arm gets the ketamine course; the second is an
        active placebo (far lower response, little dissociation, always IV, no ketamine
        dose). Without ``arms`` there is no ``arm`` column (a clinic cohort).
    routes : sequence of str, default ("IV", "IM", "intranasal")
        Routes to draw from (a subset of these three). With ``arms`` they apply to the
        first arm; pass ``routes=("IV",), route_weights=(1.0,)`` for a blinded IV trial.
    route_weights : sequence of float, default (0.6, 0.15, 0.25)
        Relative frequency of each route (normalised to sum to 1).
    maintenance_months : int, default 6
        Number of monthly maintenance visits (0 for induction only).
    items : bool, default True
        Include the item columns ``item_1`` ... ``item_10``. Totals are the same either way.

    Returns
    -------
    pandas.DataFrame
        One row per patient x scale x session actually assessed, sorted by ``patient_id``,
        ``session`` and scale (MADRS, PHQ9, CADSS), with a fresh ``RangeIndex``. Columns,
        in order:

        ``patient_id`` : str
            De-identified key ``"K0001"``, ``"K0002"``, ... (zero-padded, at least 4 digits).
        ``session`` : int
            0 baseline (before infusion 1, day 0); 1 about 24 h after infusion 1; 2-6 before
            infusions 2-6; 7 post-induction visit; 8 .. 7 + ``maintenance_months`` monthly
            maintenance visits. Sorts in time order.
        ``day`` : float
            Whole days since infusion 1 (relative, never a calendar date); strictly
            increasing over a patient's sessions.
        ``scale`` : str
            ``"MADRS"``, ``"PHQ9"`` or ``"CADSS"`` (registry keys, see
            :mod:`ketanalysis.scales`).
        ``score`` : float
            Total score. MADRS 0-60, PHQ-9 0-27 and CADSS 0-92 are integers, except PHQ-9
            totals prorated over one or two unanswered items (e.g. 11.25). For MADRS and
            PHQ9 rows it equals ``scales.score_items(scale, items).total``.
        ``phase`` : str
            ``"induction"`` (sessions 0-7) or ``"maintenance"`` (sessions 8 onwards).
        ``route`` : str
            ``"IV"``, ``"IM"`` or ``"intranasal"`` (esketamine nasal spray).
        ``arm`` : str
            Only when ``arms`` is given: the randomised arm.
        ``age`` : int
            Age in years at baseline, 18-75.
        ``sex`` : str
            ``"F"`` or ``"M"``.
        ``dose_mg_per_kg`` : float
            Ketamine dose per infusion: IV 0.5; IM 0.5, 0.75 or 1.0; NaN for intranasal
            and for the control arm.
        ``dose_mg`` : float
            Intranasal esketamine dose, 56 or 84 mg; NaN otherwise.
        ``item_1`` ... ``item_10`` : float
            Only when ``items`` is True. MADRS rows: the ten items, 0-6. PHQ9 rows: the nine
            items in ``item_1`` ... ``item_9`` (0-3, about 2 % of rows with one or two
            unanswered, NaN) and ``item_10`` NaN. CADSS rows: all NaN (total only).

    Raises
    ------
    ValueError
        Naming the bad parameter and value: ``n_patients`` < 1, ``arms`` not two distinct
        labels, an unknown route, weights not matching the routes or not positive,
        ``maintenance_months`` < 0.

    See Also
    --------
    schedule : which scale is given at which session.
    ketanalysis.simulate.write_sample : the bundled sample files.

    Notes
    -----
    Schedule. Session 0 (day 0): MADRS and PHQ-9 before infusion 1, CADSS as the peak
    dissociation about 40 min after dosing. Session 1 (day 1, 24 h): MADRS, for rapid
    response. Sessions 2-6: before infusions 2-6 on days ``[2, 4, 7, 9, 11]`` (thrice
    weekly over two weeks, as in Phillips et al. 2019) or ``[3, 7, 10, 14, 17]`` (twice
    weekly), each +-1 day and kept strictly increasing: MADRS and CADSS, PHQ-9 weekly at
    sessions 3 and 5. Session 7: 1-4 days after the last infusion: MADRS and PHQ-9.
    Session 7 + m: month m at day 30 m +- 3: MADRS and PHQ-9, and CADSS where a
    maintenance infusion is given (responders at session 7, 85 % of their visits).

    Course. Baseline MADRS ~ N(32, 5) rounded and clipped to 20-50 (treatment-resistant
    depression). Each patient belongs to a latent class: rapid responders (35 %; most of
    the improvement by day 1), late responders (25 %; gradual improvement reaching
    response by the end of induction) and non-responders (40 %; a small transient
    improvement). The maximal fractional improvement ``r`` is Beta distributed by class
    (means 0.73, 0.67, 0.22); the expected MADRS at session ``s`` is
    ``baseline * (1 - r * shape_class(s))`` and the rating adds N(0, 3) assessment noise,
    rounded and clipped to 0-60. Response (MADRS reduction >= 50 %) at session 7 among
    those assessed comes out at about 55-65 %, matching the 59 % response after six
    infusions of Phillips et al. (2019); 24-hour response is about 30 %.

    Maintenance. Responders at session 7 keep their level (latent month-to-month
    fluctuation SD 2). A third of them relapse in a month drawn from 1 .. months - 1
    (weights 0.8 ** (month - 1)), after which the expected MADRS is max(0.9 * baseline, 26),
    so relapse shows as MADRS >= 22 on consecutive monthly visits, the SUSTAIN-1 relapse
    rule; SUSTAIN-1 reported relapse in 26.7 % of stable remitters who continued esketamine
    (Daly et al. 2019). Non-responders receive no maintenance infusions and their score
    drifts halfway back to baseline.

    Dropout. During induction 6 %, 10 % and 20 % of rapid, late and non-responders stop
    (about 12 % overall; no rows afterwards, last session 1-6). Non-responders at session
    7 leave after it (60 %) or after month 1, 2 or 3 (15, 10, 5 %); everyone still in
    maintenance leaves with probability 4 % after each monthly visit, and half of the
    relapsed leave after the visit that confirms the relapse. Besides, 4 % of visits
    after baseline are missed (all scales of that visit).

    PHQ-9 tracks the latent MADRS: ``27/60 * MADRS`` plus a patient offset N(0, 2) and
    N(0, 1.5) noise, rounded and clipped to 0-27. CADSS is Poisson with mean
    ``base * dose_factor * 0.88 ** (infusion - 1) * u_patient * u_visit`` (gamma
    multipliers with mean 1, shapes 2 and 8, softly capped at 70): ``base`` is 16 (IV), 14 (IM, scaled by
    ``sqrt(dose / 0.75)``) or 11 (intranasal, x0.9 at 56 mg and x1.1 at 84 mg); maintenance
    infusions use the tolerance of infusion 6; the control arm has base 2.5 without
    tolerance. The result is right skewed with many small totals.

    Control arm: 5 % rapid, 15 % late and 80 % non-responders, giving about 15-25 %
    response at session 7, in line with the low response to midazolam in Murrough et al.
    (2013), where 24-hour response was 64 % with ketamine and 28 % with midazolam.

    Items. Each MADRS or PHQ-9 total is split into integer items (0-6, 0-3) that sum
    exactly to it, proportional to a patient item profile times per-visit noise (gamma
    weights) with the suicidality item (MADRS 10, PHQ-9 9) weighted down to 0.35; items
    that would exceed their maximum are capped and the rest redistributed. In 2 % of PHQ-9
    rows one or two items are then blanked (unanswered) and the total is prorated.

    Demographics: age N(44, 13) rounded and clipped to 18-75; 56 % female; routes drawn
    with ``route_weights``; IM dose 0.5/0.75/1.0 mg/kg (40/35/25 %); intranasal 56 or 84
    mg (35/65 %).

    References: Phillips JL, Norris S, Talbot J, et al. Single, repeated, and maintenance
    ketamine infusions for treatment-resistant depression: a randomized controlled trial.
    Am J Psychiatry 2019;176:401-409. Daly EJ, Trivedi MH, Janik A, et al. Efficacy of
    esketamine nasal spray plus oral antidepressant treatment for relapse prevention in
    patients with treatment-resistant depression (SUSTAIN-1). JAMA Psychiatry
    2019;76:893-903. Murrough JW, Iosifescu DV, Chang LC, et al. Antidepressant efficacy of
    ketamine in treatment-resistant major depression: a two-site randomized controlled
    trial. Am J Psychiatry 2013;170:1134-1142.

    Examples
    --------
    >>> from ketanalysis.simulate import simulate_cohort
    >>> frame = simulate_cohort(n_patients=20, seed=1)
    >>> frame.columns[:8].tolist()
    ['patient_id', 'session', 'day', 'scale', 'score', 'phase', 'route', 'age']
    >>> frame.loc[frame["session"] == 0, "scale"].unique().tolist()
    ['MADRS', 'PHQ9', 'CADSS']
    >>> trial = simulate_cohort(40, seed=2, arms=("ketamine", "midazolam"), items=False)
    >>> trial.groupby("arm")["patient_id"].nunique().to_dict()
    {'ketamine': 20, 'midazolam': 20}
    """
    n, arms, routes, p_route, months = _check_args(
        n_patients, arms, routes, route_weights, maintenance_months
    )
    rng = np.random.default_rng(seed)
    pat = _draw_patients(rng, n, arms, routes, p_route)
    day = _draw_days(rng, n, months)
    course = _draw_course(rng, pat["control"], months)
    attend = _draw_attendance(rng, course, months)
    infusion = _draw_infusions(rng, course["responder"], attend, months)
    cadss = _draw_cadss(rng, pat, infusion)
    totals = {"MADRS": course["madrs"], "PHQ9": course["phq9"], "CADSS": cadss}
    return _assemble(rng, pat, arms, day, totals, attend, infusion, months, items)


# ---------------------------------------------------------------------------------------
# Argument checks
# ---------------------------------------------------------------------------------------
def _check_args(n_patients, arms, routes, route_weights, maintenance_months):
    if isinstance(n_patients, bool) or not isinstance(n_patients, (int, np.integer)):
        raise ValueError(f"n_patients must be a positive integer; got {n_patients!r}")
    if n_patients < 1:
        raise ValueError(f"n_patients must be a positive integer; got {n_patients!r}")
    if isinstance(maintenance_months, bool) or not isinstance(
        maintenance_months, (int, np.integer)
    ):
        raise ValueError(
            f"maintenance_months must be a non-negative integer; got {maintenance_months!r}"
        )
    if maintenance_months < 0:
        raise ValueError(
            f"maintenance_months must be a non-negative integer; got {maintenance_months!r}"
        )
    if arms is not None:
        if isinstance(arms, str) or len(arms) != 2 or len({str(a) for a in arms}) != 2:
            raise ValueError(f"arms must be two distinct labels; got {arms!r}")
        arms = (str(arms[0]), str(arms[1]))
    if isinstance(routes, str):
        routes = (routes,)
    routes = tuple(routes)
    unknown = [r for r in routes if r not in ROUTES]
    if not routes or unknown:
        raise ValueError(f"routes must be taken from {ROUTES}; got {routes!r}")
    weights = np.asarray(route_weights, dtype=float)
    if weights.shape != (len(routes),) or not np.all(weights >= 0) or weights.sum() <= 0:
        raise ValueError(
            f"route_weights must be {len(routes)} non-negative numbers, one per route in "
            f"{routes!r}, not all zero; got {route_weights!r}"
        )
    return int(n_patients), arms, routes, weights / weights.sum(), int(maintenance_months)


# ---------------------------------------------------------------------------------------
# Drawing the cohort (every function is vectorised over patients)
# ---------------------------------------------------------------------------------------
def _draw_patients(rng, n, arms, routes, p_route) -> dict[str, np.ndarray]:
    """Arm, route, age, sex and dose of each patient."""
    if arms is None:
        control = np.zeros(n, dtype=bool)
    else:  # permuted blocks of four: 1:1 within every block
        blocks = np.tile(np.array([0, 0, 1, 1]), (-(-n // 4), 1))
        control = rng.permuted(blocks, axis=1).ravel()[:n] == 1
    route = np.asarray(routes, dtype=object)[rng.choice(len(routes), size=n, p=p_route)]
    route[control] = "IV"
    age = np.clip(np.round(rng.normal(_AGE_MEAN, _AGE_SD, n)), 18, 75).astype(np.int64)
    sex = np.where(rng.random(n) < _P_FEMALE, "F", "M").astype(object)
    im_dose = rng.choice(np.array(_IM_DOSES), size=n, p=_IM_DOSE_P)
    in_dose = rng.choice(np.array(_IN_DOSES), size=n, p=_IN_DOSE_P)
    dose_kg = np.select([route == "IV", route == "IM"], [0.5, im_dose], np.nan)
    dose_kg[control] = np.nan
    dose_mg = np.where(route == "intranasal", in_dose, np.nan)
    arm = None
    if arms is not None:
        arm = np.where(control, arms[1], arms[0]).astype(object)
    return {
        "control": control,
        "arm": arm,
        "route": route,
        "age": age,
        "sex": sex,
        "dose_mg_per_kg": dose_kg,
        "dose_mg": dose_mg,
    }


def _draw_days(rng, n, months) -> np.ndarray:
    """Day of every scheduled session, shape (n, 8 + months)."""
    day = np.empty((n, N_INDUCTION_SESSIONS + months))
    day[:, 0] = 0.0
    day[:, 1] = 1.0
    pattern = rng.integers(0, len(_INFUSION_DAY_PATTERNS), n)
    infusion_days = _INFUSION_DAY_PATTERNS[pattern] + rng.integers(-1, 2, (n, 5))
    previous = day[:, 1]
    for k in range(5):  # keep strictly increasing after the jitter
        previous = np.maximum(infusion_days[:, k], previous + 1)
        day[:, 2 + k] = previous
    day[:, 7] = day[:, 6] + rng.integers(1, 5, n)
    m = np.arange(1, months + 1)
    day[:, N_INDUCTION_SESSIONS:] = 30 * m + rng.integers(-3, 4, (n, months))
    return day


def _draw_course(rng, control, months) -> dict[str, np.ndarray]:
    """Latent class, MADRS and PHQ-9 at every session, relapse (no missingness yet)."""
    n = control.size
    p_class = np.where(control[:, None], _CLASS_P_CONTROL, _CLASS_P_ACTIVE)
    cls = (rng.random(n)[:, None] > np.cumsum(p_class, axis=1)).sum(axis=1)
    cls = np.minimum(cls, 2)
    a = np.array([ab[0] for ab in _RMAX_BETA])[cls]
    b = np.array([ab[1] for ab in _RMAX_BETA])[cls]
    r_max = rng.beta(a, b)
    baseline = np.round(
        np.clip(rng.normal(_BASELINE_MEAN, _BASELINE_SD, n), _BASELINE_MIN, _BASELINE_MAX)
    )
    latent = np.empty((n, N_INDUCTION_SESSIONS + months))
    latent[:, :N_INDUCTION_SESSIONS] = baseline[:, None] * (1 - r_max[:, None] * _SHAPE[cls])
    induction = latent[:, :N_INDUCTION_SESSIONS]
    madrs = np.empty_like(latent)
    madrs[:, :N_INDUCTION_SESSIONS] = np.clip(
        np.round(induction + rng.normal(0, _MADRS_NOISE_SD, induction.shape)), 0, 60
    )
    madrs[:, 0] = baseline
    responder = madrs[:, 7] <= 0.5 * baseline

    # Maintenance: responders keep their level; non-responders drift halfway back.
    level = latent[:, 7]
    level = np.where(responder, level, level + 0.5 * (baseline - level))
    fluct = rng.normal(0, _MAINT_LATENT_SD, (n, months))
    relapser = responder & (rng.random(n) < _P_RELAPSE) & (months >= 2)
    if months >= 2:
        w = _RELAPSE_MONTH_DECAY ** np.arange(months - 1)
        relapse_month = 1 + rng.choice(months - 1, size=n, p=w / w.sum())
    else:
        relapse_month = np.full(n, months + 1)
    relapse_month = np.where(relapser, relapse_month, months + 1)
    in_relapse = np.arange(1, months + 1)[None, :] >= relapse_month[:, None]
    relapsed_level = np.maximum(0.9 * baseline, _RELAPSE_FLOOR)
    latent[:, N_INDUCTION_SESSIONS:] = (
        np.where(in_relapse, relapsed_level[:, None], level[:, None]) + fluct
    )
    noise = rng.normal(0, _MADRS_NOISE_SD, (n, months))
    madrs[:, N_INDUCTION_SESSIONS:] = np.clip(
        np.round(latent[:, N_INDUCTION_SESSIONS:] + noise), 0, 60
    )

    latent[:, 0] = baseline
    offset = rng.normal(0, _PHQ9_PATIENT_SD, n)
    phq9 = _PHQ9_PER_MADRS * latent + offset[:, None]
    phq9 = np.clip(np.round(phq9 + rng.normal(0, _PHQ9_NOISE_SD, latent.shape)), 0, 27)
    return {
        "cls": cls,
        "madrs": madrs,
        "phq9": phq9,
        "responder": responder,
        "relapse_month": relapse_month,
    }


def _draw_attendance(rng, course, months) -> np.ndarray:
    """Which sessions each patient attends, shape (n, 8 + months): dropout and misses."""
    cls, responder = course["cls"], course["responder"]
    n = cls.size
    n_sessions = N_INDUCTION_SESSIONS + months
    # Last session attended; everyone has session 0.
    last = np.full(n, n_sessions - 1)
    drop_induction = rng.random(n) < np.asarray(_P_DROP_INDUCTION)[cls]
    last_induction = rng.integers(1, 7, n)
    months_nonresp = rng.choice(
        [m for m, _ in _NONRESP_LAST] + [months],
        size=n,
        p=[p for _, p in _NONRESP_LAST] + [1 - sum(p for _, p in _NONRESP_LAST)],
    )
    months_hazard = rng.geometric(_MONTHLY_DROPOUT, n)
    leave_relapse = rng.random(n) < _P_LEAVE_AFTER_RELAPSE
    stay = np.where(responder, months_hazard, np.minimum(months_nonresp, months_hazard))
    confirmed = course["relapse_month"] + 1
    stay = np.where(leave_relapse & (confirmed <= months), np.minimum(stay, confirmed), stay)
    last = np.minimum(last, 7 + stay)
    last = np.where(drop_induction, last_induction, last)
    session = np.arange(n_sessions)[None, :]
    missed = rng.random((n, n_sessions)) < _P_MISSED_VISIT
    missed[:, 0] = False
    missed[session == last[:, None]] = False
    return (session <= last[:, None]) & ~missed


def _draw_infusions(rng, responder, attend, months) -> np.ndarray:
    """Sessions with an infusion (and so a CADSS), shape (n, 8 + months)."""
    n = responder.size
    infusion = np.zeros((n, N_INDUCTION_SESSIONS + months), dtype=bool)
    infusion[:, schedule(0)["CADSS"]] = True
    maint = responder[:, None] & (rng.random((n, months)) < _P_MAINT_INFUSION)
    infusion[:, N_INDUCTION_SESSIONS:] = maint
    return infusion & attend


def _draw_cadss(rng, pat, infusion) -> np.ndarray:
    """Peak CADSS total at every session (used where there is an infusion)."""
    n, n_sessions = infusion.shape
    route, control = pat["route"], pat["control"]
    base = np.select(
        [route == "IV", route == "IM"], [_CADSS_BASE["IV"], _CADSS_BASE["IM"]], 0.0
    ).astype(float)
    base = np.where(route == "intranasal", _CADSS_BASE["intranasal"], base)
    with np.errstate(invalid="ignore"):
        im_factor = np.sqrt(pat["dose_mg_per_kg"] / 0.75)
    factor = np.where(route == "IM", im_factor, 1.0)
    factor = np.where(route == "intranasal", np.where(pat["dose_mg"] == 84, 1.1, 0.9), factor)
    factor = np.where(control, 1.0, factor)
    base = np.where(control, _CADSS_CONTROL, base * factor)
    # Infusion number at sessions 0, 2-6 is 1, 2-6; maintenance at the level of infusion 6.
    number = np.concatenate([[1, 1, 2, 3, 4, 5, 6, 6], np.full(n_sessions - 8, 6)])
    tolerance = _CADSS_TOLERANCE ** (number - 1)
    tolerance = np.where(control[:, None], 1.0, tolerance[None, :])
    u_patient = rng.gamma(_CADSS_PATIENT_SHAPE, 1 / _CADSS_PATIENT_SHAPE, n)
    u_visit = rng.gamma(_CADSS_VISIT_SHAPE, 1 / _CADSS_VISIT_SHAPE, (n, n_sessions))
    lam = base[:, None] * tolerance * u_patient[:, None] * u_visit
    # Soft ceiling: identity up to 40, then bending towards 70 (no one scores near 92).
    knee, room = _CADSS_SOFT_CAP
    lam = np.where(lam > knee, knee + room * np.tanh((lam - knee) / room), lam)
    return np.clip(rng.poisson(lam), 0, 92).astype(float)


def _split_total(rng, totals, weights, caps) -> np.ndarray:
    """Integer items in 0..cap summing exactly to each row's total, about prop. to weights.

    Vectorised over rows: a capped proportional allocation (items over their cap are fixed
    at it and the rest redistributed), then the floors are topped up by one unit on the
    items with the largest fractional part plus noise, among items below their cap.
    Needs ``0 <= total <= sum(caps)``.
    """
    totals = np.asarray(totals, dtype=float)
    n, k = weights.shape
    cap = np.broadcast_to(np.asarray(caps, dtype=float), (n, k))
    fixed = np.zeros((n, k), dtype=bool)
    alloc = np.zeros((n, k))
    for _ in range(k):
        free = np.where(fixed, 0.0, weights)
        remaining = totals - np.where(fixed, cap, 0.0).sum(axis=1)
        wsum = free.sum(axis=1, keepdims=True)
        share = np.divide(free, wsum, out=np.zeros_like(free), where=wsum > 0)
        alloc = np.where(fixed, cap, remaining[:, None] * share)
        over = ~fixed & (alloc > cap)
        if not over.any():
            break
        fixed |= over
    items = np.minimum(np.floor(alloc + 1e-9), cap)
    short = totals - items.sum(axis=1)
    room = items < cap
    key = np.where(room, alloc - items + 0.5 * rng.random((n, k)), -np.inf)
    rank = np.argsort(np.argsort(-key, axis=1, kind="stable"), axis=1, kind="stable")
    return items + ((rank < short[:, None]) & room)


def _draw_items(rng, scale, totals, patient_idx, n_patients) -> np.ndarray:
    """Item scores for rows of one scale; PHQ-9 rows may have unanswered items."""
    sc = scales.get(scale)
    k = sc.n_items
    profile = rng.gamma(3.0, 1.0, (n_patients, k))
    profile[:, sc.suicidality_item - 1] *= _SUICIDALITY_WEIGHT
    weights = profile[patient_idx] * rng.gamma(6.0, 1 / 6.0, (totals.size, k))
    items = _split_total(rng, totals, weights, sc.item_max)
    if sc.max_prorated:
        blank_row = rng.random(totals.size) < _P_PHQ9_UNANSWERED
        n_blank = np.where(rng.random(totals.size) < 0.7, 1, 2)
        rank = np.argsort(rng.random((totals.size, k)), axis=1)
        blank = blank_row[:, None] & (rank < n_blank[:, None])
        items[blank] = np.nan
    return items


# ---------------------------------------------------------------------------------------
# Assembling the long frame
# ---------------------------------------------------------------------------------------
def _assemble(rng, pat, arms, day, totals, attend, infusion, months, items) -> pd.DataFrame:
    n, n_sessions = attend.shape
    sched = schedule(months)
    parts = []
    for code, scale in enumerate(SCALE_ORDER):
        present = np.zeros_like(attend)
        present[:, sched[scale]] = True
        present &= infusion if scale == "CADSS" else attend
        p_idx, s_idx = np.nonzero(present)
        parts.append((p_idx, s_idx, np.full(p_idx.size, code)))
    p_idx, s_idx, c_idx = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.lexsort((c_idx, s_idx, p_idx))
    p_idx, s_idx, c_idx = p_idx[order], s_idx[order], c_idx[order]

    score = np.empty(p_idx.size)
    item_block = np.full((p_idx.size, 10), np.nan)
    for code, scale in enumerate(SCALE_ORDER):
        rows = c_idx == code
        total = totals[scale][p_idx[rows], s_idx[rows]]
        if scale in N_ITEMS:
            it = _draw_items(rng, scale, total, p_idx[rows], n)
            item_block[np.ix_(rows, np.arange(it.shape[1]))] = it
            total = scales.score_items(scale, it).total
        score[rows] = total

    width = max(4, len(str(n)))
    ids = np.array([f"K{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    columns = {
        "patient_id": ids[p_idx],
        "session": s_idx.astype(np.int64),
        "day": day[p_idx, s_idx],
        "scale": np.asarray(SCALE_ORDER, dtype=object)[c_idx],
        "score": score,
        "phase": np.where(s_idx < N_INDUCTION_SESSIONS, "induction", "maintenance").astype(object),
        "route": pat["route"][p_idx],
    }
    if arms is not None:
        columns["arm"] = pat["arm"][p_idx]
    for name in ("age", "sex", "dose_mg_per_kg", "dose_mg"):
        columns[name] = pat[name][p_idx]
    if items:
        for j in range(10):
            columns[f"item_{j + 1}"] = item_block[:, j]
    return pd.DataFrame(columns)
