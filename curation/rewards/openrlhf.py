"""OpenRLHF custom reward function. OpenRLHF loads it from a file path:

    --reward.remote_url "$(python -c 'import curation.rewards.openrlhf as m; print(m.__file__)')"
    --data.input_key prompt --data.apply_chat_template --data.label_key extra_info

Contract (OpenRLHF/OpenRLHF @ 3c3be623, openrlhf/utils/agent.py `SingleTurnAgentExecutor`): a
`remote_url` ending in `.py` is executed as a module and its `reward_func(queries, prompts, labels)`
is called (in a worker thread, one sample per call) with `queries` the decoded prompt + response
(special tokens kept), `prompts` the prompt text, `labels` the dataset's `label_key` value. It
returns `{"rewards": ..., "scores": ..., "extra_logs": {...}}` (examples/python/reward_func.py).

Labels: the RL layout's `extra_info` (a dict carrying the answer, kind and puzzle spec: scores every
row kind) or its flat `answer` string (math rows only; a maze needs its walls). The file imports
only absolute `curation` modules, so it works when OpenRLHF loads it outside the package.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from curation.rewards.scorer import score_detail

# chat-template markers a decoded query keeps after the response (<|im_end|>, </s>, <|eot_id|> ...)
_TRAILING_SPECIAL = re.compile(r"(?:\s*(?:<\|[^|<>\s]{1,40}\|>|</s>|<eos>|<end_of_turn>))+\s*$")


def response_of(query: str, prompt: Any) -> str:
    """The response part of a decoded query: what follows the prompt (or the end of the prompt)."""
    if isinstance(prompt, str) and prompt:
        at = query.find(prompt)
        if at >= 0:
            query = query[at + len(prompt):]
        else:  # decoding changed the prompt somewhere: anchor on its end (the generation prompt)
            for size in (200, 64, 24):
                tail = prompt[-size:]
                at = query.rfind(tail)
                if at >= 0:
                    query = query[at + len(tail):]
                    break
    return _TRAILING_SPECIAL.sub("", query)


def _label(label: Any) -> tuple[Any, dict | None]:
    if isinstance(label, dict):
        return label.get("answer"), label
    return label, None


def reward_func(queries: Sequence[str], prompts: Sequence[Any], labels: Sequence[Any], **kwargs) -> dict:
    penalty = float(kwargs.get("format_penalty", 0.0) or 0.0)
    values, answered = [], []
    for query, prompt, label in zip(queries, prompts, labels):
        answer, info = _label(label)
        text = response_of(query, prompt) if isinstance(query, str) else query
        r = score_detail(text, answer, info, format_penalty=penalty)
        values.append(r.value)
        answered.append(1.0 if r.extracted is not None else 0.0)
    extra = {"curate_answered": sum(answered) / len(answered) if answered else 0.0}
    try:
        import torch

        rewards = torch.tensor(values, dtype=torch.float32)
        return {"rewards": rewards, "scores": rewards.clamp(min=0.0), "extra_logs": {k: torch.tensor(v) for k, v in extra.items()}}
    except ImportError:  # outside a trainer (tests, scripts): plain lists
        return {"rewards": values, "scores": [max(v, 0.0) for v in values], "extra_logs": extra}
