"""Score one item's samples against its reference and decide: drop as easy, label, or dispute.

Per item (one model):
- every sample is judged with `Verifier.judge_response(reference, sample)`:
  equivalent → correct; unparseable (no answer extracted / answer unparseable) → `unparseable`.
- answers are grouped by `canonical_form(extracted)` (falling back to the stripped extracted text)
  for the majority vote; `majority_share` = size of the largest group / samples obtained.
- `pass_rate` = correct / k.

Decisions (thresholds in `DifficultySettings`):
- too easy: correct >= `easy_threshold` (default k, i.e. every sample right) →
  `drop_reason="too_easy"` (only where drop_reason is null).
- label by pass-rate band: "unsolved" (0 correct), "hard" (< `label_medium_from`),
  "medium" (< `label_easy_from`), "easy" (otherwise). Dropped-as-easy rows are labelled too.
- disputed reference: the majority share >= `dispute_share` and the verifier says the majority
  answer differs from the reference → `review_reason="disputed_reference"` (only where null).
- unparseable reference (empty, or the verifier cannot parse it) → `review_reason=
  "unparseable_reference"`; pass_rate stays null, nothing is dropped.
- unscored (samples could not be obtained after retries): status "unscored", `error` set; never
  dropped, never labelled, never counted as hard.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ItemScore:
    """The outcome for one item: the DifficultyResult (as a dict) and the decisions."""

    result: dict[str, Any]
    label: str | None = None
    too_easy: bool = False
    review_reason: str | None = None
    evidence: dict[str, Any] | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)


def _result(model: str, **kw) -> dict[str, Any]:
    base = {
        "model": model,
        "k": 0,
        "correct": 0,
        "pass_rate": None,
        "unparseable": 0,
        "failed": 0,
        "majority_answer": None,
        "majority_share": None,
        "status": "scored",
        "error": None,
    }
    base.update(kw)
    return base


def difficulty_label(correct: int, pass_rate: float, *, medium_from: float, easy_from: float) -> str:
    """Pass-rate band: unsolved (0 correct) / hard / medium / easy."""
    if correct == 0:
        return "unsolved"
    if pass_rate < medium_from:
        return "hard"
    if pass_rate < easy_from:
        return "medium"
    return "easy"


def reference_unparseable(reference: str | None, verifier) -> bool:
    if reference is None or not str(reference).strip():
        return True
    j = verifier.judge(reference, reference)
    return j.outcome == "unparseable"


def score_item(
    reference: str | None,
    texts: list[str | None],
    *,
    model: str,
    k: int,
    settings,
    verifier,
    canonical,
    error: str | None = None,
) -> ItemScore:
    """Score the k sample texts (None = sample not obtained) of one item.

    `settings` is a DifficultySettings; `canonical` is `curation.verifier.canonical_form`.
    """
    from curation.verifier import extract_answer

    failed = sum(1 for t in texts if t is None)
    if failed:
        got = [t for t in texts if t is not None]
        msg = error or "sample could not be obtained"
        return ItemScore(
            result=_result(
                model,
                k=k,
                failed=failed,
                status="unscored",
                error=f"{len(got)}/{k} samples obtained after retries; last error: {msg}"[:500],
            )
        )

    ref_bad = reference_unparseable(reference, verifier)
    correct = 0
    unparseable = 0
    groups: Counter[str] = Counter()
    display: dict[str, str] = {}
    verdicts: list[str] = []
    extracted: list[str | None] = []
    for text in texts:
        if ref_bad:
            ans = extract_answer(text or "").text
            outcome = "unparseable" if ans is None else "unknown"
        else:
            j = verifier.judge_response(reference, text or "")
            ans = j.extracted
            outcome = j.outcome
            if outcome == "equivalent":
                correct += 1
            elif outcome == "unparseable":
                unparseable += 1
        if ref_bad and ans is None:
            unparseable += 1
        verdicts.append(outcome)
        extracted.append(ans)
        if ans is not None and ans.strip():
            key = canonical(ans) or ("text:" + ans.strip())
            groups[key] += 1
            display.setdefault(key, ans.strip())

    n = len(texts)
    majority_answer = None
    majority_share = None
    if groups and n:
        top_key, top_count = groups.most_common(1)[0]
        majority_answer = display[top_key]
        majority_share = top_count / n
    answers = [
        {"answer": display[key], "count": count}
        for key, count in groups.most_common()
    ]

    if ref_bad:
        result = _result(
            model, k=n, correct=0, pass_rate=None, unparseable=unparseable,
            majority_answer=majority_answer, majority_share=majority_share,
        )
        evidence = _evidence("unparseable_reference", model, reference, result, answers, extracted, verdicts, texts)
        return ItemScore(result=result, review_reason="unparseable_reference", evidence=evidence, answers=answers)

    pass_rate = correct / n if n else None
    result = _result(
        model, k=n, correct=correct, pass_rate=pass_rate, unparseable=unparseable,
        majority_answer=majority_answer, majority_share=majority_share,
    )
    label = difficulty_label(correct, pass_rate or 0.0, medium_from=settings.label_medium_from,
                             easy_from=settings.label_easy_from)
    threshold = settings.easy_threshold if settings.easy_threshold is not None else k
    too_easy = correct >= threshold
    review_reason = None
    evidence = None
    if (
        majority_answer is not None
        and majority_share is not None
        and majority_share >= settings.dispute_share
        and verifier.judge(reference, majority_answer).outcome == "different"
    ):
        review_reason = "disputed_reference"
        evidence = _evidence(review_reason, model, reference, result, answers, extracted, verdicts, texts)
    return ItemScore(result=result, label=label, too_easy=too_easy, review_reason=review_reason,
                     evidence=evidence, answers=answers)


# a reviewer reads a few responses, not all k; each is cut so a queue item stays small
EVIDENCE_RESPONSES = 8
EVIDENCE_RESPONSE_CHARS = 6000


def _evidence(reason, model, reference, result, answers, extracted, verdicts, texts=()) -> dict[str, Any]:
    """What a reviewer needs to judge a dispute: the reference, the model's answers and counts,
    and the first few responses themselves (the page highlights the extracted answer in each)."""
    return {
        "reason": reason,
        "model": model,
        "reference": reference,
        "k": result["k"],
        "correct": result["correct"],
        "pass_rate": result["pass_rate"],
        "majority_answer": result["majority_answer"],
        "majority_share": result["majority_share"],
        "unparseable": result["unparseable"],
        "answers": answers,
        "samples": [{"answer": a, "verdict": v} for a, v in zip(extracted, verdicts)],
        "responses": [
            None if t is None else (t if len(t) <= EVIDENCE_RESPONSE_CHARS else t[-EVIDENCE_RESPONSE_CHARS:])
            for t in list(texts)[:EVIDENCE_RESPONSES]
        ],
    }
