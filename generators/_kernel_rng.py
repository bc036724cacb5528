"""Deterministic random numbers for the numba kernels (imported lazily, like the kernels).

A xorshift32 generator whose state lives in a one-element int64 array `rs` (so kernels can pass it
around and advance it in place). Integer-only arithmetic that never overflows int64, so a seed gives
the same sequence on any machine. Kernels are seeded from the item's `random.Random(seed)`, which
keeps the per-item RNG the source of every random choice.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = dict(cache=True, nogil=True)


@njit(**_JIT)
def rand_below(rs, k):
    """An integer in [0, k) (k < 2**31) from the state rs[0], which advances one step."""
    x = rs[0]
    x ^= (x << 13) & 0xFFFFFFFF
    x ^= x >> 17
    x ^= (x << 5) & 0xFFFFFFFF
    rs[0] = x
    return (x * k) >> 32


@njit(**_JIT)
def seed_state(seed):
    """A fresh state from a non-negative seed (xorshift32 needs a non-zero 32-bit state)."""
    rs = np.zeros(1, dtype=np.int64)
    rs[0] = (seed % 0xFFFFFFFE) + 1
    for _ in range(8):  # mix small seeds
        rand_below(rs, 2)
    return rs


@njit(**_JIT)
def shuffle(a, m, rs):
    """Fisher-Yates shuffle of a[:m] in place."""
    for k in range(m - 1, 0, -1):
        j = rand_below(rs, k + 1)
        t = a[k]
        a[k] = a[j]
        a[j] = t
