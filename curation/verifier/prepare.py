"""Turn one answer string into a `Prepared` record: cleaned text, flags, parsed value, alternatives.

A prepared reference is immutable and cached by `Verifier` (one reference vs k samples).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from curation.verifier.bounded import MAX_ANSWER_CHARS, MAX_DEPTH, MAX_PM, BoundExceeded, TooLarge, max_nesting
from curation.verifier.evaluate import symbols
from curation.verifier.normalize import (
    BOOLEANS,
    choice_letter,
    clean,
    clock_time,
    plain_thousands,
    fast_key,
    strip_units,
    text_key,
)
from curation.verifier.parse import EXPR_TAGS, NotMath, ParseError, Unsupported, add, parse_value


@dataclass
class Prepared:
    raw: str
    cleaned: str = ""
    key: str = ""
    flags: frozenset = frozenset()
    value: tuple | None = None
    decimals: int | None = None
    error: str | None = None
    #: numeric core with units stripped (`5 \text{ cm}` -> 5), used only against numeric references
    unit_core: tuple | None = None
    unit_flags: frozenset = frozenset()
    unit_decimals: int | None = None
    choice: str | None = None
    text: str = ""
    syms: frozenset = frozenset()
    #: the parse failed only on LaTeX outside our grammar (the sympy fallback may handle it)
    unsupported: bool = False
    #: (hours, minutes, seconds, "a"/"p"/None) when the answer is a clock time (`6:30`, `10:30 pm`)
    clock: tuple | None = None


def is_expr(v) -> bool:
    return isinstance(v, tuple) and bool(v) and v[0] in EXPR_TAGS


def _has_pm(node) -> bool:
    if not isinstance(node, tuple) or not node:
        return False
    if node[0] == "pm":
        return True
    if node[0] in ("n", "s", "c"):
        return False
    for part in node[1:]:
        if isinstance(part, tuple):
            if part and isinstance(part[0], str):
                if _has_pm(part):
                    return True
            elif any(_has_pm(p) for p in part):
                return True
    return False


def expand_pm(node) -> list:
    """All sign choices of an expression with ± (at most 2**MAX_PM alternatives)."""
    if not _has_pm(node):
        return [node]
    tag = node[0]
    if tag == "pm":
        out = []
        for a in expand_pm(node[1]):
            for b in expand_pm(node[2]):
                out.append(add(a, b))
                out.append(add(a, ("*", (("n", Fraction(-1)), b))))
        return out
    if tag in ("+", "*"):
        combos = [[]]
        for part in node[1]:
            combos = [c + [p] for c in combos for p in expand_pm(part)]
        return [(tag, tuple(c)) for c in combos]
    if tag == "^":
        return [("^", a, b) for a in expand_pm(node[1]) for b in expand_pm(node[2])]
    if tag == "f":
        combos = [[]]
        for part in node[2]:
            combos = [c + [p] for c in combos for p in expand_pm(part)]
        return [("f", node[1], tuple(c)) for c in combos]
    if tag == "!":
        return [("!", a) for a in expand_pm(node[1])]
    if tag == "C":
        return [("C", a, b) for a in expand_pm(node[1]) for b in expand_pm(node[2])]
    return [node]


def resolve_pm(value):
    """Replace expressions containing ± by a list of alternatives (also inside equations)."""
    if is_expr(value):
        alts = expand_pm(value)
        if len(alts) > 2**MAX_PM:
            raise TooLarge("too many ± alternatives")
        return value if len(alts) == 1 else ("list", tuple(alts))
    tag = value[0]
    if tag == "eq":
        lhs, rhs = value[1], value[2]
        r = resolve_pm(rhs)
        if r[0] == "list" and is_expr(rhs):
            return ("list", tuple(("eq", lhs, x) for x in r[1]))
        return ("eq", resolve_pm(lhs), r)
    if tag in ("set", "tuple", "list", "union", "pair"):
        return (tag, tuple(resolve_pm(v) for v in value[1]))
    if tag == "rel":
        return ("rel", tuple(resolve_pm(v) for v in value[1]), value[2])
    if tag == "interval":
        return value
    if tag == "matrix":
        return ("matrix", tuple(tuple(resolve_pm(v) for v in row) for row in value[1]))
    return value


def _parse(cleaned: str):
    value, decimals = parse_value(cleaned)
    return resolve_pm(value), decimals


def prepare(raw: str) -> Prepared:
    """Clean and parse one answer. Never raises: failures are recorded in `error`."""
    if not isinstance(raw, str):
        return Prepared(raw=str(raw), error="not a string")
    p = Prepared(raw=raw)
    if len(raw) > MAX_ANSWER_CHARS:
        p.error = f"too large: answer longer than {MAX_ANSWER_CHARS} characters"
        return p
    cleaned, flags = clean(raw)
    p.cleaned, p.flags, p.key = cleaned, flags, fast_key(cleaned)
    if not cleaned:
        p.error = "empty"
        return p
    if max_nesting(cleaned) > MAX_DEPTH:
        p.error = f"too large: nesting deeper than {MAX_DEPTH}"
        return p
    p.text = text_key(cleaned)
    p.choice = choice_letter(cleaned)
    p.clock = clock_time(cleaned)
    if p.text in BOOLEANS:
        p.value = ("bool", BOOLEANS[p.text])
        return p
    try:
        p.value, p.decimals = _parse(cleaned)
    except NotMath:
        p.value = ("text", p.text)
    except BoundExceeded as exc:
        p.error = str(exc)
    except Unsupported as exc:
        p.error = str(exc)
        p.unsupported = True
    except (ParseError, RecursionError, ValueError, ZeroDivisionError) as exc:
        p.error = str(exc) or type(exc).__name__
    except (TypeError, AttributeError, IndexError, KeyError) as exc:  # a parser bug must not escape
        p.error = f"cannot parse: {type(exc).__name__}"
    if p.choice is not None and (p.value is None or p.value[0] in ("text", "s")):
        p.value = ("choice", p.choice)
        p.error = None
    units = strip_units(cleaned)
    if units is not None:
        core, unit = units
        core = plain_thousands(core)
        try:
            v, d = _parse(core)
            if is_expr(v) and not (symbols(v) - {"i"}):
                p.unit_core = v
                p.unit_decimals = d
                p.unit_flags = flags | ({"degree"} if unit.split()[0].startswith("deg") else set())
                if p.value is None or p.value[0] == "text":
                    p.error = None
                    p.unsupported = False
                    p.value, p.decimals = v, d
                    p.flags = p.unit_flags
        except (ParseError, BoundExceeded, RecursionError, ValueError, ZeroDivisionError):
            pass
    if p.value is not None:
        p.syms = frozenset(symbols(p.value))
    return p
