"""Checks of the arguments of the simulation functions (shared by :mod:`.designs` and
:mod:`.power`): each names the parameter and the bad value."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["check_arms", "check_n", "check_n_values", "finite", "unit_interval"]


def finite(value, name: str) -> float:
    """``value`` as a float; ValueError naming ``name`` unless it is a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def unit_interval(value, name: str) -> float:
    """``value`` as a float strictly between 0 and 1."""
    value = finite(value, name)
    if not 0 < value < 1:
        raise ValueError(f"{name}: expected a number between 0 and 1 (exclusive), got {value!r}")
    return value


def check_n(value, name: str) -> int:
    """``value`` as an int of at least 2 (patients per arm)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
        raise ValueError(f"{name}: expected an integer of at least 2, got {value!r}")
    return int(value)


def check_n_values(n_values) -> list[int]:
    """A non-empty sequence of sample sizes per arm, each at least 2."""
    if isinstance(n_values, (str, bytes)) or not isinstance(n_values, (Sequence, np.ndarray)):
        raise ValueError(f"n_values: expected a sequence of integers, got {n_values!r}")
    if len(n_values) == 0:
        raise ValueError("n_values: expected at least one sample size, got none")
    return [check_n(n, "n_values") for n in n_values]


def check_arms(arms) -> tuple[str, str]:
    """Two distinct arm labels, treatment first."""
    if (
        isinstance(arms, str)
        or not isinstance(arms, Sequence)
        or len(arms) != 2
        or not all(isinstance(a, str) for a in arms)
        or arms[0] == arms[1]
    ):
        raise ValueError(f"arms: expected two distinct labels (treatment, control), got {arms!r}")
    return (arms[0], arms[1])
