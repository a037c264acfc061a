"""Figures under every matplotlib backend: ka.plots.axes.renderer_of and friends.

Under ``MPLBACKEND=svg`` or ``pdf`` a figure's canvas has no ``get_renderer`` (only Agg
has one); the layout helpers then measure on an Agg canvas attached for the moment, so
the figures come out as under Agg.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG

from ketanalysis.plots import axes

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _svg_figure():
    fig, ax = plt.subplots(figsize=(2.0, 1.2))
    ax.plot([0, 1, 2, 3], [32.0, 20.5, 15.0, 12.25])
    ax.set_xticks(range(4), ["Baseline", "Infusion 1", "Infusion 2", "Infusion 3"])
    ax.set_ylabel("MADRS total score after the last infusion")
    svg = FigureCanvasSVG(fig)  # as plt.figure() makes it under MPLBACKEND=svg
    assert not hasattr(fig.canvas, "get_renderer")
    return fig, ax, svg


def test_renderer_of_an_svg_canvas_measures_with_agg():
    fig, ax, svg = _svg_figure()
    renderer = axes.renderer_of(fig)
    assert fig.canvas is svg  # the figure's own canvas is back
    assert renderer is axes.renderer_of(fig)  # one Agg canvas per figure
    axes.draw_figure(fig)
    assert fig.canvas is svg
    label = ax.yaxis.label
    width = label.get_window_extent(renderer).width
    # the same extent as the figure measured on its own Agg canvas
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    assert label.get_window_extent(fig.canvas.get_renderer()).width == pytest.approx(width)


def test_layout_helpers_run_under_an_svg_canvas():
    fig, ax, svg = _svg_figure()
    axes.finish(fig, ax, True, freeze=True)
    assert fig.canvas is svg
    assert "\n" in ax.yaxis.label.get_text()  # the tall label was broken (measured)
    hidden = [t.label1.get_visible() for t in ax.xaxis.get_major_ticks()]
    assert not all(hidden)  # touching tick labels thinned
    # the same layout as the figure drawn on Agg from the start
    fig2, ax2, _ = _svg_figure()
    FigureCanvasAgg(fig2)
    axes.finish(fig2, ax2, True, freeze=True)
    assert ax2.yaxis.label.get_text() == ax.yaxis.label.get_text()
    assert [t.label1.get_visible() for t in ax2.xaxis.get_major_ticks()] == hidden
    assert ax2.get_position().bounds == pytest.approx(ax.get_position().bounds)


def test_renderer_of_keeps_an_agg_canvas():
    fig, _ = plt.subplots()
    assert axes.renderer_of(fig) is fig.canvas.get_renderer()


def _figures(out: Path, backend: str) -> list[str]:
    exe = Path(sys.executable).with_name("ketanalysis")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "ketanalysis.cli"]
    env = {**os.environ, "MPLBACKEND": backend}
    sample = ROOT / "data" / "sample" / "cohort_long.csv"
    config = ROOT / "docs" / "sample-report.toml"
    args = ["figures", str(sample), "--out", str(out), "--config", str(config), "-q"]
    run = subprocess.run(cmd + args, capture_output=True, text=True, env=env)
    assert run.returncode == 0, f"MPLBACKEND={backend}: {run.stderr}"
    return sorted(p.name for p in out.iterdir())


def test_figures_command_under_every_backend(tmp_path):
    pytest.importorskip("matplotlib_inline")
    expected = _figures(tmp_path / "agg", "agg")
    assert any(name.endswith(".svg") for name in expected)
    for backend in ("svg", "pdf", "module://matplotlib_inline.backend_inline"):
        name = backend.rsplit(".", 1)[-1]
        assert _figures(tmp_path / name, backend) == expected, backend
