"""Text rules of the multiple-choice conversion (issue 6): pure functions over strings.

`curation.mcq` decides; this module only recognises things:
- `stem_problem(stem)`: does the stem need its options ("which of the following", "EXCEPT",
  "closest to", ...)? Returns a reason of the vocabulary or None.
- `rewrite_stem(stem)`: the stem as a stand-alone question (lead-ins and blanks rewritten, trailing
  "Choose the correct answer." removed) or None when no rule applies.
- `clean_option(text)`: option text → (answer value, unit); `"$61"` → `("61", "USD")`.
- `is_meta_option`, `is_statement`, `numeric_value`, `approximations`.

Everything is regular expressions over bounded text; nothing is evaluated.
"""

from __future__ import annotations

import re
import unicodedata

# --------------------------------------------------------------------------------------------
# Stems that depend on their options

_WS = re.compile(r"\s+")

_APPROX = re.compile(
    r"\b(?:closest\s+to|nearest\s+to|(?:is|are|be|equals?)\s+(?:about|around|roughly)\b|approximately|approx\b\.?|"
    r"approximate(?:ly)?|best\s+approximat\w*|estimated?\b|estimation|(?:about|around)\s+how\s+(?:many|much)|"
    r"rounded\s+off\s+to\s+the\s+nearest\s+(?:option|choice|answer))"
    r"|约为|约等于|大约|最接近|近似",
    re.IGNORECASE,
)

# "which of the following ..." and friends (whole stem)
_WHICH_OF = re.compile(
    r"\b(?:which|what|who|where|when|how\s+many)\s+(?:one\s+|two\s+|number\s+|value\s+|option\s+|answer\s+|choice\s+)?"
    r"(?:of|among|amongst|from|in)\s+(?:the\s+|these\s+|those\s+)?"
    r"(?:following|these|those|above|below|options?|choices?|alternatives?|given|listed|answers?|statements?)\b",
    re.IGNORECASE,
)
_DEPENDS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bexcept\b\s*[:?.]?\s*(?:\(\s*\)|_+)?\s*$",
        r"\b(?:all|each|any|none|both|every\s+one)\s+of\s+the\s+(?:following|above|below|options|choices)\b",
        r"\bthe\s+following\s+(?:statements?|options?|choices|answers?|is|are|must|could|can|would|best|most|"
        r"expressions?|numbers?|values?|equations?|functions?|graphs?|figures?|pairs?|sets?|conclusions?|claims?|"
        r"propositions?|inequalit(?:y|ies)|relations?|fractions?|quantities|points?|intervals?|lines?|terms?|"
        r"examples?|describes?|represents?|shows?|correctly)\b",
        r"\b(?:answer\s+choices?|the\s+(?:given|above|below|listed)\s+(?:options?|choices?|alternatives?|answers?)|"
        r"(?:these|those|the)\s+(?:options|choices|alternatives)\s+(?:given|above|below|listed|provided))\b",
        r"\b(?:options?|choices?)\s+(?:given\s+)?(?:above|below)\b",
        r"\b(?:in|among|from)\s+the\s+(?:options|choices|alternatives)\b",
        r"\b(?:best|most\s+accurately|most\s+closely|most\s+likely|least\s+likely|most\s+appropriate|correctly)\s+"
        r"(?:describes?|explains?|represents?|characteri[sz]es?|summari[sz]es?|completes?|reflects?|identif(?:y|ies)|"
        r"defines?|illustrates?|expresses|matches|fits?|answers?)\b",
        r"(?:^|[,;:]\s+)(?:\w+\s+)?which\b[^?.]{0,120}\b(?:true|false|correct|incorrect|valid|invalid|not\s+true|best|most\s+likely|"
        r"least\s+likely|necessarily|must\s+be|could\s+be|can\s+be|might\s+be|may\s+be|possible|impossible)\b",
        r"(?:^|[,;:]\s+)(?:what|which)\b[^?.]{0,80}\b(?:could|might|may)\s+(?:be|have\s+been|equal|represent)\b",
        r"\b(?:a|one|any)\s+possible\s+(?:value|values|solution|answer|number|integer|root)\b",
        r"(?<!smallest\s)(?<!largest\s)(?<!greatest\s)(?<!least\s)(?<!minimum\s)(?<!maximum\s)(?<!highest\s)(?<!lowest\s)"
        r"\bpossible\s+values?\s+of\b",
        r"\bcannot\s+be\s+(?:the|a|an)\b",
        r"\b(?:is|are)\s+(?:true|false|correct|incorrect|valid)\s*[?:]?\s*$",
        r"\bmust\s+be\s+true\b|\bcould\s+be\s+true\b|\bnot\s+necessarily\b",
        r"\bcorrect\s+(?:statement|option|choice|answer|order|sequence|match|pair)\b",
        r"\bincorrect\s+(?:statement|option|choice)\b",
        r"\b(?:option|choice)\s+\(?[A-E]\)?(?=[\s.,;:?)]|$)",
        r"\bmatch\s+the\s+(?:following|columns?|items?)\b",
        r"\b(?:most|least)\s+(?:appropriate|likely|reasonable|suitable|probable|important|common\s+reason|accurate)\b|\bbest\b",
        r"\b(?:what|which)\s+(?:expression|equation|inequality|number\s+sentence)\b|\bexpression\s+(?:can|could)\s+be\s+used\b|"
        r"\bwrite\s+(?:an?|the)\s+(?:equation|expression|inequality)\b",
        r"\bfind\s+out\s+which\b|\bidentify\s+(?:the|which)\b[^?.]{0,60}\b(?:following|options?|choices?)\b",
        r"(?:^|[,;:]\s+)(?:in\s+|for\s+|of\s+|on\s+|at\s+)?which\s+(?:statement|statements|expression|graph|figure|diagram|pair|set|equation|number|"
        r"numbers|value|values|inequality|function|relation|one|term|fraction|point|quantity|choice|option|"
        r"sentence|word|example|conclusion|method|step|property|is|are)\b",
        r"下列|以下(?:哪|各|说法|选项|结论|命题|四个|几个|关系|函数|图象|图像)|正确的(?:是|有)|错误的(?:是|有)|不正确的是|"
        r"哪(?:个|一个|项|些|一项|组)|选项|可能是|可以是|不可能是|说法|结论中|命题中",
    )
]

_EXCEPT_CAPS = re.compile(r"\bEXCEPT\b")

# "Which of the following is the value of x?" → convertible when what follows "the" is a defined
# quantity (it has a defining phrase: "of", "for", "when", ...), not a judgement ("the best ...").
_WHICH_IS_THE = re.compile(
    r"^(?P<pre>.*?)\b(?:which|what)\s+(?:one\s+)?of\s+the\s+(?:following|options|choices|given\s+(?:options|choices|values|numbers))"
    r"(?:\s+(?:numbers?|values?|expressions?|answers?|quantities|integers?|fractions?|options?|choices?))?\s+"
    r"(?P<verb>is|are|gives|represents|equals|was|will\s+be)\s+(?P<np>the\s+[^?]+?)\s*(?P<end>[?.]?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_NP_JUDGEMENT = re.compile(
    r"^the\s+(?:best|most|least|correct|right|true|false|only|closest|nearest|likely|following|appropriate|"
    r"possible|approximate|valid|same|odd|wrong|incorrect|one|answer|option|choice|greatest|largest|smallest|"
    r"biggest|highest|lowest|maximum|minimum|max|min)\b(?:\s*(?:\?|$|among|of\s+the\s+(?:following|options|choices|above|these)))?",
    re.IGNORECASE,
)
_NP_DEFINED = re.compile(r"\b(?:of|for|when|if|that|which|in|to|between|from|with|such|where|satisfying|at)\b", re.IGNORECASE)


_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|Sr|Jr|vs|etc|e\.g|i\.e|No|Fig|Eq|approx|Rs|Co|Inc|Ltd|Mt|Ft|A\.M|P\.M|a\.m|p\.m)|"
                     r"(?<![A-Za-z])[A-Z])\.$")


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.?!。？！])\s+(?=[A-Z\"'(\[$\\\d]|[\u4e00-\u9fff])", text.strip())
    out: list[str] = []
    for p in parts:
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {p}"  # "Ms. Ling", "6 P.M. It" stay one sentence
        else:
            out.append(p)
    return [p for p in out if p.strip()]


def question_sentence(stem: str) -> str:
    """Where the question is asked: the sentences with a question mark, and the last sentence."""
    s = _sentences(stem)
    if not s:
        return stem
    asked = [x for x in s[:-1] if "?" in x or "？" in x]
    return " ".join(asked + [s[-1]])


def which_is_the(stem: str) -> str | None:
    """`...Which of the following is the value of x?` → `...What is the value of x?`, else None."""
    m = _WHICH_IS_THE.match(stem)
    if not m:
        return None
    np = m.group("np").strip()
    if _NP_JUDGEMENT.match(np) and not _NP_DEFINED.search(np.split(None, 2)[-1] if len(np.split()) > 2 else ""):
        return None
    if not _NP_DEFINED.search(np) or len(np.split()) < 3:
        return None
    if re.search(r"\b(?:following|options?|choices|above|below)\b", np, re.IGNORECASE):
        return None
    verb = m.group("verb").lower()
    verb = {"gives": "is", "represents": "is", "equals": "is"}.get(verb, verb)
    pre = m.group("pre")
    q = f"What {verb} {np}?"
    return (pre + q) if pre.strip() else q


def stem_problem(stem: str) -> str | None:
    """Reason the stem cannot stand without its options, or None.

    `approximate_options` when the question sentence asks for an approximation (the options fix the
    precision); `stem_depends_on_options` for "which of the following", "EXCEPT", "could be", ...
    """
    stem = _sub_tail(_FROM_FOLLOWING, strip_instructions(stem)[0])
    qs = question_sentence(stem)
    if _APPROX.search(qs) and not re.search(r"\bto\s+the\s+nearest\s+(?:whole|integer|tenth|hundredth|thousandth|"
                                             r"hundred|thousand|ten|cent|dollar|degree|percent|unit|meter|foot|"
                                             r"inch|minute|second|\w+\s+place)", qs, re.IGNORECASE):
        return "approximate_options"
    if which_is_the(stem) is not None:
        return None
    if _WHICH_OF.search(stem):
        return "stem_depends_on_options"
    if _EXCEPT_CAPS.search(stem) or re.search(r"\bStatement\s+(?:1|I)\b", stem) or re.search(r"\bnot\s+true\b|\bwhich\b[^?]*\bNOT\b|\bNOT\b[^?]*\bfollowing\b", qs):
        return "stem_depends_on_options"
    for pattern in _DEPENDS:
        if pattern.search(qs):
            return "stem_depends_on_options"
    return None


# --------------------------------------------------------------------------------------------
# Rewriting the stem

_TRAILING_INSTRUCTIONS = re.compile(
    r"(?:\s*(?:\(|\[)?\s*(?:please\s+)?(?:choose|select|pick|mark|circle|tick|identify|find)\s+(?:the\s+|one\s+|an?\s+)?"
    r"(?:correct|right|best|appropriate|most\s+appropriate)?\s*(?:answer|option|choice|alternative|one)s?"
    r"(?:\s+(?:from|among)\s+(?:the\s+)?(?:following|options|choices|below|given\s+options))?\s*[.:!]?\s*(?:\)|\])?"
    r"|\s*(?:answer\s+)?(?:options|choices|alternatives|answer\s+choices)\s*(?:are)?\s*[:：]?"
    r"|\s*(?:单选题|多选题|选择题)\s*[:：]?)\s*$",
    re.IGNORECASE,
)
_FROM_FOLLOWING = re.compile(
    r",?\s+(?:from|among|out\s+of)\s+(?:the\s+)?(?:following|given|options|choices|below|alternatives)"
    r"(?:\s+(?:options|choices|values|numbers|answers|alternatives))?(?=\s*[?.:]?\s*$)",
    re.IGNORECASE,
)
_PAREN_BLANK = re.compile(r"[(（\[]\s*(?:\\q?quad|\\,|\\;|\\ |~|\\text\{\s*\}|\s|　)*[)）\]]")
_UNDERLINE_BLANK = re.compile(r"\\underline\{\s*(?:\\q?quad|\\hspace\{[^}]*\}|~|\\ |\s)*\}|(?:\\_){2,}|_{2,}")
_COLON_LEAD = re.compile(
    r"^(?P<subj>(?:the|its|his|her|their)\s+.+?)\s+(?P<verb>is|are|was|were)\s*(?:equal\s+to\s*)?[:：]\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ENDS_OPEN = re.compile(r"(?:\b(?:is|are|was|were|be|equals?|to|of|by|the|a|an|as|than|from|and|or|in|at|for|with|"
                        r"has|have|had|becomes?|gives?|yields?|approximately|about|will|would|by|if|iff|when|that|"
                        r"because|whether|called|named|termed|into|on|its|their|his|her)\b|=|≈|[,:：])\s*$",
                        re.IGNORECASE)


def _sub_tail(pattern: re.Pattern, text: str, tail: int = 240) -> str:
    """`pattern.sub("", text)` for a pattern anchored at the end, scanning only the last `tail` chars."""
    if len(text) <= tail:
        return pattern.sub("", text)
    cut = len(text) - tail
    return text[:cut] + pattern.sub("", text[cut:])


def strip_instructions(stem: str) -> tuple[str, list[str]]:
    """Drop trailing "Choose the correct answer.", "Answer Choices:", "(a)"; ([rules applied])."""
    text = stem.strip()
    rules: list[str] = []
    for _ in range(3):
        new = _sub_tail(_TRAILING_INSTRUCTIONS, text).rstrip()
        if new == text:
            break
        text, rules = new, rules + ["instruction"]
    new = re.sub(r"\s*\((?:a|an|s|es)\)\s*[:.]?\s*$", "", text)
    if new != text:
        text, rules = new.rstrip(), rules + ["instruction"]
    return text, rules


def rewrite_stem(stem: str) -> tuple[str, str | None]:
    """The stem as a stand-alone question: (text, rule) — rule is None when nothing was rewritten.

    Rules, in order: drop trailing "Choose the correct answer." / "Options:"; drop "from the
    following"; "Which of the following is the X of Y?" → "What is the X of Y?"; blanks `( )`,
    `\\underline{\\qquad}`, `___` → `____`; "The value of x is:" → "What is the value of x?"; a stem
    that stops mid-sentence ("... is", "... =", "... secreted by the") gets ` ____.`.
    """
    text, rules = strip_instructions(stem)
    new = _sub_tail(_FROM_FOLLOWING, text)
    if new != text:
        text, rules = new.rstrip(), rules + ["from_following"]
    which = which_is_the(text)
    if which is not None:
        text, rules = which, rules + ["which_is_the"]
    if _PAREN_BLANK.search(text) or _UNDERLINE_BLANK.search(text):
        text = _UNDERLINE_BLANK.sub("____", _PAREN_BLANK.sub("____", text))
        text = re.sub(r"(?:_{4}\s*){2,}", "____ ", text).strip()
        if not re.search(r"[.?!。？]\s*$", text):
            text += "." if text.endswith("____") else ""
        rules.append("blank")
        return text, "+".join(rules)
    sentences = _sentences(text)
    last = sentences[-1] if sentences else text
    head = text[: len(text) - len(last)] if text.endswith(last) else ""
    m = _COLON_LEAD.match(last)
    if m:
        subj = m.group("subj")
        subj = subj[0].lower() + subj[1:]
        verb = m.group("verb").lower()
        return f"{head}What {verb} {subj}?", "+".join(rules + ["colon_lead"])
    if re.search(r"[:：]\s*$", last):
        text = re.sub(r"\s*[:：]\s*$", "", text).rstrip()
        return f"{text} ____.", "+".join(rules + ["colon_blank"])
    if re.search(r"=\s*\$\s*$", text):
        return re.sub(r"\s*=\s*\$\s*$", " = ____$.", text), "+".join(rules + ["completion_blank"])
    if _ENDS_OPEN.search(last):
        return f"{text.rstrip()} ____.", "+".join(rules + ["completion_blank"])
    if not re.search(r"[.?!。？！)\]}$]\s*$", text):
        asks = re.match(r"^\s*(?:what|which|how|who|whom|whose|when|where|why|is|are|does|do|can|find\s+out\s+how)\b", last, re.IGNORECASE)
        return text.rstrip() + ("?" if asks else "."), "+".join(rules + ["punctuation"])
    return text, ("+".join(rules) or None)


# --------------------------------------------------------------------------------------------
# Options

_META = re.compile(
    r"^(?:"
    r"(?:all|none|both|neither|each|any|either)(?:\s+of)?\s+(?:the\s+)?(?:above|these|those|them|others|other\s+options|"
    r"given|options|choices|mentioned|listed|preceding|foregoing)(?:\s+options|\s+choices|\s+answers)?"
    r"|none|nil|all|both|neither|not\s+given|not\s+listed|no\s+answer|"
    r"(?:both|either|neither)?\s*\(?[a-e]\)?\s*(?:,\s*\(?[a-e]\)?\s*)*(?:and|or|&|nor|,)\s*\(?[a-e]\)?(?:\s+(?:only|both|are\s+correct|are\s+true))?|"
    r"(?:only\s+)?\(?[a-e]\)?\s+only|"
    r"(?:it\s+)?cannot\s+be\s+(?:determined|found|calculated|computed|said|ascertained|answered)|can\s*'?\s*not\s+be\s+determined|"
    r"can'?t\s+be\s+(?:determined|found|calculated|said)|(?:data|information)\s+(?:is\s+)?(?:inadequate|insufficient|not\s+sufficient|not\s+enough)|"
    r"(?:insufficient|inadequate|not\s+enough|incomplete)\s+(?:data|information)|not\s+(?:possible|determinable|defined)|"
    r"more\s+than\s+one\s+(?:of\s+the\s+above|answer|option)|other\s+than\s+(?:these|those|the\s+above)|"
    r"something\s+else|none\s+of\s+(?:the\s+)?(?:others|these|those)|no\s+(?:correct\s+)?(?:answer|option)|"
    r"indeterminate|undeterminable|not\s+(?:applicable|available)|n/a|"
    r"以上都(?:不)?(?:对|正确|是|不是)|以上(?:答案|选项|说法)?(?:均|都)(?:不)?(?:对|正确)|无法确定|不能确定|都不对|都对|以上皆(?:是|非)"
    r")\s*[.!]?$",
    re.IGNORECASE,
)


def is_meta_option(text: str) -> bool:
    """"All of the above", "None of these", "Both A and B", "Cannot be determined", "以上都不对", ..."""
    t = _WS.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().strip("$").strip()
    t = re.sub(r"^\\text\{(.*)\}$", r"\1", t)
    return bool(_META.match(t))


_ROMAN_COMBO = re.compile(r"^(?:(?:I|II|III|IV|V|VI)\s*(?:,|and|&|or)?\s*)+(?:only|both)?\.?$")
_VERBS = re.compile(
    r"\b(?:is|are|was|were|be|been|being|has|have|had|does|do|did|will|would|can|could|should|may|might|must|"
    r"shall|increases?|decreases?|increased|decreased|causes?|caused|becomes?|became|remains?|occurs?|occurred|"
    r"results?|resulted|produces?|produced|requires?|required|contains?|consists?|depends?|involves?|"
    r"allows?|prevents?|makes?|made|takes?|took|gives?|gave|uses?|used|moves?|moved|changes?|changed|forms?|"
    r"reduces?|reduced|raises?|lowers?|stops?|acts?|leads?|led|exists?|exist|means?|shows?|showed|reacts?|binds?|"
    r"converts?|converted|releases?|released|absorbs?|absorbed|emits?|emitted|travels?|depends|cannot|won't|"
    r"isn't|aren't|doesn't|don't|maintain|opt|reduce|increase|decrease|add|remove|inserted|deleted|removed|"
    r"changes|calls?|acts|get|gets|got|goes|went|seems?|appears?|equals?|holds?|lies|lie)\b",
    re.IGNORECASE,
)
_MATH_SPAN = re.compile(r"\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]")
_ALPHA_WORD = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")


def option_words(text: str) -> int:
    """Prose words in an option (math spans and LaTeX commands not counted; each CJK char counts 1/2)."""
    t = _MATH_SPAN.sub(" ", text or "")
    t = re.sub(r"\\[A-Za-z]+", " ", t)
    words = re.findall(r"[A-Za-z][A-Za-z'\-]+|[A-Za-z](?=\s|$)", t)
    cjk = len(re.findall(r"[\u4e00-\u9fff]", t))
    return len(words) + (cjk + 1) // 2


def is_statement(text: str, *, max_words: int = 6) -> bool:
    """An option that is a claim or prose rather than an answer value.

    Many words (> max_words), a verb among >= 3 words, sentence punctuation inside, or a roman
    numeral combination ("I and III only") referring to statements in the stem.
    """
    t = unicodedata.normalize("NFKC", text or "").strip()
    if _ROMAN_COMBO.match(t):
        return True
    words = option_words(t)
    if words > max_words:
        return True
    prose = _MATH_SPAN.sub(" ", t)
    if words >= 3 and _VERBS.search(prose):
        return True
    if words >= 3 and re.search(r"[A-Za-z]{2,}[.;!?]\s+[A-Za-z]|[.!;]\s*$", prose):
        return True
    if re.search(r"[\u4e00-\u9fff]", t) and len(re.findall(r"[\u4e00-\u9fff]", t)) > 2 * max_words:
        return True
    return False


_MATH_WORDS = re.compile(r"^(?:sqrt|sin|cos|tan|cot|sec|csc|log|ln|exp|lim|max|min|det|mod|gcd|lcm|arcsin|arccos|"
                         r"arctan|sinh|cosh|tanh|pi|inf|infty|frac|dfrac|cdot|times|div|le|ge|leq|geq|ne|neq|pm|mp|"
                         r"cup|cap|in|to|left|right|text|mathrm|mathbf|circ|deg|dx|dy|dt|mathbb|emptyset|varnothing)$",
                         re.IGNORECASE)


def is_texty(value: str) -> bool:
    """True when the value is words rather than mathematics: it holds a word of 3+ letters that is
    not a LaTeX command or a function name (`4-way handshake`, `10 and 12`, `6 over 7`, `Helium`),
    or it is only letters (`amnion`, `yolk sac`) and not a lone variable."""
    t = _MATH_SPAN.sub(" ", value)
    t = re.sub(r"\\[A-Za-z]+", " ", t)
    words = re.findall(r"(?<![A-Za-z])[A-Za-z]{3,}(?![A-Za-z])", t)
    if any(not _MATH_WORDS.match(w) for w in words):
        return True
    if re.search(r"[\d\\^=+*/<>{}()\[\]|√π∞_]|\$", value):
        return False
    if re.fullmatch(r"\s*-?\s*[a-zA-Z]\s*", value):  # a lone variable
        return False
    return bool(_ALPHA_WORD.search(value))


# --------------------------------------------------------------------------------------------
# Cleaning the correct option into a reference answer

_CURRENCY = [
    (re.compile(r"^(?:US\s*\$|USD\s*|\\\$|\$(?=\s*[\d.]))\s*"), "USD"),
    (re.compile(r"^(?:Rs\.?|INR|₹)\s*", re.IGNORECASE), "INR"),
    (re.compile(r"^(?:€|EUR\s)\s*"), "EUR"),
    (re.compile(r"^(?:£|GBP\s)\s*"), "GBP"),
    (re.compile(r"^(?:¥|JPY\s|RMB\s)\s*"), "CNY"),
]
_NUM = r"[-+−–]?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*/\s*\d+)?|[-+−–]?\s*\.\d+"
_KNOWN_UNITS = (
    r"(?:sq\.?\s*|square\s+|cu\.?\s*|cubic\s+)?(?:mm|cm|dm|km|m|in|inch(?:es)?|ft|feet|foot|yards?|yd|miles?|mi|"
    r"met(?:er|re)s?|centimet(?:er|re)s?|millimet(?:er|re)s?|kilomet(?:er|re)s?)(?:\s*(?:\^?\s*[23]|[²³]))?"
    r"|kg|g|mg|grams?|kilograms?|gms?|tons?|tonnes?|pounds?|lbs?|ounces?|oz|quintals?"
    r"|l|ml|litres?|liters?|gallons?"
    r"|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?|months?|years?|yrs?"
    r"|kms?\s*/\s*h(?:rs?|ours?)?|kms?\s+per\s+hour|kmph|kmh|m\s*/\s*s(?:ec)?|mph|km\s*/\s*min|m\s*/\s*min|cm\s*/\s*s|ft\s*/\s*s|miles?\s+per\s+hour"
    r"|m\s*/\s*s\s*(?:\^\s*2|²)|cm\s*/\s*s\s*(?:\^\s*2|²)|ft\s*/\s*s\s*(?:\^\s*2|²)"
    r"|T|mT|nm|μm|um|MHz|GHz|kHz|ms|μs|ns|kV|mV|MeV|keV|GeV|kcal|cal|mmHg|torr|L|mL|M|mM|μC|nC|pF|μF|nF|mH"
    r"|°\s*[CF]?|degrees?(?:\s+(?:celsius|fahrenheit))?|rad(?:ians?)?|K|N|J|W|V|A|Hz|Pa|kPa|atm|mol|eV|kJ|kW|mA|Ω|ohms?"
    r"|rupees|rs|dollars?|cents?|paise|euros?|pounds\s+sterling|yuan|元|米|厘米|千克|克|秒|分钟|小时|天|年|个|人|元"
    r"|units?|sq\.?\s*units?|square\s+units|cubic\s+units|percent|per\s*cent"
)
_UNIT_TAIL = re.compile(rf"^(?P<num>{_NUM})\s*(?P<unit>{_KNOWN_UNITS})\.?$", re.IGNORECASE)
_GENERIC_UNIT_TAIL = re.compile(
    rf"^(?P<num>{_NUM})\s+(?P<unit>[A-Za-z][A-Za-z]{{2,}}(?:\s*/\s*[A-Za-z]+)?(?:\s+[A-Za-z]{{2,}}){{0,3}}(?:\s*\^?\s*[23])?)\.?$"
)
_NOT_UNITS = re.compile(r"^(?:sqrt|pi|log|ln|sin|cos|tan|cot|sec|csc|exp|and|or|times|only|more|less|root|"
                        r"ways|way|roots?|solutions?|terms?|digits?|factors?|divisors?)$", re.IGNORECASE)
_SCI = re.compile(
    rf"^(?P<num>{_NUM})\s*(?:×|x|\*|\\times|\\cdot)\s*10\s*\^\s*\{{?\s*(?P<exp>[-+−–]?\s*\d+)\s*\}}?"
    r"(?:\s+(?P<unit>[A-Za-zμΩ°][A-Za-zμΩ°/·.\-^0-9 ]{0,20}))?\.?$"
)
_PERCENT = re.compile(rf"^(?P<num>{_NUM})\s*(?:%|\\%|percent|per\s*cent)\.?$", re.IGNORECASE)


def _strip_math_delims(t: str) -> str:
    for pat in (r"^\$\$(.*)\$\$$", r"^\$(.*)\$$", r"^\\\((.*)\\\)$", r"^\\\[(.*)\\\]$"):
        m = re.match(pat, t, re.DOTALL)
        if m and "$" not in m.group(1):
            return m.group(1).strip()
    return t


def _clean_number(num: str) -> str:
    num = num.replace("−", "-").replace("–", "-")
    num = re.sub(r"\s+", "", num)
    if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", num):
        num = num.replace(",", "")
    if num.startswith("+"):
        num = num[1:]
    if num.startswith(".") or num.startswith("-."):
        num = num.replace(".", "0.", 1)
    return num


def clean_option(text: str) -> tuple[str, str | None]:
    """The reference answer and its unit from an option text (label already stripped).

    `"$61"` → `("61", "USD")`; `"5 cm"` → `("5", "cm")`; `"25%"` → `("25\\%", None)` (the percent sign
    stays: 25% is not 25, and the verifier reads `\\%`); `"$\\frac{1}{2}$"` → `("\\frac{1}{2}", None)`;
    `"5(√3 + 1)"` → `("5(\\sqrt{3} + 1)", None)`; `"1,000"` → `("1000", None)`; text is kept.
    """
    t = unicodedata.normalize("NFKC", text or "").strip()
    t = _WS.sub(" ", t)
    t = re.sub(r"(?<=[^\s.])\s*[.。]$", "", t) if not re.search(r"\d\.$", t) else t.rstrip(".")
    t = t.strip().strip(";,").strip()
    t = _strip_math_delims(t)
    unit = None
    m = re.match(r"^([A-Za-z])\s*=\s*(?!.*=)(.+)$", t)
    if m:
        t = m.group(2).strip()
    m = _SCI.match(t)
    if m:
        exp = m.group("exp").replace("−", "-").replace("–", "-")
        value = f"{_clean_number(m.group('num'))} \\times 10^{{{exp}}}"
        u = (m.group("unit") or "").strip() or None
        return value, u
    for pattern, code in _CURRENCY:
        m = pattern.match(t)
        if m and re.match(rf"^(?:{_NUM})$", t[m.end():].strip()):
            return _clean_number(t[m.end():].strip()), code
    m = _PERCENT.match(t)
    if m:
        return _clean_number(m.group("num")) + "\\%", None
    m = _UNIT_TAIL.match(t)
    if m:
        unit = _WS.sub(" ", m.group("unit").strip())
        if unit.lower() in ("rs", "rupees"):
            unit = "INR"
        elif unit.lower() in ("dollars", "dollar"):
            unit = "USD"
        return _clean_number(m.group("num")), unit
    m = _GENERIC_UNIT_TAIL.match(t)
    if m and not _NOT_UNITS.match(m.group("unit").split()[0]):
        return _clean_number(m.group("num")), _WS.sub(" ", m.group("unit").strip())
    if re.fullmatch(rf"{_NUM}", t):
        return _clean_number(t), None
    m = re.fullmatch(r"(-)?(\d+)\s+(\d+)\s*/\s*(\d+)", t)  # mixed number 12 1/2 → 25/2
    if m and int(m.group(4)) > 0:
        whole, num, den = int(m.group(2)), int(m.group(3)), int(m.group(4))
        return f"{m.group(1) or ''}{whole * den + num}/{den}", None
    # light LaTeX-ification of plain-text math (keeps existing LaTeX untouched)
    t = t.replace("−", "-").replace("–", "-").replace("—", "-")
    t = re.sub(r"√\s*(\d+(?:\.\d+)?|[A-Za-z])", r"\\sqrt{\1}", t)
    t = re.sub(r"√\s*\(([^()]*)\)", r"\\sqrt{\1}", t)
    t = t.replace("π", "\\pi ").replace("×", "\\times ").replace("÷", "\\div ").replace("≤", "\\le ").replace("≥", "\\ge ")
    t = re.sub(r"\\(pi|times|div|le|ge) (?=[\s)}\]]|$)", r"\\\1", t)
    t = re.sub(r"(\\(?:pi|times|div|le|ge)) +", r"\1 ", t).strip()
    return t, None


_FRACTION = re.compile(r"^(-)?\s*(?:\\[dt]?frac\{(\d+(?:\.\d+)?)\}\{(\d+(?:\.\d+)?)\}|(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?))$")


def numeric_value(value: str) -> float | None:
    """A plain number, fraction or percent as a float (25\\% → 0.25); None for anything else."""
    t = value.strip().replace("−", "-")
    pct = t.endswith("\\%") or t.endswith("%")
    if pct:
        t = t.rstrip("%").rstrip("\\").strip()
    try:
        if re.fullmatch(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", t):
            v = float(t)
        else:
            m = _FRACTION.match(t)
            if not m:
                return None
            num, den = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
            if float(den) == 0:
                return None
            v = float(num) / float(den) * (-1 if m.group(1) else 1)
    except (ValueError, OverflowError):
        return None
    return v / 100.0 if pct else v


def decimals(value: str) -> int:
    m = re.fullmatch(r"-?\d+\.(\d+)", value.strip())
    return len(m.group(1)) if m else 0


def approximations(values: list[str], *, rel_tol: float) -> bool:
    """True when two distinct numeric options look like approximations of one another.

    3.14 vs 3.1416 (one rounds to the other), or two non-integers within `rel_tol` relative.
    """
    nums = [(v, numeric_value(v)) for v in values]
    nums = [(v, x) for v, x in nums if x is not None]
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            (a, x), (b, y) = nums[i], nums[j]
            if x == y:
                continue
            da, db = decimals(a), decimals(b)
            if min(da, db) >= 1 and da != db and re.fullmatch(r"-?\d+(?:\.\d+)?", a) and re.fullmatch(r"-?\d+(?:\.\d+)?", b):
                short, long_, d = (x, y, da) if da < db else (y, x, db)
                if round(long_, d) == short:
                    return True
            if da and db and abs(x - y) <= rel_tol * max(abs(x), abs(y)):
                return True
    return False


_ARITH_ONLY = re.compile(r"^[\d\s.,()+\-−–×*/÷x\\times\\cdot\\div]+$")


def is_unevaluated_arithmetic(value: str) -> bool:
    """`(215 × 3) – (467 × 7)`: numbers joined by two or more operators (the options are forms, not values)."""
    t = value.replace("\\times", "×").replace("\\cdot", "×").replace("\\div", "÷")
    if not re.fullmatch(r"[\d\s.,()+\-−–×*/÷]+", t):
        return False
    return len(re.findall(r"(?<=[\d)\s])\s*[+\-−–×*/÷]\s*(?=[\d(])", t)) >= 2


def looks_malformed(value: str) -> bool:
    """Values no verifier should be asked to trust: `8:03` (a spreadsheet-mangled ratio 8:3),
    `y3/x2` (plain-text powers), `s.5723` (a mangled currency prefix), several parts `a; b`."""
    t = value.strip()
    if re.fullmatch(r"\d+:0\d", t):
        return True
    if "\\" not in t and re.search(r"(?<![A-Za-z\\])[A-Za-z]+\d", t):
        return True
    if not re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", t) and re.search(r"\d,\d{3}(?!\d)", t):
        return True
    if t.count("=") > 1:
        return True
    if re.match(r"^[A-Za-z]{1,3}\.\s*\d", t):
        return True
    if ";" in t:
        return True
    return False


R_TEXT = re.compile(r"[A-Za-z]{3,}")


def unit_key(unit: str | None) -> str:
    """Units compared loosely: case, spaces, dots and a plural s do not matter (hour = hours)."""
    u = re.sub(r"[\s.]", "", (unit or "").lower())
    return u[:-1] if len(u) > 2 and u.endswith("s") else u


_CURRENCY_CODES = {"USD", "INR", "EUR", "GBP", "CNY"}


def unit_is_variable(unit: str, stem: str) -> bool:
    """A one-letter "unit" that the stem uses as a variable (`flow speed V`), not after a number."""
    if len(unit) != 1 or not unit.isalpha() or unit in "AaI":
        return False
    hits = list(re.finditer(rf"(?<![A-Za-z\\/^]){re.escape(unit)}(?![A-Za-z/^])", stem))
    return any(not re.search(r"\d\s*$", stem[: h.start()]) for h in hits)


def times_variable(value: str, var: str) -> str:
    """`4/3` × `V` → `\\frac{4}{3}V`; `2` × `V` → `2V`."""
    m = re.fullmatch(r"(-?)(\d+)\s*/\s*(\d+)", value)
    if m:
        return f"{m.group(1)}\\frac{{{m.group(2)}}}{{{m.group(3)}}}{var}"
    return f"{value}{var}" if re.fullmatch(r"-?\d+(?:\.\d+)?", value) else f"({value}){var}"


def unit_hint(question: str, unit: str | None) -> str:
    """Append "Give your answer in minutes." when the answer's unit is nowhere in the question.

    Not for currencies (the question shows $ or Rs.), degrees, or units the question already names.
    """
    if not unit or unit in _CURRENCY_CODES or unit.startswith("°") or unit.lower().startswith("degree"):
        return question
    key = unit_key(unit)
    words = {unit_key(w) for w in re.findall(r"[A-Za-z][A-Za-z/^0-9]*", question)}
    if key in words or re.search(rf"(?<![A-Za-z]){re.escape(unit)}(?![A-Za-z])", question):
        return question
    if any(k in words for k in _UNIT_NAMES.get(key, ())):
        return question
    if re.search(r"[\u4e00-\u9fff]", question):
        return question
    sep = "" if question.endswith((" ", "\n")) else " "
    return f"{question}{sep}Give your answer in {unit}."


# unit → words that name it in a question ("hours" asked → "hr" answer needs no hint)
_UNIT_NAMES = {
    "hr": ("hour",), "hour": ("hr", "hrs"), "min": ("minute",), "minute": ("min",), "sec": ("second",),
    "second": ("sec", "s"), "s": ("second", "sec"), "m": ("meter", "metre"), "meter": ("m", "metre"), "metre": ("m", "meter"),
    "km": ("kilometer", "kilometre"), "cm": ("centimeter", "centimetre"), "kg": ("kilogram",), "g": ("gram",),
    "gram": ("g", "gm"), "gm": ("gram", "g"), "ft": ("feet", "foot"), "feet": ("ft", "foot"), "mile": ("mi",), "year": ("yr", "age", "old"),
    "day": ("days",), "km/h": ("km/hr", "kmph", "kilometer"), "km/hr": ("km/h", "kmph"), "kmph": ("km/h", "km/hr"),
    "n": ("force", "newton"), "j": ("energy", "joule", "work"), "w": ("power", "watt"), "a": ("current", "ampere"),
    "v": ("voltage", "volt", "potential"), "hz": ("frequency",), "ev": ("energy",), "atm": ("pressure",),
    "pa": ("pressure",), "kpa": ("pressure",), "mol": ("mole",), "l": ("liter", "litre"), "ml": ("milliliter",),
    "k": ("kelvin", "temperature"), "ohm": ("resistance", "ω"), "unit": ("unit",), "sqm": ("area", "sq"),
}
