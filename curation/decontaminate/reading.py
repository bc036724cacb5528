"""Reading benchmarks exactly like sources."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from curation.config import SourceConfig
from curation.errors import CurateError, SourceError


def benchmark_name(bench: SourceConfig) -> str:
    return bench.name or Path(bench.path.removeprefix("hf://")).stem or bench.path


def load_benchmarks(benchmarks: list[SourceConfig], *, base_dir: str | Path = ".") -> dict[str, pl.DataFrame]:
    """Read every configured benchmark like a source (mapping, format, split, context) → {name: frame}.

    A benchmark that cannot be read, or yields no question at all, raises `SourceError` naming it:
    checking against an empty benchmark would silently pass everything.
    """
    from curation.ingest import ingest_source
    from curation.io import is_curated_parquet, read_problems

    out: dict[str, pl.DataFrame] = {}
    for bench in benchmarks:
        name = benchmark_name(bench)
        if name in out:
            raise SourceError(f"benchmark {name!r} is configured twice; give one a different name")
        path = Path(bench.path).expanduser()
        path = path if path.is_absolute() or bench.path.startswith("hf://") else Path(base_dir) / path
        if is_curated_parquet(path):  # a benchmark curate already ingested (e.g. `curate ingest` output)
            out[name] = read_problems(path)
            continue
        try:
            result = ingest_source(bench, base_dir=Path(base_dir))
        except CurateError as e:
            raise SourceError(f"benchmark {name!r} ({bench.path}) cannot be read: {e}") from e
        except Exception as e:  # a reader library's own error (corrupt Parquet, bad JSON array, ...)
            raise SourceError(f"benchmark {name!r} ({bench.path}) cannot be read: {type(e).__name__}: {e}") from e
        problems = result.problems
        if problems.height == 0 or problems["question"].fill_null("").str.strip_chars().eq("").all():
            bad = f"; {result.quarantine.height} rows could not be read" if result.quarantine.height else ""
            raise SourceError(f"benchmark {name!r} ({bench.path}) has no questions{bad}")
        out[name] = problems
    return out
