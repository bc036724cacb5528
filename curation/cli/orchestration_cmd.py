"""`curate schedule` (show the configured schedules) and `curate serve` (serve them with Prefect).

Prefect is imported inside the command bodies only: `curate --help` and every other command stay
fast and never start a Prefect server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

DEFAULT_CONFIG = Path("data/curate.toml")


def register(app: typer.Typer) -> None:
    """Add `schedule` and `serve` to the app."""

    @app.command()
    def schedule(
        config: Path = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Pipeline config (TOML)."),
        count: int = typer.Option(3, help="Next run times to show per schedule."),
    ) -> None:
        """List the configured Prefect schedules (prefect.schedules) with their next run times; no server needed."""
        from datetime import datetime, timezone

        from curation.cli.console import console as make_console, styled
        from rich.table import Table

        from curation.config import load_config
        from curation.errors import ConfigError

        cfg = load_config(config)
        console = make_console()
        if not cfg.prefect.schedules:
            console.print("no [[prefect.schedules]] in the config (see docs/orchestration.md)")
            return
        try:  # cronsim comes with Prefect (via pydocket); Prefect's own schedule classes use it too
            from cronsim import CronSim, CronSimError
        except ImportError:  # pragma: no cover
            CronSim, CronSimError = None, ValueError

        table = Table(title=f"schedules in {config}")
        for col in ("name", "kind", "cron", "timezone", "target", f"next {count} runs"):
            table.add_column(col)
        for i, s in enumerate(cfg.prefect.schedules):
            try:
                from zoneinfo import ZoneInfo

                now = datetime.now(timezone.utc).astimezone(ZoneInfo(s.timezone))
                if CronSim is None:
                    nxt = ["-"]
                else:
                    it = CronSim(s.cron, now)
                    nxt = [next(it).strftime("%Y-%m-%d %H:%M") for _ in range(count)]
            except (CronSimError, Exception) as exc:
                raise ConfigError(f"prefect.schedules[{i}].cron: invalid cron {s.cron!r} ({exc})") from None
            target = s.watch if s.kind == "watch" else (", ".join(s.generators) if s.kind == "puzzles" else (s.config or str(config)))
            table.add_row(s.name, s.kind, s.cron, s.timezone, str(target), ", ".join(nxt))
        console.print(table)
        console.print(styled("serve them with ", ("curate serve", "bold"), " (needs PREFECT_API_URL; see docs/orchestration.md)"))

    @app.command()
    def serve(
        config: Path = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Pipeline config (TOML)."),
        limit: Optional[int] = typer.Option(None, help="Most flow runs to execute at once."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Build the deployments and list them; serve nothing."),
    ) -> None:
        """Serve the configured schedules (nightly curation, weekly puzzles, ...) as Prefect deployments."""
        import os

        from curation.cli.console import console as make_console, styled

        from curation.config import load_config

        console = make_console()
        cfg = load_config(config)
        if not dry_run and not os.environ.get("PREFECT_API_URL"):
            console.print(styled(
                ("note:", "bold yellow"),
                " PREFECT_API_URL is not set: the schedules live in a temporary server "
                "that stops with this process. Start one with `prefect server start` and export PREFECT_API_URL.",
            ))
        from flows.deployments import build_deployments, serve_schedules

        if dry_run:
            for d in build_deployments(cfg, config):
                crons = ", ".join(getattr(s.schedule, "cron", "?") for s in (d.schedules or []))
                console.print(f"{d.flow_name}/{d.name}  cron: {crons}  parameters: {d.parameters}")
            return
        serve_schedules(cfg, config, limit=limit)
