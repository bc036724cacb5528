"""verl reward function: point verl at it with

    custom_reward_function.path=pkg://curation.rewards.verl
    custom_reward_function.name=compute_score

Contract (volcengine/verl @ b178a3cd, verl/trainer/ppo/reward.py `get_custom_reward_fn` and
verl/workers/reward_manager/naive.py): the reward manager calls
`compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=...)` with keyword
arguments, merging `custom_reward_function.reward_kwargs` into the call (so
`+custom_reward_function.reward_kwargs.format_penalty=0.1` reaches `format_penalty`); it adds
`num_turns` and `rollout_reward_scores` to `extra_info`, and reads a float (or a dict with "score").
`default_compute_score` in verl/utils/reward_score/__init__.py has the same signature and raises
NotImplementedError for data sources it does not know, such as `curate/<source>`.
"""

from __future__ import annotations

from typing import Any

from curation.rewards.scorer import score


def compute_score(data_source: Any = None, solution_str: Any = None, ground_truth: Any = None,
                  extra_info: dict | None = None, format_penalty: float = 0.0, **kwargs) -> float:
    """1.0 when `solution_str` answers the row correctly, else 0.0 (never raises)."""
    return score(solution_str, ground_truth, extra_info, format_penalty=format_penalty)
