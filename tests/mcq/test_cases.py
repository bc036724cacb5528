"""The case table (tests/mcq/cases.py) through `convert_item`, and invariants of the rules."""

from __future__ import annotations

import pytest

from curation.config import McqSettings
from curation.mcq import REASONS, RULES, convert_item
from tests.mcq.cases import CASES


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    settings = McqSettings(**case.get("settings", {}))
    conv = convert_item(case["q"], case["c"], case["a"], answer_type=case.get("answer_type"), settings=settings)
    assert conv.status == case["s"], (conv.status, conv.reason)
    if case["s"] is None:
        return
    assert conv.reason == case["r"]
    if case["s"] == "converted":
        assert conv.question == case["Q"]
        assert conv.answer == case["A"]
        assert conv.answer_unit == case["U"]
        assert conv.method == "rule"
        assert all(part in RULES for part in conv.reason.split("+"))
    else:
        assert REASONS[conv.reason][0] == case["s"]


def test_table_covers_every_reason_and_shape():
    reasons = {c["r"] for c in CASES if c["s"] in ("not_convertible", "review")}
    assert set(REASONS) - {"model_rewrite_rejected", "options_left_in_stem"} <= reasons
    assert len(CASES) >= 150
    shapes = {type(c["c"]).__name__ for c in CASES}
    assert {"list", "dict", "str", "NoneType"} <= shapes
    answers = {type(c["a"]).__name__ for c in CASES}
    assert {"int", "str"} <= answers


def test_review_carries_a_proposal():
    conv = convert_item("What is the ratio of a circle's circumference to its diameter?", ["3.14", "3.1416", "2.72", "1.41"], "A")
    assert conv.status == "review" and conv.reason == "approximate_values"
    assert conv.proposal == {"question": "What is the ratio of a circle's circumference to its diameter?", "answer": "3.14",
                             "answer_unit": None, "answer_type": conv.proposal["answer_type"]}


def test_options_left_in_stem_goes_to_review():
    # choices from ingest; the question still lists differently-formatted options that do not match
    conv = convert_item("What is 3 + 5?\n(A) eight (B) nine (C) ten", ["8", "9", "10"], "A")
    assert conv.status == "review"
    assert conv.reason in ("options_left_in_stem", "options_mismatch")


def test_converted_answer_never_a_label_or_meta():
    for c in CASES:
        conv = convert_item(c["q"], c["c"], c["a"], answer_type=c.get("answer_type"), settings=McqSettings(**c.get("settings", {})))
        if conv.status == "converted":
            assert conv.answer and conv.answer.strip() not in "ABCDE"
            assert "(A)" not in conv.question and "A)" not in conv.question.split()
