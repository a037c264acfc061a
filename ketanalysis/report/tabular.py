"""The report's table object and its stable text forms: CSV, LaTeX, Markdown, HTML cells.

A :class:`Table` holds the values (as computed), a display format per column and the mask
of cells hidden by the privacy rules. The CSV keeps full precision (ten significant
digits); LaTeX, Markdown and HTML show rounded values. Every writer produces the same
bytes for the same table: fixed number formats, ``\\n`` line endings, no dates.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Table", "format_value"]

#: Display formats: column kind -> how a value is shown.
KINDS = ("count", "int", "pct", "num1", "num2", "num3", "p", "g", "text")


@dataclass
class Table:
    """One table of the report.

    Attributes
    ----------
    key : str
        File stem in ``tables/`` (``"table1"``, ``"rates"``, ...).
    title : str
    frame : DataFrame
        The values.
    formats : dict
        Column -> display kind (:data:`KINDS`); unlisted columns are shown as text, or as
        ``num2`` when numeric.
    hidden : DataFrame, optional
        Same shape as ``frame``: "" where a cell is shown, else the text shown instead
        (``"<11"``, ``"*"``).
    note : str
        A footnote under the table.
    labels : dict
        Column -> header shown in the HTML, LaTeX and Markdown versions (the CSV keeps the
        column names).
    html_rows : int, optional
        Show at most this many rows in the HTML (the files have all of them).
    """

    key: str
    title: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    hidden: pd.DataFrame | None = None
    note: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    html_rows: int | None = None

    def __post_init__(self):
        self.frame = self.frame.reset_index(drop=True)
        if self.hidden is None:
            self.hidden = pd.DataFrame(
                "", index=self.frame.index, columns=self.frame.columns, dtype=object
            )
        else:
            self.hidden = self.hidden.reset_index(drop=True)

    def kind(self, column) -> str:
        if column in self.formats:
            return self.formats[column]
        dtype = self.frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            return "text"
        if pd.api.types.is_integer_dtype(dtype):
            return "int"
        if pd.api.types.is_float_dtype(dtype):
            return "num2"
        return "text"

    def header(self) -> list[str]:
        return [self.labels.get(c, str(c)) for c in self.frame.columns]

    def display(self) -> list[list[str]]:
        """Rows of display strings (hidden cells show their mark)."""
        cols = list(self.frame.columns)
        values = [self.frame[c].tolist() for c in cols]
        marks = [self.hidden[c].tolist() for c in cols]
        kinds = [self.kind(c) for c in cols]
        rows = []
        for i in range(len(self.frame)):
            rows.append(
                [marks[j][i] or format_value(values[j][i], kinds[j]) for j in range(len(cols))]
            )
        return rows

    def is_count(self, column) -> bool:
        return self.kind(column) == "count"

    # -- files ----------------------------------------------------------------------------
    def to_csv(self) -> str:
        """CSV text: full-precision values, hidden cells as their mark, missing empty."""
        cols = list(self.frame.columns)
        lines = [",".join(_csv_cell(str(c)) for c in cols)]
        values = [self.frame[c].tolist() for c in cols]
        marks = [self.hidden[c].tolist() for c in cols]
        for i in range(len(self.frame)):
            lines.append(
                ",".join(_csv_cell(marks[j][i] or _raw(values[j][i])) for j in range(len(cols)))
            )
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        head = self.header()
        out = [f"**{_md(self.title)}**", ""]
        out.append("| " + " | ".join(_md(h) for h in head) + " |")
        out.append("|" + "|".join("---" for _ in head) + "|")
        for row in self.display():
            out.append("| " + " | ".join(_md(x) for x in row) + " |")
        if self.note:
            out += ["", _md_block(self.note)]
        return "\n".join(out) + "\n"

    def to_latex(self) -> str:
        cols = list(self.frame.columns)
        align = "".join("l" if self.kind(c) == "text" else "r" for c in cols)
        out = [
            "% ketanalysis table; needs \\usepackage{booktabs}",
            "\\begin{table}[htbp]",
            "\\centering",
            f"\\caption{{{_tex(self.title)}}}",
            f"\\label{{tab:{self.key}}}",
            f"\\begin{{tabular}}{{{align}}}",
            "\\toprule",
            " & ".join(_tex(h) for h in self.header()) + " \\\\",
            "\\midrule",
        ]
        for row in self.display():
            out.append(" & ".join(_tex(x) for x in row) + " \\\\")
        out.append("\\bottomrule")
        out.append("\\end{tabular}")
        if self.note:
            out.append(f"\\par\\smallskip{{\\footnotesize {_tex(self.note)}}}")
        out.append("\\end{table}")
        return "\n".join(out) + "\n"


def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return bool(isinstance(v, float) and math.isnan(v))
    except TypeError:  # pragma: no cover
        return False


def format_value(v, kind: str) -> str:
    """A value as shown in the report: rounded numbers, "" for missing."""
    if _missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if kind == "text" or isinstance(v, str):
        return str(v)
    v = float(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if kind in ("count", "int"):
        return f"{v:.0f}" if v.is_integer() else _fixed(v, 2)
    if kind == "pct":
        return _fixed(100 * v, 1)
    if kind == "num1":
        return _fixed(v, 1)
    if kind == "num3":
        return _fixed(v, 3)
    if kind == "p":
        return "<0.001" if v < 0.001 else _fixed(v, 3)
    if kind == "g":
        return f"{v:.4g}"
    return _fixed(v, 2)


def _fixed(v: float, digits: int) -> str:
    text = f"{v:.{digits}f}"
    if text.lstrip("-").strip("0.") == "":  # no negative zero
        text = text.lstrip("-")
    return text


def _raw(v) -> str:
    if _missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.10g}"
    return str(v)


#: First characters that make a spreadsheet read a text cell as a formula (OWASP, "CSV
#: injection"): such a cell, unless it is a number, gets a leading apostrophe.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(text: str) -> str:
    """One CSV field: quoted when it holds a comma, quote or line break (RFC 4180); a text
    that a spreadsheet would run as a formula (``=HYPERLINK(...)``, ``+1+2``, ``@SUM``) is
    prefixed with ``'`` (numbers such as ``-1.5`` are left as they are)."""
    text = str(text)
    if text.startswith(_FORMULA) and not _is_number(text):
        text = "'" + text
    if any(ch in text for ch in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: Characters with a meaning in Markdown (CommonMark, GitHub tables, math), shown
#: literally by a backslash before each; ``<`` and ``&`` where they would open an HTML
#: tag, an autolink or an entity.
_MD_SPECIAL = re.compile(r"[\\`*_\[\]|$~]|<(?=[A-Za-z/?!])|&(?=#?\w+;)")
_MD_LEADING = re.compile(r"^(?:[#+=>-]|\d+(?=[.)]))")


def _md(text: str) -> str:
    """Text as literal inline Markdown: markup characters escaped with a backslash (so
    ``<script>`` or ``[x](y)`` in a label is shown, never run or linked), line breaks as
    spaces."""
    text = " ".join(str(text).splitlines())
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _md_block(text: str) -> str:
    """:func:`_md` for a paragraph: a leading ``#``, ``+``, ``-``, ``=``, ``>`` or list
    number is escaped too (it would start a heading, list or quote)."""
    text = _md(text)
    m = _MD_LEADING.match(text)
    if m is None:
        return text
    if m.group(0)[0].isdigit():
        return m.group(0) + "\\" + text[m.end() :]
    return "\\" + text


_TEX = {
    "\\": "\\textbackslash{}",
    "&": "\\&",
    "%": "\\%",
    "$": "\\$",
    "#": "\\#",
    "_": "\\_",
    "{": "\\{",
    "}": "\\}",
    "~": "\\textasciitilde{}",
    "^": "\\textasciicircum{}",
    "<": "\\textless{}",
    ">": "\\textgreater{}",
    # typographic signs of labels, for pdfLaTeX as well as XeLaTeX/LuaLaTeX
    "\u2265": "$\\geq$",
    "\u2264": "$\\leq$",
    "\u2212": "$-$",
    "\u2013": "--",
}


def _tex(text: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in str(text))
