"""Reading and writing problem tables, so every stage command takes any input and writes Parquet.

Also the two file utilities every module shares: `atomic_path` (write next to the target, then rename,
so a reader never sees half a file) and `sqlite_url` (a path or a SQLAlchemy URL -> a URL).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from curation.errors import SourceError
from schemas import SCHEMA_VERSION, conform

SCHEMA_KEY = "curate_schema_version"


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block succeeds, rename it over `path`.

    The rename is atomic on one filesystem, so readers see the old file or the whole new one; on an
    error the temporary file is removed and `path` is untouched. The parent folder is created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def sqlite_url(url_or_path: str | Path) -> str:
    """A SQLAlchemy URL as is; a filesystem path becomes an absolute `sqlite:///` URL (parent created)."""
    text = str(url_or_path)
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


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
