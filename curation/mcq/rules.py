"""Text rules of the multiple-choice conversion: pure functions over strings.

`curation.mcq` decides; this module only recognises things:
- `stem_problem(stem)`: does the stem need its options ("which of the following", "EXCEPT",
  "closest to", ...)? Returns a reason of the vocabulary or None.
- `rewrite_stem(stem)`: the stem as a stand-alone question (lead-ins and blanks rewritten, trailing
  "Choose the correct answer." removed) or None when no rule applies.
- `clean_option(text)`: option text → (answer value, unit); `"$61"` → `("61", "USD")`.
- `is_meta_option`, `is_statement`, `numeric_value`, `rounds_another`.
- `asks_nothing(stem)`, `strip_lead_ins`, `open_which`, `is_quantity_name`: stems and answers that only
  make sense with the options (bare blanks, instruction lead-ins, identification questions).

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
    r"|\b(?:most\s+)?nearly\s+(?:equal|equals|the\s+same)\b|\bmost\s+nearly\b|\babout\s+(?:what|which)\b"
    r"|约为|约等于|约是|大约|最接近|近似|估算|估计|左右",
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
        r"\b(?:can|could|may|might)\s+(?:have|be|equal)\s+(?:an?\s+[a-z]+(?:\s+[a-z]+)?\s+of\s*|an?\s*)$",
        r"\b(?:a|one|any)\s+possible\s+(?:value|values|solution|answer|number|integer|root)\b",
        r"(?<!smallest\s)(?<!largest\s)(?<!greatest\s)(?<!least\s)(?<!minimum\s)(?<!maximum\s)(?<!highest\s)(?<!lowest\s)"
        r"(?<!sum\sof\sthe\s)(?<!sum\sof\sall\s)(?<!product\sof\sthe\s)(?<!product\sof\sall\s)(?<!number\sof\s)"
        r"(?<!mean\sof\sthe\s)(?<!average\sof\sthe\s)\bpossible\s+values?\s+of\b",
        r"\b(?:an|one|another)\s+example\s+of\b|\bfor\s+example\s*,?\s*(?:which|what)\b|写出一个|举出一个|一个可能",
        # objects that are never unique: a group has several generators, a number several factors
        r"\b(?:find|give|name|determine|what\s+is|which\s+is)\s+(?:a|an|the|one)\s+(?:generator|primitive\s+root|"
        r"eigenvector|basis)\s+(?:of|for|in)\b|\b(?:find|give|name|what\s+is)\s+(?:a|an|one)\s+(?:factor|divisor|multiple|"
        r"root|zero|solution|element)\s+(?:of|for|in|to)\b",
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
        r"哪(?:个|一个|项|些|一项|组)|选项|可能是|可能为|可以是|不可能是|说法|结论中|命题中",
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
    stem = _sub_tail(_FROM_FOLLOWING, strip_instructions(drop_trailing_breaks(squeeze_cjk(strip_lead_ins(stem)[0])))[0])
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
    if asks_nothing(stem):
        return "bare_blank"
    return None


# --------------------------------------------------------------------------------------------
# Lead-ins, bare blanks, open "which" questions

_CJK = r"\u4e00-\u9fff"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")


def squeeze_cjk(text: str) -> str:
    """Spaces between two Chinese characters are typesetting noise ("火箭 的动量", "约 为"): removed."""
    return _CJK_SPACE.sub("", text)


# sentences that only instruct the solver how to answer a multiple-choice item
_LEAD_IN_EN = re.compile(
    r"(?:(?:please\s+)?(?:complete|answer|solve|read|attempt)\s+(?:this|the\s+following|each|the)\s+"
    r"(?:multiple[-\s]choice|single[-\s]choice|objective)\s+(?:question|problem|item)s?\b[^.;:\n]*"
    r"|(?:of|among)\s+the\s+(?:two|three|four|five|six|given)\s+(?:options|choices|answers|alternatives)\b[^.;:\n]*"
    r"|only\s+one\s+(?:of\s+the\s+(?:options|choices|answers)\s+)?(?:is|option\s+is|answer\s+is|choice\s+is)\s+"
    r"(?:correct|right|true)\b[^.;:\n]*"
    r"|(?:multiple|single)[-\s]choice(?:\s+question)?|choose\s+(?:the|one)\s+(?:correct|best|right)\s+(?:answer|option)"
    r"(?:\s+(?:from|among)\s+the\s+(?:options|choices|following))?)\s*[.;:]\s*",
    re.IGNORECASE,
)
_LEAD_IN_ZH = re.compile(
    rf"(?:[^。；;：:\n]*(?:选项|选出|选择|四个答案|符合题目要求|题目要求的|单选|多选)[^。；;：:\n]*[。；;：:]"
    rf"|(?:[一二三四五六七八九十]+[、.．]\s*)?(?:单项|多项|不定项)?选择题[^。；;：:\n]{{0,30}}[。；;：:]?"
    rf"|[(（]\s*本(?:小)?题(?:共|满分)?\s*\d+\s*分\s*[)）])\s*"
)


def strip_lead_ins(stem: str) -> tuple[str, bool]:
    """Remove instruction sentences at the start ("Complete this multiple-choice question; of the four
    options only one is correct.", "在每小题给出的四个选项中，只有一项是符合题目要求的。"). (text, changed)."""
    text = stem.lstrip()
    changed = False
    for _ in range(4):
        m = _LEAD_IN_EN.match(text) or _LEAD_IN_ZH.match(text)
        if not m or m.end() >= len(text.rstrip()):
            break
        text, changed = text[m.end():].lstrip(), True
    return text, changed


# the blank a fill-in stem ends with, and the punctuation around it
_END_BLANK = re.compile(
    r"(?:\s*(?:[(（\[]\s*(?:\$\s*\$?|\\q?quad|\\,|\\;|\\ |~|\\text\{\s*\}|\s|　|\$)*[)）\]]\$?"
    r"|\\underline\{[^{}]*\}|\\uline\{[^{}]*\}|(?:\\_){2,}|_{2,}|~+)\s*[.。．,，:：]?)+\s*$"
)
# a Chinese ask that names what it asks: a quantity, a count, a value
_CN_QUANTITY = re.compile(
    r"多少|几|大小|值|数|速度|速率|加速度|时间|长度|距离|位移|路程|高度|深度|质量|重量|面积|体积|周期|频率|波长|比|倍|概率|"
    r"半径|直径|角|度|温度|压强|压力|功率|功|能|动量|冲量|电流|电压|电动势|电阻|电荷|电量|电容|力|张力|系数|常数|密度|浓度|匝|"
    r"单位|数量级|余数|平均|坐标|周长|边长|价|钱|费用|年龄|人数|分数|面值|利润|成本|方程|解析式|表达式|最大|最小|范围|"
    r"种|个数|次数|天数|条数|项|和|积|差|商|焦距|振幅|亮度|效率|热量|内能|功率|强度|通量|磁感应|摩尔|物质的量|pH|产率|转化率|"
    r"率|选法|方法数|交集|并集|补集|解集|通项|模长|体积|表面积|距|高|长|宽|边|半径"
)
# asks about an arrangement, a judgement or an identity: the options define the answer space
_CN_NOT_QUANTITY = re.compile(r"关系|顺序|排列|位置|情况|变化|方向|性质|形状|图象|图像|结论|说法|判断|选项|哪|规律|特点|原因|作用|区别")
_EN_BARE_TAIL = re.compile(
    r"(?:\bthen|\bwe\s+have|\bit\s+follows\s+that|\bwe\s+(?:get|obtain|find)|\bwe\s+can\s+conclude(?:\s+that)?|"
    r"\bone\s+has|\bthus|\bhence|\btherefore|\bmust\s+be|\bholds?|\bis\s+true|\bwhich|\bthat)\s*[,:]?$",
    re.IGNORECASE,
)
_EN_ASKS = re.compile(
    r"\?|\b(?:find|compute|calculate|determine|evaluate|simplify|solve|what|how|which|who|whom|whose|give|express|"
    r"write|convert|name|state|factor|factori[sz]e|expand|identify|work\s+out|figure\s+out|tell|list|count|round|"
    r"reduce|show|prove|estimate|use|let|approximate|decide|get|obtain|add|subtract|multiply|divide|arrange|rank|"
    r"order|fill|choose|complete|place|put|match|select|pick|compare|predict|explain|describe|classify|sort|change|"
    r"rewrite|graph|plot|draw|measure|check|verify|translate)\b"
    r"|=\s*\$*\s*$|_{2,}|(?<![\w\\])_(?![\w{])|\w\s*(?:\.\.\.|…)\s*\w|\\underline|\\uline",
    re.IGNORECASE,
)
# a blank the export lost: two spaces between words ("There are  such primes."), or a space before the
# final full stop ("is at least ．")
_LOST_BLANK_MID = re.compile(r"(?<=[a-z,$])(?: {2,}|　)(?=[a-z$])")
_LOST_BLANK_END = re.compile(r"(?<=[a-z])\s+[．.]\s*$")


def lost_blank(stem: str) -> str | None:
    """The stem with its lost blank written back as `____`, or None when there is none (or several)."""
    text = stem.strip()
    remark = re.search(r"\s*[(（][^()（）]{0,200}[)）]\s*$", text)  # "(The pot can hold 4 eggs.)" after the ask
    tail = text[remark.start():] if remark else ""
    text = text[: remark.start()] if remark else text
    sentences = _sentences(text)
    if not sentences or "?" in sentences[-1] or _END_BLANK.search(text) or _UNDERLINE_BLANK.search(text):
        return None
    last = sentences[-1]
    head = text[: len(text) - len(last)]
    mids = list(_LOST_BLANK_MID.finditer(last))
    if len(mids) == 1:
        m = mids[0]
        return head + last[: m.start()] + " ____ " + last[m.end():] + tail
    if not mids and _LOST_BLANK_END.search(last):
        return head + _LOST_BLANK_END.sub(" ____.", last) + tail
    return None


def _cjk_share(text: str) -> float:
    """Share of Chinese characters among letters outside math (`$\\log_{13} 8$` says nothing about the language)."""
    letters = re.findall(rf"[A-Za-z{_CJK}]", _MATH_SPAN.sub(" ", text)[-200:])  # math out first: a cut span flips $…$
    return (sum(1 for c in letters if "\u4e00" <= c <= "\u9fff") / len(letters)) if letters else 0.0


_TRAILING_BREAK = re.compile(r"(?:\s*(?:\\\\|\\newline\b|\\par\b))+\s*$")


def drop_trailing_breaks(text: str) -> str:
    """`… 则 ($\\qquad$)\\\\` → `… 则 ($\\qquad$)`: a LaTeX line break after the stem is layout, not content."""
    return _TRAILING_BREAK.sub("", text)


def asks_nothing(stem: str) -> bool:
    """The stem gives its setting and stops ("…，则（　）", "…，则一定有", "If a > b, then ( )", "There are
    different ways to …" with the blank lost): without the options there is no question.

    Chinese: the last clause must name what is asked (a quantity: 大小, 速度, 多少, 几, ...), otherwise a
    stem ending in 则 / 是 / 为 / 的 / a blank asks nothing by itself. English: the stem must hold a
    question mark, a blank, an instruction (find, compute, what, how, ...) or end open ("... is").
    """
    text = drop_trailing_breaks(squeeze_cjk(stem).strip())
    if not text:
        return True
    body = _END_BLANK.sub("", text).rstrip(" .。．,，:：;；")
    if _cjk_share(text) >= 0.3:
        if re.search(r"[?？]\s*$", body):
            return False
        ask = re.split(r"[，,。；;：:！!]", body)[-1].strip()
        ask = re.sub(r"[(（][^()（）]*[)）]\s*$", "", ask).strip()  # trailing remark "(不计空气阻力)"
        if not ask:
            return True
        if re.search(r"多少|几|求|计算|估算|是否|共有|至少|至多|最少|最多|=\s*\$?$", ask):  # "则 $a_5=$（ ）" asks a value
            return False
        if re.search(r"(?:一定有|必有|则|那么|因此|所以|故|可知|可得)$", ask):
            return True
        # what is asked is the noun right before the verb ("…交点的横坐标之和等于": 之和), not nouns earlier
        verb = re.search(r"(?:等于|约为|应为|变为|分别为|分别是|分别|是|为|有)$", ask)
        subject = ask[: verb.start()] if verb else ask
        head = re.sub(r"\$[^$]*\$", "X", subject)[-6:]
        if _CN_NOT_QUANTITY.search(head[-4:]):
            return True  # "…的大小关系是", "…的图象是": an arrangement or an identity among the options
        if _CN_QUANTITY.search(head) or (verb and re.search(r"\$|\d|[=+\-*/^]", subject[-12:])):
            return False  # "…的速度为", "$\\sqrt{16}$ 等于"
        return True  # "满足条件的点在（ ）", "组合体运行的": nothing named
    last = _sentences(body)[-1] if _sentences(body) else body
    if _EN_BARE_TAIL.search(last) and _END_BLANK.search(text) and not re.search(r"=\s*\$*\s*$", last):
        return True
    if not re.search(r"[.．。!]\s*$", text) or _END_BLANK.search(text) or _EN_ASKS.search(body) or _ENDS_BROKEN.search(body):
        return False  # a fragment to complete ("... has length", "... is．"), a blank, or an instruction / question
    if not re.search(r"[A-Za-z]{2,}", _MATH_SPAN.sub(" ", body).replace("$$", " ")):
        return False  # only mathematics: its value is asked
    return lost_blank(text) is None


_WHICH_NOUN = re.compile(
    r"\b(?:which|what)\s+(?!is\b|are\b|was\b|were\b|will\b|does\b|do\b|did\b|can\b|could\b|would\b|should\b|"
    r"must\b|of\b|if\b|has\b|have\b|number\b|value\b|percent(?:age)?\b|fraction\b|amount\b|time\b|sum\b|"
    r"product\b|total\b|distance\b|length\b|area\b|volume\b|speed\b|rate\b|price\b|cost\b|age\b|"
    r"angle\b|ratio\b|probability\b|remainder\b|digit\b|integer\b|year\b|day\b|date\b|size\b|weight\b|"
    r"height\b|width\b|radius\b|perimeter\b|degree\b|power\b|force\b|energy\b|mass\b|temperature\b|"
    r"pressure\b|charge\b|current\b|voltage\b|frequency\b|wavelength\b|period\b|score\b|grade\b|place\b|"
    r"position\b|term\b|units?\b)[A-Za-z]+",
    re.IGNORECASE,
)
_FORM_ANSWER = re.compile(r"(?<![A-Za-z\\])[A-Za-z](?![A-Za-z])|=|[<>≤≥]|\\(?:le|ge|leq|geq|neq)\b|\d\s*(?:[-+*/×÷]|\\times|\\div|\\cdot)\s*[\d(\\]")


def open_which(stem: str, answer: str) -> bool:
    """"Which quadratic equation has no real solutions?", "Which calculation has the greatest value?":
    a "which/what <thing>" question whose answer is a form (an expression, equation, calculation) is an
    identification among the options: other forms can be just as right without them."""
    qs = question_sentence(squeeze_cjk(stem))
    if re.search(r"\bwhich\b", qs, re.IGNORECASE) and re.fullmatch(r"\s*\\?[A-Za-z](?:_\{?\w+\}?)?\s*|\s*\\(?:ell|alpha|beta|gamma|theta|lambda|mu|pi|rho|sigma)\s*", answer):
        return True  # "which of the factors would change?" → "K": the options name the candidates
    if not _WHICH_NOUN.search(qs):
        return False
    value = re.sub(r"\\(?:sqrt|frac|dfrac|pi|left|right|times|cdot|div|circ|text|mathrm)\b", " ", answer)
    return bool(_FORM_ANSWER.search(value))


_NAME_ANSWER = re.compile(r"^\s*\\?(?:mathrm\{)?[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?\}?\s*\(\s*[^()]{0,12}\)\s*$")


def is_quantity_name(value: str) -> bool:
    """`R(0)`, `f(2)`, `P_{1}(t)`: the answer names a quantity instead of giving its value."""
    return bool(_NAME_ANSWER.match(value))


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
_PAREN_BLANK = re.compile(r"[(（\[]\s*(?:\\q?quad|\\,|\\;|\\ |~|\\text\{\s*\}|\s|　|\$)*[)）\]]\$?")
_UNDERLINE_BLANK = re.compile(r"\\underline\{\s*(?:\\q?quad|\\hspace\{[^}]*\}|~|\\ |\s)*\}|(?:\\_){2,}|_{2,}")
_COLON_LEAD = re.compile(
    r"^(?P<subj>(?:the|its|his|her|their)\s+.+?)\s+(?P<verb>is|are|was|were)\s*(?:equal\s+to\s*)?[:：]\s*$",
    re.IGNORECASE | re.DOTALL,
)
_ENDS_OPEN = re.compile(r"(?:\b(?:is|are|was|were|be|equals?|to|of|by|the|a|an|as|than|from|and|or|in|at|for|with|"
                        r"has|have|had|becomes?|gives?|yields?|approximately|about|will|would|by|if|iff|when|that|"
                        r"because|whether|called|named|termed|into|on|its|their|his|her)\b|=|≈|[,:：])\s*$",
                        re.IGNORECASE)


# words no finished English sentence ends with: "… is." / "… divisible by." lost the blank before the stop
# ("… than I will." is a finished sentence: will/has/was are not here)
_ENDS_BROKEN = re.compile(r"\b(?:is|are|be|equals?|to|of|by|the|a|an|as|than|from|in|at|for|with|becomes?|into|its|their|"
                          r"his|her|because|whether|called|named|and|or|if|iff)\s*$", re.IGNORECASE)


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
    lead, had_lead = strip_lead_ins(drop_trailing_breaks(squeeze_cjk(stem)))
    text, rules = strip_instructions(lead)
    if had_lead:
        rules = ["lead_in"] + rules
    new = _sub_tail(_FROM_FOLLOWING, text)
    if new != text:
        text, rules = new.rstrip(), rules + ["from_following"]
    which = which_is_the(text)
    if which is not None:
        text, rules = which, rules + ["which_is_the"]
    restored = lost_blank(text)
    if restored is not None:
        text, rules = restored, rules + ["lost_blank"]
        return text, "+".join(rules)
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
    unstopped = re.sub(r"(?<=[A-Za-z])\s*[.．。]\s*$", "", text)
    if _ENDS_OPEN.search(last):  # "... secreted by the", "... =": the stem stops where the answer goes
        return f"{text.rstrip()} ____.", "+".join(rules + ["completion_blank"])
    if _ENDS_BROKEN.search(unstopped):  # "... is．", "... divisible by．": no sentence ends so, the blank was lost
        return f"{unstopped.rstrip()} ____.", "+".join(rules + ["completion_blank"])
    if re.search(r"(?:为|是|等于|有)\s*[.。．]?\s*$", text) and _cjk_share(text) >= 0.3:
        return re.sub(r"\s*[.。．]?\s*$", "", text) + "____。", "+".join(rules + ["completion_blank"])
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
    r"|T|mT|nm|μm|um|MHz|GHz|kHz|ms|μs|ns|kV|mV|MeV|keV|GeV|kcal|cal|mmHg|torr|L|mL|M|mM|C|mC|μC|nC|pF|μF|nF|mH"
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



# "$4$ lbs", "$$$6$$" (a dollar amount inside display-math delimiters): the number comes out of its
# math span so the unit rules below can read it
_MATH_NUMBER_UNIT = re.compile(rf"^\$\$?\s*(?P<num>{_NUM}|\\[dt]?frac\{{\d+\}}\{{\d+\}})\s*\$\$?\s*(?P<rest>[^$]*)$")
_FRAC_UNIT = re.compile(r"^\\[dt]?frac\{(?P<a>\d+)\}\{(?P<b>\d+)\}\s+(?P<unit>[A-Za-z]{1,12}(?:\s*/\s*[A-Za-z]+)?)\.?$")
_DOLLAR_IN_MATH = re.compile(rf"^\$\$\s*(?:\\?\$)\s*(?P<num>{_NUM})\s*\$\$$")


def _math_number_then_unit(t: str) -> str:
    m = _DOLLAR_IN_MATH.match(t)
    if m:
        return f"${m.group('num').strip()}"
    m = _MATH_NUMBER_UNIT.match(t)
    if m and m.group("rest").strip():
        return f"{m.group('num').strip()} {m.group('rest').strip()}"
    return t


_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}


def _number_word(t: str) -> str | None:
    """"Zero", "twelve" as the whole option: the number it names."""
    return _NUMBER_WORDS.get(t.strip().rstrip(".").lower())


# a Chinese measure word or unit after a number: 名 (people), 种 (kinds), 个, 倍, 元, 米, 平方米 ...; not
# words that qualify the number (左右 "about", 以上 "or more", 或 "or")
_CJK_MEASURE = re.compile(
    rf"^(?P<num>{_NUM})\s*(?P<unit>(?![\u4e00-\u9fff]*(?:左右|以上|以下|以内|多|余|或|和|至|到|约))[\u4e00-\u9fff]{{1,3}})\.?$"
)

# "30 \mathrm{~kg} \cdot \mathrm{m} / \mathrm{s}", "200 \mathrm{~N} / \mathrm{m}", "10 \mathrm{~V}"
_LATEX_UNIT_PART = r"(?:\\mathrm\{[^{}]{1,12}\}|\\text\{[^{}]{1,12}\}|\\(?:cdot|mu|Omega|circ)\b|[/·^{}\-\d\s~]|\\,)"
_LATEX_UNIT_TAIL = re.compile(rf"^(?P<num>{_NUM})\s*(?P<unit>(?:\\mathrm|\\text)\{{[^{{}}]+\}}{_LATEX_UNIT_PART}*)$")
_VALUE_THEN_LATEX_UNIT = re.compile(
    rf"^(?P<value>[^$]*?[\d}}])\s+(?P<unit>\\mathrm\{{\s*~?\s*[A-Za-zμΩ][^{{}}]{{0,10}}\}}{_LATEX_UNIT_PART}*)$"
)
_SCI_LATEX = re.compile(
    rf"^(?:(?P<num>{_NUM})\s*\\times\s*)?10\s*\^\s*\{{?\s*(?P<exp>[-+−–]?\s*\d+)\s*\}}?"
    rf"\s*(?P<unit>(?:\\mathrm|\\text)\{{[^{{}}]+\}}{_LATEX_UNIT_PART}*)?$"
)


def _latex_unit(tex: str) -> str | None:
    """`\\mathrm{~kg} \\cdot \\mathrm{m} / \\mathrm{s}` → `kg·m/s`; None when it is not a unit."""
    u = re.sub(r"\\(?:mathrm|text)\{\s*~?\s*([^{}]*)\}", r"\1", tex)
    u = u.replace("\\cdot", "·").replace("\\mu", "μ").replace("\\Omega", "Ω").replace("\\circ", "°").replace("\\,", "")
    u = re.sub(r"\^\{\s*([-\d]+)\s*\}", r"^\1", u)
    u = re.sub(r"[\s~]+", "", u)
    if not u or not re.fullmatch(r"[A-Za-zμΩ°][A-Za-zμΩ°·/^\-\d]*", u) or len(u) > 16 or u in ("i", "e"):
        return None  # the imaginary unit and e are numbers, not units
    return u

def _strip_math_delims(t: str) -> str:
    for pat in (r"^\$\$(.*)\$\$$", r"^\$(.*)\$$", r"^\\\((.*)\\\)$", r"^\\\[(.*)\\\]$"):
        m = re.match(pat, t, re.DOTALL)
        if m and "$" not in m.group(1).replace("\\$", ""):  # "$\\$ 150$": an escaped dollar inside is fine
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
    t = re.sub(r"\\textbackslash\s*(?=\\%)", "", t)  # an export's spelling of \%: "25\textbackslash\%"
    t = _strip_math_delims(t)
    t = re.sub(r"^(?:\\q?quad|\\[,;:! ]|\\displaystyle|~)+\s*|\s*(?:\\q?quad|\\[,;:! ]|~)+$", "", t).strip()
    t = _math_number_then_unit(t)
    if t.count("$") >= 4:  # "$2$ 或 $3$": numbers each in their own math span
        t = re.sub(rf"\$\s*({_NUM})\s*\$", r"\1", t)
    unit = None
    words = _number_word(t)
    if words is not None:
        return words, None
    m = re.match(r"^([A-Za-z])\s*=\s*(?!.*=)(.+)$", t)
    if m:
        t = m.group(2).strip()
    m = _SCI.match(t)
    if m:
        exp = m.group("exp").replace("−", "-").replace("–", "-")
        value = f"{_clean_number(m.group('num'))} \\times 10^{{{exp}}}"
        u = (m.group("unit") or "").strip() or None
        return value, u
    m = _SCI_LATEX.match(t)
    if m:  # "1.68 \times 10^{-4} \mathrm{~m}"
        exp = m.group("exp").replace("−", "-").replace("–", "-")
        unit = _latex_unit(m.group("unit")) if m.group("unit") else None
        if m.group("unit") is None or unit:
            power = "10^{" + _WS.sub("", exp) + "}"
            return (f"{_clean_number(m.group('num'))} \\times {power}" if m.group("num") else power), unit
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
    m = re.fullmatch(rf"(-)?(\d+)\s+(\d+)\s*[/⁄]\s*(\d+)(?:\s*(?P<unit>{_KNOWN_UNITS}))?\.?", t, re.IGNORECASE)
    if m and int(m.group(4)) > 0:  # mixed number 12 1/2 → 25/2 (a unit may follow: "4 1/3 km/h")
        whole, num, den = int(m.group(2)), int(m.group(3)), int(m.group(4))
        return f"{m.group(1) or ''}{whole * den + num}/{den}", (_WS.sub(" ", m.group("unit")) if m.group("unit") else None)
    m = _FRAC_UNIT.match(t)
    if m and (_UNIT_WORD.match(m.group("unit")) or not _NOT_UNITS.match(m.group("unit"))):  # "\dfrac{4}{3} grams"
        return f"\\frac{{{m.group('a')}}}{{{m.group('b')}}}", m.group("unit")
    m = _CJK_MEASURE.match(t)
    if m:  # "18 名", "240 种", "3 倍": a Chinese measure word or unit after a number
        return _clean_number(m.group("num")), m.group("unit")
    m = _LATEX_UNIT_TAIL.match(t)
    if m:  # "30 \mathrm{~kg} \cdot \mathrm{m} / \mathrm{s}" → ("30", "kg·m/s")
        unit = _latex_unit(m.group("unit"))
        if unit:
            return _clean_number(m.group("num")), unit
    m = _VALUE_THEN_LATEX_UNIT.match(t)
    # "5 \sqrt{2} \mathrm{~V}" → ("5 \sqrt{2}", "V"); not "1-2 \mathrm{i}" (a unit belongs to one quantity)
    if m and re.search(r"\d", m.group("value")) and not re.search(r"(?<=.)[-+]", m.group("value").strip()):
        unit = _latex_unit(m.group("unit"))
        if unit:
            return m.group("value").strip(), unit
    m = re.fullmatch(rf"(?P<a>{_NUM})\s*(?:或|or|and|和|、)\s*(?P<b>{_NUM})", t)
    if m:  # "2 或 3", "31 and 41": two values asked together
        return f"{_clean_number(m.group('a'))}, {_clean_number(m.group('b'))}", None
    # roman-typeset variables ("3 \mathrm{qR}", "\mathrm{E}_{1}" in OCR'd exams) are plain variables
    t = re.sub(r"\\mathrm\{\s*~?\s*([A-Za-z]{1,3})\s*\}", r"\1", t)
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


def rounds_another(value: str, values: list[str]) -> bool:
    """The correct value is a rounding of another option (`3.14` next to `3.1416`): the options fix the
    precision. An exact correct value next to roundings of it (`0.875` next to `0.88`) is fine."""
    x = numeric_value(value)
    if x is None or not re.fullmatch(r"-?\d+(?:\.\d+)?", value.strip()):
        return False
    d = decimals(value)
    if d == 0:  # an integer answer is not "a rounding" of 3.9 next to it
        return False
    for other in values:
        y = numeric_value(other)
        if y is None or other.strip() == value.strip() or not re.fullmatch(r"-?\d+(?:\.\d+)?", other.strip()):
            continue
        if decimals(other) > d and round(y, d) == x:
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
    """A one-letter "unit" that the stem uses as a variable (`flow speed V`), not after a number.

    Not a variable when the stem itself writes it after a number or after "sq"/"square"/"per"
    ("150 sq m", "1m more"), or only as a possessive ("sphere's").
    """
    if len(unit) != 1 or not unit.isascii() or not unit.isalpha() or unit in "AaI":
        return False
    if re.search(rf"(?:\d\$*|\b(?:sq|square|cu|cubic|per))\.?\s*(?:\\(?:text|mathrm)\{{\s*~?\s*)?{re.escape(unit)}(?![A-Za-z])", stem):
        return False
    hits = list(re.finditer(rf"(?<![A-Za-z\\/^'’]){re.escape(unit)}(?![A-Za-z/^])", stem))
    return any(not re.search(r"\d\s*$", stem[: h.start()]) for h in hits)


def times_variable(value: str, var: str) -> str:
    """`4/3` × `V` → `\\frac{4}{3}V`; `2` × `V` → `2V`."""
    m = re.fullmatch(r"(-?)(\d+)\s*/\s*(\d+)", value)
    if m:
        return f"{m.group(1)}\\frac{{{m.group(2)}}}{{{m.group(3)}}}{var}"
    return f"{value}{var}" if re.fullmatch(r"-?\d+(?:\.\d+)?", value) else f"({value}){var}"


def unit_hint(question: str, unit: str | None, *, force: bool = False) -> str:
    """Append "Give your answer in minutes." when the answer's unit is nowhere in the question.

    Not for currencies (the question shows $ or Rs.), degrees, or units the question already names;
    `force` (options in several units) adds it for currencies and degrees too.
    """
    if not unit:
        return question
    if not force and (unit in _CURRENCY_CODES or unit.startswith("°") or unit.lower().startswith("degree")):
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


_ASKED_UNIT = re.compile(r"\bhow\s+many\s+([A-Za-z]+(?:\s*/\s*[A-Za-z]+)?)|\bin\s+([A-Za-z]+)\s*\?\s*$|\(\s*in\s+([A-Za-z]+)\s*\)", re.IGNORECASE)
_UNIT_WORD = re.compile(rf"^(?:{_KNOWN_UNITS})$", re.IGNORECASE)


def asked_unit_conflict(stem: str, unit: str | None) -> bool:
    """"How many hours …?" answered by "21 min": the question asks in one unit, the option is in another."""
    if not unit:
        return False
    m = _ASKED_UNIT.search(question_sentence(stem))
    if not m:
        return False
    asked = next(g for g in m.groups() if g)
    if not _UNIT_WORD.match(asked):
        return False
    a, u = unit_key(asked), unit_key(unit)
    return a != u and u not in _UNIT_NAMES.get(a, ()) and a not in _UNIT_NAMES.get(u, ()) \
        and not any(unit_key(x) == u for x in _UNIT_NAMES.get(a, ()))


_CLOCK = re.compile(r"\b\d{1,2}\s*:\s*\d{2}(?:\s*:\s*\d{2})?\s*\$*\s*(?:[AaPp]\.?\s*[Mm]\b\.?|o'?clock)")
_ASKS_TIME = re.compile(r"\b(?:what|which)\s+time\b|\bat\s+what\s+time\b|\bwhen\b|几点|时刻", re.IGNORECASE)


def is_clock_time(value: str, stem: str) -> bool:
    """`10:25 PM`, or `13:56` asked by "at what time": a time of day, not a number the verifier can check."""
    if _CLOCK.search(value):
        return True
    return bool(re.fullmatch(r"\$*\s*\d{1,2}\s*:\s*\d{2}\s*\$*", value.strip())) and bool(_ASKS_TIME.search(question_sentence(stem)))


_FORM_ONLY = re.compile(
    r"\b(?:simplest|lowest|simplified|reduced|standard|expanded|scientific)\s+(?:form|terms|notation)\s+(?:of|for)\b"
    r"|^\s*(?:simplify|reduce)\b|\bwritten\s+in\s+(?:simplest|lowest)\b|最简|化简",
    re.IGNORECASE,
)


# a single number written in some form: "3\\dfrac{8}{12}", "\\frac{6}{8}", "18/24", "\\sqrt{50}", "0.75"
_NUMBER_FORM = re.compile(
    r"^\s*-?\s*(?:\d+\s*)?(?:\\[dt]?frac\s*\{\s*\d+\s*\}\s*\{\s*\d+\s*\}|\d+\s*/\s*\d+)\s*$|^\s*\d*\s*\\sqrt\s*\{\s*\d+\s*\}\s*$"
)


def asks_for_a_form(stem: str) -> bool:
    """"What is the simplest form of 3 8/12?", "Simplify 6/8.": a single number is given and a way of writing
    it is asked; the verifier accepts every equal value, so the fill-in item would reward the input itself.
    ("Simplify 25 × 4 + 3" asks for a computation and is not caught.)"""
    qs = question_sentence(stem)
    m = _FORM_ONLY.search(qs)
    if not m:
        return False
    spans = re.findall(r"\$+([^$]+)\$+", qs[m.start():]) or re.findall(r"(\d+\s*/\s*\d+|\d+\s+\d+\s*/\s*\d+)", qs[m.start():])
    return bool(spans) and bool(_NUMBER_FORM.match(spans[0].replace("~", " ")))
