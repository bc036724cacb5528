"""Name -> generator class, level -> config, and the chunked generation entry points.

`generate_chunk(name, level, seeds)` is the unit of work (what a process-pool worker or a Prefect
task runs); `generate_records(name, count=, level=, seed=, workers=)` splits seeds `seed .. seed+count-1`
into chunks and runs them on a `ProcessPoolExecutor`. Item i always uses seed `seed + i`, so the
output is the same whatever the worker count or chunking.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Sequence

from curation.errors import GeneratorConfigError
from generators.base import PuzzleGenerator, VerifyResult, record_metadata
from generators.maze import MazeGenerator
from generators.sudoku import SudokuGenerator

#: name -> generator class: the one list of puzzle families (config and CLI validate against it)
REGISTRY: dict[str, type[PuzzleGenerator]] = {}


def register_generator(cls: type[PuzzleGenerator]) -> type[PuzzleGenerator]:
    """Add a puzzle family: a `PuzzleGenerator` subclass with `name`, `config_cls` and `levels`.

    Adding a family is one module (the class) plus this one call; `tests/generators/
    test_gen_contract.py` checks every registered family against the generator contract.
    """
    if not (isinstance(cls, type) and issubclass(cls, PuzzleGenerator)):
        raise GeneratorConfigError(f"{cls!r} is not a PuzzleGenerator subclass")
    missing = [a for a in ("name", "config_cls", "levels") if not hasattr(cls, a)]
    if missing or not cls.levels:
        raise GeneratorConfigError(f"{cls.__name__}: a generator needs name, config_cls and levels (missing {missing})")
    if REGISTRY.get(cls.name, cls) is not cls:
        raise GeneratorConfigError(f"generator {cls.name!r} is already registered ({REGISTRY[cls.name].__name__})")
    REGISTRY[cls.name] = cls
    return cls


def unregister_generator(name: str) -> None:
    REGISTRY.pop(name, None)


register_generator(SudokuGenerator)
register_generator(MazeGenerator)


def generator_names() -> list[str]:
    return sorted(REGISTRY)


def get_generator_class(name: str) -> type[PuzzleGenerator]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise GeneratorConfigError(f"unknown generator {name!r}; known: {', '.join(generator_names())}") from None


def levels(name: str) -> dict[int, object]:
    """level -> Config for a registered generator."""
    cls = get_generator_class(name)
    return {lvl: cls.level_config(lvl) for lvl in sorted(cls.levels)}


def get_generator(name: str, level: int | None = None, config=None) -> PuzzleGenerator:
    """A generator instance from an explicit config or a level (default: the lowest level)."""
    cls = get_generator_class(name)
    if config is not None:
        return cls(config)
    return cls(level=level)


def generate_chunk(name: str, level: int, seeds: Iterable[int]) -> list[dict]:
    """Records for the given seeds, in order (one process, no pool)."""
    gen = get_generator(name, level)
    return [gen.generate(int(s)) for s in seeds]


def _chunk_job(args):
    name, level, seeds = args
    return generate_chunk(name, level, seeds)


def chunk_seeds(seed: int, count: int, chunk_size: int) -> list[list[int]]:
    return [list(range(seed + a, seed + min(count, a + chunk_size))) for a in range(0, count, chunk_size)]


def generate_records(
    name: str,
    *,
    count: int,
    level: int,
    seed: int = 0,
    workers: int | None = 1,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict]:
    """`count` records of `name` at `level`; item i uses seed `seed + i`.

    `workers` > 1 runs chunks on a process pool (None = os.cpu_count()); `progress(k)` is called
    with the number of records finished after each chunk. Order and content do not depend on
    `workers` or `chunk_size`.
    """
    get_generator_class(name).level_config(level)  # validate early, in this process
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise GeneratorConfigError(f"count must be a non-negative integer, got {count!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GeneratorConfigError(f"seed must be a non-negative integer, got {seed!r}")
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise GeneratorConfigError(f"workers must be >= 1, got {workers}")
    if chunk_size is None:
        chunk_size = max(1, min(200, -(-count // (workers * 8)))) if count else 1
    chunks = chunk_seeds(seed, count, chunk_size)
    out: list[dict] = []
    if workers == 1 or len(chunks) <= 1:
        for ch in chunks:
            out.extend(generate_chunk(name, level, ch))
            if progress:
                progress(len(ch))
        return out
    # the first chunk runs here: it compiles the numba kernels once (cached on disk), so the pool's
    # workers load them instead of all compiling them at once (cold cache: minutes on 2 cores)
    out.extend(generate_chunk(name, level, chunks[0]))
    if progress:
        progress(len(chunks[0]))
    rest = chunks[1:]
    with ProcessPoolExecutor(max_workers=min(workers, len(rest))) as pool:
        for recs in pool.map(_chunk_job, [(name, level, ch) for ch in rest]):
            out.extend(recs)
            if progress:
                progress(len(recs))
    return out


def generate_mixed(name: str, levels_list: Sequence[int], *, seed: int = 0, workers: int | None = 1, chunk_size: int = 100,
                   progress: Callable[[int], None] | None = None) -> list[dict]:
    """One record per entry of `levels_list` (e.g. a curriculum mix); item i uses seed `seed + i`."""
    for lvl in set(levels_list):
        get_generator_class(name).level_config(lvl)
    jobs = []
    items = list(enumerate(levels_list))
    for a in range(0, len(items), chunk_size):
        jobs.append((name, items[a : a + chunk_size], seed))
    workers = (os.cpu_count() or 1) if workers is None else workers
    out: list[dict] = []
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            recs = _mixed_job(job)
            out.extend(recs)
            if progress:
                progress(len(recs))
        return out
    first = _mixed_job(jobs[0])  # compiles the kernels once, here (see generate_records)
    out.extend(first)
    if progress:
        progress(len(first))
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs) - 1)) as pool:
        for recs in pool.map(_mixed_job, jobs[1:]):
            out.extend(recs)
            if progress:
                progress(len(recs))
    return out


def _mixed_job(job):
    name, items, seed = job
    gens: dict[int, PuzzleGenerator] = {}
    out = []
    for i, lvl in items:
        gen = gens.get(lvl) or gens.setdefault(lvl, get_generator(name, lvl))
        out.append(gen.generate(seed + i))
    return out


def generator_for_record(record: dict) -> type[PuzzleGenerator]:
    """The generator class that made `record` (from `source` = 'generator:NAME', or metadata)."""
    source = record.get("source") or ""
    name = source.split(":", 1)[1] if source.startswith("generator:") else None
    if name is None:
        try:
            name = record_metadata(record).get("generator")
        except ValueError:
            name = None
    if name not in REGISTRY:
        raise GeneratorConfigError(f"record {record.get('id')!r} was not made by a known generator (source {source!r})")
    return REGISTRY[name]


def verify_record(record: dict, answer: str) -> VerifyResult:
    """Check `answer` against a generated record (dispatches on the record's generator)."""
    return generator_for_record(record).verify(record, answer)
