"""Pull the final answer out of a model response.

Rules, in order of preference (the rule that fired is reported):
    boxed                last balanced `\\boxed{...}` / `\\fbox{...}` (so a self-correction
                         "\\boxed{12} ... wait ... \\boxed{15}" gives 15)
    final_answer_phrase  "the final answer is ...", "the answer is ..."
    answer_colon         a line "Answer: ..."        (of the phrase rules, the later one in the text wins)
    trailing_number      a bare number ending the response
    after_think          the short text after `</think>` when no rule above matches in it
    none                 nothing found (text is None)
Text after the last `</think>` is searched first; the reasoning before it only as a fallback.
Work is linear in the response length; responses are searched in their last MAX_RESPONSE_CHARS.
"""

from __future__ import annotations

import re

from curation.text import last_boxed
from curation.verifier.bounded import MAX_RESPONSE_CHARS
from curation.verifier.types import Extraction

_THINK_END = "</think>"
# every quantifier next to another whitespace quantifier is bounded, so matching stays linear
_PHRASE = re.compile(
    r"(?:final[ \t]+answer|the[ \t]+answer|answer[ \t]+is)[ \t]{0,5}"
    r"(?:is|would[ \t]+be|should[ \t]+be|will[ \t]+be)?[ \t]{0,5}(?:[:=][ \t]{0,5})?"
    r"(?P<a>[^\n]{1,300})",
    re.IGNORECASE,
)
_COLON = re.compile(
    r"(?im)^[ \t>*#_]{0,10}answer(?:\*\*)?[ \t]{0,5}[:\uff1a][ \t]{0,5}(?:\*\*)?(?P<a>[^\n]{1,300})$"
)
_TRAILING_NUMBER = re.compile(
    r"(?<![\w.^/*+\\{}-])(?P<a>-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?)\s*(?:\$|\\\]|\\\)|\*\*|\s)*[.!]?\s*$"
)
#: boxed groups scanned the slow way only when there are few of them
def _tidy(ans: str) -> str:
    s = ans.strip()
    s = re.sub(r"^\*\*|\*\*$", "", s).strip()
    # a sentence continues after the answer: "... is 42. Next we ..." / "is $42$, which ..."
    if s.startswith("$") and s.count("$") >= 2:
        end = s.find("$", 1)
        if s[1:2] == "$":
            end2 = s.find("$$", 2)
            if end2 > 0:
                return s[2:end2].strip()
        return s[1:end].strip()
    if s.startswith("\\(") and "\\)" in s:
        return s[2 : s.index("\\)")].strip()
    if s.startswith("\\[") and "\\]" in s:
        return s[2 : s.index("\\]")].strip()
    m = re.search(r"\.(?:\s|$)", s)
    if m:
        s = s[: m.start()]
    return s.strip().rstrip(".").strip().strip("*").strip()


def _search(text: str) -> Extraction | None:
    boxed = last_boxed(text)
    if boxed is not None:
        return Extraction(boxed, "boxed")
    best: tuple[int, str, str] | None = None
    for m in _PHRASE.finditer(text):
        a = _tidy(m.group("a"))
        if a:
            best = (m.start(), a, "final_answer_phrase")
    m2 = None
    for m2 in _COLON.finditer(text):
        pass
    if m2 is not None:
        a = _tidy(m2.group("a"))
        if a and (best is None or m2.start() >= best[0]):
            best = (m2.start(), a, "answer_colon")
    if best is not None:
        return Extraction(best[1], best[2])
    tail = text[-200:]
    m = _TRAILING_NUMBER.search(tail)
    if m:
        a = m.group("a").strip()
        return Extraction(a, "trailing_number")
    return None


def extract_answer(response: str) -> Extraction:
    """The final answer in `response` and the rule that found it (`Extraction(None, "none")` if none)."""
    if not isinstance(response, str) or not response.strip():
        return Extraction(None, "none")
    text = response[-MAX_RESPONSE_CHARS:]
    cut = text.rfind(_THINK_END)
    if cut >= 0:
        after = text[cut + len(_THINK_END) :]
        found = _search(after)
        if found is not None:
            return found
        short = after.strip()
        if short and len(short) <= 200 and "\n" not in short:
            return Extraction(_tidy(short) or short, "after_think")
        found = _search(text[:cut])
        return found if found is not None else Extraction(None, "none")
    found = _search(text)
    return found if found is not None else Extraction(None, "none")
