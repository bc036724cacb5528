"""The answer-confirmed tier on real sets *not* in ../shared/corpora (helper `neardup3`): every pair it
links there, against `../unseen_answer_tier_pairs.jsonl` (ids and labels only: the texts stay in their
source, QwenLM/Qwen2.5-Math @a45202bd `evaluation/data/`, whose datasets carry their own licences).

    QWEN_MATH_EVAL_DATA=/path/to/Qwen2.5-Math/evaluation/data PYTHONPATH=. \
        python benchmarks/quality/dedup/collect/unseen_sets.py

Prints the pairs the tier links, labelled or not, and the precision among the labelled ones.
"""
import json
import os
import sys
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))
from curation.config import DedupSettings, SourceConfig  # noqa: E402
from curation.dedup import mark_duplicates  # noqa: E402
from curation.ingest import ingest_source  # noqa: E402

# id prefix -> file under evaluation/data (fields found by ingest's own recognition)
SETS = {
    "asdiv_test": "asdiv/test.jsonl", "svamp_test": "svamp/test.jsonl", "mawps_test": "mawps/test.jsonl",
    "mawps_addsub": "mawps/addsub.jsonl", "mawps_multiarith": "mawps/multiarith.jsonl",
    "mawps_singleeq": "mawps/singleeq.jsonl", "mawps_singleop": "mawps/singleop.jsonl",
    "college_math_test": "college_math/test.jsonl", "sat_math_test": "sat_math/test.jsonl",
    "gaokao_math_cloze_test": "gaokao_math_cloze/test.jsonl", "gaokao_math_qa_test": "gaokao_math_qa/test.jsonl",
    "gaokao2024_mix_test": "gaokao2024_mix/test.jsonl", "cn_middle_school_test": "cn_middle_school/test.jsonl",
    "cmath_test": "cmath/test.jsonl",
}


def main() -> int:
    data = os.environ.get("QWEN_MATH_EVAL_DATA")
    if not data or not Path(data).exists():
        print("skipped: set QWEN_MATH_EVAL_DATA to a Qwen2.5-Math checkout's evaluation/data folder")
        return 0
    frames = []
    for name, rel in sorted(SETS.items()):  # the order the labels were made in (first copy of a text represents it)
        df = ingest_source(SourceConfig(name=name, path=str(Path(data) / rel))).problems
        frames.append(df.with_columns(pl.format("{}:{}", pl.lit(name), pl.int_range(pl.len())).alias("id")))
    df = pl.concat(frames, how="diagonal_relaxed")
    stats: dict = {"collect_pairs": True}
    mark_duplicates(df, settings=DedupSettings(), stats=stats)
    labels = {}
    for line in (HERE.parent / "unseen_answer_tier_pairs.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            labels[tuple(sorted((r["a_id"], r["b_id"])))] = r
    linked = [tuple(sorted(p)) for p in stats["answer_confirmed"]]
    got = [labels[p]["label"] if p in labels else None for p in linked]
    same = got.count("same")
    print(f"{df.height:,} rows from {len(SETS)} sets; the tier links {len(linked)} pairs: labelled same {same}, "
          f"labelled different {got.count('different')}, unlabelled {got.count(None)}")
    for p, g in zip(linked, got):
        if g != "same":
            print(f"  {g or 'unlabelled'}: {p[0]} / {p[1]}")
    labelled = same + got.count("different")
    if labelled:
        print(f"precision among labelled links: {same / labelled:.3f} ({same}/{labelled})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
