"""Safe tokenizer and recursive-descent parser for final answers (plain text and a LaTeX subset).

Produces our own small value tree (plain tuples); nothing is evaluated here and nothing is ever
passed to `eval`, `sympify` or `parse_expr`. Size and depth are bounded (see `bounded.py`).

Expression nodes (`ast`):
    ("n", Fraction)            number
    ("s", name)                free symbol (`x`, `a_1`, `\\theta`, `i`)
    ("c", "pi" | "e" | "inf")  constant
    ("+", (a, b, ...))         sum
    ("*", (a, b, ...))         product
    ("^", base, exp)           power (division is `x * y^-1`, roots are fractional powers)
    ("f", name, (args...))     function: sin cos tan ... log (args: x[, base]) ln exp abs floor ceil
    ("!", a)                   factorial
    ("C", n, k)                binomial coefficient
    ("pm", a, b)               a ± b (expanded into alternatives before comparison)

Structured values (`value`):
    ("expr", ast, decimals)    decimals = digits after the point when the answer is a bare decimal literal
    ("eq", lhs, rhs)           equation / assignment (sides are values)
    ("rel", (v...), (op...))   inequality chain, ops among "<" "<=" ">" ">=" "!="
    ("interval", lo, hi, lo_closed, hi_closed)
    ("union", (v...)), ("set", (v...)), ("tuple", (v...)), ("pair", (a, b)), ("list", (v...))
    ("matrix", ((v...), ...)), ("text", key), ("choice", letter), ("bool", b)
"""

from __future__ import annotations

import re
from fractions import Fraction

from curation.verifier.bounded import MAX_DEPTH, MAX_ITEMS, MAX_PM, MAX_TOKENS, TooLarge
from curation.verifier.kinds import EXPRESSION_TAGS


class ParseError(Exception):
    """The answer is not in a form the parser understands."""


class Unsupported(ParseError):
    """A LaTeX command or environment outside our grammar (`\\sum`, `\\int`, ...): the sympy
    fallback may still handle it."""


class NotMath(ParseError):
    """The answer contains prose (a word or `\\text{...}` that is not math)."""


EXPR_TAGS = EXPRESSION_TAGS
ONE = ("n", Fraction(1))
NEG_ONE = ("n", Fraction(-1))
PI = ("c", "pi")
INF = ("c", "inf")

FUNCTIONS = {
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "arccot", "sinh", "cosh",
    "tanh", "log", "ln", "lg", "exp", "sqrt", "abs", "floor", "ceil", "asin", "acos", "atan",
}
_FUNC_ALIAS = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "lg": "log10"}
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
    "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
}
_OP_CMDS = {
    "cdot": "*", "times": "*", "ast": "*", "div": "/", "le": "<=", "leq": "<=", "leqslant": "<=",
    "ge": ">=", "geq": ">=", "geqslant": ">=", "ne": "!=", "neq": "!=", "lt": "<", "gt": ">",
    "pm": "±", "mp": "∓", "cup": "cup", "cap": "cap", "in": "in", "to": "to", "rightarrow": "to",
    "implies": "to", "Rightarrow": "to", "approx": "approx", "equiv": "=", "colon": ":", "mid": ":",
    "lor": "or", "vee": "or", "land": "and", "wedge": "and", "setminus": "setminus",
}
_OPEN_CMDS = {"{": "{s", "}": "}s", "langle": "<a", "rangle": ">a", "lbrace": "{s", "rbrace": "}s",
              "lfloor": "lfloor", "rfloor": "rfloor", "lceil": "lceil", "rceil": "rceil",
              "vert": "|", "lvert": "|", "rvert": "|", "|": "||", "Vert": "||"}
_TEXT_CMDS = {"text", "textbf", "textit", "mbox", "textrm", "textnormal", "textsf", "texttt", "emph",
              "mathrm", "mathbf", "mathit", "operatorname", "boldsymbol", "bm", "mathsf", "mathcal", "hat",
              "vec", "bar", "tilde", "overline", "mathbb"}
_MATRIX_ENVS = {"pmatrix", "bmatrix", "matrix", "Bmatrix", "smallmatrix", "array", "vmatrix"}

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:\\overline\s*\{\d+\}|\\bar\s*\{\d+\}|\\dot\s*\{\d+\})?(?:[eE][+-]?\d+(?![\d.]))?)"
    r"|(?P<cmd>\\[a-zA-Z]+|\\.)"
    r"|(?P<alpha>[a-zA-Z]+)"
    r"|(?P<op>\*\*|<=|>=|!=|=<|=>|[-+*/^_!=<>,;|&'(){}\[\]:])"
)
_NUM_PARTS = re.compile(
    r"(?P<int>\d*)(?:\.(?P<frac>\d*))?(?:\\(?:overline|bar|dot)\s*\{(?P<rep>\d+)\})?(?:[eE](?P<exp>[+-]?\d+))?"
)


class Tok:
    __slots__ = ("kind", "val", "sp", "places")

    def __init__(self, kind: str, val, sp: bool = False, places: int | None = None):
        self.kind = kind  # num id func const cmd op word text end
        self.val = val
        self.sp = sp
        self.places = places

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Tok({self.kind},{self.val!r})"


def _number(text: str) -> tuple[Fraction, int | None]:
    m = _NUM_PARTS.fullmatch(text)
    if not m:
        raise ParseError(f"bad number {text!r}")
    ip, fp, rep, ex = m.group("int") or "0", m.group("frac") or "", m.group("rep"), m.group("exp")
    if len(text) > 400:
        raise TooLarge("number literal")
    value = Fraction(int(ip + fp) if (ip + fp) else 0, 10 ** len(fp))
    places: int | None = len(fp) if m.group("frac") is not None and fp else None
    if rep:
        # 0.1\overline{6}: add rep / (10^len(fp) * (10^len(rep) - 1))
        value += Fraction(int(rep), 10 ** len(fp) * (10 ** len(rep) - 1))
        places = None
    if ex:
        e = int(ex)
        if abs(e) > 4000:
            raise TooLarge("exponent of a number literal")
        value *= Fraction(10) ** e
        if places is not None:
            places -= e
            if places <= 0:
                places = None
    return value, places


def _split_alpha(word: str) -> list[tuple[str, str]]:
    """Split a plain run of letters: function names and constants stay whole, the rest are letters."""
    low = word
    if low in FUNCTIONS:
        return [("func", _FUNC_ALIAS.get(low, low))]
    if low in ("pi",):
        return [("const", "pi")]
    if low in ("infty", "inf", "infinity", "oo"):
        return [("const", "inf")]
    if low == "e":
        return [("const", "e")]
    if low in GREEK:
        return [("id", low)]
    if low.lower() in ("or", "and"):
        return [("op", low.lower())]
    out: list[tuple[str, str]] = []
    i = 0
    names = sorted(FUNCTIONS | {"pi"}, key=len, reverse=True)
    found_func = False
    while i < len(word):
        for name in names:
            if word.startswith(name, i):
                out.append(("const", "pi") if name == "pi" else ("func", _FUNC_ALIAS.get(name, name)))
                i += len(name)
                found_func = True
                break
        else:
            out.append(("const", "e") if word[i] == "e" else ("id", word[i]))
            i += 1
    if len(word) >= 3 and not found_func:
        return [("word", word)]
    return out


def tokenize(s: str) -> list[Tok]:
    toks: list[Tok] = []
    pos = 0
    n = len(s)
    sp = False
    while pos < n:
        m = _TOKEN.match(s, pos)
        if not m:
            raise ParseError(f"unexpected character {s[pos]!r}")
        pos = m.end()
        kind = m.lastgroup
        text = m.group(0)
        if kind == "ws":
            sp = True
            continue
        if kind == "num":
            value, places = _number(text)
            toks.append(Tok("num", value, sp, places))
        elif kind == "alpha":
            for k, v in _split_alpha(text):
                toks.append(Tok(k, v, sp))
                sp = False
        elif kind == "op":
            op = {"=<": "<=", "=>": ">=", "**": "^"}.get(text, text)
            toks.append(Tok("op", op, sp))
        else:  # cmd
            name = text[1:]
            if name in _OP_CMDS:
                toks.append(Tok("op", _OP_CMDS[name], sp))
            elif name in _OPEN_CMDS:
                toks.append(Tok("op", _OPEN_CMDS[name], sp))
            elif name == "\\":
                toks.append(Tok("op", "row", sp))
            elif name in _TEXT_CMDS:
                # read a balanced {...} argument (or a single char)
                j = pos
                while j < n and s[j] == " ":
                    j += 1
                if j < n and s[j] == "{":
                    depth, k = 0, j
                    while k < n:
                        if s[k] == "\\":
                            k += 2
                            continue
                        if s[k] == "{":
                            depth += 1
                        elif s[k] == "}":
                            depth -= 1
                            if depth == 0:
                                break
                        k += 1
                    if k >= n:
                        raise ParseError("unbalanced braces")
                    content = s[j + 1 : k]
                    pos = k + 1
                elif j < n:
                    content = s[j]
                    pos = j + 1
                else:
                    raise ParseError(f"\\{name} without argument")
                if name == "mathbb":
                    toks.append(Tok("const", "R" if content.strip() == "R" else "set:" + content.strip(), sp))
                elif name in ("overline", "bar", "tilde", "hat", "vec") and not re.fullmatch(r"\s*[A-Za-z]+\s*", content):
                    raise ParseError(f"\\{name} over {content!r}")
                elif name.startswith("text") or name in ("mbox", "emph"):
                    word = content.strip()
                    if word in ("or", "and"):
                        toks.append(Tok("op", word, sp))
                    elif re.search(r"[A-Za-z]{2,}", content):
                        toks.append(Tok("text", word, sp))
                    else:
                        toks.extend(tokenize(content))
                elif name == "operatorname" and content.strip() in FUNCTIONS:
                    toks.append(Tok("func", _FUNC_ALIAS.get(content.strip(), content.strip()), sp))
                elif name == "operatorname" and re.fullmatch(r"\s*[A-Za-z]{2,}\s*", content):
                    raise Unsupported(f"unsupported \\operatorname{{{content.strip()}}}")
                else:
                    inner = content.strip()
                    if re.fullmatch(r"[A-Za-z]+", inner):
                        toks.append(Tok("const", "e", sp) if inner == "e" else Tok("id", inner, sp))
                    else:
                        toks.extend(tokenize(content))
            elif name in FUNCTIONS:
                toks.append(Tok("func", _FUNC_ALIAS.get(name, name), sp))
            elif name in ("arcsec", "arccsc", "coth", "sech", "csch", "det", "gcd", "lcm", "max", "min", "mod", "bmod", "pmod"):
                raise Unsupported(f"unsupported \\{name}")
            elif name == "pi":
                toks.append(Tok("const", "pi", sp))
            elif name in ("infty", "infin"):
                toks.append(Tok("const", "inf", sp))
            elif name in ("emptyset", "varnothing"):
                toks.append(Tok("const", "empty", sp))
            elif name in ("imath", "jmath"):
                toks.append(Tok("id", "i", sp))
            elif name in GREEK:
                toks.append(Tok("id", name, sp))
            elif name in ("frac", "sqrt", "binom", "begin", "end", "choose", "over"):
                toks.append(Tok("cmd", name, sp))
            elif name in ("{", "}"):
                toks.append(Tok("op", "{s" if name == "{" else "}s", sp))
            elif name in ("%", "$", ",", ";", "!", " ", ":"):
                pass
            elif name == "degmark":
                toks.append(Tok("op", "deg", sp))
            elif name == "prime":
                toks.append(Tok("op", "'", sp))
            else:
                raise Unsupported(f"unsupported \\{name}")
        sp = False
        if len(toks) > MAX_TOKENS:
            raise TooLarge(f"more than {MAX_TOKENS} tokens")
    toks.append(Tok("end", None))
    return toks


_REL_OPS = {"=", "<", ">", "<=", ">=", "!="}
#: single letters that name functions by convention (h, p, ... are too often heights and probabilities)
_CONVENTIONAL_FUNCTIONS = frozenset({"f", "g", "F", "G"})


def _node_key(node) -> str:
    """A deterministic text for an expression tree (names an opaque function value)."""
    tag = node[0]
    if tag in ("n", "s", "c"):
        return str(node[1])
    if tag in ("+", "*"):
        return tag + "[" + ",".join(_node_key(x) for x in node[1]) + "]"
    if tag == "f":
        return str(node[1]) + "[" + ",".join(_node_key(x) for x in node[2]) + "]"
    return tag + "[" + ",".join(_node_key(x) for x in node[1:]) + "]"  # ^ ! C pm: children are nodes


_ATOM_START_OPS = {"(", "{", "{s", "<a", "lfloor", "lceil"}


def _is_expr(v) -> bool:
    return isinstance(v, tuple) and v and v[0] in EXPR_TAGS


def add(*xs):
    return ("+", tuple(xs))


def mul(*xs):
    return ("*", tuple(xs))


def neg(x):
    if x[0] == "n":
        return ("n", -x[1])
    return ("*", (NEG_ONE, x))


def inv(x):
    return ("^", x, NEG_ONE)


class Parser:
    """Recursive descent over the token list. Grammar (loosest first):

    top      := item ((',' | ';' | 'or' | 'and') item)*
    item     := setexpr (relop setexpr)*
    setexpr  := sum ('cup' sum)*
    sum      := product (('+' | '-' | '±' | '∓') product)*
    product  := unary (('*' | '/' | implicit) unary)*
    unary    := ('-' | '+' | '±') unary | power
    power    := postfix ('^' exponent)?
    postfix  := atom '!'*
    atom     := number | symbol | constant | function | \\frac | \\sqrt | \\binom | bracketed | |x| | matrix
    """

    def __init__(self, toks: list[Tok]):
        self.toks = toks
        # names applied to a number somewhere in this text (`I(0)`): functions everywhere in it
        self.applied = {
            a.val for a, b, c, d in zip(toks, toks[1:], toks[2:], toks[3:])
            if a.kind == "id" and b.kind == "op" and b.val == "(" and not b.sp and c.kind == "num"
            and d.kind == "op" and d.val == ")"
        }
        self.i = 0
        self.depth = 0
        self.abs_depth = 0
        self.pm = 0

    # -- helpers
    def peek(self) -> Tok:
        return self.toks[self.i]

    def next(self) -> Tok:
        t = self.toks[self.i]
        if t.kind != "end":
            self.i += 1
        return t

    def at(self, kind: str, val=None) -> bool:
        t = self.toks[self.i]
        return t.kind == kind and (val is None or t.val == val)

    def expect_op(self, val: str) -> None:
        t = self.next()
        if t.kind != "op" or t.val != val:
            raise ParseError(f"expected {val!r}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise TooLarge(f"nesting deeper than {MAX_DEPTH}")

    # -- grammar
    def parse(self):
        items = self.items(stop=None)
        if not self.at("end"):
            t = self.peek()
            if t.kind in ("word", "text"):
                raise NotMath(str(t.val))
            raise ParseError(f"unexpected {t.val!r}")
        if len(items) == 1:
            return items[0]
        return ("list", tuple(items))

    def items(self, stop):
        out = []
        if self.at("op") and self.peek().val in (stop or ()):
            return out
        while True:
            out.append(self.item())
            if len(out) > MAX_ITEMS:
                raise TooLarge(f"more than {MAX_ITEMS} items")
            t = self.peek()
            if t.kind == "op" and t.val in (",", ";") or (t.kind == "op" and t.val in ("or", "and") and stop is None):
                self.next()
                if t.val in (",", ";") and self.at("op") and self.peek().val in ("or", "and"):
                    self.next()  # "19, 46, and 82"
                continue
            return out

    def _skip_approximation(self) -> None:
        """`X \\approx 0.577`: X is the answer; the rounded value after it is dropped."""
        while self.at("op", "approx"):
            self.next()
            self.setexpr()

    def item(self):
        first = self.setexpr()
        if self.at("op", "approx") and first[0] == "s":  # x \approx 11: the value of x
            self.toks[self.i] = Tok("op", "=", self.peek().sp)
        self._skip_approximation()
        vals = [first]
        ops = []
        while self.at("op") and self.peek().val in _REL_OPS:
            ops.append(self.next().val)
            vals.append(self.setexpr())
            self._skip_approximation()
        if self.at("op", ":") and not ops and _is_expr(first):
            self.next()
            second = self.setexpr()
            if not _is_expr(second) or self.at("op", ":"):
                raise ParseError("bad ratio")
            ratio = ("ratio", first, second)
            if self.at("op", "="):  # a labelled ratio: V_1:V_2 = 11:21
                self.next()
                return ("eq", ratio, self.item())
            return ratio
        if self.at("op", "in") and not ops:
            self.next()
            rhs = self.setexpr()
            return ("eq", first, rhs)
        if not ops:
            return first
        if ops == ["="]:
            return ("eq", vals[0], vals[1])
        if all(o == "=" for o in ops):
            # a = b = c: keep the last side (x = 2 + 1 = 3)
            return ("eq", vals[0], vals[-1])
        return ("rel", tuple(vals), tuple(ops))

    def setexpr(self):
        first = self.sum()
        if not self.at("op", "cup"):
            if self.at("op", "cap") or self.at("op", "setminus"):
                raise ParseError("set intersection/difference is not supported")
            return first
        parts = [first]
        while self.at("op", "cup"):
            self.next()
            parts.append(self.sum())
        return ("union", tuple(parts))

    def sum(self):
        left = self.product()
        terms = [left]
        while True:
            t = self.peek()
            if t.kind != "op" or t.val not in ("+", "-", "±", "∓"):
                break
            if not _is_expr(terms[-1]) and len(terms) == 1:
                raise ParseError("arithmetic on a set, interval or tuple")
            self.next()
            right = self.product()
            if not _is_expr(right):
                raise ParseError("arithmetic on a set, interval or tuple")
            if t.val == "+":
                terms.append(right)
            elif t.val == "-":
                terms.append(neg(right))
            else:
                self.pm += 1
                if self.pm > MAX_PM:
                    raise TooLarge("too many ± signs")
                acc = terms[0] if len(terms) == 1 else add(*terms)
                terms = [("pm", acc, right if t.val == "±" else neg(right))]
        if len(terms) == 1:
            return terms[0]
        return add(*terms)

    def starts_atom(self, t: Tok) -> bool:
        if t.kind in ("num", "id", "const", "func", "cmd"):
            return not (t.kind == "cmd" and t.val in ("end", "choose", "over"))
        if t.kind == "op":
            if t.val in _ATOM_START_OPS:
                return True
            if t.val == "|" and self.abs_depth == 0:
                return True
        return False

    def product(self):
        left = self.unary()
        factors = [left]
        while True:
            t = self.peek()
            if t.kind == "op" and t.val in ("*", "/"):
                self.next()
                right = self.unary()
                if not _is_expr(right) or not _is_expr(factors[-1]):
                    raise ParseError("arithmetic on a set, interval or tuple")
                factors.append(right if t.val == "*" else inv(right))
            elif self.starts_atom(t) and _is_expr(factors[-1]):
                if t.kind == "num" and self.toks[self.i - 1].kind == "num":
                    raise ParseError("two numbers side by side")
                right = self.power()
                if not _is_expr(right):
                    raise ParseError("arithmetic on a set, interval or tuple")
                factors.append(right)
            else:
                break
        if len(factors) == 1:
            return factors[0]
        return mul(*factors)

    def unary(self):
        t = self.peek()
        if t.kind == "op" and t.val in ("-", "+", "±", "∓"):
            self.next()
            self.enter()
            x = self.unary()
            self.depth -= 1
            if not _is_expr(x):
                raise ParseError("sign before a set, interval or tuple")
            if t.val == "-":
                return neg(x)
            if t.val == "+":
                return x
            self.pm += 1
            if self.pm > MAX_PM:
                raise TooLarge("too many ± signs")
            return ("pm", ("n", Fraction(0)), x)
        return self.power()

    def power(self):
        base = self.postfix()
        if self.at("op", "^"):
            self.next()
            if not _is_expr(base):
                raise ParseError("power of a set, interval or tuple")
            self.enter()
            exp = self.exponent()
            self.depth -= 1
            node = ("^", base, exp)
            if self.at("op", "deg"):
                self.next()
                node = mul(node, PI, ("n", Fraction(1, 180)))
            while self.at("op", "!"):
                self.next()
                node = ("!", node)
            return node
        return base

    def exponent(self):
        t = self.peek()
        if t.kind == "op" and t.val == "{":
            e = self.group()
        elif t.kind == "op" and t.val in ("-", "+"):
            self.next()
            e = self.exponent()
            e = neg(e) if t.val == "-" else e
            return e
        else:
            e = self.postfix()
        if self.at("op", "^"):  # right-associative towers
            self.next()
            self.enter()
            e = ("^", e, self.exponent())
            self.depth -= 1
        if not _is_expr(e):
            raise ParseError("bad exponent")
        return e

    def postfix(self):
        a = self.atom()
        if self.at("op", "deg"):
            self.next()
            if not _is_expr(a):
                raise ParseError("degrees of a non-number")
            a = mul(a, PI, ("n", Fraction(1, 180)))
        while self.at("op", "!"):
            self.next()
            if self.at("op", "!"):
                raise ParseError("double factorial is not supported")
            a = ("!", a)
        while self.at("op", "'"):
            raise ParseError("primes are not supported")
        return a

    def arg(self):
        """A LaTeX macro argument: `{...}` or a single token (`\\frac12` splits digits)."""
        t = self.peek()
        if t.kind == "op" and t.val == "{":
            return self.group()
        if t.kind == "num":
            self.next()
            text = t.val
            if t.places is None and text.denominator == 1 and text >= 10 and (not t.sp or text < 100):
                digits = str(text.numerator)
                first = Fraction(int(digits[0]))
                rest = Tok("num", Fraction(int(digits[1:])), False, None)
                if digits[1] == "0" and len(digits) > 2:
                    raise ParseError("ambiguous macro argument")
                self.i -= 1
                self.toks[self.i] = rest
                return ("n", first)
            return ("n", t.val)
        if t.kind in ("id", "const"):
            return self.atom()
        if t.kind == "cmd" or t.kind == "func":
            return self.atom()
        raise ParseError("missing macro argument")

    def group(self):
        """`{ ... }`: a group, or a set when it has commas."""
        self.expect_op("{")
        self.enter()
        items = self.items(stop=("}",))
        if self.at("cmd", "choose") and len(items) == 1 and _is_expr(items[0]):
            self.next()
            k = self.sum()
            self.expect_op("}")
            self.depth -= 1
            return ("C", items[0], k)
        self.expect_op("}")
        self.depth -= 1
        if len(items) == 1:
            return items[0]
        # `{1,3}` without backslashes renders as "1,3": a plain comma list, not a set
        return ("list", tuple(items))

    def atom(self):
        t = self.next()
        k, v = t.kind, t.val
        if k == "num" and self.at("op", "_"):
            return self.based(t)
        if k == "num":
            # mixed number: 3\frac{1}{2} or 3 1/2 (proper fractions of integer literals only)
            nt = self.peek()
            if t.places is None and v.denominator == 1 and v >= 0:
                if nt.kind == "cmd" and nt.val == "frac":
                    save = self.i
                    self.next()
                    try:
                        a, b = self.arg(), self.arg()
                    except ParseError:
                        a = b = None
                    if (a and b and a[0] == "n" and b[0] == "n" and a[1].denominator == 1
                            and b[1].denominator == 1 and 0 < a[1] < b[1]):
                        return ("n", v + a[1] / b[1])
                    self.i = save
                elif (nt.kind == "num" and nt.sp and nt.places is None and self.toks[self.i + 1].kind == "op"
                      and self.toks[self.i + 1].val == "/" and self.toks[self.i + 2].kind == "num"
                      and self.toks[self.i + 3].kind in ("end",)):
                    a, b = nt.val, self.toks[self.i + 2].val
                    if a.denominator == 1 and b.denominator == 1 and 0 < a < b:
                        self.i += 3
                        return ("n", v + a / b)
            return ("n", v)
        if k == "id":
            name = v
            if self.at("op", "_"):
                self.next()
                s = self.peek()
                if s.kind == "op" and s.val == "{":
                    # subscript text up to the matching brace
                    depth, j = 0, self.i
                    parts = []
                    while True:
                        tt = self.toks[j]
                        if tt.kind == "end":
                            raise ParseError("unbalanced subscript")
                        if tt.kind == "op" and tt.val == "{":
                            depth += 1
                        elif tt.kind == "op" and tt.val == "}":
                            depth -= 1
                            if depth == 0:
                                break
                        parts.append(str(tt.val))
                        j += 1
                    self.i = j + 1
                    sub = "".join(parts[1:])
                elif s.kind in ("num", "id"):
                    self.next()
                    sub = str(s.val)
                else:
                    raise ParseError("bad subscript")
                name = f"{name}_{sub}"
            while self.at("op", "'"):  # f', y'' : a prime is part of the name (a derivative)
                self.next()
                name += "'"
            if self.at("op", "(") and not self.peek().sp and self.is_function_name(name):
                return self.application(name)
            return ("s", name)
        if k == "const":
            if v == "pi":
                return PI
            if v == "inf":
                return INF
            if v == "e":
                return ("c", "e")
            if v == "empty":
                return ("set", ())
            if v == "R":
                return ("interval", neg(INF), INF, False, False)
            raise NotMath(v)
        if k == "func":
            if v == "sqrt":
                return self.sqrt()
            return self.function(v)
        if k == "cmd":
            if v == "frac":
                self.enter()
                a = self.arg()
                b = self.arg()
                self.depth -= 1
                if not (_is_expr(a) and _is_expr(b)):
                    raise ParseError("bad \\frac")
                return mul(a, inv(b))
            if v == "sqrt":
                return self.sqrt()
            if v == "binom":
                a, b = self.arg(), self.arg()
                if not (_is_expr(a) and _is_expr(b)):
                    raise ParseError("bad \\binom")
                return ("C", a, b)
            if v == "begin":
                return self.environment()
            raise ParseError(f"unexpected \\{v}")
        if k == "op":
            if v in ("(", "["):
                return self.bracketed(v)
            if v == "{":
                self.i -= 1
                return self.group()
            if v == "{s" and self.at("id") and self.toks[self.i + 1].kind == "op" and self.toks[self.i + 1].val in (":", "|"):
                # set-builder {x | condition}: the condition (an inequality or equation) is the value
                self.i += 2
                self.enter()
                cond = self.items(stop=("}s", "}"))
                t2 = self.next()
                if t2.kind != "op" or t2.val not in ("}s", "}") or len(cond) != 1:
                    raise ParseError("bad set-builder")
                self.depth -= 1
                return cond[0]
            if v == "{s":
                self.enter()
                items = self.items(stop=("}s", "}"))
                t2 = self.next()
                if t2.kind != "op" or t2.val not in ("}s", "}"):
                    raise ParseError("unclosed set")
                self.depth -= 1
                return ("set", tuple(items))
            if v == "<a":
                self.enter()
                items = self.items(stop=(">a",))
                self.expect_op(">a")
                self.depth -= 1
                return ("tuple", tuple(items))
            if v == "|" or v == "||":
                self.abs_depth += 1
                self.enter()
                x = self.sum()
                self.depth -= 1
                self.abs_depth -= 1
                self.expect_op(v)
                if not _is_expr(x):
                    raise ParseError("bad absolute value")
                return ("f", "abs", (x,))
            if v in ("lfloor", "lceil"):
                self.enter()
                x = self.sum()
                self.depth -= 1
                self.expect_op("rfloor" if v == "lfloor" else "rceil")
                return ("f", "floor" if v == "lfloor" else "ceil", (x,))
        if k in ("word", "text"):
            raise NotMath(str(v))
        if k == "end":
            raise ParseError("unexpected end of answer")
        raise ParseError(f"unexpected {v!r}")

    def is_function_name(self, name: str) -> bool:
        """A name applied to an argument is a function, not a product: by convention (f, g, F, G,
        primed names) or by usage in the same text (the name is applied to a number somewhere, as in
        `I(0)e^{-t/RC}` or `h(0) + h(t)`)."""
        return name in _CONVENTIONAL_FUNCTIONS or name.endswith("'") or name in self.applied

    def application(self, name: str):
        """`f(0)`, `f(x)`, `I(0)`: an unknown function's value, kept as an opaque symbol named by the
        function and its (parsed) argument, so `f(0)` = `f(0)` but `f(0)` != `g(0)` != `f(1)`."""
        self.next()  # (
        self.enter()
        args = self.items(stop=(")",))
        self.depth -= 1
        self.expect_op(")")
        if not args or not all(_is_expr(a) for a in args):
            raise ParseError(f"bad argument of {name}")
        return ("s", f"{name}({';'.join(_node_key(a) for a in args)})")

    def based(self, t: Tok):
        """`204_5`, `4210_{5}`: a numeral in base 2..36, kept with its base (see docs: a base-n answer
        matches the same numeral in the same base, not its decimal value)."""
        self.next()  # _
        braced = self.at("op", "{")
        if braced:
            self.next()
        b = self.next()
        if braced:
            self.expect_op("}")
        if b.kind != "num" or b.val.denominator != 1 or not 2 <= b.val <= 36 or t.places is not None or t.val.denominator != 1:
            raise ParseError("bad numeral base")
        base = int(b.val)
        digits = str(t.val.numerator)
        if any(int(d) >= base for d in digits):
            raise ParseError(f"digit out of range for base {base}")
        return ("based", int(digits, base), base)

    def sqrt(self):
        idx = None
        if self.at("op", "["):
            self.next()
            idx = self.sum()
            self.expect_op("]")
        self.enter()
        if self.at("op", "("):
            self.next()
            a = self.sum()
            self.expect_op(")")
        else:
            a = self.arg()
        self.depth -= 1
        if not _is_expr(a) or (idx is not None and not _is_expr(idx)):
            raise ParseError("bad square root")
        return ("^", a, ("n", Fraction(1, 2)) if idx is None else inv(idx))

    def bracketed(self, open_: str):
        self.enter()
        items = self.items(stop=(")", "]"))
        close = self.next()
        self.depth -= 1
        if close.kind != "op" or close.val not in (")", "]"):
            raise ParseError("unclosed bracket")
        if not items:
            raise ParseError("empty brackets")
        if len(items) == 1:
            if open_ == "(" and close.val == ")" or open_ == "[" and close.val == "]":
                return items[0]
            raise ParseError("mismatched brackets")
        if len(items) == 2:
            a, b = items
            if open_ == "(" and close.val == ")":
                return ("pair", (a, b))
            if not (_is_expr(a) and _is_expr(b)):
                raise ParseError("interval with non-numeric ends")
            return ("interval", a, b, open_ == "[", close.val == "]")
        if open_ == "(" and close.val == ")":
            return ("tuple", tuple(items))
        if open_ == "[" and close.val == "]":
            return ("tuple", tuple(items))
        raise ParseError("mismatched brackets")

    def environment(self):
        self.expect_op("{")
        name_tok = self.next()
        env = str(name_tok.val)
        if name_tok.kind == "word" or name_tok.kind == "id":
            # pmatrix etc. arrive as a word token
            pass
        while not self.at("op", "}"):
            t = self.next()
            if t.kind == "end":
                raise ParseError("bad \\begin")
            env += str(t.val)
        self.next()
        if env not in _MATRIX_ENVS:
            raise Unsupported(f"unsupported environment {env}")
        if env == "array" and self.at("op", "{"):
            while not self.at("op", "}"):
                if self.next().kind == "end":
                    raise ParseError("bad array")
            self.next()
        rows = []
        row = []
        self.enter()
        while True:
            if self.at("cmd", "end"):
                break
            if self.at("end"):
                raise ParseError("unclosed matrix")
            row.append(self.item())
            if self.at("op", "&"):
                self.next()
                continue
            if self.at("op", "row"):
                self.next()
                rows.append(tuple(row))
                row = []
                continue
        if row:
            rows.append(tuple(row))
        self.next()  # \end
        self.expect_op("{")
        while not self.at("op", "}"):
            if self.next().kind == "end":
                raise ParseError("bad \\end")
        self.next()
        self.depth -= 1
        if not rows or any(len(r) != len(rows[0]) for r in rows):
            raise ParseError("ragged matrix")
        if env == "vmatrix":
            raise ParseError("determinants are not supported")
        return ("matrix", tuple(rows))

    def function(self, name: str):
        power = None
        base = None
        if name in ("log",) and self.at("op", "_"):
            self.next()
            base = self.arg() if not self.at("op", "{") else self.group()
        if self.at("op", "^"):
            self.next()
            power = self.exponent()
        if name in ("log",) and base is None and self.at("op", "_"):
            self.next()
            base = self.arg()
        self.enter()
        if name == "sqrt" and self.at("op", "{"):
            arg = self.group()
        elif self.at("op", "("):
            self.next()
            items = self.items(stop=(")",))
            self.expect_op(")")
            if len(items) != 1:
                raise ParseError(f"{name} takes one argument")
            arg = items[0]
        elif self.at("op", "{"):
            arg = self.group()
        else:
            # \sin 2x: the following implicit product of atoms (no explicit operators)
            factors = [self.postfix_power()]
            while self.starts_atom(self.peek()) and self.peek().kind != "func":
                factors.append(self.postfix_power())
            arg = factors[0] if len(factors) == 1 else mul(*factors)
        self.depth -= 1
        if not _is_expr(arg):
            raise ParseError(f"bad argument of {name}")
        if name == "sqrt":
            node = ("^", arg, ("n", Fraction(1, 2)))
        elif name == "log10":
            node = ("f", "log", (arg, ("n", Fraction(10))))
        elif name == "log" and base is not None:
            node = ("f", "log", (arg, base))
        else:
            node = ("f", name, (arg,))
        if power is not None:
            if name in ("arcsin", "arccos", "arctan") and power == NEG_ONE:
                raise ParseError("ambiguous inverse notation")
            node = ("^", node, power)
        return node

    def postfix_power(self):
        a = self.postfix()
        if self.at("op", "^"):
            self.next()
            a = ("^", a, self.exponent())
        return a


def parse_value(cleaned: str):
    """Parse a cleaned answer string into a value (see module docstring). Raises ParseError/TooLarge."""
    toks = tokenize(cleaned)
    if len(toks) == 1:
        raise ParseError("empty answer")
    p = Parser(toks)
    v = p.parse()
    decimals = None
    body = toks[:-1]
    if body and body[0].kind == "op" and body[0].val in "+-":
        body = body[1:]
    if len(body) == 1 and body[0].kind == "num":
        decimals = body[0].places
    return v, decimals
