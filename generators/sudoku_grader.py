"""Sudoku engine: geometry tables, grade/count wrappers over the numba kernels, text helpers.

Grids are flat lists of ints, row-major, 0 = empty, digits 1..n. The work (counting solver, logical
grader, clue digging, random full grids) lives in `generators/_sudoku_kernels.py` (numba, bitmask
layout documented there); this module builds the per-geometry tables and converts lists to arrays.
Numba is imported on the first call, never at import time.

Technique tiers measured by `grade`:

- T1 naked singles
- T2 hidden singles
- T3 locked candidates (pointing / claiming), naked and hidden pairs and triples
- T4 X-wing, swordfish, XY-wing, XYZ-wing
- T5 stuck after all of the above: needs chains or guessing
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

TIER_NAMES = {
    1: "naked singles",
    2: "hidden singles",
    3: "locked candidates, naked/hidden pairs and triples",
    4: "X-wing, swordfish, XY-wing, XYZ-wing",
    5: "chains or guessing",
}

TECHNIQUE_TIER = {
    "naked_single": 1,
    "hidden_single": 2,
    "pointing": 3,
    "claiming": 3,
    "naked_pair": 3,
    "naked_triple": 3,
    "hidden_pair": 3,
    "hidden_triple": 3,
    "x_wing": 4,
    "swordfish": 4,
    "xy_wing": 4,
    "xyz_wing": 4,
    "guess": 5,
}


class Geometry:
    """Precomputed tables for an n×n grid with br×bc boxes (n = br·bc)."""

    def __init__(self, n: int, br: int, bc: int):
        if br * bc != n:
            raise ValueError(f"box {br}x{bc} does not tile a {n}x{n} grid")
        self.n, self.br, self.bc = n, br, bc
        self.size = n * n
        self.all = (1 << n) - 1
        self.row = [i // n for i in range(self.size)]
        self.col = [i % n for i in range(self.size)]
        per_band = n // bc
        self.box = [(i // n // br) * per_band + (i % n) // bc for i in range(self.size)]
        rows = [[r * n + c for c in range(n)] for r in range(n)]
        cols = [[r * n + c for r in range(n)] for c in range(n)]
        boxes = [[i for i in range(self.size) if self.box[i] == b] for b in range(n)]
        self.rows, self.cols, self.boxes = rows, cols, boxes
        self.units = rows + cols + boxes
        self.peers = [
            tuple(sorted(set(rows[self.row[i]] + cols[self.col[i]] + boxes[self.box[i]]) - {i}))
            for i in range(self.size)
        ]


@lru_cache(maxsize=None)
def geometry(n: int, br: int, bc: int) -> Geometry:
    return Geometry(n, br, bc)


class Engine:
    """A geometry's kernel tables (numpy) and the kernel module, built on first use."""

    def __init__(self, g: Geometry):
        import numpy as np

        from generators import _sudoku_kernels as k

        self.k, self.np, self.g = k, np, g
        self.peers, self.units, self.cell_unit, self.sees, self.inter = k.tables(g)
        self.allm = g.all

    def array(self, grid) -> "np.ndarray":
        return self.np.asarray(grid, dtype=self.np.int64)

    def grade(self, grid, max_tier: int = 4, until=()):
        counts = self.np.zeros(self.k.N_TECH, dtype=self.np.int64)
        tier, solved = self.k.grade(self.array(grid), self.peers, self.units, self.cell_unit, self.sees, self.inter,
                                    self.allm, max_tier, self.np.asarray(until, dtype=self.np.int64), counts)
        return int(tier), bool(solved), counts

    def counts_dict(self, counts) -> dict[str, int]:
        return {name: int(c) for name, c in zip(self.k.TECHNIQUES, counts) if c}


@lru_cache(maxsize=None)
def engine(g: Geometry) -> Engine:
    return Engine(g)


@dataclass
class Grade:
    """What the logical solver needed: hardest tier, per-technique counts, solved or stuck."""

    tier: int
    solved: bool
    counts: dict[str, int] = field(default_factory=dict)
    clues: int = 0

    def to_dict(self) -> dict:
        return {"tier": self.tier, "tier_name": TIER_NAMES[self.tier], "solved_logically": self.solved,
                "techniques": dict(sorted(self.counts.items())), "clues": self.clues}


def grade(grid: list[int], g: Geometry, max_tier: int = 4, until: tuple[int, ...] = ()) -> Grade:
    """Solve `grid` with techniques of tier ≤ `max_tier` (≤ 4), always trying the easiest first.

    Returns tier = hardest technique used when solved, else tier = max_tier + 1 with solved=False
    (for max_tier=4 that is T5: chains or guessing needed). Assumes the grid is consistent.

    `until` (used while digging): stop with solved=True as soon as these cells are placed. The
    caller knows the grid with those cells filled is solvable at this tier; the state reached is
    at least as constrained, and the techniques are monotone (more information never blocks them),
    so the rest would solve too. The generator re-grades the final puzzle from scratch anyway.
    """
    e = engine(g)
    tier, solved, counts = e.grade(grid, max_tier, until)
    return Grade(tier, solved, e.counts_dict(counts), sum(1 for v in grid if v))


def count_solutions(grid: list[int], g: Geometry, limit: int = 2, *, forbid: tuple[int, int] | None = None,
                    prefer: list[int] | None = None) -> int:
    """Number of solutions of `grid`, stopping at `limit`; `forbid=(cell, digit)` excludes one value.

    MRV backtracking on candidate bitmasks with naked- and hidden-single propagation at every node;
    `prefer` (a known solution) is tried first at every branch.
    """
    e = engine(g)
    fc, fd = forbid if forbid is not None else (-1, 0)
    pref = e.array(prefer) if prefer is not None else e.np.zeros(g.size, dtype=e.np.int64)
    return int(e.k.count_solutions(e.array(grid), e.peers, e.units, e.allm, limit, fc, fd, pref))


def technique_step(cand: list[int], g: Geometry, tier: int) -> tuple[str | None, list[int]]:
    """One tier-3 or tier-4 elimination step on a candidate list: (technique name or None, new cand)."""
    e = engine(g)
    c = e.array(cand).copy()
    if tier == 3:
        t = e.k.tier3_step(c, e.units, e.cell_unit, e.inter)
    else:
        t = e.k.tier4_step(c, e.units, e.peers, e.sees)
    return (e.k.TECHNIQUES[t] if t >= 0 else None), [int(x) for x in c]


# ---------------------------------------------------------------------------------------------
# Text helpers


def parse_grid(text: str, n: int) -> list[int] | None:
    """Digits from a puzzle string: `.`/`0` are empties; other characters are ignored."""
    out = []
    for ch in text:
        if ch in ".0":
            out.append(0)
        elif ch.isdigit():
            out.append(int(ch))
    return out if len(out) == n * n else None


def to_string(grid: list[int]) -> str:
    return "".join(str(v) if v else "." for v in grid)
