"""No data value is ever a format string or markup: labels such as ``{0}``,
``{n:>200000000}``, ``</table><script>``, ``\\input{/etc/passwd}``, ``$x^2$`` and
``=HYPERLINK("x")`` appear verbatim (decoded from each format's escaping) and harmless in
the HTML, CSV, Markdown, LaTeX and SVG outputs."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.config import parse_config
from ketanalysis.report.tabular import Table

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "cohort_long.csv"
SCRIPT = "</table><script>alert(1)</script>"
TEX = "\\input{/etc/passwd}"
HUGE = "{n:>200000000}"
MATH = "$x^2$"
LINK = '=HYPERLINK("x")'
MRO = "{n.__class__.__mro__}"
LABELS = ("{0}", HUGE, SCRIPT, TEX, MATH, LINK, MRO)

_TEX_CODES = {
    "\\textbackslash{}": "\\",
    "\\textasciitilde{}": "~",
    "\\textasciicircum{}": "^",
    "\\textless{}": "<",
    "\\textgreater{}": ">",
}


def _untex(text: str) -> str:
    for code, ch in _TEX_CODES.items():
        text = text.replace(code, ch)
    return re.sub(r"\\([&%$#_{}])", r"\1", text)


def _unmd(text: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def _csv_cells(text: str) -> list[str]:
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    for c in cells:  # the OWASP guard: no cell a spreadsheet would run as a formula
        assert not c.startswith(("=", "+", "@")) and not re.match(r"-[^0-9.]", c), c
    return [c[1:] if c.startswith("'") else c for c in cells]


# ---------------------------------------------------------------------------------------
# Each renderer, on a table whose labels, title and note are hostile
# ---------------------------------------------------------------------------------------
@pytest.fixture
def table():
    frame = pd.DataFrame({"group": list(LABELS), "n": np.arange(11, 18), "d": -1.5})
    return Table(
        "t", "Title " + SCRIPT, frame, labels={"group": MATH}, note="# " + LINK + " " + TEX
    )


def test_csv_cells_are_verbatim_and_no_formula(table):
    cells = _csv_cells(table.to_csv())
    assert set(LABELS) <= set(cells)
    assert "-1.5" in table.to_csv().splitlines()[1]  # numbers are not prefixed
    assert "'=HYPERLINK" in table.to_csv()


def test_markdown_shows_markup_as_text(table):
    md = table.to_markdown()
    assert not re.search(r"(?<!\\)<[A-Za-z/]", md)  # no tag a renderer would run
    lines = md.splitlines()
    cells = [_unmd(c.strip()) for line in lines[4:11] for c in re.split(r"(?<!\\)\|", line)]
    assert set(LABELS) <= set(cells)
    assert _unmd(lines[0]) == "**Title " + SCRIPT + "**"
    assert lines[-1].startswith("\\#")  # not a heading
    assert _unmd(lines[-1]) == "# " + LINK + " " + TEX
    assert MATH not in md  # GitHub would render $...$ as math


def test_latex_escapes_every_command(table):
    tex = table.to_latex()
    assert "\\input" not in tex and not re.search(r"(?<!\\)\$", tex)
    body = [line[: -len(" \\\\")] for line in tex.splitlines() if line.endswith(" \\\\")]
    cells = {_untex(c.strip()) for line in body for c in re.split(r"(?<!\\)&", line)}
    assert set(LABELS) <= cells
    assert MATH in cells  # the header label


def test_table1_headers_are_not_format_strings():
    out = ka.derive(
        ka.validate(
            pd.DataFrame(
                {
                    "patient_id": np.repeat([f"P{i}" for i in range(8)], 2),
                    "session": np.tile([0, 1], 8),
                    "scale": "MADRS",
                    "score": np.tile([30, 12], 8),
                    "route": np.repeat(["{0}", HUGE, MRO, SCRIPT], 4),
                }
            )
        )
    )
    from ketanalysis.report.descriptive import table1
    from ketanalysis.report.privacy import Privacy

    t = table1(out, group="route", variables=[], privacy=Privacy(strict=False))
    labels = sorted(["{0}", HUGE, MRO, SCRIPT])
    assert list(t.frame.columns) == ["characteristic"] + [f"{x} (N = 2)" for x in labels] + [
        "All (N = 8)"
    ]
    assert len(t.to_csv()) < 2000


def test_plot_labels_are_not_mathtext():
    frame = ka.simulate_cohort(40, seed=3)
    routes = sorted(frame["route"].unique())
    frame["route"] = frame["route"].map(dict(zip(routes, [MATH, SCRIPT, "{0}"], strict=False)))
    out = ka.derive(ka.validate(frame))
    ax = ka.plots.jacobson_truax(out, by="route")
    texts = ax.get_legend().get_texts()
    labelled = [t for t in texts if MATH in t.get_text()]
    assert labelled and not any(t.get_parse_math() for t in labelled)
    assert [t.get_parse_math() for t in texts if "S$_" in t.get_text()] == [True]
    buf = io.StringIO()
    ax.figure.savefig(buf, format="svg")
    svg = buf.getvalue()
    plt.close(ax.figure)
    assert MATH in svg and html.escape(SCRIPT, quote=False) in svg and "<script" not in svg


# ---------------------------------------------------------------------------------------
# A whole report of a cohort with these labels
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    d = pd.read_csv(SAMPLE)
    routes = sorted(d["route"].unique())
    d["route"] = d["route"].map(dict(zip(routes, ("{0}", SCRIPT, MATH), strict=True)))
    d["sex"] = d["sex"].map({"M": TEX, "F": HUGE})
    pid = d["patient_id"].str[1:].astype(int)
    d["site"] = np.where(pid % 2 == 0, LINK, MRO)
    d["arm"] = np.where(pid % 3 == 0, MATH, LINK)
    root = tmp_path_factory.mktemp("hostile")
    d.to_csv(root / "cohort.csv", index=False)
    cfg = parse_config(
        '[analysis]\ngroup = "route"\nendpoint = 7\n[output]\nfigure_formats = ["svg"]\n'
    )
    ka.report.build(root / "cohort.csv", root / "out", cfg, quiet=True)
    return root / "out"


def test_hostile_labels_appear_verbatim_and_harmless(hostile_report):
    out = hostile_report
    files = [p for p in sorted(out.rglob("*")) if p.is_file()]
    assert max(p.stat().st_size for p in files) < 3_000_000  # no 200 MB table
    for p in files:
        text = p.read_text(encoding="utf-8")
        assert "<class" not in text and "__mro__" not in text.replace(MRO, ""), p
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "</table><script>" not in page
    page_text = html.unescape(re.sub(r"<[^>]+>", "\n", page))
    csv_cells, md_text, tex_text = set(), "", ""
    for p in sorted((out / "tables").glob("*.csv")):
        csv_cells |= set(_csv_cells(p.read_text(encoding="utf-8")))
    for p in sorted((out / "tables").glob("*.md")):
        md = p.read_text(encoding="utf-8")
        assert not re.search(r"(?<!\\)<[A-Za-z/]", md) and MATH not in md, p
        md_text += _unmd(md)
    for p in sorted((out / "tables").glob("*.tex")):
        tex = p.read_text(encoding="utf-8")
        assert "\\input" not in tex and not re.search(r"(?<!\\)\$", tex), p
        tex_text += _untex(tex)
    svg_text = ""
    for p in sorted((out / "figures").glob("*.svg")):
        svg = p.read_text(encoding="utf-8")
        assert "<script" not in svg, p
        svg_text += html.unescape(svg)
    for label in ("{0}", SCRIPT, MATH, TEX, HUGE):
        assert label in page_text, label
        assert any(label in c for c in csv_cells), label
        assert label in md_text and label in tex_text, label
    for label in ("{0}", SCRIPT, MATH):  # the groups: drawn in the figures' legends
        assert label in svg_text, label
    assert "$x^2$" in svg_text and "x²" not in svg_text
