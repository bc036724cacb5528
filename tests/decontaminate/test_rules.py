"""Decontamination rules added for real copies: each is caught, and its look-alikes are not."""

from __future__ import annotations

import polars as pl
import pytest

from curation.config import DecontaminateSettings
from curation.decontaminate import mark_contamination, tokens
from schemas import conform

VERTEX = "For how many values of $a$ is it true that the line $y=x+a$ passes through the vertex of the parabola $y=x^2+a^2$?"
NONZERO = (
    "The positive integers $N$ and $N^2$ both end in the same sequence of four digits $abcd$ when written in "
    "base $10$, where digit a is nonzero. Find the three-digit number $abc$."
)
TRAPEZOID = (
    "Calculate the maximum area of an isosceles trapezoid that has legs of length $1$ and one base twice as long "
    "as the other. The final answer can be written in the form $\\frac{m}{n}$, where $m$ and $n$ are relatively "
    "prime positive integers. What is $m^2+n^2$?"
)
DIGITS = (
    "Let $S(n)$ equal the sum of the digits of positive integer $n$. For example, $S(1507) = 13$. For a "
    "particular positive integer $n$, $S(n) = 1274$. Which of the following could be the value of $S(n+1)$?\n"
    "$\\textbf{(A)}\\ 1 \\qquad\\textbf{(B)}\\ 3\\qquad\\textbf{(C)}\\ 12\\qquad\\textbf{(D)}\\ 1239\\qquad"
    "\\textbf{(E)}\\ 1265$"
)
REMAINDER = "Determine the remainder of 54 (mod 6)."
TENS = "How many two-digit numbers are there in which the tens digit is greater than the ones digit?"
BOWLING = (
    "Sarah's bowling score was 40 points more than Greg's, and the average of their two scores was 102. "
    "What was Sarah's score?"
)
FLOOR = (
    "How many real numbers satisfy the equation $x^3=\\lfloor x \\rfloor$, where $\\lfloor x \\rfloor$ is the "
    "greatest integer that does not exceed the real number $x$?"
)
GENERIC = "Which of the following statements is not correct?"
CURVE = (
    "Find the curve defined by the equation\n\\[r^2 \\cos 2 \\theta = 4.\\](A) Line\n(B) Circle\n(C) Parabola\n"
    "(D) Ellipse\n(E) Hyperbola\n\nEnter the letter of the correct option."
)
SPHERE = (
    "Real numbers $x$ and $y$ satisfy $y^3=x^2$ and $(y-x)^2=4y^2$. What is $x+y$? Express your answer as an "
    "integer."
)
ITEMS = {
    "vertex": VERTEX, "nonzero": NONZERO, "trapezoid": TRAPEZOID, "digits": DIGITS, "remainder": REMAINDER,
    "tens": TENS, "bowling": BOWLING, "floor": FLOOR, "generic": GENERIC, "curve": CURVE, "sphere": SPHERE,
}
BENCH = pl.DataFrame({"source_id": list(ITEMS), "question": list(ITEMS.values())})
# unrelated rows, so that word and n-gram frequencies are those of a (small) corpus
FILLER = [
    f"A shop sells {i + 2} kinds of tea and {i + 5} kinds of cake. In how many ways can a customer pick one "
    f"tea and two different cakes if the order does not matter and {i} cakes are sold out?"
    for i in range(40)
] + [f"Which of the following statements is correct about topic {i}?" for i in range(10)]

# (training row, benchmark item it copies, the rule that must catch it)
HITS = [
    (VERTEX + " (2005 AMC 12B Problem, Question \\#8)", "vertex", "a source citation with numbers is not the problem"),
    (VERTEX.replace("?", "? ( Adapted From 2005 AMC 12B Problems, Question \\#8)"), "vertex", "citation after '( '"),
    (NONZERO.replace("is nonzero", "is not zero"), "nonzero", "'not zero' is 'nonzero'"),
    (NONZERO.replace("is nonzero", "is non-zero"), "nonzero", "'non-zero' is 'nonzero'"),
    (
        "What is the maximum area of an isosceles trapezoid that has legs of length 1 and one base twice as long "
        "as the other?",
        "trapezoid",
        "the benchmark's answer-form clause ('can be written as m/n ... what is m^2+n^2') is not required",
    ),
    (
        "Every positive integer is congruent modulo $9$ to the sum of its decimal digits. Now, let $S(n)$ equal "
        "the sum of the digits of positive integer $n$. For example, $S(1507)=13$. For a particular positive "
        "integer $n, S(n)=1274$. Which of the following could be the value of $S(n+1)$?",
        "digits",
        "answer choices are not required; an added hint sentence is allowed",
    ),
    ("Determine a remainder of 54 (mod 6).", "remainder", "short item edited by one common word"),
    (TENS.replace("in which", "where"), "tens", "'where' / 'in which'"),
    (
        "How many real numbers $x$ satisfy $x^3 = \\lfloor x\\rfloor$ where $\\lfloor x \\rfloor$ s the greatest "
        "integer that does not exceed the real number x?",
        "floor",
        "reworded: the same numbers, operators and asked part",
    ),
    (
        "umbers $x$ and $y$ satisfy $y^3=x^2$ and $(y-x)^2=4y^2$. What is $x+y$?",
        "sphere",
        "a copy cut inside its first word; the answer-format sentence differs",
    ),
    (
        "Real numbers x and y satisfy y^3=x^2 and (y-x)^2=4y^2.\\nWhat is x+y? Express the answer in simplest form.",
        "sphere",
        "a literal backslash-n glued to a word; another answer-format sentence",
    ),
]
NON_HITS = [
    (VERTEX.replace("x+a$", "x+a^{2}-6$").replace("x^2+a^2", "4x^{2}-8x+a^{2}") + " (Adapted From 2005 AMC 12B Problem, Question \\#8)",
     "an adapted copy with other numbers (the citation's numbers do not help)"),
    (NONZERO.replace("is nonzero", "is zero"), "'zero' is not 'nonzero'"),
    (
        "What is the maximum perimeter of an isosceles trapezoid that has legs of length 1 and one base twice as "
        "long as the other?",
        "another asked quantity beside the answer-form clause",
    ),
    ("Determine the remainder of 55 (mod 6).", "short item, another number"),
    ("Determine the quotient of 54 (mod 6).", "short item, another asked word"),
    (TENS.replace("in which the tens digit is greater than the ones", "in which the ones digit is greater than the tens"),
     "another condition with the same words"),
    (
        "Sarah's bowling score was 40 points more than Greg's, and the average of their two scores was 102. "
        "What was Greg's score?",
        "the same numbers, another asked part",
    ),
    (
        "How many real numbers $x$ satisfy $x^2 = \\lfloor x\\rfloor$ where $\\lfloor x \\rfloor$ s the greatest "
        "integer that does not exceed the real number x?",
        "reworded with other numbers",
    ),
    (
        "How many real numbers $x$ satisfy $x^3 = -\\lfloor x\\rfloor$ where $\\lfloor x \\rfloor$ s the greatest "
        "integer that does not exceed the real number x?",
        "reworded with another operator",
    ),
    (
        "Greg's bowling score was 40 points less than Sarah's, and the average of their two scores was 102. "
        "What was Sarah's score?",
        "'more' and 'less' swapped (the rule cannot see the equivalent rewording; it refuses)",
    ),
    ("Which of the following statements is not correct about apoptosis?", "a generic sentence inside a longer row"),
    (GENERIC, "a generic sentence names no problem (its options do), even copied whole"),
    (
        "Find the curve defined by the equation\n\\[r = 2.\\](A) Line\n(B) Circle\n(C) Parabola\n(D) Ellipse\n"
        "(E) Hyperbola\n\nEnter the letter of the correct option.",
        "the same choices and instruction, other mathematics (r = 2 vs r^2 cos 2 theta = 4)",
    ),
    ("Real numbers $x$ and $y$ satisfy $y^3=x^2$ and $(y-x)^2=4y^2$. What is $x-y$?", "another asked expression"),
]


def _run(rows: list[str], **settings) -> pl.DataFrame:
    questions = rows + FILLER
    df = conform(pl.DataFrame({"id": [f"q{i}" for i in range(len(questions))], "question": questions, "source": "s"}))
    out = mark_contamination(df, benchmarks={"bench": BENCH}, settings=DecontaminateSettings(**settings))
    return out.head(len(rows))


@pytest.mark.parametrize("row, item, why", HITS, ids=[h[2] for h in HITS])
def test_copy_is_caught(row, item, why):
    assert _run([row])["contam_bench"][0] == item, why


@pytest.mark.parametrize("row, why", NON_HITS, ids=[n[1] for n in NON_HITS])
def test_look_alike_is_not_caught(row, why):
    assert _run([row])["contam_bench"][0] is None, why


def test_filler_rows_are_not_hits():
    assert _run([])["contam_bench"].to_list() == []
    assert _run([FILLER[0]])["contam_bench"][0] is None


def test_reworded_copy_needs_the_mathematics_path():
    # the reworded copy is caught only by agreement of numbers and asked part; its threshold is a setting
    reworded = HITS[8][0]
    assert _run([reworded])["contam_bench"][0] == "floor"
    assert _run([reworded], min_math_cover=1.0)["contam_bench"][0] is None


def test_other_side_numbers_threshold_is_a_setting():
    r_equals_2 = NON_HITS[12][0]
    assert _run([r_equals_2])["contam_bench"][0] is None
    assert _run([r_equals_2], min_other_number_agreement=0.0)["contam_bench"][0] == "curve"


@pytest.mark.parametrize(
    "text, kept, gone",
    [
        ("x \\neq 3 and \\nlcm(a,b)=6", ["ne", "lcm"], ["nlcm"]),
        ("values f(a)+f(b)+f(c) = 3", ["f", "a", "b", "c"], []),
        ("the area of triangle $ABC$ is equal to $a^2-(b-c)^2,$ where $a,$ $b,$ and $c$ are the sides of "
         "triangle $ABC$. Compute $\\tan A.$", ["sides", "tan"], []),
        ("Let $f$ be linear. What is $f(12)$? ($$2001$$ AMC $$8$$ Problem, Question \\#$$ 18$$)", ["12"], ["2001", "amc", "18"]),
        ("pick one. (A) red (B) blue (C) green (D) pink", ["pick"], ["red", "pink"]),
    ],
)
def test_what_the_text_rules_keep_and_remove(text, kept, gone):
    (toks,) = tokens(pl.Series([text]))
    assert all(t in toks for t in kept), toks
    assert not any(t in toks for t in gone), toks


def test_verbatim_copy_of_an_item_whose_ngrams_are_all_boilerplate():
    # a benchmark that holds one problem three times (it happens): each of its n-grams is in 3 items, so
    # all are boilerplate; a copy of the whole item is still the item
    item = "A jar holds 12 red marbles and 9 blue marbles. Two are drawn at random. What is the chance both are red?"
    bench = pl.DataFrame({"source_id": ["m0", "m1", "m2", "x"], "question": [item, item, item, VERTEX]})
    rows = [item, item.replace("12 red", "14 red")] + FILLER
    df = conform(pl.DataFrame({"id": [f"q{i}" for i in range(len(rows))], "question": rows, "source": "s"}))
    out = mark_contamination(df, benchmarks={"bench": bench})["contam_bench"].to_list()
    assert out[0] in {"m0", "m1", "m2"}
    assert out[1] is None
