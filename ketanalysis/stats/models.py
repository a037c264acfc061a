"""Regression wrappers: GEE for repeated binary response, linear mixed models.

:func:`gee` fits a marginal logistic model to the response (or remission) at every
assessment after baseline by generalised estimating equations, with robust (sandwich)
standard errors; :func:`lmm` fits a random-intercept or random-slope linear mixed model
to scores or changes. Both wrap statsmodels and return frozen result objects with tidy
tables (docs/architecture.md §5.1–5.2). For the MMRM see :mod:`ketanalysis.stats.mmrm`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .arguments import check_columns, check_level, session_key
from .frames import assessment_frame, one_scale, patsy_frame
from .intervals import wald
from .results import ResultViews, ratio_columns, tidy_frame

__all__ = ["GEEResult", "LMMResult", "ModelConvergenceWarning", "gee", "lmm"]

COV_STRUCTS = ("exchangeable", "ar1", "unstructured", "independence")
RANDOM = ("intercept", "slope")


def _model_frame(data, scale, post_baseline):
    frame = assessment_frame(data)
    frame, scale = one_scale(data, frame, scale)
    if post_baseline:
        if "post_baseline" not in frame.columns:
            raise ValueError(
                "post_baseline=True needs a 'post_baseline' column (as in Outcomes.assessments)"
            )
        frame = frame.loc[frame["post_baseline"].fillna(False).astype(bool).to_numpy()]
    return frame, scale


def _design(formula: str, frame: pd.DataFrame, extra: list[str]):
    import patsy

    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"formula must be 'outcome ~ terms', got {formula!r}")
    plain = patsy_frame(frame)
    try:
        y, x = patsy.dmatrices(formula, plain, NA_action="drop", return_type="dataframe")
    except patsy.PatsyError as exc:
        raise ValueError(f"formula={formula!r}: {exc}") from None
    if y.shape[1] != 1:
        raise ValueError(
            f"formula={formula!r}: the outcome must be one numeric or boolean column "
            f"(got {y.shape[1]} columns: {', '.join(y.columns)})"
        )
    idx = y.index
    ok = plain.loc[idx, extra].notna().all(axis=1).to_numpy() if extra else np.ones(len(idx), bool)
    return y.loc[ok], x.loc[ok], frame.loc[idx[ok]]


class ModelConvergenceWarning(UserWarning):
    """A GEE or mixed model fit stopped before its convergence criterion was met."""


def _reissue(caught, message: str) -> None:
    """One warning of ours for non-convergence; each other distinct warning once."""
    seen = set()
    for w in caught:
        text = str(w.message)
        if "converge" in text.lower():
            continue
        if (w.category, text) not in seen:
            seen.add((w.category, text))
            warnings.warn(text, w.category, stacklevel=3)
    if any("converge" in str(w.message).lower() for w in caught):
        warnings.warn(message, ModelConvergenceWarning, stacklevel=3)


# ---------------------------------------------------------------------------------------
# GEE
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GEEResult(ResultViews):
    """A GEE fit (see :func:`gee`).

    Attributes
    ----------
    params : DataFrame
        The coefficient table, the same as :meth:`tidy`.
    dependence : DataFrame
        The estimated working correlation: ``parameter`` and ``estimate`` (exchangeable:
        ``alpha``; ar1: ``rho``; unstructured: one ``corr(s1, s2)`` per session pair).
    formula, cov_struct, family, scale, level
        The settings.
    n_obs, n_patients : int
        Assessments and patients used.
    n_excluded : int
        Assessments dropped for a missing outcome, covariate, patient or session.
    converged : bool
    """

    params: pd.DataFrame = field(repr=False)
    dependence: pd.DataFrame = field(repr=False)
    formula: str
    cov_struct: str
    family: str
    scale: str | None
    n_obs: int
    n_patients: int
    n_excluded: int
    converged: bool
    level: float = 0.95

    def tidy(self) -> pd.DataFrame:
        """One row per model term.

        Returns
        -------
        DataFrame
            ``term``; ``estimate`` (on the link scale: log odds for the binomial family,
            log rate for the Poisson family); ``se`` (robust sandwich); ``statistic``
            (Wald z); ``p_value``; ``ci_low``, ``ci_high`` (Wald interval of the
            estimate). Binomial family: ``or``, ``or_ci_low``, ``or_ci_high`` (odds ratio
            exp(estimate) and its interval); Poisson family: ``rr``, ``rr_ci_low``,
            ``rr_ci_high`` (rate ratio); none for the Gaussian family.
        """
        return self.params.copy()

    def glance(self) -> pd.DataFrame:
        """The fit in one row.

        Returns
        -------
        DataFrame
            ``n`` (patients, the clusters), ``n_obs`` (assessments), ``n_excluded``,
            ``df`` (coefficients), ``converged``, ``method`` (``"gee"``), ``family``,
            ``cov_struct``, ``formula``, ``scale``, ``level``. A GEE has no likelihood, so
            no log-likelihood, AIC or BIC.
        """
        return pd.DataFrame(
            [
                {
                    "n": self.n_patients,
                    "n_obs": self.n_obs,
                    "n_excluded": self.n_excluded,
                    "df": len(self.params),
                    "converged": self.converged,
                    "method": "gee",
                    "family": self.family,
                    "cov_struct": self.cov_struct,
                    "formula": self.formula,
                    "scale": self.scale,
                    "level": self.level,
                }
            ]
        )

    def _title(self) -> str:
        return (
            f"GEE ({self.family}, {self.cov_struct} working correlation): {self.formula}; "
            f"{self.n_obs} assessments of {self.n_patients} patients"
        )


def gee(
    data,
    formula: str,
    *,
    cov_struct: str = "exchangeable",
    patient: str = "patient_id",
    session: str = "session",
    family: str = "binomial",
    scale: str | None = None,
    post_baseline: bool = True,
    level: float = 0.95,
    ddof_scale: int | None = None,
    max_iter: int = 60,
) -> GEEResult:
    """Marginal model of a repeated outcome by generalised estimating equations.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (its ``assessments``) or a DataFrame shaped like
        it.
    formula : str
        patsy formula, e.g. ``"response ~ arm * C(session)"``. A boolean outcome (such as
        ``response``) is coded 1/0; rows with any missing value in the formula are dropped.
    cov_struct : {"exchangeable", "ar1", "unstructured", "independence"}
        Working correlation within a patient. ``"ar1"``: ``rho^|j - k|`` for the j-th and
        k-th assessments of a patient in session order (a missed session is not a gap);
        ``"unstructured"``: one correlation per pair of sessions.
    patient : str, default "patient_id"
        The cluster column.
    session : str, default "session"
        The time column (ordering, AR1 distances, unstructured positions); numeric or an
        ordered categorical.
    family : {"binomial", "gaussian", "poisson"}, default "binomial"
        Binomial uses the logit link.
    scale : str, optional
        The outcome scale (default: the primary scale).
    post_baseline : bool, default True
        Use only assessments after baseline (response and remission are False by
        definition at baseline).
    level : float, default 0.95
    ddof_scale : int, optional
        Degrees of freedom subtracted in the moment estimates of the scale and of the
        exchangeable correlation: default the number of mean parameters (statsmodels and
        SAS PROC GENMOD); 0 reproduces R geepack.
    max_iter : int, default 60

    Returns
    -------
    GEEResult

    Notes
    -----
    Liang KY, Zeger SL. Longitudinal data analysis using generalized linear models.
    Biometrika 1986;73:13-22; :class:`statsmodels.genmod.generalized_estimating_equations.GEE`
    (iterated to a step below 1e-10) with the robust (sandwich) covariance without
    small-sample correction, as R geepack's ``geeglm`` reports. The working-correlation
    parameters are statsmodels' moment estimates: exchangeable as geepack (with
    ``ddof_scale=0``); AR1 on the positions of the assessments within a patient
    (``rho = sum_i mean lag-1 residual product / sum_i mean squared residual``); the
    unstructured correlations from the residual cross-products per pair of sessions,
    standardised by the per-session variances. AR1 and unstructured therefore differ
    slightly from geepack's estimators; given the same working correlation the estimates
    and standard errors are geepack's. With the independence working correlation the
    estimates are those of the logistic regression.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.models import gee
    >>> out = ka.derive(ka.simulate_cohort(120, seed=2, arms=("ketamine", "placebo")))
    >>> fit = gee(out, "response ~ arm + C(session)", scale="MADRS")
    >>> fit.params["term"].tolist()[:2]
    ['Intercept', 'arm[T.placebo]']
    """
    import statsmodels.api as sm

    check_level(level)
    if cov_struct not in COV_STRUCTS:
        raise ValueError(f"cov_struct must be one of {', '.join(COV_STRUCTS)}, got {cov_struct!r}")
    families = {
        "binomial": sm.families.Binomial,
        "gaussian": sm.families.Gaussian,
        "poisson": sm.families.Poisson,
    }
    if family not in families:
        raise ValueError(f"family must be one of {', '.join(families)}, got {family!r}")
    frame, scale = _model_frame(data, scale, post_baseline)
    check_columns(frame, [patient], "patient")
    check_columns(frame, [session], "session")
    n_rows = len(frame)
    y, x, rows = _design(formula, frame, [patient, session])
    if not len(rows):
        raise ValueError(f"formula={formula!r}: no complete rows")
    endog = y.iloc[:, 0].to_numpy(dtype=float)
    if family == "binomial" and not np.isin(endog, (0.0, 1.0)).all():
        raise ValueError(f"formula={formula!r}: a binomial outcome must be 0/1 or boolean")
    skey = session_key(rows[session], session)
    groups = pd.factorize(rows[patient])[0]
    order = np.lexsort((skey, groups))
    endog, exog = endog[order], x.to_numpy(dtype=float)[order]
    groups, skey = groups[order], skey[order]
    if np.any((groups[1:] == groups[:-1]) & (skey[1:] == skey[:-1])):
        raise ValueError(f"a patient has two assessments at one {session!r}")
    levels = np.unique(skey)
    if cov_struct == "exchangeable":
        cs = sm.cov_struct.Exchangeable()
        time = None
    elif cov_struct == "ar1":
        cs = sm.cov_struct.Autoregressive(grid=True)
        time = None
    elif cov_struct == "unstructured":
        cs = sm.cov_struct.Unstructured()
        time = np.searchsorted(levels, skey)
    else:
        cs = sm.cov_struct.Independence()
        time = None
    model = sm.GEE(endog, exog, groups=groups, time=time, family=families[family](), cov_struct=cs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = model.fit(maxiter=max_iter, ctol=1e-10, ddof_scale=ddof_scale)
    # statsmodels warns only when the last score is above ctol; a run that used every
    # iteration (e.g. max_iter=1: the working correlation never updated) has not converged
    n_iter = len(fit.fit_history["params"])
    if n_iter >= max_iter and not any("converge" in str(w.message).lower() for w in caught):
        caught.append(warnings.WarningMessage("iteration limit: not converged", UserWarning, "", 0))
    converged = not any("converge" in str(w.message).lower() for w in caught)
    _reissue(caught, f"GEE ({cov_struct}) did not converge in max_iter={max_iter} iterations")
    est = np.asarray(fit.params, dtype=float)
    se = np.asarray(fit.bse, dtype=float)
    z, p, lo, hi = wald(est, se, level)
    ratio = {"binomial": "or", "poisson": "rr"}.get(family)
    extra = ratio_columns(ratio, est, lo, hi) if ratio else None
    params = tidy_frame(x.columns, est, se, z, p, lo, hi, extra=extra)
    return GEEResult(
        params=params,
        dependence=_dependence(cs, cov_struct, _level_labels(rows[session], levels)),
        formula=formula,
        cov_struct=cov_struct,
        family=family,
        scale=scale,
        n_obs=len(endog),
        n_patients=len(np.unique(groups)),
        n_excluded=n_rows - len(endog),
        converged=converged,
        level=level,
    )


def _level_labels(col: pd.Series, levels: np.ndarray) -> list:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [col.cat.categories[int(k)] for k in levels]
    return [int(v) if float(v).is_integer() else float(v) for v in levels]


def _dependence(cs, kind: str, labels: list) -> pd.DataFrame:
    if kind == "exchangeable":
        return pd.DataFrame({"parameter": ["alpha"], "estimate": [float(cs.dep_params)]})
    if kind == "ar1":
        return pd.DataFrame({"parameter": ["rho"], "estimate": [float(cs.dep_params)]})
    if kind == "unstructured":
        m = np.asarray(cs.dep_params, dtype=float)
        rows = [
            {"parameter": f"corr({labels[i]}, {labels[j]})", "estimate": m[i, j]}
            for i in range(len(labels))
            for j in range(i + 1, len(labels))
        ]
        return pd.DataFrame(rows, columns=["parameter", "estimate"])
    return pd.DataFrame({"parameter": pd.Series(dtype=object), "estimate": pd.Series(dtype=float)})


# ---------------------------------------------------------------------------------------
# Linear mixed model
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LMMResult(ResultViews):
    """A linear mixed model fit (see :func:`lmm`).

    Attributes
    ----------
    params : DataFrame
        The fixed effects, the same as :meth:`tidy`.
    variance : DataFrame
        Variance components: ``component`` (``"intercept"``, ``"slope"``,
        ``"intercept:slope"`` (covariance), ``"residual"``) and ``estimate`` (variances,
        not SDs).
    formula, random, time, reml, scale, level
        The settings.
    n_obs, n_patients, n_excluded : int
    loglik : float
        (Restricted) log-likelihood at the estimate.
    converged : bool
    """

    params: pd.DataFrame = field(repr=False)
    variance: pd.DataFrame = field(repr=False)
    formula: str
    random: str
    time: str | None
    reml: bool
    scale: str | None
    n_obs: int
    n_patients: int
    n_excluded: int
    loglik: float
    converged: bool
    level: float = 0.95

    def tidy(self) -> pd.DataFrame:
        """One row per fixed effect.

        Returns
        -------
        DataFrame
            ``term``, ``estimate``, ``se`` (model-based), ``statistic`` (Wald z, normal
            reference, as statsmodels reports), ``p_value``, ``ci_low``, ``ci_high`` (Wald
            interval of the estimate). The variance components are in ``variance``.
        """
        return self.params.copy()

    def glance(self) -> pd.DataFrame:
        """The fit in one row.

        Returns
        -------
        DataFrame
            ``n`` (patients), ``n_obs`` (assessments), ``n_excluded``, ``loglik``
            ((restricted) log-likelihood), ``aic`` (-2 loglik + 2 df), ``bic`` (-2 loglik +
            log(N) df, N = ``n_obs`` for ML and ``n_obs`` minus the fixed effects for REML,
            as R nlme), ``df`` (fixed effects plus variance components), ``converged``,
            ``method`` (``"REML"`` or ``"ML"``), ``random``, ``formula``, ``scale``,
            ``level``.
        """
        k = len(self.params) + len(self.variance)
        n_bic = self.n_obs - len(self.params) if self.reml else self.n_obs
        return pd.DataFrame(
            [
                {
                    "n": self.n_patients,
                    "n_obs": self.n_obs,
                    "n_excluded": self.n_excluded,
                    "loglik": self.loglik,
                    "aic": -2 * self.loglik + 2 * k,
                    "bic": -2 * self.loglik + np.log(n_bic) * k,
                    "df": k,
                    "converged": self.converged,
                    "method": "REML" if self.reml else "ML",
                    "random": self.random,
                    "formula": self.formula,
                    "scale": self.scale,
                    "level": self.level,
                }
            ]
        )

    def _title(self) -> str:
        return (
            f"Linear mixed model (random {self.random}, {'REML' if self.reml else 'ML'}): "
            f"{self.formula}; {self.n_obs} assessments of {self.n_patients} patients"
        )


def lmm(
    data,
    formula: str,
    *,
    random: str = "intercept",
    patient: str = "patient_id",
    time: str = "session",
    reml: bool = True,
    scale: str | None = None,
    post_baseline: bool = False,
    level: float = 0.95,
) -> LMMResult:
    """Linear mixed model with a random intercept, or random intercept and slope.

    Parameters
    ----------
    data : Outcomes or DataFrame
        An :class:`~ketanalysis.Outcomes` (its ``assessments``) or a DataFrame shaped like
        it.
    formula : str
        Fixed effects, patsy syntax, e.g. ``"score ~ session * arm"``.
    random : {"intercept", "slope"}, default "intercept"
        Random intercept per patient, or a random intercept and a random slope in ``time``
        with an unstructured 2 x 2 covariance.
    patient : str, default "patient_id"
    time : str, default "session"
        Numeric column of the random slope (``"session"`` or ``"day"``).
    reml : bool, default True
    scale : str, optional
        The outcome scale (default: the primary scale).
    post_baseline : bool, default False
        Use only assessments after baseline (e.g. for change with baseline as a
        covariate).
    level : float, default 0.95

    Returns
    -------
    LMMResult

    Notes
    -----
    Laird NM, Ware JH. Random-effects models for longitudinal data. Biometrics
    1982;38:963-974; fitted by :class:`statsmodels.regression.mixed_linear_model.MixedLM`
    (REML by default, as R ``nlme::lme`` and ``lme4::lmer``). The standard errors of the
    fixed effects are those of generalised least squares at the estimated covariance,
    ``(sum_i X_i' V_i^-1 X_i)^-1`` with ``V_i = Z_i G Z_i' + sigma^2 I``, as nlme, lme4 and
    SAS PROC MIXED report (statsmodels' own ``bse_fe`` inverts the joint Hessian of all
    parameters, which differs slightly under REML). Wald z tests and intervals use the
    normal distribution (no Satterthwaite or Kenward-Roger df; use
    :func:`ketanalysis.stats.mmrm` for those).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.models import lmm
    >>> out = ka.derive(ka.simulate_cohort(60, seed=2))
    >>> fit = lmm(out, "score ~ session", scale="MADRS")
    >>> fit.variance["component"].tolist()
    ['intercept', 'residual']
    """
    import statsmodels.api as sm

    check_level(level)
    if random not in RANDOM:
        raise ValueError(f"random must be one of {', '.join(RANDOM)}, got {random!r}")
    frame, scale = _model_frame(data, scale, post_baseline)
    check_columns(frame, [patient], "patient")
    extra = [patient]
    if random == "slope":
        check_columns(frame, [time], "time")
        extra.append(time)
    n_rows = len(frame)
    y, x, rows = _design(formula, frame, extra)
    if not len(rows):
        raise ValueError(f"formula={formula!r}: no complete rows")
    groups = pd.factorize(rows[patient])[0]
    if random == "slope":
        t = session_key(rows[time], time)
        exog_re = np.column_stack([np.ones(len(t)), t])
    else:
        exog_re = np.ones((len(rows), 1))
    model = sm.MixedLM(
        y.iloc[:, 0].to_numpy(dtype=float), x.to_numpy(dtype=float), groups, exog_re=exog_re
    )
    fit, caught = None, []
    # BFGS to a tight gradient (the estimates then agree with nlme to about 1e-10); a looser
    # gradient when rounding prevents that, then L-BFGS-B; the best fit is kept when none
    # converges.
    attempts = (("bfgs", {"gtol": 1e-10}), ("bfgs", {"gtol": 1e-8}), ("lbfgs", {}))
    for method, options in attempts:
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            try:
                attempt = model.fit(reml=reml, method=[method], **options)
            except (np.linalg.LinAlgError, ValueError):
                continue
        if fit is None or attempt.converged or attempt.llf > fit.llf:
            fit, caught = attempt, got
        if attempt.converged:
            break
    if fit is None:
        raise ValueError(f"formula={formula!r}: the mixed model could not be fitted")
    converged = bool(fit.converged)
    caught = [w for w in caught if "converge" not in str(w.message).lower()]
    if not converged:
        caught.append(warnings.WarningMessage("not converged", UserWarning, "", 0))
    _reissue(caught, f"linear mixed model ({random}) did not converge")
    est = np.asarray(fit.fe_params, dtype=float)
    cov_re = np.asarray(fit.cov_re, dtype=float)
    se = np.sqrt(np.diag(_gls_cov(x.to_numpy(dtype=float), exog_re, groups, cov_re, fit.scale)))
    z, p, lo, hi = wald(est, se, level)
    params = tidy_frame(x.columns, est, se, z, p, lo, hi)
    comp = [("intercept", cov_re[0, 0])]
    if random == "slope":
        comp += [("slope", cov_re[1, 1]), ("intercept:slope", cov_re[0, 1])]
    comp.append(("residual", float(fit.scale)))
    variance = pd.DataFrame(comp, columns=["component", "estimate"])
    return LMMResult(
        params=params,
        variance=variance,
        formula=formula,
        random=random,
        time=time if random == "slope" else None,
        reml=reml,
        scale=scale,
        n_obs=len(rows),
        n_patients=len(np.unique(groups)),
        n_excluded=n_rows - len(rows),
        loglik=float(fit.llf),
        converged=converged,
        level=level,
    )


def _gls_cov(x, z, groups, g, sigma2) -> np.ndarray:
    """``(sum_i X_i' V_i^-1 X_i)^-1`` with ``V_i = Z_i G Z_i' + sigma2 I`` (Woodbury)."""
    # V^-1 = (I - Z (sigma2 G^-1 + Z'Z)^-1 Z') / sigma2, accumulated over groups
    order = np.argsort(groups, kind="stable")
    x, z, groups = x[order], z[order], groups[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ends = np.r_[starts[1:], len(groups)]
    g_inv = np.linalg.pinv(g)
    info = np.zeros((x.shape[1], x.shape[1]))
    for a, b in zip(starts, ends, strict=True):
        xi, zi = x[a:b], z[a:b]
        m = sigma2 * g_inv + zi.T @ zi
        zx = zi.T @ xi
        info += (xi.T @ xi - zx.T @ np.linalg.solve(m, zx)) / sigma2
    return np.linalg.inv(info)
