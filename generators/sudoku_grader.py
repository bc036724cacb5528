"""Sudoku engine: geometry tables, a counting solver and a logical grader (pure Python, bitmasks).

Grids are flat lists of ints, row-major, 0 = empty, digits 1..n. Candidates are bitmasks: bit d-1
stands for digit d. Everything per-cell (row, column, box, peers) is precomputed once per geometry,
so the hot loops do integer operations on lists only.

Technique tiers measured by `grade`:

- T1 naked singles
- T2 hidden singles
- T3 locked candidates (pointing / claiming), naked and hidden pairs and triples
- T4 X-wing, swordfish, XY-wing, XYZ-wing
- T5 stuck after all of the above: needs chains or guessing
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

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

POP = [bin(i).count("1") for i in range(1 << 9)]


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
        self.peer_bits = [sum(1 << p for p in ps) for ps in self.peers]
        # box segments for locked candidates: for each box, its cells grouped by row and by column
        self.box_row_segs = [[[i for i in bx if self.row[i] == r] for r in sorted({self.row[i] for i in bx})] for bx in boxes]
        self.box_col_segs = [[[i for i in bx if self.col[i] == c] for c in sorted({self.col[i] for i in bx})] for bx in boxes]
        self.line_box_segs = [
            [[i for i in line if self.box[i] == b] for b in sorted({self.box[i] for i in line})] for line in rows + cols
        ]
        self.digit_of = {1 << d: d + 1 for d in range(n)}


@lru_cache(maxsize=None)
def geometry(n: int, br: int, bc: int) -> Geometry:
    return Geometry(n, br, bc)


def bits(mask: int):
    while mask:
        low = mask & -mask
        yield low
        mask ^= low


# ---------------------------------------------------------------------------------------------
# Plain solver: MRV backtracking over row/col/box masks (also fills random full grids).


def count_solutions_plain(grid: list[int], g: Geometry, limit: int = 2, *, forbid: tuple[int, int] | None = None) -> int:
    """Plain MRV backtracking count (kept as a reference/baseline); see `count_solutions`."""
    n, allm = g.n, g.all
    ROW, COL, BOX = g.row, g.col, g.box
    R = [0] * n
    C = [0] * n
    B = [0] * n
    empties = []
    for i, v in enumerate(grid):
        if v:
            b = 1 << (v - 1)
            r, c, x = ROW[i], COL[i], BOX[i]
            if (R[r] | C[c] | B[x]) & b:
                return 0
            R[r] |= b
            C[c] |= b
            B[x] |= b
        else:
            empties.append(i)
    fcell, fmask = (forbid[0], 1 << (forbid[1] - 1)) if forbid else (-1, 0)
    found = 0

    def rec(k: int) -> bool:
        # empties[:k] are still empty; returns True when the limit is reached
        nonlocal found
        if k == 0:
            found += 1
            return found >= limit
        best_j = -1
        best_m = 0
        best_n = 99
        for j in range(k):
            i = empties[j]
            m = allm & ~(R[ROW[i]] | C[COL[i]] | B[BOX[i]])
            if i == fcell:
                m &= ~fmask
            pc = POP[m]
            if pc < best_n:
                if pc == 0:
                    return False
                best_n, best_m, best_j = pc, m, j
                if pc == 1:
                    break
        i = empties[best_j]
        k -= 1
        empties[best_j], empties[k] = empties[k], empties[best_j]
        r, c, x = ROW[i], COL[i], BOX[i]
        m = best_m
        while m:
            b = m & -m
            m ^= b
            R[r] |= b
            C[c] |= b
            B[x] |= b
            stop = rec(k)
            R[r] ^= b
            C[c] ^= b
            B[x] ^= b
            if stop:
                empties[best_j], empties[k] = empties[k], empties[best_j]
                return True
        empties[best_j], empties[k] = empties[k], empties[best_j]
        return False

    rec(len(empties))
    return found


def solve(grid: list[int], g: Geometry) -> list[int] | None:
    """One solution of `grid` (or None)."""
    return _fill(list(grid), g, None)


def random_full_grid(g: Geometry, rng: random.Random) -> list[int]:
    """A uniformly shuffled complete grid: randomized MRV backtracking from an empty board."""
    out = _fill([0] * g.size, g, rng)
    if out is None:  # pragma: no cover - an empty grid always has a solution
        raise RuntimeError("no full grid found")
    return out


def _fill(grid: list[int], g: Geometry, rng: random.Random | None) -> list[int] | None:
    n, allm = g.n, g.all
    ROW, COL, BOX = g.row, g.col, g.box
    R = [0] * n
    C = [0] * n
    B = [0] * n
    empties = []
    for i, v in enumerate(grid):
        if v:
            b = 1 << (v - 1)
            if (R[ROW[i]] | C[COL[i]] | B[BOX[i]]) & b:
                return None
            R[ROW[i]] |= b
            C[COL[i]] |= b
            B[BOX[i]] |= b
        else:
            empties.append(i)
    if rng is not None:
        rng.shuffle(empties)
    digit_of = g.digit_of

    def rec(k: int) -> bool:
        if k == 0:
            return True
        best_j = -1
        best_m = 0
        best_n = 99
        for j in range(k):
            i = empties[j]
            m = allm & ~(R[ROW[i]] | C[COL[i]] | B[BOX[i]])
            pc = POP[m]
            if pc < best_n:
                if pc == 0:
                    return False
                best_n, best_m, best_j = pc, m, j
                if pc == 1:
                    break
        i = empties[best_j]
        k -= 1
        empties[best_j], empties[k] = empties[k], empties[best_j]
        r, c, x = ROW[i], COL[i], BOX[i]
        options = list(bits(best_m))
        if rng is not None and len(options) > 1:
            rng.shuffle(options)
        for b in options:
            R[r] |= b
            C[c] |= b
            B[x] |= b
            grid[i] = digit_of[b]
            if rec(k):
                return True
            R[r] ^= b
            C[c] ^= b
            B[x] ^= b
        grid[i] = 0
        empties[best_j], empties[k] = empties[k], empties[best_j]
        return False

    return grid if rec(len(empties)) else None


def forced_by_givens(grid: list[int], cell: int, g: Geometry) -> bool:
    """True when the value at `cell` is implied by the other givens through a naked or hidden single.

    Then removing the clue keeps both uniqueness and the logical grade (the solver re-places it
    first with a tier ≤ 2 step). Used as a cheap pre-check before the solver/grader.
    """
    v = grid[cell]
    b = 1 << (v - 1)
    used = 0
    for p in g.peers[cell]:
        pv = grid[p]
        if pv:
            used |= 1 << (pv - 1)
    if (used | b) == g.all:
        return True
    return False


def forced_hidden(grid: list[int], cell: int, g: Geometry) -> bool:
    """True when `grid[cell]` is the only place for its digit in one of its units, given the others."""
    v = grid[cell]
    peers = g.peers
    for unit in (g.rows[g.row[cell]], g.cols[g.col[cell]], g.boxes[g.box[cell]]):
        ok = True
        for j in unit:
            if j == cell or grid[j]:
                continue
            # can v go at j?  only if no peer of j holds v (cell itself is being removed)
            blocked = False
            for p in peers[j]:
                if p != cell and grid[p] == v:
                    blocked = True
                    break
            if not blocked:
                ok = False
                break
        if ok:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Logical grader


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
    n, allm = g.n, g.all
    size = g.size
    peers = g.peers
    cand = [0] * size
    vals = list(grid)
    counts: dict[str, int] = {}
    clues = 0
    for i, v in enumerate(vals):
        if v:
            clues += 1
    for i in range(size):
        if not vals[i]:
            u = 0
            for p in peers[i]:
                pv = vals[p]
                if pv:
                    u |= 1 << (pv - 1)
            cand[i] = allm & ~u
    remaining = size - clues
    hardest = 1 if remaining else 0
    units = g.units
    digit_of = g.digit_of

    # cells whose candidates became a single digit, waiting to be placed (naked singles)
    queue = [i for i in range(size) if cand[i] and not (cand[i] & (cand[i] - 1))]

    def place(i: int, b: int) -> None:
        vals[i] = digit_of[b]
        cand[i] = 0
        for p in peers[i]:
            m = cand[p]
            if m & b:
                m ^= b
                cand[p] = m
                if m and not (m & (m - 1)):
                    queue.append(p)

    def drain() -> int:
        placed = 0
        while queue:
            i = queue.pop()
            m = cand[i]
            if m and not (m & (m - 1)):
                place(i, m)
                placed += 1
        return placed

    while remaining:
        # T1: naked singles
        placed = drain()
        if placed:
            counts["naked_single"] = counts.get("naked_single", 0) + placed
            remaining -= placed
            if not remaining:
                break
            if until and all(vals[i] for i in until):
                return Grade(hardest, True, counts, clues)
        if max_tier < 2:
            return Grade(2, False, counts, clues)
        # T2: hidden singles, one pass over all units
        placed = 0
        for unit in units:
            once = more = 0
            for i in unit:
                m = cand[i]
                more |= once & m
                once |= m
            hidden = once & ~more
            if hidden:
                for i in unit:
                    m = cand[i] & hidden
                    if m:
                        place(i, m & -m)
                        placed += 1
                        hidden &= ~m
        if placed:
            counts["hidden_single"] = counts.get("hidden_single", 0) + placed
            remaining -= placed
            hardest = max(hardest, 2)
            if until and all(vals[i] for i in until):
                return Grade(hardest, True, counts, clues)
            continue
        if max_tier < 3:
            return Grade(3, False, counts, clues)
        name = _tier3(cand, g)
        if name:
            queue.extend(i for i in range(size) if cand[i] and not (cand[i] & (cand[i] - 1)))
            counts[name] = counts.get(name, 0) + 1
            hardest = max(hardest, 3)
            continue
        if max_tier < 4:
            return Grade(4, False, counts, clues)
        name = _tier4(cand, g)
        if name:
            queue.extend(i for i in range(size) if cand[i] and not (cand[i] & (cand[i] - 1)))
            counts[name] = counts.get(name, 0) + 1
            hardest = 4
            continue
        return Grade(5, False, counts, clues)
    return Grade(max(hardest, 1), True, counts, clues)


def _tier3(cand: list[int], g: Geometry) -> str | None:
    """One tier-3 step (eliminations); returns the technique name or None."""
    # pointing: a digit confined to one row/col segment of a box -> remove from the rest of the line
    for b, (rsegs, csegs) in enumerate(zip(g.box_row_segs, g.box_col_segs)):
        for segs, lines, key in ((rsegs, g.rows, g.row), (csegs, g.cols, g.col)):
            masks = []
            for seg in segs:
                m = 0
                for i in seg:
                    m |= cand[i]
                masks.append(m)
            for s, m in enumerate(masks):
                others = 0
                for t, m2 in enumerate(masks):
                    if t != s:
                        others |= m2
                only = m & ~others
                if only:
                    line = lines[key[segs[s][0]]]
                    hit = False
                    box = g.box
                    for i in line:
                        if box[i] != b and cand[i] & only:
                            cand[i] &= ~only
                            hit = True
                    if hit:
                        return "pointing"
    # claiming: a digit confined to one box within a line -> remove from the rest of the box
    for segs in g.line_box_segs:
        masks = []
        for seg in segs:
            m = 0
            for i in seg:
                m |= cand[i]
            masks.append(m)
        for s, m in enumerate(masks):
            others = 0
            for t, m2 in enumerate(masks):
                if t != s:
                    others |= m2
            only = m & ~others
            if only:
                seg = segs[s]
                hit = False
                for i in g.boxes[g.box[seg[0]]]:
                    if i not in seg and cand[i] & only:
                        cand[i] &= ~only
                        hit = True
                if hit:
                    return "claiming"
    # naked pairs / triples
    for k, name in ((2, "naked_pair"), (3, "naked_triple")):
        for unit in g.units:
            small = [i for i in unit if cand[i] and POP[cand[i]] <= k]
            if len(small) < k:
                continue
            for combo in combinations(small, k):
                u = 0
                for i in combo:
                    u |= cand[i]
                if POP[u] != k:
                    continue
                hit = False
                for i in unit:
                    if i not in combo and cand[i] & u:
                        cand[i] &= ~u
                        hit = True
                if hit:
                    return name
    # hidden pairs / triples
    for k, name in ((2, "hidden_pair"), (3, "hidden_triple")):
        for unit in g.units:
            pos: dict[int, int] = {}
            for j, i in enumerate(unit):
                m = cand[i]
                while m:
                    b = m & -m
                    m ^= b
                    pos[b] = pos.get(b, 0) | (1 << j)
            digits = [b for b, p in pos.items() if 2 <= POP[p] <= k] if k == 2 else [b for b, p in pos.items() if POP[p] <= k]
            if len(digits) < k or len(pos) <= k:
                continue
            for combo in combinations(digits, k):
                p = 0
                dm = 0
                for b in combo:
                    p |= pos[b]
                    dm |= b
                if POP[p] != k:
                    continue
                hit = False
                for j, i in enumerate(unit):
                    if p >> j & 1 and cand[i] & ~dm:
                        cand[i] &= dm
                        hit = True
                if hit:
                    return name
    return None


def _tier4(cand: list[int], g: Geometry) -> str | None:
    """One tier-4 step: fish (X-wing, swordfish) on rows/cols, XY-wing, XYZ-wing."""
    n = g.n
    for size, name in ((2, "x_wing"), (3, "swordfish")):
        for base, cover in ((g.rows, g.cols), (g.cols, g.rows)):
            for d in range(n):
                b = 1 << d
                lines = []
                for li, line in enumerate(base):
                    p = 0
                    for j, i in enumerate(line):
                        if cand[i] & b:
                            p |= 1 << j
                    if 2 <= POP[p] <= size:
                        lines.append((li, p))
                if len(lines) < size:
                    continue
                for combo in combinations(lines, size):
                    u = 0
                    for _, p in combo:
                        u |= p
                    if POP[u] != size:
                        continue
                    chosen = {li for li, _ in combo}
                    hit = False
                    for j in range(n):
                        if u >> j & 1:
                            for li, i in enumerate(cover[j]):
                                if li not in chosen and cand[i] & b:
                                    cand[i] &= ~b
                                    hit = True
                    if hit:
                        return name
    peers, peer_bits = g.peers, g.peer_bits
    size = g.size
    bivalue = [i for i in range(size) if cand[i] and POP[cand[i]] == 2]
    bivalue_set = set(bivalue)
    # XY-wing: pivot {x,y}, pincers {x,z} and {y,z} seeing the pivot; z leaves cells seeing both pincers
    for pivot in bivalue:
        pm = cand[pivot]
        wings = [i for i in peers[pivot] if i in bivalue_set and POP[cand[i] & pm] == 1]
        for a, c in combinations(wings, 2):
            ma, mc = cand[a], cand[c]
            if (ma & pm) == (mc & pm):
                continue
            z = ma & mc & ~pm
            if not z or (ma & mc) != z:
                continue
            common = peer_bits[a] & peer_bits[c] & ~(1 << pivot)
            hit = False
            while common:
                low = common & -common
                common ^= low
                i = low.bit_length() - 1
                if cand[i] & z:
                    cand[i] &= ~z
                    hit = True
            if hit:
                return "xy_wing"
    # XYZ-wing: pivot {x,y,z}, pincers {x,z},{y,z} seeing the pivot; z leaves cells seeing all three
    for pivot in range(size):
        pm = cand[pivot]
        if not pm or POP[pm] != 3:
            continue
        wings = [i for i in peers[pivot] if i in bivalue_set and (cand[i] & ~pm) == 0]
        for a, c in combinations(wings, 2):
            ma, mc = cand[a], cand[c]
            if ma == mc:
                continue
            z = ma & mc
            if POP[z] != 1:
                continue
            common = peer_bits[a] & peer_bits[c] & peer_bits[pivot]
            hit = False
            while common:
                low = common & -common
                common ^= low
                i = low.bit_length() - 1
                if cand[i] & z:
                    cand[i] &= ~z
                    hit = True
            if hit:
                return "xyz_wing"
    return None


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


# ---------------------------------------------------------------------------------------------
# Propagating solver (naked + hidden singles at every node): far fewer nodes than plain MRV.


def _propagate(cand: list[int], vals: list[int], g: Geometry, queue: list[int]) -> bool:
    """Place queued naked singles and hidden singles to a fixpoint; False on a contradiction.

    Invariant: a placed cell has cand 0 and its digit is gone from every peer's candidates, so an
    unplaced cell with cand 0 is a contradiction.
    """
    peers, units, digit_of = g.peers, g.units, g.digit_of

    def drain() -> bool:
        while queue:
            i = queue.pop()
            m = cand[i]
            if not m:
                if vals[i]:
                    continue
                return False
            if m & (m - 1):
                continue
            vals[i] = digit_of[m]
            cand[i] = 0
            for p in peers[i]:
                pm = cand[p]
                if pm & m:
                    pm ^= m
                    cand[p] = pm
                    if not pm:
                        return False  # p is unplaced (placed cells hold 0) and has no digit left
                    if not (pm & (pm - 1)):
                        queue.append(p)
        return True

    if not drain():
        return False
    while True:
        found = False
        # hidden singles: `once & ~more` is exactly the unplaced digits with one position in the
        # unit (a digit with no position left surfaces later as an empty cell: pigeonhole)
        for unit in units:
            once = more = 0
            for i in unit:
                m = cand[i]
                more |= once & m
                once |= m
            hidden = once & ~more
            if hidden:
                for i in unit:
                    m = cand[i] & hidden
                    if m:
                        if m & (m - 1):
                            return False
                        cand[i] = m
                        queue.append(i)
                found = True
                if not drain():
                    return False
        if not found:
            return True


def count_solutions(
    grid: list[int],
    g: Geometry,
    limit: int = 2,
    *,
    forbid: tuple[int, int] | None = None,
    prefer: list[int] | None = None,
) -> int:
    """Number of solutions of `grid`, stopping at `limit`; `forbid=(cell, digit)` excludes one value.

    MRV backtracking on candidate bitmasks with naked- and hidden-single propagation at every node.
    `prefer` (a known solution) is tried first at every branch: when digging, an alternative
    solution usually agrees with the known one almost everywhere, so it is found sooner.
    """
    n, size, allm = g.n, g.size, g.all
    ROW, COL, BOX = g.row, g.col, g.box
    R = [0] * n
    C = [0] * n
    B = [0] * n
    for i, v in enumerate(grid):
        if v:
            b = 1 << (v - 1)
            r, c, x = ROW[i], COL[i], BOX[i]
            if (R[r] | C[c] | B[x]) & b:
                return 0  # the givens clash
            R[r] |= b
            C[c] |= b
            B[x] |= b
    vals = list(grid)
    cand = [0] * size
    queue = []
    for i in range(size):
        if not grid[i]:
            m = allm & ~(R[ROW[i]] | C[COL[i]] | B[BOX[i]])
            if not m:
                return 0
            cand[i] = m
            if not (m & (m - 1)):
                queue.append(i)
    if forbid is not None:
        fc, fd = forbid
        if grid[fc]:
            return 0 if grid[fc] == fd else count_solutions(grid, g, limit, prefer=prefer)
        m = cand[fc] & ~(1 << (fd - 1))
        if not m:
            return 0
        cand[fc] = m
        if not (m & (m - 1)):
            queue.append(fc)
    if not _propagate(cand, vals, g, queue):
        return 0
    found = 0

    def rec(cand: list[int], vals: list[int]) -> bool:
        nonlocal found
        best, best_n = -1, 99
        for i in range(size):
            m = cand[i]
            if m:
                pc = POP[m]
                if pc < best_n:
                    best, best_n = i, pc
                    if pc == 2:
                        break
        if best < 0:
            found += 1
            return found >= limit
        m = cand[best]
        if prefer is not None:
            pb = 1 << (prefer[best] - 1)
            if m & pb:
                c2 = cand[:]
                v2 = vals[:]
                c2[best] = pb
                if _propagate(c2, v2, g, [best]) and rec(c2, v2):
                    return True
                m ^= pb
        while m:
            b = m & -m
            m ^= b
            c2 = cand[:]
            v2 = vals[:]
            c2[best] = b
            if _propagate(c2, v2, g, [best]) and rec(c2, v2):
                return True
        return False

    rec(cand, vals)
    return found
