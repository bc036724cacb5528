"""Task-runner selection: thread pool (default), process pool, or Dask (local cluster or an address).

- "thread": `ThreadPoolTaskRunner` - no start-up cost; right for one-task stages and I/O-bound work.
- "process": `ProcessPoolTaskRunner` (new in Prefect 3.x, present in 3.8.8) - chunk tasks (MinHash
  signatures, puzzle generation) run in parallel processes on this machine.
- "dask": `prefect_dask.DaskTaskRunner` - a `distributed.LocalCluster` with `prefect.dask_workers`
  single-threaded worker processes, or the scheduler at `prefect.dask_address` (`tcp://host:8786`);
  the work folder must then be on storage every worker sees (tasks exchange file paths).
"""

from __future__ import annotations

import os
from typing import Any

RUNNERS = ("thread", "process", "dask")


def make_task_runner(
    kind: str = "thread",
    *,
    workers: int | None = None,
    dask_address: str | None = None,
) -> Any:
    """A Prefect task runner of the given kind (imports Prefect / Dask only when called)."""
    if dask_address and kind != "dask":
        kind = "dask"
    if kind == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=workers or max(4, os.cpu_count() or 1))
    if kind == "process":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers or os.cpu_count() or 1)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={
                "n_workers": workers or 2,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            },
        )
    from curation.errors import ConfigError

    raise ConfigError(f"prefect.task_runner: unknown task runner {kind!r}; choose one of {', '.join(RUNNERS)}")


def runner_kind(runner: Any) -> str:
    """"thread", "process" or "dask" for a task runner instance ("other" otherwise)."""
    name = type(runner).__name__
    return {"ThreadPoolTaskRunner": "thread", "ProcessPoolTaskRunner": "process", "DaskTaskRunner": "dask"}.get(name, "other")
