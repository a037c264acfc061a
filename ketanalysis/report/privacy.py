"""Small-cell suppression for the report's tables (``privacy.level = "strict"``).

Under strict privacy every count from 1 to ``min_cell_size - 1`` (default 11) is replaced
by ``"<11"`` in every table (a zero discloses no one and is shown, as the figures of
:mod:`ketanalysis.plots` do), and so is every statistic computed from such a count
(a rate, a mean, a confidence interval), marked ``"*"``. A proportion is also hidden when
its complement ``n - k`` is small, since it would reveal that count; in Table 1 a second
cell of a categorical variable is hidden when only one is (complementary suppression), so
the hidden count cannot be recovered from the group total. Every suppression is recorded
and the report lists them.

This is the primary suppression, with complementary suppression of proportions and of
Table 1 categories, applied table by table. After every table is built, the report build
completes it across tables (:func:`ketanalysis.report.disclosure.complete_suppression`,
in the manner of tau-Argus / sdcMicro secondary suppression): while a hidden count can be
solved from totals, margins, at-risk rows or the same quantity in another table, one more
cell of that derivation is hidden. The rule is the CMS cell-size suppression policy (no
cell from 1 to 10, including cells derivable from others); :func:`scan_report
<ketanalysis.report.disclosure.scan_report>` checks a written report folder, and its
docstring lists what it does not model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Privacy", "Rule"]

SECONDARY = "*"


@dataclass(frozen=True)
class Rule:
    """Hide ``count`` (and the ``also`` columns) in rows where it is small.

    With ``total``, the rows where ``total - count`` is small are hidden too (the count
    and the ``also`` columns, marked ``"*"``): a proportion k / n reveals n - k.
    """

    count: str
    also: tuple[str, ...] = ()
    total: str | None = None


@dataclass
class Privacy:
    """Suppression settings and the record of what was suppressed.

    Attributes
    ----------
    strict : bool
    min_cell_size : int
    log : list of dict
        One entry per table with suppressed cells: ``table`` (its title), ``cells``
        (number of cells hidden) and ``columns``.
    """

    strict: bool = False
    min_cell_size: int = 11
    log: list[dict] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The text shown for a suppressed count, e.g. ``"<11"``."""
        return f"<{self.min_cell_size}"

    def is_small(self, value) -> bool:
        """Whether a count must be hidden (always False unless strict)."""
        if not self.strict or value is None or value is pd.NA:
            return False
        try:
            v = float(value)
        except (TypeError, ValueError):
            return False
        return not np.isnan(v) and 0 < v < self.min_cell_size

    def _small(self, values: np.ndarray) -> np.ndarray:
        return (values > 0) & (values < self.min_cell_size)  # NaN compares False

    def apply(self, title: str, frame: pd.DataFrame, rules) -> pd.DataFrame:
        """The mask of hidden cells of ``frame``: "" where shown, else the label shown.

        Parameters
        ----------
        title : str
            The table's title, for the record.
        frame : DataFrame
        rules : iterable of Rule
            Columns missing from ``frame`` are skipped.
        """
        hidden = pd.DataFrame("", index=frame.index, columns=frame.columns, dtype=object)
        if not self.strict or frame.empty:
            return hidden
        for rule in rules:
            if rule.count not in frame.columns:
                continue
            counts = pd.to_numeric(frame[rule.count], errors="coerce").to_numpy(dtype=float)
            small = self._small(counts)
            also = [c for c in rule.also if c in frame.columns]
            comp = np.zeros(len(frame), dtype=bool)
            if rule.total is not None and rule.total in frame.columns:
                totals = pd.to_numeric(frame[rule.total], errors="coerce").to_numpy(dtype=float)
                comp = ~small & self._small(totals - counts)
            for mask, mark in ((small, self.label), (comp, SECONDARY)):
                if not mask.any():
                    continue
                rows = hidden.index[mask]
                col = hidden.loc[rows, rule.count]
                hidden.loc[rows, rule.count] = col.where(col != "", mark)
                for c in also:
                    cur = hidden.loc[rows, c]
                    hidden.loc[rows, c] = cur.where(cur != "", SECONDARY)
        self.record(title, hidden)
        return hidden

    def record(self, title: str, hidden: pd.DataFrame) -> None:
        """Add a table's hidden cells to :attr:`log`."""
        shown = hidden != ""
        n = int(shown.to_numpy().sum())
        if n:
            cols = [str(c) for c in hidden.columns if shown[c].any()]
            self.log.append({"table": title, "cells": n, "columns": cols})
