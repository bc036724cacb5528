"""The dedup stage functions (keyword-only settings; they add columns and never remove rows)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import polars as pl

from curation.config import DedupSettings
from curation.dedup.clusters import engine
from curation.dedup.index import LoadedIndex, check_settings, load_index
from curation.dedup.normalize import dedup_question, normalize_series, shingle_text, stable_hashes, template_expr
from curation.frames import apply_to_subset
from schemas import conform


# ------------------------------------------------------------------------------------ public API
def mark_exact_duplicates(
    df: pl.DataFrame,
    *,
    settings: DedupSettings = DedupSettings(),
    source_priority: Optional[dict[str, int]] = None,
    index_dir: Optional[Path] = None,
) -> pl.DataFrame:
    """Clusters of identical normalized questions (see module docstring for columns and rules)."""
    return engine(df, settings, source_priority, index_dir, near=False)


def mark_template_groups(df: pl.DataFrame, *, index_dir: Optional[Path] = None, settings: DedupSettings = DedupSettings()) -> pl.DataFrame:
    """Set `template_group` (hex hash of the digit-masked normalized question) on rows whose template
    is shared with at least one row with a *different* normalized question (in this frame or, with
    `index_dir`, in the index). A flag only: nothing is dropped. Output: `template_group`."""
    df = conform(df)
    if df.height == 0:
        return df
    index = load_index(Path(index_dir), settings) if index_dir is not None else None
    return _template_groups(df, normalize_series(dedup_question(df)), index)


def _template_groups(df: pl.DataFrame, norm: pl.Series, index: Optional[LoadedIndex]) -> pl.DataFrame:
    t = pl.DataFrame({"_norm": norm}).with_columns(template_expr(pl.col("_norm")).alias("_tmpl"))
    t = t.with_columns(
        ((pl.col("_norm").n_unique().over("_tmpl") > 1) & (pl.col("_norm").str.len_bytes() > 0)).alias("_shared")
    )
    with_index = index is not None and index.height > 0
    # stable hashes only where needed: shared templates, or every template when matching an index
    need = t if with_index else t.filter(pl.col("_shared"))
    uniq_t = need["_tmpl"].unique().to_list()
    hashes = stable_hashes(uniq_t)
    hmap = pl.DataFrame(
        {"_tmpl": uniq_t, "_h": hashes, "_hex": [f"{h:016x}" for h in hashes]},
        schema={"_tmpl": pl.Utf8, "_h": pl.UInt64, "_hex": pl.Utf8},
    )
    t = t.join(hmap, on="_tmpl", how="left", maintain_order="left")
    shared = pl.col("_shared")
    if with_index:
        # per template: how many different texts the index holds, and one of them (a join of rows
        # with rows would be quadratic in a template family of a million members)
        ex = index.frame.group_by("tmpl").agg(
            pl.col("nhash").n_unique().alias("_texts"), pl.col("nhash").first().alias("_one")
        ).rename({"tmpl": "_h"})
        hits = t.select("_h", "_norm").unique().join(ex, on="_h", how="inner")
        hits = hits.with_columns(pl.Series("_nhash", stable_hashes(hits["_norm"].to_list()), dtype=pl.UInt64))
        other = (
            hits.filter((pl.col("_texts") > 1) | (pl.col("_one") != pl.col("_nhash")))  # an indexed row with another text
            .select("_h", "_norm").unique()
            .with_columns(pl.lit(True).alias("_ext"))
        )
        t = t.join(other, on=["_h", "_norm"], how="left", maintain_order="left")
        shared = shared | (pl.col("_ext").fill_null(False) & (pl.col("_norm").str.len_bytes() > 0))
    group = t.select(pl.when(shared).then(pl.col("_hex")).otherwise(None).alias("template_group"))
    return df.with_columns(group["template_group"])


def mark_near_duplicates(
    df: pl.DataFrame,
    *,
    settings: DedupSettings = DedupSettings(),
    source_priority: Optional[dict[str, int]] = None,
    index_dir: Optional[Path] = None,
) -> pl.DataFrame:
    """Exact + MinHash-LSH near-duplicate clusters (recomputes all cluster columns)."""
    return engine(df, settings, source_priority, index_dir, near=True)


def mark_duplicates(
    df: pl.DataFrame,
    *,
    settings: DedupSettings = DedupSettings(),
    source_priority: Optional[dict[str, int]] = None,
    index_dir: Optional[Path] = None,
    stats: Optional[dict] = None,
    signatures: Optional[np.ndarray] = None,
    progress: Optional[Callable[[int, int, dict], None]] = None,
    near_edges: Optional[tuple[np.ndarray, np.ndarray]] = None,
    not_duplicates: Optional[Sequence[Sequence[str]]] = None,
) -> pl.DataFrame:
    """The dedup stage: exact duplicates, template groups, near duplicates (in that order).

    Puzzles (`kind = "puzzle"`) are rendered from shared templates, so text similarity between two
    of them means nothing: a puzzle is a duplicate only of an identical puzzle (same content id).

    With `index_dir` holding an index (see `update_index`), the batch is deduplicated against the
    existing dataset too: a new row duplicating an existing row gets `duplicate_of` = that row's id;
    existing rows always win and are never touched. An absent index means a plain batch run.
    `stats` (optional dict) receives counts and timings.
    `signatures` (optional): the MinHash signatures of every row, in row order, as
    `minhash.minhash_signatures(signature_texts(df), num_perm=, seed=, shingle_size=)` with these
    settings would compute them (shape (rows, num_perm), uint32) - e.g. computed in row chunks on
    several workers by the Prefect flow; the result is the same as without them.
    `progress(done, total, info)` (optional): rows signed of all text rows after each signature
    chunk (`info["phase"] == "signatures"`), then once per later phase; it ends at (rows, rows).
    `near_edges` (optional): (row pairs (k, 2), Jaccard (k,)[, linked by the answer-confirmed tier
    (k,) bool]) = the union of `near_duplicate_edges`
    over band groups that cover every band (e.g. one task per group on Dask workers): the linking
    step is skipped, exact duplicates, template groups and clusters are computed here as usual.
    Not with `index_dir` (the edges do not cover the index).
    `not_duplicates` (optional): groups of problem ids a reviewer declared different problems
    ("not duplicates" in the review queue, `ReviewQueue.distinct_groups`): no two different ids of a
    group are linked, exactly or near (they can still meet through a third row linked to both).
    """
    df = conform(df)
    is_puzzle = (df["kind"] == "puzzle").fill_null(False)  # a row without a kind is a text row
    if not is_puzzle.any():
        out = _mark_text_duplicates(
            df, settings=settings, source_priority=source_priority, index_dir=index_dir, stats=stats,
            signatures=signatures, progress=progress, near_edges=near_edges, not_duplicates=not_duplicates,
        )
        if progress is not None:
            progress(df.height, df.height, {"phase": "done"})
        return out
    text_signatures = signatures[(~is_puzzle).to_numpy()] if signatures is not None else None
    text_edges = None
    if near_edges is not None:  # row pairs of df -> row pairs of the text subset (puzzles have none)
        local = np.full(df.height, -1, dtype=np.int64)
        text_rows = np.flatnonzero((~is_puzzle).to_numpy())
        local[text_rows] = np.arange(len(text_rows))
        text_edges = (local[np.asarray(near_edges[0], dtype=np.int64).reshape(-1, 2)], *near_edges[1:])
    df = apply_to_subset(
        df,
        pl.col("kind").fill_null("") != "puzzle",
        lambda part: _mark_text_duplicates(
            part,
            settings=settings,
            source_priority=source_priority,
            index_dir=index_dir,
            stats=stats,
            signatures=text_signatures,
            progress=progress,
            near_edges=text_edges,
            not_duplicates=not_duplicates,
        ),
    )
    out = apply_to_subset(
        df, pl.col("kind") == "puzzle", lambda part: mark_puzzle_copies(part, drop=settings.drop_duplicates)
    )
    if progress is not None:
        progress(df.height, df.height, {"phase": "done"})
    return out


def mark_puzzle_copies(df: pl.DataFrame, *, drop: bool = True) -> pl.DataFrame:
    """Later copies of an identical puzzle (same content id) are exact duplicates of the first.

    Input: `id`, `exact_dup_of`, `drop_reason`. Output: `exact_dup_of` set on the copies, and
    `drop_reason = "exact_duplicate"` where still null when `drop`.
    """
    first = pl.int_range(pl.len()).over("id") == 0
    return df.with_columns(
        exact_dup_of=pl.when(first).then(pl.col("exact_dup_of")).otherwise(pl.col("id")),
        drop_reason=pl.when(first | pl.col("drop_reason").is_not_null() | (not drop))
        .then(pl.col("drop_reason"))
        .otherwise(pl.lit("exact_duplicate")),
    )


def _mark_text_duplicates(
    df: pl.DataFrame,
    *,
    settings: DedupSettings = DedupSettings(),
    source_priority: Optional[dict[str, int]] = None,
    index_dir: Optional[Path] = None,
    stats: Optional[dict] = None,
    signatures: Optional[np.ndarray] = None,
    progress: Optional[Callable[[int, int, dict], None]] = None,
    near_edges: Optional[tuple[np.ndarray, np.ndarray]] = None,
    not_duplicates: Optional[Sequence[Sequence[str]]] = None,
) -> pl.DataFrame:
    """Exact, template and near duplicates by question text (see `mark_duplicates`)."""
    check_settings(settings)
    df = conform(df)
    if df.height == 0:
        return df
    t0 = time.process_time()
    norm = normalize_series(dedup_question(df))
    index = load_index(Path(index_dir), settings) if index_dir is not None else None
    df = _template_groups(df, norm, index)
    if stats is not None:
        stats.setdefault("phases", {})["normalize+template"] = time.process_time() - t0
    return engine(
        df, settings, source_priority, index, near=True, stats=stats, norm=norm, signatures=signatures, progress=progress,
        near_edges=near_edges, not_duplicates=not_duplicates,
    )


def signature_texts(df: pl.DataFrame) -> pl.Series:
    """The text of each row that near-duplicate detection shingles (`shingle_text` of the normalized
    question)."""
    return shingle_text(normalize_series(dedup_question(conform(df))))


def source_priority_from_config(cfg) -> dict[str, int]:
    """`{source name: priority}` from a `PipelineConfig` (name defaults to the file stem)."""
    out: dict[str, int] = {}
    for s in cfg.sources:
        name = s.name or Path(s.path).stem
        out[name] = s.priority
    return out

