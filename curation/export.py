"""Export: write the curated dataset (kept rows), the dropped/review/quarantine tables, an RL-ready
layout, a dataset card and a manifest — atomically.

Layout (everything under `out_dir/<settings.dataset_dir>`, default `out_dir/dataset/`):

    dataset/
      README.md                 dataset card: Hub YAML (license, language, task_categories, size_categories,
                                pretty_name, source_datasets, configs `default` and `rl`, splits train/validation)
      manifest.json             machine-readable counts, files, splits, fingerprint, prompt lengths
      data/train-00000-of-0000N-<fp>.parquet        kept rows, full problem schema, sharded every `shard_rows`
      data/validation-00000-of-0000N-<fp>.parquet   the validation split (same schema)
      rl/train-…-<fp>.parquet, rl/validation-…      RL rows (when `rl_layout`): verl's columns + a flat `answer`
      dropped.parquet                               dropped rows with `drop_reason`
      review.parquet                                rows waiting for a human decision
      quarantine.jsonl                              rows that could not be read

Shard names end with `<fp>`, a fingerprint of the export's shard bytes: a re-export with different
content has different file names, so no loader (a `datasets` folder cache, OpenRLHF's folder load, the
Hub) can serve an earlier export's files under the current names. `data/*.parquet` is every kept row.

Splits: a row goes to validation when its id hashes below `val_fraction` (stable across re-exports:
a row never moves between splits while its content is unchanged) or its source is in
`val_sources`; the same rows are validation in `data/` and `rl/`.

RL rows (`rl_frame`): `data_source` = `curate/<source>`, `prompt` (chat messages from
`prompt_template`; one answer instruction), `ability`, `reward_model` {style, ground_truth},
`extra_info` (what `curation.rewards.score` needs: kind, answer, answer type, options, puzzle spec,
code spec, id, split, index, ...) and `answer` (the gold answer as a flat string, for TRL and OpenRLHF).

Parquet: the configured codec and level (`export.compression`, `export.compression_level`); column
statistics are null counts only (min/max of long texts cost CPU and prune nothing). All shards go
through polars' writer: pyarrow's takes slightly less CPU on the nested RL `prompt` column but
compresses on one thread, so it is slower in wall time when a second core is free (measured).

Next to it, `out_dir/README.md` (written only if absent or written by curate before) carries the
same `configs` with paths into `dataset/`, so `datasets.load_dataset(out_dir)` loads the export and
not the work files the pipeline keeps in `out_dir/work/`.

Atomicity: the folder is written as a hidden sibling (`out_dir/.dataset.tmp-*`, then given the
umask's mode, not mkdtemp's 0700) and exchanged with `dataset` in one `renameat2(RENAME_EXCHANGE)`
call: at every instant `dataset/` is the old or the new export, whatever kills the process. Where
the exchange is unavailable (not Linux, or a filesystem without it) two renames are used (old →
`.dataset.old-*`, new → `dataset`), and the next export (or `recover_dataset_dir`) restores a
backup left by a kill between them. Leftover temp and backup folders are removed at the start of
every export. Only the dataset folder is swapped: other things in `out_dir` (review.sqlite,
responses.sqlite, dedup index) are never touched. An export with no kept rows refuses to replace a
dataset that has some unless `allow_empty` (an empty or fully quarantined input is a mistake far
more often than an intent).
"""

from __future__ import annotations

import ctypes
import errno
import json
import math
import os
import shutil
import string
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import xxhash

from curation.config import ExportSettings, SourceConfig
from curation.drop import Outcomes, outcome_counts
from curation.errors import ExportError
from curation.io import write_text_atomic
from schemas import SCHEMA_VERSION, conform

SCHEMA_KEY = "curate_schema_version"
TMP_PREFIX = ".{name}.tmp-"
OLD_PREFIX = ".{name}.old-"
SPLITS = ("train", "validation")


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


def _shards(df: pl.DataFrame, folder: Path, settings: ExportSettings, root: Path, split: str = "train") -> dict[str, int]:
    """`split-0000i-of-0000N.parquet` shards (the fingerprint is appended once every shard is written)."""
    n = df.height
    count = max(1, math.ceil(n / max(1, settings.shard_rows)))
    files = {}
    for i in range(count):
        part = df.slice(i * settings.shard_rows, settings.shard_rows)
        path = folder / f"{split}-{i:05d}-of-{count:05d}.parquet"
        _write(part, path, settings)
        files[str(path.relative_to(root))] = part.height
    return files


def _fingerprint(root: Path, files: dict[str, int]) -> str:
    """12 hex digits of XXH3 over the shards' bytes, in name order: changes whenever any shard does."""
    h = xxhash.xxh3_64()
    for rel in sorted(files):
        h.update(rel.encode())
        with open(root / rel, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:12]


def _stamp(root: Path, files: dict[str, int], fp: str) -> dict[str, int]:
    """Rename `x.parquet` → `x-<fp>.parquet` (the Hub's `split-0000i-of-0000N-<fp>` shard naming)."""
    out = {}
    for rel, rows in files.items():
        new = rel[: -len(".parquet")] + f"-{fp}.parquet"
        os.rename(root / rel, root / new)
        out[new] = rows
    return out


# ----------------------------------------------------------------------------- splits


def split_labels(kept: pl.DataFrame, settings: ExportSettings) -> pl.Series:
    """"train" / "validation" per kept row: the id's XXH3 below `val_fraction`, or a `val_sources` source."""
    val = pl.Series("v", [False] * kept.height, dtype=pl.Boolean)
    if settings.val_fraction > 0 and kept.height:
        # ids are already XXH3 hex digests (schemas.content_id); other ids are hashed here
        buckets = kept.select(pl.col("id").str.slice(-8).str.to_integer(base=16, strict=False)).to_series()
        if buckets.null_count():
            miss = buckets.is_null().arg_true()
            ids = kept["id"].gather(miss).to_list()
            buckets = buckets.scatter(miss, [xxhash.xxh32_intdigest((i or "").encode()) for i in ids])
        val = buckets < int(settings.val_fraction * 2**32)
    if settings.val_sources and kept.height:
        val = val | kept["source"].is_in(settings.val_sources).fill_null(False)
    return pl.Series("split", ["train", "validation"], dtype=pl.Utf8).gather(val.cast(pl.UInt32))


def _has_validation(settings: ExportSettings) -> bool:
    return settings.val_fraction > 0 or bool(settings.val_sources)


# ----------------------------------------------------------------------------- RL layout


def _template_parts(template: str) -> list[tuple[str, str | None]]:
    return [(lit, fieldname) for lit, fieldname, _, _ in string.Formatter().parse(template)]


def _options_block(df: pl.DataFrame) -> pl.DataFrame:
    """`_opts`: "\\n\\nA) ..." lines for rows whose options are not already written in the question."""
    from curation.choices import LETTERS, split_inline_choices

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
    return df.with_columns(_opts=pl.when(has & ~inline).then(block).otherwise(pl.lit("")))


def _puzzle_specs(df: pl.DataFrame) -> pl.Series:
    """The scoring spec (JSON) of puzzle rows (`curation.rewards.puzzle_scorer.puzzle_spec`); null elsewhere."""
    from curation.rewards.puzzle_scorer import puzzle_spec

    out = pl.Series("puzzle_spec", [None] * df.height, dtype=pl.Utf8)
    is_puzzle = (df["kind"] == "puzzle").fill_null(False)
    if is_puzzle.any():
        idx = is_puzzle.arg_true()
        specs = [puzzle_spec(m) for m in df["metadata"].gather(idx).to_list()]
        out = out.scatter(idx, pl.Series(specs, dtype=pl.Utf8))
    return out


def _code_specs(df: pl.DataFrame) -> pl.Series:
    """The judging spec (JSON) of code rows (`curation.code.check.code_spec`); null elsewhere."""
    out = pl.Series("code_spec", [None] * df.height, dtype=pl.Utf8)
    is_code = (df["kind"] == "code").fill_null(False)
    if is_code.any() and "code_tests" in df.columns:
        from curation.code.check import code_spec

        idx = is_code.arg_true()
        fields = [c for c in df.columns if c == "kind" or c.startswith("code_")]
        specs = [code_spec(r) for r in df.select(fields).gather(idx).iter_rows(named=True)]
        out = out.scatter(idx, pl.Series(specs, dtype=pl.Utf8))
    return out


def rl_frame(kept: pl.DataFrame, settings: ExportSettings, split: pl.Series | None = None) -> pl.DataFrame:
    """RL rows: verl's columns (data_source, prompt, ability, reward_model, extra_info) and `answer`.

    `split` (one label per row, default all "train") fills `extra_info.split`; `extra_info.index`
    numbers the rows within their split, in order."""
    df = _options_block(kept)
    if split is None:
        split = pl.Series("split", ["train"] * df.height, dtype=pl.Utf8)
    # one answer instruction per prompt: a question that already asks for \boxed{} (puzzles) gets none
    instruction = (
        pl.when(pl.col("kind") == "code").then(pl.lit(settings.rl_code_instruction))
        .when(pl.col("question").str.contains("\\boxed", literal=True).fill_null(False)).then(pl.lit(""))
        .otherwise(pl.lit(settings.rl_instruction))
    )
    pieces = {"question": pl.col("question").fill_null(""), "options": pl.col("_opts"), "instruction": instruction}
    parts: list[pl.Expr] = []
    for literal, name in _template_parts(settings.prompt_template):
        if literal:
            parts.append(pl.lit(literal))
        if name is not None:
            parts.append(pieces[name])
    user = pl.struct(role=pl.lit("user"), content=pl.concat_str(parts) if parts else pl.lit(""))
    if settings.rl_system_prompt:
        system = pl.struct(role=pl.lit("system"), content=pl.lit(settings.rl_system_prompt))
        prompt = pl.concat_list([system, user])
    else:
        prompt = pl.concat_list([user])
    # a code problem's reference is its tests: the spec is its ground truth (verl's convention for code)
    answer = pl.when(pl.col("kind") == "code").then(pl.col("_code_spec")).otherwise(pl.col("answer")).fill_null("")
    df = df.with_columns(_split=split.alias("_split"), _spec=_puzzle_specs(df), _code_spec=_code_specs(df))
    return df.with_columns(_index=pl.int_range(pl.len()).over("_split")).select(
        pl.concat_str([pl.lit("curate/"), pl.col("source")]).alias("data_source"),
        prompt.alias("prompt"),
        pl.when(pl.col("kind") == "competition").then(pl.lit("math")).otherwise(pl.col("kind")).alias("ability"),
        pl.struct(style=pl.lit("rule"), ground_truth=answer).alias("reward_model"),
        pl.struct(
            id=pl.col("id"),
            index=pl.col("_index").cast(pl.Int64),
            split=pl.col("_split"),
            source=pl.col("source"),
            kind=pl.col("kind"),
            answer=answer,
            answer_type=pl.col("answer_type"),
            answer_unit=pl.col("answer_unit"),
            choices=pl.col("choices"),
            puzzle_spec=pl.col("_spec"),
            code_spec=pl.col("_code_spec"),
            subject=pl.col("subject"),
            difficulty_label=pl.col("difficulty_label"),
            level=pl.col("level"),
        ).alias("extra_info"),
        answer.alias("answer"),
    )


#: approximate tokens: letter runs cut every 6 letters (BPE subwords), digit groups of up to 3
#: (Llama 3 / Qwen split numbers so), symbol pairs (a maze drawing's `#.` runs). Measured against
#: SmolLM2's tokenizer (`benchmarks/rewards.py --tokens`): 0.70-1.50x the real count, medians 0.88x
#: on puzzles, 0.95x on MATH-500, 1.17x on MMLU questions — an estimate for sizing limits, not a count
_TOKEN_RE = r"[^\W\d_]{1,6}|\d{1,3}|[^\w\s]{1,2}|_"


def prompt_lengths(rl: pl.DataFrame, settings: ExportSettings) -> list[dict]:
    """Per split and kind: rows, prompt characters and approximate tokens (median, p95, max), and rows
    over `max_prompt_tokens`. Measured on the whole prompt (all messages)."""
    if rl.height == 0:
        return []
    text = pl.col("prompt").list.eval(pl.element().struct.field("content")).list.join("\n")
    df = rl.select(
        pl.col("extra_info").struct.field("split").alias("split"),
        pl.col("extra_info").struct.field("kind").alias("kind"),
        text.str.len_chars().alias("chars"),
        text.str.count_matches(_TOKEN_RE).alias("tokens"),
    )
    out = df.group_by("split", "kind").agg(
        pl.len().alias("rows"),
        pl.col("chars").median().round(0).cast(pl.Int64).alias("chars_median"),
        pl.col("chars").quantile(0.95, "nearest").alias("chars_p95"),
        pl.col("chars").max().alias("chars_max"),
        pl.col("tokens").median().round(0).cast(pl.Int64).alias("approx_tokens_median"),
        pl.col("tokens").quantile(0.95, "nearest").alias("approx_tokens_p95"),
        pl.col("tokens").max().alias("approx_tokens_max"),
        (pl.col("tokens") > settings.max_prompt_tokens).sum().alias("over_limit"),
    ).sort("split", "kind", descending=[True, False])
    return out.to_dicts()


# ----------------------------------------------------------------------------- card


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


def size_category(n: int) -> str:
    """The Hub's `size_categories` bucket for n rows."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]
    for bound, label in bounds:
        if n < bound:
            return label
    return "1B<n<10B"


def card_license(settings: ExportSettings, sources: list[SourceConfig] | None, used: list[str]) -> tuple[str, dict[str, str]]:
    """(YAML licence, source → declared licence). The config's `export.license` wins; else the one
    licence every used source declares; else 'other' when they declare different ones, 'unknown'
    when some declare none."""
    declared = {}
    for src in sources or []:
        name = src.name or Path(src.path).stem
        if name in used and src.license:
            declared[name] = src.license
    if settings.license:
        return settings.license, declared
    values = set(declared.values())
    if len(values) == 1 and len(declared) == len([u for u in used if not u.startswith("generator:")]):
        return values.pop(), declared
    if len(values) > 1:
        return "other", declared
    return "unknown", declared


def _yaml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def _configs_yaml(settings: ExportSettings, fingerprint: str, prefix: str = "") -> list[str]:
    """`configs` with the export's fingerprint in every path: `datasets` keys its cache of a folder
    with YAML configs on these patterns (not on the files they match), so a pattern shared by two
    exports would serve the first one's rows after a re-export."""
    splits = SPLITS if _has_validation(settings) else ("train",)
    out = ["configs:"]
    folders = [("default", "data")] + ([("rl", "rl")] if settings.rl_layout else [])
    for config, folder in folders:
        out += [f"- config_name: {config}"] + (["  default: true"] if config == "default" else []) + ["  data_files:"]
        for split in splits:
            out += [f"  - split: {split}", f"    path: {prefix}{folder}/{split}-*-{fingerprint}.parquet"]
    return out


def _front_matter(manifest: dict, settings: ExportSettings) -> str:
    lines = ["---", f"pretty_name: {_yaml_str(settings.pretty_name)}", f"license: {_yaml_str(manifest['license'])}"]
    lines += ["language:"] + [f"- {_yaml_str(x)}" for x in settings.language]
    lines += ["task_categories:"] + [f"- {_yaml_str(x)}" for x in settings.task_categories]
    lines += ["size_categories:", f"- {size_category(manifest['counts']['kept'])}"]
    if manifest["source_datasets"]:
        lines += ["source_datasets:"] + [f"- {_yaml_str(x)}" for x in manifest["source_datasets"]]
    lines += _configs_yaml(settings, manifest["fingerprint"])
    lines += ["tags:", "- math", "- reinforcement-learning", "- curate", "---", ""]
    return "\n".join(lines)


def render_card(manifest: dict, outcomes: Outcomes, quarantine: pl.DataFrame, settings: ExportSettings,
                extra_sections: list[str] | None) -> str:
    c = manifest["counts"]
    splits = manifest.get("splits") or {}
    parts = [
        _front_matter(manifest, settings),
        f"# {settings.pretty_name}",
        "",
        f"Exported by curate {manifest['curate_version']} on {manifest['created_at']} "
        f"(problem schema {manifest['schema_version']}; fingerprint `{manifest.get('fingerprint', '')}`).",
        "",
        "Load it with `datasets.load_dataset(\"<this folder>\")` (configs `default`: the full problem schema"
        + (", `rl`: prompt / reward rows for verl, TRL and OpenRLHF" if settings.rl_layout else "")
        + "), `datasets.load_dataset(\"parquet\", data_files=\"<this folder>/data/*.parquet\")`, or read "
        "`data/*.parquet` with polars / DuckDB. Shard names carry the export's fingerprint, so every form "
        "reads the current export after a re-export.",
        "",
        "## Splits",
        "",
        _table(["split", "rows"], [[k, v] for k, v in splits.items()]) if splits else "Train only.",
        "",
        "## Licence",
        "",
        f"`{manifest['license']}`."
        + (" Declared per source: " + ", ".join(f"{k}: `{v}`" for k, v in manifest["source_licenses"].items()) + "."
           if manifest.get("source_licenses") else "")
        + " Each source keeps the licence of its authors.",
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
    ]
    lengths = manifest.get("prompt_lengths") or []
    if lengths:
        limit = settings.max_prompt_tokens
        over = sum(r["over_limit"] for r in lengths)
        parts += [
            "## RL prompt lengths",
            "",
            "Characters and approximate tokens (a tokenizer-free estimate: 0.7-1.5x a real BPE tokenizer's "
            "count) of the whole `rl/` prompt.",
            "",
            _table(["split", "kind", "rows", "chars median", "chars p95", "chars max", "~tokens median", "~tokens p95",
                    "~tokens max", f"> {limit} ~tokens"],
                   [[r["split"], r["kind"], r["rows"], r["chars_median"], r["chars_p95"], r["chars_max"],
                     r["approx_tokens_median"], r["approx_tokens_p95"], r["approx_tokens_max"], r["over_limit"]] for r in lengths]),
            "",
        ]
        if over:
            longest = max(r["approx_tokens_max"] for r in lengths)
            parts += [f"{over} prompts exceed {limit} approximate tokens (verl's default `data.max_prompt_length`): "
                      f"raise it to at least ~{longest} or set `data.filter_overlong_prompts=True`.", ""]
    parts += ["## Pending review", ""]
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


# ----------------------------------------------------------------------------- export


def _previous_kept(final: Path) -> int:
    try:
        return int(json.loads((final / "manifest.json").read_text(encoding="utf-8"))["counts"]["kept"])
    except (OSError, ValueError, KeyError, TypeError):
        return 1 if any((final / "data").glob("*.parquet")) else 0  # no readable manifest: shards mean data


def _source_datasets(settings: ExportSettings, sources: list[SourceConfig] | None, used: list[str]) -> list[str]:
    out = list(settings.source_datasets)
    for src in sources or []:
        name = src.name or Path(src.path).stem
        if name in used and src.path.startswith("hf://"):
            hub_id = src.path[len("hf://"):]
            if hub_id not in out:
                out.append(hub_id)
    return out


def export_dataset(
    outcomes: Outcomes,
    *,
    out_dir: Path,
    settings: ExportSettings = ExportSettings(),
    quarantine: pl.DataFrame | None = None,
    stage_counts: list[dict] | None = None,
    extra_card_sections: list[str] | None = None,
    sources: list[SourceConfig] | None = None,
) -> ExportResult:
    """Write the dataset folder `out_dir/<settings.dataset_dir>` atomically; see the module docstring.

    `sources` (the config's) give the card each source's declared licence and Hub id."""
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
    kept = conform(outcomes.kept)
    if kept.height == 0 and not settings.allow_empty and final.is_dir():
        before = _previous_kept(final)
        if before:
            raise ExportError(
                f"refusing to replace {final} ({before} kept rows) with an export of 0 kept rows "
                f"(dropped {outcomes.dropped.height}, review {outcomes.review.height}, quarantined {quarantine.height}); "
                "check the sources, or pass --allow-empty ([export] allow_empty = true)"
            )
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX.format(name=name) + f"{os.getpid()}-", dir=out_dir))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700: the dataset is meant to be shared
        dropped = conform(outcomes.dropped)
        review = conform(outcomes.review)
        split = split_labels(kept, settings)
        splits = SPLITS if _has_validation(settings) else ("train",)
        n_train = int((split == "train").sum())
        if 0 < n_train < kept.height:  # train rows first (one reorder), then each split is a zero-copy slice
            order = pl.concat([(split == "train").arg_true(), (split != "train").arg_true()])
            kept, split = kept[order], split.gather(order)
        shard_files: dict[str, int] = {}
        rl = rl_frame(kept, settings, split) if settings.rl_layout else None
        for s in splits:
            lo, hi = (0, n_train) if s == "train" else (n_train, kept.height)
            shard_files.update(_shards(kept.slice(lo, hi - lo), tmp / "data", settings, tmp, s))
            if rl is not None:
                shard_files.update(_shards(rl.slice(lo, hi - lo), tmp / "rl", settings, tmp, s))
        fingerprint = _fingerprint(tmp, shard_files)
        files = _stamp(tmp, shard_files, fingerprint)
        _write(dropped, tmp / "dropped.parquet", settings)
        files["dropped.parquet"] = dropped.height
        _write(review, tmp / "review.parquet", settings)
        files["review.parquet"] = review.height
        _write_quarantine(quarantine, tmp / "quarantine.jsonl")
        files["quarantine.jsonl"] = quarantine.height

        counts = outcome_counts(Outcomes(kept, dropped, review), quarantine)
        used = list(counts["sources"])
        license_id, declared = card_license(settings, sources, used)
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "curate_version": _version(),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "dataset_dir": name,
            "fingerprint": fingerprint,
            "counts": {k: counts[k] for k in ("kept", "dropped", "review", "quarantined", "total")},
            "splits": {s: int((split == s).sum()) for s in splits},
            "drop_reasons": counts["drop_reasons"],
            "review_reasons": counts["review_reasons"],
            "sources": counts["sources"],
            "answer_types": _counts_of(kept, "answer_type"),
            "kinds": _counts_of(kept, "kind"),
            "license": license_id,
            "source_licenses": declared,
            "source_datasets": _source_datasets(settings, sources, used),
            "prompt_lengths": prompt_lengths(rl, settings) if rl is not None else [],
            "stages": list(stage_counts or []),
            "files": [
                {"path": p, "rows": r, "bytes": (tmp / p).stat().st_size} for p, r in sorted(files.items())
            ],
        }
        card = render_card(manifest, Outcomes(kept, dropped, review), quarantine, settings, extra_card_sections)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        _swap(tmp, final, out_dir, name)
        _write_root_card(out_dir, name, settings, fingerprint)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise ExportError(f"export to {final} failed: {exc}") from exc
        raise
    return ExportResult(dataset_dir=final, files=files, counts=counts, manifest=manifest)


def _umask() -> int:
    """The process umask, read without changing it where /proc allows (os.umask would race threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


ROOT_CARD_MARK = "<!-- written by curate export; edit dataset/README.md instead -->"


def _write_root_card(out_dir: Path, name: str, settings: ExportSettings, fingerprint: str) -> None:
    """`out_dir/README.md` with `configs` pointing into the dataset folder, so
    `datasets.load_dataset(out_dir)` loads the export (and not the work files next to it).
    Written only if absent or written by curate before (marker line); atomically."""
    path = out_dir / "README.md"
    if path.exists() and ROOT_CARD_MARK not in path.read_text(encoding="utf-8", errors="replace"):
        return
    lines = ["---", *_configs_yaml(settings, fingerprint, prefix=f"{name}/"), "---", "", ROOT_CARD_MARK, "", "# curate output", "",
             f"The curated dataset is in [`{name}/`]({name}/README.md) (card, manifest, Parquet shards).", ""]
    write_text_atomic(path, "\n".join(lines))


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE). False where unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap(tmp: Path, final: Path, out_dir: Path, name: str) -> None:
    if not final.exists():
        tmp.rename(final)
        return
    if _exchange(tmp, final):
        shutil.rmtree(tmp, ignore_errors=True)  # now the old export; a kill here leaves a temp cleaned next time
        return
    old = Path(tempfile.mkdtemp(prefix=OLD_PREFIX.format(name=name), dir=out_dir))
    old.rmdir()
    final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def find_dataset_dir(path: Path, name: str = "dataset") -> Path | None:
    """The exported dataset folder given either it or the output folder that holds it."""
    path = Path(path)
    if (path / "manifest.json").exists():
        return path
    if (path / name / "manifest.json").exists():
        return path / name
    return None
