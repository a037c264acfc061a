"""Every figure of ka.plots on the sample data, at Nature single-column size.

For each figure: no two visible texts overlap (renderer bounding boxes), no text is cut off
at the figure edge, the smallest font is at least 5 pt, the PDF embeds TrueType fonts, and
saving twice gives byte-identical PDF, SVG and PNG files. What each figure draws is checked
against the statistics layer in its own test module (tests/test_plots_*.py).
"""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from plotcheck import assert_publication_ready, pdf_fonts_are_truetype, text_strings

import ketanalysis as ka

SAMPLE = "data/sample/cohort_long.csv"


@pytest.fixture(scope="module")
def out():
    return ka.derive(ka.read_scores(SAMPLE), scale=["MADRS", "PHQ9"])


@pytest.fixture(scope="module")
def trial():
    frame = ka.simulate_cohort(120, seed=3, arms=("ketamine", "midazolam"))
    return ka.derive(frame, scale="MADRS")


@pytest.fixture(scope="module")
def mmrm_result(trial):
    data = trial.assessments
    data = data[data["post_baseline"] & data["session"].between(1, 7)].copy()
    return ka.stats.mmrm(
        data, ka.stats.PrimaryMMRM().formula("arm"), patient="patient_id", session="session"
    )


@pytest.fixture(scope="module")
def vitals_readings():
    from ketanalysis import read_vitals

    return read_vitals("data/sample/vitals.csv")


@pytest.fixture(scope="module")
def safety(vitals_readings):
    from ketanalysis import derive_safety, read_adverse_events

    events = read_adverse_events("data/sample/adverse_events.csv")
    return derive_safety(vitals_readings, events, ka.read_scores(SAMPLE))


# case -> (figure function, data fixture, keyword arguments)
CALLS = {
    "trajectory": ("trajectory", "out", {}),
    "trajectory_change_by_route": ("trajectory", "out", {"by": "route", "y": "change"}),
    "trajectory_arms": ("trajectory", "trial", {"by": "arm", "y": "change"}),
    "spaghetti": ("spaghetti", "out", {}),
    "response_rates": ("response_rates", "out", {}),
    "item_heatmap": ("item_heatmap", "out", {"scale": "MADRS"}),
    "kaplan_meier_response": ("kaplan_meier", "out", {"event": "response"}),
    "kaplan_meier_relapse_by_route": ("kaplan_meier", "out", {"event": "relapse", "by": "route"}),
    "swimmer": ("swimmer", "out", {}),
    "forest": ("forest", "out", {}),
    "forest_arms": ("forest", "trial", {"by": "arm"}),
    "waterfall": ("waterfall", "out", {}),
    "severity_transitions": ("severity_transitions", "out", {}),
    "jacobson_truax": ("jacobson_truax", "out", {}),
    "lsmeans": ("lsmeans", "mmrm_result", {"by": "arm"}),
    "vitals": ("vitals", "safety", {}),
    "vitals_readings_bp": ("vitals", "vitals_readings", {"measure": ("sbp", "dbp")}),
    "cadss_course": ("cadss_course", "safety", {"by": "route", "trend": True}),
    "ae_incidence": ("ae_incidence", "safety", {"by": "route"}),
}


def _draw(case, request):
    func, fixture, kwargs = CALLS[case]
    result = getattr(ka.plots, func)(request.getfixturevalue(fixture), **kwargs)
    return result if isinstance(result, matplotlib.figure.Figure) else result.figure


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_every_figure_is_in_the_gallery():
    assert set(ka.plots._FIGURES) <= {func for func, _, _ in CALLS.values()}


@pytest.mark.parametrize("case", list(CALLS))
def test_figure_is_publication_ready(case, request, tmp_path):
    with ka.plots.publication("nature", "single"):
        fig = _draw(case, request)
    assert fig.get_size_inches()[0] == pytest.approx(89 / 25.4)
    assert_publication_ready(fig)
    patients = request.getfixturevalue("out").patients["patient_id"].unique()
    shown = set(text_strings(fig))
    assert not shown & set(patients), "a patient ID is printed in the figure"
    a = ka.plots.save_figure(fig, tmp_path / "a" / case, formats=("pdf", "svg", "png"))
    b = ka.plots.save_figure(fig, tmp_path / "b" / case, formats=("pdf", "svg", "png"))
    for p, q in zip(a, b, strict=True):
        assert p.read_bytes() == q.read_bytes(), f"{case}{p.suffix} differs between saves"
    assert pdf_fonts_are_truetype(a[0])
