"""Table-driven equivalence tests: every category has must-match and must-not-match rows."""

from __future__ import annotations

import pytest

from curation.verifier import Verifier, judge
from .cases import MATCH, NO_MATCH


def _rows(table):
    return [pytest.param(ref, ans, id=f"{cat}:{ref}|{ans}") for cat, rows in table.items() for ref, ans in rows]


def test_tables_are_balanced_and_large():
    n_match = sum(map(len, MATCH.values()))
    n_diff = sum(map(len, NO_MATCH.values()))
    assert n_match + n_diff >= 300
    assert set(MATCH) == set(NO_MATCH)
    assert abs(n_match - n_diff) <= 0.1 * (n_match + n_diff)


@pytest.mark.parametrize(("reference", "answer"), _rows(MATCH))
def test_must_match(reference, answer):
    j = judge(reference, answer)
    assert j.outcome == "equivalent", j.reason


@pytest.mark.parametrize(("reference", "answer"), _rows(NO_MATCH))
def test_must_not_match(reference, answer):
    j = judge(reference, answer)
    assert j.outcome == "different", j.reason


def test_verifier_agrees_with_judge_on_all_tables():
    v = Verifier(cache_size=16)
    for table in (MATCH, NO_MATCH):
        for rows in table.values():
            for ref, ans in rows:
                assert v.judge(ref, ans).outcome == judge(ref, ans).outcome


@pytest.mark.parametrize(
    ("reference", "answer", "fragment"),
    [
        ("0.33", "\\frac13", "stated precision"),
        ("90^\\circ", "\\frac{\\pi}{2}", "degrees to radians"),
        ("50\\%", "0.5", "% as /100"),
        ("a^2-b^2", "(a-b)(a+b)", "random points"),
        ("524288", "2^{19}", "exact"),
        ("\\{1,2\\}", "\\{2,1\\}", "order-free"),
    ],
)
def test_reasons_say_how(reference, answer, fragment):
    j = judge(reference, answer)
    assert j.outcome == "equivalent"
    assert fragment in j.reason


@pytest.mark.parametrize(
    ("reference", "answer", "side"),
    [
        ("\\frac{1}{", "1", "reference unparseable"),
        ("", "1", "reference unparseable"),
        ("1", "", "answer unparseable"),
        ("1", "\\frac{1}{", "answer unparseable"),
        ("x", "(1,2", "answer unparseable"),
        ("\\unknowncommand{3}", "3", "reference unparseable"),
        ("3", "2 +* 3", "answer unparseable"),
    ],
)
def test_unparseable_names_the_side(reference, answer, side):
    j = judge(reference, answer)
    assert j.outcome == "unparseable"
    assert j.reason.startswith(side)


def test_undefined_values_are_not_folded_into_different():
    assert judge("1", "\\frac{1}{0}").outcome == "unparseable"
    assert judge("\\frac{1}{0}", "1").outcome == "unparseable"
