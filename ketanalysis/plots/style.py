"""Journal styles and reproducible figure files.

:func:`publication` is a context manager that sets figure size, fonts, line widths and a
colour-blind-safe palette for a journal; :func:`save_figure` writes PDF, SVG, PNG and TIFF
files with embedded TrueType fonts and fixed metadata, so saving the same figure twice gives
byte-identical files.

Every style draws text in Liberation Sans, bundled in ``ketanalysis/plots/fonts/`` (see
:func:`publication`), so figures do not depend on the fonts a machine has;
:func:`bundled_font` gives the same face outside a block.

Nothing here changes matplotlib's global settings outside a ``with publication(...)`` block
(the bundled font files are added to matplotlib's list of known fonts, which sets nothing).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

__all__ = [
    "JOURNALS",
    "LINESTYLES",
    "MARKERS",
    "OKABE_ITO",
    "PALETTE",
    "JournalStyle",
    "bundled_font",
    "current_style",
    "publication",
    "register_fonts",
    "save_figure",
]

MM_PER_INCH = 25.4

#: The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Group colours in order of use. Consecutive colours alternate dark and light so that
#: neighbours stay apart in greyscale (grey levels 0.40, 0.62, 0.20, 0.43, 0.59, 0.56, 0.84);
#: markers and line styles separate groups too.
PALETTE: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["black"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
)
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES: tuple[str, ...] = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "-")

#: The bundled font files (Liberation Sans 2.1.5, SIL Open Font License 1.1; see
#: ``fonts/README.md``): regular, bold, italic and bold italic.
FONT_DIR = Path(__file__).with_name("fonts")
FONT_FILES: tuple[str, ...] = (
    "LiberationSans-Regular.ttf",
    "LiberationSans-Bold.ttf",
    "LiberationSans-Italic.ttf",
    "LiberationSans-BoldItalic.ttf",
)

# The face every figure uses, then the face matplotlib falls back on, glyph by glyph, for
# characters the first lacks. Liberation Sans has Arial's metrics and is bundled; DejaVu
# Sans ships with matplotlib. Both come with the package, so no installed font (Arial on
# one machine, Helvetica on another) changes a figure.
_SANS = ("Liberation Sans", "DejaVu Sans")


@dataclass(frozen=True)
class JournalStyle:
    """Size and type settings of one journal.

    Attributes
    ----------
    name : str
        Key in :data:`JOURNALS`.
    widths_mm : dict
        Figure width in millimetres for ``"single"``, ``"double"`` (and ``"onehalf"`` where
        the journal has it).
    max_height_mm : float
        Tallest figure the journal prints.
    font_size, small_font_size : float
        Points at final size: labels and tick labels / annotations and tables. Never
        below 5 pt.
    line_width : float
        Data line width in points; axes and ticks use 0.6 of it (at least 0.5 pt).
    source : str
        Where the numbers come from.
    fonts : tuple of str, default ("Liberation Sans", "DejaVu Sans")
        Font families, those installed kept in this order: the first draws the text, the
        next ones only glyphs it lacks. Both defaults come with the package (Liberation
        Sans bundled, DejaVu Sans with matplotlib), so no installed font changes a figure.
    """

    name: str
    widths_mm: dict[str, float]
    max_height_mm: float
    font_size: float
    small_font_size: float
    line_width: float
    source: str
    fonts: tuple[str, ...] = field(default=_SANS)

    def width_in(self, width: str | float = "single") -> float:
        """Figure width in inches for ``"single"``, ``"double"`` or a number of mm."""
        if isinstance(width, (int, float)) and not isinstance(width, bool):
            if not 20 <= width <= 400:
                raise ValueError(f"width={width!r} mm is outside 20-400 mm")
            return float(width) / MM_PER_INCH
        if width not in self.widths_mm:
            raise ValueError(
                f"width={width!r} is not one of {sorted(self.widths_mm)} for journal "
                f"{self.name!r} (or give a width in mm)"
            )
        return self.widths_mm[width] / MM_PER_INCH

    @property
    def max_height_in(self) -> float:
        return self.max_height_mm / MM_PER_INCH


#: Journal presets. Widths are the column widths of the journals' print layouts.
JOURNALS: dict[str, JournalStyle] = {
    "nature": JournalStyle(
        "nature",
        {"single": 89.0, "double": 183.0},
        170.0,
        7.0,
        6.0,
        1.0,
        "Nature formatting guide for figures: 89 mm single, 183 mm double column, "
        "sans-serif (Arial/Helvetica) 5-7 pt, lines 0.25-1 pt",
    ),
    "cell": JournalStyle(
        "cell",
        {"single": 85.0, "onehalf": 114.0, "double": 174.0},
        225.0,
        7.0,
        6.0,
        1.0,
        "Cell Press figure guidelines: 85 mm, 114 mm and 174 mm widths, Arial/Helvetica 6-8 pt",
    ),
    "jama": JournalStyle(
        "jama",
        {"single": 86.0, "double": 178.0},
        229.0,
        8.0,
        7.0,
        1.0,
        "JAMA Network figure requirements: 1-column about 3.4 in (86 mm), 2-column about "
        "7 in (178 mm), Arial/Helvetica, height at most 9 in; check the current "
        "instructions before submission",
    ),
    "apa": JournalStyle(
        "apa",
        {"single": 82.5, "double": 165.0},
        229.0,
        9.0,
        8.0,
        1.0,
        "APA Publication Manual, 7th ed., section 7.26: sans-serif type between 8 and "
        "14 pt; widths chosen for a 6.5 in text block (half and full)",
    ),
}


def register_fonts() -> list[str]:
    """Make the bundled Liberation Sans files known to matplotlib (once per process).

    :func:`publication` calls this; call it yourself only to use the face outside a
    ``with publication(...)`` block (``font.family: "Liberation Sans"``).

    Returns
    -------
    list of str
        The family names the bundled files provide.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> ka.plots.style.register_fonts()
    ['Liberation Sans']
    """
    manager = font_manager.fontManager
    known = {Path(f.fname).resolve() for f in manager.ttflist}
    families = []
    for name in FONT_FILES:
        path = (FONT_DIR / name).resolve()
        if path not in known:
            manager.addfont(str(path))
        family = font_manager.FontProperties(fname=path).get_name()
        if family not in families:
            families.append(family)
    return families


def _font_family(preferred: Sequence[str]) -> list[str]:
    register_fonts()
    names = {f.name for f in font_manager.fontManager.ttflist}
    found = [f for f in preferred if f in names]
    return found or ["DejaVu Sans"]


def _journal(journal: str | JournalStyle) -> JournalStyle:
    if isinstance(journal, JournalStyle):
        return journal
    key = str(journal).lower()
    if key not in JOURNALS:
        raise ValueError(f"journal={journal!r} is not one of {sorted(JOURNALS)}")
    return JOURNALS[key]


_ACTIVE: list[tuple[JournalStyle, float, float]] = []


def current_style() -> tuple[JournalStyle, float, float]:
    """The active ``(style, width_in, height_in)``; Nature single column outside a block."""
    if _ACTIVE:
        return _ACTIVE[-1]
    style = JOURNALS["nature"]
    w = style.width_in("single")
    return style, w, w * 0.75


def rc_params(
    journal: str | JournalStyle = "nature",
    width: str | float = "single",
    height: float | None = None,
) -> dict:
    """The matplotlib settings :func:`publication` applies (height in mm, optional)."""
    style = _journal(journal)
    w = style.width_in(width)
    h = w * 0.75 if height is None else float(height) / MM_PER_INCH
    if not 0 < h <= style.max_height_in + 1e-9:
        raise ValueError(
            f"height={height!r} mm is outside 0-{style.max_height_mm:g} mm for {style.name!r}"
        )
    thin = max(0.5, 0.6 * style.line_width)
    from cycler import cycler

    return {
        "figure.figsize": (w, h),
        "figure.dpi": 150,
        "figure.constrained_layout.use": False,
        # Concrete names, so that texts keep the face when drawn or saved after the block.
        "font.family": _font_family(style.fonts),
        "font.sans-serif": _font_family(style.fonts),
        "font.size": style.font_size,
        "axes.titlesize": style.font_size,
        "axes.labelsize": style.font_size,
        "xtick.labelsize": style.small_font_size,
        "ytick.labelsize": style.small_font_size,
        "legend.fontsize": style.small_font_size,
        "legend.title_fontsize": style.small_font_size,
        "legend.frameon": False,
        "figure.titlesize": style.font_size,
        "axes.linewidth": thin,
        "xtick.major.width": thin,
        "ytick.major.width": thin,
        "xtick.minor.width": thin * 0.8,
        "ytick.minor.width": thin * 0.8,
        "xtick.major.size": 2.5,
        "ytick.major.size": 2.5,
        "xtick.major.pad": 2.0,
        "ytick.major.pad": 2.0,
        "axes.labelpad": 2.5,
        "lines.linewidth": style.line_width,
        "lines.markersize": 3.0,
        "patch.linewidth": thin,
        "errorbar.capsize": 1.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "axes.unicode_minus": True,
        "mathtext.default": "regular",
        # text is literal: a data label such as "$x^2$" is shown as typed, not as math
        "text.parse_math": False,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
        "svg.hashsalt": "ketanalysis",
        "savefig.dpi": 600,
        "savefig.bbox": None,
        "savefig.pad_inches": 0.02,
        "image.composite_image": True,
    }


@contextlib.contextmanager
def publication(
    journal: str | JournalStyle = "nature",
    width: str | float = "single",
    height: float | None = None,
) -> Iterator[JournalStyle]:
    """Draw figures in a journal's style inside a ``with`` block.

    Parameters
    ----------
    journal : {"nature", "cell", "jama", "apa"} or JournalStyle
        Preset from :data:`JOURNALS`.
    width : {"single", "double"} or float
        Column width, or a width in millimetres. Cell also has ``"onehalf"``.
    height : float, optional
        Figure height in millimetres (default three quarters of the width).

    Yields
    ------
    JournalStyle
        The preset used.

    Notes
    -----
    Settings: the journal's width, the sans-serif face Liberation Sans 2.1.5 (bundled with
    the package in ``ketanalysis/plots/fonts/`` and registered with matplotlib here;
    metric-compatible with Arial and Helvetica, so text takes the room it would in those),
    with DejaVu Sans (shipped with matplotlib) for any glyph it lacks -- whatever fonts are
    installed, so a figure has the same layout and bytes on every machine --, the journal's
    font sizes, thin axes, the Okabe–Ito palette (:data:`PALETTE`), TrueType fonts in PDF
    (``pdf.fonttype = 42``), text kept as text in SVG, and text drawn literally
    (``text.parse_math = False``: a label such as ``$x^2$`` from the data is shown as typed,
    never as mathtext). Figure functions add markers and
    line styles per group, so groups stay apart in greyscale. Everything is restored on
    leaving the block (``matplotlib.rc_context``).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> with ka.plots.publication("nature", "single") as style:
    ...     style.widths_mm["single"]
    89.0
    """
    style = _journal(journal)
    params = rc_params(style, width, height)
    w, h = params["figure.figsize"]
    with mpl.rc_context(params):
        _ACTIVE.append((style, w, h))
        try:
            yield style
        finally:
            _ACTIVE.pop()


@contextlib.contextmanager
def bundled_font() -> Iterator[list[str]]:
    """Draw in the bundled Liberation Sans, also outside a ``with publication(...)`` block.

    Inside a :func:`publication` block this does nothing (the block has set the face);
    outside, it sets ``font.family``, ``font.sans-serif`` and ``text.parse_math = False``
    (text is literal) for its own extent only, so a figure drawn with matplotlib's other
    defaults still has the text layout it has in the report. Works as a ``with`` block and as a function decorator.

    Yields
    ------
    list of str
        The font families in use: Liberation Sans, then DejaVu Sans for glyphs it lacks.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> with ka.plots.style.bundled_font():
    ...     fig, ax = plt.subplots()
    ...     label = ax.set_xlabel("Session")
    >>> label.get_fontname()
    'Liberation Sans'
    >>> plt.close(fig)
    """
    family = _font_family(_SANS)
    if _ACTIVE:
        yield list(mpl.rcParams["font.family"])
        return
    with mpl.rc_context(
        {"font.family": family, "font.sans-serif": family, "text.parse_math": False}
    ):
        yield family


_FORMATS = ("pdf", "svg", "png", "tiff", "eps")


def _metadata(fmt: str) -> dict | None:
    # Fixed metadata: no dates, no version strings that change between installs.
    if fmt == "pdf":
        return {"Creator": "ketanalysis", "Producer": "ketanalysis", "CreationDate": None}
    if fmt == "svg":
        return {"Creator": "ketanalysis", "Date": None}
    if fmt == "png":
        return {"Software": "ketanalysis"}
    if fmt == "eps":
        return {"Creator": "ketanalysis"}
    return None


def save_figure(
    fig,
    path_stem: str | Path,
    *,
    formats: Sequence[str] = ("pdf", "svg", "png", "tiff"),
    dpi: int = 600,
    journal: str | JournalStyle | None = None,
    width: str | float | None = None,
) -> list[Path]:
    """Write a figure in several formats, reproducibly.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path_stem : str or Path
        Path without extension; ``"figures/fig1"`` writes ``figures/fig1.pdf`` and so on.
        Missing directories are created.
    formats : sequence of {"pdf", "svg", "png", "tiff", "eps"}
        Formats to write.
    dpi : int, default 600
        Resolution of PNG and TIFF.
    journal, width : optional
        Resize the figure to this journal's column width before saving (the height keeps
        its ratio); by default the figure keeps the size it was drawn at.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.

    Notes
    -----
    PDF embeds TrueType fonts (Type 42), SVG keeps text as ``<text>`` elements, PNG and
    TIFF are written at ``dpi`` (TIFF with LZW compression). Creation dates are left out
    and SVG ids are derived from a fixed salt, so the same figure gives byte-identical
    files every time.

    Examples
    --------
    >>> import tempfile, matplotlib.pyplot as plt
    >>> import ketanalysis as ka
    >>> with ka.plots.publication("nature"):
    ...     fig, ax = plt.subplots()
    ...     _ = ax.plot([0, 1, 2], [30, 18, 12])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.suffix for p in ka.plots.save_figure(fig, f"{d}/fig1", formats=("pdf", "png"))]
    ['.pdf', '.png']
    >>> plt.close(fig)
    """
    formats = tuple(formats)
    bad = [f for f in formats if f not in _FORMATS]
    if bad or not formats:
        raise ValueError(f"formats={formats!r}: each must be one of {_FORMATS}")
    if not isinstance(dpi, int) or isinstance(dpi, bool) or not 72 <= dpi <= 2400:
        raise ValueError(f"dpi={dpi!r} must be an integer between 72 and 2400")
    if journal is not None or width is not None:
        style = _journal(journal or "nature")
        w_old, h_old = fig.get_size_inches()
        w_new = style.width_in(width or "single")
        fig.set_size_inches(w_new, h_old * w_new / w_old)
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    params = {
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "none",
        "svg.hashsalt": "ketanalysis",
        "text.parse_math": False,
    }
    with mpl.rc_context(params):
        for fmt in formats:
            path = stem.with_name(stem.name + "." + fmt)
            kwargs = {"format": fmt, "metadata": _metadata(fmt)}
            if fmt in ("png", "tiff"):
                kwargs["dpi"] = dpi
            if fmt == "tiff":
                kwargs["pil_kwargs"] = {"compression": "tiff_lzw"}
                kwargs.pop("metadata")
            fig.savefig(path, **kwargs)
            written.append(path)
    return written
