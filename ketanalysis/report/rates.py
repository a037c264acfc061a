"""Rate tables of the report: per-patient rates of response, remission, ... and relapse
(Wilson intervals), rate differences between arms with the number needed to treat, and
the reliable-change parameters and Jacobson-Truax categories.

Every function returns :class:`~ketanalysis.report.tabular.Table` objects computed by
:mod:`ketanalysis.stats` and passed through the privacy rules.
"""

from __future__ import annotations

import pandas as pd

from .privacy import Privacy, Rule
from .table_format import CI_COLUMNS, column_labels, make_table, rate_formats, rate_rules
from .tabular import Table

__all__ = ["RATE_OUTCOMES", "difference_tables", "rate_tables", "reliable_change_tables"]

#: Per-patient outcomes reported as rates, in order.
RATE_OUTCOMES = (
    "response",
    "remission",
    "rapid_response",
    "sustained_response",
    "stable_remission",
    "stable_response",
    "relapse",
)


#: The reader's name of each per-patient outcome of :data:`RATE_OUTCOMES`.
OUTCOME_LABELS = {
    "response": "Response",
    "remission": "Remission",
    "rapid_response": "Rapid response",
    "sustained_response": "Sustained response",
    "stable_remission": "Stable remission",
    "stable_response": "Stable response",
    "relapse": "Relapse",
}


def _timing(criteria) -> dict[str, str]:
    """When each per-patient outcome is measured, in the reader's words."""
    rr = criteria.rapid_response
    rapid = (
        f"at session {rr.at:g}"
        if rr.at is not None
        else f"first assessment on days {rr.min_day:g}–{rr.max_day:g}"
    )
    return {
        "response": "ever",
        "remission": "ever",
        "rapid_response": rapid,
        "sustained_response": "over follow-up",
        "stable_remission": "last assessments",
        "stable_response": "last assessments",
        "relapse": "ever, after entry",
    }


def scale_labels(column: pd.Series) -> pd.Series:
    """Registry keys (``PHQ9``) as the reader knows the scales (``PHQ-9``)."""
    from .. import scales

    keys = column.astype(str)
    return keys.map({k: scales.get(k).label for k in keys.unique()})


def drop_empty_rows(tab: pd.DataFrame, what) -> tuple[pd.DataFrame, str]:
    """Rows with no patient (n = 0) left out, and a note naming them and why."""
    empty = tab["n"].to_numpy() == 0
    if not empty.any():
        return tab, ""
    names = sorted(
        {
            f"{s}: {what(o)}"
            for s, o in zip(
                scale_labels(tab.loc[empty, "scale"]), tab.loc[empty, "outcome"], strict=True
            )
        }
    )
    note = " Left out, no patient with a known value (n = 0): " + "; ".join(names) + "."
    return tab.loc[~empty].reset_index(drop=True), note


def _criteria_of(out, scale):
    by_scale = getattr(out, "criteria_by_scale", None) or {}
    return by_scale.get(scale, out.criteria)


def rate_tables(out, *, group, level, privacy: Privacy) -> list[Table]:
    """Per-patient rates of response, remission, ... and relapse (Wilson intervals), each
    row saying when it is measured (``timing``); rows with n = 0 are left out with a note."""
    from .. import stats

    parts = []
    for outcome in RATE_OUTCOMES:
        parts.append(stats.rates(out, outcome=outcome, by=group, level=level))
    tab = pd.concat(parts, ignore_index=True)
    tab["scale"] = tab["scale"].astype(str)
    order = {k: i for i, k in enumerate(out.scales)}
    tab = tab.sort_values("scale", key=lambda s: s.map(order), kind="stable")
    timing = {s: _timing(_criteria_of(out, s)) for s in tab["scale"].unique()}
    tab.insert(
        tab.columns.get_loc("outcome") + 1,
        "timing",
        [timing[s][o] for s, o in zip(tab["scale"], tab["outcome"], strict=True)],
    )
    tab, left_out = drop_empty_rows(tab, lambda o: OUTCOME_LABELS[o].lower())
    tab["outcome"] = tab["outcome"].map(OUTCOME_LABELS)
    tab["scale"] = scale_labels(tab["scale"])
    return [
        make_table(
            "rates",
            "Response, remission and relapse rates",
            tab,
            privacy,
            rate_rules(("n_excluded",)),
            formats=rate_formats(("n_excluded",)),
            labels=column_labels(level, pct=True),
            note="Per patient and scale over the whole follow-up; relapse among the patients "
            "at risk (who reached the relapse entry state). Wilson score intervals." + left_out,
        )
    ]


def difference_tables(out, *, arm, level, privacy: Privacy) -> list[Table]:
    """Rate differences between two arms (Newcombe) with the number needed to treat."""
    from .. import stats

    parts = []
    for outcome in ("response", "remission", "relapse"):
        try:
            diff = stats.rate_difference(out, outcome=outcome, by=arm, level=level)
            nnt = stats.nnt(out, outcome=outcome, by=arm, level=level)
        except ValueError:
            continue
        diff["nnt"] = nnt["label"].to_numpy()
        parts.append(diff)
    if not parts:
        return []
    tab = pd.concat(parts, ignore_index=True)
    tab["scale"] = tab["scale"].astype(str)
    dep = ("rate1", "rate2", "estimate", *CI_COLUMNS, "nnt")
    return [
        make_table(
            "rate_differences",
            f"Differences in rates between arms ({arm})",
            tab,
            privacy,
            [
                Rule("k1", also=dep, total="n1"),
                Rule("k2", also=dep, total="n2"),
                Rule("n1", also=dep),
                Rule("n2", also=dep),
            ],
            formats={
                "k1": "count",
                "n1": "count",
                "k2": "count",
                "n2": "count",
                "n": "count",
                "rate1": "pct",
                "rate2": "pct",
                "estimate": "pct",
                "ci_low": "pct",
                "ci_high": "pct",
            },
            labels={
                **column_labels(level, pct=True),
                "estimate": "difference (%)",
                "nnt": "NNT",
            },
            note="Difference group1 - group2 with Newcombe's hybrid score interval; NNT "
            "(Altman's NNTB/NNTH) from the same interval.",
        )
    ]


def reliable_change_tables(out, *, group, level, privacy: Privacy) -> list[Table]:
    """The reliable-change parameters used and the Jacobson-Truax categories (rates)."""
    from .. import stats

    par = out.parameters.copy()
    par["scale"] = par["scale"].astype(str)
    par = par[
        [
            "scale",
            "rc_reliability",
            "rc_sd",
            "rc_sd_source",
            "rc_s_diff",
            "rc_cutoff",
            "n_with_endpoint",
        ]
    ]
    tables = [
        make_table(
            "reliable_change_parameters",
            "Reliable change: parameters used",
            par,
            privacy,
            [Rule("n_with_endpoint")],
            formats={
                "rc_reliability": "num2",
                "rc_sd": "num2",
                "rc_s_diff": "num2",
                "rc_cutoff": "g",
                "n_with_endpoint": "count",
            },
            labels={
                "rc_reliability": "reliability",
                "rc_sd": "SD",
                "rc_sd_source": "SD from",
                "rc_s_diff": "S_diff",
                "rc_cutoff": "cut-off",
                "n_with_endpoint": "n",
            },
        )
    ]
    p = out.patients
    frame = p[["patient_id", "scale"] + ([group] if group else [])].copy()
    for column, levels in (
        ("reliable_change", ("improved", "unchanged", "deteriorated")),
        ("clinically_significant", ("recovered", "improved", "unchanged", "deteriorated")),
    ):
        known = p[column].notna().to_numpy()
        for lv in levels:
            values = pd.array((p[column] == lv).to_numpy(dtype=bool), dtype="boolean")
            values[~known] = pd.NA
            frame[f"{column.replace('_', ' ').capitalize()}: {lv}"] = values
    parts = []
    for col in frame.columns[(3 if group else 2) :]:
        parts.append(stats.rates(frame, outcome=col, by=group, level=level))
    tab = pd.concat(parts, ignore_index=True)
    tab["scale"] = tab["scale"].astype(str)
    order = {k: i for i, k in enumerate(out.scales)}
    tab = tab.sort_values("scale", key=lambda s: s.map(order), kind="stable")
    tab["scale"] = scale_labels(tab["scale"])
    tables.append(
        make_table(
            "reliable_change",
            "Reliable and clinically significant change at the endpoint",
            tab,
            privacy,
            rate_rules(("n_excluded",)),
            formats=rate_formats(("n_excluded",)),
            labels=column_labels(level, pct=True),
            note="Jacobson–Truax categories at the endpoint (else the last assessment after "
            "baseline); patients without an assessment after baseline are excluded.",
        )
    )
    return tables
