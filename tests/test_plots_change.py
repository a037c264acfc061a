"""Tests of ka.plots.waterfall, severity_transitions and jacobson_truax (docs/architecture.md §8).

Every figure is drawn on the bundled sample (data/sample/cohort_long.csv, MADRS) or a
simulated two-arm cohort at Nature single-column size under Agg, and the tests read back
what was drawn (bar heights, patch vertices, line data, texts) and compare it with the
statistics layer (ka.stats.endpoint_outcomes / severity_shares / severity_transitions) and
the derived frames, exactly or to 1e-12.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from plotcheck import assert_publication_ready, pdf_fonts_are_truetype, text_strings

import ketanalysis as ka
from ketanalysis.plots import change, reliable_change

SAMPLE = "data/sample/cohort_long.csv"


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def out():
    return ka.derive(ka.read_scores(SAMPLE), scale="MADRS")


@pytest.fixture(scope="module")
def arms():
    return ka.derive(ka.simulate_cohort(120, seed=3, arms=("ketamine", "midazolam")), scale="MADRS")


def draw(fn, *args, **kwargs):
    with ka.plots.publication("nature", "single"):
        return fn(*args, **kwargs)


def legend_texts(ax) -> list[str]:
    leg = ax.get_legend()
    return [leg.get_title().get_text()] + [t.get_text() for t in leg.get_texts()]


def heights(container) -> np.ndarray:
    return np.array([r.get_height() for r in container])


# ---------------------------------------------------------------------------------------
# stats layer: ka.stats.endpoint_outcomes, severity_transitions, severity_shares
# ---------------------------------------------------------------------------------------
def test_endpoint_outcomes_match_patients_table(out):
    ep = ka.stats.endpoint_outcomes(out)
    p = out.patients
    assert list(ep["patient_id"]) == list(p["patient_id"])
    np.testing.assert_array_equal(ep["pct_change"], p["last_pct_change"])
    np.testing.assert_array_equal(ep["score"], p["last_score"])
    assert (
        ep["clinically_significant"].astype(str) == p["clinically_significant"].astype(str)
    ).all()
    # outcome: remission by the score threshold, else response by the reduction
    thr = float(out.parameters.set_index("scale").loc["MADRS", "remission_threshold"])
    expect = np.where(
        ep["score"] <= thr,
        "remission",
        np.where(
            ep["pct_change"] <= -out.criteria.response.min_reduction, "response", "no response"
        ),
    )
    assert list(ep["endpoint_outcome"].astype(str)) == list(expect)


def test_severity_transitions_equal_an_independent_crosstab(out):
    # reference: pd.crosstab of the registry bands of baseline and last score (patients table)
    reg = ka.scales.get("MADRS")
    p = out.patients
    ref = pd.crosstab(
        reg.severity_of(p["baseline"]), reg.severity_of(p["last_score"]), dropna=False
    )
    tab = ka.stats.severity_transitions(out)
    assert len(tab) == 16 and tab["n"].sum() == len(p)
    for row in tab.itertuples():
        want = (
            ref.loc[row.baseline_severity, row.endpoint_severity]
            if (row.baseline_severity in ref.index and row.endpoint_severity in ref.columns)
            else 0
        )
        assert row.n == want
    shares = ka.stats.severity_shares(out)
    base = shares[shares["time"] == "baseline"].set_index("severity")["n"]
    end = shares[shares["time"] == "endpoint"].set_index("severity")["n"]
    rows = tab.groupby("baseline_severity", observed=False)["n"].sum()
    cols = tab.groupby("endpoint_severity", observed=False)["n"].sum()
    assert base.to_dict() == rows.to_dict() and end.to_dict() == cols.to_dict()
    assert np.allclose(shares.groupby("time")["percent"].sum(), 100.0, atol=1e-12)


def test_severity_tables_by_group(out):
    tab = ka.stats.severity_transitions(out, by="route")
    assert (
        tab.groupby("route")["n"].sum().to_dict() == out.patients["route"].value_counts().to_dict()
    )
    with pytest.raises(ValueError, match="by="):
        ka.stats.severity_transitions(out, by="nope")
    with pytest.raises(ValueError, match="endpoint="):
        ka.stats.endpoint_outcomes(out, endpoint=99)


# ---------------------------------------------------------------------------------------
# waterfall
# ---------------------------------------------------------------------------------------
def test_waterfall_bars_are_sorted_pct_changes(out):
    ax = draw(ka.plots.waterfall, out)
    (bars,) = ax.containers
    want = np.sort(100.0 * out.patients["last_pct_change"].to_numpy())[::-1]
    np.testing.assert_allclose(heights(bars), want, rtol=0, atol=1e-12)
    # colours follow the outcome at the endpoint, in the same order
    ep = ka.stats.endpoint_outcomes(out)
    order = np.argsort(-ep["pct_change"].to_numpy(), kind="mergesort")
    outcome = ep["endpoint_outcome"].astype(str).to_numpy()[order]
    faces = [matplotlib.colors.to_hex(r.get_facecolor()) for r in bars]
    assert faces == [matplotlib.colors.to_hex(change.OUTCOME_COLORS[o]) for o in outcome]
    # response threshold: dashed line at -50 %, labelled
    dashed = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert any(np.allclose(ln.get_ydata(), -50.0) for ln in dashed)
    assert "Response threshold (−50%)" in text_strings(ax.figure)
    # n in the legend labels, remission explained by the colour legend
    counts = ep["endpoint_outcome"].value_counts()
    texts = legend_texts(ax)
    assert texts[0] == "At endpoint (n = 150)"
    assert f"Remission (MADRS ≤ 10), n = {counts['remission']}" in texts
    assert f"Response (≥50% reduction), n = {counts['response']}" in texts
    assert f"No response, n = {counts['no response']}" in texts
    assert ax.get_xlabel() == "Patients (sorted by change)"
    assert ax.get_ylabel() == "Change in MADRS total score (%)"
    assert not [t for t in ax.get_xticklabels() if t.get_text()]  # no patient IDs
    assert not any("K0" in s for s in text_strings(ax.figure))
    assert_publication_ready(ax.figure)


def test_waterfall_by_arm_labels_colors(arms):
    ax = draw(
        ka.plots.waterfall,
        arms,
        by="arm",
        labels={"ketamine": "Ketamine", "midazolam": "Midazolam"},
        colors=["#111111", "#999999"],
    )
    assert len(ax.containers) == 2
    p = arms.patients
    for bars, arm in zip(ax.containers, ["ketamine", "midazolam"], strict=True):
        want = np.sort(100.0 * p.loc[p["arm"] == arm, "last_pct_change"].to_numpy())[::-1]
        np.testing.assert_allclose(heights(bars), want, rtol=0, atol=1e-12)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["Ketamine\nn = 60", "Midazolam\nn = 60"]
    marks = [ln for ln in ax.lines if ln.get_gid() == "group-marker"]
    assert [ln.get_color() for ln in marks] == ["#111111", "#999999"]
    assert_publication_ready(ax.figure)


def test_waterfall_named_endpoint_and_frame_input(out):
    ax = draw(ka.plots.waterfall, out, endpoint=7)
    a = out.assessments
    want = np.sort(100.0 * a.loc[a["session"] == 7, "pct_change"].to_numpy())[::-1]
    np.testing.assert_allclose(heights(ax.containers[0]), want, rtol=0, atol=1e-12)
    assert legend_texts(ax)[0] == f"At endpoint (n = {len(want)})"
    plt.close("all")
    ax = draw(ka.plots.waterfall, out.assessments)  # a DataFrame works too
    assert len(ax.containers[0]) == 150


def test_waterfall_min_cell_size(arms):
    ax = draw(ka.plots.waterfall, arms, min_cell_size=10)
    texts = legend_texts(ax)
    n_resp = int((ka.stats.endpoint_outcomes(arms)["endpoint_outcome"] == "response").sum())
    assert 0 < n_resp < 10
    assert "Response (≥50% reduction), n = <10" in texts
    assert not any(t.endswith(f"n = {n_resp}") for t in texts)


# ---------------------------------------------------------------------------------------
# severity transitions
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("by", [None, "route", "sex"])
def test_severity_bars_equal_shares(out, by):
    ax = draw(ka.plots.severity_transitions, out, by=by)
    shares = ka.stats.severity_shares(out, by=by)
    bands = list(shares["severity"].cat.categories)
    assert [c.get_label() for c in ax.containers] == bands
    levels = [None] if by is None else sorted(shares[by].unique())
    for band, container in zip(bands, ax.containers, strict=True):
        want = []
        for level in levels:
            g = shares if by is None else shares[shares[by] == level]
            for time in ("baseline", "endpoint"):
                row = g[(g["time"] == time) & (g["severity"] == band)]
                want.append(float(row["percent"].iloc[0]))
        np.testing.assert_allclose(heights(container), want, rtol=0, atol=1e-12)
    # the band counts behind the heights are the cross-tab margins
    tab = ka.stats.severity_transitions(out, by=by)
    base = tab.groupby((by and [by] or []) + ["baseline_severity"], observed=False)["n"].sum()
    assert base.sum() == 150
    # n of each bar
    totals = shares.drop_duplicates((by and [by] or []) + ["time"])["total"].astype(str)
    strings = text_strings(ax.figure)
    for t in totals:
        assert t in strings
    # percentages written inside segments are the drawn heights
    pct = [t for t in ax.texts if t.get_text().endswith("%")]
    assert pct
    drawn = {f"{h:.0f}%" for c in ax.containers for h in heights(c) if h > 0}
    assert {t.get_text() for t in pct} <= drawn
    assert ax.get_ylabel() == "Patients (%)"
    assert legend_texts(ax)[0] == "MADRS severity"
    assert_publication_ready(ax.figure)


def test_severity_bars_two_arms_labels_colors(arms):
    ax = draw(
        ka.plots.severity_transitions,
        arms,
        by="arm",
        labels=["Ketamine", "Midazolam"],
        colors={"ketamine": "#000000", "midazolam": "#777777"},
    )
    strings = text_strings(ax.figure)
    assert "Ketamine" in strings and "Midazolam" in strings
    marks = [ln for ln in ax.lines if ln.get_gid() == "group-marker"]
    assert [ln.get_color() for ln in marks] == ["#000000", "#777777"]
    assert_publication_ready(ax.figure)


@pytest.mark.parametrize("by", [None, "route"])
def test_alluvial_flows_equal_crosstab(out, by):
    ax = draw(ka.plots.severity_transitions, out, by=by, kind="alluvial")
    tab = ka.stats.severity_transitions(out, by=by)
    levels = [None] if by is None else sorted(tab[by].unique())
    flows = {p.get_gid(): p for p in ax.patches if str(p.get_gid()).startswith("flow:")}
    seen = 0
    for i, level in enumerate(levels):
        g = tab if by is None else tab[tab[by] == level]
        total = int(g["n"].sum())
        for row in g.itertuples():
            key = f"flow:{row.baseline_severity}:{row.endpoint_severity}:{i}"
            if row.n == 0:
                assert key not in flows
                continue
            v = flows[key].get_path().vertices
            width_left = v[7, 1] - v[0, 1]
            width_right = v[4, 1] - v[3, 1]
            assert width_left * total / 100 == pytest.approx(row.n, abs=1e-9)
            assert width_right == pytest.approx(width_left, abs=1e-12)
            seen += 1
    assert seen == len(flows)
    # block counts written beside the blocks are the cross-tab margins
    counts = [t.get_text() for t in ax.texts if t.get_gid() == "node-count"]
    key = (by and [by] or []) + ["baseline_severity"]
    base = tab.groupby(key, observed=False)["n"].sum()
    for n in base[base > 0]:
        assert str(n) in counts
    assert_publication_ready(ax.figure)


def test_alluvial_min_cell_size(out):
    ax = draw(ka.plots.severity_transitions, out, kind="alluvial", by="route", min_cell_size=5)
    counts = [t.get_text() for t in ax.texts if t.get_gid() == "node-count"]
    assert "<5" in counts and "3" not in counts


def test_severity_bars_min_cell_size_hides_small_percentages(out):
    ax = draw(ka.plots.severity_transitions, out, by="route", min_cell_size=10)
    shares = ka.stats.severity_shares(out, by="route")
    small = shares[(shares["n"] > 0) & (shares["n"] < 10)]
    assert len(small)
    bar_of = {
        (r, t): 2 * i + j
        for i, r in enumerate(sorted(shares["route"].unique()))
        for j, t in enumerate(("baseline", "endpoint"))
    }
    bands = [c.get_label() for c in ax.containers]
    big = shares[shares["n"] >= 10].iloc[0]  # a positive control: its percentage is written
    rect = ax.containers[bands.index(big["severity"])][bar_of[(big["route"], big["time"])]]
    centre = (rect.get_x() + rect.get_width() / 2, rect.get_y() + rect.get_height() / 2)
    assert [t for t in ax.texts if t.get_position() == centre]
    for row in small.itertuples():
        rect = ax.containers[bands.index(row.severity)][bar_of[(row.route, row.time)]]
        cx, cy = rect.get_x() + rect.get_width() / 2, rect.get_y() + rect.get_height() / 2
        assert not [t for t in ax.texts if t.get_position() == (cx, cy)]


def test_band_colors_sequential_and_greyscale_distinct(out):
    ax = draw(ka.plots.severity_transitions, out)
    faces = [c[0].get_facecolor() for c in ax.containers]  # mildest first
    lum = [change._luminance(f) for f in faces]
    assert all(a - b > 0.1 for a, b in zip(lum, lum[1:], strict=False))
    plt.close("all")
    ax = draw(
        ka.plots.severity_transitions, out, band_colors=["#eeeeee", "#bbbbbb", "#777777", "#222222"]
    )
    assert matplotlib.colors.to_hex(ax.containers[3][0].get_facecolor()) == "#222222"


# ---------------------------------------------------------------------------------------
# Jacobson-Truax
# ---------------------------------------------------------------------------------------
def test_jacobson_truax_points_band_cutoff(out):
    ax = draw(ka.plots.jacobson_truax, out)
    p = out.patients
    for cat in ["recovered", "improved", "unchanged", "deteriorated"]:
        (line,) = [ln for ln in ax.lines if ln.get_gid() == f"points:{cat}"]
        rows = p[p["clinically_significant"] == cat]
        np.testing.assert_array_equal(
            line.get_xydata(), rows[["baseline", "last_score"]].to_numpy(dtype=float)
        )
    par = out.parameters.set_index("scale").loc["MADRS"]
    half = 1.96 * par["rc_s_diff"]
    lines = {ln.get_gid(): ln for ln in ax.lines}
    for gid, sign in (("rc-band:low", -1), ("rc-band:high", 1)):
        x, y = lines[gid].get_xdata(), lines[gid].get_ydata()
        np.testing.assert_allclose(y - x, sign * half, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(lines["cutoff:y"].get_ydata(), [par["rc_cutoff"]] * 2)
    np.testing.assert_array_equal(lines["cutoff:x"].get_xdata(), [par["rc_cutoff"]] * 2)
    x, y = lines["identity"].get_xdata(), lines["identity"].get_ydata()
    np.testing.assert_array_equal(x, y)
    counts = p["clinically_significant"].value_counts()
    texts = legend_texts(ax)
    for cat in counts.index:
        assert f"{cat.capitalize()}, n = {counts[cat]}" in texts
    assert texts[0] == "All patients (n = 150)"
    assert ax.get_aspect() == 1.0
    assert ax.get_xlim() == ax.get_ylim()
    assert ax.get_xlabel() == "Baseline MADRS total score"
    assert ax.get_ylabel() == "Endpoint MADRS total score"
    assert_publication_ready(ax.figure)


def test_jacobson_truax_by_arm(arms):
    ax = draw(ka.plots.jacobson_truax, arms, by="arm", labels={"midazolam": "Midazolam"})
    p = arms.patients
    for i, arm in enumerate(["ketamine", "midazolam"]):
        (line,) = [ln for ln in ax.lines if ln.get_gid() == f"points:{i}"]
        rows = p[p["arm"] == arm]
        np.testing.assert_array_equal(
            line.get_xydata(), rows[["baseline", "last_score"]].to_numpy(dtype=float)
        )
        c = rows["clinically_significant"].value_counts()
        nums = "/".join(str(c.get(k, 0)) for k in reliable_change.CATEGORY_STYLE)
        label = "ketamine" if arm == "ketamine" else "Midazolam"
        assert f"{label}, n = {len(rows)}\n{nums}" in legend_texts(ax)
    assert_publication_ready(ax.figure)


def test_jacobson_truax_min_cell_size(out):
    ax = draw(ka.plots.jacobson_truax, out, min_cell_size=5)
    assert "Deteriorated, n = <5" in legend_texts(ax)


# ---------------------------------------------------------------------------------------
# arguments, axes, files
# ---------------------------------------------------------------------------------------
def test_given_axes_is_used(out):
    with ka.plots.publication("nature", "single"):
        fig, axes = plt.subplots(1, 3)
        for fn, ax in zip(
            (ka.plots.waterfall, ka.plots.severity_transitions, ka.plots.jacobson_truax),
            axes,
            strict=True,
        ):
            assert fn(out, ax=ax, legend=False) is ax
            assert ax.get_legend() is None


@pytest.mark.parametrize(
    ("fn", "kwargs", "exc", "name"),
    [
        (ka.plots.waterfall, {"by": ["route"]}, TypeError, "by"),
        (ka.plots.waterfall, {"by": "nope"}, ValueError, "by"),
        (ka.plots.waterfall, {"min_cell_size": 0}, ValueError, "min_cell_size"),
        (ka.plots.waterfall, {"scale": "PHQ9"}, ValueError, "scale"),
        (ka.plots.waterfall, {"endpoint": 99}, ValueError, "endpoint"),
        (ka.plots.waterfall, {"outcome_colors": {"relapse": "red"}}, ValueError, "outcome_colors"),
        (ka.plots.waterfall, {"legend": "yes"}, TypeError, "legend"),
        (ka.plots.waterfall, {"by": "route", "labels": ["a"]}, ValueError, "labels"),
        (ka.plots.severity_transitions, {"kind": "sankey"}, ValueError, "kind"),
        (ka.plots.severity_transitions, {"band_colors": ["red"]}, ValueError, "band_colors"),
        (ka.plots.severity_transitions, {"by": "route", "colors": ["red"]}, ValueError, "colors"),
        (ka.plots.jacobson_truax, {"category_colors": {"x": "red"}}, ValueError, "category_colors"),
        (ka.plots.jacobson_truax, {"min_cell_size": 2.5}, ValueError, "min_cell_size"),
    ],
)
def test_bad_arguments_name_the_parameter(out, fn, kwargs, exc, name):
    with pytest.raises(exc, match=name):
        draw(fn, out, **kwargs)


def test_bad_data_type(out):
    with pytest.raises(TypeError, match="data"):
        draw(ka.plots.jacobson_truax, out.assessments)
    with pytest.raises(TypeError, match="data"):
        draw(ka.plots.waterfall, [1, 2, 3])


def test_save_figure(out, tmp_path):
    for i, (fn, kwargs) in enumerate(
        [
            (ka.plots.waterfall, {"by": "route"}),
            (ka.plots.severity_transitions, {}),
            (ka.plots.severity_transitions, {"kind": "alluvial"}),
            (ka.plots.jacobson_truax, {}),
        ]
    ):
        with ka.plots.publication("nature", "single"):
            ax = fn(out, **kwargs)
            paths = ka.plots.save_figure(ax.figure, tmp_path / f"f{i}", formats=("pdf", "png"))
        assert all(p.stat().st_size > 0 for p in paths)
        assert pdf_fonts_are_truetype(paths[0])


@pytest.mark.parametrize(("journal", "width"), [("nature", "double"), ("jama", "single")])
def test_other_sizes_are_publication_ready(out, journal, width):
    for fn, kwargs in [
        (ka.plots.waterfall, {"by": "route"}),
        (ka.plots.severity_transitions, {"by": "route"}),
        (ka.plots.severity_transitions, {"by": "route", "kind": "alluvial"}),
        (ka.plots.jacobson_truax, {"by": "sex"}),
    ]:
        with ka.plots.publication(journal, width):
            ax = fn(out, **kwargs)
        assert_publication_ready(ax.figure)
        plt.close("all")
