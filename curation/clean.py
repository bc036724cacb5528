"""Cleaning: flag problems that are not usable as RL items (vectorized regex filters).

`flag_problems(df, settings=...)`
- input columns: question, answer, answer_type, choices, kind, drop_reason (and clean_flags if set)
- output columns: `clean_flags` (every reason that fired, in the order below; appended to any flags
  already there) and `drop_reason` (the first reason, only where drop_reason was still null).
Puzzles (`kind == "puzzle"`) are never flagged. Rows are never removed (see `curation.drop`).

Reasons (each switchable in `CleanSettings`):
- `empty`: no question text. `too_short` / `too_long`: fewer than `min_question_chars` or more than
  `max_question_chars` characters (`length` switch).
- `missing_answer`: no reference answer (after ingest looked in the solution's `\boxed{}`).
- `proof`: "prove"/"disprove" anywhere; "show that", "demonstrate that", "verify that", "explain why",
  "justify" only when the question asks for nothing to compute (no find/compute/determine/
  calculate/evaluate/what/how many...); or the answer itself says proof / QED.
- `figure`: `[asy]`, `\\includegraphics`, markdown images `![](...)`, `<img`, image file names
  (.png/.jpg/.jpeg/.gif/.svg), "the/this/following/above/below/given/accompanying figure|diagram|
  picture", "shown below/above", "in the figure/diagram", "see figure".
- `multi_part`: lowercase labelled parts `(a)` + `(b)`, `(i)` + `(ii)`, `a)` + `b)` at line starts,
  or "Part 1"/"Part 2" (also a/b, I/II). Uppercase `(A) (B)` are options, not parts, so never count.
- `yes_no`: the answer is yes/no/true/false (with optional `$`, `\\text{}`, trailing period).
- `answer_leak`: the reference answer appears in the question as the stated result. Precisely: the
  answer A (spaces and `$` trimmed) is non-trivial — at least 3 characters and not an integer of
  fewer than 4 digits, or any LaTeX (`\\`) of 3+ characters — occurs in the question at a token
  boundary (no letter/digit right before or after), and either is preceded by a result marker
  (`=`, `is`, `equals`, `be`, `to`, `of`, `:` within the last few characters) or is long (10+
  characters, or LaTeX of 6+). MCQ rows (answer is a letter / choices set) are skipped.
"""

from __future__ import annotations

import polars as pl

from curation.config import CleanSettings

REASONS = (
    "empty",
    "too_short",
    "too_long",
    "missing_answer",
    "proof",
    "figure",
    "multi_part",
    "yes_no",
    "answer_leak",
)

_PROOF_ALWAYS = r"(?i)(?-u:\b)(?:prove|disprove)(?-u:\b)|(?-u:\b)proof\s+that(?-u:\b)"
_PROOF_SOFT = r"(?i)(?-u:\b)(?:show|demonstrate|verify|explain\s+why|justify)(?-u:\b)(?:\s+that)?"
_ASKS = (
    r"(?i)(?-u:\b)(?:find|compute|determine|calculate|evaluate|simplify|solve|what|which|how\s+many|how\s+much|"
    r"express|give|list|enumerate|count|estimate)(?-u:\b)|\?"
)
_PROOF_ANSWER = r"(?i)^\s*(?:proof|q\.?e\.?d\.?|see\s+(?:the\s+)?proof|\\blacksquare|\\square|∎)\s*\.?\s*$"
_FIGURE = (
    r"(?i)\[asy\]|\\includegraphics|!\[[^\]]*\]\(|<img(?-u:\b)|\.(?:png|jpe?g|gif|svg)(?-u:\b)|"
    r"(?-u:\b)(?:the|this|following|above|below|given|accompanying|adjoining|shaded)\s+(?:figure|diagram|picture|image|drawing)s?(?-u:\b)|"
    r"(?-u:\b)shown\s+(?:below|above|here|at\s+right|at\s+left|on\s+the\s+right)(?-u:\b)|"
    r"(?-u:\b)(?:in|from|see)\s+(?:the\s+)?(?:figure|diagram|fig\.)"
)
_PART_PAIRS = (
    (r"(?:^|[\s:.;,])\(a\)", r"(?:^|[\s:.;,])\(b\)"),
    (r"(?:^|[\s:.;,])\(i\)", r"(?:^|[\s:.;,])\(ii\)"),
    (r"(?m)^\s*a[).]\s", r"(?m)^\s*b[).]\s"),
    (r"(?i)(?-u:\b)part\s*(?:1|i|a)(?-u:\b)", r"(?i)(?-u:\b)part\s*(?:2|ii|b)(?-u:\b)"),
)
_YES_NO = r"(?i)^\s*\$?\s*(?:\\(?:text|textbf|mathrm)\s*\{\s*)?(?:yes|no|true|false)\s*\}?\s*\.?\s*\$?\s*$"
_RESULT_MARKER = r"(?i)(?:=|(?-u:\b)is|(?-u:\b)equals?|(?-u:\b)be|(?-u:\b)to|(?-u:\b)of|:)\s*\$?\s*\{?\s*$"


def _answer_leak(settings: CleanSettings) -> pl.Expr:
    a = pl.col("answer").str.strip_chars(" \n\t$")
    q = pl.col("question")
    alen = a.str.len_chars()
    latex = a.str.contains("\\", literal=True)
    nontrivial = (alen >= 3) & ~a.str.contains(r"^[-+]?\d{1,3}$")
    is_mcq = (pl.col("answer_type") == "choice").fill_null(False) | (pl.col("choices").list.len().fill_null(0) > 0)
    candidate = (pl.col("answer").is_not_null() & ~is_mcq & nontrivial).fill_null(False)
    parts = q.str.split(pl.when(candidate).then(a))  # split on the answer text (literal)
    found = parts.list.len() >= 2
    before = parts.list.first().str.slice(-12, 12)
    after = parts.list.get(1, null_on_oob=True).str.slice(0, 1)
    char_before = before.str.slice(-1, 1)
    boundary = ~char_before.str.contains(r"^\w$").fill_null(False) & ~after.str.contains(r"^\w$").fill_null(False)
    marker = before.str.contains(_RESULT_MARKER).fill_null(False)
    long_ = (alen >= 10) | (latex & (alen >= 6))
    return (candidate & found & boundary & (marker | long_)).fill_null(False)


def _leak_mask(df: pl.DataFrame, settings: CleanSettings) -> pl.Series:
    """answer_leak per row: a cheap per-row literal `contains` first, the boundary/marker checks
    only on the rows where the answer text occurs in the question at all."""
    a = pl.col("answer").str.strip_chars(" \n\t$")
    occurs = df.select(
        (pl.col("answer").is_not_null() & (a.str.len_chars() >= 3) & pl.col("question").str.contains(a, literal=True))
        .fill_null(False)
        .alias("m")
    ).to_series()
    if not occurs.any():
        return occurs
    idx = occurs.arg_true()
    sub = df.select("question", "answer", "answer_type", "choices")[idx]
    return occurs.scatter(idx, sub.select(_answer_leak(settings)).to_series())


# Question-text reasons run in two phases: a cheap case-sensitive literal prefilter over every row
# (Rust regex turns a literal alternation into a SIMD search), then the full pattern only on the
# rows that passed. The prefilter must match whenever the full pattern can.
_PROOF_PREFILTER = r"[Pp]rov|[Pp]roof|PROV|PROOF|[Ss]how|SHOW|[Dd]emonstrat|DEMONSTRAT|[Vv]erif|VERIF|[Ee]xplain|EXPLAIN|[Jj]ustif|JUSTIF"
_FIGURE_PREFILTER = (
    r"asy\]|ASY\]|includegraphics|!\[|<img|<IMG|\.png|\.PNG|\.jp|\.JP|\.gif|\.GIF|\.svg|\.SVG|"
    r"igure|IGURE|iagram|IAGRAM|icture|ICTURE|mage|MAGE|rawing|RAWING|hown|HOWN|ig\.|IG\."
)
_PART_PREFILTER = r"\(a\)|\(i\)|a\)|a\.|[Pp]art|PART"


def _question_masks(df: pl.DataFrame, settings: CleanSettings) -> dict[str, pl.Series]:
    q = pl.col("question")
    plans: dict[str, tuple[str, pl.Expr]] = {}
    if settings.proof:
        plans["_proof_q"] = (
            _PROOF_PREFILTER,
            q.str.contains(_PROOF_ALWAYS) | (q.str.contains(_PROOF_SOFT) & ~q.str.contains(_ASKS)),
        )
    if settings.figure:
        plans["_figure"] = (_FIGURE_PREFILTER, q.str.contains(_FIGURE))
    if settings.multi_part:
        expr = pl.lit(False)
        for first, second in _PART_PAIRS:
            expr = expr | (q.str.contains(first) & q.str.contains(second))
        plans["_multi_part"] = (_PART_PREFILTER, expr)
    if not plans:
        return {}
    pre = df.select(**{name: q.str.contains(pattern).fill_null(False) for name, (pattern, _) in plans.items()})
    out = {}
    for name, (_, full) in plans.items():
        mask = pre[name]
        if mask.any():
            idx = mask.arg_true()
            sub = df.select("question")[idx]
            mask = mask.scatter(idx, sub.select(full.fill_null(False)).to_series())
        out[name] = mask.alias(name)
    return out


def reason_exprs(settings: CleanSettings) -> dict[str, pl.Expr]:
    """Each enabled reason → a boolean expression (True = flag). Question-text reasons and the
    answer leak refer to helper columns that `flag_problems` computes first."""
    qlen = pl.col("_qlen")  # question length after strip, computed once by flag_problems
    a = pl.col("answer")
    out: dict[str, pl.Expr] = {}
    if settings.empty:
        out["empty"] = qlen == 0
    if settings.length:
        out["too_short"] = (qlen > 0) & (qlen < settings.min_question_chars)
        out["too_long"] = qlen > settings.max_question_chars
    if settings.missing_answer:
        out["missing_answer"] = a.is_null() | (a.str.strip_chars() == "")
    if settings.proof:
        out["proof"] = pl.col("_proof_q") | a.str.contains(_PROOF_ANSWER)
    if settings.figure:
        out["figure"] = pl.col("_figure")
    if settings.multi_part:
        out["multi_part"] = pl.col("_multi_part")
    if settings.yes_no:
        out["yes_no"] = a.str.contains(_YES_NO)
    if settings.answer_leak:
        out["answer_leak"] = pl.col("_leak")  # computed by flag_problems (two-phase, see _leak_mask)
    return {k: v.fill_null(False) for k, v in out.items()}


def flag_problems(df: pl.DataFrame, *, settings: CleanSettings = CleanSettings()) -> pl.DataFrame:
    """Add `clean_flags` and set `drop_reason` (where null) to the first flag. See module docstring."""
    if "drop_reason" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias("drop_reason"))
    if "clean_flags" not in df.columns:
        df = df.with_columns(pl.lit([], dtype=pl.List(pl.Utf8)).alias("clean_flags"))
    for col, dtype in (("answer_type", pl.Utf8), ("choices", pl.List(pl.Utf8)), ("kind", pl.Utf8), ("answer", pl.Utf8)):
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=dtype).alias(col))
    if not settings.enabled or df.height == 0:
        return df
    exprs = reason_exprs(settings)
    if not exprs:
        return df
    helpers = _question_masks(df, settings)
    if settings.answer_leak:
        helpers["_leak"] = _leak_mask(df, settings)
    not_puzzle = (pl.col("kind") != "puzzle").fill_null(True)
    # booleans first (cheap); the list column is built from a joined string only where a flag fired.
    # Eager on purpose: a lazy plan collects into many chunks, which makes the split's filters slower.
    columns = df.columns
    df = df.with_columns(_qlen=pl.col("question").str.strip_chars().str.len_chars().fill_null(0), **helpers)
    df = df.with_columns(**{f"_f_{name}": (not_puzzle & expr) for name, expr in exprs.items()})
    fired = [pl.col(f"_f_{name}") for name in exprs]
    first = pl.when(fired[0]).then(pl.lit(next(iter(exprs))))
    for name in list(exprs)[1:]:
        first = first.when(pl.col(f"_f_{name}")).then(pl.lit(name))
    joined = pl.concat_str(
        [pl.when(pl.col(f"_f_{name}")).then(pl.lit(name)) for name in exprs], separator="\x1f", ignore_nulls=True
    )
    empty = pl.lit([], dtype=pl.List(pl.Utf8))
    new_flags = pl.when(pl.any_horizontal(fired)).then(joined.str.split("\x1f")).otherwise(empty)
    had_flags = bool(df.select(pl.col("clean_flags").list.len().fill_null(0).sum()).item())
    flags = (
        pl.concat_list([pl.col("clean_flags").fill_null(empty), new_flags]) if had_flags else new_flags
    )
    df = df.with_columns(clean_flags=flags, drop_reason=pl.coalesce(pl.col("drop_reason"), first))
    return df.select(columns)
