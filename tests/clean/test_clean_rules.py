"""Fire / does-not-fire tables for the rules that real data showed wrong (issue 13), in our own words."""

from __future__ import annotations

import polars as pl
import pytest

from curation.clean import RULES, flag_problems
from curation.config import CleanSettings
from schemas import conform


def run(question: str, answer: str | None = "7", settings: CleanSettings = CleanSettings()) -> pl.DataFrame:
    df = conform(pl.DataFrame([{"id": "x", "source": "t", "question": question, "answer": answer}]))
    return flag_problems(df, settings=settings)


def fired(question: str, answer: str | None = "7", **kw) -> list[str]:
    return run(question, answer, CleanSettings(**kw))["clean_flags"][0].to_list()


FIGURE_FIRES = [
    "In the figure, the two chords meet at P. Find the angle at P.",
    "Find the current through the lamp in the circuit shown below.",
    "Using ./img/board.png, count the shaded cells.",
    "Count the triangles in the picture below. [insert pic]",
    "Fig. Q3 plots the signal; what is its period?",
    "Consider the following network with costs on its links. What does node C report to B?",
    "Tiles are laid as in the arrangements shown below.",
    "Trace the outline (see figure) and give its area.",
]
FIGURE_QUIET = [
    "Find the image of the point (2, 5) under a reflection in the line y = x.",
    "Maya took 30 photos and 12 pictures of birds. How many images did she take?",
    "The first rows are shown below:\n1\n1 1\n1 2 1\nWhat is the sum of row 10?",
    "The sums shown below use one digit per letter: $AB + BA = 121$. Find A + B.",
    "Each toy figure costs $4. How much do 6 figures cost?",
    "The graph of $y = x^2 - 4$ meets the x-axis where? Give the larger x.",
    "Find the area. [asy] draw((0,0)--(3,0)--(0,4)--cycle); [/asy]",
]


@pytest.mark.parametrize("question", FIGURE_FIRES)
def test_figure_fires_on_missing_visual(question):
    assert "figure" in fired(question)


@pytest.mark.parametrize("question", FIGURE_QUIET)
def test_figure_quiet_when_nothing_is_missing(question):
    assert "figure" not in fired(question)


def test_figure_code_is_kept_by_default_and_marked():
    out = run("Find the area. [asy] draw((0,0)--(3,0)--(0,4)--cycle); [/asy]")
    assert out["has_figure_code"][0] is True and out["drop_reason"][0] is None
    dropped = run("Find the area. [asy] draw((0,0)--(3,0)); [/asy]", settings=CleanSettings(figure_code="drop"))
    assert dropped["drop_reason"][0] == "figure"
    tikz = run("Find the side. \\begin{tikzpicture}\\draw (0,0)--(1,1);\\end{tikzpicture} In the figure, AB = 3.")
    assert tikz["has_figure_code"][0] is True and "figure" not in tikz["clean_flags"][0].to_list()


MULTI_FIRES = [
    "A shop sells pens. 1If each costs 2 dollars, how much do 5 cost? 2If each costs 3 dollars, how much do 4 cost?",
    "A tank holds 40 litres. How much is left after using 15? What fraction of the tank is that?",
    "(a) Find the mean of 2, 4, 6. (b) Find their median.",
    "Work out (1) 12+30= (2) 50-8=",
]
MULTI_QUIET = [
    "Let f satisfy (i) f(1) = 2 and (ii) f(x+1) = f(x) + 3. Find f(10).",
    "Which set is a group? (a) the integers under subtraction (b) the integers under addition (c) none",
    "How many of the statements (a)-(f) are true?",
    "A die is rolled twice. The probability of a sum of 7 can be written in the form $m/n$. What is $m+n$?",
    'Tom asked, "Is it raining? Should we go?" His sister said no. How many people spoke?',
    "Subproblem 0: What is 2+2?\n\nSolution: \\boxed{4}.\n\nSubproblem 1: What is 3+3?",
]


@pytest.mark.parametrize("question", MULTI_FIRES)
def test_multi_part_fires_on_separate_asks(question):
    assert "multi_part" in fired(question)


@pytest.mark.parametrize("question", MULTI_QUIET)
def test_multi_part_quiet_on_givens_options_and_one_ask(question):
    assert "multi_part" not in fired(question)


@pytest.mark.parametrize(
    ("question", "fires"),
    [
        ("Let H be a ring in which every element is idempotent. Show that H is commutative.", True),
        ("Deduce that the kernel is trivial for every injective map.", True),
        ("Give a direct proof that a closed subset of a compact space is compact.", True),
        ("Determine the largest n, or prove that no largest n exists.", False),
        ("Show all values of k for which the list is sorted. What is the largest?", False),
        ("Which statement would be enough to prove the triangle is right?", False),
        ("Recent surveys show that most owls hunt at night. Which bird is this about", False),
        ("Let X be a compact space (a nice one). Show that every closed subset of X is compact.", True),
        ("For $g$ in $G$ show that $g$ and its inverse have the same order.", True),
    ],
)
def test_proof_table(question, fires):
    assert ("proof" in fired(question, None)) is fires


def test_proof_with_a_value_asked_and_given_is_kept():
    q = "Find the largest k with this property and prove that no larger k works."
    assert "proof" not in fired(q, "12")  # checkable on its final answer
    assert "proof" in fired(q, None) and "proof" in fired(q, "QED")


def test_answer_leak_is_off_by_default_and_ignores_inline_options():
    q = "The volume is $36\\pi$ and the answer is 36\\pi indeed, what is it?"
    assert "answer_leak" not in fired(q, "36\\pi")
    assert "answer_leak" in fired(q, "36\\pi", answer_leak=True)
    inline = "Which is largest? $\\textbf{(A)}\\ \\frac{1}{3}\\qquad\\textbf{(B)}\\ \\frac{2}{3}$ equals \\frac{2}{3}"
    assert "answer_leak" not in fired(inline, "\\frac{2}{3}", answer_leak=True)


def test_every_rule_has_a_boolean_switch_and_every_switch_a_rule():
    switches = {r.switch for r in RULES}
    bool_fields = {name for name, f in CleanSettings.model_fields.items() if f.annotation is bool}
    assert switches <= bool_fields
    assert bool_fields - switches == {"enabled", "strict_alarms"}


def test_init_config_documents_every_rule_from_the_registry():
    from curation.cli.foundation_cmd import example_config

    text = example_config()
    for rule in RULES:
        assert f"# {rule.name} (switch: {rule.switch}): " in text


@pytest.mark.parametrize(
    "question",
    [
        "What is x? " * 5000,  # many asks: every sentence goes through the ask counter
        "Subproblem 1: " + "a" * 60000 + " What? Why?",  # the last-subproblem cut must stay linear
        "(1) Find a. (2) Find b. " * 3000 + "?" * 3000,
        "shown below " * 5000 + "$x$",
    ],
)
def test_long_adversarial_questions_are_flagged_in_linear_work(question):
    out = run(question)  # a quadratic pattern here took minutes on 60 kB
    assert out.height == 1 and isinstance(out["clean_flags"][0].to_list(), list)
