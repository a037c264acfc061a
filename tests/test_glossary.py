"""The public API speaks the vocabulary of docs/glossary.md.

The names are parsed from the glossary itself (the first cell of every table row, names in
backticks), so the document and this test cannot drift apart. The walk covers every public
function, method, class constructor and dataclass field reachable from ``ka``, ``ka.stats``,
``ka.plots``, ``ka.simulate``, ``ka.report``, ``ka.config``, ``ka.criteria`` and
``ka.scales`` (their ``__all__``).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import numbers
import re
from pathlib import Path

import pytest

import ketanalysis as ka

GLOSSARY = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"
MODULES = (
    "ketanalysis",
    "ketanalysis.stats",
    "ketanalysis.plots",
    "ketanalysis.simulate",
    "ketanalysis.report",
    "ketanalysis.config",
    "ketanalysis.criteria",
    "ketanalysis.scales",
)
# The fields of ka.config.Config are TOML section names: their own namespace (section 11).
CONFIG_SECTION_HEADING = "Report configuration sections"
RETIRED_HEADING = "Retired names"
NAME = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


# ---- the glossary ---------------------------------------------------------------------
def _sections(text: str) -> dict[str, list[list[str]]]:
    """``{section heading: rows}``; a row is its cells, header and rule rows left out."""
    sections: dict[str, list[list[str]]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:].strip()
            sections[heading] = []
        elif line.startswith("|") and heading:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if set(cells[0]) <= set("-: ") or not NAME.search(cells[0]):
                continue  # the rule under a header, or the header itself
            sections[heading].append(cells)
    return sections


def parse_glossary(text: str) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(defined names, config section names, retired names), each ``{name: section}`` or
    for retired names ``{name: replacement}``. Raises ValueError on a name defined twice."""
    defined: dict[str, str] = {}
    config: dict[str, str] = {}
    retired: dict[str, str] = {}
    for heading, rows in _sections(text).items():
        for cells in rows:
            names = NAME.findall(cells[0])
            if RETIRED_HEADING in heading:
                replacement = NAME.findall(cells[1])
                for n in names:
                    retired[n] = replacement[0] if replacement else ""
                continue
            target = config if CONFIG_SECTION_HEADING in heading else defined
            for n in names:
                if n in target:
                    raise ValueError(
                        f"glossary: {n!r} is defined twice ({target[n]!r} and {heading!r})"
                    )
                target[n] = heading
    return defined, config, retired


@pytest.fixture(scope="module")
def glossary():
    return parse_glossary(GLOSSARY.read_text(encoding="utf-8"))


# ---- the public API -------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Name:
    """One parameter or field of the public API."""

    where: str  # "ketanalysis.stats.mmrm", "ketanalysis.stats.MMRMResult.lsmeans"
    name: str
    default: object  # inspect.Parameter.empty when there is none
    annotation: str = ""


def _public_objects():
    for modname in MODULES:
        if modname == "ketanalysis.criteria":
            module = ka.criteria  # ka.criteria is ketanalysis.outcomes.criteria
        else:
            module = importlib.import_module(modname)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.ismodule(obj) or not getattr(obj, "__module__", "").startswith(
                "ketanalysis"
            ):
                continue
            if inspect.isclass(obj) or callable(obj):
                yield f"{modname}.{attr}", obj


def _text(annotation) -> str:
    if annotation is inspect.Parameter.empty:
        return ""
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")


def _signature_names(where: str, func) -> list[Name]:
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    return [
        Name(where, p.name, p.default, _text(p.annotation))
        for p in sig.parameters.values()
        if p.name not in ("self", "cls") and not p.name.startswith("_")
    ]


def _class_names(where: str, cls) -> list[Name]:
    out: list[Name] = []
    if dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            if f.name.startswith("_"):
                continue
            default = f.default if f.default is not dataclasses.MISSING else inspect._empty
            out.append(Name(where, f.name, default, _text(f.type)))
    elif "__init__" in vars(cls):
        out += _signature_names(where, cls)
    for klass in cls.__mro__:
        if not klass.__module__.startswith("ketanalysis"):
            continue
        for attr, value in vars(klass).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property) or not callable(value):
                continue
            out += _signature_names(f"{where}.{attr}", value)
    return out


def public_names() -> list[Name]:
    """Every parameter and dataclass field of the public API (Config's fields apart)."""
    out: list[Name] = []
    for where, obj in _public_objects():
        out += _class_names(where, obj) if inspect.isclass(obj) else _signature_names(where, obj)
    return list(dict.fromkeys(out))


def _is_config(where: str) -> bool:
    return where == "ketanalysis.config.Config"


def _is_config_key(where: str) -> bool:
    """A field of a section class of ka.config (``[analysis] endpoint``): a TOML key, named
    by the glossary or by its own table of keys in section 11, and not held to the meanings
    of MEANING (``[privacy] level`` is a privacy level)."""
    cls = where.rpartition(".")[2]
    return where.startswith("ketanalysis.config.") and (
        cls.endswith("Section") or cls == "SafetyFiles"
    )


# ---- the tests ------------------------------------------------------------------------
def test_the_glossary_parses_and_defines_each_name_once(glossary):
    defined, config, retired = glossary
    assert len(defined) > 100 and config and retired
    assert not set(retired) & set(defined), "a retired name is also defined"


def test_parser_finds_names_and_refuses_a_second_definition():
    text = (
        "## 1. A\n\n| name | type | meaning |\n|---|---|---|\n| `a`, `b` | int | x |\n"
        "## 2. Retired names\n\n| retired | use instead | why |\n|---|---|---|\n"
        "| `c` | `a` | y |\n"
    )
    assert parse_glossary(text) == ({"a": "1. A", "b": "1. A"}, {}, {"c": "a"})
    with pytest.raises(ValueError, match="'a' is defined twice"):
        parse_glossary(text + "## 3. B\n\n| `a` | int | again |\n")


def test_the_walk_sees_the_public_api():
    """The walk reaches functions, methods, dataclass fields and lazily loaded figures."""
    seen = {(n.where, n.name) for n in public_names()}
    for where, name in [
        ("ketanalysis.derive", "baseline"),
        ("ketanalysis.stats.kaplan_meier", "event"),
        ("ketanalysis.stats.MMRMResult.lsmeans", "specs"),
        ("ketanalysis.plots.kaplan_meier", "event"),
        ("ketanalysis.simulate.PowerResult", "n_sim"),
        ("ketanalysis.criteria.Relapse", "consecutive"),
        ("ketanalysis.scales.Scale", "remission_threshold"),
        ("ketanalysis.report.build", "out_dir"),
    ]:
        assert (where, name) in seen, (where, name)


def test_every_public_name_is_in_the_glossary(glossary):
    """(A retired name is reported by the next test, with its replacement.)"""
    defined, config, retired = glossary

    def known(n: Name) -> set[str]:
        if _is_config(n.where):
            return set(config)
        return set(defined) | set(config) if _is_config_key(n.where) else set(defined)

    missing = sorted(
        f"{n.where}: {n.name}"
        for n in public_names()
        if n.name not in known(n) and n.name not in retired
    )
    assert not missing, "names not in docs/glossary.md:\n" + "\n".join(missing)


def test_no_public_name_is_retired(glossary):
    _, _, retired = glossary
    used = sorted(
        f"{n.where}: {n.name} -> {retired[n.name]}"
        for n in public_names()
        if n.name in retired and not _is_config(n.where)
    )
    assert not used, "retired names (docs/glossary.md section 12):\n" + "\n".join(used)


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


NONE = inspect.Parameter.empty


def _given(rule):
    """A rule on the default, checked only where there is a default."""
    return lambda n: n.default is NONE or rule(n.default)


# Names whose glossary meaning shows in their default (or type): a column argument always
# defaults to the canonical column; a session value, an analysis type, a level, a count of
# units and the data analysed each have their own name.
MEANING = {
    "patient": ("the patient column: a column name, 'patient_id' or the file's own",
                lambda n: isinstance(n.default, str)),
    "session": ("the session column, default 'session' (a session value is 'at')",
                lambda n: n.default == "session"),
    "endpoint": ("a session value (an analysis type is 'analysis')",
                 lambda n: not isinstance(n.default, str) and not n.annotation.startswith("str")),
    "level": ("a probability in (0, 1), default 0.95", _given(lambda d: d is None or d == 0.95)),
    "alpha": ("a probability in (0, 1)", _given(lambda d: _is_number(d) and 0 < d < 1)),
    "ci": ("a bool: draw the interval (its level is 'level', a method 'ci_method')",
           _given(lambda d: d is None or isinstance(d, bool))),
    "per": ("a number of units (a unit of analysis is 'unit')", _given(_is_number)),
    "outcomes": ("several outcome names (the data analysed is 'data')",
                 lambda n: isinstance(n.default, (tuple, list))),
    "response": ("a Response definition (an outcome by name is 'outcome')",
                 _given(lambda d: d is None)),
    "event": ("'relapse', the one default of the survival functions",
              _given(lambda d: d == "relapse")),
}  # fmt: skip


def test_parameters_have_the_meaning_of_their_name():
    """Defaults and types agree with the glossary's meaning of the name."""
    wrong = []
    for n in public_names():
        rule = MEANING.get(n.name)
        if rule is None or _is_config(n.where) or _is_config_key(n.where):
            continue
        meaning, ok = rule
        if not ok(n):
            shown = "" if n.default is NONE else f"={n.default!r}"
            wrong.append(f"{n.where}: {n.name}{shown} ({n.name} is {meaning})")
    assert not wrong, "names used against docs/glossary.md:\n" + "\n".join(sorted(wrong))


def test_kaplan_meier_event_default_is_shared():
    """ka.stats.kaplan_meier and ka.plots.kaplan_meier take the same default event."""
    stats_default = inspect.signature(ka.stats.kaplan_meier).parameters["event"].default
    plots_default = inspect.signature(ka.plots.kaplan_meier).parameters["event"].default
    assert stats_default == plots_default, (stats_default, plots_default)
