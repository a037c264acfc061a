"""Build a report: one validation, one derivation, the sections' tables, the figures, the
HTML page and the provenance record, written to a temporary directory and moved into
place.

Output (every file byte-identical when the same data and config are built again, except
``timings.json``)::

    report.html        self-contained: CSS and SVG figures inline, no external request
    figures/           each figure as PDF, SVG and PNG (output.figure_formats)
    tables/            each table as CSV, LaTeX and Markdown (output.table_formats)
    provenance.json    versions, SHA-256 of the inputs and config, the resolved config,
                       the seed, the steps run and the SHA-256 of every file written
    timings.json       seconds per step: the one file that differs between runs
"""

from __future__ import annotations

import contextlib
import json
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config import Config, ConfigError
from .inputs import read_input, resolve_config, validate_input
from .output import OutputDirError, checkpoint, manifest_files, stage
from .privacy import Privacy

__all__ = ["OutputDirError", "build", "build_figures", "load_outcomes"]

#: Files of the output that are not covered by the byte-for-byte guarantee.
NOT_REPRODUCIBLE = ("timings.json",)
_DEPENDENCIES = ("numpy", "pandas", "scipy", "statsmodels", "patsy", "matplotlib")


@dataclass
class Context:
    """Everything the sections, figures and methods need (see :mod:`.sections`)."""

    config: Config
    criteria: object
    report: object
    out: object
    source_name: str
    source_sha256: str
    primary: str
    group: str | None
    arm: str | None
    endpoint: object
    level: float
    privacy: Privacy
    versions: dict
    has_cadss: bool
    table1_variables: list
    results: dict = field(default_factory=dict)
    tables: list = field(default_factory=list)
    skipped_figures: dict = field(default_factory=dict)
    glance: list = field(default_factory=list)
    quiet: bool = True
    #: The safety data when the config names safety files (:class:`.safety.SafetyData`).
    safety: object = None

    def log(self, message: str) -> None:
        """A warning on stderr during the build (silent when quiet)."""
        if not self.quiet:
            print(f"ketanalysis: warning: {message}", file=sys.stderr, flush=True)

    @property
    def level_pct(self) -> str:
        return f"{self.level * 100:g} %"


class _Steps:
    """Times each step; prints progress on stderr unless quiet."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.times: list[tuple[str, float]] = []
        self.t0 = time.perf_counter()

    @contextlib.contextmanager
    def step(self, name: str):
        start = time.perf_counter()
        yield
        dt = time.perf_counter() - start
        self.times.append((name, dt))
        if not self.quiet:
            print(f"ketanalysis: {name:<32} {dt:7.2f} s", file=sys.stderr, flush=True)

    def total(self) -> float:
        return time.perf_counter() - self.t0


# ---------------------------------------------------------------------------------------
# Public
# ---------------------------------------------------------------------------------------
def build(
    source,
    out_dir,
    config=None,
    *,
    overwrite: bool = False,
    quiet: bool = False,
    config_keys=None,
) -> Path:
    """Build the full report of a score file.

    Parameters
    ----------
    source : path or DataFrame
        The score file (read as ``config.input`` says) or a frame in the canonical long
        format.
    out_dir : path
        The report directory. It must not exist or be empty, unless ``overwrite``.
    config : Config, path or None
        A :class:`~ketanalysis.config.Config`, a TOML file, or None for the defaults.
    overwrite : bool, default False
        Replace an existing report in ``out_dir``: only the files listed with their
        SHA-256 in its ``provenance.json`` (and that file and ``timings.json``) are
        removed; any other file, or a listed one that was modified, makes the build
        refuse before anything is written or deleted (:mod:`.output`).
    quiet : bool, default False
        No progress on stderr.
    config_keys : mapping, optional
        Config keys set on top of ``config``, ``{"input.scale": "MADRS", ...}`` (what the
        command line's flags give; see :func:`ketanalysis.config.apply_config_keys`); recorded
        in ``provenance.json``.

    Returns
    -------
    Path
        ``out_dir / "report.html"``.

    Raises
    ------
    ketanalysis.DataError
        The data have errors (each listed with its row and column), or the file cannot be
        read as the config says (named with what was expected).
    FileNotFoundError
        ``source`` is not a file.
    ConfigError
        A configuration problem, or a setting that does not fit the data (a group column
        that is not there, an endpoint session without assessments, ...).
    OutputDirError
        ``out_dir`` is not empty and ``overwrite`` is False; or it holds files that are
        not part of a previous report (named in the message); or another run is writing
        it.

    Notes
    -----
    Building again with the same data, config and package versions gives byte-identical
    files, except ``timings.json`` (seconds per step, also printed as progress). The
    files are written to a temporary directory beside ``out_dir`` and moved into place at
    the end, so an interrupted build leaves no half-written report; the next build cleans
    up (or restores) what a killed one left beside ``out_dir``.
    """
    return _run(
        source, out_dir, config, config_keys, overwrite=overwrite, quiet=quiet, figures_only=False
    )


def build_figures(
    source, out_dir, config=None, *, overwrite=False, quiet=False, config_keys=None
) -> Path:
    """Only the figures of the report (``ketanalysis figures``): ``out_dir`` holds the
    figure files and ``provenance.json``. Returns ``out_dir``."""
    return _run(
        source, out_dir, config, config_keys, overwrite=overwrite, quiet=quiet, figures_only=True
    )


# ---------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------
def load_outcomes(source, config=None, *, config_keys=None):
    """Read, validate and derive as a report would: ``(validation report, Outcomes)``.

    Used by ``ketanalysis derive``; ``config`` and ``config_keys`` as for :func:`build`, and
    raises as it does.
    """
    cfg, cfg_info = resolve_config(config, config_keys)
    frame, inputs, name = read_input(source, cfg, cfg_info)
    report = validate_input(frame, cfg, name).raise_for_errors()
    ctx = _context_for(cfg, cfg_info, report, inputs[0]["name"], inputs[0]["sha256"])
    return report, ctx.out


def _context_for(cfg, cfg_info, report, name, sha) -> Context:
    """:func:`_context`, with the config file named in its errors."""
    try:
        return _context(cfg, report, name, sha)
    except ConfigError as e:
        if e.source is None and cfg_info.get("path"):
            raise ConfigError(e.key, e.reason, cfg_info["path"]) from None
        raise


def _named(cfg_info, function, *args):
    """``function(*args)``, with the config file named in its ConfigErrors."""
    try:
        return function(*args)
    except ConfigError as e:
        if e.source is None and cfg_info.get("path"):
            raise ConfigError(e.key, e.reason, cfg_info["path"]) from None
        raise


def _run(source, out_dir, config, config_keys, *, overwrite, quiet, figures_only) -> Path:
    cfg, cfg_info = resolve_config(config, config_keys)
    out_dir = Path(out_dir)
    steps = _Steps(quiet)
    log = None if quiet else _warn
    with stage(out_dir, overwrite=overwrite, log=log) as staging:
        _write_all(staging.path, source, cfg, cfg_info, steps, quiet, figures_only)
        staging.commit()
    if not quiet:
        print(f"ketanalysis: {'total':<32} {steps.total():7.2f} s", file=sys.stderr, flush=True)
    return out_dir if figures_only else out_dir / "report.html"


def _warn(message: str) -> None:
    print(f"ketanalysis: warning: {message}", file=sys.stderr, flush=True)


def _write_all(tmp: Path, source, cfg, cfg_info, steps, quiet, figures_only) -> None:
    """Every file of the report, into the staging directory ``tmp``."""
    with steps.step("read"):
        frame, inputs, name = read_input(source, cfg, cfg_info)
    with steps.step("validate"):
        report = validate_input(frame, cfg, name).raise_for_errors()
    with steps.step("derive"):
        ctx = _context_for(cfg, cfg_info, report, inputs[0]["name"], inputs[0]["sha256"])
    ctx.quiet = quiet
    if cfg.input.safety:
        from .safety import load_safety

        with steps.step("safety"):
            ctx.safety = _named(cfg_info, load_safety, ctx)
    if figures_only:
        fig_dir = tmp
    else:
        from .sections import SECTIONS, glance

        sections = []
        protected = not ctx.privacy.strict
        for spec in SECTIONS:
            if spec.key == "privacy" and not protected:  # its list shows what is hidden
                with steps.step("complementary suppression"):
                    _complete_suppression(ctx)
                protected = True
            with steps.step(f"section {spec.key}"):
                built = spec.build(ctx)
            if built is not None:
                sections.append(built)
        if not protected:
            with steps.step("complementary suppression"):
                _complete_suppression(ctx)
        fig_dir = tmp / "figures"
    from .figures import FIGURES, draw_figures

    scratch = Path(tempfile.mkdtemp(prefix="svg-", dir=tmp))
    figures = draw_figures(ctx, fig_dir, scratch, step=steps.step)
    shutil.rmtree(scratch)
    checkpoint()
    if not figures_only:
        with steps.step("tables"):
            _write_tables(ctx, tmp / "tables")
        checkpoint()
        with steps.step("html"):
            from .html import render

            ctx.glance = glance(ctx)
            page = render(ctx, sections, figures, FIGURES)
            (tmp / "report.html").write_bytes(page.encode("utf-8"))
        checkpoint()
    with steps.step("provenance"):
        prov = _provenance(ctx, cfg, cfg_info, inputs, steps, tmp, figures_only)
        _write_json(tmp / "provenance.json", prov)
    checkpoint()
    _write_json(
        tmp / "timings.json",
        {
            "note": "Seconds per step of this run; the only file that differs between "
            "runs (not part of the byte-for-byte reproducible output).",
            "steps": [{"step": n, "seconds": round(t, 3)} for n, t in steps.times],
            "total_seconds": round(steps.total(), 3),
        },
    )
    checkpoint()


def _context(cfg: Config, report, source_name: str, sha: str) -> Context:
    """Derive the outcomes once and resolve the settings that depend on the data."""
    import ketanalysis as ka

    from ..validation.identifiers import is_free_text
    from .descriptive import covariates

    a = cfg.analysis
    crit = cfg.outcome_criteria()
    frame = report.frame
    columns = set(frame.columns)
    scales = cfg.outcome_scales()
    if a.endpoint is not None and not (frame["session"] == a.endpoint).any():
        present = ", ".join(str(s) for s in sorted(pd.unique(frame["session"].dropna())))
        raise ConfigError(
            "analysis.endpoint",
            f"session {a.endpoint!r} has no assessments; sessions in the data: {present}",
        )
    try:
        out = ka.derive(
            report,
            scale=list(scales) or None,
            criteria=crit,
            baseline=a.baseline,
            endpoint=a.endpoint,
        )
    except ValueError as e:
        if "event_column" in str(e):
            key = "criteria.relapse.event_column"
        elif "do not fit" in str(e):  # an absolute threshold of one scale on several
            reason = str(e).split("; pass a mapping")[0]
            raise ConfigError(
                "criteria",
                f"{reason}; set [analysis] scales to the one scale they fit (per-scale "
                "[criteria] tables are not available yet)",
            ) from None
        else:
            key = "analysis.scales"
        raise ConfigError(key, str(e)) from None
    primary = a.primary_scale or out.scales[0]
    if primary not in out.scales:
        raise ConfigError(
            "analysis.primary_scale",
            f"{primary!r} is not an outcome scale of the data ({', '.join(out.scales)})",
        )
    arm = None
    if a.arm in columns and frame[a.arm].dropna().nunique() >= 2:
        arm = a.arm
    elif a.arm and a.arm != "arm" and a.arm not in columns:
        raise ConfigError("analysis.arm", _missing_column(a.arm, columns))
    group = a.group or arm
    if group and group not in columns:
        raise ConfigError("analysis.group", _missing_column(group, columns))
    n_patients = frame["patient_id"].nunique()
    # free text never reaches a table; a column allowed although it looks like an
    # identifier is tabulated only when analysis.table1 names it
    covs = [
        c
        for c in covariates(frame)
        if c != group
        and c not in report.allowed_identifiers
        and not is_free_text(frame[c], n_patients)
    ]
    if a.table1:
        for c in a.table1:
            if c not in columns:
                raise ConfigError("analysis.table1", _missing_column(c, columns))
            if is_free_text(frame[c], n_patients):
                raise ConfigError(
                    "analysis.table1",
                    f"column {c!r} holds free text (too many distinct values to be a "
                    "category); free text is never tabulated",
                )
        chosen = [c for c in a.table1 if c != group]
    else:
        pats = out.patients.loc[out.patients["scale"] == primary]
        chosen = [c for c in covs if pats[c].nunique(dropna=True) > 1]
    variables = [(c, _label(c)) for c in chosen]
    variables += [(f"baseline:{s}", f"Baseline {ka.scales.get(s).label}") for s in out.scales]
    return Context(
        config=cfg,
        criteria=crit,
        report=report,
        out=out,
        source_name=source_name,
        source_sha256=sha,
        primary=primary,
        group=group or None,
        arm=arm,
        endpoint=a.endpoint,
        level=a.level,
        privacy=Privacy(strict=cfg.privacy.strict, min_cell_size=cfg.privacy.min_cell_size),
        versions=_versions(),
        has_cadss=bool((frame["scale"] == "CADSS").any()),
        table1_variables=variables,
    )


def _label(column) -> str:
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _missing_column(name: str, columns) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(map(str, columns)), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"column {name!r} is not in the data{hint}"


def _versions() -> dict:
    from importlib import metadata

    import ketanalysis

    out = {"ketanalysis": ketanalysis.__version__, "python": platform.python_version()}
    for dep in _DEPENDENCIES:
        try:
            out[dep] = metadata.version(dep)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[dep] = None
    return out


def _complete_suppression(ctx: Context) -> None:
    """Strict privacy: hide what the tables' relations would reveal, and record it."""
    from .disclosure import complete_suppression

    added = complete_suppression(ctx.tables, ctx.privacy.min_cell_size)
    titles = {}
    for t in ctx.tables:
        titles.setdefault(t.key, t.title)
    for key, n in added.items():
        ctx.privacy.log.append(
            {"table": titles[key], "cells": n, "columns": ["(complementary suppression)"]}
        )


def _write_tables(ctx: Context, directory: Path) -> None:
    formats = ctx.config.output.table_formats
    if not formats:
        return
    directory.mkdir(parents=True, exist_ok=True)
    seen: dict[str, int] = {}
    for t in ctx.tables:
        n = seen.get(t.key, 0)
        seen[t.key] = n + 1
        if n:
            t.key = f"{t.key}_{n + 1}"
        if "csv" in formats:
            (directory / f"{t.key}.csv").write_bytes(t.to_csv().encode("utf-8"))
        if "latex" in formats:
            (directory / f"{t.key}.tex").write_bytes(t.to_latex().encode("utf-8"))
        if "markdown" in formats:
            (directory / f"{t.key}.md").write_bytes(t.to_markdown().encode("utf-8"))


def _provenance(ctx, cfg, cfg_info, inputs, steps, tmp: Path, figures_only: bool) -> dict:
    files = manifest_files(tmp)
    return {
        "generator": "ketanalysis report" + (" (figures only)" if figures_only else ""),
        "versions": ctx.versions,
        "inputs": inputs,
        "config": {
            "file": cfg_info["file"],
            "given": cfg_info["given"],
            "sha256": cfg_info["sha256"],
            **({"config_keys": cfg_info["config_keys"]} if cfg_info.get("config_keys") else {}),
            "resolved": cfg.to_dict(),
        },
        "seed": cfg.report.seed,
        "analysis": {
            "scales": list(ctx.out.scales),
            "primary_scale": ctx.primary,
            "group": ctx.group,
            "arm": ctx.arm,
            "endpoint": ctx.endpoint,
            "time_unit": ctx.out.time_unit,
            "criteria": ctx.criteria.name,
            "mmrm_fitted": ctx.results.get("mmrm") is not None,
        },
        "figures_skipped": dict(sorted(ctx.skipped_figures.items())),
        "privacy": {
            "level": cfg.privacy.level,
            "min_cell_size": cfg.privacy.min_cell_size,
            "suppressed": ctx.privacy.log,
        },
        "steps": [name for name, _ in steps.times],
        "timings": "timings.json (seconds per step; differs between runs, so it is kept "
        "out of this file and out of the reproducibility guarantee)",
        "files": files,
    }


def _write_json(path: Path, data) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=_json_default)
    path.write_bytes((text + "\n").encode("utf-8"))


def _json_default(v):
    import numpy as np

    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, Path):
        return v.as_posix()
    raise TypeError(f"cannot write {type(v).__name__} to JSON")
