"""Do two reference answers of one duplicate cluster say the same thing? (conflicting-answer check)

A cluster whose members' answers differ goes to a human, so a false "different" costs a reviewer's
time and a false "same" hides a wrong key. The verifier (`curation.verifier.judge`, the first
answer as the reference) decides, plus two forms real sets publish that it reads as text, found on
ASDiv vs MAWPS (benchmarks/review_conflicts.py):

* a number with a noun label, `6 (birds)`, `38 cents`, `1644 (dollars)`: the number is the answer
  (the label names what is counted, the problem fixes it);
* one decimal written to fewer places, `3.333` vs `3.33333`: the same value when the longer one,
  rounded or cut to the shorter one's places (at least 2), gives the shorter one;
* a worked solution given as the answer (college_math: "... The area is $\\sqrt{36+121+4}=\\sqrt{161}$."):
  its final value, the last math span after its last `=` (not when that span lists several
  values, `a=2, b=3`, nor when the left side relates variables, `x + y + z = 0`: that is an
  equation, compared whole), compared by the verifier.

These only ever turn "differ" into "agree" where the verifier says the values are equal; anything
the verifier cannot read stays a conflict for a human.

Untrusted text: only regular expressions and the verifier (which bounds its own symbolic work).
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+"
# a number, optionally in $...$, then a label of words: "6 (birds)", "38 cents", "$12$ apples."
_LABELLED = re.compile(
    rf"^\s*\$?\s*(?P<num>{_NUMBER})\s*\$?\s*(?:\(\s*(?P<paren>[A-Za-z][A-Za-z .'\-]{{0,40}}?)\s*\)|(?P<word>[A-Za-z][A-Za-z .'\-]{{0,40}}?))\s*\.?\s*$"
)
_DECIMAL = re.compile(r"^[-+]?\d*\.\d+$")
_MATH_SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.S)
_THOUSANDS = re.compile(r"\d,\d{3}(?!\d)")  # `1,625`: a digit group, not a list
_MAX_ANSWER = 20_000  # longer answers are compared as they are (bounded regex work)


def final_value(text: str) -> str | None:
    """The final value of an answer written as a worked solution or an equation: the last math span
    (the whole text when it has none), after its last top-level `=`; None when that span lists
    several values (a top-level `,` or `;`) or is empty."""
    if not text or len(text) > _MAX_ANSWER:
        return None
    spans = [next(g for g in m.groups() if g is not None) for m in _MATH_SPAN.finditer(text)]
    span = (spans[-1] if spans else text).strip()
    cut, before, listed = -1, -1, False
    for i, ch in _top_level(span):
        if ch == "=":
            before, cut = cut, i
        elif ch in ",;" and not _THOUSANDS.match(span, max(0, i - 1)):
            listed = True
    if listed:
        return None
    if cut >= 0 and _is_relation(span[before + 1:cut]):
        return None  # "x + y + z = 0" is a plane, not the value 0
    value = span[cut + 1:].strip().rstrip(".").strip("$ ")
    return value or None


def _is_relation(left: str) -> bool:
    """True when `left = value` states a relation between variables rather than naming a value:
    the left side has letters joined by a top-level `+` or `-` (`x + y + z`, `5x - 11y + z - 17`).
    A computation (`\\sqrt{36+121+4}`), a named quantity (`x`, `f(2)`, `|\\det A|`, `a_n`) or a
    product (`xy`) names the value on the right."""
    plain = re.sub(r"\\[A-Za-z]+", " ", left)  # LaTeX commands are not variables
    if not re.search(r"[A-Za-z]", plain):
        return False
    # a binary operator, not a leading sign
    return any(ch in "+-" and plain[:i].strip() for i, ch in _top_level(plain))


def _top_level(text: str):
    """(position, character) of the characters of `text` outside any bracket."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif depth == 0:
            yield i, ch


def answer_value(text: str) -> str:
    """`text` without a noun label after a number (`6 (birds)` -> `6`, `1,644 dollars` -> `1644`);
    anything else unchanged."""
    m = _LABELLED.match(text or "")
    if m is None:
        return text
    return m.group("num").replace(",", "")


def _same_decimal(a: str, b: str) -> bool:
    """`3.333` and `3.33333`: the longer decimal rounded or cut to the shorter one's places (>= 2)."""
    if not (_DECIMAL.match(a) and _DECIMAL.match(b)):
        return False
    short, long_ = sorted((a, b), key=lambda s: len(s.split(".")[1]))
    places = len(short.split(".")[1])
    if places < 2 or places == len(long_.split(".")[1]):
        return False
    try:
        q = Decimal(1).scaleb(-places)
        value, target = Decimal(long_), Decimal(short)
        return value.quantize(q, rounding=ROUND_HALF_UP) == target or value.quantize(q, rounding=ROUND_DOWN) == target
    except InvalidOperation:
        return False


def same_answer(reference: str, other: str) -> bool:
    """True when two cluster members' answers agree (see the module docstring); False when they
    differ or cannot be compared (a human settles it)."""
    if reference == other:
        return True
    from curation.verifier import judge

    a, b = answer_value(reference), answer_value(other)
    if a == b or _same_decimal(a, b):
        return True
    pairs = [(reference, other)] if (a, b) == (reference, other) else [(reference, other), (a, b)]
    fa, fb = final_value(reference), final_value(other)
    if fa is not None and fb is not None and (fa, fb) not in pairs:
        if fa == fb:
            return True
        pairs.append((fa, fb))
    return any(judge(x, y).outcome == "equivalent" for x, y in pairs)
