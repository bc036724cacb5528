"""Dedup with signatures computed in row chunks (as the flow does) equals dedup computing them itself."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.config import DedupSettings
from curation.dedup import mark_duplicates, signature_texts
from curation.dedup.minhash import minhash_signatures
from schemas import conform

WORDS = ["alpha", "beta", "gamma", "delta", "prime", "sum", "x", "$x^2$", "find", "the", "  ", "Ⅻ", ""]


def chunked_signatures(df: pl.DataFrame, s: DedupSettings, size: int) -> np.ndarray:
    parts = []
    for start in range(0, df.height, size):
        texts = signature_texts(df.slice(start, size))
        parts.append(minhash_signatures(texts, num_perm=s.num_perm, seed=s.seed, shingle_size=s.shingle_size))
    return np.concatenate(parts) if parts else np.zeros((0, s.num_perm), np.uint32)


def frame(questions: list[str]) -> pl.DataFrame:
    return conform(pl.DataFrame({
        "id": [f"r{i}" for i in range(len(questions))],
        "source": ["s"] * len(questions),
        "question": questions,
        "answer": [str(i % 3) for i in range(len(questions))],
    }))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(WORDS), min_size=0, max_size=12).map(" ".join), min_size=1, max_size=40),
    st.integers(1, 7),
)
def test_precomputed_chunked_signatures_give_the_same_result(questions, size):
    df = frame(questions + questions[: len(questions) // 2])  # plant exact duplicates
    s = DedupSettings(threshold=0.5)
    expected = mark_duplicates(df, settings=s)
    got = mark_duplicates(df, settings=s, signatures=chunked_signatures(df, s, size))
    assert got.equals(expected)
