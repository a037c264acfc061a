"""What the report's tables share: column labels, the pair of interval columns, the
suppression rules and number formats of rate tables and of by-session tables of means,
and :func:`make_table`, which builds a :class:`~ketanalysis.report.tabular.Table` with
the privacy rules applied.
"""

from __future__ import annotations

from .privacy import Privacy, Rule
from .tabular import Table

#: The interval columns of a table, on the scale of its ``estimate``.
CI_COLUMNS = ("ci_low", "ci_high")
LABELS = {
    "n": "n",
    "k": "k",
    "rate": "%",
    "sd": "SD",
    "se": "SE",
    "p_value": "p",
    "n_missing": "missing",
    "n_expected": "expected",
    "n_not_assessed": "not assessed",
    "n_excluded": "excluded",
    "n_imputed": "imputed",
    "n_events": "events",
    "n_at_risk": "at risk",
    "cum_events": "events (cum.)",
    "cum_censored": "censored (cum.)",
}

#: Suppression rules and number formats of a by-session table of means.
MEAN_RULES = (
    Rule("n", also=("mean", "sd", "se", *CI_COLUMNS)),
    Rule("n_missing"),
    Rule("n_expected"),
    Rule("n_not_assessed"),
)
MEAN_FORMATS = {
    "n": "count",
    "n_missing": "count",
    "n_expected": "count",
    "n_not_assessed": "count",
    "session": "g",
    "mean": "num1",
    "sd": "num1",
    "se": "num2",
    "ci_low": "num1",
    "ci_high": "num1",
}


def rate_rules(counts=(), n_also=()) -> list:
    """Suppression rules of a rate table: k with its rate and CI, n, and other counts."""
    return [
        Rule("k", also=("rate", *CI_COLUMNS), total="n"),
        Rule("n", also=("k", "rate", *CI_COLUMNS, *n_also)),
        *(Rule(c) for c in counts),
    ]


def rate_formats(counts=(), **more) -> dict[str, str]:
    """Number formats of a rate table: counts, then the rate and its CI in %."""
    return {
        "k": "count",
        "n": "count",
        **dict.fromkeys(counts, "count"),
        "rate": "pct",
        "ci_low": "pct",
        "ci_high": "pct",
        **more,
    }


def column_labels(level: float, pct: bool = False) -> dict[str, str]:
    """:data:`LABELS` with the interval columns named by ``level`` (and ``(%)`` with ``pct``)."""
    ci = f"{level * 100:g}% CI"
    unit = " (%)" if pct else ""
    return {**LABELS, "ci_low": f"{ci} low{unit}", "ci_high": f"{ci} high{unit}"}


def make_table(key, title, frame, privacy: Privacy, rules=(), **kw) -> Table:
    """A :class:`~ketanalysis.report.tabular.Table` of ``frame`` with the privacy rules
    ``rules`` applied (the cells they hide are recorded); ``kw`` as for ``Table``."""
    frame = frame.reset_index(drop=True)
    hidden = privacy.apply(title, frame, rules)
    return Table(key, title, frame, hidden=hidden, **kw)
