"""Export: write the curated dataset (kept rows), the dropped/review/quarantine tables, an RL-ready
layout, a dataset card and a manifest — atomically.

Layout (everything under `out_dir/<settings.dataset_dir>`, default `out_dir/dataset/`):

    dataset/
      README.md                         dataset card; YAML `configs` so `datasets.load_dataset(dir)` works
      manifest.json                     machine-readable counts, files, schema version
      data/train-00000-of-0000N.parquet kept rows, full problem schema, sharded every `shard_rows`
      rl/train-00000-of-0000N.parquet   verl-style RL rows (when `rl_layout`)
      dropped.parquet                   dropped rows with `drop_reason`
      review.parquet                    rows waiting for a human decision
      quarantine.jsonl                  rows that could not be read

Parquet: the configured codec and level (`export.compression`, `export.compression_level`); column
statistics are null counts only (min/max of long texts cost CPU and prune nothing). All shards go
through polars' writer: pyarrow's takes slightly less CPU on the nested RL `prompt` column but
compresses on one thread, so it is slower in wall time when a second core is free (measured).

Next to it, `out_dir/README.md` (written only if absent or written by curate before) carries the
same `configs` with paths into `dataset/`, so `datasets.load_dataset(out_dir)` loads the export and
not the work files the pipeline keeps in `out_dir/work/`.

Atomicity: the folder is written as a hidden sibling (`out_dir/.dataset.tmp-*`) and swapped in with
two renames (old → `.dataset.old-*`, new → `dataset`), then the old copy is removed. Only the
dataset folder is swapped: other things in `out_dir` (review.sqlite, responses.sqlite, dedup index)
are never touched. A killed export leaves the previous `dataset/` intact (or, if killed between the
two renames, a `.dataset.old-*` folder that the next export — or `recover_dataset_dir` — restores).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import polars as pl

from curation.config import ExportSettings
from curation.drop import Outcomes, outcome_counts
from curation.errors import ExportError
from schemas import SCHEMA_VERSION, conform

SCHEMA_KEY = "curate_schema_version"
TMP_PREFIX = ".{name}.tmp-"
OLD_PREFIX = ".{name}.old-"


@dataclass
class ExportResult:
    dataset_dir: Path
    files: dict[str, int] = field(default_factory=dict)  # relative path → rows
    counts: dict = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)


def _version() -> str:
    try:
        from curation import __version__

        return __version__
    except Exception:  # noqa: BLE001
        return "unknown"


def recover_dataset_dir(out_dir: Path, name: str = "dataset") -> None:
    """Restore `out_dir/name` from a backup left by an export killed mid-swap; remove stale temps."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return
    final = out_dir / name
    olds = sorted(out_dir.glob(OLD_PREFIX.format(name=name) + "*"), key=lambda p: p.stat().st_mtime)
    if not final.exists() and olds:
        olds[-1].rename(final)
        olds = olds[:-1]
    for p in olds:
        shutil.rmtree(p, ignore_errors=True)
    for p in out_dir.glob(TMP_PREFIX.format(name=name) + "*"):
        if p.is_dir() and not _owned_by_live_process(p):
            shutil.rmtree(p, ignore_errors=True)


def _owned_by_live_process(tmp: Path) -> bool:
    try:
        pid = int(tmp.name.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _parquet_kwargs(settings: ExportSettings) -> dict:
    comp = "uncompressed" if settings.compression == "none" else settings.compression
    kw = {"compression": comp}
    if comp in ("zstd", "gzip", "brotli"):
        kw["compression_level"] = settings.compression_level
    return kw


# Column statistics: null counts only. Min/max over long text columns cost CPU on every write and
# give readers nothing to prune on; null counts are cheap and tell which stage columns are filled.
_STATISTICS = {"min": False, "max": False, "distinct_count": False, "null_count": True}


def _write(df: pl.DataFrame, path: Path, settings: ExportSettings) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(path, metadata={SCHEMA_KEY: SCHEMA_VERSION}, statistics=_STATISTICS, **_parquet_kwargs(settings))


def _shards(df: pl.DataFrame, folder: Path, settings: ExportSettings, root: Path) -> dict[str, int]:
    n = df.height
    count = max(1, math.ceil(n / max(1, settings.shard_rows)))
    files = {}
    for i in range(count):
        part = df.slice(i * settings.shard_rows, settings.shard_rows)
        path = folder / f"train-{i:05d}-of-{count:05d}.parquet"
        _write(part, path, settings)
        files[str(path.relative_to(root))] = part.height
    return files


def rl_frame(kept: pl.DataFrame, settings: ExportSettings) -> pl.DataFrame:
    """verl-style rows: data_source, prompt (chat messages), ability, reward_model, extra_info."""
    content = pl.col("question")
    df = kept
    from curation.choices import LETTERS, split_inline_choices

    # options are appended as "A) ..." lines unless the question already lists them inline
    block = pl.concat_str([
        pl.lit("\n\n"),
        pl.col("choices").list.eval(
            pl.concat_str([pl.lit(LETTERS).str.slice(pl.int_range(pl.len()), 1), pl.lit(") "), pl.element()])
        ).list.join("\n"),
    ])
    maybe_inline = (
        pl.col("question").str.contains(r"(?:^|\s)\(?\s?A\s?[).:、]") & pl.col("question").str.contains(r"(?:^|\s)\(?\s?B\s?[).:、]")
    )
    has_choices = pl.col("choices").list.len().fill_null(0) > 0
    has = df.select(has_choices.alias("has")).to_series()
    inline = has.clone()
    if has.any():  # the inline-option regexes only on rows that have options
        where = has.arg_true()
        inline = inline.scatter(where, df.select(pl.col("question").gather(where)).select(maybe_inline.fill_null(False)).to_series())
    if inline.any():
        idx = inline.arg_true()
        found = [split_inline_choices(q or "") is not None for q in df["question"].gather(idx).to_list()]
        inline = inline.scatter(idx, pl.Series(found, dtype=pl.Boolean))
    df = df.with_columns(_opts=pl.when(has & ~inline).then(block))
    user = pl.struct(
        role=pl.lit("user"),
        content=pl.concat_str([content, pl.col("_opts").fill_null(""), pl.lit(settings.rl_instruction)]),
    )
    if settings.rl_system_prompt:
        system = pl.struct(role=pl.lit("system"), content=pl.lit(settings.rl_system_prompt))
        prompt = pl.concat_list([system, user])
    else:
        prompt = pl.concat_list([user])
    return df.with_row_index("_index").select(
        pl.col("source").alias("data_source"),
        prompt.alias("prompt"),
        pl.when(pl.col("kind") == "puzzle").then(pl.lit("puzzle")).otherwise(pl.lit("math")).alias("ability"),
        pl.struct(style=pl.lit("rule"), ground_truth=pl.col("answer").fill_null("")).alias("reward_model"),
        pl.struct(
            id=pl.col("id"),
            index=pl.col("_index").cast(pl.Int64),
            split=pl.lit("train"),
            source=pl.col("source"),
            answer_type=pl.col("answer_type"),
            answer_unit=pl.col("answer_unit"),
            choices=pl.col("choices"),
            subject=pl.col("subject"),
            difficulty_label=pl.col("difficulty_label"),
            level=pl.col("level"),
        ).alias("extra_info"),
    )


def _write_quarantine(q: pl.DataFrame, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in q.iter_rows(named=True):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _table(headers: list[str], rows: list[list]) -> str:
    def cell(v) -> str:
        if v is None:
            v = ""
        elif isinstance(v, dict):
            v = ", ".join(f"{k}: {x}" for k, x in v.items())
        elif isinstance(v, (list, tuple)):
            v = ", ".join(str(x) for x in v)
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _counts_of(df: pl.DataFrame, column: str) -> dict[str, int]:
    if df.height == 0 or column not in df.columns:
        return {}
    vc = df.select(pl.col(column).cast(pl.Utf8).fill_null("(none)")).to_series().value_counts(sort=True)
    return {str(k): int(v) for k, v in vc.iter_rows()}


def render_card(manifest: dict, outcomes: Outcomes, quarantine: pl.DataFrame, settings: ExportSettings,
                extra_sections: list[str] | None) -> str:
    c = manifest["counts"]
    configs = [
        "configs:",
        "- config_name: default",
        "  default: true",
        "  data_files:",
        "  - split: train",
        "    path: data/train-*.parquet",
    ]
    if settings.rl_layout:
        configs += ["- config_name: rl", "  data_files:", "  - split: train", "    path: rl/train-*.parquet"]
    front = "\n".join(["---", *configs, "tags:", "- math", "- reinforcement-learning", "- curate", "---", ""])
    parts = [
        front,
        "# Curated problem set",
        "",
        f"Exported by curate {manifest['curate_version']} on {manifest['created_at']} "
        f"(problem schema {manifest['schema_version']}).",
        "",
        "Load it with `datasets.load_dataset(\"parquet\", data_files=\"<this folder>/data/*.parquet\")`"
        + (" (`rl/*.parquet`: the verl-style prompt/reward layout)" if settings.rl_layout else "")
        + ", or read `data/*.parquet` with polars / DuckDB. `datasets.load_dataset(\"<this folder>\")` works too"
        + " (YAML configs `default`" + (" and `rl`" if settings.rl_layout else "") + "), but `datasets` may serve a"
        + " cached earlier export from that form after a re-export; the `data_files` form is always current.",
        "",
        "## Counts",
        "",
        _table(["destination", "rows"], [[k, c[k]] for k in ("kept", "dropped", "review", "quarantined", "total")]),
        "",
        "## Per source",
        "",
        _table(
            ["source", "kept", "dropped", "review", "quarantined"],
            [[s, v["kept"], v["dropped"], v["review"], v["quarantined"]] for s, v in manifest["sources"].items()],
        ),
        "",
        "## Drop reasons",
        "",
        _table(["reason", "rows"], [[k, v] for k, v in manifest["drop_reasons"].items()]) if manifest["drop_reasons"] else "No rows dropped.",
        "",
        "## Answer types (kept rows)",
        "",
        _table(["answer type", "rows"], [[k, v] for k, v in manifest["answer_types"].items()]) if manifest["answer_types"] else "No kept rows.",
        "",
        "## Pending review",
        "",
    ]
    if outcomes.review.height:
        limit = settings.card_review_limit
        rows = outcomes.review.select("id", "source", pl.col("review_reason").fill_null("pending")).head(limit).rows()
        parts.append(_table(["id", "source", "reason"], [list(r) for r in rows]))
        if outcomes.review.height > limit:
            parts.append(f"\n… and {outcomes.review.height - limit} more (see `review.parquet`).")
    else:
        parts.append("Nothing waiting for review.")
    parts += ["", "## Quarantine", ""]
    if quarantine.height:
        per = _counts_of(quarantine, "source")
        parts.append(f"{quarantine.height} input rows could not be read (see `quarantine.jsonl`).")
        parts.append("")
        parts.append(_table(["source", "rows"], [[k, v] for k, v in per.items()]))
        parts.append("")
        sample = quarantine.select("source", "line", pl.col("error").str.slice(0, 120)).head(10).rows()
        parts.append(_table(["source", "line", "error"], [list(r) for r in sample]))
    else:
        parts.append("No quarantined rows.")
    stages = manifest.get("stages") or []
    if stages:
        headers: list[str] = []
        for s in stages:
            for k in s:
                if k not in headers:
                    headers.append(k)
        parts += ["", "## Stages", "", _table(headers, [[s.get(h, "") for h in headers] for s in stages])]
    for section in extra_sections or []:
        parts += ["", section.strip()]
    parts += ["", "## Files", "", _table(["file", "rows"], [[f["path"], f["rows"]] for f in manifest["files"]]), ""]
    return "\n".join(parts)


def export_dataset(
    outcomes: Outcomes,
    *,
    out_dir: Path,
    settings: ExportSettings = ExportSettings(),
    quarantine: pl.DataFrame | None = None,
    stage_counts: list[dict] | None = None,
    extra_card_sections: list[str] | None = None,
) -> ExportResult:
    """Write the dataset folder `out_dir/<settings.dataset_dir>` atomically; see the module docstring."""
    from curation.ingest import empty_quarantine

    out_dir = Path(out_dir)
    name = settings.dataset_dir
    if not name or "/" in name or name.startswith("."):
        raise ExportError(f"export.dataset_dir must be a plain folder name, got {name!r}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create output folder {out_dir}: {exc}") from None
    recover_dataset_dir(out_dir, name)
    quarantine = quarantine if quarantine is not None else empty_quarantine()
    final = out_dir / name
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX.format(name=name) + f"{os.getpid()}-", dir=out_dir))
    try:
        kept = conform(outcomes.kept)
        dropped = conform(outcomes.dropped)
        review = conform(outcomes.review)
        files: dict[str, int] = {}
        files.update(_shards(kept, tmp / "data", settings, tmp))
        if settings.rl_layout:
            files.update(_shards(rl_frame(kept, settings), tmp / "rl", settings, tmp))
        _write(dropped, tmp / "dropped.parquet", settings)
        files["dropped.parquet"] = dropped.height
        _write(review, tmp / "review.parquet", settings)
        files["review.parquet"] = review.height
        _write_quarantine(quarantine, tmp / "quarantine.jsonl")
        files["quarantine.jsonl"] = quarantine.height

        counts = outcome_counts(Outcomes(kept, dropped, review), quarantine)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "curate_version": _version(),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "dataset_dir": name,
            "counts": {k: counts[k] for k in ("kept", "dropped", "review", "quarantined", "total")},
            "drop_reasons": counts["drop_reasons"],
            "review_reasons": counts["review_reasons"],
            "sources": counts["sources"],
            "answer_types": _counts_of(kept, "answer_type"),
            "kinds": _counts_of(kept, "kind"),
            "stages": list(stage_counts or []),
            "files": [
                {"path": p, "rows": r, "bytes": (tmp / p).stat().st_size} for p, r in sorted(files.items())
            ],
        }
        card = render_card(manifest, Outcomes(kept, dropped, review), quarantine, settings, extra_card_sections)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _swap(tmp, final, out_dir, name)
        _write_root_card(out_dir, name, settings)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise ExportError(f"export to {final} failed: {exc}") from exc
        raise
    return ExportResult(dataset_dir=final, files=files, counts=counts, manifest=manifest)


ROOT_CARD_MARK = "<!-- written by curate export; edit dataset/README.md instead -->"


def _write_root_card(out_dir: Path, name: str, settings: ExportSettings) -> None:
    """`out_dir/README.md` with `configs` pointing into the dataset folder, so
    `datasets.load_dataset(out_dir)` loads the export (and not the work files next to it).
    Written only if absent or written by curate before (marker line); atomically."""
    path = out_dir / "README.md"
    if path.exists() and ROOT_CARD_MARK not in path.read_text(encoding="utf-8", errors="replace"):
        return
    lines = ["---", "configs:", "- config_name: default", "  default: true", "  data_files:", "  - split: train",
             f"    path: {name}/data/train-*.parquet"]
    if settings.rl_layout:
        lines += ["- config_name: rl", "  data_files:", "  - split: train", f"    path: {name}/rl/train-*.parquet"]
    lines += ["---", "", ROOT_CARD_MARK, "", "# curate output", "",
              f"The curated dataset is in [`{name}/`]({name}/README.md) (card, manifest, Parquet shards).", ""]
    tmp = path.with_name(f".README.md.tmp-{os.getpid()}")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)


def _swap(tmp: Path, final: Path, out_dir: Path, name: str) -> None:
    old = None
    if final.exists():
        old = Path(tempfile.mkdtemp(prefix=OLD_PREFIX.format(name=name), dir=out_dir))
        old.rmdir()
        final.rename(old)
    tmp.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def find_dataset_dir(path: Path, name: str = "dataset") -> Path | None:
    """The exported dataset folder given either it or the output folder that holds it."""
    path = Path(path)
    if (path / "manifest.json").exists():
        return path
    if (path / name / "manifest.json").exists():
        return path / name
    return None
