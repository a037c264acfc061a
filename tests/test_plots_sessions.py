"""Figures over sessions (ka.plots.trajectory, spaghetti, response_rates, lsmeans) and the
item heatmap (ka.plots.item_heatmap, ka.stats.item_change).

What is drawn is read back from the figure (line data, LineCollection segments, mesh
arrays, texts) and compared with the statistics layer on the bundled sample data; the
expected numbers come from ka.stats (by_session, rates, MMRMResult.lsmeans/contrasts,
item_change) and must match exactly or to 1e-12. item_change itself is checked against a
hand-worked example.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.colors import to_hex
from plotcheck import assert_publication_ready, pdf_fonts_are_truetype, text_strings

import ketanalysis as ka

SAMPLE = "data/sample/cohort_long.csv"
TOL = 1e-12


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def out():
    return ka.derive(ka.read_scores(SAMPLE), scale="MADRS")


@pytest.fixture(scope="module")
def out2():
    return ka.derive(ka.read_scores(SAMPLE), scale=["MADRS", "PHQ9"])


@pytest.fixture(scope="module")
def trial():
    return ka.derive(ka.simulate_cohort(120, seed=3, arms=("ketamine", "midazolam")), scale="MADRS")


@pytest.fixture(scope="module")
def fit(trial):
    a = trial.assessments
    a = a[a["post_baseline"] & a["session"].between(1, 7)].copy()
    return ka.stats.mmrm(a, ka.stats.PrimaryMMRM().formula("arm"))  # the report's model


def _nature(func, data, **kw):
    with ka.plots.publication("nature", "single"):
        return getattr(ka.plots, func)(data, **kw)


def _line(ax, gid):
    found = [ln for ln in ax.lines if ln.get_gid() == gid]
    assert len(found) == 1, f"{gid}: {[ln.get_gid() for ln in ax.lines]}"
    return found[0]


def _segments(ax, gid):
    found = [c for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0].get_segments()


def _count_rows(ax, n_rows):
    """Texts of the count table: {row label: [count texts]} (label "" for one row)."""
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "n"
    rest = texts[1:]
    if n_rows == 1 and len(rest) and not rest[0].startswith(tuple("0123456789<")):
        rest = rest[1:]
    if n_rows == 1:
        return {"": rest}
    size = len(rest) // n_rows
    return {rest[i * size]: rest[i * size + 1 : (i + 1) * size] for i in range(n_rows)}


def _close_enough(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=0, atol=TOL)


# ---------------------------------------------------------------------------------------
# ka.stats.item_change
# ---------------------------------------------------------------------------------------
def _items_frame():
    nan = np.nan
    rows = [
        # patient, session, item_1, item_2
        ("A", 0, 3, 2),
        ("A", 1, 1, 1),
        ("A", 2, 0, 1),
        ("B", 0, 2, nan),
        ("B", 1, 2, 1),
        ("B", 2, 1, 0),
        ("C", 0, 3, 1),
        ("C", 1, 0, 0),
        ("C", 2, nan, 0),
    ]
    f = pd.DataFrame(rows, columns=["patient_id", "session", "item_1", "item_2"])
    for j in range(3, 10):
        f[f"item_{j}"] = 1.0
    f["scale"] = "PHQ9"
    return f


def test_item_change_hand_worked():
    """Hand-worked: item 1 at session 1 has changes A -2, B 0, C -3: mean -5/3,
    SD sqrt(((-1/3)^2 + (5/3)^2 + (-4/3)^2) / 2) = sqrt(7/3), t_{0.975, 2} = 4.302652729...
    (scipy; R qt(0.975, 2) gives 4.302653). Item 1 at session 2: C has no item, changes
    A -3, B -1. Item 2: B has no baseline item, so only A (-1) and C (-1) count."""
    tab = ka.stats.item_change(_items_frame())
    assert list(tab.columns) == [
        "item",
        "session",
        "n",
        "mean_score",
        "mean_baseline",
        "mean_change",
        "sd",
        "se",
        "ci_low",
        "ci_high",
    ]
    row = tab[(tab["item"] == 1) & (tab["session"] == 1)].iloc[0]
    assert row["n"] == 3
    assert row["mean_change"] == pytest.approx(-5 / 3, abs=TOL)
    assert row["mean_score"] == pytest.approx(1.0, abs=TOL)
    assert row["mean_baseline"] == pytest.approx(8 / 3, abs=TOL)
    assert row["sd"] == pytest.approx(np.sqrt(7 / 3), abs=TOL)
    half = 4.302652729749464 * np.sqrt(7 / 3) / np.sqrt(3)
    assert row["ci_low"] == pytest.approx(-5 / 3 - half, abs=1e-9)
    assert row["ci_high"] == pytest.approx(-5 / 3 + half, abs=1e-9)
    row = tab[(tab["item"] == 1) & (tab["session"] == 2)].iloc[0]
    assert (row["n"], row["mean_change"], row["sd"]) == (2, -2.0, pytest.approx(np.sqrt(2)))
    row = tab[(tab["item"] == 2) & (tab["session"] == 1)].iloc[0]
    assert (row["n"], row["mean_change"], row["sd"]) == (2, -1.0, 0.0)
    assert row["mean_baseline"] == 1.5
    base = tab[tab["session"] == 0]
    assert (base["mean_change"] == 0).all() and base["n"].tolist()[:2] == [3, 2]
    assert len(tab) == 9 * 3


def test_item_change_baseline_option():
    tab = ka.stats.item_change(_items_frame(), baseline=1)
    row = tab[(tab["item"] == 1) & (tab["session"] == 2)].iloc[0]
    assert (row["n"], row["mean_change"]) == (2, -1.0)  # A 1 -> 0, B 2 -> 1
    first = ka.stats.item_change(_items_frame(), baseline="first")
    pd.testing.assert_frame_equal(first, ka.stats.item_change(_items_frame()))


def test_item_change_from_outcomes_matches_a_merge(out):
    """On the sample: the change computed by an independent pandas merge."""
    tab = ka.stats.item_change(out)
    raw = pd.read_csv(SAMPLE).query("scale == 'MADRS'")
    base = raw[raw["session"] == 0].set_index("patient_id")["item_4"]
    at7 = raw[raw["session"] == 7].copy()
    change = (at7["item_4"] - at7["patient_id"].map(base)).dropna()
    row = tab[(tab["item"] == 4) & (tab["session"] == 7)].iloc[0]
    assert row["n"] == len(change)
    assert row["mean_change"] == pytest.approx(change.mean(), abs=TOL)
    assert row["sd"] == pytest.approx(change.std(ddof=1), abs=TOL)


def test_item_change_bad_arguments(out):
    with pytest.raises(ValueError, match="scale"):
        ka.stats.item_change(out, scale="GAD7")
    with pytest.raises(ValueError, match="baseline"):
        ka.stats.item_change(_items_frame(), baseline=5)
    with pytest.raises(ValueError, match="level"):
        ka.stats.item_change(out, level=95)
    with pytest.raises(TypeError, match="data"):
        ka.stats.item_change([1, 2])
    with pytest.raises(ValueError, match="item"):
        ka.stats.item_change(_items_frame().drop(columns="item_9"))


# ---------------------------------------------------------------------------------------
# trajectory
# ---------------------------------------------------------------------------------------
def test_trajectory_draws_by_session(out):
    ax = _nature("trajectory", out)
    tab = ka.stats.by_session(out, scale="MADRS")
    xy = _line(ax, "mean:0").get_xydata()
    _close_enough(xy[:, 0], tab["session"])
    _close_enough(xy[:, 1], tab["mean"])
    segs = _segments(ax, "ci:0")
    _close_enough([s[0, 1] for s in segs], tab["ci_low"])
    _close_enough([s[1, 1] for s in segs], tab["ci_high"])
    assert _count_rows(ax, 1)[""] == [str(n) for n in tab["n"]]
    assert ax.get_ylabel() == "MADRS total score"
    assert ax.get_xlabel() == "Session"
    assert_publication_ready(ax.figure)


@pytest.mark.parametrize("y", ["change", "pct_change"])
def test_trajectory_by_group(out, y):
    ax = _nature("trajectory", out, by="route", y=y)
    tab = ka.stats.by_session(out, by="route", value=y, scale="MADRS")
    factor = 100.0 if y == "pct_change" else 1.0
    rows = _count_rows(ax, 3)
    for i, route in enumerate(["IM", "IV", "intranasal"]):
        part = tab[tab["route"] == route]
        line = _line(ax, f"mean:{i}")
        assert line.get_label() == route
        _close_enough(line.get_xydata()[:, 1], factor * part["mean"])
        assert rows[route] == [str(n) for n in part["n"]]
    # markers and line styles differ between groups (greyscale)
    looks = {
        (_line(ax, f"mean:{i}").get_marker(), _line(ax, f"mean:{i}").get_linestyle())
        for i in range(3)
    }
    assert len(looks) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["IM", "IV", "intranasal"]
    assert "Change in MADRS total score" in ax.get_ylabel().replace("\n", " ")
    assert_publication_ready(ax.figure)


def test_trajectory_two_arms_labels_colors(trial):
    ax = _nature(
        "trajectory",
        trial,
        by="arm",
        y="change",
        labels={"ketamine": "Ketamine", "midazolam": "Midazolam"},
        colors=["#D55E00", "#000000"],
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Ketamine", "Midazolam"]
    assert to_hex(_line(ax, "mean:0").get_color()) == "#d55e00"
    assert to_hex(_line(ax, "mean:1").get_color()) == "#000000"
    tab = ka.stats.by_session(trial, by="arm", value="change")
    _close_enough(_line(ax, "mean:1").get_xydata()[:, 1], tab[tab["arm"] == "midazolam"]["mean"])
    assert_publication_ready(ax.figure)


def test_trajectory_day_axis(out):
    ax = _nature("trajectory", out, x="day", by="sex")
    days = ka.stats.by_session(out, value="day")
    _close_enough(_line(ax, "mean:0").get_xydata()[:, 0], days["mean"])
    assert ax.get_xlabel() == "Days since first infusion"
    assert_publication_ready(ax.figure)


def test_trajectory_without_ci_and_table(out):
    ax = _nature("trajectory", out, level=None, n_table=False)
    assert not [c for c in ax.collections if str(c.get_gid()).startswith("ci:")]
    assert not ax.texts


def test_trajectory_min_cell_size(trial):
    ax = _nature("trajectory", trial, by="arm", min_cell_size=20)
    rows = _count_rows(ax, 2)
    tab = ka.stats.by_session(trial, by="arm")
    mid = tab[tab["arm"] == "midazolam"]["n"].tolist()
    assert rows["midazolam"] == [str(n) if n >= 20 else "<20" for n in mid]
    assert "<20" in rows["midazolam"]


def test_trajectory_into_given_axes(out):
    fig, axes = plt.subplots(1, 2)
    ax = ka.plots.trajectory(out, ax=axes[1])
    assert ax is axes[1] and ax.figure is fig


def test_trajectory_dataframe_input(out):
    ax = _nature("trajectory", out.assessments, scale="MADRS")
    tab = ka.stats.by_session(out)
    _close_enough(_line(ax, "mean:0").get_xydata()[:, 1], tab["mean"])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"y": "total"}, ValueError, "y="),
        ({"x": "week"}, ValueError, "x="),
        ({"level": 95}, ValueError, r"level .*0\.95"),
        ({"by": "arm"}, ValueError, "by="),
        ({"scale": "BDI2"}, ValueError, "scale="),
        ({"labels": "IV"}, TypeError, "labels="),
        ({"colors": 3}, TypeError, "colors="),
        ({"by": "route", "labels": ["a"]}, ValueError, "labels"),
        ({"min_cell_size": 0}, ValueError, "min_cell_size="),
        ({"n_table": "yes"}, TypeError, "n_table="),
        ({"ax": "ax"}, TypeError, "ax"),
    ],
)
def test_trajectory_bad_arguments(out, kwargs, error, name):
    with pytest.raises(error, match=name):
        ka.plots.trajectory(out, **kwargs)


def test_trajectory_bad_data():
    with pytest.raises(TypeError, match="data"):
        ka.plots.trajectory([1, 2, 3])


# ---------------------------------------------------------------------------------------
# spaghetti
# ---------------------------------------------------------------------------------------
def test_spaghetti_lines_and_means(out):
    ax = _nature("spaghetti", out)
    tab = ka.stats.by_session(out)
    _close_enough(_line(ax, "mean:0").get_xydata()[:, 1], tab["mean"])
    segs = _segments(ax, "patients:0")
    a = out.assessments
    assert len(segs) == a["patient_id"].nunique() == 150
    first = a[a["patient_id"] == sorted(a["patient_id"].unique())[0]].sort_values("session")
    _close_enough(segs[0][:, 1], first["score"])
    _close_enough(segs[0][:, 0], first["session"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Mean (n = 150)",
        "Individual patients",
    ]
    assert_publication_ready(ax.figure)


def test_spaghetti_sample_by_group(out):
    ax = _nature("spaghetti", out, by="route", max_patients=40, seed=7)
    drawn = sum(len(_segments(ax, f"patients:{i}")) for i in range(3))
    assert drawn == 40
    assert ax.get_legend().get_title().get_text() == "Random sample of 40 of 150 patients drawn"
    n = out.patients.groupby("route")["patient_id"].nunique()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[:3] == [f"{r}, mean (n = {n[r]})" for r in ["IM", "IV", "intranasal"]]
    # the means use every patient, not the sample
    tab = ka.stats.by_session(out, by="route")
    _close_enough(_line(ax, "mean:1").get_xydata()[:, 1], tab[tab["route"] == "IV"]["mean"])
    # the sample is reproducible
    again = _nature("spaghetti", out, by="route", max_patients=40, seed=7)
    for i in range(3):
        a = _segments(ax, f"patients:{i}")
        b = _segments(again, f"patients:{i}")
        assert len(a) == len(b) and all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert_publication_ready(ax.figure)


def test_spaghetti_two_arms_day_axis_min_cell(trial):
    ax = _nature("spaghetti", trial, by="arm", y="change", x="day", min_cell_size=100)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[:2] == ["ketamine, mean (n = <100)", "midazolam, mean (n = <100)"]
    a = trial.assessments
    patient = sorted(a.loc[a["arm"] == "ketamine", "patient_id"].unique())[0]
    rows = a[a["patient_id"] == patient].sort_values("session")
    _close_enough(_segments(ax, "patients:0")[0][:, 0], rows["day"])
    assert_publication_ready(ax.figure)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"max_patients": 0}, ValueError, "max_patients="),
        ({"seed": "a"}, TypeError, "seed="),
        ({"y": "rci"}, ValueError, "y="),
    ],
)
def test_spaghetti_bad_arguments(out, kwargs, error, name):
    with pytest.raises(error, match=name):
        ka.plots.spaghetti(out, **kwargs)


# ---------------------------------------------------------------------------------------
# response_rates
# ---------------------------------------------------------------------------------------
def test_response_rates_equal_rates(out):
    ax = _nature("response_rates", out)
    a = out.assessments[out.assessments["post_baseline"]]
    for o in ("response", "remission"):
        r = ka.stats.rates(a, outcome=o, by=["session"])
        xy = _line(ax, f"rate:{o}:{0 if o == 'response' else 1}").get_xydata()
        _close_enough(xy[:, 0], r["session"])
        _close_enough(xy[:, 1], 100 * r["rate"])
        segs = _segments(ax, f"ci:{o}:{0 if o == 'response' else 1}")
        _close_enough([s[0, 1] for s in segs], 100 * r["ci_low"])
        _close_enough([s[1, 1] for s in segs], 100 * r["ci_high"])
    # spot check against the per-session API: rates(..., at=7)
    r7 = ka.stats.rates(out, outcome="response", at=7)
    xy = _line(ax, "rate:response:0").get_xydata()
    assert xy[xy[:, 0] == 7, 1][0] == pytest.approx(100 * r7["rate"].iloc[0], abs=TOL)
    r = ka.stats.rates(a, outcome="response", by=["session"])
    assert _count_rows(ax, 1)[""] == [str(n) for n in r["n"]]
    assert ax.get_ylabel() == "Patients (%)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Response", "Remission"]
    assert_publication_ready(ax.figure)


def test_response_rates_by_arm(trial):
    ax = _nature(
        "response_rates", trial, by="arm", labels=["Ketamine", "Midazolam"], min_cell_size=11
    )
    a = trial.assessments[trial.assessments["post_baseline"]]
    r = ka.stats.rates(a, outcome="remission", by=["session", "arm"])
    part = r[r["arm"] == "midazolam"]
    k, n = part["k"], part["n"]
    small = k.between(1, 10) | (n - k).between(1, 10) | n.between(1, 10)
    want = (100 * part["rate"]).where(~small)  # a small k or n - k is not drawn
    assert small.any()
    _close_enough(_line(ax, "rate:remission:1").get_xydata()[:, 1], want)
    rows = _count_rows(ax, 2)
    resp = ka.stats.rates(a, outcome="response", by=["session", "arm"])
    n_mid = resp[resp["arm"] == "midazolam"]["n"]
    assert rows["Midazolam"] == [str(n) if n >= 11 else "<11" for n in n_mid]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Ketamine", "Midazolam", "Response", "Remission"]
    assert_publication_ready(ax.figure)


def test_response_rates_single_outcome_and_colors(out):
    ax = _nature("response_rates", out, outcomes=("remission",), colors={"remission": "#009E73"})
    assert to_hex(_line(ax, "rate:remission:0").get_color()) == "#009e73"


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"outcomes": ("relapse",)}, ValueError, "outcomes="),
        ({"outcomes": ()}, TypeError, "outcomes="),
        ({"outcomes": ("response", "response")}, ValueError, "outcomes="),
        ({"level": 0}, ValueError, "level"),
    ],
)
def test_response_rates_bad_arguments(out, kwargs, error, name):
    with pytest.raises(error, match=name):
        ka.plots.response_rates(out, **kwargs)


# ---------------------------------------------------------------------------------------
# lsmeans
# ---------------------------------------------------------------------------------------
def test_lsmeans_by_arm_with_difference(fit):
    ax = _nature("lsmeans", fit, by="arm", scale="MADRS", difference=True)
    tab = fit.lsmeans("session", by="arm")
    for i, arm in enumerate(["ketamine", "midazolam"]):
        part = tab[tab["arm"] == arm]
        xy = _line(ax, f"lsmean:{i}").get_xydata()
        _close_enough(xy[:, 0], part["session"])
        _close_enough(xy[:, 1], part["estimate"])
        segs = _segments(ax, f"ci:{i}")
        _close_enough([s[0, 1] for s in segs], part["ci_low"])
        _close_enough([s[1, 1] for s in segs], part["ci_high"])
    con = fit.contrasts("arm", by="session")
    dax = ax.figure.axes[1]
    _close_enough(_line(dax, "diff:0").get_xydata()[:, 1], con["estimate"])
    seg = _segments(dax, "diff_ci:0")
    _close_enough([s[0, 1] for s in seg], con["ci_low"])
    assert [t.get_text() for t in dax.get_legend().get_texts()] == list(con["contrast"].unique())
    assert ax.get_ylabel().replace("\n", " ") == "LS-mean change in MADRS total score"
    title = ax.get_legend().get_title().get_text()
    assert title == f"MMRM: n = {fit.n_patients} patients, {fit.n_obs} assessments"
    assert_publication_ready(ax.figure)


def test_lsmeans_pooled(fit):
    ax = _nature("lsmeans", fit)
    tab = fit.lsmeans("session")
    _close_enough(_line(ax, "lsmean:0").get_xydata()[:, 1], tab["estimate"])
    assert ax.get_ylabel() == "LS-mean change"
    assert_publication_ready(ax.figure)


def test_lsmeans_labels_colors(fit):
    ax = _nature("lsmeans", fit, by="arm", labels=["K", "M"], colors={"midazolam": "#CC79A7"})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["K", "M"]
    assert to_hex(_line(ax, "lsmean:1").get_color()) == "#cc79a7"


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"by": "route"}, ValueError, "by="),
        ({"by": "session"}, ValueError, "by="),
        ({"session": "visit"}, ValueError, "session="),
        ({"difference": True}, ValueError, "difference"),
        ({"difference": 1}, TypeError, "difference="),
        ({"level": None}, ValueError, "level=None"),
    ],
)
def test_lsmeans_bad_arguments(fit, kwargs, error, name):
    with pytest.raises(error, match=name):
        ka.plots.lsmeans(fit, **kwargs)


def test_lsmeans_needs_a_result(out):
    with pytest.raises(TypeError, match="MMRMResult"):
        ka.plots.lsmeans(out)


# ---------------------------------------------------------------------------------------
# item_heatmap
# ---------------------------------------------------------------------------------------
def test_item_heatmap_equals_item_change(out2):
    ax = _nature("item_heatmap", out2, scale="MADRS")
    tab = ka.stats.item_change(out2, scale="MADRS")
    tab = tab[tab["session"] != 0]
    mesh = [c for c in ax.collections if c.get_gid() == "item_heatmap"][0]
    grid = tab.pivot(index="item", columns="session", values="mean_change").to_numpy()
    _close_enough(np.asarray(mesh.get_array()).reshape(grid.shape), grid)
    vmin, vmax = mesh.get_clim()
    assert vmin == -vmax == -np.abs(grid).max()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Apparent sadness" and labels[9] == "Suicidal thoughts"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(s) for s in range(1, 14)]
    n = tab.groupby("session")["n"].max()
    assert _count_rows(ax, 1)[""] == [str(v) for v in n]
    cbar = mesh.colorbar
    assert "change" in cbar.ax.get_xlabel() and "points" in cbar.ax.get_xlabel()
    assert_publication_ready(ax.figure)


def test_item_heatmap_phq9_scores_and_min_cell(out2):
    ax = _nature("item_heatmap", out2, scale="PHQ9", y="score", min_cell_size=100)
    tab = ka.stats.item_change(out2, scale="PHQ9")
    mesh = [c for c in ax.collections if c.get_gid() == "item_heatmap"][0]
    grid = tab.pivot(index="item", columns="session", values="mean_score").to_numpy()
    _close_enough(np.asarray(mesh.get_array()).reshape(grid.shape), grid)
    assert mesh.get_clim() == (0.0, 3.0)
    n = tab.groupby("session")["n"].max()
    assert _count_rows(ax, 1)[""] == [str(v) if v >= 100 else "<100" for v in n]
    assert ax.get_yticklabels()[0].get_text() == "Anhedonia"
    assert_publication_ready(ax.figure)


def test_item_heatmap_item_labels():
    frame = ka.read_scores(SAMPLE)
    out = ka.derive(frame, scale="MADRS")
    names = [f"M{i}" for i in range(1, 11)]
    ax = _nature("item_heatmap", out, item_labels=names)
    assert [t.get_text() for t in ax.get_yticklabels()] == names


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"y": "pct_change"}, ValueError, "y="),
        ({"by": "route"}, ValueError, "by="),
        ({"labels": ["a"]}, ValueError, "labels="),
        ({"scale": "HAMD17"}, ValueError, "scale="),
        ({"item_labels": ["a"]}, ValueError, "item_labels"),
        ({"cmap": 3}, TypeError, "cmap="),
        ({"min_cell_size": 2.5}, ValueError, "min_cell_size="),
    ],
)
def test_item_heatmap_bad_arguments(out, kwargs, error, name):
    with pytest.raises(error, match=name):
        ka.plots.item_heatmap(out, **kwargs)


# ---------------------------------------------------------------------------------------
# Every figure: sizes, no patient IDs, saving
# ---------------------------------------------------------------------------------------
CASES = [
    ("trajectory", "out2", {"by": "route", "y": "change"}),
    ("trajectory", "out2", {"x": "day", "y": "pct_change", "scale": "PHQ9"}),
    ("spaghetti", "trial", {"by": "arm"}),
    ("response_rates", "trial", {"by": "arm"}),
    ("lsmeans", "fit", {"by": "arm", "difference": True, "scale": "MADRS"}),
    ("item_heatmap", "out2", {}),
]


@pytest.mark.parametrize(("journal", "width"), [("nature", "double"), ("jama", "single")])
@pytest.mark.parametrize(("func", "fixture", "kwargs"), CASES)
def test_publication_ready_at_other_sizes(request, func, fixture, kwargs, journal, width):
    data = request.getfixturevalue(fixture)
    with ka.plots.publication(journal, width):
        ax = getattr(ka.plots, func)(data, **kwargs)
    assert_publication_ready(ax.figure)


@pytest.mark.parametrize(("func", "fixture", "kwargs"), CASES)
def test_save_and_no_identifiers(request, tmp_path, func, fixture, kwargs):
    data = request.getfixturevalue(fixture)
    with ka.plots.publication("nature", "single"):
        ax = getattr(ka.plots, func)(data, **kwargs)
    fig = ax.figure
    ids = set(request.getfixturevalue("out2").patients["patient_id"]) | set(
        request.getfixturevalue("trial").patients["patient_id"]
    )
    assert not set(text_strings(fig)) & ids
    paths = ka.plots.save_figure(fig, tmp_path / func, formats=("pdf", "png"))
    assert [p.suffix for p in paths] == [".pdf", ".png"]
    assert pdf_fonts_are_truetype(paths[0])
