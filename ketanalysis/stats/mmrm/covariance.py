"""Residual covariance structures of the MMRM: parameterisations and derivatives.

Each structure is used in two parameterisations:

* an unconstrained one, ``theta``, in which the optimiser works: every real vector gives a
  positive definite matrix (log-Cholesky for ``us``, log-variances and transformed
  correlations for the others, partial autocorrelations for the Toeplitz structures, as in
  the R package mmrm);
* the "natural" one of SAS PROC MIXED, ``phi``, in which inference is made: the elements
  sigma_ij for ``us``, the compound-symmetry covariance and residual variance for ``cs``,
  the covariances by lag for ``toeplitz``, and variances with correlations for ``ar1``,
  ``csh``, ``ar1h`` and ``toeph``. The Kenward-Roger adjustment depends on this choice
  through the second derivatives of the covariance; using SAS's choice gives SAS's numbers
  (for ``us``, ``cs`` and ``toeplitz`` the matrix is linear in ``phi`` and the second
  derivatives vanish).
"""

from __future__ import annotations

import numpy as np

STRUCTURES = ("us", "cs", "csh", "ar1", "ar1h", "toeplitz", "toeph")

_STEP = 1e-30  # complex step: derivatives exact to rounding, no subtraction error


def _corr_from_z(z):
    """Map the real line to (-1, 1) smoothly (works for complex steps)."""
    return z / np.sqrt(1.0 + z * z)


def _z_from_corr(r):
    r = np.clip(r, -0.999, 0.999)
    return r / np.sqrt(1.0 - r * r)


def _acf_from_pacf(pacf):
    """Autocorrelations at lags 1..k from partial autocorrelations (Durbin-Levinson)."""
    k = len(pacf)
    acf = [1.0 + 0.0 * pacf[0]] if k else [1.0]
    coef = []
    for j in range(k):
        pj = pacf[j]
        if j == 0:
            coef = [pj]
        else:
            coef = [coef[i] - pj * coef[j - 1 - i] for i in range(j)] + [pj]
        acf.append(sum(coef[i] * acf[j - i] for i in range(j + 1)))
    return acf[1:]


def _pacf_from_acf(acf):
    """Partial autocorrelations from autocorrelations (inverse Durbin-Levinson)."""
    k = len(acf)
    r = np.concatenate([[1.0], np.asarray(acf, dtype=float)])
    pacf = np.zeros(k)
    coef = np.zeros(0)
    for j in range(k):
        num = r[j + 1] - (coef @ r[j:0:-1] if j else 0.0)
        den = 1.0 - (coef @ r[1 : j + 1] if j else 0.0)
        pj = num / den
        pacf[j] = pj
        coef = np.concatenate([coef - pj * coef[::-1], [pj]])
    return pacf


def _z_from_acf(acf):
    """Unconstrained Toeplitz parameters from autocorrelations (AR(1)-like if not valid)."""
    if len(acf) == 0:
        return np.zeros(0)
    pacf = _pacf_from_acf(acf)
    if not np.all(np.abs(pacf) < 0.999):
        pacf = np.zeros(len(acf))
        pacf[0] = acf[0]
    return np.array([_z_from_corr(v) for v in pacf])


class Structure:
    """A covariance structure over ``n`` ordered sessions.

    Subclasses define ``n_theta``, ``sigma(theta)``, ``start(S)`` (theta from a rough
    covariance estimate), ``natural(Sigma)`` (phi from the matrix), ``natural_names`` and
    ``natural_derivatives(phi)`` -> (first, second or None).
    """

    name = ""
    linear = False

    def __init__(self, n: int):
        self.n = n
        i, j = np.indices((n, n))
        self.lag = np.abs(i - j)

    # -- optimiser side -------------------------------------------------------------------
    def dsigma(self, theta: np.ndarray) -> np.ndarray:
        """Derivatives of Sigma with respect to theta, shape (n_theta, n, n), by complex step."""
        out = np.empty((self.n_theta, self.n, self.n))
        for k in range(self.n_theta):
            t = theta.astype(complex)
            t[k] += 1j * _STEP
            out[k] = self.sigma(t).imag / _STEP
        return out

    # -- inference side -------------------------------------------------------------------
    def natural_sigma(self, phi: np.ndarray) -> np.ndarray:
        first, _ = self.natural_derivatives(phi)
        if self.linear:
            return np.tensordot(phi, first, axes=1)
        raise NotImplementedError

    @property
    def n_natural(self) -> int:
        return len(self.natural_names)


class Unstructured(Structure):
    name = "us"
    linear = True

    def __init__(self, n, labels):
        super().__init__(n)
        self.tril = np.tril_indices(n)
        self.n_theta = n * (n + 1) // 2
        # SAS order of UN(i,j): row-wise through the lower triangle
        self.pairs = [(i, j) for i in range(n) for j in range(i + 1)]
        self.natural_names = [f"UN({labels[i]},{labels[j]})" for i, j in self.pairs]
        self._diag = np.array([i == j for i, j in zip(*self.tril, strict=True)])

    def _chol(self, theta):
        L = np.zeros((self.n, self.n), dtype=theta.dtype)
        L[self.tril] = np.where(self._diag, np.exp(np.where(self._diag, theta, 0.0)), theta)
        return L

    def sigma(self, theta):
        L = self._chol(theta)
        return L @ L.T

    def dsigma(self, theta):
        L = self._chol(theta)
        out = np.zeros((self.n_theta, self.n, self.n))
        for k, (i, j) in enumerate(zip(*self.tril, strict=True)):
            scale = L[i, j] if i == j else 1.0
            col = L[:, j] * scale
            out[k, i, :] += col
            out[k, :, i] += col
        return out

    def start(self, S):
        w, v = np.linalg.eigh(S)
        w = np.maximum(w, 1e-6 * max(w.max(), 1e-8))
        L = np.linalg.cholesky((v * w) @ v.T)
        theta = L[self.tril].copy()
        theta[self._diag] = np.log(theta[self._diag])
        return theta

    def natural(self, Sigma):
        return np.array([Sigma[i, j] for i, j in self.pairs])

    def natural_derivatives(self, phi):
        first = np.zeros((len(self.pairs), self.n, self.n))
        for k, (i, j) in enumerate(self.pairs):
            first[k, i, j] = first[k, j, i] = 1.0
        return first, None


class CompoundSymmetry(Structure):
    """Homogeneous compound symmetry; natural parameters (CS covariance, residual)."""

    name = "cs"
    linear = True
    natural_names = ["CS", "Residual"]

    def __init__(self, n, labels):
        super().__init__(n)
        self.n_theta = 2 if n > 1 else 1
        self.lo = -1.0 / (n - 1) if n > 1 else 0.0

    def _rho(self, z):
        return self.lo + (1.0 - self.lo) / (1.0 + np.exp(-z))

    def sigma(self, theta):
        var = np.exp(theta[0])
        rho = self._rho(theta[1]) if self.n > 1 else 0.0
        C = np.where(self.lag == 0, 1.0 + 0 * rho, rho)
        return var * C

    def start(self, S):
        var = np.mean(np.diag(S))
        theta = [np.log(var)]
        if self.n > 1:
            off = S[self.lag > 0] / var
            rho = float(np.clip(np.mean(off), self.lo + 1e-3 * (1 - self.lo), 0.999))
            u = (rho - self.lo) / (1.0 - self.lo)
            theta.append(np.log(u / (1.0 - u)))
        return np.array(theta)

    def natural(self, Sigma):
        cov = Sigma[0, 1] if self.n > 1 else 0.0
        return np.array([cov, Sigma[0, 0] - cov])

    def natural_derivatives(self, phi):
        first = np.stack([np.ones((self.n, self.n)), np.eye(self.n)])
        return first, None


class Toeplitz(Structure):
    """Homogeneous Toeplitz; natural parameters the covariances by lag (SAS TYPE=TOEP)."""

    name = "toeplitz"
    linear = True

    def __init__(self, n, labels):
        super().__init__(n)
        self.n_theta = n
        self.natural_names = [f"TOEP({k + 1})" for k in range(1, n)] + ["Residual"]

    def sigma(self, theta):
        acf = _acf_from_pacf([_corr_from_z(z) for z in theta[1:]])
        r = np.array([1.0 + 0 * theta[0], *acf])
        return np.exp(theta[0]) * r[self.lag]

    def start(self, S):
        var = np.mean(np.diag(S))
        acf = [np.mean(np.diag(S, k)) / var for k in range(1, self.n)]
        return np.concatenate([[np.log(var)], _z_from_acf(acf)])

    def natural(self, Sigma):
        return np.array([np.mean(np.diag(Sigma, k)) for k in range(1, self.n)] + [Sigma[0, 0]])

    def natural_derivatives(self, phi):
        first = np.stack([(self.lag == k).astype(float) for k in [*range(1, self.n), 0]])
        return first, None


class _Scaled(Structure):
    """Sigma_ij = sqrt(v_a(i) v_a(j)) C_ij(rho): variances times a correlation matrix.

    ``hetero`` gives one variance per session (a(i) = i), else one shared variance.
    Subclasses give ``n_rho``, ``corr(rho)`` and its derivatives, ``rho_from_theta``,
    ``start_rho`` and ``rho_from_corr``.
    """

    hetero = False

    def __init__(self, n, labels):
        super().__init__(n)
        self.labels = labels
        self.n_var = n if self.hetero else 1
        self.vidx = np.arange(n) if self.hetero else np.zeros(n, dtype=int)
        self.n_theta = self.n_var + self.n_rho
        var_names = [f"Var({lab})" for lab in labels] if self.hetero else []
        self.natural_names = var_names + self.rho_names + ([] if self.hetero else ["Residual"])

    def _split_natural(self, phi):
        if self.hetero:
            return phi[: self.n_var], phi[self.n_var :]
        return phi[-1:], phi[:-1]

    def sigma(self, theta):
        v = np.exp(theta[: self.n_var])[self.vidx]
        s = np.sqrt(v)
        rho = self.rho_from_theta(theta[self.n_var :])
        return s[:, None] * s[None, :] * self.corr(rho)

    def start(self, S):
        d = np.diag(S)
        v = d if self.hetero else np.array([d.mean()])
        s = np.sqrt(np.diag(S))
        R = S / np.outer(s, s)
        return np.concatenate([np.log(v), self.start_rho(R)])

    def natural(self, Sigma):
        d = np.diag(Sigma)
        v = d if self.hetero else np.array([d.mean()])
        s = np.sqrt(d)
        rho = self.rho_from_corr(Sigma / np.outer(s, s))
        return np.concatenate([v, rho]) if self.hetero else np.concatenate([rho, v])

    def natural_sigma(self, phi):
        v, rho = self._split_natural(phi)
        s = np.sqrt(v[self.vidx])
        return np.outer(s, s) * self.corr(rho)

    def natural_derivatives(self, phi):
        v, rho = self._split_natural(phi)
        n, nv, nr = self.n, self.n_var, len(rho)
        vv = v[self.vidx]
        F = np.sqrt(np.outer(vv, vv))
        C = self.corr(rho)
        dC, d2C = self.corr_derivatives(rho)
        # a_k[i, j] = (1[a(i)=k] + 1[a(j)=k]) / (2 v_k); dF/dv_k = F a_k
        ind = np.stack([(self.vidx == k).astype(float) for k in range(nv)])  # (nv, n)
        cnt = ind[:, :, None] + ind[:, None, :]  # (nv, n, n)
        a = cnt / (2.0 * v[:, None, None])
        dF = F * a
        d2F = F * a[:, None] * a[None, :]
        for k in range(nv):
            d2F[k, k] -= F * cnt[k] / (2.0 * v[k] ** 2)
        q = nv + nr
        first = np.empty((q, n, n))
        second = np.empty((q, q, n, n))
        first[:nv] = dF * C
        first[nv:] = F * dC
        second[:nv, :nv] = d2F * C
        cross = dF[:, None] * dC[None, :]  # (nv, nr, n, n)
        second[:nv, nv:] = cross
        second[nv:, :nv] = cross.transpose(1, 0, 2, 3)
        second[nv:, nv:] = F * d2C
        if not self.hetero:  # natural order: correlations first, then the variance
            order = [*range(nv, q), *range(nv)]
            first = first[order]
            second = second[np.ix_(order, order)]
        return first, second


class _CSCorr:
    rho_names = ["CSH"]
    n_rho = 1

    def rho_from_theta(self, t):
        lo = -1.0 / (self.n - 1) if self.n > 1 else 0.0
        return [lo + (1.0 - lo) / (1.0 + np.exp(-t[0]))]

    def start_rho(self, R):
        lo = -1.0 / (self.n - 1) if self.n > 1 else 0.0
        rho = np.mean(R[self.lag > 0]) if self.n > 1 else 0.0
        rho = float(np.clip(rho, lo + 1e-3 * (1.0 - lo), 0.999))
        u = (rho - lo) / (1.0 - lo)
        return np.array([np.log(u / (1.0 - u))])

    def rho_from_corr(self, R):
        return np.array([np.mean(R[self.lag > 0]) if self.n > 1 else 0.0])

    def corr(self, rho):
        return np.where(self.lag == 0, 1.0 + 0 * rho[0], rho[0])

    def corr_derivatives(self, rho):
        return (self.lag > 0).astype(float)[None], np.zeros((1, 1, self.n, self.n))


class _AR1Corr:
    n_rho = 1

    def rho_from_theta(self, t):
        return [_corr_from_z(t[0])]

    def start_rho(self, R):
        r1 = np.mean(np.diag(R, 1)) if self.n > 1 else 0.0
        return np.array([_z_from_corr(r1)])

    def rho_from_corr(self, R):
        return np.array([np.mean(np.diag(R, 1)) if self.n > 1 else 0.0])

    def corr(self, rho):
        return rho[0] ** self.lag

    def corr_derivatives(self, rho):
        r, d = rho[0], self.lag
        with np.errstate(divide="ignore", invalid="ignore"):
            d1 = np.where(d >= 1, d * r ** np.maximum(d - 1, 0), 0.0)
            d2 = np.where(d >= 2, d * (d - 1) * r ** np.maximum(d - 2, 0), 0.0)
        return d1[None], d2[None, None]


class _ToepCorr:
    @property
    def n_rho(self):
        return self.n - 1

    @property
    def rho_names(self):
        return [f"TOEPH({k})" for k in range(1, self.n)]

    def rho_from_theta(self, t):
        return _acf_from_pacf([_corr_from_z(z) for z in t])

    def start_rho(self, R):
        return _z_from_acf([np.mean(np.diag(R, k)) for k in range(1, self.n)])

    def rho_from_corr(self, R):
        return np.array([np.mean(np.diag(R, k)) for k in range(1, self.n)])

    def corr(self, rho):
        return np.array([1.0 + 0 * (rho[0] if len(rho) else 0.0), *rho])[self.lag]

    def corr_derivatives(self, rho):
        nr = self.n - 1
        d1 = np.stack([(self.lag == k).astype(float) for k in range(1, self.n)]) if nr else None
        if d1 is None:
            d1 = np.zeros((0, self.n, self.n))
        return d1, np.zeros((nr, nr, self.n, self.n))


class HeteroCS(_CSCorr, _Scaled):
    name = "csh"
    hetero = True


class AR1(_AR1Corr, _Scaled):
    name = "ar1"
    rho_names = ["AR(1)"]


class HeteroAR1(_AR1Corr, _Scaled):
    name = "ar1h"
    hetero = True
    rho_names = ["ARH(1)"]


class HeteroToeplitz(_ToepCorr, _Scaled):
    name = "toeph"
    hetero = True


_CLASSES = {
    "us": Unstructured,
    "cs": CompoundSymmetry,
    "csh": HeteroCS,
    "ar1": AR1,
    "ar1h": HeteroAR1,
    "toeplitz": Toeplitz,
    "toeph": HeteroToeplitz,
}


def make_structure(name: str, labels) -> Structure:
    """The covariance structure ``name`` over sessions ``labels`` (in time order)."""
    return _CLASSES[name](len(labels), list(labels))
