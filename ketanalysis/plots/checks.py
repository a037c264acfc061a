"""Argument checks and inputs shared by the figure functions: the frame of an
:class:`~ketanalysis.Outcomes`, one scale's rows, and checks of the options every figure
takes (each error names the parameter and its value).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd

from ..outcomes import Outcomes
from ..stats.arguments import check_level as check_probability


def frames(data, *, need: str = "assessments") -> tuple[pd.DataFrame, Outcomes | None]:
    """The assessments or patients frame of an :class:`Outcomes` (or a frame as given)."""
    if isinstance(data, Outcomes):
        return getattr(data, need), data
    if isinstance(data, pd.DataFrame):
        return data, None
    raise TypeError(
        f"data must be an Outcomes from ka.derive or a DataFrame, not {type(data).__name__}"
    )


def pick_scale(frame: pd.DataFrame, scale: str | None, out: Outcomes | None = None):
    """Rows of one scale: ``scale`` or the first outcome scale. Returns (rows, scale)."""
    if "scale" not in frame.columns:
        if scale is None:
            raise ValueError("data has no 'scale' column; pass scale=")
        return frame, scale
    present = list(out.scales) if out is not None else list(pd.unique(frame["scale"]))
    if scale is None:
        if not present:
            raise ValueError("data has no rows")
        scale = present[0]
    if scale not in set(frame["scale"].unique()):
        raise ValueError(f"scale={scale!r} is not in the data; scales present: {present}")
    return frame[frame["scale"] == scale], scale


def check_choice(value, choices, name: str) -> None:
    """``value`` must be one of the strings ``choices`` (ValueError naming ``name``)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}={value!r} must be one of {', '.join(map(repr, choices))}")


def check_bool(value, name: str) -> None:
    """``value`` must be a bool (numpy's included); TypeError naming ``name``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be True or False")


def check_level(level) -> float | None:
    """A figure's confidence level: None (no interval) or a probability in (0, 1) as a
    float, checked by :func:`ketanalysis.stats.arguments.check_level` (95 is an error
    naming ``level`` whose message says 0.95)."""
    return None if level is None else check_probability(level)


def check_ax(ax) -> None:
    """``ax`` must be None or a matplotlib Axes."""
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, not {type(ax).__name__}")


def check_options(labels, colors, ax, min_cell_size) -> None:
    """The options every grouped figure takes: ``labels``/``colors`` (a dict by group
    level or a list), ``ax`` and ``min_cell_size``."""
    for name, value in (("labels", labels), ("colors", colors)):
        if value is not None and (
            isinstance(value, (str, bytes)) or not isinstance(value, (Mapping, Sequence))
        ):
            raise TypeError(f"{name}={value!r} must be a dict by group level or a list")
    check_ax(ax)
    check_min_cell_size(min_cell_size)


def check_min_cell_size(min_cell_size) -> None:
    if min_cell_size is None:
        return
    if not isinstance(min_cell_size, int) or isinstance(min_cell_size, bool) or min_cell_size < 1:
        raise ValueError(f"min_cell_size={min_cell_size!r} must be a positive integer or None")


def check_by(by) -> None:
    """``by`` must be a column name or None (TypeError naming it)."""
    if by is not None and not isinstance(by, str):
        raise TypeError(f"by must be a column name (str) or None, not {by!r}")


def check_plain_bool(value, name: str) -> None:
    """``value`` must be a Python bool (numpy's not accepted); TypeError naming ``name``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")


def check_colors(given, default: dict, name: str) -> dict:
    """Colours by key: ``default`` with the entries of the mapping ``given`` (None: the
    defaults); unknown keys and values that are no colour are errors naming ``name``."""
    if given is None:
        return dict(default)
    if not isinstance(given, Mapping):
        raise TypeError(f"{name} must be a mapping of {list(default)} to colours")
    unknown = [k for k in given if k not in default]
    if unknown:
        raise ValueError(f"{name} has unknown keys {unknown}; valid: {list(default)}")
    for k, v in given.items():
        if not mpl.colors.is_color_like(v):
            raise ValueError(f"{name}[{k!r}]={v!r} is not a colour")
    return {**default, **given}


def endpoint_scale(ep: pd.DataFrame, scale) -> str:
    """The scale of endpoint rows ``ep``: ``scale`` if given, else the first row's."""
    if scale is not None:
        return str(scale)
    if "scale" in ep.columns and len(ep):
        return str(ep["scale"].iloc[0])
    raise ValueError("no patients with an endpoint assessment; pass scale= or check the data")


def check_no_scale(scale) -> None:
    """Figures of safety data draw no rating scale: ``scale`` must be None."""
    if scale is not None:
        raise ValueError(f"scale={scale!r}: this figure draws no rating scale; leave it None")
