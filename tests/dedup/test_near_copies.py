"""Near copies the same-problem rule accepts beyond re-formatting (curation.dedup.content), and the
look-alike edits it must still reject. Each pair is written for this file, not taken from a data set."""

from __future__ import annotations

import polars as pl
import pytest

from curation.dedup import normalize_series
from curation.dedup.content import SIGNIFICANT_WORDS, number_keys, same_problem, same_problem_pairs


def _same(a: str, b: str) -> bool:
    na, nb = normalize_series(pl.Series([a, b])).to_list()
    return same_problem(na, nb)


LONG = "A farmer plants $12$ rows of $30$ trees each and sells the apples at a market for $4$ dollars a basket."

ACCEPTED = {
    "operator dropped next to an ellipsis": (
        r"Let $S = b_1 y + b_3 y^3 + \cdots + b_{99} y^{99}$ over $1 + b_2 y^2 \cdots + b_{98} y^{98}$. Find $b_{99}$.",
        r"Let $S = b_{1}y + b_{3}y^{3} + \ldots + b_{99}y^{99}$ over $1 + b_{2}y^{2} + \ldots + b_{98}y^{98}$. Find $b_{99}$.",
    ),
    "a unit word left out wherever it appears": (
        "Stamps in Tilia come in values of $4$, $9$ and $14$ pennies. Let $m$ be the largest price in pennies that no set of stamps pays exactly. Find $m$.",
        "Stamps in Tilia come in values of 4, 9 and 14. Let m be the largest price that no set of stamps pays exactly. Find m.",
    ),
    "one descriptive verb left out": (
        "The whistle you notice from a parked train compared with the whistle you notice as it leaves gives a lowered pitch",
        "The whistle you notice from a parked train compared with the whistle as it leaves gives a lowered pitch",
    ),
    "the number line said two ways": (
        "Remove the zeros of $Q(t)=(t-2)(t-5)^2(t-7)^3$ from the real number line; on how many of the intervals left is $Q$ negative?",
        "Remove the zeros of $Q(t)=(t-2)(t-5)^2(t-7)^3$ from the number line; on how many of the intervals left is $Q$ negative?",
    ),
    "'which one of' for 'which of'": (
        "Which one of these five claims about the triangle with sides $3$, $4$, $5$ is false:",
        "Which of these five claims about the triangle with sides $3$, $4$, $5$ is false?",
    ),
    "a copy cut off in the middle of its first word": (
        "Nonzero integers $p$ and $q$ satisfy $p^3 = q^2$ and $(q-p)^2 = 9q^2$. What is $p+q$?",
        "ro integers p and q satisfy $p^{3}=q^{2}$ and $(q-p)^{2}=9q^{2}$. What is p+q?",
    ),
    "a copy cut off in the middle of its last word": (
        "Each of $7$ friends shakes hands with each other friend once at the party. How many handshakes take place at the party?",
        "Each of $7$ friends shakes hands with each other friend once at the party. How many handshakes take place at the pa",
    ),
    "an operator name typed as a command": (
        r"Integers $a$ and $b$ satisfy $ab = 2^4 \cdot 3^2$ and $\text{lcm}(a,b) = 2^4 \cdot 3$. What is $\text{gcd}(a,b)$?",
        r"Integers $a$ and $b$ satisfy $ab = 2^4 \cdot 3^2$ and $\operatorname{lcm}(a,b) = 2^4 \cdot 3$. What is $\gcd(a,b)$?",
    ),
    "a literal backslash-n in a display block": (
        "Solve the system \\begin{align}\\nx + y &= 10 \\\\\\nx - y &= 4\\n\\end{align} for the ordered pair $(x,y)$ of reals.",
        "Solve the system \\begin{align}\n x + y &= 10 \\\\\n x - y &= 4\n\\end{align} for the ordered pair $(x,y)$ of reals.",
    ),
    "a source citation after the question": (
        "A fair $8$-sided die is rolled twice. What is the probability that the second roll is larger? (2015 AMC 8 Problems, Question #21)",
        "A fair $8$-sided die is rolled twice. What is the probability that the second roll is larger?",
    ),
    "two spellings of one source citation": (
        "Ten coins lie in a row and $4$ show heads. How many ways are there to pick $2$ tails? (adapted from 2008 Math Kangaroo, Level 3-4, Question #9)",
        "Ten coins lie in a row and $4$ show heads. How many ways are there to pick $2$ tails?（2008 Math Kangaroo Problem, Question \\#9）",
    ),
    "a citation with a space, dollars and 'adapted' without 'from'": (
        "Ten coins lie in a row and $4$ show heads. How many ways are there to pick $2$ tails? ( $$2004$$ AMC $$8$$ Problem, Question \\#$$12$$)",
        "Ten coins lie in a row and $4$ show heads. How many ways are there to pick $2$ tails? (adapted 2019 AMC 8, Question \\#8)",
    ),
    "bold type around a statement": (
        r"Ann said: \textbf{Bea took the pen.} Bea said: \textbf{Cal took it.} Only one of the $3$ girls lies. Who took the pen?",
        "Ann said: Bea took the pen. Bea said: Cal took it. Only one of the $3$ girls lies. Who took the pen?",
    ),
    "'respectively' left out": (
        "Two jars hold $12$ and $20$ marbles respectively, and Tom moves marbles until both jars hold the same number. How many does he move?",
        "Two jars hold $12$ and $20$ marbles, and Tom moves marbles until both jars hold the same number. How many does he move?",
    ),
    "two prose words run together": (
        "Iate half of a cake on Monday and a third of what was left on Tuesday. What fraction of the cake is left now?",
        "I ate half of a cake on Monday and a third of what was left on Tuesday. What fraction of the cake is left now?",
    ),
}

REJECTED = {
    "two variables run together in math": (
        "Given that $a+b=7$ and that both are positive integers below $7$, find the largest possible value of $ab$ here.",
        "Given that $a+b=7$ and that both are positive integers below $7$, find the largest possible value of $a,b$ here.",
    ),
    "a parenthesis with a year that is part of the problem": (
        "How many Sundays fall in the first $60$ days of the year (2023 was the year of the count)? Give the total days too.",
        "How many Sundays fall in the first $60$ days of the year (2024 was the year of the count)? Give the total days too.",
    ),
    "an adjective that changes the mathematics is added": (
        "How many roots of the polynomial $x^4 - 5x^2 + 4$ lie in the interval from $-3$ to $3$ on the graph?",
        "How many real roots of the polynomial $x^4 - 5x^2 + 4$ lie in the interval from $-3$ to $3$ on the graph?",
    ),
    "'distinct' added": (
        "In how many ways can you choose three positive integers whose sum is $12$ and whose product is even?",
        "In how many ways can you choose three distinct positive integers whose sum is $12$ and whose product is even?",
    ),
    "'not' added": (
        "How many of the integers from $1$ to $200$ inclusive are divisible by $6$ or by $15$ in total?",
        "How many of the integers from $1$ to $200$ inclusive are not divisible by $6$ or by $15$ in total?",
    ),
    "one new word said once (it adds information)": (
        "A tank holds $40$ liters of water and leaks $3$ liters an hour through a crack at the base. After how long is it empty?",
        "A tank holds $40$ liters of water and leaks $3$ liters an hour through a narrow crack at the base. After how long is it empty?",
    ),
    "two different extra words": (
        "A tank holds $40$ liters of water and leaks $3$ liters an hour through a crack at the base. After how long is it empty?",
        "A large tank holds $40$ liters of water and leaks $3$ liters an hour through a narrow crack at the base. After how long is it empty?",
    ),
    "a variable added in the prose": (
        "Find the number of ordered pairs of integers with $1 \\le a < b \\le 30$ such that $a+b$ divides $ab$ exactly once.",
        "Find the number of ordered pairs of integers x with $1 \\le a < b \\le 30$ such that $a+b$ divides $ab$ exactly once.",
    ),
    "an operator missing away from any ellipsis": (
        "Given that $x + y = 12$ and $xy = 20$ for the two positive reals below, compute the value of $x^2 + y^2 + 2$ now.",
        "Given that $x + y = 12$ and $xy = 20$ for the two positive reals below, compute the value of $x^2 y^2 + 2$ now.",
    ),
    "a short text with one more word": (
        "Which statement is true?",
        "Which statement is always true?",
    ),
    "a shorter copy cut at a word boundary (a sub-question, not a cut)": (
        "A bag holds $5$ red and $3$ blue balls and two are drawn at once without looking. What is the chance both are red?",
        "A bag holds $5$ red and $3$ blue balls and two are drawn at once without looking. What is the chance both are red? What is the chance they differ?",
    ),
    "a cut copy that lost a number": (
        "Positive reals $u$ and $v$ satisfy $v^3 = u^2$ and $(v-u)^2 = 4v^2$ and $u > 2$. What is $u+v$ then?",
        "itive reals u and v satisfy $v^{3}=u^{2}$ and $(v-u)^{2}=4v^{2}$ and u >. What is u+v then?",
    ),
    "a function word replaced by a content word": (
        "A train leaves the station at $9$ and travels $120$ miles at a steady speed of $40$ miles an hour. When does it arrive?",
        "A train leaves bridge station at $9$ and travels $120$ miles at a steady speed of $40$ miles an hour. When does it arrive?",
    ),
    "two neighbouring words swapped": (
        "A painter mixes $3$ cans of blue paint with $5$ cans of green paint and pours the mix into buckets. How many buckets?",
        "A painter mixes $3$ cans of green paint with $5$ cans of blue paint and pours the mix into buckets. How many buckets?",
    ),
    "a renamed quantity, not a dropped word": (
        "Josie has $50$ dollars. She buys two tapes at $9$ dollars each and headphones at $25$ dollars. How much does she keep?",
        "Josie has $50$ dollars. She buys two tapes at $9$ dollars each and speakers at $25$ dollars. How much does she keep?",
    ),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_near_copy_is_the_same_problem(name: str) -> None:
    a, b = ACCEPTED[name]
    assert _same(a, b) and _same(b, a)


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_look_alike_edit_is_another_problem(name: str) -> None:
    a, b = REJECTED[name]
    assert not _same(a, b) and not _same(b, a)


def test_source_citation_numbers_are_not_problem_numbers() -> None:
    # the citation's year and problem number must not split the copies into two LSH buckets
    for name in ("a source citation after the question", "a citation with a space, dollars and 'adapted' without 'from'"):
        a, b = ACCEPTED[name]
        ka, kb = number_keys(normalize_series(pl.Series([a, b])))
        assert ka == kb, name
    c, d = REJECTED["a parenthesis with a year that is part of the problem"]
    kc, kd = number_keys(normalize_series(pl.Series([c, d])))
    assert kc != kd


def test_maths_changing_words_are_listed() -> None:
    # the words the issue names as changing the mathematics never count as a harmless extra word
    assert {"real", "positive", "distinct", "integer", "prime", "not"} <= SIGNIFICANT_WORDS


def test_pairs_helper_agrees_with_the_pairwise_rule() -> None:
    texts = [t for pair in list(ACCEPTED.values()) + list(REJECTED.values()) for t in pair]
    norms = normalize_series(pl.Series(texts))
    pairs = [(2 * k, 2 * k + 1) for k in range(len(texts) // 2)]
    got = same_problem_pairs(norms, pairs).tolist()
    assert got == [same_problem(norms[i], norms[j]) for i, j in pairs]
    assert got == [True] * len(ACCEPTED) + [False] * len(REJECTED)
