"""A multiple-choice row is identified by its stem *and* its options (`normalize.dedup_question`), and
Chinese text is read character by character. Pairs written for this file."""

from __future__ import annotations

import polars as pl
import pytest

from curation.dedup import mark_duplicates, normalize_series
from curation.dedup.content import number_keys, same_problem
from curation.dedup.normalize import OPTIONS_MARK, dedup_question, shingle_text
from tests.dedup.helpers import frame

STEM = "Which of the following numbers is a factor of $84$ and of $126$?"


def _clusters(rows: list[dict]) -> list:
    return mark_duplicates(frame(rows))["cluster_id"].to_list()


def _together(rows: list[dict]) -> bool:
    c = _clusters(rows)
    return c[0] is not None and c[0] == c[1]


def test_same_stem_other_options_stay_apart():
    assert not _together([{"question": STEM, "choices": ["4", "6", "8", "9"]}, {"question": STEM, "choices": ["5", "7", "14", "15"]}])


def test_same_stem_one_option_replaced_stays_apart():
    assert not _together([{"question": STEM, "choices": ["4", "6", "8", "9"]}, {"question": STEM, "choices": ["4", "6", "8", "12"]}])


def test_generic_stem_with_other_option_texts_stays_apart():
    a = {"question": "Which of the following statements is true?", "choices": ["All primes are odd.", "Every square is even.", "Zero is positive.", "Seven is prime."]}
    b = {"question": "Which of the following statement is true?", "choices": ["Water boils at low pressure.", "Ice sinks.", "Air is a metal.", "Salt is a gas."]}
    assert not _together([a, b])


def test_same_stem_same_options_merge():
    assert _together([{"question": STEM, "choices": ["4", "6", "8", "9"]}, {"question": STEM + " ", "choices": ["4", "6", "8", "9"]}])


def test_same_options_in_another_order_merge():
    assert _together([{"question": STEM, "choices": ["4", "6", "8", "9"]}, {"question": STEM, "choices": ["9", "8", "6", "4"]}])


def test_retyped_stem_with_same_options_merge():
    a = {"question": "Which of the following numbers is a factor of 84 and of 126?", "choices": ["$4$", "$6$", "$8$", "$9$"]}
    b = {"question": STEM, "choices": ["4", "6", "8", "9"]}
    assert _together([a, b])


def test_free_response_and_multiple_choice_form_of_one_question_merge():
    assert _together([{"question": STEM}, {"question": STEM, "choices": ["4", "6", "8", "9"]}])


def test_options_reach_the_dedup_text_only_for_rows_in_multiple_choice_form():
    df = frame([{"question": "Q1?", "choices": ["a", "b"]}, {"question": "Q2?"}, {"question": "Q3?", "choices": []}])
    texts = dedup_question(df).to_list()
    assert OPTIONS_MARK in texts[0] and texts[0].startswith("Q1?")
    assert texts[1:] == ["Q2?", "Q3?"]
    assert dedup_question(pl.DataFrame({"question": ["x"]})).to_list() == ["x"]


def test_numbers_of_options_stay_out_of_the_number_key_and_the_shingles():
    df = frame([{"question": STEM, "choices": ["4", "6"]}, {"question": STEM, "choices": ["5", "7"]}])
    norm = normalize_series(dedup_question(df))
    k = number_keys(norm)
    assert k[0] == k[1]  # one LSH bucket: the rule, which reads the options, decides
    sh = shingle_text(norm).to_list()
    assert sh[0] == sh[1]
    assert not same_problem(*norm.to_list())


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("化学与生活密切相关。下列叙述错误的是", "化学与生活密切相关。下列叙述正确的是"),  # wrong / correct
        ("关于化合物, 下列说法正确的是", "关于化合物, 下列说法不正确的是"),  # correct / not correct
    ],
)
def test_chinese_stems_that_ask_other_things_differ(a, b):
    na, nb = normalize_series(pl.Series([a, b])).to_list()
    assert not same_problem(na, nb)


def test_chinese_punctuation_and_spacing_do_not_matter():
    a = "陶瓷是火与土的结晶, 是中华文明的象征之一。下 列说法错误的是"
    b = "陶瓷是火与土的结晶，是中华文明的象征之一。 下列说法错误的是"
    na, nb = normalize_series(pl.Series([a, b])).to_list()
    assert same_problem(na, nb)
