"""Multiple-choice shapes found in real problem sets, parsed into (choices, correct index).

Shapes handled: a list of option texts with a 0-based index answer; a list of labelled options
(`"A)$61"`, `"(B) 12"`, `"C. foo"`, `"D、bar"`) with a letter answer; a dict `{"A": ..., "B": ...}`;
options inline in the question (`A) .. B) ..`, `A. .. B. ..`, `(A) .. (B) ..`, one per line or in a
row, full-width punctuation included after NFKC).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from curation.text import parse_literal

LETTERS = "ABCDEFGHIJKLMNOP"

# A label at the start of an option text: "A)", "(A)", "A.", "A:", "A、", "A．" (NFKC'd to "A.")
_LEADING_LABEL = re.compile(r"^\s*(?:\(\s*([A-P])\s*\)|([A-P])\s*(?:[):、]|\.(?!\d)))\s*")

# Inline option markers; group 1 is the letter. Three styles, matched separately so one question
# cannot mix them.
_INLINE_STYLES = {
    # "(B)" may follow the previous option directly ("(A)28(B)31", common in Chinese exams), but not a
    # letter or a backslash ("f(B)", "\left(B)")
    "paren": re.compile(r"(?:(?<=[^A-Za-z\\])|^)\(\s*([A-P])\s*\)\s*"),
    "close": re.compile(r"(?:(?<=\s)|^)([A-P])\)\s*"),
    "dot": re.compile(r"(?:(?<=\s)|^)([A-P])[.:、]\s*"),
}

_RELAXED_LABEL = re.compile(r"^\s*([A-P])\s*[.．]\s*")

_ANSWER_LETTER = re.compile(
    r"^\s*(?:answer\s*(?:is)?\s*[:：]?\s*)?(?:\\text\{\s*)?\(?\s*([A-P])\s*\)?(?:\s*\})?\s*[.)]?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ChoiceParse:
    """Options found for one item: texts in label order, and the stem without inline options."""

    choices: list[str]
    stem: str | None = None


def letter(index: int) -> str:
    return LETTERS[index]


def strip_label(option: str) -> tuple[str | None, str]:
    """`"A)$61"` → `("A", "$61")`; an unlabelled option gives `(None, text)`."""
    text = unicodedata.normalize("NFKC", option)
    m = _LEADING_LABEL.match(text)
    if not m:
        return None, option.strip()
    return (m.group(1) or m.group(2)).upper(), text[m.end() :].strip()


def parse_choice_value(value) -> ChoiceParse | None:
    """Options from a field value: list, dict, or a stringified list/dict. None if no options."""
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if s[0] not in "[{":
            return None
        value = parse_literal(s)
        if value is None:
            return None
    if isinstance(value, dict):
        items = sorted(((str(k).strip().upper(), v) for k, v in value.items()), key=lambda kv: kv[0])
        return ChoiceParse([str(v).strip() for _, v in items]) if items else None
    if isinstance(value, (list, tuple)):
        texts = [str(v) for v in value if v is not None]
        if not texts:
            return None
        labelled = [strip_label(t) for t in texts]
        labels = [lab for lab, _ in labelled]
        if all(lab is not None for lab in labels) and labels == list(LETTERS[: len(labels)]):
            return ChoiceParse([t for _, t in labelled])
        # "A.1", "Ａ．１" (a digit right after the dot): accepted only when every option is labelled
        # A, B, C, ... in order, so a list of decimals like "A.5" alone is never mistaken for labels
        relaxed = [_RELAXED_LABEL.match(unicodedata.normalize("NFKC", t)) for t in texts]
        if all(relaxed) and [m.group(1) for m in relaxed] == list(LETTERS[: len(texts)]):
            return ChoiceParse([unicodedata.normalize("NFKC", t)[m.end():].strip() for t, m in zip(texts, relaxed)])
        return ChoiceParse([t.strip() for t in texts])
    return None


def split_inline_choices(question: str) -> ChoiceParse | None:
    """Find options written inside the question; returns them and the stem before them.

    The labels must run A, B, C... in order with one marker style, at least two of them; the stem is
    the text before "A". Returns None when the question has no such sequence.
    """
    text = unicodedata.normalize("NFKC", question)
    best: ChoiceParse | None = None
    for pattern in _INLINE_STYLES.values():
        marks = [(m.start(), m.end(), m.group(1)) for m in pattern.finditer(text)]
        # The options block is the last run A, B, C, ...: scan for each "A" and follow the letters.
        for i, (_, _, lab) in enumerate(marks):
            if lab != "A":
                continue
            run = [marks[i]]
            for m in marks[i + 1 :]:
                if m[2] == LETTERS[len(run)]:
                    run.append(m)
            if len(run) < 2:
                continue
            options = []
            for j, (_, end, _) in enumerate(run):
                stop = run[j + 1][0] if j + 1 < len(run) else len(text)
                options.append(text[end:stop].strip().rstrip(";,").strip())
            if any(not o for o in options):
                continue
            candidate = ChoiceParse(options, stem=text[: run[0][0]].strip())
            # more options wins; on a tie the later block (options follow the stem)
            if best is None or len(candidate.choices) >= len(best.choices):
                best = candidate
    return best


def answer_index(answer, choices: list[str]) -> int | None:
    """Index of the correct option: a 0-based int, a letter (`C`, `(C)`, `Answer: C`), or option text."""
    if answer is None or not choices:
        return None
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int):
        return answer if 0 <= answer < len(choices) else None
    if isinstance(answer, float) and answer.is_integer():
        return answer_index(int(answer), choices)
    text = unicodedata.normalize("NFKC", str(answer)).strip()
    m = _ANSWER_LETTER.match(text)
    if m:
        idx = LETTERS.index(m.group(1).upper())
        return idx if idx < len(choices) else None
    _, stripped = strip_label(text)
    for candidate in (text, stripped):
        for i, choice in enumerate(choices):
            if candidate and candidate == choice.strip():
                return i
    return None
