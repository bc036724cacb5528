"""What a stage's cache key is made of: content digests of files, of config sections, of code.

No Prefect import here. A stage is recomputed when any of these change:
- the input Parquet file's content (xxh3-128 of its bytes),
- the external files it reads (`Stage.external_files`: sources for ingest, benchmark files for
  decontaminate, the incremental dedup index): content digest for files, path+size+mtime for folders,
- the JSON of the config data it reads (`stage_sections`, from `Stage.cache_data`),
- the source of the whole library (`code_digest`), on top of Prefect's TASK_SOURCE (which only
  sees the thin task's own source).

The files and config data come from the stage's declaration (`curation.pipeline.PIPELINE`).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import xxhash

from curation.config import PipelineConfig
from curation.pipeline import PIPELINE

#: the source trees a stage's result can depend on: all of them, so no import can be missed
CODE_PACKAGES = ("curation", "generators", "schemas", "flows")

_CHUNK = 1 << 20


def file_digest(path: str | Path) -> str:
    """xxh3-128 of a file's bytes; for a folder, of its files' relative paths, sizes and mtimes."""
    path = Path(path)
    h = xxhash.xxh3_128()
    if str(path).startswith("hf:/"):
        h.update(str(path).encode())
        return "hf:" + h.hexdigest()
    if not path.exists():
        return "missing"
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                st = p.stat()
                h.update(f"{p.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return "dir:" + h.hexdigest()
    with path.open("rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def _package_files(name: str) -> list[tuple[str, Path]]:
    """(path relative to the package folder, path) of every .py / .json file of a package."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    files: list[tuple[str, Path]] = []
    for loc in spec.submodule_search_locations:
        root = Path(loc)
        files += sorted(
            (p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.suffix in (".py", ".json") and p.is_file()
        )
    return files


def code_digest(packages: tuple[str, ...] = CODE_PACKAGES) -> str:
    """Digest of every source file of `packages` (relative path and bytes).

    The whole library rather than a hand-kept list of the modules each stage imports: such a list
    goes stale as soon as a stage starts importing one more module, and a stale list lets an edited
    stage reuse a cached result. Hashing the ~150 small files costs milliseconds per stage.
    """
    h = xxhash.xxh3_128()
    for name in packages:
        files = _package_files(name)
        h.update(f"{name}:{len(files)}\n".encode())
        for rel, path in files:
            h.update(f"{rel}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def stage_sections(cfg: PipelineConfig, stage: str) -> str:
    """Canonical JSON of the config data a stage reads (its cache-key part of the config)."""
    return json.dumps(PIPELINE[stage].cache_data(cfg), sort_keys=True, ensure_ascii=False, default=str)


def external_digest(cfg: PipelineConfig, stage: str) -> str:
    """Digest of the files outside the work folder that a stage reads (`Stage.external_files`)."""
    h = xxhash.xxh3_128()
    for p in PIPELINE[stage].external_files(cfg):
        h.update(f"{p}\0{file_digest(p)}\n".encode())
    return h.hexdigest()
