"""By-session tables of the report: mean score and mean change from baseline per scale
and session (by group), and dissociation (CADSS) by session with each patient's peak.

Each table shows ``n_not_assessed`` ("not assessed": patients still followed at a
scheduled session without a value, see :func:`ketanalysis.stats.by_session`) instead of
the blank-score count ``n_missing``.

Every function returns :class:`~ketanalysis.report.tabular.Table` objects computed by
:mod:`ketanalysis.stats` and passed through the privacy rules.
"""

from __future__ import annotations

from .descriptive import table1
from .privacy import Privacy
from .table_format import MEAN_FORMATS, MEAN_RULES, column_labels, make_table
from .tabular import Table

__all__ = ["by_session_tables", "cadss_tables"]

#: Columns of ``stats.by_session`` not shown: the blank-score count and the expected
#: patients (``n`` + "not assessed").
_DROP = ["variable", "n_missing", "n_expected"]


def by_session_tables(out, *, group, level, privacy: Privacy) -> list[Table]:
    """Mean score and mean change from baseline per scale x session (x group)."""
    from .. import stats

    tables = []
    for value, title in (
        ("score", "Scores by session"),
        ("change", "Change from baseline by session"),
    ):
        tab = stats.by_session(out, by=group, value=value, level=level).drop(columns=_DROP)
        tab["scale"] = tab["scale"].astype(str)
        tables.append(
            make_table(
                f"by_session_{value}",
                title,
                tab,
                privacy,
                MEAN_RULES,
                formats=MEAN_FORMATS,
                labels=column_labels(level),
            )
        )
    return tables


def cadss_tables(report, out, *, group, level, privacy: Privacy, scale=None) -> list[Table]:
    """CADSS totals by session and each patient's peak CADSS, by group."""
    from .. import stats

    f = report.frame
    rows = f.loc[(f["scale"] == "CADSS").to_numpy()]
    if rows.empty:
        return []
    tab = stats.by_session(rows, by=group, value="score", level=level).drop(columns=_DROP)
    tab["scale"] = tab["scale"].astype(str)
    tables = [
        make_table(
            "cadss_by_session",
            "Dissociation (CADSS) by session",
            tab,
            privacy,
            MEAN_RULES,
            formats=MEAN_FORMATS,
            labels=column_labels(level),
        )
    ]
    if "peak_cadss" in out.patients.columns:
        peak = table1(
            out,
            group=group,
            variables=[("peak_cadss", "Peak CADSS")],
            privacy=privacy,
            scale=scale,
            title="Peak dissociation (CADSS) per patient",
        )
        peak.key = "cadss_peak"
        peak.note = "Each patient's highest CADSS total over all sessions."
        tables.append(peak)
    return tables
