"""The same-problem rule (curation.dedup.content) and the linear LSH linking (curation.dedup.lsh)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.dedup import minhash as mh
from curation.dedup import normalize_series
from curation.dedup.content import number_keys, same_problem
from curation.dedup.lsh import link_near_duplicates


def _n(*texts: str) -> list[str]:
    return normalize_series(pl.Series(list(texts))).to_list()


SAME = [
    ("What is the value of $x$ if $2x+3=7$?", "Find $x$ if $2x + 3 = 7$."),
    (r"Compute $\dfrac{1}{3}+\frac12$.", r"Compute \(\frac13 + \frac{1}{2}\)."),
    ("A bag has 1,000 marbles.", "A bag has 1{,}000 marbles."),
    ("Find the sum of the roots of $x^{2}-5x+6$.", "Find the sum of the roots of $x^2 - 5x + 6$. Express your answer as a common fraction."),
    ("How many ways can we ensure a win?", "How many ways can we ensue a win?"),  # typo
    (r"Let $a_1, \cdots, a_5$ be reals.", r"Let $a_{1}, \ldots, a_{5}$ be reals."),
    ("When $n$ dice are rolled there are $936$ outcomes. What is $n$?", "When n dice are rolled there are 936 outcomes. What is n?"),
]
DIFFERENT = [
    ("Find $x$ if $2x+3=7$.", "Find $x$ if $2x+3=8$."),  # another number
    ("Find $d$.", "Find $a$."),  # another variable
    ("What is the area of triangle ABC?", "What is the perimeter of triangle ABC?"),  # asked quantity
    ("How many boys are in the class?", "How many girls are in the class?"),
    ("Choose 6 starters if exactly one triplet plays.", "Choose 6 starters if at most one triplet plays."),
    ("$2n$ is a square and $3n$ is a cube.", "$3n$ is a square and $2n$ is a cube."),  # order
    ("How many integers below 100 are divisible by 3?", "How many integers below 100 are not divisible by 3?"),
    ("For how many pairs $(a,b)$ is $a+b=6$?", "For how many pairs $(b,a)$ is $a+b=6$?"),
]


@pytest.mark.parametrize("a, b", SAME)
def test_reformattings_are_the_same_problem(a, b):
    na, nb = _n(a, b)
    assert same_problem(na, nb)
    assert number_keys(pl.Series([na, nb]))[0] == number_keys(pl.Series([na, nb]))[1]


@pytest.mark.parametrize("a, b", DIFFERENT)
def test_changed_mathematics_is_another_problem(a, b):
    na, nb = _n(a, b)
    assert not same_problem(na, nb)


def test_number_key_is_a_multiset_with_canonical_numbers():
    keys = number_keys(pl.Series(["3 and 1,000 and 2.50", "1000, 3 and 2.5", "007 then 3 and 1000 and 2.5", "3 and 1000"]))
    assert keys[0] == keys[1] != keys[3]
    assert keys[2] != keys[0]  # 7 is one more number


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcxyz 0123456789+=$.,?", max_size=60))
def test_same_problem_is_reflexive_and_symmetric(t):
    n = _n(t)[0]
    assert same_problem(n, n)
    other = _n(t + " 7")[0]
    assert same_problem(n, other) == same_problem(other, n)


# ----------------------------------------------------------------------------- linear linking
def _bands(texts, bands=32, rows=4):
    b, nonempty = mh.band_hashes(texts, bands=bands, rows=rows)
    return b, nonempty


def _brute_force_components(texts, threshold):
    n = len(texts)
    pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, n)])
    sims = mh.jaccard_pairs(texts, pairs)
    return mh.connected_components(n, pairs[sims >= threshold])


def test_linking_finds_the_same_clusters_as_checking_every_pair():
    base = "the quick brown fox jumps over the lazy dog near the river bank at dawn today"
    texts = [base, base + " ok", base.replace("quick", "quick "), "an unrelated sentence about prime numbers and sums",
             "an unrelated sentence about prime numbers and sums!", base.replace("dawn", "dusk"), "short"]
    b, nonempty = _bands(texts)
    res = link_near_duplicates(b, texts, active=nonempty, threshold=0.7, require_same_problem=False)
    comp = mh.connected_components(len(texts), res.pairs)
    truth = _brute_force_components(texts, 0.7)
    # same partition
    assert len(set(zip(comp.tolist(), truth.tolist()))) == len(set(truth.tolist())) == len(set(comp.tolist()))


def test_a_huge_template_bucket_costs_linear_work():
    # 3,000 rows that share almost all shingles: the old candidate step enumerated ~4.5M pairs here
    stem = "let f of x equal a quadratic with the given coefficients and find the sum of all real roots " * 2
    texts = [stem + f"case {i}" for i in range(3000)]
    b, nonempty = _bands(texts)
    res = link_near_duplicates(b, texts, active=nonempty, threshold=0.7, require_same_problem=False, max_pivots=4)
    assert res.checked <= 3000 * 4  # a small constant per row (all pairs would be 4.5M)
    assert len(set(mh.connected_components(3000, res.pairs).tolist())) == 1


def test_rows_with_other_numbers_are_never_compared():
    stem = "let f of x equal a quadratic with the given coefficients and find the sum of all real roots " * 2
    texts = [stem + f"case {i}" for i in range(500)]
    b, nonempty = _bands(texts)
    group = number_keys(pl.Series(texts))
    res = link_near_duplicates(b, texts, group=group, active=nonempty, threshold=0.7)
    assert res.checked == 0 and len(res.pairs) == 0


def test_members_a_pivot_rejects_are_checked_against_the_next_pivot():
    # one bucket holds two different problems with the same numbers; the second problem's copies
    # must still be linked to each other (round 2), and never to the first
    a = "in triangle abc with sides 13 14 15 find the length of the altitude from vertex a to side bc"
    b = a.replace("vertex a", "vertex b").replace("side bc", "side ac")
    texts = [a, b, b + " ", a + "  ."]
    texts = normalize_series(pl.Series(texts)).to_list()
    bands, nonempty = _bands(texts)
    res = link_near_duplicates(bands, texts, group=number_keys(pl.Series(texts)), active=nonempty, threshold=0.7)
    comp = mh.connected_components(4, res.pairs)
    assert comp[0] == comp[3] and comp[1] == comp[2] and comp[0] != comp[1]
    assert len(res.rejected_content) >= 1


def test_work_cap_only_misses_never_merges():
    a = "in triangle abc with sides 13 14 15 find the length of the altitude from vertex a to side bc"
    variants = [a.replace("vertex a", f"vertex {v}") for v in "abcdefgh"]
    texts = normalize_series(pl.Series(variants + variants)).to_list()  # every variant twice (exact)
    bands, nonempty = _bands(texts)
    res = link_near_duplicates(bands, texts, active=nonempty, threshold=0.5, max_pivots=2)
    comp = mh.connected_components(len(texts), res.pairs)
    for i, j in zip(*np.nonzero(comp[:, None] == comp[None, :])):
        assert texts[i] == texts[j] or same_problem(texts[i], texts[j])
    assert res.capped_members > 0
