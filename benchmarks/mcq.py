"""Benchmark the multiple-choice conversion: outcomes by reason, items/s, ratio vs detection only;
and, with --quality, how right its judgments are on real labelled items.

    python benchmarks/mcq.py --quality            # precision / coverage / needless refusals per real set
    python benchmarks/mcq.py                      # synthetic multiple-choice file (generated here)
    python benchmarks/mcq.py FILE [--shape auto]  # JSONL/Parquet with question/choices/answer
    python benchmarks/mcq.py FILE --dump out.jsonl --sample 60   # converted items to read by hand

Shapes of FILE (auto-detected from the first row): `curate` (question, choices, answer letter —
what ingest produces, or a curate Parquet), `aqua` (options "A)$61", correct letter), `mmlu`
(choices list, 0-based int answer), `tal` (TAL-SCQ5K: `answer_option_list` of `[{aoVal, content}]`,
`answer_value`), `agieval` (`options` "(A)…", key in `label`, a list for multi-select).

--quality reads the labelled items committed in benchmarks/quality/mcq/labels.jsonl (real items from
../shared/corpora, judged by reading: see that folder's README) and prints per set, for the current
rules and for the rules before issue 14 (recorded in the labels): precision on audited conversions
(converted items whose label says convertible, whose answer the verifier judges equal to the labelled
value, with the labelled unit), needless refusals (refused items labelled convertible) and, when
../shared/corpora is present, coverage (converted / rows) on the whole set; without it coverage is
skipped and said so. Rows are mapped to the curate columns here, so the benchmark
does not need the ingest stage.

The baseline is a detection-only pass over the same rows (find options and the correct index, no
rules, no verifier): the ratio says what the conversion rules cost on top of reading the options.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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


def detect_shape(first: dict) -> str:
    if "options" in first and "correct" in first:
        return "aqua"
    if isinstance(first.get("answer"), int) and "choices" in first:
        return "mmlu"
    if "answer_option_list" in first:
        return "tal"
    if "options" in first and "label" in first:
        return "agieval"
    return "curate"


def map_row(r: dict, shape: str) -> dict:
    """One raw row → the columns the MCQ stage reads. Options go through `parse_choice_value` as
    published (nested lists, labelled strings): no preprocessing of the source shape here."""
    if shape == "aqua":
        parsed = parse_choice_value(r["options"])
        return {"question": r["question"], "choices": parsed.choices if parsed else None,
                "answer": r["correct"], "answer_type": "choice", "subject": "aqua"}
    if shape == "mmlu":
        return {"question": r["question"], "choices": [str(c) for c in r["choices"]],
                "answer": LETTERS[int(r["answer"])], "answer_type": "choice", "subject": r.get("type")}
    if shape == "tal":
        parsed = parse_choice_value(r["answer_option_list"])
        return {"question": r["problem"], "choices": parsed.choices if parsed else None,
                "answer": r.get("answer_value"), "answer_type": "choice", "subject": "tal"}
    if shape == "agieval":
        parsed = parse_choice_value(r["options"])
        label = r.get("label")
        return {"question": r["question"], "choices": parsed.choices if parsed else None,
                "answer": "".join(label) if isinstance(label, list) else label, "answer_type": "choice",
                "subject": (r.get("other") or {}).get("source")}
    ch = r.get("choices")
    return {"question": r["question"], "choices": [str(c) for c in ch] if isinstance(ch, list) else None,
            "answer": r.get("answer"), "answer_type": r.get("answer_type")}


def load_rows(path: Path, shape: str) -> list[dict]:
    if path.suffix == ".parquet":
        from curation.io import read_problems

        return read_problems(path).select("question", "choices", "answer", "answer_type").to_dicts()
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if shape == "auto":
        shape = detect_shape(raw[0])
    return [map_row(r, shape) for r in raw]


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


# ---------------------------------------------------------------------------------------------
# quality on labelled real items

QUALITY = Path(__file__).resolve().parent / "quality" / "mcq"
# ../shared/corpora next to the repository; CURATE_CORPORA overrides (e.g. from a git worktree elsewhere)
CORPORA = Path(os.environ.get("CURATE_CORPORA") or Path(__file__).resolve().parents[1].parent / "shared" / "corpora")
SET_SHAPES = {"aqua": "aqua", "mmlu_stem": "mmlu", "tal": "tal", "gaokao_physics": "agieval", "gaokao_chemistry": "agieval",
              # unseen sets (AGIEval sat-math, gaokao-mathqa): audited after the rules were written; not in ../shared
              "sat_math": "agieval", "gaokao_mathqa": "agieval"}


def _raw_from_original(name: str, original: dict) -> dict:
    """The labelled item's original fields under the names its source uses (for map_row)."""
    q, opts, key = original["question"], original["options"], original["key"]
    if name == "aqua":
        return {"question": q, "options": opts, "correct": key}
    if name == "mmlu_stem":
        return {"question": q, "choices": opts, "answer": key}
    if name == "tal":
        return {"problem": q, "answer_option_list": opts, "answer_value": key}
    return {"question": q, "options": opts, "label": key}


def _unit_key(unit: str | None) -> str:
    from curation.mcq.rules import unit_key

    return unit_key((unit or "").replace("·", "").replace(" ", ""))


def _same_answer(expected: str, got: str) -> bool:
    from curation.verifier import judge

    squash = lambda t: re.sub(r"\\(?:mathrm|text)\{([^{}]*)\}|[\s{}$]|\\[,;!]", lambda m: m.group(1) or "", t)  # noqa: E731
    if squash(expected) == squash(got):
        return True
    try:
        return judge(expected, got).outcome == "equivalent"
    except Exception:  # noqa: BLE001 - a verifier failure is a mismatch, never a crash of the benchmark
        return False


def judge_conversion(label: dict, question: str | None, answer: str | None, unit: str | None) -> bool:
    """A conversion is right when the item is convertible, the answer is the labelled value (verifier),
    the unit is the labelled one (a unit left inside the answer is wrong) and the question holds what the
    label requires (e.g. a lost blank written back)."""
    if not label["convertible"] or answer is None:
        return False
    if not _same_answer(label["answer"], answer):
        return False
    if label.get("answer_unit") and _unit_key(label["answer_unit"]) != _unit_key(unit):
        return False
    must = label.get("question_must_contain")
    return not must or (question is not None and must in question)


def quality(labels_path: Path = QUALITY / "labels.jsonl", corpora: Path = CORPORA) -> dict:
    labels = [json.loads(line) for line in labels_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [map_row(_raw_from_original(lab["set"], lab["original"]), SET_SHAPES[lab["set"]]) for lab in labels]
    out = convert_multiple_choice(to_frame(rows)).to_dicts()
    before_cov = json.loads((QUALITY / "before.json").read_text(encoding="utf-8"))
    report: dict = {}
    for name in SET_SHAPES:
        idx = [i for i, lab in enumerate(labels) if lab["set"] == name]
        stats = {}
        for when in ("before", "after"):
            conv_ok = conv_n = ref_n = needless = 0
            wrong: list[int] = []
            for i in idx:
                lab = labels[i]
                if when == "before":
                    b = lab["before"]
                    if b is None:  # sets audited only after the rules were written (sample "unseen")
                        continue
                    status, q, a, u = b["status"], b["question"], b["answer"], b["answer_unit"]
                else:
                    o = out[i]
                    status, q, a, u = o["mcq_status"], o["question"], o["answer"], o["answer_unit"]
                if status == "converted":
                    conv_n += 1
                    ok = judge_conversion(lab, q, a, u)
                    conv_ok += ok
                    if not ok:
                        wrong.append(lab["row"])
                elif status in ("not_convertible", "review"):
                    ref_n += 1
                    needless += bool(lab["convertible"])
            stats[when] = {"converted": conv_n, "right": conv_ok, "refused": ref_n, "needless": needless, "wrong_rows": wrong}
        held = [i for i in idx if labels[i].get("sample") in ("held_out", "unseen") and out[i]["mcq_status"] == "converted"]
        stats["held_out"] = {"converted": len(held), "right": sum(judge_conversion(labels[i], out[i]["question"], out[i]["answer"],
                                                                                      out[i]["answer_unit"]) for i in held)}
        path = corpora / _SET_FILES[name] if name in _SET_FILES else None
        if path is not None and path.exists():
            full = load_rows(path, SET_SHAPES[name])
            counts = mcq_counts(convert_multiple_choice(to_frame(full)))
            stats["coverage"] = {"rows": len(full), "before": before_cov[name], "after": counts["converted"]}
        report[name] = stats
    return report


_SET_FILES = {"aqua": "aqua.jsonl", "mmlu_stem": "mmlu_stem.jsonl", "tal": "real/tal_scq_en_train3k.jsonl",
              "gaokao_physics": "real/agieval-gaokao-physics.jsonl", "gaokao_chemistry": "real/agieval-gaokao-chemistry.jsonl"}


def print_quality(report: dict) -> None:
    pct = lambda a, b: f"{100.0 * a / b:5.1f}%" if b else "   n/a"  # noqa: E731
    print("MCQ conversion quality on labelled real items (benchmarks/quality/mcq/labels.jsonl)")
    print(f"{'set':17s} {'precision before':>22s} {'precision after':>22s} {'needless before':>20s} {'needless after':>20s}"
          f" {'coverage before':>22s} {'coverage after':>22s}")
    missing = False
    for name, s in report.items():
        b, a = s["before"], s["after"]
        cov = s.get("coverage")
        if cov is None and name in _SET_FILES:
            missing = True
        cb = f"{cov['before']}/{cov['rows']} {pct(cov['before'], cov['rows'])}" if cov else ("skipped" if name in _SET_FILES else "n/a")
        ca = f"{cov['after']}/{cov['rows']} {pct(cov['after'], cov['rows'])}" if cov else ("skipped" if name in _SET_FILES else "n/a")
        print(f"{name:17s} {b['right']:>4d}/{b['converted']:<4d} {pct(b['right'], b['converted']):>12s} "
              f"{a['right']:>4d}/{a['converted']:<4d} {pct(a['right'], a['converted']):>12s} "
              f"{b['needless']:>4d}/{b['refused']:<4d} {pct(b['needless'], b['refused']):>10s} "
              f"{a['needless']:>4d}/{a['refused']:<4d} {pct(a['needless'], a['refused']):>10s} {cb:>22s} {ca:>22s}")
    tot = {w: {k: sum(s[w][k] for s in report.values()) for k in ("converted", "right", "refused", "needless")} for w in ("before", "after")}
    print(f"{'all':17s} {tot['before']['right']:>4d}/{tot['before']['converted']:<4d} "
          f"{pct(tot['before']['right'], tot['before']['converted']):>12s} {tot['after']['right']:>4d}/{tot['after']['converted']:<4d} "
          f"{pct(tot['after']['right'], tot['after']['converted']):>12s} {tot['before']['needless']:>4d}/{tot['before']['refused']:<4d} "
          f"{pct(tot['before']['needless'], tot['before']['refused']):>10s} {tot['after']['needless']:>4d}/{tot['after']['refused']:<4d} "
          f"{pct(tot['after']['needless'], tot['after']['refused']):>10s}")
    held = {k: sum(s["held_out"][k] for s in report.values()) for k in ("converted", "right")}
    print(f"held-out and unseen samples (labelled after the rules were written; sample=held_out|unseen): "
          f"{held['right']}/{held['converted']} {pct(held['right'], held['converted'])} of its conversions right now")
    ratio = (tot["after"]["right"] / max(tot["after"]["converted"], 1)) / max(tot["before"]["right"] / max(tot["before"]["converted"], 1), 1e-9)
    print(f"precision ratio after / before (same labelled items, same run): {ratio:.3f}")
    for name, s in report.items():
        if s["after"]["wrong_rows"]:
            print(f"  {name}: wrong conversions now at rows {s['after']['wrong_rows']}")
    if missing:
        print(f"coverage skipped: {CORPORA} not found (the labelled items themselves are committed, so precision and "
              "needless refusals above do not need it)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", help="multiple-choice file (default: synthetic)")
    ap.add_argument("--shape", default="auto", choices=["auto", "curate", "aqua", "mmlu", "tal", "agieval"])
    ap.add_argument("--n", type=int, default=20000, help="synthetic rows")
    ap.add_argument("--dump", help="write converted (and sampled not-converted) rows here as JSONL")
    ap.add_argument("--sample", type=int, default=0, help="only this many random converted rows in --dump")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quality", action="store_true", help="precision / coverage / needless refusals on labelled real items")
    args = ap.parse_args(argv)
    if args.quality:
        print_quality(quality())
        return 0

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
