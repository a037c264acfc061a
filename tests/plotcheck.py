"""Checks of what a figure draws, shared by the plot tests (docs/architecture.md §8).

Texts are measured with the Agg renderer at the figure's own size, which is the final
printed size when the figure was drawn inside ``ka.plots.publication``.
"""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.text import Text


def _drawn_tick_labels(fig) -> set[int]:
    """ids of tick-label texts that are actually drawn (ticks inside the view limits)."""
    ids = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis._update_ticks():  # the ticks Axis.draw draws
                for label in (tick.label1, tick.label2):
                    if label.get_visible() and label.get_text():
                        ids.add(id(label))
    return ids


def visible_texts(fig) -> list[Text]:
    """Every non-empty visible text that the figure draws."""
    fig.canvas.draw()
    drawn_ticks = _drawn_tick_labels(fig)
    all_tick_labels = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                all_tick_labels.update((id(tick.label1), id(tick.label2)))
    out = []
    seen = set()
    for t in fig.findobj(Text):
        if id(t) in seen:
            continue
        seen.add(id(t))
        if not t.get_text().strip() or not _really_visible(t):
            continue
        if id(t) in all_tick_labels and id(t) not in drawn_ticks:
            continue
        out.append(t)
    return out


def _really_visible(t: Text) -> bool:
    if not t.get_visible():
        return False
    if t.axes is not None and not t.axes.get_visible():
        return False
    return True


def overlapping_texts(fig, tolerance_px: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of visible texts whose rendered bounding boxes intersect."""
    renderer = fig.canvas.get_renderer()
    texts = visible_texts(fig)
    boxes = []
    for t in texts:
        bb = t.get_window_extent(renderer)
        boxes.append(
            (
                t,
                bb.x0 + tolerance_px,
                bb.y0 + tolerance_px,
                bb.x1 - tolerance_px,
                bb.y1 - tolerance_px,
            )
        )
    bad = []
    for (t1, a0, b0, a1, b1), (t2, c0, d0, c1, d1) in combinations(boxes, 2):
        if a0 < c1 and c0 < a1 and b0 < d1 and d0 < b1:
            bad.append((t1.get_text(), t2.get_text()))
    return bad


def texts_outside_figure(fig, tolerance_px: float = 1.0) -> list[str]:
    """Visible texts that extend beyond the figure canvas (they would be cut off)."""
    renderer = fig.canvas.get_renderer()
    w, h = fig.canvas.get_width_height()
    out = []
    for t in visible_texts(fig):
        bb = t.get_window_extent(renderer)
        if (
            bb.x0 < -tolerance_px
            or bb.y0 < -tolerance_px
            or bb.x1 > w + tolerance_px
            or bb.y1 > h + tolerance_px
        ):
            out.append(t.get_text())
    return out


def smallest_font(fig) -> float:
    """Smallest font size in points among visible texts (at the figure's size)."""
    return min(t.get_fontsize() for t in visible_texts(fig))


def text_strings(fig) -> list[str]:
    return [t.get_text() for t in visible_texts(fig)]


def pdf_fonts_are_truetype(path: str | Path) -> bool:
    """True when every font in a matplotlib PDF is embedded TrueType (no Type 3/Type 1)."""
    data = Path(path).read_bytes()
    subtypes = set(re.findall(rb"/Subtype\s*/(Type3|Type1|TrueType|CIDFontType2|Type0)", data))
    embedded = b"/FontFile2" in data
    return bool(subtypes) and embedded and b"Type3" not in subtypes and b"Type1" not in subtypes


def assert_publication_ready(fig, *, min_pt: float = 5.0) -> None:
    """No overlapping texts, nothing outside the canvas, no font below ``min_pt``."""
    overlaps = overlapping_texts(fig)
    assert not overlaps, f"overlapping texts: {overlaps[:10]}"
    outside = texts_outside_figure(fig)
    assert not outside, f"texts cut off at the figure edge: {outside[:10]}"
    size = smallest_font(fig)
    assert size >= min_pt, f"smallest font {size} pt < {min_pt} pt"
