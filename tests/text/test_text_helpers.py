"""Shared text helpers: normalization, boxed-answer extraction, literal parsing of untrusted text."""

from __future__ import annotations

import pytest

from curation.text import MAX_LITERAL_CHARS, find_boxed, last_boxed, normalize_text, parse_literal


def test_normalize_keeps_meaning_and_line_breaks():
    assert normalize_text("  Ｆｉｎｄ  $x$ ,\r\n\r\n\r\n\r\nif  x=２ ") == "Find $x$ ,\n\nif x=2"
    assert normalize_text(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so \\boxed{12} ... wait, \\boxed{15}", "15"),
        ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
        ("\\fbox{7} and then \\boxed{}", "7"),  # an empty box is no answer
        ("\\boxed{a \\{ b}", "a \\{ b"),  # an escaped brace does not count toward the balance
        ("\\boxed{ x } tail \\boxed{unclosed", "x"),
        ("no box here", None),
        (None, None),
    ],
)
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


def test_find_boxed_reports_every_balanced_group():
    groups = find_boxed("\\boxed{1} and \\boxed{2^{3}}")
    assert [g[2] for g in groups] == ["1", "2^{3}"]


@pytest.mark.timeout(10)
def test_last_boxed_is_bounded_on_thousands_of_unclosed_groups():
    text = "\\boxed{" * 50_000 + "x" * 100_000
    assert last_boxed(text) is None
    assert last_boxed(text + " \\boxed{3}") == "3"


def test_parse_literal_reads_json_and_python_literals_only():
    assert parse_literal("['2']") == ["2"]
    assert parse_literal('{"A": 1}') == {"A": 1}
    assert parse_literal("__import__('os').system('touch /tmp/pwned')") is None
    assert parse_literal("[" * 100_000) is None
    assert parse_literal("[" + "1," * MAX_LITERAL_CHARS + "1]") is None  # too large to parse
