"""ka.plots.swimmer, ka.plots.forest and ka.stats.subgroup_effects.

Swimmer lanes, ticks and markers are compared with the derived frames (``assessments``
days and ``patients`` event days: the plot draws them, nothing is estimated). Forest
estimates are compared with ``ka.stats.subgroup_effects``, which is checked against
independent values: counts by pandas groupby, Wilson intervals by
``statsmodels.stats.proportion.proportion_confint(method="wilson")`` and Newcombe's
method 10 written out from those (Newcombe RG. Stat Med 1998;17:873-890, whose Table II
example 56/70 vs 48/80 = 0.2000 (0.0524 to 0.3339) is checked too). Tolerance 1e-12
(the same floating-point operations) unless stated.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from plotcheck import assert_publication_ready, pdf_fonts_are_truetype, text_strings
from statsmodels.stats.proportion import proportion_confint

import ketanalysis as ka

SAMPLE = "data/sample/cohort_long.csv"


@pytest.fixture(scope="module")
def out():
    return ka.derive(ka.read_scores(SAMPLE), scale="MADRS")


@pytest.fixture(scope="module")
def two():
    return ka.derive(ka.simulate_cohort(120, seed=3, arms=("ketamine", "midazolam")), scale="MADRS")


@pytest.fixture(autouse=True)
def _nature_single():
    with ka.plots.publication("nature", "single"):
        yield
    plt.close("all")


def _gid(ax, prefix):
    return [a for a in ax.get_children() if str(a.get_gid()).startswith(prefix)]


def _all_texts(fig):
    """Every text string of the figure, visible or not, legends included."""
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


# =======================================================================================
# swimmer
# =======================================================================================
def _lane_signatures(ax):
    """Per lane (by y): start, end, assessment days, response, remission, relapse day."""
    lanes = {}
    for p in _gid(ax, "lane") + _gid(ax, "maintenance"):
        y = p.get_y() + p.get_height() / 2
        x0, x1 = p.get_x(), p.get_x() + p.get_width()
        s, e = lanes.get(y, (np.inf, -np.inf))
        lanes[y] = (min(s, x0), max(e, x1))
    days = {y: [] for y in lanes}
    for line in _gid(ax, "sessions"):
        for x, y in line.get_xydata():
            days[y].append(x)
    events = {name: {} for name in ("response", "remission", "relapse")}
    for name in events:
        for line in _gid(ax, f"event:{name}"):
            for x, y in line.get_xydata():
                events[name][y] = x
    sig = []
    for y, (s, e) in lanes.items():
        sig.append(
            (
                round(s, 9),
                round(e, 9),
                tuple(sorted(days[y])),
                *(events[n].get(y, np.nan) for n in ("response", "remission", "relapse")),
            )
        )
    return sig


def _data_signatures(out):
    a = out.assessments
    p = out.patients.set_index("patient_id")
    sig = []
    for pid, g in a.groupby("patient_id"):
        d = g["day"].to_numpy(dtype=float)
        sig.append(
            (
                round(d.min(), 9),
                round(d.max(), 9),
                tuple(sorted(d)),
                float(p.loc[pid, "first_response_day"]),
                float(p.loc[pid, "first_remission_day"]),
                float(p.loc[pid, "relapse_day"]),
            )
        )
    return sig


def _key(sig):
    return tuple(-1.0 if isinstance(v, float) and np.isnan(v) else v for v in sig)


def test_swimmer_lanes_sessions_and_events_equal_derived_frames(out):
    ax = ka.plots.swimmer(out, max_patients=500)
    drawn = sorted(map(_key, _lane_signatures(ax)))
    expected = sorted(map(_key, _data_signatures(out)))
    assert len(drawn) == out.patients.shape[0] == 150
    assert drawn == expected


def test_swimmer_sample_is_seeded_and_noted(out):
    ax = ka.plots.swimmer(out)
    assert len({p.get_y() for p in _gid(ax, "lane")}) == 60
    assert ax.get_ylabel().replace("\n", " ") == "Patient (random 60 of 150)"
    a = sorted(map(_key, _lane_signatures(ax)))
    b = sorted(map(_key, _lane_signatures(ka.plots.swimmer(out, seed=0))))
    c = sorted(map(_key, _lane_signatures(ka.plots.swimmer(out, seed=1))))
    assert a == b and a != c
    assert set(a) <= set(map(_key, _data_signatures(out)))
    ax = ka.plots.swimmer(out, max_patients=150)
    assert ax.get_ylabel() == "Patient (n = 150)"


def test_swimmer_sorted_by_duration_and_numbered(out):
    ax = ka.plots.swimmer(out, max_patients=30, sort="duration")
    spans = {}
    for p in _gid(ax, "lane") + _gid(ax, "maintenance"):
        y = p.get_y() + p.get_height() / 2
        s, e = spans.get(y, (np.inf, -np.inf))
        spans[y] = (min(s, p.get_x()), max(e, p.get_x() + p.get_width()))
    dur = [spans[y][1] - spans[y][0] for y in sorted(spans)]
    assert dur == sorted(dur, reverse=True)
    assert sorted(spans) == list(np.arange(1.0, 31.0))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "1" and all(s.isdigit() for s in labels)


def test_swimmer_never_shows_patient_ids(out):
    ids = set(out.patients["patient_id"])
    for kwargs in ({}, {"by": "route"}, {"max_patients": 150, "sort": "response"}):
        ax = ka.plots.swimmer(out, **kwargs)
        for text in _all_texts(ax.figure):
            assert not any(pid in text for pid in ids), text


def test_swimmer_maintenance_from_phase(out):
    ax = ka.plots.swimmer(out, max_patients=500)
    a = out.assessments
    starts = a.loc[a["phase"] == "maintenance"].groupby("patient_id")["day"].min()
    drawn = sorted(p.get_x() for p in _gid(ax, "maintenance"))
    assert drawn == sorted(starts.to_numpy(dtype=float).tolist())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Maintenance" in legend and "Induction" in legend
    none = ka.plots.swimmer(out, maintenance=None)
    assert not _gid(none, "maintenance")


def test_swimmer_axis_compressed_with_break_or_linear(out):
    ax = ka.plots.swimmer(out)
    assert ax.get_xscale() == "function"
    assert _gid(ax, "break")
    assert ax.get_xlabel() == "Days since first infusion"
    lin = ka.plots.swimmer(out, compress=False)
    assert lin.get_xscale() == "linear" and not _gid(lin, "break")
    ses = ka.plots.swimmer(out, x="session", max_patients=500)
    assert ses.get_xlabel() == "Session"
    ends = sorted(x for line in _gid(ses, "event:response") for x, _ in line.get_xydata())
    expected = out.patients["first_response_session"].dropna().astype(float).sort_values()
    assert ends == expected.tolist()


def test_swimmer_by_groups_labels_colors(two):
    ax = ka.plots.swimmer(
        two,
        by="arm",
        labels={"ketamine": "Ketamine", "midazolam": "Midazolam"},
        colors={"ketamine": "#112233", "midazolam": "#AA5500"},
    )
    lanes = sorted(_gid(ax, "lane"), key=lambda p: p.get_y())
    colours = [to_hex(p.get_facecolor()) for p in lanes]
    # lanes of one arm are contiguous, first arm on top
    first = colours.index("#aa5500")
    assert set(colours[:first]) == {"#112233"} and set(colours[first:]) == {"#aa5500"}
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"Ketamine ({first})" in legend
    assert f"Midazolam ({len(lanes) - first})" in legend


def test_swimmer_min_cell_size(out):
    ax = ka.plots.swimmer(out, by="route", max_patients=40, min_cell_size=10)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(s.endswith("(<10)") for s in legend)
    for s in legend:
        if "(" in s:
            k = s[s.rindex("(") + 1 : -1]
            assert k == "<10" or int(k) >= 10 or k == "0"


@pytest.mark.parametrize(
    ("kwargs", "exc", "word"),
    [
        ({"max_patients": 0}, ValueError, "max_patients"),
        ({"max_patients": 2.5}, TypeError, "max_patients"),
        ({"sort": "id"}, ValueError, "sort"),
        ({"seed": "a"}, TypeError, "seed"),
        ({"x": "week"}, ValueError, "x"),
        ({"maintenance": "later"}, ValueError, "maintenance"),
        ({"by": "nope"}, ValueError, "by"),
        ({"min_cell_size": -1}, ValueError, "min_cell_size"),
        ({"compress": "yes"}, TypeError, "compress"),
    ],
)
def test_swimmer_bad_arguments(out, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        ka.plots.swimmer(out, **kwargs)


def test_swimmer_needs_outcomes(out):
    with pytest.raises(TypeError, match="data"):
        ka.plots.swimmer(out.assessments)


# =======================================================================================
# subgroup_effects (statistics)
# =======================================================================================
def test_subgroup_rates_against_groupby_and_statsmodels(out):
    tab = ka.stats.subgroup_effects(out, subgroups=["route", "sex"])
    p = out.patients
    y = p["ever_response"].astype(bool)
    assert tab.iloc[0][["subgroup", "label"]].tolist() == ["Overall", "Overall"]
    assert tab.iloc[0]["k"] == y.sum() and tab.iloc[0]["n"] == len(y)
    for _, row in tab.iloc[1:].iterrows():
        sel = (p[row["subgroup"]] == row["level"]).to_numpy()
        k, n = int(y[sel].sum()), int(sel.sum())
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert (row["k"], row["n"]) == (k, n)
        assert row["estimate"] == pytest.approx(k / n, abs=1e-12)
        assert row["ci_low"] == pytest.approx(lo, abs=1e-12)
        assert row["ci_high"] == pytest.approx(hi, abs=1e-12)
    assert tab["label"].tolist() == ["Overall", "IM", "IV", "intranasal", "F", "M"]


def _newcombe(k1, n1, k2, n2):
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = proportion_confint(k1, n1, alpha=0.05, method="wilson")
    l2, u2 = proportion_confint(k2, n2, alpha=0.05, method="wilson")
    d = p1 - p2
    return (
        d,
        d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


def test_newcombe_formula_reproduces_table_ii():
    # Newcombe 1998, Table II, example (a): 56/70 - 48/80 = 0.2000 (0.0524, 0.3339)
    d, lo, hi = _newcombe(56, 70, 48, 80)
    assert (round(d, 4), round(lo, 4), round(hi, 4)) == (0.2, 0.0524, 0.3339)


def test_subgroup_differences_against_newcombe(two):
    tab = ka.stats.subgroup_effects(two, by="arm")
    p = two.patients
    y = p["ever_response"].astype(bool)
    assert tab["measure"].eq("difference").all()
    assert (tab["group1"] == "ketamine").all() and (tab["group2"] == "midazolam").all()
    overall = ka.stats.rate_difference(two, by="arm")
    for c in ("estimate", "ci_low", "ci_high", "n"):
        assert tab.iloc[0][c] == overall.iloc[0][c]
    for _, row in tab.iloc[1:].iterrows():
        sel = (p[row["subgroup"]] == row["level"]).to_numpy()
        a = sel & (p["arm"] == "ketamine").to_numpy()
        b = sel & (p["arm"] == "midazolam").to_numpy()
        assert (row["k1"], row["n1"], row["k2"], row["n2"]) == (
            y[a].sum(),
            a.sum(),
            y[b].sum(),
            b.sum(),
        )
        if b.sum() == 0:  # midazolam is IV only in simulate_cohort
            assert np.isnan(row["estimate"]) and np.isnan(row["ci_low"])
            continue
        d, lo, hi = _newcombe(y[a].sum(), a.sum(), y[b].sum(), b.sum())
        assert row["estimate"] == pytest.approx(d, abs=1e-12)
        assert row["ci_low"] == pytest.approx(lo, abs=1e-12)
        assert row["ci_high"] == pytest.approx(hi, abs=1e-12)


def test_subgroup_bins_and_per_arm_rates(out, two):
    tab = ka.stats.subgroup_effects(out, subgroups=["age"], bins={"age": [18, 40, 65, 100]})
    cut = pd.cut(out.patients["age"], [18, 40, 65, 100], right=False)
    assert tab["label"].tolist()[1:] == ["18 to <40", "40 to <65", "65 to <100"]
    assert tab["n"].tolist()[1:] == cut.value_counts(sort=False).tolist()
    arm = ka.stats.subgroup_effects(two, subgroups="sex", by="arm", measure="rate")
    r = ka.stats.rates(two, by=["sex", "arm"])
    got = arm.iloc[2:][["label", "arm", "k", "n", "estimate"]].to_numpy().tolist()
    assert got == r[["sex", "arm", "k", "n", "rate"]].to_numpy().tolist()


@pytest.mark.parametrize(
    ("kwargs", "exc", "word"),
    [
        ({"subgroups": ["nope"]}, ValueError, "subgroups"),
        ({"subgroups": [1]}, TypeError, "subgroups"),
        ({"measure": "odds"}, ValueError, "measure"),
        ({"measure": "difference"}, ValueError, "by"),
        ({"bins": {"age": [40, 18]}, "subgroups": ["age"]}, ValueError, "bins"),
        ({"bins": {"age": [18, 40]}}, ValueError, "bins"),
        ({"bins": [18, 40], "subgroups": ["age"]}, TypeError, "bins"),
        ({"by": "route"}, ValueError, "by"),
        ({"level": 2}, ValueError, "level"),
        ({"outcome": "happiness"}, ValueError, "outcome"),
    ],
)
def test_subgroup_effects_bad_arguments(out, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        ka.stats.subgroup_effects(out, **kwargs)


# =======================================================================================
# forest
# =======================================================================================
def _forest_points(ax, kind, i=0):
    lines = _gid(ax, f"{kind}:{i}")
    return lines[0].get_xydata() if lines else np.empty((0, 2))


def _forest_ci(ax, kind, i=0):
    (coll,) = _gid(ax, f"ci:{kind}:{i}")
    return np.array([[seg[0][0], seg[1][0], seg[0][1]] for seg in coll.get_segments()])


def test_forest_rates_equal_subgroup_effects(out):
    ax = ka.plots.forest(out)
    tab = ka.stats.subgroup_effects(out)
    ov, lv = tab.iloc[:1], tab.iloc[1:]
    np.testing.assert_array_equal(_forest_points(ax, "overall")[:, 0], ov["estimate"])
    np.testing.assert_array_equal(_forest_points(ax, "estimates")[:, 0], lv["estimate"])
    ci = _forest_ci(ax, "estimates")
    np.testing.assert_array_equal(ci[:, 0], lv["ci_low"])
    np.testing.assert_array_equal(ci[:, 1], lv["ci_high"])
    # the reference line is the overall rate
    (ref,) = _gid(ax, "reference")
    assert ref.get_xdata()[0] == ov["estimate"].iloc[0]
    texts = text_strings(ax.figure)
    for n in tab["n"]:
        assert str(n) in texts
    assert "55 (47\u201363)" in texts  # 83/150 = 0.553 (0.473 to 0.631)
    for heading in ("Overall", "Route", "Sex", "IM", "IV", "intranasal", "F", "M"):
        assert heading in texts
    assert ax.get_xlabel() == "Patients with MADRS response (%)"


def test_forest_rows_in_order_overall_first(out):
    ax = ka.plots.forest(out, subgroups=("sex", "route"))
    ys = _forest_points(ax, "estimates")[:, 1]
    assert _forest_points(ax, "overall")[0, 1] < ys.min()
    assert list(ys) == sorted(ys)


def test_forest_differences_with_two_arms(two):
    ax = ka.plots.forest(two, by="arm")
    tab = ka.stats.subgroup_effects(two, by="arm")
    lv = tab.iloc[1:]
    ok = lv["estimate"].notna()
    np.testing.assert_array_equal(_forest_points(ax, "estimates")[:, 0], lv.loc[ok, "estimate"])
    np.testing.assert_array_equal(_forest_ci(ax, "estimates")[:, 0], lv.loc[ok, "ci_low"])
    (ref,) = _gid(ax, "reference")
    assert ref.get_xdata()[0] == 0
    texts = text_strings(ax.figure)
    assert texts.count("NA") == int((~ok).sum()) == 2
    assert "42 (24 to 56)" in texts
    assert ax.get_xlabel().replace("\n", " ") == (
        "Difference in MADRS response, ketamine \u2212 midazolam (percentage points)"
    )


def test_forest_per_arm_rates_labels_colors(two):
    ax = ka.plots.forest(
        two,
        by="arm",
        measure="rate",
        labels=["Ketamine", "Midazolam"],
        colors={"ketamine": "#112233", "midazolam": "#AA5500"},
    )
    tab = ka.stats.subgroup_effects(two, by="arm", measure="rate")
    for i, arm in enumerate(("ketamine", "midazolam")):
        rows = tab.loc[(tab["arm"] == arm) & (tab["subgroup"] != "Overall")]
        np.testing.assert_array_equal(_forest_points(ax, "estimates", i)[:, 0], rows["estimate"])
        (line,) = _gid(ax, f"estimates:{i}")
        assert to_hex(line.get_color()) == ["#112233", "#aa5500"][i]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Ketamine", "Midazolam"]
    assert "12 / 0" in text_strings(ax.figure)  # IM: ketamine only


def test_forest_tidy_table_drawn_as_given():
    table = pd.DataFrame(
        {
            "subgroup": ["Overall", "Route", "Route"],
            "level": [None, "IV", "IM"],
            "label": ["All", "IV", "IM"],
            "estimate": [0.61, 0.72, 0.35],
            "ci_low": [0.40, 0.45, -0.05],
            "ci_high": [0.82, 0.99, 0.75],
            "n": [120, 80, 40],
        }
    )
    ax = ka.plots.forest(table, xlabel="Hedges' g, MADRS change", reference=0)
    np.testing.assert_array_equal(_forest_points(ax, "overall")[:, 0], [0.61])
    np.testing.assert_array_equal(_forest_points(ax, "estimates")[:, 0], [0.72, 0.35])
    texts = text_strings(ax.figure)
    assert "0.72 (0.45 to 0.99)" in texts
    assert "0.35 (\u22120.05 to 0.75)" in texts
    assert ax.get_xlabel() == "Hedges' g, MADRS change"
    assert _gid(ax, "reference")[0].get_xdata()[0] == 0
    assert_publication_ready(ax.figure)
    no_ref = ka.plots.forest(table.drop(columns="subgroup"))
    assert not _gid(no_ref, "reference")


def test_forest_min_cell_size(two):
    ax = ka.plots.forest(two, by="arm", min_cell_size=15)
    texts = text_strings(ax.figure)
    assert "<15" in texts  # IM (12) and intranasal (10)
    assert "12" not in texts and "10" not in texts


def test_forest_bins(out):
    ax = ka.plots.forest(out, subgroups=("age",), bins={"age": [18, 40, 65, 100]})
    texts = text_strings(ax.figure)
    assert {"Age", "18 to <40", "40 to <65", "65 to <100"} <= set(texts)


@pytest.mark.parametrize(
    ("kwargs", "exc", "word"),
    [
        ({"subgroups": ["nope"]}, ValueError, "subgroups"),
        ({"measure": "odds"}, ValueError, "measure"),
        ({"reference": "overall"}, ValueError, "reference"),
        ({"reference": [1]}, TypeError, "reference"),
        ({"estimates": 1}, TypeError, "estimates"),
        ({"percent": "yes"}, TypeError, "percent"),
        ({"min_cell_size": 1.5}, ValueError, "min_cell_size"),
        ({"by": ["arm"]}, ValueError, "by"),
        ({"subgroup_labels": ["Route"]}, TypeError, "subgroup_labels"),
    ],
)
def test_forest_bad_arguments(out, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        ka.plots.forest(out, **kwargs)


def test_forest_bad_data():
    with pytest.raises(TypeError, match="data"):
        ka.plots.forest("table")
    with pytest.raises(ValueError, match="label"):
        ka.plots.forest(pd.DataFrame({"estimate": [1.0], "ci_low": [0.0], "ci_high": [2.0]}))


# =======================================================================================
# publication readiness and files
# =======================================================================================
@pytest.mark.parametrize(
    ("fn", "data", "kwargs"),
    [
        ("swimmer", "out", {}),
        ("swimmer", "out", {"by": "route", "max_patients": 40}),
        ("swimmer", "two", {"by": "arm"}),
        ("swimmer", "out", {"x": "session"}),
        ("forest", "out", {}),
        (
            "forest",
            "out",
            {"subgroups": ("route", "sex", "age"), "bins": {"age": [18, 40, 65, 100]}},
        ),
        ("forest", "two", {"by": "arm"}),
        ("forest", "two", {"by": "arm", "measure": "rate"}),
        ("forest", "out", {"outcome": "remission", "min_cell_size": 11}),
    ],
)
def test_publication_ready(request, fn, data, kwargs):
    ax = getattr(ka.plots, fn)(request.getfixturevalue(data), **kwargs)
    assert_publication_ready(ax.figure)


@pytest.mark.parametrize(("journal", "width"), [("nature", "double"), ("jama", "single")])
@pytest.mark.parametrize("fn", ["swimmer", "forest"])
def test_publication_ready_other_sizes(out, fn, journal, width):
    with ka.plots.publication(journal, width):
        ax = getattr(ka.plots, fn)(out, by="route") if fn == "swimmer" else ka.plots.forest(out)
    assert_publication_ready(ax.figure)


def test_save_figure(out, tmp_path):
    for fn in ("swimmer", "forest"):
        ax = getattr(ka.plots, fn)(out)
        paths = ka.plots.save_figure(ax.figure, tmp_path / fn, formats=("pdf", "svg", "png"))
        assert all(p.stat().st_size > 0 for p in paths)
        assert pdf_fonts_are_truetype(paths[0])


def test_figures_callable_after_importing_every_plot_module(out):
    # importing a figure module directly (as --doctest-modules does) must not shadow a
    # figure function of the same name in ka.plots
    import importlib

    for module in set(ka.plots._FIGURES.values()):
        importlib.import_module(f"ketanalysis.plots.{module}")
    assert set(ka.plots._FIGURES) <= set(ka.plots.__all__)
    for name in ka.plots._FIGURES:
        assert callable(getattr(ka.plots, name)) and not isinstance(
            getattr(ka.plots, name), type(importlib)
        ), name
    assert isinstance(ka.plots.forest(out), matplotlib.axes.Axes)
    assert isinstance(ka.plots.swimmer(out), matplotlib.axes.Axes)
