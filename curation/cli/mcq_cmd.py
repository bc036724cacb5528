"""`curate convert-mcq`: multiple-choice → fill-in conversion (curation/mcq/, docs/mcq.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""

    @app.command("convert-mcq")
    def convert_mcq(
        input: Path = typer.Argument(..., help="Problems: a curate Parquet file/folder or any ingestable file."),
        output: Path = typer.Argument(..., help="Parquet file to write (all rows, with mcq_* columns)."),
        keep_not_convertible: bool = typer.Option(
            False, "--keep-not-convertible",
            help="Do not set drop_reason on items that cannot be converted (they stay multiple choice).",
        ),
        text_answers: bool = typer.Option(
            False, "--text-answers", help="Also convert items whose answer is a short text (a term, a name)."),
        model_mode: bool = typer.Option(
            False, "--model-mode", help="Ask a model to rewrite stems the rules could not convert."),
        base_url: Optional[str] = typer.Option(
            None, "--base-url", help="OpenAI-compatible endpoint for --model-mode (default: embedded SmolLM2, mechanics only)."),
        model: Optional[str] = typer.Option(None, "--model", help="Model name at the endpoint."),
        api_key_env: Optional[str] = typer.Option(
            None, "--api-key-env", help="Name of the environment variable holding the API key."),
        concurrency: Optional[int] = typer.Option(None, "--concurrency", help="Requests in flight (model mode)."),
        config: Optional[Path] = typer.Option(
            None, "--config", "-c", help="Pipeline TOML; its mcq and difficulty.model sections give the defaults."),
    ) -> None:
        """Convert multiple-choice items to fill-in form; print counts by outcome and reason."""
        from curation.cli.console import console as make_console, styled
        from rich.table import Table

        from curation.config import McqSettings, ModelSettings, load_config
        from curation.io import read_problems, write_problems
        from curation.mcq import convert_multiple_choice, mcq_alarms, mcq_counts

        if config is not None:
            cfg = load_config(config)
            settings, model_settings = cfg.mcq, cfg.difficulty.model
        else:
            settings, model_settings = McqSettings(), ModelSettings()
        updates = {}
        if keep_not_convertible:
            updates["drop_not_convertible"] = False
        if text_answers:
            updates["text_answers"] = True
        if model_mode:
            updates["model_mode"] = True
        settings = settings.model_copy(update=updates)
        model_updates = {k: v for k, v in {"base_url": base_url, "model": model, "api_key_env": api_key_env,
                                            "concurrency": concurrency}.items() if v is not None}
        model_settings = model_settings.model_copy(update=model_updates)

        df = read_problems(input)
        out = convert_multiple_choice(df, settings=settings, model=model_settings)
        write_problems(out, output)

        counts = mcq_counts(out)
        console = make_console()
        table = Table(title=f"convert-mcq: {df.height} rows → {output}")
        table.add_column("outcome")
        table.add_column("reason")
        table.add_column("items", justify="right")
        for method, n in sorted(counts["by_method"].items()):
            table.add_row("converted", f"by {method}", str(n))
        for status in ("not_convertible", "review"):
            for reason, n in sorted(counts[status].items(), key=lambda kv: -kv[1]):
                table.add_row(status, reason, str(n))
        table.add_row("not multiple choice", "", str(counts["not_mcq"]))
        console.print(table)
        for alarm in mcq_alarms(out):  # every multiple-choice row of a source refused for one reason: say so loudly
            console.print(styled(("ALARM", "bold red"), " ", alarm.message()))
