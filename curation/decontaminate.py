"""Decontamination: flag (and optionally drop) items that overlap benchmark questions.

`mark_contamination(df, benchmarks={name: frame}, ngram=8, drop=True)`

Input columns: `question`, `contaminated_by`, `drop_reason` (and each benchmark frame's `question`
and, if present, `id`). Output columns: one `contam_<name>` per benchmark (Utf8: the matched benchmark item's own id —
`source_id` when the ingested benchmark has one, else its `id`, else its 0-based row number; null
when clean),
`contaminated_by` (benchmark names appended, unique, in the order given) and, with `drop`,
`drop_reason = "contaminated"` where null.

Rules (both sides normalized with the dedup normalization — NFKC, lowercase, LaTeX canonical forms —
then split into words `\\w+`):
- word n-gram overlap: an item is contaminated by a benchmark when it shares at least one word
  `ngram`-gram with any benchmark question;
- short texts: a question with fewer than `ngram` words is one "gram", its whole word sequence, so
  it matches only an equally short text with exactly the same words (a short generic phrase inside
  a longer question never matches);
- digit-masked exact match: the normalized question with every number replaced by `#` equals a
  benchmark question's (same template, other numbers).
When several benchmark items match, the smallest benchmark row wins (n-gram/whole match before
digit-masked match).

Vectorized: words via polars `str.extract_all` + `explode` + `hash` (hashes are compared only within
one process), n-gram hashes via numpy rolling windows (`curation.dedup.window_hashes`), matches
via polars joins.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from curation.dedup import normalize_series, template_expr
from curation.errors import SchemaError
from curation.dedup import window_hashes
from schemas import conform

_WORD = r"\w+"
_SEED = 42


def contam_column(name: str) -> str:
    """The flag column for benchmark `name` (characters outside [A-Za-z0-9_] become `_`)."""
    return "contam_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _ngram_table(norm: pl.Series, ngram: int) -> pl.DataFrame:
    """(row, h) for every word n-gram (or whole short text) of the normalized questions `norm`."""
    toks = pl.DataFrame({"n": norm}).select(pl.col("n").str.extract_all(_WORD).alias("t"))
    lens = toks.select(pl.col("t").list.len().fill_null(0)).to_series().to_numpy().astype(np.int64)
    words = toks.select(pl.col("t").explode().drop_nulls().hash(seed=_SEED)).to_series().to_numpy()
    offsets = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=offsets[1:])
    h, off = window_hashes(words.astype(np.uint64), offsets, ngram)
    rows = np.repeat(np.arange(len(lens), dtype=np.int64), np.diff(off))
    return pl.DataFrame({"row": rows, "h": h}, schema={"row": pl.Int64, "h": pl.UInt64})


def _bench_ids(bench: pl.DataFrame) -> pl.Series:
    """The benchmark's own id (`source_id`, as ingested), else curate's `id`, else the row number."""
    out = pl.Series("bid", [str(i) for i in range(bench.height)], dtype=pl.Utf8)
    for col in ("id", "source_id"):
        if col in bench.columns:
            out = bench[col].cast(pl.Utf8).alias("bid").fill_null(out)
    return out


def mark_contamination(
    df: pl.DataFrame,
    *,
    benchmarks: dict[str, pl.DataFrame],
    ngram: int = 8,
    drop: bool = True,
    digit_masked: bool = True,
) -> pl.DataFrame:
    """Flag rows of `df` that overlap any benchmark question (see module docstring)."""
    if ngram < 1:
        raise SchemaError(f"decontaminate: ngram must be positive, got {ngram}")
    df = conform(df)
    n = df.height
    if n == 0 or not benchmarks:
        return df.with_columns([pl.lit(None, dtype=pl.Utf8).alias(contam_column(k)) for k in benchmarks])
    items = normalize_series(df["question"])
    item_grams = _ngram_table(items, ngram)
    item_tmpl = pl.DataFrame({"n": items}).select(template_expr(pl.col("n")).alias("tm")).with_row_index("row")
    item_tmpl = item_tmpl.with_columns(pl.col("row").cast(pl.Int64)).filter(pl.col("tm").str.contains(r"\w"))
    hit_cols: list[pl.Series] = []
    names: list[str] = []
    for name, bench in benchmarks.items():
        if "question" not in bench.columns:
            raise SchemaError(f"benchmark {name!r}: no 'question' column (columns: {', '.join(bench.columns)})")
        ids = _bench_ids(bench)
        bq = normalize_series(bench["question"].cast(pl.Utf8))
        best = pl.DataFrame(schema={"row": pl.Int64, "brow": pl.Int64})
        if bench.height:
            bg = _ngram_table(bq, ngram).group_by("h").agg(pl.col("row").min().alias("brow"))
            best = item_grams.join(bg, on="h", how="inner").group_by("row").agg(pl.col("brow").min())
            if digit_masked:
                bt = (
                    pl.DataFrame({"n": bq}).select(template_expr(pl.col("n")).alias("tm"))
                    .with_row_index("brow")
                    .with_columns(pl.col("brow").cast(pl.Int64))
                    .group_by("tm").agg(pl.col("brow").min())
                )
                masked = item_tmpl.join(bt, on="tm", how="inner").select("row", "brow")
                masked = masked.join(best.select("row"), on="row", how="anti")
                best = pl.concat([best, masked], how="vertical")
        hits = best.with_columns(ids.gather(best["brow"].to_numpy()).alias("bid")) if best.height else None
        col = pl.DataFrame({"row": np.arange(n, dtype=np.int64)})
        if hits is not None:
            col = col.join(hits.select("row", "bid"), on="row", how="left", maintain_order="left")
        else:
            col = col.with_columns(pl.lit(None, dtype=pl.Utf8).alias("bid"))
        hit_cols.append(col["bid"].cast(pl.Utf8).alias(contam_column(name)))
        names.append(name)
    flags = pl.DataFrame(hit_cols)
    matched = flags.select(
        pl.concat_list([pl.when(pl.col(c.name).is_not_null()).then(pl.lit(nm)).otherwise(None) for c, nm in zip(hit_cols, names)])
        .list.drop_nulls()
        .alias("_matched")
    )["_matched"]
    df = df.with_columns(hit_cols).with_columns(matched.alias("_matched"))
    any_hit = pl.col("_matched").list.len() > 0
    updates = [
        pl.concat_list([pl.col("contaminated_by").fill_null([]), pl.col("_matched")]).list.unique(maintain_order=True).alias("contaminated_by")
    ]
    if drop:
        updates.append(
            pl.when(pl.col("drop_reason").is_null() & any_hit).then(pl.lit("contaminated")).otherwise(pl.col("drop_reason")).alias("drop_reason")
        )
    return df.with_columns(updates).drop("_matched")


def contamination_summary(df: pl.DataFrame) -> dict[str, int]:
    """Rows flagged per benchmark (from the `contam_*` columns) and in total."""
    out = {c[len("contam_"):]: int(df[c].is_not_null().sum()) for c in df.columns if c.startswith("contam_")}
    if "contaminated_by" in df.columns:
        out["_total"] = int((df["contaminated_by"].list.len().fill_null(0) > 0).sum())
        out["_dropped"] = int((df["drop_reason"] == "contaminated").sum()) if "drop_reason" in df.columns else 0
    return out


def contamination_card_section(df: pl.DataFrame) -> str:
    """Markdown section for the dataset card: contamination counts per benchmark."""
    s = contamination_summary(df)
    total = s.pop("_total", 0)
    dropped = s.pop("_dropped", 0)
    lines = ["## Decontamination", ""]
    if not s:
        lines.append("No benchmarks were checked.")
        return "\n".join(lines) + "\n"
    lines += [
        "Items sharing a word 8-gram (configurable) with a benchmark question, equal to a short benchmark "
        "question, or equal to one once numbers are masked.",
        "",
        "| benchmark | contaminated items |",
        "|---|---:|",
        *[f"| {k} | {v} |" for k, v in s.items()],
        "",
        f"Items flagged: {total}; dropped as contaminated: {dropped}.",
    ]
    return "\n".join(lines) + "\n"
