"""The sections of a report, in order: a list that other modules can extend.

Each :class:`SectionSpec` has a key (the HTML anchor), a title and a function of the build
context returning a :class:`Section` (paragraphs, tables and the place of the section's
figures) or None when the section does not apply. Tables are computed here by
:mod:`.descriptive`, :mod:`.by_session`, :mod:`.rates`, :mod:`.tables` and :mod:`.safety`
(which call :mod:`ketanalysis.stats`); the figures are drawn later, after every section
ran, and placed where a section has a ``("figures",)`` block.

Adding a section means adding a :class:`SectionSpec` to
:data:`SECTIONS` at the right place: its function gets the context with the outcomes
(``ctx.out``), the validation report (``ctx.report``), the configuration (``ctx.config``;
``ctx.config.input.safety`` names the safety files, resolved by ``ctx.config.path``), the
safety data derived from them (``ctx.safety``, a :class:`.safety.SafetyData`, or None),
the privacy rules (``ctx.privacy``) and the resolved grouping (``ctx.group``, ``ctx.arm``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .. import scales as _scales
from . import by_session, descriptive, rates
from . import tables as T
from .methods import methods as _methods

__all__ = ["SECTIONS", "Section", "SectionSpec", "glance"]


@dataclass
class Section:
    """A built section: ``blocks`` are ``("p", text)``, ``("table", Table)``,
    ``("figures",)`` (the section's figures go here) or ``("refs", [text, ...])``."""

    key: str
    title: str
    blocks: list = field(default_factory=list)


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    build: Callable[[object], Section | None]


def _add_tables(ctx, section: Section, tables) -> None:
    for t in tables:
        ctx.tables.append(t)
        section.blocks.append(("table", t))


# ---------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------
def data_section(ctx) -> Section:
    s = Section("data", "The data")
    rep = ctx.report
    text = (
        f"Scores from {ctx.source_name} (SHA-256 {ctx.source_sha256[:16]}...). "
        "Every row excluded before analysis is counted below by reason"
    )
    text += (
        " and listed in the audit table with its row in the input file."
        if not ctx.privacy.strict
        else "; under strict privacy the rows themselves are not listed."
    )
    if rep.allowed_identifiers:
        text += f" Columns allowed although they look like identifiers: {', '.join(rep.allowed_identifiers)}."
    s.blocks.append(("p", text))
    _add_tables(ctx, s, descriptive.data_tables(rep, ctx.privacy))
    return s


def table1_section(ctx) -> Section:
    s = Section("table1", "Baseline characteristics")
    tab = descriptive.table1(
        ctx.out,
        group=ctx.group,
        variables=ctx.table1_variables,
        privacy=ctx.privacy,
        scale=ctx.primary,
    )
    _add_tables(ctx, s, [tab])
    return s


def sessions_section(ctx) -> Section:
    s = Section("sessions", "Outcomes by session")
    s.blocks.append(("figures",))
    _add_tables(
        ctx,
        s,
        by_session.by_session_tables(
            ctx.out, group=ctx.group, level=ctx.level, privacy=ctx.privacy
        ),
    )
    return s


def rates_section(ctx) -> Section:
    s = Section("rates", "Response and remission")
    s.blocks.append(("figures",))
    tabs = rates.rate_tables(ctx.out, group=ctx.group, level=ctx.level, privacy=ctx.privacy)
    if ctx.arm is not None:
        tabs += rates.difference_tables(ctx.out, arm=ctx.arm, level=ctx.level, privacy=ctx.privacy)
    if ctx.endpoint is not None:
        tabs += T.endpoint_tables(
            ctx.out, endpoint=ctx.endpoint, group=ctx.group, level=ctx.level, privacy=ctx.privacy
        )
        tabs += T.effect_size_tables(
            ctx.out,
            endpoint=ctx.endpoint,
            group=ctx.group,
            arm=ctx.arm,
            level=ctx.level,
            privacy=ctx.privacy,
        )
    else:
        s.blocks.append(
            (
                "p",
                "Rates at an endpoint session, with LOCF and BOCF, and effect "
                "sizes are given when the config sets analysis.endpoint.",
            )
        )
    _add_tables(ctx, s, tabs)
    return s


#: More sessions than this in an unstructured MMRM gets a warning (the fit slows down with
#: the t(t+1)/2 covariance parameters: 19 sessions of 10,000 patients take minutes).
MMRM_MANY_SESSIONS = 12


def primary_mmrm(ctx):
    """The primary MMRM of the report: ``[mmrm]`` of the configuration mapped onto
    :class:`ketanalysis.stats.primary.PrimaryMMRM`.

    ``covariance`` and ``df`` as configured; ``until`` is ``mmrm.until``, else
    ``analysis.endpoint`` (else every session); no control arm is configured, so the
    primary contrast is the first minus the second arm in sort order (the report's
    pairwise differences).
    """
    from ..stats.primary import PrimaryMMRM

    m = ctx.config.mmrm
    until = m.until if m.until is not None else ctx.endpoint
    return PrimaryMMRM(covariance=m.covariance, df=m.df, until=until)


def mmrm_formula(ctx) -> str:
    """The formula of the report's MMRM (:meth:`PrimaryMMRM.formula` with ``ctx.arm``)."""
    return primary_mmrm(ctx).formula(ctx.arm)


def fit_mmrm(ctx):
    """The report's primary MMRM, fitted once and kept in ``ctx.results["mmrm"]``.

    Change from baseline of the primary scale at the sessions after baseline up to
    ``mmrm.until`` (default: the endpoint), ``baseline*C(session) + arm*C(session)``: the
    definition of :func:`primary_mmrm`, fitted by :meth:`PrimaryMMRM.fit` (refitted once
    from a diagonal start when it does not converge, as in power by simulation). The
    :class:`~ketanalysis.stats.primary.PrimaryFit` is kept in
    ``ctx.results["mmrm_primary"]``. Raises ValueError when it cannot be fitted; needs
    ``ctx.arm``.
    """
    if ctx.results.get("mmrm") is not None:
        return ctx.results["mmrm"]
    import warnings

    primary = primary_mmrm(ctx)
    data = primary.data(ctx.out, scale=ctx.primary, arm=ctx.arm)
    n_sessions = data["session"].nunique()
    if primary.covariance == "us" and n_sessions > MMRM_MANY_SESSIONS:
        ctx.log(
            f"the MMRM has {n_sessions} sessions with an unstructured covariance "
            f"({n_sessions * (n_sessions + 1) // 2} parameters); on large cohorts this can take "
            "minutes: set analysis.endpoint or mmrm.until to model the sessions up to the "
            "primary endpoint"
        )
    fitted = primary.fit(data, arm=ctx.arm)
    for w in fitted.warnings:  # shown as a direct fit would show them
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if fitted.error is not None:
        raise fitted.error
    ctx.results["mmrm"] = fitted.result
    ctx.results["mmrm_primary"] = fitted
    return fitted.result


def mmrm_section(ctx) -> Section | None:
    s = Section("mmrm", "Mixed model for repeated measures")
    if ctx.arm is None:
        s.blocks.append(
            (
                "p",
                f"Not fitted: the data have no column {ctx.config.analysis.arm!r} "
                "with two or more arms (analysis.arm).",
            )
        )
        return s
    try:
        fit = fit_mmrm(ctx)
    except ValueError as e:
        s.blocks.append(("p", f"The MMRM could not be fitted: {e}"))
        return s
    primary = ctx.results["mmrm_primary"]
    m, until = primary.definition, primary.definition.until
    label = _scales.get(ctx.primary).label
    s.blocks.append(
        (
            "p",
            f"Change from baseline in {label} at the sessions after baseline"
            + (f" up to session {until:g}" if until is not None else "")
            + f": {primary.formula}; {m.covariance} covariance, REML, {m.df} degrees of "
            "freedom."
            + ("" if primary.converged else " Warning: the fit did not converge.")
            + (f" Note: the fit was {primary.message}." if "refitted" in primary.message else ""),
        )
    )
    s.blocks.append(("figures",))
    _add_tables(ctx, s, T.mmrm_tables(fit, arm=ctx.arm, level=ctx.level, privacy=ctx.privacy))
    return s


def survival_section(ctx) -> Section:
    s = Section("survival", "Time to response and to relapse")
    s.blocks.append(("figures",))
    for event in ("response", "relapse"):
        try:
            tabs, _ = T.survival_tables(
                ctx.out,
                event=event,
                scale=ctx.primary,
                group=ctx.group,
                arm=ctx.arm,
                level=ctx.level,
                privacy=ctx.privacy,
            )
        except ValueError as e:
            s.blocks.append(("p", f"Time to {event}: not estimated ({e})."))
            continue
        _add_tables(ctx, s, tabs)
    return s


def reliable_change_section(ctx) -> Section:
    s = Section("reliable_change", "Reliable change")
    s.blocks.append(("figures",))
    _add_tables(
        ctx,
        s,
        rates.reliable_change_tables(
            ctx.out, group=ctx.group, level=ctx.level, privacy=ctx.privacy
        ),
    )
    return s


def dissociation_section(ctx) -> Section | None:
    if not ctx.has_cadss:
        return None
    s = Section("dissociation", "Dissociation (CADSS)")
    s.blocks.append(("figures",))
    _add_tables(
        ctx,
        s,
        by_session.cadss_tables(
            ctx.report,
            ctx.out,
            group=ctx.group,
            level=ctx.level,
            privacy=ctx.privacy,
            scale=ctx.primary,
        ),
    )
    _dissociation_models(ctx, s, ctx.report.frame)
    return s


def _dissociation_models(ctx, s: Section, data) -> None:
    """The CADSS trend over infusions and the dissociation-response relation, from
    ``data`` (the scores' CADSS rows, or the safety sessions)."""
    from . import safety as S

    try:
        tab, fit = S.cadss_trend_table(data, group=ctx.group, level=ctx.level, privacy=ctx.privacy)
    except ValueError as e:
        s.blocks.append(("p", f"Change of CADSS over infusions: not estimated ({e})."))
    else:
        ctx.results["cadss_trend"] = fit
        _add_tables(ctx, s, [tab])
    try:
        tab, res, notes = S.dissociation_response_table(
            data,
            ctx.out,
            scale=ctx.primary,
            group=ctx.group,
            level=ctx.level,
            privacy=ctx.privacy,
        )
    except ValueError as e:
        s.blocks.append(("p", f"Dissociation and response: not estimated ({e})."))
        return
    ctx.results["dissociation_response"] = res
    _add_tables(ctx, s, [tab])
    for note in notes:
        s.blocks.append(("p", f"Dissociation and response: {note}."))


def safety_section(ctx) -> Section | None:
    """Vital signs and adverse events from the files of ``[input.safety]``."""
    data = ctx.safety
    if data is None:
        return None
    from . import safety as S

    p = ctx.privacy
    out = data.outcomes
    before = len(p.log)
    s = Section("safety", "Safety and tolerability")
    read = []
    if "vitals" in data.files:
        read.append(f"vital signs from {data.files['vitals']}")
    if "adverse_events" in data.files:
        read.append(f"adverse events from {data.files['adverse_events']}")
    n_sessions = len(out.sessions)
    n_patients = int(out.sessions["patient_id"].nunique())

    def count(n: int) -> str:
        return p.label if p.is_small(n) else f"{n:,}"

    s.blocks.append(
        (
            "p",
            "Safety data: "
            + " and ".join(read)
            + " (SHA-256 digests in provenance.json), checked row by row as the scores are: "
            f"{count(n_sessions)} treatment sessions of {count(n_patients)} patients (sessions "
            "in the safety files or with a CADSS rating in the scores). Tables give counts "
            "only, never patients.",
        )
    )
    if data.has_vitals:
        _add_tables(
            ctx,
            s,
            [
                S.thresholds_table(out.thresholds),
                S.threshold_table(out, group=ctx.group, privacy=p),
                S.rise_table(out, group=ctx.group, privacy=p),
            ],
        )
    s.blocks.append(("figures",))
    if data.has_ae:
        _add_tables(ctx, s, [S.ae_table(out, group=ctx.group, level=ctx.level, privacy=p)])
    _add_tables(ctx, s, [S.exclusion_table(out, p)])
    if ctx.has_cadss:
        s.blocks.append(
            (
                "p",
                "Dissociation (CADSS) by session, its change over infusions and its relation "
                "to response are in the section Dissociation (CADSS).",
            )
        )
    elif "cadss" in out.sessions and out.sessions["cadss"].notna().any():
        s.blocks.append(("p", "Dissociation: the CADSS totals recorded with the vital signs."))
        _dissociation_models(ctx, s, out)
    if p.strict:
        added = p.log[before:]
        cells = sum(e["cells"] for e in added)
        s.blocks.append(
            (
                "p",
                f"Strict privacy: {cells:,} cell{'s' if cells != 1 else ''} of these tables "
                f"suppressed (counts from 1 to {p.min_cell_size - 1} shown as {p.label}, "
                "statistics computed from them and cells that would reveal them as *); "
                "listed in the section Privacy."
                if cells
                else "Strict privacy: no cell of these tables needed suppression.",
            )
        )
    return s


def methods_section(ctx) -> Section:
    s = Section("methods", "Methods")
    m = _methods(ctx)
    for p in m.paragraphs:
        s.blocks.append(("p", p))
    s.blocks.append(("refs", list(m.references)))
    return s


def privacy_section(ctx) -> Section:
    s = Section("privacy", "Privacy")
    p = ctx.privacy
    if not p.strict:
        s.blocks.append(
            (
                "p",
                'Privacy level "standard": no small-cell suppression. Set '
                '[privacy] level = "strict" to suppress counts below '
                f"{p.min_cell_size} and leave out figures of individual patients.",
            )
        )
        return s
    text = (
        f'Privacy level "strict": counts from 1 to {p.min_cell_size - 1} are shown as '
        f"{p.label}; * marks a statistic computed from such a count, or a cell hidden "
        "because it would reveal one (complementary suppression across the tables: no "
        "hidden count can be recovered from totals, margins or another table). Figures "
        "draw no point or interval that the tables hide."
    )
    s.blocks.append(("p", text))
    from ..config import INDIVIDUAL_FIGURES

    skipped = [n for n in INDIVIDUAL_FIGURES if n in ctx.config.figures.include]
    if skipped:
        s.blocks.append(
            ("p", "Figures of individual patients left out: " + ", ".join(skipped) + ".")
        )
    if p.log:
        lines = [
            f"{e['table']}: {e['cells']} cell{'s' if e['cells'] != 1 else ''} "
            f"({', '.join(e['columns'])})"
            for e in p.log
        ]
        s.blocks.append(("list", lines))
    else:
        s.blocks.append(("p", "No table cell needed suppression."))
    return s


#: The report's sections in order. Extend by inserting a SectionSpec.
SECTIONS: list[SectionSpec] = [
    SectionSpec("data", "The data", data_section),
    SectionSpec("table1", "Baseline characteristics", table1_section),
    SectionSpec("sessions", "Outcomes by session", sessions_section),
    SectionSpec("rates", "Response and remission", rates_section),
    SectionSpec("mmrm", "Mixed model for repeated measures", mmrm_section),
    SectionSpec("survival", "Time to response and to relapse", survival_section),
    SectionSpec("reliable_change", "Reliable change", reliable_change_section),
    SectionSpec("dissociation", "Dissociation (CADSS)", dissociation_section),
    SectionSpec("safety", "Safety and tolerability", safety_section),
    SectionSpec("methods", "Methods", methods_section),
    SectionSpec("privacy", "Privacy", privacy_section),
]


def glance(ctx) -> list[tuple[str, str, str]]:
    """The report's first lines: (label, value, detail) for patients and main rates."""
    from .. import stats

    p = ctx.privacy
    out = ctx.out
    label = _scales.get(ctx.primary).label
    n = int(out.patients.loc[out.patients["scale"] == ctx.primary].shape[0])
    cards = [
        (
            "Patients",
            p.label if p.is_small(n) else f"{n:,}",
            f"{len(out.assessments):,} assessments" if not p.strict else "",
        )
    ]
    for outcome, name in (
        ("response", "Response"),
        ("remission", "Remission"),
        ("relapse", "Relapse"),
    ):
        at = ctx.endpoint if outcome != "relapse" else None
        r = stats.rates(out, outcome=outcome, scale=ctx.primary, level=ctx.level, at=at)
        r = r.iloc[0]
        k, m = int(r["k"]), int(r["n"])
        if m == 0:
            continue
        if p.is_small(k) or p.is_small(m - k) or p.is_small(m):
            value = "*"
        else:
            value = f"{100 * r['rate']:.0f} %"
        if outcome == "relapse":
            when = "ever, of the patients at risk"
        elif at is not None:
            when = f"at the endpoint (session {at:g}), of the patients assessed"
        else:
            when = "ever"
        detail = f"{label}, {when}"
        if not (p.is_small(k) or p.is_small(m - k) or p.is_small(m)):
            detail += f" ({k:,}/{m:,})"
        cards.append((name, value, detail))
    return cards
