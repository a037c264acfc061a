"""The bundled font: every figure is drawn in Liberation Sans, whatever the machine has.

The files come from Debian's fonts-liberation2 2.1.5 (ketanalysis/plots/fonts/README.md);
ketanalysis/plots/style.py registers them with matplotlib.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager

import ketanalysis as ka
from ketanalysis.plots import style

FONTS = Path(style.__file__).with_name("fonts")


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_font_files_and_license_are_bundled():
    for name in style.FONT_FILES:
        data = (FONTS / name).read_bytes()
        assert data[:4] == b"\x00\x01\x00\x00", name  # a TrueType font
        digest = hashlib.sha256(data).hexdigest()
        assert digest in (FONTS / "README.md").read_text(), name
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "OFL.txt").read_text()


def test_register_fonts_is_idempotent():
    assert style.register_fonts() == ["Liberation Sans"]
    count = len(font_manager.fontManager.ttflist)
    assert style.register_fonts() == ["Liberation Sans"]
    assert len(font_manager.fontManager.ttflist) == count
    bundled = {
        Path(f.fname).name: (f.weight, f.style)
        for f in font_manager.fontManager.ttflist
        if Path(f.fname).parent.resolve() == FONTS.resolve()
    }
    assert bundled == {
        "LiberationSans-Regular.ttf": (400, "normal"),
        "LiberationSans-Bold.ttf": (700, "normal"),
        "LiberationSans-Italic.ttf": (400, "italic"),
        "LiberationSans-BoldItalic.ttf": (700, "italic"),
    }


@pytest.mark.parametrize("journal", sorted(ka.plots.JOURNALS))
def test_every_journal_uses_the_bundled_font(journal):
    params = style.rc_params(journal)
    assert params["font.family"] == ["Liberation Sans", "DejaVu Sans"]
    with ka.plots.publication(journal):
        fig, ax = plt.subplots()
        label = ax.set_xlabel("Session")
    path = font_manager.findfont(label.get_fontproperties())
    assert Path(path).resolve() == (FONTS / "LiberationSans-Regular.ttf").resolve()


@pytest.mark.parametrize(
    ("weight", "fontstyle", "file"),
    [
        ("bold", "normal", "LiberationSans-Bold.ttf"),
        ("normal", "italic", "LiberationSans-Italic.ttf"),
        ("bold", "italic", "LiberationSans-BoldItalic.ttf"),
    ],
)
def test_bold_and_italic_come_from_the_bundled_files(weight, fontstyle, file):
    with ka.plots.publication():
        fig, ax = plt.subplots()
        text = ax.text(0, 0, "n", fontweight=weight, fontstyle=fontstyle)
    path = font_manager.findfont(text.get_fontproperties())
    assert Path(path).name == file


def test_pdf_embeds_the_bundled_font(tmp_path):
    with ka.plots.publication():
        fig, ax = plt.subplots()
        ax.plot([0, 1], [30, 12])
        ax.set_xlabel("Session")
    (pdf,) = ka.plots.save_figure(fig, tmp_path / "fig", formats=("pdf",))
    # subset fonts are named with a six-letter tag: /BaseFont /ABCDEF+LiberationSans
    names = set(re.findall(rb"/BaseFont /(?:[A-Z]{6}\+)?([A-Za-z-]+)", pdf.read_bytes()))
    assert names == {b"LiberationSans"}, names


def test_bundled_font_outside_publication_and_restored():
    before = dict(matplotlib.rcParams)
    with style.bundled_font() as family:
        fig, ax = plt.subplots()
        label = ax.set_xlabel("Session")
    assert family == ["Liberation Sans", "DejaVu Sans"]
    assert label.get_fontname() == "Liberation Sans"
    assert dict(matplotlib.rcParams) == before


def test_bundled_font_as_decorator_keeps_a_journals_choice():
    @style.bundled_font()
    def draw():
        fig, ax = plt.subplots()
        return ax.set_xlabel("Session")

    assert draw().get_fontname() == "Liberation Sans"
    own = style.JournalStyle(
        "own", {"single": 80.0}, 200.0, 7.0, 6.0, 1.0, "test", fonts=("DejaVu Sans",)
    )
    with ka.plots.publication(own):
        assert draw().get_fontname() == "DejaVu Sans"


def test_font_files_are_declared_package_data():
    import fnmatch
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    root = Path(__file__).resolve().parents[1]
    meta = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = meta["tool"]["setuptools"]["package-data"]["ketanalysis.plots"]
    for path in FONTS.iterdir():
        rel = f"fonts/{path.name}"
        assert any(fnmatch.fnmatch(rel, p) for p in patterns), rel


FIGURES = (
    "trajectory",
    "spaghetti",
    "response_rates",
    "lsmeans",
    "item_heatmap",
    "kaplan_meier",
    "swimmer",
    "forest",
    "waterfall",
    "severity_transitions",
    "jacobson_truax",
    "cadss_course",
    "ae_incidence",
    "vitals",
)


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_draws_in_the_bundled_font_outside_publication(name):
    """A figure drawn without ``publication()`` lays out its text in Liberation Sans too."""
    func = getattr(ka.plots, name)
    assert hasattr(func, "__wrapped__"), f"ka.plots.{name} is not wrapped by bundled_font()"


def test_a_figure_outside_publication_uses_the_bundled_font():
    out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    before = list(matplotlib.rcParams["font.family"])
    ax = ka.plots.trajectory(out, by="route")
    try:
        texts = [t for t in ax.figure.findobj(matplotlib.text.Text) if t.get_text()]
        assert texts
        assert {t.get_fontname() for t in texts} == {"Liberation Sans"}
        assert list(matplotlib.rcParams["font.family"]) == before
    finally:
        plt.close("all")
