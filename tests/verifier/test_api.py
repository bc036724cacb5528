"""Public API beyond judge: canonical_form, classify_answer_type, is_verifiable, Verifier."""

from __future__ import annotations

import pytest

from curation.verifier import Judgment, Verifier, canonical_form, classify_answer_type, is_verifiable


@pytest.mark.parametrize(
    ("a", "b"),
    [("0.5", "\\frac12"), ("2^{19}", "524288"), ("(x+1)^2", "x^2+2x+1"), ("\\{1,2\\}", "\\{2,1\\}"), ("x=3", "3"),
     ("\\sqrt8", "2\\sqrt2"), ("(1,2]", "1 < x \\le 2"), ("C", "(C)"), ("Yes", "\\text{yes}"), ("1,000", "1000")],
)
def test_canonical_form_groups_equal_answers(a, b):
    assert canonical_form(a) is not None
    assert canonical_form(a) == canonical_form(b)


@pytest.mark.parametrize(("a", "b"), [("0.5", "0.51"), ("(1,2)", "(2,1)"), ("x^2", "x^3"), ("(1,2]", "(1,2)"), ("C", "D")])
def test_canonical_form_separates_different_answers(a, b):
    assert canonical_form(a) != canonical_form(b)


def test_canonical_form_none_when_unparseable():
    assert canonical_form("\\frac{1}{") is None
    assert canonical_form("") is None
    assert canonical_form("9^{9^{9^{9}}}") is None


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("42", "integer"), ("2^{10}", "integer"), ("\\frac12", "number"), ("\\sqrt2", "number"), ("3+4i", "number"),
        ("x^2+1", "expression"), ("x=3", "equation"), ("(1,2]", "interval"), ("x>3", "interval"),
        ("(-\\infty,0)\\cup(1,\\infty)", "interval"), ("\\{1,2\\}", "set"), ("(1,2,3)", "tuple"),
        ("\\begin{pmatrix}1&2\\end{pmatrix}", "matrix"), ("\\text{Monday}", "text"), ("yes", "boolean"),
        ("(C)", "choice"), ("\\frac{1}{", "unknown"),
    ],
)
def test_classify(answer, kind):
    assert classify_answer_type(answer) == kind


@pytest.mark.parametrize(("answer", "ok"), [("42", True), ("x+1", True), ("(1,2)", True), ("\\text{the triangle is isosceles}", False), ("\\frac{", False), ("", False)])
def test_is_verifiable(answer, ok):
    assert is_verifiable(answer) is ok


def test_verifier_caches_references():
    v = Verifier(cache_size=2)
    assert v.judge("2^{10}", "1024").outcome == "equivalent"
    assert v.judge("2^{10}", "1025").outcome == "different"
    assert len(v._cache) == 1
    v.judge("a", "a")
    v.judge("b", "b")
    assert len(v._cache) == 2


def test_judge_many_in_order_and_responses():
    v = Verifier()
    pairs = [("1", "1"), ("1", "2"), ("\\frac{", "1"), ("3", "\\boxed{3}")]
    got = v.judge_many(pairs[:3])
    assert [j.outcome for j in got] == ["equivalent", "different", "unparseable"]
    resp = v.judge_many([("3", "so \\boxed{3}"), ("4", "the answer is 5")], responses=True)
    assert [(j.outcome, j.rule) for j in resp] == [("equivalent", "boxed"), ("different", "final_answer_phrase")]
    assert all(isinstance(j, Judgment) for j in got + resp)


@pytest.mark.timeout(120)
def test_judge_many_process_pool_matches_serial():
    v = Verifier()
    pairs = [(str(i), f"\\frac{{{2 * i}}}{{2}}") for i in range(40)] + [("x", "y"), ("\\frac{", "1")]
    from curation.verifier.pool import judge_in_pool

    assert judge_in_pool(pairs, responses=False, processes=2, timeout=v.timeout) == v.judge_many(pairs)
