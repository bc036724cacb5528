"""Tokens and n-gram hashes of texts, as decontamination compares them (see `curation.decontaminate`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

# the near-duplicate rule's spellings of "says nothing about the problem" (a public alias is requested
# from dedup; see /work/notes/ANNOUNCE.md): source citations "(2005 AMC 12B Problem, Question #8)",
# and a literal backslash-n
from curation.dedup.content import _CITATION, _LITERAL_NEWLINE

_TOKEN = r"[^\W\d_]+|\d+(?:\.\d+)?"
_SEED = 42
_K = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial n-gram hash
# LaTeX commands that only change layout; copies of a problem differ in them freely
_LAYOUT = [
    "left", "right", "displaystyle", "textstyle", "big", "bigl", "bigr", "bigg", "biggl", "biggr",
    "text", "mathrm", "mbox", "textbf", "mathbf", "textit", "mathit", "quad", "qquad", "hspace", "mathbb",
    "operatorname", "mid",
    # text-mode spellings of symbols some sets use (`50 \\textless f(7)`, `40 \\textbackslash\\%`, `\\uline{~~}`)
    "textless", "textgreater", "textbackslash", "uline", "textsuperscript", "textquotesingle", "emph",
]
_ALIAS = {"dfrac": "frac", "tfrac": "frac", "ldots": "dots", "cdots": "dots", "dotsm": "dots", "dotsb": "dots", "dotsc": "dots", "leq": "le", "leqslant": "le", "geq": "ge", "geqslant": "ge", "neq": "ne"}


# "non-zero", "nonzero", "non zero" are "not zero" (and so on): one spelling of the negation
_NEGATED = r"\bnon(?:-|\s)?(zero|negative|positive|empty|real|integer|integral|prime|square|constant|decreasing|increasing|overlapping|adjacent|degenerate|trivial|collinear|parallel|congruent|isosceles|vertical|horizontal|leap)\b"
# an answer-choice list "(A) 1 (B) 3 (C) 12 (D) 1239 (E) 1265": the choices are not the problem statement
# (one copy of a problem has them, another does not); three or more lettered options on one line or run
_CHOICES = (
    r"(?s)(?:^|[\s$}{~\]])(?:\(a\).{0,300}?\(b\).{0,300}?\(c\).{0,300}?\(d\).{0,300}?\(e\)"
    r"|\(a\).{0,300}?\(b\).{0,300}?\(c\).{0,300}?\(d\)|\(a\).{0,300}?\(b\).{0,300}?\(c\))[^\n$]{0,200}"
)
# "... can be written in the form $\frac{m}{n}$, where m and n are relatively prime positive integers. Find
# m+n." / "... is $p/q$, where ...; find p+q": how the answer is reported, not what is asked. Removed when
# the final ask uses only letters of the form and the clause makes them integers (the copy that asks for
# the quantity itself is the same problem)
_ANSWER_FORM = re.compile(
    r"(?:,?\s*(?:and|then|so)\s+)?(?:(?:the\s+)?(?:final\s+)?answer\s+)?\b"
    r"(?:can\s+be\s+(?:written|expressed|represented)\s+(?:uniquely\s+)?(?:in\s+(?:the|a)\s+form|as)\s*"
    r"(?P<written>\$[^$]{1,80}\$|[a-z0-9/\\{}^+*() -]{1,60})"
    r"|(?:is(?:\s+equal\s+to)?|equals)\s+(?P<value>\$[^$]{1,80}\$|[a-z0-9/\\{}^+*()-]{1,30}))"
    r"\s*,?\s*(?:for\s+some|where|with)\b(?P<cond>[^?]{0,300}?)"
    r"[.;,]?\s*(?:find|what\s+is|compute|determine|enter|give)\s+(?:the\s+value\s+of\s+)?"
    r"(?P<ask>\$[^$]{1,40}\$|[a-z0-9+*^ {}\\-]{1,30})\s*(?:[.?]\s*[^.?$]{0,80}[.?]?)?\s*$",
    re.S,
)
# "Express your answer as a common fraction." says how to write the answer: removed up to the sentence's
# end, or the line's or text's end when a copy lost its punctuation (so both copies lose the same words)
_FORMAT_SENTENCE = r"(?:^|[\s.?!$(])express (?:your|the) answer(?:[^.?!$\n]|\$[^$]*\$)*(?:[.?!]|$|\n)\)?"
_INTEGER_WORDS = re.compile(r"\b(?:integers?|primes?|digits?)\b")
_LETTER = re.compile(r"(?<![a-z\\])[a-z](?![a-z])")
# rows that may hold a literal backslash-n or an answer-form clause (those rules need Python regular
# expressions; this filter keeps them to the few rows that may match)
_NEEDS_PYTHON = r"\\n|\b(?:is +equal +to|equals) |(?:written|expressed|represented) +(?:uniquely +)?(?:in (?:the|a) form|as)|\bis +\$?\\?d?frac|\bis +\$?[a-z] */ *[a-z]"


def _answer_form(m: re.Match) -> str:
    ask, form = set(_LETTER.findall(m["ask"])), set(_LETTER.findall(m["written"] or m["value"]))
    # the letters of an answer form are integers ("relatively prime positive integers", "p is prime",
    # "digits"); "where a, b and c are the sides of the triangle" defines the problem instead
    return " " if ask and ask <= form and _INTEGER_WORDS.search(m["cond"]) else m[0]


def _python_rules(text: str) -> str:
    if "\\n" in text:
        text = _LITERAL_NEWLINE.sub(" ", text)
    return _ANSWER_FORM.sub(_answer_form, text)


def normalize_texts(texts: pl.Series) -> pl.Series:
    s = texts.cast(pl.Utf8).fill_null("")
    non_ascii = s.str.contains(r"[^\x00-\x7f]")
    if non_ascii.any():  # NFKC leaves ASCII unchanged: run it only where needed
        idx = non_ascii.arg_true()
        s = s.scatter(idx, s.gather(idx).str.normalize("NFKC"))
    s = s.str.to_lowercase()
    # figure code is drawing instructions, not the problem: two problems on one figure share all of it
    s = s.str.replace_all(r"(?s)\[asy\].*?(?:\[/asy\]|$)", " ")
    # one math delimiter (`$$`, `\\[ \\]`, `\\( \\)` are `$`), text-mode comparison signs, `( 2003 AMC ...)`
    s = s.str.replace_all(r"\$\$|\\\[|\\\]|\\\(|\\\)", "$").str.replace_all(r"\(\s+", "(")
    s = s.str.replace_all(r"\\textless([^a-z]|$)", "<$1").str.replace_all(r"\\textgreater([^a-z]|$)", ">$1")
    # an ellipsis with the operators or commas around it: copies drop the operator next to the dots
    s = s.str.replace_all(r"(?:[+,]\s*)?(?:\\[lc]?dots[bmc]?|\.\.\.)(?:\s*[+,])?", r" \dots ")
    s = s.str.replace_all(_CITATION, " ").str.replace_all(_NEGATED, "not $1").str.replace_all(_CHOICES, " ")
    s = s.str.replace_all(_FORMAT_SENTENCE, " ")
    special = s.str.contains(_NEEDS_PYTHON)
    if special.any():
        idx = special.arg_true()
        s = s.scatter(idx, pl.Series([_python_rules(t) for t in s.gather(idx).to_list()], dtype=pl.Utf8))
    s = s.str.replace_all(r"\\(?:begin|end)\s*\{[a-z*]*\}", " ")  # environments are layout; the word "end" is not
    s = s.str.replace_all(r"\\[dt]?frac\s*([a-z0-9])\s*([a-z0-9])(?:\b|$)", r"\frac{$1}{$2}")  # \frac12, \frac mn
    s = s.str.replace_all(r"(^|[^\w.])\.(\d)", "${1}0.${2}")  # .5 is 0.5
    for _ in range(2):  # 1,234,567 needs two passes (matches may not overlap)
        s = s.str.replace_all(r"(\d)(?:,|\{\s*,\s*\}|\\,)(\d{3})(?:\b|$)", "${1}${2}")
    return s


def token_table(texts: pl.Series) -> pl.DataFrame:
    """(row, tok, num) for every token of `texts`, in order; layout tokens dropped, numbers normalised."""
    t = (
        pl.DataFrame({"t": normalize_texts(texts)})
        .with_row_index("row")
        .select(pl.col("row").cast(pl.Int64), pl.col("t").str.extract_all(_TOKEN).alias("tok"))
        .explode("tok")
        .drop_nulls("tok")
        .filter(~pl.col("tok").is_in(_LAYOUT))
    )
    num = pl.col("tok").str.contains(r"^\d")
    tok = pl.col("tok").replace(_ALIAS)
    # 0.50 → 0.5, 3.0 → 3, 007 → 7: one spelling per number
    tok = pl.when(num).then(
        pl.col("tok").str.replace(r"^(\d+\.\d*?)0+$", "$1").str.strip_suffix(".").str.replace(r"^0+(\d)", "$1")
    ).otherwise(tok)
    return t.with_columns(tok.alias("tok"), num.alias("num"))


def tokens(texts: pl.Series) -> list[list[str]]:
    """The token sequence of every text (what n-grams, spans and numbers are computed on)."""
    t = token_table(texts)
    out: list[list[str]] = [[] for _ in range(len(texts))]
    for row, tok in zip(t["row"].to_list(), t["tok"].to_list()):
        out[row].append(tok)
    return out


def word_hash(tok: pl.Series) -> pl.Series:
    return tok.hash(seed=_SEED)


def ngram_hashes(words: np.ndarray, lens: np.ndarray, n: int, is_word: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(doc, hash) of every window of `n` consecutive tokens inside one document; a document shorter
    than `n` (but not empty) gives one hash of its whole sequence. With `is_word`, windows where
    fewer than half the tokens are words are left out (with numbers masked, "# + # - # #" says
    nothing about which problem it is)."""
    total = len(words)
    docs = np.repeat(np.arange(len(lens), dtype=np.int64), lens)
    starts = np.zeros(len(lens), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    ends_of = (starts + lens)[docs]
    pos = np.arange(total, dtype=np.int64)
    padded = np.concatenate([words, np.zeros(n, dtype=np.uint64)])
    acc = np.zeros(total, dtype=np.uint64)
    short_doc = np.flatnonzero((lens > 0) & (lens < n))
    short_h = np.zeros(len(short_doc), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            acc = acc * _K + padded[k : k + total]
            hit = lens[short_doc] == k + 1
            short_h[hit] = acc[starts[short_doc[hit]]]
    full = pos + n <= ends_of
    short_ok = np.ones(len(short_doc), dtype=bool)
    if is_word is not None:
        cs = np.concatenate([[0], np.cumsum(is_word.astype(np.int64))])
        full &= 2 * (cs[np.minimum(pos + n, total)] - cs[pos]) >= n
        short_ok = 2 * (cs[starts[short_doc] + lens[short_doc]] - cs[starts[short_doc]]) >= lens[short_doc]
    doc = np.concatenate([docs[full], short_doc[short_ok]])
    h = np.concatenate([acc[full], short_h[short_ok] ^ np.uint64(0x5BD1E995)])  # whole short texts: own space
    return doc, h


@dataclass
class Grams:
    """Distinct n-gram hashes per document (`exact`, and `masked` with numbers as `#`: columns doc, h),
    the number of n-gram positions per document, the document frequency of each word (w, df), and a
    hash of each document's numbers as a sorted multiset (`numbers`; 0 for a text without numbers) and
    of its whole token sequence (`whole`; 0 for an empty text)."""

    exact: pl.DataFrame
    masked: pl.DataFrame
    positions: np.ndarray
    word_df: pl.DataFrame
    numbers: np.ndarray
    whole: np.ndarray


def grams(texts: pl.Series, n: int) -> Grams:
    t = token_table(texts)
    lens = np.bincount(t["row"].to_numpy(), minlength=len(texts)).astype(np.int64)
    wh = word_hash(t["tok"])
    words = wh.to_numpy()
    mask_h = word_hash(pl.Series(["#"])).to_numpy()[0]
    masked = np.where(t["num"].to_numpy(), mask_h, words)
    doc, h = ngram_hashes(words, lens, n)
    docm, hm = ngram_hashes(masked, lens, n, is_word=~t["num"].to_numpy())
    positions = np.maximum(lens - n + 1, (lens > 0).astype(np.int64))
    word_df = pl.DataFrame({"row": t["row"], "w": wh}).unique().group_by("w").len().rename({"len": "df"})
    keys = (
        t.filter(pl.col("num")).group_by("row").agg(pl.col("tok").sort().str.join(" ").hash(seed=_SEED).alias("k"))
    )
    numbers = np.zeros(len(texts), dtype=np.uint64)
    numbers[keys["row"].to_numpy()] = keys["k"].to_numpy()
    texts_h = t.group_by("row").agg(pl.col("tok").str.join(" ").hash(seed=_SEED).alias("k"))
    whole = np.zeros(len(texts), dtype=np.uint64)
    whole[texts_h["row"].to_numpy()] = texts_h["k"].to_numpy()
    return Grams(
        pl.DataFrame({"doc": doc, "h": h}).unique(), pl.DataFrame({"doc": docm, "h": hm}).unique(), positions, word_df,
        numbers, whole,
    )
