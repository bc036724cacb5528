r"""Decontamination: flag (and by default drop) training rows that are the same problem as a benchmark item.

`load_benchmarks(settings.benchmarks, base_dir=...)` reads each configured benchmark exactly like a
source (`curation.ingest.ingest_source`: mapping, format, split, context field; a curate Parquet is
read as is), and `mark_contamination(df, benchmarks={name: frame}, settings=DecontaminateSettings())`
marks the rows. Figures: benchmarks/quality/contamination/README.md and `benchmarks/decontaminate.py`.

What counts as "the same problem" (every threshold is a `DecontaminateSettings` field):
1. Tokens: NFKC, lowercase, `[asy]` figure code dropped (two problems on one figure share all of
   it), LaTeX layout commands dropped (`\left`, `\text`, `\displaystyle`, ...), `\dfrac` → `frac`,
   `\frac12` → frac 1 2, thousands separators removed, numbers normalised (`0.50` → `0.5`); words
   and numbers are separate tokens.
2. Boilerplate: a token n-gram (`ngram`, default 5) is boilerplate when it occurs in at least
   `benchmark_common_items` items of one benchmark, or in at least max(`corpus_common_rows`,
   `corpus_common_share` x rows) training rows (counted for every n-gram with a count-min sketch;
   above 200,000 rows on a seeded sample). "where m and n are relatively prime positive integers.
   find m+n", "express your answer as a common fraction", an instruction many rows carry: none of
   these count as evidence, and none is required.
3. Candidates: (row, item) pairs sharing informative n-grams; coverage of the item = shared / the
   item's informative n-grams, of the row likewise; `score` = the larger, at least `min_score`.
   A benchmark item shorter than `ngram` tokens is found as a token run inside the row.
4. Judged per pair: a longest common token span of at least `min_span` tokens (or the whole shorter
   text); both sides covered on their clean n-grams (no boilerplate token inside) at least
   `min_other_cover`; and the better-covered side found in the other: its numbers (multiset,
   >= `min_number_agreement`), its rare words (at most `max_missing_rare_share` missing; a word in at
   most max(`rare_word_rows`, `rare_word_share` x documents) rows and items is rare) and its last
   `tail_tokens` tokens before trailing boilerplate as one run (the asked quantity sits at the end:
   "find c" and "find d" on one figure are two problems).
5. The same with numbers masked (`#`, n-grams of mostly numbers left out) gives the weaker template
   flag: the item's wording with other numbers (`template_min_score` of the item covered). It does
   not drop unless `drop_templates`; `digit_masked = false` turns it off.

Output columns: `contam_<name>` (id of the matched item of benchmark `name`, null when none),
`contam_template_<name>` (template matches, only rows without a hit on that benchmark),
`contaminated_by` (benchmark names with a hit appended, unique), `contamination` (evidence: one
struct per benchmark and kind with `benchmark`, `item_id`, `kind` = problem | template, `score`,
`span` = the longest common token span) and, with `drop_contaminated`, `drop_reason = "contaminated"`
where null. The item id is the benchmark's own id (`source_id`), else curate's `id`, else its row.

Vectorized where it matters: tokens via polars, n-gram hashes via numpy (hashes are compared only
within one process), candidates via polars joins; only candidate pairs get the Python checks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import polars as pl

from curation.config import DecontaminateSettings, SourceConfig
from curation.errors import CurateError, SourceError
from schemas import conform

_TOKEN = r"[^\W\d_]+|\d+(?:\.\d+)?"
_SEED = 42
_K = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial n-gram hash
_CHUNK_ROWS = 100_000  # training rows tokenized at once (bounds memory for long texts)
_SAMPLE_ROWS = 200_000  # rows whose n-grams estimate corpus frequencies when there are more
# LaTeX commands that only change layout; copies of a problem differ in them freely
_LAYOUT = [
    "left", "right", "displaystyle", "textstyle", "big", "bigl", "bigr", "bigg", "biggl", "biggr",
    "text", "mathrm", "mbox", "textbf", "mathbf", "textit", "mathit", "quad", "qquad", "hspace", "mathbb",
    "operatorname", "mid",
]
_ALIAS = {"dfrac": "frac", "tfrac": "frac", "ldots": "dots", "cdots": "dots", "dotsm": "dots", "dotsb": "dots", "dotsc": "dots", "leq": "le", "leqslant": "le", "geq": "ge", "geqslant": "ge", "neq": "ne"}
KINDS = ("problem", "template")


def contam_column(name: str) -> str:
    """The hit column for benchmark `name` (characters outside [A-Za-z0-9_] become `_`)."""
    return "contam_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def template_column(name: str) -> str:
    """The template-match column for benchmark `name`."""
    return "contam_template_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


# ------------------------------------------------------------------------------------ reading
def benchmark_name(bench: SourceConfig) -> str:
    return bench.name or Path(bench.path.removeprefix("hf://")).stem or bench.path


def load_benchmarks(benchmarks: list[SourceConfig], *, base_dir: str | Path = ".") -> dict[str, pl.DataFrame]:
    """Read every configured benchmark like a source (mapping, format, split, context) → {name: frame}.

    A benchmark that cannot be read, or yields no question at all, raises `SourceError` naming it:
    checking against an empty benchmark would silently pass everything.
    """
    from curation.ingest import ingest_source
    from curation.io import is_curated_parquet, read_problems

    out: dict[str, pl.DataFrame] = {}
    for bench in benchmarks:
        name = benchmark_name(bench)
        if name in out:
            raise SourceError(f"benchmark {name!r} is configured twice; give one a different name")
        path = Path(bench.path).expanduser()
        path = path if path.is_absolute() or bench.path.startswith("hf://") else Path(base_dir) / path
        if is_curated_parquet(path):  # a benchmark curate already ingested (e.g. `curate ingest` output)
            out[name] = read_problems(path)
            continue
        try:
            result = ingest_source(bench, base_dir=Path(base_dir))
        except CurateError as e:
            raise SourceError(f"benchmark {name!r} ({bench.path}) cannot be read: {e}") from e
        except Exception as e:  # a reader library's own error (corrupt Parquet, bad JSON array, ...)
            raise SourceError(f"benchmark {name!r} ({bench.path}) cannot be read: {type(e).__name__}: {e}") from e
        problems = result.problems
        if problems.height == 0 or problems["question"].fill_null("").str.strip_chars().eq("").all():
            bad = f"; {result.quarantine.height} rows could not be read" if result.quarantine.height else ""
            raise SourceError(f"benchmark {name!r} ({bench.path}) has no questions{bad}")
        out[name] = problems
    return out


# ---------------------------------------------------------------------------------- tokenizing
def _normalize(texts: pl.Series) -> pl.Series:
    s = texts.cast(pl.Utf8).fill_null("")
    non_ascii = s.str.contains(r"[^\x00-\x7f]")
    if non_ascii.any():  # NFKC leaves ASCII unchanged: run it only where needed
        idx = non_ascii.arg_true()
        s = s.scatter(idx, s.gather(idx).str.normalize("NFKC"))
    s = s.str.to_lowercase()
    # figure code is drawing instructions, not the problem: two problems on one figure share all of it
    s = s.str.replace_all(r"(?s)\[asy\].*?(?:\[/asy\]|$)", " ")
    s = s.str.replace_all(r"\\(?:begin|end)\s*\{[a-z*]*\}", " ")  # environments are layout; the word "end" is not
    s = s.str.replace_all(r"\\[dt]?frac\s*([a-z0-9])\s*([a-z0-9])(?:\b|$)", r"\frac{$1}{$2}")  # \frac12, \frac mn
    s = s.str.replace_all(r"(^|[^\w.])\.(\d)", "${1}0.${2}")  # .5 is 0.5
    for _ in range(2):  # 1,234,567 needs two passes (matches may not overlap)
        s = s.str.replace_all(r"(\d)(?:,|\{\s*,\s*\}|\\,)(\d{3})(?:\b|$)", "${1}${2}")
    return s


def _token_table(texts: pl.Series) -> pl.DataFrame:
    """(row, tok, num) for every token of `texts`, in order; layout tokens dropped, numbers normalised."""
    t = (
        pl.DataFrame({"t": _normalize(texts)})
        .with_row_index("row")
        .select(pl.col("row").cast(pl.Int64), pl.col("t").str.extract_all(_TOKEN).alias("tok"))
        .explode("tok")
        .drop_nulls("tok")
        .filter(~pl.col("tok").is_in(_LAYOUT))
    )
    num = pl.col("tok").str.contains(r"^\d")
    tok = pl.col("tok").replace(_ALIAS)
    # 0.50 → 0.5, 3.0 → 3, 007 → 7: one spelling per number
    tok = pl.when(num).then(
        pl.col("tok").str.replace(r"^(\d+\.\d*?)0+$", "$1").str.strip_suffix(".").str.replace(r"^0+(\d)", "$1")
    ).otherwise(tok)
    return t.with_columns(tok.alias("tok"), num.alias("num"))


def tokens(texts: pl.Series) -> list[list[str]]:
    """The token sequence of every text (what n-grams, spans and numbers are computed on)."""
    t = _token_table(texts)
    out: list[list[str]] = [[] for _ in range(len(texts))]
    for row, tok in zip(t["row"].to_list(), t["tok"].to_list()):
        out[row].append(tok)
    return out


def _word_hash(tok: pl.Series) -> pl.Series:
    return tok.hash(seed=_SEED)


def _ngram_hashes(words: np.ndarray, lens: np.ndarray, n: int, is_word: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(doc, hash) of every window of `n` consecutive tokens inside one document; a document shorter
    than `n` (but not empty) gives one hash of its whole sequence. With `is_word`, windows where
    fewer than half the tokens are words are left out (with numbers masked, "# + # - # #" says
    nothing about which problem it is)."""
    total = len(words)
    docs = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    starts = np.zeros(len(lens), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    ends_of = (starts + lens)[docs]
    pos = np.arange(total, dtype=np.int64)
    padded = np.concatenate([words, np.zeros(n, dtype=np.uint64)])
    acc = np.zeros(total, dtype=np.uint64)
    short_doc = np.flatnonzero((lens > 0) & (lens < n))
    short_h = np.zeros(len(short_doc), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            acc = acc * _K + padded[k : k + total]
            hit = lens[short_doc] == k + 1
            short_h[hit] = acc[starts[short_doc[hit]]]
    full = pos + n <= ends_of
    short_ok = np.ones(len(short_doc), dtype=bool)
    if is_word is not None:
        cs = np.concatenate([[0], np.cumsum(is_word.astype(np.int64))])
        full &= 2 * (cs[np.minimum(pos + n, total)] - cs[pos]) >= n
        short_ok = 2 * (cs[starts[short_doc] + lens[short_doc]] - cs[starts[short_doc]]) >= lens[short_doc]
    doc = np.concatenate([docs[full], short_doc[short_ok]])
    h = np.concatenate([acc[full], short_h[short_ok] ^ np.uint64(0x5BD1E995)])  # whole short texts: own space
    return doc, h


@dataclass
class _Grams:
    """Distinct n-gram hashes per document (`exact`, and `masked` with numbers as `#`: columns doc, h),
    the number of n-gram positions per document, and the document frequency of each word (w, df)."""

    exact: pl.DataFrame
    masked: pl.DataFrame
    positions: np.ndarray
    word_df: pl.DataFrame


def _grams(texts: pl.Series, n: int) -> _Grams:
    t = _token_table(texts)
    lens = np.bincount(t["row"].to_numpy(), minlength=len(texts)).astype(np.int64)
    wh = _word_hash(t["tok"])
    words = wh.to_numpy()
    mask_h = _word_hash(pl.Series(["#"])).to_numpy()[0]
    masked = np.where(t["num"].to_numpy(), mask_h, words)
    doc, h = _ngram_hashes(words, lens, n)
    docm, hm = _ngram_hashes(masked, lens, n, is_word=~t["num"].to_numpy())
    positions = np.maximum(lens - n + 1, (lens > 0).astype(np.int64))
    word_df = pl.DataFrame({"row": t["row"], "w": wh}).unique().group_by("w").len().rename({"len": "df"})
    return _Grams(
        pl.DataFrame({"doc": doc, "h": h}).unique(), pl.DataFrame({"doc": docm, "h": hm}).unique(), positions, word_df
    )


# ----------------------------------------------------------------------------------- matching
def _bench_ids(bench: pl.DataFrame) -> pl.Series:
    """The benchmark's own id (`source_id`, as ingested), else curate's `id`, else the row number."""
    out = pl.Series("bid", [str(i) for i in range(bench.height)], dtype=pl.Utf8)
    for col in ("id", "source_id"):
        if col in bench.columns:
            out = bench[col].cast(pl.Utf8).alias("bid").fill_null(out)
    return out


def _check_settings(s: DecontaminateSettings) -> None:
    from curation.errors import ConfigError

    if s.ngram < 1:
        raise ConfigError(f"decontaminate.ngram must be positive, got {s.ngram}")
    for field in (
        "min_score", "min_other_cover", "template_min_score", "min_number_agreement", "corpus_common_share",
        "rare_word_share", "max_missing_rare_share", "min_other_number_agreement",
    ):
        v = getattr(s, field)
        if not 0 <= v <= 1:
            raise ConfigError(f"decontaminate.{field} must be in [0, 1], got {v}")


class _GramCounts:
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
    counts: dict[str, _GramCounts]
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
    matched: pl.DataFrame, bg: pl.DataFrame, row_size: np.ndarray, common: pl.DataFrame, threshold: float
) -> pl.DataFrame:
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
    return (
        pairs.with_columns(pl.Series("row_size", row_size).gather(pairs["doc"]).alias("row_size"))
        .with_columns(
            (pl.col("shared") / pl.col("item_size")).clip(upper_bound=1.0).alias("item_cover"),
            (pl.col("shared") / pl.max_horizontal(pl.lit(1), pl.col("row_size"))).clip(upper_bound=1.0).alias("row_cover"),
        )
        .with_columns(pl.max_horizontal("item_cover", "row_cover").alias("score"))
        .filter(pl.col("score") >= threshold)
        .select(pl.col("doc").alias("row"), "item", "score", "item_cover", "row_cover")
        .sort("row", "score", "item", descending=[False, True, False])
    )


def _joined_tokens(texts: pl.Series) -> pl.Series:
    """Each text's tokens joined by single spaces, with a space at both ends (for run search)."""
    t = _token_table(texts).group_by("row", maintain_order=True).agg(pl.col("tok").str.join(" "))
    out = pl.DataFrame({"row": np.arange(len(texts), dtype=np.int64)}).join(t, on="row", how="left", maintain_order="left")
    return " " + out["tok"].fill_null("") + " "


def _short_item_pairs(rows: pl.Series, bench_texts: pl.Series, n: int) -> pl.DataFrame:
    """(row, item) pairs where a benchmark item shorter than n tokens (at least 2) occurs as a token
    run inside the row: such items have no n-gram, so the n-gram join cannot see them."""
    schema = {"row": pl.Int64, "item": pl.Int64, "score": pl.Float64, "item_cover": pl.Float64, "row_cover": pl.Float64}
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
    return out.with_columns(pl.lit(1.0).alias("score"), pl.lit(1.0).alias("item_cover"), pl.lit(0.0).alias("row_cover")).unique(
        ["row", "item"]
    ).cast(schema)


def candidate_pairs(rows: pl.Series, bench_texts: pl.Series, bench_group: np.ndarray, *, settings: DecontaminateSettings) -> Candidates:
    """Pairs (row, item) whose coverage score reaches the threshold, per kind (problem: exact tokens;
    template: numbers masked), with columns row, item, score, item_cover, row_cover.

    `bench_group` gives each benchmark item's benchmark (index), for the per-benchmark boilerplate count.
    Training-corpus frequencies come from all rows when there are at most `_SAMPLE_ROWS`, else from a seeded
    random sample of `_SAMPLE_ROWS` rows (scaled up): boilerplate is frequent, so a sample finds it.
    """
    n, total = settings.ngram, len(rows)
    bgr = _grams(bench_texts, n)
    group = pl.Series("group", bench_group, dtype=pl.Int64)
    kinds = {"problem": "exact", "template": "masked"} if settings.digit_masked else {"problem": "exact"}
    bench = {k: getattr(bgr, a).rename({"doc": "item"}) for k, a in kinds.items()}
    bench = {k: b.with_columns(group.gather(b["item"]).alias("group")) for k, b in bench.items()}
    bench_h = {k: b.select("h").unique() for k, b in bench.items()}
    bench_common = {
        k: set(b.group_by("group", "h").len().filter(pl.col("len") >= settings.benchmark_common_items)["h"].to_list())
        for k, b in bench.items()
    }
    counts = {k: _GramCounts(min(total, _SAMPLE_ROWS)) for k in kinds}
    sampled = total > _SAMPLE_ROWS
    if sampled:  # first pass over a sample: the corpus frequencies every row's size depends on
        idx = np.sort(np.random.default_rng(_SEED).choice(total, _SAMPLE_ROWS, replace=False))
        for start in range(0, _SAMPLE_ROWS, _CHUNK_ROWS):
            g = _grams(rows.gather(idx[start : start + _CHUNK_ROWS]), n)
            for k, attr in kinds.items():
                counts[k].add(getattr(g, attr)["h"].to_numpy())
    if not sampled and total > _CHUNK_ROWS:  # all rows counted first: every chunk's sizes need every count
        for start in range(0, total, _CHUNK_ROWS):
            g = _grams(rows.slice(start, _CHUNK_ROWS), n)
            for k, attr in kinds.items():
                counts[k].add(getattr(g, attr)["h"].to_numpy())
    counted = sampled or total > _CHUNK_ROWS
    boiler = Boilerplate(bench_common, counts, total / _SAMPLE_ROWS if sampled else 1.0,
                         max(settings.corpus_common_rows, settings.corpus_common_share * total))
    matched: dict[str, list[pl.DataFrame]] = {k: [] for k in kinds}
    sizes: dict[str, list[np.ndarray]] = {k: [] for k in kinds}
    df_parts = [bgr.word_df]
    for start in range(0, total, _CHUNK_ROWS):
        chunk = rows.slice(start, _CHUNK_ROWS)
        g = _grams(chunk, n)
        for k, attr in kinds.items():
            gt = getattr(g, attr)
            if not counted:
                counts[k].add(gt["h"].to_numpy())
            informative = ~boiler.mask(k, gt["h"].to_numpy())
            sizes[k].append(np.bincount(gt["doc"].to_numpy()[informative], minlength=len(chunk)))
            matched[k].append(gt.join(bench_h[k], on="h", how="semi").with_columns(pl.col("doc") + start))
        df_parts.append(g.word_df)
    thresholds = {"problem": settings.min_score, "template": settings.template_min_score}
    pairs = {}
    short = _short_item_pairs(rows, bench_texts, n)
    for k in kinds:
        m = pl.concat(matched[k]) if matched[k] else pl.DataFrame(schema={"doc": pl.Int64, "h": pl.UInt64})
        bh = bench_h[k]["h"].to_numpy()
        common = pl.DataFrame({"h": bh[boiler.mask(k, bh)]}, schema={"h": pl.UInt64})
        row_size = np.concatenate(sizes[k]) if sizes[k] else np.zeros(0, dtype=np.int64)
        pairs[k] = _scored_pairs(m, bench[k], row_size, common, thresholds[k])
        if k == "problem" and short.height:
            pairs[k] = pl.concat([pairs[k], short.join(pairs[k], on=["row", "item"], how="anti")]).sort(
                "row", "score", "item", descending=[False, True, False]
            )
    word_df = pl.concat(df_parts).group_by("w").agg(pl.col("df").sum())
    return Candidates(pairs, boiler, dict(zip(word_df["w"].to_list(), word_df["df"].to_list())), total + len(bench_texts))


def _informative_positions(toks: list[str], hashes: dict[str, int], boiler: Boilerplate, kind: str, n: int) -> list[bool]:
    """Per token: False inside any boilerplate n-gram (a text shorter than n: all True)."""
    if len(toks) < n:
        return [True] * len(toks)
    seq = _mask(toks) if kind == "template" else toks
    words = np.array([hashes[t] for t in seq], dtype=np.uint64)
    _, h = _ngram_hashes(words, np.array([len(seq)], dtype=np.int64), n)
    keep = [True] * len(toks)
    for start, common in enumerate(boiler.mask(kind, h).tolist()):
        if common:
            keep[start : start + n] = [False] * n
    return keep


def _numbers(toks: list[str]) -> Counter:
    return Counter(t for t in toks if t[:1].isdigit())


def _contained(part: Counter, whole: Counter) -> float:
    total = sum(part.values())
    return 1.0 if total == 0 else sum((part & whole).values()) / total


def _mask(toks: list[str]) -> list[str]:
    return ["#" if t[:1].isdigit() else t for t in toks]


@dataclass
class Verdict:
    match: bool
    span: list[str]
    reason: str  # why not (empty for a match)


def _clean_cover(a: list[str], b: list[str], info: list[bool], n: int) -> float:
    """Share of `a`'s clean n-grams (no boilerplate token inside; n = min(n, len(a), len(b))) that `b`
    also has. Unlike the join's coverage, n-grams that straddle boilerplate (an added instruction)
    do not count against a side."""
    k = max(1, min(n, len(a), len(b)))
    theirs = {tuple(b[i : i + k]) for i in range(len(b) - k + 1)}
    clean = [tuple(a[i : i + k]) for i in range(len(a) - k + 1) if all(info[i : i + k])]
    return 1.0 if not clean else sum(g in theirs for g in clean) / len(clean)


def _contains_run(seq: list[str], run: list[str]) -> bool:
    k = len(run)
    return k == 0 or any(seq[i : i + k] == run for i in range(len(seq) - k + 1))


def judge_pair(
    row_toks: list[str], item_toks: list[str], *, item_cover: float, row_cover: float, rare: set[str],
    settings: DecontaminateSettings, kind: str, row_info: list[bool] | None = None, item_info: list[bool] | None = None,
) -> Verdict:
    """The checks after the coverage score, for one candidate pair.

    The better-covered side (the item when a row contains a copy of it, the row when the item carries
    extra text such as a reworded answer-format instruction) must be found in the other: its numbers
    (multiset, at least `min_number_agreement`; and at least `min_other_number_agreement` of the other
    side's numbers in it), its rare words (at most `max_missing_rare_share` missing), and its last
    `tail_tokens` tokens up to its last informative one as one run, because the asked quantity sits
    at the end ("find c" vs "find d" on one figure). Only tokens inside informative
    n-grams count (`*_info`): boilerplate such as "what is m+n?" is neither required nor evidence.
    The other side must be covered too (`min_other_cover`), so a row that adds conditions to a
    benchmark item, or a sentence shared by two longer problems, does not count. Template matches
    (numbers masked) skip the number checks.
    """
    masked = kind == "template"
    a, b = (_mask(row_toks), _mask(item_toks)) if masked else (row_toks, item_toks)
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    span = row_toks[m.a : m.a + m.size]
    if m.size < min(settings.min_span, len(a), len(b)):
        return Verdict(False, span, "span")
    row_info = row_info or [True] * len(a)
    item_info = item_info or [True] * len(b)
    # recomputed on clean n-grams (n capped at the shorter length, so a short item inside a row with
    # an instruction counts)
    row_cover, item_cover = _clean_cover(a, b, row_info, settings.ngram), _clean_cover(b, a, item_info, settings.ngram)
    if min(item_cover, row_cover) < settings.min_other_cover:
        return Verdict(False, span, "other side not covered")
    item_side = item_cover >= row_cover
    covered, other = (b, a) if item_side else (a, b)
    raw_covered, raw_other = (item_toks, row_toks) if item_side else (row_toks, item_toks)
    info = (item_info if item_side else row_info) or [True] * len(covered)
    kept = [t for t, k in zip(covered, info) if k]
    kept_raw = [t for t, k in zip(raw_covered, info) if k]
    last = max((i for i, k in enumerate(info) if k), default=len(covered) - 1)
    tail = covered[max(0, last + 1 - settings.tail_tokens) : last + 1] if settings.tail_tokens else []
    if not _contains_run(other, tail):
        return Verdict(False, span, "asked part differs: " + " ".join(tail))
    if not masked:
        if _contained(_numbers(kept_raw), _numbers(raw_other)) < settings.min_number_agreement:
            return Verdict(False, span, "numbers")
        other_info = (row_info if item_side else item_info) or [True] * len(raw_other)
        other_kept = _numbers([t for t, k in zip(raw_other, other_info) if k])
        if _contained(other_kept, _numbers(raw_covered)) < settings.min_other_number_agreement:
            return Verdict(False, span, "numbers of the other side")
    own = set(kept) & rare
    missing = own - set(other)
    if own and len(missing) / len(own) > settings.max_missing_rare_share:
        return Verdict(False, span, "rare words: " + " ".join(sorted(missing)))
    return Verdict(True, span, "")


def find_matches(rows: pl.Series, benchmarks: dict[str, pl.DataFrame], *, settings: DecontaminateSettings) -> pl.DataFrame:
    """Every judged match: row, benchmark, item_id, kind, score, span (the best per row, benchmark and kind)."""
    _check_settings(settings)
    names = list(benchmarks)
    texts = [benchmarks[k]["question"].cast(pl.Utf8) for k in names]
    bench_texts = pl.concat(texts) if texts else pl.Series([], dtype=pl.Utf8)
    group = np.repeat(np.arange(len(names)), [len(t) for t in texts]).astype(np.int64)
    ids = pl.concat([_bench_ids(benchmarks[k]) for k in names]).to_list() if names else []
    schema = {"row": pl.Int64, "benchmark": pl.Utf8, "item_id": pl.Utf8, "kind": pl.Utf8, "score": pl.Float64, "span": pl.Utf8}
    cands = candidate_pairs(rows, bench_texts, group, settings=settings)
    rare_limit = max(settings.rare_word_rows, settings.rare_word_share * cands.docs)
    found: list[dict] = []
    problem_hits: set[tuple[int, int]] = set()
    for kind, cand in cands.pairs.items():
        if cand.height == 0:
            continue
        row_ids = cand["row"].unique().to_list()
        item_ids = cand["item"].unique().to_list()
        row_toks = dict(zip(row_ids, tokens(rows.gather(row_ids))))
        item_toks = dict(zip(item_ids, tokens(bench_texts.gather(item_ids))))
        vocab = pl.Series(sorted({t for ts in (*row_toks.values(), *item_toks.values()) for t in ts} | {"#"}), dtype=pl.Utf8)
        hashes = dict(zip(vocab.to_list(), _word_hash(vocab).to_list()))
        rare = {t for t, h in hashes.items() if cands.word_df.get(h, 0) <= rare_limit and not t[:1].isdigit()}
        info = lambda toks: _informative_positions(toks, hashes, cands.boilerplate, kind, settings.ngram)  # noqa: E731
        row_info = {r: info(t) for r, t in row_toks.items()}
        item_info = {i: info(t) for i, t in item_toks.items()}
        best: dict[tuple[int, int], dict] = {}
        for r, it, score, icov, rcov in cand.iter_rows():
            g = int(group[it])
            if (r, g) in best or (kind == "template" and (r, g) in problem_hits):
                continue
            if kind == "template" and icov < settings.template_min_score:
                continue  # a template match is the item's wording with other numbers: the item must be covered
            v = judge_pair(
                row_toks[r], item_toks[it], item_cover=icov, row_cover=rcov, rare=rare, settings=settings, kind=kind,
                row_info=row_info[r], item_info=item_info[it],
            )
            if v.match:
                best[(r, g)] = dict(row=r, benchmark=names[g], item_id=ids[it], kind=kind, score=round(score, 4), span=" ".join(v.span))
        if kind == "problem":
            problem_hits = set(best)
        found.extend(best.values())
    return pl.DataFrame(found, schema=schema)


def mark_contamination(
    df: pl.DataFrame, *, benchmarks: dict[str, pl.DataFrame], settings: DecontaminateSettings = DecontaminateSettings()
) -> pl.DataFrame:
    """Mark rows of `df` that are the same problem as a benchmark item (see the module docstring)."""
    df = conform(df)
    for name, bench in benchmarks.items():
        if "question" not in bench.columns:
            raise SourceError(f"benchmark {name!r}: no 'question' column (columns: {', '.join(bench.columns)})")
    matches = find_matches(df["question"], benchmarks, settings=settings) if df.height and benchmarks else None
    cols: list[pl.Series] = []
    base = pl.DataFrame({"row": np.arange(df.height, dtype=np.int64)})
    for name in benchmarks:
        for kind, column in (("problem", contam_column(name)), ("template", template_column(name))):
            if matches is None or matches.height == 0:
                cols.append(pl.Series(column, [None] * df.height, dtype=pl.Utf8))
                continue
            m = matches.filter((pl.col("benchmark") == name) & (pl.col("kind") == kind)).select("row", "item_id")
            cols.append(base.join(m, on="row", how="left", maintain_order="left")["item_id"].alias(column))
    evidence = pl.select(pl.repeat(pl.lit([], dtype=df.schema["contamination"]), df.height)).to_series().alias("contamination")
    hit_names = pl.select(pl.repeat(pl.lit([], dtype=pl.List(pl.Utf8)), df.height)).to_series().alias("_hit")
    if matches is not None and matches.height:
        order = {name: i for i, name in enumerate(benchmarks)}
        m = matches.with_columns(pl.col("benchmark").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        ev = (
            m.sort("row", pl.col("kind") == "template", "_o")
            .group_by("row", maintain_order=True)
            .agg(pl.struct("benchmark", "item_id", "kind", "score", "span").alias("contamination"))
        )
        hits = m.filter(pl.col("kind") == "problem").sort("row", "_o").group_by("row", maintain_order=True).agg(pl.col("benchmark").alias("_hit"))
        joined = base.join(ev, on="row", how="left", maintain_order="left").join(hits, on="row", how="left", maintain_order="left")
        evidence = joined["contamination"].fill_null([]).cast(df.schema["contamination"])
        hit_names = joined["_hit"].fill_null([])
        if settings.drop_templates:
            tmpl = m.filter(pl.col("kind") == "template").group_by("row").agg(pl.len())
            is_tmpl = base.join(tmpl, on="row", how="left", maintain_order="left")["len"].is_not_null()
        else:
            is_tmpl = pl.Series([False] * df.height)
    else:
        is_tmpl = pl.Series([False] * df.height)
    out = df.with_columns(cols).with_columns(evidence, hit_names)
    any_hit = pl.col("_hit").list.len() > 0
    updates = [
        pl.concat_list([pl.col("contaminated_by").fill_null([]), pl.col("_hit")]).list.unique(maintain_order=True).alias("contaminated_by")
    ]
    drop = pl.lit(False)
    if settings.drop_contaminated:
        drop = drop | any_hit
    drop = drop | pl.lit(is_tmpl)
    updates.append(
        pl.when(pl.col("drop_reason").is_null() & drop).then(pl.lit("contaminated")).otherwise(pl.col("drop_reason")).alias("drop_reason")
    )
    return out.with_columns(updates).drop("_hit")


# -------------------------------------------------------------------------------------- report
def contamination_summary(df: pl.DataFrame) -> dict:
    """Per benchmark: hits and template matches among rows that would otherwise be kept (no other stage
    dropped them), plus totals. {"benchmarks": {name: {"problem": n, "template": n}}, "rows": n,
    "dropped": n, "already_dropped": n}."""
    if "contamination" not in df.columns or df.height == 0:
        return {"benchmarks": {}, "rows": 0, "dropped": 0, "already_dropped": 0}
    live = pl.col("drop_reason").is_null() | (pl.col("drop_reason") == "contaminated")
    ev = df.select(live.alias("live"), "contamination").with_row_index("row").explode("contamination").drop_nulls("contamination").unnest("contamination")
    per: dict[str, dict[str, int]] = {}
    for name in [c[len("contam_"):] for c in df.columns if c.startswith("contam_") and not c.startswith("contam_template_")]:
        per[name] = {"problem": 0, "template": 0}
    counts = ev.filter(pl.col("live")).group_by("benchmark", "kind").agg(pl.col("row").n_unique().alias("n"))
    for b, kind, n in counts.iter_rows():
        per.setdefault(b, {"problem": 0, "template": 0})[kind] = n
    flagged = df["contaminated_by"].list.len().fill_null(0) > 0
    return {
        "benchmarks": per,
        "rows": int((flagged & df.select(live).to_series()).sum()),
        "dropped": int((df["drop_reason"] == "contaminated").sum()),
        "already_dropped": int((flagged & ~df.select(live).to_series()).sum()),
    }


def contamination_card_section(df: pl.DataFrame) -> str:
    """Markdown section for the dataset card: contamination counts per benchmark."""
    s = contamination_summary(df)
    lines = ["## Decontamination", ""]
    if not s["benchmarks"]:
        lines.append("No benchmarks were checked.")
        return "\n".join(lines) + "\n"
    lines += [
        "Rows that are the same problem as a benchmark item (most of the item's distinctive word n-grams "
        "covered, a long common span, the same numbers), and rows that share an item's wording with other "
        "numbers (template). Counted among rows no earlier stage dropped.",
        "",
        "| benchmark | same problem | template (other numbers) |",
        "|---|---:|---:|",
        *[f"| {k} | {v['problem']} | {v['template']} |" for k, v in s["benchmarks"].items()],
        "",
        f"Rows flagged: {s['rows']}; dropped as contaminated: {s['dropped']}; "
        f"also matching but already dropped by an earlier stage: {s['already_dropped']}.",
    ]
    return "\n".join(lines) + "\n"
