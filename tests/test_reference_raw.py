"""The numbers the reference tests use appear in the raw outputs kept beside them.

Reference tests compare against numbers that came from other software or from papers; the
raw outputs are kept in ``tests/data/reference/`` (docs/architecture.md §7):

- R's printed output of the scripts that wrote the JSON files the tests read
  (``survival/make_reference.Rout``, ``mmrm/make_reference.Rout``, printed with 10
  significant digits): every number of ``reference.json`` and ``nlme_results.json`` must be
  one R printed, to the digits printed;
- the SAS PROC MIXED results as published (``antidepressant_hamd17_sas.md``): every SAS
  number of ``tests/test_mmrm.py`` must be there exactly;
- the results documented by the R package clinicalsignificance
  (``claus2020_clinicalsignificance.md`` and its CSV): every count of
  ``tests/test_outcomes_reference.py`` must be there;
- Newcombe's published tables (``newcombe1998_tables.csv``): the rows of
  ``tests/test_stats_summary.py`` must be the CSV's, and the CSV's limits R's to 4 decimals.

The numbers are read from the test modules with :mod:`ast` (never imported or executed),
so a transcription that drifts from its raw source fails here. None of this needs R.
"""

from __future__ import annotations

import ast
import csv
import json
import math
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REF = TESTS / "data" / "reference"

# A number as R and SAS print it; "[1]", "[2,]" and "[,3]" are indices, not numbers.
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")
_INDEX = re.compile(r"\[\d*,?\d*\]")


def printed_numbers(text: str) -> list[tuple[float, float, int]]:
    """Every number in ``text``: (value, half a unit of its last digit, significant digits).

    A Unicode minus (U+2212) counts as a minus sign.
    """
    out = []
    for m in _NUMBER.finditer(_INDEX.sub(" ", text.replace("\u2212", "-"))):
        token = m.group(0)
        mantissa, _, exponent = token.lower().partition("e")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        half = 0.5 * 10.0 ** (int(exponent or 0) - decimals)
        digits = len(mantissa.lstrip("+-").replace(".", "").lstrip("0")) or 1
        out.append((float(token), half, digits))
    return out


def is_printed(value: float, numbers: list[tuple[float, float, int]]) -> bool:
    """``value`` rounds to one of ``numbers`` at that number's printed precision.

    A value that is not a whole number must match a number printed with 3 or more
    significant digits (a count such as 31 matches "31"). A value exactly halfway (R rounds
    the binary number, which may lie either side) matches, up to a few units of rounding
    of the subtraction.
    """
    whole = float(value).is_integer()
    slack = 4e-16 * abs(value)
    return any(
        abs(value - v) <= half * (1 + 1e-9) + slack and (whole or digits >= 3)
        for v, half, digits in numbers
    )


def rout_sections(path: Path) -> dict[str, str]:
    """The ``#### name`` sections of an R output file."""
    sections: dict[str, str] = {}
    name = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#### "):
            name = line[5:].strip()
            sections[name] = ""
        elif name is not None:
            sections[name] += line + "\n"
    return sections


def numeric_leaves(obj, path: str = "", skip=()):
    """(path, number) of every number in a JSON value, keys in ``skip`` left out."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k not in skip:
                yield from numeric_leaves(v, f"{path}/{k}", skip)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from numeric_leaves(v, f"{path}[{i}]", skip)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path, obj


def _not_printed(block, section_text: str, skip=()) -> list[str]:
    numbers = printed_numbers(section_text)
    return [
        f"{p} = {v!r}"
        for p, v in numeric_leaves(block, skip=skip)
        # p values below R's printing limit print as "< 2e-16"
        if not (p.endswith("p_value") and v < 1e-10) and not is_printed(v, numbers)
    ]


def module_constants(path: Path) -> dict[str, object]:
    """Top-level ``NAME = <literal>`` assignments of a module (``np.array(<literal>)``
    gives the literal), read with ast."""
    out = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if isinstance(value, ast.Call) and value.args:
                value = value.args[0]
            try:
                out[getattr(target, "id", "")] = ast.literal_eval(value)
            except ValueError:
                continue
    return out


def float_literals(path: Path) -> set[float]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is float
    }


# ---- the helpers ----------------------------------------------------------------------
def test_printed_numbers_reads_r_and_sas_output():
    text = "[1] 0.2553 \u22121.6051 (0.4865, 169)\n[2,] 1.25e-05 S0001 visit2 <2e-16"
    values = [v for v, _, _ in printed_numbers(text)]
    assert values == [0.2553, -1.6051, 0.4865, 169.0, 1.25e-05, 2e-16]
    numbers = printed_numbers(text)
    assert is_printed(0.25534, numbers) and not is_printed(0.2554, numbers)
    assert is_printed(1.254e-05, numbers) and not is_printed(1.256e-05, numbers)
    assert not is_printed(2.1e-16, numbers)  # one significant digit: only whole numbers
    assert is_printed(169, numbers) and is_printed(168.6, numbers)
    assert is_printed(17, printed_numbers("17")) and not is_printed(16.9, printed_numbers("17"))


# ---- R: survival, summaries, effect sizes, GEE, LMM -------------------------------------
@pytest.fixture(scope="module")
def survival_rout():
    return rout_sections(REF / "survival" / "make_reference.Rout")


def _survival_blocks():
    ref = json.loads((REF / "survival" / "reference.json").read_text())
    for name, block in ref["survival"].items():
        yield f"survival/{name}", block, ("prob",)  # printed as column names 25, 50, 75
    yield "logrank_strata", ref["logrank_strata"], ()
    for name, block in ref["cox"].items():
        yield f"cox/{name}", block, ()
    for i, block in enumerate(ref["newcombe"], start=1):
        yield f"newcombe/{i}", block, ()
    yield "effect_sizes", ref["effect_sizes"], ()
    for name, block in ref["gee"].items():
        yield f"gee/{name}", block, ()
    for name, block in ref["lmm"].items():
        yield f"lmm/{name}", block, ()


@pytest.mark.parametrize(("section", "block", "skip"), list(_survival_blocks()))
def test_survival_reference_json_is_what_r_printed(survival_rout, section, block, skip):
    """reference.json (read by test_stats_survival, test_stats_summary, test_stats_models,
    test_plots_survival) holds the numbers R printed in make_reference.Rout."""
    assert section in survival_rout, f"no section {section!r} in make_reference.Rout"
    missing = _not_printed(block, survival_rout[section], skip)
    assert not missing, f"{section}: not in R's output:\n" + "\n".join(missing)


def test_survival_rout_covers_every_reference_block():
    """Every block of reference.json is checked above (``versions`` names the software)."""
    ref = json.loads((REF / "survival" / "reference.json").read_text())
    checked = {section.split("/")[0] for section, _, _ in _survival_blocks()}
    assert set(ref) - {"versions"} == checked | {"effect_sizes", "logrank_strata"}


# ---- R: MMRM (nlme::gls, emmeans, glmmTMB) --------------------------------------------
@pytest.fixture(scope="module")
def mmrm_rout():
    return rout_sections(REF / "mmrm" / "make_reference.Rout")


MMRM_RESULTS = json.loads((REF / "mmrm" / "nlme_results.json").read_text())


@pytest.mark.parametrize("key", sorted(MMRM_RESULTS))
def test_nlme_results_json_is_what_r_printed(mmrm_rout, key):
    """nlme_results.json (read by test_mmrm) holds the numbers R printed; ``seconds`` (a
    timing) is not printed."""
    assert key in mmrm_rout, f"no section {key!r} in mmrm/make_reference.Rout"
    missing = _not_printed(MMRM_RESULTS[key], mmrm_rout[key], skip=("seconds",))
    assert not missing, f"{key}: not in R's output:\n" + "\n".join(missing)


# ---- SAS PROC MIXED ---------------------------------------------------------------------
SAS_FILE = REF / "antidepressant_hamd17_sas.md"
# Numbers test_mmrm.py uses inline (not in its SAS_* tables): -2 RLL, AIC, BIC, the
# Kenward-Roger SE of the visit-7 difference and nlme's model-based SE.
SAS_SCALARS = (3494.20285008, 3514.2, 3545.7, 1.1163, 1.114)


def _verbatim(path: Path) -> str:
    """The part of a provenance file between its two ``---`` rules (the copied text)."""
    parts = path.read_text(encoding="utf-8").split("\n---\n")
    assert len(parts) == 3, f"{path.name}: expected the copied text between two '---' rules"
    return parts[1]


def test_sas_numbers_of_test_mmrm_are_in_the_sas_listing():
    """SAS_LSMEANS, SAS_DIFFS and SAS_UN of tests/test_mmrm.py, exactly as published."""
    consts = module_constants(TESTS / "test_mmrm.py")
    values = {v for v, _, _ in printed_numbers(_verbatim(SAS_FILE))}
    used = []
    for name in ("SAS_LSMEANS", "SAS_DIFFS", "SAS_UN"):
        assert name in consts, f"tests/test_mmrm.py has no {name}"
        stack = [consts[name]]
        while stack:
            x = stack.pop()
            if isinstance(x, (list, tuple)):
                stack.extend(x)
            elif isinstance(x, (int, float)) and not isinstance(x, bool):
                used.append(x)
    assert len(used) >= 8 * 3 + 4 * 3 + 16
    missing = sorted({x for x in used if x not in values})
    assert not missing, f"SAS numbers of test_mmrm.py not in {SAS_FILE.name}: {missing}"


def test_sas_scalars_of_test_mmrm_are_in_the_sas_listing():
    values = {v for v, _, _ in printed_numbers(_verbatim(SAS_FILE))}
    in_tests = float_literals(TESTS / "test_mmrm.py")
    for x in SAS_SCALARS:
        assert x in values, f"{x} is not in {SAS_FILE.name}"
        assert x in in_tests, f"{x} is no longer used by tests/test_mmrm.py"


def test_sas_listing_is_the_published_section():
    text = _verbatim(SAS_FILE)
    assert text.lstrip().startswith("## antidepressant_hamd17.csv")
    assert "PROC MIXED" in text and "DDFM=KR" in text and "TYPE=UN" in text


# ---- clinicalsignificance (Claus et al. 2020) -------------------------------------------
CLAUS_TEXT = REF / "claus2020_clinicalsignificance.md"
CLAUS_CSV = REF / "claus2020_clinicalsignificance.csv"
CATEGORIES = {"improved", "unchanged", "deteriorated"}


@pytest.fixture(scope="module")
def claus_rows():
    with CLAUS_CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_claus_csv_rows_come_from_the_documented_text(claus_rows):
    """Each row quotes the words it comes from, and its number is in them."""
    text = " ".join(_verbatim(CLAUS_TEXT).split())
    for row in claus_rows:
        assert row["quote"] in text, row
        assert float(row["value"]) in {v for v, _, _ in printed_numbers(row["quote"])}, row


def _claus_groups(rows):
    """``{(method, scale, settings, group): {category: value}}``."""
    groups: dict[tuple, dict[str, float]] = {}
    for r in rows:
        key = (r["method"], r["scale"], r["settings"], r["group"])
        groups.setdefault(key, {})[r["category"]] = float(r["value"])
    return groups


def test_counts_of_test_outcomes_reference_are_documented(claus_rows):
    """Every count table (dict literal) and cell (``table.loc[g, c] == n``) of
    tests/test_outcomes_reference.py is one of the documented results."""
    tree = ast.parse((TESTS / "test_outcomes_reference.py").read_text(encoding="utf-8"))
    groups = _claus_groups(claus_rows)
    dicts = []
    cells = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and node.keys:
            try:
                d = ast.literal_eval(node)
            except ValueError:
                continue
            if all(isinstance(v, int) for v in d.values()) and set(d) <= {
                "improved",
                "unchanged",
                "deteriorated",
            }:
                dicts.append(d)
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Subscript):
            try:
                index = ast.literal_eval(node.left.slice)
                n = ast.literal_eval(node.comparators[0])
            except ValueError:
                continue
            if isinstance(index, tuple) and len(index) == 2 and isinstance(n, int):
                cells.append((*index, n))
    assert len(dicts) >= 5 and len(cells) >= 4

    def documented(d):
        return any(
            all(g.get(c) == n for c, n in d.items())
            and all(v == 0 for c, v in g.items() if c not in d and c in CATEGORIES)
            for g in groups.values()
        )

    assert [d for d in dicts if not documented(d)] == []
    for group, category, n in cells:
        found = any(key[3] == group and g.get(category) == n for key, g in groups.items())
        assert found, (group, category, n)
    jt = groups[("jacobson_truax", "HAMD17", "reliability 0.80", "all")]
    used = float_literals(TESTS / "test_outcomes_reference.py")
    assert {jt["sd_pre"], jt["s_diff"]} <= used


# ---- Newcombe 1998 ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def newcombe_rows():
    with (REF / "newcombe1998_tables.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


TABLE_I_TEST = "test_wilson_against_newcombe_table_1"


def _table_i_of_tests():
    """The parametrize list of test_wilson_against_newcombe_table_1."""
    tree = ast.parse((TESTS / "test_stats_summary.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == TABLE_I_TEST:
            (deco,) = node.decorator_list
            return [tuple(r) for r in ast.literal_eval(deco.args[1])]
    raise AssertionError(f"tests/test_stats_summary.py: no {TABLE_I_TEST}")


def test_newcombe_rows_are_those_of_the_tests(newcombe_rows):
    t1 = {
        (int(r["k1"]), int(r["n1"]), float(r["ci_low"]), float(r["ci_high"]))
        for r in newcombe_rows
        if r["table"] == "I"
    }
    t2 = {
        (
            (int(r["k1"]), int(r["n1"]), int(r["k2"]), int(r["n2"])),
            float(r["estimate"]),
            float(r["ci_low"]),
            float(r["ci_high"]),
        )
        for r in newcombe_rows
        if r["table"] == "II"
    }
    assert set(_table_i_of_tests()) == t1
    used = module_constants(TESTS / "test_stats_summary.py")["NEWCOMBE_TABLE_II"]
    assert {tuple(r) for r in used} == t2
    # example (a) is also used by the forest-plot test and the NNT test
    a = next(r for r in newcombe_rows if r["example"] == "a")
    for test in ("test_plots_swimmer_forest.py", "test_stats_summary.py"):
        assert {float(a["ci_low"]), float(a["ci_high"])} <= float_literals(TESTS / test), test


def _r_vector(section_text: str, after: str = "") -> list[float]:
    body = section_text.split(after, 1)[1] if after else section_text
    return [v for v, _, _ in printed_numbers(body)]


def test_newcombe_rows_agree_with_r(newcombe_rows, survival_rout):
    """R (make_reference.Rout): prop.test(correct = FALSE) limits and newcombe10() give the
    published values to 4 decimals."""
    for r in newcombe_rows:
        if r["table"] == "I":
            got = _r_vector(survival_rout[f"wilson_table_I/{r['k1']}/{r['n1']}"])
            want = [float(r["ci_low"]), float(r["ci_high"])]
        else:
            label = f"{r['k1']}/{r['n1']} vs {r['k2']}/{r['n2']}"
            (text,) = [t for t in survival_rout.values() if t.startswith(label)]
            got = _r_vector(text, after="newcombe10 (difference, lower, upper):")
            want = [float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])]
        assert len(got) == len(want), (r, got)
        for g, w in zip(got, want, strict=True):
            assert math.isclose(round(g, 4), w, abs_tol=1e-12), (r, got)
