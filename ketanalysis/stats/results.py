"""The one shape of a fitted result in :mod:`ketanalysis.stats` (in the spirit of R broom).

Every fit (:class:`~ketanalysis.stats.KaplanMeierResult`,
:class:`~ketanalysis.stats.CoxResult`, :class:`~ketanalysis.stats.GEEResult`,
:class:`~ketanalysis.stats.LMMResult`, :class:`~ketanalysis.stats.MMRMResult`,
:class:`~ketanalysis.stats.DissociationResponseResult`) is a frozen dataclass with the same
views:

- ``tidy()``: a DataFrame with one row per term (coefficient, statistic or group) and the
  columns :data:`TIDY_COLUMNS` (``df`` only where a t reference applies), with ``ci_low``
  and ``ci_high`` on the scale of ``estimate``; ratios (hazard, odds, rate ratios) come in
  their own columns (``hr``, ``hr_ci_low``, ``hr_ci_high``; ``or``, ...; ``rr``, ...);
- ``glance()``: a one-row DataFrame describing the fit (``n`` patients, ``n_obs``,
  events, log-likelihood, AIC, BIC, ``df``, ``converged``, ``method``, ...);
- ``summary()``: a plain-text description (str) built from the two tables;
- ``_repr_html_()``: both tables in a notebook.

:class:`ResultViews` gives ``summary`` and ``_repr_html_`` to a class that defines
``tidy``, ``glance`` and ``_title``; :func:`tidy_frame` builds a table with the fixed
columns. See ``docs/architecture.md``.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

__all__ = ["TIDY_COLUMNS", "ResultViews", "ratio_columns", "tidy_frame"]

#: The fixed leading columns of every ``tidy()`` table (``df`` only where it applies).
TIDY_COLUMNS = ("term", "estimate", "se", "statistic", "df", "p_value", "ci_low", "ci_high")


def tidy_frame(
    term,
    estimate,
    se,
    statistic,
    p_value,
    ci_low,
    ci_high,
    *,
    df=None,
    lead: dict | None = None,
    extra: dict | None = None,
) -> pd.DataFrame:
    """A tidy table: ``lead`` columns, then :data:`TIDY_COLUMNS`, then ``extra`` columns.

    Parameters
    ----------
    term : sequence of str
    estimate, se, statistic, p_value, ci_low, ci_high : sequence of float
        Use NaN where a quantity does not apply.
    df : sequence of float, optional
        Degrees of freedom of a t statistic; the column is left out when None.
    lead : dict, optional
        Columns placed before ``term`` (e.g. the ``by`` columns of a per-group table).
    extra : dict, optional
        Columns placed after ``ci_high`` (e.g. ``hr``, ``hr_ci_low``, ``hr_ci_high``).

    Returns
    -------
    DataFrame
    """
    cols: dict = dict(lead or {})
    cols.update(
        term=list(term),
        estimate=np.asarray(estimate, dtype=float),
        se=np.asarray(se, dtype=float),
        statistic=np.asarray(statistic, dtype=float),
    )
    if df is not None:
        cols["df"] = np.asarray(df, dtype=float)
    cols.update(
        p_value=np.asarray(p_value, dtype=float),
        ci_low=np.asarray(ci_low, dtype=float),
        ci_high=np.asarray(ci_high, dtype=float),
    )
    cols.update(extra or {})
    n = len(cols["term"])
    return pd.DataFrame({k: (np.full(n, v) if np.isscalar(v) else v) for k, v in cols.items()})


def ratio_columns(name: str, estimate, ci_low, ci_high) -> dict:
    """``{name: exp(estimate), name_ci_low: exp(ci_low), name_ci_high: exp(ci_high)}``.

    Parameters
    ----------
    name : str
        ``"hr"`` (hazard ratio), ``"or"`` (odds ratio) or ``"rr"`` (rate ratio).
    estimate, ci_low, ci_high : sequence of float
        On the log scale.

    Returns
    -------
    dict of ndarray
    """
    return {
        name: np.exp(np.asarray(estimate, dtype=float)),
        f"{name}_ci_low": np.exp(np.asarray(ci_low, dtype=float)),
        f"{name}_ci_high": np.exp(np.asarray(ci_high, dtype=float)),
    }


def _text(frame: pd.DataFrame) -> str:
    with pd.option_context("display.width", 200, "display.max_columns", None):
        return frame.to_string(index=False, float_format="{:.4g}".format)


class ResultViews:
    """``summary()`` and ``_repr_html_()`` from ``tidy()``, ``glance()`` and ``_title()``.

    A base of the result dataclasses of :mod:`ketanalysis.stats`; it holds no data.
    """

    def summary(self) -> str:
        """A plain-text description of the fit: a title, ``tidy()`` and ``glance()``.

        Returns
        -------
        str
        """
        fit = self.glance().iloc[0]
        lines = [self._title(), "", _text(self.tidy()), ""]
        width = max(len(str(k)) for k in fit.index)
        for k, v in fit.items():
            if isinstance(v, (float, np.floating)):
                v = f"{float(v):.6g}"
            lines.append(f"{str(k).ljust(width)}  {v}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "\n".join(
            [
                f"<strong>{html.escape(self._title())}</strong>",
                self.tidy().to_html(index=False, float_format="{:.4g}".format),
                self.glance().to_html(index=False, float_format="{:.6g}".format),
            ]
        )
