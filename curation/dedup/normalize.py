"""Text normalization shared by dedup and decontamination (public, stable API).

See `curation.dedup` for the rules. Polars only; no per-row Python.
"""

from __future__ import annotations

import polars as pl

#: 2: the number key leaves out source citations (`curation.dedup.content`); older indexes are refused
#: 3: a multiple-choice row's dedup text carries its options (`dedup_question`)
#: 4: the number key leaves out example sentences ("For example, $9 = 3 \\times 3$.")
#: 5: citations spelled "( 2014 AMC ...)", "(adapted 2019 ...)", "($$2012$$ AMC ...)" are left out too
NORMALIZATION_VERSION = 5
#: characters of a text that near-duplicate detection reads (the exact-duplicate key reads all)
MAX_SHINGLE_CHARS = 20_000

_SPACING = r"\\[,;:! ]|~|\\q?quad\b"


def _after_nfkc(e: pl.Expr) -> pl.Expr:
    e = e.str.to_lowercase()
    e = e.str.replace_all(r"\$\$|\\\[|\\\]|\\\(|\\\)", "$")
    e = e.str.replace_all(r"\\[dt]frac\b", r"\frac")
    e = e.str.replace_all(r"\\(?:left|right|(?:big|bigg)[lr]?|displaystyle|textstyle)\b", " ")
    e = e.str.replace_all(r"\\leq(?:slant)?\b|≤", r"\le ")
    e = e.str.replace_all(r"\\geq(?:slant)?\b|≥", r"\ge ")
    e = e.str.replace_all(r"\\neq\b|≠", r"\ne ")
    e = e.str.replace_all(_SPACING, " ")
    e = e.str.replace_all(r"\s\s+|[^\S ]", " ")  # whitespace runs (matches only where needed)
    e = e.str.replace_all(r" ([^\w ]) ?|([^\w ]) ", "${1}${2}")  # spaces next to a non-word char
    e = e.str.replace_all(r"(\\[a-z]+) ([^a-z])", "$1$2")  # `\le 3` == `\le3`
    return e.str.strip_chars(" ")


def normalized_text_expr(expr: pl.Expr) -> pl.Expr:
    """The dedup normalization of a string expression (see the module docstring); null → ""."""
    return _after_nfkc(expr.fill_null("").str.normalize("NFKC"))


#: where the options of a multiple-choice row start in its dedup text, and where each option starts
#: (they survive normalization unchanged: lowercase ASCII and brackets)
OPTIONS_MARK = "[[options]]"
OPTION_MARK = "[[option]]"
_STEM_CUT = r"(?s)\[\[options\]\].*$"


def dedup_question(df: pl.DataFrame) -> pl.Series:
    """The text dedup identifies a row by: its question and, for a row still in multiple-choice form
    (a non-empty `choices` list), its options after `OPTIONS_MARK`, so one stem with other options
    is another item (and one stem with the same options the same item). A frame without `choices`
    gives the questions unchanged."""
    q = df["question"].cast(pl.Utf8)
    if "choices" not in df.columns or df["choices"].dtype == pl.Null or df["choices"].null_count() == df.height:
        return q
    opts = df["choices"].cast(pl.List(pl.Utf8)).list.eval(pl.element().fill_null("")).list.join(f" {OPTION_MARK} ")
    has = (df["choices"].list.len() > 0).fill_null(False)
    return pl.select(
        pl.when(pl.lit(has)).then(pl.lit(q).fill_null("") + f" {OPTIONS_MARK} " + pl.lit(opts)).otherwise(pl.lit(q))
    ).to_series().alias("question")


def stem_expr(norm: pl.Expr) -> pl.Expr:
    """A normalized dedup text without the options of a multiple-choice row (`dedup_question`)."""
    return norm.str.replace(_STEM_CUT, "")


def normalized_question_expr(col: str = "question") -> pl.Expr:
    return normalized_text_expr(pl.col(col))


def normalize_series(texts: pl.Series) -> pl.Series:
    """`normalized_text_expr` over a Series, faster: NFKC runs only on the non-ASCII rows (NFKC
    leaves ASCII unchanged), which is most of the cost on English text."""
    s = texts.cast(pl.Utf8).fill_null("")
    non_ascii = s.str.contains(r"[^\x00-\x7f]")
    if non_ascii.any():
        idx = non_ascii.arg_true()
        s = s.scatter(idx, s.gather(idx).str.normalize("NFKC"))
    return pl.select(_after_nfkc(pl.lit(s))).to_series().alias(texts.name)


def template_expr(norm: pl.Expr) -> pl.Expr:
    """Digit-masked form of a normalized text: every number (`12`, `3.5`) becomes `#`."""
    return norm.str.replace_all(r"\d+(?:\.\d+)?", "#")


def normalized_answer_expr(col: str = "answer") -> pl.Expr:
    e = normalized_text_expr(pl.col(col)).str.replace_all(r"[\s$]", "").str.strip_chars(".")
    return pl.when(pl.col(col).is_null() | (e == "")).then(None).otherwise(e)


def stable_hashes(values: list[str]) -> list[int]:
    import xxhash

    return [xxhash.xxh3_64_intdigest(v.encode("utf-8")) for v in values]



def shingle_text(norm: pl.Series) -> pl.Series:
    """The text near-duplicate detection shingles: the normalized text (the stem alone for a
    multiple-choice row: one stem with other options is a candidate the same-problem rule then
    judges) without math delimiters and braces, so `$936$` / `936` and `x^{2}` / `x^2` share their shingles, cut at `MAX_SHINGLE_CHARS`.
    (The exact-duplicate key and the same-problem check keep the normalized text, where `$` marks
    the math.)"""
    e = stem_expr(norm).str.replace_all(r"[{}]", "").str.replace_all(r"\$", " ").str.replace_all(r"  +", " ")
    # the normalization glued `$` to its neighbours (`is$n$?`): drop the spaces next to non-word
    # characters again, so `is n?` (no delimiters) and `is$n$?` give the same text
    e = e.str.replace_all(r" ([^\w ]) ?|([^\w ]) ", "${1}${2}").str.strip_chars(" ")
    # a problem statement is never this long; a huge row (a pasted file) must not cost gigabytes
    return e.str.slice(0, MAX_SHINGLE_CHARS)
