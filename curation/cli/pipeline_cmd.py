"""`curate run`: the whole pipeline from one config."""

from __future__ import annotations

import logging
import os
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

DEFAULT_CONFIG = Path("data/curate.toml")


def _install_once(logger: logging.Logger, new: logging.Filter) -> None:
    """Add `new` to `logger` unless an equal filter (same class, same settings) is there already:
    `curate run` may run several times in one process (tests, notebooks)."""
    if not any(type(f) is type(new) and vars(f) == vars(new) for f in logger.filters):
        logger.addFilter(new)


class _AlreadySaid(logging.Filter):
    """Drops a logger's records of `message`: the CLI has printed it already, in its own words."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.message


def _said_once(logger: logging.Logger, message: str) -> None:
    _install_once(logger, _AlreadySaid(message))


# the loggers Prefect's engine reports a failed task / flow run on (with the traceback)
PREFECT_RUN_LOGGERS = ("prefect.task_runs", "prefect.flow_runs")


class _NoTracebackForCurateErrors(logging.Filter):
    """A named curate error (bad input, a refused export, a strict alarm) is one line, also under
    Prefect: its engine logs a failed task and then the failed flow with the whole traceback (two of
    them, ~90 lines) before the CLI prints the error. The record stays, without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        from curation.errors import CurateError

        if record.exc_info and isinstance(record.exc_info[1], CurateError):
            record.exc_info, record.exc_text = None, None
        return True


def quiet_curate_error_tracebacks() -> None:
    """Install `_NoTracebackForCurateErrors` on Prefect's run loggers (once)."""
    for name in PREFECT_RUN_LOGGERS:
        _install_once(logging.getLogger(name), _NoTracebackForCurateErrors())


class Engine(str, Enum):
    auto = "auto"
    local = "local"
    prefect = "prefect"


def register(app: typer.Typer) -> None:
    """Add `run` and `stage` to the app."""

    @app.command("stage")
    def stage(
        name: str = typer.Argument(..., help="A registered stage (curation.pipeline.PIPELINE), e.g. clean, dedup; an unknown name lists them all.", show_default=False),
        input: Optional[str] = typer.Argument(
            None, help="Input file (default: the previous stage's work file under output_dir/work)."
        ),
        output: Optional[Path] = typer.Argument(None, help="Output Parquet (default: the stage's work file)."),
        config: Path = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Pipeline config (TOML)."),
    ) -> None:
        """Run one pipeline stage with the config's settings, as `curate run` would."""
        from curation.cli.console import console as make_console, styled
        from curation.config import load_config
        from curation.errors import ConfigError
        from curation.pipeline import PIPELINE, Workspace, run_stage

        cfg = load_config(config)
        if name not in PIPELINE:
            raise ConfigError(f"unknown stage {name!r}; stages: {', '.join(PIPELINE.names())}")
        ws = Workspace(cfg)
        before = PIPELINE.previous(name)
        source = Path(input) if input else (ws.stage_file(before.name) if before else None)
        if source is not None and not input and not source.exists():
            raise ConfigError(f"{name}: {source} does not exist; run the earlier stages or give an input file")
        ws.work.mkdir(parents=True, exist_ok=True)
        out, count = run_stage(ws, name, source, out_file=output)
        dropped, review = sum(count.dropped.values()), sum(count.review.values())
        flag = " (disabled in config)" if count.skipped else ""
        make_console().print(styled(
            f"{name}: {count.rows} rows, {dropped} dropped, {review} to review{flag} -> {out}",
            ("  " + count.note if count.note and not count.skipped else "", "dim"),
        ))

    @app.command()
    def run(
        config: Path = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Pipeline config (TOML)."),
        output: Optional[Path] = typer.Option(None, "--output", "-o", help="Override the config's output_dir."),
        engine: Engine = typer.Option(
            Engine.auto,
            help="local: run the stages in-process; prefect: run them as Prefect flows; "
            "auto: prefect when PREFECT_API_URL is set, else local (no 20-50 s server start-up).",
        ),
        task_runner: Optional[str] = typer.Option(
            None, help="Prefect task runner: thread, process or dask (overrides the config)."
        ),
        dask_address: Optional[str] = typer.Option(None, help="Address of an existing Dask scheduler."),
        allow_empty: bool = typer.Option(
            False, "--allow-empty", help="Let a run with no kept rows replace a dataset that has some."),
        strict: bool = typer.Option(
            False, "--strict", help="A sanity alarm (a source mis-read: most rows one drop reason, worked solutions as answers, "
            "a question fragment) stops the run with exit 2 instead of a warning."
        ),
    ) -> None:
        """Run every configured stage (ingest, clean, MCQ, dedup, decontaminate, difficulty, review) and export."""
        from curation.cli.console import console as make_console, styled
        from rich.table import Table

        from curation.config import load_config
        from curation.pipeline import run_pipeline

        console = make_console()
        cfg = load_config(config)
        if output is not None:
            cfg.output_dir = str(output.resolve())
        if allow_empty:
            cfg.export.allow_empty = True
        if strict:
            cfg.clean.strict_alarms = True
        if cfg.difficulty.enabled and not cfg.difficulty.model.base_url:
            console.print(styled(
                ("note:", "bold yellow"),
                " difficulty uses the embedded SmolLM2-135M model. Its answers to competition "
                "math are near-random: this run demonstrates the mechanics only. For real curation set ",
                ("difficulty.model.base_url", "bold"), " to a real OpenAI-compatible endpoint.",
            ))
            from curation.model.embedded import DEMO_WARNING

            _said_once(logging.getLogger("curation.difficulty"), DEMO_WARNING)  # the note above says it
        use_prefect = engine == Engine.prefect or (engine == Engine.auto and os.environ.get("PREFECT_API_URL"))
        if use_prefect:
            from flows.pipeline import run_with_prefect

            quiet_curate_error_tracebacks()
            if not os.environ.get("PREFECT_API_URL"):
                console.print("Starting Prefect's temporary API server (20-50 s on a small machine)...")
            report = run_with_prefect(
                config,
                task_runner=task_runner,
                dask_address=dask_address,
                output_dir=str(output.resolve()) if output else None,
                allow_empty=allow_empty,
                strict=strict,
            )
        else:

            def show(count) -> None:
                dropped = sum(count.dropped.values())
                flag = " (disabled)" if count.skipped else ""
                # one line of figures that fits 80 columns; the stage's note goes on its own line
                console.print(styled(
                    ("✓", "green"),
                    f" {count.stage:<13} {count.rows:>8} rows {dropped:>7} dropped {sum(count.review.values()):>5} review"
                    f" {count.seconds:6.1f}s" + (f"  peak {count.peak_rss_mb:,.0f} MB" if count.peak_rss_mb else "") + flag,
                ))
                if count.note:
                    console.print(styled(("    " + count.note, "dim")))

            import time

            from curation.run_report import collect_run_facts, write_run_report

            started = time.perf_counter()
            from curation.cli.progress import PipelineProgress

            with PipelineProgress(console) as live:
                report = run_pipeline(cfg, on_stage=live.finished(show), on_progress=live.update)
            facts = collect_run_facts(
                report,
                last_file=report.last_file,
                review_url=report.review_url,
                seconds=time.perf_counter() - started,
            )
            console.print(f"run report: {write_run_report(facts)}")

        console.print("Where every input row went", style="bold")
        table = Table()
        table.add_column("destination")
        table.add_column("rows", justify="right")
        for name, n in report.destinations.items():
            table.add_row(name, str(n))
        console.print(table)
        console.print(styled("dataset: ", (str(report.dataset_dir or report.out_dir), "bold")))
        for message in report.alarms:  # plain text: the message quotes source rows
            typer.echo(f"warning: {message}", err=True)
