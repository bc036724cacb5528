"""MinHash signatures, LSH banding and exact Jaccard verification, vectorized with numpy.

Everything here works on whole arrays; there is no per-document Python loop except over fixed-size
chunks.

Shingles and their hashes
    A document's shingles are its character `k`-grams (a text shorter than `k` characters is one
    shingle, the whole text; an empty text has none). A shingle is identified by a 64-bit hash of its
    code points: FNV-1a over the code points (`acc = (acc ^ cp) * FNV_PRIME`, mod 2^64) followed by
    the MurmurHash3 64-bit finalizer. `shingle_hash64(s)` is the pure-Python reference; the numpy
    code computes the same values for all windows of all documents at once.

Signatures (datasketch-identical)
    `minhash_signatures(texts)` equals, value for value, what datasketch 2.0 computes with
    `MinHash(num_perm, seed, hashfunc=shingle_hash32)` and `update(shingle)` for each shingle (default
    scheme "affine32": input hash pre-mixed with the 32-bit MurmurHash3 finalizer, then
    `a * h + b mod 2^32` with datasketch's own permutation parameters `MinHash(num_perm, seed).permutations`).
    The test-suite checks this against datasketch itself.

LSH banding
    A band key is a 64-bit hash of the band's `rows` signature values (FNV-1a + fmix64 over the
    uint32 values). Documents sharing a band key in any band are candidates. Candidate generation
    sorts each band's keys and emits the pairs inside each run of equal keys (a bucket). This is the
    same candidate set as `datasketch.MinHashLSH(params=(bands, rows))` up to 64-bit key collisions,
    which only add candidates (removed by the exact check). A bucket larger than `max_bucket`
    documents emits a star (first member with every other member) instead of all pairs, to bound
    the pair count on huge template families.

Exact Jaccard
    `jaccard_pairs` computes |A∩B| / |A∪B| over the shingle *sets* of both documents with a
    sort-merge over all pairs at once. Shingles are compared by their 64-bit hash with the low
    `ceil(log2(#docs involved))` bits dropped to make room for a document number in a single sortable
    uint64 key (so at least 40 hash bits for up to 16M involved documents: two different 5-grams of
    one pair sharing such a hash has probability < 1e-7 per pair).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Optional

import numpy as np
import polars as pl

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
_MASK64 = (1 << 64) - 1
_U32_MAX = np.uint32(0xFFFFFFFF)

# Shingles per signature chunk: a (num_perm x chunk) uint32 work array stays cache-sized.
_SIG_CHUNK_SHINGLES = 8192
# Documents per outer chunk: shingle arrays are built for this many documents at a time.
_DOC_CHUNK = 8192
# Pairs per verification chunk.
_PAIR_CHUNK = 50_000
# Documents per block when sorting (doc, shingle) keys in `jaccard_pairs`.
_SORT_BLOCK_DOCS = 256


# --------------------------------------------------------------------------------------- hashing
def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _py_fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def shingle_hash64(shingle: str) -> int:
    """64-bit hash of one shingle (pure-Python reference of the vectorized hash)."""
    acc = int(FNV_OFFSET)
    for ch in shingle:
        acc = ((acc ^ ord(ch)) * int(FNV_PRIME)) & _MASK64
    return _py_fmix64(acc)


def shingle_hash32(shingle: str) -> int:
    """32-bit hash of one shingle: the high half of `shingle_hash64`. Pass it to datasketch as
    `MinHash(hashfunc=shingle_hash32)` to get the same signatures as `minhash_signatures`."""
    return shingle_hash64(shingle) >> 32


def shingles(text: str, k: int = 5) -> list[str]:
    """The character k-gram shingles of `text` (reference; one shingle if shorter than k)."""
    if not text:
        return []
    if len(text) < k:
        return [text]
    return [text[i : i + k] for i in range(len(text) - k + 1)]


def _sorted_unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort + adjacent compare; faster than np.unique's hash path here)."""
    x = np.sort(x)
    if len(x) < 2:
        return x
    keep = np.empty(len(x), dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of arange(s, s + l) for every (s, l), vectorized."""
    lengths = lengths.astype(np.int64, copy=False)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    run_start = np.cumsum(lengths) - lengths
    return np.repeat(starts.astype(np.int64) - run_start, lengths) + np.arange(total, dtype=np.int64)


def window_hashes(values: np.ndarray, offsets: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every length-k window of every segment of `values` (uint64 symbols).

    Segment d is `values[offsets[d]:offsets[d+1]]`. A segment shorter than k gives one window, the
    whole segment; an empty segment gives none. Returns `(hashes, out_offsets)` where the windows of
    segment d are `hashes[out_offsets[d]:out_offsets[d+1]]`, in order.
    """
    values = np.ascontiguousarray(values, dtype=np.uint64)
    offsets = np.asarray(offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    n_win = np.where(lengths >= k, lengths - k + 1, np.minimum(lengths, 1))
    out_offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(n_win, out=out_offsets[1:])
    total = int(out_offsets[-1])
    short = np.flatnonzero((lengths > 0) & (lengths < k))
    m = len(values) - k + 1
    if m > 0 and (lengths >= k).any():
        acc = np.full(m, FNV_OFFSET, dtype=np.uint64)
        for i in range(k):
            np.bitwise_xor(acc, values[i : i + m], out=acc)
            np.multiply(acc, FNV_PRIME, out=acc)
        # a window is valid unless it starts in the last k-1 positions of its segment
        valid = np.ones(m, dtype=bool)
        bad = offsets[1:, None] - np.arange(1, k, dtype=np.int64)[None, :]
        bad = bad[(bad >= offsets[:-1, None]) & (bad < m)]
        valid[bad] = False
        long_hashes = _fmix64(acc[valid])
    else:
        long_hashes = np.zeros(0, dtype=np.uint64)
    if not len(short):
        return long_hashes, out_offsets
    out = np.empty(total, dtype=np.uint64)
    is_short = np.zeros(total, dtype=bool)
    is_short[out_offsets[short]] = True
    out[~is_short] = long_hashes
    # Rare: whole-segment hash of short segments, vectorized over them position by position.
    slen = lengths[short]
    acc = np.full(len(short), FNV_OFFSET, dtype=np.uint64)
    for i in range(int(slen.max())):
        live = slen > i
        v = values[offsets[short[live]] + i]
        acc[live] = (acc[live] ^ v) * FNV_PRIME
    out[out_offsets[short]] = _fmix64(acc)
    return out, out_offsets


def _as_series(texts) -> pl.Series:
    if isinstance(texts, pl.Series):
        return texts.cast(pl.Utf8).fill_null("")
    return pl.Series("t", list(texts), dtype=pl.Utf8).fill_null("")


def _codepoints(texts) -> tuple[np.ndarray, np.ndarray]:
    """All texts' code points concatenated (uint64) and the segment offsets (texts: list or Series)."""
    s = _as_series(texts)
    joined = s.str.join("").item() if len(s) else ""
    cps = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = s.str.len_chars().to_numpy().astype(np.int64)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return cps, offsets


def shingle_hash_arrays(texts: Sequence[Optional[str]], k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character k-gram of every text (None counts as empty).

    Returns `(hashes, offsets)`: the shingles of text d are `hashes[offsets[d]:offsets[d+1]]`.
    """
    cps, offsets = _codepoints(texts)
    return window_hashes(cps, offsets, k)


# ------------------------------------------------------------------------------------ signatures
def permutations(num_perm: int = 128, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutation parameters (a, b) for its default "affine32" scheme.

    Same draws as `datasketch.MinHash(num_perm, seed).permutations` (datasketch 2.0
    `_init_permutations`), reproduced here so the hot path does not import datasketch (which pulls
    in scipy); `tests/dedup/test_minhash.py` checks equality with datasketch itself.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _signatures_from_hashes(h64: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(num_perm, n_docs) uint32 signatures from shingle hashes; empty documents get all-max."""
    num_perm = len(a)
    n = len(offsets) - 1
    sig = np.full((num_perm, n), _U32_MAX, dtype=np.uint32)
    if n == 0 or len(h64) == 0:
        return sig
    hv = _fmix32((h64 >> np.uint64(32)).astype(np.uint32))
    counts = np.diff(offsets)
    nonempty = np.flatnonzero(counts > 0)
    a_col = a[:, None]
    b_col = b[:, None]
    # chunk boundaries over the non-empty documents, ~_SIG_CHUNK_SHINGLES shingles per chunk
    ne_starts = offsets[nonempty]
    cuts = np.searchsorted(ne_starts, np.arange(0, int(offsets[-1]), _SIG_CHUNK_SHINGLES), side="left")
    cuts = np.unique(np.r_[cuts, len(nonempty)])
    if cuts[0] != 0:
        cuts = np.r_[0, cuts]
    buf = np.empty((num_perm, _SIG_CHUNK_SHINGLES * 2), dtype=np.uint32)
    for c0, c1 in zip(cuts[:-1], cuts[1:]):
        if c1 <= c0:
            continue
        docs = nonempty[c0:c1]
        s0 = int(offsets[docs[0]])
        s1 = int(offsets[docs[-1] + 1])
        width = s1 - s0
        work = buf[:, :width] if width <= buf.shape[1] else np.empty((num_perm, width), dtype=np.uint32)
        np.multiply(a_col, hv[None, s0:s1], out=work)
        np.add(work, b_col, out=work)
        sig[:, docs] = np.minimum.reduceat(work, offsets[docs] - s0, axis=1)
    return sig


def minhash_signatures(
    texts: Sequence[Optional[str]],
    *,
    num_perm: int = 128,
    seed: int = 1,
    shingle_size: int = 5,
) -> np.ndarray:
    """MinHash signatures of the texts' character shingles, shape (n, num_perm), dtype uint32.

    Identical to datasketch 2.0: `MinHash(num_perm, seed, hashfunc=shingle_hash32)` updated with
    `shingles(text, shingle_size)`. An empty or None text gives the empty signature (all 2^32-1).
    """
    a, b = permutations(num_perm, seed)
    out = np.empty((len(texts), num_perm), dtype=np.uint32)
    for d0 in range(0, len(texts), _DOC_CHUNK):
        chunk = texts[d0 : d0 + _DOC_CHUNK]
        h, off = shingle_hash_arrays(chunk, shingle_size)
        out[d0 : d0 + len(chunk)] = _signatures_from_hashes(h, off, a, b).T
    return out


def band_hashes_from_signatures(sig_t: np.ndarray, bands: int, rows: int, first_band: int = 0) -> np.ndarray:
    """(n, bands) uint64 band keys from a (num_perm, n) signature matrix.

    `first_band`: `sig_t` holds only the signature rows of bands `first_band ...` (a band group of
    one worker); the keys equal those the whole matrix gives for these bands."""
    if bands * rows > sig_t.shape[0]:
        raise ValueError(f"bands*rows = {bands * rows} exceeds num_perm = {sig_t.shape[0]}")
    n = sig_t.shape[1]
    out = np.empty((n, bands), dtype=np.uint64)
    for j in range(bands):
        acc = np.full(n, FNV_OFFSET ^ np.uint64(first_band + j), dtype=np.uint64)
        for t in range(rows):
            np.bitwise_xor(acc, sig_t[j * rows + t].astype(np.uint64), out=acc)
            np.multiply(acc, FNV_PRIME, out=acc)
        out[:, j] = _fmix64(acc)
    return out


def band_hashes(
    texts: Sequence[Optional[str]],
    *,
    num_perm: int = 128,
    seed: int = 1,
    shingle_size: int = 5,
    bands: int = 16,
    rows: int = 8,
    progress: Optional[Callable[[int, int], None]] = None,
    rows_of: Optional[np.ndarray] = None,
    prepare: Optional[Callable[[pl.Series], pl.Series]] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """LSH band keys (n, bands) uint64 and a bool mask of documents with at least one shingle.

    Processes `_DOC_CHUNK` documents at a time and keeps only the band keys (bands*8 bytes per doc),
    never the full signature matrix or shingle arrays of the whole input. `progress(done, n)` is
    called after each chunk. `rows_of` (optional): the documents are `texts[rows_of]` (a Series),
    gathered a chunk at a time; `prepare` (optional) maps each chunk of texts (a Series) to the text
    to shingle. Both keep a second copy of every text out of memory.
    """
    if bands * rows > num_perm:
        raise ValueError(f"bands*rows = {bands * rows} exceeds num_perm = {num_perm}")
    a, b = permutations(num_perm, seed)
    n = len(texts) if rows_of is None else len(rows_of)
    out = np.empty((n, bands), dtype=np.uint64)
    nonempty = np.empty(n, dtype=bool)
    for d0 in range(0, n, _DOC_CHUNK):
        chunk = texts[d0 : d0 + _DOC_CHUNK] if rows_of is None else _as_series(texts).gather(rows_of[d0 : d0 + _DOC_CHUNK])
        if prepare is not None:
            chunk = prepare(_as_series(chunk))
        h, off = shingle_hash_arrays(chunk, shingle_size)
        sig_t = _signatures_from_hashes(h, off, a, b)
        out[d0 : d0 + len(chunk)] = band_hashes_from_signatures(sig_t, bands, rows)
        nonempty[d0 : d0 + len(chunk)] = np.diff(off) > 0
        if progress is not None:
            progress(d0 + len(chunk), n)
    return out, nonempty


# ---------------------------------------------------------------------------- candidate pairs
def candidate_pairs(
    bands_matrix: np.ndarray,
    *,
    active: Optional[np.ndarray] = None,
    query: Optional[np.ndarray] = None,
    max_bucket: int = 2000,
) -> np.ndarray:
    """Pairs of documents sharing a band key in at least one band, as an (m, 2) int64 array, i < j.

    `active` (bool mask) restricts the documents considered; `query` (bool mask) keeps only pairs
    with at least one query document (incremental mode: new rows against an index). Buckets larger
    than `max_bucket` emit star pairs (first member with each other member).
    """
    n, n_bands = bands_matrix.shape
    docs = np.arange(n, dtype=np.int64) if active is None else np.flatnonzero(active).astype(np.int64)
    keys: list[np.ndarray] = []
    if len(docs) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    for j in range(n_bands):
        h = bands_matrix[docs, j]
        order = np.argsort(h, kind="stable")
        hs = h[order]
        ids = docs[order]
        brk = np.flatnonzero(hs[1:] != hs[:-1]) + 1
        starts = np.r_[0, brk]
        sizes = np.diff(np.r_[starts, len(hs)])
        multi = sizes >= 2
        if not multi.any():
            continue
        g_starts = starts[multi]
        g_sizes = sizes[multi]
        if query is not None:
            q = query[ids].astype(np.int64)
            has_q = np.add.reduceat(q, starts)[multi] > 0
            g_starts, g_sizes = g_starts[has_q], g_sizes[has_q]
            if not len(g_starts):
                continue
        pos = _ranges(g_starts, g_sizes)
        g_end = np.repeat(g_starts + g_sizes, g_sizes)
        cnt = g_end - pos - 1
        big = np.repeat(g_sizes > max_bucket, g_sizes)
        if big.any():
            first = pos == np.repeat(g_starts, g_sizes)
            cnt = np.where(big, np.where(first, cnt, 0), cnt)
        left = np.repeat(pos, cnt)
        right = left + 1 + (np.arange(int(cnt.sum()), dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        li, ri = ids[left], ids[right]
        lo, hi = np.minimum(li, ri), np.maximum(li, ri)
        if query is not None:
            keep = query[lo] | query[hi]
            lo, hi = lo[keep], hi[keep]
        keys.append((lo.astype(np.uint64) << np.uint64(32)) | hi.astype(np.uint64))
    if not keys:
        return np.zeros((0, 2), dtype=np.int64)
    uk = _sorted_unique(np.concatenate(keys))
    return np.stack([(uk >> np.uint64(32)).astype(np.int64), (uk & np.uint64(0xFFFFFFFF)).astype(np.int64)], axis=1)


# ------------------------------------------------------------------------------ exact Jaccard
def jaccard_pairs(
    texts: Sequence[Optional[str]],
    pairs: np.ndarray,
    *,
    shingle_size: int = 5,
) -> np.ndarray:
    """Exact Jaccard similarity of the character-shingle sets of each pair (i, j) of `texts`.

    Only the documents named in `pairs` are shingled. Vectorized sort-merge: each document's shingle
    set becomes a sorted run of `(doc << s) | (hash >> bits)` keys; for each pair the smaller set's
    shingles are looked up in the larger set's run with one `searchsorted` over all pairs.
    Two empty texts have similarity 0.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(len(pairs), dtype=np.float64)
    if not len(pairs):
        return out
    flat = pairs.ravel()
    docs = _sorted_unique(flat)
    local = np.searchsorted(docs, flat).reshape(-1, 2)
    if isinstance(texts, pl.Series):
        sub = texts.gather(docs)
    else:
        sub = [texts[int(d)] for d in docs]
    h, off = shingle_hash_arrays(sub, shingle_size)
    n_docs = len(docs)
    bits = max(1, int(np.ceil(np.log2(n_docs + 1))))
    shift = np.uint64(64 - bits)
    doc_of = np.repeat(np.arange(n_docs, dtype=np.uint64), np.diff(off))
    raw = (doc_of << shift) | (h >> np.uint64(bits))
    # documents are contiguous and increasing in `raw`, so sorting blocks of documents separately
    # (cache-sized) and concatenating gives the globally sorted array, about 2x faster
    cuts = off[:: _SORT_BLOCK_DOCS].tolist() + [len(raw)]
    raw = np.concatenate([np.sort(raw[c0:c1]) for c0, c1 in zip(cuts[:-1], cuts[1:])]) if len(raw) else raw
    keys = raw[np.r_[True, raw[1:] != raw[:-1]]] if len(raw) else raw
    kdoc = (keys >> shift).astype(np.int64)
    sizes = np.bincount(kdoc, minlength=n_docs).astype(np.int64)
    run_start = np.cumsum(sizes) - sizes
    low_mask = (np.uint64(1) << shift) - np.uint64(1)
    for p0 in range(0, len(pairs), _PAIR_CHUNK):
        li = local[p0 : p0 + _PAIR_CHUNK, 0]
        lj = local[p0 : p0 + _PAIR_CHUNK, 1]
        swap = sizes[li] > sizes[lj]
        probe = np.where(swap, lj, li)
        target = np.where(swap, li, lj)
        plen = sizes[probe]
        pos = _ranges(run_start[probe], plen)
        q = (np.repeat(target.astype(np.uint64), plen) << shift) | (keys[pos] & low_mask)
        found = np.searchsorted(keys, q)
        found[found >= len(keys)] = len(keys) - 1 if len(keys) else 0
        hit = keys[found] == q if len(keys) else np.zeros(len(q), dtype=bool)
        inter = np.bincount(np.repeat(np.arange(len(li)), plen), weights=hit, minlength=len(li))
        union = sizes[li] + sizes[lj] - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            out[p0 : p0 + len(li)] = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return out


# ---------------------------------------------------------------------------- components
def connected_components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Component label (int64, the smallest member index) of each of n nodes given edges `pairs`.

    Uses scipy.sparse.csgraph when importable, else a vectorized min-label propagation with
    pointer jumping in numpy.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if not len(pairs):
        return np.arange(n, dtype=np.int64)
    try:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components as cc

        g = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, lab = cc(g, directed=False)
        # relabel each component by its smallest member index (deterministic)
        first = np.full(lab.max() + 1, n, dtype=np.int64)
        np.minimum.at(first, lab, np.arange(n, dtype=np.int64))
        return first[lab]
    except ImportError:  # pragma: no cover - scipy ships with datasketch
        pass
    return _components_numpy(n, pairs)


def _components_numpy(n: int, pairs: np.ndarray) -> np.ndarray:
    label = np.arange(n, dtype=np.int64)
    u, v = pairs[:, 0], pairs[:, 1]
    while True:
        lu, lv = label[u], label[v]
        m = np.minimum(lu, lv)
        before = label.copy()
        np.minimum.at(label, lu, m)
        np.minimum.at(label, lv, m)
        # pointer jumping until every node points at a root
        while True:
            nxt = label[label]
            if np.array_equal(nxt, label):
                break
            label = nxt
        if np.array_equal(label, before):
            return label


def datasketch_minhash(text: str, *, num_perm: int = 128, seed: int = 1, shingle_size: int = 5):
    """Reference: the datasketch MinHash of `text` built shingle by shingle (for tests and docs)."""
    from datasketch import MinHash

    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash32)
    for s in shingles(text, shingle_size):
        m.update(s)
    return m
