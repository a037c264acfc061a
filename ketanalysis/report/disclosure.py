"""A disclosure scanner for a report folder written under ``privacy.level = "strict"``.

:func:`scan_report` reads every output file of a report folder (``tables/*.csv``,
``tables/*.md``, ``tables/*.tex``, ``report.html``, ``figures/*.svg`` text and
``provenance.json``) and looks for counts from 1 to ``min_cell_size - 1`` that a reader
can see or recover (the CMS cell-size rule: no cell 1-10, including cells derivable from
others). It returns one :class:`Finding` per problem; an empty list is a clean report.

What it treats as a count
-------------------------
* CSV tables: the columns named ``n``, ``k``, ``N``, ``rows``, ``patients``,
  ``assessments``, ``events``, ``prorated``, ``totals_from_items``, names
  starting with ``n_`` or ``cum_`` and names ending in ``_k`` or ``_n``; in the wide
  tables (``table1``, ``cadss_peak``) the ``N = ...`` of the column headers, the rows whose
  label ends in ``, n`` and the category rows under a ``n (%)`` row (``k`` or ``k (pct)``).
* Text (HTML without its tags, Markdown, LaTeX, SVG ``<text>``, provenance strings):
  ``n = 5``, ``N = 5``, ``(n=5)``, ``5/23`` and ``5 of 23`` (both the numerator and the
  complement ``23 - 5``), ``5 patients`` / ``rows`` / ``events`` / ``excluded`` (not
  "2 assessments", which criteria descriptions use).
* provenance.json: numbers under keys that are count names (as in the CSV), outside
  its ``config`` record (settings such as ``k`` of ``n`` assessments are not counts).

Checks
------
``visible``
    A count from 1 to ``min_cell_size - 1`` shown (a zero discloses no one).
``recoverable``
    A hidden count (``<11`` or ``*``) solved from the linear relations between the
    report's tables: Table 1 categories (with their missing row) sum to the column's N;
    in Table 1 a ``k (pct)`` cell gives the number of known values (``k * 100 / pct``),
    so a hidden missing count is ``N`` minus it;
    ``rows read = rows kept + rows excluded`` and the exclusions sum to the excluded
    rows; the patients of the data summary are the sum of the group Ns; per group
    ``n + n_excluded`` is the group N in the rate tables (and ``n + n_missing +
    n_excluded`` in the observed endpoint rates); the reliable-change categories sum to
    n; the at-risk rows give ``n_at_risk(t) + cum_events(t) + cum_censored(t) =
    n_at_risk(0)``, ``n_at_risk(0)`` is the median table's n, and the log-rank n and
    events are the sums over groups; a hidden ``k`` with its ``rate`` and ``n`` shown is
    ``rate * n``. Relations are solved by elimination (one unknown at a time, repeated
    until nothing changes), across tables, with the same quantity in two tables treated
    as one unknown (the group sizes in the legends of the time-to-event figures are the
    median tables' n). A relation whose cells are all shown and that does not hold is taken
    as not applying to this report and dropped.
``interval``
    A printed percentage with its interval, ``p (lo-hi)`` (figures and text), that only
    Wilson intervals of small counts reproduce after rounding: every ``(k, n)`` with
    ``n <= 1000`` (or the ``n`` printed on the same figure row) whose ``100 k / n`` and
    Wilson 95 % limits round to the printed numbers has ``k`` or ``n - k`` from 1 to
    ``min_cell_size - 1``.

Limits (documented, not checked): numbers drawn only as marks (bar heights, line points,
interval whiskers) are not read from the SVG paths, so a figure that draws a small group
is not found here; bounds that narrow a hidden cell without solving it exactly (``<11``
with two unknowns in a relation) are not reported; relations other than those listed
(e.g. AE terms of one patient, safety flags "either") are not modelled; HTML tables are
checked through their CSV files (the same table object writes both); the numbers at risk
that a time-to-event figure prints at its own ticks (other times than the table's) and
the step heights of its curves are not related to the tables; a large number printed in
a section's prose is not tied to the table cell it repeats.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Finding", "scan_report"]

_COUNT_NAMES = {"n", "k", "N", "rows", "patients", "assessments", "events"}
_COUNT_NAMES |= {"prorated", "totals_from_items"}
_COUNT_RE = re.compile(r"^(n_.+|cum_.+|.+_k|.+_n)$")
_GROUP_N = re.compile(r"^(?P<g>.*) \(N = (?P<n>[^)]*)\)$")
_CELL = re.compile(r"^(?P<k>\d+)(?: \((?P<p>[\d.]+)\))?$")
_NOT_COUNT = {"n_obs"}  # observations of a model fit, not people


@dataclass(frozen=True)
class Finding:
    """One disclosure problem.

    Attributes
    ----------
    kind : str
        ``"visible"``, ``"recoverable"`` or ``"interval"``.
    file : str
        The file, relative to the report folder (for a recoverable cell: its table).
    where : str
        Row and column, or the text that shows it.
    value : int
        The count shown or recovered.
    """

    kind: str
    file: str
    where: str
    value: int

    def __str__(self) -> str:
        return f"{self.kind}: {self.file}: {self.where} = {self.value}"


def is_count_column(name: str) -> bool:
    """Whether a CSV column holds counts of people, rows or events."""
    return name not in _NOT_COUNT and (name in _COUNT_NAMES or bool(_COUNT_RE.match(name)))


def _hidden(text: str) -> bool:
    return text == "*" or text.startswith("<")


def _number(text: str):
    try:
        v = float(text)
    except ValueError:
        return None
    return v if np.isfinite(v) else None


# ---- the relation model ---------------------------------------------------------------
class _Model:
    """Unknown and known quantities, and linear relations ``sum(coef * var) = 0``."""

    def __init__(self, small: int):
        self.small = small
        self.values: dict = {}  # var -> float, or None when hidden
        self.where: dict = {}  # var -> (file, where)
        self.relations: list[list[tuple]] = []
        self.loc: dict = {}  # var -> (table, row index, column) of its cells
        self.solved: list = []  # (var, shown cells it comes from) of each small count
        self.rate_rows: list = []  # (table, row index): a hidden k recovered as rate x n

    def cell(self, var, text: str, file: str, where: str, loc=None):
        """Register a cell; the first registration of a quantity gives its place."""
        v = None if _hidden(text) else _number(text)
        if text == "" and v is None:
            return None
        if loc is not None:
            self.loc.setdefault(var, []).append(loc)
        if var in self.values:
            if self.values[var] is None and v is not None:
                self.values[var] = v  # the same quantity shown elsewhere
                self.where.setdefault(var, (file, where))
            return var
        self.values[var] = v
        self.where[var] = (file, where)
        return var

    def relate(self, terms):
        terms = [(c, v) for c, v in terms if v is not None]
        if len(terms) >= 2:
            self.relations.append(terms)

    def solve(self) -> list[Finding]:
        values = dict(self.values)
        rels = []
        for r in self.relations:  # drop relations contradicted by their shown cells
            if all(values.get(v) is not None for _, v in r):
                if abs(sum(c * values[v] for c, v in r)) > 0.5:
                    continue
            rels.append(r)
        found = []
        basis: dict = {}  # derived var -> the shown cells it was solved from
        changed = True
        while changed:
            changed = False
            for r in rels:
                unknown = [(c, v) for c, v in r if values.get(v) is None]
                if len(unknown) != 1:
                    continue
                c, v = unknown[0]
                x = -sum(cc * values[vv] for cc, vv in r if vv != v) / c
                values[v] = x
                basis[v] = frozenset().union(*(basis.get(vv, {vv}) for _, vv in r if vv != v))
                changed = True
                k = int(round(x))
                if 0 < k < self.small:
                    file, where = self.where[v]
                    found.append(Finding("recoverable", file, where, k))
                    self.solved.append((v, basis[v]))
        return found


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    if not rows:
        return [], []
    return rows[0], rows[1:]


def _group_cols(header):
    return [c for c in header if not is_count_column(c) and c not in _VALUE_COLS]


_VALUE_COLS = {
    "rate", "ci_low", "ci_high", "estimate", "se", "mean", "sd", "survival",
    "p_value", "chi2", "df", "median", "q1", "q3", "mean_difference", "converged",
    "sessions_rate", "patients_rate", "mean_pre", "mean_peak", "first_session",
    "last_session", "last_day", "criterion",
}  # fmt: skip


def _long_table(m: _Model, name: str, header, rows, found, groups_n):
    """Visible counts, derived k, and the per-table relations of a long CSV table."""
    file = f"tables/{name}.csv"
    idx = {c: i for i, c in enumerate(header)}
    keys = [c for c in _group_cols(header)]
    seen = set()
    for r, row in enumerate(rows):
        if len(row) != len(header):
            continue
        key = tuple(row[idx[c]] for c in keys)
        if key in seen:  # rows told apart only by their position
            key += (f"#{r}",)
        seen.add(key)
        var = {}
        for c in header:
            if not is_count_column(c):
                continue
            text = row[idx[c]]
            where = f"row {r + 1} ({', '.join(key)}), column {c}"
            v = _number(text)
            if v is not None and 0 < v < m.small:
                found.append(Finding("visible", file, where, int(v)))
            var[c] = m.cell((name, key, c), text, file, where, loc=(name, r, c))
        get = {c: row[idx[c]] for c in header}
        # a hidden k with its rate and n shown
        if "k" in get and "rate" in get and "n" in get and _hidden(get["k"]):
            rate, n = _number(get["rate"]), _number(get["n"])
            if rate is not None and n is not None:
                k = int(round(rate * n))
                if 0 < k < m.small:
                    where = f"row {r + 1} ({', '.join(key)}), column k (rate x n)"
                    found.append(Finding("recoverable", file, where, k))
                    m.rate_rows.append((name, r))
        group = _group_of(get, groups_n)
        if group is not None and "n" in var and "n_excluded" in var:
            terms = [(1, var["n"]), (1, var["n_excluded"]), (-1, ("N", group))]
            method = get.get("method")
            if "n_missing" in var and method == "observed":
                terms.append((1, var["n_missing"]))
            if method in (None, "observed") or "n_missing" not in var:
                m.relate(terms)
        if name.endswith("_at_risk") and group is not None:
            t = get.get("time", "")
            v0 = (name, "at_risk_0", group)
            if _number(t) == 0:
                m.cell(
                    v0,
                    get["n_at_risk"],
                    file,
                    f"row {r + 1} ({group}), n_at_risk",
                    loc=(name, r, "n_at_risk"),
                )
                m.relate([(1, var["n_at_risk"]), (-1, v0)])
                m.relate([(1, v0), (-1, (name.replace("_at_risk", "_median"), (group,), "n"))])
            else:
                m.relate(
                    [(1, var["n_at_risk"]), (1, var["cum_events"]), (1, var["cum_censored"])]
                    + [(-1, v0)]
                )
    if name == "reliable_change" and {"scale", "outcome", "k", "n"} <= set(header):
        _category_sums(m, name, header, rows)


def _group_of(get: dict, groups_n: dict):
    for c, v in get.items():
        if c not in _VALUE_COLS and not is_count_column(c) and v in groups_n:
            return v
    return None


def _category_sums(m: _Model, name, header, rows):
    idx = {c: i for i, c in enumerate(header)}
    keys = [c for c in _group_cols(header)]
    families: dict = {}
    for row in rows:
        key = tuple(row[idx[c]] for c in keys)
        outcome = row[idx["outcome"]]
        family = outcome.split(":")[0]
        base = tuple(x if c != "outcome" else family for c, x in zip(keys, key, strict=True))
        families.setdefault(base, []).append(((name, key, "k"), (name, key, "n")))
    for members in families.values():
        m.relate([(1, k) for k, _ in members] + [(-1, members[0][1])])


def _wide_table(m: _Model, name: str, header, rows, found, groups_n):
    """Table 1 style: columns ``group (N = x)``, rows of counts and ``k (pct)`` cells."""
    file = f"tables/{name}.csv"
    groups = []
    for j, h in enumerate(header[1:], start=1):
        mt = _GROUP_N.match(h)
        if not mt:
            continue
        g, text = mt["g"], mt["n"]
        groups.append((j, g))
        v = _number(text)
        if v is not None and 0 < v < m.small:
            found.append(Finding("visible", file, f"header {h}", int(v)))
        m.cell(("N", g), text, file, f"header {h}")
        groups_n[g] = v
    block = None
    blocks: dict = {}
    for r, row in enumerate(rows):
        label = row[0]
        if label.endswith(", n (%)"):
            block = label
            continue
        is_cat = block is not None and label.startswith("  ")
        if not is_cat:
            block = None
        if not (is_cat or label.endswith(", n")):
            continue
        for j, g in groups:
            text = row[j].strip() if j < len(row) else ""
            where = f"row {r + 1} ({label.strip()}), column {header[j]}"
            mt = _CELL.match(text)
            if mt:
                v = int(mt["k"])
                if 0 < v < m.small:
                    found.append(Finding("visible", file, where, v))
            cell_text = mt["k"] if mt else text
            if mt and mt["p"] and float(mt["p"]) > 0 and is_cat:
                # k (pct) of the known values: the number known is k * 100 / pct
                known = round(int(mt["k"]) * 100 / float(mt["p"]))
                m.cell((name, block, "known", g), str(known), file, where, loc=(name, r, header[j]))
            if label.endswith(", n"):
                loc = (name, r, header[j])
                v = m.cell((name, label, g), cell_text, file, where, loc=loc)
                m.relate([(1, v), (-1, ("N", g))])
            else:
                var = m.cell(
                    (name, block, label.strip(), g),
                    cell_text,
                    file,
                    where,
                    loc=(name, r, header[j]),
                )
                blocks.setdefault((block, g), []).append(var)
    for (block, g), members in blocks.items():
        m.relate([(1, v) for v in members] + [(-1, ("N", g))])
        known = (name, block, "known", g)
        if known in m.values:
            labels = [v[2] for v in members if v is not None]
            rest = [v for v in members if v is not None and v[2] != "missing"]
            m.relate([(1, v) for v in rest] + [(-1, known)])
            if "missing" in labels:
                m.relate([(1, known), (1, (name, block, "missing", g)), (-1, ("N", g))])


def _data_rows(m: _Model, header, rows, groups_n):
    file = "tables/data_rows.csv"
    var = {}
    for r, row in enumerate(rows):
        if len(row) >= 2:
            var[row[0]] = m.cell(
                ("data_rows", row[0]),
                row[1],
                file,
                f"row {r + 1} ({row[0]})",
                loc=("data_rows", r, "n"),
            )
    if {"rows read", "rows kept", "rows excluded"} <= set(var):
        m.relate([(1, var["rows read"]), (-1, var["rows kept"]), (-1, var["rows excluded"])])
    if "patients" in var and groups_n:
        m.relate([(1, var["patients"])] + [(-1, ("N", g)) for g in groups_n])
    return var


# ---- text -----------------------------------------------------------------------------
_TEXT_PATTERNS = (
    re.compile(r"\b[nNk]\s*=\s*(\d+)(?![\d.])"),
    re.compile(r"\b(\d+) (?:patients?|rows?|events?|excluded)\b"),
)
_FRACTION = re.compile(r"(?<![\d./<*-])(\d+)\s*(?:/|of)\s*(\d+)(?![\d./-])")
_INTERVAL = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?) \((\d+(?:\.\d+)?)\s*[–-]\s*(\d+(?:\.\d+)?)\)")


def _text_findings(text: str, file: str, small: int) -> list[Finding]:
    found = []
    for pat in _TEXT_PATTERNS:
        for mt in pat.finditer(text):
            v = int(mt[1])
            if 0 < v < small:
                found.append(Finding("visible", file, _context(text, mt), v))
    for mt in _FRACTION.finditer(text):
        k, n = int(mt[1]), int(mt[2])
        if k > n or n == 0:
            continue
        for v in (k, n - k):
            if 0 < v < small:
                found.append(Finding("visible", file, _context(text, mt), v))
    return found


def _context(text: str, mt) -> str:
    return " ".join(text[max(0, mt.start() - 30) : mt.end() + 10].split())


def _decimals(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def _wilson_grid(max_n: int = 1000):
    from scipy.stats import norm

    z = norm.ppf(0.975)
    n = np.repeat(np.arange(1, max_n + 1), np.arange(2, max_n + 2))
    k = np.concatenate([np.arange(0, m + 1) for m in range(1, max_n + 1)])
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return k, n, 100 * p, 100 * np.clip(centre - half, 0, 1), 100 * np.clip(centre + half, 0, 1)


_GRID = None


def _interval_findings(items, file: str, small: int) -> list[Finding]:
    """``items``: (text, n or None). A percentage and interval only small counts give."""
    global _GRID
    found = []
    for text, n_row in items:
        for mt in _INTERVAL.finditer(text):
            p, lo, hi = mt[1], mt[2], mt[3]
            if not float(lo) <= float(p) <= float(hi) <= 100:
                continue
            if _GRID is None:
                _GRID = _wilson_grid()
            k, n, gp, glo, ghi = _GRID
            ok = np.ones(len(k), dtype=bool)
            for s, g in ((p, gp), (lo, glo), (hi, ghi)):
                d = _decimals(s)
                ok &= np.abs(np.round(g, d) - float(s)) < 0.5 * 10.0**-d + 1e-9
            if n_row is not None:
                ok &= n == n_row
            if not ok.any():
                continue
            kk, nn = k[ok], n[ok]
            tiny = ((kk > 0) & (kk < small)) | ((nn - kk > 0) & (nn - kk < small))
            if tiny.all():
                vals = np.where((kk > 0) & (kk < small), kk, nn - kk)
                found.append(
                    Finding("interval", file, f"{mt[0]} (k/n = {kk[0]}/{nn[0]})", int(vals[0]))
                )
    return found


_SVG_TEXT = re.compile(r'<text[^>]*\by="([-\d.]+)"[^>]*>([^<]*)</text>')


def _svg(path: Path, rel: str, small: int) -> list[Finding]:
    text = path.read_text(encoding="utf-8", errors="replace")
    lines: dict[str, list[str]] = {}
    for y, t in _SVG_TEXT.findall(text):
        lines.setdefault(y, []).append(html.unescape(t))
    found, items = [], []
    for parts in lines.values():
        for t in parts:
            found += _text_findings(t, rel, small)
        ints = [int(t) for t in parts if t.isdigit()]
        labels = [t for t in parts if not t.replace(".", "").isdigit()]
        n_row = ints[0] if len(ints) == 1 and labels else None
        items += [(t, n_row) for t in parts if _INTERVAL.search(t)]
    return found + _interval_findings(items, rel, small)


def _provenance(obj, path: str, found: list, small: int):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and is_count_column(k):
                if 0 < v < small and float(v).is_integer():
                    found.append(Finding("visible", "provenance.json", f"{path}{k}", int(v)))
            elif not (path == "" and k == "config"):  # settings, not counts
                _provenance(v, f"{path}{k}.", found, small)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _provenance(v, f"{path}{i}.", found, small)
    elif isinstance(obj, str):
        found += _text_findings(obj, "provenance.json", small)


def scan_report(folder, *, min_cell_size: int = 11) -> list[Finding]:
    """Every count from 1 to ``min_cell_size - 1`` visible or recoverable in a report folder.

    Parameters
    ----------
    folder : str or Path
        A folder written by ``ketanalysis report`` (or :func:`ketanalysis.report.build_report`).
    min_cell_size : int, default 11

    Returns
    -------
    list of Finding
        Sorted and without duplicates; empty when nothing was found.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "tables").mkdir()
    >>> _ = (d / "tables" / "data_rows.csv").write_text("item,n\\nrows read,40\\n"
    ...     "rows kept,<11\\nrows excluded,33\\n")
    >>> [str(f) for f in scan_report(d)]
    ['recoverable: tables/data_rows.csv: row 2 (rows kept) = 7']
    """
    root = Path(folder)
    small = int(min_cell_size)
    tables = sorted((root / "tables").glob("*.csv")) if (root / "tables").is_dir() else []
    parsed = {p.stem: _read_csv(p) for p in tables}
    shown = _figure_counts(root)
    found, _ = _analyse(parsed, small, shown)
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.suffix == ".svg":
            found += _svg(path, rel, small)
        elif path.suffix in (".html", ".md", ".tex"):
            text = html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))
            text = text.replace("\\textless{}", "<")
            found += _text_findings(text, rel, small)
            found += _interval_findings([(text, None)], rel, small)
        elif path.name == "provenance.json":
            _provenance(json.loads(path.read_text(encoding="utf-8")), "", found, small)
    return sorted(set(found), key=lambda f: (f.file, f.kind, f.where, f.value))


def _logrank(m: _Model, name: str, header, rows, groups_n):
    event = name[: -len("_logrank")]
    idx = {c: i for i, c in enumerate(header)}
    for row in rows:
        key = tuple(row[idx[c]] for c in _group_cols(header))
        for col, med in (("n", "n"), ("n_events", "n_events")):
            if col in idx:
                m.relate(
                    [(1, (name, key, col))]
                    + [(-1, (f"{event}_median", (g,), med)) for g in groups_n]
                )
        if "n" in idx and "n_excluded" in idx:
            m.relate(
                [(1, (name, key, "n")), (1, (name, key, "n_excluded"))]
                + [(-1, ("data_rows", "patients"))]
            )


_KM_LEGEND = re.compile(r"^(?P<g>.+) \(n = (?P<n>\d+)[;)]")


def _figure_counts(root: Path) -> list:
    """Counts the figures print that are cells of a table too: the group sizes in the
    legends of the time-to-event figures (``IV (n = 60; median 180 days)``), which are
    the median tables' n."""
    shown = []
    for path in (
        sorted((root / "figures").glob("time_to_*.svg")) if (root / "figures").is_dir() else []
    ):
        event = path.stem[len("time_to_") :]
        text = path.read_text(encoding="utf-8", errors="replace")
        for _, t in _SVG_TEXT.findall(text):
            mt = _KM_LEGEND.match(html.unescape(t))
            if mt:
                var = (f"{event}_median", (mt["g"],), "n")
                shown.append((var, mt["n"], f"figures/{path.name}", f"legend {mt[0]}"))
    return shown


def _analyse(parsed: dict, small: int, shown=()):
    """Findings of the CSV tables (visible counts, recoverable cells) and the model;
    ``shown``: (quantity, text, file, where) of counts printed elsewhere (figures)."""
    found: list[Finding] = []
    m = _Model(small)
    groups_n: dict = {}
    for name, (header, rows) in parsed.items():
        if header and header[0] == "characteristic":
            _wide_table(m, name, header, rows, found, groups_n)
    for name, (header, rows) in parsed.items():
        if not header or header[0] == "characteristic":
            continue
        if name == "data_rows":
            var = _data_rows(m, header, rows, groups_n)
            for r, row in enumerate(rows):
                v = _number(row[1]) if len(row) > 1 else None
                if v is not None and 0 < v < small:
                    found.append(Finding("visible", "tables/data_rows.csv", f"row {r + 1}", int(v)))
            del var
            continue
        _long_table(m, name, header, rows, found, groups_n)
        if name.endswith("_logrank"):
            _logrank(m, name, header, rows, groups_n)
    if "exclusions" in parsed and parsed["exclusions"][0]:
        header, rows = parsed["exclusions"]
        i = header.index("rows") if "rows" in header else None
        if i is not None:
            terms = [(1, ("exclusions", (r[0],), "rows")) for r in rows]
            m.relate(terms + [(-1, ("data_rows", "rows excluded"))])
    for var, text, file, where in shown:
        m.cell(var, text, file, where)
    found += m.solve()
    return found, m


def _published(parsed: dict, loc) -> bool:
    """Whether a table cell is printed in a figure too (hiding it in the table would
    not hide it): a median table's n (the time-to-event legend) and the numbers at risk
    at time 0 (the first column of the figure's at-risk rows)."""
    name, r, col = loc
    if name.endswith("_median") and col == "n":
        return True
    if name.endswith("_at_risk") and col == "n_at_risk":
        header, rows = parsed[name]
        return "time" in header and _number(rows[r][header.index("time")]) == 0
    return False


#: Columns of a row computed from its counts: hidden with a count hidden for protection.
_DEPENDENT = re.compile(r"^(rate|ci_low|ci_high|survival|.+_rate)$")


def complete_suppression(tables, min_cell_size: int = 11, mark: str = "*") -> dict:
    """Complementary suppression across a report's tables (strict privacy).

    The tables already carry their primary suppression (``Table.hidden``). While the
    relations of :func:`scan_report` recover a hidden count from 1 to ``min_cell_size - 1``,
    one more cell of the relation that recovers it is hidden (the smallest count shown,
    marked ``mark``) with the rate and interval of its row; a hidden ``k`` whose rate
    and ``n`` are shown gets its rate and interval hidden. The same tables give the same
    cells hidden (the order is fixed).

    Parameters
    ----------
    tables : list of Table
        Changed in place (their ``hidden`` masks).
    min_cell_size : int, default 11
    mark : str, default "*"

    Returns
    -------
    dict
        Table key -> number of cells hidden here.
    """
    added: dict[str, int] = {}
    by_key: dict = {}
    for t in tables:
        by_key.setdefault(t.key, t)
    for _ in range(200):
        parsed = {
            k: (rows[0], rows[1:])
            for k, t in by_key.items()
            if (rows := list(csv.reader(io.StringIO(t.to_csv()))))
        }
        _, m = _analyse(parsed, int(min_cell_size))
        todo = [(name, r, None) for name, r in m.rate_rows]
        for _, basis in m.solved:
            cands = sorted(
                (m.values[v], loc)
                for v in basis
                if m.values.get(v) is not None
                for loc in m.loc.get(v, [])
                if not _published(parsed, loc)
            )
            if cands:
                todo.append(cands[0][1])
        if not todo:
            break
        for name, r, col in todo:
            t = by_key[name]
            cols = [str(c) for c in t.frame.columns]
            hide = [col] if col is not None else []
            hide += [c for c in cols if _DEPENDENT.match(c) and col in (None, "k", "n")]
            hide += [
                c for c in cols if col and col.endswith(("_k", "_n")) and c == col[:-2] + "_rate"
            ]
            for c in hide:
                j = cols.index(c)
                if t.hidden.iat[r, j] == "":
                    t.hidden.iat[r, j] = mark
                    added[name] = added.get(name, 0) + 1
    return added
