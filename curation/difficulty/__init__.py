"""Difficulty grading: sample a model k times per item, drop easy items, flag disputed references.

Entry point: `grade_difficulty(df, *, settings, store_url, progress=None) -> (df, evidence)`.
Response-store totals: `store_stats(url) -> dict`. See docs/difficulty.md.

Submodules: `client` (async OpenAI-compatible sampling with retries), `store` (response store),
`scoring` (score + decisions), `embedded` (in-process llama.cpp server with SmolLM2-135M),
`engine` (the stage itself). Importing this package does not import openai or xllamacpp.
"""

from curation.difficulty.engine import grade_difficulty, grade_difficulty_async, render_messages
from curation.difficulty.store import store_stats

__all__ = ["grade_difficulty", "grade_difficulty_async", "render_messages", "store_stats"]
