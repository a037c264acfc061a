"""Journal styles and figure files: ka.plots.publication and ka.plots.save_figure.

Expected sizes come from the journals' figure guides quoted in ketanalysis/plots/style.py
(Nature 89/183 mm; Cell 85/114/174 mm); byte identity is checked by saving twice.
"""

from __future__ import annotations

import hashlib

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from plotcheck import (
    assert_publication_ready,
    overlapping_texts,
    pdf_fonts_are_truetype,
    smallest_font,
)

import ketanalysis as ka
from ketanalysis.plots import annotate, checks, grouping


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _simple_figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2, 3], [32.0, 20.5, 15.0, 12.25], marker="o", label="IV")
    ax.set_xlabel("Session")
    ax.set_ylabel("MADRS total score")
    ax.legend()
    fig.tight_layout()
    return fig


@pytest.mark.parametrize(
    ("journal", "width", "mm"),
    [
        ("nature", "single", 89.0),
        ("nature", "double", 183.0),
        ("cell", "single", 85.0),
        ("cell", "onehalf", 114.0),
        ("cell", "double", 174.0),
        ("jama", "single", 86.0),
        ("apa", "double", 165.0),
    ],
)
def test_publication_sets_journal_width(journal, width, mm):
    with ka.plots.publication(journal, width):
        fig, _ = plt.subplots()
    assert fig.get_size_inches()[0] == pytest.approx(mm / 25.4, abs=1e-12)


def test_publication_width_in_mm_and_height():
    with ka.plots.publication("nature", 120, height=60):
        fig, _ = plt.subplots()
    assert tuple(fig.get_size_inches()) == pytest.approx((120 / 25.4, 60 / 25.4))


def test_publication_restores_settings():
    before = dict(matplotlib.rcParams)
    with ka.plots.publication("jama"):
        assert matplotlib.rcParams["pdf.fonttype"] == 42
        assert matplotlib.rcParams["font.size"] == 8.0
    after = dict(matplotlib.rcParams)
    assert before == after


def test_publication_restores_settings_after_error():
    before = matplotlib.rcParams["font.size"]
    with pytest.raises(RuntimeError), ka.plots.publication("apa"):
        raise RuntimeError("inside")
    assert matplotlib.rcParams["font.size"] == before


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"journal": "lancet"}, "journal='lancet'"),
        ({"width": "triple"}, "width='triple'"),
        ({"width": 5}, "width=5 mm"),
        ({"height": 400}, "height=400"),
    ],
)
def test_publication_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match), ka.plots.publication(**kwargs):
        pass


def test_palette_is_okabe_ito_and_greyscale_distinct():
    assert set(ka.plots.PALETTE) <= set(ka.plots.OKABE_ITO.values())
    # Neighbouring group colours differ in luminance (ITU-R BT.601 weights) by at least
    # 0.1, so the first groups stay apart when printed in grey; markers and line styles
    # separate the rest.
    rgb = [matplotlib.colors.to_rgb(c) for c in ka.plots.PALETTE[:4]]
    grey = [0.299 * r + 0.587 * g + 0.114 * b for r, g, b in rgb]
    assert all(abs(a - b) >= 0.1 for a, b in zip(grey, grey[1:], strict=False))


def test_fonts_are_at_least_5pt_for_every_journal():
    for name, style in ka.plots.JOURNALS.items():
        assert style.small_font_size >= 5, name
        with ka.plots.publication(name):
            fig = _simple_figure()
        assert smallest_font(fig) >= 5


def test_save_figure_is_byte_identical(tmp_path):
    with ka.plots.publication("nature"):
        fig = _simple_figure()
    a = ka.plots.save_figure(fig, tmp_path / "a" / "fig", formats=("pdf", "svg", "png", "tiff"))
    b = ka.plots.save_figure(fig, tmp_path / "b" / "fig", formats=("pdf", "svg", "png", "tiff"))
    for p, q in zip(a, b, strict=True):
        assert p.read_bytes() == q.read_bytes(), p.suffix
    assert [p.suffix for p in a] == [".pdf", ".svg", ".png", ".tiff"]


def test_pdf_embeds_truetype_and_svg_keeps_text(tmp_path):
    with ka.plots.publication("nature"):
        fig = _simple_figure()
    pdf, svg = ka.plots.save_figure(fig, tmp_path / "fig", formats=("pdf", "svg"))
    assert pdf_fonts_are_truetype(pdf)
    text = svg.read_text()
    assert "<text" in text and "MADRS total score" in text
    assert "Date" not in text and "<dc:date>" not in text
    assert b"CreationDate" not in pdf.read_bytes()


def test_truetype_check_catches_type3(tmp_path):
    # The checker itself must fail on Type 3 fonts (matplotlib's default pdf.fonttype 3).
    fig = _simple_figure()
    with matplotlib.rc_context({"pdf.fonttype": 3}):
        fig.savefig(tmp_path / "t3.pdf")
    assert not pdf_fonts_are_truetype(tmp_path / "t3.pdf")


def test_png_at_requested_dpi(tmp_path):
    from PIL import Image

    with ka.plots.publication("nature"):
        fig = _simple_figure()
    (png,) = ka.plots.save_figure(fig, tmp_path / "fig", formats=("png",), dpi=300)
    with Image.open(png) as im:
        assert im.size == (round(89 / 25.4 * 300), round(89 / 25.4 * 0.75 * 300))


def test_save_figure_resizes_to_journal(tmp_path):
    fig = _simple_figure()
    ka.plots.save_figure(fig, tmp_path / "fig", formats=("pdf",), journal="cell", width="double")
    assert fig.get_size_inches()[0] == pytest.approx(174 / 25.4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"formats": ("jpg",)}, "formats="),
        ({"formats": ()}, "formats="),
        ({"dpi": 10}, "dpi=10"),
        ({"dpi": 300.5}, "dpi=300.5"),
    ],
)
def test_save_figure_bad_arguments(tmp_path, kwargs, match):
    fig = _simple_figure()
    with pytest.raises(ValueError, match=match):
        ka.plots.save_figure(fig, tmp_path / "fig", **kwargs)


def test_count_table_suppresses_small_counts_and_does_not_overlap():
    with ka.plots.publication("nature"):
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [30, 20, 10])
        ax.set_xlabel("Session")
        annotate.count_table(
            ax, [0, 1, 2], [("IV", [150, 12, 3], "C0"), ("IM", [10, 11, 0], "C1")], min_cell_size=11
        )
        fig.tight_layout()
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("<11") == 2  # 3 and 10; 0, 11, 12 and 150 are shown as they are
    assert {"150", "12", "11", "0"} <= set(texts)
    assert overlapping_texts(fig) == []
    assert_publication_ready(fig)


def test_overlap_checker_catches_overlap():
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "first label")
    ax.text(0.5, 0.5, "second label")
    assert ("first label", "second label") in overlapping_texts(fig)


def test_count_text():
    assert annotate.count_text(5, 11) == "<11"
    assert annotate.count_text(0, 11) == "0"
    assert annotate.count_text(11, 11) == "11"
    assert annotate.count_text(5) == "5"
    with pytest.raises(ValueError, match="min_cell_size=0"):
        checks.check_min_cell_size(0)


def test_groups_labels_and_colours():
    import pandas as pd

    frame = pd.DataFrame({"arm": ["b", "a", "b"]})
    gs = grouping.groups(frame, "arm", labels={"a": "Ketamine"}, colors=["#111111", "#222222"])
    assert [(g.level, g.label, g.color) for g in gs] == [
        ("a", "Ketamine", "#111111"),
        ("b", "b", "#222222"),
    ]
    assert gs[0].marker != gs[1].marker and gs[0].linestyle != gs[1].linestyle
    with pytest.raises(ValueError, match="by='site'"):
        grouping.groups(frame, "site")
    with pytest.raises(ValueError, match="labels has 1 entries for 2 groups"):
        grouping.groups(frame, "arm", labels=["x"])


def test_import_ketanalysis_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, ketanalysis; print('matplotlib' in sys.modules)"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )


def test_file_hash_is_stable_across_processes(tmp_path):
    """A figure saved in two separate Python processes gives the same bytes."""
    import subprocess
    import sys

    code = (
        "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt;"
        "import ketanalysis as ka, sys\n"
        "with ka.plots.publication('nature'):\n"
        "    fig, ax = plt.subplots(); ax.plot([0, 1], [2, 3]); ax.set_xlabel('Session')\n"
        "ka.plots.save_figure(fig, sys.argv[1], formats=('pdf', 'svg', 'png'))\n"
    )
    digests = []
    for run in ("one", "two"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / run)], check=True)
        digests.append(
            [
                hashlib.sha256((tmp_path / f"{run}.{ext}").read_bytes()).hexdigest()
                for ext in ("pdf", "svg", "png")
            ]
        )
    assert digests[0] == digests[1]
