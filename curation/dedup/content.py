"""Same problem or a template variant: the mathematical content of two near-duplicate texts must agree.

Two questions can share almost all their character 5-grams and still be different problems: other
numbers ("x^2+25x+c" vs "x^2+100x+c"), another variable or point ("find $d$" vs "find $a$", "angle
GAC" vs "angle HAC"), another asked quantity ("length" vs "area") or another word that changes the
mathematics ("exactly" vs "at most", "distinguishable" vs "indistinguishable", "girls" vs "boys").
A near-duplicate pair (LSH + exact Jaccard) is the *same problem* only when, on the normalized texts
(`curation.dedup.normalize`):

1. the numbers agree as a multiset (`number_key`; thousands separators and leading / trailing zeros
   normalized: `1,000` = `1{,}000` = `1000`, `3.50` = `3.5`, `007` = `7`); this is also folded into
   the LSH bucket key, so problems with other numbers are never even compared (a cheap filter that
   keeps the candidate work linear on template-heavy corpora); and
2. the *significant tokens* agree as a sequence (`significant_tokens`): every token inside
   math (`$...$`) and, in prose, numbers, operators and every word except a short list
   of function words and question phrasings ("the", "of", "find", "compute", "what", "value", ...,
   `FILLER_WORDS`), in order; a word may differ from the word at the same place by one edit (a typo,
   words of 5+ letters: "ensure"/"ensue") or by a suffix ("electric"/"electrical"). Order matters: "2n is a square and 3n a cube" and "3n is
   a square and 2n a cube", "balls not distinguishable but boxes are" and "balls distinguishable
   but boxes are not" are different problems with the same tokens.

What stays a duplicate (recall): LaTeX spacing and `\\dfrac`/`\\frac` (normalization), punctuation and
whitespace, `$` delimiters and braces (`x^{2}` = `x^2`), rewording that only changes function
words or question phrasing ("What is the value of $x$?" / "Find $x$."), typos, an operator or comma
next to an ellipsis (`+ \\cdots +` = `\\cdots`), an operator name as a command or as letters
(`\\gcd` = `\\text{gcd}`), a literal backslash-n, one phrase said two ways ("the real number line" =
"the number line", "which one of" = "which of", "identical" = "the same"), a unit word after a number
and its symbol ("10 grams" = "10 g", "45 minutes" = "45 min"), `\\textquotesingle` = `'`, `24 x 60` =
`24 \\times 60`, an answer blank (`\\uline{~~~}`, `____`), a hyphen between prose words
("two-thirds"), the plural of a 4-letter word ("test" / "tests", not "root" / "roots"), an example
sentence ("For example, $9$ is a perfect square ...": left out, numbers too), OCR typos in Chinese text (a few characters per text, never one of
`CJK_SIGNIFICANT`: "不", "错误", "正确", numerals ...), and, for texts of 8+ significant tokens with the
same numbers: one redundant extra prose word in one copy (a word said 2+ times and left out every
time: a unit "cents"; or a repetition the other copy keeps elsewhere: "the sound you hear" / "its
sound") unless it is a variable or a word in `SIGNIFICANT_WORDS` ("real", "positive", "distinct",
"integer", "prime", "not", ...), one two-word phrase the other copy repeats, left out ("Lucy's walk
takes 10 minutes, Maria's [walk takes] 15"), a copy cut off in the middle of its first or last word
with every number kept, and a condition clause said before or after the question ("If ..., how
many ...?" / "How many ..., if ...?").
With the original texts (`same_problem_pairs(originals=)`; the stage passes them, rows of a persisted
index have none): a person renamed consistently (`person_names`: capitalized prose words shown to be
names; every occurrence renamed, one to one: "Josie ... she" / "Amanda ... she"). Lowercase nouns
("boys" / "girls"), days, months and planets are never names.
Multiple choice (`normalize.dedup_question`): a row still in multiple-choice form carries its options;
one stem with other options is another item, the same options in any order (up to typos) the same
item, and a free-response row with the same stem the same problem.
What is rejected although it may be the same problem: a content-word synonym ("binomials" /
"polynomials", "on both draws" / "for both time"), a multi-word name ("Elvis" / "Bruno Mars"), other
extra words or clauses, statements in another order. The rule is deliberately strict: a wrong merge loses a training problem
silently, a missed merge keeps one extra near-copy.

The answer-confirmed tier (`answer_confirmed`, at the end of this module; `[dedup] answer_confirmed`)
recovers such rewordings from a second signal: the same math, token for token, and equivalent,
informative reference answers. The stage records which rule linked a duplicate (`same_problem_by`).
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import polars as pl

from curation.dedup.normalize import OPTION_MARK, OPTIONS_MARK, stable_hashes, stem_expr

#: function words, question phrasings and solving instructions that never change which problem is asked
FILLER_WORDS = frozenset(
    """an the of to in on for and is are be was were been being it its this that these those there
    their his her he she they them we our you your my me as by with from into onto
    what which who whom whose find compute determine calculate evaluate give state show write enter
    express answer value values result please then thus so also just let suppose given if
    do does did can could would should will shall may might must has have had
    show work step steps reasoning explain carefully briefly respectively""".split()
)

_THOUSANDS = r"(\d)(?:\{,\}|,)(\d{3})\b"
# where a problem comes from, not what it asks: "(2013 AMC 8 Problem, Question #14)", "(adapted from 2006
# Math Kangaroo, Level 1-2)". A parenthesis that opens with a year and names a contest or a problem number.
# Its numbers are not the problem's numbers (they are left out of the number key too).
# The year may follow a space, "adapted (from)", "US" or "$$" (TAL writes "( 2014 AMC 10B ...)",
# "(adapted 2019 AMC 8 ...)", "($$2012$$ AMC $$8$$ ...)", "(US $$1998$$ Math kangaroo ...)").
_CITATION = (
    r"\(\s*(?:adapted\s*(?:from)?\s*|usa?\s+)?\$*\s*(?:19|20)\d\d\s*\$*[^()]{0,100}?"
    r"\b(?:amc|aime|kangaroo|mathcounts|olympiad|contest|competition|problems?|questions?)\b[^()]{0,100}\)"
)
# an example sentence illustrates a definition, it does not pose the problem ("For example, $9$ is a
# perfect square since $9 = 3 \\times 3$."): left out of the tokens and of the number key, so a copy
# with and without it can share an LSH bucket. The sentence ends at a full stop or "!" that is not a
# decimal point; one that ends with "?" asks something and stays.
# (Written without look-around, which polars' regex lacks: the character after the full stop is kept
# by the replacement `_EXAMPLE_KEEP`.)
_EXAMPLE = r"\bfor (?:example|instance)\b[^.?!]*(?:\.\d[^.?!]*)*(?:\.(\D|$)|!)"
_EXAMPLE_KEEP = " ${1}"
_CHUNK = 100_000
_NUMBER = r"\d+(?:\.\d+)?"
# a CJK character is a word of its own (Chinese has no spaces): without it a Chinese stem has no
# prose tokens at all, and "下列叙述错误的是" (which is wrong) = "下列叙述正确的是" (which is right)
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"\d+(?:\.\d+)?|[a-z]+|[{_CJK}]|\\[a-z]+|[^\w\s$\\{{}}]")
# sentence punctuation and quotes (ASCII, typographic, CJK): not content, also inside math (`$x=1.$`)
_PUNCTUATION = frozenset(".,;:?!'\"`‘’“”。、《》「」『』【】")


def _canonical_number(s: str) -> str:
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.lstrip("0") or "0"


def number_key_expr(norm: pl.Expr) -> pl.Expr:
    """The sorted multiset of canonical numbers of a normalized text, joined with `,` (a string)."""
    e = stem_expr(norm).str.replace_all(_CITATION, " ").str.replace_all(_EXAMPLE, _EXAMPLE_KEEP).str.replace_all(_THOUSANDS, "$1$2").str.replace_all(_THOUSANDS, "$1$2")
    e = e.str.replace_all(r"\\frac\s*(\d)\s*(\d)", "\\frac{$1}{$2}")
    nums = e.str.extract_all(_NUMBER).list.eval(
        pl.element()
        .str.replace(r"^(\d+\.\d*?)0+$", "$1")
        .str.replace(r"\.$", "")
        .str.replace(r"^0+(\d)", "$1")
    )
    return nums.list.sort().list.join(",")


def number_keys(norm: pl.Series) -> np.ndarray:
    """Stable 64-bit hash of each text's number multiset (`number_key_expr`), uint64."""
    texts = norm.cast(pl.Utf8).fill_null("")
    # in chunks: the intermediate list column of a million texts costs gigabytes at once
    keys = pl.concat(
        [pl.select(number_key_expr(pl.lit(texts.slice(i, _CHUNK)))).to_series() for i in range(0, max(len(texts), 1), _CHUNK)]
    ) if len(texts) else pl.Series([], dtype=pl.Utf8)
    uniq = keys.unique(maintain_order=True)
    codes = pl.DataFrame({"k": uniq, "h": pl.Series(stable_hashes(uniq.to_list()), dtype=pl.UInt64)})
    return pl.DataFrame({"k": keys}).join(codes, on="k", how="left", maintain_order="left")["h"].to_numpy()


_FORMAT_SENTENCE = re.compile(r"(?:^|(?<=[.?!]))\s*\(?express (?:your|the) answer[^.?!$]*(?:\$[^$]*\$[^.?!$]*)*[.?!]?\)?")
# an ellipsis with the operators or commas around it (`+ \cdots +`, `, \ldots,`, `\cdots`): copies
# often drop the operator next to the dots, which says nothing new ("a_4x^4 \cdots + a_{22}x^{22}")
_DOTS = re.compile(r"(?:\s*(?:[+,]|\\cdot\b))?\s*(?:(?:\\cdot\s*){3}|\\[lc]?dots\b|\.\.\.|…)(?:\s*(?:[+,]|\\cdot\b(?!s)))?")
# the same phrase said two ways: "the real number line" is "the number line"; "which one of" is
# "which of"; "are identical" is "are the same"; `\textquotesingle` is an apostrophe (TeX for `'`);
# `24 x 60` and `24 × 60` are `24 \times 60` (an `x` between two numbers is a times sign, not a variable)
_SAME_PHRASE = (
    (re.compile(r"\breal number line\b"), "number line"),
    (re.compile(r"\bwhich one of\b"), "which of"),
    (re.compile(r"\bidentical\b"), "the same"),
    (re.compile(r"\\textquote(?:single|dbl)\b\s?"), "'"),
    (re.compile(r"(?<=\d)\s*(?:x|×)\s*(?=\d)"), r" \\times "),
)
#: a unit written out after a number is its symbol ("10 grams" = "10 g"); British and American
#: spellings are one word already (one edit apart)
UNIT_SYMBOLS = {
    "gram": "g", "grams": "g", "kilogram": "kg", "kilograms": "kg", "milligram": "mg", "milligrams": "mg",
    "meter": "m", "meters": "m", "metre": "m", "metres": "m", "kilometer": "km", "kilometers": "km",
    "kilometre": "km", "kilometres": "km", "centimeter": "cm", "centimeters": "cm", "centimetre": "cm",
    "centimetres": "cm", "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
    "liter": "l", "liters": "l", "litre": "l", "litres": "l", "milliliter": "ml", "milliliters": "ml",
    "millilitre": "ml", "millilitres": "ml", "minute": "min", "minutes": "min", "mins": "min",
    "hour": "h", "hours": "h", "hr": "h", "hrs": "h", "seconds": "s", "sec": "s", "secs": "s",
}
_UNIT_SYMBOL_SET = frozenset(UNIT_SYMBOLS.values())
# an operator name typed as a command or as plain letters (`\gcd` = `\text{gcd}` = `gcd`)
_OPERATOR_NAME = re.compile(r"\\(sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|log|ln|exp|gcd|lcm|max|min|det|lim|mod|bmod)\b")
# a literal backslash-n (a newline escaped twice in the source file), not a LaTeX command such as `\neq`
_LITERAL_NEWLINE = re.compile(
    r"\\n(?!(?:e|eq|eg|u|abla|ot|i|otin|ewline|mid|exists|leq|geq|less|gtr|sim|cong|parallel|subseteq|supseteq|"
    r"leftarrow|rightarrow|olimits|atural|earrow|warrow|prec|succ|vdash|triangleleft|triangleright)\b)"
)
_SHORT_FRAC = re.compile(r"\\frac\s*(\d|[a-z])\s*(\d|[a-z])")
_ARTICLE_A = re.compile(r"\ba (?=[a-z]{2})")
# an answer blank, drawn or not ("has a remainder of \\uline{~~~~}." / "has a remainder of."): `\\uline{}`,
# `\\underline{\\hspace{1cm}}`, `____`
_BLANK = re.compile(r"\\(?:uline|underline)\{(?:\s|\\hspace\{[^{}]*\}|\\q?quad)*\}|(?:\\?_){3,}")
# a hyphen between two prose words ("two-thirds" = "two thirds"); in math it is a minus sign
_PROSE_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
# LaTeX layout that does not change the mathematics: environments, alignment, line breaks, text mode
_LAYOUT = re.compile(r"\\(?:begin|end)\{[a-z*]+\}|&|\\\\|\\(?:text|textbf|textit|emph|mathrm|mathbf|operatorname|mbox)\b")


def _canonical_layout(norm: str) -> str:
    """Spellings that do not change the problem, made equal before tokens or numbers are read:
    thousands separators, `\\frac13` = `\\frac{1}{3}`, `\\cdots` = `\\ldots` = `...`, LaTeX layout
    (`\\begin{align}`, `&`, `\\\\`, `\\text{lcm}` = `lcm`), the article "a"
    (but not the variable: `(a,b)`, `a+b`), and answer-format sentences ("Express your answer as a
    common fraction.") that say how to write the answer, not what to compute."""
    text = re.sub(_CITATION, " ", norm) if "(" in norm else norm
    if "for " in text:
        text = re.sub(_EXAMPLE, r" \1", text)
    text = re.sub(_THOUSANDS, r"\1\2", text)
    if "\\n" in text:
        text = _LITERAL_NEWLINE.sub(" ", text)
    for phrase, canonical in _SAME_PHRASE:
        text = phrase.sub(canonical, text)
    text = _OPERATOR_NAME.sub(r"\1", text)
    text = _SHORT_FRAC.sub(r"\\frac{\1}{\2}", text)
    text = _DOTS.sub(r" \\dots ", text)
    text = _FORMAT_SENTENCE.sub(" ", text)
    text = _LAYOUT.sub(" ", text)
    text = _BLANK.sub(" ", text)
    # the article becomes a function word (not nothing), so a word put in its place is seen as a replacement
    return _ARTICLE_A.sub("the ", text)


def _tokens_and_kinds(norm: str) -> tuple[list[str], list[str], list[int], frozenset]:
    """`significant_tokens`, and every token with function words kept (`_one_extra_word` needs to see
    where a word was *added* and where it *replaced* another) with its kind: `_MATH` (numbers,
    operators, tokens in math), `_WORD` (a prose word that counts), `_FILLER` (a `FILLER_WORDS` word)."""
    text = _canonical_layout(norm)
    out: list[str] = []
    full: list[str] = []
    kinds: list[int] = []
    clause_starts = {0}  # positions in `full` where a clause starts (after `,` `.` `;` `:` `?` `!` in prose)
    # segments alternate prose / math (normalization turns every math delimiter into `$`)
    for k, segment in enumerate(text.split("$")):
        in_math = k % 2 == 1
        if not in_math and "-" in segment:
            segment = _PROSE_HYPHEN.sub(" ", segment)
        elif in_math and segment.strip() == "-":  # "five$-$digit": a dash typed in math, a hyphen all the same
            continue
        for tok in _TOKEN.findall(segment):
            if tok[0].isdigit():
                tok, kind = _canonical_number(tok), _MATH
            elif (tok in UNIT_SYMBOLS or tok in _UNIT_SYMBOL_SET) and full and full[-1][0].isdigit():
                tok, kind = UNIT_SYMBOLS.get(tok, tok), _MATH  # "10 grams" = "10 g"
            elif tok.isalpha():
                kind = _MATH if in_math else (_FILLER if tok in FILLER_WORDS else _WORD)
            elif tok not in _PUNCTUATION:
                kind = _MATH
            else:
                if not in_math and tok in ",.;:?!":
                    clause_starts.add(len(full))
                continue
            full.append(tok)
            kinds.append(kind)
            if kind != _FILLER:
                out.append(tok)
    return out, full, kinds, frozenset(clause_starts)


def significant_tokens(norm: str) -> list[str]:
    """The sequence of the tokens of a normalized text that change the problem (see module docstring)."""
    return _tokens_and_kinds(norm)[0]


_MATH, _WORD, _FILLER = 0, 1, 2


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (
            i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
        )
    return a[i:] == b[i + 1 :]


_SUFFIXES = ("s", "es", "al", "ly")


def _is_typo(x: str, y: str) -> bool:
    """A typo or an inflection of one word: one edit apart, or one is the other plus a suffix
    (`electric` / `electrical`); words of 5+ letters only (`gac` / `hac` are different points), and
    the plural of a 4-letter word that is not in `SIGNIFICANT_WORDS` (`test` / `tests`; not `root` /
    `roots`, `side` / `sides`)."""
    if len(x) == 4 and y == x + "s" or len(y) == 4 and x == y + "s":
        return x.isalpha() and y.isalpha() and x not in SIGNIFICANT_WORDS and y not in SIGNIFICANT_WORDS
    if not (len(x) >= 5 and len(y) >= 5 and x.isalpha() and y.isalpha()):
        return False
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    return _within_one_edit(x, y) or (long_.startswith(short) and long_[len(short):] in _SUFFIXES)


def same_tokens(ta: list[str], tb: list[str]) -> bool:
    """Equal significant-token sequences, up to one-for-one typo substitutions (and the OCR typos of
    Chinese text, `_cjk_typos`)."""
    if ta == tb:
        return True
    if len(ta) == len(tb) and all(x == y or _is_typo(x, y) for x, y in zip(ta, tb)):
        return True
    return _cjk_typos(ta, tb)


#: Chinese characters that change the mathematics or the question when one copy has another
#: ("不正确" not correct, "错误" wrong, "最大" largest, numerals, directions), so never an OCR typo
CJK_SIGNIFICANT = frozenset("不非无没未否错误对正确真假大小多少最高低长短增减加乘除一二三四五六七八九十百千万两半倍前后左右上下内外只都能可必")
#: characters of Chinese text per OCR typo tolerated (at least one)
_CJK_CHARS_PER_TYPO = 12


def _is_cjk(tok: str) -> bool:
    return len(tok) == 1 and ("\u3400" <= tok <= "\u9fff" or "\uf900" <= tok <= "\ufaff")


def _cjk_count(tokens) -> int:
    return sum(1 for t in tokens if len(t) == 1 and t >= "\u3400" and _is_cjk(t))


def _cjk_changes(ta, tb) -> int | None:
    """How many Chinese characters OCR changed between two token sequences ("天热" / "天然": 1,
    "蓝铜喭喭" / "蓝铜矿颜料": 3), or None when they differ otherwise: every difference must be a run
    of at most three Chinese characters on each side, none of them in `CJK_SIGNIFICANT`; numbers,
    formulas and English words agree exactly."""
    changes = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        changed = [*ta[i1:i2], *tb[j1:j2]]
        if i2 - i1 > 3 or j2 - j1 > 3 or not all(_is_cjk(t) and t not in CJK_SIGNIFICANT for t in changed):
            return None
        changes += max(i2 - i1, j2 - j1)
    return changes


def _cjk_budget(n_cjk: int) -> int:
    """OCR typos tolerated in a text of `n_cjk` Chinese characters (none without Chinese)."""
    return max(1, n_cjk // _CJK_CHARS_PER_TYPO) if n_cjk else 0


def _cjk_typos(ta: list[str], tb: list[str]) -> bool:
    """The sequences differ only in a few OCR-garbled Chinese characters (`_cjk_changes`): at most
    one per `_CJK_CHARS_PER_TYPO` Chinese characters of the text."""
    budget = _cjk_budget(max(_cjk_count(ta), _cjk_count(tb)))
    if not budget:
        return False
    changes = _cjk_changes(ta, tb)
    return changes is not None and changes <= budget


#: prose words that change the mathematics when one copy adds or drops them ("the *real* roots",
#: "*distinct* positive integers", "is *not* divisible", "the *largest* value", "*twice* as many"),
#: so they never count as a harmless extra word (`_one_extra_word`)
SIGNIFICANT_WORDS = frozenset(
    """real positive negative nonnegative nonpositive nonzero zero distinct different distinguishable
    indistinguishable identical same equal unequal unique integer integers integral whole natural rational
    irrational complex imaginary prime primes composite odd even consecutive not no non never none nor
    only exactly least most all each every any some both either neither more less fewer greater smaller
    larger largest smallest greatest biggest maximum minimum max min many much total sum product
    difference quotient remainder ratio average mean median mode area perimeter volume length width
    height radius diameter circumference angle side sides inside outside interior exterior before after
    above below without except remaining left right plus minus times twice half double triple square
    squares squared cube cubes cubed root roots digit digits percent per first second third fourth fifth
    last next previous other another one two three four five six seven eight nine ten eleven twelve
    hundred thousand million billion increase decrease increased decreased more older younger
    sin cos tan cot sec csc log ln exp lcm gcd mod det""".split()
)
#: a problem this short must match exactly: one word is a large share of it
_MIN_TOKENS_FOR_TOLERANCE = 8


def _numbers(tokens: list[str]) -> list[str]:
    return sorted(t for t in tokens if t[0].isdigit())


def _one_extra_word(fa: list[str], ka: list[int], fb: list[str], kb: list[int]) -> bool:
    """The copies agree (typos allowed, function words free) except that one copy has one more prose
    word, possibly repeated ("values $6,10,15$ *cents*", "the sound you *hear*"). The extra word must be
    *added*, not put in the place of another word (that is a replaced word: another problem; a function
    word only the other copy has, within two tokens, counts as the replaced word), it must be redundant
    (the other copy has it elsewhere, or it is said 2+ times and left out each time), all extra words must
    sit in the same copy (a moved word is another order: another problem), and a variable, a number,
    an operator, a LaTeX command or a `SIGNIFICANT_WORDS` word never counts."""
    extra: set[str] = set()
    phrases: set[tuple[str, ...]] = set()  # the extra words of each place, in order
    extra_at = {"a": [], "b": []}  # where an extra word sits, in the coordinates of the *other* copy
    lone_fillers = {"a": [], "b": []}  # function words one copy has and the other has nothing for
    matcher = difflib.SequenceMatcher(a=fa, b=fb, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        left = [(t, k) for t, k in zip(fa[i1:i2], ka[i1:i2]) if k != _FILLER]
        right = [(t, k) for t, k in zip(fb[j1:j2], kb[j1:j2]) if k != _FILLER]
        if not left and not right:  # function words only
            if op == "delete":
                lone_fillers["a"].append(i1)
            elif op == "insert":
                lone_fillers["b"].append(j1)
            continue
        if left and right:
            # prose words that differ only in spacing ("iate" / "i ate"); not math: `$ab$` and `$a,b$` differ
            if all(k == _WORD for _, k in left + right) and "".join(t for t, _ in left) == "".join(t for t, _ in right):
                continue
            if len(left) != len(right) or not all(x == y or _is_typo(x, y) for (x, _), (y, _) in zip(left, right)):
                return False
            continue
        if op == "replace":  # a word in the place of a function word: replaced, not added
            return False
        for tok, kind in left or right:
            if kind != _WORD or len(tok) < 3 or tok in SIGNIFICANT_WORDS:
                return False
            extra.add(tok)
        phrases.add(tuple(t for t, _ in left or right))
        if left:
            extra_at["a"].append(j1)
        else:
            extra_at["b"].append(i1)
    sides = [side for side in "ab" if extra_at[side]]
    if len(sides) > 1:
        return False
    if len(extra) == 2:
        # one two-word phrase left out where the other copy repeats it: "Lucy's walk takes 10 minutes,
        # Maria's [walk takes] a quarter of an hour": the phrase must stand, as a phrase, in the copy without it
        (side,) = sides
        theirs = [t for t, k in (zip(fb, kb) if side == "a" else zip(fa, ka)) if k != _FILLER]
        if len(phrases) != 1 or not _contains(theirs, next(iter(phrases))):
            return False
    elif len(extra) > 2:
        return False
    for side in sides:
        other = "b" if side == "a" else "a"
        if any(abs(p - q) <= 2 for p in extra_at[side] for q in lone_fillers[other]):
            return False
        # the extra word must be redundant: a repetition the other copy also has ("the sound you hear
        # ... the sound [you hear]") or a word said twice or more and left out every time (a unit,
        # "cents"). A word said once and only in one copy adds information ("a *narrow* crack"): another problem.
        mine, theirs = (fa, fb) if side == "a" else (fb, fa)
        if any(word not in theirs and mine.count(word) < 2 for word in extra):
            return False
    return True


def _contains(seq: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(seq[i : i + n]) == phrase for i in range(len(seq) - n + 1))


#: words that open a condition clause and words that open the question: a condition said before or
#: after the question ("If ..., how many ...?" / "How many ..., if ...?") is one problem
_CONDITION_OPENERS = frozenset("if when given assuming suppose provided".split())
_QUESTION_OPENERS = frozenset("how what which who whom where find compute determine calculate".split())


def _condition_moved(fa: list[str], ba: frozenset, fb: list[str], bb: frozenset) -> bool:
    """After their common beginning and end, one copy is X Y and the other Y X, where X and Y are
    whole clauses (`ba` / `bb`: positions where a clause starts), one opening with a condition word
    and the other with a question word. Only that move: two statements or steps in another order
    ("Add 3. Multiply by 2." / "Multiply by 2. Add 3.") can be another problem."""
    if len(fa) != len(fb) or sorted(fa) != sorted(fb):
        return False
    p = 0
    while p < len(fa) and fa[p] == fb[p]:
        p += 1
    s = 0
    while s < len(fa) - p and fa[-1 - s] == fb[-1 - s]:
        s += 1
    mid_a, mid_b = fa[p : len(fa) - s], fb[p : len(fb) - s]
    for k in range(2, len(mid_a) - 1):
        x, y = mid_a[:k], mid_a[k:]
        if y + x != mid_b:
            continue
        clauses = p in ba and p + k in ba and p in bb and p + len(y) in bb
        openers = {x[0], y[0]}
        if clauses and openers & _CONDITION_OPENERS and openers & _QUESTION_OPENERS:
            return True
    return False


def _truncated_copy(ta: list[str], tb: list[str]) -> bool:
    """One copy is the other cut off at its start or its end, in the middle of a word (the cut word
    is the evidence: "...Positive real n|umbers $x$ and $y$ satisfy..."), with every number kept."""
    if len(ta) > len(tb):
        ta, tb = tb, ta
    # equal lengths: the cut may be in either copy's first or last word
    return _cut_from(ta, tb) or (len(ta) == len(tb) and _cut_from(tb, ta))


def _cut_from(short: list[str], long_: list[str]) -> bool:
    n = len(short)
    if n < _MIN_TOKENS_FOR_TOLERANCE or _numbers(short) != _numbers(long_):
        return False
    head, tail, first = short[0], short[-1], long_[len(long_) - n]
    cut_start = short[1:] == long_[len(long_) - n + 1 :] and head.isalpha() and first.endswith(head) and first != head
    last = long_[n - 1]
    cut_end = short[:-1] == long_[: n - 1] and tail.isalpha() and last.startswith(tail) and last != tail
    return cut_start or cut_end


def _same_kinded(a: tuple, b: tuple) -> bool:
    (ta, fa, ka, ba), (tb, fb, kb, bb) = a, b
    if same_tokens(ta, tb):
        return True
    # beyond typos, only for texts long enough and with exactly the same numbers
    if min(len(ta), len(tb)) < _MIN_TOKENS_FOR_TOLERANCE or abs(len(ta) - len(tb)) > len(ta) // 3 + 1:
        return False
    if _numbers(ta) != _numbers(tb):
        return False
    return _one_extra_word(fa, ka, fb, kb) or _truncated_copy(ta, tb) or _condition_moved(fa, ba, fb, bb)


# --- names: a person renamed consistently is the same problem ("Josie received $50 ..." / "Amanda
# received $50 ..."). Only the original text shows a name (normalization lowercases), so the rule
# gets it when the caller passes it (`same_problem_pairs(originals=)`).
_MATH_SPAN = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
_WORD_IN_PROSE = re.compile(r"[A-Za-z]+(?:\\textquotesingle\s?s\b|'s\b|’s\b)?")
_BEFORE_SENTENCE = ".?!:;\n"
_CAPITALIZED = re.compile(r"[A-Z][a-z]")
_PERSONAL_PRONOUN = re.compile(r"\b(?:he|she|him|her|his|hers)\b", re.I)
#: capitalized words that are not names of people, so a swap of them is another problem
#: ("If today is Monday ...", "your weight on Mars", "in March")
NOT_NAMES = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december mercury venus earth mars jupiter saturn uranus
    neptune pluto moon sun i how why when where while after before since because although each""".split()
)


def person_names(original: str) -> frozenset:
    """Lowercased words of `original` that name a person: in prose (outside math), capitalized at
    every occurrence (`Josie`, not `JOSIE` or `josie`), not a function word, a `SIGNIFICANT_WORDS`
    word or one of `NOT_NAMES`, and shown to be a name: it occurs somewhere inside a sentence, or
    with a possessive ("Manjari's"), or the text speaks of a person ("she", "his"). A word seen only
    at the start of a sentence in a text about no one ("Simplify ...", "Factor ...") is not a name."""
    if not _CAPITALIZED.search(original):
        return frozenset()
    prose = _MATH_SPAN.sub(" ", original)
    seen: dict[str, list[bool]] = {}  # word -> [all capitalized, inside a sentence somewhere, possessive somewhere]
    for m in _WORD_IN_PROSE.finditer(prose):
        token = m.group(0)
        word = re.match(r"[A-Za-z]+", token).group(0)
        low = word.lower()
        flags = seen.setdefault(low, [True, False, False])
        flags[0] &= len(word) >= 2 and word[0].isupper() and word[1:].islower()
        before = prose[max(0, m.start() - 12) : m.start()].rstrip(" \t\"“([")
        flags[1] |= bool(before) and before[-1] not in _BEFORE_SENTENCE
        flags[2] |= len(token) > len(word)
    about_a_person = bool(_PERSONAL_PRONOUN.search(prose))
    return frozenset(
        w for w, (capital, inside, possessive) in seen.items()
        if capital and (inside or possessive or about_a_person)
        and w not in FILLER_WORDS and w not in SIGNIFICANT_WORDS and w not in NOT_NAMES
    )


def _renamed(a: tuple, names_a: frozenset, b: tuple, names_b: frozenset):
    """`a`'s tokens with its names replaced by the names `b` has in their places, when that is a
    consistent one-to-one rename (every occurrence, no name mapped to two, no target name already
    used for someone else in `a`); None when there is no such rename."""
    (ta, fa, ka, ba), (_, fb, _, _) = a, b
    rename: dict[str, str] = {}
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=fa, b=fb, autojunk=False).get_opcodes():
        if op != "replace" or i2 - i1 != j2 - j1:
            continue
        for x, y in zip(fa[i1:i2], fb[j1:j2]):
            if x != y and x in names_a and y in names_b and not _is_typo(x, y):
                if rename.setdefault(x, y) != y:
                    return None
    if not rename or len(set(rename.values())) != len(rename):
        return None
    if any(y in fa and y not in rename for y in rename.values()):
        return None  # "Ann and Bob" -> "Bob and Bob": not one-to-one
    return [rename.get(t, t) for t in ta], [rename.get(t, t) for t in fa], ka, ba


class _Names:
    """`person_names` of an original text, computed the first time a pair needs them (most pairs
    are decided without names)."""

    __slots__ = ("original", "_names")

    def __init__(self, original: str):
        self.original, self._names = original, None

    def get(self) -> frozenset:
        if self._names is None:
            self._names = person_names(self.original)
        return self._names


def _parsed(norm: str, original: str | None = None):
    """(stem tokens as `_tokens_and_kinds`, significant tokens of each option or None, person names of
    the original text (`_Names`) or None): a multiple-choice dedup text (`normalize.dedup_question`)
    carries its options after `OPTIONS_MARK`."""
    names = _Names(original) if original else None
    if OPTIONS_MARK not in norm:
        return _tokens_and_kinds(norm), None, names
    stem, options = norm.split(OPTIONS_MARK, 1)
    return _tokens_and_kinds(stem), [tuple(significant_tokens(o)) for o in options.split(OPTION_MARK)], names


def _same_options(oa: list[tuple], ob: list[tuple], stem_cjk: int = 0) -> bool:
    """The same options: the same set (in any order), or one for one in order up to typos; the OCR
    typos of Chinese options share one budget with the stem's length (`stem_cjk` characters): the
    item as a whole is read, a short option alone tolerates almost nothing."""
    if len(oa) != len(ob):
        return False
    if sorted(oa) == sorted(ob):
        return True
    changes = 0
    for x, y in zip(oa, ob):
        if x == y or (len(x) == len(y) and all(s == t or _is_typo(s, t) for s, t in zip(x, y))):
            continue
        c = _cjk_changes(x, y)
        if c is None:
            return False
        changes += c
    return changes <= _cjk_budget(stem_cjk + sum(_cjk_count(x) for x in oa))


def _same_item(a, b) -> bool:
    """Same stem (`_same_kinded`) and, when both are multiple choice, the same options: one stem with
    other options is another item. A free-response row and a multiple-choice row with the same stem
    are the same problem (the options add no new question)."""
    (sa, oa, na), (sb, ob, nb) = a, b
    if oa is not None and ob is not None and not _same_options(oa, ob, _cjk_count(sa[0])):
        return False
    if _same_kinded(sa, sb):
        return True
    if na is not None and nb is not None and na.get() and nb.get():  # a person renamed, then the same rules
        renamed = _renamed(sa, na.get(), sb, nb.get())
        return renamed is not None and _same_kinded(renamed, sb)
    return False


def same_problem(norm_a: str, norm_b: str, original_a: str | None = None, original_b: str | None = None) -> bool:
    """True when two normalized texts state the same problem (rules in the module docstring). With
    the original texts (before normalization), a person renamed consistently is recognized too."""
    return _same_item(_parsed(norm_a, original_a), _parsed(norm_b, original_b))


def _pair_rows(pairs: np.ndarray):
    """(pairs as (k, 2) int64, a False result per pair, the rows involved, a reader of those rows'
    values from a Series or list aligned with the rows)."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    docs = np.unique(pairs)

    def pick(values) -> list:
        return values.gather(docs).to_list() if isinstance(values, pl.Series) else [values[int(d)] for d in docs]

    return pairs, np.zeros(len(pairs), dtype=bool), docs, pick


def same_problem_pairs(texts, pairs: np.ndarray, originals=None) -> np.ndarray:
    """`same_problem` for each (i, j) row of `pairs` over `texts` (Series or list); bool array.
    `originals`: the texts before normalization, aligned with `texts` (None where unknown, e.g. rows of
    a persisted index): they let the rule see person names."""
    pairs, out, docs, pick = _pair_rows(pairs)
    if not len(pairs):
        return out
    sub = pick(texts)
    orig = pick(originals) if originals is not None else [None] * len(sub)
    tokens = dict(zip(docs.tolist(), (_parsed(t or "", o) for t, o in zip(sub, orig))))
    for k, (i, j) in enumerate(pairs.tolist()):
        out[k] = _same_item(tokens[i], tokens[j])
    return out


# ------------------------------------------------------------------------------- answer-confirmed tier
# A paraphrase of a problem keeps its reference answer; a template sibling with the same numbers
# ("in front of" / "behind", "King then heart" / "diamond then ace") almost always changes it. So a
# candidate pair the token rule above rejects is still the same problem when, on top of the text
# similarity the caller checked (Jaccard >= threshold), (1) the math agrees token for token (every
# number, operator and symbol, in order), (2) the prose change is a rewording, not a word moved from
# one place to another, not a number word changed ("one hundred" / "four"), and (3) both reference
# answers are equivalent (`curation.dedup.answers.same_answer`: the verifier, bounded) and
# *informative*: an answer that many different problems share does not confirm anything. Measured on
# the labelled pairs and all 25,833 questions of ../shared/corpora (benchmarks/quality/dedup/README.md):
# - free response: chance agreement is high for yes/no, a letter, a stock word and small integers
#   (among the candidate pairs the token rule rejects, 18% of free-response pairs with a one-digit
#   answer agree although nearly all are different problems), so those never confirm, and a pair that
#   differs only by one-for-one word substitutions ("RADII" / "PROOF", both 60) does not either: that
#   is the shape of a template sibling;
# - multiple choice (both rows keep their options): the options must be the same (the token rule's
#   option identity) and the keyed options' texts equal; the option list and the key together are
#   the fingerprint, so a small number confirms, but a generic option ("All of these", "True, True",
#   "Uncertain") does not.

#: answers that say nothing about which problem was asked (after `_answer_key`)
GENERIC_ANSWERS = frozenset(
    """yes no true false odd even neither none both correct incorrect right wrong possible impossible
    always never sometimes uncertain undetermined unknown cannotbedetermined notenoughinformation
    alloftheabove noneoftheabove allofthese noneofthese alloftheabovearecorrect""".split()
)
#: number words: a copy that changes one ("one hundred" / "four" pink socks) changes a quantity the
#: number key (digits only) does not see ("one" is left out: it is also a pronoun, "which one")
NUMBER_WORDS = frozenset(
    """zero two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand
    million billion half third quarter twice thrice double triple""".split()
)
#: a free-response integer answer below this (in absolute value) is too common to confirm a pair
MIN_INFORMATIVE_INTEGER = 10


def _answer_key(answer: str) -> str:
    """An answer reduced for the informativeness test: no markup, spaces, `$`, braces, brackets."""
    t = re.sub(r"\\(?:text|mathrm|textbf|mathbf|boxed|rm)\b", "", answer)
    return re.sub(r"[\s${}()\[\]\\!]", "", t).strip(".").lower()


def informative_answer(answer: str | None, *, multiple_choice: bool = False) -> bool:
    """True when two problems sharing this reference answer is unlikely by chance (see above):
    not empty, not a generic word or phrase (`GENERIC_ANSWERS`, also as a list: "True, True"), not
    a single letter; for a free-response answer also not an integer below `MIN_INFORMATIVE_INTEGER`.
    A list of values (`[2, 2]`, `1; 2`) is informative when one of its parts is. A number with a
    noun label ("5 (markers)", ASDiv) counts as the number."""
    if not answer:
        return False
    from curation.dedup.answers import answer_value

    answer = answer_value(answer)  # "5 (markers)" is the number 5: a noun label adds no information
    key = _answer_key(answer)
    parts = [k for k in (_answer_key(p) for p in re.split(r"[,;|:]|\band\b", answer)) if k] or [key]

    def one(p: str) -> bool:
        if p in GENERIC_ANSWERS or (len(p) == 1 and p.isalpha()):
            return False
        if not multiple_choice and re.fullmatch(r"[-+]?\d+", p) and abs(int(p)) < MIN_INFORMATIVE_INTEGER:
            return False
        return True

    if key in GENERIC_ANSWERS:
        return False
    return any(one(p) for p in parts)


def _math_tokens(stem) -> list[str]:
    return [t for t, k in zip(stem[1], stem[2]) if k == _MATH]


def _rewording(ta: list[str], tb: list[str]) -> tuple[bool, bool]:
    """(the prose change is a rewording the tier accepts, it is one-for-one substitutions only)."""
    ops = [o for o in difflib.SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes() if o[0] != "equal"]
    removed = [w for _, i1, i2, _, _ in ops for w in ta[i1:i2]]
    added = [w for _, _, _, j1, j2 in ops for w in tb[j1:j2]]
    if set(removed) & set(added):  # a word moved: "from oldest to youngest" / "from youngest to oldest"
        return False, False
    if any(w in NUMBER_WORDS for w in removed + added):
        return False, False
    substitutions = bool(ops) and all(tag == "replace" and i2 - i1 == j2 - j1 for tag, i1, i2, j1, j2 in ops)
    return True, substitutions


def _answer_confirmed(a, b, answer_a: str | None, answer_b: str | None) -> bool:
    """The answer-confirmed tier for two parsed items (`_parsed`) the token rule rejected."""
    if not answer_a or not answer_b:
        return False
    (sa, oa, _), (sb, ob, _) = a, b
    both_mc = oa is not None and ob is not None
    if both_mc and not _same_options(oa, ob, _cjk_count(sa[0])):
        return False
    if _math_tokens(sa) != _math_tokens(sb):
        return False
    reworded, substitutions = _rewording(sa[0], sb[0])
    if not reworded or (substitutions and not both_mc):
        return False
    if not (informative_answer(answer_a, multiple_choice=both_mc) and informative_answer(answer_b, multiple_choice=both_mc)):
        return False
    from curation.dedup.answers import same_answer

    try:
        return same_answer(answer_a, answer_b)
    except Exception:  # a verifier failure on untrusted text confirms nothing
        return False


def answer_confirmed(
    norm_a: str, norm_b: str, answer_a: str | None, answer_b: str | None,
    original_a: str | None = None, original_b: str | None = None,
) -> bool:
    """True when two near-duplicate texts the token rule (`same_problem`) rejects are the same problem
    by their reference answers (the answer-confirmed tier, rules above). `answer_*`: the reference
    answer; for a row in multiple-choice form the text of its keyed option(s) (`keyed_answers`).
    Only meaningful for a candidate pair (text similarity checked by the caller)."""
    return _answer_confirmed(_parsed(norm_a, original_a), _parsed(norm_b, original_b), answer_a, answer_b)


def answer_confirmed_pairs(texts, pairs: np.ndarray, answers) -> np.ndarray:
    """`answer_confirmed` for each (i, j) row of `pairs` over `texts` and `answers` (aligned Series or
    lists; None where a row has no answer); bool array."""
    pairs, out, docs, pick = _pair_rows(pairs)
    if not len(pairs):
        return out
    ans = dict(zip(docs.tolist(), pick(answers)))
    live = [k for k, (i, j) in enumerate(pairs.tolist()) if ans[i] and ans[j]]
    if not live:
        return out
    parsed = {d: _parsed(t or "") for d, t in zip(docs.tolist(), pick(texts)) if ans[d]}
    for k in live:
        i, j = pairs[k]
        out[k] = _answer_confirmed(parsed[int(i)], parsed[int(j)], ans[int(i)], ans[int(j)])
    return out
