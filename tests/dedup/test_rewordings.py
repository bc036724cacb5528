"""Rewordings the same-problem rule accepts (curation.dedup.content) and the look-alikes it must keep
apart: renamed people (read from the original casing), unit words, phrases said two ways, OCR typos in
Chinese, a repeated phrase left out, a condition moved around the question. Pairs written for this file."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.dedup import mark_duplicates, normalize_series
from curation.dedup.content import number_keys, person_names, same_problem
from tests.dedup.helpers import frame


def _same(a: str, b: str, *, casing: bool = True) -> bool:
    na, nb = normalize_series(pl.Series([a, b])).to_list()
    return same_problem(na, nb, a, b) if casing else same_problem(na, nb)


JOSIE = ("Josie received $50 as a gift. She plans to buy two cassette tapes that cost $9 each and a headphone "
         "set that costs $25. How much money will she have left?")
FRANK = ("Frank stands in line and has $76$ people behind him. If there are a total of $110$ people in line, "
         "how many people are there in front of Frank?")


# ----------------------------------------------------------------------------------- renamed people
@pytest.mark.parametrize(
    ("a", "b"),
    [
        (JOSIE, JOSIE.replace("Josie", "Amanda")),  # only at the start of a sentence, but the text speaks of "she"
        (FRANK, FRANK.replace("Frank", "Ben")),  # inside a sentence too
        ("Manjari's average score on six tests is $82$. The average on two more tests is $98$. What is the average on all eight tests?",
         "Sophia's average score on six tests is $82$. The average on two more tests is $98$. What is the average on all eight tests?"),
        ("Tom and Ann share $12$ apples so that Tom gets $4$ more than Ann. How many apples does Ann get?",
         "Ann and Tom share $12$ apples so that Ann gets $4$ more than Tom. How many apples does Tom get?"),  # a swap is one-to-one
    ],
)
def test_a_person_renamed_consistently_is_the_same_problem(a, b):
    assert _same(a, b)


def test_a_rename_needs_the_original_casing():
    assert not _same(JOSIE, JOSIE.replace("Josie", "Amanda"), casing=False)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # lowercase nouns are not names
        ("There are $12$ boys in the club and $8$ more girls than boys. How many girls are in the club?",
         "There are $12$ girls in the club and $8$ more boys than girls. How many boys are in the club?"),
        # renamed in one place only: another person is asked about
        ("Frank has $76$ cards and Ben has $110$ cards. He gives $5$ away. How many cards does Frank have now?",
         "Frank has $76$ cards and Ben has $110$ cards. He gives $5$ away. How many cards does Ben have now?"),
        # two people become one
        ("Tom has $3$ apples and Ann has $5$ apples. She eats one. How many apples do Tom and Ann have?",
         "Tom has $3$ apples and Tom has $5$ apples. She eats one. How many apples do Tom and Tom have?"),
        # a day is not a name
        ("Sam says today is Monday. What day of the week is it $100$ days after Monday, says he?",
         "Sam says today is Tuesday. What day of the week is it $100$ days after Tuesday, says he?"),
        # an imperative at the start of a sentence, in a text about no one
        ("Simplify the expression $x^2 - 5x + 6$ completely.", "Factor the expression $x^2 - 5x + 6$ completely."),
    ],
)
def test_look_alike_renames_stay_apart(a, b):
    assert not _same(a, b)


def test_person_names_reads_capitalized_prose_words_only():
    assert person_names(JOSIE) == {"josie"}
    assert person_names("Simplify $Ax + By$. Then factor it.") == frozenset()
    assert person_names("In March, Lea paid $5$. How much did she pay?") == {"lea"}


def test_the_stage_passes_the_original_casing_to_the_rule():
    out = mark_duplicates(frame([{"question": JOSIE}, {"question": JOSIE.replace("Josie", "Amanda")}]))
    c = out["cluster_id"].to_list()
    assert c[0] is not None and c[0] == c[1]


_WORDS = st.sampled_from("apples pears boxes marbles tickets coins cards pencils stamps books".split())
_NAMES = st.sampled_from("Alice Bruno Chen Dara Emil Fatima Gwen Hiro".split())


@settings(max_examples=60, deadline=None)
@given(_NAMES, _NAMES, _WORDS, _WORDS, st.integers(2, 99), st.integers(2, 99))
def test_renames_merge_and_changed_nouns_do_not(name, other, noun, other_noun, x, y):
    text = (f"{name} buys {x} {noun} at a fair and sells {y} of the {noun} to a friend. "
            f"How many {noun} does {name} keep, and how much did she pay?")
    renamed = text.replace(name, other)
    assert _same(text, renamed)
    if noun != other_noun:  # another object counted: never merged, names or not
        assert not _same(text, text.replace(noun, other_noun))
    if name != other:  # renamed in one place only
        assert not _same(text, text.replace(name, other, 1))


# ------------------------------------------------------------------------- units, phrases, apostrophes
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Amy mixes $10$ grams of a sugar solution and $40$ grams of water. How much sugar is in the mix?",
         "Amy mixes $10$ g of a sugar solution and $40$ g of water. How much sugar is in the mix?"),
        ("A car drives $60$ kilometres in $45$ minutes. What is its average speed?",
         "A car drives $60$ km in $45$ min. What is its average speed?"),
        ("If the sum of every two numbers on opposite faces of the cube is identical, which number faces $4$?",
         "If the sum of every two numbers on opposite faces of the cube is the same, which number faces $4$?"),
        (r"What is the number on Avril\textquotesingle s card if it is next to $10$ but not to $12$?",
         "What is the number on Avril's card if it is next to $10$ but not to $12$?"),
        ("Which calculation gives the number of seconds in $24$ days: $24 x 60 x 60$ or $24 x 24 x 60 x 60$?",
         r"Which calculation gives the number of seconds in $24$ days: $24 \times 60 \times 60$ or $24 \times 24 \times 60 \times 60$?"),
    ],
)
def test_units_phrases_and_typography_said_two_ways(a, b):
    assert _same(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Amy mixes $10$ g of a sugar solution and $40$ g of water. How much sugar is in the mix?",
         "Amy mixes $10$ kg of a sugar solution and $40$ kg of water. How much sugar is in the mix?"),
        ("How many ways can $6$ identical balls be put into $3$ boxes if every box gets one?",
         "How many ways can $6$ distinct balls be put into $3$ boxes if every box gets one?"),
        ("Solve $2x + 3 = 7$ for $x$ and give the value of $x$ squared.", "Solve $2 + 3 = 7$ for $x$ and give the value of $x$ squared."),
    ],
)
def test_other_units_and_other_words_stay_apart(a, b):
    assert not _same(a, b)


# ------------------------------------------------------------------------------------- Chinese OCR
CHEM = "“春蚕到死丝方尽, 蜡炬成灰泪始干” 是唐代诗人李商隐的著名诗句, 下列关于该诗句中所涉及物质的说法错误的是"


def test_a_chinese_ocr_typo_is_the_same_problem():
    assert _same(CHEM, CHEM.replace("李商隐", "李商急"))


@pytest.mark.parametrize(
    "b",
    [
        CHEM.replace("错误", "正确"),  # wrong -> correct
        CHEM.replace("李商隐的著名诗句", "杜甫的著名诗歌作品"),  # too many characters changed for the text
        CHEM.replace("唐代", "宋代").replace("李商隐", "李白").replace("著名", "有名"),  # several changes
    ],
)
def test_chinese_changes_beyond_ocr_typos_stay_apart(b):
    assert not _same(CHEM, b)


def test_chinese_option_typos_share_the_budget_of_the_item():
    stem = "宋代《千里江山图》描绘了山清水秀的美丽景色, 历经千年色彩依然, 下列说法错误的是"
    good = ["保存该画需控制温度和湿度", "孔雀石、蓝铜矿颜料不易被空气氧化", "孔雀石、蓝铜矿颜料耐酸耐碱", "铜的质量分数较高"]
    garbled = ["保存该画需控制温度和湿度", "孔雀石、蓝铜喭喭不易被空气氧化", "孔雀石、蓝铜砿颜料耐酸耐碱", "铜的质量分数较高"]
    other = ["保存该画需控制温度和湿度", "孔雀石、蓝铜矿颜料容易被空气氧化", "孔雀石、蓝铜矿颜料耐酸耐碱", "铜的质量分数较低"]
    c = mark_duplicates(frame([{"question": stem, "choices": good}, {"question": stem, "choices": garbled},
                               {"question": stem, "choices": other}]))["cluster_id"].to_list()
    assert c[0] is not None and c[0] == c[1]
    assert c[2] != c[0]


# ---------------------------------------------------------------------- a repeated phrase left out
WALK = ("Lucy, Maria and Anna meet at $12:30$. Lucy's walk takes $10$ minutes, Maria's walk takes a quarter of an hour, "
        "and Anna's walk takes $40$ minutes. When must the slowest of them leave her house?")


def test_a_repeated_two_word_phrase_left_out_is_the_same_problem():
    short = WALK.replace("Maria's walk takes", "Maria's").replace("Anna's walk takes", "Anna's")
    assert _same(WALK, short)


@pytest.mark.parametrize(
    "b",
    [
        WALK.replace("Lucy's walk takes", "Lucy's").replace("Maria's walk takes", "Maria's").replace("Anna's walk takes", "Anna's"),
        WALK.replace("Maria's walk takes a quarter", "Maria's slow bike ride takes a quarter"),  # words said once, added
    ],
)
def test_phrases_said_nowhere_else_stay_apart(b):
    assert not _same(WALK, b)


# ------------------------------------------------------------------ a condition moved around the question
TREES = "$37$ trees were planted along one side of the road at $4$ m intervals and pines on the other side at $6$ m intervals."


def test_a_condition_said_after_the_question_is_the_same_problem():
    a = TREES + " If there were trees at both ends of the road, how many pines were planted?"
    b = TREES + " How many pines were planted, if there were trees at both ends of the road?"
    assert _same(a, b)


def test_steps_in_another_order_stay_apart():
    a = "Take the number $5$. Add $3$ to it. Multiply the result by $2$. What number do you get?"
    b = "Take the number $5$. Multiply the result by $2$. Add $3$ to it. What number do you get?"
    assert not _same(a, b)


def test_a_question_moved_without_a_condition_stays_apart():
    a = TREES + " The road is straight, how many pines were planted?"
    b = TREES + " How many pines were planted, the road is straight?"
    assert not _same(a, b)


# ------------------------------------------------------------------ blanks, hyphens, short plurals
@pytest.mark.parametrize(
    ("a", "b"),
    [
        (r"$$123+234+345$$ divided by $$4$$ has a remainder of~\uline{~~~~~~~~~~}~.", "$$123+234+345$$ divided by $$4$$ has a remainder of."),
        (r"The sum $1+2+3$ is \underline{\hspace{1cm}} and the product is ____.", "The sum $1+2+3$ is and the product is."),
        ("I ate half of an apple pie on Saturday and two-thirds of the rest on Sunday. What fraction is left?",
         "I ate half an apple pie on Saturday and two thirds of the rest on Sunday. What fraction is left?"),
        ("Let $N$ be the greatest five$-$digit number whose digits have a product of $120$. Find the digit sum.",
         "Let $N$ be the greatest five-digit number whose digits have a product of $120$. Find the digit sum."),
        ("Her average score on the seventh and eighth tests is $98$ and on six tests $82$. What is the average on all tests?",
         "Her average score on the seventh and eighth test is $98$ and on six tests $82$. What is the average on all tests?"),
    ],
)
def test_blanks_hyphens_and_short_plurals_do_not_matter(a, b):
    assert _same(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Find the root of $x^2 = 4$ that lies on the positive part of the number line, exactly.",
         "Find the roots of $x^2 = 4$ that lies on the positive part of the number line, exactly."),
        ("Compute the value of $x-y$ when $x = 7$ and $y = 3$ are given in the problem here.",
         "Compute the value of $xy$ when $x = 7$ and $y = 3$ are given in the problem here."),
        (r"The number $2+3$ is \underline{odd}, and so is the number $7$: what is their sum, written in words?",
         r"The number $2+3$ is \underline{\hspace{1cm}}, and so is the number $7$: what is their sum, written in words?"),
    ],
)
def test_significant_plurals_math_minus_and_filled_blanks_stay_apart(a, b):
    assert not _same(a, b)


# ------------------------------------------------------------------------------ example sentences
SQUARES = ("A whole number is a perfect square if it is the product of two equal whole numbers.{} "
           "How many perfect squares are greater than $0$ and less than $1000$?")


@pytest.mark.parametrize(
    "example",
    [" For example, $9$ is a perfect square since $9 = 3 \\times 3$.", " For instance, 2.25 is not a whole number, so it is not one!"],
)
def test_an_example_sentence_is_not_part_of_the_problem(example):
    plain, with_example = SQUARES.format(""), SQUARES.format(example)
    assert _same(plain, with_example)
    c = mark_duplicates(frame([{"question": plain}, {"question": with_example}]))["cluster_id"].to_list()
    assert c[0] is not None and c[0] == c[1]  # the example's numbers stay out of the number key: one LSH bucket


def test_an_example_that_asks_or_a_changed_statement_is_not_left_out():
    plain = SQUARES.format("")
    assert not _same(plain, SQUARES.format(" For example, is $9$ a perfect square?"))
    assert not _same(plain, SQUARES.format(" For example, $9$ is a square.").replace("$1000$", "$2000$"))
    assert number_keys(normalize_series(pl.Series(["For example, 2.5 is not whole. Find $3$.", "Find $3$."]))).tolist() == [
        number_keys(normalize_series(pl.Series(["Find $3$."])))[0]
    ] * 2
    # an example that asks is part of the problem: its numbers stay in the key
    asks, both = normalize_series(pl.Series(["For example, is $9$ a square? Find $3$.", "$9$ $3$"]))
    assert number_keys(pl.Series([asks, both])).tolist()[0] == number_keys(pl.Series([asks, both])).tolist()[1]
