"""ka.plots.kaplan_meier: what is drawn equals ka.stats.kaplan_meier / logrank (docs/architecture.md §8).

Every expected number comes from the statistics layer (``ka.stats.kaplan_meier``, its
``at_risk`` and ``median``, ``ka.stats.logrank``), which tests/test_stats_survival.py checks
against R survival; here drawn values must equal them exactly (they are the same floats).
Figures are drawn at Nature single-column size under the Agg backend.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex
from plotcheck import assert_publication_ready, pdf_fonts_are_truetype, text_strings

import ketanalysis as ka
from ketanalysis.plots import grouping
from ketanalysis.plots.annotate import format_p

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


def _by_gid(ax, prefix):
    return {a.get_gid(): a for a in ax.get_children() if str(a.get_gid()).startswith(prefix)}


def _group_parts(km, by):
    for _, g in km.groups.iterrows():
        level = g[by] if by else None
        tab = km.table if by is None else km.table.loc[km.table[by] == level]
        yield level, tab


# ---------------------------------------------------------------------------------------
# drawn values equal the statistics layer
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("event", "by", "cumulative"),
    [("response", "route", True), ("relapse", "sex", False), ("remission", None, True)],
)
def test_curves_equal_kaplan_meier_table(out, event, by, cumulative):
    ax = ka.plots.kaplan_meier(out, event=event, by=by)
    km = ka.stats.kaplan_meier(out, event=event, by=by)
    curves = _by_gid(ax, "curve:")
    assert len(curves) == len(km.groups)
    for i, (_, tab) in enumerate(_group_parts(km, by)):
        xy = curves[f"curve:{i}"].get_xydata()
        s = tab["survival"].to_numpy()
        expected_y = 1 - np.r_[1.0, s] if cumulative else np.r_[1.0, s]
        np.testing.assert_array_equal(xy[:, 0], np.r_[0.0, tab["time"].to_numpy()])
        np.testing.assert_array_equal(xy[:, 1], expected_y)
        assert curves[f"curve:{i}"].get_drawstyle() == "steps-post"


def test_censoring_marks_at_censored_times(out):
    ax = ka.plots.kaplan_meier(out, event="relapse", by="sex")
    km = ka.stats.kaplan_meier(out, event="relapse", by="sex")
    marks = _by_gid(ax, "censored:")
    for i, (_, tab) in enumerate(_group_parts(km, "sex")):
        cens = tab.loc[tab["n_censored"] > 0]
        xy = marks[f"censored:{i}"].get_xydata()
        np.testing.assert_array_equal(xy[:, 0], cens["time"].to_numpy())
        np.testing.assert_array_equal(xy[:, 1], cens["survival"].to_numpy())
        assert marks[f"censored:{i}"].get_marker() == "|"


def test_confidence_band_vertices_are_the_interval(out):
    ax = ka.plots.kaplan_meier(out, event="response", ci=True)
    km = ka.stats.kaplan_meier(out, event="response")
    (band,) = _by_gid(ax, "ci:").values()
    verts = np.concatenate([p.vertices for p in band.get_paths()])
    expected = np.r_[1 - km.table["ci_low"].to_numpy(), 1 - km.table["ci_high"].to_numpy()]
    expected = expected[np.isfinite(expected)]
    assert np.isin(expected, verts[:, 1]).all()


def test_ci_default_only_with_at_most_two_curves(out, two):
    assert _by_gid(ka.plots.kaplan_meier(two, event="response", by="arm"), "ci:")
    assert not _by_gid(ka.plots.kaplan_meier(out, event="response", by="route"), "ci:")
    assert not _by_gid(ka.plots.kaplan_meier(out, event="response", ci=False), "ci:")


def _risk_texts(ax):
    """(x, text, colour) of the risk-table counts: annotations placed on the x-axis."""
    rows = []
    for t in ax.texts:
        if isinstance(t, matplotlib.text.Annotation) and not isinstance(t.xycoords, str):
            rows.append((t.xy[0], t.get_text(), to_hex(t.get_color())))
    return rows


@pytest.mark.parametrize(
    ("data", "event", "by"), [("out", "response", "route"), ("two", "relapse", "arm")]
)
def test_at_risk_counts_at_tick_positions(request, data, event, by):
    data = request.getfixturevalue(data)
    ax = ka.plots.kaplan_meier(data, event=event, by=by)
    km = ka.stats.kaplan_meier(data, event=event, by=by)
    ticks = ax.get_xticks()
    lo, hi = ax.get_xlim()
    ticks = ticks[(ticks >= lo) & (ticks <= hi)]
    table = km.at_risk(ticks)
    drawn = _risk_texts(ax)
    assert sorted({x for x, _, _ in drawn}) == sorted(ticks.tolist())
    groups = grouping.groups(km.groups, by)
    for g in groups:
        expected = table.loc[table[by] == g.level, ["time", "n_at_risk"]]
        got = sorted((x, s) for x, s, col in drawn if col == to_hex(g.color))
        assert got == [(float(t), str(int(n))) for t, n in expected.to_numpy()]


def test_logrank_p_in_legend_title(out):
    ax = ka.plots.kaplan_meier(out, event="response", by="route")
    p = ka.stats.logrank(out, event="response", by="route")["p_value"].iloc[0]
    assert ax.get_legend().get_title().get_text() == "Log-rank " + format_p(p)
    ax1 = ka.plots.kaplan_meier(out, event="response", by="route", logrank=False)
    assert ax1.get_legend().get_title().get_text() == ""


def test_median_lines_and_legend(out):
    ax = ka.plots.kaplan_meier(out, event="response", by="route")
    km = ka.stats.kaplan_meier(out, event="response", by="route")
    med = km.median
    lines = _by_gid(ax, "median:")
    groups = grouping.groups(km.groups, "route")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for g in groups:
        m = float(med.loc[med["route"] == g.level, "estimate"].iloc[0])
        n = int(km.groups.loc[km.groups["route"] == g.level, "n"].iloc[0])
        if np.isfinite(m):
            xy = lines[f"median:{g.index}"].get_xydata()
            np.testing.assert_array_equal(xy, [[0.0, 0.5], [m, 0.5], [m, 0.0]])
            assert f"{g.label} (n = {n}; median {m:g} days)" in legend
        else:
            assert f"median:{g.index}" not in lines
            assert f"{g.label} (n = {n}; median not reached)" in legend


# ---------------------------------------------------------------------------------------
# labels, axes, groups
# ---------------------------------------------------------------------------------------
def test_axis_labels_name_scale_unit_and_origin(out):
    ax = ka.plots.kaplan_meier(out, event="response")
    assert ax.get_xlabel() == "Days since first infusion"
    assert ax.get_ylabel().replace("\n", " ") == "Patients with MADRS response (%)"
    ax = ka.plots.kaplan_meier(out, event="relapse")
    assert ax.get_xlabel() == "Days since response"
    assert ax.get_ylabel().replace("\n", " ") == "Patients free of MADRS relapse (%)"
    anchored = ka.derive(
        ka.read_scores(SAMPLE), scale="MADRS", relapse=ka.criteria.Relapse(anchor=7)
    )
    assert ka.plots.kaplan_meier(anchored, event="relapse").get_xlabel() == "Days since session 7"
    frame = out.patients
    ax = ka.plots.kaplan_meier(frame, event="relapse")
    assert ax.get_xlabel() == "Time since response or remission (relapse entry)"


def test_works_with_outcomes_only_and_patients_frame(out):
    ax = ka.plots.kaplan_meier(out, event="response")
    assert isinstance(ax, matplotlib.axes.Axes)
    ax2 = ka.plots.kaplan_meier(out.patients, event="response")
    np.testing.assert_array_equal(
        _by_gid(ax, "curve:")["curve:0"].get_xydata(),
        _by_gid(ax2, "curve:")["curve:0"].get_xydata(),
    )


def test_given_axes_is_used(out):
    fig, ax = plt.subplots()
    assert ka.plots.kaplan_meier(out, event="relapse", ax=ax) is ax


def test_two_arms_labels_and_colors(two):
    ax = ka.plots.kaplan_meier(
        two,
        event="response",
        by="arm",
        labels={"ketamine": "Ketamine", "midazolam": "Midazolam"},
        colors=["#112233", "#445566"],
    )
    curves = _by_gid(ax, "curve:")
    assert to_hex(curves["curve:0"].get_color()) == "#112233"
    assert to_hex(curves["curve:1"].get_color()) == "#445566"
    assert curves["curve:0"].get_linestyle() != curves["curve:1"].get_linestyle()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("Ketamine (n = 60") and legend[1].startswith("Midazolam (n = 60")
    assert "Ketamine" in text_strings(ax.figure) and "Midazolam" in text_strings(ax.figure)


def test_min_cell_size_suppresses_small_counts(out):
    ax = ka.plots.kaplan_meier(out, event="response", by="route", min_cell_size=10)
    counts = [s for _, s, _ in _risk_texts(ax)]
    assert "<10" in counts
    for s in counts:
        assert s == "<10" or s == "0" or int(s) >= 10
    km = ka.stats.kaplan_meier(out, event="response", by="route")
    small = km.at_risk(ax.get_xticks()[ax.get_xticks() <= ax.get_xlim()[1]])
    assert ((small["n_at_risk"] > 0) & (small["n_at_risk"] < 10)).any()


def test_max_time_and_times(out):
    km = ka.stats.kaplan_meier(out, event="relapse")
    ax = ka.plots.kaplan_meier(out, event="relapse", max_time=None)
    assert ax.get_xlim()[1] == pytest.approx(1.02 * km.groups["max_time"].max())
    ax = ka.plots.kaplan_meier(out, event="relapse", times=[0, 30, 60, 90])
    assert ax.get_xticks().tolist() == [0, 30, 60, 90]
    assert sorted({x for x, _, _ in _risk_texts(ax)}) == [0, 30, 60, 90]
    # "auto": the last time at which at least 10 % of the patients are still at risk
    km = ka.stats.kaplan_meier(out, event="response")
    times = np.unique(km.table["time"])
    ar = km.at_risk(times)["n_at_risk"].to_numpy()
    last = times[ar >= 0.1 * km.groups["n"].sum()].max()
    ax = ka.plots.kaplan_meier(out, event="response")
    assert ax.get_xlim()[1] == pytest.approx(1.02 * max(last, ax.get_xticks()[-1]))


@pytest.mark.parametrize(
    ("kwargs", "exc", "word"),
    [
        ({"event": "death"}, ValueError, "event"),
        ({"by": ["route", "sex"]}, ValueError, "by"),
        ({"by": "nope"}, ValueError, "by"),
        ({"min_cell_size": 0}, ValueError, "min_cell_size"),
        ({"ci": "yes"}, TypeError, "ci"),
        ({"cumulative": 1}, TypeError, "cumulative"),
        ({"max_time": -5}, ValueError, "max_time"),
        ({"max_time": "all"}, ValueError, "max_time"),
        ({"times": [30, 10]}, ValueError, "times"),
        ({"labels": ["a", "b"], "by": "route"}, ValueError, "labels"),
        ({"scale": "HAMD17"}, ValueError, "scale"),
    ],
)
def test_bad_arguments(out, kwargs, exc, word):
    with pytest.raises(exc, match=word):
        ka.plots.kaplan_meier(out, **kwargs)


def test_bad_data_type():
    with pytest.raises(TypeError, match="data"):
        ka.plots.kaplan_meier([1, 2, 3])


# ---------------------------------------------------------------------------------------
# publication readiness and files
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "kwargs"),
    [
        ("out", {"event": "response"}),
        ("out", {"event": "response", "by": "route"}),
        ("out", {"event": "relapse", "by": "sex"}),
        ("out", {"event": "remission", "by": "route", "min_cell_size": 5}),
        ("two", {"event": "response", "by": "arm"}),
        ("two", {"event": "relapse", "by": "arm"}),
    ],
)
def test_publication_ready(request, data, kwargs):
    ax = ka.plots.kaplan_meier(request.getfixturevalue(data), **kwargs)
    assert_publication_ready(ax.figure)


@pytest.mark.parametrize(("journal", "width"), [("nature", "double"), ("jama", "single")])
def test_publication_ready_other_sizes(out, journal, width):
    with ka.plots.publication(journal, width):
        ax = ka.plots.kaplan_meier(out, event="response", by="route")
    assert_publication_ready(ax.figure)


def test_save_figure(out, tmp_path):
    ax = ka.plots.kaplan_meier(out, event="relapse", by="sex")
    paths = ka.plots.save_figure(ax.figure, tmp_path / "km", formats=("pdf", "png"))
    assert [p.suffix for p in paths] == [".pdf", ".png"]
    assert pdf_fonts_are_truetype(paths[0])
