"""MinHash signatures equal datasketch's; banding, exact Jaccard and components are correct."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.dedup import minhash as mh


TEXTS = [
    "let f(x)=x^2+3x+5. find the sum of all real x with f(f(x))=25.",
    "abc",
    "",
    "héllo wörld ∑ 12345 — ünïcödé 🙂 text",
    "abcde",
    "the quick brown fox jumps over the lazy dog " * 3,
]


@pytest.mark.parametrize("num_perm, seed", [(128, 1), (64, 7), (256, 0)])
def test_permutations_equal_datasketch(num_perm, seed):
    a, b = mh.permutations(num_perm, seed)
    pa, pb = MinHash(num_perm=num_perm, seed=seed).permutations
    np.testing.assert_array_equal(a, pa)
    np.testing.assert_array_equal(b, pb)


def test_signatures_equal_datasketch_update_per_shingle():
    sig = mh.minhash_signatures(TEXTS)
    assert sig.shape == (len(TEXTS), 128) and sig.dtype == np.uint32
    for text, row in zip(TEXTS, sig):
        m = MinHash(num_perm=128, seed=1, hashfunc=mh.shingle_hash32)
        for s in mh.shingles(text, 5):
            m.update(s)
        np.testing.assert_array_equal(m.hashvalues, row)


def test_signatures_equal_datasketch_bulk_with_other_params():
    sig = mh.minhash_signatures(TEXTS, num_perm=64, seed=7, shingle_size=3)
    bulk = MinHash.bulk([mh.shingles(t, 3) for t in TEXTS], num_perm=64, seed=7, hashfunc=mh.shingle_hash32)
    for m, row in zip(bulk, sig):
        np.testing.assert_array_equal(m.hashvalues, row)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_vectorized_shingle_hashes_match_reference(texts):
    h, off = mh.shingle_hash_arrays(texts, 4)
    for d, t in enumerate(texts):
        expect = [mh.shingle_hash64(s) for s in mh.shingles(t, 4)]
        assert h[off[d] : off[d + 1]].tolist() == expect


def test_empty_text_has_empty_signature():
    sig = mh.minhash_signatures(["", None])
    assert (sig == np.uint32(0xFFFFFFFF)).all()


def _set_jaccard(a: str, b: str, k: int = 5) -> float:
    sa, sb = set(mh.shingles(a, k)), set(mh.shingles(b, k))
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcde ", max_size=30), min_size=2, max_size=8), st.data())
def test_exact_jaccard_matches_python_sets(texts, data):
    n = len(texts)
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=10))
    got = mh.jaccard_pairs(texts, np.array(pairs))
    for (i, j), g in zip(pairs, got):
        assert g == pytest.approx(_set_jaccard(texts[i], texts[j]))


def test_candidate_pairs_match_datasketch_lsh():
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa"]
    base = [" ".join(rng.choice(words, 40)) for _ in range(30)]
    texts = base + [t.replace("alpha", "alpha!", 1) for t in base[:15]]
    bands, nonempty = mh.band_hashes(texts, bands=16, rows=8)
    ours = {tuple(p) for p in mh.candidate_pairs(bands, active=nonempty).tolist()}
    lsh = MinHashLSH(num_perm=128, params=(16, 8))
    sigs = mh.minhash_signatures(texts)
    ms = [MinHash(num_perm=128, seed=1, hashvalues=s, scheme="affine32") for s in sigs]
    for i, m in enumerate(ms):
        lsh.insert(i, m)
    theirs = {tuple(sorted((i, j))) for i, m in enumerate(ms) for j in lsh.query(m) if j != i}
    assert ours == theirs


def test_big_bucket_emits_star_pairs():
    bands = np.zeros((10, 2), dtype=np.uint64)
    pairs = mh.candidate_pairs(bands, max_bucket=4)
    assert sorted(map(tuple, pairs.tolist())) == [(0, j) for j in range(1, 10)]
    pairs = mh.candidate_pairs(bands, max_bucket=100)
    assert len(pairs) == 45


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.data())
def test_components_numpy_equals_scipy(n, data):
    edges = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=40))
    pairs = np.array(edges, dtype=np.int64).reshape(-1, 2)
    a = mh.connected_components(n, pairs)
    b = mh._components_numpy(n, pairs) if len(pairs) else np.arange(n)
    np.testing.assert_array_equal(a, b)
    for u, v in edges:
        assert a[u] == a[v]
