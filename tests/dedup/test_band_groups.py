"""Sharded near-duplicate linking: band groups (one per worker) give edges only, and their union
through `mark_duplicates(near_edges=)` gives the single-process result (issue 20 scale-out)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from curation.config import DedupSettings
from curation.dedup import mark_duplicates, near_duplicate_edges, signature_texts
from curation.dedup.minhash import minhash_signatures

from .helpers import BASE, OTHER, THIRD, frame

COLUMNS = ["exact_dup_of", "cluster_id", "duplicate_of", "dup_similarity", "conflicting_answers", "drop_reason",
           "review_reason", "template_group"]


def corpus() -> pl.DataFrame:
    rows = []
    for i, q in enumerate([BASE, OTHER, THIRD]):
        rows += [
            {"question": q, "answer": "1"},
            {"question": q.replace(" the ", " the  "), "answer": "1"},  # exact after normalization
            {"question": q + " Show your work.", "answer": "1"},  # near duplicate
            {"question": q.replace(".", ", please.", 1), "answer": "2" if i == 0 else "1"},  # near; conflict for BASE
            {"question": q.replace("3", "4").replace("4 red", "5 red").replace("13", "17"), "answer": "9"},  # other numbers
        ]
    rows += [{"question": "", "answer": "x"}, {"question": "Sudoku 1", "kind": "puzzle", "id": "p1"},
             {"question": "Sudoku 1", "kind": "puzzle", "id": "p1"}]
    return frame(rows)


def sharded(df: pl.DataFrame, settings: DedupSettings, groups: list[tuple[int, int]]):
    sig = minhash_signatures(signature_texts(df), num_perm=settings.num_perm, seed=settings.seed,
                             shingle_size=settings.shingle_size)
    parts = [near_duplicate_edges(df, settings=settings, signatures=sig, first_band=a, band_count=b - a) for a, b in groups]
    pairs = np.concatenate([p.pairs for p in parts])
    sims = np.concatenate([p.similarities for p in parts])
    return parts, (pairs, sims)


@pytest.mark.parametrize("groups", [[(0, 32)], [(0, 16), (16, 32)], [(0, 5), (5, 6), (6, 20), (20, 32)]])
def test_union_of_band_groups_equals_single_process(groups):
    df, settings = corpus(), DedupSettings()
    single = mark_duplicates(df, settings=settings)
    reasons = single["drop_reason"].to_list()
    # the corpus has exact and near duplicates and a conflicting cluster (in review, not dropped)
    assert "exact_duplicate" in reasons and "near_duplicate" in reasons and single["conflicting_answers"].any()
    _, edges = sharded(df, settings, groups)
    assert edges[0].shape[1] == 2 and edges[0].dtype == np.int64  # row pairs only
    out = mark_duplicates(df, settings=settings, near_edges=edges)
    assert out.select(COLUMNS).equals(single.select(COLUMNS))


def test_edges_are_row_pairs_of_the_frame_and_never_puzzles():
    df, settings = corpus(), DedupSettings()
    parts, (pairs, _) = sharded(df, settings, [(0, 16), (16, 32)])
    kinds = df["kind"].to_list()
    assert len(pairs) and all(kinds[i] != "puzzle" and kinds[j] != "puzzle" for i, j in pairs.tolist())
    q = df["question"].to_list()
    assert all(q[i] and q[j] and q[i] != q[j] for i, j in pairs.tolist())


def test_bad_band_group_and_index_are_refused(tmp_path):
    df, settings = corpus(), DedupSettings()
    sig = np.zeros((df.height, settings.num_perm), dtype=np.uint32)
    with pytest.raises(ValueError):
        near_duplicate_edges(df, settings=settings, signatures=sig, first_band=30, band_count=5)
    from curation.dedup import update_index

    update_index(df.head(3), tmp_path / "idx", settings)
    with pytest.raises(ValueError, match="index"):
        mark_duplicates(df, settings=settings, index_dir=tmp_path / "idx", near_edges=(np.zeros((0, 2), np.int64), np.zeros(0)))


def test_band_group_task_files_give_the_single_process_result(tmp_path):
    # the flow's pieces: chunk signature files, band-group tasks keeping 16 bytes a row (keys read
    # 4 rows at a time) and reading texts only for checked pairs, edges loaded by the cluster step
    from curation.config import PipelineConfig
    from curation.io import write_problems
    from flows.chunks import band_groups, compute_band_group_edges, compute_signature_chunk, keys_file, load_edges

    df, cfg = corpus(), PipelineConfig()
    src = write_problems(df, tmp_path / "in.parquet")
    files = [compute_signature_chunk(cfg, str(src), a, min(df.height, a + 7), str(tmp_path / f"s{a}.npy"))["file"]
             for a in range(0, df.height, 7)]
    # the text keys are computed once, by the signature tasks, next to each .npy
    assert all(keys_file(f).exists() for f in files)
    assert np.concatenate([np.load(keys_file(f)) for f in files]).shape == (df.height, 2)
    results = [compute_band_group_edges(cfg, str(src), files, a, b, str(tmp_path / f"e{a}.npz"), key_rows=4)
               for a, b in band_groups(cfg.dedup.bands, 3)]
    assert sum(r["edges"] for r in results) > 0
    edges = load_edges([r["file"] for r in results])
    out = mark_duplicates(df, settings=cfg.dedup, near_edges=edges)
    assert out.select(COLUMNS).equals(mark_duplicates(df, settings=cfg.dedup).select(COLUMNS))
    # without the saved keys (signature files from elsewhere) a band task computes them: same edges
    for f in files:
        keys_file(f).unlink()
    again = [compute_band_group_edges(cfg, str(src), files, a, b, str(tmp_path / f"x{a}.npz"), key_rows=4)
             for a, b in band_groups(cfg.dedup.bands, 3)]
    pairs, sims, *_ = load_edges([r["file"] for r in again])
    assert np.array_equal(pairs, edges[0]) and np.array_equal(sims, edges[1])
