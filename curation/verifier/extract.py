"""Pull the final answer out of a model response.

Where we look: the text is cut at the first chat-template marker a model ran on into
(`<|im_start|>`, `<|im_end|>`, `<|endoftext|>`, `<|eot_id|>`); text after the last `</think>` is
searched first, the reasoning before it only as a fallback. Responses are searched in their last
MAX_RESPONSE_CHARS characters and every pattern is linear (bounded quantifiers, backwards scans).

Rules (the rule that fired is reported):
    boxed                the last balanced `\\boxed{...}` / `\\fbox{...}` (a self-correction
                         "\\boxed{12} ... wait ... \\boxed{15}" gives 15). Boxes just before it that are
                         joined by a connective (`,`, `;`, "and", "or", `\\quad`, a line break) form a
                         group, offered as `Extraction.joined` ("1, 2"): the judge uses it when the
                         reference is a list, tuple or set (rule then reported as "boxed_joined").
    final_answer_phrase  an explicit final-answer statement: "the final answer is X", "the answer is X",
                         "Final Answer: ...", "答案是 X", "答案为 X", "最终答案: X".
    answer_colon         a line "Answer: X" / "答案：X".
    conclusion           the last sentence opening with "Therefore/Thus/So/Hence/Finally" or
                         "所以/因此/故/综上", when nothing above matched.
    trailing_number      a bare number ending the response (not the tail of `x+1`).
    statement            a response of at most SHORT_STATEMENT_CHARS that is one statement of its
                         answer ("We find that $x < 3$.", "The identity matrix is $I$."), trimmed.
    after_think          the short single-line text after `</think>` when no rule above matches in it.
    none                 nothing found (text is None).

Precedence: the later of the last box and the last explicit final-answer statement (phrase or
"Answer:" line) wins, so "... \\boxed{255} ... Final Answer: The final answer is $10,455$." gives
10,455 and "The answer is $\\boxed{5}$" gives 5. A statement whose value is not an answer ("the answer
is correct", "the answer is as follows") is ignored. Only when neither exists do the conclusion
sentence, then the trailing number, apply.

Trimming a statement to its value: "The final answer is $X$. I hope it is correct." gives X; a
statement that is itself a sentence ("The volume of $ABCD$ is 120", "x 的值为 5") gives what follows
its last "is/are/equals/=/为/是" outside math; a math segment (`$...$`, `\\(...\\)`, `\\[...\\]`) is
taken whole; prose around a single number ("Jane started 3 hours ago") gives the number.
"""

from __future__ import annotations

import re

from curation.text import find_boxed, last_boxed
from curation.verifier.bounded import MAX_RESPONSE_CHARS
from curation.verifier.types import Extraction

_THINK_END = "</think>"
#: a model that runs on past its turn writes one of these; what follows is not its answer
_TURN_MARKERS = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>")
# every quantifier next to another whitespace quantifier is bounded, so matching stays linear
_PHRASE = re.compile(
    r"(?:final[ \t]+answer|the[ \t]+answer|(?m:^)[ \t>*#_]{0,10}answer|答案)[ \t]{0,5}"
    r"(?:(?:is|would[ \t]+be|should[ \t]+be|will[ \t]+be|是|为|為)(?:[ \t]{0,5}[:=：])?|\*{0,2}[ \t]{0,3}[:=：](?:[ \t]{0,3}\*\*)?)"
    r"[ \t]{0,5}(?P<a>[^\n]{1,300})",
    re.IGNORECASE,
)
_COLON = re.compile(
    r"(?im)^[ \t>*#_]{0,10}(?:answer|答案)(?:\*\*)?[ \t]{0,5}[:\uff1a][ \t]{0,5}(?:\*\*)?(?P<a>[^\n]{1,300})$"
)
#: a sentence opening with a conclusion word (capitalised, or after a sentence end), or a Chinese one
_CONCLUSION = re.compile(
    r"(?P<s>(?:(?:(?<=[.!?\n$:])[ \t*]{0,5}|(?<![\w\\]))(?:Therefore|Thus|So|Hence|Finally|In[ \t]+conclusion|Consequently)\b"
    r"|(?:(?<=[.!?\n])[ \t*]{0,5})(?:therefore|thus|so|hence|finally)\b"
    r"|所以|因此|故|综上)[^\n。]{1,300})",
)
_TRAILING_NUMBER = re.compile(
    r"(?<![\w.^/*+\\{}-])(?P<a>-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?)\s*(?:\$|\\\]|\\\)|\*\*|\s)*[.!]?\s*$"
)
#: the value of "the answer is ..." when the sentence is about the answer, not giving it
_NOT_AN_ANSWER = re.compile(
    r"^(?:correct|incorrect|right|wrong|indeed|consistent|not\b|as\s+follows|as\s+shown|as\s+above|given|"
    r"shown|below|above|that\b|this\b|clear|obvious|unique|valid|in\s+the|to\s+be|therefore|boxed)",
    re.IGNORECASE,
)
#: verbs after which a statement gives its value ("The volume of $V$ is 120")
_VALUE_VERB = re.compile(r"(?:\s(?:is|are|equals|was|be|becomes|gives|it's)\s|为|是|為|等于)", re.IGNORECASE)
_MATH = re.compile(r"\$\$(?P<a>[^$]{1,400})\$\$|\$(?P<b>[^$]{1,400})\$|\\\((?P<c>.{1,400}?)\\\)|\\\[(?P<d>.{1,400}?)\\\]", re.S)
_NUMBER_IN_PROSE = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?%?(?![\w])")
_WORD = re.compile(r"[A-Za-z]{3,}")
#: text between two boxes that makes them one answer: short, and a connective
_JOIN_SEP = re.compile(r"(?:,|;|\band\b|\bor\b|\\quad|\\qquad|\\\\|\n|&|和|或|、|，)", re.IGNORECASE)
_SEP_NOISE = re.compile(r"\\text\{|\\mathrm\{|\\\(|\\\)|\\\[|\\\]|[${}.]")
_HOPE = re.compile(r"\s*I\s+hope\s+it\s+is\s+correct.*$", re.IGNORECASE | re.S)
#: a response this short may be a single statement of its answer (rule "statement")
SHORT_STATEMENT_CHARS = 300
#: boxes joined into one group at most
MAX_JOINED_BOXES = 16
_JOIN_WINDOW = 4_000


_COMMAND = re.compile(r"\\[A-Za-z]+")


def _prose(s: str) -> str:
    """`s` without math segments and LaTeX command names: the words a reader sees as prose."""
    return _COMMAND.sub(" ", _MATH.sub(" ", s))


def _first_math(s: str) -> str | None:
    m = _MATH.search(s)
    if m is None:
        return None
    return next(g for g in m.groups() if g is not None).strip()


def _cut_sentence(s: str) -> str:
    """The first sentence of `s`, keeping `$...$` segments and decimal points whole."""
    out = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "$":
            j = s.find("$$", i + 2) + 2 if s.startswith("$$", i) else s.find("$", i + 1) + 1
            if j <= i + 1:
                j = n
            out.append(s[i:j])
            i = j
            continue
        if ch == "\\" and s.startswith(("\\(", "\\["), i):
            close = "\\)" if s[i + 1] == "(" else "\\]"
            j = s.find(close, i + 2)
            j = n if j < 0 else j + 2
            out.append(s[i:j])
            i = j
            continue
        if ch in ".!?。；;" and (i + 1 >= n or s[i + 1] in " \t\n" or ch in "。；"):
            if ch == "." and i > 0 and s[i - 1].isdigit() and i + 1 < n and s[i + 1].isdigit():
                out.append(ch)
                i += 1
                continue
            break
        out.append(ch)
        i += 1
    return "".join(out).strip()


def _outside_math_spans(s: str) -> list[tuple[int, int]]:
    return [m.span() for m in _MATH.finditer(s)]


def _after_last_verb(s: str) -> str | None:
    spans = _outside_math_spans(s)
    last = None
    for m in _VALUE_VERB.finditer(s):
        if any(a <= m.start() < b for a, b in spans):
            continue
        last = m
    if last is None:
        return None
    rest = s[last.end() :].strip()
    return rest or None


def _strip_wrappers(s: str) -> str:
    s = s.strip().strip("*").strip()
    s = re.sub(r"^(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*", "", s, flags=re.IGNORECASE)
    whole = _MATH.fullmatch(s)
    if whole is not None:
        return next(g for g in whole.groups() if g is not None).strip()
    return s.rstrip(".。,，;；:").strip()


def _value_of_statement(raw: str) -> str | None:
    """Trim an answer statement to its value (see the module docstring)."""
    s = _HOPE.sub("", raw).strip()
    s = re.sub(r"^\*\*|\*\*$", "", s).strip().lstrip(":：").strip()
    if not s:
        return None
    # "Final Answer: The final answer is $X$." -> the inner statement
    inner = re.search(r"(?:final\s+answer|the\s+answer)\s*(?:is|:|为|是)\s*", s, re.IGNORECASE)
    if inner is not None and inner.end() < len(s):
        s = s[inner.end() :]
    s = _cut_sentence(s)
    if not s:
        return None
    if _MATH.match(s) and _MATH.match(s).end() >= len(s.rstrip(" .。,，")):
        return _strip_wrappers(s)
    if _WORD.search(_prose(s)) or re.search(r"[\u4e00-\u9fff]", _prose(s)):
        rest = _after_last_verb(s)
        if rest is not None and len(rest) < len(s):
            valueless = not _MATH.search(rest) and not _NUMBER_IN_PROSE.search(rest)
            maths = _MATH.findall(s)
            if valueless and len(maths) == 1:  # "$x \geq 5$ is the solution"
                return next(g for g in maths[0] if g).strip()
            s = _cut_sentence(rest)
    value = _strip_wrappers(s)
    prose = _prose(value)
    if _WORD.search(prose) or re.search(r"[\u4e00-\u9fff]", prose):
        maths = [next(g for g in m.groups() if g is not None) for m in _MATH.finditer(value)]
        if len(maths) == 1:
            return maths[0].strip()
        nums = _NUMBER_IN_PROSE.findall(prose) if not maths else []
        if len(nums) == 1 and len(_WORD.findall(prose)) <= 12:
            return nums[0].strip()
    return value or None


def _plausible(value: str | None) -> bool:
    if not value or len(value) > 300:
        return False
    if _NOT_AN_ANSWER.match(value):
        return False
    return len(_WORD.findall(_prose(value))) <= 8


def _last_statement(text: str) -> tuple[int, str, str] | None:
    """(position, value, rule) of the last explicit final-answer statement."""
    best: tuple[int, str, str] | None = None
    for m in _PHRASE.finditer(text):
        a = _value_of_statement(m.group("a"))
        if _plausible(a):
            best = (m.start(), a, "final_answer_phrase")
    last_colon = None
    for m in _COLON.finditer(text):
        last_colon = m
    if last_colon is not None:
        a = _value_of_statement(last_colon.group("a"))
        if _plausible(a) and (best is None or last_colon.start() >= best[0]):
            best = (last_colon.start(), a, "answer_colon")
    return best


def _box_group(text: str, last: str) -> tuple[int, str | None]:
    """Start of the last box and its group joined with ", " (None when it stands alone)."""
    window = text[-_JOIN_WINDOW:]
    offset = len(text) - len(window)
    boxes = [b for b in find_boxed(window, max_group_chars=_JOIN_WINDOW) if b[2].strip()]
    if not boxes or boxes[-1][2].strip() != last:
        i = text.rfind("\\boxed")
        return (max(i, text.rfind("\\fbox")), None)
    group = [boxes[-1]]
    for prev in reversed(boxes[:-1]):
        sep = window[prev[1] : group[0][0]]
        if prev[1] > group[0][0] or len(sep) > 80:
            break
        bare = _SEP_NOISE.sub(" ", sep)
        if bare.strip() and (not _JOIN_SEP.search(bare) or len(_WORD.findall(bare)) > 4 or len(bare.split()) > 5):
            break
        group.insert(0, prev)
        if len(group) >= MAX_JOINED_BOXES:
            break
    joined = ", ".join(b[2].strip() for b in group) if len(group) > 1 else None
    return (offset + boxes[-1][0], joined)


def _search(text: str) -> Extraction | None:
    boxed = last_boxed(text)
    if boxed is not None:
        start, joined = _box_group(text, boxed)
        # only a statement that starts after the box can win: search just that tail (the common
        # "... so the answer is \boxed{X}." then costs a few characters of regex, not the response)
        statement = _last_statement(text[start + 1 :]) if start >= 0 else _last_statement(text)
        if statement is None or (start < 0 and statement[0] <= start):
            return Extraction(boxed, "boxed", joined)
    else:
        statement = _last_statement(text)
    if statement is not None:
        return Extraction(statement[1], statement[2])
    last = None
    for m in _CONCLUSION.finditer(text[-2000:]):
        last = m
    if last is not None:
        a = _value_of_statement(last.group("s"))
        if _plausible(a) and a != last.group("s").strip():
            return Extraction(a, "conclusion")
    short = text.strip()
    if len(short) <= SHORT_STATEMENT_CHARS and "\n\n" not in short:
        # a one-line statement of the answer ("We find that $x < 3$.", "the number is 1,000.99€")
        a = _value_of_statement(short)
        # a last resort: only a value that looks like math (a digit, a symbol), never a bare word
        if _plausible(a) and a != short.rstrip(" .。") and re.search(r"[\d\\^=<>()\[\]{}+*/]", a or ""):
            return Extraction(a, "statement")
    tail = text[-200:]
    m = _TRAILING_NUMBER.search(tail)
    if m:
        return Extraction(m.group("a").strip(), "trailing_number")
    return None


def _tidy(ans: str) -> str:
    return _strip_wrappers(_cut_sentence(ans) or ans)


def extract_answer(response: str) -> Extraction:
    """The final answer in `response` and the rule that found it (`Extraction(None, "none")` if none)."""
    if not isinstance(response, str) or not response.strip():
        return Extraction(None, "none")
    text = response[-MAX_RESPONSE_CHARS:]
    for marker in _TURN_MARKERS:
        k = text.find(marker)
        if k > 0 and text[:k].strip():
            text = text[:k]
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
