"""Difficulty grading: sample a model k times per item, drop easy items, flag disputed references.

Entry point: `grade_difficulty(df, *, settings, store_url, progress=None) -> (df, evidence)`.
Response-store totals: `curation.model.store.store_stats(url) -> dict`. See docs/difficulty.md.

Submodules: `scoring` (score + decisions), `engine` (the stage itself). The model client, response
store and embedded server live in `curation.model` (shared with MCQ model mode).
Importing this package does not import openai or xllamacpp.
"""

from curation.difficulty.engine import grade_difficulty, grade_difficulty_async, render_messages

__all__ = ["grade_difficulty", "grade_difficulty_async", "render_messages"]
