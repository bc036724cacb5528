"""`curate dedup` and `curate decontaminate`: mark duplicates / benchmark overlap, keep every row.

Both commands read any ingestable file (or a curate Parquet) and write one curate Parquet with the
new columns; rows are only *marked* (`drop_reason`), removal happens in the explicit drop step.
Heavy work is imported inside the command bodies so `curate --help` stays fast.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer


def _priorities(values: Optional[list[str]]) -> dict[str, int]:
    from curation.errors import ConfigError

    out: dict[str, int] = {}
    for v in values or []:
        name, sep, num = v.rpartition("=")
        if not sep or not name:
            raise ConfigError(f"--priority expects SOURCE=INT, got {v!r}")
        try:
            out[name] = int(num)
        except ValueError:
            raise ConfigError(f"--priority expects SOURCE=INT, got {v!r}") from None
    return out


@contextmanager
def _progress_bar(console, *, enabled: bool) -> Iterator[Callable[[int, int, dict], None]]:
    """A Rich bar for `mark_duplicates(progress=)`: rows signed of all rows, rate, ETA, then the
    phase running after the signatures (linking, clusters). Not shown when disabled or not a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("dedup", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}", markup=False),
        TextColumn("{task.fields[phase]}", markup=False),
        TimeElapsedColumn(),
        TextColumn("eta", markup=False),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
        transient=False,
    )
    task = bar.add_task("dedup", total=None, rate="", phase="")
    started = time.perf_counter()

    def on_progress(done: int, total: int, info: dict) -> None:
        elapsed = max(time.perf_counter() - started, 1e-9)
        phase = info.get("phase", "")
        rate = f"{done / elapsed:,.0f} rows/s" if done and phase == "signatures" else ""
        bar.update(task, completed=done, total=total, rate=rate, phase=phase.replace("signatures", "signing"))

    with bar:
        yield on_progress


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""

    @app.command("dedup")
    def dedup(
        input: Path = typer.Argument(..., help="Input: any ingestable file (JSONL/JSON/CSV/Parquet/HF) or a curate Parquet."),
        output: Path = typer.Argument(..., help="Output curate Parquet file (all rows, with dedup columns)."),
        config: Optional[Path] = typer.Option(
            None, "--config", "-c", help="Pipeline TOML: [dedup] settings and source priorities come from it."
        ),
        threshold: Optional[float] = typer.Option(None, help="Exact Jaccard threshold for near duplicates (default 0.5; the same-problem rule guards precision)."),
        num_perm: Optional[int] = typer.Option(None, "--num-perm", help="MinHash permutations (default 128)."),
        bands: Optional[int] = typer.Option(None, help="LSH bands (default 32)."),
        rows: Optional[int] = typer.Option(None, help="Rows per LSH band (default 4); bands*rows <= num-perm."),
        shingle: Optional[int] = typer.Option(None, help="Character shingle size (default 5)."),
        same_problem: Optional[bool] = typer.Option(
            None,
            "--same-problem/--text-only",
            help="A near duplicate must be the same problem: numbers, math and content words agree (default); "
            "--text-only: text similarity alone decides.",
        ),
        answer_confirmed: Optional[bool] = typer.Option(
            None,
            "--answer-confirmed/--no-answer-confirmed",
            help="Also link a reworded copy whose math and informative reference answer agree (default on).",
        ),
        index: Optional[Path] = typer.Option(
            None, "--index", help="Dedup index folder of an existing dataset: dedup against it (incremental)."
        ),
        update_index: bool = typer.Option(
            True, "--update-index/--no-update-index", help="With --index, append this batch's kept rows to the index."
        ),
        keep_duplicates: bool = typer.Option(
            False, "--keep-duplicates", help="Only mark clusters; do not set drop_reason on duplicates."
        ),
        priority: Optional[list[str]] = typer.Option(
            None, "--priority", help="SOURCE=INT source priority (higher wins as representative); repeatable."
        ),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
        review_db: Optional[str] = typer.Option(
            None, "--review-db",
            help="Review database (path or URL) whose 'not duplicates' cluster decisions are honoured "
            "(default: the config's review database when --config is given).",
        ),
    ) -> None:
        """Mark exact, same-template and near-duplicate problems (MinHash LSH + exact Jaccard + same-problem rule)."""
        import polars as pl
        from curation.cli.console import console as make_console

        from curation.config import DedupSettings, load_config
        from curation.dedup import dedup_summary, mark_duplicates, source_priority_from_config
        from curation.dedup import update_index as _update_index
        from curation.io import read_problems, write_problems

        settings = DedupSettings()
        prio: dict[str, int] = {}
        distinct: list[list[str]] = []
        if review_db is not None:
            from curation.errors import ReviewError
            from curation.review import ReviewQueue

            if "://" not in review_db and not Path(review_db).exists():
                raise ReviewError(f"no review queue at {review_db} (check --review-db)")
            with ReviewQueue(review_db) as queue:
                distinct = queue.distinct_groups()
        if config is not None:
            cfg = load_config(config)
            if review_db is None:
                from curation.review import distinct_groups_for

                distinct = distinct_groups_for(cfg)
            settings = cfg.dedup
            prio = source_priority_from_config(cfg)
            if index is None:
                index = cfg.dedup_index_dir()
        overrides = {
            k: v
            for k, v in dict(
                threshold=threshold, num_perm=num_perm, bands=bands, rows=rows, shingle_size=shingle,
                require_same_problem=same_problem, answer_confirmed=answer_confirmed,
            ).items()
            if v is not None
        }
        if index is not None and not update_index and not index.exists():
            from curation.errors import ConfigError

            # nothing would be read or written: a mistyped path would silently dedup against nothing
            raise ConfigError(f"no dedup index at {index} (--no-update-index only reads an existing index)")
        if keep_duplicates:
            overrides["drop_duplicates"] = False
        if overrides:
            settings = DedupSettings.model_validate({**settings.model_dump(), **overrides})
        prio.update(_priorities(priority))

        console = make_console(stderr=True)
        df = read_problems(input)
        stats: dict = {}
        with _progress_bar(console, enabled=progress) as on_progress:
            out = mark_duplicates(
                df, settings=settings, source_priority=prio, index_dir=index, stats=stats, progress=on_progress,
                not_duplicates=distinct,
            )
        write_problems(out, output)
        added = None
        if index is not None and update_index:
            kept = out.filter(pl.col("drop_reason").is_null() & pl.col("duplicate_of").is_null())
            added = _update_index(kept, index, settings)
        s = dedup_summary(out)
        console.print(
            f"dedup: {s['rows']} rows → {s['clusters']} clusters ({s['clustered_rows']} rows, max size "
            f"{s['max_cluster_size']}); duplicates {s['duplicates']} (exact {s['exact_duplicates']}, near "
            f"{s['near_duplicates']}); marked for drop {s['dropped_as_duplicate']}; conflicting clusters "
            f"{s['conflicting_clusters']}; template groups {s['template_groups']} ({s['template_rows']} rows); "
            f"LSH pairs checked {stats.get('candidates', 0)}, near edges {stats.get('verified_pairs', 0)}, "
            f"similar text but another problem {stats.get('rejected_not_same_problem', 0)}, "
            f"linked by their answers {stats.get('answer_confirmed_pairs', 0)}"
            + (f"; existing rows matched {stats.get('existing_involved', 0)}" if index is not None else "")
            + (f"; index +{added} rows" if added is not None else ""),
            highlight=False,
        )
        console.print(f"wrote {output}", highlight=False)

    @app.command("decontaminate")
    def decontaminate(
        input: Path = typer.Argument(..., help="Input: any ingestable file or a curate Parquet."),
        output: Path = typer.Argument(..., help="Output curate Parquet file (all rows, with contam_* columns)."),
        benchmark: Optional[list[Path]] = typer.Option(
            None, "--benchmark", "-b", help="Benchmark file (any ingestable format, default field recognition); repeatable. Name = file stem."
        ),
        config: Optional[Path] = typer.Option(
            None, "--config", "-c", help="Pipeline TOML: [decontaminate] settings and benchmarks (with their mapping) come from it."
        ),
        ngram: Optional[int] = typer.Option(None, help="Token n-gram length (default 5)."),
        keep: bool = typer.Option(False, "--keep", help="Only flag; do not set drop_reason='contaminated'."),
        no_digit_mask: bool = typer.Option(False, "--no-digit-mask", help="Do not look for template matches (other numbers)."),
        answer_confirmed: Optional[bool] = typer.Option(
            None,
            "--answer-confirmed/--no-answer-confirmed",
            help="Also flag a reworded copy whose informative reference answer agrees with the item's (evidence kind "
            "'answer'; default on, [decontaminate] answer_confirmed).",
        ),
    ) -> None:
        """Flag problems that are the same problem as a benchmark item (and template matches: other numbers)."""
        from curation.cli.console import console as make_console

        from curation.config import DecontaminateSettings, SourceConfig, load_config
        from curation.decontaminate import contamination_summary, load_benchmarks, mark_contamination
        from curation.errors import ConfigError
        from curation.io import read_problems, write_problems

        settings, base_dir = DecontaminateSettings(), Path(".")
        if config is not None:
            cfg = load_config(config)
            settings, base_dir = cfg.decontaminate, Path(cfg.base_dir)
        sources = list(settings.benchmarks) + [SourceConfig(path=str(p.resolve())) for p in benchmark or []]
        if not sources:
            raise ConfigError("decontaminate: no benchmark given (--benchmark FILE or [[decontaminate.benchmarks]] in --config)")
        overrides: dict = {"benchmarks": []}
        if ngram is not None:
            overrides["ngram"] = ngram
        if keep:
            overrides["drop_contaminated"] = False
        if no_digit_mask:
            overrides["digit_masked"] = False
        if answer_confirmed is not None:
            overrides["answer_confirmed"] = answer_confirmed
        settings = DecontaminateSettings.model_validate({**settings.model_dump(), **overrides})
        console = make_console(stderr=True)
        benches = load_benchmarks(sources, base_dir=base_dir)
        df = read_problems(input)
        out = mark_contamination(df, benchmarks=benches, settings=settings)
        write_problems(out, output)
        s = contamination_summary(out)
        per = ", ".join(
            f"{name}: {v['problem']}" + (f" ({v['answer']} by answer)" if v.get("answer") else "")
            + (f" +{v['template']} template" if v["template"] else "")
            for name, v in s["benchmarks"].items()
        )
        console.print(
            f"decontaminate: {out.height} rows; contaminated {s['rows']} ({per}); marked for drop {s['dropped']}",
            highlight=False,
        )
        console.print(f"wrote {output}", highlight=False)
