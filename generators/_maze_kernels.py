"""Numba kernels for maze generation: carving (backtracker, Prim, Wilson), braiding, BFS, measuring.

Imported lazily by `generators.maze` on the first `generate`/`build` call (never at import time);
compiled with `cache=True`, so the compile cost is paid once per machine (numba keys the cache on
this file only: after editing `_kernel_rng.py`, delete `generators/__pycache__/*.nbi` and `*.nbc`).

Layout: a maze of rows×cols cells is `cells[rows*cols]` (int64), row-major, each a 4-bit mask of
open sides U=1 D=2 L=4 R=8 (the record's hex encoding). Neighbours are computed from the index:
up i-cols, down i+cols, left i-1, right i+1. Distances are int64 (-1 = unreachable), parents -1 at
the root. Random choices come from the xorshift32 state of `_kernel_rng`, seeded from the item's
`random.Random(seed)`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from generators._kernel_rng import rand_below, seed_state, shuffle

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
BACKTRACKER, PRIM, WILSON = 0, 1, 2
ALGORITHM_IDS = {"backtracker": BACKTRACKER, "prim": PRIM, "wilson": WILSON}

_JIT = dict(cache=True, nogil=True)


@njit(**_JIT)
def neighbours(i, rows, cols, nb, side):
    """Fill nb/side (length ≥ 4) with the in-grid neighbours of i and the side bit towards each."""
    r = i // cols
    c = i - r * cols
    k = 0
    if r > 0:
        nb[k] = i - cols
        side[k] = UP
        k += 1
    if r < rows - 1:
        nb[k] = i + cols
        side[k] = DOWN
        k += 1
    if c > 0:
        nb[k] = i - 1
        side[k] = LEFT
        k += 1
    if c < cols - 1:
        nb[k] = i + 1
        side[k] = RIGHT
        k += 1
    return k


@njit(**_JIT)
def opposite(side):
    if side == UP:
        return DOWN
    if side == DOWN:
        return UP
    if side == LEFT:
        return RIGHT
    return LEFT


@njit(**_JIT)
def carve_backtracker(rows, cols, rs, cells):
    """Recursive backtracker (iterative DFS to a random unvisited neighbour): long corridors."""
    n = rows * cols
    visited = np.zeros(n, dtype=np.uint8)
    stack = np.empty(n, dtype=np.int64)
    nb = np.empty(4, dtype=np.int64)
    side = np.empty(4, dtype=np.int64)
    free = np.empty(4, dtype=np.int64)
    top = 0
    cur = rand_below(rs, n)
    visited[cur] = 1
    while True:
        k = neighbours(cur, rows, cols, nb, side)
        m = 0
        for t in range(k):
            if not visited[nb[t]]:
                free[m] = t
                m += 1
        if m:
            t = free[rand_below(rs, m)] if m > 1 else free[0]
            j = nb[t]
            visited[j] = 1
            cells[cur] |= side[t]
            cells[j] |= opposite(side[t])
            stack[top] = cur
            top += 1
            cur = j
        elif top:
            top -= 1
            cur = stack[top]
        else:
            return


@njit(**_JIT)
def carve_prim(rows, cols, rs, cells):
    """Randomized Prim (frontier cells joined to a random carved neighbour): many short dead ends."""
    n = rows * cols
    state = np.zeros(n, dtype=np.uint8)  # 0 untouched, 1 frontier, 2 in maze
    frontier = np.empty(n, dtype=np.int64)
    nb = np.empty(4, dtype=np.int64)
    side = np.empty(4, dtype=np.int64)
    inside = np.empty(4, dtype=np.int64)
    nf = 0
    start = rand_below(rs, n)
    state[start] = 2
    k = neighbours(start, rows, cols, nb, side)
    for t in range(k):
        state[nb[t]] = 1
        frontier[nf] = nb[t]
        nf += 1
    while nf:
        q = rand_below(rs, nf)
        cur = frontier[q]
        nf -= 1
        frontier[q] = frontier[nf]
        k = neighbours(cur, rows, cols, nb, side)
        m = 0
        for t in range(k):
            if state[nb[t]] == 2:
                inside[m] = t
                m += 1
        t = inside[rand_below(rs, m)] if m > 1 else inside[0]
        cells[cur] |= side[t]
        cells[nb[t]] |= opposite(side[t])
        state[cur] = 2
        for t in range(k):
            if state[nb[t]] == 0:
                state[nb[t]] = 1
                frontier[nf] = nb[t]
                nf += 1


@njit(**_JIT)
def carve_wilson(rows, cols, rs, cells):
    """Wilson's algorithm (loop-erased random walks): a uniform spanning tree, many dead ends."""
    n = rows * cols
    in_tree = np.zeros(n, dtype=np.uint8)
    nxt = np.zeros(n, dtype=np.int64)  # the step taken from each cell in the current walk (loop erasure)
    nb = np.empty(4, dtype=np.int64)
    side = np.empty(4, dtype=np.int64)
    in_tree[rand_below(rs, n)] = 1
    order = np.arange(n)
    shuffle(order, n, rs)
    for s in order:
        if in_tree[s]:
            continue
        cur = s
        while not in_tree[cur]:
            k = neighbours(cur, rows, cols, nb, side)
            t = rand_below(rs, k)
            nxt[cur] = t
            cur = nb[t]
        cur = s
        while not in_tree[cur]:
            neighbours(cur, rows, cols, nb, side)
            t = nxt[cur]
            cells[cur] |= side[t]
            cells[nb[t]] |= opposite(side[t])
            in_tree[cur] = 1
            cur = nb[t]


@njit(**_JIT)
def is_dead_end(m):
    return m == UP or m == DOWN or m == LEFT or m == RIGHT


@njit(**_JIT)
def braid(cells, rows, cols, fraction, rs):
    """Open one extra wall at `fraction` of the dead ends (preferring another dead end), adding loops."""
    n = rows * cols
    if fraction <= 0:
        return 0
    dead = np.empty(n, dtype=np.int64)
    nd = 0
    for i in range(n):
        if is_dead_end(cells[i]):
            dead[nd] = i
            nd += 1
    shuffle(dead, nd, rs)
    target = int(np.round(nd * fraction))
    nb = np.empty(4, dtype=np.int64)
    side = np.empty(4, dtype=np.int64)
    closed = np.empty(4, dtype=np.int64)
    pref = np.empty(4, dtype=np.int64)
    done = 0
    for q in range(nd):
        if done >= target:
            break
        i = dead[q]
        m = cells[i]
        if not is_dead_end(m):
            continue  # already opened as the partner of an earlier dead end
        k = neighbours(i, rows, cols, nb, side)
        nc = 0
        npf = 0
        for t in range(k):
            if not m & side[t]:
                closed[nc] = t
                nc += 1
                if is_dead_end(cells[nb[t]]):
                    pref[npf] = t
                    npf += 1
        if nc == 0:
            continue
        t = pref[rand_below(rs, npf)] if npf else closed[rand_below(rs, nc)]
        cells[i] |= side[t]
        cells[nb[t]] |= opposite(side[t])
        done += 1
    return done


@njit(**_JIT)
def bfs(cells, cols, start, dist, parent):
    """Fill dist (-1 = unreachable) and parent (-1 at the root) by BFS from `start`."""
    n = cells.shape[0]
    queue = np.empty(n, dtype=np.int64)
    dist[:] = -1
    parent[:] = -1
    dist[start] = 0
    queue[0] = start
    head = 0
    tail = 1
    while head < tail:
        i = queue[head]
        head += 1
        d = dist[i] + 1
        m = cells[i]
        for bit in (UP, DOWN, LEFT, RIGHT):
            if m & bit:
                if bit == UP:
                    j = i - cols
                elif bit == DOWN:
                    j = i + cols
                elif bit == LEFT:
                    j = i - 1
                else:
                    j = i + 1
                if dist[j] < 0:
                    dist[j] = d
                    parent[j] = i
                    queue[tail] = j
                    tail += 1


@njit(**_JIT)
def attempt(rows, cols, algorithm, braid_fraction, lo, hi, min_decisions, min_tortuosity, rs, cells, path):
    """One maze attempt: carve, braid, random start, BFS, a random goal at distance [lo, hi] whose
    path meets the decision/tortuosity targets (6 goal tries). Fills cells and path[:length+1];
    returns (start, goal, length, decisions, dead ends), or start -1 when the attempt failed."""
    n = rows * cols
    cells[:] = 0
    if algorithm == BACKTRACKER:
        carve_backtracker(rows, cols, rs, cells)
    elif algorithm == PRIM:
        carve_prim(rows, cols, rs, cells)
    else:
        carve_wilson(rows, cols, rs, cells)
    braid(cells, rows, cols, braid_fraction, rs)
    start = rand_below(rs, n)
    dist = np.empty(n, dtype=np.int64)
    parent = np.empty(n, dtype=np.int64)
    bfs(cells, cols, start, dist, parent)
    candidates = np.empty(n, dtype=np.int64)
    nc = -1  # not built yet
    for _ in range(6):
        # a uniformly random cell at distance [lo, hi]: rejection sampling first, the explicit
        # candidate list only when the band is narrow
        goal = -1
        for _ in range(8):
            g = rand_below(rs, n)
            if lo <= dist[g] <= hi:
                goal = g
                break
        if goal < 0:
            if nc < 0:
                nc = 0
                for i in range(n):
                    if lo <= dist[i] <= hi:
                        candidates[nc] = i
                        nc += 1
            if nc == 0:
                return -1, -1, 0, 0, 0
            goal = candidates[rand_below(rs, nc)]
        length = dist[goal]
        k = length
        i = goal
        while k >= 0:
            path[k] = i
            i = parent[i]
            k -= 1
        decisions = 0
        for k in range(length):
            m = cells[path[k]]
            exits = (m & 1) + (m >> 1 & 1) + (m >> 2 & 1) + (m >> 3 & 1) - (1 if k else 0)
            if exits >= 2:
                decisions += 1
        manhattan = abs(start // cols - goal // cols) + abs(start % cols - goal % cols)
        tortuosity = length / manhattan if manhattan else 0.0
        if decisions >= min_decisions and tortuosity >= min_tortuosity:
            dead = 0
            for i in range(n):
                if is_dead_end(cells[i]):
                    dead += 1
            return start, goal, length, decisions, dead
    return -1, -1, 0, 0, 0


@njit(**_JIT)
def generate(seed, rows, cols, algorithm, braid_fraction, lo, hi, min_decisions, min_tortuosity, max_attempts,
             cells, path):
    """Attempts until one meets the targets: (attempt, start, goal, length, decisions, dead ends);
    attempt 0 when `max_attempts` ran out."""
    rs = seed_state(seed)
    for k in range(1, max_attempts + 1):
        start, goal, length, decisions, dead = attempt(
            rows, cols, algorithm, braid_fraction, lo, hi, min_decisions, min_tortuosity, rs, cells, path)
        if start >= 0:
            return k, start, goal, length, decisions, dead
    return 0, -1, -1, 0, 0, 0
