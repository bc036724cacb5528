"""The split step, and the end-to-end invariant: every input row ends in exactly one place."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.clean import flag_problems
from curation.drop import outcome_counts, split_outcomes
from curation.ingest import ingest_file
from schemas import conform


def test_split_rules():
    df = conform(pl.DataFrame({
        "id": list("abcdef"),
        "source": ["s"] * 6,
        "question": ["q"] * 6,
        "drop_reason": [None, "proof", None, None, "duplicate", None],
        "review_status": [None, None, "pending", None, "pending", "accepted"],
        "review_reason": [None, None, "disputed_reference", "mcq_ambiguous", None, "disputed_reference"],
    }))
    o = split_outcomes(df)
    assert o.kept["id"].to_list() == ["a", "f"]
    assert o.dropped["id"].to_list() == ["b", "e"]
    assert o.review["id"].to_list() == ["c", "d"]
    counts = outcome_counts(o)
    assert counts["drop_reasons"] == {"proof": 1, "duplicate": 1} or counts["drop_reasons"] == {"duplicate": 1, "proof": 1}
    assert counts["review_reasons"] == {"disputed_reference": 1, "mcq_ambiguous": 1}
    assert counts["sources"] == {"s": {"kept": 2, "dropped": 2, "review": 2, "quarantined": 0}}
    assert counts["total"] == 6


_VALID = st.fixed_dictionaries({
    "question": st.one_of(st.text(max_size=60), st.sampled_from([
        "Find the number of positive divisors of 360.", "Prove that 2 is prime.", "(a) Find x. (b) Find y.",
        "In the figure below, find the angle.", "Is 7 prime?", "What is $1/2 + 1/4$? A) 3/4 B) 1/2"])),
    "answer": st.one_of(st.none(), st.integers(-5, 5000), st.floats(allow_nan=False, allow_infinity=False, width=32),
                        st.sampled_from(["yes", "['2']", "['1', '2']", "5 cm", "A", "", "[1, 2]"]), st.text(max_size=10)),
}, optional={"solution": st.sampled_from(["so \\boxed{4}", "nothing"]), "choices": st.sampled_from([["1", "2"], []]),
             "extra": st.integers()})
_LINE = st.one_of(
    _VALID.map(lambda d: ("row", json.dumps(d))),
    st.sampled_from(["{not json", "[1, 2, 3]", "42", '"text"', '{"question": ', "null"]).map(lambda s: ("bad", s)),
    st.just(("row", "{}")),
    st.sampled_from(["", "   "]).map(lambda s: ("blank", s)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_LINE, min_size=1, max_size=25))
def test_every_input_line_is_accounted_for_exactly_once(tmp_path_factory, lines):
    path = Path(tmp_path_factory.mktemp("inv")) / "mix.jsonl"
    path.write_text("\n".join(text for _, text in lines) + "\n", encoding="utf-8")
    expected_rows = {i + 1 for i, (kind, _) in enumerate(lines) if kind == "row"}
    expected_bad = {i + 1 for i, (kind, _) in enumerate(lines) if kind == "bad"}

    try:
        result = ingest_file(path)
    except Exception as exc:  # only a file with no question field at all may fail, and clearly
        from curation.errors import SourceError

        assert isinstance(exc, SourceError) and "no question field" in str(exc)
        return
    df = flag_problems(result.problems)
    o = split_outcomes(df)
    assert o.total + result.quarantine.height == result.rows_read == len(expected_rows) + len(expected_bad)
    assert set(result.quarantine["line"].to_list()) == expected_bad
    lines_out = o.kept["source_row"].to_list() + o.dropped["source_row"].to_list() + o.review["source_row"].to_list()
    assert sorted(lines_out) == sorted(expected_rows)  # every line exactly once
    assert o.dropped["drop_reason"].is_not_null().all()
    assert o.kept["drop_reason"].is_null().all()
