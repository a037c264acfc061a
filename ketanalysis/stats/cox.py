"""Cox proportional-hazards regression of the time to response, remission or relapse.

Partial likelihood by :mod:`statsmodels.duration`, following R survival's ``coxph``,
against which tests/test_stats_survival.py checks it. The result has the views of every
fit of :mod:`ketanalysis.stats` (:mod:`.results`): the log hazard ratio with its interval
and, in their own columns, the hazard ratio with its interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .arguments import check_columns, check_level
from .frames import event_frame, patient_frame, patsy_frame
from .intervals import wald
from .results import ResultViews, ratio_columns, tidy_frame

__all__ = ["CoxResult", "cox"]

_TIES = ("efron", "breslow")


# ---------------------------------------------------------------------------------------
# Cox proportional hazards
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoxResult(ResultViews):
    """A Cox proportional-hazards fit (see :func:`cox`).

    Attributes
    ----------
    params : DataFrame
        The coefficient table, the same as :meth:`tidy`.
    formula : str
        The right-hand side fitted.
    event, scale, ties, level
        The settings.
    n, n_events : int
        Patients and events used (rows with a missing covariate are dropped).
    n_excluded : int
        Patients without a known time or with a missing covariate.
    loglik : float
        Partial log-likelihood at the estimate.
    converged : bool
    """

    params: pd.DataFrame = field(repr=False)
    formula: str
    event: str
    scale: str | None
    ties: str
    level: float
    n: int
    n_events: int
    n_excluded: int
    loglik: float
    converged: bool

    def tidy(self) -> pd.DataFrame:
        """One row per model term, on the log-hazard scale and as a hazard ratio.

        Returns
        -------
        DataFrame
            ``term`` (patsy's name, e.g. ``arm[T.placebo]`` for the placebo arm against
            the first level); ``estimate`` (log hazard ratio, R ``coef``); ``se`` (model
            based, R ``se(coef)``); ``statistic`` (Wald z); ``p_value``; ``ci_low``,
            ``ci_high`` (Wald interval of the log hazard ratio, estimate -/+ z se);
            ``hr`` = exp(estimate) (R ``exp(coef)``); ``hr_ci_low``, ``hr_ci_high`` (the
            interval of the hazard ratio, R ``lower .95``, ``upper .95``).
        """
        return self.params.copy()

    def glance(self) -> pd.DataFrame:
        """The fit in one row.

        Returns
        -------
        DataFrame
            ``n`` (patients), ``n_events``, ``n_excluded``, ``loglik`` (partial
            log-likelihood), ``aic`` (-2 loglik + 2 df), ``bic`` (-2 loglik + log(n_events)
            df, as R ``BIC`` of a ``coxph`` fit), ``df`` (coefficients), ``converged``,
            ``method`` (``"cox"``), ``ties``, ``event``, ``scale``, ``formula``, ``level``.
        """
        k = len(self.params)
        return pd.DataFrame(
            [
                {
                    "n": self.n,
                    "n_events": self.n_events,
                    "n_excluded": self.n_excluded,
                    "loglik": self.loglik,
                    "aic": -2 * self.loglik + 2 * k,
                    "bic": -2 * self.loglik + np.log(self.n_events) * k
                    if self.n_events
                    else np.nan,
                    "df": k,
                    "converged": self.converged,
                    "method": "cox",
                    "ties": self.ties,
                    "event": self.event,
                    "scale": self.scale,
                    "formula": self.formula,
                    "level": self.level,
                }
            ]
        )

    def _title(self) -> str:
        return (
            f"Cox model: time to {self.event} ~ {self.formula}; ties={self.ties}; "
            f"n={self.n}, events={self.n_events}"
        )


def cox(
    data,
    *,
    event: str = "relapse",
    formula: str | None = None,
    covariates: Sequence[str] | None = None,
    strata: str | None = None,
    ties: str = "efron",
    scale: str | None = None,
    level: float = 0.95,
) -> CoxResult:
    """Cox proportional-hazards regression of the time to response, remission or relapse.

    Parameters
    ----------
    data : Outcomes or DataFrame
        As for :func:`kaplan_meier`.
    event : {"response", "remission", "relapse"}, default "relapse"
    formula : str, optional
        Right-hand side in patsy syntax, e.g. ``"arm + age"`` or ``"C(route) + age"``
        (a leading ``~`` is allowed). Text columns are treatment-coded against their first
        level in sorted order, as R does for factors.
    covariates : list of str, optional
        Instead of ``formula``: columns entered additively.
    strata : str, optional
        A column of strata, each with its own baseline hazard (R ``strata()``).
    ties : {"efron", "breslow"}, default "efron"
        Handling of tied event times; Efron is R ``coxph``'s default.
    scale : str, optional
        The outcome scale (default: the primary scale).
    level : float, default 0.95

    Returns
    -------
    CoxResult

    Notes
    -----
    Partial likelihood maximised by :class:`statsmodels.duration.hazard_regression.PHReg`
    (Cox DR. J R Stat Soc B 1972;34:187-220; Efron B. J Am Stat Assoc 1977;72:557-565);
    model-based (not robust) standard errors, as R ``coxph`` without ``cluster``.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.survival import cox
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"))
    >>> fit = cox(out, event="response", covariates=["age"])
    >>> fit.params["term"].tolist()
    ['age']
    """
    from statsmodels.duration.hazard_regression import PHReg

    check_level(level)
    if ties not in _TIES:
        raise ValueError(f"ties must be one of {', '.join(_TIES)}, got {ties!r}")
    if (formula is None) == (covariates is None):
        raise ValueError("give exactly one of formula= and covariates=")
    if covariates is not None:
        cov = [covariates] if isinstance(covariates, str) else list(covariates)
        if not cov:
            raise ValueError("covariates must name at least one column")
        check_columns(patient_frame(data), cov, "covariates")
        rhs = " + ".join(cov)
    else:
        if not isinstance(formula, str) or not formula.strip().lstrip("~").strip():
            raise ValueError(
                f"formula must be a right-hand side such as 'arm + age', got {formula!r}"
            )
        if "~" in formula.strip()[1:]:
            raise ValueError(
                f"formula={formula!r}: give only the right-hand side (the time and status "
                "come from event=)"
            )
        rhs = formula.strip().lstrip("~").strip()
    rows, scale, n_excluded = event_frame(data, event, scale)
    if strata is not None:
        check_columns(rows, [strata], "strata")
    import patsy

    try:
        design = patsy.dmatrix(rhs, patsy_frame(rows), return_type="dataframe", NA_action="drop")
    except patsy.PatsyError as exc:
        raise ValueError(f"formula={rhs!r}: {exc}") from None
    design = design.drop(columns="Intercept", errors="ignore")
    used = rows.loc[design.index]
    if strata is not None:
        ok = used[strata].notna().to_numpy()
        used, design = used.loc[ok], design.loc[ok]
    n_excluded += len(rows) - len(used)
    if design.shape[1] == 0:
        raise ValueError(f"formula={rhs!r} has no covariate terms")
    kw = {"ties": ties}
    if strata is not None:
        kw["strata"] = pd.factorize(used[strata])[0]
    model = PHReg(
        used["_time"].to_numpy(dtype=float),
        design.to_numpy(dtype=float),
        status=used["_status"].to_numpy(dtype=float),
        **kw,
    )
    fit = model.fit(disp=False)
    est = np.asarray(fit.params, dtype=float)
    se = np.asarray(fit.bse, dtype=float)
    z, p, lo, hi = wald(est, se, level)
    params = tidy_frame(
        design.columns, est, se, z, p, lo, hi, extra=ratio_columns("hr", est, lo, hi)
    )
    converged = bool(getattr(fit, "mle_retvals", {}).get("converged", True))
    return CoxResult(
        params=params,
        formula=rhs,
        event=event,
        scale=scale,
        ties=ties,
        level=level,
        n=len(used),
        n_events=int(used["_status"].sum()),
        n_excluded=n_excluded,
        loglik=float(fit.llf),
        converged=converged,
    )
