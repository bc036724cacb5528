"""The checks a candidate pair must pass to be the same problem."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from curation.config import DecontaminateSettings
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


def judge_pair(
    row_toks: list[str], item_toks: list[str], *, item_cover: float, row_cover: float, rare: set[str],
    settings: DecontaminateSettings, kind: str, row_info: list[bool] | None = None, item_info: list[bool] | None = None,
) -> Verdict:
    """The checks after the coverage score, for one candidate pair.

    The better-covered side (the item when a row contains a copy of it, the row when the item carries
    extra text such as a reworded answer-format instruction) must be found in the other: its numbers
    (multiset, at least `min_number_agreement`; and at least `min_other_number_agreement` of the other
    side's numbers in it), its rare words (at most `max_missing_rare_share` missing), and its last
    `tail_tokens` tokens up to its last informative one as one run, because the asked quantity sits
    at the end ("find c" vs "find d" on one figure). Only tokens inside informative
    n-grams count (`*_info`): boilerplate such as "what is m+n?" is neither required nor evidence.
    The other side must be covered too (`min_other_cover`), so a row that adds conditions to a
    benchmark item, or a sentence shared by two longer problems, does not count. Template matches
    (numbers masked) skip the number checks.
    """
    masked = kind == "template"
    a, b = (mask_numbers(row_toks), mask_numbers(item_toks)) if masked else (row_toks, item_toks)
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    span = row_toks[m.a : m.a + m.size]
    if m.size < min(settings.min_span, len(a), len(b)):
        return Verdict(False, span, "span")
    row_info = row_info or [True] * len(a)
    item_info = item_info or [True] * len(b)
    # recomputed on clean n-grams (n capped at the shorter length, so a short item inside a row with
    # an instruction counts)
    row_cover, item_cover = _clean_cover(a, b, row_info, settings.ngram), _clean_cover(b, a, item_info, settings.ngram)
    if min(item_cover, row_cover) < settings.min_other_cover:
        return Verdict(False, span, "other side not covered")
    item_side = item_cover >= row_cover
    covered, other = (b, a) if item_side else (a, b)
    raw_covered, raw_other = (item_toks, row_toks) if item_side else (row_toks, item_toks)
    info = (item_info if item_side else row_info) or [True] * len(covered)
    kept = [t for t, k in zip(covered, info) if k]
    kept_raw = [t for t, k in zip(raw_covered, info) if k]
    last = max((i for i, k in enumerate(info) if k), default=len(covered) - 1)
    tail = covered[max(0, last + 1 - settings.tail_tokens) : last + 1] if settings.tail_tokens else []
    if not _contains_run(other, tail):
        return Verdict(False, span, "asked part differs: " + " ".join(tail))
    if not masked:
        if _contained(_numbers(kept_raw), _numbers(raw_other)) < settings.min_number_agreement:
            return Verdict(False, span, "numbers")
        other_info = (row_info if item_side else item_info) or [True] * len(raw_other)
        other_kept = _numbers([t for t, k in zip(raw_other, other_info) if k])
        if _contained(other_kept, _numbers(raw_covered)) < settings.min_other_number_agreement:
            return Verdict(False, span, "numbers of the other side")
    own = set(kept) & rare
    missing = own - set(other)
    if own and len(missing) / len(own) > settings.max_missing_rare_share:
        return Verdict(False, span, "rare words: " + " ".join(sorted(missing)))
    return Verdict(True, span, "")
