"""Text normalization that never changes meaning, and LaTeX helpers shared by every stage."""

from __future__ import annotations

import ast
import json
import re
import unicodedata

_SPACE_RUN = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str | None) -> str | None:
    """NFKC, unify line endings, collapse runs of spaces, trim. Keeps line breaks (they carry layout)."""
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACE_RUN.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


def _group_end(text: str, open_end: int, limit: int) -> int | None:
    """Index just past the brace closing the group opened before `open_end`, or None if unbalanced
    within `limit` characters. Escaped braces (`\\{`) do not count toward the balance."""
    depth = 1
    i = open_end
    n = min(len(text), open_end + limit)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def find_boxed(text: str, *, max_group_chars: int = 20_000) -> list[tuple[int, int, str]]:
    """All `\\boxed{...}` / `\\fbox{...}` groups with balanced braces: (start, end, content).

    Unbalanced groups (or groups longer than `max_group_chars`) are skipped.
    """
    found: list[tuple[int, int, str]] = []
    for match in _BOXED.finditer(text):
        end = _group_end(text, match.end(), max_group_chars)
        if end is not None:
            found.append((match.start(), end, text[match.end() : end - 1]))
    return found


def last_boxed(text: str | None, *, max_group_chars: int = 20_000, max_candidates: int = 64) -> str | None:
    """Content of the last balanced, non-empty `\\boxed{...}` or `\\fbox{...}` in `text`, or None.

    Candidates are tried from the end, at most `max_candidates` of them, each scanned at most
    `max_group_chars` characters: the work stays bounded on adversarial input (thousands of
    unclosed `\\boxed{`), and a self-correction ("\\boxed{12} ... wait ... \\boxed{15}") gives 15.
    """
    if not text or ("\\boxed" not in text and "\\fbox" not in text):
        return None
    starts = list(_BOXED.finditer(text))
    for match in reversed(starts[-max_candidates:]):
        end = _group_end(text, match.end(), max_group_chars)
        if end is not None:
            content = text[match.end() : end - 1].strip()
            if content:
                return content
    return None


MAX_LITERAL_CHARS = 20_000


def parse_literal(text: str):
    """A JSON or Python literal written as text (`"['2']"`, `'{"A": 1}'`), or None.

    Untrusted text is data: `ast.literal_eval` builds literals only and never runs code; the size is
    bounded so a huge string cannot cost unbounded parse time or memory.
    """
    if len(text) > MAX_LITERAL_CHARS:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None


# Trailing forum boilerplate: AoPS-style signatures ("~ pi_is_3.14 ~ momeme", "-Failure.net") and bare
# links on the last lines. Only whole trailing lines (or a trailing "~ name" run) are removed, and
# only when text remains; the caller keeps the raw text.
_SIGNATURE_LINE = re.compile(r"^\s*(?:[~\u2014-]\s*[A-Za-z][\w.]*(?:\s*[~,&]\s*[A-Za-z][\w.]*)*\s*~?|(?:https?://|www\.)\S+)\s*$")
_SIGNATURE_TAIL = re.compile(r"\s+~\s*[A-Za-z][\w.]*(?:\s*~\s*[A-Za-z][\w.]*)*\s*~?\s*$")
_LINK_TAIL = re.compile(r"\s+\(?(?:https?://|www\.)\S+\)?\s*$")
_CALC_ANNOTATION = re.compile(r"<<[^<>\n]*>>")


def strip_trailing_boilerplate(text: str | None) -> str | None:
    """Text without trailing signatures and links (see above); unchanged when nothing would remain."""
    if not text:
        return text
    lines = text.rstrip().split("\n")
    while len(lines) > 1 and (_SIGNATURE_LINE.match(lines[-1]) or not lines[-1].strip()):
        lines.pop()
    out = "\n".join(lines)
    for tail in (_SIGNATURE_TAIL, _LINK_TAIL):
        cut = tail.sub("", out)
        if cut.strip():
            out = cut
    return out.rstrip()


def strip_calc_annotations(text: str | None) -> str | None:
    """GSM8K-style calculator annotations `<<48/2=24>>` removed (the worked text keeps its result)."""
    return text if not text or "<<" not in text else _CALC_ANNOTATION.sub("", text)
