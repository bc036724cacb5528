"""A small hand-written sample (and its config) exercising every stage the flows run."""

from __future__ import annotations

import json
from pathlib import Path

PROBLEMS = [
    {"question": "What is 2 + 2? Give the number.", "answer": "4", "id": "p1"},
    {"question": "What is 2 + 2 ? Give the number.", "answer": "4", "id": "p1-dup"},
    {"question": "Compute 3 * 7 and report the product as an integer.", "answer": "21", "id": "p2"},
    {"question": "Compute 3 * 7 and report the product as an integer please.", "answer": "21", "id": "p2-near"},
    {"question": "Prove that there are infinitely many prime numbers.", "answer": "", "id": "p3"},
    {"question": "Which of these is prime? (A) 4 (B) 6 (C) 7 (D) 9", "answer": "C", "id": "p4"},
    {"question": "How many sides does a regular hexagon have? Answer with a number.", "answer": "6", "id": "p5"},
    {"question": "Find x if 2x + 3 = 11. Give x as an integer.", "answer": "4", "id": "p6"},
    {"question": "What is the sum of the interior angles of a triangle in degrees?", "answer": "180", "id": "p7"},
    {"question": "Evaluate 10 choose 2 and give the integer value of the binomial coefficient.", "answer": "45", "id": "p8"},
    {"question": "Let n be the smallest positive integer divisible by 6 and 10. Find n.", "answer": "30", "id": "p9"},
    {"question": "What is the remainder when 17 is divided by 5? Answer with one integer.", "answer": "2", "id": "p10"},
]
BENCHMARK = [
    {"question": "What is the sum of the interior angles of a triangle in degrees?", "answer": "180"},
]


def write_sample(root: Path, *, generate: bool = False, difficulty_url: str | None = None,
                 runner: str = "thread", chunk_rows: int = 4, extra: str = "") -> Path:
    """Write sample data and a config under `root`; return the config path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "problems.jsonl").write_text("\n".join(json.dumps(p) for p in PROBLEMS) + "\n")
    (root / "bench.jsonl").write_text("\n".join(json.dumps(p) for p in BENCHMARK) + "\n")
    puzzles = ""
    if generate:
        puzzles = """
[generate]
enabled = true
[[generate.puzzles]]
generator = "sudoku"
count = 7
level = 1
seed = 3
[[generate.puzzles]]
generator = "maze"
count = 5
level = 1
seed = 0
"""
    if difficulty_url:
        difficulty = f"""
[difficulty]
enabled = true
k = 2
[difficulty.model]
base_url = "{difficulty_url}"
model = "fake"
max_retries = 1
"""
    else:
        difficulty = "\n[difficulty]\nenabled = false\n"
    text = f"""output_dir = "out"

[[sources]]
name = "sample"
path = "problems.jsonl"

[decontaminate]
ngram = 6
[[decontaminate.benchmarks]]
name = "bench"
path = "bench.jsonl"
{difficulty}{puzzles}
[prefect]
task_runner = "{runner}"
chunk_rows = {chunk_rows}
signature_chunk_rows = {chunk_rows}
retry_delay_seconds = 0
{extra}
"""
    cfg = root / "curate.toml"
    cfg.write_text(text)
    return cfg
