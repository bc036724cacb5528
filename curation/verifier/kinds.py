"""The verifier's value kinds, declared once.

Every parsed value is a tuple whose first element is its tag (`parse.py`). Several places branch on
that tag — the comparison (`compare.eqv`), the kind named in "different kinds" reasons (`kind_name`),
the grouping key (`compare._key`) and `classify_answer_type` — and they must agree. This registry is
the one list of tags with, for each, the name used in reasons, the answer type reported by
`classify_answer_type`, and an example answer; `tests/verifier/test_kinds.py` checks that every
example parses to its tag, matches itself, has a grouping key and is classified as declared, so a new
kind that is missing from one of the branches fails there.

Adding a kind: one `ValueKind` here (plus its parser production and its branch in `compare.eqv`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValueKind:
    tag: str
    #: the kind named in reasons ("different kinds: reference is interval, answer is number")
    name: str
    #: what `classify_answer_type` reports (None: decided by value, e.g. integer vs number)
    answer_type: str | None
    #: an answer of this kind (checked by the kind contract test)
    example: str


#: expression nodes (numbers, symbols, arithmetic): one kind, `number` or `expression` by free symbols
EXPRESSION_TAGS = frozenset({"n", "s", "c", "+", "*", "^", "f", "!", "C", "pm"})

VALUE_KINDS: dict[str, ValueKind] = {
    k.tag: k
    for k in (
        ValueKind("expr", "number or expression", None, "x^2+1"),
        ValueKind("eq", "equation", "equation", "y = 2x + 1"),
        ValueKind("rel", "inequality", "interval", "x \\le 3"),
        ValueKind("interval", "interval", "interval", "(1, 2]"),
        ValueKind("union", "union", "interval", "(-\\infty, 1) \\cup (2, \\infty)"),
        ValueKind("set", "set", "set", "\\{1, 2, 3\\}"),
        ValueKind("list", "list", "set", "1, 2, 3"),
        ValueKind("tuple", "tuple", "tuple", "(1, 2, 3)"),
        ValueKind("pair", "pair", "tuple", "(1, 2)"),
        ValueKind("matrix", "matrix", "matrix", "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}"),
        ValueKind("ratio", "ratio", "number", "3:2"),
        ValueKind("based", "base-n numeral", "integer", "204_5"),
        ValueKind("text", "text", "text", "\\text{Evelyn}"),
        ValueKind("choice", "choice", "choice", "(C)"),
        ValueKind("bool", "boolean", "boolean", "yes"),
    )
}

#: clock times are recognised on the cleaned string (`prepare.Prepared.clock`), before the tag
CLOCK_TIME = ValueKind("time", "clock time", "time", "10:30")


def tag_of(value) -> str:
    """The registry tag of a parsed value ("expr" for every expression node)."""
    return "expr" if value[0] in EXPRESSION_TAGS else value[0]


def kind_name(value) -> str:
    """The kind named in reasons; expressions are "number" or "expression" by free symbols."""
    if value is None:
        return "nothing"
    tag = tag_of(value)
    if tag == "expr":
        from curation.verifier.evaluate import symbols

        return "number" if not symbols(value) else "expression"
    kind = VALUE_KINDS.get(tag)
    return kind.name if kind is not None else tag
