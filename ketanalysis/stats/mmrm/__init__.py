"""Mixed model for repeated measures, split as R mmrm is.

- :mod:`.model`: :func:`mmrm`, :class:`MMRMControl` and the :class:`MMRMResult` views;
- :mod:`.design`: fixed-effects design and reference grids (LS-means);
- :mod:`.covariance`: the covariance structures (UN, CS, CSH, AR1, ARH1, TOEP, TOEPH);
- :mod:`.likelihood`: the REML/ML likelihood by missingness pattern, gradient and
  information;
- :mod:`.fit`: the optimiser;
- :mod:`.degrees_of_freedom`: Kenward–Roger, Satterthwaite, residual and between-within df;
- :mod:`.blas`: single-threaded BLAS for small matrices.
"""

from .model import MMRMControl, MMRMConvergenceWarning, MMRMResult, mmrm

__all__ = ["MMRMControl", "MMRMConvergenceWarning", "MMRMResult", "mmrm"]
