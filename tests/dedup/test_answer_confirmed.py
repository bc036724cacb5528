"""The answer-confirmed tier (`curation.dedup.content.answer_confirmed`): a reworded copy the token rule
rejects is still the same problem when its math agrees and both reference answers are equivalent and
informative. Pairs written for this file."""

from __future__ import annotations

import numpy as np
import pytest

from curation.config import DedupSettings
from curation.dedup import dedup_card_section, dedup_summary, mark_duplicates, normalize_series
from curation.dedup.clusters import near_duplicate_edges
from curation.dedup.content import answer_confirmed, informative_answer, same_problem
from curation.dedup.index import update_index
from curation.dedup.minhash import minhash_signatures
from curation.dedup.stage import signature_texts
from tests.dedup.helpers import by_id, frame

# a paraphrase: "standing in a line" / "lining up", "counting backwards" / "counting from back to front"
LINE_A = (
    "Twenty-nine pupils are standing in a line for the school photo. Counting from the front, Mia is "
    "the $12$th pupil. Counting backwards, what is her position in the line of $29$ pupils?"
)
LINE_B = (
    "Twenty-nine pupils are lining up for the school photo. Counting from the front, Mia is "
    "the $12$th pupil. Counting from back to front, what is her position in the line of $29$ pupils?"
)
# template siblings with the same numbers: one word swapped for another
DIV_A = "How many positive divisors does the number $360$ have? Count $1$ and $360$ as divisors too."
DIV_B = "How many prime divisors does the number $360$ have? Count $1$ and $360$ as divisors too."


def _pair(a: dict, b: dict, settings: DedupSettings = DedupSettings()):
    out = mark_duplicates(frame([a, b]), settings=settings)
    rows = by_id(out)
    together = rows["r000"]["cluster_id"] is not None and rows["r000"]["cluster_id"] == rows["r001"]["cluster_id"]
    return together, rows


def test_the_token_rule_alone_rejects_the_paraphrase():
    # the premise of the tier: without it these copies stay apart
    assert not same_problem(*normalize_series(frame([{"question": LINE_A}, {"question": LINE_B}])["question"]).to_list())
    together, _ = _pair({"question": LINE_A, "answer": "18"}, {"question": LINE_B, "answer": "18"},
                        DedupSettings(answer_confirmed=False))
    assert not together


def test_paraphrase_with_the_same_answer_merges_with_evidence():
    together, rows = _pair({"question": LINE_A, "answer": "18"}, {"question": LINE_B, "answer": "$18$"})
    assert together
    member = rows["r001"] if rows["r001"]["duplicate_of"] else rows["r000"]
    assert member["same_problem_by"] == "answer" and member["drop_reason"] == "near_duplicate"
    rep = rows["r000"] if member is rows["r001"] else rows["r001"]
    assert rep["same_problem_by"] is None
    # an answer-confirmed pair has equal answers: never a conflict for review
    assert not member["conflicting_answers"] and member["review_reason"] is None


def test_answers_equal_for_the_verifier_not_as_strings_confirm():
    together, _ = _pair({"question": LINE_A, "answer": "\\frac{36}{2}"}, {"question": LINE_B, "answer": "18"})
    assert together


def test_paraphrase_with_another_answer_stays_apart():
    together, _ = _pair({"question": LINE_A, "answer": "18"}, {"question": LINE_B, "answer": "17"})
    assert not together


def test_template_sibling_with_same_numbers_and_other_answer_stays_apart():
    together, _ = _pair({"question": DIV_A, "answer": "24"}, {"question": DIV_B, "answer": "3"})
    assert not together


def test_one_word_substitution_with_the_same_answer_stays_apart():
    # "RADII" / "PROOF" (both 60 arrangements): one word for another is the shape of a template sibling
    a = "Determine the number of ways to arrange all the letters of the word RADII in a row on a shelf."
    b = "Determine the number of ways to arrange all the letters of the word PROOF in a row on a shelf."
    together, _ = _pair({"question": a, "answer": "60"}, {"question": b, "answer": "60"})
    assert not together


@pytest.mark.parametrize("answer", ["yes", "True", "B", "7", "$0$", "5 (pupils)", "neither", "True, True", "All of these", "[2, 2]", ""])
def test_uninformative_answers_never_confirm(answer):
    together, _ = _pair({"question": LINE_A, "answer": answer}, {"question": LINE_B, "answer": answer})
    assert not together


def test_a_missing_answer_never_confirms():
    together, _ = _pair({"question": LINE_A, "answer": "18"}, {"question": LINE_B})
    assert not together


def test_setting_off_disables_the_tier():
    settings = DedupSettings(answer_confirmed=False)
    together, rows = _pair({"question": LINE_A, "answer": "18"}, {"question": LINE_B, "answer": "18"}, settings)
    assert not together and rows["r000"]["same_problem_by"] is None and rows["r001"]["same_problem_by"] is None


def test_text_rule_duplicates_say_text():
    together, rows = _pair({"question": LINE_A, "answer": "18"}, {"question": LINE_A.replace("  ", " ") + " ", "answer": "18"})
    assert together
    member = rows["r001"] if rows["r001"]["duplicate_of"] else rows["r000"]
    assert member["same_problem_by"] == "text"


def test_other_math_with_the_same_answer_stays_apart():
    a = "Let $f$ be an odd function on the real numbers. Is $f(f(f(x)))$ even, odd, or neither? Explain the reasoning in full sentences."
    b = "Suppose $f$ is an odd function on the real numbers. Is $f(f(x))$ even, odd, or neither? Explain the reasoning in full sentences."
    together, _ = _pair({"question": a, "answer": "the function is odd"}, {"question": b, "answer": "the function is odd"})
    assert not together


def test_a_moved_word_with_the_same_answer_stays_apart():
    # one copy ranks "from oldest to youngest", the other "from youngest to oldest" (and lost a condition)
    a = ("Amy, Bill and Celine are friends of different ages. Only one statement is true: Bill is the oldest; "
         "Amy is not the oldest; Celine is not the youngest. Rank the friends from oldest to youngest.")
    b = ("Amy, Bill and Celine are friends of different ages. Bill is the oldest; Amy is not the oldest; "
         "Celine is not the youngest. Rank the friends from youngest to oldest.")
    together, _ = _pair({"question": a, "answer": "Amy, Celine, Bill"}, {"question": b, "answer": "Amy, Celine, Bill"})
    assert not together


def test_a_changed_number_word_with_the_same_answer_stays_apart():
    a = ("A drawer contains ten yellow socks, eight blue socks and one hundred pink socks. What is the smallest "
         "number of socks Amrita must pick without looking to be sure of two pairs of matching socks?")
    b = ("A drawer holds ten yellow socks, eight blue socks and four pink socks. What is the smallest "
         "number of socks Amrita must pick without looking to be sure of two pairs of matching socks?")
    assert not answer_confirmed(*normalize_series(frame([{"question": a}, {"question": b}])["question"]).to_list(), "six socks", "six socks")


# ---------------------------------------------------------------------------------- multiple choice
OPTIONS = ["$$16$$", "$$17$$", "$$18$$", "$$19$$"]


def test_multiple_choice_same_options_same_keyed_text_merges_even_with_a_small_number():
    a = {"question": LINE_A, "choices": ["5", "6", "7", "8"], "answer": "B"}
    b = {"question": LINE_B, "choices": ["8", "7", "6", "5"], "answer": "C"}  # options reordered: the same option "6"
    together, rows = _pair(a, b)
    assert together
    # the keys differ as letters but name one option text: not a conflict
    assert not any(r["conflicting_answers"] for r in rows.values())


def test_multiple_choice_other_keyed_option_stays_apart():
    a = {"question": LINE_A, "choices": OPTIONS, "answer": "C"}
    b = {"question": LINE_B, "choices": OPTIONS, "answer": "B"}
    together, _ = _pair(a, b)
    assert not together


def test_multiple_choice_other_options_stay_apart_even_with_the_same_keyed_text():
    a = {"question": LINE_A, "choices": OPTIONS, "answer": "C"}
    b = {"question": LINE_B, "choices": OPTIONS + ["$$20$$"], "answer": "C"}
    together, _ = _pair(a, b)
    assert not together


def test_multiple_choice_generic_keyed_option_never_confirms():
    opts = ["They overlap", "They interfere", "They move slower than the source", "All of these"]
    a = {"question": LINE_A, "choices": opts, "answer": "D"}
    b = {"question": LINE_B, "choices": opts, "answer": "D"}
    together, _ = _pair(a, b)
    assert not together


def test_free_response_and_its_multiple_choice_copy_compare_the_keyed_option_text():
    a = {"question": LINE_A, "answer": "18"}
    b = {"question": LINE_B, "choices": OPTIONS, "answer": "C"}  # option C is 18
    assert _pair(a, b)[0]
    b_wrong = {"question": LINE_B, "choices": OPTIONS, "answer": "A"}  # 16
    assert not _pair(a, b_wrong)[0]


# --------------------------------------------------------------------------------- informativeness
@pytest.mark.parametrize(
    ("answer", "free", "mc"),
    [("60", True, True), ("-12", True, True), ("0.5", True, True), ("\\dfrac{1}{52}", True, True), ("Sunday", True, True),
     ("7", False, True), ("$$6$$", False, True), ("5 (markers)", False, True), ("504 (books)", True, True), ("[2, 2]", False, True), ("$1$; $2$", False, True), ("[2, 15]", True, True),
     ("C", False, False), ("\\text{odd}", False, False), ("True, True", False, False), ("None of the above", False, False),
     (None, False, False), ("", False, False)],
)
def test_informative_answer(answer, free, mc):
    assert informative_answer(answer) is free
    assert informative_answer(answer, multiple_choice=True) is mc


# ------------------------------------------------------------------------------ other dedup paths
def test_incremental_mode_confirms_against_the_indexed_answer(tmp_path):
    idx = tmp_path / "idx"
    existing = frame([{"id": "old", "question": LINE_A, "answer": "18"}])
    update_index(existing, idx)
    rows = by_id(mark_duplicates(frame([{"id": "new", "question": LINE_B, "answer": "18"}]), index_dir=idx))
    assert rows["new"]["duplicate_of"] == "old" and rows["new"]["same_problem_by"] == "answer"
    rows = by_id(mark_duplicates(frame([{"id": "other", "question": LINE_B, "answer": "17"}]), index_dir=idx))
    assert rows["other"]["duplicate_of"] is None  # another answer: another problem


def test_band_group_edges_flag_the_tier_and_carry_it_to_the_cluster_step():
    df = frame([{"question": LINE_A, "answer": "18"}, {"question": LINE_B, "answer": "18"}, {"question": DIV_A, "answer": "24"}])
    settings = DedupSettings()
    sig = minhash_signatures(signature_texts(df), num_perm=settings.num_perm, seed=settings.seed, shingle_size=settings.shingle_size)
    linked = near_duplicate_edges(df, settings=settings, signatures=sig)
    assert linked.pairs.tolist() == [[0, 1]] and linked.by_answer.tolist() == [True]
    out = mark_duplicates(df, settings=settings, near_edges=(linked.pairs, linked.similarities, linked.by_answer))
    assert out["same_problem_by"].to_list() == mark_duplicates(df, settings=settings)["same_problem_by"].to_list()
    assert "answer" in out["same_problem_by"].to_list()
    off = near_duplicate_edges(df, settings=DedupSettings(answer_confirmed=False), signatures=sig)
    assert len(off.pairs) == 0 and not np.any(off.by_answer)


def test_incremental_mode_compares_the_indexed_keyed_option_text(tmp_path):
    idx = tmp_path / "idx"
    update_index(frame([{"id": "old", "question": LINE_A, "choices": ["5", "6", "7", "8"], "answer": "B"}]), idx)
    import polars as pl

    stored = pl.read_parquet(next(idx.glob("part-*.parquet")))["ans"].to_list()
    assert stored == ["6"]  # the keyed option's text, not the letter
    new = frame([{"id": "new", "question": LINE_B, "choices": ["8", "7", "6", "5"], "answer": "C"}])
    rows = by_id(mark_duplicates(new, index_dir=idx))
    assert rows["new"]["duplicate_of"] == "old" and rows["new"]["same_problem_by"] == "answer"
    assert not rows["new"]["conflicting_answers"]


def test_summary_and_card_count_the_answer_linked_duplicates():
    out = mark_duplicates(frame([{"question": LINE_A, "answer": "18"}, {"question": LINE_B, "answer": "18"},
                                 {"question": DIV_A, "answer": "24"}, {"question": DIV_A, "answer": "24"}]))
    s = dedup_summary(out)
    assert s["linked_by_answer"] == 1 and s["near_duplicates"] == 1 and s["exact_duplicates"] == 1
    assert "of which 1 reworded copies confirmed" in dedup_card_section(out)
