"""One Prefect flow per registered stage, and `submit_stage`, which runs one stage's tasks inside any flow.

The flows are built from the stage registry (`curation.pipeline.PIPELINE`): `stage_flow(name)`
returns the flow `curate-<name>` of any registered stage, including one registered at run time.

`submit_stage` is what both the per-stage flows and `curation_pipeline` call:
- most stages are one task (`tasks.stage_task` = `curation.pipeline.run_stage`): a stage works on a
  whole table, hundreds to hundred-thousands of rows, so a task per stage is far above Prefect's
  per-task overhead;
- dedup, when the library can take precomputed signatures, fans out one MinHash-signature task per
  `prefect.chunk_rows` rows (each writes an `.npy` and returns its path) and then runs one
  band/cluster task;
- generate fans out one task per seed chunk (each writes a Parquet file) and one merge task.

Before a cached stage result is reused its output files are checked against the digests it
recorded; a missing or changed file re-runs the stage (`refresh_cache=True`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.cache_policies import NO_CACHE

from curation.config import PipelineConfig, load_config
from curation.pipeline import PIPELINE, Workspace, stage_enabled, stage_names
from flows import chunks, tasks
from flows.fingerprint import code_digest, external_digest, file_digest, stage_sections

#: the result folder (cache records + persisted results) inside the work folder
RESULTS_DIR = "prefect-results"


@dataclass
class RunContext:
    """What a flow hands to `submit_stage`: the config (object and JSON spec) and the workspace."""

    cfg: PipelineConfig
    spec: dict[str, Any]
    ws: Workspace

    parallel: bool = False

    @classmethod
    def from_config(cls, cfg: PipelineConfig) -> "RunContext":
        ws = Workspace(cfg)
        ws.work.mkdir(parents=True, exist_ok=True)
        return cls(cfg=cfg, spec=tasks.make_spec(cfg), ws=ws, parallel=_runner_is_parallel())

    @property
    def results_dir(self) -> Path:
        return self.ws.work / RESULTS_DIR

    def storage(self) -> Path:
        """Result storage: a local folder (Prefect turns a `Path` into a `LocalFileSystem`)."""
        self.results_dir.mkdir(parents=True, exist_ok=True)
        return self.results_dir.resolve()

    def network_stage(self, stage: str) -> bool:
        """Stages that call a model endpoint in this run (`Stage.network`): retried."""
        return stage_enabled(self.cfg, stage) and PIPELINE[stage].network(self.cfg)

    def options(self, stage: str, **extra) -> dict[str, Any]:
        opts: dict[str, Any] = {"result_storage": self.storage(), "persist_result": True}
        if self.network_stage(stage):
            opts["retries"] = self.cfg.prefect.network_retries
            opts["retry_delay_seconds"] = self.cfg.prefect.retry_delay_seconds
        opts.update(extra)
        return opts


def _runner_is_parallel() -> bool:
    """True when the current flow's task runner runs tasks in other processes (process pool, Dask)."""
    from prefect.context import FlowRunContext

    from flows.runners import runner_kind

    ctx = FlowRunContext.get()
    return bool(ctx) and runner_kind(ctx.task_runner) in ("process", "dask")


def load_run_config(
    config_path: str | Path,
    output_dir: str | None = None,
    *,
    allow_empty: bool = False,
    strict: bool = False,
) -> PipelineConfig:
    """The config a flow runs with: the file, plus the `curate run` options that override it.

    The overrides go into the config object itself, so they reach every task through its spec
    (tasks rebuild the config from the spec, not from the file).
    """
    cfg = load_config(Path(config_path).expanduser().resolve())  # absolute paths: tasks may run elsewhere
    if output_dir:
        cfg.output_dir = str(Path(output_dir).expanduser().resolve())
    if allow_empty:
        cfg.export.allow_empty = True
    if strict:
        cfg.clean.strict_alarms = True
    return cfg


def _submit_checked(task, opts: dict[str, Any], **params) -> tuple[dict[str, Any], bool]:
    """Run a task; if its (cached) result names files that changed since, run it again fresh."""
    future = task.with_options(**opts).submit(**params)
    result = future.result()
    cached = future.state.name == "Cached"
    if cached and not tasks.products_intact(result):
        get_run_logger().info("cached %s result is stale (output files changed); recomputing", task.name)
        future = task.with_options(**opts, refresh_cache=True).submit(**params)
        result = future.result()
        cached = False
    return result, cached


def _stage_params(ctx: RunContext, stage: str, input_file: Path | None) -> dict[str, Any]:
    return {
        "spec": ctx.spec,
        "input_file": str(input_file) if input_file else None,
        "input_digest": file_digest(input_file) if input_file else None,
        "sections": json.dumps({"enabled": stage_enabled(ctx.cfg, stage), "sections": stage_sections(ctx.cfg, stage)}),
        "code": code_digest(),
        "out_file": str(ctx.ws.stage_file(stage).resolve()),
    }


def submit_stage(ctx: RunContext, stage: str, input_file: Path | None) -> dict[str, Any]:
    """Run one stage's tasks in the current flow; return {"file", "count", "cached", ...}."""
    spec = PIPELINE[stage]  # KeyError naming the registered stages
    if stage != "ingest" and input_file is None:
        raise ValueError(f"stage {stage} needs an input file")
    t0 = time.perf_counter()
    params = _stage_params(ctx, stage, input_file)
    enabled = stage_enabled(ctx.cfg, stage)
    # signatures in chunks only pay off in parallel processes: on threads numpy's shingle hashing
    # holds the GIL, and the chunk tasks + lookup cost more than they save (benchmarks/flows.py)
    if enabled and stage == "dedup" and ctx.parallel:
        result, cached = _dedup_chunked(ctx, params)
    elif enabled and stage == "generate" and ctx.cfg.generate.puzzles:
        result, cached = _generate_chunked(ctx, params)
    else:
        opts = ctx.options(stage)
        if not spec.cacheable:
            opts["cache_policy"] = NO_CACHE
        result, cached = _submit_checked(
            tasks.stage_task, opts, stage=stage, external=external_digest(ctx.cfg, stage), **params
        )
    result = dict(result)
    result["cached"] = cached
    result["count"] = {
        **result["count"],
        "cached": cached,
        "attempts": result.get("attempts", 1),
        "chunks": result.get("chunks", 1),
        "band_groups": result.get("band_groups", 0),  # dedup band/link tasks (0: linked in the cluster task)
        "wall_seconds": round(time.perf_counter() - t0, 3),  # as seen by the flow: task overhead included
    }
    return result


def _dedup_chunked(ctx: RunContext, params: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    input_file = params["input_file"]
    rows = chunks.row_count(input_file)
    size = max(1, ctx.cfg.prefect.signature_chunk_rows)
    sig_dir = ctx.ws.work / "dedup_signatures"
    sig_dir.mkdir(parents=True, exist_ok=True)
    opts = ctx.options("dedup")
    sig_task = tasks.signature_chunk_task.with_options(**opts)
    chunk_params = []
    for start in range(0, rows, size):
        stop = min(rows, start + size)
        out = sig_dir / f"{params['input_digest'][:16]}_{start:09d}_{stop:09d}.npy"
        chunk_params.append(
            dict(
                spec=ctx.spec,
                input_file=input_file,
                input_digest=params["input_digest"],
                start=start,
                stop=stop,
                sections=params["sections"],
                code=params["code"],
                out_file=str(out.resolve()),
            )
        )
    futures = [sig_task.submit(**p) for p in chunk_params]
    sig_results = [f.result() for f in futures]
    # a cached chunk whose .npy vanished is recomputed in place
    for i, res in enumerate(sig_results):
        if not tasks.products_intact(res):
            sig_results[i] = sig_task.with_options(refresh_cache=True).submit(**chunk_params[i]).result()
    files = [r["file"] for r in sig_results]
    sig_digests = [r["products"][r["file"]] for r in sig_results]
    edges: dict[str, Any] = {}
    groups: list[tuple[int, int]] = []
    index = ctx.ws.dedup_index
    if index is None or not Path(index).exists():
        # the band/link pass sharded by band group; only the edges reach the cluster task (an
        # existing index is linked against in the cluster task itself)
        groups = chunks.band_groups(ctx.cfg.dedup.bands, ctx.cfg.prefect.dedup_band_groups)
        band_task = tasks.band_group_task.with_options(**opts)
        group_params = [
            dict(
                spec=ctx.spec, input_file=input_file, input_digest=params["input_digest"], signature_files=files,
                signature_digests=sig_digests, first_band=a, band_count=b, sections=params["sections"],
                code=params["code"],
                out_file=str((sig_dir / f"{params['input_digest'][:16]}_bands_{a:03d}_{b:03d}.npz").resolve()),
            )
            for a, b in groups
        ]
        band_results = [f.result() for f in [band_task.submit(**p) for p in group_params]]
        for i, res in enumerate(band_results):
            if not tasks.products_intact(res):
                band_results[i] = band_task.with_options(refresh_cache=True).submit(**group_params[i]).result()
        edges = dict(
            edge_files=[r["file"] for r in band_results],
            edge_digests=[r["products"][r["file"]] for r in band_results],
        )
    result, cached = _submit_checked(
        tasks.dedup_cluster_task,
        opts,
        signature_files=files,
        signature_digests=sig_digests,
        external=external_digest(ctx.cfg, "dedup"),
        **edges,
        **params,
    )
    result = dict(result)
    result["chunks"] = len(files)
    result["band_groups"] = len(groups)
    return result, cached


def _generate_chunked(ctx: RunContext, params: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    size = max(1, ctx.cfg.prefect.chunk_rows)
    gen_dir = ctx.ws.work / "generated"
    gen_dir.mkdir(parents=True, exist_ok=True)
    code = code_digest()
    opts = ctx.options("generate")
    chunk_task = tasks.generate_chunk_task.with_options(**opts)
    chunk_params, owners = [], []
    for r, req in enumerate(ctx.cfg.generate.puzzles):
        for seeds in chunks.seed_chunks(req.generator, count=req.count, level=req.level, seed=req.seed, size=size):
            out = gen_dir / f"{req.generator}_L{req.level}_{seeds[0]}_{len(seeds)}.parquet"
            chunk_params.append(
                dict(
                    generator=req.generator, level=req.level, first=seeds[0], last=seeds[-1],
                    seeds=seeds, code=code, out_file=str(out.resolve()),
                )
            )
            owners.append(r)
    futures = [chunk_task.submit(**p) for p in chunk_params]
    results = [f.result() for f in futures]
    for i, res in enumerate(results):
        if not (Path(res["file"]).exists() and file_digest(res["file"]) == res["digest"]):
            results[i] = chunk_task.with_options(refresh_cache=True).submit(**chunk_params[i]).result()
    requests = [
        {
            "generator": req.generator, "count": req.count, "level": req.level, "seed": req.seed,
            "files": [res["file"] for res, o in zip(results, owners) if o == r],
        }
        for r, req in enumerate(ctx.cfg.generate.puzzles)
    ]
    result, cached = _submit_checked(
        tasks.generate_merge_task,
        opts,
        requests=requests,
        chunk_digests=[r["digest"] for r in results],
        **params,
    )
    result = dict(result)
    result["chunks"] = len(results)
    return result, cached


def previous_file(ws: Workspace, stage: str) -> Path | None:
    """The workspace file a stage reads when run alone: the previous stage's output."""
    before = PIPELINE.previous(stage)
    return ws.stage_file(before.name) if before is not None else None


def run_single_stage(stage: str, config_path: str, input_file: str | None = None, output_dir: str | None = None) -> dict[str, Any]:
    """Body of a per-stage flow."""
    ctx = RunContext.from_config(load_run_config(config_path, output_dir))
    src = Path(input_file) if input_file else previous_file(ctx.ws, stage)
    if src is not None and not src.exists():
        from curation.errors import SourceError

        raise SourceError(f"{stage}: input not found: {src} (run the previous stages first or pass input_file)")
    result = submit_stage(ctx, stage, src)
    _remember_count(ctx.ws, result["count"])
    return {"stage": stage, "file": result["file"], "count": result["count"], "cached": result["cached"]}


COUNTS_FILE = "flow_stage_counts.json"


def _remember_count(ws: Workspace, count: dict[str, Any]) -> None:
    """Keep the last counts per stage in the work folder, so a standalone export flow can use them."""
    path = ws.work / COUNTS_FILE
    data = json.loads(path.read_text()) if path.exists() else {}
    data[count["stage"]] = count
    path.write_text(json.dumps(data, indent=1, default=str))


def remembered_counts(ws: Workspace) -> list[dict[str, Any]]:
    path = ws.work / COUNTS_FILE
    data = json.loads(path.read_text()) if path.exists() else {}
    return [data[s] for s in stage_names() if s in data]


# --- the per-stage flows: built from the registry ------------------------------------------------

_FLOWS: dict[Any, Any] = {}


def stage_flow(name: str):
    """The Prefect flow `Stage.flow` of the registered stage `name` (built once per declaration).

    Parameters: `config_path`, `input_file` (default: the previous stage's work file) and
    `output_dir` (overrides the config's). Returns `{"stage", "file", "count", "cached"}`.
    """
    stage = PIPELINE[name]
    if stage not in _FLOWS:

        def run_one(config_path: str, input_file: str | None = None, output_dir: str | None = None) -> dict[str, Any]:
            return run_single_stage(stage.name, config_path, input_file, output_dir)

        run_one.__name__ = f"{stage.name}_flow"
        run_one.__doc__ = stage.description
        _FLOWS[stage] = flow(name=stage.flow, description=stage.description)(run_one)
    return _FLOWS[stage]


@flow(name="curate-export")
def export_flow(config_path: str, input_file: str | None = None, output_dir: str | None = None) -> dict[str, Any]:
    """Split kept/dropped/review and export the dataset, then write and publish the run report."""
    from flows.report import publish_report

    ctx = RunContext.from_config(load_run_config(config_path, output_dir))
    last = Path(input_file) if input_file else ctx.ws.stage_file(stage_names()[-1])
    counts = remembered_counts(ctx.ws)
    report = tasks.export_task.submit(spec=ctx.spec, last_file=str(last), counts=counts).result()
    publish_report(ctx.ws, report, counts=counts, last_file=last)
    return report


def flows_by_name() -> dict[str, Any]:
    """Every stage's flow by stage name, plus `export`: what `curate flow` and deployments offer."""
    return {**{name: stage_flow(name) for name in stage_names()}, "export": export_flow}
