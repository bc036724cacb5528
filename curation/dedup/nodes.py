"""Nodes of the duplicate graph: one row per problem with the fields the representative rule ranks."""

from __future__ import annotations

from typing import Optional

import numpy as np
import polars as pl

from curation.dedup.normalize import dedup_question, normalize_series, normalized_answer_expr

def keyed_answers(df: pl.DataFrame) -> pl.Series:
    """The reference answer of each row as the answer-confirmed tier compares it
    (`content.answer_confirmed`): the answer; for a row still in multiple-choice form (non-empty
    `choices`) the text of its keyed option (`curation.choices.answer_index`: a letter, the option
    text or its value), or the keyed options' texts joined with " | " for a multi-select key; None
    when the key names no option."""
    answers = df["answer"].cast(pl.Utf8) if "answer" in df.columns else pl.Series("answer", [None] * df.height, dtype=pl.Utf8)
    if "choices" not in df.columns or df["choices"].dtype == pl.Null:
        return answers
    has = (df["choices"].list.len() > 0).fill_null(False)
    if not has.any():
        return answers
    from curation.choices import answer_index, multi_select_letters

    idx = has.arg_true()
    keyed: list = []
    for ans, options in zip(answers.gather(idx).to_list(), df["choices"].gather(idx).to_list()):
        options = [o or "" for o in options]
        letters = multi_select_letters(ans, len(options)) if ans is not None else None
        if letters:
            keyed.append(" | ".join(sorted(options[ord(c) - ord("A")].strip() for c in letters)))
            continue
        i = answer_index(ans, options)
        keyed.append(options[i].strip() if i is not None else None)
    return answers.scatter(idx, pl.Series(keyed, dtype=pl.Utf8))


def prepare_nodes(df: pl.DataFrame, source_priority: Optional[dict[str, int]], norm: Optional[pl.Series] = None) -> pl.DataFrame:
    prio = source_priority or {}
    if norm is None:
        norm = normalize_series(dedup_question(df))
    sol = pl.col("solution").is_not_null() & (pl.col("solution").str.strip_chars() != "")
    ver = (
        pl.col("answer").is_not_null()
        & (pl.col("answer").str.strip_chars() != "")
        & (pl.col("answer_type").fill_null("unknown") != "unknown")
    )
    df = df.with_columns(keyed_answers(df).alias("_keyed"))
    return df.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_node"),
        pl.col("id").cast(pl.Utf8),
        pl.col("source").cast(pl.Utf8),
        pl.lit(norm).alias("_norm"),
        normalized_answer_expr("_keyed").alias("_ans"),  # a multiple-choice key as its option's text
        sol.alias("_sol"),
        ver.alias("_ver"),
        pl.col("drop_reason").is_not_null().alias("_dropped"),
        pl.lit(False).alias("_existing"),
        pl.col("source").replace_strict(prio, default=0, return_dtype=pl.Int64).alias("_prio")
        if prio
        else pl.lit(0, dtype=pl.Int64).alias("_prio"),
    )


def rank_nodes(nodes: pl.DataFrame) -> np.ndarray:
    """Position of each node in the representative order (0 = best)."""
    order = nodes.select(
        pl.arg_sort_by(
            [~pl.col("_existing"), pl.col("_dropped"), -pl.col("_prio"), ~pl.col("_sol"), ~pl.col("_ver"),
             pl.col("id"), pl.col("_node")],
            nulls_last=True,
        )
    ).to_series().to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank

