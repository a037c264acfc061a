"""Settings of the optimiser and of the inference of :func:`~ketanalysis.stats.mmrm`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MMRMControl"]


@dataclass(frozen=True)
class MMRMControl:
    """Settings of the optimiser and of the inference of :func:`mmrm`.

    Parameters
    ----------
    optimizer : {"fisher", "L-BFGS-B", "BFGS"}
        ``"fisher"`` (default): Fisher scoring with the analytic gradient and the expected
        information, with step halving; should it stall, L-BFGS-B continues and scoring
        polishes. ``"L-BFGS-B"`` or ``"BFGS"``: that quasi-Newton method of
        :func:`scipy.optimize.minimize` with the analytic gradient, then Fisher scoring
        (``polish``).
    max_iter : int
        Maximum number of iterations of the optimiser (and separately of the polish).
        ``0`` evaluates the model at ``start`` without optimising (SAS ``PARMS /
        NOITER``); ``converged`` is then False.
    tol : float
        Convergence criterion on SAS's relative Hessian criterion ``g'H^-1 g / |f|`` of
        ``f = -2 log-likelihood`` (``H`` from the expected information) at the end; SAS's
        default is 1e-8, ours is stricter (about 1e-9 of -2 log-likelihood above its
        minimum for the reference data).
    polish : bool
        Finish a quasi-Newton run with Fisher-scoring steps (cheap; quasi-Newton methods
        alone stop earlier).
    start : array-like or None
        Starting covariance matrix (sessions x sessions); default a pairwise moment
        estimate from ordinary least-squares residuals.
    information : {"observed", "expected"}
        Information matrix of the covariance parameters whose inverse ``W`` enters the
        Kenward-Roger and Satterthwaite degrees of freedom and the Kenward-Roger adjusted
        covariance. ``"observed"`` (the Hessian at the optimum) is the default: it
        reproduces SAS PROC MIXED on the reference data; ``"expected"`` is the choice of
        Kenward & Roger (1997).
    rank_tol : float
        A design column whose squared distance from the span of the earlier columns
        (after scaling every column to unit length) is below this is aliased.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> ka.stats.MMRMControl(optimizer="L-BFGS-B", information="expected").optimizer
    'L-BFGS-B'
    """

    optimizer: str = "fisher"
    max_iter: int = 1000
    tol: float = 1e-12
    polish: bool = True
    start: object = None
    information: str = "observed"
    rank_tol: float = 1e-10

    def __post_init__(self):
        if self.information not in ("observed", "expected"):
            raise ValueError(
                f"control.information: expected 'observed' or 'expected', got {self.information!r}"
            )
        if not isinstance(self.max_iter, (int, np.integer)) or self.max_iter < 0:
            raise ValueError(
                f"control.max_iter: expected a non-negative integer, got {self.max_iter!r}"
            )
        known = ("fisher", "l-bfgs-b", "bfgs")
        if not isinstance(self.optimizer, str) or self.optimizer.lower() not in known:
            raise ValueError(
                f"control.optimizer: expected 'fisher', 'L-BFGS-B' or 'BFGS', got "
                f"{self.optimizer!r}"
            )
