"""The clustering engine: exact keys, LSH candidates, verified edges, components, representatives."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import polars as pl

from curation.config import DedupSettings
from curation.dedup import minhash as mh
from curation.dedup.content import number_keys
from curation.dedup.index import LoadedIndex, band_cols, check_settings, load_index
from curation.dedup.lsh import LinkResult, link_near_duplicates
from curation.dedup.normalize import dedup_question, normalize_series, shingle_text, stable_hashes
from curation.dedup.nodes import keyed_answers, prepare_nodes, rank_nodes
from schemas import conform


class _Clock:
    """Records CPU seconds per phase into `stats["phases"]` (no-op without stats)."""

    def __init__(self, stats: Optional[dict]):
        self.stats = stats
        self.last = time.process_time()
        if stats is not None:
            stats.setdefault("phases", {})

    def __call__(self, name: str) -> None:
        if self.stats is None:
            return
        now = time.process_time()
        self.stats["phases"][name] = self.stats["phases"].get(name, 0.0) + now - self.last
        self.last = now


def _conflicts(nodes: pl.DataFrame) -> set[int]:
    """Components (by label) whose live members' reference answers differ by the verifier.

    Only members not dropped by an earlier stage count (a row already dropped for a bad answer does
    not make a conflict). Answers are compared with `curation.dedup.answers.same_answer` (the
    verifier, plus noun labels and decimals written to fewer places) against the best-ranked
    member's answer: "1/2" and "0.5" agree, "6 (birds)" and "6" too, "4" and "5" do not; a pair the
    verifier cannot parse is a conflict unless the normalized strings are equal.
    """
    # `_ans` (normalized: no spaces, no `$`) finds the clusters with more than one answer; the
    # answers as written (`_raw`, where known) are what the verifier compares: without spaces
    # `\sec x \csc x` is no longer mathematics
    raw = "_raw" if "_raw" in nodes.columns else "_ans"
    multi = (
        nodes.filter(pl.col("_ans").is_not_null() & ~pl.col("_dropped"))
        .group_by("_comp")
        .agg(pl.col("_ans").n_unique().alias("_n"), pl.col(raw).unique().alias("answers"),
             pl.col(raw).sort_by("_rank").first().alias("ref"))
        .filter(pl.col("_n") > 1)
        .drop("_n")
    )
    if multi.height == 0:
        return set()
    from curation.dedup.answers import same_answer

    out: set[int] = set()
    for comp, answers, ref in multi.iter_rows():
        try:
            same = all(same_answer(ref, a) for a in answers)
        except Exception:  # a verifier failure on untrusted text is a conflict for a human to settle
            same = False
        if not same:
            out.add(comp)
    return out


def without_reviewed_distinct(
    edges: np.ndarray, ids: pl.Series, keys: pl.Series, groups: Sequence[Sequence[str]]
) -> np.ndarray:
    """`edges` (node pairs) without those joining two *different* problem ids of one group a
    reviewer declared "not duplicates" (`ReviewQueue.distinct_groups`): such members never land in
    one cluster again. Nodes with the same id and the same exact key (`keys`: identical content)
    stay linked: an edge to each one's first node is added, since the exact-duplicate star may have
    run through a cut member."""
    if len(edges) == 0:
        return edges
    member_of: dict[str, set[int]] = {}
    for g, group in enumerate(groups):
        for pid in group:
            member_of.setdefault(str(pid), set()).add(g)
    in_group = ids.is_in(list(member_of)).fill_null(False).to_numpy()
    candidates = np.flatnonzero(in_group[edges[:, 0]] & in_group[edges[:, 1]])
    keep = np.ones(len(edges), dtype=bool)
    # only edges between two reviewed ids (few): their ids become Python strings, never every node's
    ends_a = ids.gather(edges[candidates, 0]).to_list()
    ends_b = ids.gather(edges[candidates, 1]).to_list()
    for e, a, b in zip(candidates.tolist(), ends_a, ends_b):
        if a != b and member_of[a] & member_of[b]:
            keep[e] = False
    if keep.all():
        return edges
    first = pl.DataFrame({"id": ids, "key": keys}).with_row_index("node").select(
        pl.col("node").min().over(["id", "key"])
    ).to_series().to_numpy().astype(np.int64)
    again = np.flatnonzero(first != np.arange(len(first)))
    return np.concatenate([edges[keep], np.stack([again, first[again]], axis=1).astype(edges.dtype)])


def exact_text_keys(norm: pl.Series) -> np.ndarray:
    """Per row (int64): the position of the first row with the identical normalized text; an empty
    (or null) text is its own key. One string hash pass, exact (no 64-bit hash stands for a text)."""
    n = len(norm)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    key = (
        pl.DataFrame({"_norm": norm}).with_row_index("_row").select(pl.col("_row").min().over("_norm"))
        .to_series().to_numpy().astype(np.int64)
    )
    empty = np.flatnonzero(_empty_texts(norm))
    key[empty] = empty
    return key


def _empty_texts(norm: pl.Series) -> np.ndarray:
    return (norm.str.len_bytes().fill_null(0) == 0).to_numpy()


def unique_text_rows(norm: pl.Series, keys: Optional[np.ndarray] = None) -> np.ndarray:
    """Row positions of the first row of each distinct non-empty normalized text, in row order (the
    rows near-duplicate linking works on; duplicates of a text are exact duplicates). `keys`: the
    `exact_text_keys(norm)` when already computed."""
    keys = exact_text_keys(norm) if keys is None else keys
    return np.flatnonzero((keys == np.arange(len(keys))) & ~_empty_texts(norm)).astype(np.int64)


def text_keys(questions: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row: a 64-bit hash of the normalized question (0 for an empty text) and the number key
    (`content.number_keys`): what a band-group task keeps of every row instead of its text."""
    norm = normalize_series(questions)
    nonempty = (norm.str.len_bytes() > 0).fill_null(False).to_numpy()
    h = np.zeros(len(norm), dtype=np.uint64)
    idx = np.flatnonzero(nonempty)
    if len(idx):
        h[idx] = np.asarray(stable_hashes(norm.gather(idx).to_list()), dtype=np.uint64) | np.uint64(1)  # never 0
    return h, number_keys(norm)


def near_duplicate_edges(
    df: pl.DataFrame,
    *,
    settings: DedupSettings,
    signatures: np.ndarray,
    first_band: int = 0,
    band_count: Optional[int] = None,
) -> LinkResult:
    """Verified near-duplicate edges of one *band group* (bands `first_band .. first_band+band_count`),
    as pairs of row positions of `df` with their exact Jaccard.

    Bands are independent, so band groups can run on different workers; the union of all groups'
    edges, given to `mark_duplicates(near_edges=)`, replaces the linking step there (the single
    union-find/cluster step needs only these pairs, never signatures or texts). `signatures`: the
    (rows, num_perm) MinHash matrix of `df`'s rows (only this group's columns are read: a
    memory-mapped `.npy` stays on disk), or just this group's (rows, band_count*rows) columns.
    Puzzle rows are not text rows: they get no edges. Same verification as the single-process
    path (Jaccard >= threshold, same-problem rule, work cap per band)."""
    df = conform(df)
    is_text = ~(df["kind"] == "puzzle").fill_null(False).to_numpy()
    questions = dedup_question(df)  # with the options of a multiple-choice row
    hashes, numkeys = text_keys(questions)
    hashes[~is_text] = 0
    return band_group_edges(
        hashes, numkeys, signatures, lambda rows: normalize_series(questions.gather(rows)),
        settings=settings, first_band=first_band, band_count=band_count, read_originals=questions.gather,
        read_answers=keyed_answers(df).gather,
    )


def band_group_edges(
    hashes: np.ndarray,
    numkeys: np.ndarray,
    signatures: np.ndarray,
    read_texts: Callable[[np.ndarray], pl.Series],
    *,
    settings: DedupSettings,
    first_band: int = 0,
    band_count: Optional[int] = None,
    read_originals: Optional[Callable[[np.ndarray], pl.Series]] = None,
    read_answers: Optional[Callable[[np.ndarray], pl.Series]] = None,
) -> LinkResult:
    """`near_duplicate_edges` from per-row keys (`text_keys`; hash 0 = no text row) and a reader of
    the normalized texts of given rows (sorted row positions): a worker holds 16 bytes a row plus
    its signature columns, and reads texts only for the pairs it checks. `read_originals`: the same
    rows' texts before normalization (person names for the same-problem rule), optional.
    `read_answers`: the same rows' reference answers (`nodes.keyed_answers`), for the
    answer-confirmed tier (`settings.answer_confirmed`), optional; `LinkResult.by_answer` flags its edges."""
    check_settings(settings)
    band_count = settings.bands - first_band if band_count is None else band_count
    if not (0 <= first_band and band_count >= 1 and first_band + band_count <= settings.bands):
        raise ValueError(f"band group {first_band}+{band_count} outside 0..{settings.bands}")
    if signatures.shape[0] != len(hashes):
        raise ValueError(f"signatures must have one row per row ({len(hashes)}), got {signatures.shape[0]}")
    empty = LinkResult(pairs=np.zeros((0, 2), dtype=np.int64), similarities=np.zeros(0))
    # the first row of each distinct text (by hash), in row order: the engine's `unique_text_rows`
    live = np.flatnonzero(hashes != 0)
    _, first = np.unique(hashes[live], return_index=True)
    rows = np.sort(live[first]).astype(np.int64)
    if len(rows) < 2:
        return empty
    r = settings.rows
    # the whole matrix, or just this group's columns (a worker reads only those from disk)
    if signatures.shape[1] == band_count * r:
        group_sig = signatures
    else:
        group_sig = signatures[:, first_band * r : (first_band + band_count) * r]
    sig_t = np.ascontiguousarray(np.asarray(group_sig)[rows].T)
    bands_b = mh.band_hashes_from_signatures(sig_t, band_count, r, first_band=first_band)
    linked = link_near_duplicates(
        bands_b, lambda pos: read_texts(rows[np.asarray(pos, dtype=np.int64)]),
        group=np.asarray(numkeys, dtype=np.uint64)[rows] if settings.require_same_problem else None,
        shingle_size=settings.shingle_size, threshold=settings.threshold, max_bucket=settings.max_bucket,
        max_pivots=settings.max_pivots, require_same_problem=settings.require_same_problem,
        originals=(lambda pos: read_originals(rows[np.asarray(pos, dtype=np.int64)])) if read_originals is not None else None,
        answers=(lambda pos: read_answers(rows[np.asarray(pos, dtype=np.int64)]))
        if read_answers is not None and settings.answer_confirmed else None,
    )
    linked.pairs = rows[linked.pairs] if len(linked.pairs) else linked.pairs
    linked.rejected_content = rows[linked.rejected_content] if len(linked.rejected_content) else linked.rejected_content
    return linked


def engine(
    df: pl.DataFrame,
    settings: DedupSettings,
    source_priority: Optional[dict[str, int]],
    index_dir: Optional[Path],
    near: bool,
    stats: Optional[dict] = None,
    norm: Optional[pl.Series] = None,
    signatures: Optional[np.ndarray] = None,
    progress: Optional[Callable[[int, int, dict], None]] = None,
    near_edges: Optional[tuple[np.ndarray, np.ndarray]] = None,
    not_duplicates: Optional[Sequence[Sequence[str]]] = None,
) -> pl.DataFrame:
    """`index_dir` may be a folder (loaded here) or an already loaded `LoadedIndex` (or None).

    `signatures`: precomputed MinHash signatures of every row, see `mark_duplicates`.
    `progress(done, total, info)`: rows signed of all rows (`info["phase"] == "signatures"`), then
    one call per later phase ("link+verify", "clusters") at (rows, rows).
    `near_edges`: verified near-duplicate edges already computed elsewhere (`near_duplicate_edges`
    on band groups, e.g. on Dask workers) as (row pairs, Jaccard): linking is skipped.
    `not_duplicates`: groups of problem ids a reviewer declared different problems (see
    `without_reviewed_distinct`).

    Memory: the frame's normalized texts are the only copy of the texts kept; unique texts are
    referred to by row position and gathered (and shingled) a chunk at a time; the cluster step
    works on numpy arrays of one integer per node (exact key, component, rank, representative),
    and texts are read back only for the pairs whose Jaccard it still needs."""
    check_settings(settings)
    df = conform(df)
    n = df.height
    t0 = time.perf_counter()
    if n == 0:
        return df
    report = progress or (lambda done, total, info: None)
    report(0, n, {"phase": "signatures"})
    if norm is None:
        norm = normalize_series(df["question"])
    norm = norm.rename("_norm")
    batch = prepare_nodes(df, source_priority, norm).drop("_norm")
    clock = _Clock(stats)
    clock("prepare")

    if isinstance(index_dir, LoadedIndex):
        index = index_dir
    else:
        index = load_index(Path(index_dir), settings) if index_dir is not None else None
    with_index = index is not None and index.height > 0
    # exact duplicates: the first row of the same normalized text; near linking works on those rows
    key = exact_text_keys(norm)
    uniq_rows = unique_text_rows(norm, key)
    u = len(uniq_rows)

    def uniq_texts(pos: np.ndarray) -> pl.Series:  # normalized texts of unique-text positions
        return norm.gather(uniq_rows[np.asarray(pos, dtype=np.int64)])

    near_pairs = np.zeros((0, 2), dtype=np.int64)
    near_sims = np.zeros(0)
    near_by_answer = np.zeros(0, dtype=bool)  # per near edge: linked by the answer-confirmed tier
    answers = keyed_answers(df)  # the reference answer per row, keyed option text for multiple choice
    idx_pos = np.zeros(0, dtype=np.int64)  # index row positions of involved existing rows
    uniq_hashes = np.zeros(0, dtype=np.uint64)
    if with_index:
        # identical texts: by 64-bit hash, confirmed on the few texts read back from disk
        uniq_hashes = np.concatenate(
            [np.asarray(stable_hashes(uniq_texts(np.arange(a, min(u, a + _CHUNK))).to_list()), dtype=np.uint64)
             for a in range(0, u, _CHUNK)]
        ) if u else uniq_hashes
        hit = index.frame.select("nhash").with_row_index("_ipos").join(
            pl.DataFrame({"nhash": pl.Series(uniq_hashes, dtype=pl.UInt64), "_u": np.arange(u, dtype=np.int64)}),
            on="nhash", how="inner",
        )
        if hit.height:
            same = index.texts(hit["_ipos"].to_numpy()) == uniq_texts(hit["_u"].to_numpy())
            idx_pos = hit.filter(same)["_ipos"].to_numpy().astype(np.int64)
    if near_edges is not None and with_index:
        raise ValueError("near_edges cover the batch only: with an existing dedup index, link in one process")
    if near and u and near_edges is not None:
        # verified edges computed elsewhere (band groups on workers), as row pairs of this frame
        row_pairs, near_sims = near_edges[0], near_edges[1]
        if len(near_edges) > 2:  # (pairs, similarities, by_answer) from `near_duplicate_edges`
            near_by_answer = np.asarray(near_edges[2], dtype=bool)
        row_to_uniq = np.full(n, -1, dtype=np.int64)
        row_to_uniq[uniq_rows] = np.arange(u)
        near_pairs = row_to_uniq[np.asarray(row_pairs, dtype=np.int64).reshape(-1, 2)]
        if (near_pairs < 0).any():
            raise ValueError("near_edges must join first rows of distinct non-empty texts (from near_duplicate_edges)")
        near_sims = np.asarray(near_sims, dtype=np.float64)
        del row_to_uniq
        report(n, n, {"phase": "link+verify"})
        clock("link+verify")
        if stats is not None:
            stats["verified_pairs"] = len(near_pairs)
    elif near and u:
        if signatures is not None:  # precomputed per row (e.g. in chunks on several workers by flows/)
            if signatures.shape != (n, settings.num_perm):
                raise ValueError(f"signatures must have shape ({n}, {settings.num_perm}), got {signatures.shape}")
            bands_b = np.empty((u, settings.bands), dtype=np.uint64)
            for a in range(0, u, _CHUNK):  # a chunk of rows transposed at a time, never the whole matrix
                sig_t = np.ascontiguousarray(signatures[uniq_rows[a : a + _CHUNK]].T)
                bands_b[a : a + _CHUNK] = mh.band_hashes_from_signatures(sig_t, settings.bands, settings.rows)
            nonempty_b = np.ones(u, dtype=bool)  # uniq excludes empty texts
        else:
            def signed(done_u: int, _total: int) -> None:  # unique texts signed -> rows signed
                report(n if done_u >= u else n * done_u // u, n, {"phase": "signatures"})

            bands_b, nonempty_b = mh.band_hashes(
                norm, num_perm=settings.num_perm, seed=settings.seed, shingle_size=settings.shingle_size,
                bands=settings.bands, rows=settings.rows, progress=signed, rows_of=uniq_rows, prepare=shingle_text,
            )
        clock("signatures")
        report(n, n, {"phase": "link+verify"})
        numkeys_b = np.concatenate(
            [number_keys(uniq_texts(np.arange(a, min(u, a + _CHUNK)))) for a in range(0, u, _CHUNK)]
        ).astype(np.uint64)
        if with_index:
            bands_e = index.frame.select(pl.col(band_cols(settings.bands)).cast(pl.UInt64))
            matrix = (bands_b, bands_e)  # stacked one band at a time, never as a whole
            active = np.r_[nonempty_b, index.frame["nlen"].to_numpy() > 0]
            query = np.r_[np.ones(u, bool), np.zeros(index.height, bool)]
            group = np.r_[numkeys_b, index.frame["nums"].to_numpy().astype(np.uint64)]

            def texts(pos: np.ndarray) -> pl.Series:  # batch texts, then indexed texts read from disk
                pos = np.asarray(pos, dtype=np.int64)
                out = pl.Series("_norm", [None] * len(pos), dtype=pl.Utf8)
                mine = pos < u
                if mine.any():
                    out = out.scatter(np.flatnonzero(mine), uniq_texts(pos[mine]))
                if (~mine).any():
                    out = out.scatter(np.flatnonzero(~mine), index.texts(pos[~mine] - u))
                return out
        else:
            matrix, active, query, group, texts = bands_b, nonempty_b, None, numkeys_b, uniq_texts
        # the batch's texts before normalization (person names for the rule); indexed rows have none
        all_originals = dedup_question(df)  # gathered per checked pair below, never copied whole

        def originals(pos: np.ndarray) -> pl.Series:
            pos = np.asarray(pos, dtype=np.int64)
            mine = pos < u
            out = pl.Series("original", [None] * len(pos), dtype=pl.Utf8)
            return out.scatter(np.flatnonzero(mine), all_originals.gather(uniq_rows[pos[mine]])) if mine.any() else out

        uniq_answers = answers.gather(uniq_rows)

        def answers_of(pos: np.ndarray) -> pl.Series:  # batch answers, then the index's (normalized) ones
            pos = np.asarray(pos, dtype=np.int64)
            mine = pos < u
            out = pl.Series("answer", [None] * len(pos), dtype=pl.Utf8)
            if mine.any():
                out = out.scatter(np.flatnonzero(mine), uniq_answers.gather(pos[mine]))
            if with_index and (~mine).any():
                out = out.scatter(np.flatnonzero(~mine), index.frame["ans"].cast(pl.Utf8).gather(pos[~mine] - u))
            return out

        linked = link_near_duplicates(
            matrix, texts, group=group if settings.require_same_problem else None, active=active, query=query,
            originals=originals, answers=answers_of if settings.answer_confirmed else None,
            shingle_size=settings.shingle_size, threshold=settings.threshold, max_bucket=settings.max_bucket,
            max_pivots=settings.max_pivots, require_same_problem=settings.require_same_problem,
        )
        del matrix, bands_b, group, numkeys_b, active, query  # the band keys are the stage's largest arrays
        near_pairs, near_sims, near_by_answer = linked.pairs, linked.similarities, linked.by_answer
        if with_index and len(near_pairs):
            idx_pos = np.unique(np.r_[idx_pos, near_pairs[near_pairs >= u] - u])
        clock("link+verify")
        if stats is not None:
            stats["candidates"] = linked.checked
            stats["verified_pairs"] = len(near_pairs)
            stats["answer_confirmed_pairs"] = int(near_by_answer.sum())
            stats["rejected_not_same_problem"] = len(linked.rejected_content)
            stats["link_rounds"] = linked.rounds
            stats["capped_members"] = linked.capped_members
            if stats.get("collect_pairs"):
                # verified near edges as row ids of the first row of each normalized text (batch
                # rows) or index ids (existing rows), with their exact Jaccard
                names = df["id"].gather(uniq_rows).to_list()
                if with_index:
                    names = names + index.frame["id"].to_list()
                stats["pairs"] = [(names[i], names[j], float(x)) for (i, j), x in zip(near_pairs.tolist(), near_sims.tolist())]
                stats["rejected_pairs"] = [(names[i], names[j]) for i, j in linked.rejected_content.tolist()]
                stats["answer_confirmed"] = [(names[i], names[j]) for i, j in near_pairs[near_by_answer].tolist()]

    report(n, n, {"phase": "clusters"})
    out_cols = _cluster_columns(
        batch, norm, key, uniq_rows, near_pairs, near_sims, index if with_index else None, idx_pos, uniq_hashes,
        source_priority, settings, not_duplicates, answers=answers, near_by_answer=near_by_answer,
    )
    df = df.with_columns(
        out_cols["exact_dup_of"],
        out_cols["cluster_id"],
        out_cols["duplicate_of"],
        out_cols["dup_similarity"].fill_nan(None),
        out_cols["conflicting_answers"],
        out_cols["same_problem_by"],
        out_cols["_dup_reason"],
        out_cols["_review"],
    )
    updates = [
        pl.when(pl.col("review_reason").is_null() & pl.col("_review"))
        .then(pl.lit("conflicting_answers"))
        .otherwise(pl.col("review_reason"))
        .alias("review_reason")
    ]
    if settings.drop_duplicates:
        updates.append(
            pl.when(pl.col("drop_reason").is_null()).then(pl.col("_dup_reason")).otherwise(pl.col("drop_reason")).alias("drop_reason")
        )
    df = df.with_columns(updates).drop("_dup_reason", "_review")
    clock("clusters")
    if stats is not None:
        stats["seconds"] = time.perf_counter() - t0
        stats["existing_involved"] = int(len(np.unique(idx_pos)))
    return df


# rows per chunk where texts are gathered from the frame (hashing, number keys, signature transposes)
_CHUNK = 100_000


def _best_by(label: np.ndarray, rank: np.ndarray, order: np.ndarray) -> np.ndarray:
    """For every node: the node of smallest rank among the nodes with its label (labels are node
    positions, so arrays of one integer per node suffice; `order` = nodes by rank)."""
    best_rank = np.full(len(label), len(label), dtype=rank.dtype)
    np.minimum.at(best_rank, label, rank)
    return order[best_rank[label]]


def _cluster_columns(
    batch: pl.DataFrame,
    norm: pl.Series,
    key: np.ndarray,
    uniq_rows: np.ndarray,
    near_pairs: np.ndarray,
    near_sims: np.ndarray,
    index: Optional[LoadedIndex],
    idx_pos: np.ndarray,
    uniq_hashes: np.ndarray,
    source_priority: Optional[dict[str, int]],
    settings: DedupSettings,
    not_duplicates: Optional[Sequence[Sequence[str]]] = None,
    answers: Optional[pl.Series] = None,
    near_by_answer: Optional[np.ndarray] = None,
) -> pl.DataFrame:
    """The cluster step: exact + near edges -> connected components -> representative, similarity to
    it and conflicts, as the output columns of the batch rows (plus `_dup_reason`, `_review`).
    `near_by_answer` (per near edge): linked by the answer-confirmed tier; a member that reaches its
    representative only through such an edge gets `same_problem_by = "answer"`, others "text".

    Nodes are the batch rows (0..n-1), then the involved existing rows of the index. Everything per
    node is a numpy integer array (O(nodes) with small constants); texts are gathered only for the
    members whose Jaccard to their representative is not known from a verified edge."""
    n = batch.height
    idx_pos = np.unique(idx_pos)
    n_ex = len(idx_pos)
    n_nodes = n + n_ex
    nodes = batch
    ex_texts = pl.Series("_norm", [], dtype=pl.Utf8)
    key_all = key
    if n_ex:
        ex_texts = index.texts(idx_pos)
        ex = index.frame[idx_pos]
        prio = source_priority or {}
        nodes = pl.concat([batch, ex.select(
            (pl.int_range(pl.len(), dtype=pl.Int64) + n).alias("_node"),
            pl.col("id"), pl.col("source"), pl.col("ans").alias("_ans"),
            pl.col("has_solution").alias("_sol"), pl.col("verified").alias("_ver"),
            pl.lit(False).alias("_dropped"), pl.lit(True).alias("_existing"),
            pl.col("source").replace_strict(prio, default=0, return_dtype=pl.Int64).alias("_prio")
            if prio else pl.lit(0, dtype=pl.Int64).alias("_prio"),
        )], how="vertical")
        key_all = np.r_[key, _existing_keys(ex_texts, n, norm, uniq_rows, uniq_hashes)]
    # exact edges: every node to the first node with its text; near edges: unique-text positions
    # (batch) and index positions (existing rows) mapped to nodes
    same = np.flatnonzero(key_all != np.arange(n_nodes))
    edges = [np.stack([same, key_all[same]], axis=1)]
    answer_edges = np.zeros((0, 2), dtype=np.int64)
    if len(near_pairs):
        u = len(uniq_rows)
        node_pairs = np.where(
            near_pairs < u, uniq_rows[np.minimum(near_pairs, max(u - 1, 0))],
            n + np.searchsorted(idx_pos, near_pairs - u),
        )
        if near_by_answer is not None and near_by_answer.any():
            answer_edges = node_pairs[near_by_answer]
            edges.append(node_pairs[~near_by_answer])
        else:
            edges.append(node_pairs)
        # remember verified similarities, so members linked directly to their representative are
        # not shingled twice
        known_key = (node_pairs.min(axis=1).astype(np.uint64) << np.uint64(32)) | node_pairs.max(axis=1).astype(np.uint64)
        order = np.argsort(known_key)
        known_key, known_sim = known_key[order], near_sims[order]
        del node_pairs, order
    else:
        known_key, known_sim = np.zeros(0, dtype=np.uint64), np.zeros(0)
    all_edges = np.concatenate(edges + [answer_edges])
    del edges, same
    if not_duplicates:
        all_edges = without_reviewed_distinct(all_edges, nodes["id"], pl.Series("_key", key_all), not_duplicates)
    comp = mh.connected_components(n_nodes, all_edges)
    text_comp = comp
    if len(answer_edges):  # components without the answer-confirmed edges: who needed one
        is_answer = np.isin(_edge_keys(all_edges), _edge_keys(answer_edges))
        text_comp = mh.connected_components(n_nodes, all_edges[~is_answer])
    del all_edges
    rank = rank_nodes(nodes)
    by_rank = np.empty(n_nodes, dtype=np.int64)
    by_rank[rank] = np.arange(n_nodes, dtype=np.int64)
    size = np.bincount(comp, minlength=n_nodes)[comp]
    rep = _best_by(comp, rank, by_rank)
    exact_best = _best_by(key_all, rank, by_rank)
    del by_rank
    rows = np.arange(n, dtype=np.int64)
    rep_b = rep[:n]
    multi = size[:n] > 1
    not_rep = multi & (rep_b != rows)
    by_answer = not_rep & (text_comp[rows] != text_comp[rep_b])
    del text_comp
    # similarity to the representative: 1.0 for the identical text, exact Jaccard otherwise
    sim = np.full(n, np.nan)
    same_text = key_all[:n] == key_all[rep_b]
    sim[not_rep & same_text] = 1.0
    need = np.flatnonzero(not_rep & ~same_text)
    if len(need):
        lo, hi = np.minimum(need, rep_b[need]), np.maximum(need, rep_b[need])
        qk = (lo.astype(np.uint64) << np.uint64(32)) | hi.astype(np.uint64)
        at = np.minimum(np.searchsorted(known_key, qk), max(len(known_key) - 1, 0))
        hit = (known_key[at] == qk) if len(known_key) else np.zeros(len(qk), dtype=bool)
        sim[need[hit]] = known_sim[at[hit]]
        miss = need[~hit]
        if len(miss):
            involved = np.unique(np.r_[miss, rep_b[miss]])
            mine = involved[involved < n]
            texts = pl.concat([norm.gather(mine), ex_texts.gather(involved[involved >= n] - n)])
            local = np.searchsorted(involved, np.stack([miss, rep_b[miss]], axis=1))
            sim[miss] = mh.jaccard_pairs(shingle_text(texts), local, shingle_size=settings.shingle_size)
    members = np.flatnonzero(size > 1)
    conflict_comps: set[int] = set()
    if len(members):
        sub = nodes[members].with_columns(pl.Series("_comp", comp[members]), pl.Series("_rank", rank[members]))
        if answers is not None:  # batch rows: the answers as written (the index keeps normalized ones)
            mine = members < n
            raw = answers.cast(pl.Utf8).gather(np.where(mine, members, 0))
            sub = sub.with_columns(pl.when(pl.Series(mine)).then(raw).otherwise(pl.col("_ans")).alias("_raw"))
        conflict_comps = _conflicts(sub)
    conflict = np.isin(comp[:n], np.fromiter(conflict_comps, dtype=np.int64, count=len(conflict_comps)))
    ids = nodes["id"]
    b = pl.DataFrame({
        "_rep_id": ids.gather(rep_b),
        "_best_id": ids.gather(exact_best[:n]),
        "_multi": multi,
        "_is_rep": rep_b == rows,
        "_exact": exact_best[:n] != rows,
        "_conflict": conflict,
        "_by_answer": by_answer,
        "_sim": sim,
        "_dropped": batch["_dropped"],
    })
    is_rep = pl.col("_is_rep")
    multi_e = pl.col("_multi")
    exact_of = pl.when(pl.col("_exact")).then(pl.col("_best_id")).otherwise(None)
    return b.select(
        exact_of.alias("exact_dup_of"),
        pl.when(multi_e).then(pl.col("_rep_id")).otherwise(None).alias("cluster_id"),
        pl.when(multi_e & ~is_rep).then(pl.col("_rep_id")).otherwise(None).alias("duplicate_of"),
        pl.when(multi_e & ~is_rep).then(pl.col("_sim")).otherwise(None).alias("dup_similarity"),
        (multi_e & pl.col("_conflict")).alias("conflicting_answers"),
        pl.when(multi_e & ~is_rep)
        .then(pl.when(pl.col("_by_answer")).then(pl.lit("answer")).otherwise(pl.lit("text")))
        .otherwise(None)
        .alias("same_problem_by"),
        # a conflicting cluster is settled by a reviewer as a whole: no member is dropped yet
        pl.when(multi_e & ~is_rep & ~pl.col("_conflict"))
        .then(pl.when(exact_of.is_not_null()).then(pl.lit("exact_duplicate")).otherwise(pl.lit("near_duplicate")))
        .otherwise(None)
        .alias("_dup_reason"),
        (multi_e & pl.col("_conflict") & ~pl.col("_dropped")).alias("_review"),
    )


def _edge_keys(edges: np.ndarray) -> np.ndarray:
    """One uint64 per undirected edge (node pairs)."""
    lo, hi = edges.min(axis=1).astype(np.uint64), edges.max(axis=1).astype(np.uint64)
    return (lo << np.uint64(32)) | hi


def _existing_keys(ex_texts: pl.Series, n: int, norm: pl.Series, uniq_rows: np.ndarray, uniq_hashes: np.ndarray) -> np.ndarray:
    """Exact keys of the involved existing rows (nodes n, n+1, ...): the first batch row with the
    identical text, else the first existing node with it (an empty text is its own key)."""
    m = len(ex_texts)
    own = exact_text_keys(ex_texts) + n
    h = np.asarray(stable_hashes(ex_texts.fill_null("").to_list()), dtype=np.uint64)
    order = np.argsort(uniq_hashes)
    at = np.minimum(np.searchsorted(uniq_hashes, h, sorter=order), max(len(order) - 1, 0))
    cand = order[at] if len(order) else np.zeros(m, dtype=np.int64)
    hit = (uniq_hashes[cand] == h) if len(order) else np.zeros(m, dtype=bool)
    hit &= ~_empty_texts(ex_texts)
    if hit.any():  # confirm on the texts (a 64-bit hash match alone is not identity)
        idx = np.flatnonzero(hit)
        hit[idx] = (norm.gather(uniq_rows[cand[idx]]) == ex_texts.gather(idx)).fill_null(False).to_numpy()
    return np.where(hit, uniq_rows[cand] if len(order) else own, own)
