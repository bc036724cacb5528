"""Reading and writing problem tables, so every stage command takes any input and writes Parquet.

The file utilities (`atomic_path`, `write_text_atomic`, `sqlite_url`) live in `curation.files`, below
ingest in the import graph; they are importable from here too, as many callers do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from curation.errors import SourceError
from curation.files import atomic_path, sqlite_url, write_text_atomic  # noqa: F401  (the shared file utilities)
from schemas import SCHEMA_VERSION, conform, polars_schema

SCHEMA_KEY = "curate_schema_version"


def is_curated_parquet(path: Path) -> bool:
    """True for a problem table written by curate: it carries the schema version in its metadata and
    has a `question` column. An export's RL layout (rl/: prompt, reward_model, ...) carries the tag
    too, but holds the kept rows in another shape, not problems."""
    if path.suffix != ".parquet" or not path.is_file():
        return False
    try:
        return SCHEMA_KEY in pl.read_parquet_metadata(path) and "question" in pl.read_parquet_schema(path)
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
        # an export folder also holds the RL layout, which is_curated_parquet leaves out
        shards = sorted(p for p in path.rglob("*.parquet") if is_curated_parquet(p))
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


#: rows of the untouched columns held at once while a projected stage's output is written
MERGE_BATCH_ROWS = 100_000


def read_columns(
    path: str | Path, columns: Sequence[str], *, also: Callable[[str], bool] = lambda _: False
) -> pl.DataFrame | None:
    """Only `columns` (and any file column `also` accepts) of one curate Parquet file, in file order.

    None when `path` is not a curate Parquet file, or lacks one of `columns`, or holds it at another
    dtype than the schema's (an older file): the caller then reads the whole table with
    `read_problems`, which conforms it. The polars read of only these columns is what bounds a
    projected stage's memory (the record schema has ~50 columns; a stage reads a handful).
    """
    path = Path(path)
    if not is_curated_parquet(path):
        return None
    have = pl.read_parquet_schema(path)
    schema = polars_schema()
    if any(c not in have or (c in schema and have[c] != schema[c]) for c in columns):
        return None
    wanted = set(columns)
    return pl.read_parquet(path, columns=[c for c in have if c in wanted or also(c)])


def write_merged(result: pl.DataFrame, source: str | Path, path: str | Path, *, compression: str = "zstd") -> Path:
    """Write `result` joined row for row with the columns of `source` it lacks, atomically.

    `result` is a projected stage's output (same rows, same order as `source`); the other columns
    are streamed from `source` `MERGE_BATCH_ROWS` rows at a time and never held whole. Each merged
    batch is conformed like `write_problems` does (schema columns first, extra columns after: the
    source's, then the result's new ones) and the file carries the same schema-version metadata.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    source_file = pq.ParquetFile(source)
    if source_file.metadata.num_rows != result.height:
        raise ValueError(f"{source}: {source_file.metadata.num_rows} rows, the result has {result.height}")
    source_columns = source_file.schema_arrow.names
    untouched = [c for c in source_columns if c not in result.columns]
    order = [*source_columns, *(c for c in result.columns if c not in source_columns)]
    if not untouched:  # nothing to stream
        return write_problems(result.select(order), path, compression=compression)
    if result.height == 0:
        empty = pl.DataFrame(pl.from_arrow(source_file.schema_arrow.empty_table())).select(untouched)
        return write_problems(pl.concat([empty, result], how="horizontal").select(order), path, compression=compression)
    with atomic_path(path) as tmp:
        writer = None
        offset = 0
        try:
            for batch in source_file.iter_batches(batch_size=MERGE_BATCH_ROWS, columns=untouched):
                part = pl.DataFrame(pl.from_arrow(batch))
                merged = pl.concat([part, result.slice(offset, part.height)], how="horizontal")
                table = conform(merged.select(order)).to_arrow()
                if writer is None:
                    metadata = {**(table.schema.metadata or {}), SCHEMA_KEY: SCHEMA_VERSION}
                    writer = pq.ParquetWriter(tmp, table.schema.with_metadata(metadata), compression=compression)
                writer.write_table(table)
                offset += part.height
        finally:
            if writer is not None:
                writer.close()
        if offset != result.height:
            raise ValueError(f"{source}: {offset} rows streamed for a result of {result.height}")
    return path
