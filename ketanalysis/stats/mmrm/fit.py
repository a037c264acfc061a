"""Fitting an MMRM: start values, optimisation, convergence check, inference quantities."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .covariance import Structure
from .design import Design
from .likelihood import Engine, build_patterns


class MMRMConvergenceWarning(UserWarning):
    """The optimiser stopped before the convergence criterion was met."""


@dataclass
class Fit:
    theta: np.ndarray
    Sigma: np.ndarray
    ev: dict
    engine: Engine
    iterations: int
    n_evaluations: int
    gradient: np.ndarray
    criterion: float
    converged: bool
    message: str


def start_covariance(design: Design) -> np.ndarray:
    """Pairwise moment estimate of the residual covariance after ordinary least squares."""
    X = design.X
    beta = np.linalg.solve(X.T @ X, X.T @ design.y)
    r = design.y - X @ beta
    T = len(design.sessions)
    n_subj = len(design.subjects)
    R = np.full((n_subj, T), np.nan)
    R[design.subject_codes, design.session_codes] = r
    obs = ~np.isnan(R)
    R0 = np.where(obs, R, 0.0)
    count = obs.T.astype(float) @ obs.astype(float)
    S = (R0.T @ R0) / np.maximum(count, 1.0)
    var = np.diag(S).copy()
    var[var <= 0] = max(np.mean(var[var > 0]) if np.any(var > 0) else 1.0, 1e-8)
    S[np.diag_indices(T)] = var
    return _positive_definite(S)


def _positive_definite(S: np.ndarray, floor: float = 0.05) -> np.ndarray:
    """S if positive definite, else its correlations projected to eigenvalues >= floor.

    Pairwise moments from incomplete data need not form a positive definite matrix (small
    samples, few subjects seen at both sessions of a pair); the variances are kept and the
    correlation matrix is projected, so the optimiser starts inside the parameter space:
    :func:`statsmodels.stats.correlation_tools.cov_nearest` with ``method="clipped"``
    (eigenvalues of the correlation matrix clipped at ``floor``, then rescaled to a unit
    diagonal).
    """
    from statsmodels.stats.correlation_tools import cov_nearest

    try:
        np.linalg.cholesky(S)
        return S
    except np.linalg.LinAlgError:
        pass
    return cov_nearest((S + S.T) / 2, method="clipped", threshold=floor)


def check_identifiable(design: Design, structure: Structure, n_theta: int) -> None:
    n_subj = len(design.subjects)
    if structure.n < 2:
        raise ValueError(
            f"data: an MMRM needs at least two sessions; found {structure.n} "
            f"({', '.join(str(s) for s in design.sessions)})"
        )
    if n_subj < n_theta:
        raise ValueError(
            f"data: {n_subj} subjects cannot estimate the {n_theta} parameters of the "
            f"{structure.name!r} covariance over {structure.n} sessions; use a structure "
            "with fewer parameters (for example 'cs' or 'ar1') or more subjects"
        )
    N, p = design.X.shape
    if N - p < 1:
        raise ValueError(f"data: {N} observations for {p} fixed-effect parameters")
    if structure.name == "us":
        T = structure.n
        obs = np.zeros((n_subj, T))
        obs[design.subject_codes, design.session_codes] = 1.0
        together = obs.T @ obs
        a, b = np.nonzero(np.triu(together == 0, 1))
        if len(a):
            pairs = [
                f"({design.sessions[i]}, {design.sessions[j]})" for i, j in zip(a, b, strict=True)
            ]
            raise ValueError(
                "covariance: no subject is observed at both sessions of "
                f"{', '.join(pairs[:20])}, so their unstructured covariance is not "
                "identifiable; use a structured covariance such as 'ar1' or 'toeplitz'"
            )


def make_engine(design: Design, T: int, reml: bool) -> Engine:
    subj = design.subject_codes
    n_subj = len(design.subjects)
    starts = np.searchsorted(subj, np.arange(n_subj))
    obs = np.zeros((n_subj, T), dtype=bool)
    obs[subj, design.session_codes] = True
    keys, subj_pattern = np.unique(obs, axis=0, return_inverse=True)
    pattern_idx = [np.flatnonzero(k) for k in keys]
    patterns = build_patterns(design.X, design.y, starts, subj_pattern.ravel(), pattern_idx)
    return Engine(patterns, T, reml)


def fit_model(design: Design, structure: Structure, reml: bool, control) -> Fit:
    T = len(design.sessions)
    engine = make_engine(design, T, reml)
    S0 = control.start if control.start is not None else start_covariance(design)
    S0 = np.asarray(S0, dtype=float)
    if S0.shape != (T, T):
        raise ValueError(f"control.start: expected a {T} x {T} matrix, got shape {S0.shape}")
    theta0 = structure.start(S0)
    counter = {"n": 0}

    def evaluate(theta):
        counter["n"] += 1
        Sigma = structure.sigma(theta)
        ev = engine.evaluate(Sigma, grad=True)
        if ev is None or not np.isfinite(ev["f"]):
            return np.inf, np.zeros_like(theta), None
        g = np.einsum("kab,ab->k", structure.dsigma(theta), ev["G"])
        return ev["f"], g, ev

    def fun(theta):
        f, g, _ = evaluate(theta)
        return f, g

    theta, iterations, ok, message = theta0, 0, False, ""
    if control.max_iter == 0:
        ok, message = True, "not optimised (max_iter=0): evaluated at the start values"
    elif control.optimizer.lower() == "fisher":
        theta, iterations, ok, message = _fisher_scoring(
            evaluate, engine, structure, theta0, control
        )
    if not ok:  # quasi-Newton (requested, or when scoring stalls), then scoring to polish
        method = "L-BFGS-B" if control.optimizer.lower() == "fisher" else control.optimizer
        res = optimize.minimize(
            fun,
            theta,
            jac=True,
            method=method,
            options={"maxiter": control.max_iter, **_tolerances(method)},
        )
        theta = res.x
        iterations += int(res.nit)
        message = (f"{message}; " if message else "") + f"{method}: {res.message}"
        if control.polish:
            theta, it2, ok, msg2 = _fisher_scoring(evaluate, engine, structure, theta, control)
            iterations += it2
            message += f"; {msg2}"
    Sigma = structure.sigma(theta)
    ev = engine.evaluate(Sigma, grad=True, exact=True)
    if ev is None:
        raise RuntimeError(
            "the optimiser ended at a singular covariance matrix; try another covariance "
            "structure or control.start"
        )
    dS = structure.dsigma(theta)
    g = np.einsum("kab,ab->k", dS, ev["G"])
    info = engine.inference(ev, dS, None, "expected", kr=False)["info"]
    try:
        decrement = float(0.5 * g @ np.linalg.solve(info, 0.5 * g))
    except np.linalg.LinAlgError:
        decrement = np.inf
    criterion = _criterion(decrement, ev["f"]) if np.isfinite(decrement) else np.inf
    converged = bool(abs(criterion) < control.tol)
    if not converged and control.max_iter > 0:
        warnings.warn(
            f"MMRM fit did not converge: relative Hessian criterion g'H^-1g/|-2logL| "
            f"{criterion:.3g} (tolerance {control.tol:g}), max |gradient| {np.abs(g).max():.3g} after "
            f"{iterations} iterations ({message}). Results may be inaccurate; try "
            "MMRMControl(max_iter=...) or another optimizer or covariance structure.",
            MMRMConvergenceWarning,
            stacklevel=3,
        )
    return Fit(theta, Sigma, ev, engine, iterations, counter["n"], g, criterion, converged, message)


def _criterion(decrement: float, f: float) -> float:
    """SAS's relative Hessian criterion g'H^-1 g / |f| for f = -2 log L (H = 2 I)."""
    return 2.0 * decrement / max(abs(f), 1.0)


def _tolerances(method: str) -> dict:
    m = method.lower()
    if m == "l-bfgs-b":
        return {"ftol": 1e-14, "gtol": 1e-9, "maxcor": 20}
    if m == "bfgs":
        return {"gtol": 1e-7}
    return {}


def _fisher_scoring(evaluate, engine, structure, theta, control):
    """Fisher scoring with step halving on the unconstrained parameters.

    Returns (theta, iterations, converged, message). The step solves
    ``I(theta) step = gradient of -l`` with the expected (REML or ML) information.
    """
    f, g, ev = evaluate(theta)
    if ev is None:
        return theta, 0, False, "Fisher scoring: singular start"
    for it in range(1, control.max_iter + 1):
        info = engine.inference(ev, structure.dsigma(theta), None, "expected", kr=False)["info"]
        try:
            step = np.linalg.solve(info, 0.5 * g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, 0.5 * g, rcond=None)[0]
        decrement = 0.5 * g @ step
        if not np.isfinite(decrement) or decrement < 0:
            return theta, it, False, "Fisher scoring: information not positive definite"
        if _criterion(decrement, f) < 1e-2 * control.tol:
            return theta, it, True, "Fisher scoring converged"
        t = 1.0
        while True:  # Armijo: a decrease of at least 1e-4 of the predicted one
            new = theta - t * step
            f_new, g_new, ev_new = evaluate(new)
            if ev_new is not None and f_new <= f - 2e-4 * t * decrement:
                break
            t /= 2.0
            if t < 1e-10:
                if _criterion(decrement, f) < control.tol:  # rounding level of -2 log L
                    return theta, it, True, "Fisher scoring converged (rounding level)"
                return theta, it, False, "Fisher scoring: no decrease along the step"
        theta, f, g, ev = new, f_new, g_new, ev_new
    return theta, control.max_iter, False, "Fisher scoring: maximum number of iterations"
