"""Thin Prefect tasks over `curation.pipeline`: they pass file paths, digests and row ranges, never tables.

Every task rebuilds the `PipelineConfig` from a small JSON-able `spec` (so it runs the same in a
thread, a process pool or a Dask worker) and calls the library. The stage cache key is
`(INPUTS - "spec") + TASK_SOURCE`: the inputs that remain are the input file's content digest, the
JSON of the config sections the stage reads, the digest of external files it reads, the digest of
the library code it runs and the output path (see `flows.fingerprint`). Results are persisted under
`<output_dir>/work/prefect-results` (set by the flow with `with_options(result_storage=...)`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import INPUTS, NO_CACHE, TASK_SOURCE

from curation.config import PipelineConfig, config_from_dict
from flows.fingerprint import file_digest

#: a stage's cache key: every input except the full config, plus the task's own source
STAGE_CACHE = (INPUTS - "spec") + TASK_SOURCE


def make_spec(cfg: PipelineConfig) -> dict[str, Any]:
    """The config as plain JSON data plus its base folder: what tasks receive instead of objects."""
    return {"config": cfg.model_dump(mode="json"), "base_dir": str(cfg.base_dir)}


def config_from_spec(spec: dict[str, Any]) -> PipelineConfig:
    return config_from_dict(spec["config"], base_dir=spec["base_dir"], origin="flow spec")


def _attempt() -> int:
    try:
        from prefect.runtime import task_run

        return int(task_run.run_count or 1)
    except Exception:  # pragma: no cover - outside a task run
        return 1


def stage_products(ws, stage: str, out_file: Path) -> dict[str, str]:
    """Files a stage leaves behind (its work file and `Stage.side_files`), with their digests
    (checked before a cached result is reused)."""
    from curation.pipeline import PIPELINE

    products = {str(out_file): file_digest(out_file)}
    for side in PIPELINE[stage].side_files(ws):
        if side.exists():
            products[str(side)] = file_digest(side)
    return products


def products_intact(result: dict[str, Any]) -> bool:
    """True when every file a (possibly cached) stage result names still has the recorded content."""
    return all(Path(p).exists() and file_digest(p) == d for p, d in result.get("products", {}).items())


@task(name="stage", cache_policy=STAGE_CACHE, persist_result=True, task_run_name="{stage}")
def stage_task(
    spec: dict[str, Any],
    stage: str,
    input_file: str | None,
    input_digest: str | None,
    sections: str,
    external: str,
    code: str,
    out_file: str,
) -> dict[str, Any]:
    """Run one whole stage (`curation.pipeline.run_stage`) from its input Parquet to its output Parquet."""
    from curation.pipeline import Workspace, run_stage

    ws = Workspace(config_from_spec(spec))
    ws.work.mkdir(parents=True, exist_ok=True)
    out, count = run_stage(ws, stage, Path(input_file) if input_file else None)
    return {
        "stage": stage,
        "file": str(out),
        "count": count.as_dict(),
        "products": stage_products(ws, stage, out),
        "attempts": _attempt(),
    }


# --- chunked work: MinHash signatures and puzzle generation ---------------------------------------


@task(name="minhash-signatures", cache_policy=STAGE_CACHE, persist_result=True, task_run_name="signatures[{start}:{stop}]")
def signature_chunk_task(
    spec: dict[str, Any],
    input_file: str,
    input_digest: str,
    start: int,
    stop: int,
    sections: str,
    code: str,
    out_file: str,
) -> dict[str, Any]:
    """MinHash signatures of rows [start, stop) of the input, saved as an `.npy` file; returns its path."""
    from flows.chunks import compute_signature_chunk

    return compute_signature_chunk(config_from_spec(spec), input_file, start, stop, out_file)


@task(name="dedup-bands", cache_policy=STAGE_CACHE, persist_result=True,
      task_run_name="bands[{first_band}:+{band_count}]")
def band_group_task(
    spec: dict[str, Any],
    input_file: str,
    input_digest: str,
    signature_files: list[str],
    signature_digests: list[str],
    first_band: int,
    band_count: int,
    sections: str,
    code: str,
    out_file: str,
) -> dict[str, Any]:
    """The band/link pass of one band group over every row; saves the verified edges, returns the path."""
    from flows.chunks import compute_band_group_edges

    return compute_band_group_edges(config_from_spec(spec), input_file, signature_files, first_band, band_count, out_file)


@task(name="dedup-cluster", cache_policy=STAGE_CACHE, persist_result=True, task_run_name="dedup-cluster")
def dedup_cluster_task(
    spec: dict[str, Any],
    input_file: str,
    input_digest: str,
    signature_files: list[str],
    signature_digests: list[str],
    sections: str,
    external: str,
    code: str,
    out_file: str,
    edge_files: list[str] | None = None,
    edge_digests: list[str] | None = None,
) -> dict[str, Any]:
    """The dedup stage's single cluster step: with `edge_files` (the band-group tasks' edges) it
    only clusters; otherwise it bands, links and clusters from the chunk signatures itself."""
    from curation.pipeline import Workspace, run_stage
    from flows.chunks import load_edges, load_signatures

    ws = Workspace(config_from_spec(spec))
    if edge_files is not None:
        out, count = run_stage(ws, "dedup", Path(input_file), near_edges=load_edges(edge_files))
    else:
        out, count = run_stage(ws, "dedup", Path(input_file), signatures=load_signatures(signature_files))
    return {
        "stage": "dedup",
        "file": str(out),
        "count": count.as_dict(),
        "products": stage_products(ws, "dedup", out),
        "attempts": _attempt(),
    }


@task(name="generate-chunk", cache_policy=STAGE_CACHE, persist_result=True, task_run_name="{generator}-L{level}[{first}:{last}]")
def generate_chunk_task(
    generator: str, level: int, first: int, last: int, seeds: list[int], code: str, out_file: str
) -> dict[str, Any]:
    """Generate the puzzles of one seed chunk and write them to a Parquet file; return its path."""
    from flows.chunks import generate_chunk_file

    out = generate_chunk_file(generator, level, seeds, Path(out_file))
    return {"file": str(out), "digest": file_digest(out), "rows": len(seeds)}


@task(name="generate-merge", cache_policy=STAGE_CACHE, persist_result=True, task_run_name="generate-merge")
def generate_merge_task(
    spec: dict[str, Any],
    input_file: str,
    input_digest: str,
    requests: list[dict[str, Any]],
    chunk_digests: list[str],
    sections: str,
    code: str,
    out_file: str,
) -> dict[str, Any]:
    """The generate stage with the chunk tasks' records (one list per request of `generate.puzzles`,
    in order): append them to the ingested table."""
    from curation.pipeline import Workspace, run_stage
    from flows.chunks import read_chunk_records

    ws = Workspace(config_from_spec(spec))
    records = [read_chunk_records(r["files"]) for r in requests]
    out, count = run_stage(ws, "generate", Path(input_file), pregenerated=records)
    return {
        "stage": "generate",
        "file": str(out),
        "count": count.as_dict(),
        "products": stage_products(ws, "generate", out),
        "attempts": _attempt(),
    }


# --- export -------------------------------------------------------------------------------------


@task(name="export", cache_policy=NO_CACHE, task_run_name="split-and-export")
def export_task(spec: dict[str, Any], last_file: str, counts: list[dict[str, Any]]) -> dict[str, Any]:
    """The explicit drop step and the export (`curation.pipeline.finish`); never cached."""
    from curation.pipeline import StageCount, Workspace, finish

    ws = Workspace(config_from_spec(spec))
    fields = {"stage", "rows", "dropped", "review", "seconds", "skipped", "note", "peak_rss_mb"}
    stage_counts = [StageCount(**{k: v for k, v in c.items() if k in fields}) for c in counts]
    report = finish(ws, Path(last_file), stage_counts)
    return report.as_dict()
