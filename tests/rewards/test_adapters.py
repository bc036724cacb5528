"""Each adapter called exactly as its framework calls it, on rows of a real export loaded with `datasets`.

- verl: `get_custom_reward_fn` loads `custom_reward_function.path` (`pkg://...`) / `name` and wraps it
  so `reward_kwargs` merge into the call; `NaiveRewardManager` calls it with keyword arguments and an
  `extra_info` to which it added `num_turns` and `rollout_reward_scores` (verl @ b178a3cd).
- TRL: `GRPOTrainer._calculate_rewards` passes `prompts`, `completions`, `completion_ids` and every
  other dataset column as a list, plus `trainer_state`, `log_extra`, `log_metric` (trl @ f2cd5771).
- OpenRLHF: `SingleTurnAgentExecutor` execs the `.py` file as module "reward_func" and calls
  `reward_func([query], [prompt], [label])` per sample, the query being prompt + response decoded with
  special tokens (OpenRLHF @ 3c3be623).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import pickle
from functools import partial

import pytest

from tests.rewards.helpers import OPEN_2X2, alternative_shortest_path, export_sample, rl_rows, spec_of


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    return rl_rows(export_sample(tmp_path_factory.mktemp("export")))


def right_response(row: dict) -> str:
    return f"Let me work through it.\n\nSo the final answer is \\boxed{{{row['answer']}}}."


def wrong_response(row: dict) -> str:
    if row["extra_info"]["kind"] == "puzzle":
        return f"\\boxed{{{row['answer'][:-1]}}}"  # one move short / one digit missing
    return f"\\boxed{{{row['answer']} + 1}}"


# --------------------------------------------------------------------------- verl


def _verl_load(path: str, name: str, reward_kwargs: dict):
    """verl/utils/import_utils.py load_module for `pkg://`, then get_custom_reward_fn's kwargs merge."""
    assert path.startswith("pkg://")
    module = importlib.import_module(path[len("pkg://"):].replace("/", "."))
    raw_fn = getattr(module, name)

    def _call_with_kwargs(raw_fn, extra_kwargs, *args, **kwargs):
        return raw_fn(*args, **{**kwargs, **extra_kwargs})

    return partial(_call_with_kwargs, raw_fn, reward_kwargs)


def _verl_score(compute_score, row: dict, response: str):
    extra_info = dict(row["extra_info"])  # NaiveRewardManager adds these two keys to the row's extra_info
    extra_info["num_turns"] = None
    extra_info["rollout_reward_scores"] = {}
    return compute_score(data_source=row["data_source"], solution_str=response,
                         ground_truth=row["reward_model"]["ground_truth"], extra_info=extra_info)


def test_verl_compute_score(rows):
    compute_score = _verl_load("pkg://curation.rewards.verl", "compute_score", {})
    kinds = set()
    for row in rows:
        kinds.add((row["extra_info"]["kind"], row["extra_info"]["answer_type"]))
        assert _verl_score(compute_score, row, right_response(row)) == 1.0, row["extra_info"]["id"]
        assert _verl_score(compute_score, row, wrong_response(row)) == 0.0, row["extra_info"]["id"]
        assert _verl_score(compute_score, row, "") == 0.0
    assert ("puzzle", "puzzle") in kinds and len(kinds) >= 8  # many answer types went through
    assert {r["data_source"] for r in rows} >= {"curate/generator:maze", "curate/generator:sudoku", "curate/competition"}


def test_verl_reward_kwargs_reach_the_format_penalty(rows):
    compute_score = _verl_load("pkg://curation.rewards.verl", "compute_score", {"format_penalty": 0.5})
    row = rows[0]
    assert _verl_score(compute_score, row, "no idea") == -0.5
    assert _verl_score(compute_score, row, right_response(row)) == 1.0


def test_verl_extra_info_with_numpy_values(rows):
    import numpy as np

    compute_score = _verl_load("pkg://curation.rewards.verl", "compute_score", {})
    row = next(r for r in rows if r["extra_info"]["choices"])
    info = {k: (np.array(v, dtype=object) if isinstance(v, list) else v) for k, v in row["extra_info"].items()}
    assert compute_score(data_source=row["data_source"], solution_str=right_response(row),
                         ground_truth=np.str_(row["reward_model"]["ground_truth"]), extra_info=info) == 1.0


def test_verl_maze_alternative_path(rows):
    compute_score = _verl_load("pkg://curation.rewards.verl", "compute_score", {})
    tried = 0
    for row in rows:
        if row["extra_info"]["kind"] == "puzzle" and spec_of(row)["generator"] == "maze":
            alt = alternative_shortest_path(spec_of(row), row["answer"])
            if alt:
                tried += 1
                assert _verl_score(compute_score, row, f"\\boxed{{{alt}}}") == 1.0
    assert tried >= 1


# --------------------------------------------------------------------------- TRL


def _trl_call(reward_func, inputs: list[dict], completions: list, logged: dict):
    """What GRPOTrainer._calculate_rewards does before calling a sync reward function."""
    prompts = [x["prompt"] for x in inputs]
    keys = [key for key in inputs[0] if key not in ["prompt", "completion", "completion_ids"]]
    reward_kwargs = {key: [example[key] for example in inputs] for key in keys}
    reward_kwargs["trainer_state"] = object()
    reward_kwargs["log_extra"] = lambda column, values: logged.__setitem__(column, values)
    reward_kwargs["log_metric"] = lambda name, value: None
    return reward_func(prompts=prompts, completions=completions, completion_ids=[[1, 2, 3]] * len(inputs), **reward_kwargs)


def test_trl_reward_with_conversational_completions(rows):
    from curation.rewards.trl import curate_reward

    logged: dict = {}
    right = [[{"role": "assistant", "content": right_response(r)}] for r in rows]
    wrong = [[{"role": "assistant", "content": wrong_response(r)}] for r in rows]
    assert _trl_call(curate_reward, rows, right, logged) == [1.0] * len(rows)
    assert _trl_call(curate_reward, rows, wrong, logged) == [0.0] * len(rows)
    assert set(logged) == {"curate_answer", "curate_reason"} and len(logged["curate_reason"]) == len(rows)
    assert curate_reward.__name__ == "curate_reward"  # TRL names the reward's log column after it


def test_trl_reward_with_plain_completions_and_garbage(rows):
    from curation.rewards.trl import CurateReward, curate_reward

    plain = [right_response(r) for r in rows[:5]]
    assert _trl_call(curate_reward, rows[:5], plain, {}) == [1.0] * 5
    garbage = [None, [], [{"role": "assistant", "content": None}], [{"role": "user", "content": "\\boxed{1}"}], 7]
    assert _trl_call(curate_reward, rows[:5], garbage, {}) == [0.0] * 5
    penalised = CurateReward(format_penalty=0.1)
    assert _trl_call(penalised, rows[:1], ["no answer here"], {}) == [-0.1]
    again = pickle.loads(pickle.dumps(penalised))  # TRL's async worker pickles reward functions
    assert again.format_penalty == 0.1 and again.__name__ == "curate_reward"


def test_trl_reward_without_an_answer_column_uses_reward_model(rows):
    from curation.rewards.trl import curate_reward

    inputs = [{k: v for k, v in r.items() if k != "answer"} for r in rows[:4]]
    assert _trl_call(curate_reward, inputs, [right_response(r) for r in rows[:4]], {}) == [1.0] * 4


# --------------------------------------------------------------------------- OpenRLHF


@pytest.fixture(scope="module")
def openrlhf_reward_func():
    import curation.rewards.openrlhf as module

    spec = importlib.util.spec_from_file_location("reward_func", module.__file__)  # agent.py's loading
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded.reward_func


def _chat_template(messages: list[dict]) -> str:
    """A ChatML template, as `tokenizer.apply_chat_template(..., add_generation_prompt=True)` renders it."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + "<|im_start|>assistant\n"


def _openrlhf_reward(reward_func, row: dict, response: str, label_key: str) -> float:
    prompt = _chat_template(row["prompt"])  # PromptDataset with --data.apply_chat_template
    label = row[label_key]
    query = prompt + response + "<|im_end|>"  # decoded with skip_special_tokens=False
    out = reward_func([query], [prompt], [label])
    assert set(out) == {"rewards", "scores", "extra_logs"}
    return float(out["rewards"][0])


def test_openrlhf_reward_func_with_extra_info_labels(rows, openrlhf_reward_func):
    for row in rows:
        assert _openrlhf_reward(openrlhf_reward_func, row, right_response(row), "extra_info") == 1.0
        assert _openrlhf_reward(openrlhf_reward_func, row, wrong_response(row), "extra_info") == 0.0


def test_openrlhf_prompt_examples_are_not_taken_as_the_answer(rows, openrlhf_reward_func):
    maze = next(r for r in rows if r["extra_info"]["kind"] == "puzzle" and spec_of(r)["generator"] == "maze")
    assert "\\boxed{RRDDL}" in maze["prompt"][0]["content"]  # the prompt's format example
    assert _openrlhf_reward(openrlhf_reward_func, maze, "I give up.", "extra_info") == 0.0


def test_openrlhf_reward_func_with_answer_labels_for_math(rows, openrlhf_reward_func):
    math_rows = [r for r in rows if r["extra_info"]["kind"] == "competition" and r["extra_info"]["answer_type"] != "choice"]
    assert math_rows
    for row in math_rows:
        assert _openrlhf_reward(openrlhf_reward_func, row, right_response(row), "answer") == 1.0
        assert _openrlhf_reward(openrlhf_reward_func, row, wrong_response(row), "answer") == 0.0


def test_openrlhf_batch_and_garbage(openrlhf_reward_func):
    label = {"answer": "RD", "kind": "puzzle", "puzzle_spec": json.dumps(OPEN_2X2)}
    out = openrlhf_reward_func(["P\\boxed{DR}", "P garbage", None, "P\\boxed{RD}"], ["P", "P", "P", "Q"],
                               [label, label, label, None], format_penalty=0.0)
    assert list(map(float, out["rewards"])) == [1.0, 0.0, 0.0, 0.0]
    assert list(map(float, out["scores"])) == [1.0, 0.0, 0.0, 0.0]


def test_openrlhf_response_is_what_follows_the_prompt():
    from curation.rewards.openrlhf import response_of

    prompt = _chat_template([{"role": "user", "content": "Give it as \\boxed{RRDDL}."}])
    assert response_of(prompt + "I think 42<|im_end|><|endoftext|>", prompt) == "I think 42"
    # the decoded prompt differs from the dataset's (a tokenizer normalised a space): its tail still anchors
    assert response_of("<s> " + prompt + "done</s>", "<s>" + prompt) == "done"
    assert response_of("no prompt here", 5) == "no prompt here"
