"""Reading a config: TOML text or file checked strictly against the schema
(:mod:`ketanalysis.config.schema`) and built into a :class:`~ketanalysis.config.Config`.
An unknown key is an error naming the closest valid key, a value of the wrong type an
error naming the key and the type expected; nothing is evaluated as code.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..outcomes import criteria as _criteria
from .schema import NESTED, PRESETS, SECTIONS, Config, ConfigError, CriteriaSection


def load_config(path: str | Path) -> Config:
    """Read and check a TOML config file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        For a file that cannot be read or is not TOML, an unknown section or key (the
        closest valid one suggested), a value of the wrong type, an unknown criteria preset
        (the valid presets listed) or an invalid value; the message names the key path.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError("", f"cannot read config file: {e}", str(path)) from None
    return parse_config(text, source=str(path), base_dir=path.parent)


def parse_config(
    text: str, *, source: str | None = None, base_dir: str | Path | None = None
) -> Config:
    """Check TOML text and build a :class:`~ketanalysis.config.Config` (see
    :func:`load_config`)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("", f"not valid TOML: {e}", source) from None
    try:
        return _build(data, None if base_dir is None else Path(base_dir))
    except ConfigError as e:
        raise ConfigError(e.key, e.reason, source) from None


def _build(data: dict[str, Any], base_dir: Path | None) -> Config:
    _unknown(data, list(SECTIONS), "", "section")
    kwargs: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            raise ConfigError(name, f"must be a table ([{name}]), got {_describe(raw)}")
        kwargs[name] = _criteria_section(raw) if name == "criteria" else _section(name, cls, raw)
    return Config(**kwargs, base_dir=base_dir)


def _section(name: str, cls, raw: dict[str, Any]):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _unknown(raw, list(fields), name, "key")
    values = {}
    for k, v in raw.items():
        nested = NESTED.get((name, k))
        if nested is None:
            values[k] = _typed(v, fields[k].type, f"{name}.{k}")
        elif not isinstance(v, dict):
            example = ", ".join(f'{f.name} = "..."' for f in dataclasses.fields(nested))
            raise ConfigError(
                f"{name}.{k}",
                f"must be a table ([{name}.{k}] or {{ {example} }}), got {_describe(v)}",
            )
        else:
            values[k] = _section(f"{name}.{k}", nested, v)
    return cls(**values)


def _criteria_section(raw: dict[str, Any]) -> CriteriaSection:
    parts = _criteria.PARTS
    _unknown(raw, ["preset", *parts], "criteria", "key")
    preset = _typed(raw.get("preset", "scale_defaults"), "str", "criteria.preset")
    preset = _preset_name(preset)
    overrides: dict[str, dict[str, Any]] = {}
    for part, values in raw.items():
        if part == "preset":
            continue
        key = f"criteria.{part}"
        if not isinstance(values, dict):
            raise ConfigError(key, f"must be a table ([{key}]), got {_describe(values)}")
        cls = parts[part]
        fields = {f.name: f for f in dataclasses.fields(cls)}
        _unknown(values, list(fields), key, "key", RENAMED_KEYS.get(key, {}))
        overrides[part] = {k: _typed(v, fields[k].type, f"{key}.{k}") for k, v in values.items()}
    crit = PRESETS[preset][0]()
    for part, values in overrides.items():
        try:
            dataclasses.replace(getattr(crit, part), **values)
        except (ValueError, TypeError) as e:
            named = [k for k in values if re.search(rf"\b{k}\b", str(e))]
            key = f"criteria.{part}" + (f".{named[0]}" if named else "")
            raise ConfigError(key, str(e)) from None
    return CriteriaSection(preset=preset, overrides=overrides)


def _preset_name(name: str) -> str:
    squash = {re.sub(r"[-_ ]", "", k).lower(): k for k in PRESETS}
    key = squash.get(re.sub(r"[-_ ]", "", name).lower())
    if key is not None:
        return key
    close = difflib.get_close_matches(name, list(PRESETS), n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(
        "criteria.preset", f"unknown preset {name!r}{hint}; valid presets: {', '.join(PRESETS)}"
    )


#: Keys renamed by the glossary (docs/glossary.md): ``{section: {old key: new key}}``;
#: the old key is refused with a hint to the new one.
RENAMED_KEYS: dict[str, dict[str, str]] = {"criteria.rapid_response": {"session": "at"}}


def _unknown(
    raw: Mapping[str, Any],
    valid: list[str],
    where: str,
    noun: str,
    renamed: Mapping[str, str] | None = None,
) -> None:
    for k in raw:
        if k in valid:
            continue
        close = difflib.get_close_matches(k, valid, n=1, cutoff=0.6)
        if renamed and k in renamed:
            close = [renamed[k]]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        path = f"{where}.{k}" if where else k
        of = f" of [{where}]" if where else ""
        raise ConfigError(path, f"unknown {noun}{hint}; valid {noun}s{of}: {', '.join(valid)}")


_NAMES = {
    "str": "text",
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "tuple[str, ...]": "a list of text",
    "dict[str, str]": "a table of text values",
}


def _typed(value, annotation: str, key: str):
    """``value`` checked against a field annotation (as a string); numbers normalised."""
    options = [a.strip() for a in annotation.split("|") if a.strip() != "None"]
    for option in options:
        ok, converted = _match(value, option)
        if ok:
            return converted
    if "int" in options and "float" in options:
        options.remove("int")
    wanted = " or ".join(_NAMES.get(o, o) for o in options)
    raise ConfigError(key, f"expected {wanted}, got {_describe(value)}")


def _match(value, option: str) -> tuple[bool, Any]:
    is_bool = isinstance(value, bool)
    if option == "str":
        return isinstance(value, str), value
    if option == "bool":
        return is_bool, value
    if option == "int":
        return isinstance(value, int) and not is_bool, value
    if option == "float":
        return isinstance(value, (int, float)) and not is_bool, value
    if option == "tuple[str, ...]":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return ok, tuple(value) if ok else value
    if option == "dict[str, str]":
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        return ok, dict(value) if ok else value
    raise AssertionError(f"unsupported annotation {option!r}")  # pragma: no cover


def _describe(value) -> str:
    kind = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
    shown = repr(value) if not isinstance(value, (list, dict)) or len(repr(value)) < 40 else ""
    return f"{shown} ({kind})" if shown else kind


def apply_config_keys(config: Config, config_keys: Mapping[str, Any] | None) -> Config:
    """A copy of ``config`` with some keys set, checked as the TOML file's keys are.

    Parameters
    ----------
    config : Config
    config_keys : mapping, optional
        ``{"section.key": value}`` (``"input.safety.vitals"`` for a sub-table), e.g.
        ``{"input.scale": "MADRS", "analysis.baseline": 0}``: what the command line's
        flags give. ``[criteria]`` keys cannot be set this way.

    Returns
    -------
    Config
        ``config`` itself when ``config_keys`` is empty.

    Raises
    ------
    ConfigError
        For an unknown key (the closest valid one suggested), a value of the wrong type or
        an invalid value; the message names the key path and not the config file.
    """
    if not config_keys:
        return config
    grouped: dict[tuple[str, ...], dict[str, Any]] = {}
    for path, value in config_keys.items():
        parts = str(path).split(".")
        if len(parts) < 2 or parts[0] == "criteria":
            raise ConfigError(str(path), "expected a key such as 'input.scale'")
        grouped.setdefault(tuple(parts[:-1]), {})[parts[-1]] = value
    changed: dict[str, Any] = {}
    # sub-tables first, so that their section is replaced with them in place
    for where in sorted(grouped, key=len, reverse=True):
        values = grouped[where]
        section_name = where[0]
        _unknown({section_name: None}, [s for s in SECTIONS if s != "criteria"], "", "section")
        section = changed.get(section_name, getattr(config, section_name))
        target, owner_key = section, None
        if len(where) == 2:
            owner_key = where[1]
            nested = NESTED.get((section_name, owner_key))
            if nested is None:
                raise ConfigError(
                    ".".join(where), f"[{section_name}] has no sub-table {owner_key!r}"
                )
            target = getattr(section, owner_key)
        elif len(where) > 2:
            raise ConfigError(".".join(where), "too many parts in the key")
        prefix = ".".join(where)
        fields = {f.name: f for f in dataclasses.fields(target)}
        _unknown(values, list(fields), prefix, "key")
        for k in values:
            if (prefix, k) in NESTED:
                raise ConfigError(f"{prefix}.{k}", f"is a table; set its keys ({prefix}.{k}.KEY)")
        typed = {k: _typed(v, fields[k].type, f"{prefix}.{k}") for k, v in values.items()}
        target = dataclasses.replace(target, **typed)
        if owner_key is not None:
            target = dataclasses.replace(section, **{owner_key: target})
        changed[section_name] = target
    return dataclasses.replace(config, **changed)
