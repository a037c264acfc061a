"""Simple two-arm designs whose power has a closed form, to check :func:`.power.power`.

:func:`normal_outcome` (for ``analysis="t_test"``) and :func:`binary_outcome` (for
``analysis="two_proportion"``) return picklable simulators ``simulate(n_per_arm, rng)``
of one ``value`` per patient. Their ``values`` method draws the outcomes alone, which the
runner uses to analyse many trials at once (:mod:`.runner`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .arguments import check_arms, finite

__all__ = ["BinaryOutcome", "NormalOutcome", "binary_outcome", "normal_outcome", "simple_frame"]


@dataclass(frozen=True)
class NormalOutcome:
    """Normal outcome per arm (see :func:`normal_outcome`)."""

    effect_size: float
    sd: float
    arms: tuple[str, str]

    def values(self, n_per_arm: int, rng: np.random.Generator) -> np.ndarray:
        """Outcomes of the treatment arm, then of the control arm."""
        means = np.repeat([self.effect_size * self.sd, 0.0], n_per_arm)
        return means + self.sd * rng.standard_normal(2 * n_per_arm)

    def __call__(self, n_per_arm: int, rng: np.random.Generator) -> pd.DataFrame:
        return simple_frame(self.arms, n_per_arm, self.values(n_per_arm, rng))


@dataclass(frozen=True)
class BinaryOutcome:
    """Binary outcome per arm (see :func:`binary_outcome`)."""

    p_treatment: float
    p_control: float
    arms: tuple[str, str]

    def values(self, n_per_arm: int, rng: np.random.Generator) -> np.ndarray:
        """Outcomes (0 or 1) of the treatment arm, then of the control arm."""
        p = np.repeat([self.p_treatment, self.p_control], n_per_arm)
        return (rng.random(2 * n_per_arm) < p).astype(float)

    def __call__(self, n_per_arm: int, rng: np.random.Generator) -> pd.DataFrame:
        return simple_frame(self.arms, n_per_arm, self.values(n_per_arm, rng))


def simple_frame(arms, n_per_arm, value) -> pd.DataFrame:
    """The frame of a simple design: ``patient_id``, ``arm`` (``n_per_arm`` of each, treatment
    first) and ``value``."""
    return pd.DataFrame(
        {
            "patient_id": [f"S{i + 1:04d}" for i in range(2 * n_per_arm)],
            "arm": np.repeat(np.array(arms, dtype=object), n_per_arm),
            "value": value,
        }
    )


def normal_outcome(
    effect_size: float, *, sd: float = 1.0, arms: Sequence[str] = ("ketamine", "midazolam")
) -> Callable[[int, np.random.Generator], pd.DataFrame]:
    """A two-arm design with a normal outcome, for ``analysis="t_test"``.

    Parameters
    ----------
    effect_size : float
        Standardised mean difference (Cohen's d): the first arm's mean is
        ``effect_size * sd``, the second arm's 0.
    sd : float, default 1.0
        Common standard deviation (positive).
    arms : pair of str, default ("ketamine", "midazolam")
        Arm labels, treatment first.

    Returns
    -------
    callable
        ``simulate(n_per_arm, rng)`` returning a DataFrame with ``patient_id``, ``arm`` and
        ``value`` (one row per patient, ``n_per_arm`` per arm); picklable, so it runs in
        worker processes.

    Notes
    -----
    With Student's t test the power is known exactly (noncentral t;
    ``statsmodels.stats.power.TTestIndPower``), which the tests use to check :func:`power`.

    Examples
    --------
    >>> import numpy as np
    >>> from ketanalysis.simulate import normal_outcome
    >>> frame = normal_outcome(0.5)(3, np.random.default_rng(1))
    >>> frame["arm"].tolist()
    ['ketamine', 'ketamine', 'ketamine', 'midazolam', 'midazolam', 'midazolam']
    """
    effect_size = finite(effect_size, "effect_size")
    sd = finite(sd, "sd")
    if sd <= 0:
        raise ValueError(f"sd: expected a positive number, got {sd!r}")
    return NormalOutcome(effect_size, sd, check_arms(arms))


def binary_outcome(
    p_treatment: float, p_control: float, *, arms: Sequence[str] = ("ketamine", "midazolam")
) -> Callable[[int, np.random.Generator], pd.DataFrame]:
    """A two-arm design with a binary outcome, for ``analysis="two_proportion"``.

    Parameters
    ----------
    p_treatment, p_control : float
        Probability of the outcome (e.g. response) in the first and the second arm,
        between 0 and 1.
    arms : pair of str, default ("ketamine", "midazolam")
        Arm labels, treatment first.

    Returns
    -------
    callable
        ``simulate(n_per_arm, rng)`` returning a DataFrame with ``patient_id``, ``arm`` and
        ``value`` (0 or 1); picklable.

    Notes
    -----
    The power of the two-proportion z test is close to the normal approximation on
    Cohen's arcsine scale ``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p2))``
    (``statsmodels.stats.power.NormalIndPower`` with ``proportion_effectsize``).

    Examples
    --------
    >>> import numpy as np
    >>> from ketanalysis.simulate import binary_outcome
    >>> frame = binary_outcome(0.6, 0.2)(4, np.random.default_rng(1))
    >>> sorted(frame.columns)
    ['arm', 'patient_id', 'value']
    """
    probs = []
    for name, p in (("p_treatment", p_treatment), ("p_control", p_control)):
        p = finite(p, name)
        if not 0 <= p <= 1:
            raise ValueError(f"{name}: expected a probability between 0 and 1, got {p!r}")
        probs.append(p)
    return BinaryOutcome(probs[0], probs[1], check_arms(arms))
