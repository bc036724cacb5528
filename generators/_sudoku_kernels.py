"""Numba kernels for Sudoku generation: counting solver, random full grids, clue digging, grader.

Imported lazily (first `generate`/`grade`/`count_solutions` call), so `import generators` and
`curate --help` never load numba. Compiled with `cache=True`: the first call on a machine compiles
(see `benchmarks/puzzles.py` for the time) and writes the cache to `generators/__pycache__`.
Numba keys each cached function on its own file only: after editing `_kernel_rng.py`, delete
`generators/__pycache__/*.nbi` and `*.nbc` so the kernels that inline it are recompiled.

Layout (all int64 numpy arrays; n ≤ 9, so every mask fits in one int64):

- a grid `vals[size]`, row-major, size = n·n, 0 = empty, digits 1..n;
- candidates `cand[size]`: bit d-1 set = digit d still possible; a *placed* cell has cand 0 (its
  digit lives in `vals`), so an empty cell with cand 0 is a contradiction;
- geometry tables (built once per geometry by `tables(g)` from `sudoku_grader.Geometry`):
  `peers[size, P]` (the P cells sharing a row, column or box), `units[3n, n]` (rows 0..n-1, columns
  n..2n-1, boxes 2n..3n-1; column c lists (0,c),(1,c),...), `cell_unit[size, 3]` (row, column and
  box unit of each cell), `sees[size, size]` (1 when two distinct cells are peers) and `inter[K, 2]`
  (every (line unit, box unit) pair that intersects, for pointing/claiming);
- technique ids (index into the `counts` array) follow `TECHNIQUES`; tiers are in
  `sudoku_grader.TECHNIQUE_TIER`.

Randomness: every random choice comes from the xorshift32 state of `_kernel_rng`, seeded by the
caller from the item's `random.Random(seed)`; integer-only arithmetic, so a seed gives the same
puzzle on any machine.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from generators._kernel_rng import rand_below, seed_state, shuffle

#: index in the `counts` array -> technique name (order matches the ids used below)
TECHNIQUES = (
    "naked_single", "hidden_single", "pointing", "claiming", "naked_pair", "naked_triple",
    "hidden_pair", "hidden_triple", "x_wing", "swordfish", "xy_wing", "xyz_wing",
)
NAKED_SINGLE, HIDDEN_SINGLE, POINTING, CLAIMING, NAKED_PAIR, NAKED_TRIPLE = 0, 1, 2, 3, 4, 5
HIDDEN_PAIR, HIDDEN_TRIPLE, X_WING, SWORDFISH, XY_WING, XYZ_WING = 6, 7, 8, 9, 10, 11
N_TECH = 12

POP = np.array([bin(i).count("1") for i in range(1 << 9)], dtype=np.int64)
#: digit (1-based) of a single-bit mask
DIGIT = np.zeros(1 << 9, dtype=np.int64)
for _d in range(9):
    DIGIT[1 << _d] = _d + 1

_JIT = dict(cache=True, nogil=True)


# ------------------------------------------------------------------------------------------ tables


def tables(g):
    """The int64 tables the kernels need for a `sudoku_grader.Geometry` (see the module docstring)."""
    size, n = g.size, g.n
    peers = np.array([list(p) for p in g.peers], dtype=np.int64)
    units = np.array(g.units, dtype=np.int64)
    cell_unit = np.array([[g.row[i], n + g.col[i], 2 * n + g.box[i]] for i in range(size)], dtype=np.int64)
    sees = np.zeros((size, size), dtype=np.int64)
    for i, ps in enumerate(g.peers):
        sees[i, list(ps)] = 1
    inter = []
    for line in range(2 * n):
        for b in sorted({g.box[i] for i in g.units[line]}):
            inter.append((line, 2 * n + b))
    return peers, units, cell_unit, sees, np.array(inter, dtype=np.int64)


# ------------------------------------------------------------------------------------------ solver


@njit(**_JIT)
def init_cand(vals, cand, peers, allm):
    """Candidates of the empty cells from the givens; False when the givens clash."""
    size = vals.shape[0]
    for i in range(size):
        v = vals[i]
        if v:
            for p in peers[i]:
                if vals[p] == v:
                    return False
            cand[i] = 0
        else:
            u = 0
            for p in peers[i]:
                pv = vals[p]
                if pv:
                    u |= 1 << (pv - 1)
            cand[i] = allm & ~u
    return True


@njit(**_JIT)
def _drain(cand, vals, peers, queue, qn):
    """Place the queued naked singles (and those they create); False on a contradiction."""
    while qn:
        qn -= 1
        i = queue[qn]
        m = cand[i]
        if m == 0:
            if vals[i]:
                continue
            return False
        if m & (m - 1):
            continue
        vals[i] = DIGIT[m]
        cand[i] = 0
        for p in peers[i]:
            pm = cand[p]
            if pm & m:
                pm ^= m
                cand[p] = pm
                if pm == 0:
                    return False  # p is unplaced and has no digit left
                if not (pm & (pm - 1)):
                    queue[qn] = p
                    qn += 1
    return True


@njit(**_JIT)
def hidden_digits(cand, unit):
    """Unplaced digits with exactly one candidate position in `unit`, as a bitmask: `once & ~more`
    (a digit with no position left surfaces later as an empty cell: pigeonhole)."""
    once = 0
    more = 0
    for i in unit:
        m = cand[i]
        more |= once & m
        once |= m
    return once & ~more


@njit(**_JIT)
def propagate(cand, vals, peers, units, queue, qn):
    """Place queued naked singles and hidden singles to a fixpoint; False on a contradiction.

    `queue[:qn]` holds cells whose candidates may have become a single digit.
    """
    if not _drain(cand, vals, peers, queue, qn):
        return False
    while True:
        found = False
        for u in range(units.shape[0]):
            hidden = hidden_digits(cand, units[u])
            if hidden:
                qn = 0
                for i in units[u]:
                    m = cand[i] & hidden
                    if m:
                        if m & (m - 1):
                            return False
                        cand[i] = m
                        queue[qn] = i
                        qn += 1
                found = True
                if not _drain(cand, vals, peers, queue, qn):
                    return False
        if not found:
            return True


@njit(**_JIT)
def search(cand0, vals0, peers, units, limit, prefer, rs, randomize, out):
    """Depth-first search from propagated (cand0, vals0); returns the number of solutions (≤ limit).

    MRV branching (a 2-candidate cell ends the scan). `prefer[cell]` (a known solution, or zeros) is
    tried first at every branch. `randomize`: scan cells from a random offset and try digits in
    random order (full-grid filling). The first solution found is copied to `out`.
    """
    size = cand0.shape[0]
    C = np.empty((size + 1, size), dtype=np.int64)
    V = np.empty((size + 1, size), dtype=np.int64)
    cell = np.empty(size + 1, dtype=np.int64)
    rem = np.empty(size + 1, dtype=np.int64)
    queue = np.empty(4 * size + 16, dtype=np.int64)
    C[0] = cand0
    V[0] = vals0
    found = 0
    d = 0
    # choose the branch cell at level 0
    best = -1
    best_n = 99
    off = rand_below(rs, size) if randomize else 0
    for k in range(size):
        i = k + off
        if i >= size:
            i -= size
        m = C[0, i]
        if m:
            pc = POP[m]
            if pc < best_n:
                best = i
                best_n = pc
                if pc == 2:
                    break
    if best < 0:
        out[:] = V[0]
        return 1
    cell[0] = best
    rem[0] = C[0, best]
    while d >= 0:
        m = rem[d]
        if m == 0:
            d -= 1
            continue
        i = cell[d]
        b = 0
        pv = prefer[i]
        if pv and m & (1 << (pv - 1)):
            b = 1 << (pv - 1)
        elif randomize:  # a uniformly random remaining digit: drop k lowest bits
            k = rand_below(rs, POP[m])
            while k:
                m &= m - 1
                k -= 1
            b = m & -m
        else:
            b = m & -m
        rem[d] ^= b
        C[d + 1] = C[d]
        V[d + 1] = V[d]
        C[d + 1, i] = b
        queue[0] = i
        if not propagate(C[d + 1], V[d + 1], peers, units, queue, 1):
            continue
        best = -1
        best_n = 99
        off = rand_below(rs, size) if randomize else 0
        for k in range(size):
            j = k + off
            if j >= size:
                j -= size
            mm = C[d + 1, j]
            if mm:
                pc = POP[mm]
                if pc < best_n:
                    best = j
                    best_n = pc
                    if pc == 2:
                        break
        if best < 0:
            if found == 0:
                out[:] = V[d + 1]
            found += 1
            if found >= limit:
                return found
            continue
        d += 1
        cell[d] = best
        rem[d] = C[d, best]
    return found


@njit(**_JIT)
def count_solutions(grid, peers, units, allm, limit, forbid_cell, forbid_digit, prefer):
    """Number of solutions of `grid` (stopping at `limit`); (forbid_cell, forbid_digit) excludes one
    value (forbid_cell < 0: none). `prefer` is a known solution tried first, or zeros."""
    size = grid.shape[0]
    vals = grid.copy()
    cand = np.zeros(size, dtype=np.int64)
    if not init_cand(vals, cand, peers, allm):
        return 0
    queue = np.empty(4 * size + 16, dtype=np.int64)
    qn = 0
    if forbid_cell >= 0:
        if vals[forbid_cell]:
            if vals[forbid_cell] == forbid_digit:
                return 0
        else:
            cand[forbid_cell] &= ~(1 << (forbid_digit - 1))
    for i in range(size):
        if not vals[i]:
            m = cand[i]
            if m == 0:
                return 0
            if not (m & (m - 1)):
                queue[qn] = i
                qn += 1
    if not propagate(cand, vals, peers, units, queue, qn):
        return 0
    rs = np.ones(1, dtype=np.int64)
    out = np.zeros(size, dtype=np.int64)
    return search(cand, vals, peers, units, limit, prefer, rs, False, out)


@njit(**_JIT)
def random_full_grid(size, peers, units, allm, rs):
    """A random complete grid: randomized MRV search with propagation from an empty board."""
    vals = np.zeros(size, dtype=np.int64)
    cand = np.full(size, allm, dtype=np.int64)
    out = np.zeros(size, dtype=np.int64)
    search(cand, vals, peers, units, 1, np.zeros(size, dtype=np.int64), rs, True, out)
    return out


# ------------------------------------------------------------------------------------------ grader


@njit(**_JIT)
def _place(i, b, cand, vals, peers, queue, qn):
    vals[i] = DIGIT[b]
    cand[i] = 0
    for p in peers[i]:
        m = cand[p]
        if m & b:
            m ^= b
            cand[p] = m
            if m and not (m & (m - 1)):
                queue[qn] = p
                qn += 1
    return qn


@njit(**_JIT)
def tier3_step(cand, units, cell_unit, inter):
    """One tier-3 elimination step; returns its technique id, or -1 when none applies."""
    n = units.shape[1]
    # pointing: a digit of a box confined to one line -> remove it from the rest of that line
    # claiming: a digit of a line confined to one box -> remove it from the rest of that box
    for mode in range(2):
        for k in range(inter.shape[0]):
            line = inter[k, 0]
            box = inter[k, 1]
            kind = 0 if line < n else 1
            inside = 0
            box_rest = 0
            for i in units[box]:
                if cell_unit[i, kind] == line:
                    inside |= cand[i]
                else:
                    box_rest |= cand[i]
            line_rest = 0
            for i in units[line]:
                if cell_unit[i, 2] != box:
                    line_rest |= cand[i]
            if mode == 0:
                only = inside & ~box_rest
                if only & line_rest:
                    for i in units[line]:
                        if cell_unit[i, 2] != box:
                            cand[i] &= ~only
                    return POINTING
            else:
                only = inside & ~line_rest
                if only & box_rest:
                    for i in units[box]:
                        if cell_unit[i, kind] != line:
                            cand[i] &= ~only
                    return CLAIMING
    # naked pairs / triples
    small = np.empty(n, dtype=np.int64)
    for k in range(2, 4):
        for u in range(units.shape[0]):
            ns = 0
            for i in units[u]:
                m = cand[i]
                if m and POP[m] <= k:
                    small[ns] = i
                    ns += 1
            if ns < k:
                continue
            for a in range(ns):
                for b in range(a + 1, ns):
                    for c in range(b + 1 if k == 3 else -1, ns if k == 3 else 0):  # pairs: c = -1 once
                        um = cand[small[a]] | cand[small[b]]
                        if c >= 0:
                            um |= cand[small[c]]
                        if POP[um] != k:
                            continue
                        hit = False
                        for i in units[u]:
                            if i == small[a] or i == small[b] or (c >= 0 and i == small[c]):
                                continue
                            if cand[i] & um:
                                cand[i] &= ~um
                                hit = True
                        if hit:
                            return NAKED_PAIR if k == 2 else NAKED_TRIPLE
    # hidden pairs / triples
    pos = np.empty(n, dtype=np.int64)
    digs = np.empty(n, dtype=np.int64)
    for k in range(2, 4):
        for u in range(units.shape[0]):
            present = 0
            for d in range(n):
                p = 0
                for j in range(n):
                    if cand[units[u, j]] >> d & 1:
                        p |= 1 << j
                pos[d] = p
                if p:
                    present += 1
            if present <= k:
                continue
            nd = 0
            for d in range(n):
                pc = POP[pos[d]]
                if (pc == 2) if k == 2 else (1 <= pc <= 3):
                    digs[nd] = d
                    nd += 1
            if nd < k:
                continue
            for a in range(nd):
                for b in range(a + 1, nd):
                    for c in range(b + 1 if k == 3 else -1, nd if k == 3 else 0):  # pairs: c = -1 once
                        p = pos[digs[a]] | pos[digs[b]]
                        dm = (1 << digs[a]) | (1 << digs[b])
                        if c >= 0:
                            p |= pos[digs[c]]
                            dm |= 1 << digs[c]
                        if POP[p] != k:
                            continue
                        hit = False
                        for j in range(n):
                            if p >> j & 1:
                                i = units[u, j]
                                if cand[i] & ~dm:
                                    cand[i] &= dm
                                    hit = True
                        if hit:
                            return HIDDEN_PAIR if k == 2 else HIDDEN_TRIPLE
    return -1


@njit(**_JIT)
def tier4_step(cand, units, peers, sees):
    """One tier-4 elimination step (X-wing, swordfish, XY-wing, XYZ-wing); technique id or -1."""
    n = units.shape[1]
    size = cand.shape[0]
    lines = np.empty(n, dtype=np.int64)
    lpos = np.empty(n, dtype=np.int64)
    for k in range(2, 4):
        for kind in range(2):  # base rows / cover columns, then base columns / cover rows
            base0 = kind * n
            cover0 = (1 - kind) * n
            for d in range(n):
                b = 1 << d
                nl = 0
                for li in range(n):
                    p = 0
                    for j in range(n):
                        if cand[units[base0 + li, j]] & b:
                            p |= 1 << j
                    if 2 <= POP[p] <= k:
                        lines[nl] = li
                        lpos[nl] = p
                        nl += 1
                if nl < k:
                    continue
                for x in range(nl):
                    for y in range(x + 1, nl):
                        for z in range(y + 1 if k == 3 else -1, nl if k == 3 else 0):  # X-wing: z = -1 once
                            um = lpos[x] | lpos[y]
                            if z >= 0:
                                um |= lpos[z]
                            if POP[um] != k:
                                continue
                            hit = False
                            for j in range(n):
                                if um >> j & 1:
                                    for li in range(n):
                                        if li == lines[x] or li == lines[y] or (z >= 0 and li == lines[z]):
                                            continue
                                        i = units[cover0 + j, li]
                                        if cand[i] & b:
                                            cand[i] &= ~b
                                            hit = True
                            if hit:
                                return X_WING if k == 2 else SWORDFISH
    # XY-wing: pivot {x,y}, pincers {x,z} and {y,z} seeing the pivot; z leaves cells seeing both pincers
    wings = np.empty(peers.shape[1], dtype=np.int64)
    for pivot in range(size):
        pm = cand[pivot]
        if POP[pm] != 2:
            continue
        nw = 0
        for i in peers[pivot]:
            m = cand[i]
            if POP[m] == 2 and POP[m & pm] == 1:
                wings[nw] = i
                nw += 1
        for x in range(nw):
            a = wings[x]
            ma = cand[a]
            for y in range(x + 1, nw):
                c = wings[y]
                mc = cand[c]
                if (ma & pm) == (mc & pm):
                    continue
                z = ma & mc & ~pm
                if z == 0 or (ma & mc) != z:
                    continue
                hit = False
                for i in range(size):
                    if i != pivot and sees[a, i] and sees[c, i] and cand[i] & z:
                        cand[i] &= ~z
                        hit = True
                if hit:
                    return XY_WING
    # XYZ-wing: pivot {x,y,z}, pincers {x,z},{y,z} seeing the pivot; z leaves cells seeing all three
    for pivot in range(size):
        pm = cand[pivot]
        if POP[pm] != 3:
            continue
        nw = 0
        for i in peers[pivot]:
            m = cand[i]
            if POP[m] == 2 and (m & ~pm) == 0:
                wings[nw] = i
                nw += 1
        for x in range(nw):
            a = wings[x]
            ma = cand[a]
            for y in range(x + 1, nw):
                c = wings[y]
                mc = cand[c]
                if ma == mc:
                    continue
                z = ma & mc
                if POP[z] != 1:
                    continue
                hit = False
                for i in range(size):
                    if sees[a, i] and sees[c, i] and sees[pivot, i] and cand[i] & z:
                        cand[i] &= ~z
                        hit = True
                if hit:
                    return XYZ_WING
    return -1


@njit(**_JIT)
def grade(grid, peers, units, cell_unit, sees, inter, allm, max_tier, until, counts):
    """Solve `grid` logically with techniques of tier ≤ max_tier (≤ 4), easiest first.

    Fills `counts` (per technique id) and returns (tier, solved): tier = hardest technique used when
    solved, else max_tier + 1 with solved False. `until` (cells; may be empty): stop, solved, as
    soon as they are all placed (used while digging; see `sudoku_grader.grade`).
    """
    size = grid.shape[0]
    vals = grid.copy()
    cand = np.zeros(size, dtype=np.int64)
    init_cand(vals, cand, peers, allm)
    counts[:] = 0
    queue = np.empty(4 * size + 16, dtype=np.int64)
    qn = 0
    remaining = 0
    for i in range(size):
        if not vals[i]:
            remaining += 1
            m = cand[i]
            if m and not (m & (m - 1)):
                queue[qn] = i
                qn += 1
    hardest = 1 if remaining else 0
    while remaining:
        # T1: naked singles
        placed = 0
        while qn:
            qn -= 1
            i = queue[qn]
            m = cand[i]
            if m and not (m & (m - 1)):
                qn = _place(i, m, cand, vals, peers, queue, qn)
                placed += 1
        if placed:
            counts[NAKED_SINGLE] += placed
            remaining -= placed
            if not remaining:
                break
            if _all_placed(vals, until):
                return hardest, True
        if max_tier < 2:
            return 2, False
        # T2: hidden singles, one pass over all units
        placed = 0
        for u in range(units.shape[0]):
            hidden = hidden_digits(cand, units[u])
            if hidden:
                for i in units[u]:
                    m = cand[i] & hidden
                    if m:
                        qn = _place(i, m & -m, cand, vals, peers, queue, qn)
                        placed += 1
                        hidden &= ~m
        if placed:
            counts[HIDDEN_SINGLE] += placed
            remaining -= placed
            if hardest < 2:
                hardest = 2
            if _all_placed(vals, until):
                return hardest, True
            continue
        if max_tier < 3:
            return 3, False
        t = tier3_step(cand, units, cell_unit, inter)
        if t < 0:
            if max_tier < 4:
                return 4, False
            t = tier4_step(cand, units, peers, sees)
            if t < 0:
                return 5, False
            hardest = 4
        elif hardest < 3:
            hardest = 3
        counts[t] += 1
        for i in range(size):
            m = cand[i]
            if m and not (m & (m - 1)):
                queue[qn] = i
                qn += 1
    return max(hardest, 1), True


@njit(**_JIT)
def _all_placed(vals, until):
    if until.shape[0] == 0:
        return False
    for i in until:
        if not vals[i]:
            return False
    return True


# ------------------------------------------------------------------------------------------ digging


@njit(**_JIT)
def forced_by_givens(grid, cell, peers, allm):
    """True when the digit at `cell` is the only one its peers' givens leave there (naked single)."""
    used = 1 << (grid[cell] - 1)
    for p in peers[cell]:
        pv = grid[p]
        if pv:
            used |= 1 << (pv - 1)
    return used == allm


@njit(**_JIT)
def forced_hidden(grid, cell, peers, units, cell_unit):
    """True when `grid[cell]` is the only place for its digit in one of its units, given the others."""
    v = grid[cell]
    for k in range(3):
        ok = True
        for j in units[cell_unit[cell, k]]:
            if j == cell or grid[j]:
                continue
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


@njit(**_JIT)
def dig(grid, solution, g0, g1, ng, tier, floor, peers, units, cell_unit, sees, inter, allm):
    """Remove clue groups (g0[k], g1[k]; g1 = -1 for a single cell) in order, in place, while the
    puzzle stays solvable: tier 1–4 by techniques of tier ≤ tier (implies uniqueness), tier 5 by
    uniqueness only. Returns the number of clues removed.

    Failure monotonicity keeps this linear: a removal that breaks uniqueness (or tier-T
    solvability) breaks it later too, with fewer clues around, so each group is tried once.
    """
    size = grid.shape[0]
    logical = tier <= 4
    clues = 0
    for i in range(size):
        if grid[i]:
            clues += 1
    removed = 0
    counts = np.zeros(N_TECH, dtype=np.int64)
    until = np.empty(2, dtype=np.int64)
    for k in range(ng):
        a = g0[k]
        b = g1[k]
        w = 1 if b < 0 else 2
        if clues - w < floor:
            continue
        if w == 1:
            if forced_by_givens(grid, a, peers, allm) or (tier >= 2 and forced_hidden(grid, a, peers, units, cell_unit)):
                grid[a] = 0
                clues -= 1
                removed += 1
                continue
            v = grid[a]
            grid[a] = 0
            until[0] = a
            if logical and tier <= 2:  # singles-only grading fails fast on its own
                ok = grade(grid, peers, units, cell_unit, sees, inter, allm, tier, until[:1], counts)[1]
            else:
                # uniqueness first: most failed removals break it, and the solver refutes them far
                # faster than the grader exhausts its techniques
                ok = count_solutions(grid, peers, units, allm, 1, a, v, solution) == 0
                if ok and logical:
                    ok = grade(grid, peers, units, cell_unit, sees, inter, allm, tier, until[:1], counts)[1]
            if ok:
                clues -= 1
                removed += 1
            else:
                grid[a] = v
        else:
            va = grid[a]
            vb = grid[b]
            grid[a] = 0
            grid[b] = 0
            until[0] = a
            until[1] = b
            if logical and tier <= 2:
                ok = grade(grid, peers, units, cell_unit, sees, inter, allm, tier, until, counts)[1]
            else:
                ok = count_solutions(grid, peers, units, allm, 2, -1, 0, solution) == 1
                if ok and logical:
                    ok = grade(grid, peers, units, cell_unit, sees, inter, allm, tier, until, counts)[1]
            if ok:
                clues -= 2
                removed += 2
            else:
                grid[a] = va
                grid[b] = vb
    return removed


@njit(**_JIT)
def generate(seed, tier, dig_tier, symmetric, floor, max_clues, max_attempts,
             peers, units, cell_unit, sees, inter, allm, puzzle, solution, counts):
    """The whole attempt loop for one item; fills puzzle/solution/counts and returns
    (attempt, graded tier, solved), or attempt 0 when `max_attempts` ran out.

    Each attempt: a random full grid (a new one every 4th attempt), clue groups in random order,
    `dig` keeping tier-`dig_tier` solvability, then the clue ceiling and a full grade (max tier 4)
    that must measure exactly `tier`.

    Measured and rejected for the T4 bottleneck (~9 attempts per T4 puzzle, 9×9): layered digging
    (T3-minimal first, then T4 removals, which guarantees T4 when the last layer removes anything)
    needed ~33 attempts; re-digging a too-easy puzzle after putting back 3–10 random clues needed
    10–15. A fresh order per attempt is the fastest of the three.
    """
    size = puzzle.shape[0]
    rs = seed_state(seed)
    order = np.empty(size, dtype=np.int64)
    g0 = np.empty(size, dtype=np.int64)
    g1 = np.empty(size, dtype=np.int64)
    taken = np.zeros(size, dtype=np.int64)
    none = np.empty(0, dtype=np.int64)
    for attempt in range(1, max_attempts + 1):
        if attempt % 4 == 1:
            solution[:] = random_full_grid(size, peers, units, allm, rs)
        puzzle[:] = solution
        for i in range(size):
            order[i] = i
        shuffle(order, size, rs)
        ng = 0
        if symmetric:
            taken[:] = 0
            for i in order:
                if taken[i]:
                    continue
                j = size - 1 - i
                taken[i] = 1
                taken[j] = 1
                g0[ng] = i
                g1[ng] = -1 if i == j else j
                ng += 1
        else:
            for i in order:
                g0[ng] = i
                g1[ng] = -1
                ng += 1
        dig(puzzle, solution, g0, g1, ng, dig_tier, floor, peers, units, cell_unit, sees, inter, allm)
        clues = 0
        for i in range(size):
            if puzzle[i]:
                clues += 1
        if max_clues >= 0 and clues > max_clues:
            continue
        t, solved = grade(puzzle, peers, units, cell_unit, sees, inter, allm, 4, none, counts)
        if t == tier:
            return attempt, t, solved
    return 0, 0, False
