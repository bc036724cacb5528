"""Invariants with hypothesis."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from curation.verifier import judge

OUTCOMES = {"equivalent", "different", "unparseable"}

atoms = st.sampled_from(["x", "y", "2", "3", "\\pi", "\\sqrt{2}", "\\frac{1}{2}", "0.5", "7", "a", "e", "-1"])
ops = st.sampled_from(["+", "-", "\\cdot", "/", "^"])


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(atoms)
    left = draw(expressions(depth=depth - 1))
    right = draw(expressions(depth=depth - 1))
    op = draw(ops)
    if op == "^":
        return f"({left})^{{{draw(st.integers(0, 3))}}}"
    return f"({left}) {op} ({right})"


@settings(max_examples=150, deadline=None)
@given(expressions())
def test_reflexive(expr):
    j = judge(expr, expr)
    assert j.outcome == "equivalent"


@settings(max_examples=150, deadline=None)
@given(expressions(), expressions())
def test_symmetric_for_expressions(a, b):
    ab, ba = judge(a, b).outcome, judge(b, a).outcome
    if "unparseable" not in (ab, ba):
        # only the reference may be a rounded decimal; keep bare decimal literals out
        assert ab == ba, (a, b)


@settings(max_examples=150, deadline=None)
@given(st.fractions(max_denominator=50), st.fractions(max_denominator=50))
def test_rationals_exact(p, q):
    a = f"\\frac{{{p.numerator}}}{{{p.denominator}}}"
    b = f"{q.numerator}/{q.denominator}"
    assert judge(a, b).outcome == ("equivalent" if p == q else "different")


@settings(max_examples=100, deadline=None)
@given(st.integers(-10**30, 10**30))
def test_integer_forms(n):
    assert judge(str(n), f"{n:,}").outcome == "equivalent"
    assert judge(str(n), str(n + 1)).outcome == "different"
    assert judge(str(n), f"{Fraction(n)}").outcome == "equivalent"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_any_text_gives_one_of_three_outcomes(a, b):
    j = judge(a, b)
    assert j.outcome in OUTCOMES
    assert isinstance(j.reason, str) and j.reason


latexish = st.text(alphabet=list("0123456789+-*/^_{}()[]\\,.=<>|!xyabc efrqtsin pi%$ "), max_size=40)


@settings(max_examples=400, deadline=None)
@given(latexish, latexish)
def test_latexish_noise_never_crashes(a, b):
    assert judge(a, b).outcome in OUTCOMES


@settings(max_examples=150, deadline=None)
@given(st.fractions(max_denominator=40).filter(lambda q: abs(q) < 10**6))
def test_canonical_form_agrees_with_judge_on_rationals(q):
    from curation.verifier import canonical_form

    forms = [f"\\frac{{{q.numerator}}}{{{q.denominator}}}", f"{q.numerator}/{q.denominator}",
             f"\\frac{{{2 * q.numerator}}}{{{2 * q.denominator}}}"]
    keys = {canonical_form(f) for f in forms}
    assert len(keys) == 1 and None not in keys
    for f in forms[1:]:
        assert judge(forms[0], f).outcome == "equivalent"


@settings(max_examples=100, deadline=None)
@given(expressions(), expressions())
def test_equal_canonical_forms_mean_equivalent(a, b):
    from curation.verifier import canonical_form

    ka, kb = canonical_form(a), canonical_form(b)
    if ka is not None and ka == kb:
        assert judge(a, b).outcome in ("equivalent", "unparseable")
