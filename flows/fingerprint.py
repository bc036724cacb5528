"""What a stage's cache key is made of: content digests of files, of config sections, of code.

No Prefect import here. A stage is recomputed when any of these change:
- the input Parquet file's content (xxh3-128 of its bytes),
- the external files it reads (sources for ingest, benchmark files for decontaminate, the existing
  curated index for incremental dedup): content digest for files, path+size+mtime for folders,
- the JSON of the config sections it reads (`stage_sections`),
- the source of the library modules it runs (`code_digest`), on top of Prefect's TASK_SOURCE
  (which only sees the thin task's own source).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import xxhash

from curation.config import PipelineConfig

#: library modules whose source a stage's result depends on (besides COMMON_MODULES)
STAGE_MODULES: dict[str, tuple[str, ...]] = {
    "ingest": ("curation.ingest", "curation.readers"),
    "generate": ("generators",),
    "clean": ("curation.clean",),
    "convert_mcq": ("curation.mcq", "curation.choices"),
    "dedup": ("curation.dedup",),
    "decontaminate": ("curation.decontaminate",),
    "code_tests": ("curation.code",),
    "difficulty": ("curation.difficulty", "curation.verifier", "curation.code"),
    "review": ("curation.review",),
    "export": ("curation.export", "curation.drop"),
}
COMMON_MODULES = ("curation.pipeline", "curation.io", "curation.text", "curation.config", "schemas")

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


def _module_files(name: str) -> list[Path]:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        files: list[Path] = []
        for loc in spec.submodule_search_locations:
            files += sorted(Path(loc).rglob("*.py"))
        return files
    return [Path(spec.origin)] if spec.origin and spec.origin.endswith(".py") else []


def code_digest(stage: str) -> str:
    """Digest of the source of the modules the stage runs (missing modules hash as absent)."""
    h = xxhash.xxh3_128()
    for name in (*COMMON_MODULES, *STAGE_MODULES.get(stage, ())):
        files = _module_files(name)
        h.update(f"{name}:{len(files)}\n".encode())
        for f in files:
            h.update(f.read_bytes())
    return h.hexdigest()


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else model


def stage_sections(cfg: PipelineConfig, stage: str) -> str:
    """Canonical JSON of the config sections a stage reads (its cache-key part of the config)."""
    if stage == "ingest":
        data: Any = [_dump(s) for s in cfg.sources]
    elif stage == "generate":
        data = _dump(cfg.generate)
    elif stage == "clean":
        data = _dump(cfg.clean)
    elif stage == "convert_mcq":
        data = {"mcq": _dump(cfg.mcq), "model": _dump(cfg.difficulty.model) if cfg.mcq.model_mode else None}
    elif stage == "dedup":
        data = {
            "dedup": _dump(cfg.dedup),
            "priority": sorted(((s.name or Path(s.path).stem), s.priority) for s in cfg.sources),
        }
    elif stage == "decontaminate":
        data = _dump(cfg.decontaminate)
    elif stage == "code_tests":
        data = _dump(cfg.code)
    elif stage == "difficulty":
        data = {"difficulty": _dump(cfg.difficulty), "code": _dump(cfg.code)}
    elif stage == "review":
        data = _dump(cfg.review)
    elif stage == "export":
        data = _dump(cfg.export)
    else:
        raise KeyError(stage)
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)


def external_digest(cfg: PipelineConfig, stage: str) -> str:
    """Digest of the files outside the work folder that a stage reads."""
    paths: list[Path] = []
    if stage == "ingest":
        paths = [cfg.resolve(s.path) for s in cfg.sources]
    elif stage == "decontaminate":
        paths = [cfg.resolve(b.path) for b in cfg.decontaminate.benchmarks]
    elif stage == "dedup" and cfg.dedup.existing:
        paths = [cfg.resolve(cfg.dedup.existing)]
    h = xxhash.xxh3_128()
    for p in paths:
        h.update(f"{p}\0{file_digest(p)}\n".encode())
    return h.hexdigest()
