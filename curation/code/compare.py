"""Output comparison for code tests: the program's output against the expected one.

Text (stdin/stdout tests): equal once trailing whitespace is removed from every line and trailing
blank lines are dropped (judges accept a missing final newline or spaces at line ends). With a
float tolerance, whitespace-separated tokens are compared pairwise and two numbers match when
|a - b| <= tol * max(1, |b|) (absolute for small values, relative for large ones).

Values (function-call tests, JSON on both sides): tuples are lists in JSON; a wrapped expected
value `[v]` also accepts `v`, as the APPS/TACO checker does (their `outputs` wrap each return
value in a list for many `fn_name` problems; see hendrycks/apps eval/testing_util.py).
"""

from __future__ import annotations

import math


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _float(token: str) -> float | None:
    if len(token) > 64:
        return None
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def numbers_close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def outputs_match(actual: str, expected: str, *, float_tolerance: float | None = None) -> bool:
    """True when the program's stdout `actual` is an accepted form of `expected`."""
    a, e = _lines(actual), _lines(expected)
    if a == e:
        return True
    if not float_tolerance:
        return False
    at = " ".join(a).split()
    et = " ".join(e).split()
    if len(at) != len(et):
        return False
    for x, y in zip(at, et):
        if x == y:
            continue
        fx, fy = _float(x), _float(y)
        if fx is None or fy is None or not numbers_close(fx, fy, float_tolerance):
            return False
    return True


def values_match(actual, expected, *, float_tolerance: float | None = None) -> bool:
    """True when a function's JSON-decoded return value matches the expected JSON value."""
    if _value_equal(actual, expected, float_tolerance):
        return True
    return isinstance(expected, list) and len(expected) == 1 and _value_equal(actual, expected[0], float_tolerance)


def _value_equal(a, b, tol: float | None) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b:
            return True
        return bool(tol) and math.isfinite(a) and math.isfinite(b) and numbers_close(float(a), float(b), tol)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_value_equal(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_value_equal(a[k], b[k], tol) for k in a)
    return a == b
