"""Result types of the verifier (shared by every submodule)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["equivalent", "different", "unparseable"]


@dataclass(frozen=True)
class Extraction:
    """A final answer pulled out of a model response, and the rule that found it.

    rule is one of: "boxed", "final_answer_phrase", "answer_colon", "trailing_number",
    "after_think", "none" (text is None).
    """

    text: str | None
    rule: str


@dataclass(frozen=True)
class Judgment:
    """The verdict on one (reference, answer) pair.

    outcome "unparseable" means the reference or the answer could not be parsed (reason says which,
    e.g. "reference unparseable: ...", "answer unparseable: too large", "no answer extracted");
    it is never folded into "different".
    """

    outcome: Outcome
    reason: str
    extracted: str | None = None
    rule: str | None = None
