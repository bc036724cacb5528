"""Candidate (row, benchmark item) pairs: informative n-grams shared, boilerplate n-grams left out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from curation.config import DecontaminateSettings
from curation.decontaminate.text import grams, token_table

_SEED = 42
_CHUNK_ROWS = 100_000  # training rows tokenized at once (bounds memory for long texts)
_SAMPLE_ROWS = 200_000  # rows whose n-grams estimate corpus frequencies when there are more


class GramCounts:
    """Count-min sketch (two rows of 2**bits counters) of the number of rows each n-gram hash occurs
    in: every n-gram of the training rows gets a frequency in bounded memory (over-counts only)."""

    def __init__(self, rows: int) -> None:
        # about 64 n-grams per row, 4 counters per n-gram; capped at 2 x 64 MB
        self.bits = int(min(24, max(10, np.ceil(np.log2(max(rows, 1) * 256)))))
        self.table = np.zeros((2, 1 << self.bits), dtype=np.int32)

    def _slots(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mask = np.uint64((1 << self.bits) - 1)
        return (h & mask).astype(np.int64), ((h >> np.uint64(32)) & mask).astype(np.int64)

    def add(self, h: np.ndarray) -> None:
        for row, slots in zip(self.table, self._slots(h)):
            row += np.bincount(slots, minlength=row.size).astype(np.int32)

    def get(self, h: np.ndarray) -> np.ndarray:
        a, b = self._slots(h)
        return np.minimum(self.table[0][a], self.table[1][b])


@dataclass
class Boilerplate:
    """Which n-gram hashes are boilerplate, per kind: frequent in one benchmark (`bench`), or in the
    training rows (count-min estimate x `scale` >= `limit`)."""

    bench: dict[str, set[int]]
    counts: dict[str, GramCounts]
    scale: float
    limit: float

    def __post_init__(self) -> None:
        self._bench_sorted = {k: np.sort(np.fromiter(v, dtype=np.uint64, count=len(v))) for k, v in self.bench.items()}

    def mask(self, kind: str, h: np.ndarray) -> np.ndarray:
        corpus = self.counts[kind].get(h) * self.scale >= self.limit
        common = self._bench_sorted[kind]
        if not len(common):
            return corpus
        at = np.minimum(np.searchsorted(common, h), len(common) - 1)
        return corpus | (common[at] == h)


@dataclass
class Candidates:
    """Candidate (row, item) pairs per kind with their coverages, the boilerplate n-grams, and each
    word's document frequency over the training rows and benchmark items together (`word_df`, `docs`)."""

    pairs: dict[str, pl.DataFrame]
    boilerplate: Boilerplate
    word_df: dict[int, int]
    docs: int


def _scored_pairs(
    matched: pl.DataFrame, bg: pl.DataFrame, row_size: np.ndarray, common: pl.DataFrame, threshold: float,
    *, n: int, numbers: tuple[np.ndarray, np.ndarray] | None = None, math_threshold: float = 1.0,
    answered: tuple[np.ndarray, np.ndarray] | None = None, answer_threshold: float = 1.0,
) -> pl.DataFrame:
    """Pairs that share informative n-grams and are worth judging: coverage `threshold` on one side;
    or at most `n` of a side's informative n-grams missing, one shared (one edited token
    breaks up to `n` n-grams: a short text edited once is a candidate); or, with `numbers` (per row and
    per item, 0 = none), the same numbers and coverage `math_threshold` on both sides. Column `by_text`
    says which pairs those are; with `answered` (per row and per item: has a reference answer), pairs
    where both sides have one and the score reaches `answer_threshold` are kept too (column `by_answer`),
    for the answer-confirmed path."""
    informative_b = bg.join(common, on="h", how="anti")
    item_size = informative_b.group_by("item").len().rename({"len": "item_size"})
    pairs = (
        matched.join(common, on="h", how="anti")
        .join(informative_b.select("item", "h"), on="h")
        .group_by("doc", "item")
        .len()
        .rename({"len": "shared"})
        .join(item_size, on="item")
    )
    pairs = pairs.with_columns(pl.Series("row_size", row_size).gather(pairs["doc"]).alias("row_size")).with_columns(
        (pl.col("shared") / pl.col("item_size")).clip(upper_bound=1.0).alias("item_cover"),
        (pl.col("shared") / pl.max_horizontal(pl.lit(1), pl.col("row_size"))).clip(upper_bound=1.0).alias("row_cover"),
    ).with_columns(pl.max_horizontal("item_cover", "row_cover").alias("score"))
    keep = (pl.col("score") >= threshold) | (
        (pl.col("shared") >= 1) & (pl.min_horizontal(pl.col("item_size"), pl.col("row_size")) - pl.col("shared") <= n)
    )
    if numbers is not None:
        row_numbers, item_numbers = numbers
        pairs = pairs.with_columns(
            pl.Series(row_numbers).gather(pairs["doc"]).alias("rn"), pl.Series(item_numbers).gather(pairs["item"]).alias("bn")
        )
        keep = keep | (
            (pl.col("rn") == pl.col("bn")) & (pl.col("rn") != 0)
            & (pl.min_horizontal("item_cover", "row_cover") >= math_threshold)
        )
    by_answer = pl.lit(False)
    if answered is not None:
        row_answered, item_answered = answered
        by_answer = (
            pl.Series(row_answered).gather(pairs["doc"]) & pl.Series(item_answered).gather(pairs["item"])
            & (pl.col("score") >= answer_threshold)
        )
    pairs = pairs.with_columns(keep.alias("by_text"), by_answer.alias("by_answer"))
    return (
        pairs.filter(pl.col("by_text") | pl.col("by_answer"))
        .select(pl.col("doc").alias("row"), "item", "score", "item_cover", "row_cover", "by_text", "by_answer")
        .sort("row", "score", "item", descending=[False, True, False])
    )


def _joined_tokens(texts: pl.Series) -> pl.Series:
    """Each text's tokens joined by single spaces, with a space at both ends (for run search)."""
    t = token_table(texts).group_by("row", maintain_order=True).agg(pl.col("tok").str.join(" "))
    out = pl.DataFrame({"row": np.arange(len(texts), dtype=np.int64)}).join(t, on="row", how="left", maintain_order="left")
    return " " + out["tok"].fill_null("") + " "


def _short_item_pairs(rows: pl.Series, bench_texts: pl.Series, n: int) -> pl.DataFrame:
    """(row, item) pairs where a benchmark item shorter than n tokens (at least 2) occurs as a token
    run inside the row: such items have no n-gram, so the n-gram join cannot see them."""
    schema = {"row": pl.Int64, "item": pl.Int64, "score": pl.Float64, "item_cover": pl.Float64, "row_cover": pl.Float64,
              "by_text": pl.Boolean}
    items = _joined_tokens(bench_texts)
    lens = items.str.count_matches(" ") - 1
    keep = ((lens >= 2) & (lens < n)).to_numpy()
    if not keep.any() or len(rows) == 0:
        return pl.DataFrame(schema=schema)
    patterns = pl.DataFrame({"p": items.filter(pl.Series(keep)), "item": np.flatnonzero(keep).astype(np.int64)})
    found = []
    for start in range(0, len(rows), _CHUNK_ROWS):
        j = _joined_tokens(rows.slice(start, _CHUNK_ROWS))
        hits = pl.DataFrame({"row": np.arange(start, start + len(j), dtype=np.int64),
                             "p": j.str.extract_many(patterns["p"].unique().to_list(), overlapping=True)})
        found.append(hits.explode("p").drop_nulls("p"))
    out = pl.concat(found).join(patterns, on="p").select("row", "item")
    return out.with_columns(
        pl.lit(1.0).alias("score"), pl.lit(1.0).alias("item_cover"), pl.lit(0.0).alias("row_cover"), pl.lit(True).alias("by_text")
    ).unique(
        ["row", "item"]
    ).cast(schema)


def _same_text_pairs(row_whole: list[np.ndarray], item_whole: np.ndarray) -> pl.DataFrame:
    """(row, item) pairs with the same whole token sequence (`Grams.whole`), scored 1."""
    schema = {"row": pl.Int64, "item": pl.Int64, "score": pl.Float64, "item_cover": pl.Float64, "row_cover": pl.Float64,
              "by_text": pl.Boolean}
    rows_h = np.concatenate(row_whole) if row_whole else np.zeros(0, dtype=np.uint64)
    left = pl.DataFrame({"row": np.arange(len(rows_h), dtype=np.int64), "k": rows_h}).filter(pl.col("k") != 0)
    right = pl.DataFrame({"item": np.arange(len(item_whole), dtype=np.int64), "k": item_whole}).filter(pl.col("k") != 0)
    same = left.join(right, on="k").select("row", "item")
    return same.with_columns(
        pl.lit(1.0).alias("score"), pl.lit(1.0).alias("item_cover"), pl.lit(1.0).alias("row_cover"), pl.lit(True).alias("by_text")
    ).cast(schema)


def candidate_pairs(
    rows: pl.Series, bench_texts: pl.Series, bench_group: np.ndarray, *, settings: DecontaminateSettings,
    answered: tuple[np.ndarray, np.ndarray] | None = None,
) -> Candidates:
    """Pairs (row, item) whose coverage score reaches the threshold, per kind (problem: exact tokens;
    template: numbers masked), with columns row, item, score, item_cover, row_cover. With `answered`
    (per row, per item: has a reference answer) also kind "answer": the exact-token pairs where both
    sides have an answer and the score reaches `answer_min_cover` (for the answer-confirmed path).

    `bench_group` gives each benchmark item's benchmark (index), for the per-benchmark boilerplate count.
    Training-corpus frequencies come from all rows when there are at most `_SAMPLE_ROWS`, else from a seeded
    random sample of `_SAMPLE_ROWS` rows (scaled up): boilerplate is frequent, so a sample finds it.
    """
    n, total = settings.ngram, len(rows)
    bgr = grams(bench_texts, n)
    group = pl.Series("group", bench_group, dtype=pl.Int64)
    kinds = {"problem": "exact", "template": "masked"} if settings.digit_masked else {"problem": "exact"}
    bench = {k: getattr(bgr, a).rename({"doc": "item"}) for k, a in kinds.items()}
    bench = {k: b.with_columns(group.gather(b["item"]).alias("group")) for k, b in bench.items()}
    bench_h = {k: b.select("h").unique() for k, b in bench.items()}
    bench_common = {
        k: set(b.group_by("group", "h").len().filter(pl.col("len") >= settings.benchmark_common_items)["h"].to_list())
        for k, b in bench.items()
    }
    counts = {k: GramCounts(min(total, _SAMPLE_ROWS)) for k in kinds}
    sampled = total > _SAMPLE_ROWS
    if sampled:  # first pass over a sample: the corpus frequencies every row's size depends on
        idx = np.sort(np.random.default_rng(_SEED).choice(total, _SAMPLE_ROWS, replace=False))
        for start in range(0, _SAMPLE_ROWS, _CHUNK_ROWS):
            g = grams(rows.gather(idx[start : start + _CHUNK_ROWS]), n)
            for k, attr in kinds.items():
                counts[k].add(getattr(g, attr)["h"].to_numpy())
    if not sampled and total > _CHUNK_ROWS:  # all rows counted first: every chunk's sizes need every count
        for start in range(0, total, _CHUNK_ROWS):
            g = grams(rows.slice(start, _CHUNK_ROWS), n)
            for k, attr in kinds.items():
                counts[k].add(getattr(g, attr)["h"].to_numpy())
    counted = sampled or total > _CHUNK_ROWS
    boiler = Boilerplate(bench_common, counts, total / _SAMPLE_ROWS if sampled else 1.0,
                         max(settings.corpus_common_rows, settings.corpus_common_share * total))
    matched: dict[str, list[pl.DataFrame]] = {k: [] for k in kinds}
    sizes: dict[str, list[np.ndarray]] = {k: [] for k in kinds}
    df_parts = [bgr.word_df]
    row_numbers: list[np.ndarray] = []
    row_whole: list[np.ndarray] = []
    for start in range(0, total, _CHUNK_ROWS):
        chunk = rows.slice(start, _CHUNK_ROWS)
        g = grams(chunk, n)
        for k, attr in kinds.items():
            gt = getattr(g, attr)
            if not counted:
                counts[k].add(gt["h"].to_numpy())
            informative = ~boiler.mask(k, gt["h"].to_numpy())
            sizes[k].append(np.bincount(gt["doc"].to_numpy()[informative], minlength=len(chunk)))
            matched[k].append(gt.join(bench_h[k], on="h", how="semi").with_columns(pl.col("doc") + start))
        row_numbers.append(g.numbers)
        row_whole.append(g.whole)
        df_parts.append(g.word_df)
    thresholds = {"problem": settings.min_score, "template": settings.template_min_score}
    pairs = {}
    # a row whose whole token sequence is an item's is a candidate even when every n-gram of it is
    # boilerplate (an item made of sentences its benchmark repeats)
    short = pl.concat([_short_item_pairs(rows, bench_texts, n), _same_text_pairs(row_whole, bgr.whole)]).unique(["row", "item"])
    for k in kinds:
        m = pl.concat(matched[k]) if matched[k] else pl.DataFrame(schema={"doc": pl.Int64, "h": pl.UInt64})
        bh = bench_h[k]["h"].to_numpy()
        common = pl.DataFrame({"h": bh[boiler.mask(k, bh)]}, schema={"h": pl.UInt64})
        row_size = np.concatenate(sizes[k]) if sizes[k] else np.zeros(0, dtype=np.int64)
        numbers = (np.concatenate(row_numbers), bgr.numbers) if k == "problem" and row_numbers else None
        scored = _scored_pairs(
            m, bench[k], row_size, common, thresholds[k], n=n, numbers=numbers, math_threshold=settings.min_math_cover,
            answered=answered if k == "problem" else None, answer_threshold=settings.answer_min_cover,
        )
        if k == "problem" and answered is not None:
            pairs["answer"] = scored.filter("by_answer").drop("by_text", "by_answer")
        pairs[k] = scored.filter("by_text").drop("by_text", "by_answer")
        if k == "problem" and short.height:
            pairs[k] = pl.concat([pairs[k], short.drop("by_text").join(pairs[k], on=["row", "item"], how="anti")]).sort(
                "row", "score", "item", descending=[False, True, False]
            )
    word_df = pl.concat(df_parts).group_by("w").agg(pl.col("df").sum())
    return Candidates(pairs, boiler, dict(zip(word_df["w"].to_list(), word_df["df"].to_list())), total + len(bench_texts))
