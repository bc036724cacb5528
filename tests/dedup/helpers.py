"""Shared fixtures for the dedup tests: frames built directly with `schemas.conform`."""

from __future__ import annotations

import polars as pl

from schemas import conform

BASE = (
    "Let $f(x) = x^2 + 3x + 5$ be a polynomial with real coefficients. Find the sum of all real numbers "
    "$x$ such that $f(f(x)) = 25$, and express the answer as a fraction in lowest terms."
)
OTHER = (
    "A bag contains 4 red marbles and 6 blue marbles. Two marbles are drawn at random without "
    "replacement. What is the probability that both marbles drawn are the same color?"
)
THIRD = (
    "In triangle $ABC$ the side lengths are $AB = 13$, $BC = 14$ and $CA = 15$. Compute the radius of "
    "the circle inscribed in the triangle and give the exact value."
)


def frame(rows: list[dict]) -> pl.DataFrame:
    """Conformed problem frame; fills id/source when absent."""
    full = []
    for i, r in enumerate(rows):
        r = dict(r)
        r.setdefault("id", f"r{i:03d}")
        r.setdefault("source", "src")
        full.append(r)
    return conform(pl.DataFrame(full, infer_schema_length=None))


def by_id(df: pl.DataFrame) -> dict[str, dict]:
    return {r["id"]: r for r in df.iter_rows(named=True)}
