"""The scorer: right and wrong answers of every answer type and puzzle family, garbage, routing."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.rewards import SCORERS, Verdict, register_scorer, score, score_detail
from curation.verifier import classify_answer_type
from tests.rewards.helpers import OPEN_2X2, TWO_WAY_SOLUTIONS, TWO_WAY_SUDOKU, alternative_shortest_path

MATH = {"kind": "competition"}

# answer type -> (reference, a right response, a wrong response); the right ones are rewrites, not copies
CASES = {
    "integer": ("42", "Adding up, we get \\boxed{42}.", "So the total is \\boxed{43}."),
    "number": ("\\frac{3}{4}", "The probability is \\boxed{0.75}.", "\\boxed{0.7}"),
    "expression": ("(x+1)^2", "Expanding: \\boxed{x^2+2x+1}", "\\boxed{x^2+1}"),
    "equation": ("y=2x+3", "The line is \\boxed{y = 3 + 2x}.", "\\boxed{y=2x-3}"),
    "interval": ("[2,3]", "Hence \\boxed{2\\le x\\le 3}.", "\\boxed{(2,3)}"),
    "set": ("\\{1,3\\}", "The solutions are \\boxed{3, 1}.", "\\boxed{\\{1,2\\}}"),
    "tuple": ("(1,2)", "The point is \\boxed{(1, 2)}.", "\\boxed{(2,1)}"),
    "matrix": ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\boxed{\\begin{bmatrix}1 & 2\\\\ 3 & 4\\end{bmatrix}}",
               "\\boxed{\\begin{pmatrix}1&2\\\\4&3\\end{pmatrix}}"),
    "text": ("Paris", "The capital is \\boxed{Paris}.", "\\boxed{London}"),
    "boolean": ("True", "\\boxed{yes}", "\\boxed{no}"),
    "choice": ("C", "The answer is \\boxed{C}.", "\\boxed{B}"),
}


@pytest.mark.parametrize("answer_type", sorted(CASES))
def test_right_and_wrong_for_every_answer_type(answer_type):
    reference, right, wrong = CASES[answer_type]
    assert classify_answer_type(reference) == answer_type  # the case tests the type it names
    info = {**MATH, "answer_type": answer_type}
    assert score(right, reference, info) == 1.0
    assert score(wrong, reference, info) == 0.0


def test_choice_rows_accept_the_option_text_and_letter_forms():
    info = {**MATH, "answer_type": "choice", "choices": ["$55", "$60", "$62.50", "$65"]}
    assert score("\\boxed{62.50}", "C", info) == 1.0  # the right option's text
    assert score("\\boxed{60}", "C", info) == 0.0  # another option's text
    assert score("\\boxed{C) \\$62.50}", "C", info) == 1.0 and score("\\boxed{(B) \\$60}", "C", info) == 0.0
    assert score("\\boxed{C}", "62.50", {**info, "answer_type": "number"}) == 1.0  # a text reference, a letter answer
    assert score("\\boxed{B}", "62.50", {**info, "answer_type": "number"}) == 0.0
    assert score("\\boxed{E}", "C", info) == 0.0  # a letter past the options


def test_maze_accepts_every_shortest_path():
    info = {"kind": "puzzle", "puzzle_spec": json.dumps(OPEN_2X2)}
    assert score("\\boxed{RD}", "RD", info) == 1.0
    assert score("I go down first: \\boxed{DR}", "RD", info) == 1.0  # not the stored path, as short
    assert score("\\boxed{D, R}", "RD", info) == 1.0
    assert score("\\boxed{RDLR}", "RD", info) == 0.0  # reaches G, but longer than optimal
    assert score("\\boxed{R}", "RD", info) == 0.0  # stops short
    assert score("\\boxed{LD}", "RD", info) == 0.0  # leaves the grid


def test_generated_braided_mazes_accept_alternative_shortest_paths():
    from curation.rewards.puzzle_scorer import puzzle_spec
    from generators import get_generator

    gen = get_generator("maze", 4)
    found = 0
    for seed in range(12):
        record = gen.generate(seed)
        spec_text = puzzle_spec(record["metadata"])
        info = {"kind": "puzzle", "puzzle_spec": spec_text}
        assert score(f"\\boxed{{{record['answer']}}}", record["answer"], info) == 1.0
        alt = alternative_shortest_path(json.loads(spec_text), record["answer"])
        if alt is not None:
            found += 1
            assert score(f"\\boxed{{{alt}}}", record["answer"], info) == 1.0
            assert score(f"\\boxed{{{alt[:-1]}}}", record["answer"], info) == 0.0
    assert found >= 2  # braided mazes do have several shortest paths


def test_sudoku_accepts_any_valid_completion():
    info = {"kind": "puzzle", "puzzle_spec": json.dumps(TWO_WAY_SUDOKU)}
    first, second = TWO_WAY_SOLUTIONS
    assert score(f"\\boxed{{{first}}}", first, info) == 1.0
    assert score(f"\\boxed{{{second}}}", first, info) == 1.0  # the other completion
    grid = "\n".join(second[i:i + 4] for i in range(0, 16, 4))
    assert score(f"Filled in:\n\\boxed{{{grid}}}", first, info) == 1.0
    changed_given = "1234341221434312"  # keeps the rules' shape but rewrites givens
    assert score(f"\\boxed{{{changed_given}}}", first, info) == 0.0
    assert score("\\boxed{1234}", first, info) == 0.0


def test_generated_sudoku_right_and_wrong():
    from curation.rewards.puzzle_scorer import puzzle_spec
    from generators import get_generator

    record = get_generator("sudoku", 2).generate(5)
    info = {"kind": "puzzle", "puzzle_spec": puzzle_spec(record["metadata"])}
    answer = record["answer"]
    assert score(f"\\boxed{{{answer}}}", answer, info) == 1.0
    i = next(k for k, ch in enumerate(json.loads(info["puzzle_spec"])["givens"]) if ch in ".0")
    j = next(k for k in range(i + 1, 81) if json.loads(info["puzzle_spec"])["givens"][k] in ".0" and answer[k] != answer[i])
    wrong = list(answer)
    wrong[i], wrong[j] = wrong[j], wrong[i]
    assert score(f"\\boxed{{{''.join(wrong)}}}", answer, info) == 0.0


def test_puzzle_without_spec_compares_with_the_reference():
    info = {"kind": "puzzle"}
    assert score("\\boxed{R D}", "RD", info) == 1.0
    assert score("\\boxed{DR}", "RD", info) == 0.0  # without the walls, only the stored path is known
    assert "no puzzle spec" in score_detail("\\boxed{DR}", "RD", info).reason


GARBAGE_RESPONSES = [None, 123, 4.5, ["\\boxed{4}"], {"content": "\\boxed{4}"}, b"\xff\xfe", "", "   ",
                     "\\boxed{" * 20_000, "x" * 1_000_000, "\\boxed{9^{9^{9^{9}}}}", "\\boxed{(((((((((((((" + "1" * 5000 + "}",
                     "\\boxed{\\frac{1}{0}}", "\x00\x01\x02", "<think>" * 1000]
GARBAGE_INFOS = [None, "competition", [1, 2], {"kind": 5}, {"kind": "puzzle", "puzzle_spec": "{not json"},
                 {"kind": "puzzle", "puzzle_spec": json.dumps({"generator": "chess"})},
                 {"kind": "puzzle", "puzzle_spec": json.dumps({"generator": "maze", "rows": "x"})},
                 {"kind": "competition", "choices": 7}]


@pytest.mark.parametrize("response", GARBAGE_RESPONSES, ids=range(len(GARBAGE_RESPONSES)))
def test_garbage_responses_score_zero(response):
    assert score(response, "4", MATH) == 0.0
    assert score(response, "RD", {"kind": "puzzle", "puzzle_spec": json.dumps(OPEN_2X2)}) == 0.0


@pytest.mark.parametrize("info", GARBAGE_INFOS, ids=range(len(GARBAGE_INFOS)))
def test_garbage_extra_info_never_raises(info):
    value = score("\\boxed{4}", "4", info)
    assert value in (0.0, 1.0)


@pytest.mark.parametrize("reference", [None, "", "   ", {"a": 1}, ["4"]])
def test_missing_ground_truth_scores_zero_with_a_logged_reason(reference, caplog):
    with caplog.at_level(logging.WARNING, logger="curation.rewards"):
        assert score("\\boxed{4}", reference, MATH) == 0.0
    assert "no ground truth" in caplog.text


def test_numeric_reference_is_accepted():
    assert score("\\boxed{4}", 4, MATH) == 1.0


@pytest.fixture
def scorers():
    saved = dict(SCORERS)
    yield SCORERS
    SCORERS.clear()
    SCORERS.update(saved)


def test_a_kind_is_added_in_one_line(scorers, caplog):
    assert "code" in SCORERS  # the code problems' scorer is routed by the table
    with caplog.at_level(logging.WARNING, logger="curation.rewards"):
        assert score("theorem foo", "spec", {"kind": "lean"}) == 0.0
    assert "no scorer registered for kind 'lean'" in caplog.text
    register_scorer("lean", lambda response, truth, info: Verdict(0.5, "1 of 2 goals closed"))
    assert score_detail("theorem foo", "spec", {"kind": "lean"}).value == 0.5
    register_scorer("lean", "tests.rewards.test_scorer:_lazy_code_scorer")  # imported on first use
    assert score("ok", "spec", {"kind": "lean"}) == 1.0
    with pytest.raises(ValueError):
        register_scorer("lean", "not a path")


def _lazy_code_scorer(response, truth, info):
    return Verdict(1.0 if response == "ok" else 0.0, "lazy")


def test_a_failing_scorer_gives_zero_and_a_reason(scorers, caplog):
    def boom(response, truth, info):
        raise RuntimeError("sandbox on fire")

    register_scorer("lean", boom)
    register_scorer("broken", "no_such_module_xyz:score")
    register_scorer("too_much", lambda r, t, i: Verdict(2.0, "bonus"))
    with caplog.at_level(logging.WARNING, logger="curation.rewards"):
        assert score("x", "y", {"kind": "lean"}) == 0.0
        assert score("x", "y", {"kind": "broken"}) == 0.0
        assert score("x", "y", {"kind": "too_much"}) == 0.0
    assert "sandbox on fire" in caplog.text and "failed to load" in caplog.text and "outside [0, 1]" in caplog.text


def test_format_penalty_is_off_by_default_and_hits_only_unanswered_responses():
    assert score("I do not know.", "4", MATH) == 0.0
    assert score("I do not know.", "4", MATH, format_penalty=0.2) == -0.2
    assert score("\\boxed{5}", "4", MATH, format_penalty=0.2) == 0.0  # answered, wrong: no penalty
    assert score("\\boxed{4}", "4", MATH, format_penalty=0.2) == 1.0
    puzzle = {"kind": "puzzle", "puzzle_spec": json.dumps(OPEN_2X2)}
    assert score("", "RD", puzzle, format_penalty=0.2) == -0.2 and score("\\boxed{RR}", "RD", puzzle, format_penalty=0.2) == 0.0


def test_think_blocks_and_long_responses():
    reasoning = "Let me try \\boxed{3}. Hmm. " * 200
    assert score(f"<think>{reasoning}</think>The answer is \\boxed{{4}}.", "4", MATH) == 1.0
    assert score("filler " * 100_000 + "\\boxed{4}", "4", MATH) == 1.0  # the answer sits at the end


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400), st.text(max_size=30), st.sampled_from(["competition", "puzzle", "nope", None]))
def test_never_raises_and_stays_in_range(response, reference, kind):
    value = score(response, reference, {"kind": kind, "puzzle_spec": json.dumps(OPEN_2X2)})
    assert value in (0.0, 1.0)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=-10**30, max_value=10**30), st.integers(min_value=1, max_value=10**6))
def test_integers_right_and_wrong(n, delta):
    assert score(f"so \\boxed{{{n}}}", str(n), MATH) == 1.0
    assert score(f"so \\boxed{{{n + delta}}}", str(n), MATH) == 0.0


@pytest.mark.parametrize("reference", ["52_8", "-\\frac 32", "2, 3, \\text{ and } 4"])
def test_a_reference_outside_the_verifier_grammar_still_rewards_its_own_text(reference):
    assert score(f"\\boxed{{{reference}}}", reference, MATH) == 1.0
    assert score(f"\\boxed{{ {reference} }}", reference, MATH) == 1.0  # spacing ignored
    assert score("\\boxed{7}", reference, MATH) == 0.0
