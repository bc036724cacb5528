"""Result types of the verifier (shared by every submodule)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["equivalent", "different", "unparseable"]


@dataclass(frozen=True)
class Extraction:
    """A final answer pulled out of a model response, and the rule that found it.

    rule is one of: "boxed", "final_answer_phrase", "answer_colon", "conclusion", "trailing_number",
    "after_think", "none" (text is None). `joined` is set when the last box is one of a group of boxes
    joined by connectives ("\\boxed{1} and \\boxed{2}" -> "1, 2"); the judge uses it (and reports the
    rule "boxed_joined") when the reference is a list, tuple or set.
    """

    text: str | None
    rule: str
    joined: str | None = None


@dataclass(frozen=True)
class Judgment:
    """The verdict on one (reference, answer) pair.

    outcome "unparseable" means the reference or the answer could not be parsed (reason says which,
    e.g. "reference unparseable: ...", "answer unparseable: too large", "no answer extracted");
    it is never folded into "different". `judged_by` is "rules" (this package) or "model" (the
    optional model judge, `curation.verifier.judge_model`).
    """

    outcome: Outcome
    reason: str
    extracted: str | None = None
    rule: str | None = None
    judged_by: str = "rules"
