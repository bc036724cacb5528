"""Add `a_answer` / `b_answer` (each row's reference answer as curate's ingest reads it from the set's
file; a multiple-choice key stays a letter, the options are in `a_choices` / `b_choices` where the
file has them) to the labelled pair files, for the answer-confirmed tier (helper `neardup3`).
Labels and every other field are left as they are. Needs ../shared/corpora (or CURATE_CORPORA).

    PYTHONPATH=. python benchmarks/quality/dedup/collect/add_answers.py
"""
import json
import sys
from pathlib import Path

from curation.config import FieldMapping, SourceConfig
from curation.ingest import ingest_source

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))
from benchmarks.review_conflicts import CORPORA as C, SETS as _SETS  # noqa: E402  (the sets as a user configures them)

# the id prefixes of the pair files where they differ from the source names there; ProofNet (proofs, no answer) added
_PREFIX = {"tal_scq": "tal_scq_en_train3k", "agieval_physics": "agieval_gaokao_physics", "agieval_chemistry": "agieval_gaokao_chemistry"}
SETS = tuple((_PREFIX.get(name, name), rel, q, i) for name, rel, q, i in _SETS) + (
    ("proofnet", "real/proofnet_test.jsonl", "nl_statement", None),
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
