"""Code problems in the RL layout: the tests travel in `extra_info.code_spec` (also the ground truth),
the prompt asks for a fenced code block, and the reward runs the program in the real sandbox."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.rewards.helpers import SAMPLES


@pytest.fixture(scope="module")
def code_rows(tmp_path_factory):
    from curation.config import ExportSettings, SourceConfig
    from curation.drop import split_outcomes
    from curation.export import export_dataset
    from curation.ingest import ingest_source

    problems = ingest_source(SourceConfig(path=str(SAMPLES / "code_humaneval.jsonl"))).problems
    assert set(problems["kind"]) == {"code"}
    out = export_dataset(split_outcomes(problems), out_dir=tmp_path_factory.mktemp("code"), settings=ExportSettings(val_fraction=0))
    rl = pl.read_parquet(out.dataset_dir / "rl" / "train-*.parquet")
    raw = [json.loads(line) for line in (SAMPLES / "code_humaneval.jsonl").read_text().splitlines()]
    return rl.to_dicts(), {r["prompt"].split("\n")[0]: r for r in raw}


def test_code_rows_carry_their_tests_and_ask_for_code(code_rows):
    rows, _ = code_rows
    for row in rows:
        assert row["ability"] == "code" and row["extra_info"]["kind"] == "code"
        spec = json.loads(row["extra_info"]["code_spec"])
        assert spec["tests"] and row["answer"] == row["reward_model"]["ground_truth"] == row["extra_info"]["code_spec"]
        content = row["prompt"][-1]["content"]
        assert content.endswith("Put your final code in one fenced code block.") and "\\boxed" not in content


def _sandbox_or_skip():
    from curation.code.sandbox import Sandbox, SandboxUnavailable

    try:
        Sandbox(workers=1).close()
    except SandboxUnavailable as exc:
        pytest.skip(f"real sandbox unavailable: {exc}")


def why(response: str, row: dict) -> str:
    from curation.rewards import score_detail

    return score_detail(response, row["answer"], row["extra_info"]).reason


def test_code_rows_are_scored_in_the_sandbox(code_rows):
    _sandbox_or_skip()
    from curation.rewards.verl import compute_score

    rows, raw = code_rows
    timeouts = []
    for row in rows:
        source = next(r for first, r in raw.items() if first in row["prompt"][-1]["content"])
        right = f"Here it is:\n```python\n{source['prompt']}{source['canonical_solution']}```"
        wrong = f"```python\n{source['prompt']}    return None\n```"
        kwargs = {"data_source": row["data_source"], "ground_truth": row["reward_model"]["ground_truth"],
                  "extra_info": row["extra_info"]}
        # Sample/2's reference is deliberately wrong (sorted(values)[-2] on [5, 5, 4]): it fails its own tests
        expected = 0.0 if source["task_id"] == "Sample/2" else 1.0
        got = compute_score(solution_str=right, **kwargs)
        if got != expected and expected == 1.0 and "timeout" in why(right, row):
            # on a loaded machine the code checker times out correct programs (reported to its owner);
            # what this test owns (routing, the spec in extra_info) worked: the tests ran
            timeouts.append(source["task_id"])
        else:
            assert got == expected, why(right, row)
        assert compute_score(solution_str=wrong, **kwargs) == 0.0, why(wrong, row)
        assert compute_score(solution_str="no code at all", **kwargs) == 0.0
    if timeouts:
        pytest.xfail(f"the sandbox timed out correct programs under load: {timeouts}")
