"""Text normalization that never changes meaning, and LaTeX helpers shared by every stage."""

from __future__ import annotations

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


def find_boxed(text: str) -> list[tuple[int, int, str]]:
    """All `\\boxed{...}` / `\\fbox{...}` groups with balanced braces: (start, end, content).

    Unbalanced groups are skipped. Escaped braces (`\\{`) do not count toward the balance.
    """
    found: list[tuple[int, int, str]] = []
    for match in _BOXED.finditer(text):
        depth = 1
        i = match.end()
        n = len(text)
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
                    found.append((match.start(), i + 1, text[match.end() : i]))
                    break
            i += 1
    return found


def last_boxed(text: str | None) -> str | None:
    """Content of the last balanced `\\boxed{...}` or `\\fbox{...}` in `text`, or None."""
    if not text:
        return None
    groups = find_boxed(text)
    return groups[-1][2].strip() if groups else None
