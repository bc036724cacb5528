"""Benchmark: the RL reward (`curation.rewards.score`) on exported rows.

1. Round trip. Every kept row of a set is exported to the RL layout (`curation.export.rl_frame`) and
   its reference is fed back as the response `\\boxed{ground_truth}`: the share scoring 1.0 (target
   >= 99%). Each row is also answered with another row's reference whose text differs: the share
   scoring 0.0 (the remainder are mostly genuinely equal answers written differently, listed).
   Sets: the sample export (data/samples + generated mazes and Sudoku, always) and the public sets
   under ../shared/corpora (skipped, and said so, when that folder is absent).
2. Throughput on 2,000-character responses (a real worked solution, or filler, ending in a boxed
   right or wrong answer): responses per CPU-second (`time.process_time`; the machine is shared) for
   `score`, and in the same run for the baseline a trainer gets for free, exact string match of the
   last `\\boxed{}` (what a naive reward does; it is wrong on every equivalent rewrite), and the ratio.

3. With `--tokens`: the card's approximate prompt token count (`curation.export._TOKEN_RE`) against
   the SmolLM2 tokenizer of the embedded llama.cpp server (`/tokenize`), on puzzle prompts and public
   questions (skipped when the server or ../shared is unavailable).

    python benchmarks/rewards.py [--responses 20000] [--seed 7] [--shared ../shared/corpora] [--tokens]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "corpora"
SHARED_SETS = ["aqua.jsonl", "mmlu_stem.jsonl", "olympiadbench.jsonl", "gaokao2023en.jsonl", "minerva_math.jsonl",
               "real/math500.jsonl", "real/aime24.jsonl", "real/amc23.jsonl", "real/math_train.json",
               "real/theoremqa_test.json", "real/gsm8k_test.jsonl"]
FILLER = ("We consider the equation $x^2 - 5x + 6 = 0$ and factor it as $(x-2)(x-3)=0$, then check each case "
          "against the constraints of the problem, simplifying step by step. ")


def kept_rows(path: Path):
    from curation.clean import flag_problems
    from curation.config import SourceConfig
    from curation.ingest import ingest_source

    import polars as pl

    df = flag_problems(ingest_source(SourceConfig(path=str(path))).problems)
    return df.filter(pl.col("drop_reason").is_null())


def sample_rows():
    import polars as pl

    from tests.rewards.helpers import SAMPLES, SAMPLE_FILES  # the same sample export the tests use
    from curation.clean import flag_problems
    from curation.config import SourceConfig
    from curation.ingest import ingest_sources
    from generators import generate_records
    from schemas import conform

    df = conform(flag_problems(ingest_sources([SourceConfig(path=str(SAMPLES / f)) for f in SAMPLE_FILES]).problems), extra="drop")
    recs = []
    for name in ("maze", "sudoku"):
        for level in range(1, 6):
            recs += generate_records(name, count=20, level=level, seed=3)
    puzzles = conform(pl.DataFrame([{k: v for k, v in r.items() if k != "difficulty"} for r in recs]), extra="drop")
    both = pl.concat([df, puzzles])
    return both.filter(pl.col("drop_reason").is_null())


def rl_of(kept):
    from curation.config import ExportSettings
    from curation.export import rl_frame
    from schemas import conform

    return rl_frame(conform(kept), ExportSettings()).to_dicts()


def round_trip(name: str, rows: list[dict], rng: random.Random) -> tuple[int, int, int, int]:
    from curation.rewards.verl import compute_score

    def call(row, response):
        return compute_score(data_source=row["data_source"], solution_str=response,
                             ground_truth=row["reward_model"]["ground_truth"], extra_info=dict(row["extra_info"]))

    from curation.rewards import score_detail

    right_ok, wrong_ok, as_text, misses, false_hits = 0, 0, 0, [], []
    answers = [r["answer"] for r in rows]
    for i, row in enumerate(rows):
        gt = row["answer"]
        assert call(row, f"\\boxed{{{gt}}}") == score_detail(f"\\boxed{{{gt}}}", gt, row["extra_info"]).value
        detail = score_detail(f"\\boxed{{{gt}}}", gt, row["extra_info"])
        if detail.value == 1.0:
            right_ok += 1
            as_text += detail.reason.startswith("same text as the reference")
        else:
            misses.append(gt)
        other = None
        for _ in range(20):
            cand = answers[rng.randrange(len(answers))]
            if cand.replace(" ", "") != gt.replace(" ", ""):
                other = cand
                break
        if other is None:
            other = gt + "1"
        if call(row, f"\\boxed{{{other}}}") == 0.0:
            wrong_ok += 1
        else:
            false_hits.append((gt, other))
    n = len(rows)
    print(f"{name:<36} {n:>6} rows  reference -> 1.0: {right_ok / n:7.2%}  other answer -> 0.0: {wrong_ok / n:7.2%}"
          f"  (matched as text, reference unparseable: {as_text})")
    for gt in misses[:3]:
        print(f"{'':38}not 1.0: {gt[:90]!r}")
    for gt, other in false_hits[:3]:
        print(f"{'':38}scored 1.0: {gt[:40]!r} vs {other[:40]!r}")
    return n, right_ok, wrong_ok, len(misses)


def throughput(rows: list[dict], count: int, rng: random.Random) -> None:
    from curation.rewards import score
    from curation.text import last_boxed

    math_rows = [r for r in rows if r["extra_info"]["kind"] == "competition" and r["answer"]]
    cases = []
    for _ in range(count):
        row = math_rows[rng.randrange(len(math_rows))]
        answer = row["answer"] if rng.random() < 0.5 else math_rows[rng.randrange(len(math_rows))]["answer"]
        tail = f" So the final answer is \\boxed{{{answer}}}."
        body = (FILLER * 20)[: max(0, 2000 - len(tail))]
        cases.append((body + tail, row["answer"], row["extra_info"]))
    mean_len = sum(len(c[0]) for c in cases) / len(cases)
    score(*cases[0])  # one-time imports outside the timed phase

    start = time.process_time()
    ours = [score(r, g, i) for r, g, i in cases]
    t_ours = time.process_time() - start
    start = time.process_time()
    base = [1.0 if (last_boxed(r) or "").strip() == g.strip() else 0.0 for r, g, _ in cases]
    t_base = time.process_time() - start
    rate_ours, rate_base = len(cases) / t_ours, len(cases) / t_base
    print(f"\nthroughput on {len(cases)} responses of {mean_len:.0f} characters on average (math rows)")
    print(f"  curate score            {rate_ours:10.0f} responses / CPU-second   (target >= 5,000)  reward mean {sum(ours) / len(ours):.3f}")
    print(f"  baseline exact match    {rate_base:10.0f} responses / CPU-second                      reward mean {sum(base) / len(base):.3f}")
    print(f"  ratio curate / baseline {rate_ours / rate_base:10.3f}  (the baseline's misses are equivalent rewrites)")


def token_estimate_check(shared: Path) -> None:
    import json
    import re
    import statistics
    import urllib.request

    from curation.export import _TOKEN_RE
    from generators import generate_records

    sets = {"puzzles": [r["question"] for name in ("maze", "sudoku") for lvl in (1, 3, 5)
                        for r in generate_records(name, count=3, level=lvl, seed=2)]}
    for label, rel, key, n in (("MATH-500", "real/math500.jsonl", "problem", 100), ("MMLU-STEM", "mmlu_stem.jsonl", "question", 100)):
        if (shared / rel).exists():
            with open(shared / rel, encoding="utf-8") as fh:
                sets[label] = [json.loads(line)[key] for _, line in zip(range(n), fh)]
    try:
        from curation.model.embedded import EmbeddedServer

        server = EmbeddedServer(parallel=1).start()
    except Exception as exc:  # noqa: BLE001 - optional part of the benchmark
        print(f"\ntoken estimate check skipped: embedded server unavailable ({exc})")
        return
    try:
        base = server.base_url[: -len("/v1")]
        print("\napproximate prompt tokens vs SmolLM2's tokenizer (llama.cpp /tokenize)")
        for label, texts in sets.items():
            ratios, per_char = [], []
            for text in texts:
                req = urllib.request.Request(base + "/tokenize", data=json.dumps({"content": text}).encode(),
                                             headers={"Content-Type": "application/json"})
                real = len(json.loads(urllib.request.urlopen(req, timeout=30).read())["tokens"])
                ratios.append(len(re.findall(_TOKEN_RE, text)) / real)
                per_char.append(len(text) / real)
            print(f"  {label:<10} {len(texts):>4} texts  estimate / real: median {statistics.median(ratios):.2f}  "
                  f"min {min(ratios):.2f}  max {max(ratios):.2f}   (characters per real token: {statistics.median(per_char):.2f})")
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--responses", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--shared", type=Path, default=SHARED, help="Folder of the public sets (default: ../shared/corpora).")
    ap.add_argument("--tokens", action="store_true", help="Also check the approximate token count against a real tokenizer.")
    args = ap.parse_args()
    shared = args.shared
    rng = random.Random(args.seed)
    import logging

    logging.getLogger("curation.rewards").setLevel(logging.ERROR)

    print("round trip: every reference fed back as \\boxed{ground_truth}; every row answered with another row's answer\n")
    all_rows = []
    total = [0, 0, 0]
    rows = rl_of(sample_rows())
    n, right, wrong, _ = round_trip("sample export (+puzzles)", rows, rng)
    all_rows += rows
    sample = (n, right, wrong)
    if shared.is_dir():
        for rel in SHARED_SETS:
            path = shared / rel
            if not path.exists():
                print(f"{rel}: absent, skipped")
                continue
            kept = kept_rows(path)
            if kept.height == 0:
                print(f"{rel:<28}      0 rows kept by ingest + clean, skipped")
                continue
            rows = rl_of(kept)
            n, right, wrong, _ = round_trip(rel, rows, rng)
            total[0] += n
            total[1] += right
            total[2] += wrong
            all_rows += rows
        print(f"\n{'../shared sets, all':<36} {total[0]:>6} rows  reference -> 1.0: {total[1] / total[0]:7.2%}  "
              f"other answer -> 0.0: {total[2] / total[0]:7.2%}")
    else:
        print(f"\n{shared} is absent: the public sets are skipped (the sample export still ran)")
    print(f"{'sample export':<36} {sample[0]:>6} rows  reference -> 1.0: {sample[1] / sample[0]:7.2%}  "
          f"other answer -> 0.0: {sample[2] / sample[0]:7.2%}")
    throughput(all_rows, args.responses, rng)
    if args.tokens:
        token_estimate_check(shared)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory():
        main()
