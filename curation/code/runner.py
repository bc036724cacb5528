"""Judge many (program, tests) jobs: cache first, then a pool of sandbox workers sized to the cores.

    with CodeRunner(settings, cache_url="sqlite:///out/code_results.sqlite") as runner:
        outcomes = runner.run_jobs([Job(code, spec, language="python", limits=...), ...])

`runner.stats` counts jobs, cache hits and sandbox executions, so a rerun can show it executed 0.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from curation.code.cache import ResultCache, code_hash, tests_hash
from curation.code.harness import HARNESS_VERSION, Harness, TestOutcome, TestSpec, normalize_language
from curation.code.sandbox import Limits, Sandbox


@dataclass(frozen=True)
class Job:
    code: str
    spec: TestSpec
    language: str = "python"
    limits: Limits = field(default_factory=Limits)
    float_tolerance: float | None = None
    stop_on_failure: bool = False

    def key(self) -> tuple[str, str]:
        judge = {
            "language": self.language,
            "limits": self.limits.key(),
            "float_tolerance": self.float_tolerance,
            "stop_on_failure": self.stop_on_failure,
            "harness": HARNESS_VERSION,
        }
        return code_hash(self.language, self.code), tests_hash(self.spec.to_json(), judge)


@dataclass
class RunnerStats:
    jobs: int = 0
    cached: int = 0
    judged: int = 0
    executions: int = 0


def limits_for(settings, *, time_limit: float | None = None, memory_limit: int | None = None) -> Limits:
    """Per-problem limits: the source's time/memory limits (capped by the config), else the
    config's defaults."""
    cpu = min(time_limit or settings.time_limit, settings.max_time_limit)
    memory = min(max(memory_limit or settings.memory_limit_mb, 64), settings.max_memory_limit_mb)
    return Limits(cpu_seconds=cpu, memory_mb=memory, processes=settings.processes, output_bytes=settings.output_bytes)


class CodeRunner:
    """Owns a `Sandbox` (or uses the one given), a `Harness` and an optional `ResultCache`."""

    def __init__(self, settings, *, cache_url: str | None = None, sandbox: Sandbox | None = None):
        self.settings = settings
        self.workers = max(1, settings.workers or os.cpu_count() or 1)
        self._own_sandbox = sandbox is None
        self.sandbox = sandbox or Sandbox(workers=self.workers, unsafe_no_sandbox=settings.unsafe_no_sandbox)
        self.harness = Harness(self.sandbox, python=settings.python, cxx=settings.cxx)
        self.cache = ResultCache(cache_url) if cache_url else None
        self.stats = RunnerStats()

    def run_jobs(self, jobs: list[Job], *, progress: Callable[[int, int], None] | None = None) -> list[TestOutcome]:
        """Outcomes in job order. Identical jobs run once."""
        self.stats.jobs += len(jobs)
        keys = [job.key() for job in jobs]
        found = self.cache.lookup(keys) if self.cache else {}
        outcomes: dict[tuple[str, str], TestOutcome] = {k: TestOutcome.from_dict(v) for k, v in found.items()}
        todo: dict[tuple[str, str], Job] = {}
        for key, job in zip(keys, jobs):
            if key not in outcomes and key not in todo:
                todo[key] = job
        self.stats.cached += sum(1 for k in keys if k in found)

        def judge(item):
            key, job = item
            outcome = self.harness.run(
                job.code, job.spec, language=job.language, limits=job.limits,
                float_tolerance=job.float_tolerance, stop_on_failure=job.stop_on_failure,
            )
            if self.cache is not None and "sandbox_error" not in outcome.verdicts:
                self.cache.put(key, outcome.as_dict())
            return key, outcome

        done = 0
        if todo:
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="code-judge") as pool:
                for key, outcome in pool.map(judge, todo.items()):
                    outcomes[key] = outcome
                    self.stats.judged += 1
                    self.stats.executions += outcome.executions
                    done += 1
                    if progress:
                        progress(done, len(todo))
        return [outcomes[k] for k in keys]

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
        if self._own_sandbox:
            self.sandbox.close()

    def __enter__(self) -> "CodeRunner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def job_language(language: str | None) -> str:
    return normalize_language(language) or (language or "python")
