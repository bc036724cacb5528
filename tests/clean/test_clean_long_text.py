"""Cleaning rules on pathological text: time must grow linearly with the question length."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("unit", ["long ", "what is it? ", "$x$ ", "(a) find ", "Subproblem 1: ", '"quoted '])
def test_cleaning_rules_stay_linear_on_a_long_question(unit):
    """A 200,000-character question (kept by max_row_bytes) must not stall the cleaning rules: a
    backtracking pattern here once made `curate run` hang for hours on one such row."""
    import polars as pl

    from curation.clean import flag_problems
    from schemas.problem import conform

    q = unit * (200_000 // len(unit)) + " What is m+n?"
    df = conform(pl.DataFrame({"id": ["a"], "source": ["s"], "question": [q], "answer": ["1"]}))
    out = flag_problems(df)
    assert out["drop_reason"].to_list() == ["too_long"]
