"""The report as one self-contained HTML file.

Inline CSS, figures inline as SVG (text kept as text), no script, no external request:
the only links are anchors within the page. Every piece of text from the data or the
configuration is escaped.
"""

from __future__ import annotations

import html

from .figures import not_drawn_note

__all__ = ["render"]

_CSS = """
:root { --ink: #1b1f24; --muted: #5b6470; --line: #d8dde3; --soft: #f4f6f8;
        --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
       Arial, sans-serif; }
header { background: #0b2540; color: #fff; padding: 22px 32px 18px; }
header h1 { margin: 0 0 4px; font-size: 24px; font-weight: 600; }
header p { margin: 0; color: #c9d6e3; font-size: 13px; }
main { max-width: 1120px; margin: 0 auto; padding: 8px 32px 48px; }
nav { margin: 16px 0 4px; font-size: 13px; display: flex; flex-wrap: wrap;
      gap: 2px 16px; }
nav a { color: var(--accent); text-decoration: none; white-space: nowrap; }
.glance { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start;
          margin-top: 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0 6px; }
.card { flex: 1 1 160px; border: 1px solid var(--line); border-radius: 6px;
        padding: 10px 14px; background: var(--soft); }
.card .label { font-size: 12px; color: var(--muted); text-transform: uppercase;
               letter-spacing: .04em; }
.card .value { font-size: 26px; font-weight: 600; }
.card .detail { font-size: 12px; color: var(--muted); }
section { border-top: 1px solid var(--line); margin-top: 28px; padding-top: 6px; }
h2 { font-size: 20px; font-weight: 600; margin: 14px 0 10px; }
p { max-width: 900px; }
.figures { display: flex; flex-wrap: wrap; gap: 18px; }
figure { margin: 8px 0 14px; flex: 1 1 480px; max-width: 640px; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
figcaption .files { display: block; font-size: 11px; }
table { border-collapse: collapse; margin: 6px 0 4px; font-size: 12.5px;
        font-variant-numeric: tabular-nums; }
caption, p.caption { text-align: left; font-weight: 600; font-size: 14px;
                    padding: 4px 0; margin: 0; max-width: 420px; }
th, td { padding: 3px 9px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); text-align: left; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
td.suppressed { color: var(--muted); font-style: italic; }
td.level { padding-left: 24px; }
tbody tr:nth-child(even) td { background: #fafbfc; }
.tables { display: flex; flex-wrap: wrap; gap: 0 36px; align-items: flex-start; }
.tablewrap { overflow-x: auto; margin-bottom: 14px; max-width: 100%; }
.note { font-size: 12px; color: var(--muted); margin: 2px 0 0; max-width: 900px; }
ol.refs { font-size: 13px; max-width: 900px; }
footer { font-size: 12px; color: var(--muted); border-top: 1px solid var(--line);
         margin-top: 36px; padding-top: 10px; }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _table(t) -> str:
    if not len(t.frame):
        note = t.note or "No rows."
        return (
            f'<div class="tablewrap" id="tab-{_e(t.key)}"><p class="caption">{_e(t.title)}</p>'
            f'<p class="note">{_e(note)}</p></div>'
        )
    kinds = [t.kind(c) for c in t.frame.columns]
    rows = t.display()
    marks = t.hidden.to_numpy().tolist()
    total = len(rows)
    if t.html_rows is not None and total > t.html_rows:
        rows, marks = rows[: t.html_rows], marks[: t.html_rows]
    out = [
        f'<div class="tablewrap"><table id="tab-{_e(t.key)}">',
        f"<caption>{_e(t.title)}</caption>",
    ]
    out.append("<thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in t.header()) + "</tr></thead>")
    out.append("<tbody>")
    for row, mark in zip(rows, marks, strict=True):
        cells = []
        for value, kind, m in zip(row, kinds, mark, strict=True):
            cls = []
            if kind != "text":
                cls.append("num")
            if kind == "count":
                cls.append("count")
            if m:
                cls.append("suppressed")
            if kind == "text" and value.startswith("    "):
                cls.append("level")  # a category under its variable (Table 1)
                value = value.strip()
            attr = f' class="{" ".join(cls)}"' if cls else ""
            cells.append(f"<td{attr}>{_e(value)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    notes = []
    if not total and not t.note:
        notes.append("No rows.")
    if len(rows) < total:
        notes.append(
            f"The first {len(rows):,} of {total:,} rows; all of them are in tables/{t.key}.csv."
        )
    if t.note:
        notes.append(t.note)
    for n in notes:
        out.append(f'<p class="note">{_e(n)}</p>')
    out.append("</div>")
    return "\n".join(out)


def _figure(fig, number: int) -> str:
    files = " · ".join(fig.files)
    return (
        f'<figure id="fig-{_e(fig.name)}">\n{fig.svg}\n'
        f"<figcaption><strong>Figure {number}.</strong> {_e(fig.caption)}"
        f'<span class="files">{_e(files)}</span></figcaption>\n</figure>'
    )


def render(ctx, sections, figures, specs) -> str:
    """The HTML page.

    Parameters
    ----------
    ctx : build context
    sections : list of Section
    figures : dict name -> RenderedFigure
    specs : the figure table (for each figure's section)
    """
    by_section: dict[str, list] = {}
    for spec in specs:
        if spec.name in figures:
            by_section.setdefault(spec.section, []).append(figures[spec.name])
    cfg = ctx.config
    sub = [
        _e(ctx.source_name),
        f"criteria {_e(ctx.criteria.name)}",
        f"privacy {_e(cfg.privacy.level)}",
        f"ketanalysis {_e(ctx.versions.get('ketanalysis', ''))}",
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(cfg.report.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<header><h1>{_e(cfg.report.title)}</h1><p>{' · '.join(sub)}</p></header>",
        "<main>",
    ]
    cards = ['<div class="cards">']
    for label, value, detail in ctx.glance:
        cards.append(
            f'<div class="card"><div class="label">{_e(label)}</div>'
            f'<div class="value">{_e(value)}</div><div class="detail">{_e(detail)}</div></div>'
        )
    cards.append("</div>")
    parts.extend(cards)
    parts.append(
        "<nav>" + "".join(f'<a href="#{_e(s.key)}">{_e(s.title)}</a>' for s in sections) + "</nav>"
    )
    number = 0
    if by_section.get("glance"):
        parts.append('<div class="glance">')
        for fig in by_section["glance"]:
            number += 1
            parts.append(_figure(fig, number))
        parts.append("</div>")
    for s in sections:
        parts.append(f'<section id="{_e(s.key)}">')
        parts.append(f"<h2>{_e(s.title)}</h2>")
        placed = False
        blocks = list(s.blocks)
        if s.key in by_section and not any(b[0] == "figures" for b in blocks):
            blocks.append(("figures",))
        in_tables = False
        for block in blocks:
            kind = block[0]
            if kind != "table" and in_tables:
                parts.append("</div>")
                in_tables = False
            if kind == "p":
                parts.append(f"<p>{_e(block[1])}</p>")
            elif kind == "table":
                if not in_tables:
                    parts.append('<div class="tables">')
                    in_tables = True
                parts.append(_table(block[1]))
            elif kind == "list":
                parts.append("<ul>" + "".join(f"<li>{_e(x)}</li>" for x in block[1]) + "</ul>")
            elif kind == "refs":
                parts.append('<h3>References</h3><ol class="refs">')
                parts.extend(f"<li>{_e(x)}</li>" for x in block[1])
                parts.append("</ol>")
            elif kind == "figures" and not placed:
                placed = True
                figs = by_section.get(s.key, [])
                if figs:
                    parts.append('<div class="figures">')
                    for fig in figs:
                        number += 1
                        parts.append(_figure(fig, number))
                    parts.append("</div>")
        if in_tables:
            parts.append("</div>")
        skipped = [
            (spec.name, ctx.skipped_figures[spec.name])
            for spec in specs
            if spec.section == s.key
            and spec.name in ctx.skipped_figures
            and spec.name in cfg.figures.include
        ]
        for name, why in skipped:
            parts.append(f'<p class="note">{_e(not_drawn_note(name, why))}</p>')
        parts.append("</section>")
    parts.append(
        "<footer>Made with ketanalysis "
        f"{_e(ctx.versions.get('ketanalysis', ''))}. Versions, input digests and the resolved "
        "configuration are in provenance.json; figures in figures/, tables in tables/. "
        "Building again gives byte-identical files except timings.json (seconds per step)."
        "</footer>"
    )
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"
