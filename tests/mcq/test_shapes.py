"""Multiple-choice shapes as real sets publish them (hand-written items in those shapes): option records,
options in one string, multi-letter keys, answers given as values, digit strings; the all-refused alarm;
and the same shapes read end to end by ingest without preprocessing."""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import given, strategies as st

from curation.choices import answer_index, multi_select_letters, parse_choice_value, split_inline_choices
from curation.config import SourceConfig
from curation.ingest import ingest_source
from curation.mcq import convert_multiple_choice, mcq_alarms, mcq_card_section, mcq_counts


def test_option_records_wrapped_one_per_list():
    value = [[{"aoVal": "A", "content": "$$12$$ "}], [{"aoVal": "B", "content": "$$15$$ "}], [{"aoVal": "C", "content": "$$18$$"}]]
    assert parse_choice_value(value).choices == ["$$12$$", "$$15$$", "$$18$$"]


def test_option_records_with_label_key_out_of_order():
    value = [{"label": "B", "content": "7"}, {"label": "A", "content": "5"}]
    assert parse_choice_value(value).choices == ["5", "7"]


def test_unknown_nested_values_are_not_options():
    # never stringified dicts as option texts (what TAL-SCQ5K became before)
    assert parse_choice_value([{"x": 1}, {"y": 2}]) is None


@pytest.mark.parametrize("text, expected", [
    ("A. 3 B. 4 C. 5", ["3", "4", "5"]),
    ("(A)3(B)4(C)5(D)6", ["3", "4", "5", "6"]),
    ("A) red B) blue", ["red", "blue"]),
])
def test_options_in_one_string(text, expected):
    assert parse_choice_value(text).choices == expected


def test_plain_sentence_is_not_an_options_string():
    assert parse_choice_value("The answer is obvious.") is None


@pytest.mark.parametrize("key, n, expected", [
    ("BC", 4, "BC"), ("A, C", 4, "AC"), (["D", "B"], 4, "BD"), ('["A", "C"]', 4, "AC"), ("(A)(D)", 4, "AD"),
    ("B", 4, None), ("AE", 4, None), ("AA", 4, None), ("and", 4, None), ("Answer", 4, None),
])
def test_multi_select_letters(key, n, expected):
    assert multi_select_letters(key, n) == expected


def test_answer_as_option_value_and_digit_strings():
    assert answer_index("1/2", ["$\\frac{1}{3}$", "$\\frac{1}{2}$"]) == 1
    assert answer_index("61", ["$59", "$61"]) == 1
    assert answer_index("0.5", ["0.50", "0.25"]) == 0
    # a digit string is an option's text, never an index; a real int is an index
    assert answer_index("2", ["1", "2", "3"]) == 1
    assert answer_index(2, ["1", "2", "3"]) == 2
    assert answer_index("7", ["1", "2", "3"]) is None
    # two options with that value: ambiguous, no match
    assert answer_index("0.5", ["1/2", "$\\frac12$"]) is None


@pytest.mark.parametrize("question", [
    "What is 9 - 4? $\\textbf{(A) }3\\qquad\\textbf{(B) }5\\qquad\\textbf{(C) }7$",
    "What is 9 - 4? \\textbf{(A)} 3 \\qquad \\textbf{(B)} 5 \\qquad \\textbf{(C)} 7",
    "What is 9 - 4?(A)3(B)5(C)7",
    "What is 9 - 4? $\\mathrm{(A)}\\ 3 \\qquad\\mathrm{(B)}\\ 5\\qquad\\mathrm{(C)}\\ 7$",
])
def test_styled_and_glued_inline_labels(question):
    parsed = split_inline_choices(question)
    assert parsed.choices == ["3", "5", "7"] and parsed.stem == "What is 9 - 4?"


def test_function_of_capital_letter_is_not_an_option_list():
    assert split_inline_choices("Let $f(A)=2$ and $f(B)=3$. Find $f(A)+f(B)$.") is None


def _frame(rows):
    base = {"source": "s", "question": None, "choices": None, "answer": None, "answer_type": "choice"}
    return pl.DataFrame([{**base, **r, "source_row": i} for i, r in enumerate(rows)],
                        schema_overrides={"choices": pl.List(pl.Utf8)})


def test_alarm_when_every_row_of_a_source_is_refused_for_one_reason():
    rows = [{"question": f"Which of the following is odd? ({i})", "choices": ["2", "4", str(2 * i + 1)], "answer": "C"} for i in range(6)]
    out = convert_multiple_choice(_frame(rows))
    alarms = mcq_alarms(out)
    assert len(alarms) == 1 and alarms[0].kind == "mcq_all_refused" and "stem_depends_on_options" in alarms[0].message()
    assert alarms[0].source == "s" and alarms[0].count == 6
    assert "**Alarm:**" in mcq_card_section(out)


def test_no_alarm_when_something_converts_or_reasons_differ():
    rows = [{"question": "Which of the following is odd?", "choices": ["2", "4", "5"], "answer": "C"} for _ in range(5)]
    rows.append({"question": "What is 2 + 3?", "choices": ["4", "5", "6"], "answer": "B"})
    assert mcq_alarms(convert_multiple_choice(_frame(rows))) == []
    mixed = [{"question": "Which of the following is odd?", "choices": ["2", "4", "5"], "answer": "C"} for _ in range(5)]
    mixed.append({"question": "A bag holds 3 apples.", "choices": ["1", "2", "3"], "answer": "C"})
    assert mcq_alarms(convert_multiple_choice(_frame(mixed))) == []
    few = [{"question": "Which of the following is odd?", "choices": ["2", "4", "5"], "answer": "C"} for _ in range(2)]
    assert mcq_alarms(convert_multiple_choice(_frame(few))) == []


def test_ingest_reads_option_records_and_value_keys_without_preprocessing(tmp_path):
    # the TAL-SCQ5K shape: problem, answer_option_list (one-element lists of {aoVal, content}), answer_value
    rows = [
        {"problem": "A box holds $$6$$ rows of $$7$$ eggs. How many eggs are in the box?",
         "answer_option_list": [[{"aoVal": "A", "content": "$$36$$"}], [{"aoVal": "B", "content": "$$42$$"}],
                                [{"aoVal": "C", "content": "$$48$$"}]], "answer_value": "B"},
        {"problem": "Which of the following numbers is even?",
         "answer_option_list": [[{"aoVal": "A", "content": "$$3$$"}], [{"aoVal": "B", "content": "$$8$$"}]], "answer_value": "B"},
    ]
    path = tmp_path / "tal.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    df = ingest_source(SourceConfig(path=str(path))).problems
    assert df["choices"].to_list()[0] == ["$$36$$", "$$42$$", "$$48$$"]
    out = convert_multiple_choice(df).to_dicts()
    assert (out[0]["mcq_status"], out[0]["answer"]) == ("converted", "42")
    assert (out[1]["mcq_status"], out[1]["mcq_reason"]) == ("not_convertible", "stem_depends_on_options")


def test_ingest_multi_select_key_in_label_is_refused_as_multi_select(tmp_path):
    # the AGIEval shape: options "(A)…", answer null, key in label (a list for multi-select)
    rows = [
        {"question": "一个正方形的边长为 3，它的面积为（ ）", "options": ["(A)6", "(B)9", "(C)12", "(D)3"], "label": "B", "answer": None},
        {"question": "关于力，下列说法正确的是（ ）", "options": ["(A)力可以改变运动状态", "(B)力是维持运动的原因", "(C)力的作用是相互的",
                                                "(D)只有接触才有力"], "label": ["A", "C"], "answer": None},
    ]
    path = tmp_path / "agieval.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    df = ingest_source(SourceConfig(path=str(path))).problems
    out = convert_multiple_choice(df).to_dicts()
    assert (out[0]["mcq_status"], out[0]["answer"]) == ("converted", "9")
    assert (out[1]["mcq_status"], out[1]["mcq_reason"]) == ("not_convertible", "multi_select")
    assert mcq_counts(convert_multiple_choice(df))["not_convertible"] == {"multi_select": 1}


@given(st.lists(st.sampled_from("ABCDEF"), min_size=2, max_size=6, unique=True))
def test_multi_select_letters_is_order_free(letters):
    assert multi_select_letters(letters, 6) == "".join(sorted(letters))
    assert multi_select_letters("".join(letters), 6) == "".join(sorted(letters))
