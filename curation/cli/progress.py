"""Live progress for `curate run`: the running stage with its elapsed time and, for stages that
count their work (difficulty), done/total, rate and ETA. Finished stages stay as one line each.

On a terminal the bar redraws in place; elsewhere (CI logs, pipes) Rich shows no live display and
only the finished-stage lines are printed.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class PipelineProgress:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}", markup=False),
            TimeElapsedColumn(),
            TextColumn("eta", markup=False),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.stage: str | None = None
        self.task: TaskID | None = None
        self.started = 0.0

    def __enter__(self) -> "PipelineProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def update(self, stage: str, done: int, total: int | None, info: dict) -> None:
        """The `on_progress` callback of `run_pipeline` (called from the stage's thread)."""
        if stage != self.stage or self.task is None:
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.stage, self.started = stage, time.perf_counter()
            self.task = self.progress.add_task(f"{stage:<14}", total=total, detail="")
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        detail = f"{done / elapsed:,.1f}/s" if done else ""
        extra = [f"{info[k]:,} {k.replace('_', ' ')}" for k in ("requests", "cache_hits", "retries") if info.get(k)]
        if extra:
            detail = " · ".join([detail, *extra]) if detail else " · ".join(extra)
        self.progress.update(self.task, completed=done, total=total, detail=detail)

    def finished(self, show: Callable[[Any], None]) -> Callable[[Any], None]:
        """Wrap the per-stage `on_stage` printer: the stage's live line makes way for its summary."""

        def done(count: Any) -> None:
            if self.task is not None and count.stage == self.stage:
                self.progress.remove_task(self.task)
                self.task, self.stage = None, None
            show(count)

        return done
