"""Conflicting-answer clusters on real data: what share of the clusters dedup sends to review are real
conflicts (one problem, two answers) rather than different problems merged.

Needs ../shared/corpora (real public sets; skipped with a note when absent). The pipeline's own stages
run with default settings (ingest -> clean -> convert_mcq -> dedup; the verifier decides whether
answers differ) over every real set there (MATH train, GSM8K train + test, MATH-500, AIME 2024,
AMC 2023, TAL-SCQ5K, OlympiadBench, GaoKao 2023 en, Minerva, MMLU-STEM, AQuA, TheoremQA, AGIEval
GaoKao physics and chemistry). Every cluster
the dedup stage queues with `conflicting_answers` is matched (by its members' ids) to the labels in
`benchmarks/quality/dedup/conflict_clusters.jsonl`, which were made by reading each cluster:

    real_conflict      the members are one problem and their answers really differ (one is wrong, or
                       they answer in forms the verifier cannot match)
    different_problems the members are different problems that dedup merged

Printed: clusters in review, labelled / unlabelled, the share of real conflicts (the goal is >= 80%),
and, as the baseline measured in the same run, the conflicting clusters a string comparison of the
answers would have queued (the rule before the verifier comparison).

    PYTHONPATH=. python benchmarks/review_conflicts.py [--dump FILE] [--work DIR] [--unseen DIR]

`--dump FILE` writes every queued cluster (members with question and answer) as JSONL, for labelling.
`--unseen DIR` adds real sets that are not in ../shared (the check that the rule was not fitted to
the examples): DIR/NAME.jsonl for each NAME in `UNSEEN`, as published in QwenLM/Qwen2.5-Math @a45202bd
(`git show a45202bd:evaluation/data/NAME/test.jsonl > DIR/NAME.jsonl`); their clusters are labelled
too (`rule: unseen`) and reported apart.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent
LABELS = ROOT / "quality" / "dedup" / "conflict_clusters.jsonl"
_CANDIDATES = [ROOT.parent.parent / "shared" / "corpora", ROOT.parent.parent.parent / "shared" / "corpora"]
CORPORA = Path(os.environ["CURATE_CORPORA"]) if os.environ.get("CURATE_CORPORA") else next(
    (c for c in _CANDIDATES if c.exists()), _CANDIDATES[0]
)

# (source name, file under the corpora folder, question field, id field): what a user would configure
SETS = (
    ("math_train", "real/math_train.json", "problem", None),
    ("gsm8k_train", "real/gsm8k_train.jsonl", "question", None),
    ("gsm8k_test", "real/gsm8k_test.jsonl", "question", "idx"),
    ("math500", "real/math500.jsonl", "problem", "unique_id"),
    ("aime24", "real/aime24.jsonl", "problem", "id"),
    ("amc23", "real/amc23.jsonl", "problem", "id"),
    ("tal_scq", "real/tal_scq_en_train3k.jsonl", None, None),
    ("theoremqa", "real/theoremqa_test.json", None, None),
    ("olympiadbench", "olympiadbench.jsonl", None, None),
    ("gaokao2023en", "gaokao2023en.jsonl", None, None),
    ("minerva_math", "minerva_math.jsonl", None, None),
    ("mmlu_stem", "mmlu_stem.jsonl", None, None),
    ("aqua", "aqua.jsonl", None, None),
    ("agieval_physics", "real/agieval-gaokao-physics.jsonl", None, None),
    ("agieval_chemistry", "real/agieval-gaokao-chemistry.jsonl", None, None),
)


# sets *not* in ../shared, for the check on unseen data (`--unseen DIR`): the evaluation files of
# QwenLM/Qwen2.5-Math @a45202bd, evaluation/data/NAME/test.jsonl, saved as DIR/NAME.jsonl
# (name, {mapping}); ASDiv and SVAMP keep the problem's body in a separate field (the context)
UNSEEN = (
    ("asdiv", {"context": "body", "question": "question", "answer": "answer"}),
    ("svamp", {"context": "Body", "question": "Question", "answer": "Answer"}),
    ("mawps", {"question": "input", "answer": "target"}),
    ("college_math", {}),
    ("carp_en", {"question": "content", "answer": "answer"}),
    ("sat_math", {}),
    ("gaokao_math_cloze", {}),
    ("gaokao_math_qa", {}),
    ("gaokao2024_mix", {}),
    ("cn_middle_school", {}),
    ("cmath", {}),
)


def run_to_dedup(work: Path, unseen: Path | None = None) -> pl.DataFrame:
    """The pipeline's stages up to and including dedup, default settings, over every set present."""
    from curation.config import FieldMapping, PipelineConfig, SourceConfig
    from curation.pipeline import Workspace, run_stage

    sources = [
        SourceConfig(name=name, path=str(CORPORA / rel), mapping=FieldMapping(question=q, id=i))
        for name, rel, q, i in SETS
        if (CORPORA / rel).exists()
    ]
    if unseen is not None:
        sources += [
            SourceConfig(name=name, path=str(unseen / f"{name}.jsonl"), mapping=FieldMapping(**mapping))
            for name, mapping in UNSEEN
            if (unseen / f"{name}.jsonl").exists()
        ]
    cfg = PipelineConfig(output_dir=str(work), sources=sources)
    cfg.difficulty.enabled = False
    ws = Workspace(cfg)
    ws.work.mkdir(parents=True, exist_ok=True)
    current = None
    for stage in ("ingest", "generate", "clean", "convert_mcq", "dedup"):
        t0 = time.perf_counter()
        current, count = run_stage(ws, stage, current)
        print(f"  {stage:<12} {count.rows:>7,} rows  {sum(count.dropped.values()):>6,} dropped  "
              f"{sum(count.review.values()):>4,} to review  {time.perf_counter() - t0:6.1f} s", flush=True)
    return pl.read_parquet(current)


def queued_clusters(df: pl.DataFrame) -> list[dict]:
    """Every conflicting cluster with a member in review: its members (all of them, with answers)."""
    in_review = df.filter((pl.col("review_reason") == "conflicting_answers") & pl.col("drop_reason").is_null())
    out = []
    for cid in in_review["cluster_id"].unique(maintain_order=True).to_list():
        members = df.filter(pl.col("cluster_id") == cid).select(
            "id", "source", "source_row", "question", "answer", "drop_reason", "review_reason"
        )
        out.append({"cluster_id": cid, "members": members.to_dicts()})
    return out


def string_conflict_clusters(df: pl.DataFrame) -> list[dict]:
    """Baseline: the same clusters, queued when their live members' answers differ as strings."""
    live = df.filter(pl.col("cluster_id").is_not_null() & (pl.col("drop_reason").is_null() | pl.col("drop_reason").is_in(
        ["exact_duplicate", "near_duplicate"])) & pl.col("answer").is_not_null())
    per = live.group_by("cluster_id", maintain_order=True).agg(pl.col("answer").str.strip_chars().n_unique().alias("n"))
    out = []
    for cid in per.filter(pl.col("n") > 1)["cluster_id"].to_list():
        out.append({"cluster_id": cid, "members": df.filter(pl.col("cluster_id") == cid).select("id").to_dicts()})
    return out


def text_only_clusters(mcq_file: Path) -> list[dict]:
    """The rule before issue 15 on the same rows: text similarity only (Jaccard 0.8, 16 x 8 bands, no
    same-problem rule), answers compared by the verifier."""
    from curation.config import DedupSettings
    from curation.dedup import mark_duplicates

    settings = DedupSettings(require_same_problem=False, threshold=0.8, bands=16, rows=8)
    return queued_clusters(mark_duplicates(pl.read_parquet(mcq_file), settings=settings))


def member_key(members: list[dict]) -> str:
    return "|".join(sorted(str(m["id"]) for m in members))


def share(name: str, clusters: list[dict], labels: dict[str, dict], rule: str | None = None) -> float | None:
    """Print how many of `clusters` are labelled real conflicts; return the share among labelled.
    `rule`: count only the labels collected for that rule (a random sample must stay random)."""
    found = [labels.get(member_key(c["members"])) for c in clusters]
    got = [f["label"] if f is not None and rule in (None, f["rule"]) else None for f in found]
    real = got.count("real_conflict")
    labelled = sum(1 for g in got if g is not None)
    print(f"{name}: {len(clusters)} clusters queued; labelled {labelled} (real conflicts {real}, different problems "
          f"{got.count('different_problems')}, same answer written differently {got.count('same_answer')}); "
          f"unlabelled {len(clusters) - labelled}")
    if not labelled:
        return None
    print(f"  share of real conflicts among labelled: {real / labelled:.3f} ({real}/{labelled})")
    return real / labelled


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, help="write the queued clusters (JSONL) for labelling")
    ap.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    ap.add_argument("--unseen", type=Path, help="folder with real sets not in ../shared (see UNSEEN), added to the run")
    args = ap.parse_args()
    if not (CORPORA / "real").exists():
        print(f"skipped: {CORPORA}/real not found (the real corpora live next to the repository in ../shared)")
        return 0
    labels = {}
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            labels[member_key(rec["members"])] = rec
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        t0 = time.perf_counter()
        df = run_to_dedup(work, args.unseen)
        print(f"rows: {df.height:,} from {df['source'].n_unique()} sets ({time.perf_counter() - t0:.1f} s)")
        before = text_only_clusters(work / "work" / "03_convert_mcq.parquet")
    clusters = queued_clusters(df)
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for c in clusters:
                fh.write(json.dumps(c, ensure_ascii=False) + "\n")
        print(f"wrote {len(clusters)} clusters to {args.dump}")
    print()
    now = share("dedup now (same-problem rule, answers by the verifier)", clusters, labels)
    if args.unseen is not None:
        names = {n for n, _ in UNSEEN}
        share("  of which with a member from an unseen set", [c for c in clusters if names & {m["source"] for m in c["members"]}],
              labels)
    for c in clusters:  # new clusters (another rule, other data): read and label them (--dump writes them)
        if member_key(c["members"]) not in labels:
            print("  unlabelled:", " | ".join(f"{m['id']} ({m['source']}:{m['source_row']}) answer {m['answer']!r}"
                                              for m in c["members"]))
    text = share("baseline 1, text-only rule before issue 15 (Jaccard 0.8, no same-problem rule; a labelled random "
                 "sample of 30)", before, labels, rule="text_only")
    strings = share("baseline 2, today's clusters with answers compared as strings", string_conflict_clusters(df), labels)
    if now is not None:
        print(f"\ngoal: >= 80% of conflicting clusters in review are real conflicts: {now:.1%} "
              f"({'met' if now >= 0.8 else 'NOT met'})")
        for name, base in (("text-only rule", text), ("string comparison", strings)):
            if base:
                print(f"  ratio vs {name}: {now / base:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
