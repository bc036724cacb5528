"""Puzzle generator throughput: graded Sudoku per CPU-second per tier, 25×25 mazes per CPU-second,
and wall time for a mixed level list on N worker processes. Each figure is printed with a ratio
against a naive baseline measured in the same run:

- Sudoku baselines: the plain "remove clues in random order until unique" generator, no grading,
  (a) with a straightforward set-based backtracking solver (first empty cell, no bitmasks) and
  (b) with a plain bitmask MRV solver in pure Python (no propagation); ratios are against (b).
- Maze baseline: a naive recursive backtracker on a dict-of-sets wall model with a deque BFS.

The generators run numba kernels. Rates are CPU-seconds (`time.process_time`, the machine is shared)
after one warm-up call per configuration, so the one-time JIT cost is excluded; it is printed
separately: the first call in this process (compile, or loading the on-disk cache written by an
earlier run) and a cold compile in a subprocess pointed at an empty `NUMBA_CACHE_DIR`.

Reference figures from the issue (other implementations, other machines, for context only):
QQWing (C++) ~177 graded minimal puzzles/CPU-s (~56 targeting expert); reasoning-gym ~1.7/CPU-s at its
hardest; mazelib backtracker ~430 mazes/CPU-s at 25×25. Goals: >= 200 graded puzzles/CPU-s overall,
>= 60 at the hardest tier, >= 2,000 mazes/CPU-s.

Usage: python benchmarks/puzzles.py [--seconds 3] [--mixed 10000 | --full] [--workers 2] [--no-mixed] [--no-cold]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generators.maze import MazeConfig, MazeGenerator  # noqa: E402
from generators.registry import generate_mixed  # noqa: E402
from generators.sudoku import SudokuConfig, SudokuGenerator  # noqa: E402

REFERENCE = {
    "qqwing_graded_minimal_per_cpu_s": 177,
    "qqwing_expert_per_cpu_s": 56,
    "reasoning_gym_hardest_per_cpu_s": 1.7,
    "mazelib_backtracker_25x25_per_cpu_s": 430,
}


def rate(fn, seconds: float, start_seed: int = 0, warm: bool = True) -> tuple[float, int]:
    """Items per CPU-second: call fn(seed) for consecutive seeds until `seconds` of CPU time
    (after one untimed warm-up call when `warm`, which pays any JIT compile or cache load)."""
    if warm:
        fn(start_seed + 10**6)
    t0 = time.process_time()
    k = 0
    while True:
        fn(start_seed + k)
        k += 1
        dt = time.process_time() - t0
        if dt >= seconds and k >= 3:
            return k / dt, k


# ------------------------------------------------------------------------------ baselines


def naive_sudoku(seed: int) -> list[list[int]]:
    """Full grid by naive backtracking, then remove clues in random order while unique (no grading)."""
    rng = random.Random(seed)
    grid = [[0] * 9 for _ in range(9)]

    def ok(g, r, c, d):
        if d in g[r] or any(g[k][c] == d for k in range(9)):
            return False
        r0, c0 = 3 * (r // 3), 3 * (c // 3)
        return all(g[r0 + a][c0 + b] != d for a in range(3) for b in range(3))

    def fill(g, pos=0):
        if pos == 81:
            return True
        r, c = divmod(pos, 9)
        digits = list(range(1, 10))
        rng.shuffle(digits)
        for d in digits:
            if ok(g, r, c, d):
                g[r][c] = d
                if fill(g, pos + 1):
                    return True
        g[r][c] = 0
        return False

    def count(g, limit=2):
        for pos in range(81):
            r, c = divmod(pos, 9)
            if g[r][c] == 0:
                n = 0
                for d in range(1, 10):
                    if ok(g, r, c, d):
                        g[r][c] = d
                        n += count(g, limit - n)
                        g[r][c] = 0
                        if n >= limit:
                            return n
                return n
        return 1

    fill(grid)
    cells = list(range(81))
    rng.shuffle(cells)
    for pos in cells:
        r, c = divmod(pos, 9)
        v = grid[r][c]
        grid[r][c] = 0
        if count(grid) != 1:
            grid[r][c] = v
    return grid


_POP = [bin(i).count("1") for i in range(1 << 9)]
_ROW = [i // 9 for i in range(81)]
_COL = [i % 9 for i in range(81)]
_BOX = [(i // 27) * 3 + (i % 9) // 3 for i in range(81)]


def _plain_search(grid: list[int], limit: int, rng: random.Random | None) -> int:
    """Plain MRV backtracking over row/col/box bitmasks (pure Python, no propagation): counts
    solutions up to `limit`; with `rng`, tries digits in random order and leaves the first solution
    in `grid` (full-grid filling)."""
    R, C, B = [0] * 9, [0] * 9, [0] * 9
    empties = []
    for i, v in enumerate(grid):
        if v:
            b = 1 << (v - 1)
            R[_ROW[i]] |= b
            C[_COL[i]] |= b
            B[_BOX[i]] |= b
        else:
            empties.append(i)
    if rng is not None:
        rng.shuffle(empties)
    found = 0

    def rec(k: int) -> bool:
        nonlocal found
        if k == 0:
            found += 1
            return found >= limit
        best_j, best_m, best_n = -1, 0, 99
        for j in range(k):
            i = empties[j]
            m = 0x1FF & ~(R[_ROW[i]] | C[_COL[i]] | B[_BOX[i]])
            pc = _POP[m]
            if pc < best_n:
                if pc == 0:
                    return False
                best_n, best_m, best_j = pc, m, j
                if pc == 1:
                    break
        i = empties[best_j]
        k -= 1
        empties[best_j], empties[k] = empties[k], empties[best_j]
        r, c, x = _ROW[i], _COL[i], _BOX[i]
        digits = [d for d in range(9) if best_m >> d & 1]
        if rng is not None:
            rng.shuffle(digits)
        for d in digits:
            b = 1 << d
            R[r] |= b
            C[c] |= b
            B[x] |= b
            grid[i] = d + 1
            stop = rec(k)
            R[r] ^= b
            C[c] ^= b
            B[x] ^= b
            if stop:
                if rng is None:
                    grid[i] = 0
                empties[best_j], empties[k] = empties[k], empties[best_j]
                return True
        grid[i] = 0
        empties[best_j], empties[k] = empties[k], empties[best_j]
        return False

    rec(len(empties))
    return found


def plain_sudoku(seed: int) -> list[int]:
    """Bitmask baseline (pure Python): random full grid, remove clues until unique with plain MRV
    counting, no grading. (This was the generator's reference solver before the numba kernels.)"""
    rng = random.Random(seed)
    grid = [0] * 81
    _plain_search(grid, 1, rng)
    cells = list(range(81))
    rng.shuffle(cells)
    for i in cells:
        v = grid[i]
        grid[i] = 0
        if _plain_search(grid, 2, None) != 1:
            grid[i] = v
    return grid


def naive_maze(seed: int, rows: int = 25, cols: int = 25):
    """Recursive backtracker on a dict of wall sets + deque BFS corner to corner."""
    rng = random.Random(seed)
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))
    walls = {(r, c): {"N", "S", "E", "W"} for r in range(rows) for c in range(cols)}
    seen = set()
    step = {"N": (-1, 0, "S"), "S": (1, 0, "N"), "E": (0, 1, "W"), "W": (0, -1, "E")}

    def carve(r, c):
        seen.add((r, c))
        dirs = list(step)
        rng.shuffle(dirs)
        for d in dirs:
            dr, dc, opp = step[d]
            nr, nc = r + dr, c + dc
            if 0 <= nr < rows and 0 <= nc < cols and (nr, nc) not in seen:
                walls[(r, c)].discard(d)
                walls[(nr, nc)].discard(opp)
                carve(nr, nc)

    carve(0, 0)
    dist = {(0, 0): 0}
    q = deque([(0, 0)])
    while q:
        r, c = q.popleft()
        for d, (dr, dc, _) in step.items():
            if d not in walls[(r, c)] and (r + dr, c + dc) not in dist:
                dist[(r + dr, c + dc)] = dist[(r, c)] + 1
                q.append((r + dr, c + dc))
    return dist[(rows - 1, cols - 1)]


# ------------------------------------------------------------------------------ JIT cost

_FIRST_CALLS = """
import json, sys, time
sys.path.insert(0, {root!r})
out = {{}}
t0, c0 = time.perf_counter(), time.process_time()
from generators.sudoku import SudokuConfig, SudokuGenerator
SudokuGenerator(SudokuConfig(tier=4)).generate(0)
out["sudoku"] = (time.perf_counter() - t0, time.process_time() - c0)
t0, c0 = time.perf_counter(), time.process_time()
from generators.maze import MazeGenerator
MazeGenerator.from_level(5).generate(0)
out["maze"] = (time.perf_counter() - t0, time.process_time() - c0)
print(json.dumps(out))
"""


def first_calls(cache_dir: str | None) -> dict:
    """Wall and CPU seconds of the first sudoku and maze `generate` in a fresh interpreter (numba
    import + compile or cache load); `cache_dir` points NUMBA_CACHE_DIR there (cold compile) for
    that subprocess only."""
    import json
    import os
    import subprocess

    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    code = _FIRST_CALLS.format(root=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# ------------------------------------------------------------------------------ main


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per measured figure (default 3)")
    ap.add_argument("--mixed", type=int, default=10_000, help="items in the mixed-level wall-time run (default 10,000)")
    ap.add_argument("--full", action="store_true", help="use 100,000 items for the mixed-level run")
    ap.add_argument("--workers", type=int, default=2, help="worker processes for the mixed run (default 2)")
    ap.add_argument("--no-mixed", action="store_true", help="skip the mixed-level wall-time run")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-compile measurement")
    args = ap.parse_args(argv)
    secs = args.seconds

    print("== One-time JIT cost (excluded from every rate below) ==")
    if not args.no_cold:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            cold = first_calls(tmp)
        print("cold compile, fresh interpreter, empty cache:  "
              + ",  ".join(f"{k} {w:5.1f}s wall / {c:5.1f} CPU-s" for k, (w, c) in cold.items()))
    warm = first_calls(None)
    print("first call, fresh interpreter, on-disk cache: "
          + ",  ".join(f"{k} {w:5.1f}s wall / {c:5.1f} CPU-s" for k, (w, c) in warm.items()))
    print("(sudoku first, including the numba import; maze after it, numba already imported)")
    print()

    print("== Sudoku 9x9: unique + graded puzzles per CPU-second ==")
    naive_rate, naive_n = rate(naive_sudoku, secs, warm=False)
    print(f"naive baseline (set-based solver, remove-until-unique, no grading): {naive_rate:8.2f}/CPU-s  (n={naive_n})")
    base_rate, base_n = rate(plain_sudoku, secs, warm=False)
    print(f"baseline (bitmask MRV solver, remove-until-unique, no grading):     {base_rate:8.1f}/CPU-s  (n={base_n})")
    print("ratios below are against the bitmask baseline")
    tier_rates = {}
    for tier in range(1, 6):
        gen = SudokuGenerator(SudokuConfig(tier=tier))
        r, n = rate(gen.generate, secs, start_seed=1000 * tier)
        tier_rates[tier] = r
        print(f"tier T{tier}: {r:8.1f}/CPU-s  (n={n})  ratio vs baseline {r / base_rate:6.2f}x")
    overall = len(tier_rates) / sum(1 / r for r in tier_rates.values())
    print(f"overall (equal mix of T1-T5): {overall:8.1f}/CPU-s  ratio vs baseline {overall / base_rate:6.2f}x")
    mini = SudokuGenerator(SudokuConfig(tier=5, minimal=True))
    r5m, n5m = rate(mini.generate, secs, start_seed=9000)
    print(f"hardest tier, minimal puzzles: {r5m:8.1f}/CPU-s  (n={n5m})")
    print(f"reference: QQWing ~{REFERENCE['qqwing_graded_minimal_per_cpu_s']}/CPU-s graded minimal, "
          f"~{REFERENCE['qqwing_expert_per_cpu_s']} expert; reasoning-gym ~{REFERENCE['reasoning_gym_hardest_per_cpu_s']} hardest; "
          f"goals >= 200 overall, >= 60 hardest")

    print("\n== Mazes 25x25 per CPU-second ==")
    mb, mbn = rate(naive_maze, secs, warm=False)
    print(f"baseline (naive recursive backtracker + BFS): {mb:8.1f}/CPU-s  (n={mbn})")
    for alg in ("backtracker", "prim", "wilson"):
        gen = MazeGenerator(MazeConfig(rows=25, cols=25, algorithm=alg))
        rb, nb = rate(lambda s: gen.build(random.Random(s)), secs)
        rr, nr = rate(gen.generate, secs)
        print(f"{alg:11s}: maze+BFS+measure {rb:8.1f}/CPU-s ({rb / mb:5.2f}x)   full records {rr:8.1f}/CPU-s ({rr / mb:5.2f}x)")
    print(f"reference: mazelib backtracker ~{REFERENCE['mazelib_backtracker_25x25_per_cpu_s']}/CPU-s; goal >= 2,000")

    if args.no_mixed:
        return
    total = 100_000 if args.full else args.mixed
    half = total // 2
    levels = [1 + (i % 5) for i in range(half)]
    print(f"\n== Mixed level list: {total:,} items ({half:,} sudoku + {total - half:,} maze, levels 1-5 cycled), "
          f"{args.workers} workers ==")
    import resource

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished pool workers
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    c0, t0 = cpu(), time.perf_counter()
    mz = generate_mixed("maze", [1 + (i % 5) for i in range(total - half)], seed=0, workers=args.workers)
    t_maze, c_maze = time.perf_counter() - t0, cpu() - c0
    c0, t0 = cpu(), time.perf_counter()
    sd = generate_mixed("sudoku", levels, seed=0, workers=args.workers, chunk_size=50)
    t_sudoku, c_sudoku = time.perf_counter() - t0, cpu() - c0
    assert len(mz) + len(sd) == total
    print(f"maze   {len(mz):,} items: {t_maze:8.1f}s wall, {c_maze:8.1f} CPU-s ({len(mz) / t_maze:8.1f}/s wall)")
    print(f"sudoku {len(sd):,} items: {t_sudoku:8.1f}s wall, {c_sudoku:8.1f} CPU-s ({len(sd) / t_sudoku:8.1f}/s wall)")
    print(f"total  {total:,} items: {t_maze + t_sudoku:8.1f}s wall, {c_maze + c_sudoku:8.1f} CPU-s "
          f"(uncontended {args.workers}-core estimate: {(c_maze + c_sudoku) / args.workers:8.1f}s)")


if __name__ == "__main__":
    main()
