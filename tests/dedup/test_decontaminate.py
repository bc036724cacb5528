"""Decontamination hits and misses."""

from __future__ import annotations

import polars as pl
import pytest

from curation.decontaminate import contamination_card_section, mark_contamination
from curation.errors import SchemaError

from .helpers import BASE, OTHER, THIRD, by_id, frame

GSM = pl.DataFrame({
    "id": ["g1", "g2", "g3"],
    "question": [
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
        "What is 2+2?",
        "Compute the sum of the first 100 positive integers.",
    ],
})
MATH = pl.DataFrame({"question": [THIRD]})  # no id column: the row number is reported


def _run(questions, **kw):
    df = frame([{"id": f"q{i}", "question": q} for i, q in enumerate(questions)])
    return mark_contamination(df, benchmarks={"gsm8k": GSM, "math-500": MATH}, **kw)


def test_ngram_overlap_hit():
    out = by_id(_run(["Yesterday Natalia sold clips to 48 of her friends in April and was happy.", OTHER]))
    assert out["q0"]["contam_gsm8k"] == "g1" and out["q0"]["contaminated_by"] == ["gsm8k"]
    assert out["q0"]["drop_reason"] == "contaminated"
    assert out["q1"]["contam_gsm8k"] is None and out["q1"]["contaminated_by"] == [] and out["q1"]["drop_reason"] is None


def test_whole_item_match_and_benchmark_without_id():
    out = by_id(_run([THIRD.upper(), BASE]))
    assert out["q0"]["contam_math_500"] == "0" and out["q0"]["contaminated_by"] == ["math-500"]
    assert out["q1"]["contam_math_500"] is None


def test_short_question_whole_match():
    out = by_id(_run(["what is 2 + 2 ?", "What is 2+2? Then add seven more apples to the basket of fruit."]))
    assert out["q0"]["contam_gsm8k"] == "g2"
    # a short benchmark question inside a longer item is not a hit by itself
    assert out["q1"]["contam_gsm8k"] is None


def test_digit_masked_match():
    out = by_id(_run(["Compute the sum of the first 250 positive integers."]))
    assert out["q0"]["contam_gsm8k"] == "g3"
    off = by_id(_run(["Compute the sum of the first 250 positive integers."], digit_masked=False))
    assert off["q0"]["contam_gsm8k"] is None


def test_no_false_hit_on_generic_phrase_shorter_than_n():
    # shares the 7-word phrase "compute the sum of the first 100" pattern pieces but no 8-gram
    q = "Compute the sum of the first few odd squares, then divide by the largest prime below 50."
    out = by_id(_run([q]))
    assert out["q0"]["contam_gsm8k"] is None and out["q0"]["contaminated_by"] == []
    # with a smaller n the same phrase becomes a hit
    out4 = by_id(_run([q], ngram=4))
    assert out4["q0"]["contam_gsm8k"] == "g3"


def test_keep_flags_without_drop_and_existing_values_preserved():
    df = frame([
        {"id": "a", "question": "What is 2+2?", "drop_reason": "too_short", "contaminated_by": ["old"]},
        {"id": "b", "question": "What is 2+2?"},
    ])
    out = by_id(mark_contamination(df, benchmarks={"gsm8k": GSM}))
    assert out["a"]["drop_reason"] == "too_short" and out["a"]["contaminated_by"] == ["old", "gsm8k"]
    kept = by_id(mark_contamination(df, benchmarks={"gsm8k": GSM}, drop=False))
    assert kept["b"]["drop_reason"] is None and kept["b"]["contam_gsm8k"] == "g2"


def test_bad_input():
    empty = mark_contamination(frame([]).head(0), benchmarks={"gsm8k": GSM})
    assert empty.height == 0 and "contam_gsm8k" in empty.columns
    out = by_id(_run([None, ""]))
    assert out["q0"]["contaminated_by"] == [] and out["q1"]["contaminated_by"] == []
    with pytest.raises(SchemaError, match="question"):
        mark_contamination(frame([{"question": "x"}]), benchmarks={"bad": pl.DataFrame({"text": ["x"]})})
    out = mark_contamination(frame([{"question": "What is 2+2?"}]), benchmarks={"empty": GSM.head(0)})
    assert out["contam_empty"].null_count() == 1


def test_card_section_counts():
    text = contamination_card_section(_run(["What is 2+2?", THIRD, OTHER]))
    assert "| gsm8k | 1 |" in text and "| math_500 | 1 |" in text and "Items flagged: 2" in text


def test_benchmark_own_id_preferred():
    bench = pl.DataFrame({"id": ["content1", "content2"], "source_id": ["HF-7", None], "question": ["What is 2+2?", "What is 3+3 really?"]})
    out = mark_contamination(frame([{"question": "What is 2+2?"}, {"question": "what is 3 + 3 really?"}]), benchmarks={"b": bench})
    assert out["contam_b"].to_list() == ["HF-7", "content2"]
