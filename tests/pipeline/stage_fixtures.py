"""A small hand-written sample and an extra stage, shared by the registry tests (library and flows)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ConfigDict

from curation.stage import Stage

PROBLEMS = [
    {"question": "What is 2 + 2? Give the number.", "answer": "4", "id": "p1"},
    {"question": "What is 2 + 2 ? Give the number.", "answer": "4", "id": "p1-dup"},
    {"question": "Compute 3 * 7 and report the product as an integer.", "answer": "21", "id": "p2"},
    {"question": "Prove that there are infinitely many prime numbers.", "answer": "", "id": "p3"},
    {"question": "Which of these is prime? (A) 4 (B) 6 (C) 7 (D) 9", "answer": "C", "id": "p4"},
    {"question": "How many sides does a hexagon have?", "answer": "6", "id": "p5"},
    {"question": "Find x if 2x + 3 = 11. Give x as an integer.", "answer": "4", "id": "p6"},
    {"question": "What is the sum of the interior angles of a triangle in degrees?", "answer": "180", "id": "p7"},
]
BENCHMARK = [{"question": "What is the sum of the interior angles of a triangle in degrees?", "answer": "180"}]


def write_sample(root: Path, *, extra: str = "", difficulty: bool = False, generate: bool = False) -> Path:
    """Sample problems, a benchmark and a config under `root`; return the config path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "problems.jsonl").write_text("\n".join(json.dumps(p) for p in PROBLEMS) + "\n")
    (root / "bench.jsonl").write_text("\n".join(json.dumps(p) for p in BENCHMARK) + "\n")
    puzzles = '[generate]\nenabled = true\n[[generate.puzzles]]\ngenerator = "maze"\ncount = 3\n' if generate else ""
    config = root / "curate.toml"
    config.write_text(
        f"""output_dir = "out"
[[sources]]
path = "problems.jsonl"
[[decontaminate.benchmarks]]
name = "bench"
path = "bench.jsonl"
[difficulty]
enabled = {"true" if difficulty else "false"}
{puzzles}{extra}"""
    )
    return config


class MinWordsSettings(BaseModel):
    """The extra stage's one settings class."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    min_words: int = 3


def step_min_words(ws, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    """Drop (where not dropped yet) questions with fewer than `min_words` words."""
    settings = ws.cfg.section("min_words")
    short = pl.col("question").str.split(" ").list.len() < settings.min_words
    out = df.with_columns(
        pl.when(short & pl.col("drop_reason").is_null()).then(pl.lit("too_few_words")).otherwise(pl.col("drop_reason"))
        .alias("drop_reason")
    )
    return out, f"{out.filter(pl.col('drop_reason') == 'too_few_words').height} too short"


MIN_WORDS = Stage(
    name="min_words",
    run=step_min_words,
    description="Drop questions with too few words.",
    settings_model=MinWordsSettings,
    reads=("question", "drop_reason"),
    writes=("drop_reason",),
)
#: with `min_words = 8`, exactly this sample question is dropped by the extra stage
SHORT_QUESTION = "How many sides does a hexagon have?"
