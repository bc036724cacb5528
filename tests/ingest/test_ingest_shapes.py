"""Real answer shapes read from config alone (issue 13): worked answers, label keys, context, boilerplate."""

from __future__ import annotations

import json

import pytest

from curation.config import FieldMapping, SourceConfig
from curation.errors import SourceError
from curation.ingest import ingest_source
from curation.text import strip_trailing_boilerplate


def ingest(tmp_path, rows, **kw):
    p = tmp_path / "in.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return ingest_source(SourceConfig(name="s", path=str(p), **kw)).problems


def test_hash_answer_is_recognised_by_default(tmp_path):
    rows = [
        {"question": "Ann has 3 bags of 4 apples. How many apples?", "answer": "3 bags of 4 is 3*4=<<3*4=12>>12.\n#### 12"},
        {"question": "A farm sells 1200 eggs a day for 2 days. How many?", "answer": "Twice 1200 is <<2*1200=2400>>2400.\n#### 2,400"},
    ]
    out = ingest(tmp_path, rows)
    assert out["answer"].to_list() == ["12", "2400"]
    assert out["answer_type"].to_list() == ["integer", "integer"]
    assert out["solution"][0] == "3 bags of 4 is 3*4=12." and "<<" not in out["solution"][1]
    assert out["raw_answer"][0].endswith("#### 12")  # the source text is kept


@pytest.mark.parametrize(
    ("mode", "answer", "want", "extra"),
    [
        ("boxed", "We add them, so the total is $\\boxed{15}$.", "15", {}),
        ("answer_is", "Adding gives 15. The answer is 15.", "15", {}),
        ("regex", "... so we conclude: ANSWER=15 (checked)", "15", {"answer_pattern": r"ANSWER=(\d+)"}),
    ],
)
def test_answer_extraction_modes(tmp_path, mode, answer, want, extra):
    out = ingest(tmp_path, [{"question": "Add seven and eight please.", "answer": answer}],
                 mapping=FieldMapping(answer_extraction=mode, **extra))
    assert out["answer"][0] == want and out["solution"][0] == answer


def test_regex_extraction_without_pattern_is_a_named_error(tmp_path):
    with pytest.raises(SourceError, match="answer_pattern"):
        ingest(tmp_path, [{"question": "Add seven and eight please.", "answer": "15"}], mapping=FieldMapping(answer_extraction="regex"))


def test_plain_answers_are_untouched(tmp_path):
    out = ingest(tmp_path, [{"question": "What is the sum of 2 and 3?", "answer": "5"}])
    assert out["answer"][0] == "5" and out["solution"][0] is None


def test_label_is_the_answer_key_when_answer_is_empty(tmp_path):
    rows = [{"question": "Pick the heavier metal.", "options": ["(A)iron", "(B)lead"], "answer": None, "label": "B"}]
    out = ingest(tmp_path, rows)
    assert out["answer"][0] == "B"


def test_answer_value_and_body_context_are_recognised(tmp_path):
    rows = [{"Body": "A basket holds 5 apples and 3 pears.", "Question": "How many fruits are in the basket?", "answer_value": "8"}]
    out = ingest(tmp_path, rows)
    assert out["question"][0].startswith("A basket holds") and out["question"][0].endswith("basket?")
    assert out["answer"][0] == "8"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("Find the area of the square.\n~ some_user ~ other.name", "Find the area of the square."),
        ("Find the area of the square. ~ some_user", "Find the area of the square."),
        ("Find the area of the square.\nhttps://example.org/thread/1", "Find the area of the square."),
        ("Let a ~ b mean a and b are similar. Find c.", "Let a ~ b mean a and b are similar. Find c."),
        ("Compute 10 - 4.", "Compute 10 - 4."),
    ],
)
def test_trailing_boilerplate(text, want):
    assert strip_trailing_boilerplate(text) == want


def test_ingest_strips_signature_and_keeps_raw(tmp_path):
    out = ingest(tmp_path, [{"question": "Find the area of the square with side 3.\n~ some_user", "answer": "9"}])
    assert out["question"][0] == "Find the area of the square with side 3."
    assert out["raw_question"][0].endswith("~ some_user")


def test_image_field_is_kept_and_flags_figure(tmp_path):
    from curation.clean import flag_problems

    rows = [
        {"Question": "Find the angle x marked on the drawing.", "Answer": 40, "Picture": "images/angle_3.png"},
        {"Question": "How many ways to arrange 3 books on a shelf?", "Answer": 6, "Picture": None},
        {"Question": "How many ways to arrange 4 books on a shelf?", "Answer": 24, "Picture": ""},
    ]
    out = flag_problems(ingest(tmp_path, rows))
    assert out["image"].to_list() == ["images/angle_3.png", None, None]
    assert out["drop_reason"].to_list() == ["figure", None, None]


def test_label_does_not_override_a_present_answer(tmp_path):
    rows = [{"question": "Pick the lighter gas please.", "answer": "A", "label": "B"}]
    out = ingest(tmp_path, rows)
    assert out["answer"][0] == "A"


def test_answer_extraction_none_keeps_the_field(tmp_path):
    rows = [{"question": "Ann has 3 bags of 4 apples. How many apples?", "answer": "3*4=12.\n#### 12"}]
    out = ingest(tmp_path, rows, mapping=FieldMapping(answer_extraction="none"))
    assert out["answer"][0] == "3*4=12.\n#### 12"


def test_embedded_image_is_named_not_copied(tmp_path):
    import polars as pl

    p = tmp_path / "imgs.parquet"
    pl.DataFrame(
        {
            "question": ["Which shape is drawn here?", "What is three plus four?"],
            "answer": ["circle", "7"],
            "image": [{"bytes": b"\x89PNG" + b"0" * 5000, "path": "shapes/1.png"}, None],
        }
    ).write_parquet(p)
    out = ingest_source(SourceConfig(name="imgs", path=str(p))).problems
    assert out["image"].to_list() == ["shapes/1.png", None]
    assert "PNG" not in (out["metadata"][0] or "")


def test_statement_fields_are_the_question_when_no_usual_field_exists(tmp_path):
    """Theorem sets (ProofNet-style) name their text `nl_statement`; it reads without a mapping and
    the rows are flagged as proofs, not refused for a missing question field."""
    from curation.clean import flag_problems

    rows = [
        {"id": "t1", "nl_statement": "Prove that the square of an odd integer is odd.", "nl_proof": "Write n = 2k+1 ...",
         "formal_statement": "theorem odd_sq (n : ℤ) : Odd n → Odd (n^2) := sorry"},
        {"id": "t2", "nl_statement": "Show that every group of order 4 is abelian.", "nl_proof": "...",
         "formal_statement": "theorem g4 : True := sorry"},
    ]
    out = ingest(tmp_path, rows)
    assert out["question"].to_list() == [r["nl_statement"] for r in rows]
    assert all("proof" in f for f in flag_problems(out)["clean_flags"].to_list())
    plain = ingest(tmp_path, [{"statement": "Prove that there are infinitely many primes."}])
    assert plain["question"][0] == "Prove that there are infinitely many primes."


def test_a_usual_question_field_wins_over_a_statement_field(tmp_path):
    out = ingest(tmp_path, [{"problem": "What is 2+3?", "statement": "A note for graders.", "answer": "5"}])
    assert out["question"][0] == "What is 2+3?"


def test_no_question_field_at_all_still_names_statement_in_the_error(tmp_path):
    with pytest.raises(SourceError, match="nl_statement"):
        ingest(tmp_path, [{"text_body": "Prove it.", "answer": "1"}])
