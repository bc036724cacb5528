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
words or question phrasing ("What is the value of $x$?" / "Find $x$."), typos.
What is rejected although it may be the same problem: a content-word synonym ("binomials" /
"polynomials"), a renamed person, a reordered sentence. The rule is deliberately strict: a wrong merge loses a training
problem silently, a missed merge keeps one extra near-copy.
"""

from __future__ import annotations

import re
import numpy as np
import polars as pl

from curation.dedup.normalize import stable_hashes

#: function words, question phrasings and solving instructions that never change which problem is asked
FILLER_WORDS = frozenset(
    """an the of to in on for and is are be was were been being it its this that these those there
    their his her he she they them we our you your my me as by with from into onto
    what which who whom whose find compute determine calculate evaluate give state show write enter
    express answer value values result please then thus so also just let suppose given if
    do does did can could would should will shall may might must has have had
    show work step steps reasoning explain carefully briefly""".split()
)

_THOUSANDS = r"(\d)(?:\{,\}|,)(\d{3})\b"
_CHUNK = 100_000
_NUMBER = r"\d+(?:\.\d+)?"
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|\\[a-z]+|[^\w\s$\\{}]")


def _canonical_number(s: str) -> str:
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.lstrip("0") or "0"


def number_key_expr(norm: pl.Expr) -> pl.Expr:
    """The sorted multiset of canonical numbers of a normalized text, joined with `,` (a string)."""
    e = norm.str.replace_all(_THOUSANDS, "$1$2").str.replace_all(_THOUSANDS, "$1$2")
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
_DOTS = re.compile(r"(?:\\cdot\s*){3}|\\[lc]?dots\b|\.\.\.|…")
_SHORT_FRAC = re.compile(r"\\frac\s*(\d|[a-z])\s*(\d|[a-z])")
_ARTICLE_A = re.compile(r"\ba (?=[a-z]{2})")
# LaTeX layout that does not change the mathematics: environments, alignment, line breaks, text mode
_LAYOUT = re.compile(r"\\(?:begin|end)\{[a-z*]+\}|&|\\\\|\\(?:text|mathrm|operatorname|mbox)\b")


def _canonical_layout(norm: str) -> str:
    """Spellings that do not change the problem, made equal before tokens or numbers are read:
    thousands separators, `\\frac13` = `\\frac{1}{3}`, `\\cdots` = `\\ldots` = `...`, LaTeX layout
    (`\\begin{align}`, `&`, `\\\\`, `\\text{lcm}` = `lcm`), the article "a"
    (but not the variable: `(a,b)`, `a+b`), and answer-format sentences ("Express your answer as a
    common fraction.") that say how to write the answer, not what to compute."""
    text = re.sub(_THOUSANDS, r"\1\2", norm)
    text = _SHORT_FRAC.sub(r"\\frac{\1}{\2}", text)
    text = _DOTS.sub(r" \\dots ", text)
    text = _FORMAT_SENTENCE.sub(" ", text)
    text = _LAYOUT.sub(" ", text)
    return _ARTICLE_A.sub("", text)


def significant_tokens(norm: str) -> list[str]:
    """The sequence of the tokens of a normalized text that change the problem (see module docstring)."""
    text = _canonical_layout(norm)
    out: list[str] = []
    # segments alternate prose / math (normalization turns every math delimiter into `$`)
    for k, segment in enumerate(text.split("$")):
        in_math = k % 2 == 1
        for tok in _TOKEN.findall(segment):
            if tok[0].isdigit():
                out.append(_canonical_number(tok))
            elif tok.isalpha():
                if in_math or tok not in FILLER_WORDS:
                    out.append(tok)
            elif tok not in ".,;:?!'\"`‘’“”":  # sentence punctuation, also inside math (`$x=1.$`)
                out.append(tok)
    return out


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
    (`electric` / `electrical`); words of 5+ letters only (`gac` / `hac` are different points)."""
    if not (len(x) >= 5 and len(y) >= 5 and x.isalpha() and y.isalpha()):
        return False
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    return _within_one_edit(x, y) or (long_.startswith(short) and long_[len(short):] in _SUFFIXES)


def same_tokens(ta: list[str], tb: list[str]) -> bool:
    """Equal significant-token sequences, up to one-for-one typo substitutions."""
    if ta == tb:
        return True
    if len(ta) != len(tb):
        return False
    return all(x == y or _is_typo(x, y) for x, y in zip(ta, tb))


def same_problem(norm_a: str, norm_b: str) -> bool:
    """True when two normalized texts state the same problem (rules in the module docstring)."""
    return same_tokens(significant_tokens(norm_a), significant_tokens(norm_b))


def same_problem_pairs(texts, pairs: np.ndarray) -> np.ndarray:
    """`same_problem` for each (i, j) row of `pairs` over `texts` (Series or list); bool array."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(len(pairs), dtype=bool)
    if not len(pairs):
        return out
    docs = np.unique(pairs)
    sub = texts.gather(docs).to_list() if isinstance(texts, pl.Series) else [texts[int(d)] for d in docs]
    tokens = dict(zip(docs.tolist(), (significant_tokens(t or "") for t in sub)))
    for k, (i, j) in enumerate(pairs.tolist()):
        out[k] = same_tokens(tokens[i], tokens[j])
    return out
