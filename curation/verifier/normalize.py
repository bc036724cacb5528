"""String-level normalization of answers before parsing: LaTeX noise, percent, degrees, currency,
thousands separators, trailing units. Pure string work, linear time."""

from __future__ import annotations

import re
import unicodedata

from curation.text import find_boxed

_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": r"\times ", "\u22c5": r"\cdot ",
    "\u00b7": r"\cdot ", "\u00f7": r"\div ", "\u03c0": r"\pi ", "\u221e": r"\infty ",
    "\u221a": r"\sqrt ", "\u2264": r"\le ", "\u2265": r"\ge ", "\u2260": r"\ne ", "\u222a": r"\cup ",
    "\u2229": r"\cap ", "\u2205": r"\emptyset ", "\u00b0": r"^\circ ", "\u00b1": r"\pm ",
    "\u2213": r"\mp ", "\u00b2": "^2", "\u00b3": "^3", "\u00b9": "^1", "\u2070": "^0",
    "\u2074": "^4", "\u2075": "^5", "\u2076": "^6", "\u2077": "^7", "\u2078": "^8", "\u2079": "^9",
    "\u2081": "_1", "\u2082": "_2", "\u211d": r"\mathbb{R}", "\u2208": r"\in ",
    "\u27e8": r"\langle ", "\u27e9": r"\rangle ", "\u00bd": r"\frac{1}{2}", "\u00bc": r"\frac{1}{4}",
    "\u00be": r"\frac{3}{4}",
}
_UNICODE_RE = re.compile("|".join(map(re.escape, _UNICODE)))

_NOISE = re.compile(
    r"\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits|mathord|ensuremath)\b"
    r"|\\(?:left|right)\s*\.|\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])"
    r"|\\(?:quad|qquad|hfill|medspace|thinspace|thickspace|negthinspace)(?![a-zA-Z])"
    r"|(?<!\\)\\[;: ]|~"
)
_THIN = re.compile(r"(?<!\\)\\[,!]")
#: `11,\! 111` / `14{, }916`: a thousands separator typeset with a negative space or braces
_TYPESET_THOUSANDS = re.compile(r"(?<=\d),\s{0,2}\\!\s{0,2}(?=\d{3})|(?<=\d)\s{0,2}\{\s{0,2},\s{0,2}\}\s{0,2}(?=\d{3})")
#: `\\left(` written with a doubled backslash (an escaping slip): a command, not a line break
_DOUBLED_CMD = re.compile(
    r"(?<!\\)\\\\(?=(?:left|right|frac|dfrac|tfrac|sqrt|le|ge|leq|geq|lt|gt|neq|ne|pi|cdot|times|in|infty|"
    r"boxed|text|mathrm|quad|pm|cup|cap|alpha|beta|theta|circ|prime)(?![a-zA-Z]))"
)
_GLUED_QUAD = re.compile(r"\\q?quad(?=[a-zA-Z])")
_PRIME = re.compile(r"\^\s*\{\s*\\prime\s*\}|\^\s*\\prime(?![a-zA-Z])|\\prime(?![a-zA-Z])")
_FRAC_ALIAS = re.compile(r"\\(?:dfrac|tfrac|cfrac)(?![a-zA-Z])")
_BINOM_ALIAS = re.compile(r"\\(?:dbinom|tbinom)(?![a-zA-Z])")
_DEGREE = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])|\^\s*\{\s*o\s*\}$")
_DEGREE_TAIL = re.compile(r"(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|\^\s*\{\s*o\s*\})\s*$")
_PLAIN_NUMBER = re.compile(r"[-+]?\s*(?:\d+(?:\.\d*)?|\.\d+|\\frac\s*\{\s*\d+\s*\}\s*\{\s*\d+\s*\})")
_PERCENT = re.compile(r"\\%|%|\\text\{ ?percent(?:age)? ?\}|(?<=[\d\s])(?:percent(?:age)?|pct)\b")
_CURRENCY = re.compile(r"\\\$|\\(?:euro|pounds)\b|[\u20ac\u00a3\u00a5]|\bUSD\b|\bRs\.?")

_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_THOUSANDS_SP = re.compile(r"-?\d{1,3}(?: \d{3})+(?:\.\d+)?")
_ASSIGN_THOUSANDS = re.compile(r"^([A-Za-z]\s*=\s*)(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?)$")
_BRACE_COMMA = re.compile(r"\{,\}")
_WS = re.compile(r"\s+")


_BOX_START = re.compile(r"^\\(?:boxed|fbox)\s*\{")


def _unbox(s: str) -> str:
    """`\\boxed{X}` (the whole answer) -> X, repeatedly."""
    for _ in range(3):
        m = _BOX_START.match(s)
        if not m or not s.endswith("}"):
            return s
        groups = find_boxed(s) if s.count("\\boxed") + s.count("\\fbox") <= 8 else []
        if not groups or groups[0][0] != 0 or groups[0][1] != len(s):
            return s
        s = groups[0][2].strip()
    return s


def clean(text: str) -> tuple[str, frozenset[str]]:
    """Normalize LaTeX noise; return the cleaned string and flags among {"percent", "degree", "currency"}.

    Never changes meaning beyond what the flags record.
    """
    flags: set[str] = set()
    s = _unbox(text.strip())
    s = _UNICODE_RE.sub(lambda m: _UNICODE[m.group(0)], s)
    s = unicodedata.normalize("NFKC", s)
    s = s.strip()
    if s.startswith(("\\[", "\\(")):
        s = s[2:]
    if s.endswith(("\\]", "\\)")):
        s = s[:-2]
    if s.endswith(" percent"):
        s = s[: -len(" percent")] + "%"
    if _CURRENCY.search(s):
        flags.add("currency")
        s = _CURRENCY.sub(" ", s)
    s = s.replace("$", " ")
    if "\\begin" not in s:
        s = _DOUBLED_CMD.sub(lambda m: "\\", s)
    s = _TYPESET_THOUSANDS.sub(",", s)
    s = _GLUED_QUAD.sub(" ", s)
    s = _PRIME.sub("'", s)
    s = _THIN.sub("", s)
    s = _NOISE.sub(" ", s)
    s = _FRAC_ALIAS.sub(r"\\frac", s)
    s = _BINOM_ALIAS.sub(r"\\binom", s)
    if _DEGREE.search(s):
        bare = _DEGREE.sub(" ", s).strip()
        if len(_DEGREE.findall(s)) == 1 and _DEGREE_TAIL.search(s) and _PLAIN_NUMBER.fullmatch(bare):
            # "90^\circ": a number of degrees; compared both as 90 and as pi/2 (see docs/verifier.md)
            flags.add("degree")
            s = bare
        else:
            # degrees inside an expression (\cos 20^\circ): the parser converts each mark to radians
            s = _DEGREE.sub(r" \\degmark ", s)
    if _PERCENT.search(s):
        flags.add("percent")
        s = _PERCENT.sub(" ", s)
    s = _BRACE_COMMA.sub("", s)
    s = _WS.sub(" ", s).strip()
    while s.endswith((".", "。")) and not s.endswith(".."):
        s = s[:-1].rstrip()
    # a trailing lone backslash (a line-break slip, `185\`) carries no meaning
    while s.endswith("\\") and not s.endswith("\\\\"):
        s = s[:-1].rstrip()
    if _THOUSANDS.fullmatch(s) or _THOUSANDS_SP.fullmatch(s):
        s = s.replace(",", "").replace(" ", "")
    else:
        m = _ASSIGN_THOUSANDS.match(s)
        if m:
            s = m.group(1) + m.group(2).replace(",", "")
    return s, frozenset(flags)


def plain_thousands(s: str) -> str:
    """`1,000.99` -> `1000.99` when the whole string is one number with thousands separators."""
    if _THOUSANDS.fullmatch(s) or _THOUSANDS_SP.fullmatch(s):
        return s.replace(",", "").replace(" ", "")
    return s


def fast_key(cleaned: str) -> str:
    """A string key: equal keys mean equal answers (whitespace-insensitive)."""
    return _WS.sub("", cleaned)


UNIT_WORDS = frozenset(
    """
    cm mm km nm um meter meters metre metres inch inches in ft foot feet yard yards yd mile miles mi
    kg mg gram grams g lb lbs pound pounds oz ounce ounces ton tons tonnes
    s sec secs second seconds min mins minute minutes h hr hrs hour hours day days week weeks
    month months year years yr yrs ms
    l ml liter liters litre litres gallon gallons cup cups quart quarts pint pints
    dollar dollars cent cents usd euro euros
    unit units square sq cubic squared cubed
    degree degrees deg rad radian radians
    mph kph kmh km/h m/s cm/s ft/s
    people persons students ways times points cookies apples marbles
    """.split()
)
_UNIT_TEXT_CMDS = ("text", "mbox", "mathrm", "textrm", "textit", "textbf", "textnormal", "operatorname", "mathit")
_UNIT_CONTENT = re.compile(r"[A-Za-z][A-Za-z .\-/]{0,40}")
_POWER_END = re.compile(r"\^\s?\{?\s?[23]\s?\}?$")


def _pop_text_group(s: str) -> tuple[str, str] | None:
    """`... \\text{ cm}` -> ("...", "cm") when the group is a plain word group at the very end."""
    if not s.endswith("}"):
        return None
    j = s.rfind("{", max(0, len(s) - 60))
    if j <= 0 or "}" in s[j + 1 : -1]:
        return None
    content = s[j + 1 : -1].strip()
    head = s[:j].rstrip()
    for cmd in _UNIT_TEXT_CMDS:
        if head.endswith("\\" + cmd):
            if _UNIT_CONTENT.fullmatch(content):
                return head[: -len(cmd) - 1].rstrip(), content
            return None
    return None


def _pop_word(s: str) -> tuple[str, str] | None:
    """`... cm` -> ("...", "cm"): a trailing plain word of >= 2 ASCII letters (scan from the end)."""
    j = len(s)
    while j > 0 and (s[j - 1].isascii() and s[j - 1].isalpha() or s[j - 1] in "/."):
        j -= 1
        if len(s) - j > 20:
            return None
    word = s[j:].strip("/.")
    if len(word) < 2 or not word.isalpha():
        return None
    if j > 0 and s[j - 1] == "\\":
        return None
    return s[:j].rstrip(), word


def strip_units(cleaned: str) -> tuple[str, str] | None:
    """If `cleaned` ends in units (`\\text{ cm}`, `cm^2`, `dollars`), return (core, units); else None.

    Bare single letters (`5h`, `3m`) are never treated as units: they may be variables. Linear time
    (scans backwards from the end; no backtracking regexes).
    """
    s = cleaned.rstrip()
    removed: list[str] = []
    for _ in range(4):
        m = _POWER_END.search(s[-12:])
        base = s[: len(s) - len(m.group(0))].rstrip() if m else s
        got = _pop_text_group(base)
        if got is None:
            w = _pop_word(base)
            if w is not None and w[1].lower() in UNIT_WORDS:
                got = (w[0], w[1].lower())
        if got is None or not got[0]:
            break
        s, unit = got
        removed.append(unit)
    if not removed or not s:
        return None
    return s, " ".join(reversed(removed))


_TEXT_WRAP = re.compile(
    r"\\(?:text|textbf|textit|mathrm|mathbf|mbox|textrm|textnormal|operatorname|mathit|emph|textsf|texttt)\s*\{([^{}]*)\}"
)


def unwrap_text(cleaned: str) -> str:
    """Remove `\\text{...}`-style wrappers, keeping their content."""
    prev = None
    s = cleaned
    while prev != s:
        prev = s
        s = _TEXT_WRAP.sub(lambda m: m.group(1), s)
    return s


_EDGE_LEFT = " \t\n\"'`*"
_EDGE_RIGHT = " \t\n\"'`*.,;:!"


def text_key(cleaned: str) -> str:
    """Key for comparing text answers: unwrap `\\text{}`, casefold, collapse spaces, drop edge punctuation."""
    s = unwrap_text(cleaned).replace("\\", " ").replace("{", " ").replace("}", " ")
    s = _WS.sub(" ", s).casefold()
    return s.lstrip(_EDGE_LEFT).rstrip(_EDGE_RIGHT)


_CHOICE = re.compile(r"^(?:\(\s*([A-Ja-j])\s*\)|([A-J])\s*[).:]?|\[\s*([A-J])\s*\])(?:\s+.*)?$", re.S)


def choice_letter(cleaned: str) -> str | None:
    """`C`, `(C)`, `\\text{(C)}`, `\\textbf{(C) 12}`, `C)` → "C"; None if not a choice shape."""
    s = unwrap_text(cleaned).strip()
    m = _CHOICE.match(s)
    if not m:
        return None
    letter = m.group(1) or m.group(2) or m.group(3)
    rest = s[m.end(1) if m.group(1) else m.end(2) if m.group(2) else m.end(3):].strip(" )].:")
    if m.group(2) and rest and s[m.end(2) : m.end(2) + 1] not in (")", ".", ":"):
        return None  # "A x" is an expression, not a choice; "(A) text", "A) text", "A. text" may carry text
    return letter.upper()


BOOLEANS = {"yes": True, "true": True, "no": False, "false": False}
EMPTY_WORDS = frozenset({"no solution", "no solutions", "no real solutions", "no real solution", "none", "empty set"})


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s{0,3}(?:([ap])\.?\s?m\.?)?", re.IGNORECASE)


def clock_time(cleaned: str) -> tuple[int, int, int, str | None] | None:
    """`12:00`, `6:30 pm`, `10:30:15` -> (hours, minutes, seconds, "a"|"p"|None); None if not a clock time.

    A time needs two-digit minutes (`6:30`), so a ratio like `3:2` is never read as a time.
    """
    m = _CLOCK.fullmatch(unwrap_text(cleaned).strip())
    if not m:
        return None
    h, mi, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 24 or mi > 59 or sec > 59:
        return None
    return h, mi, sec, (m.group(4) or "").lower() or None
