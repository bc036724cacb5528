"""Equivalence of prepared answers, the public `judge*` functions and the caching `Verifier`.

Order of work for one pair (cheapest first):
1. prepare the reference (cached) — refuse oversized/over-nested input before parsing;
2. whitespace/LaTeX-noise-insensitive string equality;
3. prepare the answer; compare values structurally (sets order-free, tuples ordered, intervals with
   their closed/open ends, equations, matrices, text, choices);
4. numbers: exact `Fraction` arithmetic; irrational constants: 50-digit `mpmath`;
   expressions with variables: exact/50-digit evaluation at deterministic random points.
Every step runs under a cooperative `Budget`; bounds raise and become `unparseable` judgments.
"""

from __future__ import annotations

import random
import re
import threading
from collections import OrderedDict
from fractions import Fraction
from typing import Iterable

from curation.verifier.bounded import MAX_ANSWER_CHARS, BoundExceeded, Budget, Timeout
from curation.verifier.evaluate import (
    FreeSymbol,
    Undefined,
    ctx,
    evaluate,
    is_inf,
    symbols,
    to_float_key,
    values_equal,
)
from curation.verifier.extract import extract_answer
from curation.verifier.kinds import CLOCK_TIME, VALUE_KINDS, kind_name, tag_of
from curation.verifier.normalize import EMPTY_WORDS
from curation.verifier.parse import INF, PI, neg
from curation.verifier.prepare import Prepared, is_expr, prepare
from curation.verifier.types import Extraction, Judgment

_POINTS_RNG = random.Random(20240601)
#: deterministic "random" rational evaluation points (one row per trial, one column per symbol):
#: positive non-integers first (where `\sqrt{x^2}`-style identities of positive quantities hold) ...
_POINTS = [
    [Fraction(_POINTS_RNG.randint(101, 997), _POINTS_RNG.randint(101, 997)) + _POINTS_RNG.randint(0, 2) for _ in range(16)]
    for _ in range(8)
]
#: ... then points with negative values and integers: where both sides are real there, they must agree
#: too, so `|y|` != `y`, `\sqrt{x^2}` != `x`, `\lceil x\rceil` != `\lfloor x\rfloor + 1`
_CHECK_POINTS = [
    [-(Fraction(_POINTS_RNG.randint(101, 997), _POINTS_RNG.randint(101, 997)) + _POINTS_RNG.randint(0, 2)) for _ in range(16)],
    [Fraction(_POINTS_RNG.choice((-1, 1)) * _POINTS_RNG.randint(101, 997), _POINTS_RNG.randint(101, 997)) for _ in range(16)],
    [Fraction(_POINTS_RNG.randint(-7, 7)) for _ in range(16)],
    [Fraction(_POINTS_RNG.randint(2, 9)) for _ in range(16)],
]
_TRIALS_NEEDED = 3


class _Ctx:
    __slots__ = ("budget", "imag", "how")

    def __init__(self, budget: Budget, imag: bool):
        self.budget = budget
        self.imag = imag
        self.how = "equal"


# ----------------------------------------------------------------------------- expressions


def _ev(node, c: _Ctx, env=None):
    return evaluate(node, env or {}, c.budget, c.imag)


def _free(a, b, c: _Ctx) -> list[str]:
    syms = symbols(a) | symbols(b)
    if c.imag:
        syms.discard("i")
    return sorted(syms)


def _terminating(q: Fraction) -> bool:
    d = q.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _within_precision(dec: Fraction, places: int, other) -> bool:
    """Tolerance policy: `dec` is a decimal literal with `places` digits after the point (a possibly
    rounded value). It matches `other` when other is a non-terminating exact value (irrational, or a
    rational like 1/3) that agrees to the stated precision (|other - dec| <= 10^-places), and the
    decimal carries enough precision (>= 2 places or >= 3 significant digits)."""
    if places is None or places < 1:
        return False
    sig = len(str(abs(dec.numerator * 10**places // dec.denominator)).lstrip("0"))
    if places < 2 and sig < 3:
        return False
    if isinstance(other, Fraction):
        if _terminating(other):
            return False
        return abs(other - dec) <= Fraction(1, 10**places)
    if is_inf(other):
        return False
    cx = ctx()
    if abs(cx.im(other)) > 1e-30:
        return False
    return abs(cx.re(other) - (cx.mpf(dec.numerator) / dec.denominator)) <= cx.mpf(10) ** (-places) * (1 + cx.mpf(10) ** -30)


def expr_eq(a, b, c: _Ctx, da: int | None = None, db: int | None = None) -> bool:
    """a (reference side) and b (answer side). `da`/`db`: decimal places when the side is a bare
    decimal literal. Only the reference may be a rounded decimal (see `_within_precision`)."""
    free = _free(a, b, c)
    if not free:
        va, vb = _ev(a, c), _ev(b, c)
        if values_equal(va, vb):
            c.how = "equal (exact)" if isinstance(va, Fraction) and isinstance(vb, Fraction) else "equal (50-digit numeric)"
            return True
        if da is not None and db is None and isinstance(va, Fraction) and _within_precision(va, da, vb):
            c.how = f"answer agrees with the reference's stated precision ({da} decimals)"
            return True
        return False
    return _identity(a, b, free, c)


def _values_at(a, b, rows, free: list[str], c: _Ctx):
    """(value of a, value of b) at each point of `rows` where both are defined."""
    for row in rows:
        env = dict(zip(free, row))
        try:
            yield _ev(a, c, env), _ev(b, c, env)
        except (Undefined, ZeroDivisionError, ValueError):
            continue


def _identity(a, b, free: list[str], c: _Ctx) -> bool:
    if len(free) > len(_POINTS[0]):
        raise Undefined("too many variables")
    ok = 0
    for va, vb in _values_at(a, b, _POINTS, free, c):
        if not values_equal(va, vb, rel=1e-30):
            return False
        ok += 1
        if ok >= _TRIALS_NEEDED:
            break
    if ok == 0:
        raise Undefined("expressions undefined at all test points")
    # then points with negative values and integers, counted only where both sides are real (so
    # `\ln(x^2)` vs `2\ln x` is not refuted by a complex branch at x < 0)
    for va, vb in _values_at(a, b, _CHECK_POINTS, free, c):
        if _is_real(va) and _is_real(vb) and not values_equal(va, vb, rel=1e-30):
            return False
    c.how = "identity holds at random points"
    return True


def _is_real(v) -> bool:
    if isinstance(v, Fraction):
        return True
    cx = ctx()
    im = cx.im(v)
    return im == 0 or abs(im) <= 1e-30 * max(1, abs(cx.re(v)))


def _proportional(f, g, c: _Ctx) -> bool:
    """f = 0 and g = 0 are the same equation: f/g is a nonzero constant at test points."""
    free = _free(f, g, c)
    if not free:
        return False
    ratio = None
    ok = 0
    for row in _POINTS:
        env = dict(zip(free, row))
        try:
            vf, vg = _ev(f, c, env), _ev(g, c, env)
        except (Undefined, ZeroDivisionError, ValueError):
            continue
        zf, zg = values_equal(vf, 0), values_equal(vg, 0)
        if zf or zg:
            if zf != zg:
                return False
            continue
        r = vf / vg if isinstance(vf, Fraction) and isinstance(vg, Fraction) else _mp(vf) / _mp(vg)
        if ratio is None:
            ratio = r
        elif not values_equal(ratio, r, rel=1e-30):
            return False
        ok += 1
        if ok >= _TRIALS_NEEDED:
            break
    if ok == 0:
        return False
    c.how = "same equation (proportional at random points)"
    return True


def _mp(v):
    cx = ctx()
    if isinstance(v, Fraction):
        return cx.mpf(v.numerator) / v.denominator
    return v


# ----------------------------------------------------------------------------- structures

_INTERVALISH = ("interval", "union", "rel")


def _is_label(node, part: bool = False) -> bool:
    """A name for a quantity rather than a formula: `x`, `f(x)`, `AB` (a product of capital letters: a
    segment), `|AB|`, `\\frac{NO}{BO}`, `V_1:V_2`. Sums, numbers, powers and products of small letters
    are formulas (`x^2 = 4`, `xy = 6` are equations, never the label of 4 or 6)."""
    tag = node[0]
    if tag == "s":
        return not part or node[1][:1].isupper() or "(" in node[1]
    if tag == "*":
        return all(_is_label(x, True) for x in node[1])
    if tag == "^":
        return node[2] == ("n", Fraction(-1)) and _is_label(node[1], True)
    if tag == "f" and node[1] == "abs":
        return _is_label(node[2][0], True)
    if tag == "ratio":
        return _is_label(node[1], True) and _is_label(node[2], True)
    return False


def _label_key(node) -> str:
    return node[1] if node[0] == "s" else repr(node)


def _assignment(v):
    """`x = rhs` (or `rhs = x`) with x a label (see `_is_label`) not occurring on the other side;
    a label on the left needs a constant on the right unless it is a bare symbol (`y = 2x + 1`)."""
    if v[0] != "eq":
        return None
    lhs, rhs = v[1], v[2]
    if lhs[0] == "s" and lhs[1] not in symbols(rhs):
        return lhs[1], rhs
    if rhs[0] == "s" and is_expr(lhs) and rhs[1] not in symbols(lhs) and not symbols(lhs):
        return rhs[1], lhs
    if _is_label(lhs) and lhs[0] != "s" and not symbols(rhs) and not (symbols(lhs) & symbols(rhs)):
        return _label_key(lhs), rhs
    return None


def _labelled_tuple(v):
    """`(x, y) = (3, 5)`: ([names], rhs tuple) when the left side is a tuple of distinct symbols."""
    if v[0] != "eq" or v[1][0] not in ("tuple", "pair") or v[2][0] not in ("tuple", "pair"):
        return None
    names, vals = v[1][1], v[2][1]
    if len(names) != len(vals) or not all(x[0] == "s" for x in names) or len({x[1] for x in names}) != len(names):
        return None
    return [x[1] for x in names], v[2]


def _as_assignments(v) -> dict | None:
    """`x = 3, y = 5` or `(x, y) = (3, 5)` as {name: value}; None if not a system of assignments."""
    lt = _labelled_tuple(v) if v[0] == "eq" else None
    if lt is not None:
        return dict(zip(lt[0], lt[1][1]))
    if v[0] == "list":
        pairs = [_assignment(x) for x in v[1]]
        if pairs and all(pairs) and len({p[0] for p in pairs}) == len(pairs):
            return dict(pairs)
    return None


def _as_intervals(v):
    """Interval-like value as a list of (lo, hi, lo_closed, hi_closed); None if not interval-like."""
    tag = v[0]
    if tag == "interval":
        return [v[1:]]
    if tag == "pair":
        a, b = v[1]
        if is_expr(a) and is_expr(b):
            return [(a, b, False, False)]
        return None
    if tag == "union":
        out = []
        for part in v[1]:
            got = _as_intervals(part)
            if got is None:
                return None
            out.extend(got)
        return out
    if tag == "set":
        if all(is_expr(x) for x in v[1]):
            return [(x, x, True, True) for x in v[1]]
        return None
    if tag == "list":
        out = []
        for part in v[1]:
            got = _as_intervals(part) if part[0] in ("rel", "interval", "union") else None
            if got is None:
                return None
            out.extend(got)
        return out
    if tag == "rel":
        vals, ops = v[1], v[2]
        if not all(is_expr(x) for x in vals):
            return None
        absolute = _abs_relation(vals, ops)
        if absolute is not None:
            return absolute
        if len(vals) == 2 and _negated_symbol(vals[0]) is not None:  # -x > -1  ->  x < 1
            flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "!=": "!="}
            return _as_intervals(("rel", (_negated_symbol(vals[0]), neg(vals[1])), (flip[ops[0]],)))
        if len(vals) == 2 and _negated_symbol(vals[1]) is not None:
            flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "!=": "!="}
            return _as_intervals(("rel", (neg(vals[0]), _negated_symbol(vals[1])), (flip[ops[0]],)))
        var = [i for i, x in enumerate(vals) if x[0] == "s" and all(x[1] not in symbols(y) for j, y in enumerate(vals) if j != i)]
        if len(var) != 1:
            return None
        i = var[0]
        if len(vals) == 2:
            op = ops[0]
            other = vals[1 - i]
            if i == 1:  # a < x  ->  x > a
                op = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "!=": "!="}[op]
            if op == "<":
                return [(neg(INF), other, False, False)]
            if op == "<=":
                return [(neg(INF), other, False, True)]
            if op == ">":
                return [(other, INF, False, False)]
            if op == ">=":
                return [(other, INF, True, False)]
            if op == "!=":
                return [(neg(INF), other, False, False), (other, INF, False, False)]
            return None
        if len(vals) == 3 and i == 1:
            o1, o2 = ops
            if o1 in ("<", "<=") and o2 in ("<", "<="):
                return [(vals[0], vals[2], o1 == "<=", o2 == "<=")]
            if o1 in (">", ">=") and o2 in (">", ">="):
                return [(vals[2], vals[0], o2 == ">=", o1 == ">=")]
        return None
    return None


def _negated_symbol(node):
    if node[0] == "*" and len(node[1]) == 2 and node[1][0] == ("n", Fraction(-1)) and node[1][1][0] == "s":
        return node[1][1]
    return None


def _abs_relation(vals, ops):
    """`|x| < a`, `|x| >= a`, `a <= |x| <= b` in a symbol x with constant non-negative bounds
    (checked exactly when rational) as intervals."""
    def is_abs_sym(v):
        return v[0] == "f" and v[1] == "abs" and v[2][0][0] == "s"

    def bound(v):
        if symbols(v) or not is_expr(v):
            return None
        try:
            val = evaluate(v, {}, Budget(None))
        except (BoundExceeded, Undefined, ZeroDivisionError, ValueError, FreeSymbol):
            return None
        return v if isinstance(val, Fraction) and val >= 0 else None

    if len(vals) == 2:
        if is_abs_sym(vals[0]):
            op, a = ops[0], bound(vals[1])
        elif is_abs_sym(vals[1]):
            op, a = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(ops[0]), bound(vals[0])
        else:
            return None
        if a is None or op is None:
            return None
        if op in ("<", "<="):
            return [(neg(a), a, op == "<=", op == "<=")]
        if op in (">", ">="):
            return [(neg(INF), neg(a), False, op == ">="), (a, INF, op == ">=", False)]
        return None
    if len(vals) == 3 and is_abs_sym(vals[1]) and ops[0] in ("<", "<=") and ops[1] in ("<", "<="):
        lo, hi = bound(vals[0]), bound(vals[2])
        if lo is None or hi is None:
            return None
        lc, hc = ops[0] == "<=", ops[1] == "<="
        return [(neg(hi), neg(lo), hc, lc), (lo, hi, lc, hc)]
    return None


def _interval_eq(x, y, c: _Ctx) -> bool:
    return x[2] == y[2] and x[3] == y[3] and expr_eq(x[0], y[0], c) and expr_eq(x[1], y[1], c)


def _unordered(xs, ys, c: _Ctx, eq) -> bool:
    """Same set of items (every x has an equal y and vice versa)."""
    if not xs or not ys:
        return not xs and not ys
    used = [False] * len(ys)
    for x in xs:
        c.budget.tick()
        hit = False
        for j, y in enumerate(ys):
            if eq(x, y, c):
                used[j] = True
                hit = True
                break
        if not hit:
            return False
    for j, y in enumerate(ys):
        if not used[j] and not any(eq(x, y, c) for x in xs):
            return False
    return True


def _ordered_items(v):
    tag = v[0]
    if tag in ("tuple", "pair"):
        return list(v[1])
    if tag == "list":
        assigns = [_assignment(x) for x in v[1]]
        if all(assigns) and len({a[0] for a in assigns}) == len(assigns):
            return [a[1] for a in sorted(assigns)]
        return list(v[1])
    if tag == "matrix":
        rows = v[1]
        if len(rows) == 1:
            return list(rows[0])
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
    return None


def eqv(a, b, c: _Ctx) -> bool:
    """Structural equivalence of two values."""
    c.budget.tick()
    ta, tb = a[0], b[0]
    ea, eb = is_expr(a), is_expr(b)
    if ea and eb:
        return expr_eq(a, b, c)
    if ta == "based" or tb == "based":
        return _based_cmp(a, b, c)
    if ta == "eq" or tb == "eq":
        return _eq_cmp(a, b, c)
    if ta == "list" and tb == "list":
        sa, sb = _as_assignments(a), _as_assignments(b)
        if sa is not None and sb is not None:
            return _eq_cmp(a, b, c)
    if ta == "ratio" or tb == "ratio":
        return _ratio_cmp(a, b, c)
    if ta in _INTERVALISH or tb in _INTERVALISH:
        ia, ib = _as_intervals(a), _as_intervals(b)
        if ia is None or ib is None:
            return False
        ok = _unordered(ia, ib, c, _interval_eq)
        if ok:
            c.how = "same intervals"
        return ok
    if ta in ("set", "list") and tb in ("set", "list"):
        if ta == "list" and tb == "list" or ta == "set" or tb == "set":
            ok = _unordered(list(a[1]), list(b[1]), c, eqv)
            if ok:
                c.how = "same elements (order-free)"
            return ok
    if ta in ("tuple", "pair", "list", "matrix") and tb in ("tuple", "pair", "list", "matrix"):
        if ta == "matrix" and tb == "matrix":
            ra, rb = a[1], b[1]
            if len(ra) != len(rb) or any(len(x) != len(y) for x, y in zip(ra, rb)):
                return False
            ok = all(eqv(x, y, c) for r1, r2 in zip(ra, rb) for x, y in zip(r1, r2))
            if ok:
                c.how = "same matrix"
            return ok
        xs, ys = _ordered_items(a), _ordered_items(b)
        if xs is None or ys is None or len(xs) != len(ys):
            return False
        ok = all(eqv(x, y, c) for x, y in zip(xs, ys))
        if ok:
            c.how = "same components (ordered)"
        return ok
    # a one-element set/list equals its element
    if ta == "set" and len(a[1]) == 1 and eb:
        return eqv(a[1][0], b, c)
    if tb == "set" and len(b[1]) == 1 and ea:
        return eqv(a, b[1][0], c)
    if ta == "set" and not a[1] and tb == "text":
        return b[1] in EMPTY_WORDS
    if tb == "set" and not b[1] and ta == "text":
        return a[1] in EMPTY_WORDS
    if ta == tb and ta in ("text", "choice", "bool"):
        c.how = f"same {ta}"
        return a[1] == b[1]
    return False


def _based_cmp(a, b, c: _Ctx) -> bool:
    """A base-n numeral equals the same numeral in the same base; a base-10 one also equals its number."""
    if a[0] == "based" and b[0] == "based":
        ok = a[1:] == b[1:]
    elif a[0] == "based" and is_expr(b) and a[2] == 10:
        ok = expr_eq(("n", Fraction(a[1])), b, c)
    elif b[0] == "based" and is_expr(a) and b[2] == 10:
        ok = expr_eq(a, ("n", Fraction(b[1])), c)
    else:
        return False
    if ok:
        c.how = "same numeral and base"
    return ok


def _ratio_cmp(a, b, c: _Ctx) -> bool:
    """a:b equals c:d when ad = bc (6:4 = 3:2); a ratio equals the number a/b."""
    if a[0] == "ratio" and b[0] == "ratio":
        ok = expr_eq(("*", (a[1], b[2])), ("*", (a[2], b[1])), c)
    elif a[0] == "ratio" and is_expr(b):
        ok = expr_eq(("*", (a[1], ("^", a[2], ("n", Fraction(-1))))), b, c)
    elif b[0] == "ratio" and is_expr(a):
        ok = expr_eq(a, ("*", (b[1], ("^", b[2], ("n", Fraction(-1))))), c)
    else:
        return False
    if ok:
        c.how = "same ratio"
    return ok


def _eq_cmp(a, b, c: _Ctx) -> bool:
    sa, sb = _as_assignments(a), _as_assignments(b)
    if sa is not None and sb is not None:
        ok = sa.keys() == sb.keys() and all(eqv(sa[k], sb[k], c) for k in sa)
        if ok:
            c.how = "same assignments"
        return ok
    la, lb = (_labelled_tuple(a) if a[0] == "eq" else None), (_labelled_tuple(b) if b[0] == "eq" else None)
    if la is not None:
        return eqv(la[1], b, c)
    if lb is not None:
        return eqv(a, lb[1], c)
    aa = _assignment(a)
    bb = _assignment(b)
    if a[0] == "eq" and b[0] == "eq":
        if aa and bb and aa[0] == bb[0]:
            return eqv(aa[1], bb[1], c)
        if all(is_expr(x) for x in (a[1], a[2], b[1], b[2])):
            f = ("+", (a[1], neg(a[2])))
            g = ("+", (b[1], neg(b[2])))
            return _proportional(f, g, c)
        return False
    if aa is not None:
        return eqv(aa[1], b, c)
    if bb is not None:
        return eqv(a, bb[1], c)
    return False


def _kind(v) -> str:
    return kind_name(v)


# ----------------------------------------------------------------------------- top level


def _variants(value, flags: frozenset, decimals):
    """Readings of a numeric answer under its percent/degree marks: (value, decimals, note)."""
    out = [(value, decimals, "")]
    if not is_expr(value):
        return out
    if "percent" in flags:
        out.append((("*", (value, ("n", Fraction(1, 100)))), None if decimals is None else decimals + 2, "reading % as /100"))
    if "degree" in flags:
        out.append((("*", (value, PI, ("n", Fraction(1, 180)))), None, "converting degrees to radians"))
    return out


def compare_prepared(R: Prepared, A: Prepared, budget: Budget) -> Judgment:
    """Judge a prepared answer against a prepared reference (reference already known parseable)."""
    rv, rflags, rdecimals = R.value, R.flags, R.decimals
    ref_syms = R.syms
    if R.unit_core is not None:  # "5 cm" as a reference is the number 5
        rv, rflags, rdecimals = R.unit_core, R.unit_flags, R.unit_decimals
        ref_syms = frozenset(symbols(rv))
    ref_numeric = is_expr(rv) and not (ref_syms - {"i"})
    av, aflags, adec = A.value, A.flags, A.decimals
    if A.unit_core is not None and ref_numeric and (
        av is None or av[0] == "text" or (is_expr(av) and (A.syms - {"i"}))
    ):
        av, aflags, adec = A.unit_core, A.unit_flags, A.unit_decimals
    if av is None:
        return Judgment("unparseable", f"answer unparseable: {A.error}", A.raw)
    c = _Ctx(budget, imag=not (ref_syms - {"i"}))
    if R.clock is not None:  # a clock time is a time, never a ratio (12:00 != 1:00)
        same = A.clock is not None and R.clock[:3] == A.clock[:3] and (
            R.clock[3] is None or A.clock[3] is None or R.clock[3] == A.clock[3])
        return Judgment("equivalent" if same else "different", "same clock time" if same else "different clock time", A.raw)
    # choice / text / boolean references
    if rv[0] == "choice":
        if A.choice is not None:
            same = A.choice == rv[1]
            return Judgment("equivalent" if same else "different", "same choice" if same else "different choice", A.raw)
        return Judgment("different", f"reference is choice {rv[1]}, answer is not a choice letter", A.raw)
    if rv[0] == "text" or av[0] == "text":
        if R.text == A.text:
            return Judgment("equivalent", "same text", A.raw)
    ra = _variants(rv, rflags, rdecimals)
    aa = _variants(av, aflags, adec)
    if rflags == aflags:
        ra, aa = ra[:1], aa[:1]
    for rval, rdec, rnote in ra:
        for aval, adec_, anote in aa:
            if is_expr(rval) and is_expr(aval):
                ok = expr_eq(rval, aval, c, rdec, adec_)
            else:
                ok = eqv(rval, aval, c)
            if ok:
                note = "; ".join(x for x in (rnote and f"reference {rnote}", anote and f"answer {anote}") if x)
                return Judgment("equivalent", c.how + (f" ({note})" if note else ""), A.raw)
    kr, ka = _kind(rv), _kind(av)
    if kr != ka and not (kr in ("number", "expression") and ka in ("number", "expression")):
        return Judgment("different", f"different kinds: reference is {kr}, answer is {ka}", A.raw)
    return Judgment("different", "values differ", A.raw)


def _latex(node) -> str:
    """Our expression tree as plain LaTeX that latex2sympy reads unambiguously."""
    tag = node[0]
    if tag == "n":
        q = node[1]
        s = str(q.numerator) if q.denominator == 1 else f"\\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"
        return f"({'-' if q < 0 and q.denominator != 1 else ''}{s})"
    if tag == "s":
        name = node[1]
        return ("\\" + name) if len(name) > 1 and name.isalpha() else name
    if tag == "c":
        return {"pi": "\\pi", "e": "e", "inf": "\\infty"}[node[1]]
    if tag == "+":
        return "(" + " + ".join(_latex(a) for a in node[1]) + ")"
    if tag == "*":
        return "(" + " \\cdot ".join(_latex(a) for a in node[1]) + ")"
    if tag == "^":
        return "{" + _latex(node[1]) + "}^{" + _latex(node[2]) + "}"
    if tag == "f":
        name, args = node[1], node[2]
        if name == "log" and len(args) == 2:
            return f"\\log_{{{_latex(args[1])}}}({_latex(args[0])})"
        if name == "abs":
            return f"\\left|{_latex(args[0])}\\right|"
        if name in ("floor", "ceil"):
            return f"\\l{name}{_latex(args[0])}\\r{name}"
        return f"\\{name}({_latex(args[0])})"
    if tag == "!":
        return f"({_latex(node[1])})!"
    if tag == "C":
        return f"\\binom{{{_latex(node[1])}}}{{{_latex(node[2])}}}"
    raise ValueError(tag)


def _for_sympy(p: Prepared) -> str:
    if p.error is None and is_expr(p.value) and not p.flags:
        try:
            return _latex(p.value)
        except (ValueError, KeyError, RecursionError):
            pass
    s = p.raw.strip()
    while s.startswith("$") and s.endswith("$") and len(s) > 1:
        s = s[1:-1].strip()
    return s


def _sympy_fallback(R: Prepared, A: Prepared, timeout: float | None) -> Judgment | None:
    """LaTeX outside our grammar on one side (and the other side parseable or also outside it):
    ask the bounded sympy worker. None when the fallback does not apply or is unavailable."""
    if not (R.unsupported or A.unsupported):
        return None
    if (R.error is not None and not R.unsupported) or (A.error is not None and not A.unsupported):
        return None
    from curation.verifier.fallback import judge_with_sympy

    try:
        got = judge_with_sympy(_for_sympy(R), _for_sympy(A), 1.0 if timeout is None else timeout)
    except Timeout as exc:
        return Judgment("unparseable", str(exc), A.raw)
    if got is None:
        return None
    return Judgment(got[0], got[1], A.raw)


def _judge_prepared(R: Prepared, answer: str, timeout: float | None, prep=prepare) -> Judgment:
    if R.error is not None or R.value is None:
        if isinstance(answer, str):
            # identical strings are always equivalent, whatever our grammar makes of them
            if answer.strip() and answer.strip() == R.raw.strip():
                return Judgment("equivalent", "identical strings", answer)
            A = prep(answer)
            if A.key and A.key == R.key:
                return Judgment("equivalent", "normalized strings equal", answer)
            if R.unsupported:
                fb = _sympy_fallback(R, A, timeout)
                if fb is not None:
                    return fb
        return Judgment("unparseable", f"reference unparseable: {R.error}", answer if isinstance(answer, str) else None)
    A = prep(answer)
    if A.key and A.key == R.key:
        return Judgment("equivalent", "normalized strings equal", answer)
    if A.unsupported:
        fb = _sympy_fallback(R, A, timeout)
        if fb is not None:
            return fb
    budget = Budget(timeout)
    try:
        return compare_prepared(R, A, budget)
    except BoundExceeded as exc:
        return Judgment("unparseable", str(exc), answer)
    except FreeSymbol as exc:
        return Judgment("unparseable", f"unbound symbol {exc}", answer)
    except (Undefined, ZeroDivisionError) as exc:
        return Judgment("unparseable", f"undefined value: {exc}", answer)
    except (RecursionError, OverflowError, ValueError, TypeError, MemoryError) as exc:
        return Judgment("unparseable", f"cannot compare: {type(exc).__name__}", answer)


def judge(reference: str, answer: str, *, timeout: float = 1.0) -> Judgment:
    """Judge a final answer (already extracted) against a reference answer."""
    return _judge_prepared(_DEFAULT._ref(reference), answer, timeout)


def _with_extraction(j: Judgment, ex: Extraction) -> Judgment:
    return Judgment(j.outcome, j.reason, ex.text, ex.rule)


_MANY = ("list", "set", "tuple", "pair", "union")


def _judge_extraction(verifier: "Verifier", reference: str, ex: Extraction) -> Judgment:
    """Judge an extraction; a group of boxes counts as one answer when the reference has several parts."""
    if ex.text is None:
        return Judgment("unparseable", "no answer extracted", None, ex.rule)
    if ex.joined is not None:
        R = verifier._ref(reference)
        if R.value is not None and R.value[0] in _MANY:
            j = verifier.judge(reference, ex.joined)
            return Judgment(j.outcome, j.reason, ex.joined, "boxed_joined")
    return _with_extraction(verifier.judge(reference, ex.text), ex)


def judge_response(reference: str, response: str, *, timeout: float = 1.0) -> Judgment:
    """Extract the final answer from a model response, then judge it."""
    v = _DEFAULT if timeout == _DEFAULT.timeout else Verifier(timeout=timeout, cache_size=0)
    return _judge_extraction(v, reference, extract_answer(response))


class Verifier:
    """Judges many answers; prepared references are cached (LRU) — one reference vs k samples."""

    def __init__(self, *, timeout: float = 1.0, cache_size: int = 10000):
        self.timeout = timeout
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def __getstate__(self):
        return {"timeout": self.timeout, "cache_size": self.cache_size}

    def __setstate__(self, state):
        self.__init__(timeout=state["timeout"], cache_size=state["cache_size"])

    def _ref(self, reference: str) -> Prepared:
        if not isinstance(reference, str):
            return prepare(reference)
        with self._lock:
            got = self._cache.get(reference)
            if got is not None:
                self._cache.move_to_end(reference)
                return got
        got = prepare(reference)
        if self.cache_size > 0 and len(reference) <= 4 * MAX_ANSWER_CHARS:
            with self._lock:
                self._cache[reference] = got
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return got

    def judge(self, reference: str, answer: str) -> Judgment:
        return _judge_prepared(self._ref(reference), answer, self.timeout)

    def judge_response(self, reference: str, response: str) -> Judgment:
        return _judge_extraction(self, reference, extract_answer(response))

    def judge_many(self, pairs: Iterable[tuple[str, str]], *, responses: bool = False) -> list[Judgment]:
        """Judge (reference, answer) pairs in order; `responses=True` extracts answers first.

        For many pairs on several cores: `curation.verifier.pool.judge_in_pool` (worker processes,
        each with its own Verifier and reference cache).
        """
        f = self.judge_response if responses else self.judge
        return [f(r, a) for r, a in pairs]


#: shared by the module-level `judge`/`judge_response` (thread-safe LRU of prepared references)
_DEFAULT = Verifier(cache_size=4096)


# ----------------------------------------------------------------------------- keys & types


def _key(v, c: _Ctx) -> str:
    c.budget.tick()
    if is_expr(v):
        free = _free(v, ("n", Fraction(0)), c)
        if not free:
            return to_float_key(_ev(v, c))
        for row in _POINTS:
            try:
                vals = [to_float_key(_ev(v, c, dict(zip(free, row))), 10)]
                return "f(" + ",".join(free) + ")=" + vals[0]
            except (Undefined, ZeroDivisionError, ValueError):
                continue
        raise Undefined("no value")
    tag = v[0]
    if tag == "eq":
        a = _assignment(v)
        if a is not None:
            return _key(a[1], c)
        return "eq:" + _key(v[1], c) + "=" + _key(v[2], c)
    if tag in ("set", "list"):
        return "{" + ",".join(sorted(set(_key(x, c) for x in v[1]))) + "}"
    if tag in ("tuple", "pair"):
        return "(" + ",".join(_key(x, c) for x in v[1]) + ")"
    if tag in ("interval", "union", "rel"):
        iv = _as_intervals(v)
        if iv is None:
            raise Undefined("relation")
        parts = sorted(("[" if lc else "(") + _key(lo, c) + "," + _key(hi, c) + ("]" if hc else ")") for lo, hi, lc, hc in iv)
        return "U".join(parts)
    if tag == "ratio":
        return _key(("*", (v[1], ("^", v[2], ("n", Fraction(-1))))), c)
    if tag == "matrix":
        return "M[" + ";".join(",".join(_key(x, c) for x in row) for row in v[1]) + "]"
    if tag == "based":
        return f"based:{v[1]}_{v[2]}"
    return f"{tag}:{v[1]}"


def canonical_form(answer: str) -> str | None:
    """A cheap key for grouping equal answers (majority vote); None if unparseable.

    Equal keys imply equivalent answers in all but contrived cases (numeric keys are rounded to 12
    significant digits); `judge` remains the authority.
    """
    p = prepare(answer)
    if p.clock is not None:
        h, m, sec, half = p.clock
        return f"time:{h}:{m:02d}:{sec:02d}{half or ''}"
    if p.error is not None or p.value is None:
        return None
    v = p.value
    if v[0] == "text" and p.unit_core is not None:
        v = p.unit_core
    c = _Ctx(Budget(1.0), imag=not (p.syms - {"i"}))
    try:
        return _key(v, c)
    except (BoundExceeded, FreeSymbol, Undefined, ZeroDivisionError, RecursionError, ValueError, TypeError, OverflowError):
        return None


def classify_answer_type(answer: str) -> str:
    """One of: integer, number, expression, equation, interval, set, tuple, matrix, text, boolean,
    choice, time (a clock time), unknown (see `kinds.py`)."""
    p = prepare(answer)
    v = p.value
    if p.clock is not None:
        return CLOCK_TIME.answer_type
    if p.error is not None or v is None:
        return "unknown"
    if is_expr(v):
        if p.syms - {"i"}:
            return "expression"
        try:
            val = evaluate(v, {}, Budget(0.5), imag=True)
        except (BoundExceeded, Undefined, FreeSymbol, ZeroDivisionError, ValueError, OverflowError):
            return "number"
        return "integer" if isinstance(val, Fraction) and val.denominator == 1 else "number"
    kind = VALUE_KINDS.get(tag_of(v))
    return kind.answer_type if kind is not None and kind.answer_type else "unknown"


_FALLBACK_INT = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)$")
_FALLBACK_NUMBER = re.compile(
    r"^[-+]?(?:\d+\.\d*|\.\d+|\d+(?:\.\d+)?[eE][-+]?\d+|\d+/\d+|\\[dt]?frac\{\d+\}\{\d+\}|\d+\.\d+%?|\d+%)$"
)


def answer_type(answer: str | None) -> str:
    """The answer type every stage records: `classify_answer_type` where the verifier can read the
    answer, else a textual guess (integer / number / boolean / equation / set / expression / text),
    `unknown` for an empty answer. The one classifier of the project (ingest, MCQ, export)."""
    if answer is None or not str(answer).strip():
        return "unknown"
    try:
        kind = classify_answer_type(answer)
    except Exception:  # noqa: BLE001 - a parser bug must not stop a stage; the guess below decides
        kind = "unknown"
    if kind and kind != "unknown":
        return kind
    a = str(answer).strip().strip("$").strip()
    if _FALLBACK_INT.match(a):
        return "integer"
    if _FALLBACK_NUMBER.match(a):
        return "number"
    if a.lower() in ("yes", "no", "true", "false"):
        return "boolean"
    if "=" in a and not re.search(r"[<>]=|\\[lg]eq?", a):
        return "equation"
    if re.match(r"^\\?\{.*\\?\}$", a):
        return "set"
    if re.search(r"[\d\\^_+\-*/()]", a) or len(a) <= 2:
        return "expression"
    return "text"


def is_verifiable(answer: str) -> bool:
    """True when the answer parses to something compared mathematically or exactly (not free text)."""
    return classify_answer_type(answer) not in ("text", "unknown")
