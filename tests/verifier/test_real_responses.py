"""Issue 16: reading real model responses, no false positives, the parse gaps.

Hand-written fixtures shaped like real outputs (Minerva/Qwen endings, prose conclusions, Chinese
statements, answers spread over boxes); the peers' full suites are measured in benchmarks/verifier.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.verifier import Verifier, extract_answer, judge, judge_response

MINERVA = (
    "We have $5 \\times 6 \\times 4 = 120$.\n\nFinal Answer: The final answer is $120$. I hope it is correct."
)


@pytest.mark.parametrize(
    ("response", "text", "rule"),
    [
        (MINERVA, "120", "final_answer_phrase"),
        ("Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.", "120", "final_answer_phrase"),
        ("Final Answer: The final answer is 12,000,023. I hope it is correct. <|im_start|>user\nNext", "12,000,023",
         "final_answer_phrase"),
        ("Final Answer: Jane started growing Sphere 3 hours ago. I hope it is correct.", "3", "final_answer_phrase"),
        ("Final Answer: The largest $n$ is 34.", "34", "final_answer_phrase"),
        ("... = 2/3 Therefore, the probability that Alice wins the game is 2/3. <|im_start|>user", "2/3", "conclusion"),
        ("$y = 6$ So, the ordered pair $(x, y)$ that solves the system is $(7, 6)$.", "(7, 6)", "conclusion"),
        ("前面的推导……所以答案是 $4$。", "4", "final_answer_phrase"),
        ("解得 x=5。\n答案：$5$", "5", "answer_colon"),
        ("因此 $x$ 的值为 $\\frac{1}{2}$。", "\\frac{1}{2}", "conclusion"),
        ("We find that $x \\lt 3$.", "x \\lt 3", "statement"),
        ("Therefore $x \\geq 5$ is the solution.", "x \\geq 5", "conclusion"),
    ],
)
def test_prose_answers_are_trimmed_to_the_value(response, text, rule):
    ex = extract_answer(response)
    assert (ex.text, ex.rule) == (text, rule)


def test_later_final_answer_statement_beats_an_earlier_box():
    r = "So we pay $\\boxed{255}$ more... total $10,455. Final Answer: The final answer is $10,455$. I hope it is correct."
    assert extract_answer(r).text == "10,455"
    assert judge_response("10455", r).outcome == "equivalent"


def test_a_box_after_the_statement_wins_and_non_answers_are_ignored():
    assert extract_answer("The answer is $\\boxed{5}$.").text == "5"
    r = "Thus $\\boxed{7}$.\n\nChecking: the answer is correct."
    assert (extract_answer(r).text, extract_answer(r).rule) == ("7", "boxed")
    r = "So $\\boxed{7}$. The answer is as follows from the computation above."
    assert extract_answer(r).text == "7"


@pytest.mark.parametrize(
    ("reference", "response", "outcome"),
    [
        ("(2, 2), (6, 2)", "$$\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}$$", "equivalent"),
        ("\\{1,2,3\\}", "\\boxed{1},\\boxed{2},\\boxed{3}", "equivalent"),
        ("1, -2", "the integers are \\[ \\boxed{-2} \\quad \\text{and} \\quad \\boxed{1}. \\]", "equivalent"),
        ("k = 45, n = 2", "$$\\boxed{k = 45} \\quad \\text{and} \\quad \\boxed{n = 2}$$", "equivalent"),
        # a single-valued reference takes the last box only
        ("2", "\\boxed{1} and \\boxed{2}", "equivalent"),
        ("1, 2", "\\boxed{1} is wrong, so we keep looking at more cases \\boxed{2}", "different"),
    ],
)
def test_boxes_are_joined_when_the_reference_has_several_parts(reference, response, outcome):
    j = judge_response(reference, response)
    assert j.outcome == outcome
    if outcome == "equivalent" and "," in reference:
        assert j.rule == "boxed_joined"


def test_think_handling_and_turn_markers():
    assert extract_answer("<think>\\boxed{3}</think>The final answer is $4$.").text == "4"
    assert extract_answer("The answer is 8.<|im_end|>\n<|im_start|>user The answer is 9.").text == "8"


# ------------------------------------------------------------------- must-not-match, per class

MUST_NOT_MATCH = {
    "function_application": [("I(0)e^{-t/RC}", "I(0)"), ("f(0)", "g(0)"), ("f(0)", "f(1)"), ("P(3)", "3P"),
                             ("2f(1)", "0"), ("h(0)+h(t)", "h(0)+t")],
    "clock_time": [("12:00", "1:00"), ("6:30", "2:10"), ("3:00", "6:00"), ("10:30 AM", "10:30 PM")],
    "sign_branch": [("|y|", "y"), ("\\sqrt{x^2}", "x"), ("|x-1|", "x-1"), ("\\frac{|a|}{a}", "1"),
                    ("\\lfloor x \\rfloor", "x"), ("\\lceil x \\rceil", "\\lfloor x \\rfloor + 1")],
    "base_n": [("204_5", "204"), ("204_5", "54"), ("10_2", "10")],
    "labelled": [("(x,y)=(3,5)", "x=5, y=3"), ("(x, y) = (3, 5)", "(5, 3)"), ("xy = 6", "6"), ("|x| = 2", "2"),
                 ("x^2 = 4", "4"), ("x + y = 5", "5")],
    "interval": [("|x|>3", "(-3, 3)"), ("|x| \\ge 3", "(-\\infty, -3) \\cup (3, \\infty)")],
    "prime": [("f'(x)", "f(x)"), ("a'", "a")],
}


@pytest.mark.parametrize(
    ("reference", "answer"), [p for rows in MUST_NOT_MATCH.values() for p in rows],
)
def test_must_not_match(reference, answer):
    assert judge(reference, answer).outcome != "equivalent"
    assert judge(answer, reference).outcome != "equivalent"


@pytest.mark.parametrize(
    ("reference", "answer"),
    [
        ("12:00", "12:00"), ("6:30", "6:30 pm"), ("f(0)", "f(0)"), ("I(0)e^{-t/RC}", "e^{-t/RC} I(0)"),
        ("204_5", "204_{5}"), ("\\frac 34", "0.75"), ("\\frac 59", "\\frac{5}{9}"), ("185\\", "185"),
        ("(x,y)=(3,5)", "x=3, y=5"), ("(x,y)=(3,5)", "(3,5)"), ("(p,q)=(3,2)", "\\boxed{(3, 2)}"),
        ("|x|>3", "(-\\infty,-3)\\cup(3,\\infty)"), ("1\\leq|z|\\leq \\frac{3}{2}", "[-\\frac{3}{2}, -1] \\cup [1, \\frac{3}{2}]"),
        ("x < 1", "-x > -1"), ("28\\%", "28 percent"), ("28\\%", "28 pct"), ("y'", "y'"),
        ("AB=4,CD=5", "4, 5"), ("\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}", "\\frac{1}{\\sqrt{6}}"), ("V_1:V_2=11:21", "11:21"),
        ("19, 46, and 82", "19, 46, \\text{ and } 82"), ("\\frac{\\sqrt{3}}{3}", "\\frac{\\sqrt{3}}{3} \\approx 0.577"),
        ("11", "x \\approx 11"), ("3*s**2", "3s^2"), ("C", "C. x = 42"), ("11111111100", "11,\\! 111,\\! 111,\\! 100"),
        ("|y|", "|-y|"), ("\\ln(x^2)", "2\\ln x"), ("\\sqrt{x}\\cdot\\sqrt{3}", "\\sqrt{3x}"),
    ],
)
def test_parse_gaps_now_match(reference, answer):
    assert judge(reference, answer).outcome == "equivalent", judge(reference, answer)


@pytest.mark.parametrize("text", ["\\operatorname{foo}(x) \\oint", "np.arcsin(10/13)", "y^{\\prime}+r y-r x(t)=0", "\\frac{1}{"])
def test_identical_strings_are_equivalent_even_outside_the_grammar(text):
    assert judge(text, text).outcome == "equivalent"
    assert judge(text, "  " + text + " ").outcome == "equivalent"


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=60).filter(lambda s: s.strip()))
def test_identical_strings_always_equivalent(text):
    assert Verifier(cache_size=0).judge(text, text).outcome == "equivalent"


@pytest.mark.parametrize(
    ("reference", "answer", "outcome"),
    [
        ("f(x+1)", "f(1+x)", "different"),  # opaque: only the same argument tree matches (never a false match)
        ("f(x^2+1)", "f(x^2+1)", "equivalent"),
        ("2f(\\frac{1}{2})", "f(\\frac12)\\cdot 2", "equivalent"),
        ("g(\\sin x)", "g(\\cos x)", "different"),
        ("f(3!)", "f(6)", "different"),
    ],
)
def test_function_values_with_compound_arguments(reference, answer, outcome):
    assert judge(reference, answer).outcome == outcome


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["f", "g", "I", "(", ")", "x", "0", "1", "+", "^", "{", "}", "\\frac", "\\sqrt",
                                 "!", "'", "_", "5", ",", ":", "=", "|", "\\approx", " "]), min_size=1, max_size=14))
def test_prepare_never_raises_on_function_shapes(tokens):
    from curation.verifier.prepare import prepare

    prepare("".join(tokens))
    judge("".join(tokens), "f(0)")


def test_latex_command_names_are_not_prose():
    """A long LaTeX answer (many `\\left`, `\\frac` ...) is still an answer, not a sentence of words."""
    ref = "\\left( -\\frac{9}{2} , -2 \\right) \\cup \\left( \\frac{1 - \\sqrt{5}}{2}, \\frac{1 + \\sqrt{5}}{2} \\right)"
    for response in (f"Final Answer: The final answer is ${ref}$. I hope it is correct.", f"所以答案是 ${ref}$。"):
        assert extract_answer(response).text == ref
        assert judge_response(ref, response).outcome == "equivalent"
