"""Decontamination: judgment quality on labelled real pairs, synthetic copies, and speed.

    python -m benchmarks.decontaminate [--quality] [--copies] [--speed] [--rows N] [--benchmarks B] [--items M]

--quality  precision/recall on benchmarks/quality/contamination/pairs.jsonl (labelled by reading; see the
           README there), BEFORE (the rule until issue 15: one shared word 8-gram, or equal digit-masked
           text) and AFTER (curation.decontaminate with default settings). Training file and benchmark are
           read whole, so the boilerplate statistics are the real ones. Needs ../shared/corpora.
           Printed also: the same rule without the answer-confirmed path (`answer_confirmed = false`), in
           the same run, and every hit that path makes on the whole files of answer_path_pairs.jsonl.
--copies   verbatim and lightly edited copies of every item of MATH-500, AIME 2024, AMC 2023 and GSM8K
           test, hidden in the matching training set: share caught (must be 100%). Needs ../shared/corpora.
--speed    rows x benchmarks x items on this machine, beside the old 8-gram rule (exact n-gram hash join)
           measured in the same run; extrapolated linearly to 1M rows x 20 x 5,000. Uses ../shared texts
           when present, random word texts otherwise.
With no flag, all three run. Figures are printed; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import time
from pathlib import Path

import numpy as np
import polars as pl

from curation.config import DecontaminateSettings, FieldMapping, SourceConfig
from curation.decontaminate import contam_column, load_benchmarks, mark_contamination
from curation.dedup import normalize_series, template_expr, window_hashes
from schemas import conform

ROOT = Path(__file__).resolve().parent.parent
# ../shared next to the checkout (a worktree under /work/wt/NAME looks two levels up); CURATE_SHARED overrides
SHARED = next(
    (p for p in (Path(os.environ.get("CURATE_SHARED", "/nonexistent")), ROOT.parent / "shared" / "corpora", ROOT.parent.parent / "shared" / "corpora") if p.exists()),
    ROOT.parent / "shared" / "corpora",
)
QUALITY = Path(__file__).resolve().parent / "quality" / "contamination"
# pairs.jsonl: drawn and labelled while the rule was tuned; blind_pairs.jsonl: drawn from other set
# pairs and labelled before the rule was run on them (see the README there)
PAIR_FILES = {"tuning": QUALITY / "pairs.jsonl", "blind": QUALITY / "blind_pairs.jsonl"}


def _src(name: str, rel: str, question: str | None = None, id: str | None = None) -> SourceConfig:
    return SourceConfig(name=name, path=str(SHARED / rel), mapping=FieldMapping(question=question, id=id))


# how each file named in pairs.jsonl is read (the same mapping a user would configure)
SOURCES = {
    "math_train": _src("math_train", "real/math_train.json", "problem"),
    "gsm8k_train": _src("gsm8k_train", "real/gsm8k_train.jsonl", "question"),
    "gaokao2023en": _src("gaokao2023en", "gaokao2023en.jsonl"),
    "mmlu_stem": _src("mmlu_stem", "mmlu_stem.jsonl"),
    "tal_scq": _src("tal_scq", "real/tal_scq_en_train3k.jsonl"),
    "math500": _src("math500", "real/math500.jsonl", "problem", "unique_id"),
    "aime24": _src("aime24", "real/aime24.jsonl", "problem", "id"),
    "amc23": _src("amc23", "real/amc23.jsonl", "problem", "id"),
    "gsm8k_test": _src("gsm8k_test", "real/gsm8k_test.jsonl", "question", "idx"),
    "olympiadbench": _src("olympiadbench", "olympiadbench.jsonl", "question", "id"),
    "minerva_math": _src("minerva_math", "minerva_math.jsonl", "problem"),
    "theoremqa": _src("theoremqa", "real/theoremqa_test.json", "Question", "id"),
    "aqua": _src("aqua", "aqua.jsonl", "question"),
    "proofnet": _src("proofnet", "real/proofnet_test.jsonl", "nl_statement", "id"),
}


def _read(name: str) -> pl.DataFrame:
    return load_benchmarks([SOURCES[name]])[name]


# ------------------------------------------------------------------------------------ old rule
def old_rule_pairs(train: pl.Series, bench: pl.Series, n: int = 8) -> set[tuple[int, int]]:
    """The rule before issue 15, pairwise: a shared word `n`-gram of the dedup-normalized texts (the
    whole text when shorter than `n` words), or equal digit-masked texts."""

    def grams(texts: pl.Series):
        norm = normalize_series(texts).to_list()
        out = []
        for t in norm:
            w = re.findall(r"\w+", t)
            out.append({tuple(w)} if 0 < len(w) < n else {tuple(w[i : i + n]) for i in range(len(w) - n + 1)})
        masked = pl.select(template_expr(pl.lit(pl.Series(norm, dtype=pl.Utf8)))).to_series().to_list()
        return out, masked

    bg, bt = grams(bench)
    tg, tt = grams(train)
    index: dict = {}
    for i, gs in enumerate(bg):
        for g in gs:
            index.setdefault(g, set()).add(i)
    by_template: dict = {}
    for i, t in enumerate(bt):
        if re.search(r"\w", t):
            by_template.setdefault(t, set()).add(i)
    pairs = set()
    for r, gs in enumerate(tg):
        for g in gs:
            pairs.update((r, i) for i in index.get(g, ()))
        pairs.update((r, i) for i in by_template.get(tt[r], ()))
    return pairs


def _prf(tp: int, fp: int, fn: int) -> str:
    p = tp / (tp + fp) if tp + fp else float("nan")
    r = tp / (tp + fn) if tp + fn else float("nan")
    return f"precision {p:.3f} ({tp}/{tp + fp})  recall {r:.3f} ({tp}/{tp + fn})"


# ------------------------------------------------------------------------------------- quality
def quality(settings: DecontaminateSettings, which: tuple[str, ...] = ("tuning", "blind"), show_errors: bool = False) -> None:
    for part in which:
        quality_of(PAIR_FILES[part], part, settings, show_errors)


def quality_of(path: Path, part: str, settings: DecontaminateSettings, show_errors: bool) -> None:
    pairs = pl.read_ndjson(path, infer_schema_length=None)
    if "item_row" not in pairs.columns:
        pairs = pairs.with_columns(pl.lit(None, dtype=pl.Int64).alias("item_row"))
    print(f"{part} set {path.name}: {pairs.height} labelled pairs ({(pairs['label'] == 'same').sum()} same problem)")
    # the same rule without the answer-confirmed path, in the same run: what the path adds
    text_only = settings.model_copy(update={"answer_confirmed": False})
    totals = {"before": [0, 0, 0], "text only": [0, 0, 0], "after": [0, 0, 0]}
    cache: dict[str, pl.DataFrame] = {}
    read = lambda name: cache.setdefault(name, _read(name))  # noqa: E731
    for (train_name, bench_name), group in pairs.group_by(["train", "benchmark"], maintain_order=True):
        train, bench = read(train_name), read(bench_name)
        row_of = {int(r): i for i, r in enumerate(train["source_row"].to_list())}
        # the id the rule reports (source_id, else curate's id) and the row it stands for
        ids = bench["source_id"].cast(pl.Utf8).fill_null(bench["id"].cast(pl.Utf8)).to_list()
        item_of = {v: i for i, v in enumerate(ids)}
        item_of_row = {int(r): i for i, r in enumerate(bench["source_row"].to_list())}
        texts = bench["question"].to_list()
        old = old_rule_pairs(train["question"], bench["question"])
        marked = mark_contamination(train, benchmarks={bench_name: bench}, settings=settings)
        hit = marked[contam_column(bench_name)].to_list()
        hit_text = mark_contamination(train, benchmarks={bench_name: bench}, settings=text_only)[contam_column(bench_name)].to_list()
        counts = {"before": [0, 0, 0], "text only": [0, 0, 0], "after": [0, 0, 0]}
        # a row is reported with its best item; another item labelled the same problem for that row counts
        same_items = {
            (rec["train_row"], item_of_row[rec["item_row"]] if rec["item_row"] is not None else item_of[rec["item_id"]])
            for rec in group.iter_rows(named=True) if rec["label"] == "same"
        }
        for rec in group.iter_rows(named=True):
            r = row_of[rec["train_row"]]
            it = item_of_row[rec["item_row"]] if rec["item_row"] is not None else item_of[rec["item_id"]]
            same = rec["label"] == "same"
            # an identical twin item, or one labelled the same problem for this row, counts as that item
            def caught(h: str | None) -> bool:
                return h is not None and (
                    texts[item_of[h]] == texts[it] or (same and (rec["train_row"], item_of[h]) in same_items)
                )

            new = caught(hit[r])
            for key, pred in (("before", (r, it) in old), ("text only", caught(hit_text[r])), ("after", new)):
                c = counts[key]
                if pred and same:
                    c[0] += 1
                elif pred:
                    c[1] += 1
                elif same:
                    c[2] += 1
            if show_errors and new != same:
                kind = "missed" if same else "false hit"
                print(f"      {kind}: {train_name}:{rec['train_row']} vs {bench_name}:{rec['item_id']}  {rec['note']}")
        for key in counts:
            totals[key] = [a + b for a, b in zip(totals[key], counts[key])]
        print(f"  {train_name} vs {bench_name} ({group.height} pairs):")
        print(f"    before  {_prf(*counts['before'])}")
        print(f"    text only {_prf(*counts['text only'])}")
        print(f"    after   {_prf(*counts['after'])}")
        flagged_before = len({r for r, _ in old})
        flagged_after = int(marked[contam_column(bench_name)].is_not_null().sum())
        print(f"    rows flagged in the whole training file: before {flagged_before}, after {flagged_after} of {train.height}")
    print(f"  {part.upper()} ALL before  {_prf(*totals['before'])}")
    print(f"  {part.upper()} ALL text only (answer-confirmed path off, same run)  {_prf(*totals['text only'])}")
    print(f"  {part.upper()} ALL after   {_prf(*totals['after'])}")


def answer_path(settings: DecontaminateSettings) -> None:
    """Every hit the answer-confirmed path made on the whole files of 13 sets (all ordered set pairs, any
    coverage) was read and labelled (answer_path_pairs.jsonl): the path's precision with `settings`, and
    any hit it makes now that is not in the file (unread: a change to look at)."""
    pairs = pl.read_ndjson(QUALITY / "answer_path_pairs.jsonl", infer_schema_length=None)
    label = {(r["train"], r["train_row"], r["benchmark"], r["item_id"]): r["label"] for r in pairs.iter_rows(named=True)}
    cache: dict[str, pl.DataFrame] = {}
    read = lambda name: cache.setdefault(name, _read(name))  # noqa: E731
    tp = fp = unread = 0
    for (train_name, bench_name), _ in pairs.group_by(["train", "benchmark"], maintain_order=True):
        train, bench = read(train_name), read(bench_name)
        marked = mark_contamination(train, benchmarks={bench_name: bench}, settings=settings)
        ev = marked.select("source_row", "contamination").explode("contamination").unnest("contamination")
        for rec in ev.filter(pl.col("kind") == "answer").iter_rows(named=True):
            lab = label.get((train_name, rec["source_row"], bench_name, rec["item_id"]))
            tp += lab == "same"
            fp += lab == "different"
            if lab is None:
                unread += 1
                print(f"    not in the file (read it): {train_name}:{rec['source_row']} vs {bench_name}:{rec['item_id']} score {rec['score']}")
    n_same = int((pairs["label"] == "same").sum())
    print(f"  answer-confirmed hits on the whole files: {tp + fp + unread} ({tp} same, {fp} different, {unread} unread); "
          f"precision {tp / max(1, tp + fp):.3f}; of the {pairs.height} read pairs ({n_same} same) it made at any coverage")


# -------------------------------------------------------------------------------------- copies
def _light_edits(text: str, rng: random.Random) -> list[tuple[str, str]]:
    """Edits that keep the problem: layout, LaTeX spelling, case, punctuation, added instructions."""
    spaced = re.sub(r"\s+", " ", re.sub(r",(?!\d)", " , ", text.replace("\\frac", "\\dfrac").replace("$", " $ ")))
    no_math = text.replace("$", "").replace("\\left", "").replace("\\right", "")
    return [
        ("verbatim", text),
        ("latex_spacing", spaced),
        ("no_dollars", no_math),
        ("upper_case", text.upper()),
        ("punctuation", re.sub(r"[.,;:?!](?=\s|$)", "", text)),  # sentence punctuation (not "(p,q)", "2.5")
        ("prefixed", "Solve the following problem carefully. " + text),
        ("suffixed", text + " Put your final answer within \\boxed{}."),
        ("newlines", text.replace(". ", ".\n\n")),
        ("one_word", _swap_first_article(text)),
    ]


def _swap_first_article(text: str) -> str:
    """One common word changed in the first half ("the" -> "a"), as a hand edit would."""
    at = text.find(" the ", 0, max(1, len(text) // 2))
    return text if at < 0 else text[:at] + " a " + text[at + 5 :]


def copies(settings: DecontaminateSettings) -> None:
    rng = random.Random(15)
    for train_name, bench_names in (("math_train", ("math500", "aime24", "amc23")), ("gsm8k_train", ("gsm8k_test",))):
        train = _read(train_name)
        benches = {b: _read(b) for b in bench_names}
        rows, truth = [], []
        for b, bench in benches.items():
            for bid, q in zip(bench["source_id"].cast(pl.Utf8).to_list(), bench["question"].to_list()):
                for kind, edited in _light_edits(q, rng):
                    rows.append(edited)
                    truth.append((b, bid, kind))
        extra = conform(pl.DataFrame({
            "question": rows, "id": [f"copy{i}" for i in range(len(rows))], "source": "copies",
            "source_row": list(range(10**7, 10**7 + len(rows))),
        }))
        df = pl.concat([conform(train), extra], how="diagonal_relaxed")
        marked = mark_contamination(df, benchmarks=benches, settings=settings).tail(len(rows))
        caught: dict[str, list[int]] = {}
        missed = []
        for (b, bid, kind), row in zip(truth, marked.iter_rows(named=True)):
            ok = row[contam_column(b)] == bid or (
                row[contam_column(b)] is not None
                and benches[b].filter(pl.col("source_id").cast(pl.Utf8) == row[contam_column(b)])["question"][0]
                == benches[b].filter(pl.col("source_id").cast(pl.Utf8) == bid)["question"][0]
            )
            c = caught.setdefault(kind, [0, 0])
            c[0] += ok
            c[1] += 1
            if not ok:
                missed.append((b, bid, kind))
        total = sum(c[0] for c in caught.values()), sum(c[1] for c in caught.values())
        print(f"  copies hidden in {train_name} ({', '.join(bench_names)}): caught {total[0]}/{total[1]}")
        print("    " + ", ".join(f"{k} {c[0]}/{c[1]}" for k, c in caught.items()))
        for m in missed[:10]:
            print(f"    missed: {m}")


# --------------------------------------------------------------------------------------- speed
def _texts(n: int, sentences: list[str], rng: np.random.Generator) -> list[str]:
    """n problem-like texts: 2-4 random sentences of the pool, numbers re-drawn (real rows rarely
    share more than boilerplate with a benchmark, so neither do these)."""
    k = rng.integers(2, 5, n)
    picks = rng.integers(0, len(sentences), int(k.sum()))
    nums = iter(rng.integers(2, 999, int(k.sum())).tolist())
    out, at = [], 0
    for size in k.tolist():
        out.append(" ".join(re.sub(r"\d+", lambda _m: str(next(nums)), sentences[p], count=1) for p in picks[at : at + size]))
        at += size
    return out


def _sentences() -> tuple[list[str], list[str]]:
    """Two disjoint sentence pools (training rows, benchmark items)."""
    if SHARED.exists():
        texts = _read("math_train")["question"].to_list() + _read("gsm8k_train")["question"].to_list()
    else:
        words = [f"w{i}" for i in range(5000)]
        rng = random.Random(0)
        texts = [". ".join(" ".join(rng.choice(words) for _ in range(12)) + " 7" for _ in range(3)) for _ in range(20000)]
    sents = sorted({s.strip() for t in texts for s in re.split(r"(?<=[.?!])\s+", t) if len(s.split()) >= 4})
    random.Random(15).shuffle(sents)
    half = len(sents) // 2
    return sents[:half], sents[half:]


def _old_join(rows: pl.Series, benches: list[pl.Series]) -> int:
    """The old rule's core (word 8-gram hashes joined against each benchmark's): the baseline."""

    def table(texts: pl.Series) -> pl.DataFrame:
        toks = pl.DataFrame({"n": normalize_series(texts)}).select(pl.col("n").str.extract_all(r"\w+").alias("t"))
        lens = toks.select(pl.col("t").list.len().fill_null(0)).to_series().to_numpy().astype(np.int64)
        words = toks.select(pl.col("t").explode().drop_nulls().hash(seed=42)).to_series().to_numpy()
        offsets = np.zeros(len(lens) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        h, off = window_hashes(words.astype(np.uint64), offsets, 8)
        return pl.DataFrame({"row": np.repeat(np.arange(len(lens)), np.diff(off)), "h": h})

    bench_tables = [table(b).group_by("h").agg(pl.col("row").min().alias("brow")) for b in benches]
    flagged = 0
    for start in range(0, len(rows), 100_000):  # chunked like the new rule, so memory is comparable
        items = table(rows.slice(start, 100_000))
        flagged += sum(items.join(bg, on="h").select("row").n_unique() for bg in bench_tables)
    return flagged


def speed(settings: DecontaminateSettings, n_rows: int, n_bench: int, n_items: int) -> None:
    rng = np.random.default_rng(15)
    row_pool, bench_pool = _sentences()
    rows = _texts(n_rows, row_pool, rng)
    # reference answers on both sides (random integers below 1,000, like real answers mostly informative),
    # so the answer-confirmed path does its work too
    answer = lambda n: [str(a) for a in rng.integers(0, 1000, n).tolist()]  # noqa: E731
    benches = {
        f"b{i}": pl.DataFrame({"question": _texts(n_items, bench_pool, rng), "answer": answer(n_items)}) for i in range(n_bench)
    }
    row_answers = answer(n_rows)
    # plant 100 verbatim copies so the judged-pair path runs too
    for k in range(100):
        rows[k * (n_rows // 100)] = benches[f"b{k % n_bench}"]["question"][k]
        row_answers[k * (n_rows // 100)] = benches[f"b{k % n_bench}"]["answer"][k]
    df = conform(pl.DataFrame({"question": rows, "answer": row_answers, "id": [str(i) for i in range(n_rows)]}))
    t0, c0 = time.perf_counter(), time.process_time()
    out = mark_contamination(df, benchmarks=benches, settings=settings)
    new_s, new_cpu = time.perf_counter() - t0, time.process_time() - c0
    flagged = int((out["contaminated_by"].list.len() > 0).sum())
    by_answer = int(out["contamination"].list.eval(pl.element().struct.field("kind") == "answer").list.any().sum())
    planted = [k * (n_rows // 100) for k in range(100)]
    planted_caught = int((out["contaminated_by"].list.len().gather(planted) > 0).sum())
    del out  # each run's output is freed before the next (memory is capped)
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    mark_contamination(df, benchmarks=benches, settings=settings.model_copy(update={"answer_confirmed": False}))
    text_s, text_cpu = time.perf_counter() - t0, time.process_time() - c0
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    _old_join(df["question"], [b["question"] for b in benches.values()])
    old_s, old_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"  {n_rows:,} rows x {n_bench} benchmarks x {n_items:,} items: {new_s:.1f} s wall, {new_cpu:.1f} s CPU "
          f"({n_rows / new_s:,.0f} rows/s wall), {flagged} rows flagged ({by_answer} by answer), {planted_caught} of the 100 planted copies (the rest come from the "
          f"generator: each pool sentence recurs in many rows, so most synthetic text is boilerplate by frequency)")
    print(f"  baseline (old 8-gram hash join, same run): {old_s:.1f} s wall, {old_cpu:.1f} s CPU; "
          f"ratio new/old {new_s / old_s:.2f} wall, {new_cpu / old_cpu:.2f} CPU")
    print(f"  without the answer-confirmed path (same run): {text_s:.1f} s wall, {text_cpu:.1f} s CPU; "
          f"the path costs {new_cpu / text_cpu:.2f}x CPU")
    print(f"  machine load while measuring (1-min load average on {os.cpu_count()} cores): {os.getloadavg()[0]:.1f}")
    rows_factor = 1_000_000 / n_rows
    bench_factor = (20 * 5000) / (n_bench * n_items)
    # cost = rows part (tokenize, hash, join: linear in rows) + benchmark part (linear in items);
    # extrapolating both linearly by the larger factor is an upper bound
    print(f"  extrapolated to 1M rows x 20 x 5,000 (linear, upper bound): {new_s * max(rows_factor, bench_factor):.0f} s"
          f"  (rows factor {rows_factor:.1f}, items factor {bench_factor:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--copies", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--part", choices=["tuning", "blind"], help="only this labelled set (default: both)")
    ap.add_argument("--errors", action="store_true", help="list the misses and false hits of --quality")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--benchmarks", type=int, default=20)
    ap.add_argument("--items", type=int, default=5000)
    a = ap.parse_args()
    run_all = not (a.quality or a.copies or a.speed)
    settings = DecontaminateSettings()
    if (a.quality or a.copies or run_all) and not SHARED.exists():
        print(f"skipped quality and copies: {SHARED} not found (it holds the public sets they read)")
    else:
        if a.quality or run_all:
            print("== labelled real pairs ==")
            quality(settings, (a.part,) if a.part else ("tuning", "blind"), a.errors)
            print("== answer-confirmed path on whole files (every hit it made, read) ==")
            answer_path(settings)
        if a.copies or run_all:
            print("== synthetic copies of benchmark items ==")
            copies(settings)
    if a.speed or run_all:
        print("== speed ==")
        speed(settings, a.rows, a.benchmarks, a.items)


if __name__ == "__main__":
    main()
