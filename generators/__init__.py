"""Puzzle generators: validated `Config` -> `generate(seed)` -> problem record -> `verify(record, answer)`.

Entry points for the pipeline and flows:

- `generate_records(name, count=, level=, seed=, workers=)` -> list of record dicts
- `generate_chunk(name, level, seeds)` -> list of record dicts (the unit a worker/task runs)
- `verify_record(record, answer)` -> `VerifyResult(ok, reason)`
- `REGISTRY`, `register_generator(cls)`, `get_generator(name, level=None, config=None)`, `levels(name)`
- `propose_level_mix(pass_rates, band=, total=, levels=)` (curriculum)
"""

from generators.base import GenerationError, PuzzleGenerator, VerifyResult
from generators.curriculum import propose_level_mix
from generators.maze import MazeConfig, MazeGenerator
from generators.registry import (
    REGISTRY,
    register_generator,
    generate_chunk,
    generate_mixed,
    generate_records,
    generator_for_record,
    generator_names,
    get_generator,
    levels,
    verify_record,
)
from generators.sudoku import SudokuConfig, SudokuGenerator

__all__ = [
    "REGISTRY",
    "register_generator",
    "GenerationError",
    "MazeConfig",
    "MazeGenerator",
    "PuzzleGenerator",
    "SudokuConfig",
    "SudokuGenerator",
    "VerifyResult",
    "generate_chunk",
    "generate_mixed",
    "generate_records",
    "generator_for_record",
    "generator_names",
    "get_generator",
    "levels",
    "propose_level_mix",
    "verify_record",
]
