"""Dedup benchmark: curate's vectorized MinHash LSH vs plain datasketch, with exact ground truth.

    python benchmarks/dedup.py                    # 100,000 docs, baseline on a 10,000-doc prefix
    python benchmarks/dedup.py --n 1000000 --skip-baseline

Data: `n` synthetic ASCII problems of ~300 characters (Zipf-distributed words from a 20,000-word
vocabulary, numbers, inline LaTeX). About 5% of the documents are planted near duplicates of a
recent earlier document with 1-3 edits: a changed number, extra whitespace / line breaks, LaTeX
spacing (`\\,` `\\;`), two adjacent words swapped, one word replaced.

Ground truth: every pair of *distinct normalized texts* (the dedup normalization, which is what the
near-dup stage shingles) whose exact character-5-gram Jaccard is >= the threshold. It is computed
exhaustively and independently of the pipeline's hashing: a 5-gram of ASCII characters is packed
exactly into an integer (7 bits per character); candidates come from a prefix-filtering similarity
join (shingles ordered rarest first; for a set of size s the first s - ceil(t*s) + 1 shingles are
its prefix; any pair with Jaccard >= t shares a prefix shingle — the AllPairs/PPJoin principle, so
nothing is missed), and every candidate is verified with a sparse row product (scipy).

curate: end to end `mark_duplicates(df)` on all rows (normalization, template groups, exact dups,
signatures, banding, exact-Jaccard verification, clusters). Its verified near pairs are compared with
the ground truth (pair precision / recall over distinct texts), plus the precision of all pairs
implied by the clusters (transitive closure).

Baseline: plain datasketch — `MinHash(num_perm=128, hashfunc=xxhash.xxh32_intdigest)`, `update` per
shingle, `MinHashLSH(threshold, num_perm)` insert + query, no verification — on the distinct
normalized texts of the first `--baseline-n` rows (it is ~100x slower, so it runs on a prefix; the
normalization is given to it for free). Pairs it returns are compared with the ground truth
restricted to those texts.

CPU time is `time.process_time()` (all threads of the process); peak RSS is the process high-water
mark (`ru_maxrss`) right after the measured phase.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from curation.config import DedupSettings  # noqa: E402
from curation.dedup import mark_duplicates, normalized_question_expr  # noqa: E402
from schemas import conform  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ------------------------------------------------------------------------------------ data
def make_vocab(rng: np.random.Generator, size: int = 20000) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = set()
    while len(words) < size:
        k = int(rng.integers(3, 11))
        words.add("".join(rng.choice(letters, k)))
    common = ["the", "of", "and", "a", "to", "is", "in", "find", "let", "what", "that", "if", "be", "number", "value"]
    return common + sorted(words)


def make_docs(n: int, seed: int = 0, dup_rate: float = 0.05) -> tuple[list[str], np.ndarray]:
    """Synthetic problems; returns (texts, source index of planted dups or -1)."""
    rng = np.random.default_rng(seed)
    vocab = np.array(make_vocab(rng), dtype=object)
    v = len(vocab)
    # Zipf-like weights: common words are common, the tail is long
    w = 1.0 / np.arange(1, v + 1) ** 0.9
    w /= w.sum()
    n_tok = 44
    tok = rng.choice(v, size=(n, n_tok), p=w)
    nums = rng.integers(0, 1000, size=(n, 3))
    pos = rng.integers(0, n_tok - 6, size=(n, 3))
    words = vocab[tok]
    texts = []
    for i in range(n):
        row = list(words[i])
        row[pos[i, 0]] = str(nums[i, 0])
        row[pos[i, 1]] = f"$x^{{2}} + {nums[i, 1]}x = {nums[i, 2]}$"
        row[pos[i, 2] + 3] = "\\frac{a}{b}"
        texts.append(" ".join(row) + "?")
    src = np.full(n, -1, dtype=np.int64)
    planted = np.flatnonzero(rng.random(n) < dup_rate)
    planted = planted[planted > 0]
    for i in planted:
        j = int(rng.integers(max(0, i - 1000), i))
        t = texts[j]
        for _ in range(int(rng.integers(1, 4))):
            t = _edit(t, rng, vocab)
        texts[i] = t
        src[i] = j
    return texts, src


def _edit(t: str, rng: np.random.Generator, vocab) -> str:
    kind = int(rng.integers(0, 5))
    toks = t.split(" ")
    if kind == 0:  # change a number
        idx = [k for k, x in enumerate(toks) if any(c.isdigit() for c in x)]
        if idx:
            k = idx[int(rng.integers(0, len(idx)))]
            toks[k] = "".join(str(int(rng.integers(0, 10))) if c.isdigit() else c for c in toks[k])
        return " ".join(toks)
    if kind == 1:  # whitespace / line breaks
        k = int(rng.integers(1, len(toks)))
        return " ".join(toks[:k]) + ("  \n" if rng.random() < 0.5 else "   ") + " ".join(toks[k:])
    if kind == 2:  # LaTeX spacing
        return t.replace(" + ", "\\,+\\,", 1).replace(" = ", "\\;=\\;", 1)
    if kind == 3:  # swap two adjacent words
        k = int(rng.integers(0, len(toks) - 1))
        toks[k], toks[k + 1] = toks[k + 1], toks[k]
        return " ".join(toks)
    k = int(rng.integers(0, len(toks)))  # replace a word
    toks[k] = str(vocab[int(rng.integers(0, len(vocab)))])
    return " ".join(toks)


def normalized(texts: list[str]) -> list[str]:
    return pl.DataFrame({"question": texts}).select(normalized_question_expr()).to_series().to_list()


# ----------------------------------------------------------------------------- ground truth
def _count_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys = np.sort(keys)
    if not len(keys):
        return keys, np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1]
    return keys[starts], np.diff(np.r_[starts, len(keys)])


def ground_truth(texts: list[str], threshold: float, k: int = 5, c: int = 8) -> tuple[set, int]:
    """All pairs (i < j) of `texts` with exact character-k-gram Jaccard >= threshold.

    Exhaustive: shingles are packed exactly (ASCII, 7 bits per char); tokens are ordered rarest
    first; for a set x of size s with alpha = ceil(threshold*s), any y with J(x, y) >= threshold
    shares >= alpha tokens with x, so the c rarest shared tokens lie within the first s - alpha + c
    tokens of both x and y (generalized prefix filter). Pairs sharing >= c such prefix tokens (or
    all their tokens when a set is smaller) are verified exactly by sorted-array intersection on
    (doc, token id) int64 keys.
    """
    from curation.dedup.minhash import _ranges

    if not all(t.isascii() for t in texts):
        raise SystemExit("ground truth needs ASCII texts")
    n = len(texts)
    joined = "".join(texts)
    raw = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).astype(np.int64)
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)
    offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=offs[1:])
    m = len(raw) - k + 1
    code = np.zeros(m, dtype=np.int64)
    for i in range(k):
        code = (code << 7) | raw[i : i + m]
    doc = np.repeat(np.arange(n, dtype=np.int64), lens)[:m]
    valid = (np.arange(m) - offs[doc]) <= (lens[doc] - k)
    doc, code = doc[valid], code[valid]
    short = np.flatnonzero((lens > 0) & (lens < k))
    if len(short):  # whole text as one shingle (never shared with a k-gram: different length)
        extra = np.array([-(1 + hash(texts[i]) % (1 << 40)) for i in short], dtype=np.int64)
        doc, code = np.r_[doc, short], np.r_[code, extra]
    uniq_codes, tid = np.unique(code, return_inverse=True)
    V = len(uniq_codes)
    key = np.unique(doc * V + tid)  # per-doc sets, sorted by (doc, token)
    doc, tid = key // V, key % V
    size = np.bincount(doc, minlength=n)
    freq = np.bincount(tid, minlength=V)
    order = np.lexsort((np.arange(V), freq))
    rank_of = np.empty(V, dtype=np.int64)
    rank_of[order] = np.arange(V)
    r = rank_of[tid]
    srt = np.lexsort((r, doc))
    pdoc, pr = doc[srt], r[srt]
    start = np.cumsum(size) - size
    alpha = np.ceil(threshold * size - 1e-9).astype(np.int64)
    need = np.minimum(c, alpha)  # shared tokens required inside the prefixes
    plen = size - alpha + need
    in_prefix = (np.arange(len(pdoc)) - start[pdoc]) < plen[pdoc]
    pd, pr = pdoc[in_prefix], pr[in_prefix]
    o = np.lexsort((pd, pr))
    pd, pr = pd[o], pr[o]
    gs = np.r_[0, np.flatnonzero(pr[1:] != pr[:-1]) + 1]
    gsz = np.diff(np.r_[gs, len(pr)])
    multi = gsz >= 2
    gs, gsz = gs[multi], gsz[multi]
    # enumerate co-occurring prefix pairs in chunks, count shared prefix tokens per pair
    parts_k, parts_c = [], []
    cnt_all = gsz * (gsz - 1) // 2
    cum = np.cumsum(cnt_all)
    budget = 20_000_000
    g0 = 0
    while g0 < len(gs):
        g1 = int(np.searchsorted(cum, (cum[g0 - 1] if g0 else 0) + budget, side="right"))
        g1 = max(g1, g0 + 1)
        s_, z_ = gs[g0:g1], gsz[g0:g1]
        pos = _ranges(s_, z_)
        cnt = np.repeat(s_ + z_, z_) - pos - 1
        left = np.repeat(pos, cnt)
        right = left + 1 + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        a, b = pd[left], pd[right]
        kk, cc = _count_pairs(np.minimum(a, b) * n + np.maximum(a, b))
        parts_k.append(kk)
        parts_c.append(cc)
        g0 = g1
    if parts_k:
        allk = np.concatenate(parts_k)
        allc = np.concatenate(parts_c)
        o = np.argsort(allk, kind="stable")
        allk, allc = allk[o], allc[o]
        st = np.r_[0, np.flatnonzero(allk[1:] != allk[:-1]) + 1]
        pk, pc = allk[st], np.add.reduceat(allc, st)
    else:
        pk, pc = np.zeros(0, np.int64), np.zeros(0, np.int64)
    enumerated = len(pk)
    ci, cj = pk // n, pk % n
    ok = (pc >= np.minimum(need[ci], need[cj])) & (
        np.minimum(size[ci], size[cj]) >= threshold * np.maximum(size[ci], size[cj]) - 1e-9
    )
    ci, cj = ci[ok], cj[ok]
    # exact verification: |x ∩ y| by looking up x's (doc, token) keys re-labelled with y's doc
    truth: set[tuple[int, int]] = set()
    step = 100_000
    for s0 in range(0, len(ci), step):
        a, b = ci[s0 : s0 + step], cj[s0 : s0 + step]
        la = size[a]
        pos = _ranges(start[a], la)
        q = np.repeat(b, la) * V + tid[pos]
        f = np.searchsorted(key, q)
        f[f >= len(key)] = len(key) - 1
        hit = key[f] == q
        inter = np.bincount(np.repeat(np.arange(len(a)), la), weights=hit, minlength=len(a))
        jac = inter / (size[a] + size[b] - inter)
        h = jac >= threshold - 1e-12
        truth.update(zip(a[h].tolist(), b[h].tolist()))
    return truth, enumerated, len(ci)


# --------------------------------------------------------------------------------- baseline
def run_datasketch(texts: list[str], threshold: float, num_perm: int, k: int = 5):
    import xxhash
    from datasketch import MinHash, MinHashLSH

    import psutil

    live0 = psutil.Process().memory_info().rss
    t0 = time.process_time()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sketches = []
    for i, t in enumerate(texts):
        m = MinHash(num_perm=num_perm, hashfunc=xxhash.xxh32_intdigest)
        for s in range(max(1, len(t) - k + 1)):
            m.update(t[s : s + k].encode())
        lsh.insert(i, m)
        sketches.append(m)
    pairs = set()
    for i, m in enumerate(sketches):
        for j in lsh.query(m):
            if j != i:
                pairs.add((min(i, j), max(i, j)))
    cpu = time.process_time() - t0
    grow = (psutil.Process().memory_info().rss - live0) / 2**20
    return pairs, cpu, rss_mb(), grow, (lsh.b, lsh.r)


def prf(found: set, truth: set) -> tuple[float, float]:
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    return precision, recall


# ------------------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="documents (default 100,000)")
    ap.add_argument("--baseline-n", type=int, default=10_000, help="rows given to the plain datasketch baseline")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--skip-truth", action="store_true", help="skip the exact ground truth (large n)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    settings = DedupSettings()

    t0 = time.perf_counter()
    texts, src = make_docs(args.n, seed=args.seed)
    df = conform(pl.DataFrame({"id": [f"d{i:08d}" for i in range(args.n)], "source": "bench", "question": texts}))
    mean_len = float(np.mean([len(t) for t in texts]))
    print(f"data: {args.n:,} docs, mean {mean_len:.0f} chars, planted near-dups {int((src >= 0).sum()):,} "
          f"(generated in {time.perf_counter() - t0:.1f}s wall); RSS before dedup {rss_mb():,.0f} MB")

    # ---- curate, end to end
    rss0 = rss_mb()
    stats: dict = {"collect_pairs": True}
    c0 = time.process_time()
    w0 = time.perf_counter()
    out = mark_duplicates(df, settings=settings, stats=stats)
    cpu = time.process_time() - c0
    wall = time.perf_counter() - w0
    peak = rss_mb()
    print(f"curate: {args.n / cpu:,.0f} docs/CPU-s ({cpu:.2f} CPU-s, {wall:.2f}s wall), peak RSS {peak:,.0f} MB "
          f"(+{peak - rss0:,.0f} MB over the loaded data)")
    print("  phases (CPU-s): " + ", ".join(f"{k} {v:.2f}" for k, v in stats.get("phases", {}).items())
          + f"; candidates {stats.get('candidates', 0):,}, verified {stats.get('verified_pairs', 0):,}")
    dropped = out["drop_reason"].value_counts().sort("drop_reason")
    print("  marked: " + ", ".join(f"{r}={c:,}" for r, c in dropped.iter_rows() if r is not None)
          + f"; clusters {out['cluster_id'].drop_nulls().n_unique():,}")

    if args.skip_truth and args.skip_baseline:
        return
    norms = normalized(texts)
    first_of: dict[str, int] = {}
    for i, t in enumerate(norms):
        first_of.setdefault(t, i)
    distinct_rows = np.array(sorted(first_of.values()), dtype=np.int64)
    distinct = [norms[i] for i in distinct_rows]
    pos_of_row = {int(r): p for p, r in enumerate(distinct_rows)}

    # ---- plain datasketch on a prefix (run before the ground truth so its RSS is not inflated)
    if not args.skip_baseline:
        nb = min(args.baseline_n, args.n)
        k_texts = int(np.searchsorted(distinct_rows, nb))
        sub = distinct[:k_texts]
        pairs, bcpu, brss, bgrow, (bb, br_) = run_datasketch(sub, settings.threshold, settings.num_perm, settings.shingle_size)
        print(f"datasketch (plain; MinHashLSH(threshold={settings.threshold}) chose b={bb}, r={br_}; first {nb:,} rows = "
              f"{k_texts:,} distinct texts): {k_texts / bcpu:,.0f} docs/CPU-s ({bcpu:.2f} CPU-s), live RSS growth "
              f"{bgrow:,.0f} MB (process peak {brss:,.0f} MB)")
        print(f"speed ratio curate / datasketch: {(args.n / cpu) / (k_texts / bcpu):.1f}x docs per CPU-second")
    if args.skip_truth:
        return

    # ---- ground truth over distinct normalized texts (first occurrence order)
    g0 = time.process_time()
    truth, n_enum, n_cand = ground_truth(distinct, settings.threshold, settings.shingle_size)
    print(f"truth: {len(distinct):,} distinct texts, {len(truth):,} pairs with Jaccard >= {settings.threshold} "
          f"(prefix-filter pairs {n_enum:,}, verified exactly {n_cand:,}; {time.process_time() - g0:.1f} CPU-s)")
    ids = {f"d{i:08d}": i for i in range(args.n)}
    found = {tuple(sorted((pos_of_row[ids[a]], pos_of_row[ids[b]]))) for a, b, _ in stats.get("pairs", [])}
    p, r = prf(found, truth)
    print(f"curate pairs: precision {p:.4f}, recall {r:.4f} ({len(found):,} verified pairs)")
    # cluster-implied pairs (transitive closure), over distinct texts
    cl = out.select(pl.int_range(pl.len()).alias("row"), "cluster_id").filter(pl.col("cluster_id").is_not_null())
    cl = cl.filter(pl.col("row").is_in(distinct_rows.tolist()))
    implied = set()
    for members in cl.group_by("cluster_id").agg("row")["row"].to_list():
        ps = sorted(pos_of_row[m] for m in members)
        implied.update((ps[x], ps[y]) for x in range(len(ps)) for y in range(x + 1, len(ps)))
    pc, rc = prf(implied, truth)
    print(f"curate clusters (all implied pairs): precision {pc:.4f}, recall {rc:.4f} ({len(implied):,} pairs)")
    if not args.skip_baseline:
        sub_truth = {(a, b) for a, b in truth if b < k_texts}
        sub_found = {(a, b) for a, b in found if b < k_texts}
        bp, brec = prf(pairs, sub_truth)
        ours_p, ours_r = prf(sub_found, sub_truth)
        print(f"on the baseline subset ({k_texts:,} texts, {len(sub_truth):,} true pairs): datasketch precision "
              f"{bp:.4f}, recall {brec:.4f} ({len(pairs):,} pairs); curate precision {ours_p:.4f}, recall {ours_r:.4f}")

if __name__ == "__main__":
    main()
