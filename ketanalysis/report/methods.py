"""The methods paragraph of a report, written from the resolved configuration.

Every definition used (response, remission, rapid and sustained response, stable states,
relapse, reliable change) and every statistical method is stated with its settings and the
reference it comes from (the sources named by :mod:`ketanalysis.outcomes.criteria`,
:mod:`ketanalysis.scales` and :mod:`ketanalysis.stats`). No patient counts appear here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import scales as _scales

__all__ = ["Methods", "REFERENCES", "methods"]

REFERENCES: dict[str, str] = {
    "zarate2006": "Zarate CA Jr, Singh JB, Carlson PJ, et al. A randomized trial of an "
    "N-methyl-D-aspartate antagonist in treatment-resistant major depression. Arch Gen "
    "Psychiatry 2006;63:856-864.",
    "daly2019": "Daly EJ, Trivedi MH, Janik A, et al. Efficacy of esketamine nasal spray plus "
    "oral antidepressant treatment for relapse prevention in patients with "
    "treatment-resistant depression: a randomized clinical trial (SUSTAIN-1). JAMA "
    "Psychiatry 2019;76:893-903.",
    "murrough2013": "Murrough JW, Iosifescu DV, Chang LC, et al. Antidepressant efficacy of "
    "ketamine in treatment-resistant major depression: a two-site randomized controlled "
    "trial. Am J Psychiatry 2013;170:1134-1142.",
    "jacobson1991": "Jacobson NS, Truax P. Clinical significance: a statistical approach to "
    "defining meaningful change in psychotherapy research. J Consult Clin Psychol "
    "1991;59:12-19.",
    "wilson1927": "Wilson EB. Probable inference, the law of succession, and statistical "
    "inference. J Am Stat Assoc 1927;22:209-212.",
    "newcombe1998": "Newcombe RG. Interval estimation for the difference between independent "
    "proportions: comparison of eleven methods. Stat Med 1998;17:873-890.",
    "altman1998": "Altman DG. Confidence intervals for the number needed to treat. BMJ "
    "1998;317:1309-1312.",
    "hedges1981": "Hedges LV. Distribution theory for Glass's estimator of effect size and "
    "related estimators. J Educ Stat 1981;6:107-128.",
    "nrc2010": "National Research Council. The prevention and treatment of missing data in "
    "clinical trials. Washington, DC: National Academies Press; 2010.",
    "kaplan1958": "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. "
    "J Am Stat Assoc 1958;53:457-481.",
    "peto1972": "Peto R, Peto J. Asymptotically efficient rank invariant test procedures. "
    "J R Stat Soc A 1972;135:185-207.",
    "cox1972": "Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187-220.",
    "kenward1997": "Kenward MG, Roger JH. Small sample inference for fixed effects from "
    "restricted maximum likelihood. Biometrics 1997;53:983-997.",
    "mallinckrodt2008": "Mallinckrodt CH, Lane PW, Schnell D, et al. Recommendations for the "
    "primary analysis of continuous endpoints in longitudinal clinical trials. Drug Inf J "
    "2008;42:303-319.",
    "spravato": "SPRAVATO (esketamine) nasal spray, US Prescribing Information. Titusville, NJ: "
    "Janssen Pharmaceuticals; 2019 (sections 2, Dosage and Administration, and 5.3, "
    "Increases in Blood Pressure).",
    "williams2018": "Williams B, Mancia G, Spiering W, et al. 2018 ESC/ESH Guidelines for the "
    "management of arterial hypertension. Eur Heart J 2018;39:3021-3104.",
    "liang1986": "Liang KY, Zeger SL. Longitudinal data analysis using generalized linear "
    "models. Biometrika 1986;73:13-22.",
    "fieller1957": "Fieller EC, Hartley HO, Pearson ES. Tests for rank correlation "
    "coefficients. I. Biometrika 1957;44:470-481.",
    "bremner1998": "Bremner JD, Krystal JH, Putnam FW, et al. Measurement of dissociative "
    "states with the Clinician-Administered Dissociative States Scale (CADSS). J Trauma "
    "Stress 1998;11:125-136.",
}


@dataclass(frozen=True)
class Methods:
    """Paragraphs (plain text with [n] citations) and the numbered references."""

    paragraphs: tuple[str, ...]
    references: tuple[str, ...]


class _Citer:
    def __init__(self):
        self.order: list[str] = []

    def __call__(self, *keys: str) -> str:
        nums = []
        for key in keys:
            if key not in self.order:
                self.order.append(key)
            nums.append(self.order.index(key) + 1)
        return "[" + ", ".join(str(n) for n in nums) + "]"

    def references(self) -> tuple[str, ...]:
        out = []
        for key in self.order:
            if key.startswith("scale:"):
                s = _scales.get(key[6:])
                out.append(f"{s.name} ({s.label}): {s.source}.")
            else:
                out.append(REFERENCES[key])
        return tuple(out)


def _pct(x: float) -> str:
    return f"{100 * x:g} %"


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def _baseline_text(baseline) -> str:
    if baseline == "first":
        return "each patient's first assessment"
    if baseline == "last_pre":
        return "each patient's last assessment on or before day 0"
    return f"the assessment at session {_num(baseline)}"


def methods(ctx) -> Methods:
    """The methods text of a report built with context ``ctx``."""
    cite = _Citer()
    cfg, crit, out = ctx.config, ctx.criteria, ctx.out
    sustain = crit.name == "SUSTAIN-1"
    scale_list = ", ".join(
        f"the {_scales.get(s).name} ({_scales.get(s).label}) {cite('scale:' + s)}"
        for s in out.scales
    )
    version = ctx.versions.get("ketanalysis", "")
    p1 = (
        f"Scores were read from {ctx.source_name}, checked and analysed with ketanalysis "
        f"{version}; every input row excluded before analysis is listed with its reason. "
        f"Outcome scales: {scale_list}. The baseline was {_baseline_text(out.baseline)}. "
        f"Times are in {out.time_unit}"
        + (" since the first treatment." if out.time_unit == "days" else " since baseline.")
    )
    if ctx.has_cadss:
        p1 += (
            " Dissociation was rated on the Clinician-Administered Dissociative States Scale "
            f"(CADSS) {cite('bremner1998')}."
        )

    defs = [f"Outcome definitions ({crit.name}"]
    defs[0] += f"; {cite('daly2019')})." if sustain else ")."
    r = crit.response
    defs.append(
        f"Response: a reduction from baseline of at least {_pct(r.min_reduction)} "
        f"{cite('zarate2006', 'daly2019')}."
    )
    rem = crit.remission
    if rem.threshold is None:
        th = ", ".join(
            f"{_scales.get(s).label} ≤ {_num(_scales.get(s).remission_threshold)}"
            for s in out.scales
        )
        defs.append(
            f"Remission: a total at or below the scale's threshold ({th}) "
            f"{cite(*('scale:' + s for s in out.scales))}."
        )
    else:
        defs.append(f"Remission: a total at or below {_num(rem.threshold)}.")
    rr = crit.rapid_response
    where = (
        f"at session {_num(rr.at)}"
        if rr.at is not None
        else f"at the first assessment between days {_num(rr.min_day)} and {_num(rr.max_day)} "
        "after the first treatment"
    )
    defs.append(f"Rapid response: response {where} {cite('zarate2006', 'murrough2013')}.")
    sr = crit.sustained_response
    lapses = (
        "without a lapse"
        if sr.allowed_lapses == 0
        else f"with at most {sr.allowed_lapses} lapse{'s' if sr.allowed_lapses > 1 else ''}"
    )
    until = f" up to session {_num(sr.until)}" if sr.until is not None else ""
    defs.append(
        f"Sustained response: response kept at every assessment after the first "
        f"response{until}, {lapses}, over at least {sr.min_assessments} assessments."
    )
    st = crit.stable_remission
    thr = f" (total ≤ {_num(st.threshold)})" if st.threshold is not None else ""
    ref = f" {cite('daly2019')}" if sustain else ""
    defs.append(
        f"Stable remission: remission{thr} at {st.k} or more of the last {st.n} assessments{ref}."
    )
    sp = crit.stable_response
    excl = ", without stable remission" if sp.exclude_stable_remission else ""
    defs.append(
        f"Stable response: a reduction of at least {_pct(sp.min_reduction)} at {sp.k} or "
        f"more of the last {sp.n} assessments{excl}{ref}."
    )
    defs.append(_relapse_text(crit.relapse, out.time_unit, ref))
    rc = crit.reliable_change
    sd = (
        f"SD {_num(rc.sd)}"
        if rc.sd is not None
        else "the SD of the baseline scores of the patients with an endpoint assessment"
    )
    used = "; ".join(
        f"{_scales.get(str(row.scale)).label}: SD {row.rc_sd:.2f}, S_diff {row.rc_s_diff:.2f}, "
        f"cut-off {_num(row.rc_cutoff)}"
        for row in out.parameters.itertuples()
    )
    defs.append(
        f"Reliable change: the Jacobson–Truax reliable change index RCI = change / S_diff "
        f"with S_diff = sqrt(2) SD sqrt(1 - r), reliability r = {_num(rc.reliability)} and "
        f"{sd}; reliable when |RCI| > {_num(rc.z)}; recovered when reliably improved and at "
        f"or below the cut-off (the remission threshold unless set) {cite('jacobson1991')}. "
        f"Values used: {used}."
    )
    p2 = " ".join(defs)

    level = f"{ctx.level * 100:g} %"
    stats = [
        f"Means by session are given with t intervals and rates with Wilson score intervals "
        f"{cite('wilson1927')}; every interval is at the {level} level."
    ]
    if ctx.arm is not None:
        stats.append(
            f"Rates were compared between arms ({ctx.arm}) with Newcombe's hybrid score "
            f"interval of the difference {cite('newcombe1998')} and the number needed to "
            f"treat {cite('altman1998')}."
        )
    if ctx.endpoint is not None:
        stats.append(
            f"At the endpoint (session {_num(ctx.endpoint)}) response and remission are "
            "given for the observed cases and with the last or the baseline observation "
            f"carried forward {cite('nrc2010')}, and change from baseline as a standardised "
            f"mean change (Hedges' g with the exact correction) {cite('hedges1981')}."
        )
    surv = (
        "Time to first response and time to relapse were estimated with the Kaplan–Meier "
        f"method and Greenwood variance {cite('kaplan1958')}"
    )
    if ctx.group is not None:
        surv += f" and compared across {ctx.group} with the log-rank test {cite('peto1972')}"
    if ctx.arm is not None:
        surv += f"; hazard ratios between arms from Cox models {cite('cox1972')}"
    stats.append(surv + ".")
    if ctx.results.get("mmrm") is not None:
        m = ctx.results["mmrm_primary"].definition
        stats.append(
            "Change from baseline was analysed with a mixed model for repeated measures "
            f"(MMRM) with fixed effects of baseline score, session, {ctx.arm} and their "
            f"interactions with session, {_COV.get(m.covariance, m.covariance)} residual "
            f"covariance, REML and {_DF.get(m.df, m.df)} degrees of freedom "
            f"{cite('mallinckrodt2008', 'kenward1997')}."
        )
    if ctx.results.get("cadss_trend") is not None:
        stats.append(
            "The change of the peak CADSS over each patient's infusions was estimated as a "
            "ratio per infusion by a Poisson generalised estimating equation with "
            f"exchangeable working correlation and robust standard errors {cite('liang1986')}."
        )
    dr = ctx.results.get("dissociation_response")
    if dr is not None:
        stats.append(
            f"The relation of the peak CADSS at the first infusion to response was estimated "
            f"as an odds ratio per {dr.per:g} CADSS points (logistic regression, Wald "
            "interval"
            + (f"; also adjusted for {ctx.group}" if ctx.group is not None else "")
            + ") and as point-biserial and Spearman correlations with Fisher z intervals "
            f"{cite('fieller1957')}."
        )
    stats.append(
        f"Figures follow the {cfg.figures.journal.upper() if cfg.figures.journal == 'jama' else cfg.figures.journal.capitalize()} "
        "style for figure size and type."
    )
    p3 = " ".join(stats)
    safety = _safety_text(ctx, cite)
    if cfg.privacy.strict:
        p4 = (
            f"Privacy: counts from 1 to {cfg.privacy.min_cell_size - 1} are suppressed in "
            "every table and figure annotation, with the statistics computed from them and "
            "a second cell where one would reveal another; figures of individual patients "
            "are omitted."
        )
    else:
        p4 = "Privacy: standard (no small-cell suppression)."
    paragraphs = (p1, p2, p3, safety, p4) if safety else (p1, p2, p3, p4)
    return Methods(paragraphs, cite.references())


def _safety_text(ctx, cite) -> str:
    """The safety definitions, when the report has safety data (else "")."""
    data = getattr(ctx, "safety", None)
    if data is None:
        return ""
    from ..outcomes import SafetyThresholds
    from .safety import changed_limits

    th = data.outcomes.thresholds
    default = SafetyThresholds()
    changed = set(changed_limits(th))
    op = "at or above" if th.inclusive else "above"
    text = ["Safety."]
    if data.has_vitals:
        if changed & {"pre_sbp", "pre_dbp"}:
            pre_source = (
                "limits set in the report configuration, not the label's: the esketamine "
                f"label's pre-dose limits are {_num(default.pre_sbp)}/{_num(default.pre_dbp)} "
                f"mmHg {cite('spravato')}"
            )
        else:
            pre_source = f"the pre-dose limits of the esketamine label {cite('spravato')}"
        if changed & {"post_sbp", "post_dbp"}:
            post_source = (
                "limits set in the report configuration; by default "
                f"{_num(default.post_sbp)}/{_num(default.post_dbp)} mmHg, grade 3 "
                f"hypertension {cite('williams2018')}; the label gives no post-dose number"
            )
        else:
            post_source = (
                f"grade 3 hypertension {cite('williams2018')}; the label gives no post-dose number"
            )
        text.append(
            f"A treatment session was flagged before dosing when the last pre-dose reading "
            f"was {op} {_num(th.pre_sbp)} mmHg systolic or {_num(th.pre_dbp)} mmHg diastolic "
            f"({pre_source}), and after dosing when any later reading was {op} "
            f"{_num(th.post_sbp)} mmHg systolic or {_num(th.post_dbp)} mmHg diastolic "
            f"({post_source}). The rise of a vital sign is its highest reading after dosing "
            "minus the last pre-dose reading of the session."
        )
        if "inclusive" in changed:
            text.append(
                "As set in the report configuration, a reading exactly at a limit does not "
                'flag the session (the label\'s wording, "greater than").'
            )
    if data.has_ae:
        text.append(
            "The incidence of adverse events is the proportion of patients with the event "
            "at one treatment session or more among the patients treated, with Wilson score "
            f"intervals {cite('wilson1927')}."
        )
    return " ".join(text)


_DF = {"kenward-roger": "Kenward-Roger", "satterthwaite": "Satterthwaite"}
_COV = {
    "us": "unstructured",
    "cs": "compound-symmetric",
    "csh": "heterogeneous compound-symmetric",
    "ar1": "first-order autoregressive",
    "ar1h": "heterogeneous first-order autoregressive",
    "toeplitz": "Toeplitz",
    "toeph": "heterogeneous Toeplitz",
}


def _relapse_text(rl, time_unit: str, ref: str) -> str:
    entry = rl.entry.replace("_", " ")
    if rl.condition == "score":
        cond = f"a total of at least {_num(rl.threshold)}"
    elif rl.condition == "loss_of_response":
        cond = "loss of response"
    else:
        cond = "a total above the remission threshold"
    text = f"Relapse: after {entry}, {rl.consecutive} consecutive assessment"
    text += f"{'s' if rl.consecutive > 1 else ''} with {cond}"
    if rl.min_gap_days is not None or rl.max_gap_days is not None:
        lo = _num(rl.min_gap_days) if rl.min_gap_days is not None else "0"
        hi = _num(rl.max_gap_days) if rl.max_gap_days is not None else "any number of"
        text += f", {lo} to {hi} days apart"
    if rl.max_session_gap is not None:
        text += f", at most {_num(rl.max_session_gap)} sessions apart"
    text += " (dated at the last of them)"
    if rl.event_column:
        text += f", or a clinical relapse event recorded in {rl.event_column}"
    start = (
        f"the last assessment at or before session {_num(rl.anchor)}"
        if rl.anchor is not None
        else f"entry into {entry}"
    )
    text += f"; time to relapse in {time_unit} from {start}, censored at the last assessment{ref}."
    return text
