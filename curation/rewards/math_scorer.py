"""Math rewards through the verifier: its extraction (last `\\boxed{}`, answer phrases, `</think>`)
and its judgment (sets order-free, intervals, expressions by identity, units, bounded time).

A reference the verifier cannot parse is matched as text (whitespace and `$` ignored), so a row is
never unrewardable. Multiple-choice rows: the reference is the option letter and the options travel in
`extra_info["choices"]`; a response that answers with the option's text instead of its letter is
judged against that option's text, and a reference given as text accepts the matching letter.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from curation.rewards.scorer import DEFAULT_TIMEOUT, Verdict
from curation.verifier import Verifier

#: one verifier per process: prepared references are cached (one reference, many rollouts)
_VERIFIER = Verifier(timeout=DEFAULT_TIMEOUT, cache_size=20_000)
_LETTER = re.compile(r"^\(?([A-Za-z])\)?$")
# "C) 60", "(C) 60", "C. 60", "C: 60": a letter answer followed by the option's text
_LETTER_THEN_TEXT = re.compile(r"^\(?([A-Z])(?:\)|\.|:)\s")


_SPACE_OR_DOLLAR = re.compile(r"[\s$]+")


def _squash(text: str) -> str:
    return _SPACE_OR_DOLLAR.sub("", text)


def _choices(info: Mapping[str, Any]) -> list[str]:
    raw = info.get("choices")
    if raw is None or isinstance(raw, (str, bytes)):
        return []
    try:
        return [str(c) for c in list(raw)[:26]]
    except TypeError:
        return []


def _letter_index(text: str, n: int) -> int | None:
    m = _LETTER.match(text.strip())
    if not m:
        return None
    i = ord(m.group(1).upper()) - ord("A")
    return i if 0 <= i < n else None


def score_math(response: str, ground_truth: str, extra_info: Mapping[str, Any]) -> Verdict:
    # the verifier's own response path: extraction (incl. a boxed list joined when the reference is
    # a list) and judgment in one call
    j = _VERIFIER.judge_response(ground_truth, response)
    if j.extracted is None:
        return Verdict(0.0, "no final answer found in the response", None, answered=False)
    answer = j.extracted
    if j.outcome == "equivalent":
        return Verdict(1.0, j.reason, answer)
    if j.outcome == "unparseable" and j.reason.startswith("reference unparseable") and _squash(answer) == _squash(ground_truth):
        # a reference outside the verifier's grammar (`52_8`, `\frac 32`, `y'`) still rewards its own text
        return Verdict(1.0, "same text as the reference (reference not parseable)", answer)
    choices = _choices(extra_info)
    if choices:
        ref_i = _letter_index(ground_truth, len(choices))
        m = _LETTER_THEN_TEXT.match(answer)
        if ref_i is not None and m is not None:
            ans_i = _letter_index(m.group(1), len(choices))
            ok = ans_i == ref_i
            return Verdict(float(ok), f"choice {'matches' if ok else 'differs'} ({m.group(1)})", answer)
        if ref_i is not None and _letter_index(answer, len(choices)) is None:
            # answered with the option's text: judge it against the text of the right option
            jt = _VERIFIER.judge(choices[ref_i], answer)
            if jt.outcome == "equivalent":
                return Verdict(1.0, f"text of the right option ({jt.reason})", answer)
        ans_i = _letter_index(answer, len(choices))
        if ref_i is None and ans_i is not None:
            # reference given as the option's text, answered with a letter
            jt = _VERIFIER.judge(ground_truth, choices[ans_i])
            if jt.outcome == "equivalent":
                return Verdict(1.0, f"letter of the right option ({jt.reason})", answer)
    return Verdict(0.0, f"{j.outcome}: {j.reason}", answer)
