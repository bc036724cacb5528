"""`curate generate` (puzzle records) and `curate check-answer` (verify one answer against a record).

Heavy imports (polars, the generators, which pull in pydantic/polars via schemas) stay inside the
command bodies so `curate --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""

    @app.command("generate")
    def generate(
        name: str = typer.Argument(..., help="A registered generator (generators/registry.py: sudoku, maze, ...)."),
        count: int = typer.Option(100, "--count", "-n", min=0, help="Number of puzzles to generate."),
        level: int = typer.Option(1, "--level", "-l", help="Difficulty level (sudoku 1-5 = technique tiers T1-T5 on 9x9; maze 1-5 = 5x5 .. 20x20)."),
        seed: int = typer.Option(0, "--seed", "-s", min=0, help="Base seed; item i uses seed SEED+i, so output is reproducible."),
        out: Path = typer.Option(..., "--out", "-o", help="Output file: .parquet (problem schema, via polars) or .jsonl."),
        workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="Worker processes (default: all cores, os.cpu_count())."),
        chunk_size: Optional[int] = typer.Option(None, "--chunk-size", min=1, help="Seeds per worker task (default: automatic)."),
    ) -> None:
        """Generate puzzle records (kind=puzzle) with a verifiable reference answer and measured difficulty."""
        import json
        import os
        import time

        from curation.cli.console import console as make_console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from curation.errors import SourceError
        from generators.registry import generate_records, get_generator_class

        suffix = out.suffix.lower()
        if suffix not in (".parquet", ".jsonl"):
            raise SourceError(f"--out {out}: unsupported extension {out.suffix!r}; use .parquet or .jsonl")
        get_generator_class(name).level_config(level)  # clear error for an unknown name/level
        console = make_console(stderr=True)
        started = time.perf_counter()
        with Progress(
            TextColumn(f"[bold]{name}[/] L{level}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            task = bar.add_task("generate", total=count)
            records = generate_records(
                name,
                count=count,
                level=level,
                seed=seed,
                workers=workers if workers is not None else (os.cpu_count() or 1),
                chunk_size=chunk_size,
                progress=lambda k: bar.advance(task, k),
            )
        if suffix == ".jsonl":
            from curation.io import write_text_atomic

            write_text_atomic(out, "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in records))
        else:
            import polars as pl

            from curation.io import write_problems
            from schemas import polars_schema

            # a curate Parquet file (schema tag), so stage commands read the puzzles as they are
            write_problems(pl.DataFrame(records, schema=polars_schema()), out)
        elapsed = time.perf_counter() - started
        console.print(f"wrote {len(records)} {name} records (level {level}) to {out} in {elapsed:.1f}s")

    @app.command("check-answer")
    def check_answer(
        file: Path = typer.Argument(..., help="Puzzle records: a .parquet or .jsonl written by `curate generate`."),
        record_id: str = typer.Argument(..., metavar="ID", help="Record id (content hash) or readable source_id, e.g. sudoku-9x9-L3-s12."),
        answer: str = typer.Argument(..., help="The answer to check (Sudoku grid digits / maze moves; \\boxed{} optional). "
                                               "Code items: the code, @FILE to read it from a file, or - for stdin."),
        unsafe_no_sandbox: bool = typer.Option(False, "--unsafe-no-sandbox", help="Code items: run without bubblewrap (trusted machines only)."),
    ) -> None:
        """Verify ANSWER against record ID: prints PASS or FAIL with the reason. Exit 0 = pass, 1 = fail, 2 = error."""
        import json

        from curation.errors import SourceError
        from generators.registry import verify_record

        if not file.exists():
            raise SourceError(f"{file}: no such file")
        record = None
        if file.suffix.lower() == ".jsonl":
            with file.open(encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise SourceError(f"{file}:{lineno}: malformed JSON ({exc})") from None
                    # raw code sources name rows task_id / problem_id / name (curation/code/readers.py)
                    keys = ("id", "source_id", "task_id", "problem_id", "name")
                    if record_id in {str(rec[k]) for k in keys if isinstance(rec, dict) and rec.get(k) is not None}:
                        record = rec
                        break
        elif file.suffix.lower() == ".parquet":
            import polars as pl

            df = pl.read_parquet(file)
            for col in ("id", "source_id"):
                if col in df.columns:
                    hit = df.filter(pl.col(col) == record_id)
                    if hit.height:
                        record = hit.row(0, named=True)
                        break
        else:
            raise SourceError(f"{file}: unsupported extension {file.suffix!r}; use .parquet or .jsonl")
        if record is None:
            raise SourceError(f"{file}: no record with id or source_id {record_id!r}")
        if record.get("kind") == "code" or "kind" not in record:
            from curation.cli.code_cmd import check_code_record

            if check_code_record(record, answer, unsafe_no_sandbox=unsafe_no_sandbox):
                return
        result = verify_record(record, answer)
        typer.echo(f"{'PASS' if result.ok else 'FAIL'}: {result.reason}")
        if not result.ok:
            raise typer.Exit(1)
