"""Rewards for training on the export: one scorer, thin adapters for verl, TRL and OpenRLHF.

    from curation.rewards import score
    score("... so the answer is \\boxed{4}", "4", {"kind": "competition"})   # 1.0

- `score(response, ground_truth, extra_info) -> float` / `score_detail(...) -> Reward` (scorer.py):
  routes by `extra_info["kind"]` through `SCORERS` (math: the verifier; puzzles: the generator's
  rule verifier on `extra_info["puzzle_spec"]`); `register_scorer(kind, fn)` adds a kind.
- `curation.rewards.verl.compute_score`, `curation.rewards.trl.curate_reward`,
  `curation.rewards.openrlhf.reward_func`: each framework's signature (see those modules).

Values: 1.0 correct, 0.0 wrong or unscorable (never raises; the reason is logged on the
`curation.rewards` logger); an optional format penalty (off by default) for responses with no final answer.
"""

from curation.rewards.scorer import (
    DEFAULT_KIND,
    SCORERS,
    Reward,
    Verdict,
    register_scorer,
    score,
    score_detail,
    scorer_for,
)

__all__ = ["DEFAULT_KIND", "SCORERS", "Reward", "Verdict", "register_scorer", "score", "score_detail", "scorer_for"]
