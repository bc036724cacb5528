"""Load every set in ../shared/corpora as (id, source, question, choices)."""
import json, gzip, re
from pathlib import Path
import os
# ../shared/corpora beside the repository, or where CURATE_CORPORA points (a git worktree lives elsewhere)
C = Path(os.environ.get("CURATE_CORPORA") or Path(__file__).resolve().parents[5] / "shared" / "corpora")

def _jsonl(p):
    return [json.loads(l) for l in open(p, encoding="utf-8") if l.strip()]

def strip_letter(o):
    return re.sub(r"^\s*\(?[A-Ea-e][\)\.:]\s*", "", o).strip()

def load():
    rows = []
    def add(name, recs, q, ch=None):
        for i, r in enumerate(recs):
            rows.append((f"{name}:{i}", name, q(r), ch(r) if ch else None))
    add("math_train", json.load(open(C/"real/math_train.json")), lambda r: r["problem"])
    add("math500", _jsonl(C/"real/math500.jsonl"), lambda r: r["problem"])
    add("gsm8k_train", _jsonl(C/"real/gsm8k_train.jsonl"), lambda r: r["question"])
    add("gsm8k_test", _jsonl(C/"real/gsm8k_test.jsonl"), lambda r: r["question"])
    add("amc23", _jsonl(C/"real/amc23.jsonl"), lambda r: r["question"])
    add("aime24", _jsonl(C/"real/aime24.jsonl"), lambda r: r["problem"])
    add("tal_scq_en_train3k", _jsonl(C/"real/tal_scq_en_train3k.jsonl"), lambda r: r["problem"],
        lambda r: [o[0]["content"].strip() for o in r["answer_option_list"]])
    add("theoremqa", json.load(open(C/"real/theoremqa_test.json")), lambda r: r["Question"])
    add("proofnet", _jsonl(C/"real/proofnet_test.jsonl"), lambda r: r["nl_statement"])
    for s in ["agieval-gaokao-physics", "agieval-gaokao-chemistry"]:
        add(s.replace("-", "_"), _jsonl(C/f"real/{s}.jsonl"), lambda r: r["question"], lambda r: [strip_letter(o) for o in r["options"]])
    add("aqua", _jsonl(C/"aqua.jsonl"), lambda r: r["question"], lambda r: [strip_letter(o) for o in r["options"]])
    add("mmlu_stem", _jsonl(C/"mmlu_stem.jsonl"), lambda r: r["question"], lambda r: r["choices"])
    add("olympiadbench", _jsonl(C/"olympiadbench.jsonl"), lambda r: r["question"])
    add("gaokao2023en", _jsonl(C/"gaokao2023en.jsonl"), lambda r: r["question"])
    add("minerva_math", _jsonl(C/"minerva_math.jsonl"), lambda r: r["problem"])
    return rows
