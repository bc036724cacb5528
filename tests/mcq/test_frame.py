"""Frame level: original_* preservation, idempotence, passthrough, drop/review columns, card, CLI."""

from __future__ import annotations

import json

import polars as pl
from hypothesis import given, settings as hsettings, strategies as st
from typer.testing import CliRunner

from curation.config import McqSettings
from curation.mcq import convert_item, convert_multiple_choice, mcq_card_section, mcq_counts
from schemas import conform


def frame(rows: list[dict]) -> pl.DataFrame:
    base = {"id": "x", "source": "test"}
    return conform(pl.DataFrame([{**base, "id": f"r{i}", **r} for i, r in enumerate(rows)],
                                schema_overrides={"choices": pl.List(pl.Utf8)}))


ROWS = [
    {"question": "A rectangle has length 8 cm and width 3 cm. What is its perimeter?",
     "choices": ["18 cm", "22 cm", "20 cm", "30 cm"], "answer": "B", "answer_type": "choice"},
    {"question": "Which of the following numbers is prime? (A) 21 (B) 27 (C) 29 (D) 33", "choices": ["21", "27", "29", "33"],
     "answer": "C", "answer_type": "choice"},
    {"question": "What is 1 + 2 + ... + 10?", "answer": "55", "answer_type": "integer"},
    {"question": "What is the ratio of a circle's circumference to its diameter?", "choices": ["3.14", "3.1416", "2.72", "1.41"],
     "answer": "A", "answer_type": "choice"},
    {"question": "What is 6 times 7? A) 36 B) 42 C) 48 D) 56", "answer": "B"},
    {"question": "Is 91 prime?", "choices": ["True", "False"], "answer": "B", "answer_type": "choice", "drop_reason": "too_easy"},
]


def test_outcomes_and_columns():
    df = frame(ROWS)
    out = convert_multiple_choice(df)
    assert out.height == df.height and out.columns == df.columns
    r = out.to_dicts()
    # converted, from ingest choices
    assert r[0]["mcq_status"] == "converted" and r[0]["mcq_method"] == "rule" and r[0]["rewritten_by"] == "mcq"
    assert (r[0]["answer"], r[0]["answer_unit"], r[0]["choices"]) == ("22", "cm", None)
    assert r[0]["answer_type"] == "integer"
    assert r[0]["original_question"] == ROWS[0]["question"]
    assert r[0]["original_answer"] == "B" and r[0]["original_choices"] == ROWS[0]["choices"]
    assert r[0]["drop_reason"] is None and r[0]["review_reason"] is None
    # not convertible: kept as is, dropped by default
    assert r[1]["mcq_status"] == "not_convertible" and r[1]["mcq_reason"] == "stem_depends_on_options"
    assert r[1]["question"] == ROWS[1]["question"] and r[1]["answer"] == "C" and r[1]["choices"] == ROWS[1]["choices"]
    assert r[1]["drop_reason"] == "mcq_not_convertible" and r[1]["rewritten_by"] is None and r[1]["mcq_method"] is None
    assert r[1]["original_question"] == ROWS[1]["question"]
    # not multiple choice: untouched
    assert r[2] == df.to_dicts()[2]
    # review: review_reason + proposal in metadata
    assert r[3]["mcq_status"] == "review" and r[3]["mcq_reason"] == "approximate_values"
    assert r[3]["review_reason"] == "mcq_ambiguous" and r[3]["drop_reason"] is None
    assert json.loads(r[3]["metadata"])["mcq_proposal"]["answer"] == "3.14"
    # inline options only (no choices column value): converted, options removed from the question
    assert (r[4]["question"], r[4]["answer"], r[4]["mcq_status"]) == ("What is 6 times 7?", "42", "converted")
    assert r[4]["original_choices"] == ["36", "42", "48", "56"]
    # an earlier stage's drop_reason wins
    assert r[5]["mcq_status"] == "not_convertible" and r[5]["drop_reason"] == "too_easy"


def test_keep_not_convertible_and_disabled():
    df = frame(ROWS)
    out = convert_multiple_choice(df, settings=McqSettings(drop_not_convertible=False))
    assert out.filter(pl.col("mcq_status") == "not_convertible")["drop_reason"].to_list() == [None, "too_easy"]
    assert convert_multiple_choice(df, settings=McqSettings(enabled=False)).equals(df)


def test_idempotent():
    once = convert_multiple_choice(frame(ROWS))
    twice = convert_multiple_choice(once)
    assert twice.equals(once)
    # a converted row whose status was lost still does not convert again: no options are left
    reset = once.with_columns(pl.lit(None, dtype=pl.Utf8).alias("mcq_status"))
    again = convert_multiple_choice(reset)
    assert again["question"].to_list() == once["question"].to_list()
    assert again["answer"].to_list() == once["answer"].to_list()


def test_non_mcq_frame_untouched_and_missing_columns():
    df = frame([{"question": "Compute 2+2.", "answer": "4"}, {"question": "Points A. and B. are 5 apart. Find AB.", "answer": "5"}])
    assert convert_multiple_choice(df).equals(df)
    bare = pl.DataFrame({"question": ["What is 2+3? A) 4 B) 5 C) 6"], "answer": ["B"]})
    out = convert_multiple_choice(bare)
    assert out["answer"].to_list() == ["5"] and out["mcq_status"].to_list() == ["converted"]


def test_puzzles_skipped():
    df = frame([{"question": "Which cell is empty? A) 1 B) 2", "answer": "A", "kind": "puzzle"}])
    assert convert_multiple_choice(df).equals(df)


def test_card_section():
    out = convert_multiple_choice(frame(ROWS))
    md = mcq_card_section(out)
    assert "## Multiple-choice conversion" in md
    assert "| converted | by rule | 2 |" in md
    assert "`stem_depends_on_options`" in md and "`approximate_values`" in md
    c = mcq_counts(out)
    assert c["converted"] == 2 and c["not_mcq"] == 1 and c["review"] == {"approximate_values": 1}
    assert "No multiple-choice items." in mcq_card_section(frame([{"question": "Compute 1+1.", "answer": "2"}]))


def test_cli(tmp_path):
    from curation.cli.main import app
    from curation.io import read_problems, write_problems

    src = tmp_path / "in.parquet"
    write_problems(frame(ROWS), src)
    res = CliRunner().invoke(app, ["convert-mcq", str(src), str(tmp_path / "out.parquet")])
    assert res.exit_code == 0, res.output
    assert "stem_depends_on_options" in res.output and "converted" in res.output
    out = read_problems(tmp_path / "out.parquet")
    assert out.filter(pl.col("mcq_status") == "converted").height == 2


letters = st.sampled_from("ABCD")
values = st.lists(st.integers(-500, 500), min_size=2, max_size=5, unique=True)


@hsettings(max_examples=150, deadline=None)
@given(values=values, pick=st.integers(0, 4), shape=st.integers(0, 3),
       stem=st.sampled_from(["What is the value of $k$?", "How many marbles are left?", "The total is", "Which of these is odd?"]))
def test_invariants(values, pick, shape, stem):
    """Whatever the shape: the converted answer is the picked option's value and no label remains."""
    pick %= len(values)
    opts = [str(v) for v in values]
    if shape == 0:
        conv = convert_item(stem, opts, pick)
    elif shape == 1:
        conv = convert_item(stem, [f"{'ABCDE'[i]}) {o}" for i, o in enumerate(opts)], "ABCDE"[pick])
    elif shape == 2:
        conv = convert_item(stem + " " + " ".join(f"({'ABCDE'[i]}) {o}" for i, o in enumerate(opts)), None, "ABCDE"[pick])
    else:
        conv = convert_item(stem + "\n" + "\n".join(f"{'ABCDE'[i]}. {o}" for i, o in enumerate(opts)), None, opts[pick])
    assert conv.status is not None
    if "Which" in stem:
        assert conv.status == "not_convertible"
    else:
        assert conv.status == "converted", conv
        assert conv.answer == opts[pick]
        assert conv.question.startswith(stem)
        assert "(A)" not in conv.question and "\nA." not in conv.question
