"""Answer extraction rules."""

from __future__ import annotations

import pytest

from curation.verifier import Extraction, extract_answer, judge_response


@pytest.mark.parametrize(
    ("response", "text", "rule"),
    [
        ("So the result is \\boxed{42}.", "42", "boxed"),
        ("First \\boxed{12}. Hmm, wait, that is wrong... so \\boxed{15}", "15", "boxed"),
        ("\\fbox{7} is it", "7", "boxed"),
        ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}", "boxed"),
        ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}", "boxed"),
        ("\\boxed{x^{2}} and an unbalanced \\boxed{3", "x^{2}", "boxed"),
        ("The final answer is $\\frac{1}{2}$. I hope it is correct.", "\\frac{1}{2}", "final_answer_phrase"),
        ("Therefore, the answer is 17.", "17", "final_answer_phrase"),
        ("**Final Answer:** 12", "12", "final_answer_phrase"),
        ("Work...\nAnswer: 3/4\n", "3/4", "answer_colon"),
        ("Work...\n**Answer:** $x=2$", "x=2", "answer_colon"),
        ("we add 17 and 25 to get 42", "42", "trailing_number"),
        ("so the total is $1,250$.", "1,250", "statement"),
        ("<think>maybe \\boxed{3}</think>The answer is 4.", "4", "final_answer_phrase"),
        ("<think>I think 3 or 4</think>\n\\boxed{4}", "4", "boxed"),
        ("<think>long reasoning</think> x+1", "x+1", "after_think"),
        ("<think>the answer is 9</think>", "9", "final_answer_phrase"),
    ],
)
def test_rules(response, text, rule):
    assert extract_answer(response) == Extraction(text, rule)


@pytest.mark.parametrize("response", ["", "   ", "no numbers at all here", "<think>only thoughts</think>"])
def test_nothing_extracted(response):
    ex = extract_answer(response)
    assert ex.text is None and ex.rule == "none"
    j = judge_response("1", response)
    assert j.outcome == "unparseable" and j.reason == "no answer extracted"


def test_judge_response_reports_extraction():
    j = judge_response("15", "\\boxed{12} ... wait ... \\boxed{15}")
    assert (j.outcome, j.extracted, j.rule) == ("equivalent", "15", "boxed")


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "response",
    ["a" * 1_000_000, "\\boxed{" * 150_000, "the answer is " * 80_000, "{" * 500_000 + "\\boxed{1}", "1" * 1_000_000],
)
def test_huge_responses_are_handled(response):
    ex = extract_answer(response)
    assert ex.rule in {"boxed", "final_answer_phrase", "answer_colon", "trailing_number", "after_think", "none"}
    j = judge_response("1", response)
    assert j.outcome in {"equivalent", "different", "unparseable"}
