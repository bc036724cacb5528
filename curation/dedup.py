"""Deduplication: exact duplicates, same-template groups, MinHash-LSH near duplicates, clusters.

Stage functions (keyword-only settings, never remove rows):

- `mark_exact_duplicates(df)` — rows whose *normalized* question is identical form a cluster.
- `mark_template_groups(df)` — rows whose normalized question is identical once digits are masked,
  but that are not all the same text, share a `template_group` (a flag, never a drop).
- `mark_near_duplicates(df)` — exact groups plus verified MinHash-LSH near-duplicate pairs, joined
  into clusters by connected components (this recomputes the cluster columns, so it subsumes the
  exact step).
- `mark_duplicates(df, settings=, source_priority=, index_dir=)` — template groups, then exact +
  near clusters; with `index_dir`, the batch is deduplicated against a persisted index of an
  existing curated dataset (incremental mode; see `update_index`).

Input columns: `id`, `source`, `question`, `answer`, `answer_type`, `solution`, `drop_reason`,
`review_reason`. Output columns: `exact_dup_of`, `template_group`, `cluster_id`, `duplicate_of`,
`dup_similarity`, `conflicting_answers`, `drop_reason`, `review_reason`.

Normalization (`normalized_text_expr` / `normalize_series`, polars only): NFKC, lowercase; `$$`, `\\[ \\]`, `\\( \\)` → `$`;
`\\dfrac`/`\\tfrac` → `\\frac`; `\\left`, `\\right`, `\\big…` sizing and `\\displaystyle` dropped; `\\leq`/
`\\leqslant`/`≤` → `\\le`, likewise `\\ge`, `\\ne`; LaTeX spacing (`\\,` `\\;` `\\:` `\\!` `\\ ` `~` `\\quad`
`\\qquad`) → space; whitespace runs collapsed; spaces next to any non-word character, and between a
command and a following non-letter, removed (so spacing inside math and around punctuation does
not matter). Digits are kept: problems that differ
only in their numbers are *different* exact keys; `template_group` reports them instead.

Near duplicates: character `shingle_size`-grams of the normalized question, MinHash (`num_perm`,
`seed`, datasketch-identical, see `curation.minhash`), LSH with `bands` x `rows`, then every
candidate pair is checked with the exact Jaccard similarity of the shingle sets; pairs with
Jaccard >= `threshold` are edges. Note: with character 5-grams a long problem whose only change is
one number can still reach Jaccard >= 0.8, so near-dup clustering *can* merge such problems (the
"differ only in numbers" rule is enforced for exact dedup and surfaced via `template_group`; raise
`threshold` to be stricter).

Clusters are the connected components of exact and near edges (transitive: A~B and B~C give one
cluster even when A and C are not similar). `cluster_id` is the representative's id and is set on
every member of a cluster with more than one member.

Representative rule (first difference wins):
  1. in incremental mode, rows of the existing dataset (they are never dropped);
  2. rows without a `drop_reason` from an earlier stage (already-dropped rows still join clusters
     and can link other rows, but are never chosen while a live member exists);
  3. higher source priority (`source_priority[source]`, default 0);
  4. has a solution (non-empty);
  5. has a verified answer (non-empty answer and `answer_type != "unknown"`);
  6. lowest `id`; 7. first row.

Every other member gets `duplicate_of` = representative id and `dup_similarity` = its exact
character-shingle Jaccard similarity *to the representative* (1.0 for an identical normalized
text; it can be below `threshold` for a member joined transitively). `exact_dup_of` = id of the best
member (same rule) with the identical normalized text, when that is another row. When
`drop_duplicates`, `drop_reason` = "exact_duplicate" (row has `exact_dup_of`) or "near_duplicate",
only where it is null.

Conflicting answers: members' answers are normalized (same normalization, `$` and whitespace
removed); when a cluster has more than one distinct non-null answer (and, if
`curation.verifier.judge` is importable, some answer is not judged "equivalent" to the
representative's), every member gets `conflicting_answers=True` and the representative (if in
this batch) `review_reason="conflicting_answers"` where null.

Incremental mode (`index_dir`): the folder holds `params.json` (shingle size, permutations, bands,
rows, seed, normalization and hash versions — a run with other values is refused with
`DedupIndexError`; the threshold may differ) and `part-NNNNN.parquet` files with one row per indexed
problem: `id, source, norm` (normalized question), `ans` (normalized answer), `has_solution`,
`verified`, `tmpl` (stable xxh3 hash of the digit-masked text) and the band keys `b0..b{bands-1}`
(uint64). Existing rows take part when they share a normalized text or an LSH band key with a batch
row (their shingles are recomputed from `norm` for the exact check); they rank before every batch
row, so a batch row duplicating an existing row gets `duplicate_of` = the existing id. Existing rows
are not in the output and are never modified (a conflict with an existing row flags the batch
members only). `update_index(df_kept, index_dir, settings)` appends a part file.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Optional

import numpy as np
import polars as pl

from curation.config import DedupSettings
from curation.errors import CurateError
from curation.frames import apply_to_subset
from curation import minhash as mh
from schemas import conform

INDEX_FORMAT = 1
NORMALIZATION_VERSION = 1
PARAMS_FILE = "params.json"


class DedupIndexError(CurateError):
    """A dedup index cannot be used: missing, corrupt, or built with different parameters."""


# ------------------------------------------------------------------------------- normalization
_SPACING = r"\\[,;:! ]|~|\\q?quad\b"


def _after_nfkc(e: pl.Expr) -> pl.Expr:
    e = e.str.to_lowercase()
    e = e.str.replace_all(r"\$\$|\\\[|\\\]|\\\(|\\\)", "$")
    e = e.str.replace_all(r"\\[dt]frac\b", r"\frac")
    e = e.str.replace_all(r"\\(?:left|right|(?:big|bigg)[lr]?|displaystyle|textstyle)\b", " ")
    e = e.str.replace_all(r"\\leq(?:slant)?\b|≤", r"\le ")
    e = e.str.replace_all(r"\\geq(?:slant)?\b|≥", r"\ge ")
    e = e.str.replace_all(r"\\neq\b|≠", r"\ne ")
    e = e.str.replace_all(_SPACING, " ")
    e = e.str.replace_all(r"\s\s+|[^\S ]", " ")  # whitespace runs (matches only where needed)
    e = e.str.replace_all(r" ([^\w ]) ?|([^\w ]) ", "${1}${2}")  # spaces next to a non-word char
    e = e.str.replace_all(r"(\\[a-z]+) ([^a-z])", "$1$2")  # `\le 3` == `\le3`
    return e.str.strip_chars(" ")


def normalized_text_expr(expr: pl.Expr) -> pl.Expr:
    """The dedup normalization of a string expression (see the module docstring); null → ""."""
    return _after_nfkc(expr.fill_null("").str.normalize("NFKC"))


def normalized_question_expr(col: str = "question") -> pl.Expr:
    return normalized_text_expr(pl.col(col))


def normalize_series(texts: pl.Series) -> pl.Series:
    """`normalized_text_expr` over a Series, faster: NFKC runs only on the non-ASCII rows (NFKC
    leaves ASCII unchanged), which is most of the cost on English text."""
    s = texts.cast(pl.Utf8).fill_null("")
    non_ascii = s.str.contains(r"[^\x00-\x7f]")
    if non_ascii.any():
        idx = non_ascii.arg_true()
        s = s.scatter(idx, s.gather(idx).str.normalize("NFKC"))
    return pl.select(_after_nfkc(pl.lit(s))).to_series().alias(texts.name)


def template_expr(norm: pl.Expr) -> pl.Expr:
    """Digit-masked form of a normalized text: every number (`12`, `3.5`) becomes `#`."""
    return norm.str.replace_all(r"\d+(?:\.\d+)?", "#")


def normalized_answer_expr(col: str = "answer") -> pl.Expr:
    e = normalized_text_expr(pl.col(col)).str.replace_all(r"[\s$]", "").str.strip_chars(".")
    return pl.when(pl.col(col).is_null() | (e == "")).then(None).otherwise(e)


def _stable_hashes(values: list[str]) -> list[int]:
    import xxhash

    return [xxhash.xxh3_64_intdigest(v.encode("utf-8")) for v in values]


# ------------------------------------------------------------------------------------- helpers
def _prepare(df: pl.DataFrame, source_priority: Optional[dict[str, int]], norm: Optional[pl.Series] = None) -> pl.DataFrame:
    prio = source_priority or {}
    if norm is None:
        norm = normalize_series(df["question"])
    sol = pl.col("solution").is_not_null() & (pl.col("solution").str.strip_chars() != "")
    ver = (
        pl.col("answer").is_not_null()
        & (pl.col("answer").str.strip_chars() != "")
        & (pl.col("answer_type").fill_null("unknown") != "unknown")
    )
    return df.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_node"),
        pl.col("id").cast(pl.Utf8),
        pl.col("source").cast(pl.Utf8),
        pl.lit(norm).alias("_norm"),
        normalized_answer_expr().alias("_ans"),
        sol.alias("_sol"),
        ver.alias("_ver"),
        pl.col("drop_reason").is_not_null().alias("_dropped"),
        pl.lit(False).alias("_existing"),
        pl.col("source").replace_strict(prio, default=0, return_dtype=pl.Int64).alias("_prio")
        if prio
        else pl.lit(0, dtype=pl.Int64).alias("_prio"),
    )


def _rank(nodes: pl.DataFrame) -> np.ndarray:
    """Position of each node in the representative order (0 = best)."""
    order = nodes.select(
        pl.arg_sort_by(
            [~pl.col("_existing"), pl.col("_dropped"), -pl.col("_prio"), ~pl.col("_sol"), ~pl.col("_ver"),
             pl.col("id"), pl.col("_node")],
            nulls_last=True,
        )
    ).to_series().to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _params(settings: DedupSettings) -> dict:
    return {
        "index_format": INDEX_FORMAT,
        "normalization": NORMALIZATION_VERSION,
        "hash": "fnv1a-fmix64/affine32",
        "shingle_size": settings.shingle_size,
        "num_perm": settings.num_perm,
        "bands": settings.bands,
        "rows": settings.rows,
        "seed": settings.seed,
    }


def _check_settings(settings: DedupSettings) -> None:
    if settings.bands * settings.rows > settings.num_perm:
        raise CurateError(
            f"dedup: bands*rows = {settings.bands * settings.rows} exceeds num_perm = {settings.num_perm}"
        )
    if settings.shingle_size < 1 or settings.num_perm < 1 or settings.bands < 1 or settings.rows < 1:
        raise CurateError("dedup: shingle_size, num_perm, bands and rows must be positive")
    if not 0.0 < settings.threshold <= 1.0:
        raise CurateError(f"dedup: threshold must be in (0, 1], got {settings.threshold}")


def _band_cols(bands: int) -> list[str]:
    return [f"b{j}" for j in range(bands)]


# ------------------------------------------------------------------------------------ index I/O
def _read_params(index_dir: Path) -> Optional[dict]:
    p = index_dir / PARAMS_FILE
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DedupIndexError(f"{p}: unreadable dedup index parameters: {exc}") from None


def _require_same_params(index_dir: Path, stored: dict, settings: DedupSettings) -> None:
    want = _params(settings)
    diff = {k: (stored.get(k), v) for k, v in want.items() if stored.get(k) != v}
    if diff:
        detail = ", ".join(f"{k}: index has {a!r}, settings have {b!r}" for k, (a, b) in diff.items())
        raise DedupIndexError(
            f"{index_dir}: dedup index was built with different parameters ({detail}); "
            "rebuild the index or use its parameters"
        )


def load_index(index_dir: Path, settings: DedupSettings) -> Optional[pl.DataFrame]:
    """The persisted index rows (None when `index_dir` has no index). Refuses other parameters."""
    index_dir = Path(index_dir)
    stored = _read_params(index_dir)
    if stored is None:
        return None
    _require_same_params(index_dir, stored, settings)
    parts = sorted(index_dir.glob("part-*.parquet"))
    if not parts:
        return None
    try:
        return pl.concat([pl.read_parquet(p) for p in parts], how="vertical")
    except Exception as exc:  # corrupt part file
        raise DedupIndexError(f"{index_dir}: cannot read dedup index: {exc}") from None


def _index_rows(df: pl.DataFrame, settings: DedupSettings) -> pl.DataFrame:
    prep = _prepare(df, None)
    norms = prep["_norm"].to_list()
    bands, _ = mh.band_hashes(
        norms, num_perm=settings.num_perm, seed=settings.seed, shingle_size=settings.shingle_size,
        bands=settings.bands, rows=settings.rows,
    )
    tmpl = prep.select(template_expr(pl.col("_norm"))).to_series().to_list()
    out = prep.select(
        "id", "source", pl.col("_norm").alias("norm"), pl.col("_ans").alias("ans"),
        pl.col("_sol").alias("has_solution"), pl.col("_ver").alias("verified"),
    ).with_columns(pl.Series("tmpl", _stable_hashes(tmpl), dtype=pl.UInt64))
    return out.with_columns([pl.Series(c, bands[:, j], dtype=pl.UInt64) for j, c in enumerate(_band_cols(settings.bands))])


def update_index(df_kept: pl.DataFrame, index_dir: Path | str, settings: DedupSettings = DedupSettings()) -> int:
    """Append rows (normally the rows kept after dedup) to the persisted index in `index_dir`.

    Creates the index when absent (`params.json` + `part-NNNNN.parquet` files); refuses when it was
    built with other parameters. Rows whose id is already in the index are skipped. Returns the
    number of rows added.
    """
    _check_settings(settings)
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    stored = _read_params(index_dir)
    if stored is not None:
        _require_same_params(index_dir, stored, settings)
    else:
        (index_dir / PARAMS_FILE).write_text(json.dumps(_params(settings), indent=2) + "\n", encoding="utf-8")
    df = conform(df_kept)
    if df.height == 0:
        return 0
    existing = load_index(index_dir, settings)
    if existing is not None:
        df = df.join(existing.select("id"), on="id", how="anti")
    if df.height == 0:
        return 0
    rows = _index_rows(df, settings)
    n_parts = len(list(index_dir.glob("part-*.parquet")))
    path = index_dir / f"part-{n_parts:05d}.parquet"
    fd, tmp = tempfile.mkstemp(prefix=".part.", suffix=".tmp", dir=index_dir)
    os.close(fd)
    try:
        rows.write_parquet(tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return rows.height


# ----------------------------------------------------------------------------------- the engine
class _Clock:
    """Records CPU seconds per phase into `stats["phases"]` (no-op without stats)."""

    def __init__(self, stats: Optional[dict]):
        self.stats = stats
        self.last = time.process_time()
        if stats is not None:
            stats.setdefault("phases", {})

    def __call__(self, name: str) -> None:
        if self.stats is None:
            return
        now = time.process_time()
        self.stats["phases"][name] = self.stats["phases"].get(name, 0.0) + now - self.last
        self.last = now


def _conflicts(nodes: pl.DataFrame) -> set[int]:
    """Components (by label) whose members carry different reference answers."""
    multi = (
        nodes.filter(pl.col("_ans").is_not_null())
        .group_by("_comp")
        .agg(pl.col("_ans").unique().alias("answers"), pl.col("_ans").sort_by("_rank").first().alias("ref"))
        .filter(pl.col("answers").list.len() > 1)
    )
    if multi.height == 0:
        return set()
    try:
        from curation.verifier import judge as _judge  # type: ignore[attr-defined]
    except Exception:
        try:
            from curation.verifier.compare import judge as _judge
        except Exception:
            _judge = None
    out: set[int] = set()
    for comp, answers, ref in multi.iter_rows():
        if _judge is None:
            out.add(comp)
            continue
        try:
            same = all(a == ref or _judge(ref, a).outcome == "equivalent" for a in answers)
        except Exception:
            same = False
        if not same:
            out.add(comp)
    return out


def _engine(
    df: pl.DataFrame,
    settings: DedupSettings,
    source_priority: Optional[dict[str, int]],
    index_dir: Optional[Path],
    near: bool,
    stats: Optional[dict] = None,
    norm: Optional[pl.Series] = None,
    signatures: Optional[np.ndarray] = None,
) -> pl.DataFrame:
    """`index_dir` may be a folder (loaded here) or an already loaded index frame (or None).

    `signatures`: precomputed MinHash signatures of every row, see `mark_duplicates`."""
    _check_settings(settings)
    df = conform(df)
    n = df.height
    t0 = time.perf_counter()
    if n == 0:
        return df
    batch = _prepare(df, source_priority, norm)
    clock = _Clock(stats)
    clock("prepare")

    if isinstance(index_dir, pl.DataFrame):
        index = index_dir
    else:
        index = load_index(Path(index_dir), settings) if index_dir is not None else None
    empty = batch["_norm"].str.len_bytes() == 0
    # --- existing rows involved: identical normalized text, or LSH candidates
    extra: list[pl.DataFrame] = []
    near_pairs = np.zeros((0, 2), dtype=np.int64)
    near_sims = np.zeros(0)
    # unique non-empty texts in the batch (first row of each)
    uniq = batch.filter(~empty).unique(subset="_norm", keep="first", maintain_order=True)
    uniq_rows = uniq["_node"].to_numpy()
    uniq_texts = uniq["_norm"]
    idx_pos = np.zeros(0, dtype=np.int64)  # index row positions of involved existing rows
    if index is not None and index.height:
        exact_hit = index.with_row_index("_ipos").join(uniq.select("_norm").rename({"_norm": "norm"}), on="norm", how="semi")
        idx_pos = exact_hit["_ipos"].to_numpy().astype(np.int64)
    if near and len(uniq_texts):
        if signatures is not None:  # precomputed per row (e.g. in chunks on several workers by flows/)
            if signatures.shape != (n, settings.num_perm):
                raise ValueError(f"signatures must have shape ({n}, {settings.num_perm}), got {signatures.shape}")
            sig_t = np.ascontiguousarray(signatures[uniq_rows].T)
            bands_b = mh.band_hashes_from_signatures(sig_t, settings.bands, settings.rows)
            nonempty_b = np.ones(len(uniq_rows), dtype=bool)  # uniq excludes empty texts
        else:
            bands_b, nonempty_b = mh.band_hashes(
                uniq_texts, num_perm=settings.num_perm, seed=settings.seed, shingle_size=settings.shingle_size,
                bands=settings.bands, rows=settings.rows,
            )
        clock("signatures")
        if index is not None and index.height:
            bands_e = index.select(_band_cols(settings.bands)).to_numpy().astype(np.uint64)
            matrix = np.vstack([bands_b, bands_e])
            active = np.r_[nonempty_b, index["norm"].str.len_bytes().to_numpy() > 0]
            query = np.r_[np.ones(len(uniq_texts), bool), np.zeros(index.height, bool)]
            cand = mh.candidate_pairs(matrix, active=active, query=query, max_bucket=settings.max_bucket)
        else:
            cand = mh.candidate_pairs(bands_b, active=nonempty_b, max_bucket=settings.max_bucket)
        clock("candidates")
        if stats is not None:
            stats["candidates"] = len(cand)
        if len(cand):
            u = len(uniq_texts)
            if index is not None and index.height:
                cand_idx = np.unique(cand[cand >= u] - u)
                idx_pos = np.unique(np.r_[idx_pos, cand_idx])
                idx_texts = index["norm"].gather(cand_idx).to_list()
                texts = pl.concat([uniq_texts, pl.Series("_norm", idx_texts, dtype=pl.Utf8)])
                # map candidate ids into [0, u + len(cand_idx))
                remap = cand.copy()
                big = remap >= u
                remap[big] = u + np.searchsorted(cand_idx, remap[big] - u)
            else:
                texts, remap = uniq_texts, cand
            sim = mh.jaccard_pairs(texts, remap, shingle_size=settings.shingle_size)
            keep = sim >= settings.threshold
            near_pairs = cand[keep]
            near_sims = sim[keep]
            clock("verify")
            if stats is not None:
                stats["verified_pairs"] = int(keep.sum())
                if stats.get("collect_pairs"):
                    # verified near pairs as row ids of the first row of each normalized text (batch
                    # rows) or index ids (existing rows), with their exact Jaccard
                    names = uniq["id"].to_list()
                    if index is not None and index.height:
                        names = names + index["id"].to_list()
                    stats["pairs"] = [(names[i], names[j], float(x)) for (i, j), x in zip(near_pairs, sim[keep])]

    # --- nodes: batch rows, then involved existing rows
    n_nodes = n
    if len(idx_pos):
        idx_pos = np.unique(idx_pos)
        ex = index[idx_pos]
        prio = source_priority or {}
        extra.append(
            ex.select(
                (pl.int_range(pl.len(), dtype=pl.Int64) + n).alias("_node"),
                pl.col("id"), pl.col("source"), pl.col("norm").alias("_norm"), pl.col("ans").alias("_ans"),
                pl.col("has_solution").alias("_sol"), pl.col("verified").alias("_ver"),
                pl.lit(False).alias("_dropped"), pl.lit(True).alias("_existing"),
                pl.col("source").replace_strict(prio, default=0, return_dtype=pl.Int64).alias("_prio")
                if prio else pl.lit(0, dtype=pl.Int64).alias("_prio"),
            )
        )
        n_nodes += len(idx_pos)
    nodes = pl.concat([batch, *extra], how="vertical") if extra else batch
    # exact group label: the first node with the same text; empty texts are never grouped
    nodes = nodes.with_columns(
        pl.when(pl.col("_norm").str.len_bytes() == 0)
        .then(pl.col("_node"))
        .otherwise(pl.col("_node").min().over("_norm"))
        .alias("_key")
    )
    # map near pairs (uniq-text index space + index positions) to node indices
    edges = [np.zeros((0, 2), dtype=np.int64)]
    if len(near_pairs):
        u = len(uniq_texts)
        to_node = np.empty(u + (index.height if index is not None else 0), dtype=np.int64)
        to_node[:u] = uniq_rows
        if index is not None and index.height and len(idx_pos):
            to_node[u + idx_pos] = n + np.arange(len(idx_pos))
        node_pairs = to_node[near_pairs]
        edges.append(node_pairs)
        # remember verified similarities, so members linked directly to their representative are
        # not shingled twice
        lo, hi = node_pairs.min(axis=1), node_pairs.max(axis=1)
        known_key = (lo.astype(np.uint64) << np.uint64(32)) | hi.astype(np.uint64)
        order = np.argsort(known_key)
        known_key, known_sim = known_key[order], near_sims[order]
    else:
        known_key, known_sim = np.zeros(0, dtype=np.uint64), np.zeros(0)
    # exact edges: every node to the first node with the same key
    first = nodes["_key"].to_numpy()
    same = first != np.arange(n_nodes)
    edges.append(np.stack([np.flatnonzero(same), first[same]], axis=1))
    comp = mh.connected_components(n_nodes, np.concatenate(edges))
    rank = _rank(nodes)
    nodes = nodes.with_columns(pl.Series("_comp", comp), pl.Series("_rank", rank))
    nodes = nodes.with_columns(
        pl.len().over("_comp").alias("_size"),
        pl.col("_node").sort_by("_rank").first().over("_comp").alias("_rep"),
        pl.col("_node").sort_by("_rank").first().over("_key").alias("_exact_best"),
    )
    reps = nodes["_rep"].to_numpy()
    ids = nodes["id"]
    key_np = nodes["_key"].to_numpy()
    # similarity to representative: 1.0 for identical text, exact Jaccard otherwise
    b = nodes.head(n)
    in_cluster = (b["_size"] > 1).to_numpy()
    not_rep = in_cluster & (b["_rep"].to_numpy() != np.arange(n))
    sim = np.full(n, np.nan)
    rep_b = reps[:n]
    same_text = key_np[:n] == key_np[rep_b]
    sim[not_rep & same_text] = 1.0
    need = np.flatnonzero(not_rep & ~same_text)
    if len(need):
        all_texts = nodes["_norm"]
        lo, hi = np.minimum(need, rep_b[need]), np.maximum(need, rep_b[need])
        qk = (lo.astype(np.uint64) << np.uint64(32)) | hi.astype(np.uint64)
        at = np.minimum(np.searchsorted(known_key, qk), max(len(known_key) - 1, 0))
        hit = (known_key[at] == qk) if len(known_key) else np.zeros(len(qk), dtype=bool)
        sim[need[hit]] = known_sim[at[hit]]
        miss = need[~hit]
        if len(miss):
            pair_nodes = np.stack([miss, rep_b[miss]], axis=1)
            sim[miss] = mh.jaccard_pairs(all_texts, pair_nodes, shingle_size=settings.shingle_size)
    conflict_comps = _conflicts(nodes.filter(pl.col("_size") > 1)) if in_cluster.any() else set()
    b = b.with_columns(
        pl.Series("_sim", sim),
        pl.Series("_rep_id", ids.gather(rep_b)),
        pl.Series("_best_id", ids.gather(nodes["_exact_best"].head(n).to_numpy())),
        pl.col("_comp").is_in(list(conflict_comps)).alias("_conflict"),
    )
    is_rep = pl.col("_rep") == pl.col("_node")
    multi = pl.col("_size") > 1
    exact_of = pl.when(pl.col("_exact_best") != pl.col("_node")).then(pl.col("_best_id")).otherwise(None)
    out_cols = b.select(
        exact_of.alias("exact_dup_of"),
        pl.when(multi).then(pl.col("_rep_id")).otherwise(None).alias("cluster_id"),
        pl.when(multi & ~is_rep).then(pl.col("_rep_id")).otherwise(None).alias("duplicate_of"),
        pl.when(multi & ~is_rep).then(pl.col("_sim")).otherwise(None).alias("dup_similarity"),
        (multi & pl.col("_conflict")).alias("conflicting_answers"),
        pl.when(multi & ~is_rep)
        .then(pl.when(exact_of.is_not_null()).then(pl.lit("exact_duplicate")).otherwise(pl.lit("near_duplicate")))
        .otherwise(None)
        .alias("_dup_reason"),
        (multi & is_rep & pl.col("_conflict")).alias("_review"),
    )
    df = df.with_columns(
        out_cols["exact_dup_of"],
        out_cols["cluster_id"],
        out_cols["duplicate_of"],
        out_cols["dup_similarity"].fill_nan(None),
        out_cols["conflicting_answers"],
        out_cols["_dup_reason"],
        out_cols["_review"],
    )
    updates = [
        pl.when(pl.col("review_reason").is_null() & pl.col("_review"))
        .then(pl.lit("conflicting_answers"))
        .otherwise(pl.col("review_reason"))
        .alias("review_reason")
    ]
    if settings.drop_duplicates:
        updates.append(
            pl.when(pl.col("drop_reason").is_null()).then(pl.col("_dup_reason")).otherwise(pl.col("drop_reason")).alias("drop_reason")
        )
    df = df.with_columns(updates).drop("_dup_reason", "_review")
    clock("clusters")
    if stats is not None:
        stats["seconds"] = time.perf_counter() - t0
        stats["existing_involved"] = int(len(idx_pos))
    return df


# ------------------------------------------------------------------------------------ public API
def mark_exact_duplicates(
    df: pl.DataFrame,
    *,
    settings: DedupSettings = DedupSettings(),
    source_priority: Optional[dict[str, int]] = None,
    index_dir: Optional[Path] = None,
) -> pl.DataFrame:
    """Clusters of identical normalized questions (see module docstring for columns and rules)."""
    return _engine(df, settings, source_priority, index_dir, near=False)


def mark_template_groups(df: pl.DataFrame, *, index_dir: Optional[Path] = None, settings: DedupSettings = DedupSettings()) -> pl.DataFrame:
    """Set `template_group` (hex hash of the digit-masked normalized question) on rows whose template
    is shared with at least one row with a *different* normalized question (in this frame or, with
    `index_dir`, in the index). A flag only: nothing is dropped. Output: `template_group`."""
    df = conform(df)
    if df.height == 0:
        return df
    index = load_index(Path(index_dir), settings) if index_dir is not None else None
    return _template_groups(df, normalize_series(df["question"]), index)


def _template_groups(df: pl.DataFrame, norm: pl.Series, index: Optional[pl.DataFrame]) -> pl.DataFrame:
    t = pl.DataFrame({"_norm": norm}).with_columns(template_expr(pl.col("_norm")).alias("_tmpl"))
    t = t.with_columns(
        ((pl.col("_norm").n_unique().over("_tmpl") > 1) & (pl.col("_norm").str.len_bytes() > 0)).alias("_shared")
    )
    with_index = index is not None and index.height > 0
    # stable hashes only where needed: shared templates, or every template when matching an index
    need = t if with_index else t.filter(pl.col("_shared"))
    uniq_t = need["_tmpl"].unique().to_list()
    hashes = _stable_hashes(uniq_t)
    hmap = pl.DataFrame(
        {"_tmpl": uniq_t, "_h": hashes, "_hex": [f"{h:016x}" for h in hashes]},
        schema={"_tmpl": pl.Utf8, "_h": pl.UInt64, "_hex": pl.Utf8},
    )
    t = t.join(hmap, on="_tmpl", how="left", maintain_order="left")
    shared = pl.col("_shared")
    if with_index:
        ex = index.select(pl.col("tmpl").alias("_h"), pl.col("norm").alias("_enorm"))
        other = (
            t.select("_h", "_norm").unique().join(ex, on="_h", how="inner")
            .filter(pl.col("_enorm") != pl.col("_norm"))
            .select("_h", "_norm").unique()
            .with_columns(pl.lit(True).alias("_ext"))
        )
        t = t.join(other, on=["_h", "_norm"], how="left", maintain_order="left")
        shared = shared | (pl.col("_ext").fill_null(False) & (pl.col("_norm").str.len_bytes() > 0))
    group = t.select(pl.when(shared).then(pl.col("_hex")).otherwise(None).alias("template_group"))
    return df.with_columns(group["template_group"])


def mark_near_duplicates(
    df: pl.DataFrame,
    *,
    settings: DedupSettings = DedupSettings(),
    source_priority: Optional[dict[str, int]] = None,
    index_dir: Optional[Path] = None,
) -> pl.DataFrame:
    """Exact + MinHash-LSH near-duplicate clusters (recomputes all cluster columns)."""
    return _engine(df, settings, source_priority, index_dir, near=True)


def mark_duplicates(
    df: pl.DataFrame,
    *,
    settings: DedupSettings = DedupSettings(),
    source_priority: Optional[dict[str, int]] = None,
    index_dir: Optional[Path] = None,
    stats: Optional[dict] = None,
    signatures: Optional[np.ndarray] = None,
) -> pl.DataFrame:
    """The dedup stage: exact duplicates, template groups, near duplicates (in that order).

    Puzzles (`kind = "puzzle"`) are rendered from shared templates, so text similarity between two
    of them means nothing: a puzzle is a duplicate only of an identical puzzle (same content id).

    With `index_dir` holding an index (see `update_index`), the batch is deduplicated against the
    existing dataset too: a new row duplicating an existing row gets `duplicate_of` = that row's id;
    existing rows always win and are never touched. An absent index means a plain batch run.
    `stats` (optional dict) receives counts and timings.
    `signatures` (optional): the MinHash signatures of every row, in row order, as
    `minhash.minhash_signatures(signature_texts(df), num_perm=, seed=, shingle_size=)` with these
    settings would compute them (shape (rows, num_perm), uint32) - e.g. computed in row chunks on
    several workers by the Prefect flow; the result is the same as without them.
    """
    df = conform(df)
    is_puzzle = df["kind"] == "puzzle"
    if not is_puzzle.any():
        return _mark_text_duplicates(
            df, settings=settings, source_priority=source_priority, index_dir=index_dir, stats=stats, signatures=signatures
        )
    text_signatures = signatures[(~is_puzzle).to_numpy()] if signatures is not None else None
    df = apply_to_subset(
        df,
        pl.col("kind") != "puzzle",
        lambda part: _mark_text_duplicates(
            part,
            settings=settings,
            source_priority=source_priority,
            index_dir=index_dir,
            stats=stats,
            signatures=text_signatures,
        ),
    )
    return apply_to_subset(
        df, pl.col("kind") == "puzzle", lambda part: mark_puzzle_copies(part, drop=settings.drop_duplicates)
    )


def mark_puzzle_copies(df: pl.DataFrame, *, drop: bool = True) -> pl.DataFrame:
    """Later copies of an identical puzzle (same content id) are exact duplicates of the first.

    Input: `id`, `exact_dup_of`, `drop_reason`. Output: `exact_dup_of` set on the copies, and
    `drop_reason = "exact_duplicate"` where still null when `drop`.
    """
    first = pl.int_range(pl.len()).over("id") == 0
    return df.with_columns(
        exact_dup_of=pl.when(first).then(pl.col("exact_dup_of")).otherwise(pl.col("id")),
        drop_reason=pl.when(first | pl.col("drop_reason").is_not_null() | (not drop))
        .then(pl.col("drop_reason"))
        .otherwise(pl.lit("exact_duplicate")),
    )


def _mark_text_duplicates(
    df: pl.DataFrame,
    *,
    settings: DedupSettings = DedupSettings(),
    source_priority: Optional[dict[str, int]] = None,
    index_dir: Optional[Path] = None,
    stats: Optional[dict] = None,
    signatures: Optional[np.ndarray] = None,
) -> pl.DataFrame:
    """Exact, template and near duplicates by question text (see `mark_duplicates`)."""
    _check_settings(settings)
    df = conform(df)
    if df.height == 0:
        return df
    t0 = time.process_time()
    norm = normalize_series(df["question"])
    index = load_index(Path(index_dir), settings) if index_dir is not None else None
    df = _template_groups(df, norm, index)
    if stats is not None:
        stats.setdefault("phases", {})["normalize+template"] = time.process_time() - t0
    return _engine(df, settings, source_priority, index, near=True, stats=stats, norm=norm, signatures=signatures)


def signature_texts(df: pl.DataFrame) -> pl.Series:
    """The text of each row that near-duplicate detection shingles (the normalized question)."""
    return normalize_series(conform(df)["question"])


def source_priority_from_config(cfg) -> dict[str, int]:
    """`{source name: priority}` from a `PipelineConfig` (name defaults to the file stem)."""
    out: dict[str, int] = {}
    for s in cfg.sources:
        name = s.name or Path(s.path).stem
        out[name] = s.priority
    return out


# ------------------------------------------------------------------------------- card + summary
def dedup_summary(df: pl.DataFrame) -> dict:
    """Counts for reports: clusters, duplicates by kind, conflicting clusters, template groups."""
    df = conform(df)
    clustered = df.filter(pl.col("cluster_id").is_not_null())
    sizes = clustered.group_by("cluster_id").len()["len"] if clustered.height else pl.Series([], dtype=pl.UInt32)
    dups = df.filter(pl.col("duplicate_of").is_not_null())
    return {
        "rows": df.height,
        "clusters": int(sizes.len()),
        "clustered_rows": clustered.height,
        "max_cluster_size": int(sizes.max()) if sizes.len() else 0,
        "mean_cluster_size": float(sizes.mean()) if sizes.len() else 0.0,
        "duplicates": dups.height,
        "exact_duplicates": int(dups["exact_dup_of"].is_not_null().sum()),
        "near_duplicates": int(dups["exact_dup_of"].is_null().sum()),
        "dropped_as_duplicate": int(df["drop_reason"].is_in(["exact_duplicate", "near_duplicate"]).sum()),
        "conflicting_clusters": int(clustered.filter(pl.col("conflicting_answers"))["cluster_id"].n_unique()),
        "template_groups": int(df["template_group"].drop_nulls().n_unique()),
        "template_rows": int(df["template_group"].is_not_null().sum()),
    }


def dedup_card_section(df: pl.DataFrame) -> str:
    """Markdown section for the dataset card: clusters, sizes, duplicates, conflicts."""
    s = dedup_summary(df)
    hist = ""
    clustered = conform(df).filter(pl.col("cluster_id").is_not_null())
    if clustered.height:
        sizes = clustered.group_by("cluster_id").len().group_by("len").len(name="clusters").sort("len")
        hist = "\n| cluster size | clusters |\n|---:|---:|\n" + "\n".join(
            f"| {a} | {b} |" for a, b in sizes.head(10).iter_rows()
        ) + "\n"
    return (
        "## Deduplication\n\n"
        "Exact duplicates (normalized text), near duplicates (character 5-gram MinHash LSH, verified by exact "
        "Jaccard), clustered by connected components; one representative kept per cluster.\n\n"
        f"- rows: {s['rows']}\n"
        f"- duplicate clusters: {s['clusters']} ({s['clustered_rows']} rows; mean size {s['mean_cluster_size']:.2f}, "
        f"max {s['max_cluster_size']})\n"
        f"- duplicates: {s['duplicates']} ({s['exact_duplicates']} exact, {s['near_duplicates']} near); "
        f"dropped as duplicate: {s['dropped_as_duplicate']}\n"
        f"- clusters with conflicting answers: {s['conflicting_clusters']}\n"
        f"- same-template groups (numbers differ): {s['template_groups']} ({s['template_rows']} rows)\n"
        + hist
    )
