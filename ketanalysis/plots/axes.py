"""Axes and layout helpers shared by the figure functions: new axes at the active
style's size, font sizes, interval drawing with dodged groups, and the last layout steps
(tight layout, frozen ticks, a broken y label, thinned tick labels).
"""

from __future__ import annotations

import contextlib
import warnings
import weakref

import matplotlib as mpl
import numpy as np

from .style import current_style


def pyplot():
    """matplotlib.pyplot, imported on first use (``import ketanalysis`` stays light)."""
    import matplotlib.pyplot as plt

    return plt


#: The Agg canvas measuring each figure whose own canvas has no renderer (SVG, PDF, PS).
_AGG_CANVASES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def measuring_canvas(fig):
    """Yield a canvas of ``fig`` that can draw and measure text (``get_renderer``).

    The figure's own canvas when it has a renderer (Agg, the inline backend); otherwise
    (``MPLBACKEND=svg``, ``pdf``, ``ps``) an Agg canvas attached for the duration of the
    block, the same one each time for one figure, and the figure's own canvas restored
    afterwards. Layout is so measured with Agg's text metrics under every backend.
    """
    own = fig.canvas
    if hasattr(own, "get_renderer"):
        yield own
        return
    agg = _AGG_CANVASES.get(fig)
    if agg is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        agg = FigureCanvasAgg(fig)  # attaches itself to fig
        _AGG_CANVASES[fig] = agg
    fig.set_canvas(agg)
    try:
        yield agg
    finally:
        fig.set_canvas(own)


def renderer_of(fig):
    """A renderer measuring ``fig``: ``fig.canvas.get_renderer()`` when the canvas has
    one, else that of an Agg canvas (:func:`measuring_canvas`), under any backend."""
    with measuring_canvas(fig) as canvas:
        return canvas.get_renderer()


def draw_figure(fig) -> None:
    """Draw ``fig`` so that tick positions and text extents are current:
    ``fig.canvas.draw()``, on an Agg canvas when the figure's own cannot render."""
    with measuring_canvas(fig) as canvas:
        canvas.draw()


def new_axes(ax=None, *, height_ratio: float | None = None):
    """Return ``(fig, ax)``: the given axes, or a new figure at the active style's size."""
    if ax is not None:
        return ax.figure, ax
    _, w, h = current_style()
    if height_ratio is not None:
        h = w * height_ratio
    fig, ax = pyplot().subplots(figsize=(w, h))
    return fig, ax


def refuse_ax(ax, name: str) -> None:
    """Multi-panel figures draw their own axes."""
    if ax is not None:
        raise TypeError(f"{name}() draws a multi-panel Figure and does not take ax=")


def small_font() -> float:
    return current_style()[0].small_font_size


def font() -> float:
    return current_style()[0].font_size


def thin_labels(n_positions: int, width_in: float, label_chars: int, fontsize: float) -> int:
    """Keep every k-th tick label so that labels of ``label_chars`` characters fit."""
    per_label_in = max(label_chars, 1) * fontsize * 0.6 / 72 + fontsize * 0.5 / 72
    fit = max(int(width_in / per_label_in), 1)
    return max(int(np.ceil(n_positions / fit)), 1)


#: Points between neighbouring groups drawn at one x (or y) position.
DODGE_PT = 2.5


#: Colour of threshold and separator lines (drawn :func:`thin_linewidth` wide).
LIMIT_COLOR = "#8C8C8C"


def line_width() -> float:
    """The active style's line width (``lines.linewidth``)."""
    return float(mpl.rcParams["lines.linewidth"])


def thin_linewidth() -> float:
    """Width of interval and reference lines: 0.6 of the style's line width, at least 0.5."""
    return max(0.5, 0.6 * mpl.rcParams["lines.linewidth"])


def segments(xs, lo, hi) -> list:
    """Vertical segments from ``lo`` to ``hi`` at ``xs`` (pairs with a NaN end left out)."""
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    ok = ~np.isnan(lo) & ~np.isnan(hi)
    return [np.array([[x, a], [x, b]]) for x, a, b in zip(xs[ok], lo[ok], hi[ok], strict=True)]


def dodge(ax, index: int, n: int, *, vertical: bool = False):
    """Data transform of group ``index`` of ``n`` shifted by a few points (sideways, or
    down the rows with ``vertical``); the data keep their values."""
    from matplotlib.transforms import ScaledTranslation

    step = (index - (n - 1) / 2) * DODGE_PT / 72.0
    if vertical:
        return ax.transData + ScaledTranslation(0, -step, ax.figure.dpi_scale_trans)
    return ax.transData + ScaledTranslation(step, 0, ax.figure.dpi_scale_trans)


def interval_plot(ax, trans, xs, y, lo=None, hi=None, *, color, ci=None, **kw):
    """Error bars from ``lo`` to ``hi`` (when ``ci`` holds their keywords, e.g. label and
    gid) and then the markers/line ``y`` at ``xs``, both drawn with the transform
    ``trans`` (see :func:`dodge`). Returns the line."""
    from matplotlib.collections import LineCollection

    if ci is not None:
        coll = ax.add_collection(
            LineCollection(segments(xs, lo, hi), colors=color, linewidths=thin_linewidth(), **ci)
        )
        coll.set_transform(trans)
    (line,) = ax.plot(xs, y, color=color, **kw)
    line.set_transform(trans)
    return line


def tight(fig, *, pad: float = 0.3, ignore: type[Warning] | None = Warning) -> None:
    """``fig.tight_layout(pad=pad)`` with warnings of category ``ignore`` silenced
    (``None``: none silenced), measured on an Agg canvas under any backend."""
    with measuring_canvas(fig), warnings.catch_warnings():
        if ignore is not None:
            warnings.simplefilter("ignore", ignore)
        fig.tight_layout(pad=pad)


def freeze_ticks(fig) -> None:
    """Fix the number of automatic ticks as the active style sets it.

    matplotlib's automatic locator counts ticks from the *current* tick-label size, so a
    figure drawn inside ``publication()`` and saved outside it would get other ticks (and
    labels that no longer fit the layout). Limits may still change later.
    """
    from matplotlib.ticker import AutoLocator, MaxNLocator

    for a in fig.axes:
        for axis in (a.xaxis, a.yaxis):
            loc = axis.get_major_locator()
            if type(loc) is AutoLocator:
                nbins = int(np.clip(axis.get_tick_space(), 1, 9))
                axis.set_major_locator(MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10]))


def fit_ylabel(ax, *, draw: bool = False) -> bool:
    """Break the y label into two lines (at the space nearest its middle) when it is
    taller than the axes; True if broken. ``draw`` draws the figure first (axes
    locators, as of a difference panel, set positions at draw time)."""
    label = ax.yaxis.label
    text = label.get_text()
    if not text or "\n" in text or " " not in text:
        return False
    if draw:
        draw_figure(ax.figure)
    renderer = renderer_of(ax.figure)
    if label.get_window_extent(renderer).height <= ax.get_window_extent(renderer).height:
        return False
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    label.set_text(text[:cut] + "\n" + text[cut + 1 :])
    return True


def thin_ticks(ax) -> None:
    """Hide x tick labels that would touch their left neighbour (greedy, left to right)."""
    fig = ax.figure
    renderer = renderer_of(fig)
    last = -np.inf
    gap = 0.4 * small_font() * fig.dpi / 72
    lo, hi = sorted(ax.get_xlim())
    for tick in ax.xaxis.get_major_ticks():
        label = tick.label1
        if not label.get_text() or not lo <= tick.get_loc() <= hi:
            continue
        label.set_visible(True)
        bb = label.get_window_extent(renderer)
        if bb.x0 < last + gap:
            label.set_visible(False)
        else:
            last = bb.x1


def finish(fig, ax, created: bool, *, freeze: bool = False, draw_first: bool = True) -> None:
    """Last layout steps of an axes-level figure.

    With ``freeze``, :func:`freeze_ticks` first. Then, each layout pass only in a figure
    the function ``created``: fit the layout, break a tall y label (:func:`fit_ylabel`;
    the figure is drawn first, always with ``draw_first``, else only when the label may
    be broken), fit again, hide touching x tick labels (:func:`thin_ticks`), and fit and
    thin once more.
    """
    if freeze:
        freeze_ticks(fig)
    if created:
        tight(fig)
    if draw_first:
        draw_figure(fig)
    fit_ylabel(ax, draw=not draw_first)
    if created:
        tight(fig)
    draw_figure(fig)
    thin_ticks(ax)
    if created:
        tight(fig)
        thin_ticks(ax)
