"""The value-kind registry (`curation/verifier/kinds.py`) agrees with every branch on kinds."""

from __future__ import annotations

import pytest

from curation.verifier import canonical_form, classify_answer_type, judge
from curation.verifier.kinds import CLOCK_TIME, VALUE_KINDS, kind_name, tag_of
from curation.verifier.prepare import prepare

KINDS = list(VALUE_KINDS.values()) + [CLOCK_TIME]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.tag)
def test_example_parses_to_its_kind_and_every_branch_handles_it(kind):
    p = prepare(kind.example)
    assert p.error is None, p.error
    if kind is CLOCK_TIME:
        assert p.clock is not None
    else:
        assert tag_of(p.value) == kind.tag
        if kind.tag != "expr":
            assert kind_name(p.value) == kind.name
    # comparison: an answer matches itself written with extra spacing (not just the string fast path)
    spaced = " " + kind.example.replace(",", " , ") + " "
    assert judge(kind.example, spaced).outcome == "equivalent", kind.tag
    assert canonical_form(kind.example) is not None
    declared = kind.answer_type or "expression"
    assert classify_answer_type(kind.example) == declared


def test_every_parser_tag_is_registered():
    import re
    from pathlib import Path

    import curation.verifier.parse as parse

    produced = set(re.findall(r'return \("([a-z]+)",', Path(parse.__file__).read_text()))
    produced |= {"list", "set", "text", "choice", "bool"}
    expression = {"n", "s", "c", "+", "*", "^", "f", "!", "C", "pm"}
    assert produced - expression <= set(VALUE_KINDS), produced - expression - set(VALUE_KINDS)
