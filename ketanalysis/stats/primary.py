"""The primary analysis of a two-arm trial: one MMRM definition for the report and for power.

:class:`PrimaryMMRM` holds everything that defines the esketamine-style primary analysis
of the change from baseline: the model terms, the residual covariance, the degrees of
freedom, the last session modelled (``until``) and the control arm of the primary
contrast. The report (``[mmrm]`` of the configuration), :func:`ketanalysis.simulate.power`
with ``analysis="mmrm"`` and the notebooks all fit it through this one definition, so a
power simulation analyses each simulated trial as the report analyses the real one (see
``docs/architecture.md``).

The model is ``change ~ baseline*C(session) + arm*C(session)``: a mean per arm and session
adjusted for a baseline effect per session, SAS's ``MODEL CHANGE = BASVAL*VISIT
THERAPY*VISIT`` (Mallinckrodt CH et al. Drug Inf J 2008;42:303-319), which
``tests/test_mmrm.py`` checks against SAS PROC MIXED.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .mmrm.covariance import STRUCTURES
from .mmrm.degrees_of_freedom import DF_METHODS
from .mmrm.model import MMRMControl, MMRMConvergenceWarning, MMRMResult, mmrm

__all__ = ["PrimaryFit", "PrimaryMMRM"]

_UNSET = object()
#: The session column (that of :attr:`ketanalysis.Outcomes.assessments` and the default of
#: :func:`ketanalysis.stats.mmrm`).
_SESSION = "session"
_CONTRAST_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "p_value")


@dataclass(frozen=True)
class PrimaryMMRM:
    """Definition of the primary MMRM of the change from baseline.

    Parameters
    ----------
    covariance : str, default "us"
        Residual covariance structure of :func:`ketanalysis.stats.mmrm` (``"us"``
        unstructured, ``"cs"``, ``"csh"``, ``"ar1"``, ``"ar1h"``, ``"toeplitz"``,
        ``"toeph"``).
    df : str, default "kenward-roger"
        Degrees-of-freedom method (``"kenward-roger"``, ``"satterthwaite"``,
        ``"residual"``, ``"between-within"``).
    until : int, float, str or None, default None
        Last session in the model (the sessions after baseline up to and including it; a
        label for ordered categorical sessions); None: every session after baseline. It is
        also the session of :meth:`contrast` by default (the primary endpoint).
    ref : str or None, default None
        Control arm of the primary contrast (treatment minus control). None: the last arm
        in sort order, so that with two arms the contrast is the first minus the second
        arm, the row of the pairwise differences (``MMRMResult.contrasts``).
    value, baseline : str
        Columns of the change from baseline and of the baseline score (as in
        :attr:`ketanalysis.Outcomes.assessments`); the sessions are in ``session``.

    Raises
    ------
    ValueError
        Naming the parameter and the bad value: an unknown ``covariance`` or ``df``, an
        ``until`` that is not a session value, a column name that is not a plain name.

    Examples
    --------
    >>> import ketanalysis as ka
    >>> from ketanalysis.stats.primary import PrimaryMMRM
    >>> primary = PrimaryMMRM(until=6)
    >>> primary.formula("route")
    'change ~ baseline*C(session) + route*C(session)'
    >>> out = ka.derive(ka.read_scores("data/sample/cohort_long.csv"), scale="MADRS")
    >>> data = primary.data(out, scale="MADRS", arm="route")
    >>> sorted(data["session"].unique().tolist())
    [1, 2, 3, 4, 5, 6]
    >>> res = primary.fit(data, arm="route", ref="IV")
    >>> res.converged, res.ref
    (True, 'IV')
    >>> res.contrast()[["contrast", "estimate"]].round(2).to_dict("list")
    {'contrast': ['IM - IV', 'intranasal - IV'], 'estimate': [5.18, 2.99]}
    """

    covariance: str = "us"
    df: str = "kenward-roger"
    until: int | float | None = None
    ref: str | None = None
    value: str = "change"
    baseline: str = "baseline"

    def __post_init__(self):
        if self.covariance not in STRUCTURES:
            raise ValueError(
                f"covariance: expected one of {', '.join(STRUCTURES)}, got {self.covariance!r}"
            )
        if self.df not in DF_METHODS:
            raise ValueError(f"df: expected one of {', '.join(DF_METHODS)}, got {self.df!r}")
        if self.until is not None and (
            isinstance(self.until, bool) or not isinstance(self.until, (int, float, np.number, str))
        ):
            raise ValueError(f"until: expected a session value or None, got {self.until!r}")
        for name in ("value", "baseline"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.isidentifier():
                raise ValueError(f"{name}: expected a column name, got {value!r}")

    def formula(self, arm: str = "arm") -> str:
        """The model formula with ``arm`` the column of the arms.

        Parameters
        ----------
        arm : str, default "arm"
            Column of the randomised arms.

        Returns
        -------
        str
            ``"change ~ baseline*C(session) + arm*C(session)"`` (patsy's hierarchical
            form of SAS's ``BASVAL*VISIT THERAPY*VISIT``; the same columns).
        """
        s = _SESSION
        return f"{self.value} ~ {self.baseline}*C({s}) + {arm}*C({s})"

    def data(self, data, *, scale: str, arm: str, until=_UNSET) -> pd.DataFrame:
        """Rows of the model: the scale's post-baseline assessments up to ``until``.

        Parameters
        ----------
        data : Outcomes
            Derived outcomes (:func:`ketanalysis.derive`); its ``assessments`` have
            ``scale``, ``post_baseline``, the value (change), baseline and session columns and
            ``arm``.
        scale : str
            Scale key of the primary outcome, e.g. ``"MADRS"``.
        arm : str
            Column of the arms; rows without an arm are left out.
        until : int, float or None, optional
            Last session; default the definition's ``until`` (None: every session).

        Returns
        -------
        DataFrame
            ``patient_id``, the session, value and baseline columns and ``arm``, one row
            per patient and session with a known change, with a fresh index.
        """
        until = self.until if until is _UNSET else until
        a = data.assessments
        missing = [
            c
            for c in ("scale", "post_baseline", self.value, self.baseline, _SESSION, arm)
            if c not in a.columns
        ]
        if missing:
            raise ValueError(f"data: the assessments have no column(s) {missing}")
        keep = (a["scale"] == scale).to_numpy() & a["post_baseline"].to_numpy(dtype=bool)
        keep &= a[self.value].notna().to_numpy() & a[arm].notna().to_numpy()
        if until is not None:
            keep &= (a[_SESSION] <= until).to_numpy(dtype=bool)
        cols = ["patient_id", _SESSION, self.value, self.baseline, arm]
        return a.loc[keep, cols].reset_index(drop=True)

    def fit(
        self, data: pd.DataFrame, *, arm: str = "arm", ref=_UNSET, retry: bool = True
    ) -> PrimaryFit:
        """Fit the model; refit once from a diagonal start if it does not converge.

        Parameters
        ----------
        data : DataFrame
            Rows of the model, e.g. from :meth:`data`.
        arm : str, default "arm"
            Column of the arms.
        ref : str or None, optional
            Control arm of :meth:`PrimaryFit.contrast`; default the definition's.
        retry : bool, default True
            When the fit from the default (pairwise moment) start does not converge, refit
            once from a diagonal start of the per-session variances of the value:
            moment starts can be far from positive definite with few patients per session.

        Returns
        -------
        PrimaryFit
            The fit, whether it converged and a message (the warnings of the fit;
            ``"refitted from a diagonal start"`` after a successful retry; why it failed
            otherwise).

        Notes
        -----
        Errors of the fit (``ValueError``, ``numpy.linalg.LinAlgError``, e.g. too few
        patients for the covariance parameters) do not propagate: the result is
        ``result=None``, ``error`` the exception and ``message`` ``"could not be fitted:
        ..."``. Warnings of the fit are recorded in ``PrimaryFit.warnings``, not shown.
        """
        ref = self.ref if ref is _UNSET else ref
        n = int(data["patient_id"].nunique()) if "patient_id" in data.columns else 0
        result, problem, caught, error = self._attempt(data, arm, start=None)
        converged = error is None and not problem.startswith("did not converge")
        if not converged and error is None and retry:
            var = data.groupby(_SESSION, sort=True)[self.value].var().to_numpy(dtype=float)
            fallback = np.nanmean(var) if np.isfinite(var).any() else 1.0
            var = np.where(np.isfinite(var) & (var > 0), var, fallback)
            second, second_problem, second_caught, second_error = self._attempt(
                data, arm, start=np.diag(var)
            )
            if second_error is None and not second_problem.startswith("did not converge"):
                result, caught, converged = second, second_caught, True
                problem = "refitted from a diagonal start"
            else:
                problem = f"{problem}; {second_problem}"
        if ref is None and arm in data.columns:
            levels = sorted(pd.unique(data[arm].dropna()).tolist())
            ref = levels[-1] if levels else None
        return PrimaryFit(
            definition=self,
            arm=arm,
            ref=ref,
            result=result,
            converged=converged,
            message=problem,
            n_patients=n,
            warnings=tuple(caught),
            error=error,
        )

    def _attempt(self, data, arm, start):
        """One fit: the result (None on an error), the notes or what went wrong, the
        warnings recorded and the error."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = mmrm(
                    data,
                    self.formula(arm),
                    covariance=self.covariance,
                    df=self.df,
                    control=MMRMControl(start=start),
                )
            except (ValueError, np.linalg.LinAlgError) as exc:
                return None, f"could not be fitted: {type(exc).__name__}: {exc}", caught, exc
        notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        converged = res.converged and not any(
            issubclass(w.category, MMRMConvergenceWarning) for w in caught
        )
        if not converged:
            return res, "did not converge: " + "; ".join(notes), caught, None
        return res, "; ".join(notes), caught, None

    def contrast(
        self, result: MMRMResult, *, arm: str = "arm", ref=_UNSET, at=_UNSET, level=0.95
    ) -> pd.DataFrame:
        """The difference of LS-mean changes between arms at one session.

        Parameters
        ----------
        result : MMRMResult
            A fit of this definition.
        arm : str, default "arm"
            Column of the arms.
        ref : str or None, optional
            Control arm; default the definition's (None: the last arm in sort order).
        at : int, float or None, optional
            Session; default ``until`` (None: the last session of the fit).
        level : float, default 0.95
            Confidence level of ``ci_low``/``ci_high``.

        Returns
        -------
        DataFrame
            One row per arm other than the control: the session, ``contrast`` (``"treatment
            - control"``), ``estimate``, ``se``, ``df``, ``t``, ``p_value``, ``ci_low``,
            ``ci_high`` (:meth:`MMRMResult.contrasts` with ``method="trt.vs.ctrl"``).
        """
        ref = self.ref if ref is _UNSET else ref
        at = self.until if at is _UNSET else at
        if at is None:
            at = result.sessions[-1]
        if ref is None:
            lsm = result.lsmeans(arm, by=_SESSION, at={_SESSION: [at]}, level=level)
            ref = sorted(lsm[arm].tolist())[-1]
        return result.contrasts(
            arm,
            by=_SESSION,
            method="trt.vs.ctrl",
            ref=ref,
            at={_SESSION: [at]},
            level=level,
        )


@dataclass(frozen=True, eq=False)
class PrimaryFit:
    """A fit of :class:`PrimaryMMRM` (returned by :meth:`PrimaryMMRM.fit`).

    Attributes
    ----------
    definition : PrimaryMMRM
        The definition fitted.
    arm : str
        Column of the arms.
    ref : str or None
        Control arm of :meth:`contrast` (resolved: the definition's, else the last arm in
        sort order).
    result : MMRMResult or None
        The fit (the one from the default start when neither converged); None when it
        could not be fitted.
    converged : bool
        Whether a converged fit was obtained (from the default or the diagonal start).
        Power by simulation counts a trial whose fit did not converge as failed; the
        report shows the fit with a warning.
    message : str
        Warnings of the fit joined by ``"; "``, ``"refitted from a diagonal start"``, or why
        the fit failed (``"could not be fitted: ..."``, ``"did not converge: ..."``).
    n_patients : int
        Patients in the data.
    warnings : tuple of warnings.WarningMessage
        Warnings recorded during the fit kept.
    error : Exception or None
        The error of a fit that could not be fitted (``ValueError`` or
        ``numpy.linalg.LinAlgError``).
    """

    definition: PrimaryMMRM
    arm: str
    ref: object
    result: MMRMResult | None
    converged: bool
    message: str
    n_patients: int
    warnings: tuple = field(default=(), repr=False)
    error: Exception | None = field(default=None, repr=False)

    @property
    def formula(self) -> str:
        """The model formula fitted."""
        return self.definition.formula(self.arm)

    def contrast(self, at=_UNSET, *, level: float = 0.95) -> pd.DataFrame:
        """:meth:`PrimaryMMRM.contrast` of this fit (treatment minus :attr:`ref`).

        Raises
        ------
        ValueError
            When the fit failed (``result`` is None), with its message.
        """
        if self.result is None:
            raise ValueError(f"the MMRM {self.message}")
        if not self.converged:
            warnings.warn(f"the MMRM {self.message}", MMRMConvergenceWarning, stacklevel=2)
        return self.definition.contrast(self.result, arm=self.arm, ref=self.ref, at=at, level=level)

    def primary_values(self, at=_UNSET, *, level: float = 0.95) -> dict:
        """The first row of :meth:`contrast` as floats: ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``p_value``."""
        row = self.contrast(at, level=level).iloc[0]
        return {k: float(row[k]) for k in _CONTRAST_COLUMNS}
