"""The checks a candidate pair must pass to be the same problem."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from curation.config import DecontaminateSettings
from curation.dedup.content import SIGNIFICANT_WORDS, same_problem, significant_tokens
from curation.decontaminate.candidates import Boilerplate
from curation.decontaminate.text import ngram_hashes


def informative_positions(toks: list[str], hashes: dict[str, int], boiler: Boilerplate, kind: str, n: int) -> list[bool]:
    """Per token: False inside any boilerplate n-gram (a text shorter than n: all True)."""
    if len(toks) < n:
        return [True] * len(toks)
    seq = mask_numbers(toks) if kind == "template" else toks
    words = np.array([hashes[t] for t in seq], dtype=np.uint64)
    _, h = ngram_hashes(words, np.array([len(seq)], dtype=np.int64), n)
    keep = [True] * len(toks)
    for start, common in enumerate(boiler.mask(kind, h).tolist()):
        if common:
            keep[start : start + n] = [False] * n
    return keep


def _numbers(toks: list[str]) -> Counter:
    return Counter(t for t in toks if t[:1].isdigit())


def _contained(part: Counter, whole: Counter) -> float:
    total = sum(part.values())
    return 1.0 if total == 0 else sum((part & whole).values()) / total


def mask_numbers(toks: list[str]) -> list[str]:
    return ["#" if t[:1].isdigit() else t for t in toks]


@dataclass
class Verdict:
    match: bool
    span: list[str]
    reason: str  # why not (empty for a match)


def _clean_cover(a: list[str], b: list[str], info: list[bool], n: int) -> float:
    """Share of `a`'s clean n-grams (no boilerplate token inside; n = min(n, len(a), len(b))) that `b`
    also has. Unlike the join's coverage, n-grams that straddle boilerplate (an added instruction)
    do not count against a side."""
    k = max(1, min(n, len(a), len(b)))
    theirs = {tuple(b[i : i + k]) for i in range(len(b) - k + 1)}
    clean = [tuple(a[i : i + k]) for i in range(len(a) - k + 1) if all(info[i : i + k])]
    return 1.0 if not clean else sum(g in theirs for g in clean) / len(clean)


def _contains_run(seq: list[str], run: list[str]) -> bool:
    k = len(run)
    return k == 0 or any(seq[i : i + k] == run for i in range(len(seq) - k + 1))


def _near(word: str, other: list[str], at_edge: bool) -> bool:
    """`word` (missing from `other`) is another spelling of something `other` has: a typo (one
    edit, words of 5+ letters), a word cut at the start or end of the text ("umbers" for "numbers",
    `at_edge`), or two neighbouring words written as one ("numbersis")."""
    if at_edge and len(word) >= 3 and any(len(w) > len(word) and (w.endswith(word) or w.startswith(word)) for w in other):
        return True
    if len(word) >= 5:
        if any(len(w) >= 5 and _one_edit(word, w) for w in other):
            return True
        return any(abs(len(x) + len(y) - len(word)) <= 1 and _one_edit(word, x + y) for x, y in zip(other, other[1:]))
    return False


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    short, long_ = sorted((a, b), key=len)
    i = next((k for k, (x, y) in enumerate(zip(short, long_)) if x != y), len(short))
    return short[i + (len(short) == len(long_)) :] == long_[i + 1 :]


def _missing_rare(own: set[str], toks: list[str], other: list[str]) -> set[str]:
    """Rare words of one side that the other side lacks, other spellings (`_near`) forgiven."""
    edges = {toks[0], toks[-1]} if toks else set()
    return {w for w in own - set(other) if not _near(w, other, w in edges)}


def _asked_part(toks: list[str], info: list[bool], tail: int) -> list[str]:
    """The last `tail` tokens up to the last informative one (where a problem says what it asks)."""
    last = max((i for i, k in enumerate(info) if k), default=len(toks) - 1)
    return toks[max(0, last + 1 - tail) : last + 1] if tail else []


_NEGATIONS = frozenset({"not", "no", "never", "none", "cannot", "neither", "nor"})
# one meaning, several words: "largest possible value" is "maximum value"
_SAME_MEANING = {
    "largest": "max", "greatest": "max", "biggest": "max", "maximum": "max", "most": "max",
    "smallest": "min", "least": "min", "minimum": "min", "fewest": "min", "total": "sum",
}
# comparison and sign operators; a hyphen inside prose ("two-digit", "6-sided") is not a minus
_OPERATOR = re.compile(r"[+=<>]|\\(?:le|ge|ne)q?\b|\\[mp]m\b|-(?![a-z]{3})")


def math_operators(text: str) -> Counter:
    """The comparison and sign operators of a `text.normalize_texts` text, as a multiset: "x+y" and
    "x-y" are one token sequence, so only the operators tell them apart."""
    return Counter(op.rstrip("q") for op in _OPERATOR.findall(text))


def _changed_meaning(a: list[str], b: list[str]) -> bool:
    """Where the texts differ, a word that changes the mathematics stands in the place of another
    ("area" / "perimeter", "two" / "three"; `SIGNIFICANT_WORDS`, synonyms such as "largest" /
    "maximum" equal), or a short difference is a negation ("is zero" / "is not zero"; an added
    sentence that happens to hold a "not" is no such difference)."""
    sig = lambda toks: {_SAME_MEANING.get(t, t) for t in toks if t in SIGNIFICANT_WORDS or t in _SAME_MEANING}  # noqa: E731
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        x, y = a[i1:i2], b[j1:j2]
        if op == "replace" and sig(x) and sig(y) and sig(x) != sig(y):
            return True
        if len(x) <= 2 and len(y) <= 2 and bool(_NEGATIONS & set(x)) != bool(_NEGATIONS & set(y)):
            return True
    return False


def judge_pair(
    row_toks: list[str], item_toks: list[str], *, item_cover: float, row_cover: float, rare: set[str],
    settings: DecontaminateSettings, kind: str, row_info: list[bool] | None = None, item_info: list[bool] | None = None,
    row_ops: Counter = Counter(), item_ops: Counter = Counter(),
) -> Verdict:
    """The checks after the coverage score, for one candidate pair (tokens as `text.tokens`).

    Same problem by coverage: the better-covered side (the item when a row contains a copy of it, the
    row when the item carries extra text such as a reworded instruction) must be found in the other:
    its numbers (multiset, at least `min_number_agreement`; and at least `min_other_number_agreement`
    of the other side's numbers in it), its rare words (at most `max_missing_rare_share` missing; a
    typo, a word cut at the text's start or end or two words run together count as found), and its
    last `tail_tokens` tokens up to its last informative one as one run, because the asked quantity
    sits at the end ("find c" vs "find d" on one figure). Only tokens inside informative n-grams
    count (`*_info`): boilerplate such as "what is m+n?" is neither required nor evidence. The other
    side must be covered too (`min_other_cover`), so a row that adds conditions to a benchmark item, or
    a sentence shared by two longer problems, does not count; and when the better-covered side carries
    no number and no rare word (a generic sentence such as "Which of the following statements is not
    correct?") is no hit: it names no problem.

    Same problem by its mathematics (a reworded copy, lower coverage): both sides have the same
    numbers (multiset, at least one) and the same operators (`row_ops`, `item_ops`: `math_operators`), each side's asked part recurs in the other, neither lacks more than
    `max_missing_rare_share` of the other's rare words, and both are covered `min_math_cover`.

    Either way the negations agree ("is zero" / "is not zero"), no word that changes the mathematics
    stands in the place of another ("area" / "perimeter"; `SIGNIFICANT_WORDS`, synonyms such as
    "largest" / "maximum" equal), and the better-covered side's operators are in the other ("x+y" /
    "x-y"; at least `min_number_agreement`).

    Template matches (numbers masked) use the coverage path without the number checks.
    """
    masked = kind == "template"
    a, b = (mask_numbers(row_toks), mask_numbers(item_toks)) if masked else (row_toks, item_toks)
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    span = row_toks[m.a : m.a + m.size]
    row_info = row_info or [True] * len(a)
    item_info = item_info or [True] * len(b)
    # recomputed on clean n-grams (n capped at the shorter length, so a short item inside a row with
    # an instruction counts)
    row_cover, item_cover = _clean_cover(a, b, row_info, settings.ngram), _clean_cover(b, a, item_info, settings.ngram)
    if not masked and not _distinctive(item_toks, rare, item_ops):
        return Verdict(False, span, GENERIC)
    if not masked and _changed_meaning(row_toks, item_toks):
        return Verdict(False, span, "negation or a significant word differs")
    if m.size < min(settings.min_span, len(a), len(b)):
        why = "span"
    else:
        why = _by_coverage(a, b, row_toks, item_toks, row_info, item_info, row_cover, item_cover, rare, settings, masked)
        covered = (b, item_info) if item_cover >= row_cover else (a, row_info)
        ops = (item_ops, row_ops) if item_cover >= row_cover else (row_ops, item_ops)
        if not why and not masked and _contained(*ops) < settings.min_number_agreement:
            why = "operators"
        if not why and not _distinctive(covered[0], rare, ops[0]):
            why = GENERIC
    same_ops = row_ops == item_ops
    if not why or (
        not masked and same_ops
        and _by_mathematics(row_toks, item_toks, row_info, item_info, row_cover, item_cover, rare, settings)
    ):
        return Verdict(True, span, "")
    return Verdict(False, span, why)


def _by_mathematics(row_toks, item_toks, row_info, item_info, row_cover, item_cover, rare, settings) -> bool:
    """The same problem reworded (see `judge_pair`): same numbers, asked parts and rare words."""
    numbers = _numbers(row_toks)
    if not numbers or numbers != _numbers(item_toks) or min(row_cover, item_cover) < settings.min_math_cover:
        return False
    for toks, info, other in ((row_toks, row_info, item_toks), (item_toks, item_info, row_toks)):
        if not _contains_run(other, _asked_part(toks, info, settings.tail_tokens)):
            return False
        own = {t for t, k in zip(toks, info) if k} & rare
        if own and len(_missing_rare(own, toks, other)) / len(own) > settings.max_missing_rare_share:
            return False
    return True


def _by_coverage(
    a, b, row_toks, item_toks, row_info, item_info, row_cover, item_cover, rare, settings, masked,
) -> str:
    """Empty when the pair is the same problem by coverage (see `judge_pair`), else why not."""
    if min(item_cover, row_cover) < settings.min_other_cover:
        return "other side not covered"
    item_side = item_cover >= row_cover
    covered, other = (b, a) if item_side else (a, b)
    raw_covered, raw_other = (item_toks, row_toks) if item_side else (row_toks, item_toks)
    info = item_info if item_side else row_info
    kept = [t for t, k in zip(covered, info) if k]
    kept_raw = [t for t, k in zip(raw_covered, info) if k]
    if not _contains_run(other, _asked_part(covered, info, settings.tail_tokens)):
        return "asked part differs: " + " ".join(_asked_part(covered, info, settings.tail_tokens))
    if not masked:
        if _contained(_numbers(kept_raw), _numbers(raw_other)) < settings.min_number_agreement:
            return "numbers"
        other_info = row_info if item_side else item_info
        other_kept = _numbers([t for t, k in zip(raw_other, other_info) if k])
        if _contained(other_kept, _numbers(raw_covered)) < settings.min_other_number_agreement:
            return "numbers of the other side"
    own = set(kept) & rare
    missing = _missing_rare(own, covered, other)
    if own and len(missing) / len(own) > settings.max_missing_rare_share:
        return "rare words: " + " ".join(sorted(missing))
    return ""


GENERIC = "generic: no number, rare word or operator"


def _distinctive(toks: list[str], rare: set[str], ops: Counter) -> bool:
    """The text carries a number, a rare word or an operator. A generic sentence ("Which of the
    following statements is true?") names no problem (the options it leaves out do): never a hit by
    itself, nor inside a longer row."""
    return bool(ops) or any(t[:1].isdigit() or t in rare for t in toks)


#: words that introduce a clause and say nothing about the mathematics ("numbers *where* the tens digit
#: ..." / "numbers in which the tens digit ..."); the near-duplicate rule's function words are the others
CONNECTIVES = frozenset({"where", "whereby", "when", "whose", "such"})


def restated(norm_row: str, norm_item: str) -> bool:
    """The near-duplicate rule's "same problem" (`curation.dedup.content.same_problem`: function words
    and question phrasing free, typos, one redundant extra word, a copy cut in its first or last word,
    on dedup-normalized texts), or its significant tokens equal but for one connective word."""
    if same_problem(norm_row, norm_item):
        return True
    a, b = significant_tokens(norm_row), significant_tokens(norm_item)
    edits = [op for op in SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(edits) != 1 or min(len(a), len(b)) < 4:
        return False
    _, i1, i2, j1, j2 = edits[0]
    extra = a[i1:i2] + b[j1:j2]
    return (i1 == i2 or j1 == j2) and len(extra) == 1 and extra[0] in CONNECTIVES


ANSWER = "answer"  # the evidence kind of an answer-confirmed hit
# an answer that is a relation ("2x - y + 3z + 8 = 0", "lim ... = 1/2", "x \neq 1") confirms nothing
# here. `same_answer` compares an equation relating variables whole, but reads a named value
# (`f(2) = 7`) or a worked solution's last step by its right-hand side, so a college_math explanation
# "... = 1/2" agrees with a series summing to 1/2; and before that fix seven labelled different pairs
# matched one MATH-500 plane equation "... = 0". A stricter rule than dedup's, which also requires
# identical math tokens.
_RELATION = re.compile(r"[=<>≤≥≠]|\\(?:neq?|leq?|geq?|lt|gt|to|rightarrow|approx|sim|equiv|in|subset|subseteq)(?![a-z])")


def confirmed_by_answer(
    row_toks: list[str], item_toks: list[str], row_answer: str | None, item_answer: str | None, *,
    rare: set[str], row_ops: Counter = Counter(), item_ops: Counter = Counter(),
) -> bool:
    """A candidate pair the text rules reject is still the same problem when its reference answers say
    so (a reworded copy: "rearranging" / "arranging", a renamed person and an added story sentence):
    both answers informative (`curation.dedup.content.informative_answer` as for free response: no
    yes/no, single letter, stock word or integer below 10, which many different problems share) and
    equivalent (`curation.dedup.answers.same_answer`: the bounded verifier, never eval); each side
    carries a number and the side with fewer numbers has all of them (multiset) in the other (a
    template sibling with other numbers whose answer happens to agree stays apart); and what always
    separates two problems does here too (a generic item, a negation or significant word changed). An
    answer that is a relation (`=`, `<`, `\\neq`, `\\to`, ...) confirms nothing (see `_RELATION`).
    `*_answer`: the reference answer, for a row in multiple-choice form its keyed option's text
    (`curation.dedup.nodes.keyed_answers`). Coverage (`answer_min_cover`) is checked by the caller."""
    from curation.dedup.answers import same_answer
    from curation.dedup.content import informative_answer

    if not (informative_answer(row_answer) and informative_answer(item_answer)):
        return False
    if _RELATION.search(row_answer) or _RELATION.search(item_answer):
        return False
    row_numbers, item_numbers = _numbers(row_toks), _numbers(item_toks)
    if not row_numbers or not item_numbers:
        return False
    fewer, more = sorted((row_numbers, item_numbers), key=lambda c: sum(c.values()))
    if _contained(fewer, more) < 1.0:
        return False
    if not _distinctive(item_toks, rare, item_ops) or _changed_meaning(row_toks, item_toks):
        return False
    try:
        return same_answer(row_answer, item_answer)
    except Exception:  # a verifier failure on untrusted text confirms nothing
        return False
