"""From a model's (or a user's) answer text to the program that is judged.

- `extract_code(text)`: the LAST fenced code block (```lang ... ```), with its language tag; a
  text with no fence is taken whole (an answer given as bare code), except for model samples
  (`require_fence=True`), where it counts as unparseable. For a function problem (`defines=name`)
  it is the last block that defines that function, so a usage example after the solution is not
  taken for the solution; with no such block, the last block. An unclosed final fence (a
  response cut off by max_tokens) counts too: its code is judged as it is.
- `program_for(record, code)`: function-completion problems (HumanEval style: starter code is the
  signature + docstring) get the starter prepended, so its imports and helper functions exist:
  a full definition of the entry point simply redefines the starter's; a bare body completes it.
"""

from __future__ import annotations

import re

from curation.code.harness import TestSpec, normalize_language

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.S | re.M)
MAX_ANSWER_CHARS = 200_000


def extract_code(text: str | None, *, require_fence: bool = False, defines: str | None = None) -> tuple[str | None, str | None]:
    """(code, language) of the last fenced block; with no fence, (text, None) or, when
    `require_fence` (model samples: prose is not a program), (None, None); (None, None) for an
    empty answer."""
    if text is None or not text.strip():
        return None, None
    text = text[:MAX_ANSWER_CHARS]
    blocks = list(_FENCE.finditer(text))
    if not blocks:
        return (None, None) if require_fence else (text, None)
    last = blocks[-1]
    if defines:  # a function problem: the last block that defines the function (not a usage example after it)
        last = next((b for b in reversed(blocks) if _defines(b.group(3), defines)), last)
    code = last.group(3)
    if not code.strip():
        return None, None
    return code, normalize_language(last.group(2)) if last.group(2) else None


def entry_name(spec: TestSpec) -> str | None:
    """The function an answer must define: the entry point (assert style) or fn_name (call style)."""
    return spec.entry_point if spec.style == "assert" else spec.fn_name if spec.style == "call" else None


def _defines(code: str, name: str) -> bool:
    return re.search(rf"^\s*(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.M) is not None


def program_for(spec: TestSpec, starter: str | None, code: str) -> str:
    """The complete program for `code` answering a problem with this test spec and starter."""
    name = spec.entry_point if spec.style == "assert" else None
    if not starter or not name:
        return code
    if _defines(code, name):
        return f"{starter}\n\n{code}"  # the starter ends in its docstring: a valid body on its own
    body = code if code.startswith((" ", "\t")) else _indent(code)
    return starter.rstrip("\n") + "\n" + body


def _indent(code: str) -> str:
    return "\n".join(("    " + line) if line.strip() else line for line in code.splitlines()) + "\n"
