"""Benchmark the multiple-choice conversion: outcomes by reason, items/s, ratio vs detection only.

    python benchmarks/mcq.py                      # synthetic multiple-choice file (generated here)
    python benchmarks/mcq.py FILE [--shape auto]  # JSONL/Parquet with question/choices/answer
    python benchmarks/mcq.py FILE --dump out.jsonl --sample 60   # converted items to read by hand

Shapes of FILE (auto-detected from the first row): `curate` (question, choices, answer letter —
what ingest produces, or a curate Parquet), `aqua` (options "A)$61", correct letter), `mmlu`
(choices list, 0-based int answer). Rows are mapped to the curate columns here, so the benchmark
does not need the ingest stage.

The baseline is a detection-only pass over the same rows (find options and the correct index, no
rules, no verifier): the ratio says what the conversion rules cost on top of reading the options.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl  # noqa: E402

from curation.choices import LETTERS, answer_index, parse_choice_value, split_inline_choices  # noqa: E402
from curation.mcq import convert_multiple_choice, mcq_card_section, mcq_counts  # noqa: E402


# ---------------------------------------------------------------------------------------------
# inputs

def synthetic_rows(n: int, seed: int = 0) -> list[dict]:
    """Multiple-choice items in every shape, with convertible and not-convertible stems mixed."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        a, b = rng.randint(2, 60), rng.randint(2, 60)
        right = a * b
        wrong = sorted({right + d for d in rng.sample([-12, -7, -3, 2, 5, 9, 11, 14], 3)})
        values = wrong + [right]
        rng.shuffle(values)
        idx = values.index(right)
        shape = i % 8
        stems = [
            f"A crate holds {a} rows of {b} apples. How many apples are in the crate?",
            f"Which of the following is the product of {a} and {b}?",
            f"The product of {a} and {b} is ( )",
            f"Which of the following statements about {a} and {b} is true?",
            f"What is approximately {a} times {b}?",
            f"Compute {a} \\times {b}.",
            f"The area of a {a} cm by {b} cm rectangle is",
            f"A shop sells {a} pens at ${b} each. What is the total cost?",
        ]
        stem = stems[shape]
        opts = [str(v) for v in values]
        if shape == 6:
            opts = [f"{v} cm^2" for v in values]
        if shape == 7:
            opts = [f"${v}" for v in values]
        if shape == 3:
            opts = [f"{a} times {b} is {v} because multiplication works that way" for v in values]
        if i % 5 == 0:
            opts[(idx + 1) % 4] = "None of the above"
        form = i % 4
        if form == 0:
            rows.append({"question": stem, "choices": [f"{LETTERS[k]}){o}" for k, o in enumerate(opts)], "answer": LETTERS[idx]})
        elif form == 1:
            rows.append({"question": stem, "choices": opts, "answer": LETTERS[idx]})
        elif form == 2:
            inline = " ".join(f"({LETTERS[k]}) {o}" for k, o in enumerate(opts))
            rows.append({"question": f"{stem} {inline}", "choices": None, "answer": LETTERS[idx]})
        else:
            inline = "\n".join(f"{LETTERS[k]}. {o}" for k, o in enumerate(opts))
            rows.append({"question": f"{stem}\n{inline}", "choices": None, "answer": opts[idx]})
    return rows


def load_rows(path: Path, shape: str) -> list[dict]:
    if path.suffix == ".parquet":
        from curation.io import read_problems

        return read_problems(path).select("question", "choices", "answer", "answer_type").to_dicts()
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if shape == "auto":
        first = raw[0]
        shape = "aqua" if "options" in first and "correct" in first else (
            "mmlu" if isinstance(first.get("answer"), int) and "choices" in first else "curate")
    rows = []
    for r in raw:
        if shape == "aqua":
            parsed = parse_choice_value(r["options"])
            rows.append({"question": r["question"], "choices": parsed.choices if parsed else None,
                         "answer": r["correct"], "answer_type": "choice", "subject": "aqua"})
        elif shape == "mmlu":
            rows.append({"question": r["question"], "choices": [str(c) for c in r["choices"]],
                         "answer": LETTERS[int(r["answer"])], "answer_type": "choice", "subject": r.get("type")})
        else:
            ch = r.get("choices")
            rows.append({"question": r["question"], "choices": [str(c) for c in ch] if isinstance(ch, list) else None,
                         "answer": None if r.get("answer") is None else str(r["answer"]),
                         "answer_type": r.get("answer_type")})
    return rows


def to_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "question": [r["question"] for r in rows],
            "choices": [r.get("choices") for r in rows],
            "answer": [None if r.get("answer") is None else str(r["answer"]) for r in rows],
            "answer_type": [r.get("answer_type") for r in rows],
            "subject": [r.get("subject") for r in rows],
        },
        schema={"question": pl.Utf8, "choices": pl.List(pl.Utf8), "answer": pl.Utf8, "answer_type": pl.Utf8,
                "subject": pl.Utf8},
    )


# ---------------------------------------------------------------------------------------------
# runs

def detection_only(df: pl.DataFrame) -> int:
    """Baseline: find the options and the correct index of every row, nothing else."""
    found = 0
    for q, ch, ans in zip(df["question"].to_list(), df["choices"].to_list(), df["answer"].to_list()):
        parsed = parse_choice_value(ch) if ch else split_inline_choices(q or "")
        if parsed is not None and answer_index(ans, parsed.choices) is not None:
            found += 1
    return found


def timed(fn, *args, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", help="multiple-choice file (default: synthetic)")
    ap.add_argument("--shape", default="auto", choices=["auto", "curate", "aqua", "mmlu"])
    ap.add_argument("--n", type=int, default=20000, help="synthetic rows")
    ap.add_argument("--dump", help="write converted (and sampled not-converted) rows here as JSONL")
    ap.add_argument("--sample", type=int, default=0, help="only this many random converted rows in --dump")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    if args.path:
        rows = load_rows(Path(args.path), args.shape)
        name = args.path
    else:
        rows = synthetic_rows(args.n, args.seed)
        tmp = Path(tempfile.mkdtemp()) / "mcq_synthetic.jsonl"
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        name = f"synthetic ({len(rows)} rows, {tmp})"
    df = to_frame(rows)

    t_base, found = timed(detection_only, df)
    t_conv, out = timed(convert_multiple_choice, df)
    counts = mcq_counts(out)

    print(f"input: {name}")
    print(f"rows: {df.height}  multiple choice detected (baseline): {found}")
    print(f"converted: {counts['converted']}  not convertible: {sum(counts['not_convertible'].values())}  "
          f"review: {sum(counts['review'].values())}  not mcq: {counts['not_mcq']}")
    for status in ("not_convertible", "review"):
        for reason, n in sorted(counts[status].items(), key=lambda kv: -kv[1]):
            print(f"  {status:16s} {reason:26s} {n}")
    print(f"baseline (detection only): {df.height / t_base:,.0f} items/s")
    print(f"convert_multiple_choice:   {df.height / t_conv:,.0f} items/s")
    print(f"ratio (conversion time / detection time): {t_conv / t_base:.1f}x")
    print()
    print(mcq_card_section(out))

    if args.dump:
        conv = out.with_row_index("row").filter(pl.col("mcq_status") == "converted")
        if args.sample and conv.height > args.sample:
            conv = conv.sample(args.sample, seed=args.seed)
        with open(args.dump, "w", encoding="utf-8") as fh:
            for r in conv.to_dicts():
                fh.write(json.dumps({k: r.get(k) for k in ("row", "subject", "original_question", "original_choices",
                                                           "original_answer", "question", "answer", "answer_unit",
                                                           "answer_type", "mcq_reason")}, ensure_ascii=False) + "\n")
        print(f"wrote {conv.height} converted rows to {args.dump}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
