"""Degrees of freedom and tests for linear combinations of the MMRM fixed effects.

Notation: ``Phi = (X'V^-1X)^-1``; ``P_m = X'V^-1 Sigma_m V^-1 X`` with ``Sigma_m`` the
derivative of the covariance with respect to parameter m; ``W`` the asymptotic covariance
of the covariance parameters (inverse information).

* Kenward & Roger (1997), Biometrics 53:983-997: the adjusted covariance ``Phi_A`` and, for
  a hypothesis matrix L of rank l, the scaled F statistic and denominator df ``m`` of their
  section 4 (equations as in SAS PROC MIXED DDFM=KR and R pbkrtest). For l = 1 the scale
  is 1 and ``m = 2 (l'Phi l)^2 / (g'Wg)``, ``g_m = l'Phi P_m Phi l``.
* Satterthwaite (1946) as in SAS DDFM=SATTERTHWAITE: ``nu = 2 (l'Phi l)^2 / (g'Wg)`` for one
  row; for l > 1 rows the spectral decomposition of ``L Phi L'`` (Fai & Cornelius 1996).
* residual: ``n_obs - rank(X)`` (SAS DDFM=RESIDUAL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

DF_METHODS = ("kenward-roger", "satterthwaite", "residual", "between-within")


@dataclass(frozen=True)
class Inference:
    beta: np.ndarray
    Phi: np.ndarray
    Phi_A: np.ndarray | None
    W: np.ndarray | None
    P: np.ndarray
    df_resid: float
    df_between: float
    df_within: float
    method: str
    between_cols: np.ndarray  # bool per column: varies only between subjects

    @property
    def vcov(self) -> np.ndarray:
        return self.Phi_A if self.method == "kenward-roger" else self.Phi


def _one_df(inf: Inference, row: np.ndarray, var: float) -> float:
    if inf.method == "residual":
        return inf.df_resid
    if inf.method == "between-within":
        on = np.abs(row) > 1e-12
        return inf.df_between if on.any() and inf.between_cols[on].all() else inf.df_within
    if inf.W is None:
        return np.nan
    u = inf.Phi @ row
    g = np.einsum("p,mpq,q->m", u, inf.P, u)
    den = g @ inf.W @ g
    return float(2.0 * var * var / den) if den > 0 else np.inf


def estimates(inf: Inference, L: np.ndarray):
    """Estimates, standard errors and df of the rows of L."""
    L = np.atleast_2d(np.asarray(L, dtype=float))
    est = L @ inf.beta
    se = np.sqrt(np.einsum("ip,pq,iq->i", L, inf.vcov, L))
    var0 = np.einsum("ip,pq,iq->i", L, inf.Phi, L)
    df = np.array([_one_df(inf, row, v) for row, v in zip(L, var0, strict=True)])
    return est, se, df


def t_table(est, se, df, level: float = 0.95) -> dict:
    """t statistics, two-sided p-values and confidence limits."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    p = 2.0 * stats.t.sf(np.abs(t), df)
    q = stats.t.ppf(0.5 + level / 2.0, df)
    return {"t": t, "p_value": p, "ci_low": est - q * se, "ci_high": est + q * se}


def _full_rank_rows(L: np.ndarray, Phi: np.ndarray) -> np.ndarray:
    """Rows spanning the same hypothesis with full row rank."""
    u, s, vt = np.linalg.svd(L, full_matrices=False)
    keep = s > 1e-10 * s.max()
    return vt[keep] * s[keep, None]


def f_test(inf: Inference, L: np.ndarray) -> dict:
    """F test of L beta = 0: num_df, den_df, f, p_value."""
    L = _full_rank_rows(np.atleast_2d(np.asarray(L, dtype=float)), inf.Phi)
    ell = L.shape[0]
    b = L @ inf.beta
    if inf.method == "kenward-roger" and inf.W is not None:
        F, den = _kenward_roger_f(inf, L, b)
    else:
        C = L @ inf.Phi @ L.T
        F = float(b @ np.linalg.solve(C, b)) / ell
        if inf.method == "residual":
            den = inf.df_resid
        elif inf.method == "between-within":
            den = _one_df(inf, np.abs(L).sum(0), 1.0)
        elif inf.W is None:
            den = np.nan
        else:
            den = _satterthwaite_f_df(inf, L, C)
    p = float(stats.f.sf(F, ell, den)) if np.isfinite(F) else np.nan
    return {"num_df": ell, "den_df": float(den), "f": float(F), "p_value": p}


def _satterthwaite_f_df(inf: Inference, L: np.ndarray, C: np.ndarray) -> float:
    ell = L.shape[0]
    d, E = np.linalg.eigh(C)
    nus = []
    for k in range(ell):
        row = E[:, k] @ L
        u = inf.Phi @ row
        g = np.einsum("p,mpq,q->m", u, inf.P, u)
        nus.append(2.0 * d[k] ** 2 / (g @ inf.W @ g))
    nus = np.array(nus)
    e = np.sum(nus[nus > 2] / (nus[nus > 2] - 2.0))
    return float(2.0 * e / (e - ell)) if e > ell else np.nan


def _kenward_roger_f(inf: Inference, L: np.ndarray, b: np.ndarray):
    """Scaled F statistic and denominator df of Kenward & Roger (1997), section 4."""
    ell = L.shape[0]
    Phi, W = inf.Phi, inf.W
    C = L @ Phi @ L.T
    Ci = np.linalg.inv(C)
    U = Phi @ L.T  # (p, l)
    # D_m = C^-1 U' P_m U: tr(Theta Phi P_m Phi) = tr(D_m), and the A2 traces are tr(D_m D_n)
    D = np.einsum("ab,pb,mpq,qc->mac", Ci, U, inf.P, U)
    tr = np.einsum("maa->m", D)
    A1 = float(tr @ W @ tr)
    A2 = float(np.einsum("mn,mab,nba->", W, D, D))
    B = (A1 + 6.0 * A2) / (2.0 * ell)
    g = ((ell + 1.0) * A1 - (ell + 4.0) * A2) / ((ell + 2.0) * A2)
    den = 3.0 * ell + 2.0 * (1.0 - g)
    c1, c2, c3 = g / den, (ell - g) / den, (ell + 2.0 - g) / den
    E = 1.0 / (1.0 - A2 / ell)
    V = (2.0 / ell) * (1.0 + c1 * B) / ((1.0 - c2 * B) ** 2 * (1.0 - c3 * B))
    rho = V / (2.0 * E * E)
    m = 4.0 + (ell + 2.0) / (ell * rho - 1.0)
    lam = m / (E * (m - 2.0))
    CA = L @ inf.Phi_A @ L.T
    F = float(b @ np.linalg.solve(CA, b)) / ell
    return lam * F, m
