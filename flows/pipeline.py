"""`curation_pipeline`: every configured stage in order as Prefect tasks, then split, export and report.

Same stage functions as `curation.pipeline.run_pipeline` (each stage task calls `run_stage`, the
export task calls `finish`), so both produce the same export. What the engine adds: per-stage
caching and resume (`flows.tasks.STAGE_CACHE`), retries on stages that call a model, chunked
MinHash signatures and puzzle generation on a process pool or Dask cluster, and the run report as
Prefect artifacts.

`run_with_prefect(config_path, task_runner=..., dask_address=...)` is what `curate run --engine
prefect` calls; it returns the same `PipelineReport` as `run_pipeline`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner

from curation.config import PipelineConfig
from curation.pipeline import PipelineReport, StageCount, stage_names
from flows import tasks
from flows.report import publish_report
from flows.runners import make_task_runner, runner_kind
from flows.stages import RunContext, _remember_count, load_run_config, submit_stage

EPHEMERAL_STARTUP_TIMEOUT = 120


def _choose_runner(cfg: PipelineConfig, task_runner: str | None, dask_address: str | None) -> tuple[str, str | None]:
    address = dask_address or (cfg.prefect.dask_address if not task_runner or task_runner == "dask" else None)
    kind = "dask" if address else (task_runner or cfg.prefect.task_runner)
    return kind, address


def runner_for(cfg: PipelineConfig, task_runner: str | None = None, dask_address: str | None = None):
    kind, address = _choose_runner(cfg, task_runner, dask_address)
    workers = cfg.prefect.dask_workers if kind == "dask" else cfg.prefect.max_workers
    return make_task_runner(kind, workers=workers, dask_address=address)


def run_stages(cfg: PipelineConfig) -> dict[str, Any]:
    """The pipeline body, inside a flow run: stage tasks in order, export task, report."""
    started_at = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    ctx = RunContext.from_config(cfg)
    counts: list[dict[str, Any]] = []
    current: Path | None = None
    for stage in stage_names():
        result = submit_stage(ctx, stage, current)
        current = Path(result["file"])
        counts.append(result["count"])
        _remember_count(ctx.ws, result["count"])
    report = tasks.export_task.submit(spec=ctx.spec, last_file=str(current), counts=counts).result()
    path = publish_report(
        ctx.ws, report, counts=counts, last_file=current, started_at=started_at, seconds=time.perf_counter() - t0
    )
    report = dict(report)
    report["last_file"] = str(current)
    report["review_url"] = ctx.ws.review_url
    report["run_report"] = str(path)
    report["flow_stages"] = counts
    return report


def _current_api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    ctx = FlowRunContext.get()
    client = getattr(ctx, "client", None) if ctx else None
    url = getattr(client, "api_url", None)
    return str(url).rstrip("/") if url else (PREFECT_API_URL.value() or None)


@contextmanager
def api_url_for_workers(url: str | None = None):
    """Put the API URL in the environment while worker processes (Dask, process pool) are spawned.

    Workers inherit the environment, not Prefect's settings context: without this, each worker of a
    run on the temporary server (or the test harness) would start a temporary server of its own.
    """
    url = url or _current_api_url()
    if os.environ.get("PREFECT_API_URL") or not url:
        yield
        return
    os.environ["PREFECT_API_URL"] = url
    try:
        yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


@flow(name="curation-pipeline-on-runner")
def _pipeline_on_runner(
    config_path: str, output_dir: str | None = None, allow_empty: bool = False, strict: bool = False
) -> dict[str, Any]:
    return run_stages(load_run_config(config_path, output_dir, allow_empty=allow_empty, strict=strict))


@flow(name="curation-pipeline", task_runner=ThreadPoolTaskRunner(max_workers=4))
def curation_pipeline(
    config_path: str,
    output_dir: str | None = None,
    task_runner: str | None = None,
    dask_address: str | None = None,
    allow_empty: bool = False,
    strict: bool = False,
) -> dict[str, Any]:
    """Run every configured stage of the config at `config_path`, then split, export and report.

    `task_runner` ("thread", "process", "dask") and `dask_address` override `[prefect]` in the
    config. When the flow was started with a different runner (a deployment always starts it
    with the thread runner), the stages run in a subflow on the requested one. `allow_empty` and
    `strict` are `curate run --allow-empty / --strict` (they can only switch the config's setting on).
    """
    cfg = load_run_config(config_path, output_dir, allow_empty=allow_empty, strict=strict)
    kind, address = _choose_runner(cfg, task_runner, dask_address)
    ctx = FlowRunContext.get()
    current = runner_kind(ctx.task_runner) if ctx else "other"
    if current != kind:
        runner = runner_for(cfg, task_runner, dask_address)
        with api_url_for_workers():
            return _pipeline_on_runner.with_options(task_runner=runner)(config_path, output_dir, allow_empty, strict)
    return run_stages(cfg)


def prefect_environment() -> dict[str, str]:
    """Defaults set before Prefect starts: no analytics; a long start-up timeout for the temporary server."""
    return {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(EPHEMERAL_STARTUP_TIMEOUT),
    }


def _ephemeral_running() -> bool:
    if "prefect.server.api.server" not in sys.modules:
        return False
    from prefect.server.api.server import SubprocessASGIServer

    return any(getattr(s, "running", False) for s in SubprocessASGIServer._instances.values())


def report_from_dict(data: dict[str, Any]) -> PipelineReport:
    """The flow's result (JSON-able dict) back as the `PipelineReport` that `run_pipeline` returns."""
    import dataclasses

    fields = {"stage", "rows", "dropped", "review", "seconds", "skipped", "note", "peak_rss_mb"}
    kwargs: dict[str, Any] = dict(
        out_dir=Path(data["out_dir"]),
        dataset_dir=Path(data["dataset_dir"]) if data.get("dataset_dir") else None,
        stages=[StageCount(**{k: v for k, v in s.items() if k in fields}) for s in data.get("stages", [])],
        destinations=dict(data.get("destinations", {})),
        quarantined=int(data.get("quarantined", 0)),
    )
    optional = {f.name for f in dataclasses.fields(PipelineReport)}
    if "last_file" in optional and data.get("last_file"):
        kwargs["last_file"] = Path(data["last_file"])
    if "review_url" in optional and data.get("review_url"):
        kwargs["review_url"] = data["review_url"]
    if "alarms" in optional:
        kwargs["alarms"] = list(data.get("alarms") or [])
    return PipelineReport(**kwargs)


def run_with_prefect(
    config_path: Path,
    *,
    task_runner: str | None = None,
    dask_address: str | None = None,
    output_dir: str | None = None,
    allow_empty: bool = False,
    strict: bool = False,
) -> PipelineReport:
    """Run `curation_pipeline` on the Prefect engine and return the same report as `run_pipeline`.

    Uses the server at `PREFECT_API_URL` when set; otherwise Prefect starts a temporary local
    server (20-50 s here; the start-up timeout is raised to 120 s and a message is printed).
    """
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, temporary_settings

    for key, value in prefect_environment().items():
        if key != "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS":
            os.environ.setdefault(key, value)
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value() and not _ephemeral_running():
        # `curate run --engine prefect` prints its own notice; this is for programmatic callers
        logging.getLogger("curate.flows").info(
            "PREFECT_API_URL is not set: starting a temporary local Prefect server (20-50 s; up to %s s allowed)",
            EPHEMERAL_STARTUP_TIMEOUT,
        )
    cfg = load_run_config(config_path, output_dir, allow_empty=allow_empty, strict=strict)
    runner = runner_for(cfg, task_runner, dask_address)
    kind, address = _choose_runner(cfg, task_runner, dask_address)
    timeout = max(EPHEMERAL_STARTUP_TIMEOUT, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
    updates: dict[Any, Any] = {PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: timeout}
    url = PREFECT_API_URL.value() or None
    if not url and kind != "thread":
        # start the temporary server first, so worker processes are spawned knowing its address
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()
        server.start(timeout=timeout)
        url = server.api_url
        updates[PREFECT_API_URL] = url
    with temporary_settings(updates), api_url_for_workers(url):
        result = curation_pipeline.with_options(task_runner=runner)(
            config_path=str(config_path),
            output_dir=output_dir,
            task_runner=kind,
            dask_address=address,
            allow_empty=allow_empty,
            strict=strict,
        )
    return report_from_dict(result)
