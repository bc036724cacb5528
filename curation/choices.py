"""Multiple-choice shapes found in real problem sets, parsed into (choices, correct index).

Shapes handled: a list of option texts with a 0-based index answer; a list of labelled options
(`"A)$61"`, `"(B) 12"`, `"C. foo"`, `"D、bar"`) with a letter answer; a dict `{"A": ..., "B": ...}`;
a list of option records (`{"label": "A", "content": ...}`, TAL-SCQ5K's `{"aoVal": "A", "content": ...}`,
also wrapped one per list: `[[{...}], [{...}]]`); all options in one string (`"A. 3 B. 4 C. 5"`);
options inline in the question (`A) .. B) ..`, `A. .. B. ..`, `(A) .. (B) ..`, `\textbf{(A)}`,
`$\textbf{(A) }$`, `(A)` glued to the previous word, one per line or in a row, full-width punctuation
included after NFKC).
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


# keys an option record uses for its label and for its text (first match wins)
_RECORD_LABEL_KEYS = ("label", "aoVal", "key", "letter", "option", "id")
_RECORD_TEXT_KEYS = ("content", "text", "value", "answer", "option_text", "choice")


def _record_option(item) -> tuple[str | None, str] | None:
    """`{"aoVal": "A", "content": "$$0$$ "}` (or `[{...}]`, one record wrapped in a list) → ("A", text)."""
    if isinstance(item, (list, tuple)) and len(item) == 1:
        item = item[0]
    if not isinstance(item, dict):
        return None
    text = next((item[k] for k in _RECORD_TEXT_KEYS if k in item and item[k] is not None), None)
    if text is None or isinstance(text, (dict, list)):
        return None
    label = next((item[k] for k in _RECORD_LABEL_KEYS if k in item and isinstance(item[k], str)), None)
    return (label.strip().upper() if label else None), str(text).strip()


def parse_choice_value(value) -> ChoiceParse | None:
    """Options from a field value: list, dict, list of option records, a stringified list/dict, or
    all options labelled in one string. None if no options."""
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if s[0] not in "[{":
            # "A. 3 B. 4 C. 5" / "(A)3(B)4": options in one string, labelled A, B, C... in order
            inline = split_inline_choices(s)
            if inline is not None and not inline.stem and len(inline.choices) >= 2:
                return ChoiceParse(inline.choices)
            return None
        value = parse_literal(s)
        if value is None:
            return None
    if isinstance(value, dict):
        items = sorted(((str(k).strip().upper(), v) for k, v in value.items()), key=lambda kv: kv[0])
        return ChoiceParse([str(v).strip() for _, v in items]) if items else None
    if isinstance(value, (list, tuple)):
        items = [v for v in value if v is not None]
        if not items:
            return None
        records = [_record_option(v) for v in items]
        if all(r is not None for r in records):
            labels = [lab for lab, _ in records]
            if all(labels) and sorted(labels) == list(LETTERS[: len(labels)]):
                records = sorted(records, key=lambda r: r[0])  # published out of order: put A first
            return ChoiceParse([t for _, t in records])
        if any(isinstance(v, (dict, list, tuple)) for v in items):
            return None  # nested values of a shape we do not know: not options (never stringified dicts)
        texts = [str(v) for v in items]
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


# AMC-style labels: "$\\textbf{(A) }4\\qquad\\textbf{(B) }5$", "\\mathrm{(C)}\\ 6"
_STYLED_LABEL = re.compile(r"\\(?:textbf|mathrm|mathbf|textrm|text|bf)\s*\{\s*\(\s*([A-P])\s*\)\s*\}(?:\\\s)?")
_SPACING = re.compile(r"\\q?quad\b|\\hspace\{[^{}]*\}|\\[,;]")


def _plain_labels(text: str) -> str:
    if "(" not in text or "\\" not in text:
        return text
    new = _STYLED_LABEL.sub(lambda m: f" ({m.group(1)}) ", text)
    return _SPACING.sub(" ", new) if new != text else text


def _balance_dollars(text: str) -> str:
    """An option or stem cut out of one `$…$` span keeps a lone closing `$`: drop it."""
    if text.count("$") % 2 == 0:
        return text
    if text.endswith("$"):  # a leading lone "$" is a dollar sign ("$10"), a trailing one closes a span
        return text[:-1].rstrip()
    return text


def split_inline_choices(question: str) -> ChoiceParse | None:
    """Find options written inside the question; returns them and the stem before them.

    The labels must run A, B, C... in order with one marker style, at least two of them; the stem is
    the text before "A". Returns None when the question has no such sequence.
    """
    text = _plain_labels(unicodedata.normalize("NFKC", question))
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
                options.append(_balance_dollars(text[end:stop].strip().rstrip(";,").strip()))
            if any(not o for o in options):
                continue
            candidate = ChoiceParse(options, stem=_balance_dollars(text[: run[0][0]].strip()))
            # more options wins; on a tie the later block (options follow the stem)
            if best is None or len(candidate.choices) >= len(best.choices):
                best = candidate
    return best


def _value_key(text: str) -> str:
    """An option's text compared as a value: `$\\frac12$`, `\\frac{1}{2}`, ` 1/2 ` meet; `$61` = `61`."""
    t = unicodedata.normalize("NFKC", text).strip().rstrip(".").strip()
    t = re.sub(r"^\$\$?(.*?)\$?\$$", r"\1", t) if t.count("$") >= 2 else t.lstrip("$")
    t = re.sub(r"\\(?:left|right|displaystyle|,|;|!|\s)", "", t).replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    t = re.sub(r"\\frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}", t)
    t = re.sub(r"\\frac\{([^{}]+)\}\{([^{}]+)\}", r"\1/\2", t)
    t = re.sub(r"\s+|[{}]", "", t)
    if re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", t):
        t = t.replace(",", "")
    if re.fullmatch(r"-?\d+\.\d*0+", t):
        t = t.rstrip("0").rstrip(".")
    return t.lower()


def answer_index(answer, choices: list[str]) -> int | None:
    """Index of the correct option: a 0-based int, a letter (`C`, `(C)`, `Answer: C`), the option's
    text, or the option's value written differently (`1/2` for `$\\frac{1}{2}$`, `61` for `$61`).

    A digit *string* is read as an option's text or value, never as an index: `"2"` with options
    `1, 2, 3` is the option `2`. Only a real int (the source's type says index) is an index.
    """
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
    # the answer is the option's value in another notation: unique match only
    key = _value_key(text)
    if key:
        hits = [i for i, c in enumerate(choices) if _value_key(strip_label(c)[1]) == key]
        if len(hits) == 1:
            return hits[0]
    return None


_MULTI_LETTERS = re.compile(r"^\s*\(?([A-P])\)?(?:\s*(?:[,，、;/&+]|and|和)?\s*\(?([A-P])\)?){1,15}\s*$")


def multi_select_letters(answer, n_options: int) -> str | None:
    """A key naming two or more options (`"BC"`, `"A, C"`, `["B", "D"]`, `"(A)(C)"`) → `"BC"`, else None.

    Every letter must name an option and appear once; a single letter is not multi-select.
    """
    if isinstance(answer, str) and answer.strip().startswith("["):
        parsed = parse_literal(answer.strip())  # '["B", "D"]': a list written as text
        answer = parsed if isinstance(parsed, list) else answer
    if isinstance(answer, (list, tuple)):
        parts = [unicodedata.normalize("NFKC", str(a)).strip().strip("()").upper() for a in answer]
        if not all(re.fullmatch(r"[A-P]", p) for p in parts):
            return None
        letters = parts
    elif isinstance(answer, str):
        text = unicodedata.normalize("NFKC", answer).strip()
        if not _MULTI_LETTERS.match(text.upper() if text.isupper() or len(text) <= 8 else text):
            return None
        letters = re.findall(r"[A-P]", re.sub(r"\band\b", " ", text.upper()))
    else:
        return None
    if len(letters) < 2 or len(set(letters)) != len(letters) or any(LETTERS.index(x) >= n_options for x in letters):
        return None
    return "".join(sorted(letters))
