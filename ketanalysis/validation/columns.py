"""Canonical column names of the score frame and the order the readers give them.

The data contract (docs/architecture.md): the columns every score frame needs
(:data:`REQUIRED`), their canonical order (:data:`CANONICAL_ORDER`), the provenance columns
the readers add (:data:`PROVENANCE`) and the item columns ``item_1`` ... ``item_k``.
"""

from __future__ import annotations

import pandas as pd

from .. import scales as _scales

__all__ = [
    "CANONICAL_ORDER",
    "MAX_ITEMS",
    "PROVENANCE",
    "REQUIRED",
    "is_item",
    "order_columns",
    "text_as_object",
]


#: Columns every score frame has (``scale`` may come from ``scale=``).
REQUIRED = ("patient_id", "session", "scale", "score")


#: The first columns of a canonical score frame, in order.
CANONICAL_ORDER = ("patient_id", "session", "day", "scale", "score", "score_source")


#: Columns the readers add: the input row and (``from_wide``) the input column.
PROVENANCE = ("source_row", "source_column")


#: The most items of any registry scale.
MAX_ITEMS = max(s.n_items for s in _scales.SCALES.values())


def is_item(col) -> bool:
    """True for item columns ``item_1``, ``item_2``, ... (not ``item_comment``)."""
    return isinstance(col, str) and col.startswith("item_") and col[5:].isdigit()


def text_as_object(df: pd.DataFrame) -> pd.DataFrame:
    """Text columns to object dtype, None where missing (in place; returns ``df``)."""
    for c in df.columns:
        if pd.api.types.is_string_dtype(df[c].dtype) and df[c].dtype != object:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df


def order_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Canonical column order; text columns as object dtype whatever the reader made them."""
    text_as_object(df)
    items = sorted((c for c in df.columns if is_item(c)), key=lambda c: int(c[5:]))
    first = [c for c in CANONICAL_ORDER if c in df.columns]
    last = [c for c in PROVENANCE if c in df.columns]
    middle = [c for c in df.columns if c not in first and c not in last and c not in items]
    return df[first + middle + items + last]
