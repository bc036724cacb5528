"""Cleaning filters: every reason fires on its positive cases and stays quiet on the negatives."""

from __future__ import annotations

import polars as pl
import pytest

from curation.clean import REASONS, flag_problems
from curation.config import CleanSettings
from schemas import conform


def frame(rows: list[dict]) -> pl.DataFrame:
    return conform(pl.DataFrame(rows, schema_overrides={"choices": pl.List(pl.Utf8)}, strict=False))


def flags(question: str, answer: str | None = "12", settings: CleanSettings | None = None, **kw) -> list[str]:
    row = {"id": "x", "source": "t", "question": question, "answer": answer, **kw}
    # answer_leak is off by default; the tables below exercise it switched on
    settings = settings or CleanSettings(answer_leak=True)
    return flag_problems(frame([row]), settings=settings)["clean_flags"][0].to_list()


Q = "Find the value of the expression given below in the box"


@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        ("", "3", "empty"),
        ("   ", "3", "empty"),
        ("Find x.", "3", "too_short"),
        ("Find $x$ if " + "x" * 9000, "3", "too_long"),
        ("Compute the sum of the first ten odd numbers.", None, "missing_answer"),
        ("Compute the sum of the first ten odd numbers.", "  ", "missing_answer"),
        ("Prove that $\\sqrt{2}$ is irrational.", "irrational", "proof"),
        ("Show that for every integer $n$, $n^3 - n$ is divisible by $6$.", "6", "proof"),
        ("Let $a, b > 0$. Demonstrate that $a + b \\ge 2\\sqrt{ab}$.", "true", "proof"),
        ("Consider the sequence defined by $a_1 = 1$ and $a_{n+1} = 2a_n$.", "QED", "proof"),
        ("In the figure below, find the area of the shaded region.", "12", "figure"),
        ("Find the length of $AB$ ![triangle](tri.png)", "12", "figure"),
        ("Find the area <img src='a.jpg'> of the region.", "12", "figure"),
        ("Using the diagram shown above, compute the angle.", "12", "figure"),
        ("Let $f(x) = x^2$. (a) Find $f(2)$. (b) Find $f(3)$.", "4", "multi_part"),
        ("Consider a triangle. (i) Find its area. (ii) Find its perimeter.", "4", "multi_part"),
        ("Part 1: find the mean of the data. Part 2: find the median.", "4", "multi_part"),
        ("Is $91$ a prime number? Answer and explain.", "No", "yes_no"),
        ("Is $97$ a prime number? Answer and explain.", "$\\text{Yes}$", "yes_no"),
        ("Determine whether the statement is correct or not.", "False.", "yes_no"),
        ("Verify that $1 + 2 + \\cdots + 100 = 5050$ and find the sum.", "5050", "answer_leak"),
        ("Compute the sum, which equals \\frac{3}{4}, and write it in lowest terms.", "\\frac{3}{4}", "answer_leak"),
        ("Find $y$ if the final answer is x^2 + 2x + 1 in expanded form.", "x^2 + 2x + 1", "answer_leak"),
    ],
)
def test_reason_fires(question, answer, reason):
    assert reason in flags(question, answer)


@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        ("Find the number of positive divisors of $360$.", "24", "proof"),
        ("Show that $x^2 = 16$ has a positive root, and find it.", "4", "proof"),
        ("What is the improvement of the score from 10 to 20?", "10", "proof"),
        ("Find the slope of the graph of $y = 3x + 1$.", "3", "figure"),
        ("A configuration of points is given; find the count.", "3", "figure"),
        ("Let $f(a) = a^2$ and $g(b) = b$. Find $f(2) + g(3)$.", "7", "multi_part"),
        ("Which is largest? (A) 1 (B) 2 (C) 3 (D) 4", "D", "multi_part"),
        ("In part of the plane, find the area of the square with side 2.", "4", "multi_part"),
        ("How many yes votes were cast if 40 of 100 voted no?", "60", "yes_no"),
        ("Find the sum of the first 100 positive integers.", "5050", "answer_leak"),
        ("Find $x$ if $2x = 10$.", "5", "answer_leak"),
        ("The sum of 100 and 200 is what?", "300", "answer_leak"),
        ("If $x = 12$, what is $x + 1$?", "13", "answer_leak"),
        ("Which option equals 1/2? (A) 1/2 (B) 1/3", "A", "answer_leak"),
        ("Find the value of $123$ plus $1$ in base ten.", "124", "answer_leak"),
        ("Evaluate 1234 + 1 = ?", "1235", "answer_leak"),
    ],
)
def test_reason_does_not_fire(question, answer, reason):
    assert reason not in flags(question, answer)


def test_mcq_rows_are_not_leaks():
    row = {"id": "x", "source": "t", "question": "Which is 12? A) 12 B) 13", "answer": "A", "answer_type": "choice",
           "choices": ["12", "13"]}
    assert flag_problems(frame([row]))["clean_flags"][0].to_list() == []


def test_drop_reason_is_the_first_flag_and_existing_reason_wins():
    df = frame([
        {"id": "1", "source": "t", "question": "Prove it.", "answer": None},
        {"id": "2", "source": "t", "question": "Prove that 2 is prime, see the figure below.", "answer": "ok",
         "drop_reason": "duplicate"},
        {"id": "3", "source": "t", "question": "Find the number of positive divisors of 360.", "answer": "24"},
    ])
    out = flag_problems(df)
    assert out["clean_flags"].to_list() == [["too_short", "missing_answer", "proof"], ["proof", "figure"], []]
    assert out["drop_reason"].to_list() == ["too_short", "duplicate", None]
    assert out.height == df.height  # never removes rows


def test_puzzles_skip_cleaning():
    df = frame([{"id": "p", "source": "sudoku", "kind": "puzzle", "question": "x", "answer": None}])
    out = flag_problems(df)
    assert out["clean_flags"][0].to_list() == [] and out["drop_reason"][0] is None


def test_each_reason_can_be_switched_off():
    rows = [
        ("Prove that the square of an odd integer is odd.", None),
        ("Find the angle ABC in the figure below.", "40"),
        ("(a) Find the mean of 1 and 3. (b) Find their product.", "2"),
        ("Is the number 91 prime or not?", "yes"),
    ]
    df = frame([{"id": str(i), "source": "t", "question": q, "answer": a} for i, (q, a) in enumerate(rows)]
               + [{"id": "y", "source": "t", "question": "", "answer": None}])
    on = flag_problems(df)["clean_flags"].to_list()
    assert "proof" in on[0] and "figure" in on[1] and "multi_part" in on[2] and "yes_no" in on[3]
    off = CleanSettings(proof=False, figure=False, multi_part=False, yes_no=False, answer_leak=False,
                        missing_answer=False, length=False, empty=False)
    assert flag_problems(df, settings=off)["clean_flags"].to_list() == [[]] * 5
    assert flag_problems(df, settings=CleanSettings(enabled=False))["drop_reason"].to_list() == [None] * 5


def test_length_limits_follow_settings():
    q = "Find the sum of 2 and 3."
    df = frame([{"id": "x", "source": "t", "question": q, "answer": "5"}])
    assert flag_problems(df, settings=CleanSettings(min_question_chars=30))["drop_reason"][0] == "too_short"
    assert flag_problems(df, settings=CleanSettings(max_question_chars=10))["drop_reason"][0] == "too_long"


def test_reasons_are_all_documented():
    from curation.clean import RULES, describe_rules

    docs = describe_rules()
    assert list(docs) == list(REASONS) == [r.name for r in RULES]
    assert all(len(text) > 10 for text in docs.values())
