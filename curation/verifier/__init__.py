"""Answer verifier: extract a final answer from a model response and judge it against a reference.

Safe by construction: untrusted text is parsed by our own tokenizer/recursive-descent parser
(`parse.py`) into our own value tree; nothing is `eval`-ed, `sympify`-ed or `parse_expr`-ed.
Every judgment is bounded in size and time (`bounded.py`) from any thread or process.
See docs/verifier.md for the equivalence policy (tolerance, degrees, percent, units, i).
"""

from __future__ import annotations

from curation.verifier.types import Extraction, Judgment, Outcome
from curation.verifier.extract import extract_answer
from curation.verifier.compare import (
    Verifier,
    answer_type,
    canonical_form,
    classify_answer_type,
    is_verifiable,
    judge,
    judge_response,
)

__all__ = [
    "Extraction",
    "Judgment",
    "Outcome",
    "Verifier",
    "answer_type",
    "canonical_form",
    "classify_answer_type",
    "extract_answer",
    "is_verifiable",
    "judge",
    "judge_response",
]
