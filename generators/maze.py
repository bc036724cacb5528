"""Maze generator: perfect mazes (recursive backtracker, Prim, Wilson) with optional braiding.

Cells are (row, col), 0-based, row 0 at the top. Passages are stored per cell as a 4-bit mask of
open sides (U=1, D=2, L=4, R=8), serialized in the record metadata as one hex digit per cell
(row-major), so the verifier can rebuild the maze from the record alone.

Difficulty is a measured vector (shortest path length, decision points on that path, dead-end
fraction, tortuosity = path length / Manhattan distance, grid size); a level is a set of targets and
`generate(seed)` retries until the measured vector meets them.

Carving, braiding, BFS and measuring run in numba (`generators/_maze_kernels.py`, imported on the
first call); this module validates the config, renders the record and holds the pure-Python
verifier (`simulate`).
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

UP, DOWN, LEFT, RIGHT = 1, 2, 4, 8
MOVES = {"U": (UP, -1, 0), "D": (DOWN, 1, 0), "L": (LEFT, 0, -1), "R": (RIGHT, 0, 1)}
ALGORITHMS = ("backtracker", "prim", "wilson")
#: largest side whose drawing stays near 2,000 characters (20×20 -> 41 lines of 42 chars)
RENDER_LIMIT_SIDE = 20


@dataclass(frozen=True)
class MazeConfig:
    """What to generate and the difficulty targets the measured vector must meet."""

    rows: int = 10
    cols: int = 10
    algorithm: str = "backtracker"
    braid: float = 0.0
    min_path: int = 1
    max_path: Optional[int] = None
    min_decisions: int = 0
    min_tortuosity: float = 1.0
    max_attempts: int = 200
    level: Optional[int] = None

    def __post_init__(self):
        def _int(name, value, lo, hi):
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise GeneratorConfigError(f"maze: {name} must be an integer in [{lo}, {hi}], got {value!r}")

        _int("rows", self.rows, 2, 60)
        _int("cols", self.cols, 2, 60)
        if self.algorithm not in ALGORITHMS:
            raise GeneratorConfigError(f"maze: algorithm must be one of {', '.join(ALGORITHMS)}, got {self.algorithm!r}")
        if isinstance(self.braid, bool) or not isinstance(self.braid, (int, float)) or not 0.0 <= self.braid <= 1.0:
            raise GeneratorConfigError(f"maze: braid must be a fraction in [0, 1], got {self.braid!r}")
        cells = self.rows * self.cols
        _int("min_path", self.min_path, 1, cells - 1)
        if self.max_path is not None:
            _int("max_path", self.max_path, 1, cells - 1)
            if self.max_path < self.min_path:
                raise GeneratorConfigError(f"maze: max_path={self.max_path} < min_path={self.min_path}")
        _int("min_decisions", self.min_decisions, 0, cells)
        if isinstance(self.min_tortuosity, bool) or not isinstance(self.min_tortuosity, (int, float)) or self.min_tortuosity < 1.0:
            raise GeneratorConfigError(f"maze: min_tortuosity must be a number >= 1, got {self.min_tortuosity!r}")
        _int("max_attempts", self.max_attempts, 1, 1_000_000)
        if self.level is not None:
            _int("level", self.level, 0, 1000)


_HEX = "0123456789abcdef"


def moves_of(path: list[int], cols: int) -> str:
    out = []
    for a, b in zip(path, path[1:]):
        d = b - a
        out.append("D" if d == cols else "U" if d == -cols else "R" if d == 1 else "L")
    return "".join(out)


def _vector(rows: int, cols: int, length: int, decisions: int, dead: int, start: int, goal: int) -> dict:
    """The difficulty vector of a maze and one shortest path through it."""
    manhattan = abs(start // cols - goal // cols) + abs(start % cols - goal % cols)
    return {
        "path_length": length,
        "decisions": decisions,
        "dead_end_fraction": round(dead / (rows * cols), 4),
        "tortuosity": round(length / manhattan, 4) if manhattan else 0.0,
        "rows": rows,
        "cols": cols,
    }


_CELL_LINE = tuple("." + ("." if m & RIGHT else "#") for m in range(16))
_WALL_LINE = tuple(("." if m & DOWN else "#") + "#" for m in range(16))


def render(cells: list[int], rows: int, cols: int, start: int, goal: int) -> str:
    """(2·rows+1) lines of (2·cols+1) characters: `#` wall, `.` open, `S` start, `G` goal."""
    lines = ["#" * (2 * cols + 1)]
    for r in range(rows):
        row = cells[r * cols : (r + 1) * cols]
        lines.append("#" + "".join([_CELL_LINE[m] for m in row]))
        lines.append("#" + "".join([_WALL_LINE[m] for m in row]))
    for cell, mark in ((start, "S"), (goal, "G")):
        r, c = divmod(cell, cols)
        line = lines[2 * r + 1]
        lines[2 * r + 1] = line[: 2 * c + 1] + mark + line[2 * c + 2 :]
    return "\n".join(lines)


def _question(cells, rows, cols, start, goal) -> str:
    sr, sc = divmod(start, cols)
    gr, gc = divmod(goal, cols)
    return (
        f"Find a shortest path through this maze from S to G. The maze has {rows} rows and {cols} columns of "
        f"cells. In the drawing `#` is a wall and `.` is open floor; each cell is a character at an odd line and "
        f"odd column of the drawing, and the characters between cells show whether a wall separates them. "
        f"Cells are numbered (row, column) from (0, 0) at the top-left: S is cell ({sr}, {sc}) and G is cell "
        f"({gr}, {gc}).\n\n"
        f"{render(cells, rows, cols, start, goal)}\n\n"
        f"Moves are U (up), D (down), L (left) and R (right); each move goes to the neighbouring cell and may "
        f"not cross a wall. Give the shortest move sequence as a string of letters, e.g. \\boxed{{RRDDL}}."
    )


class MazeGenerator(PuzzleGenerator):
    """Mazes whose measured difficulty vector meets the level's targets."""

    name = "maze"
    config_cls = MazeConfig
    levels = {
        1: {"rows": 5, "cols": 5, "algorithm": "backtracker", "min_path": 4, "max_path": 12},
        2: {"rows": 8, "cols": 8, "algorithm": "backtracker", "min_path": 15, "min_decisions": 2},
        3: {"rows": 12, "cols": 12, "algorithm": "prim", "min_path": 25, "min_decisions": 5, "min_tortuosity": 1.3},
        4: {"rows": 16, "cols": 16, "algorithm": "wilson", "braid": 0.1, "min_path": 45, "min_decisions": 8, "min_tortuosity": 1.5},
        5: {"rows": 20, "cols": 20, "algorithm": "backtracker", "braid": 0.1, "min_path": 80, "min_decisions": 10, "min_tortuosity": 2.0},
    }

    def _config_dict(self) -> dict:
        cached = self.__dict__.get("_cfg_dict")
        if cached is None:
            cached = self.__dict__["_cfg_dict"] = config_dict(self.config)
        return cached

    def _run(self, seed: int, attempts: int):
        """The kernel's attempt loop from a 32-bit seed: (attempt, cells, start, goal, path, vector);
        attempt 0 when none met the targets."""
        import numpy as np

        from generators import _maze_kernels as k

        cfg: MazeConfig = self.config
        rows, cols = cfg.rows, cfg.cols
        n = rows * cols
        cells = np.zeros(n, dtype=np.int64)
        path = np.zeros(n, dtype=np.int64)
        hi = cfg.max_path if cfg.max_path is not None else n
        att, start, goal, length, decisions, dead = k.generate(
            seed, rows, cols, k.ALGORITHM_IDS[cfg.algorithm], float(cfg.braid), cfg.min_path, hi,
            cfg.min_decisions, float(cfg.min_tortuosity), attempts, cells, path)
        if att == 0:
            return 0, None, -1, -1, None, None
        start, goal = int(start), int(goal)
        vec = _vector(rows, cols, int(length), int(decisions), int(dead), start, goal)
        return int(att), cells.tolist(), start, goal, path[: length + 1].tolist(), vec

    def build(self, rng: random.Random):
        """One attempt (seeded from `rng`): (cells, start, goal, path, vector) meeting the targets, or None."""
        att, cells, start, goal, path, vec = self._run(rng.getrandbits(32), 1)
        return (cells, start, goal, path, vec) if att else None

    def generate(self, seed: int) -> dict:
        _check_seed(seed)
        cfg: MazeConfig = self.config
        # the item's RNG seeds the kernel's generator: every random choice derives from `seed`
        att, cells, start, goal, path, vec = self._run(random.Random(seed).getrandbits(32), cfg.max_attempts)
        if att:
            return self._record(seed, cells, start, goal, path, vec, att)
        raise GenerationError(
            f"maze: no {cfg.rows}x{cfg.cols} maze meeting the targets (path {cfg.min_path}-{cfg.max_path}, "
            f"decisions >= {cfg.min_decisions}, tortuosity >= {cfg.min_tortuosity}) in {cfg.max_attempts} attempts (seed {seed})"
        )

    def _record(self, seed, cells, start, goal, path, vec, attempts) -> dict:
        cfg: MazeConfig = self.config
        rows, cols = cfg.rows, cfg.cols
        level = cfg.level
        meta = {
            "generator": "maze",
            "rows": rows,
            "cols": cols,
            "open": "".join(map(_HEX.__getitem__, cells)),
            "open_encoding": "hex digit per cell, row-major; bits U=1 D=2 L=4 R=8 mark open sides",
            "start": list(divmod(start, cols)),
            "goal": list(divmod(goal, cols)),
            "optimal_length": len(path) - 1,
            "difficulty": vec,
            "algorithm": cfg.algorithm,
            "braid": cfg.braid,
            "config": self._config_dict(),
            "seed": seed,
            "attempts": attempts,
        }
        return build_record(
            generator="maze",
            readable_id=f"maze-{rows}x{cols}-L{level if level is not None else 0}-s{seed}",
            question=_question(cells, rows, cols, start, goal),
            answer=moves_of(path, cols),
            level=level,
            metadata=meta,
        )

    @staticmethod
    def verify(record: dict, answer: str) -> VerifyResult:
        try:
            meta = record_metadata(record)
            rows, cols = int(meta["rows"]), int(meta["cols"])
            cells = [int(ch, 16) for ch in meta["open"]]
            start = tuple(meta["start"])
            goal = tuple(meta["goal"])
            optimal = int(meta["optimal_length"])
            if len(cells) != rows * cols:
                raise ValueError("open mask length does not match the grid")
        except (ValueError, KeyError, TypeError) as exc:
            return VerifyResult(False, f"record is not a maze record: {exc}")
        moves, err = parse_moves(answer)
        if moves is None:
            return VerifyResult(False, err)
        return simulate(cells, rows, cols, start, goal, optimal, moves)


_WORDS = {"UP": "U", "DOWN": "D", "LEFT": "L", "RIGHT": "R", "NORTH": "U", "SOUTH": "D", "WEST": "L", "EAST": "R"}
_SPLIT = re.compile(r"(?:->|=>|→|[\s,;|/>\-.])+")


def parse_moves(answer: str) -> tuple[str | None, str]:
    """U/D/L/R moves from an answer: letters, optional separators, words like `up`; `\\boxed{}` optional."""
    text = strip_answer(answer)
    text = re.sub(r"[\[\]()\"'`*]", " ", text).upper()
    out = []
    for tok in _SPLIT.split(text):
        if not tok:
            continue
        if tok in _WORDS:
            out.append(_WORDS[tok])
        elif all(ch in "UDLR" for ch in tok):
            out.append(tok)
        else:
            return None, f"unrecognized move {tok!r} (use U, D, L, R)"
    moves = "".join(out)
    if not moves:
        return None, "empty answer: no moves"
    return moves, ""


def simulate(cells, rows, cols, start, goal, optimal, moves: str) -> VerifyResult:
    """Walk the moves: stay inside, cross no wall, end on the goal, and be as short as the optimum."""
    r, c = start
    for k, mv in enumerate(moves, 1):
        side, dr, dc = MOVES[mv]
        nr, nc = r + dr, c + dc
        if not (0 <= nr < rows and 0 <= nc < cols):
            return VerifyResult(False, f"move {k} ({mv}) leaves the grid at ({r},{c})")
        if not cells[r * cols + c] & side:
            return VerifyResult(False, f"move {k} ({mv}) crosses a wall at ({r},{c})")
        r, c = nr, nc
    if (r, c) != tuple(goal):
        return VerifyResult(False, f"path ends at ({r},{c}), not at the goal ({goal[0]},{goal[1]})")
    if len(moves) > optimal:
        return VerifyResult(False, f"path length {len(moves)} > optimal {optimal}")
    return VerifyResult(True, f"reaches the goal in {len(moves)} moves (optimal)")


__all__ = ["ALGORITHMS", "MazeConfig", "MazeGenerator", "parse_moves", "render", "simulate"]
