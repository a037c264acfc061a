"""Safety figures (ka.plots.vitals, cadss_course, ae_incidence): what they draw.

Every drawn number is compared with the statistics layer it comes from
(ka.stats.vitals_course, cadss_course, cadss_trend, ae_incidence) on the sample data
(data/sample/vitals.csv, adverse_events.csv, cohort_long.csv); the tolerance is 1e-12
(the figures draw the tables' values; only the dodge transform moves them on screen).
Layout checks (tests/plotcheck.py) run at Nature single-column size (89 mm).
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from plotcheck import assert_publication_ready, pdf_fonts_are_truetype, text_strings

import ketanalysis as ka
from ketanalysis import (
    SafetyThresholds,
    derive_safety,
    read_adverse_events,
    read_vitals,
)

SAMPLE = "data/sample/cohort_long.csv"
TOL = 1e-12


@pytest.fixture(scope="module")
def scores():
    return ka.read_scores(SAMPLE)


@pytest.fixture(scope="module")
def readings():
    return read_vitals("data/sample/vitals.csv")


@pytest.fixture(scope="module")
def events():
    return read_adverse_events("data/sample/adverse_events.csv")


@pytest.fixture(scope="module")
def safety(readings, events, scores):
    return derive_safety(readings, events, scores)


@pytest.fixture(scope="module")
def two_arms(readings, events):
    """The sample safety data with a two-level ``arm`` (alternate patients)."""
    ids = sorted(readings["patient_id"].unique())
    arm = {p: ("ketamine" if i % 2 == 0 else "midazolam") for i, p in enumerate(ids)}
    r = readings.assign(arm=readings["patient_id"].map(arm))
    return r, derive_safety(r, events)


@pytest.fixture(scope="module")
def trial():
    return ka.derive(ka.simulate_cohort(120, seed=3, arms=("ketamine", "midazolam")), scale="MADRS")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _nature(func, *args, **kwargs):
    with ka.plots.publication("nature", "single"):
        return func(*args, **kwargs)


def _line(ax, gid):
    found = [ln for ln in ax.lines if ln.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def _coll(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def _texts(ax, prefix):
    return {t.get_gid(): t.get_text() for t in ax.texts if str(t.get_gid()).startswith(prefix)}


def _count_rows(ax, labels):
    """Texts of the count table by row label (annotations below the axis, in x order)."""
    table = [t for t in ax.texts if t.xycoords != "axes fraction" and t.get_gid() is None]
    rows = {}
    for t in table:
        rows.setdefault(round(t.xyann[1], 6), []).append(t)
    out = [
        [t.get_text() for t in sorted(r, key=lambda t: t.xy[0])]
        for _, r in sorted(rows.items(), reverse=True)
    ]
    assert len(out) == len(labels)
    return dict(zip(labels, out, strict=True))


# ---------------------------------------------------------------------------------------
# vitals
# ---------------------------------------------------------------------------------------
def test_vitals_values_equal_vitals_course(readings):
    ax = _nature(ka.plots.vitals, readings, measure="sbp", by="route")
    tab = ka.stats.vitals_course(readings, measure="sbp", by="route")
    levels = sorted(tab["route"].unique())
    for i, level in enumerate(levels):
        part = tab[tab["route"] == level]
        xy = _line(ax, f"mean:sbp:{i}").get_xydata()
        np.testing.assert_allclose(xy[:, 1], part["mean"], rtol=0, atol=TOL)
        np.testing.assert_array_equal(xy[:, 0], np.arange(len(part)))
        segs = _coll(ax, f"ci:sbp:{i}").get_segments()
        np.testing.assert_allclose([s[0][1] for s in segs], part["ci_low"], rtol=0, atol=TOL)
        np.testing.assert_allclose([s[1][1] for s in segs], part["ci_high"], rtol=0, atol=TOL)
    assert list(tab["timepoint"].unique()) == ["pre", "peak", "post", "discharge"]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    minutes = tab.drop_duplicates("timepoint")["minutes"]
    assert ticks[0] == f"Pre-dose\n\u2212{abs(minutes.iloc[0]):.0f} min"
    assert ticks[1] == f"Peak\n{minutes.iloc[1]:.0f} min"
    assert ax.get_ylabel() == "Systolic blood pressure (mmHg)"
    # n per time point under the axis: patients per route
    rows = _count_rows(ax, levels)
    for level in levels:
        expected = [str(n) for n in tab.loc[tab["route"] == level, "n"]]
        assert rows[level] == expected
    assert [t.get_text() for t in ax.get_legend().get_texts()] == levels


def test_vitals_thresholds_drawn_and_labelled(readings, safety):
    ax = _nature(ka.plots.vitals, readings, measure=("sbp", "dbp"))
    limits = {
        c.get_gid(): c.get_segments()[0][0][1]
        for c in ax.collections
        if "limit" in str(c.get_gid())
    }
    assert limits == {
        "limit:pre:sbp": 140.0,
        "limit:post:sbp": 180.0,
        "limit:pre:dbp": 90.0,
        "limit:post:dbp": 110.0,
    }
    labels = _texts(ax, "limit_label")
    assert labels["limit_label:pre:sbp"] == "Pre-dose limit 140"
    assert labels["limit_label:post:dbp"] == "Post-dose limit 110"
    assert ax.get_ylabel() == "Blood pressure (mmHg)"
    # the pre-dose limit spans the pre-dose time point only
    pre = _coll(ax, "limit:pre:sbp").get_segments()[0]
    assert pre[0][0] < 0 < pre[1][0] < 1
    plt.close("all")
    # thresholds of the SafetyOutcomes, or given, or none
    custom = SafetyThresholds(post_sbp=160)
    ax = _nature(ka.plots.vitals, readings, thresholds=custom)
    assert _coll(ax, "limit:post:sbp").get_segments()[0][0][1] == 160.0
    plt.close("all")
    ax = _nature(ka.plots.vitals, readings, thresholds=False)
    assert not [c for c in ax.collections if "limit" in str(c.get_gid())]
    plt.close("all")
    ax = _nature(ka.plots.vitals, readings, measure="hr")
    assert not [c for c in ax.collections if "limit" in str(c.get_gid())]
    assert ax.get_ylabel() == "Heart rate (beats/min)"


def test_vitals_two_measures_values(readings):
    ax = _nature(ka.plots.vitals, readings, measure=("sbp", "dbp"), by=None)
    tab = ka.stats.vitals_course(readings, measure=["sbp", "dbp"])
    for m in ("sbp", "dbp"):
        y = _line(ax, f"mean:{m}:0").get_ydata()
        np.testing.assert_allclose(y, tab.loc[tab["measure"] == m, "mean"], rtol=0, atol=TOL)
    assert _line(ax, "mean:dbp:0").get_markerfacecolor() == "white"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Systolic", "Diastolic"]


def test_vitals_from_safety_outcomes(safety):
    ax = _nature(ka.plots.vitals, safety)
    tab = ka.stats.vitals_course(safety, by="route")
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Pre-dose",
        "Highest\nafter dose",
        "Discharge",
    ]
    for i, level in enumerate(sorted(tab["route"].unique())):
        y = _line(ax, f"mean:sbp:{i}").get_ydata()
        expected = tab.loc[tab["route"] == level, "mean"]
        np.testing.assert_allclose(y, expected, rtol=0, atol=TOL)
    # the highest post-dose value is the per-session column sbp_peak
    iv = safety.sessions[safety.sessions["route"] == "IV"]
    by_patient = iv.groupby("patient_id")["sbp_peak"].mean()
    assert tab.loc[(tab["route"] == "IV") & (tab["timepoint"] == "max_post"), "mean"].iloc[
        0
    ] == pytest.approx(by_patient.mean(), rel=1e-12)


def test_vitals_minutes_axis_and_session(readings):
    planned = readings.assign(
        minutes=readings["timepoint"].map({"pre": -10, "peak": 40, "post": 80, "discharge": 120})
    )
    ax = _nature(ka.plots.vitals, planned, time="minutes", by=None, at=[0, 2])
    tab = ka.stats.vitals_course(planned, time="minutes", at=[0, 2])
    xy = _line(ax, "mean:sbp:0").get_xydata()
    np.testing.assert_array_equal(xy[:, 0], [-10, 40, 80, 120])
    np.testing.assert_allclose(xy[:, 1], tab["mean"], rtol=0, atol=TOL)
    assert ax.get_xlabel() == "Minutes after dose"


def test_vitals_course_by_hand(readings):
    """vitals_course against a direct computation (pandas + scipy t quantile)."""
    from scipy import stats as st

    tab = ka.stats.vitals_course(readings, measure="hr", unit="reading", at=0)
    rows = readings[(readings["session"] == 0) & (readings["timepoint"] == "peak")]["hr"]
    row = tab[tab["timepoint"] == "peak"].iloc[0]
    n = len(rows)
    assert row["n"] == n
    assert row["mean"] == pytest.approx(rows.mean(), rel=1e-12)
    half = st.t.ppf(0.975, n - 1) * rows.std(ddof=1) / np.sqrt(n)
    assert row["ci_high"] - row["mean"] == pytest.approx(half, rel=1e-9)


# ---------------------------------------------------------------------------------------
# CADSS course
# ---------------------------------------------------------------------------------------
def test_cadss_course_values_equal_stats(safety):
    ax = _nature(ka.plots.cadss_course, safety, by="route", trend=True, max_time=6)
    tab = ka.stats.cadss_course(safety, by="route")
    levels = sorted(tab["route"].unique())
    for i, level in enumerate(levels):
        part = tab[tab["route"] == level]
        xy = _line(ax, f"mean:{i}").get_xydata()
        np.testing.assert_array_equal(xy[:, 0], part["infusion"])
        np.testing.assert_allclose(xy[:, 1], part["mean"], rtol=0, atol=TOL)
        segs = _coll(ax, f"ci:{i}").get_segments()
        ok = part["ci_low"].notna().to_numpy()
        np.testing.assert_allclose([s[0][1] for s in segs], part["ci_low"][ok], rtol=0, atol=TOL)
        np.testing.assert_allclose([s[1][1] for s in segs], part["ci_high"][ok], rtol=0, atol=TOL)
    rows = _count_rows(ax, levels)
    for level in levels:
        assert rows[level] == [str(n) for n in tab.loc[tab["route"] == level, "n"]]
    fit = ka.stats.cadss_trend(safety, by="route", max_time=6)
    texts = _texts(ax, "trend")
    assert texts["trend_header"] == "Ratio per infusion (95% CI, infusions \u2264 6)"
    for i, level in enumerate(levels):
        r = fit[fit["route"] == level].iloc[0]
        expected = f"{level}: {r['estimate']:.2f} ({r['ci_low']:.2f}\u2013{r['ci_high']:.2f})"
        assert texts[f"trend:{i}"] == expected
    assert ax.get_ylabel() == "Peak CADSS total score"
    assert ax.get_xlabel() == "Infusion"


def test_cadss_course_with_just_outcomes(scores):
    out = ka.derive(scores, scale="MADRS")
    ax = _nature(ka.plots.cadss_course, out)
    tab = ka.stats.cadss_course(scores)
    np.testing.assert_allclose(_line(ax, "mean:0").get_ydata(), tab["mean"], rtol=0, atol=TOL)
    assert _count_rows(ax, [""])[""] == [str(n) for n in tab["n"]]
    assert_publication_ready(ax.figure)


def test_cadss_course_two_arms_labels_colors(trial):
    ax = _nature(
        ka.plots.cadss_course,
        trial,
        by="arm",
        labels={"ketamine": "Ketamine", "midazolam": "Midazolam"},
        colors=["#D55E00", "#000000"],
        time="session",
    )
    tab = ka.stats.cadss_course(trial.validation.frame, by="arm", time="session")
    for i, arm in enumerate(("ketamine", "midazolam")):
        y = _line(ax, f"mean:{i}").get_ydata()
        np.testing.assert_allclose(y, tab.loc[tab["arm"] == arm, "mean"], rtol=0, atol=TOL)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Ketamine", "Midazolam"]
    assert _line(ax, "mean:0").get_color() == "#D55E00"
    assert _line(ax, "mean:1").get_color() == "#000000"
    assert _line(ax, "mean:0").get_marker() != _line(ax, "mean:1").get_marker()
    assert ax.get_xlabel() == "Session"
    assert_publication_ready(ax.figure)


# ---------------------------------------------------------------------------------------
# adverse events
# ---------------------------------------------------------------------------------------
def test_ae_incidence_values_equal_stats(safety):
    ax = _nature(ka.plots.ae_incidence, safety, by="route")
    tab = ka.stats.ae_incidence(safety, by="route")
    overall = ka.stats.ae_incidence(safety)
    terms = overall[overall["ae_term"] != "any adverse event"].sort_values(
        ["rate", "ae_term"], ascending=[False, True], kind="stable"
    )
    order = ["any adverse event", *terms["ae_term"]]
    shown = [t.get_text() for t in ax.get_yticklabels()]
    assert shown == [t[:1].upper() + t[1:] for t in order]
    assert shown[0] == "Any adverse event"
    for i, level in enumerate(sorted(tab["route"].unique())):
        part = tab[tab["route"] == level].set_index("ae_term").loc[order]
        xy = _line(ax, f"rate:{i}").get_xydata()
        np.testing.assert_allclose(xy[:, 0], 100 * part["rate"], rtol=0, atol=TOL)
        np.testing.assert_array_equal(xy[:, 1], np.arange(len(order)))
        segs = _coll(ax, f"ci:{i}").get_segments()
        np.testing.assert_allclose([s[0][0] for s in segs], 100 * part["ci_low"], atol=TOL)
        np.testing.assert_allclose([s[1][0] for s in segs], 100 * part["ci_high"], atol=TOL)
        counts = _texts(ax, f"count:{i}:")
        for term, row in part.iterrows():
            assert counts[f"count:{i}:{term}"] == f"{row['k']}/{row['n']}"
    assert ax.get_xlabel() == "Patients with the event (%)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["IM", "IV", "intranasal"]


def test_ae_incidence_top_per_session_and_suppression(safety):
    ax = _nature(ka.plots.ae_incidence, safety, unit="session", top=3, min_cell_size=10)
    tab = ka.stats.ae_incidence(safety, unit="session")
    assert len(ax.get_yticklabels()) == 4
    counts = _texts(ax, "count:0:")
    for term, row in tab.set_index("ae_term").iterrows():
        key = f"count:0:{term}"
        if key in counts:
            k = "<10" if 0 < row["k"] < 10 else str(row["k"])
            assert counts[key] == f"{k}/{row['n']}"
    assert ax.get_xlabel() == "Sessions with the event (%)"
    plt.close("all")
    ax = _nature(ka.plots.ae_incidence, safety, by="route", min_cell_size=5)
    texts = set(text_strings(ax.figure))
    assert "<5/23" in texts  # vomiting among IM patients: 3/23
    assert "3/23" not in texts


def test_ae_incidence_two_arms_labels_colors(two_arms):
    _, safe = two_arms
    ax = _nature(
        ka.plots.ae_incidence,
        safe,
        by="arm",
        labels=["Ketamine", "Midazolam"],
        colors={"ketamine": "#009E73", "midazolam": "#CC79A7"},
    )
    tab = ka.stats.ae_incidence(safe, by="arm")
    assert _line(ax, "rate:0").get_color() == "#009E73"
    assert _line(ax, "rate:1").get_color() == "#CC79A7"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Ketamine", "Midazolam"]
    any_rows = tab[tab["ae_term"] == "any adverse event"]
    assert _line(ax, "rate:1").get_xdata()[0] == pytest.approx(
        100 * any_rows["rate"].iloc[1], abs=TOL
    )
    assert_publication_ready(ax.figure)


def test_vitals_two_arms(two_arms):
    readings, _ = two_arms
    ax = _nature(ka.plots.vitals, readings, by="arm", colors=["#009E73", "#CC79A7"])
    tab = ka.stats.vitals_course(readings, by="arm")
    for i, arm in enumerate(("ketamine", "midazolam")):
        line = _line(ax, f"mean:sbp:{i}")
        assert line.get_color() == ["#009E73", "#CC79A7"][i]
        np.testing.assert_allclose(
            line.get_ydata(), tab.loc[tab["arm"] == arm, "mean"], rtol=0, atol=TOL
        )
    assert_publication_ready(ax.figure)


# ---------------------------------------------------------------------------------------
# layout, files, arguments
# ---------------------------------------------------------------------------------------
CASES = {
    "vitals_readings": ("vitals", "readings", {}),
    "vitals_bp_pair": ("vitals", "readings", {"measure": ("sbp", "dbp")}),
    "vitals_safety": ("vitals", "safety", {"measure": "dbp"}),
    "vitals_hr": ("vitals", "readings", {"measure": "hr", "by": None, "min_cell_size": 200}),
    "cadss": ("cadss_course", "safety", {}),
    "cadss_route_trend": ("cadss_course", "safety", {"by": "route", "trend": True}),
    "ae": ("ae_incidence", "safety", {}),
    "ae_route": ("ae_incidence", "safety", {"by": "route", "min_cell_size": 5}),
    "ae_session_route": ("ae_incidence", "safety", {"by": "route", "unit": "session"}),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(
    "journal", [("nature", "single"), ("nature", "double"), ("jama", "single")]
)
def test_publication_ready(case, journal, request):
    func, fixture, kwargs = CASES[case]
    with ka.plots.publication(*journal):
        ax = getattr(ka.plots, func)(request.getfixturevalue(fixture), **kwargs)
    fig = ax.figure
    assert_publication_ready(fig)
    ids = set(request.getfixturevalue("readings")["patient_id"])
    assert not set(text_strings(fig)) & ids, "a patient ID is printed"


def test_counts_suppressed_in_vitals_table(readings):
    ax = _nature(ka.plots.vitals, readings, by="route", min_cell_size=30)
    rows = _count_rows(ax, ["IM", "IV", "intranasal"])
    assert rows["IM"] == ["<30"] * 4
    assert rows["IV"] == ["96"] * 4


def test_save_figure(safety, readings, tmp_path):
    with ka.plots.publication("nature", "single"):
        figs = [
            ka.plots.vitals(readings).figure,
            ka.plots.cadss_course(safety, by="route").figure,
            ka.plots.ae_incidence(safety, by="route").figure,
        ]
    for i, fig in enumerate(figs):
        a = ka.plots.save_figure(fig, tmp_path / "a" / f"f{i}", formats=("pdf", "svg", "png"))
        b = ka.plots.save_figure(fig, tmp_path / "b" / f"f{i}", formats=("pdf", "svg", "png"))
        for p, q in zip(a, b, strict=True):
            assert p.read_bytes() == q.read_bytes()
        assert pdf_fonts_are_truetype(a[0])


def test_draws_into_given_axes(safety, readings):
    with ka.plots.publication("nature", "double"):
        fig, axes = plt.subplots(1, 3)
        assert ka.plots.vitals(readings, ax=axes[0]) is axes[0]
        assert ka.plots.cadss_course(safety, ax=axes[1]) is axes[1]
        assert ka.plots.ae_incidence(safety, ax=axes[2]) is axes[2]
    assert len(fig.axes) == 3


@pytest.mark.parametrize(
    ("func", "kwargs", "exc", "word"),
    [
        ("vitals", {"measure": "bp"}, ValueError, "measure"),
        ("vitals", {"measure": 3}, TypeError, "measure"),
        ("vitals", {"by": "nope"}, ValueError, "by"),
        ("vitals", {"by": ["route"]}, TypeError, "by"),
        ("vitals", {"at": 99}, ValueError, "at=99"),
        ("vitals", {"time": "hours"}, ValueError, "time"),
        ("vitals", {"unit": "visit"}, ValueError, "unit"),
        ("vitals", {"level": 1.5}, ValueError, "level"),
        ("vitals", {"level": 95}, ValueError, r"level .*0\.95"),
        ("vitals", {"thresholds": "high"}, TypeError, "thresholds"),
        ("vitals", {"n_table": "yes"}, TypeError, "n_table"),
        ("vitals", {"scale": "MADRS"}, ValueError, "scale"),
        ("vitals", {"labels": "IV"}, TypeError, "labels"),
        ("vitals", {"colors": ["red"]}, ValueError, "colors"),
        ("vitals", {"min_cell_size": 0}, ValueError, "min_cell_size"),
        ("vitals", {"ax": "axes"}, TypeError, "ax"),
        ("cadss_course", {"time": "day"}, ValueError, "time"),
        ("cadss_course", {"trend": "yes"}, TypeError, "trend"),
        ("cadss_course", {"scale": "MADRS"}, ValueError, "scale"),
        ("cadss_course", {"by": "nope"}, ValueError, "by"),
        ("cadss_course", {"min_cell_size": 2.5}, ValueError, "min_cell_size"),
        ("ae_incidence", {"unit": "visit"}, ValueError, "unit"),
        ("ae_incidence", {"top": 0}, ValueError, "top"),
        ("ae_incidence", {"top": "all"}, TypeError, "top"),
        ("ae_incidence", {"level": None}, ValueError, "level=None"),
        ("ae_incidence", {"level": 95}, ValueError, r"level .*0\.95"),
        ("cadss_course", {"level": 95}, ValueError, r"level .*0\.95"),
        ("ae_incidence", {"counts": 1}, TypeError, "counts"),
        ("ae_incidence", {"min_severity": "grave"}, ValueError, "min_severity"),
        ("ae_incidence", {"by": "nope"}, ValueError, "by"),
    ],
)
def test_bad_arguments(func, kwargs, exc, word, safety, readings):
    data = readings if func == "vitals" else safety
    with pytest.raises(exc, match=word):
        getattr(ka.plots, func)(data, **kwargs)


def test_bad_data():
    with pytest.raises(TypeError, match="data"):
        ka.plots.vitals([1, 2, 3])
    with pytest.raises(TypeError, match="data"):
        ka.plots.cadss_course("scores.csv")
    with pytest.raises(TypeError, match="data"):
        ka.plots.ae_incidence(None)
    no_cadss = derive_safety(read_vitals("data/sample/vitals.csv"))
    with pytest.raises(ValueError, match="CADSS"):
        ka.plots.cadss_course(no_cadss)
    with pytest.raises(ValueError, match="adverse"):
        ka.plots.ae_incidence(no_cadss)
    with pytest.raises(ValueError, match="time='minutes'"):
        ka.plots.vitals(no_cadss, time="minutes")
    frame = pd.DataFrame({"patient_id": ["a"], "session": [1], "timepoint": ["pre"], "hr": [70]})
    with pytest.raises(ValueError, match="measure"):
        ka.plots.vitals(frame, measure="sbp")
