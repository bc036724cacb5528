"""`curate difficulty`: sample a model k times per item, drop easy items, flag disputed references.

Heavy imports (openai, sqlalchemy, polars, the verifier) happen inside the command body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""

    @app.command("difficulty")
    def difficulty(
        input: Path = typer.Argument(..., help="Problems: a curate Parquet file/folder or any ingestable file."),
        output: Path = typer.Argument(..., help="Output curate Parquet: every row, with the difficulty columns set."),
        base_url: Optional[str] = typer.Option(
            None, "--base-url",
            help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1. Omitted (and not in the config): "
                 "the embedded SmolLM2-135M demo server is started (mechanics only, near-random answers).",
        ),
        model: Optional[str] = typer.Option(None, "--model", help="Model name sent to the endpoint (part of the cache key)."),
        api_key_env: Optional[str] = typer.Option(
            None, "--api-key-env",
            help="NAME of the environment variable holding the API key (never the key itself). Default: a dummy key.",
        ),
        k: Optional[int] = typer.Option(None, "--k", help="Samples per item (default 4)."),
        temperature: Optional[float] = typer.Option(None, "--temperature", help="Sampling temperature (default 0.7)."),
        top_p: Optional[float] = typer.Option(None, "--top-p", help="Nucleus sampling top_p (default 0.95)."),
        max_tokens: Optional[int] = typer.Option(None, "--max-tokens", help="Max tokens per sample (default 512)."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Base seed; sample i of a single request uses seed+i."),
        concurrency: Optional[int] = typer.Option(None, "--concurrency", help="Most HTTP requests in flight (default 16)."),
        timeout: Optional[float] = typer.Option(None, "--timeout", help="Per-request timeout in seconds (default 120)."),
        max_retries: Optional[int] = typer.Option(None, "--max-retries", help="Retries on 429/5xx/timeouts/connection errors (default 5)."),
        easy_threshold: Optional[int] = typer.Option(None, "--easy-threshold", help="Drop as too easy when correct >= this (default k)."),
        dispute_share: Optional[float] = typer.Option(None, "--dispute-share", help="Majority share that disputes a reference (default 0.75)."),
        sample_limit: Optional[int] = typer.Option(None, "--sample-limit", help="Grade only the first N eligible items."),
        max_unscored_share: Optional[float] = typer.Option(
            None, "--max-unscored-share",
            help="Fail (exit 2) when more than this share of graded items is unscored (default 0.2).",
        ),
        store: Optional[str] = typer.Option(
            None, "--store",
            help="Response store: SQLAlchemy URL or SQLite file path. Default: the config's difficulty.store_url, "
                 "else responses.sqlite next to OUT. Reruns with the same settings make no requests.",
        ),
        evidence_path: Optional[Path] = typer.Option(
            None, "--evidence", help="Where to write the review evidence JSON {id: {...}} (default: OUT with .evidence.json)."
        ),
        config: Optional[Path] = typer.Option(None, "--config", help="Pipeline TOML; its [difficulty] section is the base, flags override it."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
    ) -> None:
        """Grade difficulty by sampling a model k times per item; drop items it always solves.

        Every sample is stored as it arrives (resumable; a rerun makes zero requests). Items whose samples cannot be obtained are left unscored (never dropped). Disputed references get review_reason=disputed_reference and their evidence is written next to OUT.

        Without --base-url the embedded SmolLM2-135M demo server is used: mechanics only, its decisions are meaningless.
        """
        import json
        import logging
        import time

        from curation.cli.console import console as make_console, styled
        from rich.panel import Panel
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        from rich.table import Table

        from curation.config import DifficultySettings, load_config
        from curation.difficulty import grade_difficulty
        from curation.model.store import store_stats
        from curation.model.embedded import DEMO_WARNING
        from curation.frames import with_review_evidence
        from curation.io import read_problems, sqlite_url, write_problems

        console = make_console(stderr=True)
        cfg = load_config(config) if config else None
        settings = cfg.difficulty if cfg else DifficultySettings()
        model_over = {
            key: value
            for key, value in {
                "base_url": base_url, "model": model, "api_key_env": api_key_env, "concurrency": concurrency,
                "request_timeout": timeout, "max_retries": max_retries,
            }.items()
            if value is not None
        }
        over = {
            key: value
            for key, value in {
                "k": k, "temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "seed": seed,
                "easy_threshold": easy_threshold, "dispute_share": dispute_share, "sample_limit": sample_limit,
                "max_unscored_share": max_unscored_share,
            }.items()
            if value is not None
        }
        from curation.config import config_from_dict

        data = settings.model_dump()
        data["model"].update(model_over)
        data.update(over)
        settings = config_from_dict({"difficulty": data}, origin="difficulty options").difficulty

        if store is not None:
            url = sqlite_url(store)
        elif settings.store_url:
            url = settings.store_url if "://" in settings.store_url else sqlite_url(
                str(cfg.resolve(settings.store_url) if cfg else settings.store_url))
        else:
            url = sqlite_url(str(output.parent / "responses.sqlite"))

        logging.getLogger("httpx2").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        if not settings.model.base_url:
            console.print(Panel(DEMO_WARNING, title="DEMO MODEL", border_style="bold red"), highlight=False)

        df = read_problems(input)
        from curation.model.store import _redact_db_url

        console.print(f"read {df.height} rows from {input}; response store {_redact_db_url(url)}", highlight=False)

        bar = Progress(
            TextColumn("[bold]difficulty"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rps]:>6.1f} req/s"),
            TextColumn("cache {task.fields[cache]}"),
            TextColumn("req {task.fields[requests]}"),
            TextColumn("err {task.fields[errors]}"),
            TimeRemainingColumn(),
            console=console,
            disable=not progress,
            transient=False,
        )
        task = bar.add_task("difficulty", total=None, rps=0.0, cache=0, requests=0, errors=0)

        def on_progress(done: int, total: int, info: dict) -> None:
            elapsed = info.get("elapsed") or 0.0
            bar.update(
                task, completed=done, total=total,
                rps=(info["requests"] / elapsed) if elapsed > 0 else 0.0,
                cache=info["cache_hits"], requests=info["requests"], errors=sum(info["errors"].values()),
            )

        started = time.perf_counter()
        with bar:
            out, evidence = grade_difficulty(df, settings=settings, store_url=url, progress=on_progress)
            out = with_review_evidence(out, evidence)
        elapsed = time.perf_counter() - started

        write_problems(out, output)
        ev_path = evidence_path or output.with_suffix(".evidence.json")
        ev_path.parent.mkdir(parents=True, exist_ok=True)
        ev_path.write_text(json.dumps(evidence, ensure_ascii=False, indent=1), encoding="utf-8")

        stats = store_stats(url)
        run = stats["last_runs"][0] if stats["last_runs"] else {}
        import polars as pl

        last = out.select(pl.col("difficulty").list.last().alias("r"), "drop_reason", "review_reason", "difficulty_label")
        graded = last.filter(pl.col("r").is_not_null())
        table = Table(title=f"difficulty ({settings.model.model if settings.model.base_url else 'embedded demo model'})")
        table.add_column("what")
        table.add_column("count", justify="right")
        rows = [
            ("rows", out.height),
            ("graded", graded.filter(pl.col("r").struct.field("status") == "scored").height),
            ("unscored (kept, not dropped)", graded.filter(pl.col("r").struct.field("status") == "unscored").height),
            ("dropped: too_easy", out.filter(pl.col("drop_reason") == "too_easy").height),
            ("review: disputed_reference", out.filter(pl.col("review_reason") == "disputed_reference").height),
            ("review: unparseable_reference", out.filter(pl.col("review_reason") == "unparseable_reference").height),
        ]
        for label in ("easy", "medium", "hard", "unsolved"):
            rows.append((f"label {label}", out.filter(pl.col("difficulty_label") == label).height))
        rows += [
            ("requests (this run)", run.get("requests") or 0),
            ("cache hits (this run)", run.get("cache_hits") or 0),
            ("retries (this run)", run.get("retries") or 0),
            ("tokens prompt/completion (this run)", f"{run.get('prompt_tokens') or 0}/{run.get('completion_tokens') or 0}"),
        ]
        for name, value in rows:
            table.add_row(name, str(value))
        console.print(table)
        console.print(f"wrote {output} and {ev_path} in {elapsed:.1f}s", highlight=False)
        if not settings.model.base_url:
            console.print(styled(
                ("reminder:", "bold red"),
                " decisions above come from the embedded SmolLM2-135M demo model "
                "(mechanics only); use --base-url with a real model for real curation.",
            ))
