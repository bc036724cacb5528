"""The answer-confirmed path: a reworded copy the text rules reject is a hit when both reference answers
are equivalent and informative, the numbers agree and the pair is covered `answer_min_cover`."""

from __future__ import annotations

import polars as pl
import pytest

from curation.config import DecontaminateSettings
from curation.decontaminate import contamination_card_section, contamination_summary, find_matches, mark_contamination
from curation.errors import ConfigError
from schemas import conform

ITEM = (
    "A jar holds 12 red marbles and 18 blue marbles. Two marbles are drawn at random without replacement. "
    "What is the probability that both marbles drawn are blue? Express your answer as a common fraction."
)
ITEM_ANSWER = "\\frac{51}{145}"
# the same problem retold: other verbs, an added story sentence, the format sentence dropped
COPY = (
    "Maya's jar holds 12 red marbles and 18 blue marbles. She likes blue best. Without looking, she takes out "
    "two marbles at random without replacement. What is the chance that both marbles drawn are blue?"
)
OTHER = "A bag holds 7 green balls and 9 white balls. One ball is drawn. What is the probability it is white?"
BENCH = pl.DataFrame(
    {"source_id": ["jar", "bag"], "question": [ITEM, OTHER], "answer": [ITEM_ANSWER, "\\frac{9}{16}"]}
)
# unrelated rows, so that word and n-gram frequencies are those of a (small) corpus
FILLER = [
    f"A shop sells {i + 2} kinds of tea and {i + 5} kinds of cake. In how many ways can a customer pick one "
    f"tea and two different cakes if {i} cakes are sold out?"
    for i in range(30)
]


def _mark(question: str, answer: str | None, settings: DecontaminateSettings = DecontaminateSettings(), **extra) -> dict:
    rows = [question, *FILLER]
    data = {"question": rows, "answer": [answer] + ["12"] * len(FILLER), "id": [f"r{i}" for i in range(len(rows))]}
    for k, v in extra.items():
        data[k] = [v] + [None] * len(FILLER)
    out = mark_contamination(conform(pl.DataFrame(data)), benchmarks={"bench": BENCH}, settings=settings)
    return out.row(0, named=True)


def test_premise_the_text_rules_alone_reject_the_reworded_copy():
    row = _mark(COPY, "51/145", DecontaminateSettings(answer_confirmed=False))
    assert row["contam_bench"] is None


def test_reworded_copy_with_the_same_answer_is_a_hit_with_answer_evidence():
    row = _mark(COPY, "51/145")  # the verifier sees 51/145 = \frac{51}{145}
    assert row["contam_bench"] == "jar"
    assert row["contaminated_by"] == ["bench"]
    assert row["drop_reason"] == "contaminated"
    (ev,) = row["contamination"]
    assert ev["kind"] == "answer" and ev["item_id"] == "jar" and ev["score"] >= 0.25 and ev["span"]


def test_multiple_choice_row_compares_its_keyed_option_text():
    row = _mark(COPY, "C", choices=["\\frac{3}{5}", "\\frac{22}{145}", "\\frac{51}{145}", "\\frac{1}{2}"])
    assert row["contam_bench"] == "jar"


def test_multiple_choice_row_whose_key_names_another_option_is_not_a_hit():
    row = _mark(COPY, "B", choices=["\\frac{3}{5}", "\\frac{22}{145}", "\\frac{51}{145}", "\\frac{1}{2}"])
    assert row["contam_bench"] is None


def test_template_sibling_with_another_answer_is_not_a_hit():
    sibling = COPY.replace("both marbles drawn are blue", "both marbles drawn are red")
    assert _mark(sibling, "22/145")["contam_bench"] is None


def test_same_rewording_with_another_answer_is_not_a_hit():
    assert _mark(COPY, "\\frac{3}{5}")["contam_bench"] is None


def test_a_number_of_the_sparser_side_missing_from_the_other_blocks_the_path():
    # an answer that agrees by chance: 13 red marbles is another problem
    assert _mark(COPY.replace("12 red", "13 red"), "51/145")["contam_bench"] is None


def test_extra_numbers_on_the_richer_side_are_allowed():
    # the item states a number the copy leaves out ("6-sided" / "two dice"): still the same problem
    fuller = COPY.replace("12 red marbles and 18 blue marbles", "12 red marbles and 18 blue marbles, 30 in all")
    assert _mark(fuller, "51/145")["contam_bench"] == "jar"


@pytest.mark.parametrize(
    "item_answer,row_answer",
    [("5", "5"), ("-3", "-3"), ("yes", "Yes"), ("B", "B"), ("True", "true"), ("None of the above", "none of the above")],
)
def test_uninformative_answers_never_confirm(item_answer, row_answer):
    bench = BENCH.with_columns(pl.Series("answer", [item_answer, "\\frac{9}{16}"]))
    rows = [COPY, *FILLER]
    df = conform(pl.DataFrame({"question": rows, "answer": [row_answer] + ["12"] * len(FILLER)}))
    out = mark_contamination(df, benchmarks={"bench": bench}, settings=DecontaminateSettings())
    assert out["contam_bench"][0] is None


def test_a_missing_answer_confirms_nothing():
    assert _mark(COPY, None)["contam_bench"] is None
    df = conform(pl.DataFrame({"question": [COPY, *FILLER]}))  # no answer column at all
    out = mark_contamination(df, benchmarks={"bench": BENCH.drop("answer")}, settings=DecontaminateSettings())
    assert out["contam_bench"][0] is None


def test_setting_off_disables_the_path():
    assert _mark(COPY, "51/145", DecontaminateSettings(answer_confirmed=False))["contamination"] == []


def test_find_matches_honours_the_setting_when_given_answers():
    rows = pl.Series([COPY, *FILLER])
    answers = pl.Series(["51/145"] + ["12"] * len(FILLER))
    on = find_matches(rows, {"bench": BENCH}, settings=DecontaminateSettings(), answers=answers)
    off = find_matches(rows, {"bench": BENCH}, settings=DecontaminateSettings(answer_confirmed=False), answers=answers)
    assert on.filter(pl.col("row") == 0)["kind"].to_list() == ["answer"]
    assert off.filter(pl.col("row") == 0).height == 0


def test_texts_without_numbers_are_not_confirmed_by_answer():
    item = "Which planet of the solar system has the longest day, measured from sunrise to sunrise?"
    row = "Which planet of the solar system has the longest day? Count it from one sunrise to the next sunrise."
    bench = pl.DataFrame({"source_id": ["venus"], "question": [item], "answer": ["Venus"]})
    df = conform(pl.DataFrame({"question": [row, *FILLER], "answer": ["Venus"] + ["12"] * len(FILLER)}))
    out = mark_contamination(df, benchmarks={"bench": bench}, settings=DecontaminateSettings(answer_min_cover=0.0))
    assert out["contam_bench"][0] is None


def test_coverage_threshold_is_a_setting():
    assert _mark(COPY, "51/145", DecontaminateSettings(answer_min_cover=0.99))["contam_bench"] is None


def test_unrelated_text_with_the_same_answer_is_not_a_hit():
    unrelated = "A square has side 17 and a circle has radius 4. Find the ratio of their areas as a fraction."
    assert _mark(unrelated, "51/145")["contam_bench"] is None


def test_a_verbatim_copy_is_still_a_text_hit():
    (ev,) = _mark(ITEM, ITEM_ANSWER)["contamination"]
    assert ev["kind"] == "problem"


def test_answer_min_cover_must_be_a_share():
    with pytest.raises(ConfigError):
        _mark(COPY, "51/145", DecontaminateSettings(answer_min_cover=1.5))


def test_a_negation_blocks_the_path_even_with_the_same_answer():
    negated = COPY.replace("both marbles drawn are blue", "both marbles drawn are not blue")
    assert _mark(negated, "51/145")["contam_bench"] is None


def test_summary_and_card_count_answer_confirmed_hits_as_hits():
    df = conform(pl.DataFrame({"question": [COPY, ITEM, *FILLER], "answer": ["51/145", ITEM_ANSWER] + ["12"] * len(FILLER)}))
    out = mark_contamination(df, benchmarks={"bench": BENCH}, settings=DecontaminateSettings())
    s = contamination_summary(out)
    assert s["benchmarks"]["bench"] == {"problem": 2, "answer": 1, "template": 0}
    assert s["rows"] == 2
    assert "| bench | 2 | 1 | 0 |" in contamination_card_section(out)


@pytest.mark.parametrize(
    "item_answer,row_answer",
    [("x - y = 0", "2x + y = 0"), ("\\lim_{n \\to \\infty} a_n = \\frac{51}{145}", "\\frac{51}{145}"), ("x \\neq 1", "x \\neq 1")],
)
def test_relation_answers_never_confirm(item_answer, row_answer):
    # the verifier compares equations by their right-hand side: two different ones "= 0" would agree
    bench = BENCH.with_columns(pl.Series("answer", [item_answer, "\\frac{9}{16}"]))
    df = conform(pl.DataFrame({"question": [COPY, *FILLER], "answer": [row_answer] + ["12"] * len(FILLER)}))
    out = mark_contamination(df, benchmarks={"bench": bench}, settings=DecontaminateSettings())
    assert out["contam_bench"][0] is None
