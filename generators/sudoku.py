"""Sudoku generator (4×4, 6×6, 9×9) with uniqueness by a counting solver and a measured tier.

Generation for a requested tier T:

1. a random full grid (randomized MRV search; all random choices come from a generator seeded by
   `random.Random(seed)`, so a seed gives the same puzzle on any machine);
2. clues are removed in random order (optionally in 180°-symmetric pairs), each removal kept only if
   the puzzle stays *solvable with techniques of tier ≤ T* (T ≤ 4; logical solvability implies a
   unique solution), or, for T5 and `minimal=True`, only if the solution stays *unique* (solver
   that counts to two). A cheap pre-check skips the solver/grader when the removed digit is still
   forced by the remaining givens (naked single, and hidden single when T ≥ 2). For T3/T4 the
   solver runs first (most failed removals break uniqueness, and it refutes them much faster than
   the grader exhausts its techniques); the grader then stops as soon as the removed cell is
   re-placed (techniques are monotone, so the rest is known to be solvable);
3. the puzzle is graded by the logical grader (hardest technique tier, technique counts, the real
   clue count) and accepted when tier and clue band match; otherwise retry (new order, and a new
   grid every few attempts) up to `max_attempts`.

Failure monotonicity keeps step 2 linear: once removing a clue breaks uniqueness (or tier-T
solvability), removing it later, with fewer clues around, breaks it too, so each clue is tried once.

The loop runs in numba (`generators/_sudoku_kernels.py`, `generate`); this module validates the
config, builds the record and holds the pure-Python verifier.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Optional

from curation.errors import GeneratorConfigError
from generators.base import (
    GenerationError,
    PuzzleGenerator,
    VerifyResult,
    _check_seed,
    build_record,
    config_dict,
    record_metadata,
    strip_answer,
)
from generators.sudoku_grader import TIER_NAMES, Geometry, Grade, engine, geometry, to_string

BOXES = {4: (2, 2), 6: (2, 3), 9: (3, 3)}
#: fewest clues a uniquely solvable puzzle can have (9×9: 17, McGuire et al. 2012)
MIN_CLUES = {4: 4, 6: 8, 9: 17}


@dataclass(frozen=True)
class SudokuConfig:
    """What to generate. `tier` is the hardest technique tier required (1–5, see sudoku_grader)."""

    size: int = 9
    tier: int = 3
    min_clues: Optional[int] = None
    max_clues: Optional[int] = None
    symmetric: bool = False
    minimal: bool = False
    max_attempts: int = 400
    level: Optional[int] = None

    def __post_init__(self):
        def _int(name, value, lo, hi):
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise GeneratorConfigError(f"sudoku: {name} must be an integer in [{lo}, {hi}], got {value!r}")

        if self.size not in BOXES or isinstance(self.size, bool):
            raise GeneratorConfigError(f"sudoku: size must be one of 4, 6, 9, got {self.size!r}")
        _int("tier", self.tier, 1, 5)
        if self.size == 4 and self.tier != 1:
            raise GeneratorConfigError("sudoku: 4x4 puzzles are always solvable by naked singles; only tier 1 exists")
        cells = self.size * self.size
        lo = MIN_CLUES[self.size]
        if self.min_clues is not None:
            _int("min_clues", self.min_clues, 0, cells)
        if self.max_clues is not None:
            _int("max_clues", self.max_clues, 0, cells)
            if self.max_clues < lo:
                raise GeneratorConfigError(
                    f"sudoku: max_clues={self.max_clues} is below {lo}, the fewest clues a unique {self.size}x{self.size} puzzle can have"
                )
        if self.min_clues is not None and self.max_clues is not None and self.min_clues > self.max_clues:
            raise GeneratorConfigError(f"sudoku: min_clues={self.min_clues} > max_clues={self.max_clues}")
        for name in ("symmetric", "minimal"):
            if not isinstance(getattr(self, name), bool):
                raise GeneratorConfigError(f"sudoku: {name} must be true/false, got {getattr(self, name)!r}")
        if self.symmetric and self.minimal:
            raise GeneratorConfigError("sudoku: symmetric and minimal cannot both be set (minimal removes single clues)")
        if self.minimal and self.min_clues is not None:
            raise GeneratorConfigError("sudoku: minimal puzzles cannot have a min_clues floor")
        _int("max_attempts", self.max_attempts, 1, 1_000_000)
        if self.level is not None:
            _int("level", self.level, 0, 1000)

    @property
    def geometry(self) -> Geometry:
        return geometry(self.size, *BOXES[self.size])


def render_grid(grid: list[int], g: Geometry) -> str:
    """Rows of digits with `.` for empties, `|` between boxes and a rule line between box bands."""
    n, br, bc = g.n, g.br, g.bc
    lines = []
    for r in range(n):
        if r and r % br == 0:
            lines.append("+".join("-" * (2 * bc + 1) for _ in range(n // bc))[1:-1])
        parts = []
        for b in range(n // bc):
            parts.append(" ".join(str(v) if v else "." for v in grid[r * n + b * bc : r * n + (b + 1) * bc]))
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def _question(grid: list[int], g: Geometry) -> str:
    n = g.n
    return (
        f"Solve this {n}x{n} Sudoku. Fill every empty cell (shown as `.`) with a digit from 1 to {n} so that "
        f"every row, every column and every {g.br}x{g.bc} box (separated by `|` and `-` lines) contains each "
        f"digit 1-{n} exactly once. The given digits must not change.\n\n"
        f"{render_grid(grid, g)}\n\n"
        f"Give the completed grid as your final answer: {n} rows of {n} digits from top to bottom "
        f"(or one string of {n * n} digits), inside \\boxed{{...}}."
    )


class SudokuGenerator(PuzzleGenerator):
    """Unique-solution Sudoku of a measured technique tier. Levels 1–5 are 9×9 tiers T1–T5."""

    name = "sudoku"
    config_cls = SudokuConfig
    levels = {
        1: {"size": 9, "tier": 1},
        2: {"size": 9, "tier": 2},
        3: {"size": 9, "tier": 3},
        4: {"size": 9, "tier": 4},
        5: {"size": 9, "tier": 5},
    }

    def generate(self, seed: int) -> dict:
        _check_seed(seed)
        cfg: SudokuConfig = self.config
        g = cfg.geometry
        e = engine(g)
        np = e.np
        # the item's RNG seeds the kernel's generator: every random choice derives from `seed`
        kseed = random.Random(seed).getrandbits(32)
        puzzle = np.zeros(g.size, dtype=np.int64)
        solution = np.zeros(g.size, dtype=np.int64)
        counts = np.zeros(e.k.N_TECH, dtype=np.int64)
        attempt, tier, solved = e.k.generate(
            kseed, cfg.tier, 5 if cfg.minimal else cfg.tier, cfg.symmetric, cfg.min_clues or 0,
            -1 if cfg.max_clues is None else cfg.max_clues, cfg.max_attempts,
            e.peers, e.units, e.cell_unit, e.sees, e.inter, e.allm, puzzle, solution, counts,
        )
        if attempt == 0:
            raise GenerationError(
                f"sudoku: no {cfg.size}x{cfg.size} tier-{cfg.tier} puzzle in {cfg.max_attempts} attempts "
                f"(seed {seed}, clues {cfg.min_clues}-{cfg.max_clues}); widen the clue band or raise max_attempts"
            )
        grid = puzzle.tolist()
        result = Grade(int(tier), bool(solved), e.counts_dict(counts), g.size - grid.count(0))
        return self._record(seed, grid, solution.tolist(), result, int(attempt))

    def _record(self, seed, puzzle, solution, result, attempts) -> dict:
        cfg: SudokuConfig = self.config
        g = cfg.geometry
        n = g.n
        level = cfg.level if cfg.level is not None else result.tier
        meta = {
            "generator": "sudoku",
            "size": n,
            "box": [g.br, g.bc],
            "givens": to_string(puzzle),
            "clues": result.clues,
            "difficulty": result.to_dict(),
            "tier": result.tier,
            "symmetric": cfg.symmetric,
            "minimal": cfg.minimal,
            "config": config_dict(cfg),
            "seed": seed,
            "attempts": attempts,
        }
        answer = "".join(map(str, solution))
        return build_record(
            generator="sudoku",
            readable_id=f"sudoku-{n}x{n}-L{level}-s{seed}" + ("-sym" if cfg.symmetric else "") + ("-min" if cfg.minimal else ""),
            question=_question(puzzle, g),
            answer=answer,
            level=level,
            metadata=meta,
        )

    @staticmethod
    def verify(record: dict, answer: str) -> VerifyResult:
        try:
            meta = record_metadata(record)
            n = int(meta["size"])
            br, bc = meta["box"]
            givens = meta["givens"]
        except (ValueError, KeyError, TypeError) as exc:
            return VerifyResult(False, f"record is not a sudoku record: {exc}")
        return check_grid(answer, givens, n, int(br), int(bc))


_SEPARATORS = re.compile(r"[\s|+\-,;:_/\\()\[\]{}=]+")
_LINE_OK = re.compile(r"^[\d\s|+\-,;:_/()\[\]]*$")


def parse_answer(answer: str, n: int) -> tuple[list[int] | None, str]:
    """Digits of a grid answer. Accepts 81 digits, grid rows, separators; `\\boxed{}` optional."""
    text = strip_answer(answer)
    if not text:
        return None, "empty answer"
    compact = _SEPARATORS.sub("", text)
    if not compact.isdigit():
        # free text around a grid: keep only lines made of digits and separators
        lines = [ln for ln in text.splitlines() if ln.strip() and _LINE_OK.match(ln) and any(ch.isdigit() for ch in ln)]
        compact = _SEPARATORS.sub("", "".join(lines))
        if not compact or not compact.isdigit():
            bad = next((ch for ch in _SEPARATORS.sub("", text) if not ch.isdigit()), "?")
            return None, f"unexpected character {bad!r} in the grid"
    if len(compact) != n * n:
        return None, f"expected {n * n} digits, got {len(compact)}"
    return [int(ch) for ch in compact], ""


def check_grid(answer: str, givens: str, n: int, br: int, bc: int) -> VerifyResult:
    """Check a completed grid against the givens and the Sudoku rules (1-based row/col in reasons)."""
    grid, err = parse_answer(answer, n)
    if grid is None:
        return VerifyResult(False, err)
    for i, v in enumerate(grid):
        if not 1 <= v <= n:
            return VerifyResult(False, f"cell (row {i // n + 1}, col {i % n + 1}) has {v}, not a digit 1-{n}")
    for i, ch in enumerate(givens):
        if ch not in ".0" and int(ch) != grid[i]:
            return VerifyResult(False, f"given {ch} at (row {i // n + 1}, col {i % n + 1}) changed to {grid[i]}")
    g = geometry(n, br, bc)
    for kind, units in (("row", g.rows), ("column", g.cols), ("box", g.boxes)):
        for u, unit in enumerate(units):
            seen = set()
            for i in unit:
                if grid[i] in seen:
                    return VerifyResult(False, f"{kind} {u + 1} repeats digit {grid[i]}")
                seen.add(grid[i])
    return VerifyResult(True, "valid solution: every row, column and box holds each digit once; givens kept")


__all__ = ["SudokuConfig", "SudokuGenerator", "TIER_NAMES", "check_grid", "parse_answer", "render_grid"]
