"""Likelihood engine of the MMRM: subjects grouped by missingness pattern.

Subjects with the same set of observed sessions share the covariance block ``Sigma[o, o]``,
so its Cholesky factor, inverse and log-determinant are computed once per pattern and
evaluation. Large patterns are reduced once to sufficient statistics

    XX[a, b, p, q] = sum_s X_s[a, p] X_s[b, q],  Xy[a, b, p] = sum_s X_s[a, p] y_s[b],
    yy[a, b] = sum_s y_s[a] y_s[b],

after which an evaluation costs O(t^2 p^2) per pattern whatever the number of subjects;
small patterns are whitened subject by subject. Both give the same quantities:
X'V^-1X, X'V^-1y, y'V^-1y, and for derivatives H = sum_s X_s Phi X_s' and
Rr = sum_s r_s r_s'.

With ``P = V^-1 - V^-1 X Phi X' V^-1`` and ``r = y - X beta``, the REML objective is

    -2 l_R = (N - p) log(2 pi) + sum_s log|V_s| + log|X'V^-1X| + r'V^-1 r

(the SAS definition, constant included), the ML objective drops log|X'V^-1X| and uses
N log(2 pi); their derivative with respect to the matrix Sigma is, per pattern,
``n V^-1 - V^-1 (H + Rr) V^-1`` (ML: without H), scattered into the full matrix.
"""

from __future__ import annotations

import numpy as np

_LOG2PI = np.log(2.0 * np.pi)
# Budget for the sufficient statistics (bytes); beyond it patterns are whitened directly.
_SUFF_BUDGET = 256 * 2**20


class Pattern:
    """Subjects observed at the same sessions ``idx``: X (n, t, p), y (n, t)."""

    def __init__(self, idx: np.ndarray, X: np.ndarray, y: np.ndarray):
        self.idx = idx
        self.X = X
        self.y = y
        self.n, self.t, self.p = X.shape
        self.suff = False

    def make_sufficient(self) -> None:
        n, t, p = self.X.shape
        Z = self.X.reshape(n, t * p)
        XX = (Z.T @ Z).reshape(t, p, t, p).transpose(0, 2, 1, 3)
        self.XX2 = np.ascontiguousarray(XX).reshape(t * t, p * p)
        Xy = (Z.T @ self.y).reshape(t, p, t).transpose(0, 2, 1)
        self.Xy2 = np.ascontiguousarray(Xy).reshape(t * t, p)
        self.yy = self.y.T @ self.y
        self.suff = True

    # sum_s X_s' K X_s for a stack of (t, t) matrices K -> (m, p, p)
    def contract(self, K: np.ndarray) -> np.ndarray:
        m = K.shape[0]
        if self.suff:
            return (K.reshape(m, -1) @ self.XX2).reshape(m, self.p, self.p)
        X2 = self.X.transpose(1, 0, 2).reshape(self.t, -1)  # (t, n p)
        Xf = X2.reshape(self.t * self.n, self.p)
        out = np.empty((m, self.p, self.p))
        for k in range(m):
            out[k] = (K[k] @ X2).reshape(self.t * self.n, self.p).T @ Xf
        return out

    # sum_s X_s Phi X_s' -> (t, t)
    def h(self, Phi: np.ndarray) -> np.ndarray:
        if self.suff:
            return (self.XX2 @ Phi.ravel()).reshape(self.t, self.t)
        XP = self.X @ Phi
        return np.tensordot(XP, self.X, axes=([0, 2], [0, 2]))

    # sum_s r_s r_s' with r_s = y_s - X_s beta -> (t, t)
    def rr(self, beta: np.ndarray) -> np.ndarray:
        if self.suff:
            t = self.t
            xyb = (self.Xy2 @ beta).reshape(t, t)
            xxbb = (self.XX2 @ np.outer(beta, beta).ravel()).reshape(t, t)
            return self.yy - xyb - xyb.T + xxbb
        r = self.y - self.X @ beta
        return r.T @ r

    # sum_s X_s[a, :] r_s[b] -> (t*t, p)
    def cross(self, beta: np.ndarray) -> np.ndarray:
        r = self.y - self.X @ beta
        return np.einsum("nap,nb->abp", self.X, r).reshape(self.t * self.t, self.p)


def build_patterns(X, y, subj_start, subj_pattern, pattern_idx) -> list[Pattern]:
    """Group the rows (sorted by subject, then session) into :class:`Pattern` objects."""
    patterns = []
    for k, idx in enumerate(pattern_idx):
        subjects = np.flatnonzero(subj_pattern == k)
        rows = subj_start[subjects][:, None] + np.arange(len(idx))[None, :]
        patterns.append(Pattern(np.asarray(idx), X[rows], y[rows]))
    # sufficient statistics where they pay off, largest patterns first, within a budget
    budget = _SUFF_BUDGET
    for pat in sorted(patterns, key=lambda q: -q.n):
        t, p = pat.t, pat.p
        size = 8 * t * t * p * (p + 1)
        if pat.n >= 1.5 * t * p / (t + p) and size <= budget:
            pat.make_sufficient()
            budget -= size
    return patterns


class Engine:
    """Evaluates the (restricted) likelihood and its derivatives over patterns."""

    def __init__(self, patterns: list[Pattern], n_sessions: int, reml: bool):
        self.patterns = patterns
        self.T = n_sessions
        self.reml = reml
        self.p = patterns[0].p
        self.N = sum(pat.n * pat.t for pat in patterns)

    def _blocks(self, Sigma):
        # numpy only: scipy's triangular solves are slow on tiny matrices with threaded BLAS
        out = []
        for pat in self.patterns:
            V = Sigma[np.ix_(pat.idx, pat.idx)]
            c = np.linalg.cholesky(V)
            ci = np.linalg.inv(c)  # inverse Cholesky factor: V^-1 = ci' ci
            out.append((ci, ci.T @ ci, 2.0 * np.log(np.diag(c)).sum()))
        return out

    def evaluate(self, Sigma: np.ndarray, grad: bool = False, exact: bool = False):
        """-2 log-likelihood at Sigma (GLS beta profiled out).

        Returns a dict with ``f``, ``beta``, ``Phi`` (= (X'V^-1X)^-1), ``xvx``, and ``G``
        (d f / d Sigma, T x T) when ``grad``. ``exact`` recomputes r'V^-1r from residuals
        rather than from sufficient statistics (used for the reported value).
        """
        p = self.p
        try:
            blocks = self._blocks(Sigma)
        except (np.linalg.LinAlgError, ValueError):
            return None
        xvx = np.zeros((p, p))
        xvy = np.zeros(p)
        yvy = 0.0
        logdet = 0.0
        for pat, (ci, Vinv, ld) in zip(self.patterns, blocks, strict=True):
            logdet += pat.n * ld
            if pat.suff:
                vi = Vinv.ravel()
                xvx += (vi @ pat.XX2).reshape(p, p)
                xvy += vi @ pat.Xy2
                yvy += vi @ pat.yy.ravel()
            else:
                t, n = pat.t, pat.n
                Xw = (ci @ pat.X.transpose(1, 0, 2).reshape(t, n * p)).reshape(t * n, p)
                yw = (ci @ pat.y.T).ravel()
                xvx += Xw.T @ Xw
                xvy += Xw.T @ yw
                yvy += yw @ yw
        try:
            cx = np.linalg.cholesky(xvx)
        except np.linalg.LinAlgError:
            return None
        cxi = np.linalg.inv(cx)
        Phi = cxi.T @ cxi
        beta = Phi @ xvy
        if exact:
            rvr = 0.0
            for pat, (ci, _, _) in zip(self.patterns, blocks, strict=True):
                rw = ci @ (pat.y - pat.X @ beta).T
                rvr += float(np.sum(rw * rw))
        else:
            rvr = yvy - beta @ xvy
        f = logdet + rvr
        if self.reml:
            f += (self.N - p) * _LOG2PI + 2.0 * np.log(np.diag(cx)).sum()
        else:
            f += self.N * _LOG2PI
        out = {"f": float(f), "beta": beta, "Phi": Phi, "xvx": xvx, "blocks": blocks}
        if grad:
            G = np.zeros((self.T, self.T))
            for pat, (_, Vinv, _) in zip(self.patterns, blocks, strict=True):
                M = pat.rr(beta)
                if self.reml:
                    M = M + pat.h(Phi)
                Gk = pat.n * Vinv - Vinv @ M @ Vinv
                G[np.ix_(pat.idx, pat.idx)] += Gk
            out["G"] = G
        return out

    # -- second-order quantities for inference --------------------------------------------
    def inference(self, ev: dict, first: np.ndarray, second, information: str, kr: bool):
        """Information matrix, P_m and the Kenward-Roger adjustment at the optimum.

        ``first`` (q, T, T) and ``second`` (q, q, T, T or None) are derivatives of Sigma in
        the parameterisation used for inference. Returns a dict with ``info`` (observed or
        expected information of the parameters, for -l), ``W`` (its inverse), ``P``
        (q, p, p: X'V^-1 Sigma_m V^-1 X) and, when ``kr``, ``Phi_A``.
        """
        beta, Phi, blocks = ev["beta"], ev["Phi"], ev["blocks"]
        q = first.shape[0]
        p = self.p
        P = np.zeros((q, p, p))
        t1 = np.zeros((q, q))  # sum_k n tr(A_m A_n)
        t2 = np.zeros((q, q))  # tr(Phi Q_mn)
        ty = np.zeros((q, q))  # sum_k tr(A_m A_n V^-1 Rr)
        u = np.zeros((q, p))
        s_tr = np.zeros((q, q))  # 0.5 tr(P S_mn) part
        s_y = np.zeros((q, q))
        cache = []
        for pat, (_, Vinv, _) in zip(self.patterns, blocks, strict=True):
            ix = np.ix_(pat.idx, pat.idx)
            S = first[:, ix[0], ix[1]]
            A = np.einsum("ab,mbc->mac", Vinv, S)  # V^-1 S_m
            K = A @ Vinv  # V^-1 S_m V^-1
            P += pat.contract(K)
            t1 += pat.n * np.einsum("mab,nba->mn", A, A)
            H = pat.h(Phi) if self.reml else None
            Rr = pat.rr(beta)
            if self.reml:
                B = A @ (Vinv @ H)
                t2 += np.einsum("mab,nba->mn", A, B)
            if information == "observed":
                B = A @ (Vinv @ Rr)
                ty += np.einsum("mab,nba->mn", A, B)
                u += K.reshape(q, -1) @ pat.cross(beta)
                if second is not None:
                    S2 = second[:, :, ix[0], ix[1]]
                    VS2 = np.einsum("ab,mnbc->mnac", Vinv, S2)
                    s_tr += pat.n * np.einsum("mnaa->mn", VS2)
                    VS2V = VS2 @ Vinv
                    s_y += np.einsum("mnab,ba->mn", VS2V, Rr)
                    if self.reml:
                        s_tr -= np.einsum("mnab,ba->mn", VS2V, H)
            cache.append((S, Vinv, ix))
        PhiP = np.einsum("ab,mbc->mac", Phi, P)
        t3 = np.einsum("mab,nba->mn", PhiP, PhiP)
        if self.reml:
            expected = 0.5 * (t1 - 2.0 * t2 + t3)
        else:
            expected = 0.5 * t1
        if information == "observed":
            quad = ty - u @ Phi @ u.T
            if self.reml:
                info = -expected + quad + 0.5 * s_tr - 0.5 * s_y
            else:
                info = -0.5 * t1 + quad + 0.5 * s_tr - 0.5 * s_y
        else:
            info = expected
        info = 0.5 * (info + info.T)
        out = {"info": info, "P": P, "expected": expected}
        try:
            W = np.linalg.inv(info)
            if not np.all(np.isfinite(W)) or np.any(np.diag(W) <= 0):
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            W = None
        out["W"] = W
        if kr and W is not None:
            Qsum = np.zeros((p, p))
            Rsum = np.zeros((p, p))
            for pat, (S, Vinv, ix) in zip(self.patterns, cache, strict=True):
                WS = np.tensordot(W, S, axes=(1, 0))  # sum_n W_mn S_n
                M = np.einsum("mab,bc,mcd->ad", S, Vinv, WS)
                Qsum += pat.contract((Vinv @ M @ Vinv)[None])[0]
                if second is not None:
                    S2 = second[:, :, ix[0], ix[1]]
                    WS2 = np.einsum("mn,mnab->ab", W, S2)
                    Rsum += pat.contract((Vinv @ WS2 @ Vinv)[None])[0]
            Z = np.tensordot(W, PhiP, axes=(1, 0))  # sum_n W_mn Phi P_n
            PWP = np.einsum("mab,mbc->ac", P, Z)
            inner = Qsum - PWP - 0.25 * Rsum
            out["Phi_A"] = Phi + 2.0 * Phi @ inner @ Phi
        return out
