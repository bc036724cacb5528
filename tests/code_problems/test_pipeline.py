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
    final = pl.read_parquet(report.last_file)
    table = final.select("source_id", "code_validation", "code_validation_detail").rows()
    assert stages["code_tests"].dropped == {"tests_inconsistent": 2, "too_few_tests": 1, "nondeterministic_output": 1}, table
    assert stages["code_tests"].review == {"reference_timeout": 1}
    assert stages["clean"].dropped == {} and stages["difficulty"].dropped == {"too_easy": 1}
    d = report.destinations
    assert d["kept"] + d["dropped"] + d["review"] == 12 and d["quarantined"] == 1
    assert set(final["kind"]) == {"code"}
    hard = final.filter(pl.col("source_id") == "Sample/0").row(0, named=True)
    assert hard["difficulty_label"] == "hard" and hard["drop_reason"] is None


def test_exported_code_rows_carry_their_tests_and_score_through_the_reward_router(tmp_path, sandbox):
    from curation.rewards import score_detail

    cfg = config_from_dict({
        "output_dir": str(tmp_path / "out"),
        "sources": [{"path": str(SAMPLES / "code_humaneval.jsonl")}, {"path": str(SAMPLES / "code_apps.jsonl")}],
        "difficulty": {"enabled": False},
    })
    report = run_pipeline(cfg)
    rl = pl.read_parquet(sorted(Path(report.dataset_dir).glob("rl/train-*.parquet")))
    assert set(rl["ability"]) == {"code"}
    rows = {r["extra_info"]["id"]: r for r in rl.iter_rows(named=True)}
    final = pl.read_parquet(report.last_file)
    add = final.filter(pl.col("source_id") == "Sample/0")["id"][0]
    row = rows[add]
    assert row["prompt"][-1]["content"].endswith("Put your final code in one fenced code block.")
    assert "\\boxed" not in row["prompt"][-1]["content"]
    assert row["extra_info"]["code_spec"] == row["reward_model"]["ground_truth"]
    truth, info = row["reward_model"]["ground_truth"], row["extra_info"]
    right = score_detail(f"Here:\n{FENCE}python\ndef add(x, y):\n    return x + y\n{FENCE}", truth, info)
    assert (right.value, right.kind) == (1.0, "code")
    wrong = score_detail(f"{FENCE}python\ndef add(x, y):\n    return x * y\n{FENCE}", truth, info)
    assert wrong.value == 0.0 and "tests passed" in wrong.reason
    prose = score_detail("The answer is x + y.", truth, info)
    assert prose.value == 0.0
    # an APPS function-call item scored the same way
    two_sum = final.filter(pl.col("source_id") == "2")["id"][0]
    r2 = rows[two_sum]
    code = ("class Solution:\n    def two_sum(self, nums, target):\n        for j in range(len(nums)):\n"
            "            for i in range(j):\n                if nums[i] + nums[j] == target:\n                    return [i, j]\n")
    assert score_detail(f"{FENCE}python\n{code}{FENCE}", r2["reward_model"]["ground_truth"], r2["extra_info"]).value == 1.0
