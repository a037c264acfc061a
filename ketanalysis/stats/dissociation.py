"""Early dissociation and later response: :func:`dissociation_response`.

The peak CADSS of each patient's first treatment session(s) against a per-patient
response: a logistic regression (odds ratio per ``per`` CADSS points), the point-biserial
correlation and Spearman's rho, in the result shape of :mod:`.results`. Nothing here
imports matplotlib.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from .arguments import check_columns, check_level
from .frames import cadss_frame
from .intervals import fisher_interval, wald
from .results import ResultViews, ratio_columns, tidy_frame

__all__ = ["DissociationResponseResult", "dissociation_response"]


# ---------------------------------------------------------------------------------------
# dissociation and response
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DissociationResponseResult(ResultViews):
    """Relation between early dissociation and later response (:func:`dissociation_response`).

    Attributes
    ----------
    params : DataFrame
        The three statistics, the same as :meth:`tidy`.
    coefficients : DataFrame
        The logistic model, one row per term: ``term``, ``estimate`` (log odds), ``se``,
        ``statistic`` (Wald z), ``p_value``, ``ci_low``, ``ci_high`` (on the log-odds
        scale), ``or``, ``or_ci_low``, ``or_ci_high`` (odds ratio and its interval).
    data : DataFrame
        One row per patient used: ``patient_id``, ``cadss`` (the exposure), ``n_cadss``
        (sessions it averages), ``response`` (0/1) and the covariates.
    outcome, scale : str
        The outcome column (of the patients) and scale.
    infusions : int
        The exposure is the mean peak CADSS of each patient's first ``infusions``
        treatment sessions.
    per : float
        The odds ratio is per ``per`` CADSS points.
    n : int
        Patients used.
    n_excluded : int
        Patients with a CADSS or a response but not both (or a missing covariate).
    loglik : float
        Log-likelihood of the logistic model (missing when it could not be fitted).
    converged : bool
        Whether the logistic model converged.
    level : float
        The confidence level.
    """

    params: pd.DataFrame = field(repr=False)
    coefficients: pd.DataFrame = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    outcome: str
    scale: str | None
    infusions: int
    per: float
    n: int
    n_excluded: int
    loglik: float = np.nan
    converged: bool = True
    level: float = 0.95

    def tidy(self) -> pd.DataFrame:
        """One row per statistic of the association.

        Returns
        -------
        DataFrame
            ``term``: ``"log_odds_ratio"`` (of response per ``per`` CADSS points, from the
            logistic model), ``"point_biserial_r"``, ``"spearman_rho"``; ``estimate``;
            ``se`` (log odds ratio: Wald; correlations: the SE of Fisher's z their
            interval is built on, 1/sqrt(n - 3) and sqrt(1.06/(n - 3))); ``statistic``
            (log odds ratio: Wald z; correlations: t with n - 2 degrees of freedom, the
            test behind their p-values); ``df`` (missing for the z statistic);
            ``p_value``; ``ci_low``, ``ci_high`` (on the scale of ``estimate``); ``or``,
            ``or_ci_low``, ``or_ci_high`` (the odds ratio and its interval, on the
            ``log_odds_ratio`` row only); ``n`` (patients).
        """
        return self.params.copy()

    def glance(self) -> pd.DataFrame:
        """The analysis in one row.

        Returns
        -------
        DataFrame
            ``n`` (patients), ``n_excluded``, ``n_responders``, ``loglik``, ``aic`` and
            ``df`` of the logistic model, ``converged``, ``method``
            (``"logistic regression"``), ``outcome``, ``scale``, ``infusions``, ``per``,
            ``level``.
        """
        k = len(self.coefficients)
        return pd.DataFrame(
            [
                {
                    "n": self.n,
                    "n_excluded": self.n_excluded,
                    "n_responders": int(self.data["response"].sum()),
                    "loglik": self.loglik,
                    "aic": -2 * self.loglik + 2 * k,
                    "df": k,
                    "converged": self.converged,
                    "method": "logistic regression",
                    "outcome": self.outcome,
                    "scale": self.scale,
                    "infusions": self.infusions,
                    "per": self.per,
                    "level": self.level,
                }
            ]
        )

    def _title(self) -> str:
        return (
            f"Dissociation and response: mean peak CADSS of the first {self.infusions} "
            f"session(s) and {self.outcome}{' (' + self.scale + ')' if self.scale else ''}; "
            f"{self.n} patients"
        )


def dissociation_response(
    safety,
    data,
    *,
    outcome: str = "ever_response",
    scale: str | None = None,
    infusions: int = 1,
    per: float = 10.0,
    covariates: Sequence[str] = (),
    level: float = 0.95,
) -> DissociationResponseResult:
    """Relate the peak CADSS of the first treatment session(s) to later response.

    Parameters
    ----------
    safety : SafetyOutcomes or DataFrame
        Peak CADSS per session: :func:`ketanalysis.derive_safety` output (with
        scores), or a frame with ``patient_id``, ``cadss`` and ``infusion`` (or a score
        frame with CADSS rows, as for :func:`cadss_course`).
    data : Outcomes or DataFrame
        Per-patient outcomes: an :class:`~ketanalysis.Outcomes` (its ``patients``) or a
        frame with ``patient_id`` and the ``outcome`` column.
    outcome : str, default "ever_response"
        A binary per-patient column, e.g. ``"ever_response"``, ``"ever_remission"``,
        ``"sustained_response"``.
    scale : str, optional
        The scale of the outcome (default: the first scale of ``data``).
    infusions : int, default 1
        Exposure: the mean peak CADSS over each patient's first ``infusions`` treatment
        sessions (those with a CADSS among them).
    per : float, default 10
        Odds ratio per ``per`` CADSS points.
    covariates : sequence of str
        Per-patient columns of ``data`` (or of the sessions, e.g. ``"route"``)
        adjusted for in the logistic model (categorical when not numeric).
    level : float, default 0.95

    Returns
    -------
    DissociationResponseResult
        ``tidy()``: the log odds ratio (and odds ratio) of response per ``per`` CADSS
        points (logistic regression), the point-biserial correlation and Spearman's rho,
        each with its interval, p-value and n.

    Notes
    -----
    Logistic regression ``logit P(response) = b0 + b1 * cadss / per (+ covariates)`` by
    maximum likelihood (statsmodels GLM, binomial); odds ratio ``exp(b1)`` with a Wald
    interval. With one row per patient this is also the logistic GEE with any working
    correlation. The point-biserial correlation is Pearson's r between CADSS and the 0/1
    response (p-value from the t test of scipy); Spearman's rho ranks CADSS (ties
    averaged). Intervals of both by Fisher's z: ``tanh(atanh(r) -/+ q / sqrt(n - 3))``,
    for rho with the variance ``1.06 / (n - 3)`` of Fieller, Hartley and Pearson
    (Biometrika 1957;44:470-481). Ketamine studies differ on whether early dissociation
    predicts response (e.g. Luckenbaugh DA et al. J Affect Disord 2014;159:56-61: yes;
    later pooled analyses: not consistently); an association here is not a causal effect.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.dissociation import dissociation_response
    >>> scores = ka.read_scores("data/sample/cohort_long.csv")
    >>> res = dissociation_response(scores, ka.derive(scores), scale="MADRS")
    >>> res.tidy()["term"].tolist()
    ['log_odds_ratio', 'point_biserial_r', 'spearman_rho']
    >>> res.n
    150
    """
    import statsmodels.api as sm

    check_level(level)
    if isinstance(infusions, bool) or not isinstance(infusions, (int, np.integer)):
        raise ValueError(f"infusions must be a positive integer, got {infusions!r}")
    if infusions < 1:
        raise ValueError(f"infusions must be a positive integer, got {infusions!r}")
    if not isinstance(per, (int, float, np.number)) or not per > 0:
        raise ValueError(f"per must be a positive number, got {per!r}")
    frame = cadss_frame(safety, "infusion")
    check_columns(frame, ["patient_id", "infusion", "cadss"], "safety")
    early = frame.loc[(frame["infusion"] <= infusions).to_numpy() & frame["cadss"].notna()]
    g = early.groupby("patient_id", sort=True)["cadss"]
    expo = pd.DataFrame({"cadss": g.mean(), "n_cadss": g.count()}).reset_index()
    pats, scale = _patients(data, scale)
    check_columns(pats, ["patient_id", outcome], "outcome")
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    cov_in_pats = [c for c in covariates if c in pats]
    cov_in_sessions = [c for c in covariates if c not in pats]
    check_columns(frame, cov_in_sessions, "covariates")
    y = pats[["patient_id", outcome, *cov_in_pats]].rename(columns={outcome: "response"})
    merged = expo.merge(y, on="patient_id", how="outer", sort=True)
    if cov_in_sessions:
        first = frame.groupby("patient_id", sort=True)[cov_in_sessions].first().reset_index()
        merged = merged.merge(first, on="patient_id", how="left")
    resp = merged["response"]
    if pd.api.types.is_bool_dtype(resp) or isinstance(resp.dtype, pd.BooleanDtype):
        resp = resp.astype("Float64")
    resp = pd.to_numeric(resp, errors="coerce").astype(float)
    if resp.notna().any() and not resp.dropna().isin([0.0, 1.0]).all():
        raise ValueError(f"outcome={outcome!r} must be binary (True/False or 0/1)")
    merged["response"] = resp
    complete = merged[["cadss", "response", *covariates]].notna().all(axis=1).to_numpy()
    used = merged.loc[complete].reset_index(drop=True)
    n, n_excluded = len(used), int((~complete).sum())
    if n < 4 or used["response"].nunique() < 2:
        raise ValueError(
            f"dissociation_response needs at least 4 patients with both outcomes and CADSS, "
            f"responders and non-responders; got {n} patients"
        )
    x = used["cadss"].to_numpy(dtype=float)
    yv = used["response"].to_numpy(dtype=float)
    # logistic regression
    import patsy

    design = used.assign(_cadss_per=x / per)
    rhs = " + ".join(["_cadss_per", *[_term(used, c) for c in covariates]])
    X = patsy.dmatrix(rhs, design, return_type="dataframe")
    loglik, converged = np.nan, False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.GLM(yv, X, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
            est, se = np.asarray(fit.params, float), np.asarray(fit.bse, float)
            loglik, converged = float(fit.llf), bool(fit.converged)
        except Exception as exc:  # perfect separation and the like
            warnings.warn(f"logistic regression failed: {exc}", UserWarning, stacklevel=2)
            est = se = np.full(X.shape[1], np.nan)
    for w in caught:
        if "separation" in str(w.message).lower():
            warnings.warn(
                "perfect separation in the logistic regression: the odds ratio is not estimable",
                UserWarning,
                stacklevel=2,
            )
    z, p, lo, hi = wald(est, se, level)
    terms = [t.replace("_cadss_per", f"cadss/{per:g}") for t in X.columns]
    coef = tidy_frame(terms, est, se, z, p, lo, hi, extra=ratio_columns("or", est, lo, hi))
    b = coef.loc[(coef["term"] == f"cadss/{per:g}").to_numpy()].iloc[0]
    # correlations: Pearson (point-biserial) by scipy, with scipy's Fisher-z interval;
    # Spearman's rho with the variance 1.06 / (n - 3) of Fieller, Hartley and Pearson
    # (scipy's Pearson interval on the ranks would use 1 / (n - 3))
    pear = _st.pearsonr(x, yv)
    ci = pear.confidence_interval(confidence_level=level) if n > 3 else None
    r = float(pear.statistic)
    rho, p_rho = _st.spearmanr(x, yv)
    rho = float(rho)
    se_r = fisher_interval(r, n, level)[2]
    lo_rho, hi_rho, se_rho = fisher_interval(rho, n, level, 1.06)
    nan = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        t_r, t_rho = (v * np.sqrt((n - 2) / (1 - v**2)) for v in (r, rho))
    params = tidy_frame(
        ["log_odds_ratio", "point_biserial_r", "spearman_rho"],
        [b["estimate"], r, rho],
        [b["se"], se_r, se_rho],
        [b["statistic"], t_r, t_rho],
        [b["p_value"], float(pear.pvalue), float(p_rho)],
        [b["ci_low"], ci.low if ci is not None else nan, lo_rho],
        [b["ci_high"], ci.high if ci is not None else nan, hi_rho],
        df=[nan, n - 2, n - 2],
        extra={
            "or": [b["or"], nan, nan],
            "or_ci_low": [b["or_ci_low"], nan, nan],
            "or_ci_high": [b["or_ci_high"], nan, nan],
            "n": n,
        },
    )
    return DissociationResponseResult(
        params=params,
        coefficients=coef,
        data=used[["patient_id", "cadss", "n_cadss", "response", *covariates]],
        outcome=outcome,
        scale=scale,
        infusions=int(infusions),
        per=float(per),
        n=n,
        n_excluded=n_excluded,
        loglik=loglik,
        converged=converged,
        level=level,
    )


def _term(frame: pd.DataFrame, col: str) -> str:
    if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]):
        return f"Q({col!r})"
    return f"C(Q({col!r}))"


def _patients(data, scale) -> tuple[pd.DataFrame, str | None]:
    from ..outcomes import Outcomes

    if isinstance(data, Outcomes):
        pats = data.patients
        order = list(data.scales)
    elif isinstance(data, pd.DataFrame):
        pats = data
        order = [str(s) for s in pd.unique(pats["scale"].dropna())] if "scale" in pats else []
    else:
        raise TypeError(f"data must be an Outcomes or a DataFrame, got {type(data).__name__}")
    if "scale" not in pats:
        if scale is not None:
            raise ValueError(f"scale={scale!r} given but the outcomes have no 'scale' column")
        return pats, None
    if scale is None:
        if not order:
            raise ValueError("the outcomes have no rows")
        scale = order[0]
    if scale not in set(pats["scale"]):
        raise ValueError(
            f"scale={scale!r} is not in the outcomes; scales present: {', '.join(order)}"
        )
    return pats.loc[(pats["scale"] == scale).to_numpy()], scale
