"""Near-duplicate edges from LSH buckets in linear time: pivots per bucket, never all pairs.

A bucket is a run of equal keys in one band, where the key folds the band's MinHash key with a
*group* key (the number multiset of `curation.dedup.content`: texts with other numbers are other
problems, so they never share a bucket). Enumerating every pair of a bucket is quadratic: one
template family of 4,556 rows gave 60M candidate pairs on 100k rows. Instead, in rounds:

1. every bucket picks a *pivot*, its first member not yet linked to an earlier pivot of the bucket,
   and pairs it with every other such member (a star: `size - 1` pairs);
2. all rounds' new pairs of all bands are deduplicated and verified at once: exact Jaccard of the
   shingle sets >= `threshold`, then (optionally) `same_problem`; pairs that pass are edges;
3. connected components of the edges so far decide who is linked: a member already in the
   component of one of the bucket's pivots needs no further check (the cluster rule is connected
   components, so that edge would add nothing).

Round r+1 only looks at the members left over, so a bucket holding k different problems needs k
rounds and `size * k` checks. Work cap (documented fallback): at most `max_pivots` rounds per
bucket, and a bucket with more than `max_bucket` members gets one round only; members left over are
not linked *through that band* (another band where their bucket is smaller may still link them).
Every check is a true pair of the bucket, so the cap can only miss duplicates (recall), never merge
wrong ones. Memory is O(rows x bands) for the bucket structure plus O(checked pairs), which is at
most rows x bands x rounds and in practice a small multiple of the rows.

Same candidate notion as `datasketch.MinHashLSH(params=(bands, rows))`: documents sharing a band key
are candidates (64-bit key collisions only add checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import polars as pl

from curation.dedup import minhash as mh
from curation.dedup.content import answer_confirmed_pairs, same_problem_pairs
from curation.dedup.normalize import shingle_text

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class LinkResult:
    """Verified edges (node pairs i < j) with their Jaccard, and what the linking cost."""

    pairs: np.ndarray
    similarities: np.ndarray
    checked: int = 0  # distinct pairs whose Jaccard was computed
    rejected_content: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    rounds: int = 0
    capped_members: int = 0  # members left unchecked in some band by the work cap
    # per edge of `pairs`: linked by the answer-confirmed tier (`content.answer_confirmed`), not by the text rule
    by_answer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass
class _Band:
    members: np.ndarray  # node ids of the multi-member buckets, bucket after bucket
    bucket: np.ndarray  # bucket number of each member (0..n_buckets-1), non-decreasing
    starts: np.ndarray  # first position of each bucket in `members`
    sizes: np.ndarray


def _buckets(keys: np.ndarray, docs: np.ndarray, query: Optional[np.ndarray]) -> Optional[_Band]:
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    ids = docs[order]
    if len(ks) < 2:
        return None
    starts = np.r_[0, np.flatnonzero(ks[1:] != ks[:-1]) + 1]
    sizes = np.diff(np.r_[starts, len(ks)])
    multi = sizes >= 2
    if query is not None and multi.any():
        has_q = np.add.reduceat(query[ids].astype(np.int64), starts) > 0
        multi &= has_q
    if not multi.any():
        return None
    starts, sizes = starts[multi], sizes[multi]
    pos = mh._ranges(starts, sizes)
    members = ids[pos]
    new_starts = np.cumsum(sizes) - sizes
    bucket = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    return _Band(members=members.astype(np.int64), bucket=bucket, starts=new_starts, sizes=sizes)


def _fetcher(texts):
    if callable(texts):
        return lambda pos: texts(pos)
    if isinstance(texts, pl.Series):
        s = texts.cast(pl.Utf8)
        return lambda pos: s.gather(pos)
    return lambda pos: pl.Series("t", [texts[int(i)] for i in pos], dtype=pl.Utf8)


def _pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return (lo.astype(np.uint64) << np.uint64(32)) | hi.astype(np.uint64)


def _unkey(keys: np.ndarray) -> np.ndarray:
    return np.stack([(keys >> np.uint64(32)).astype(np.int64), (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)], axis=1)


def link_near_duplicates(
    bands_matrix: np.ndarray,
    texts,
    *,
    group: Optional[np.ndarray] = None,
    active: Optional[np.ndarray] = None,
    query: Optional[np.ndarray] = None,
    shingle_size: int = 5,
    threshold: float = 0.8,
    max_bucket: int = 2000,
    max_pivots: int = 8,
    require_same_problem: bool = True,
    originals=None,
    answers=None,
) -> LinkResult:
    """Verified near-duplicate edges among the rows of `bands_matrix` (n, bands) (see module doc).

    `bands_matrix`: (n, bands) uint64, or a tuple of such blocks (numpy arrays or polars frames of
    uint64 columns; rows stacked in order, one band at a time). `texts`: the normalized text of each
    row, as a Series / list or a function from row positions to texts (texts are read only for the
    pairs checked); Jaccard compares their `shingle_text`, the same-problem check the texts
    themselves. `group`: uint64 per row folded into every band key (rows in different groups are
    never compared). `active` restricts the rows; `query` (incremental mode) keeps only pairs with at
    least one query row. `originals`: the texts before normalization, given like `texts` (None
    for a row without one): the same-problem rule reads person names there. `answers`: each row's
    reference answer (keyed option text for a multiple-choice row; None where unknown), given like
    `texts`: with it, a pair the same-problem rule rejects is still an edge when the answer-confirmed
    tier accepts it (`content.answer_confirmed`); such edges are flagged in `LinkResult.by_answer`.
    """
    mats = bands_matrix if isinstance(bands_matrix, tuple) else (bands_matrix,)
    n, n_bands = sum(m.shape[0] for m in mats), mats[0].shape[1]

    def band(j: int) -> np.ndarray:  # a polars block gives its column without a copy of the whole
        cols = [m.to_series(j).to_numpy() if isinstance(m, pl.DataFrame) else m[:, j] for m in mats]
        return cols[0] if len(cols) == 1 else np.concatenate(cols)

    docs = np.arange(n, dtype=np.int64) if active is None else np.flatnonzero(active).astype(np.int64)
    fetch = _fetcher(texts)
    fetch_originals = _fetcher(originals) if originals is not None else None
    fetch_answers = _fetcher(answers) if answers is not None and require_same_problem else None
    empty = LinkResult(pairs=np.zeros((0, 2), dtype=np.int64), similarities=np.zeros(0))
    if len(docs) < 2:
        return empty
    salt = None if group is None else (np.asarray(group, dtype=np.uint64)[docs] * _GOLDEN)
    bands: list[_Band] = []
    for j in range(n_bands):
        keys = band(j)[docs]
        if salt is not None:
            keys = mh._fmix64(keys ^ salt)
        b = _buckets(keys, docs, query)
        if b is not None:
            bands.append(b)
    if not bands:
        return empty
    # pivots[k]: (n_buckets, rounds so far) node ids of each bucket's pivots, -1 when none
    pivots = [np.full((len(b.sizes), 0), -1, dtype=np.int64) for b in bands]
    comp = np.arange(n, dtype=np.int64)
    done_keys = np.zeros(0, dtype=np.uint64)  # every checked pair
    edge_keys = np.zeros(0, dtype=np.uint64)
    edge_sims = np.zeros(0)
    edge_by_answer = np.zeros(0, dtype=bool)
    rejected: list[np.ndarray] = []
    capped = 0
    rounds = 0
    for r in range(max_pivots):
        round_keys: list[np.ndarray] = []
        for k, b in enumerate(bands):
            # members not yet in the component of one of their bucket's pivots
            left = np.ones(len(b.members), dtype=bool)
            for t in range(pivots[k].shape[1]):
                pv = pivots[k][b.bucket, t]
                left &= (pv < 0) | (comp[b.members] != comp[np.maximum(pv, 0)])
            if r > 0:
                left &= np.repeat(b.sizes <= max_bucket, b.sizes)
            n_left = np.bincount(b.bucket, weights=left, minlength=len(b.sizes)).astype(np.int64)
            live = n_left >= 2
            if not live.any():
                pivots[k] = np.c_[pivots[k], np.full(len(b.sizes), -1, dtype=np.int64)]
                continue
            # the pivot is the first member left in each live bucket
            pos = np.flatnonzero(left & live[b.bucket])
            first_pos = np.full(len(b.sizes), -1, dtype=np.int64)
            first_pos[b.bucket[pos[::-1]]] = pos[::-1]
            piv = np.where(live, b.members[np.maximum(first_pos, 0)], -1)
            pivots[k] = np.c_[pivots[k], piv]
            others = pos[pos != first_pos[b.bucket[pos]]]
            a, c = b.members[others], piv[b.bucket[others]]
            if query is not None:
                keep = query[a] | query[c]
                a, c = a[keep], c[keep]
            round_keys.append(_pair_keys(a, c))
        if not any(len(x) for x in round_keys):
            break
        rounds += 1
        keys = mh._sorted_unique(np.concatenate(round_keys))
        if len(done_keys):
            keys = keys[~np.isin(keys, done_keys, assume_unique=True)]
        if not len(keys):  # every pair already checked (in another band): next pivots may differ
            continue
        pairs = _unkey(keys)
        involved = np.unique(pairs)
        local = np.searchsorted(involved, pairs)
        problem = fetch(involved)  # only the texts this round checks
        sims = mh.jaccard_pairs(shingle_text(problem), local, shingle_size=shingle_size)
        ok = sims >= threshold
        if require_same_problem and ok.any():
            idx = np.flatnonzero(ok)
            same = same_problem_pairs(
                problem, local[idx], originals=fetch_originals(involved) if fetch_originals is not None else None
            )
            ok[idx[~same]] = False
            by_answer = np.zeros(len(keys), dtype=bool)
            if fetch_answers is not None and (~same).any():
                no = idx[~same]
                confirmed = answer_confirmed_pairs(problem, local[no], fetch_answers(involved))
                ok[no[confirmed]] = True
                by_answer[no[confirmed]] = True
                no = no[~confirmed]
            else:
                no = idx[~same]
            rejected.append(pairs[no])
        else:
            by_answer = np.zeros(len(keys), dtype=bool)
        done_keys = np.union1d(done_keys, keys)
        if ok.any():
            edge_keys = np.r_[edge_keys, keys[ok]]
            edge_sims = np.r_[edge_sims, sims[ok]]
            edge_by_answer = np.r_[edge_by_answer, by_answer[ok]]
            comp = mh.connected_components(n, _unkey(edge_keys))
    # members a band left unlinked to every pivot when the cap stopped it
    for k, b in enumerate(bands):
        left = np.ones(len(b.members), dtype=bool)
        for t in range(pivots[k].shape[1]):
            pv = pivots[k][b.bucket, t]
            left &= (pv < 0) | (comp[b.members] != comp[np.maximum(pv, 0)])
        if query is not None:  # in incremental mode only members that could still pair with a query row count
            has_q = np.bincount(b.bucket, weights=left & query[b.members], minlength=len(b.sizes)) > 0
            left &= has_q[b.bucket]
        n_left = np.bincount(b.bucket, weights=left, minlength=len(b.sizes)).astype(np.int64)
        capped += int(n_left[n_left >= 2].sum())
    order = np.argsort(edge_keys)
    return LinkResult(
        pairs=_unkey(edge_keys[order]),
        similarities=edge_sims[order],
        by_answer=edge_by_answer[order],
        checked=int(len(done_keys)),
        rejected_content=np.concatenate(rejected) if rejected else np.zeros((0, 2), dtype=np.int64),
        rounds=rounds,
        capped_members=capped,
    )
