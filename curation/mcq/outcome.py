"""What a multiple-choice decision looks like: outcomes, the reason vocabulary, `Conversion`.

Shared by the rule path (`curation.mcq.convert`) and the model path (`curation.mcq.model`), so that
neither imports the other at module level (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass


CONVERTED = "converted"
NOT_CONVERTIBLE = "not_convertible"
REVIEW = "review"

#: reason → (outcome it gives, meaning). A reason names why an item was not converted (or why it
#: needs a human). Converted rows carry the rewrite rule in `mcq_reason` instead (see RULES).
REASONS: dict[str, tuple[str, str]] = {
    "no_answer": (NOT_CONVERTIBLE, "options but no reference answer"),
    "options_missing": (NOT_CONVERTIBLE, "answer_type is 'choice' but no options were found"),
    "answer_not_in_options": (NOT_CONVERTIBLE, "the answer is not a letter/index/text of an option (e.g. letter out of range)"),
    "answer_is_meta_option": (NOT_CONVERTIBLE, "correct option is 'all/none of the above', 'both A and B', 'cannot be determined', ..."),
    "duplicate_options": (NOT_CONVERTIBLE, "another option has the correct option's value in another form (8/18 and 4/9): the item asks for a form"),
    "stem_depends_on_options": (NOT_CONVERTIBLE, "'which of the following', 'EXCEPT', 'could be', 'is true', 'an example of', 下列, or 'which <thing>' answered by a form"),
    "approximate_options": (NOT_CONVERTIBLE, "the question asks for an approximation ('closest to', 'approximately'): the options fix the precision"),
    "options_are_statements": (NOT_CONVERTIBLE, "the correct option (or most options) is a claim/prose, or a text answer longer than max_text_answer_words"),
    "answer_guessable": (NOT_CONVERTIBLE, "options are only true/false or yes/no"),
    "text_answer": (NOT_CONVERTIBLE, "the answer is words (a term, a name): string matching cannot verify it (text_answers=false)"),
    "answer_not_verifiable": (NOT_CONVERTIBLE, "the cleaned answer is not a value the verifier can check: it only names a quantity (`R(0)`), is a clock time (`10:25 PM`), or the stem asks for a form ('simplest form of')"),
    "empty_stem": (NOT_CONVERTIBLE, "nothing is left of the question once the options are removed"),
    "bare_blank": (NOT_CONVERTIBLE, "the stem sets a scene and stops ('…，则（　）', 'If a > b, then ( )'): without its options it asks nothing"),
    "multi_select": (NOT_CONVERTIBLE, "the key names two or more options ('BC'): the options define which candidates count, so no single stand-alone answer exists"),
    # review: a human decides (review_reason = "mcq_ambiguous")
    "approximate_values": (REVIEW, "the correct option is a rounding of another option (3.14 next to 3.1416), or all options are rounded to >= 3 decimals"),
    "mixed_units": (REVIEW, "options carry different units and the correct one has none (or no unit hint can be added), or the question asks in another unit ('how many hours' answered '21 min')"),
    "options_left_in_stem": (REVIEW, "after conversion the question still shows option labels"),
    "options_mismatch": (REVIEW, "the question's inline options differ from the choices field"),
    "model_rewrite_rejected": (REVIEW, "model mode: the rewrite mentioned options, changed the answer or was judged not self-contained"),
}

#: rewrite rules that may appear in a converted row's `mcq_reason` ("+"-joined, in order applied)
RULES = ("options_removed", "lead_in", "lost_blank", "instruction", "from_following", "which_is_the", "blank", "colon_lead", "colon_blank",
         "completion_blank", "punctuation", "unit_hint", "model")



@dataclass(frozen=True)
class Conversion:
    """The decision for one item.

    status None means "not multiple choice" (the row passes through). For `converted`, `question`,
    `answer`, `answer_unit`, `answer_type` are the new values and `reason` is the rewrite rule; for
    `not_convertible` / `review`, `reason` is from `REASONS` and `proposal` (review only, when one
    could be built) holds the conversion a reviewer can accept.
    """

    status: str | None
    reason: str | None = None
    question: str | None = None
    answer: str | None = None
    answer_unit: str | None = None
    answer_type: str | None = None
    method: str | None = None
    choices: list[str] | None = None
    correct_index: int | None = None
    stem: str | None = None
    proposal: dict | None = None

    @property
    def is_mcq(self) -> bool:
        return self.status is not None


def not_converted(reason: str, **kw) -> Conversion:
    return Conversion(status=REASONS[reason][0], reason=reason, **kw)


def answer_type_of(value: str) -> str:
    """The converted answer's type: `curation.verifier.answer_type`, the project's one classifier."""
    from curation.verifier import answer_type

    return answer_type(value)

