"""A code source through the whole pipeline (`run_pipeline`): clean/MCQ leave code alone, the
code_tests stage validates, difficulty samples programs, every row ends in exactly one place."""

from pathlib import Path

import polars as pl

from curation.config import config_from_dict
from curation.pipeline import run_pipeline
from tests.difficulty.fake_server import FakeServer, Script

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
FENCE = "```"


def test_code_sources_through_the_pipeline(tmp_path, sandbox):
    scripts = [Script("two integers a and b", answers=[f"{FENCE}python\na, b = map(int, input().split())\nprint(a + b)\n{FENCE}"])]
    with FakeServer(scripts=scripts, default_answer="no idea") as srv:
        cfg = config_from_dict({
            "output_dir": str(tmp_path / "out"),
            "sources": [{"path": str(SAMPLES / "code.jsonl"), "kind": "code"}, {"path": str(SAMPLES / "code_humaneval.jsonl")}],
            "code": {"float_tolerance": 1e-6, "workers": 2},
            "difficulty": {"k": 2, "model": {"base_url": srv.base_url, "model": "m", "max_retries": 0}},
        })
        report = run_pipeline(cfg)
    stages = {s.stage: s for s in report.stages}
    assert stages["code_tests"].dropped == {"tests_inconsistent": 2, "too_few_tests": 1, "nondeterministic_output": 1}
    assert stages["code_tests"].review == {"reference_timeout": 1}
    assert stages["clean"].dropped == {} and stages["difficulty"].dropped == {"too_easy": 1}
    d = report.destinations
    assert d["kept"] + d["dropped"] + d["review"] == 12 and d["quarantined"] == 1
    final = pl.read_parquet(report.last_file)
    assert set(final["kind"]) == {"code"}
    hard = final.filter(pl.col("source_id") == "Sample/0").row(0, named=True)
    assert hard["difficulty_label"] == "hard" and hard["drop_reason"] is None
