"""TRL reward function for `GRPOTrainer(reward_funcs=[curate_reward], train_dataset=rl)`.

Contract (huggingface/trl @ f2cd5771, trl/trainer/grpo_trainer.py `_calculate_rewards`): a sync
reward function is called as `reward_func(prompts=..., completions=..., completion_ids=..., **columns)`
where every dataset column except `prompt` arrives as a list keyword (`answer`, `extra_info`, ...),
plus `trainer_state`, `log_extra` and `log_metric`; it returns one float (or None) per completion.
Completions are strings, or, for conversational prompts like the RL layout's, lists of messages
(`[{"role": "assistant", "content": ...}]`, as trl/rewards/accuracy_rewards.py reads them).

The gold answer is the RL layout's flat `answer` column (TRL's own `accuracy_reward` reads a
`solution` column instead; in curate's `data/` config `solution` is the worked solution, not the
answer). Rows without `answer` fall back to `reward_model["ground_truth"]`.
"""

from __future__ import annotations

from typing import Any, Sequence

from curation.rewards.scorer import score_detail


def completion_text(completion: Any) -> Any:
    """The text of one completion: a string as is; for messages, the last assistant message's text."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, (list, tuple)):
        for message in reversed(completion):
            if isinstance(message, dict) and message.get("role", "assistant") == "assistant":
                content = message.get("content")
                if isinstance(content, list):  # content parts: keep the text parts
                    content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
                return content
    return completion  # not text: the scorer logs it and gives 0.0


class CurateReward:
    """Callable class (not a closure) so it pickles: TRL's async rollout worker ships reward functions
    to a spawned process."""

    __name__ = "curate_reward"

    def __init__(self, format_penalty: float = 0.0):
        self.format_penalty = format_penalty

    def __call__(self, prompts: Sequence | None = None, completions: Sequence = (), **kwargs) -> list[float]:
        n = len(completions)
        answers = kwargs.get("answer")
        if answers is None:
            rm = kwargs.get("reward_model") or [None] * n
            answers = [r.get("ground_truth") if isinstance(r, dict) else None for r in rm]
        infos = kwargs.get("extra_info") or [None] * n
        results = [
            score_detail(completion_text(c), a, i, format_penalty=self.format_penalty)
            for c, a, i in zip(completions, answers, infos)
        ]
        log_extra = kwargs.get("log_extra")
        if callable(log_extra):
            try:
                log_extra("curate_answer", [r.extracted for r in results])
                log_extra("curate_reason", [r.reason for r in results])
            except Exception:  # noqa: BLE001 - logging must never cost a reward
                pass
        return [r.value for r in results]


#: the default reward function (values 1/0, no format penalty)
curate_reward = CurateReward()
