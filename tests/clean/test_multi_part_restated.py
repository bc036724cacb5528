"""multi_part counts asks, not question marks: an ask that restates the one before it is not a
second ask (issue 13). Fire / does-not-fire tables in our own words."""

from __future__ import annotations

import polars as pl
import pytest

from curation.clean import _count_asks, flag_problems
from schemas import conform


def multi_part_fires(question: str) -> bool:
    df = conform(pl.DataFrame([{"id": "x", "source": "t", "question": question, "answer": "4"}]))
    return "multi_part" in flag_problems(df)["clean_flags"][0].to_list()


RESTATED_QUIET = [
    # a restatement marker opens the second question
    "Five runners finish a race with no ties. How many finishing orders are possible? That is, in how many ways "
    "can the five runners be ranked?",
    "A code uses 3 letters from A to E. How many codes exist? In other words, how many strings of length 3 can we form?",
    "Each of 4 lamps is on or off. How many settings are there? i.e. how many on/off patterns can the lamps show?",
    "Each of 4 lamps is on or off. How many settings are there? I.e., how many on/off patterns can the lamps show?",
    "Two dice are thrown. How likely is a double? Equivalently, what is the chance both faces agree?",
    # the second question only asks for the answer to the first
    "Sam made up a riddle: I have hands but cannot clap. What am I? What is the answer to the riddle?",
    "Pick a number, double it and add 6, halve it, subtract the number. What do you get? What is the result?",
    # the same ask repeated at once
    "How many marbles does Kim have in her bag? How many marbles does Kim have in the bag?",
]

SEPARATE_ASKS_FIRE = [
    # the same frame with different content is two asks
    "A box holds between 20 and 40 pens. What is the most pens it could hold? What is the least pens it could hold?",
    "Is 1/3 in the Cantor set? Is 1/7 in the Cantor set? Give both answers as a list.",
    "What is the coefficient of $x^2$ in the expansion? What is the coefficient of $x^3$ in the expansion?",
    # equal words, but the situation changed between the two asks
    "Mia mixed 10 g of salt into 90 g of water. What is the concentration of the solution? Then she added 100 g "
    "of water. What is the concentration of the solution?",
    # a restatement marker inside the first ask does not hide a real second ask
    "That is, how many red cards are left? How many black cards are left?",
    # asking for the answer AND something else is a second ask
    "What is the area of the square? What is the answer in square metres and the perimeter in metres?",
]


@pytest.mark.parametrize("question", RESTATED_QUIET)
def test_a_restated_ask_is_not_a_second_ask(question):
    assert _count_asks(question) == 1
    assert not multi_part_fires(question)


@pytest.mark.parametrize("question", SEPARATE_ASKS_FIRE)
def test_separate_asks_still_fire(question):
    assert _count_asks(question) >= 2
    assert multi_part_fires(question)


def test_a_restated_ask_does_not_hide_a_third_one():
    q = "How many ways can 3 kids sit in a row? That is, how many orders are there? How many ways can they sit in a circle?"
    assert _count_asks(q) == 2 and multi_part_fires(q)


def test_the_same_ask_counts_once_only_when_repeated_at_once():
    repeated = "How many coins are in the jar now? How many coins are in the jar now?"
    assert _count_asks(repeated) == 1
    # with a change of state between them the same words ask about a new situation
    apart = "How many coins are in the jar now? Then Ben puts in 5 more coins. How many coins are in the jar now?"
    assert _count_asks(apart) == 2
