"""`curate dedup` and `curate decontaminate`: mark duplicates / benchmark overlap, keep every row.

Both commands read any ingestable file (or a curate Parquet) and write one curate Parquet with the
new columns; rows are only *marked* (`drop_reason`), removal happens in the explicit drop step.
Heavy work is imported inside the command bodies so `curate --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

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


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""

    @app.command("dedup")
    def dedup(
        input: Path = typer.Argument(..., help="Input: any ingestable file (JSONL/JSON/CSV/Parquet/HF) or a curate Parquet."),
        output: Path = typer.Argument(..., help="Output curate Parquet file (all rows, with dedup columns)."),
        config: Optional[Path] = typer.Option(
            None, "--config", "-c", help="Pipeline TOML: [dedup] settings and source priorities come from it."
        ),
        threshold: Optional[float] = typer.Option(None, help="Exact Jaccard threshold for near duplicates (default 0.8)."),
        num_perm: Optional[int] = typer.Option(None, "--num-perm", help="MinHash permutations (default 128)."),
        bands: Optional[int] = typer.Option(None, help="LSH bands (default 16)."),
        rows: Optional[int] = typer.Option(None, help="Rows per LSH band (default 8); bands*rows <= num-perm."),
        shingle: Optional[int] = typer.Option(None, help="Character shingle size (default 5)."),
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
    ) -> None:
        """Mark exact, same-template and near-duplicate problems (MinHash LSH + exact Jaccard)."""
        import polars as pl
        from rich.console import Console

        from curation.config import DedupSettings, load_config
        from curation.dedup import dedup_summary, mark_duplicates, source_priority_from_config
        from curation.dedup import update_index as _update_index
        from curation.io import read_problems, write_problems

        settings = DedupSettings()
        prio: dict[str, int] = {}
        if config is not None:
            cfg = load_config(config)
            settings = cfg.dedup
            prio = source_priority_from_config(cfg)
            if index is None:
                index = cfg.dedup_index_dir()
        overrides = {
            k: v
            for k, v in dict(threshold=threshold, num_perm=num_perm, bands=bands, rows=rows, shingle_size=shingle).items()
            if v is not None
        }
        if keep_duplicates:
            overrides["drop_duplicates"] = False
        if overrides:
            settings = DedupSettings.model_validate({**settings.model_dump(), **overrides})
        prio.update(_priorities(priority))

        console = Console(stderr=True)
        df = read_problems(input)
        stats: dict = {}
        out = mark_duplicates(df, settings=settings, source_priority=prio, index_dir=index, stats=stats)
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
            f"LSH candidates {stats.get('candidates', 0)}, verified {stats.get('verified_pairs', 0)}"
            + (f"; existing rows matched {stats.get('existing_involved', 0)}" if index is not None else "")
            + (f"; index +{added} rows" if added is not None else ""),
            highlight=False,
        )
        console.print(f"wrote {output}", highlight=False)

    @app.command("decontaminate")
    def decontaminate(
        input: Path = typer.Argument(..., help="Input: any ingestable file or a curate Parquet."),
        output: Path = typer.Argument(..., help="Output curate Parquet file (all rows, with contam_* columns)."),
        benchmark: list[Path] = typer.Option(
            ..., "--benchmark", "-b", help="Benchmark file (any ingestable format); repeatable. Name = file stem."
        ),
        ngram: int = typer.Option(8, help="Word n-gram length for overlap (default 8)."),
        keep: bool = typer.Option(False, "--keep", help="Only flag; do not set drop_reason='contaminated'."),
        no_digit_mask: bool = typer.Option(False, "--no-digit-mask", help="Disable the digit-masked exact match."),
    ) -> None:
        """Flag problems overlapping benchmark questions (word n-grams, whole short match, digit-masked match)."""
        from rich.console import Console

        from curation.decontaminate import contam_column, contamination_summary, mark_contamination
        from curation.errors import ConfigError
        from curation.io import read_problems, write_problems

        console = Console(stderr=True)
        benches = {}
        for path in benchmark:
            name = path.stem if path.suffix else path.name
            if name in benches:
                raise ConfigError(f"two benchmarks named {name!r}; rename one of the files")
            benches[name] = read_problems(path)
        df = read_problems(input)
        out = mark_contamination(df, benchmarks=benches, ngram=ngram, drop=not keep, digit_masked=not no_digit_mask)
        write_problems(out, output)
        s = contamination_summary(out)
        per = ", ".join(f"{name}: {s.get(contam_column(name)[len('contam_'):], 0)}" for name in benches)
        console.print(
            f"decontaminate: {out.height} rows; contaminated {s.get('_total', 0)} ({per}); "
            f"marked for drop {s.get('_dropped', 0)}",
            highlight=False,
        )
        console.print(f"wrote {output}", highlight=False)
