"""A duplicate cluster whose answers conflict goes to review whole, and the decision settles the cluster.

Real components: the dedup stage, the SQLite review queue, `queue_items` / `apply_review_decisions`,
the split into kept / dropped / review and the card count.
"""

from __future__ import annotations

import polars as pl
import pytest

from curation.dedup import dedup_summary, mark_duplicates
from curation.drop import split_outcomes
from curation.errors import ReviewError
from curation.review import apply_review_decisions, queue_items
from curation.review.queue import ReviewQueue

from .helpers import BASE, OTHER, frame


def _marked():
    return mark_duplicates(frame([
        {"id": "a", "source": "s1", "question": BASE, "answer": "7"},
        {"id": "b", "source": "s2", "question": BASE + " ", "answer": "8"},
        {"id": "c", "source": "s3", "question": BASE.replace("Find the sum", "What is the sum"), "answer": "7.0"},
        {"id": "d", "question": OTHER, "answer": "1"},
        {"id": "e", "question": OTHER + " ", "answer": "1"},  # agrees: dropped as usual
    ]))


def _item(queue, problem_id):
    return next(i for i in queue.list_items(limit=None) if i.problem_id == problem_id)


def test_every_member_is_in_review_with_the_cluster_evidence_and_the_card_counts_what_is_there(tmp_path):
    df = _marked()
    out = split_outcomes(df)
    assert sorted(out.review["id"]) == ["a", "b", "c"] and sorted(out.dropped["id"]) == ["e"]
    assert dedup_summary(df)["conflicting_clusters"] == out.review["cluster_id"].n_unique() == 1
    queue = ReviewQueue(str(tmp_path / "review.sqlite"))
    assert queue_items(df, queue) == 3
    members = _item(queue, "b").evidence["members"]
    assert {(m["id"], m["answer"]) for m in members} == {("a", "7"), ("b", "8"), ("c", "7.0")}


def test_keeping_one_member_drops_the_others_as_its_reviewed_duplicates(tmp_path):
    df = _marked()
    queue = ReviewQueue(str(tmp_path / "review.sqlite"))
    queue_items(df, queue)
    b = _item(queue, "b").id
    queue.claim(b, "rev")  # claims the whole cluster
    queue.decide_cluster(b, "rev", "keep_one", keep=b)  # b (answer 8) is the canonical one
    rows = {r["id"]: r for r in apply_review_decisions(df, queue).to_dicts()}
    assert rows["b"]["drop_reason"] is None and rows["b"]["review_status"] == "accepted"
    for other in "ac":
        assert rows[other]["drop_reason"] == "duplicate_of_reviewed" and rows[other]["duplicate_of"] == "b"
        assert rows[other]["review_status"] == "duplicate"
    after = apply_review_decisions(df, queue)
    assert dedup_summary(after)["conflicting_clusters"] == 0 and dedup_summary(after)["conflicting_clusters_settled"] == 1
    out = split_outcomes(after)
    assert out.review.height == 0 and sorted(out.kept["id"]) == ["b", "d"]


def test_not_duplicates_keeps_every_member(tmp_path):
    df = _marked()
    queue = ReviewQueue(str(tmp_path / "review.sqlite"))
    queue_items(df, queue)
    a = _item(queue, "a").id
    queue.claim(a, "rev")
    queue.decide_cluster(a, "rev", "not_duplicates")
    out = split_outcomes(apply_review_decisions(df, queue))
    assert sorted(out.kept["id"]) == ["a", "b", "c", "d"]
    assert sorted(queue.distinct_groups()[0]) == ["a", "b", "c"]


def test_one_member_cannot_be_decided_alone_and_a_skip_changes_nothing(tmp_path):
    df = _marked()
    queue = ReviewQueue(str(tmp_path / "review.sqlite"))
    queue_items(df, queue)
    a = _item(queue, "a").id
    queue.claim(a, "rev")
    with pytest.raises(ReviewError, match="decide the cluster"):
        queue.reject(a, "rev")
    queue.skip(a, "rev")
    rows = {r["id"]: r for r in apply_review_decisions(df, queue).to_dicts()}
    assert all(rows[p]["drop_reason"] is None and rows[p]["review_status"] == "pending" for p in "abc")
    assert pl.DataFrame(list(rows.values()))["id"].len() == 5
