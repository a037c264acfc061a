"""Mixed model for repeated measures (MMRM) with SAS PROC MIXED conventions.

:func:`mmrm` fits ``y_s = X_s beta + e_s``, ``e_s ~ N(0, Sigma[o_s, o_s])`` for subjects s
observed at the sessions ``o_s``, with an unstructured or structured ``Sigma``, by REML or
ML, and returns an :class:`MMRMResult` with fixed effects, LS-means, contrasts and Type 3
tests using Kenward-Roger, Satterthwaite or residual degrees of freedom.
"""

from __future__ import annotations

import html
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy

from ..arguments import check_level
from ..results import ResultViews, tidy_frame
from .blas import single_threaded_blas
from .control import MMRMControl
from .covariance import STRUCTURES, make_structure
from .degrees_of_freedom import DF_METHODS, Inference, estimates, f_test, t_table
from .design import Design, build_design, grid_matrix, reference_grid
from .fit import MMRMConvergenceWarning, check_identifiable, fit_model

__all__ = ["MMRMControl", "MMRMConvergenceWarning", "MMRMResult", "mmrm"]

_STAT_COLUMNS = ["estimate", "se", "statistic", "df", "p_value", "ci_low", "ci_high"]


@dataclass(frozen=True)
class _Terms:
    """What LS-means and tests need of the design (no data)."""

    design_info: patsy.DesignInfo
    factor_vars: dict
    factor_codes: dict
    covariate_means: dict
    mixed_vars: set
    type3: list


@dataclass(frozen=True, eq=False)
class MMRMResult(ResultViews):
    """A fitted MMRM (returned by :func:`mmrm`; immutable).

    Attributes
    ----------
    params : DataFrame
        Fixed effects, one row per design column: ``term`` (column name), ``estimate``,
        ``se`` (Kenward-Roger adjusted when ``df_method`` is ``"kenward-roger"``, else
        model-based), ``df``, ``t``, ``p_value`` (two-sided), ``ci_low``, ``ci_high``
        (95 %).
    covariance : DataFrame
        Estimated residual covariance matrix, sessions x sessions.
    cov_params : DataFrame
        Covariance parameters in SAS's parameterisation: ``parameter`` (SAS name such as
        ``UN(5,4)``), ``estimate``, ``se`` (from the inverse observed information).
    vcov : DataFrame
        Covariance matrix of the fixed effects used for ``se`` (Kenward-Roger adjusted
        ``Phi_A`` or model-based ``(X'V^-1X)^-1``).
    loglik : float
        Log-likelihood at the optimum: the restricted (REML) one when ``reml``; ``-2 *
        loglik`` is SAS's "-2 Res Log Likelihood" (constant ``(n_obs - p) log(2 pi)``
        included).
    aic, bic : float
        SAS definitions: ``-2 loglik + 2 d`` and ``-2 loglik + d log(n_patients)`` with
        ``d`` the number of covariance parameters (REML) or covariance plus fixed-effect
        parameters (ML).
    n_patients, n_obs : int
        Subjects and observations used (rows with a missing response or covariate are
        dropped, as SAS does; ``n_dropped`` counts them).
    converged : bool
        Whether the convergence criterion (``MMRMControl.tol``) was met.
    iterations : int
        Iterations of the optimiser (plus Fisher-scoring polish).
    gradient_norm : float
        Largest absolute gradient of -2 log-likelihood in the optimiser's parameters.
    message : str
        The optimiser's message.
    formula, covariance_type, reml, df_method, sessions, n_dropped :
        How the model was fitted; ``sessions`` are the session labels in time order.

    Examples
    --------
    >>> import pandas as pd
    >>> import ketanalysis as ka
    >>> d = pd.read_csv("data/sample/cohort_long.csv").query("scale == 'MADRS'")
    >>> base = d[d["session"] == 0].set_index("patient_id")["score"]
    >>> d = d[d["session"].between(1, 6)].assign(baseline=lambda x: x["patient_id"].map(base))
    >>> d["change"] = d["score"] - d["baseline"]
    >>> fit = ka.stats.mmrm(d, "change ~ baseline*C(session) + route*C(session)")
    >>> round(-2 * fit.loglik, 2), round(fit.aic, 1)
    (4941.4, 4983.4)
    >>> fit.lsmeans("route")[["route", "estimate", "se"]].round(2)
            route  estimate    se
    0          IM     -8.84  1.70
    1          IV    -12.55  0.83
    2  intranasal    -10.63  1.45
    >>> fit.type3()[["term", "num_df"]]
                      term  num_df
    0           C(session)       5
    1                route       2
    2     route:C(session)      10
    3             baseline       1
    4  baseline:C(session)       5
    """

    params: pd.DataFrame = field(repr=False)
    covariance: pd.DataFrame = field(repr=False)
    cov_params: pd.DataFrame = field(repr=False)
    vcov: pd.DataFrame = field(repr=False)
    loglik: float
    aic: float
    bic: float
    n_patients: int
    n_obs: int
    converged: bool
    iterations: int
    gradient_norm: float
    message: str
    formula: str
    covariance_type: str
    reml: bool
    df_method: str
    sessions: tuple
    n_dropped: int
    _terms: _Terms = field(repr=False)
    _inference: Inference = field(repr=False)

    # -- LS-means and contrasts -----------------------------------------------------------
    def _variables(self, names, role: str) -> list:
        if names is None:
            return []
        names = [names] if isinstance(names, str) else list(names)
        out = []
        for name in names:
            var = self._terms.factor_codes.get(name, name)
            if var not in self._terms.factor_vars:
                raise ValueError(
                    f"{role}: {name!r} is not a categorical factor of the model; factors: "
                    f"{list(self._terms.factor_vars)}"
                )
            out.append(var)
        return out

    def _lsmean_rows(self, specs, by, at):
        spec_vars = self._variables(specs, "specs")
        by_vars = self._variables(by, "by")
        if not spec_vars:
            raise ValueError("specs: name at least one categorical factor")
        both = set(spec_vars) & set(by_vars)
        if both:
            raise ValueError(f"by: {sorted(both)} also in specs")
        grid, mask = reference_grid(self._terms, at)
        Xg = grid_matrix(self._terms, grid)[mask]
        grid = grid[mask].reset_index(drop=True)
        keys = by_vars + spec_vars
        groups: dict = {}
        for i, combo in enumerate(zip(*(grid[k].tolist() for k in keys), strict=True)):
            groups.setdefault(combo, []).append(i)
        labels = list(groups)
        rows = [Xg[idx].mean(axis=0) for idx in groups.values()]
        order = sorted(
            range(len(labels)),
            key=lambda i: tuple(
                self._level_pos(k, v) for k, v in zip(keys, labels[i], strict=True)
            ),
        )
        labels = [labels[i] for i in order]
        L = np.array([rows[i] for i in order])
        return keys, by_vars, spec_vars, labels, L

    def _level_pos(self, var, value):
        levels = self._terms.factor_vars[var]
        return levels.index(value) if value in levels else len(levels)

    def _table(self, L, level):
        check_level(level)
        est, se, df = estimates(self._inference, L)
        return {"estimate": est, "se": se, "df": df, **t_table(est, se, df, level)}

    def lsmeans(self, specs, by=None, at=None, *, level: float = 0.95) -> pd.DataFrame:
        """Least-squares means (estimated marginal means), as SAS LSMEANS and emmeans.

        Each LS-mean is the prediction on the reference grid averaged with equal weights
        over the levels of the factors not named in ``specs`` or ``by``; covariates are
        at their mean over the rows used in the fit (numeric variables, before any
        transformation in the formula).

        Parameters
        ----------
        specs : str or list of str
            Factor(s) whose levels get an LS-mean (data column names such as ``"THERAPY"``
            or their formula codes such as ``"C(VISIT)"``).
        by : str or list of str, optional
            Factor(s) within whose levels the LS-means are computed.
        at : dict, optional
            Covariate values (``{"BASVAL": 20}``) or factor levels to keep
            (``{"VISIT": [7]}``).
        level : float
            Confidence level of the intervals.

        Returns
        -------
        DataFrame
            One row per level combination: the ``by`` columns, the ``specs`` columns,
            ``estimate``, ``se``, ``df``, ``t`` (against 0), ``p_value``, ``ci_low``,
            ``ci_high``.
        """
        keys, _, _, labels, L = self._lsmean_rows(specs, by, at)
        out = pd.DataFrame(labels, columns=keys)
        for k, v in self._table(L, level).items():
            out[k] = v
        return out

    def contrasts(
        self, specs, by=None, *, method="pairwise", ref=None, at=None, level: float = 0.95
    ) -> pd.DataFrame:
        """Differences of LS-means (SAS LSMEANS / DIFF; emmeans ``contrast``).

        Parameters
        ----------
        specs, by, at, level :
            As in :meth:`lsmeans`.
        method : {"pairwise", "revpairwise", "trt.vs.ctrl"} or dict
            ``"pairwise"``: every level minus every later level (``"DRUG - PLACEBO"``, as
            SAS and emmeans); ``"revpairwise"``: the reverse; ``"trt.vs.ctrl"``: every level
            minus ``ref``; a dict maps contrast names to weights over the ``specs`` levels.
        ref : level, optional
            Control level for ``"trt.vs.ctrl"`` (default the first level).

        Returns
        -------
        DataFrame
            The ``by`` columns, ``contrast`` (label), ``estimate``, ``se``, ``df``, ``t``,
            ``p_value`` (unadjusted, as SAS without ADJUST=), ``ci_low``, ``ci_high``.
        """
        keys, by_vars, spec_vars, labels, L = self._lsmean_rows(specs, by, at)
        nb = len(by_vars)
        groups: dict = {}
        for lab, row in zip(labels, L, strict=True):
            groups.setdefault(lab[:nb], []).append((lab[nb:], row))
        out_labels, out_rows = [], []
        for bkey, members in groups.items():
            names = [" ".join(str(x) for x in m[0]) for m in members]
            rows = np.array([m[1] for m in members])
            for cname, w in self._contrast_weights(method, ref, names, members):
                out_labels.append((*bkey, cname))
                out_rows.append(w @ rows)
        out = pd.DataFrame(out_labels, columns=[*by_vars, "contrast"])
        for k, v in self._table(np.array(out_rows), level).items():
            out[k] = v
        return out

    @staticmethod
    def _contrast_weights(method, ref, names, members):
        k = len(names)
        if isinstance(method, dict):
            for cname, w in method.items():
                w = np.asarray(w, dtype=float)
                if w.shape != (k,):
                    raise ValueError(
                        f"method: contrast {cname!r} has {w.size} weights for {k} levels ({names})"
                    )
                yield cname, w
            return
        eye = np.eye(k)
        if method == "pairwise":
            for i in range(k):
                for j in range(i + 1, k):
                    yield f"{names[i]} - {names[j]}", eye[i] - eye[j]
        elif method == "revpairwise":
            for i in range(k):
                for j in range(i + 1, k):
                    yield f"{names[j]} - {names[i]}", eye[j] - eye[i]
        elif method == "trt.vs.ctrl":
            if ref is None:
                r = 0
            else:
                ref_t = ref if isinstance(ref, tuple) else (ref,)
                found = [i for i, m in enumerate(members) if tuple(m[0]) == ref_t]
                if not found:
                    raise ValueError(f"ref: {ref!r} is not a level; levels: {names}")
                r = found[0]
            for i in range(k):
                if i != r:
                    yield f"{names[i]} - {names[r]}", eye[i] - eye[r]
        else:
            raise ValueError(
                f"method: expected 'pairwise', 'revpairwise', 'trt.vs.ctrl' or a dict, got "
                f"{method!r}"
            )

    def type3(self) -> pd.DataFrame:
        """Type 3 tests of the fixed effects (SAS "Type 3 Tests of Fixed Effects").

        The hypothesis of a term is that its columns are zero when every categorical
        factor is coded with sum-to-zero contrasts, i.e. equal-weight marginal means, which
        is SAS's Type 3 hypothesis when all cells are present. With Kenward-Roger df the F
        statistic is the scaled one of Kenward & Roger (1997).

        Returns
        -------
        DataFrame
            ``term``, ``num_df``, ``den_df``, ``f``, ``p_value``.
        """
        rows = [{"term": name, **f_test(self._inference, L)} for name, L in self._terms.type3]
        return pd.DataFrame(rows, columns=["term", "num_df", "den_df", "f", "p_value"])

    def test(self, L) -> pd.DataFrame:
        """F test of the hypothesis ``L beta = 0`` (rows of L over the ``params`` terms).

        Returns
        -------
        DataFrame
            One row: ``num_df``, ``den_df``, ``f``, ``p_value``.
        """
        L = np.atleast_2d(np.asarray(L, dtype=float))
        if L.shape[1] != len(self.params):
            raise ValueError(f"L: expected {len(self.params)} columns, got {L.shape[1]}")
        return pd.DataFrame([f_test(self._inference, L)])

    # -- display --------------------------------------------------------------------------
    def tidy(self) -> pd.DataFrame:
        """The fixed effects, one row per design column.

        Returns
        -------
        DataFrame
            ``term``, ``estimate``, ``se``, ``statistic`` (t against 0), ``df`` (of
            ``df_method``), ``p_value`` (two-sided), ``ci_low``, ``ci_high`` (t interval
            of the estimate at the fit's 95 %); the ``params`` table with ``t`` named
            ``statistic``.
        """
        p = self.params
        return tidy_frame(
            p["term"],
            p["estimate"],
            p["se"],
            p["t"],
            p["p_value"],
            p["ci_low"],
            p["ci_high"],
            df=p["df"],
        )

    def glance(self) -> pd.DataFrame:
        """The fit in one row.

        Returns
        -------
        DataFrame
            ``n`` (subjects), ``n_obs``, ``n_dropped``, ``n_sessions``, ``loglik``
            ((restricted) log-likelihood), ``aic``, ``bic`` (SAS definitions), ``df``
            (fixed-effect plus covariance parameters), ``converged``, ``iterations``,
            ``gradient_norm``, ``method`` (``"REML"`` or ``"ML"``), ``covariance``,
            ``df_method``, ``formula``.
        """
        return pd.DataFrame(
            [
                {
                    "n": self.n_patients,
                    "n_obs": self.n_obs,
                    "n_dropped": self.n_dropped,
                    "n_sessions": len(self.sessions),
                    "loglik": self.loglik,
                    "aic": self.aic,
                    "bic": self.bic,
                    "df": len(self.params) + len(self.cov_params),
                    "converged": self.converged,
                    "iterations": self.iterations,
                    "gradient_norm": self.gradient_norm,
                    "method": "REML" if self.reml else "ML",
                    "covariance": self.covariance_type,
                    "df_method": self.df_method,
                    "formula": self.formula,
                }
            ]
        )

    def _title(self) -> str:
        return f"MMRM: {self.formula}"

    def fit_statistics(self) -> pd.DataFrame:
        """Fit statistics (SAS "Dimensions" and "Fit Statistics").

        Returns
        -------
        DataFrame
            Columns ``statistic`` and ``value``: formula, covariance, method, df method,
            subjects, observations, sessions, fixed-effect and covariance parameters,
            -2 log-likelihood, AIC, BIC, converged, iterations, gradient norm.
        """
        ll = "-2 res log likelihood" if self.reml else "-2 log likelihood"
        rows = [
            ("formula", self.formula),
            ("covariance", self.covariance_type),
            ("method", "REML" if self.reml else "ML"),
            ("df", self.df_method),
            ("subjects", self.n_patients),
            ("observations", self.n_obs),
            ("sessions", len(self.sessions)),
            ("fixed-effect parameters", len(self.params)),
            ("covariance parameters", len(self.cov_params)),
            (ll, -2.0 * self.loglik),
            ("AIC", self.aic),
            ("BIC", self.bic),
            ("converged", self.converged),
            ("iterations", self.iterations),
            ("gradient norm", self.gradient_norm),
        ]
        return pd.DataFrame(rows, columns=["statistic", "value"])

    def __repr__(self) -> str:
        method = "REML" if self.reml else "ML"
        return (
            f"MMRMResult({self.formula!r}, covariance={self.covariance_type!r}, {method}, "
            f"df={self.df_method!r}, n_patients={self.n_patients}, n_obs={self.n_obs}, "
            f"-2LL={-2 * self.loglik:.4f}, converged={self.converged})"
        )

    def _repr_html_(self) -> str:
        fmt = {c: "{:.4g}".format for c in _STAT_COLUMNS}
        parts = [
            f"<strong>MMRM: {html.escape(self.formula)}</strong>",
            self.glance().to_html(index=False, float_format="{:.6g}".format),
            "<em>Fixed effects</em>",
            self.tidy().to_html(index=False, formatters=fmt),
            "<em>Covariance matrix</em>",
            self.covariance.to_html(float_format="{:.4f}".format),
        ]
        return "\n".join(parts)


def mmrm(
    data: pd.DataFrame,
    formula: str,
    *,
    patient: str = "patient_id",
    session: str = "session",
    covariance: str = "us",
    reml: bool = True,
    df: str = "kenward-roger",
    control: MMRMControl | None = None,
) -> MMRMResult:
    """Fit a mixed model for repeated measures (MMRM) by REML or ML.

    The model is ``y_s = X_s beta + e_s`` with ``e_s ~ N(0, Sigma[o_s, o_s])`` for every
    subject s observed at the sessions ``o_s``: missing sessions are absent rows (missing
    at random), and subjects with any number of sessions contribute. This is SAS PROC
    MIXED with a REPEATED statement (no RANDOM statement) and R ``nlme::gls``/``mmrm``.

    Parameters
    ----------
    data : DataFrame
        Long format: one row per subject and session.
    formula : str
        Fixed effects in patsy notation, ``"response ~ terms"``. Strings are categorical;
        wrap numeric codes in ``C()`` to make them categorical (``C(VISIT)``). ``a:b`` is
        the interaction alone, ``a*b`` is ``a + b + a:b``. SAS's
        ``MODEL CHANGE = BASVAL*VISIT THERAPY*VISIT`` (SAS's ``*`` is the interaction
        alone) is ``"CHANGE ~ BASVAL:C(VISIT) + C(THERAPY):C(VISIT)"``; the hierarchical
        ``"CHANGE ~ BASVAL*C(VISIT) + THERAPY*C(VISIT)"`` spans the same columns, so the
        fit, LS-means and contrasts are identical (only the Type 3 table is split
        differently). patsy codes factors full-rank (treatment contrasts) where SAS uses
        its rank-deficient GLM coding; LS-means do not depend on the parameterisation.
    patient : str
        Column identifying patients (default ``"patient_id"``).
    session : str
        Column of the sessions (visits) that index the covariance matrix, in time order
        (numbers, or an ordered categorical). Use it in ``formula`` (e.g. ``C(session)``)
        for visit-specific means. The ``ar1``/``toeplitz`` structures assume equally
        spaced sessions, as SAS does.
    covariance : {"us", "cs", "csh", "ar1", "ar1h", "toeplitz", "toeph"}
        Residual covariance: unstructured (SAS ``UN``), compound symmetry (``CS``) and its
        heterogeneous version (``CSH``), first-order autoregressive (``AR(1)``, ``ARH(1)``),
        Toeplitz (``TOEP``, ``TOEPH``).
    reml : bool
        Restricted maximum likelihood (default) or maximum likelihood.
    df : {"kenward-roger", "satterthwaite", "residual", "between-within"}
        Denominator degrees of freedom (SAS ``DDFM=``). ``"kenward-roger"`` also replaces
        the model-based covariance of the fixed effects by the adjusted one of Kenward &
        Roger (1997) for standard errors and tests, as SAS does.
    control : MMRMControl, optional
        Optimiser and inference settings.

    Returns
    -------
    MMRMResult
        ``params``, ``covariance``, ``loglik``, ``aic``, ``bic``, ``lsmeans()``,
        ``contrasts()``, ``type3()``, ``summary()``.

    Raises
    ------
    ValueError
        For an unknown option, missing subject/session values, two rows for one subject
        and session, a rank-deficient design (naming the empty or aliased columns; unlike
        SAS, aliased columns are not dropped), two sessions never observed together under
        ``"us"``, or fewer subjects than covariance parameters.

    Notes
    -----
    Subjects are grouped by their set of observed sessions, and each group's covariance
    block is factorised once per evaluation; large groups are reduced once to sufficient
    statistics, so an evaluation costs O(t^2 p^2) per pattern whatever the number of
    subjects. The restricted log-likelihood

    ``-2 l_R = (N - p) log(2 pi) + sum_s log|V_s| + log|X'V^-1 X| + r'V^-1 r``

    (``N`` observations, ``p`` fixed effects, ``V_s = Sigma[o_s, o_s]``, ``r = y - X beta``
    at the GLS estimate; SAS's definition, constant included) is minimised over a
    log-Cholesky (``us``) or log-variance / transformed-correlation parameterisation by
    Fisher scoring with the analytic gradient and expected information (L-BFGS-B takes over
    if scoring stalls); convergence is judged by SAS's relative Hessian criterion.
    ``-2 l_R`` depends on how the design columns are scaled (``log|X'V^-1X|``); 0/1
    dummy codings give SAS's value.

    Inference uses SAS's parameterisation of the covariance (the elements of ``Sigma`` for
    ``us``; CS covariance and residual for ``cs``; covariances by lag for ``toeplitz``;
    variances and correlations for the others) and the observed information, as SAS does.
    Both choices matter for Kenward-Roger: for ``us`` the covariance is linear in these
    parameters, so the second-derivative terms ``R_ij`` vanish (the "first-order" or
    "linear" variant), and only this with the observed information reproduces SAS DDFM=KR
    on the reference data (the expected information moves one df from 150 to 154; a
    log-Cholesky parameterisation with ``R_ij`` gives SE 1.1066 instead of 1.1163).
    Satterthwaite df use the same information; for one contrast they equal the
    Kenward-Roger df, whose standard errors come from the adjusted covariance.

    References: Kenward MG, Roger JH (1997). Small sample inference for fixed effects from
    restricted maximum likelihood. Biometrics 53:983-997. Mallinckrodt CH et al. (2008).
    Recommendations for the primary analysis of continuous endpoints in longitudinal
    clinical trials. Drug Inf J 42:303-319.

    Examples
    --------
    Change from baseline in MADRS over the six infusions of the sample cohort, by route:

    >>> import pandas as pd
    >>> import ketanalysis as ka
    >>> d = pd.read_csv("data/sample/cohort_long.csv").query("scale == 'MADRS'")
    >>> base = d[d["session"] == 0].set_index("patient_id")["score"]
    >>> d = d[d["session"].between(1, 6)].assign(baseline=lambda x: x["patient_id"].map(base))
    >>> d["change"] = d["score"] - d["baseline"]
    >>> fit = ka.stats.mmrm(d, "change ~ baseline*C(session) + route*C(session)")
    >>> fit.converged, fit.n_patients, fit.covariance.shape
    (True, 150, (6, 6))
    >>> lsm = fit.lsmeans("route", by="session")
    >>> list(lsm.columns)
    ['session', 'route', 'estimate', 'se', 'df', 't', 'p_value', 'ci_low', 'ci_high']
    >>> fit.contrasts("route", by="session", method="trt.vs.ctrl", ref="IV").shape
    (12, 9)
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if covariance not in STRUCTURES:
        raise ValueError(f"covariance: expected one of {STRUCTURES}, got {covariance!r}")
    if df not in DF_METHODS:
        raise ValueError(f"df: expected one of {DF_METHODS}, got {df!r}")
    if not isinstance(reml, (bool, np.bool_)):
        raise TypeError(f"reml: expected True or False, got {reml!r}")
    control = MMRMControl() if control is None else control
    if not isinstance(control, MMRMControl):
        raise TypeError(f"control: expected an MMRMControl, got {type(control).__name__}")

    eval_env = patsy.EvalEnvironment.capture(1)
    with single_threaded_blas():  # many small products: threads only wait (see _mmrm_blas)
        design = build_design(data, formula, patient, session, eval_env, control.rank_tol)
        structure = make_structure(covariance, design.sessions)
        check_identifiable(design, structure, structure.n_theta)
        fit = fit_model(design, structure, bool(reml), control)
        return _result(design, structure, fit, formula, covariance, bool(reml), df, control)


def _between_columns(design: Design) -> np.ndarray:
    X = design.X
    subj = design.subject_codes
    first = np.searchsorted(subj, subj)  # first row of each row's subject
    return np.all(np.abs(X - X[first]) < 1e-12, axis=0)


def _result(design, structure, fit, formula, covariance, reml, df, control) -> MMRMResult:
    ev = fit.ev
    Sigma = fit.Sigma
    phi = structure.natural(Sigma)
    first, second = structure.natural_derivatives(phi)
    kr = df == "kenward-roger"
    inf = fit.engine.inference(ev, first, second, control.information, kr=kr)
    W = inf["W"]
    if W is None and df in ("kenward-roger", "satterthwaite"):
        warnings.warn(
            "the information matrix of the covariance parameters is singular (a variance "
            "or correlation at the boundary?); Kenward-Roger/Satterthwaite df are not "
            "available and are reported as NaN, and standard errors are model-based",
            MMRMConvergenceWarning,
            stacklevel=3,
        )
    N, p = design.X.shape
    n_subj = len(design.subjects)
    between = _between_columns(design)
    rank_b = int(np.linalg.matrix_rank(design.X[:, between])) if between.any() else 0
    inference = Inference(
        beta=ev["beta"],
        Phi=ev["Phi"],
        Phi_A=inf.get("Phi_A", ev["Phi"]) if kr else None,
        W=W,
        P=inf["P"],
        df_resid=float(N - p),
        df_between=float(n_subj - rank_b),
        df_within=float(N - n_subj - (p - rank_b)),
        method=df,
        between_cols=between,
    )
    est, se, dfs = estimates(inference, np.eye(p))
    params = pd.DataFrame({"term": design.names, "estimate": est, "se": se, "df": dfs})
    for k, v in t_table(est, se, dfs).items():
        params[k] = v
    labels = pd.Index(design.sessions, name=None)
    cov_df = pd.DataFrame(Sigma, index=labels, columns=labels)
    cov_se = np.sqrt(np.diag(W)) if W is not None else np.full(len(phi), np.nan)
    cov_params = pd.DataFrame({"parameter": structure.natural_names, "estimate": phi, "se": cov_se})
    vcov = pd.DataFrame(inference.vcov, index=design.names, columns=design.names)
    loglik = -0.5 * ev["f"]
    d = structure.n_natural + (0 if reml else p)
    terms = _Terms(
        design_info=design.design_info,
        factor_vars=design.factor_vars,
        factor_codes=design.factor_codes,
        covariate_means=design.covariate_means,
        mixed_vars=design.mixed_vars,
        type3=design.type3,
    )
    return MMRMResult(
        params=params,
        covariance=cov_df,
        cov_params=cov_params,
        vcov=vcov,
        loglik=float(loglik),
        aic=float(-2.0 * loglik + 2.0 * d),
        bic=float(-2.0 * loglik + d * np.log(n_subj)),
        n_patients=n_subj,
        n_obs=N,
        converged=fit.converged,
        iterations=fit.iterations,
        gradient_norm=float(np.abs(fit.gradient).max()) if len(fit.gradient) else 0.0,
        message=fit.message,
        formula=formula,
        covariance_type=covariance,
        reml=reml,
        df_method=df,
        sessions=tuple(design.sessions),
        n_dropped=design.n_dropped,
        _terms=terms,
        _inference=inference,
    )
