"""When do two answers in one duplicate cluster conflict? (`curation.dedup.answers.same_answer`)

Pairs written for this file after the forms seen in public sets (ASDiv publishes `6 (birds)`, MAWPS
`6` for the same problem; MAWPS `3.33333` vs ASDiv `3.333`)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.dedup import mark_duplicates
from curation.dedup.answers import answer_value, same_answer
from schemas import conform

SAME = [
    ("6 (birds)", "6"),
    ("6", "6 (birds)"),
    ("1644 (dollars)", "1644"),
    ("38 cents", "38"),
    ("$1,625$", "1625"),
    ("3.333 (minutes)", "3.33333"),
    ("3.33", "3.3333"),
    ("\\frac12", "0.5"),
    ("5 cm", "5"),
]
DIFFERENT = [
    ("46 (crayons)", "40"),
    ("7 (cupcakes)", "12"),
    ("0.5", "0.53"),  # one decimal place: too coarse to call a rounding
    ("1.26", "1.2549"),  # neither rounds nor cuts to 1.26
    ("3.3", "3.33"),
    ("x \\le 3", "7"),
    ("1", "The eigenvalues are -1 and 1"),
    ("6 (birds) and 2", "6"),
    ("2 (mod 5)", "7"),
    # equations are compared whole: two planes through the origin are not "the value 0"
    ("5x - 11y + z - 17 = 0", "x + y + z = 0"),
    ("x^2 + y^2 = 25", "25"),
    ("The plane is $x + y + z = 0$.", "The plane is $2x - y = 0$."),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_answers(a, b):
    assert same_answer(a, b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_answers(a, b):
    assert not same_answer(a, b)


def test_answer_value_strips_only_a_trailing_noun_label():
    assert answer_value("6 (birds)") == "6" and answer_value("$12$ apples.") == "12"
    for kept in ("x (mod 5)", "6 (birds) and 2", "(1, 2)", "5\\%", "30^\\circ", "6"):
        assert answer_value(kept) == kept


@given(st.integers(-10**6, 10**6), st.from_regex(r"[a-z]{1,12}", fullmatch=True))
def test_a_number_with_a_label_is_that_number(n, word):
    assert same_answer(f"{n} ({word})", str(n)) and same_answer(f"{n} {word}", str(n))
    assert not same_answer(f"{n} ({word})", str(n + 1))


def test_a_cluster_whose_answers_differ_only_by_a_label_is_no_conflict():
    q = "Mrs. Hilt bought a yoyo for 24 cents and a whistle for 14 cents. How much did she spend in all for the two toys?"
    df = conform(pl.DataFrame({
        "id": ["a", "b", "c", "d"], "source": ["asdiv", "mawps", "asdiv", "mawps"],
        "question": [q, q + " ", q.replace("24", "26"), q.replace("24", "26") + " "],
        "answer": ["38 (cents)", "38", "40 (cents)", "41"],
    }))
    out = {r["id"]: r for r in mark_duplicates(df).to_dicts()}
    assert not out["a"]["conflicting_answers"] and out["b"]["drop_reason"] == "exact_duplicate"
    assert out["c"]["conflicting_answers"] and out["d"]["review_reason"] == "conflicting_answers"


SAME_WORKED = [
    # worked solutions given as the answer: their final values agree
    ("The area is $\\sqrt{36+121+4}=\\sqrt{161}$.", "$v \\times w$. The area of the parallelogram is $\\sqrt{161}$"),
    ("$\\sec x \\csc x-2 \\cot x+C$", "$\\tan x-\\cot x+C$"),
    ("$x / 2-\\sin (2 x) / 4+C$", "$(x / 2)-\\sin (2 x) / 4+C=$ $(x / 2)-(\\sin x \\cos x) / 2+C$"),
    ("k=3", "3"),
]
DIFFERENT_WORKED = [
    ("$y=e^{-a x}$", "$y_{1}=x\\left(1-x+\\cdots\\right)$\n$y_{2}=y_{1} \\ln x+x^{2}\\left(1-x+\\cdots\\right)$"),
    ("$x=1, y=2$", "$y=2$"),  # a list of values is not one final value
    ("The answer is $25,100,55$", "$36,36,108$"),
    ("$D(x)=5x^2+4x+1$, closest point $\\left(-\\frac{2}{5}, \\frac{1}{5}\\right)$", "$(-\\infty, \\infty)$"),
]


@pytest.mark.parametrize(("a", "b"), SAME_WORKED)
def test_worked_solutions_with_one_final_value(a, b):
    assert same_answer(a, b) and same_answer(b, a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT_WORKED)
def test_worked_solutions_with_other_final_values(a, b):
    assert not same_answer(a, b) and not same_answer(b, a)


def test_final_value():
    from curation.dedup.answers import final_value

    assert final_value("so the volume is $|\\det A|=113$.") == "113"
    assert final_value("$a=2, b=3$") is None and final_value("") is None
    assert final_value("$1,625$") == "1,625"
    assert final_value("$f(2) = 7$") == "7" and final_value("x = 5") == "5"  # a named value
    assert final_value("x + y + z = 0") is None and final_value("$5x - 11y + z - 17 = 0$") is None  # a relation
    assert final_value("x" * 30_000) is None  # bounded: long texts are compared as they are


def test_answers_are_compared_as_written_not_as_the_spaceless_normalized_key():
    """The verifier reads `\\sec x \\csc x`; the normalized key `\\secx\\cscx` is no longer mathematics."""
    q = "Find the antiderivative: $\\int \\sec ^{2} x \\csc ^{2} x d x$"
    df = conform(pl.DataFrame({
        "id": ["a", "b"], "source": ["s", "t"], "question": [q, q + " "],
        "answer": ["$\\sec x \\csc x-2 \\cot x+C$", "$\\tan x-\\cot x+C$"],
    }))
    out = mark_duplicates(df)
    assert not out["conflicting_answers"].any() and out["drop_reason"].to_list() == [None, "exact_duplicate"]
