"""Scheduled work: nightly curation of a watched folder, weekly puzzle generation at the curriculum's
level mix, and `build_deployments` / `serve_schedules` behind `curate serve`.

Two ways to run them on a schedule (docs/orchestration.md):
- `curate serve --config data/curate.toml`: one long-running process serves the deployments built
  from `[[prefect.schedules]]` with their cron expressions (`prefect.serve`); runs execute in that
  process. Needs `PREFECT_API_URL` (a `prefect server start`) so the schedules persist.
- `prefect deploy --all` with `prefect.yaml` at the repo root, and `prefect worker start --pool
  curate-pool`: the server schedules runs and a worker executes them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.task_runners import ThreadPoolTaskRunner

from curation.config import PipelineConfig, SourceConfig
from flows.pipeline import curation_pipeline, run_stages
from flows.stages import load_run_config

#: file types picked up from a watched folder
WATCH_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet")


def watched_sources(folder: Path, template: list[SourceConfig] | None = None) -> list[SourceConfig]:
    """One source per input file in `folder` (sorted; hidden files and sub-folders ignored).

    A file whose stem matches a configured source's name takes that source's mapping and priority.
    """
    by_name = {(s.name or Path(s.path).stem): s for s in (template or [])}
    sources = []
    for p in sorted(folder.iterdir()):
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in WATCH_SUFFIXES:
            base = by_name.get(p.stem)
            if base is not None:
                sources.append(base.model_copy(update={"path": str(p.resolve()), "format": None}))
            else:
                sources.append(SourceConfig(name=p.stem, path=str(p.resolve())))
    return sources


@flow(name="curate-watched-folder", task_runner=ThreadPoolTaskRunner(max_workers=4))
def curate_watched_folder(config_path: str, folder: str, output_dir: str | None = None) -> dict[str, Any]:
    """The pipeline over every input file currently in `folder` (e.g. nightly).

    Unchanged files and settings hit the stage cache, so a night with no new files costs seconds.
    """
    cfg = load_run_config(config_path, output_dir)
    src = cfg.resolve(folder)
    if src is None or not src.is_dir():
        from curation.errors import SourceError

        raise SourceError(f"watched folder not found: {src}")
    sources = watched_sources(src, cfg.sources)
    if not sources:
        get_run_logger().info("no input files in %s; nothing to do", src)
        return {"out_dir": str(cfg.output_path), "dataset_dir": None, "stages": [], "destinations": {}, "quarantined": 0}
    cfg = cfg.model_copy(update={"sources": sources})
    return run_stages(cfg)


# --- weekly puzzle generation ---------------------------------------------------------------------


def measured_pass_rates(dataset_dir: Path | None, generator: str) -> dict[int, float]:
    """Mean pass rate per level of a generator's puzzles in an exported dataset (empty if none)."""
    import polars as pl

    if dataset_dir is None or not dataset_dir.exists():
        return {}
    files = sorted(dataset_dir.rglob("*.parquet"))
    if not files:
        return {}
    try:
        df = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")
    except Exception:
        return {}
    needed = {"kind", "source", "level", "difficulty"}
    if not needed <= set(df.columns):
        return {}
    df = df.filter((pl.col("kind") == "puzzle") & pl.col("source").str.contains(generator) & pl.col("level").is_not_null())
    if df.height == 0:
        return {}
    rates = (
        df.with_columns(
            pl.col("difficulty").list.eval(pl.element().struct.field("pass_rate").drop_nulls()).list.mean().alias("_rate")
        )
        .drop_nulls("_rate")
        .group_by("level")
        .agg(pl.col("_rate").mean())
    )
    return {int(r["level"]): float(r["_rate"]) for r in rates.iter_rows(named=True)}


def week_seed(when: datetime | None = None) -> int:
    """A seed base that changes every ISO week (so each weekly batch is new but reproducible)."""
    when = when or datetime.now(timezone.utc)
    year, week, _ = when.isocalendar()
    return (year * 100 + week) * 1_000_000


@flow(name="curate-generate-puzzles", task_runner=ThreadPoolTaskRunner(max_workers=4))
def generate_puzzles(
    output_dir: str,
    generators: list[str] | None = None,
    count: int = 1000,
    seed: int | None = None,
    dataset_dir: str | None = None,
    chunk_rows: int = 500,
) -> dict[str, Any]:
    """Generate `count` puzzles per generator at the curriculum's level mix, in seed chunks.

    The mix comes from `generators.propose_level_mix` over the pass rates measured on the puzzles of
    the dataset at `dataset_dir` (uniform over levels when nothing is measured yet). Writes
    `<output_dir>/puzzles/<generator>-<seed>.parquet`; returns the files and the mix per generator.
    """
    import polars as pl

    from flows import chunks, tasks
    from flows.fingerprint import code_digest
    from generators import levels, propose_level_mix
    from generators.registry import generator_names

    names = generators or generator_names()
    base_seed = week_seed() if seed is None else seed
    out_dir = Path(output_dir).expanduser().resolve() / "puzzles"
    work = out_dir / ".chunks"
    work.mkdir(parents=True, exist_ok=True)
    code = code_digest()
    chunk_task = tasks.generate_chunk_task.with_options(result_storage=work.resolve(), persist_result=True)
    result: dict[str, Any] = {"files": {}, "mix": {}, "seed": base_seed}
    mix_rows = []
    for name in names:
        lv = sorted(levels(name))
        rates = measured_pass_rates(Path(dataset_dir).expanduser() if dataset_dir else None, name)
        mix = propose_level_mix(rates, total=count, levels=lv)
        result["mix"][name] = mix
        futures, offset = [], 0
        for level, n in sorted(mix.items()):
            if n <= 0:
                continue
            level_seed = base_seed + offset
            offset += n
            for seeds in chunks.seed_chunks(name, count=n, level=level, seed=level_seed, size=max(1, chunk_rows)):
                target = work / f"{name}_L{level}_{seeds[0]}_{len(seeds)}.parquet"
                futures.append(
                    chunk_task.submit(
                        generator=name, level=level, first=seeds[0], last=seeds[-1], seeds=seeds, code=code,
                        out_file=str(target),
                    )
                )
            mix_rows.append({"generator": name, "level": level, "count": n, "pass_rate": rates.get(level)})
        files = [f.result()["file"] for f in futures]
        target = out_dir / f"{name}-{base_seed}.parquet"
        if files:
            from curation.io import write_problems

            write_problems(pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed"), target)
            result["files"][name] = str(target)
    try:
        from prefect.artifacts import create_table_artifact

        create_table_artifact(mix_rows or [{"generator": "-", "level": 0, "count": 0}], key="puzzle-level-mix",
                              description="Puzzles generated per generator and level (curriculum mix).")
    except Exception:  # pragma: no cover - artifacts are a nicety
        pass
    return result


# --- schedules from the config (`curate serve`) ---------------------------------------------------


def build_deployments(cfg: PipelineConfig, config_path: str | Path) -> list:
    """A `RunnerDeployment` per `[[prefect.schedules]]` entry, with its cron schedule."""
    from prefect.schedules import Cron

    from curation.errors import ConfigError

    config_path = str(Path(config_path).expanduser().resolve())
    deployments = []
    for i, sched in enumerate(cfg.prefect.schedules):
        run_config = str(cfg.resolve(sched.config).resolve()) if sched.config else config_path
        out = str(cfg.resolve(sched.output_dir).resolve()) if sched.output_dir else None
        schedule = Cron(sched.cron, timezone=sched.timezone)
        if sched.kind == "curation":
            target, params = curation_pipeline, {"config_path": run_config, "output_dir": out}
        elif sched.kind == "watch":
            if not sched.watch:
                raise ConfigError(f"prefect.schedules[{i}].watch: required for kind = 'watch'")
            folder = str(cfg.resolve(sched.watch).resolve())
            target, params = curate_watched_folder, {"config_path": run_config, "folder": folder, "output_dir": out}
        else:
            puzzles_out = out or str(cfg.output_path.resolve())
            dataset = str((cfg.output_path / "dataset").resolve())
            target = generate_puzzles
            params = {
                "output_dir": puzzles_out,
                "generators": sched.generators,
                "count": sched.count,
                "seed": sched.seed or None,
                "dataset_dir": dataset,
                "chunk_rows": cfg.prefect.chunk_rows,
            }
        params = {k: v for k, v in params.items() if v is not None}
        deployments.append(
            target.to_deployment(name=sched.name, schedules=[schedule], parameters=params, tags=["curate", sched.kind])
        )
    return deployments


def serve_schedules(cfg: PipelineConfig, config_path: str | Path, *, limit: int | None = None) -> None:
    """Serve the configured deployments until interrupted (`prefect.serve`)."""
    from prefect import serve

    from curation.errors import ConfigError

    deployments = build_deployments(cfg, config_path)
    if not deployments:
        raise ConfigError("no [[prefect.schedules]] in the config: nothing to serve")
    serve(*deployments, limit=limit)
