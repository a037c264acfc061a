"""Model tables of the report: endpoint analyses and effect sizes, the MMRM (its data
and its estimates) and time to event. Each is computed by :mod:`ketanalysis.stats`, then
passed through the privacy rules.

Every function returns :class:`~ketanalysis.report.tabular.Table` objects; none draws and
none imports matplotlib. The other tables are in :mod:`~ketanalysis.report.descriptive`
(data summary, Table 1), :mod:`~ketanalysis.report.by_session` and
:mod:`~ketanalysis.report.rates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .privacy import Privacy, Rule
from .table_format import CI_COLUMNS, LABELS, column_labels, make_table, rate_formats, rate_rules
from .tabular import Table

__all__ = [
    "effect_size_tables",
    "endpoint_tables",
    "mmrm_tables",
    "survival_tables",
]


def endpoint_tables(out, *, endpoint, group, level, privacy: Privacy) -> list[Table]:
    """Response and remission at the endpoint session: observed, LOCF and BOCF."""
    from .. import stats

    parts = []
    for outcome in ("response", "remission"):
        parts.append(
            stats.responders(
                out,
                at=endpoint,
                method=["observed", "locf", "bocf"],
                by=group,
                outcome=outcome,
                level=level,
            )
        )
    tab = pd.concat(parts, ignore_index=True)
    tab["scale"] = tab["scale"].astype(str)
    return [
        make_table(
            "endpoint_rates",
            f"Response and remission at session {endpoint}",
            tab,
            privacy,
            rate_rules(("n_imputed", "n_missing", "n_excluded")),
            formats=rate_formats(("n_imputed", "n_missing", "n_excluded"), session="g"),
            labels=column_labels(level, pct=True),
            note="Observed case (patients assessed at the session), last observation carried "
            "forward (LOCF) and baseline observation carried forward (BOCF, non-responder "
            "imputation). Wilson score intervals.",
        )
    ]


def effect_size_tables(out, *, endpoint, group, arm, level, privacy: Privacy) -> list[Table]:
    """Hedges' g of the change from baseline at the endpoint: within groups and between
    two arms."""
    from .. import stats

    tables = []
    within = stats.effect_size(
        out, at=endpoint, value="change", kind="within", by=group, level=level
    )
    within["scale"] = within["scale"].astype(str)
    dep = ("estimate", "se", *CI_COLUMNS, "mean_difference", "sd")
    tables.append(
        make_table(
            "effect_size_within",
            f"Change from baseline at session {endpoint}: standardised mean change",
            within.drop(columns=["variable"]),
            privacy,
            [Rule("n", also=dep)],
            formats={
                "n": "count",
                "session": "g",
                "estimate": "num2",
                "se": "num2",
                "ci_low": "num2",
                "ci_high": "num2",
                "mean_difference": "num1",
                "sd": "num1",
            },
            labels={**column_labels(level), "mean_difference": "mean change"},
            note="Hedges' g_z = mean change / SD of the changes with the exact small-sample "
            "correction; noncentral t interval.",
        )
    )
    if arm is not None:
        try:
            between = stats.effect_size(
                out, at=endpoint, value="change", kind="between", by=arm, level=level
            )
        except ValueError:
            between = None
        if between is not None:
            between["scale"] = between["scale"].astype(str)
            tables.append(
                make_table(
                    "effect_size_between",
                    f"Difference between arms in change at session {endpoint}: Hedges' g",
                    between.drop(columns=["variable"]),
                    privacy,
                    [Rule("n1", also=dep), Rule("n2", also=dep)],
                    formats={
                        "n": "count",
                        "n1": "count",
                        "n2": "count",
                        "session": "g",
                        "mean_difference": "num1",
                        "sd": "num1",
                    },
                    labels={
                        **column_labels(level),
                        "mean_difference": "mean difference",
                    },
                )
            )
    return tables


# ---------------------------------------------------------------------------------------
# MMRM
# ---------------------------------------------------------------------------------------
def mmrm_tables(fit, *, arm, level, privacy: Privacy) -> list[Table]:
    """Fit statistics, Type 3 tests, LS-means by arm x session and their differences."""
    summary = fit.fit_statistics()
    summary["value"] = [_stat_text(v) for v in summary["value"].tolist()]
    lsm = fit.lsmeans(arm, by="session", level=level)
    con = fit.contrasts(arm, by="session", method="pairwise", level=level)
    fmt = {
        "estimate": "num2",
        "se": "num2",
        "df": "num1",
        "t": "num2",
        "p_value": "p",
        "ci_low": "num2",
        "ci_high": "num2",
        "session": "g",
        "num_df": "g",
        "den_df": "num1",
        "f": "num2",
    }
    return [
        Table("mmrm_fit", "MMRM: model and fit", summary, formats={"value": "text"}),
        Table(
            "mmrm_type3",
            "MMRM: Type 3 tests of fixed effects",
            fit.type3(),
            formats=fmt,
            labels=LABELS,
        ),
        Table(
            "mmrm_lsmeans",
            "MMRM: least-squares mean change from baseline",
            lsm,
            formats=fmt,
            labels=column_labels(level),
        ),
        Table(
            "mmrm_contrasts",
            "MMRM: differences between arms by session",
            con,
            formats=fmt,
            labels=column_labels(level),
            note="Unadjusted for multiplicity, as SAS LSMEANS / DIFF.",
        ),
    ]


def _stat_text(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    return str(v)


# ---------------------------------------------------------------------------------------
# Time to event
# ---------------------------------------------------------------------------------------
def survival_tables(out, *, event, scale, group, arm, level, privacy: Privacy):
    """Kaplan-Meier medians and risk table, log-rank test across groups, Cox hazard ratio
    between arms. Returns ``(tables, km_result)``; raises ValueError when no patient has a
    known time (e.g. nobody at risk of relapse)."""
    from .. import stats

    km = stats.kaplan_meier(out, event=event, by=group, scale=scale, level=level)
    unit = out.time_unit
    tables = []
    med = km.median
    tables.append(
        make_table(
            f"{event}_median",
            f"Median time to {event} ({unit}), Kaplan–Meier",
            med,
            privacy,
            [
                Rule("n_events", also=("estimate", *CI_COLUMNS), total="n"),
                Rule("n", also=("estimate", *CI_COLUMNS)),
            ],
            formats={
                "n": "count",
                "n_events": "count",
                "estimate": "g",
                "ci_low": "g",
                "ci_high": "g",
            },
            labels={**column_labels(level), "estimate": f"median ({unit})"},
            note="Missing where the curve (or a confidence limit) does not reach 50 %."
            + (
                f" {km.n_excluded} patients without a known time are left out."
                if km.n_excluded and not privacy.is_small(km.n_excluded)
                else ""
            ),
        )
    )
    risk = km.at_risk()
    tables.append(
        make_table(
            f"{event}_at_risk",
            f"Time to {event}: numbers at risk and probability without {event}",
            risk,
            privacy,
            [
                Rule("n_at_risk", also=("survival", *CI_COLUMNS)),
                Rule("cum_events"),
                Rule("cum_censored"),
            ],
            formats={
                "time": "g",
                "n_at_risk": "count",
                "cum_events": "count",
                "cum_censored": "count",
                "survival": "num3",
                "ci_low": "num3",
                "ci_high": "num3",
            },
            labels={
                **column_labels(level),
                "time": f"time ({unit})",
                "survival": f"without {event}",
            },
        )
    )
    if group is not None and km.groups[group].nunique() >= 2:
        lr = stats.logrank(out, event=event, by=group, scale=scale)
        lr["scale"] = lr["scale"].astype(str)
        tables.append(
            make_table(
                f"{event}_logrank",
                f"Time to {event}: log-rank test across {group}",
                lr,
                privacy,
                [Rule("n"), Rule("n_events"), Rule("n_excluded")],
                formats={
                    "n": "count",
                    "n_events": "count",
                    "n_excluded": "count",
                    "chi2": "num2",
                    "df": "int",
                    "p_value": "p",
                },
                labels=LABELS,
            )
        )
    if arm is not None:
        try:
            fit = stats.cox(out, event=event, formula=arm, scale=scale, level=level)
        except ValueError:
            fit = None
        if fit is not None:
            params = (
                fit.tidy()[["term", "estimate", "se", "statistic", "p_value", "hr"]]
                .assign(ci_low=fit.tidy()["hr_ci_low"], ci_high=fit.tidy()["hr_ci_high"])
                .rename(columns={"statistic": "z"})
                .assign(n=fit.n, n_events=fit.n_events)
            )
            tables.append(
                make_table(
                    f"{event}_cox",
                    f"Time to {event}: hazard ratio between arms (Cox)",
                    params,
                    privacy,
                    [
                        Rule(
                            "n_events",
                            also=("estimate", "se", "z", "hr", *CI_COLUMNS),
                            total="n",
                        )
                    ],
                    formats={
                        "estimate": "num3",
                        "se": "num3",
                        "z": "num2",
                        "p_value": "p",
                        "hr": "num2",
                        "ci_low": "num2",
                        "ci_high": "num2",
                        "n": "count",
                        "n_events": "count",
                    },
                    labels={**column_labels(level), "estimate": "log HR", "hr": "HR"},
                )
            )
    return tables, km
