"""Small helpers over problem tables shared by stages."""

from __future__ import annotations

import json
from collections.abc import Callable

import polars as pl

from schemas import conform

_ROW = "__row"


def value_counts(df: pl.DataFrame | None, column: str, *, null_as: str | None = None) -> dict[str, int]:
    """{value: rows} of one column, most frequent first, then by value: the same order on every run
    (card, manifest, run report, `curate stats`). Nulls are left out, or counted as `null_as`."""
    if df is None or df.height == 0 or column not in df.columns:
        return {}
    values = pl.col(column).cast(pl.Utf8)
    counts = (df.select(values.fill_null(null_as) if null_as is not None else values)
              .drop_nulls().group_by(column).len()
              .sort(["len", column], descending=[True, False]))
    return {str(k): int(v) for k, v in counts.iter_rows()}


def apply_to_subset(
    df: pl.DataFrame, mask: pl.Expr, fn: Callable[[pl.DataFrame], pl.DataFrame]
) -> pl.DataFrame:
    """Apply the stage `fn` to the rows matching `mask` only; the other rows pass through unchanged.

    Row order is kept. `fn` must keep every row and column (stages never remove rows).
    """
    mask = mask.fill_null(False)  # a null (e.g. a missing kind) is "not in the subset": the row passes through, never lost
    indexed = df.with_row_index(_ROW)
    inside = fn(indexed.filter(mask))
    if _ROW not in inside.columns or inside.height != indexed.filter(mask).height:
        raise RuntimeError("a stage applied to a subset dropped rows or columns; stages must keep both")
    merged = pl.concat([conform(inside), conform(indexed.filter(~mask))], how="diagonal_relaxed")
    # conform gives the rows outside the subset the schema default of the columns `fn` added; the
    # schema columns neither side had are left out (a projected stage has only its own columns)
    had = set(inside.columns) | set(indexed.columns)
    return merged.select([c for c in merged.columns if c in had]).sort(_ROW).drop(_ROW)


def with_review_evidence(df: pl.DataFrame, evidence: dict[str, dict]) -> pl.DataFrame:
    """Set `review_evidence` (a JSON object as text) from `{id: evidence}` where a row has none yet.

    The evidence a stage gives the reviewer travels in the frame, so it reaches the review queue
    whichever way the stages run (`curate run`, the flows, or stage commands one by one).
    """
    if "review_evidence" not in df.columns:  # only this column: a projected stage has only its own
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias("review_evidence"))
    if not evidence:
        return df
    found = pl.DataFrame(
        {"id": list(evidence), "_evidence": [json.dumps(e, ensure_ascii=False, default=str) for e in evidence.values()]},
        schema={"id": pl.Utf8, "_evidence": pl.Utf8},
    )
    out = df.join(found, on="id", how="left", maintain_order="left")
    return out.with_columns(pl.coalesce("review_evidence", "_evidence").alias("review_evidence")).drop("_evidence")
