"""Cleaning: flag problems that are not usable as RL items, as one ordered list of named rules.

`flag_problems(df, settings=...)`
- input columns: question, answer, answer_type, choices, kind, image, drop_reason (and clean_flags if set)
- output columns: `clean_flags` (every rule that fired, in `RULES` order; appended to any flags
  already there), `drop_reason` (the first rule that fired, only where drop_reason was still null)
  and `has_figure_code` (the question carries its figure as code: `[asy]`, TikZ, chemfig, picture).
Puzzles (`kind == "puzzle"`) are never flagged. Rows are never removed (see `curation.drop`).

`RULES` is the registry: each `Rule` has a name (the drop reason), its switch in `CleanSettings`,
a boolean expression and an optional literal prefilter (the full expression then runs only on the
rows the prefilter matches). Precedence is list order. Adding a rule is one entry here plus a
switch in `CleanSettings` (a test checks that the two agree) and fire / does-not-fire table rows.
`describe_rules()` gives the documentation text of every rule (used by `curate explain`-style help).

Quality on real labelled rows: `benchmarks/quality.py` (precision / recall per rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import polars as pl

from curation.config import CleanSettings

# ------------------------------------------------------------------------------------- patterns
# Polars uses Rust regex: no look-around, so exclusions are done by rewriting the text first.

_PROOF_ALWAYS = r"(?i)(?-u:\b)(?:prove|disprove)(?-u:\b)|(?-u:\b)proof\s+that(?-u:\b)|(?-u:\b)give\s+a\s+(?:direct\s+)?proof(?-u:\b)"
# "show/verify/demonstrate that", "deduce that", "explain why", "justify": a proof only when nothing
# else is asked. "which"/"what"/"how" count as an ask only at a sentence start (a relative "in which"
# does not), so "Let G be a group in which ... Show that G is abelian" is a proof.
# "show that" as an instruction: at a sentence or clause start ("Show that", ", show that", "and show
# that"), not "observations show that ..."
_PROOF_SOFT = (
    r"(?i)(?:^|[.;:!?)$]\s*|,\s*|(?-u:\b)(?:and|then|to|please)\s+)(?:show|demonstrate|verify|deduce)\s+that(?-u:\b)|"
    r"(?i)(?-u:\b)(?:explain\s+why|justify)(?-u:\b)"
)
_ASKS = (
    r"(?i)(?-u:\b)(?:find|compute|determine|calculate|evaluate|simplify|solve|how\s+many|how\s+much|express|"
    r"give|list|enumerate|count|estimate)(?-u:\b)|(?:^|[.!:;]\s+)(?:what|which|how|who|when|where)(?-u:\b)|\?"
)
# "Prove" next to an ask for a value with "or prove ...", "enough information to prove": a value is asked
_PROOF_ASIDE = r"(?i)(?:or|to)\s+(?:prove|disprove)(?-u:\b)"
_PROOF_ANSWER = r"(?i)^\s*(?:proof|q\.?e\.?d\.?|see\s+(?:the\s+)?proof|\\blacksquare|\\square|∎)\s*\.?\s*$"

# figure given as code (a figure *given*, not missing)
FIGURE_CODE = r"(?i)\[asy\]|\\begin\{tikzpicture\}|\\tikz(?-u:\b)|\\chemfig\{|\\begin\{(?:ps)?picture\}|\\psset"
# a visual that is missing: image links, file names, placeholders, numbered figure references
_FIGURE_LINK = (
    r"(?i)\\includegraphics|!\[[^\]]*\]\(|<img(?-u:\b)|\.(?:png|jpe?g|gif|svg|bmp)(?-u:\b)|insert\s*pic|"
    r"(?-u:\b)fig(?:ure)?\.?\s*(?:q\s*)?\d+[a-z]?(?-u:\b)|(?-u:\b)fig\.\s*q\w+"
)
# a reference to a visual by name; "X of" (the image of a point, the graph of f, a picture of) is
# rewritten away first, so geometric images and pictures as story objects do not count
_VISUAL_OF = r"(?i)(?-u:\b)(?:image|graph|picture|figure|drawing|diagram)s?\s+of(?-u:\b)"
_VISUAL = r"(?:figure|diagram|picture|drawing|illustration|circuit|graph|chart|network|image)s?"
_FIGURE_REF = (
    r"(?i)(?-u:\b)(?:in|see|from)\s+(?:the\s+)?(?:following\s+|above\s+|below\s+|given\s+|accompanying\s+)?(?:figure|diagram|fig\.)|"
    rf"(?-u:\b)(?:the|following|above|below|given|accompanying|adjoining|adjacent)\s+{_VISUAL}\s+"
    r"(?:below|above|shown|here|at\s+(?:the\s+)?(?:right|left)|on\s+the\s+(?:right|left)|shows?|represents?|illustrates?)(?-u:\b)|"
    rf"(?-u:\b)following\s+{_VISUAL}(?-u:\b)|\((?:see\s+)?(?:the\s+)?(?:figure|diagram)\)|"
    r"(?-u:\b)(?:figure|diagram|picture)s?\s+(?:below|above)(?-u:\b)|(?-u:\b)as\s+shown\s+in(?-u:\b)"
)
# "shown below" with no visual noun. When what is shown is text (a calculation, numbers, a
# pattern, rows ...) it usually follows inline: missing only when nothing (no math, no new line)
# comes after. Anything else shown (spinners, a resistor, examples of paths) is a missing visual
# unless the text lays content out inline.
_SHOWN = r"(?is)(?-u:\b)shown\s+(?:below|above|here)(?-u:\b)(.*)$"
_SHOWN_TEXTUAL = (
    r"(?i)(?-u:\b)(?:calculations?|expressions?|products?|sums?|numbers?|equations?|sequences?|patterns?|rows?|"
    r"lists?|tables?|data|values|statements?|conditions?|steps?|clues?|operations?|cards?|digits?|terms?)"
    r"(?:\s+\S+){0,3}\s+shown\s+(?:below|above|here)"
)
# content laid out in the text itself (the "figure" is given: a table, an array, listed rows)
_INLINE_LAYOUT = (
    r"\\begin\{(?:array|tabular|matrix|[pbvBV]matrix|align\*?|eqnarray)\}|(?m)^\s*\|.*\|\s*$|\$\\bullet\$|"
    r"(?i)(?:below|above|following)\s*:\s*\S|\n\s*[\d$\\][^\n]*\n\s*[\d$\\]"
)

# multi_part: separately asked questions (Python regex, run per row on prefiltered rows). Labelled
# sub-questions that each ask: an interrogative one must end in "?" before the next label
# ("1If ... how many ...? 2If ..."), an imperative one in "." or "?" ("(a) Find ... (b) Find ...").
_ASKQ = r"(?:if|what|how|which|who|is|are|does|do|can)"
_ASKI = r"(?:find|calculate|compute|determine|evaluate|simplify|show|prove|explain|give|list)"
_SUBQ = (
    rf"(?i)(?:^|[\s.?!:])(?:part\s*)?\(?(?:1|a|i)\)?[.):]?\s*(?:{_ASKQ}\b[^?]{{0,300}}\?|{_ASKI}\b[^?.]{{0,300}}[?.])"
    rf"\s*(?:part\s*)?\(?(?:2|b|ii)\)?[.):]?\s*(?:{_ASKQ}|{_ASKI})\b"
)
# ... or labelled items that end in "=" / "?" each ("Calculate (1) 6+19= (2) 15-8=")
_SUBQ_EQ = r"\(1\)[^()]{1,80}(?:=|\?)\s*\(2\)"
# ... or two or more interrogative sentences outside quotes
_QUOTED = r"\"[^\"]*\"|“[^”]*”|``[^']*''"
_ASK_START = (
    r"(?i)^(?:and\s+|then\s+|also\s+|if\s+[^,?]{0,200},\s*)?"
    r"(?:what|how|which|who|when|where|why|is|are|does|do|did|can|could|will|would|should|find|determine|compute|calculate|if)\b"
    r"|\b(?:what|how\s+many|how\s+much|which|who)\b"
)
# asks that are not a new question: picking among listed options, a restated unknown
_NOT_NEW_ASK = r"(?i)^which\s+(?:option|one|answer|choice|statement)s?\s+(?:is|are)\s+(?:correct|true|right)|^what\s+is\s+(?:[a-z]|M\d+)\s*\?$"
# follow-ups that restate the same ask: "The answer can be written in the form m/n ... What is m+n?"
_FORM_FOLLOWUP = r"(?i)(?:in\s+the\s+form|can\s+be\s+written|where\s+M\d*\s+and\s+M\d*\s+are)[^?]{0,300}\?\s*$"
# an ask that restates the one before it is not a second ask: it opens with a restatement marker
# ("That is, in how many ways ...", "In other words, ...", "i.e. ...") or it only asks for the answer
# to what was already asked ("What am I? What is the answer to the riddle?")
_RESTATED = (
    r"(?i)^(?:that\s+is|in\s+other\s+words|i\.?\s*e\.?|ie|namely|equivalently|put\s+(?:another|differently)|"
    r"or\s+(?:equivalently|put\s+another\s+way)|to\s+(?:put|say)\s+it\s+another\s+way)\b"
)
_ANSWER_ONLY = (
    r"(?i)^(?:so\s+|then\s+|and\s+)?(?:what|which)\s+(?:is|was|would\s+be|will\s+be)\s+(?:the|your|its)\s+(?:final\s+|correct\s+)?"
    r"(?:answer|result|solution|outcome)(?:\s+(?:to|of|for)\s+(?:the|this|that|it|her|his|their)(?:\s+\w+){0,2})?\s*\?$"
)
# the same ask repeated at once: consecutive asks with the same content words (math spans are
# numbered, so "the coefficient of $CO$" and "the coefficient of $O_2$" stay different asks). Not
# "mostly the same words": on labelled real rows that merged real pairs ("What is the most ...? What
# is the least ...?", "norm from H to X? ... from H to H?"), and with a state change between two
# asks ("... added 50 g of water. What is the concentration?") even equal words ask different things.
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for from by with and or is are was were be been do does did can could will would "
    "should what which how who when where why that this these those there it its as if then so than many much "
    "any all each some you we your our i me my he she they him her them his their has have had "
    "find determine compute calculate give".split()
)
# worked sub-problems before the asked one (Minerva-style "Subproblem 0: ... Solution: ..."): only
# the text after the last "Subproblem N:" is asked
# (found by scanning for the last label: a leading `.*` here backtracks quadratically on long text)
_SUBPROBLEM_LABEL = r"(?i)\bsubproblem\s+\d+\s*:"

_YES_NO = r"(?i)^\s*\$?\s*(?:\\(?:text|textbf|mathrm)\s*\{\s*)?(?:yes|no|true|false)\s*\}?\s*\.?\s*\$?\s*$"
_RESULT_MARKER = r"(?i)(?:=|(?-u:\b)is|(?-u:\b)equals?|(?-u:\b)be|(?-u:\b)to|(?-u:\b)of|:)\s*\$?\s*\{?\s*$"
# options written into the question: the value among them is an option, not a leak
_INLINE_OPTIONS = r"\(\s*A\s*\)[\s\S]*\(\s*B\s*\)|\\textbf\{\s*\(?A\)?|(?m)^\s*A[.)]\s[\s\S]*^\s*B[.)]\s"


def _any_word(*words: str) -> str:
    """A case-tolerant literal alternation ("Word", "word", "WORD") without `(?i)`: Rust regex turns
    a case-sensitive literal alternation into a SIMD search, which a prefilter over every row needs."""
    import re

    alts = []
    for w in words:
        alts += sorted({re.escape(w), re.escape(w[:1].upper() + w[1:]), re.escape(w.upper())})
    return "|".join(alts)


# ----------------------------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Rule:
    """One cleaning rule. `expr(settings)` is a boolean polars expression over the input columns
    and the helper columns `flag_problems` adds (`_qlen`, `_has_figure_code`); `prefilter` is a
    cheap regex over the question that must match whenever the rule can fire. `python` is a per-row
    check on the question, OR-ed with `expr`, run only on prefiltered rows where `expr` did not fire
    and `python_when(settings)` holds (keep that set small: Python costs ~50 us a row)."""

    name: str
    switch: str
    doc: str
    expr: Callable[[CleanSettings], pl.Expr] | None = None
    prefilter: str | None = None
    python: Callable[[str], bool] | None = None
    python_when: Callable[[CleanSettings], pl.Expr] | None = None


def _figure_expr(settings: CleanSettings) -> pl.Expr:
    q = pl.col("question")
    code = pl.col("_has_figure_code")
    q_clean = q.str.replace_all(_VISUAL_OF, "_of")
    after_shown = q_clean.str.extract(_SHOWN, 1)
    textual = q_clean.str.contains(_SHOWN_TEXTUAL)
    nothing_after = ~after_shown.str.contains(r"\$|\n|\\\[").fill_null(False)
    shown = after_shown.is_not_null() & (~textual | nothing_after)
    layout = q.str.contains(_INLINE_LAYOUT)
    image = pl.col("image").str.strip_chars().str.len_chars().fill_null(0) > 0  # an image field, not in the text
    missing = image | q.str.contains(_FIGURE_LINK) | ((q_clean.str.contains(_FIGURE_REF) | shown) & ~layout)
    if settings.figure_code == "drop":
        return code | missing
    return ~code & missing


def _proof_expr(settings: CleanSettings) -> pl.Expr:
    q = pl.col("question")
    a = pl.col("answer")
    asks = q.str.contains(_ASKS)
    # a value is asked next to the proof ("find n and prove it is the largest") and the source gives
    # a short final answer: the item is checkable on that answer, so it is not dropped as a proof
    value_answer = a.is_not_null() & (a.str.strip_chars().str.len_chars().is_between(1, 100)) & ~a.str.contains(_PROOF_ANSWER)
    always = q.str.contains(_PROOF_ALWAYS) & ~(asks & (q.str.contains(_PROOF_ASIDE) | value_answer))
    return always | (q.str.contains(_PROOF_SOFT) & ~asks) | a.str.contains(_PROOF_ANSWER)


def _content_words(sentence: str) -> set[str]:
    import re

    return {w for w in re.findall(r"\w+", sentence.lower()) if w not in _FUNCTION_WORDS}


def _same_ask(a: str, b: str) -> bool:
    """The same content words (at least two) in both asks."""
    wa = _content_words(a)
    return len(wa) >= 2 and wa == _content_words(b)


def _count_asks(question: str) -> int:
    """Interrogative sentences outside quotes, of three words or more, minus option pickers and an
    answer-form follow-up of the same ask, and asks that restate an earlier one."""
    import re

    last = None
    for last in re.finditer(_SUBPROBLEM_LABEL, question):
        pass
    text = question[last.end():] if last is not None else question
    text = re.sub(_QUOTED, " ", text)
    text = re.sub(r"~|\\\\hspace\\{[^}]*\\}|\\\\textbf\\{|\\\\uline\\{[^}]*\\}", " ", text)  # layout commands
    spans: dict[str, str] = {}
    # math is not sentence structure: each distinct span becomes one token (M1, M2, ...)
    text = re.sub(r"\$\$[^$]*\$\$|\$[^$]*\$", lambda m: spans.setdefault(m.group(0), f"M{len(spans) + 1}"), text)
    text = re.sub(r"(?i)\bi\.\s*e\.", "ie", text)  # "i.e." does not end a sentence
    sentences = [t.strip() for t in re.split(r"(?<=[.?!])\s+|\n+", text) if t.strip()]
    asks: list[str] = []
    previous_was_ask = False
    for t in sentences:
        if not (t.endswith("?") and re.search(_ASK_START, t) and len(t.split()) >= 3) or re.search(_NOT_NEW_ASK, t):
            previous_was_ask = False
            continue
        if asks and (re.search(_RESTATED, t) or re.search(_ANSWER_ONLY, t) or (previous_was_ask and _same_ask(t, asks[-1]))):
            continue  # the same ask again, in other words
        asks.append(t)
        previous_was_ask = True
    n = len(asks)
    if n >= 2 and re.search(_FORM_FOLLOWUP, text):
        n -= 1
    return n


def _multi_part_row(question: str) -> bool:
    """The whole rule in Python (tests and callers that hold one text)."""
    import re

    if re.search(_SUBQ, question) or re.search(_SUBQ_EQ, question):
        return True
    return _count_asks(question) >= 2


def _multi_part_labelled(settings: CleanSettings) -> pl.Expr:
    """The labelled sub-question patterns, vectorized (the same regexes run in Rust)."""
    q = pl.col("question")
    return q.str.contains(_SUBQ) | q.str.contains(_SUBQ_EQ)


def _two_asks(question: str) -> bool:
    return _count_asks(question) >= 2


def _answer_leak_expr(settings: CleanSettings) -> pl.Expr:
    a = pl.col("answer").str.strip_chars(" \n\t$")
    q = pl.col("question")
    alen = a.str.len_chars()
    latex = a.str.contains("\\", literal=True)
    nontrivial = (alen >= 3) & ~a.str.contains(r"^[-+]?\d{1,3}$")
    is_mcq = (
        (pl.col("answer_type") == "choice").fill_null(False)
        | (pl.col("choices").list.len().fill_null(0) > 0)
        | q.str.contains(_INLINE_OPTIONS).fill_null(False)
    )
    candidate = (pl.col("answer").is_not_null() & ~is_mcq & nontrivial).fill_null(False)
    parts = q.str.split(pl.when(candidate).then(a))  # split on the answer text (literal)
    found = parts.list.len() >= 2
    before = parts.list.first().str.slice(-12, 12)
    after = parts.list.get(1, null_on_oob=True).str.slice(0, 1)
    char_before = before.str.slice(-1, 1)
    boundary = ~char_before.str.contains(r"^\w$").fill_null(False) & ~after.str.contains(r"^\w$").fill_null(False)
    marker = before.str.contains(_RESULT_MARKER).fill_null(False)
    long_ = (alen >= 10) | (latex & (alen >= 6))
    return candidate & found & boundary & (marker | long_)


def _missing_answer(settings: CleanSettings) -> pl.Expr:
    a = pl.col("answer")
    return a.is_null() | (a.str.strip_chars() == "")


RULES: tuple[Rule, ...] = (
    Rule("empty", "empty", "No question text.", lambda s: pl.col("_qlen") == 0),
    Rule("too_short", "length", "Fewer than `min_question_chars` characters.",
         lambda s: (pl.col("_qlen") > 0) & (pl.col("_qlen") < s.min_question_chars)),
    Rule("too_long", "length", "More than `max_question_chars` characters.", lambda s: pl.col("_qlen") > s.max_question_chars),
    Rule("missing_answer", "missing_answer", "No reference answer (after ingest looked in the solution).", _missing_answer),
    Rule(
        "proof", "proof",
        "Asks for a proof: prove/disprove/proof that; or show/verify/demonstrate/deduce that, explain why, "
        "justify when nothing else is asked (a relative 'in which' is not an ask); or the answer is 'proof'/QED.",
        _proof_expr,
        prefilter=_any_word("prov", "proof", "show", "demonstrat", "verif", "deduc", "explain", "justif", "square", "qed", "q.e.d")
        + "|∎",
    ),
    Rule(
        "figure", "figure",
        "Depends on a visual that is not given: an image field (`image`), image links or files, placeholders ('insert pic'), numbered "
        "figures ('Fig. Q2'), 'in the figure/diagram', 'the diagram below', 'the following circuit', a bare "
        "'shown below' with nothing after it. Not: figure code in the text (see `figure_code`), geometric "
        "'image of', pictures as story objects, tables or rows laid out inline.",
        _figure_expr,
        prefilter=_any_word(
            "asy]", "tikz", "chemfig", "psset", "includegraphics", "![", "<img", ".png", ".jp", ".gif", ".svg", ".bmp",
            "insert", "fig", "diagram", "shown", "picture", "drawing", "illustration", "circuit", "graph", "chart",
            "network", "image",
        ),
    ),
    Rule(
        "multi_part", "multi_part",
        "Two or more separately asked questions: labelled sub-questions that each ask ('1If ... 2If ...', "
        "'(a) Find ... (b) Find ...'), or two interrogative sentences outside quotes (a restatement such as 'That is, ...', "
        "'What is the answer to the riddle?' or the same ask repeated at once, and an answer-form "
        "follow-up such as 'written as m/n ... What is m+n?' is the same ask). Not enumerated givens or options.",
        _multi_part_labelled,
        # fires only with a second labelled ask, "(1) ... =", or two question marks
        prefilter=rf"\?[\s\S]*\?|\(1\)|(?i)(?:^|[\s.?!:])(?:part\s*)?\(?(?:2|b|ii)\)?[.):]?\s*(?:{_ASKQ}|{_ASKI})(?-u:\b)",
        python=_two_asks,
        python_when=lambda s: pl.col("question").str.count_matches(r"\?") >= 2,  # two asks need two "?"
    ),
    Rule("yes_no", "yes_no", "The answer is yes/no/true/false.", lambda s: pl.col("answer").str.contains(_YES_NO)),
    Rule(
        "answer_leak", "answer_leak",
        "The question states the reference answer as a result. Off by default: on labelled real rows it was "
        "right in 1 of 22 hits (the rest: a coincidental given, or an option); benchmarks/quality.py.",
        _answer_leak_expr,
        prefilter=None,
    ),
)
REASONS = tuple(r.name for r in RULES)


def describe_rules() -> dict[str, str]:
    """Rule name → its documentation (the one source for help texts and docs)."""
    return {r.name: r.doc for r in RULES}


def rules_help() -> str:
    """One line per rule, in precedence order, for config notes (`curate init`) and help texts."""
    return "\n".join(f"{r.name} (switch: {r.switch}): {r.doc}" for r in RULES)


def enabled_rules(settings: CleanSettings) -> list[Rule]:
    return [r for r in RULES if getattr(settings, r.switch)]


def has_figure_code(question: pl.Expr) -> pl.Expr:
    return question.str.contains(FIGURE_CODE).fill_null(False)


_RULE_INPUTS = ("question", "answer", "answer_type", "choices", "image", "_has_figure_code", "_qlen")


def _prefilter_expr(rule: Rule, settings: CleanSettings) -> pl.Expr:
    """Where the rule can fire at all: its cheap prefilter (or its whole expression when it has none)."""
    if rule.prefilter is None:
        return rule.expr(settings).fill_null(False)
    return pl.col("question").str.contains(rule.prefilter).fill_null(False)


def _rule_mask(df: pl.DataFrame, rule: Rule, settings: CleanSettings, pre: pl.Series | None = None) -> pl.Series:
    """One rule over the frame: the prefilter over every row (or `pre`, computed with the other
    rules' prefilters in one parallel select), the full check only where it matched."""
    if rule.name == "answer_leak":
        return _leak_mask(df, settings)
    if pre is None:
        pre = df.select(_prefilter_expr(rule, settings).alias(rule.name)).to_series()
    if rule.prefilter is None:
        return pre.alias(rule.name)
    mask = pre.alias(rule.name)
    if rule.name == "proof":  # the answer part of the proof rule does not depend on the question
        mask = mask | df.select(pl.col("answer").str.contains(_PROOF_ANSWER).fill_null(False)).to_series()
    if rule.name == "figure":  # figure code (policy "drop") and image fields do not show in the question
        mask = mask | df.select(pl.col("image").str.strip_chars().str.len_chars().fill_null(0) > 0).to_series()
        if settings.figure_code == "drop":
            mask = mask | df["_has_figure_code"]
    if not mask.any():
        return mask.alias(rule.name)
    idx = mask.arg_true()
    # only the columns rules read (gathering every column, long solutions included, costs more than the checks)
    sub = df.select([c for c in _RULE_INPUTS if c in df.columns])[idx]
    if rule.expr is not None:
        values = sub.select(rule.expr(settings).fill_null(False)).to_series()
    else:
        values = pl.Series([False] * sub.height, dtype=pl.Boolean)
    if rule.python is not None:
        when = ~values
        if rule.python_when is not None:
            when = when & sub.select(rule.python_when(settings).fill_null(False)).to_series()
        if when.any():
            rows = when.arg_true()
            texts = sub["question"].gather(rows).to_list()
            values = values.scatter(rows, pl.Series([bool(t) and bool(rule.python(t)) for t in texts], dtype=pl.Boolean))
    return mask.scatter(idx, values).alias(rule.name)


def _leak_mask(df: pl.DataFrame, settings: CleanSettings) -> pl.Series:
    """answer_leak per row: a cheap per-row literal `contains` first, the boundary/marker checks
    only on the rows where the answer text occurs in the question at all."""
    a = pl.col("answer").str.strip_chars(" \n\t$")
    occurs = df.select(
        (pl.col("answer").is_not_null() & (a.str.len_chars() >= 3) & pl.col("question").str.contains(a, literal=True))
        .fill_null(False)
        .alias("answer_leak")
    ).to_series()
    if not occurs.any():
        return occurs
    idx = occurs.arg_true()
    sub = df.select("question", "answer", "answer_type", "choices")[idx]
    return occurs.scatter(idx, sub.select(_answer_leak_expr(settings).fill_null(False)).to_series())


def flag_problems(df: pl.DataFrame, *, settings: CleanSettings = CleanSettings()) -> pl.DataFrame:
    """Add `clean_flags`, `has_figure_code` and set `drop_reason` (where null) to the first flag."""
    if "drop_reason" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias("drop_reason"))
    if "clean_flags" not in df.columns:
        df = df.with_columns(pl.lit([], dtype=pl.List(pl.Utf8)).alias("clean_flags"))
    for col, dtype in (("answer_type", pl.Utf8), ("choices", pl.List(pl.Utf8)), ("kind", pl.Utf8), ("answer", pl.Utf8), ("image", pl.Utf8)):
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=dtype).alias(col))
    df = df.with_columns(has_figure_code=has_figure_code(pl.col("question")))
    if not settings.enabled or df.height == 0:
        return df
    rules = enabled_rules(settings)
    if not rules:
        return df
    columns = df.columns
    work = df.with_columns(
        _qlen=pl.col("question").str.strip_chars().str.len_chars().fill_null(0),
        _has_figure_code=pl.col("has_figure_code"),
    )
    not_puzzle = work.select((pl.col("kind") != "puzzle").fill_null(True)).to_series()
    # every rule's prefilter in one select: polars evaluates the expressions in parallel
    pre = work.select(**{r.name: _prefilter_expr(r, settings) for r in rules if r.name != "answer_leak"})
    masks = {
        r.name: (_rule_mask(work, r, settings, pre[r.name] if r.name in pre.columns else None) & not_puzzle).alias(f"_f_{r.name}")
        for r in rules
    }
    work = work.with_columns(list(masks.values()))
    names = list(masks)
    fired = [pl.col(f"_f_{name}") for name in names]
    first = pl.when(fired[0]).then(pl.lit(names[0]))
    for name in names[1:]:
        first = first.when(pl.col(f"_f_{name}")).then(pl.lit(name))
    joined = pl.concat_str([pl.when(pl.col(f"_f_{n}")).then(pl.lit(n)) for n in names], separator="\x1f", ignore_nulls=True)
    empty = pl.lit([], dtype=pl.List(pl.Utf8))
    new_flags = pl.when(pl.any_horizontal(fired)).then(joined.str.split("\x1f")).otherwise(empty)
    had_flags = bool(work.select(pl.col("clean_flags").list.len().fill_null(0).sum()).item())
    flags = pl.concat_list([pl.col("clean_flags").fill_null(empty), new_flags]) if had_flags else new_flags
    work = work.with_columns(clean_flags=flags, drop_reason=pl.coalesce(pl.col("drop_reason"), first))
    return work.select(columns)
