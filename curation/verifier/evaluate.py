"""Bounded evaluation of expression trees: exact `Fraction` arithmetic where the value is rational,
otherwise high-precision `mpmath` numbers (a per-thread context, so threads never interfere).

Magnitudes are estimated *before* computing (exponent × bit length, factorial size), so
`9^{9^{9^{9}}}` or `10^{10^{10}}` raise `TooLarge` instead of hanging.
"""

from __future__ import annotations

import math
import threading
from fractions import Fraction

from mpmath.ctx_mp import MPContext

from curation.verifier.bounded import MAX_BITS, MAX_FACTORIAL, Budget, TooLarge

DPS = 50
_tls = threading.local()


class Undefined(ArithmeticError):
    """The value is undefined (division by zero, log of zero, ...)."""


class FreeSymbol(LookupError):
    """A symbol without a value was met while evaluating a constant."""


def ctx() -> MPContext:
    c = getattr(_tls, "ctx", None)
    if c is None:
        c = MPContext()
        c.dps = DPS
        _tls.ctx = c
    return c


def symbols(node, acc: set | None = None) -> set:
    """Free symbol names in an expression tree or structured value."""
    if acc is None:
        acc = set()
    if not isinstance(node, tuple) or not node:
        return acc
    tag = node[0]
    if tag == "s":
        acc.add(node[1])
    elif tag in ("n", "c", "text", "choice", "bool"):
        pass
    else:
        for part in node[1:]:
            if isinstance(part, tuple):
                if part and isinstance(part[0], str):
                    symbols(part, acc)
                else:
                    for p in part:
                        symbols(p, acc)
    return acc


def _iroot(n: int, k: int) -> int | None:
    """Exact integer k-th root of n >= 0, or None."""
    if n < 2:
        return n
    r = int(round(n ** (1.0 / k))) if n.bit_length() < 1000 else None
    if r is None:
        # Newton iteration on big ints
        x = 1 << ((n.bit_length() + k - 1) // k)
        while True:
            y = ((k - 1) * x + n // x ** (k - 1)) // k
            if y >= x:
                break
            x = y
        r = x
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**k == n:
            return c
    return None


def _bits(q: Fraction) -> int:
    return max(q.numerator.bit_length(), q.denominator.bit_length())


def _to_mp(v):
    c = ctx()
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return c.mpf(v.numerator)
        return c.mpf(v.numerator) / v.denominator
    return v


def _pow(b, e, budget: Budget):
    c = ctx()
    if isinstance(b, Fraction) and isinstance(e, Fraction):
        if e.denominator == 1:
            n = e.numerator
            if b == 0:
                if n < 0:
                    raise Undefined("division by zero")
                return Fraction(1) if n == 0 else Fraction(0)
            if abs(b) == 1:
                return b ** n
            if _bits(b) * abs(n) > MAX_BITS:
                raise TooLarge(f"power with exponent {n}" if abs(n) < 10**12 else "power tower")
            return b**n
        q = e.denominator
        if q <= 64 and b >= 0:
            rn, rd = _iroot(b.numerator, q), _iroot(b.denominator, q)
            if rn is not None and rd is not None:
                return _pow(Fraction(rn, rd), Fraction(e.numerator), budget)
        if b == 0:
            if e < 0:
                raise Undefined("division by zero")
            return Fraction(0)
    mb, me = _to_mp(b), _to_mp(e)
    if c.isinf(mb) or c.isinf(me) or c.isnan(mb) or c.isnan(me):
        raise Undefined("infinite power")
    if mb == 0:
        if c.re(me) <= 0:
            raise Undefined("division by zero")
        return c.mpf(0)
    # magnitude estimate: |log2 result| ~ |e| * |log2 |b||
    lb = abs(c.log(abs(mb), 2))
    est = abs(me) * lb
    if est > MAX_BITS * 4:
        raise TooLarge("power")
    return c.power(mb, me)


_FUNCS = {
    "sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arccot": "acot", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "exp": "exp", "ln": "ln",
}


def evaluate(node, env: dict, budget: Budget, imag: bool = False):
    """Value of `node`: a Fraction when exact and rational, else an mpmath number.

    env maps symbol names to values; `i` is the imaginary unit when `imag` (and not in env).
    """
    budget.tick()
    tag = node[0]
    if tag == "n":
        return node[1]
    if tag == "s":
        name = node[1]
        if name in env:
            return env[name]
        if name == "i" and imag:
            return ctx().mpc(0, 1)
        raise FreeSymbol(name)
    if tag == "c":
        c = ctx()
        return c.pi if node[1] == "pi" else c.e if node[1] == "e" else c.inf
    if tag == "+":
        acc = Fraction(0)
        for a in node[1]:
            v = evaluate(a, env, budget, imag)
            if isinstance(acc, Fraction) and isinstance(v, Fraction):
                acc += v
            else:
                acc = _to_mp(acc) + _to_mp(v)
        return acc
    if tag == "*":
        acc = Fraction(1)
        for a in node[1]:
            v = evaluate(a, env, budget, imag)
            if isinstance(acc, Fraction) and isinstance(v, Fraction):
                if _bits(acc) + _bits(v) > MAX_BITS:
                    raise TooLarge("product")
                acc *= v
            else:
                acc = _to_mp(acc) * _to_mp(v)
        return acc
    if tag == "^":
        b = evaluate(node[1], env, budget, imag)
        e = evaluate(node[2], env, budget, imag)
        return _pow(b, e, budget)
    if tag == "!":
        v = evaluate(node[1], env, budget, imag)
        if isinstance(v, Fraction) and v.denominator == 1:
            if v < 0:
                raise Undefined("factorial of a negative integer")
            if v > MAX_FACTORIAL:
                raise TooLarge(f"factorial of {v}")
            return Fraction(math.factorial(int(v)))
        mv = _to_mp(v)
        if abs(mv) > MAX_FACTORIAL:
            raise TooLarge("factorial")
        return ctx().factorial(mv)
    if tag == "C":
        n = evaluate(node[1], env, budget, imag)
        k = evaluate(node[2], env, budget, imag)
        if isinstance(n, Fraction) and isinstance(k, Fraction) and n.denominator == 1 and k.denominator == 1:
            n_, k_ = int(n), int(k)
            if k_ < 0 or (n_ >= 0 and k_ > n_):
                return Fraction(0)
            if n_ < 0:
                raise Undefined("binomial of a negative integer")
            kk = min(k_, n_ - k_)
            if kk * max(n_.bit_length(), 1) > MAX_BITS:
                raise TooLarge(f"binomial({n_}, {k_})")
            return Fraction(math.comb(n_, k_))
        mn, mk = _to_mp(n), _to_mp(k)
        if abs(mn) > MAX_FACTORIAL:
            raise TooLarge("binomial")
        return ctx().binomial(mn, mk)
    if tag == "f":
        name = node[1]
        args = [evaluate(a, env, budget, imag) for a in node[2]]
        x = args[0]
        c = ctx()
        if name == "abs":
            return abs(x) if isinstance(x, Fraction) else c.mpf(abs(x))
        if name in ("floor", "ceil"):
            if isinstance(x, Fraction):
                return Fraction(math.floor(x) if name == "floor" else math.ceil(x))
            if c.im(x) != 0:
                raise Undefined("floor of a complex number")
            return Fraction(int(c.floor(x) if name == "floor" else c.ceil(x)))
        if name == "log":
            mx = _to_mp(x)
            if mx == 0:
                raise Undefined("log of zero")
            if len(args) == 2:
                mb = _to_mp(args[1])
                if mb == 0 or mb == 1:
                    raise Undefined("log base")
                return c.log(mx) / c.log(mb)
            return c.log(mx)
        if name == "ln":
            mx = _to_mp(x)
            if mx == 0:
                raise Undefined("log of zero")
            return c.ln(mx)
        if isinstance(x, Fraction) and x == 0 and name in ("sin", "tan", "arcsin", "arctan", "sinh", "tanh"):
            return Fraction(0)
        mx = _to_mp(x)
        if abs(mx) > 10**6 and name in ("exp", "sinh", "cosh"):
            raise TooLarge(f"{name} of a large argument")
        fn = getattr(c, _FUNCS[name])
        try:
            return fn(mx)
        except ZeroDivisionError as exc:
            raise Undefined(str(exc)) from None
    if tag == "pm":
        raise Undefined("unexpanded ±")
    raise Undefined(f"cannot evaluate {tag}")


def is_inf(v) -> int:
    """+1 / -1 for ±infinity, 0 otherwise."""
    if isinstance(v, Fraction):
        return 0
    c = ctx()
    try:
        if c.isinf(v):
            return 1 if v > 0 else -1
    except TypeError:
        pass
    return 0


def values_equal(a, b, rel: float = 1e-35) -> bool:
    """Exact for two rationals; otherwise |a-b| <= rel*max(|a|,|b|) (+1e-40 when one side is 0)."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    ia, ib = is_inf(a), is_inf(b)
    if ia or ib:
        return ia == ib
    c = ctx()
    ma, mb = _to_mp(a), _to_mp(b)
    if c.isnan(ma) or c.isnan(mb):
        raise Undefined("not a number")
    d = abs(ma - mb)
    scale = max(abs(ma), abs(mb))
    if scale == 0:
        return True
    if d <= rel * scale:
        return True
    return (ma == 0 or mb == 0) and d <= 1e-40


def to_float_key(v, digits: int = 12) -> str:
    """A rounded textual key of a value (for canonical forms)."""
    if isinstance(v, Fraction):
        return f"{v.numerator}/{v.denominator}" if v.denominator != 1 else str(v.numerator)
    inf = is_inf(v)
    if inf:
        return "inf" if inf > 0 else "-inf"
    c = ctx()
    re_, im_ = c.re(v), c.im(v)
    def r(x):
        if abs(x) < 1e-30:
            return "0"
        return c.nstr(x, digits, min_fixed=-5, max_fixed=15)
    if abs(im_) < 1e-30 * max(1, abs(re_)):
        return "~" + r(re_)
    return f"~{r(re_)}{'+' if im_ >= 0 else '-'}{r(abs(im_))}i"
