"""Summaries, rates, effect sizes, NNT and missing-data sensitivity analyses.

Expected values come from (each test says which):

- hand calculations with numpy/scipy on the same rows (exact up to 1e-12);
- published tables: Newcombe RG, Stat Med 1998;17:857-872, Table I (Wilson intervals)
  and Stat Med 1998;17:873-890, Table II (method 10 differences), to their 4 decimals
  (tolerance 5e-5);
- R: tests/data/reference/survival/reference.json from make_reference.R in that folder
  (prop.test(correct = FALSE) for Wilson, a hand-written method-10 function, metafor
  3.8.1 escalc, a uniroot noncentral-t interval), to 1e-10 (intervals) or 1e-6 (effect
  sizes and their limits).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ketanalysis as ka
from ketanalysis.stats.effects import cohens_d, effect_size, hedges_g, hedges_j, nnt
from ketanalysis.stats.sensitivity import responders
from ketanalysis.stats.summary import (
    by_session,
    newcombe_interval,
    rate_difference,
    rates,
    wilson_interval,
)

REF_DIR = Path(__file__).parent / "data" / "reference" / "survival"
REF = json.loads((REF_DIR / "reference.json").read_text())


@pytest.fixture(scope="module")
def trial():
    """A simulated two-arm trial, derived with the default criteria."""
    return ka.derive(ka.simulate_cohort(120, seed=3, arms=("ketamine", "midazolam")))


@pytest.fixture(scope="module")
def sim_a():
    return pd.read_csv(REF_DIR / "sim_a_assessments.csv")


# ---- by_session -----------------------------------------------------------------------------
def test_by_session_against_numpy(trial):
    """Every cell: n, mean, SD (ddof 1), SE and the t interval recomputed with numpy and
    scipy.stats.t on the same rows; to 1e-12."""
    tab = by_session(trial, by="arm", value="change")
    a = trial.assessments
    assert len(tab) == len(a.groupby(["scale", "session", "arm"], observed=True))
    for _, row in tab.sample(12, random_state=1).iterrows():
        v = a.loc[
            (a["scale"] == row["scale"])
            & (a["session"] == row["session"])
            & (a["arm"] == row["arm"]),
            "change",
        ].to_numpy()
        n, m, sd = len(v), v.mean(), v.std(ddof=1)
        se = sd / np.sqrt(n)
        q = stats.t.ppf(0.975, n - 1)
        assert row["n"] == n and row["n_missing"] == 0 and row["variable"] == "change"
        np.testing.assert_allclose(
            row[["mean", "sd", "se", "ci_low", "ci_high"]].to_numpy(dtype=float),
            [m, sd, se, m - q * se, m + q * se],
            rtol=1e-12,
            atol=1e-12,
        )


def test_by_session_hand_worked():
    """Scores 10, 12, 17 at one session: mean 13, SD sqrt(13) (squared deviations 9, 1,
    16 over 2), SE sqrt(13/3), 90 % interval 13 -/+ t(0.95, 2) SE, t = 2.919986 (tables);
    a missing pct_change is counted in n_missing, not n."""
    d = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c"],
            "session": 1,
            "score": [10.0, 12.0, 17.0],
            "pct_change": [-0.5, np.nan, -0.2],
        }
    )
    t = by_session(d, level=0.90)
    assert "scale" not in t.columns
    np.testing.assert_allclose(t["mean"], 13.0)
    np.testing.assert_allclose(t["sd"], np.sqrt(13.0))
    np.testing.assert_allclose(t["ci_high"], 13 + 2.919986 * np.sqrt(13 / 3), rtol=1e-6)
    p = by_session(d, value="pct_change")
    assert (p["n"].iloc[0], p["n_missing"].iloc[0]) == (2, 1)
    one = by_session(d.iloc[:1])
    assert one["n"].iloc[0] == 1 and np.isnan(one["ci_low"].iloc[0])


def test_by_session_bad_input(trial):
    with pytest.raises(ValueError, match=r"value='scor' is not a column"):
        by_session(trial, value="scor")
    with pytest.raises(ValueError, match=r"by='arms'.*did you mean 'arm'"):
        by_session(trial, by="arms")
    with pytest.raises(
        ValueError, match=r"level must be a probability between 0 and 1 such as 0.95, got 95"
    ):
        by_session(trial, level=95)
    with pytest.raises(ValueError, match=r"scale='BDI2' is not in the data"):
        by_session(trial, scale="BDI2")


# ---- rates --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_against_newcombe_table_1(k, n, low, high):
    """Newcombe RG. Stat Med 1998;17:857-872, Table I, method 3 (score, no continuity
    correction); published to 4 decimals, tolerance 5e-5."""
    lo, hi = wilson_interval(k, n)
    np.testing.assert_allclose([lo[0], hi[0]], [low, high], atol=5e-5)


# (a)-(h) of Newcombe 1998, Stat Med 17:873-890, Table II, method 10, as published to 4
# decimals (recalled and verified against the hand-written R function of make_reference.R;
# example (c) 6/7 vs 2/7 is left out because its published limits could not be confirmed
# from memory).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), 0.2000, 0.0524, 0.3339),
    ((9, 10, 3, 10), 0.6000, 0.1705, 0.8090),
    ((5, 56, 0, 29), 0.0893, -0.0381, 0.1926),
    ((0, 10, 0, 20), 0.0000, -0.1611, 0.2775),
    ((0, 10, 0, 10), 0.0000, -0.2775, 0.2775),
    ((10, 10, 0, 20), 1.0000, 0.6791, 1.0000),
    ((10, 10, 0, 10), 1.0000, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("counts", "est", "low", "high"), NEWCOMBE_TABLE_II)
def test_newcombe_against_published_table_2(counts, est, low, high):
    """Newcombe 1998, Table II, method 10; to the published 4 decimals (tolerance 5e-5)."""
    d, lo, hi = newcombe_interval(*counts)
    np.testing.assert_allclose([d, lo, hi], [est, low, high], atol=5e-5)


def test_newcombe_and_wilson_against_r():
    """R: prop.test(x, n, correct = FALSE)$conf.int (Wilson) and newcombe10() of
    make_reference.R (Table II cases and the sim_a MADRS response by arm); to 1e-10."""
    for case in REF["newcombe"]:
        d, lo, hi = newcombe_interval(case["k1"], case["n1"], case["k2"], case["n2"])
        np.testing.assert_allclose(
            [d, lo, hi], [case["estimate"], case["ci_low"], case["ci_high"]], rtol=1e-10, atol=1e-12
        )
        for k, n, ref in ((case["k1"], case["n1"], "wilson1"), (case["k2"], case["n2"], "wilson2")):
            lo, hi = wilson_interval(k, n)
            np.testing.assert_allclose([lo[0], hi[0]], case[ref], rtol=1e-10, atol=1e-12)


def test_rates_and_difference_on_sim_a():
    """The last R case is the sim_a MADRS ever_response by arm: rates() and
    rate_difference() on the CSV give the same counts and interval (1e-10)."""
    p = pd.read_csv(REF_DIR / "sim_a_patients.csv")
    ref = REF["newcombe"][-1]
    r = rates(p, outcome="response", by="arm", scale="MADRS")
    assert r[["k", "n"]].to_numpy().tolist() == [[ref["k1"], ref["n1"]], [ref["k2"], ref["n2"]]]
    np.testing.assert_allclose(r[["ci_low", "ci_high"]].iloc[0], ref["wilson1"], rtol=1e-10)
    d = rate_difference(p, outcome="response", by="arm", scale="MADRS")
    assert (d["group1"].iloc[0], d["group2"].iloc[0]) == ("ketamine", "midazolam")
    np.testing.assert_allclose(
        d[["estimate", "ci_low", "ci_high"]].iloc[0],
        [ref["estimate"], ref["ci_low"], ref["ci_high"]],
        rtol=1e-10,
    )
    swapped = rate_difference(
        p, outcome="response", by="arm", groups=("midazolam", "ketamine"), scale="MADRS"
    )
    np.testing.assert_allclose(swapped["estimate"], -d["estimate"], rtol=1e-12)
    np.testing.assert_allclose(swapped["ci_low"], -d["ci_high"], rtol=1e-12)


def test_rates_exclude_missing_outcomes(trial):
    """Relapse is missing for patients never at risk: they are left out of n and counted
    in n_excluded; counts by hand with pandas."""
    r = rates(trial, outcome="relapse", by="arm")
    p = trial.patients
    for _, row in r.iterrows():
        g = p[(p["scale"] == row["scale"]) & (p["arm"] == row["arm"])]
        assert row["n"] == g["relapse_at_risk"].sum()
        assert row["n_excluded"] == (~g["relapse_at_risk"]).sum()
        assert row["k"] == g["relapse"].sum()
        np.testing.assert_allclose(row["rate"], row["k"] / row["n"])


def test_rates_at_a_session(trial):
    """at=: the rate among the assessments at that session (hand count)."""
    r = rates(trial, outcome="remission", at=7, scale="MADRS")
    a = trial.assessments.query("scale == 'MADRS' and session == 7")
    assert (r["k"].iloc[0], r["n"].iloc[0]) == (a["remission"].sum(), len(a))
    assert r["session"].iloc[0] == 7


def test_rates_bad_input(trial):
    with pytest.raises(
        ValueError,
        match=r"outcome='responder' is not a per-patient outcome; valid: response, remission",
    ):
        rates(trial, outcome="responder")
    with pytest.raises(
        ValueError,
        match=r"outcome='relapse' is not available per session; valid with at=: response, remission",
    ):
        rates(trial, outcome="relapse", at=7)
    with pytest.raises(ValueError, match=r"at=99 has no assessments"):
        rates(trial, outcome="response", at=99)
    with pytest.raises(ValueError, match=r"by='route' has 3 group\(s\).*exactly two: pass groups"):
        rate_difference(ka.derive(ka.simulate_cohort(60, seed=1)), by="route")
    one = trial.patients.query("arm == 'ketamine'")
    with pytest.raises(ValueError, match=r"by='arm' has 1 group\(s\) \(ketamine\)"):
        rate_difference(one, by="arm")
    with pytest.raises(
        ValueError, match=r"groups=\('ketamine', 'placebo'\): 'placebo' is not a value"
    ):
        rate_difference(trial, by="arm", groups=("ketamine", "placebo"))


# ---- effect sizes -----------------------------------------------------------------------
def test_hedges_j_exact_and_approximation():
    """J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)); by hand J(2) = Gamma(1) / (1 *
    Gamma(1/2)) = 1/sqrt(pi); close to the approximation 1 - 3/(4m - 1) for large m."""
    np.testing.assert_allclose(hedges_j(2), 1 / np.sqrt(np.pi), rtol=1e-14)
    np.testing.assert_allclose(hedges_j(100), 1 - 3 / 399, rtol=1e-5)
    assert np.isnan(hedges_j(1))


def test_cohens_d_hand_worked():
    """x = 1, 2, 3, 4; y = 0, 1, 2, 2: means 2.5 and 1.25, variances 5/3 and 11/12, pooled
    variance (5 + 2.75) / 6 = 31/24, d = 1.25 / sqrt(31/24); g = J(6) d; d_z of
    -1, -2, -3, 0.5 = -1.375 / SD. Exact to 1e-12."""
    d = cohens_d([1, 2, 3, 4], [0, 1, 2, 2])
    np.testing.assert_allclose(d["estimate"], 1.25 / np.sqrt(31 / 24), rtol=1e-12)
    g = hedges_g([1, 2, 3, 4], [0, 1, 2, 2])
    np.testing.assert_allclose(g["estimate"], hedges_j(6) * 1.25 / np.sqrt(31 / 24), rtol=1e-12)
    z = cohens_d([-1, -2, -3, 0.5])
    np.testing.assert_allclose(
        z["estimate"], -1.375 / np.std([-1, -2, -3, 0.5], ddof=1), rtol=1e-12
    )
    assert z["measure"].iloc[0] == "cohens_dz"
    # the noncentral-t interval contains the estimate; the normal one is symmetric
    assert d["ci_low"].iloc[0] < d["estimate"].iloc[0] < d["ci_high"].iloc[0]
    n = cohens_d([1, 2, 3, 4], [0, 1, 2, 2], ci_method="normal")
    np.testing.assert_allclose(n["estimate"] - n["ci_low"], n["ci_high"] - n["estimate"])


def test_between_effect_size_against_r(sim_a):
    """R (make_reference.R): change at session 7 of sim_a by arm; Cohen's d by hand, g and
    its variance by metafor::escalc("SMD") (exact J, LS variance), the noncentral-t limits
    by uniroot on pt(t, df, ncp); all to 1e-6."""
    ref = REF["effect_sizes"]["between"]
    d = effect_size(sim_a, at=7, by="arm", measure="cohens_d", scale="MADRS")
    g = effect_size(sim_a, at=7, by="arm", scale="MADRS")
    gn = effect_size(sim_a, at=7, by="arm", scale="MADRS", ci_method="normal")
    assert (g["n1"].iloc[0], g["n2"].iloc[0]) == (ref["n1"], ref["n2"])
    np.testing.assert_allclose(d["estimate"], ref["cohens_d"], rtol=1e-6)
    np.testing.assert_allclose(g["estimate"], ref["hedges_g"], rtol=1e-6)
    np.testing.assert_allclose(g["se"] ** 2, ref["g_var"], rtol=1e-6)
    np.testing.assert_allclose(d[["ci_low", "ci_high"]].iloc[0], ref["d_ci"], rtol=1e-6)
    np.testing.assert_allclose(g[["ci_low", "ci_high"]].iloc[0], ref["g_ci"], rtol=1e-6)
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(
        gn[["ci_low", "ci_high"]].iloc[0],
        [ref["hedges_g"] - z * np.sqrt(ref["g_var"]), ref["hedges_g"] + z * np.sqrt(ref["g_var"])],
        rtol=1e-6,
    )


def test_within_effect_size_against_r(sim_a):
    """R: d_z = mean(change) / sd(change) per arm; g_z and its variance by
    metafor::escalc("SMCC") with the change SD; noncentral-t limits by uniroot; 1e-6."""
    w = effect_size(sim_a, at=7, by="arm", kind="within", scale="MADRS").set_index("arm")
    wd = effect_size(
        sim_a, at=7, by="arm", kind="within", measure="cohens_d", scale="MADRS"
    ).set_index("arm")
    for arm, ref in REF["effect_sizes"]["within"].items():
        assert w.loc[arm, "n"] == ref["n"] and w.loc[arm, "measure"] == "hedges_gz"
        np.testing.assert_allclose(wd.loc[arm, "estimate"], ref["d_z"], rtol=1e-6)
        np.testing.assert_allclose(w.loc[arm, "estimate"], ref["g_z"], rtol=1e-6)
        np.testing.assert_allclose(w.loc[arm, "se"] ** 2, ref["g_var"], rtol=1e-6)
        np.testing.assert_allclose(wd.loc[arm, ["ci_low", "ci_high"]], ref["d_ci"], rtol=1e-6)
        np.testing.assert_allclose(w.loc[arm, ["ci_low", "ci_high"]], ref["g_ci"], rtol=1e-6)


def test_effect_size_bad_input(trial):
    with pytest.raises(ValueError, match=r"kind must be one of between, within, got 'paired'"):
        effect_size(trial, at=7, by="arm", kind="paired")
    with pytest.raises(ValueError, match=r"kind='between' needs by="):
        effect_size(trial, at=7)
    with pytest.raises(
        ValueError, match=r"value='score': a within-group effect size needs a change"
    ):
        effect_size(trial, at=7, kind="within", value="score")
    with pytest.raises(ValueError, match=r"measure must be one of hedges_g, cohens_d"):
        effect_size(trial, at=7, by="arm", measure="glass")
    with pytest.raises(ValueError, match=r"at=42 has no assessments"):
        effect_size(trial, at=42, by="arm")


# ---- NNT --------------------------------------------------------------------------------
def _two_arms(k1, n1, k2, n2):
    rows = [("t", i < k1) for i in range(n1)] + [("c", i < k2) for i in range(n2)]
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(len(rows))],
            "arm": [r[0] for r in rows],
            "ever_response": [r[1] for r in rows],
            "relapse": [r[1] for r in rows],
        }
    )


def test_nnt_hand_worked_benefit():
    """56/70 vs 48/80 (Newcombe Table II (a)): RD 0.2 (0.0524 to 0.3339), so NNT = 5 with
    interval 1/0.3339 = 2.995 to 1/0.0524 = 19.07 (Newcombe limits to 4 decimals)."""
    r = nnt(_two_arms(56, 70, 48, 80), outcome="response", by="arm", groups=("t", "c"))
    np.testing.assert_allclose(r["estimate"], 5.0, rtol=1e-12)
    np.testing.assert_allclose(
        r[["ci_low", "ci_high"]].iloc[0], [1 / 0.3339, 1 / 0.0524], rtol=2e-3
    )
    assert not r["ci_through_infinity"].iloc[0]
    assert r["label"].iloc[0] == "NNTB 5.0 (95% CI 3.0 to 19.1)"


def test_nnt_through_infinity_altman():
    """5/56 vs 0/29 (Table II (d)): RD 0.0893 (-0.0381 to 0.1926) includes 0, so the NNT
    is NNTB 11.2 with the interval NNTH 26.2 to infinity to NNTB 5.2 (Altman 1998)."""
    r = nnt(_two_arms(5, 56, 0, 29), outcome="response", by="arm", groups=("t", "c"))
    np.testing.assert_allclose(r["estimate"], 56 / 5, rtol=1e-12)
    assert r["ci_through_infinity"].iloc[0]
    np.testing.assert_allclose(r["ci_low"], 1 / 0.1926, rtol=2e-3)  # NNTB limit
    np.testing.assert_allclose(r["ci_high"], -1 / 0.0381, rtol=2e-3)  # NNTH limit
    assert r["label"].iloc[0] == "NNTB 11.2 (95% CI NNTH 26.2 to inf to NNTB 5.2)"


def test_nnt_harm_for_relapse():
    """For relapse a higher rate is worse: 30/60 vs 15/60 relapsing is a harm, NNTH 4."""
    r = nnt(_two_arms(30, 60, 15, 60), outcome="relapse", by="arm", groups=("t", "c"))
    np.testing.assert_allclose(r["risk_difference"], 0.25)
    np.testing.assert_allclose(r["estimate"], -4.0)
    assert r["label"].iloc[0].startswith("NNTH 4.0")
    assert r["ci_low"].iloc[0] < r["ci_high"].iloc[0] < 0


# ---- sensitivity: observed case, LOCF, BOCF -------------------------------------------------
def _course():
    """Four patients, baseline 30, sessions 0-3 (response = 50 % reduction):

    A: 30, 14, 13, 12 -> responder at 3 (observed);
    B: 30, 14, --, --  -> missing at 3; last observation (session 1) a response;
    C: 30, 25, 20, --  -> missing at 3; last observation (session 2) not a response;
    D: 30, --, --, 28  -> observed non-responder at 3.
    """
    scores = {
        "A": [30, 14, 13, 12],
        "B": [30, 14, None, None],
        "C": [30, 25, 20, None],
        "D": [30, None, None, 28],
    }
    rows = [
        {
            "patient_id": p,
            "session": s,
            "scale": "MADRS",
            "score": float(v),
            "arm": "x" if p in "AB" else "y",
        }
        for p, vals in scores.items()
        for s, v in enumerate(vals)
        if v is not None
    ]
    return ka.derive(pd.DataFrame(rows))


def test_responders_hand_worked():
    """Observed: A, D assessed at 3 -> 1/2. LOCF: A yes, B carries session 1 (yes), C
    carries session 2 (no), D no -> 2/4, two imputed. BOCF: B and C count as at baseline
    (change 0, not responders) -> 1/4."""
    r = responders(_course(), at=3, method=["observed", "locf", "bocf"]).set_index("method")
    assert r.loc["observed", ["k", "n", "n_imputed", "n_missing"]].tolist() == [1, 2, 0, 2]
    assert r.loc["locf", ["k", "n", "n_imputed", "n_missing"]].tolist() == [2, 4, 2, 2]
    assert r.loc["bocf", ["k", "n", "n_imputed", "n_missing"]].tolist() == [1, 4, 2, 2]
    lo, hi = wilson_interval(2, 4)
    np.testing.assert_allclose(r.loc["locf", ["ci_low", "ci_high"]], [lo[0], hi[0]])


def test_responders_by_group_and_remission():
    """By arm (A, B in x; C, D in y) under LOCF: x 2/2, y 0/2. Remission (MADRS <= 10)
    never occurs here: 0 under every method."""
    r = responders(_course(), at=3, method="locf", by="arm")
    assert r[["arm", "k", "n"]].to_numpy().tolist() == [["x", 2, 2], ["y", 0, 2]]
    rem = responders(_course(), at=3, method=["observed", "locf", "bocf"], outcome="remission")
    assert rem["k"].tolist() == [0, 0, 0]


def test_responders_bad_input():
    with pytest.raises(ValueError, match=r"method must be one of observed, locf, bocf, got 'mi'"):
        responders(_course(), at=3, method="mi")
    with pytest.raises(ValueError, match=r"outcome='relapse' is not available per session"):
        responders(_course(), at=3, outcome="relapse")
    with pytest.raises(ValueError, match=r"by='site' is not a column"):
        responders(_course(), at=3, by="site")
    with pytest.raises(ValueError, match=r"at=9 has no assessments"):
        responders(_course(), at=9)


def _newcombe_by_hand(k1, n1, k2, n2, level):
    """Newcombe method 10 as it was written in ketanalysis before it called statsmodels."""
    p1, p2 = k1 / n1, k2 / n2
    (l1,), (u1,) = wilson_interval(k1, n1, level)
    (l2,), (u2,) = wilson_interval(k2, n2, level)
    d = p1 - p2
    return d, d - np.hypot(p1 - l1, u2 - p2), d + np.hypot(u1 - p1, p2 - l2)


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_newcombe_interval_equals_the_hand_written_method_10(level):
    """newcombe_interval (statsmodels confint_proportions_2indep(method="newcomb")) equals
    the square-root combination of Wilson limits it replaced, on every 2 x 2 table with
    n1, n2 in {1, 2, 5, 12} (including 0 and n events), to 1e-12."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    for n1 in (1, 2, 5, 12):
        for n2 in (1, 2, 5, 12):
            for k1 in range(n1 + 1):
                for k2 in range(n2 + 1):
                    got = newcombe_interval(k1, n1, k2, n2, level)
                    want = _newcombe_by_hand(k1, n1, k2, n2, level)
                    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
                    lib = confint_proportions_2indep(
                        k1, n1, k2, n2, method="newcomb", compare="diff", alpha=1 - level
                    )
                    np.testing.assert_allclose(got[1:], lib, rtol=0, atol=1e-12)
    assert np.isnan(newcombe_interval(0, 0, 1, 2)).all()


def test_wilson_interval_equals_the_score_formula():
    """wilson_interval (statsmodels proportion_confint(method="wilson")) equals the
    closed-form Wilson score interval, to 1e-12."""
    for n in (1, 3, 10, 50):
        k = np.arange(n + 1)
        for level in (0.9, 0.95):
            z = stats.norm.ppf(0.5 + level / 2)
            p = k / n
            centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
            half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
            lo, hi = wilson_interval(k, n, level)
            np.testing.assert_allclose(lo, np.clip(centre - half, 0, 1), atol=1e-12)
            np.testing.assert_allclose(hi, np.clip(centre + half, 0, 1), atol=1e-12)


def test_by_session_not_assessed_hand_worked():
    """n_expected / n_not_assessed by hand. Schedule: MADRS rated at 0-3, PHQ9 only at 0
    and 3 (no PHQ9 row at 1 or 2). Last scored session of any scale: p1 3, p2 1 (leaves
    early), p3 3 (misses MADRS at 1 and PHQ9 at 3), p4 3, p5 3 (only PHQ9 after baseline,
    so still followed and expected for MADRS at 1-3).

    MADRS arm A (p1 p2 p3): s0 exp 3 n 3; s1 exp 3 n 2 (p3 missed) -> 1; s2 exp 2 (p2 has
    left) n 2 -> 0; s3 exp 2 n 2 -> 0. MADRS arm B (p4 p5): s0 exp 2 n 2; s1-s3 exp 2 n 1
    -> 1 each. PHQ9 A: s0 exp 3 n 3; s3 exp 2 (p1 p3) n 1 -> 1. PHQ9 B: s0 and s3 exp 2 n 2.
    """
    rows = [
        ("p1", "A", "MADRS", [0, 1, 2, 3]),
        ("p1", "A", "PHQ9", [0, 3]),
        ("p2", "A", "MADRS", [0, 1]),
        ("p2", "A", "PHQ9", [0]),
        ("p3", "A", "MADRS", [0, 2, 3]),
        ("p3", "A", "PHQ9", [0]),
        ("p4", "B", "MADRS", [0, 1, 2, 3]),
        ("p4", "B", "PHQ9", [0, 3]),
        ("p5", "B", "MADRS", [0]),
        ("p5", "B", "PHQ9", [0, 3]),
    ]
    d = pd.DataFrame(
        [(p, a, s, t, 20.0) for p, a, s, ts in rows for t in ts],
        columns=["patient_id", "arm", "scale", "session", "score"],
    )
    t = by_session(d, by="arm")
    got = {
        (r.scale, r.arm, r.session): (r.n_expected, r.n, r.n_not_assessed) for r in t.itertuples()
    }
    assert got == {
        ("MADRS", "A", 0): (3, 3, 0),
        ("MADRS", "A", 1): (3, 2, 1),
        ("MADRS", "A", 2): (2, 2, 0),
        ("MADRS", "A", 3): (2, 2, 0),
        ("MADRS", "B", 0): (2, 2, 0),
        ("MADRS", "B", 1): (2, 1, 1),
        ("MADRS", "B", 2): (2, 1, 1),
        ("MADRS", "B", 3): (2, 1, 1),
        ("PHQ9", "A", 0): (3, 3, 0),
        ("PHQ9", "A", 3): (2, 1, 1),
        ("PHQ9", "B", 0): (2, 2, 0),
        ("PHQ9", "B", 3): (2, 2, 0),
    }
    # the scale restriction keeps the follow-up of every scale (p5 via PHQ9)
    m = by_session(d, by="arm", scale="MADRS")
    assert m.loc[(m["arm"] == "B") & (m["session"] == 3), "n_expected"].item() == 2
    # without a patient column the counts are unknown
    nop = by_session(d.drop(columns="patient_id"), by="arm")
    assert nop["n_expected"].isna().all() and nop["n_not_assessed"].isna().all()


@pytest.mark.parametrize("sess", [6, 13])
def test_by_session_not_assessed_sample_against_raw_csv(sess):
    """MADRS, route IV: patients with a scored row of any scale at `sess` or later, minus
    those with a MADRS score at `sess`, counted with plain pandas on the raw CSV."""
    path = "data/sample/cohort_long.csv"
    raw = pd.read_csv(path)
    scored = raw.loc[raw["score"].notna()]
    last = scored.groupby(["patient_id", "route"])["session"].max().reset_index()
    iv_followed = set(last.loc[(last["route"] == "IV") & (last["session"] >= sess), "patient_id"])
    madrs = scored.loc[(scored["scale"] == "MADRS") & (scored["session"] == sess)]
    seen = set(madrs.loc[madrs["route"] == "IV", "patient_id"])
    out = ka.derive(ka.read_scores(path))
    t = by_session(out, by="route", scale="MADRS")
    row = t.loc[(t["route"] == "IV") & (t["session"] == sess)]
    assert row["n_expected"].item() == len(iv_followed)
    assert row["n_not_assessed"].item() == len(iv_followed - seen)
