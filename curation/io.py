"""Reading and writing problem tables, so every stage command takes any input and writes Parquet.

The file utilities (`atomic_path`, `write_text_atomic`, `sqlite_url`) live in `curation.files`, below
ingest in the import graph; they are importable from here too, as many callers do.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from curation.errors import SourceError
from curation.files import atomic_path, sqlite_url, write_text_atomic  # noqa: F401  (the shared file utilities)
from schemas import SCHEMA_VERSION, conform

SCHEMA_KEY = "curate_schema_version"


def is_curated_parquet(path: Path) -> bool:
    """True for a Parquet file written by curate (it carries the schema version in its metadata)."""
    if path.suffix != ".parquet" or not path.is_file():
        return False
    try:
        return SCHEMA_KEY in pl.read_parquet_metadata(path)
    except Exception:
        return False


def read_problems(path: str | Path, *, quarantine_to: str | Path | None = None) -> pl.DataFrame:
    """Load a problem table from a curate Parquet file or folder, or ingest any other input.

    Raw inputs (JSONL, JSON, CSV, foreign Parquet, HF datasets) go through `curation.ingest` with the
    default field recognition; rows that cannot be read are written to `quarantine_to` (JSONL) when
    given, and reported by the ingest step either way.
    """
    is_hub = str(path).startswith("hf://")  # checked before Path() collapses "//"
    path = Path(path)
    if not path.exists() and not is_hub:
        raise SourceError(f"input not found: {path}")
    if path.is_dir():
        # an export folder also holds the RL layout (rl/: prompt, reward_model, ...): the same kept rows
        # in another shape, not problems; reading it would add every kept row again with no question
        shards = sorted(
            p for p in path.rglob("*.parquet") if is_curated_parquet(p) and "question" in pl.read_parquet_schema(p)
        )
        if shards:
            return conform(pl.concat([pl.read_parquet(p) for p in shards], how="diagonal_relaxed"))
    elif is_curated_parquet(path):
        return conform(pl.read_parquet(path))

    from curation.ingest import ingest_file, write_quarantine

    result = ingest_file(path)
    if quarantine_to is not None and result.quarantine.height:
        write_quarantine(result.quarantine, Path(quarantine_to))
    return result.problems


def write_problems(df: pl.DataFrame, path: str | Path, *, compression: str = "zstd") -> Path:
    """Write a conformed problem table to one Parquet file atomically (temp file + rename)."""
    path = Path(path)
    df = conform(df)
    with atomic_path(path) as tmp:
        df.write_parquet(tmp, compression=compression, metadata={SCHEMA_KEY: SCHEMA_VERSION})
    return path
