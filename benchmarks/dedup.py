"""Dedup benchmark: curate's MinHash LSH + same-problem rule vs plain datasketch, with ground truth.

    python benchmarks/dedup.py                    # 100,000 docs, baseline on a 10,000-doc prefix
    python benchmarks/dedup.py --n 1000000 --skip-baseline

Synthetic data: `n` ASCII problems of ~300 characters (Zipf-distributed words from a 20,000-word
vocabulary, numbers, inline LaTeX). About 5% are planted copies of a recent earlier document with
1-3 edits, each either a *re-formatting* (whitespace / line breaks, LaTeX spacing, `\\dfrac`, `x^2`
for `x^{2}`, `\\(...\\)` delimiters, punctuation) or a *template variant* edit (another number,
another content word, two content words swapped). Ground truth (from the generator): a copy is the
same problem as its source when all its edits are re-formattings; otherwise it is another problem
that must stay apart. Measured over distinct normalized texts: precision and recall of all pairs
implied by curate's clusters (transitive closure).

Real labelled pairs: `benchmarks/quality/dedup/near_duplicate_pairs.jsonl` (committed; questions
included, see the README there): pairs from public sets labelled same / different problem by
reading. The stage runs on all their questions; a pair is predicted "same" when both land in one
cluster. Precision and recall are printed with the pairs it gets wrong. The holdout
(`holdout_pairs.jsonl`, pairs not in the development file, from sets partly not in it) is printed
separately: it is stratified (every pair the rule merged when it was collected, plus a random sample
of the pairs it kept apart at Jaccard >= 0.7), see the README there for how to weigh it.

curate: end to end `mark_duplicates(df)` (normalization, template groups, exact dups, signatures,
linear LSH linking, exact-Jaccard + same-problem verification, clusters).

Baseline: plain datasketch — `MinHash(num_perm=128, hashfunc=xxhash.xxh32_intdigest)`, `update` per
shingle, `MinHashLSH(threshold, num_perm)` insert + query, no verification — on the distinct
normalized texts of the first `--baseline-n` rows (it is ~100x slower, so it runs on a prefix; the
normalization is given to it for free). Its pairs are compared with the same ground truth.

CPU time is `time.process_time()` (all threads of the process); peak RSS is the process high-water
mark (`ru_maxrss`) right after the measured phase.
"""

from __future__ import annotations

import argparse
import json
import re
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


def make_docs(n: int, seed: int = 0, dup_rate: float = 0.05) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Synthetic problems; returns (texts, source index of planted docs or -1, problem id per doc).

    A planted doc copies a recent earlier doc with 1-3 edits. It is the *same problem* (same
    problem id) when every edit is a re-formatting (`REFORMATS`), and a template variant (a new
    problem id) when one edit changes the problem (`VARIANTS`: a number, a word, the word order).
    """
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
    problem = np.arange(n, dtype=np.int64)
    planted = np.flatnonzero(rng.random(n) < dup_rate)
    planted = planted[planted > 0]
    for i in planted:
        j = int(rng.integers(max(0, i - 1000), i))
        t = texts[j]
        same = True
        for _ in range(int(rng.integers(1, 4))):
            if rng.random() < 0.5:
                t = REFORMATS[int(rng.integers(0, len(REFORMATS)))](t, rng, vocab)
            else:
                t = VARIANTS[int(rng.integers(0, len(VARIANTS)))](t, rng, vocab)
                same = False
        texts[i] = t
        src[i] = j
        problem[i] = problem[j] if same else i
    return texts, src, problem


def _change_number(t: str, rng: np.random.Generator, vocab) -> str:
    toks = t.split(" ")
    idx = [k for k, x in enumerate(toks) if any(c.isdigit() for c in x)]
    if idx:
        k = idx[int(rng.integers(0, len(idx)))]
        old = toks[k]
        while toks[k] == old:
            toks[k] = "".join(str(int(rng.integers(0, 10))) if c.isdigit() else c for c in old)
    return " ".join(toks)


def _replace_word(t: str, rng: np.random.Generator, vocab) -> str:
    toks = t.split(" ")
    k = int(rng.integers(0, len(toks)))
    toks[k] = str(vocab[int(rng.integers(15, len(vocab)))])  # a content word (not a common one)
    return " ".join(toks)


def _swap_words(t: str, rng: np.random.Generator, vocab) -> str:
    # two different neighbouring content words change places ("2n square, 3n cube" -> "3n square, 2n
    # cube"); moving a function word ("the") would not change the problem
    toks = t.split(" ")
    common = set(vocab[:15])
    ks = [k for k in range(len(toks) - 1) if toks[k] != toks[k + 1] and toks[k].isalpha() and toks[k + 1].isalpha()
          and toks[k] not in common and toks[k + 1] not in common]
    if ks:
        k = ks[int(rng.integers(0, len(ks)))]
        toks[k], toks[k + 1] = toks[k + 1], toks[k]
    return " ".join(toks)


def _whitespace(t: str, rng: np.random.Generator, vocab) -> str:
    toks = t.split(" ")
    k = int(rng.integers(1, len(toks)))
    return " ".join(toks[:k]) + ("  \n" if rng.random() < 0.5 else "   ") + " ".join(toks[k:])


def _latex_spacing(t: str, rng: np.random.Generator, vocab) -> str:
    return t.replace(" + ", "\\,+\\,", 1).replace(" = ", "\\;=\\;", 1)


def _latex_spelling(t: str, rng: np.random.Generator, vocab) -> str:
    t = t.replace("\\frac{a}{b}", "\\dfrac{a}{b}") if rng.random() < 0.5 else t.replace("x^{2}", "x^2")
    return re.sub(r"\$([^$]*)\$", lambda m: "\\(" + m.group(1) + "\\)", t, count=1)


def _punctuation(t: str, rng: np.random.Generator, vocab) -> str:
    return t[:-1] + " ?" if t.endswith("?") else t + "."


REFORMATS = [_whitespace, _latex_spacing, _latex_spelling, _punctuation]
VARIANTS = [_change_number, _replace_word, _swap_words]


def normalized(texts: list[str]) -> list[str]:
    return pl.DataFrame({"question": texts}).select(normalized_question_expr()).to_series().to_list()


# ----------------------------------------------------------------------------- ground truth
def ground_truth(problem_of_text: np.ndarray) -> set:
    """All pairs (i < j) of distinct normalized texts that state the same problem (generator truth)."""
    order = np.argsort(problem_of_text, kind="stable")
    p = problem_of_text[order]
    starts = np.r_[0, np.flatnonzero(p[1:] != p[:-1]) + 1]
    truth: set = set()
    for s0, s1 in zip(starts, np.r_[starts[1:], len(p)]):
        members = sorted(order[s0:s1].tolist())
        truth.update((members[x], members[y]) for x in range(len(members)) for y in range(x + 1, len(members)))
    return truth


def implied_pairs(out: pl.DataFrame, rows: np.ndarray, pos_of_row: dict) -> set:
    """Pairs of distinct texts (positions) that the output puts in one cluster."""
    cl = out.select(pl.int_range(pl.len()).alias("row"), "cluster_id").filter(pl.col("cluster_id").is_not_null())
    cl = cl.filter(pl.col("row").is_in(rows.tolist()))
    implied = set()
    for members in cl.group_by("cluster_id").agg("row")["row"].to_list():
        ps = sorted(pos_of_row[m] for m in members)
        implied.update((ps[x], ps[y]) for x in range(len(ps)) for y in range(x + 1, len(ps)))
    return implied


# ------------------------------------------------------------------------------ real labelled pairs
REAL_PAIRS = Path(__file__).resolve().parent / "quality" / "dedup" / "near_duplicate_pairs.jsonl"
HOLDOUT_PAIRS = REAL_PAIRS.with_name("holdout_pairs.jsonl")
BLIND_PAIRS = REAL_PAIRS.with_name("blind_pairs.jsonl")
TIER_PAIRS = REAL_PAIRS.with_name("answer_tier_pairs.jsonl")


def _clusters(pairs: list[dict], settings: DedupSettings) -> dict:
    """Run the dedup stage on every question of the labelled pairs (with its options, when the file
    gives them: a multiple-choice row is identified by stem and options; and its reference answer,
    `a_answer` / `b_answer`, for the answer-confirmed tier); id -> cluster id."""
    texts: dict[str, str] = {}
    choices: dict[str, list | None] = {}
    answers: dict[str, str | None] = {}
    for r in pairs:
        for side in "ab":
            texts.setdefault(r[f"{side}_id"], r[f"{side}_question"])
            choices.setdefault(r[f"{side}_id"], r.get(f"{side}_choices"))
            answers.setdefault(r[f"{side}_id"], r.get(f"{side}_answer"))
    ids = list(texts)
    df = conform(pl.DataFrame({
        "id": ids, "source": [i.split(":")[0] for i in ids], "question": [texts[i] for i in ids],
        "choices": pl.Series([choices[i] for i in ids], dtype=pl.List(pl.Utf8)),
        "answer": pl.Series([answers[i] for i in ids], dtype=pl.Utf8),
    }))
    out = mark_duplicates(df, settings=settings)
    return dict(zip(out["id"], out["cluster_id"]))


def _merged(cluster: dict, r: dict) -> bool:
    return cluster[r["a_id"]] is not None and cluster[r["a_id"]] == cluster[r["b_id"]]


def tier_effect(pairs: list[dict], settings: DedupSettings, cluster: dict) -> dict:
    """The answer-confirmed tier's effect: the clusters without it (baseline, same run), and the
    labelled pairs merged with it and not without it (printed with their labels)."""
    if not settings.answer_confirmed:
        return cluster
    off = _clusters(pairs, settings.model_copy(update={"answer_confirmed": False}))
    added = [r for r in pairs if _merged(cluster, r) and not _merged(off, r)]
    lost = [r for r in pairs if _merged(off, r) and not _merged(cluster, r)]
    same = sum(r["label"] == "same" for r in added)
    print(f"  answer-confirmed tier ([dedup] answer_confirmed): {len(added)} labelled pairs merged that the text rule "
          f"alone keeps apart: {same} labelled same, {len(added) - same} labelled different"
          + (f"; {len(lost)} merged without it are apart with it" if lost else ""))
    for r in added[:12] if len(added) > 15 else added:
        print(f"    +{r['label']} pair {r['pair']} {r['a_id']} / {r['b_id']} (J={r['jaccard']}): {r.get('note', '')}")
    if len(added) > 15:
        print(f"    ... and {len(added) - 12} more (labelled {sum(r['label'] == 'same' for r in added[12:])} same)")
    return off


def blind_pairs_quality(path: Path, settings: DedupSettings) -> None:
    """Population-weighted precision / recall on the blind stratified sample (`blind_pairs.jsonl`):
    each stratum's counts are scaled by `stratum_population / sampled pairs` (see the README there).
    Near duplicates (different stems) and the multiple-choice stratum (one stem, options compared)
    are printed apart and together; all draws pooled, then each later draw alone (a draw holds only
    the strata it re-sampled: the others, enumerated whole in draw 1, are taken from there)."""
    loaded = _labelled(path, "blind labelled pairs", settings)
    if loaded is None:
        return
    pairs, cluster, off = loaded
    wrong: list[str] = []

    def count(rows: list[dict], cluster: dict = cluster) -> dict[str, dict]:
        strata: dict[str, dict] = {}
        for r in rows:
            ca, cb = cluster[r["a_id"]], cluster[r["b_id"]]
            merged = ca is not None and ca == cb
            same = r["label"] == "same"
            c = strata.setdefault(r["stratum"], {"N": r["stratum_population"], "n": 0, "tp": 0, "fp": 0, "fn": 0})
            c["n"] += 1
            c["tp"] += merged and same
            c["fp"] += merged and not same
            c["fn"] += same and not merged
        return strata

    for r in pairs:
        merged = cluster[r["a_id"]] is not None and cluster[r["a_id"]] == cluster[r["b_id"]]
        if merged != (r["label"] == "same"):
            wrong.append(f"    {'merged' if merged else 'missed'} pair {r['pair']} [{r['stratum']}, draw {r.get('draw', 1)}] "
                         f"{r['a_id']} / {r['b_id']} (J={r['jaccard']}): {r['note']}")

    def weighted(strata: dict, names: list[str], label: str) -> None:
        w = {k: strata[k]["N"] / strata[k]["n"] for k in names}
        tp = sum(strata[k]["tp"] * w[k] for k in names)
        fp = sum(strata[k]["fp"] * w[k] for k in names)
        fn = sum(strata[k]["fn"] * w[k] for k in names)
        raw = {x: sum(strata[k][x] for k in names) for x in ("tp", "fp", "fn")}
        p = tp / (tp + fp) if tp + fp else 1.0
        rc = tp / (tp + fn) if tp + fn else 1.0
        print(f"  {label}: population-weighted precision {p:.3f}, recall {rc:.3f} (estimated pairs: {tp:,.0f} found, "
              f"{fp:,.0f} wrong merges, {fn:,.0f} missed; sample counts {raw['tp']}/{raw['tp'] + raw['fp']} merged are same, "
              f"{raw['tp']}/{raw['tp'] + raw['fn']} same are merged)")

    def report(strata: dict, title: str, baseline: dict | None = None) -> None:
        print(title)
        for name, c in sorted(strata.items()):
            print(f"  stratum {name}: population {c['N']:,}, sampled {c['n']}: merged & same {c['tp']}, merged & different "
                  f"{c['fp']}, missed same {c['fn']}")
        near = [k for k in strata if not k.startswith("mcq")]
        mcq = [k for k in strata if k.startswith("mcq")]
        weighted(strata, near, "near duplicates (different stems)")
        if baseline is not None:
            weighted(baseline, near, "near duplicates, without the answer-confirmed tier (baseline)")
        if mcq:
            weighted(strata, mcq, "multiple choice, one stem")
            weighted(strata, near + mcq, "all strata")
            if baseline is not None:
                weighted(baseline, near + mcq, "all strata, without the answer-confirmed tier (baseline)")

    pooled = count(pairs)
    report(pooled, f"blind labelled pairs ({path.name}: {len(pairs)} pairs sampled from "
                   f"{sum(c['N'] for c in pooled.values()):,} candidate pairs; strata are the rule's verdict when collected "
                   "x Jaccard band), all draws pooled:", count(pairs, off) if off is not cluster else None)
    first = count([r for r in pairs if r.get("draw", 1) == 1])
    draws = sorted({r.get("draw", 1) for r in pairs})
    for d in draws if len(draws) > 1 else []:
        strata = count([r for r in pairs if r.get("draw", 1) == d])
        strata.update({k: v for k, v in first.items() if k not in strata})
        report(strata, f"draw {d} alone (drawn and labelled without looking at the rule's verdicts; the strata it did not "
                       "re-sample, enumerated whole, from draw 1):")
    print("\n".join(wrong))


def _labelled(path: Path, what: str, settings: DedupSettings):
    """(pairs, clusters with the tier as configured, clusters without it) of a labelled file, or None
    (said) when the file is missing."""
    if not path.exists():
        print(f"{what}: {path} not found, skipped")
        return None
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    cluster = _clusters(pairs, settings)
    return pairs, cluster, tier_effect(pairs, settings, cluster)


def real_pairs_quality(path: Path, settings: DedupSettings) -> None:
    """Pair precision / recall of the dedup stage on near-duplicate pairs labelled by reading."""
    loaded = _labelled(path, "real labelled pairs", settings)
    if loaded is None:
        return
    pairs, cluster, off = loaded
    if off is not cluster:
        tp0 = sum(_merged(off, r) and r["label"] == "same" for r in pairs)
        m0 = sum(_merged(off, r) for r in pairs)
        s0 = sum(r["label"] == "same" for r in pairs)
        print(f"  without the tier (baseline): precision {tp0 / m0 if m0 else 1.0:.3f} ({tp0}/{m0}), "
              f"recall {tp0 / s0 if s0 else 1.0:.3f} ({tp0}/{s0})")
    tp = fp = fn = tn = 0
    wrong: list[str] = []
    for r in pairs:
        ca, cb = cluster[r["a_id"]], cluster[r["b_id"]]
        merged = ca is not None and ca == cb
        same = r["label"] == "same"
        tp += merged and same
        fp += merged and not same
        fn += same and not merged
        tn += not merged and not same
        if merged != same:
            wrong.append(f"    {'merged' if merged else 'missed'} pair {r['pair']} {r['a_id']} / {r['b_id']} (J={r['jaccard']}): {r['note']}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"real labelled pairs ({path.name}: {len(pairs)} pairs, {tp + fn} same problem, {fp + tn} different): "
          f"precision {precision:.3f} ({tp}/{tp + fp}), recall {recall:.3f} ({tp}/{tp + fn})")
    strata: dict[str, list[int]] = {}
    for r in pairs:  # the holdout is stratified: per stratum, pairs labelled same / merged among them / labelled different / merged
        if "stratum" in r:
            merged = cluster[r["a_id"]] is not None and cluster[r["a_id"]] == cluster[r["b_id"]]
            c = strata.setdefault(r["stratum"], [0, 0, 0, 0])
            k = 0 if r["label"] == "same" else 2
            c[k] += 1
            c[k + 1] += merged
    for name, (ns, ms, nd, md) in strata.items():
        print(f"  stratum {name}: labelled same {ns} (merged {ms}), labelled different {nd} (merged {md})")
    print("\n".join(wrong))


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
    ap.add_argument("--real", type=Path, default=REAL_PAIRS, help="labelled real near-duplicate pairs (JSONL)")
    ap.add_argument("--holdout", type=Path, default=HOLDOUT_PAIRS, help="labelled holdout pairs (JSONL), printed separately")
    ap.add_argument("--blind", type=Path, default=BLIND_PAIRS, help="blind stratified labelled pairs (JSONL), population-weighted")
    ap.add_argument("--tier", type=Path, default=TIER_PAIRS, help="pairs the answer-confirmed tier links on all real sets (JSONL), read")
    ap.add_argument("--real-only", action="store_true", help="only the labelled real pairs (no synthetic run)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threshold", type=float, default=None, help="Jaccard threshold (default: DedupSettings')")
    args = ap.parse_args()
    settings = DedupSettings() if args.threshold is None else DedupSettings(threshold=args.threshold)

    if args.real_only:
        labelled_real_quality(args, settings)
        return
    t0 = time.perf_counter()
    texts, src, problem = make_docs(args.n, seed=args.seed)
    df = conform(pl.DataFrame({"id": [f"d{i:08d}" for i in range(args.n)], "source": "bench", "question": texts}))
    mean_len = float(np.mean([len(t) for t in texts]))
    print(f"data: {args.n:,} docs, mean {mean_len:.0f} chars, planted near-dups {int((src >= 0).sum()):,} "
          f"(generated in {time.perf_counter() - t0:.1f}s wall); RSS before dedup {rss_mb():,.0f} MB")

    # ---- curate, end to end
    rss0 = rss_mb()
    stats: dict = {}
    c0 = time.process_time()
    w0 = time.perf_counter()
    out = mark_duplicates(df, settings=settings, stats=stats)
    cpu = time.process_time() - c0
    wall = time.perf_counter() - w0
    peak = rss_mb()
    print(f"curate: {args.n / cpu:,.0f} docs/CPU-s ({cpu:.2f} CPU-s, {wall:.2f}s wall), peak RSS {peak:,.0f} MB "
          f"(+{peak - rss0:,.0f} MB over the loaded data)")
    print("  phases (CPU-s): " + ", ".join(f"{k} {v:.2f}" for k, v in stats.get("phases", {}).items())
          + f"; checked pairs {stats.get('candidates', 0):,}, near edges {stats.get('verified_pairs', 0):,}, "
          f"rejected as other problems {stats.get('rejected_not_same_problem', 0):,}, linked by the answer-confirmed tier "
          f"{stats.get('answer_confirmed_pairs', 0):,} (the synthetic problems carry no answers: the tier cannot act here)")
    dropped = out["drop_reason"].value_counts().sort("drop_reason")
    print("  marked: " + ", ".join(f"{r}={c:,}" for r, c in dropped.iter_rows() if r is not None)
          + f"; clusters {out['cluster_id'].drop_nulls().n_unique():,}")

    norms = normalized(texts)
    first_of: dict[str, int] = {}
    for i, t in enumerate(norms):
        first_of.setdefault(t, i)
    distinct_rows = np.array(sorted(first_of.values()), dtype=np.int64)
    distinct = [norms[i] for i in distinct_rows]
    pos_of_row = {int(r): p for p, r in enumerate(distinct_rows)}

    # ---- plain datasketch on a prefix
    if not args.skip_baseline:
        nb = min(args.baseline_n, args.n)
        k_texts = int(np.searchsorted(distinct_rows, nb))
        sub = distinct[:k_texts]
        pairs, bcpu, brss, bgrow, (bb, br_) = run_datasketch(sub, settings.threshold, settings.num_perm, settings.shingle_size)
        print(f"datasketch (plain; MinHashLSH(threshold={settings.threshold}) chose b={bb}, r={br_}; first {nb:,} rows = "
              f"{k_texts:,} distinct texts): {k_texts / bcpu:,.0f} docs/CPU-s ({bcpu:.2f} CPU-s), live RSS growth "
              f"{bgrow:,.0f} MB (process peak {brss:,.0f} MB)")
        print(f"speed ratio curate / datasketch: {(args.n / cpu) / (k_texts / bcpu):.1f}x docs per CPU-second")

    # ---- generator truth over distinct normalized texts: same problem = reformatting-only copies
    truth = ground_truth(problem[distinct_rows])
    implied = implied_pairs(out, distinct_rows, pos_of_row)
    pc, rc = prf(implied, truth)
    variants = int(((src >= 0) & (problem != np.arange(args.n))).sum())
    print(f"synthetic truth: {len(distinct):,} distinct texts, {len(truth):,} same-problem pairs (re-formatted copies); "
          f"{variants:,} planted template variants (other number / word / word order) that must stay apart")
    print(f"curate clusters (all implied pairs): precision {pc:.4f}, recall {rc:.4f} ({len(implied):,} pairs)")
    if not args.skip_baseline:
        sub_truth = {(a, b) for a, b in truth if b < k_texts}
        sub_found = {(a, b) for a, b in implied if b < k_texts}
        bp, brec = prf(pairs, sub_truth)
        ours_p, ours_r = prf(sub_found, sub_truth)
        print(f"on the baseline subset ({k_texts:,} texts, {len(sub_truth):,} true pairs): datasketch precision "
              f"{bp:.4f}, recall {brec:.4f} ({len(pairs):,} pairs); curate precision {ours_p:.4f}, recall {ours_r:.4f}")
    labelled_real_quality(args, settings)


def labelled_real_quality(args, settings: DedupSettings) -> None:
    """Every labelled real set, in one order: dev, holdout, blind (population-weighted), answer tier."""
    real_pairs_quality(args.real, settings)
    print("holdout (collected after the first rule changes; which figures are blind: quality/dedup/README.md):")
    real_pairs_quality(args.holdout, settings)
    print("blind (draw 1 labelled before the rule changes of helper neardup2, draw 2 after most of them; quality/dedup/README.md):")
    blind_pairs_quality(args.blind, settings)
    print(TIER_NOTE)
    real_pairs_quality(args.tier, settings)


TIER_NOTE = ("answer-confirmed tier on all 25,833 real questions (every pair it linked there, read, plus the wrong links "
             "of its first version that its guards now stop; not blind: quality/dedup/README.md):")


if __name__ == "__main__":
    main()
