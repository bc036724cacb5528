"""Add `a_answer` / `b_answer` (each row's reference answer as curate's ingest reads it from the set's
file; a multiple-choice key stays a letter, the options are in `a_choices` / `b_choices` where the
file has them) to the labelled pair files, for the answer-confirmed tier (helper `neardup3`).
Labels and every other field are left as they are. Needs ../shared/corpora (or CURATE_CORPORA).

    PYTHONPATH=. python benchmarks/quality/dedup/collect/add_answers.py
"""
import json
import os
from pathlib import Path

from curation.config import FieldMapping, SourceConfig
from curation.ingest import ingest_source

HERE = Path(__file__).resolve().parent
C = Path(os.environ.get("CURATE_CORPORA") or HERE.parents[5] / "shared" / "corpora")
# (id prefix of the pair files, file, question field, id field): read like a user would configure them
SETS = (
    ("math_train", "real/math_train.json", "problem", None),
    ("gsm8k_train", "real/gsm8k_train.jsonl", "question", None),
    ("gsm8k_test", "real/gsm8k_test.jsonl", "question", "idx"),
    ("math500", "real/math500.jsonl", "problem", "unique_id"),
    ("aime24", "real/aime24.jsonl", "problem", "id"),
    ("amc23", "real/amc23.jsonl", "question", "id"),
    ("tal_scq_en_train3k", "real/tal_scq_en_train3k.jsonl", None, None),
    ("theoremqa", "real/theoremqa_test.json", None, None),
    ("proofnet", "real/proofnet_test.jsonl", "nl_statement", None),
    ("olympiadbench", "olympiadbench.jsonl", None, None),
    ("gaokao2023en", "gaokao2023en.jsonl", None, None),
    ("minerva_math", "minerva_math.jsonl", None, None),
    ("mmlu_stem", "mmlu_stem.jsonl", None, None),
    ("aqua", "aqua.jsonl", None, None),
    ("agieval_gaokao_physics", "real/agieval-gaokao-physics.jsonl", None, None),
    ("agieval_gaokao_chemistry", "real/agieval-gaokao-chemistry.jsonl", None, None),
)


def answers() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name, rel, q, i in SETS:
        res = ingest_source(SourceConfig(name=name, path=str(C / rel), mapping=FieldMapping(question=q, id=i)))
        assert res.quarantine.height == 0, name  # row k of the file is row k of the frame
        for k, a in enumerate(res.problems["answer"].to_list()):
            out[f"{name}:{k}"] = a
    return out


def main() -> None:
    ans = answers()
    for f in ("near_duplicate_pairs.jsonl", "holdout_pairs.jsonl", "blind_pairs.jsonl"):
        path = HERE.parent / f
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for r in rows:
            r["a_answer"], r["b_answer"] = ans[r["a_id"]], ans[r["b_id"]]
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{f}: {len(rows)} pairs, answers added")


if __name__ == "__main__":
    main()
