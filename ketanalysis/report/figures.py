"""The report's figures: a table of what to draw with :mod:`ketanalysis.plots`, and the
drawing loop that writes each figure's files and its SVG for the HTML.

Each :class:`FigureSpec` names a figure (its file stem and ``figures.include`` key), the
:mod:`ketanalysis.plots` function, a function of the build context giving the keyword
arguments (or None when the figure does not apply to these data), whether it shows
individual patients (left out under strict privacy; drawn from a random sample of
``figures.max_patients`` patients in larger cohorts) and its caption.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FIGURES", "FigureSpec", "RenderedFigure", "draw_figures", "inline_svg"]


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the report (see the module docstring)."""

    name: str
    function: str
    kwargs: Callable[[object], dict | None]
    individual_level: bool
    caption: Callable[[object], str]
    section: str
    #: For figures that draw a random sample themselves (``max_patients=``, ``seed=``):
    #: the sample size to ask for. Other individual-level figures get a sampled Outcomes.
    own_sample: Callable[[object], int] | None = None
    #: What the plot function draws from (default: the outcomes, ``ctx.out``).
    data: Callable[[object], object] | None = None


#: The reader's name of each figure, used where a figure is not drawn.
TITLES = {
    "trajectory": "Mean score by session",
    "change": "Mean change from baseline by session",
    "response_rates": "Response and remission by session",
    "spaghetti": "Individual trajectories",
    "waterfall": "Waterfall plot of percentage change",
    "severity_transitions": "Severity bands at baseline and endpoint",
    "jacobson_truax": "Jacobson–Truax plot",
    "time_to_response": "Time to first response",
    "time_to_relapse": "Time to relapse",
    "swimmer": "Swimmer plot",
    "item_heatmap": "Item change heat map",
    "forest": "Response by subgroup (forest plot)",
    "lsmeans": "LS-means by arm (MMRM)",
    "cadss_course": "Dissociation (CADSS) by session",
    "vitals": "Vital signs within the session",
    "ae_incidence": "Adverse-event incidence",
}


@dataclass(frozen=True)
class RenderedFigure:
    """A drawn figure: caption, the SVG to inline, the files written (relative)."""

    name: str
    caption: str
    svg: str
    files: tuple[str, ...]


def _scale_label(ctx) -> str:
    from .. import scales

    return scales.get(ctx.primary).label


def _by(ctx) -> str:
    return f" by {ctx.group}" if ctx.group else ""


def _each(ctx) -> str:
    """Whose mean a figure of individual lines draws: each group's, or all patients'."""
    return f"the mean of each {ctx.group} group" if ctx.group else "the mean of all patients"


def _has_relapse(ctx) -> bool:
    p = ctx.out.patients
    at_risk = p.loc[p["scale"] == ctx.primary, "relapse_at_risk"]
    return bool(at_risk.any())


def _has_items(ctx) -> bool:
    f = ctx.report.frame
    rows = f["scale"] == "MADRS"
    return bool(rows.any()) and "item_1" in f.columns and bool(f.loc[rows, "item_1"].notna().any())


def _subgroups(ctx) -> tuple[str, ...]:
    cols = ctx.out.patients.columns
    return tuple(s for s in ctx.config.analysis.subgroups if s in cols)


def _lsmeans_kwargs(ctx) -> dict | None:
    """LS-means by arm; the MMRM is fitted here when only the figures are built."""
    if ctx.arm is None:
        return None
    from .sections import fit_mmrm

    try:
        fit_mmrm(ctx)
    except ValueError:
        return None  # the report's MMRM section says why
    return {"by": ctx.arm, "scale": ctx.primary}


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec(
        "trajectory",
        "trajectory",
        lambda c: {"scale": c.primary, "y": "score", "by": c.group},
        False,
        lambda c: (
            f"Mean {_scale_label(c)} score by session{_by(c)}, with "
            f"{c.level_pct} confidence intervals; numbers assessed under the axis."
        ),
        "glance",
    ),
    FigureSpec(
        "change",
        "trajectory",
        lambda c: {"scale": c.primary, "y": "change", "by": c.group},
        False,
        lambda c: (
            f"Mean change from baseline in {_scale_label(c)}{_by(c)}, with "
            f"{c.level_pct} confidence intervals."
        ),
        "sessions",
    ),
    FigureSpec(
        "response_rates",
        "response_rates",
        lambda c: {"scale": c.primary, "by": c.group},
        False,
        lambda c: (
            f"Response and remission ({_scale_label(c)}) at each session{_by(c)}, "
            "among the patients assessed, with Wilson intervals."
        ),
        "rates",
    ),
    FigureSpec(
        "spaghetti",
        "spaghetti",
        lambda c: {"scale": c.primary, "by": c.group},
        True,
        lambda c: f"Individual {_scale_label(c)} trajectories{_by(c)}, with {_each(c)}.",
        "sessions",
        lambda c: c.config.figures.max_patients,
    ),
    FigureSpec(
        "waterfall",
        "waterfall",
        lambda c: {"scale": c.primary, "endpoint": c.endpoint},
        True,
        lambda c: (
            f"Percentage change in {_scale_label(c)} from baseline to "
            + (f"session {c.endpoint:g}" if c.endpoint is not None else "the last assessment")
            + ", one bar per patient."
        ),
        "rates",
    ),
    FigureSpec(
        "severity_transitions",
        "severity_transitions",
        lambda c: {"scale": c.primary, "endpoint": c.endpoint, "by": c.group},
        False,
        lambda c: (
            f"{_scale_label(c)} severity bands at baseline and at "
            + (f"session {c.endpoint:g}" if c.endpoint is not None else "the last assessment")
            + f"{_by(c)}."
        ),
        "sessions",
    ),
    FigureSpec(
        "jacobson_truax",
        "jacobson_truax",
        lambda c: {"scale": c.primary, "by": c.group},
        True,
        lambda c: (
            f"Jacobson–Truax plot of {_scale_label(c)}: baseline against endpoint "
            "score, with the band of no reliable change and the cut-off."
        ),
        "reliable_change",
    ),
    FigureSpec(
        "time_to_response",
        "kaplan_meier",
        lambda c: {"event": "response", "scale": c.primary, "by": c.group},
        False,
        lambda c: (
            f"Time to first response ({_scale_label(c)}){_by(c)}, Kaplan–Meier, "
            "with numbers at risk."
        ),
        "survival",
    ),
    FigureSpec(
        "time_to_relapse",
        "kaplan_meier",
        lambda c: (
            {"event": "relapse", "scale": c.primary, "by": c.group} if _has_relapse(c) else None
        ),
        False,
        lambda c: (
            f"Time to relapse after {c.criteria.relapse.entry.replace('_', ' ')} "
            f"({_scale_label(c)}){_by(c)}, Kaplan–Meier, with numbers at risk."
        ),
        "survival",
    ),
    FigureSpec(
        "swimmer",
        "swimmer",
        lambda c: {"scale": c.primary},
        True,
        lambda c: (
            "Swimmer plot: each patient's follow-up with response, remission and relapse "
            "marked; lanes are numbered, not labelled by patient. Where the day axis has a "
            "break mark (//), the days before it are drawn wider than the days after it, so "
            "that the weekly induction sessions stay apart."
        ),
        "survival",
        lambda c: c.config.figures.max_patients,
    ),
    FigureSpec(
        "item_heatmap",
        "item_heatmap",
        lambda c: {"scale": "MADRS"} if _has_items(c) else None,
        False,
        lambda c: (
            "Mean change from baseline in each MADRS item score by session (points; "
            "negative: improvement); numbers of patients assessed under the axis."
        ),
        "sessions",
    ),
    FigureSpec(
        "forest",
        "forest",
        lambda c: {"outcome": "response", "subgroups": _subgroups(c)} if _subgroups(c) else None,
        False,
        lambda c: f"Response ({_scale_label(c)}) by subgroup: " + ", ".join(_subgroups(c)) + ".",
        "rates",
    ),
    FigureSpec(
        "lsmeans",
        "lsmeans",
        _lsmeans_kwargs,
        False,
        lambda c: (
            "MMRM least-squares mean change from baseline by arm and session, with "
            "confidence intervals."
        ),
        "mmrm",
    ),
    FigureSpec(
        "cadss_course",
        "cadss_course",
        lambda c: {"by": c.group, "time": "session"} if c.has_cadss else None,
        False,
        lambda c: (
            f"Mean peak CADSS total by treatment session{_by(c)}, with {c.level_pct} "
            "confidence intervals; patients rated at the session under the axis."
        ),
        "dissociation",
    ),
    FigureSpec(
        "vitals",
        "vitals",
        lambda c: (
            {
                "measure": ("sbp", "dbp"),
                "by": c.group,
                "level": c.level,
                "thresholds": c.safety.outcomes.thresholds,
            }
            if c.safety is not None and c.safety.has_vitals
            else None
        ),
        False,
        lambda c: (
            f"Systolic (filled) and diastolic (open) blood pressure before dosing, at the "
            f"planned reading at about 40 minutes, later and at discharge{_by(c)}: mean of "
            f"each patient's readings over sessions, with {c.level_pct} confidence "
            "intervals; dotted lines: the limits that flag a session; patients under the axis."
        ),
        "safety",
        data=lambda c: c.safety.readings,
    ),
    FigureSpec(
        "ae_incidence",
        "ae_incidence",
        lambda c: (
            {"by": c.group, "top": _top_terms(), "level": c.level}
            if c.safety is not None and c.safety.has_ae
            else None
        ),
        False,
        lambda c: (
            f"Patients with an adverse event: any, and each of the most frequent terms (at "
            f"most {_top_terms()}){_by(c)}, with Wilson {c.level_pct} intervals; patients "
            "with the event / patients treated at the right."
        ),
        "safety",
        data=lambda c: c.safety.outcomes,
    ),
)


#: Why a figure whose ``kwargs`` give None is not drawn, in words for the reader.
NOT_DRAWN: dict[str, Callable[[object], str]] = {
    "time_to_relapse": lambda c: "no patient reached the state that puts them at risk of relapse",
    "item_heatmap": lambda c: "the data have no MADRS item scores",
    "forest": lambda c: (
        "none of the subgroup columns ("
        + ", ".join(c.config.analysis.subgroups)
        + ") is in the data"
    ),
    "lsmeans": lambda c: (
        f"the data have no arm column ({c.config.analysis.arm!r}) with two or more arms"
        if c.arm is None
        else "the mixed model was not fitted (see the section above)"
    ),
    "cadss_course": lambda c: "the data have no CADSS ratings",
    "vitals": lambda c: "no vital-sign file was given ([input.safety] vitals)",
    "ae_incidence": lambda c: "no adverse-event file was given ([input.safety] adverse_events)",
}


def not_drawn_note(name: str, why: str) -> str:
    """The line a report prints for a figure it did not draw: its title and the reason."""
    return f"{TITLES.get(name, name)}: not drawn; {why}."


def _top_terms() -> int:
    from .safety import TOP_TERMS

    return TOP_TERMS


def _sample_note(n_all: int, limit: int, seed: int) -> str:
    if n_all <= limit:
        return ""
    return f" A random sample of {limit:,} of {n_all:,} patients is shown (seed {seed})."


def _n_patients(ctx) -> int:
    p = ctx.out.patients
    return int((p["scale"] == ctx.primary).sum())


def _sample(ctx):
    """The Outcomes restricted to a random sample of patients, and a caption note."""
    out = ctx.out
    ids = np.sort(out.patients["patient_id"].unique().astype(str))
    limit = ctx.config.figures.max_patients
    if len(ids) <= limit:
        return out, ""
    rng = np.random.default_rng(ctx.config.report.seed)
    keep = set(np.sort(rng.choice(ids, size=limit, replace=False)).tolist())
    a = out.assessments
    p = out.patients
    sub = dataclasses.replace(
        out,
        assessments=a.loc[a["patient_id"].astype(str).isin(keep).to_numpy()],
        patients=p.loc[p["patient_id"].astype(str).isin(keep).to_numpy()],
    )
    return sub, _sample_note(len(ids), limit, ctx.config.report.seed)


def draw_figures(ctx, out_dir: Path, scratch: Path, step=None) -> dict[str, RenderedFigure]:
    """Draw every applicable figure; write its files under ``out_dir`` and return them.

    Figures whose plot function is missing, that do not apply, that show individuals
    under strict privacy, or whose function refuses the data are skipped; the reason is
    recorded in ``ctx.skipped_figures``. ``step(name)`` is a context manager timing each
    figure.
    """
    from .. import plots

    cfg = ctx.config
    formats = tuple(cfg.output.figure_formats)
    min_cell = cfg.privacy.min_cell_size if cfg.privacy.strict else None
    available = set(plots.__all__)
    rendered: dict[str, RenderedFigure] = {}
    sample = None
    for spec in FIGURES:
        if spec.name not in cfg.figures.include:
            continue
        if spec.individual_level and cfg.privacy.strict:
            ctx.skipped_figures[spec.name] = (
                "it shows individual patients, which strict privacy forbids"
            )
            continue
        if spec.function not in available:
            ctx.skipped_figures[spec.name] = "this version of ketanalysis cannot draw it"
            continue
        kwargs = spec.kwargs(ctx)
        if kwargs is None:
            why = NOT_DRAWN.get(spec.name)
            ctx.skipped_figures[spec.name] = why(ctx) if why else "it does not apply to these data"
            continue
        data, note = ctx.out, ""
        if spec.own_sample is not None:
            limit = spec.own_sample(ctx)
            kwargs = {**kwargs, "max_patients": limit, "seed": cfg.report.seed}
            note = _sample_note(_n_patients(ctx), limit, cfg.report.seed)
        elif spec.individual_level:
            if sample is None:
                sample = _sample(ctx)
            data, note = sample
        if spec.function == "lsmeans":
            data = ctx.results["mmrm"]
        elif spec.data is not None:
            data = spec.data(ctx)
        if min_cell is not None:
            kwargs = {**kwargs, "min_cell_size": min_cell}
        with step(f"figure {spec.name}") if step is not None else contextlib.nullcontext():
            try:
                fig = _draw(plots, spec, data, kwargs, cfg)
            except (ValueError, KeyError, TypeError) as e:
                ctx.skipped_figures[spec.name] = f"{e}"
                continue
            try:
                rendered[spec.name] = _save(plots, fig, spec, ctx, out_dir, scratch, formats, note)
            finally:
                import matplotlib.pyplot as plt

                plt.close(fig)
    return rendered


def _draw(plots, spec, data, kwargs, cfg):
    import matplotlib.pyplot as plt

    with plots.publication(cfg.figures.journal, cfg.figures.width):
        try:
            result = getattr(plots, spec.function)(data, **kwargs)
        except BaseException:
            plt.close("all")
            raise
    return result if hasattr(result, "savefig") else result.figure


def _save(plots, fig, spec, ctx, out_dir, scratch, formats, note) -> RenderedFigure:
    cfg = ctx.config
    files = []
    if formats:
        files = plots.save_figure(fig, out_dir / spec.name, formats=formats, dpi=cfg.output.dpi)
    if "svg" in formats:
        svg_path = out_dir / f"{spec.name}.svg"
    else:
        svg_path = plots.save_figure(fig, scratch / spec.name, formats=("svg",))[0]
    svg = inline_svg(svg_path.read_text(encoding="utf-8"), prefix=spec.name)
    caption = spec.caption(ctx) + note
    rel = tuple(f"figures/{Path(f).name}" for f in files)
    return RenderedFigure(spec.name, caption, svg, rel)


_PROLOG = re.compile(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(text: str, *, prefix: str) -> str:
    """An SVG file's text made fit to sit inside HTML.

    The XML prolog, DOCTYPE and RDF metadata are removed; every ``id`` (and each
    reference to it) gets ``prefix`` so that several figures in one page cannot clash;
    the root's fixed width and height are dropped so that CSS sizes it (the viewBox keeps
    the aspect ratio). Text stays text.
    """
    text = _PROLOG.sub("", text)
    text = _METADATA.sub("", text)
    ids = set(_ID.findall(text))
    if ids:

        def ref(m):
            return m.group(1) + (f"{prefix}-{m.group(2)}" if m.group(2) in ids else m.group(2))

        text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
        text = re.sub(r"(url\(#)([^)]+)(?=\))", ref, text)
        text = re.sub(r'((?:xlink:)?href="#)([^"]+)(?=")', ref, text)
    text = re.sub(r'(<svg\b[^>]*?)\s+width="[^"]*"\s+height="[^"]*"', r"\1", text, count=1)
    return text.strip()
