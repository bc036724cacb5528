"""Review evidence is a column: set by the stage that flags a row, carried to the review queue."""

from __future__ import annotations

import json

import polars as pl

from curation.frames import with_review_evidence
from curation.review import ReviewQueue, queue_items
from schemas import conform


def _frame() -> pl.DataFrame:
    rows = [
        {"id": "a", "source": "s", "question": "What is 6 times 7?", "answer": "41", "review_reason": "disputed_reference"},
        {"id": "b", "source": "s", "question": "What is 2 plus 2?", "answer": "4"},
    ]
    return conform(pl.DataFrame(rows))


def test_evidence_is_set_where_missing_and_never_overwritten():
    df = with_review_evidence(_frame(), {"a": {"majority_answer": "42", "samples": [{"answer": "42"}]}})
    assert json.loads(df["review_evidence"][0]) == {"majority_answer": "42", "samples": [{"answer": "42"}]}
    assert df["review_evidence"][1] is None and df["id"].to_list() == ["a", "b"]
    again = with_review_evidence(df, {"a": {"other": 1}, "b": {"other": 2}})
    assert json.loads(again["review_evidence"][0])["majority_answer"] == "42"  # the first stage's evidence stays
    assert json.loads(again["review_evidence"][1]) == {"other": 2}


def test_queue_items_takes_the_evidence_from_the_column(tmp_path):
    df = with_review_evidence(_frame(), {"a": {"majority_answer": "42"}})
    with ReviewQueue(tmp_path / "r.sqlite") as queue:
        assert queue_items(df, queue) == 1
        (item,) = queue.list_items()
    assert item.evidence["stage"] == {"majority_answer": "42"}  # build_evidence keeps it under "stage"
    assert "review_evidence" not in item.snapshot  # carried once, as evidence
