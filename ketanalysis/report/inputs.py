"""The one way every command reads its input: the config resolved (a file, a
:class:`~ketanalysis.config.Config` or the defaults, with the command line's input options on
top), the score file read as ``[input]`` says and validated once with ``[input]`` and
``[analysis] baseline``.

``ketanalysis validate``, ``derive``, ``figures`` and ``report`` and
:func:`ketanalysis.report.build` all go through :func:`read_input` and
:func:`validate_input`, so one file and one config give the same frame, the same
validation summary and the same derivation everywhere.

Errors, by what the user has to change:

- the data: :class:`ketanalysis.DataError` naming the file, rows and columns (also for a
  file that cannot be parsed at all: the reader's library error is turned into one);
- the settings: :class:`~ketanalysis.config.ConfigError` naming the key (an ``[input]``
  setting that does not fit the file, such as a wide pattern matching no column);
- a missing input file: ``FileNotFoundError`` ("no such file: ...").

Anything else that escapes is a bug of ketanalysis.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import pandas as pd

from ..config import Config, ConfigError, apply_config_keys, load_config
from ..io.files import raise_data_error
from ..validation import DataError, DataWarning, validate
from ..validation.issues import Issues
from .output import file_sha256

__all__ = ["read_input", "resolve_config", "sha256_bytes", "validate_input"]

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def sha256_bytes(data: bytes) -> str:
    """The SHA-256 of ``data`` as hex."""
    return hashlib.sha256(data).hexdigest()


def resolve_config(config=None, config_keys=None) -> tuple[Config, dict]:
    """The config and how it was given.

    ``config`` is a :class:`~ketanalysis.config.Config`, a TOML file or None (the
    defaults); ``config_keys`` (``{"input.scale": "MADRS", ...}``, see
    :func:`ketanalysis.config.apply_config_keys`) are set on top. The record has ``file``
    (the config file's name or None), ``given`` ("file", "Config object" or "defaults"),
    ``sha256`` (of the file's bytes; of the default text; of the resolved settings as
    sorted JSON for a Config object), ``path`` (a file's path) and ``config_keys`` (those
    given, if any).
    """
    if config is None:
        from ..config import default_config_text

        digest = sha256_bytes(default_config_text().encode())
        cfg, info = Config(), {"file": None, "given": "defaults", "sha256": digest}
    elif isinstance(config, Config):
        text = json.dumps(config.to_dict(), sort_keys=True, ensure_ascii=False)
        digest = sha256_bytes(text.encode())
        cfg, info = config, {"file": None, "given": "Config object", "sha256": digest}
    else:
        path = Path(config)
        cfg = load_config(path)
        info = {
            "file": path.name,
            "given": "file",
            "sha256": sha256_bytes(path.read_bytes()),
            "path": str(path),
        }
    if config_keys:
        cfg = apply_config_keys(cfg, config_keys)
        info["config_keys"] = {str(k): _plain(v) for k, v in config_keys.items()}
    return cfg, info


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def read_input(source, config: Config, record: dict | None = None):
    """Read the score file (or frame) as ``config.input`` says, without validating it.

    Returns ``(frame, inputs, name)``: the frame as read (every row), the input records
    for provenance (role, name, SHA-256; the REDCap event map and the safety files too)
    and the name of the source used in messages. ``record`` is the second value of
    :func:`resolve_config`: a ConfigError raised here then names the config file.
    """
    try:
        return _read(source, config)
    except ConfigError as e:
        path = (record or {}).get("path")
        if e.source is None and path and not _from_config_keys(e.key, record):
            raise ConfigError(e.key, e.reason, path) from None
        raise


def _from_config_keys(key: str, record: dict | None) -> bool:
    return bool(record) and key in (record.get("config_keys") or {})


def validate_input(frame: pd.DataFrame, config: Config, name: str):
    """Validate the frame of :func:`read_input` once, as ``config`` says (``[input]``
    scale and allow keys, ``[analysis] baseline``). Returns the
    :class:`~ketanalysis.ValidationReport` (not raised: call ``raise_for_errors()``)."""
    inp = config.input
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return _reading(
            name,
            "validate",
            validate,
            frame,
            scale=inp.scale or None,
            baseline=config.analysis.baseline,
            allow_identifiers=list(inp.allow_identifiers),
            allow_negative_days=inp.allow_negative_days,
            source=name,
        )


def _read(source, cfg: Config):
    import ketanalysis as ka

    inp = cfg.input
    common = {
        "baseline": cfg.analysis.baseline,
        "allow_identifiers": list(inp.allow_identifiers),
        "allow_negative_days": inp.allow_negative_days,
        "validate": False,
    }
    if isinstance(source, pd.DataFrame):  # a frame is always long
        digest = sha256_bytes(
            pd.util.hash_pandas_object(source, index=True).to_numpy().tobytes()
            + "\x00".join(map(str, source.columns)).encode()
        )
        inputs = [{"role": "scores", "name": "<DataFrame>", "sha256": digest}]
        name, layout, data = "a DataFrame", "long", source
    else:
        path = Path(source)
        if not path.is_file():
            what = "is a directory, not a file" if path.is_dir() else "no such file"
            raise FileNotFoundError(f"{what}: {path}")
        name, layout, data = str(path), inp.format, path
        inputs = [
            {
                "role": "scores",
                "name": path.name,
                "sha256": _file_digest(path),
                "bytes": path.stat().st_size,
            }
        ]
    if layout == "wide":
        frame = _reading(
            name,
            "wide",
            ka.from_wide,
            data,
            patient=inp.wide_id,
            sessions=inp.wide_columns or inp.wide_sessions,
            session_labels=inp.wide_session_labels or None,
            days=inp.wide_days or None,
            scale=inp.scale or None,
            **common,
        )
    elif layout == "redcap":
        events_path = cfg.path(inp.redcap_events)
        events = cfg.redcap_event_map()
        inputs.append(
            {
                "role": "redcap_events",
                "name": events_path.name,
                "sha256": file_sha256(events_path),
            }
        )
        frame = _reading(
            name,
            "redcap",
            ka.read_redcap,
            data,
            events=events,
            day=inp.redcap_day or None,
            scale=inp.scale or None,
            **common,
        )
    else:
        frame = _reading(
            name,
            "long",
            ka.read_scores,
            data,
            columns=inp.columns or None,
            scale=inp.scale or None,
            **common,
        )
    if frame.attrs.get("dialect"):
        inputs[0]["dialect"] = frame.attrs["dialect"]  # how the text file was read
    return frame, inputs + _safety_inputs(cfg), name


def _file_digest(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError as e:
        _unreadable(str(path), f"cannot read the file ({e.strerror or e})")


def _safety_inputs(cfg: Config) -> list[dict]:
    out = []
    for kind, value in cfg.input.safety.given().items():
        p = cfg.path(value)
        if not p.is_file():
            raise ConfigError(f"input.safety.{kind}", f"no such file: {p}")
        out.append({"role": kind, "name": p.name, "sha256": file_sha256(p)})
    return out


#: The ``[input]`` key a reader's argument error is about, by format and message start.
_ARGUMENT_KEYS = {
    "wide": (
        ("session_labels", "input.wide_session_labels"),
        ("sessions", "input.wide_sessions"),
        ("days", "input.wide_days"),
        ("scale", "input.scale"),
        ("from_wide needs scale", "input.scale"),
        ("patient", "input.wide_id"),
    ),
    "redcap": (("event", "input.redcap_events"), ("scale", "input.scale")),
    "long": (("columns", "input.columns"), ("scale", "input.scale")),
    "validate": (("baseline", "analysis.baseline"), ("scale", "input.scale")),
}


def _reading(name: str, layout: str, reader, *args, **kwargs):
    """``reader(*args, **kwargs)`` with its errors sorted by what the user must change:
    DataError and ConfigError pass; a file the reader's library cannot parse becomes a
    DataError naming the file (not in validation: the frame was read, so a library error
    there is a bug); an argument error of the reader or of validation (raised by
    ketanalysis itself) a ConfigError naming the key; anything else is a bug and passes."""
    try:
        return reader(*args, **kwargs)
    except (DataError, ConfigError, FileNotFoundError, ImportError):
        raise
    except OSError as e:
        _unreadable(name, f"cannot read the file ({e.strerror or e})")
    except Exception as e:
        if layout != "validate" and _raised_outside_ketanalysis(e):
            _unreadable(name, _expected(name, layout, e))
        text = str(e)
        if isinstance(e, ValueError) and text.startswith("cannot read"):
            _unreadable(name, text)  # e.g. an unknown file type
        if isinstance(e, (ValueError, TypeError)):
            key = next((k for start, k in _ARGUMENT_KEYS[layout] if text.startswith(start)), None)
            if key is not None:
                raise ConfigError(key, text) from None
        raise


def _raised_outside_ketanalysis(exc: BaseException) -> bool:
    """Whether the innermost frame of the traceback is outside the ketanalysis package (a
    library such as pandas, pyarrow, openpyxl or zipfile failed on the file's bytes)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    try:
        Path(tb.tb_frame.f_code.co_filename).resolve().relative_to(_PACKAGE_DIR)
    except ValueError:
        return True
    return False


_KINDS = {
    ".csv": "a comma-separated text file",
    ".tsv": "a tab-separated text file",
    ".tab": "a tab-separated text file",
    ".txt": "a delimited text file",
    ".xlsx": "an Excel workbook",
    ".xlsm": "an Excel workbook",
    ".xls": "an Excel workbook",
    ".parquet": "a Parquet file",
    ".pq": "a Parquet file",
    ".sav": "an SPSS file",
    ".zsav": "an SPSS file",
    ".dta": "a Stata file",
    ".sas7bdat": "a SAS file",
    ".xpt": "a SAS transport file",
}


def _expected(name: str, layout: str, exc: BaseException) -> str:
    kind = _KINDS.get(Path(name).suffix.lower(), "a score file")
    shape = {"wide": "wide scores", "redcap": "a REDCap export"}.get(layout, "long scores")
    detail = " ".join(str(exc).split())[:300]
    return (
        f"cannot read the file: expected {kind} of {shape} "
        f"({type(exc).__name__}: {detail or 'no detail'})"
    )


def _unreadable(name: str, message: str):
    issues = Issues()
    issues.add_one("error", "unreadable", None, message)
    raise_data_error(issues, name, pd.DataFrame())
