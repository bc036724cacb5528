"""Fixtures shared by the rewards tests: a small export (sample sources + generated puzzles) and
hand-built puzzle specs with more than one correct answer."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import polars as pl

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
SAMPLE_FILES = ("competition.jsonl", "second_source.jsonl", "mcq_letters.json", "mcq_index.csv", "mcq_dict.parquet",
                "inline_mcq.jsonl")

# a 2x2 maze with every passage open: S (0,0) to G (1,1) by "RD" or "DR"
OPEN_2X2 = {"generator": "maze", "rows": 2, "cols": 2, "open": "a695", "start": [0, 0], "goal": [1, 1], "optimal_length": 2}
# a 4x4 Sudoku whose givens leave two completions (a rectangle of 1/2 swaps in rows 0 and 2)
TWO_WAY_SUDOKU = {"generator": "sudoku", "size": 4, "box": [2, 2], "givens": "..343412..434321"}
TWO_WAY_SOLUTIONS = ("1234341221434321", "2134341212434321")


def export_sample(out_dir: Path, *, val_fraction: float = 0.0) -> Path:
    """Ingest + clean the sample sources, add generated mazes and Sudoku, export; the dataset folder."""
    from curation.clean import flag_problems
    from curation.config import ExportSettings, SourceConfig
    from curation.drop import split_outcomes
    from curation.export import export_dataset
    from curation.ingest import ingest_sources
    from generators import generate_records
    from schemas import conform

    result = ingest_sources([SourceConfig(path=str(SAMPLES / f)) for f in SAMPLE_FILES])
    df = conform(flag_problems(result.problems), extra="drop")
    rows = []
    for name, level in (("maze", 1), ("maze", 4), ("sudoku", 1), ("sudoku", 3)):
        rows += generate_records(name, count=3, level=level, seed=11)
    puzzles = conform(pl.DataFrame([{k: v for k, v in r.items() if k != "difficulty"} for r in rows]), extra="drop")
    outcomes = split_outcomes(pl.concat([df, puzzles]))
    return export_dataset(outcomes, out_dir=out_dir, settings=ExportSettings(val_fraction=val_fraction)).dataset_dir


def rl_rows(dataset_dir: Path) -> list[dict]:
    """The `rl/` train rows as `datasets` gives them to a trainer (dicts, nested structs as dicts)."""
    import datasets

    ds = datasets.load_dataset(str(dataset_dir), "rl", split="train", cache_dir=str(dataset_dir.parent / "hf_cache"))
    return list(ds)


def alternative_shortest_path(spec: dict, reference: str) -> str | None:
    """A shortest path different from `reference` (BFS distances, then a walk preferring other moves)."""
    rows, cols = spec["rows"], spec["cols"]
    cells = [int(ch, 16) for ch in spec["open"]]
    moves = {"U": (1, -1, 0), "D": (2, 1, 0), "L": (4, 0, -1), "R": (8, 0, 1)}
    goal = tuple(spec["goal"])
    dist = {goal: 0}
    queue = deque([goal])
    while queue:
        r, c = queue.popleft()
        for side, dr, dc in moves.values():
            if cells[r * cols + c] & side and (r + dr, c + dc) not in dist:
                dist[(r + dr, c + dc)] = dist[(r, c)] + 1
                queue.append((r + dr, c + dc))
    pos, path = tuple(spec["start"]), ""
    for i in range(len(reference)):
        r, c = pos
        options = [m for m, (side, dr, dc) in moves.items()
                   if cells[r * cols + c] & side and dist.get((r + dr, c + dc)) == dist[pos] - 1]
        if not options:
            return None
        choice = next((m for m in options if m != reference[i]), options[0]) if path == reference[:i] else options[0]
        path += choice
        side, dr, dc = moves[choice]
        pos = (r + dr, c + dc)
    return path if path != reference and pos == goal else None


def spec_of(row: dict) -> dict:
    return json.loads(row["extra_info"]["puzzle_spec"])
