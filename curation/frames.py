"""Small helpers over problem tables shared by stages."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from schemas import conform

_ROW = "__row"


def apply_to_subset(
    df: pl.DataFrame, mask: pl.Expr, fn: Callable[[pl.DataFrame], pl.DataFrame]
) -> pl.DataFrame:
    """Apply the stage `fn` to the rows matching `mask` only; the other rows pass through unchanged.

    Row order is kept. `fn` must keep every row and column (stages never remove rows).
    """
    indexed = df.with_row_index(_ROW)
    inside = fn(indexed.filter(mask))
    if _ROW not in inside.columns or inside.height != indexed.filter(mask).height:
        raise RuntimeError("a stage applied to a subset dropped rows or columns; stages must keep both")
    merged = pl.concat([conform(inside), conform(indexed.filter(~mask))], how="diagonal_relaxed")
    return merged.sort(_ROW).drop(_ROW)
