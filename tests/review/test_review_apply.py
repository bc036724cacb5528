"""apply_review_decisions: each status maps onto the record; rows without items are unchanged."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.review import apply_review_decisions, content_key, queue_items
from curation.review.apply import _content_key_expr
from schemas.problem import conform

from .helpers import make_df


def _decide_all(queue):
    """p0 accepted, p1 edited, p2 rejected, p3 skipped, p4 claimed, p5 pending; p6 not flagged."""
    plan = ["accept", "edit", "reject", "skip", None]
    for i, action in enumerate(plan):
        item = queue.claim(queue.list_items(limit=None)[i].id, f"r{i}")
        if action == "edit":
            queue.edit(item.id, f"r{i}", question="Compute $2^1$.", answer="2")
        elif action:
            getattr(queue, action)(item.id, f"r{i}")


def test_apply_each_status(queue):
    df = make_df(7).with_columns(
        pl.when(pl.col("id") == "p6").then(None).otherwise(pl.col("review_reason")).alias("review_reason")
    )
    assert queue_items(df, queue) == 6
    _decide_all(queue)
    out = apply_review_decisions(df, queue)
    assert out.columns == df.columns and out.height == df.height
    assert out["id"].to_list() == df["id"].to_list()
    rows = {r["id"]: r for r in out.to_dicts()}
    assert rows["p0"]["review_status"] == "accepted" and rows["p0"]["drop_reason"] is None
    e = rows["p1"]
    assert (e["review_status"], e["question"], e["answer"], e["rewritten_by"]) == ("edited", "Compute $2^1$.", "2", "review")
    assert (e["original_question"], e["original_answer"]) == (df["question"][1], df["answer"][1])
    assert rows["p2"]["review_status"] == "rejected" and rows["p2"]["drop_reason"] == "review_rejected"
    for pid in ("p3", "p4", "p5"):
        assert rows[pid]["review_status"] == "pending" and rows[pid]["drop_reason"] is None
    assert rows["p6"] == df.filter(pl.col("id") == "p6").to_dicts()[0]


def test_reject_keeps_an_earlier_drop_reason_and_rows_not_in_queue_untouched(queue):
    df = make_df(2)
    queue_items(df, queue)
    it = queue.claim_next("a")
    queue.reject(it.id, "a")
    dropped_later = df.with_columns(pl.lit("contaminated").alias("drop_reason"))
    out = apply_review_decisions(dropped_later, queue)
    assert out.filter(pl.col("id") == it.problem_id)["drop_reason"][0] == "contaminated"
    other = make_df(3).with_columns(pl.Series("id", ["z0", "z1", "z2"]))
    assert apply_review_decisions(other, queue).equals(other)


def test_edit_of_answer_only_keeps_question(queue):
    df = make_df(1)
    queue_items(df, queue)
    it = queue.claim_next("a")
    queue.edit(it.id, "a", answer="3")
    out = apply_review_decisions(df, queue).row(0, named=True)
    assert out["question"] == df["question"][0] and out["answer"] == "3" and out["original_answer"] == "1"


def test_changed_content_does_not_inherit_the_old_decision(queue):
    df = make_df(1)
    queue_items(df, queue)
    it = queue.claim_next("a")
    queue.reject(it.id, "a")
    changed = df.with_columns(pl.lit("99").alias("answer"))
    out = apply_review_decisions(changed, queue)
    assert out["review_status"][0] is None and out["drop_reason"][0] is None
    queue_items(changed, queue)
    assert apply_review_decisions(changed, queue)["review_status"][0] == "pending"


def test_reopened_item_is_pending_again(queue):
    df = make_df(1)
    queue_items(df, queue)
    it = queue.claim_next("a")
    queue.accept(it.id, "a")
    queue.reopen(it.id, "lead")
    assert apply_review_decisions(df, queue)["review_status"][0] == "pending"


def test_choices_are_part_of_the_match(queue):
    df = make_df(1).with_columns(pl.Series("choices", [["1", "2", "3"]], dtype=pl.List(pl.Utf8)))
    queue_items(df, queue)
    it = queue.claim_next("a")
    queue.accept(it.id, "a")
    assert apply_review_decisions(df, queue)["review_status"][0] == "accepted"
    other = df.with_columns(pl.Series("choices", [["1", "2", "4"]], dtype=pl.List(pl.Utf8)))
    assert apply_review_decisions(other, queue)["review_status"][0] is None


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=200, deadline=None)
@given(q=text, a=st.none() | text, c=st.none() | st.lists(text, max_size=4))
def test_python_and_polars_content_keys_agree(q, a, c):
    """The key stored at queue time equals the key the vectorized join computes."""
    df = conform(pl.DataFrame({"id": ["x"], "source": ["s"], "question": [q], "answer": [a], "choices": [c]},
                              schema_overrides={"choices": pl.List(pl.Utf8), "answer": pl.Utf8}))
    assert df.select(_content_key_expr())[0, 0] == content_key(q, a, c)


def test_edit_after_an_earlier_rewrite_keeps_the_earliest_original(queue):
    df = make_df(1).with_columns(
        original_question=pl.lit("Which of the following is $2^1$? (A) 1 (B) 2"),
        original_answer=pl.lit("B"),
        rewritten_by=pl.lit("mcq"),
    )
    queue_items(df, queue)
    it = queue.claim_next("a")
    queue.edit(it.id, "a", question="Compute $2^1$.", answer="2")
    row = apply_review_decisions(df, queue).row(0, named=True)
    assert (row["question"], row["answer"], row["rewritten_by"]) == ("Compute $2^1$.", "2", "review")
    assert (row["original_question"], row["original_answer"]) == ("Which of the following is $2^1$? (A) 1 (B) 2", "B")


def test_undecided_item_does_not_hold_a_row_no_stage_flags_any_more(queue):
    df = make_df(2)
    queue_items(df, queue)
    rerun = df.with_columns(  # the next run: p0's stage no longer flags it (e.g. the reference was fixed)
        pl.when(pl.col("id") == "p0").then(None).otherwise(pl.col("review_reason")).alias("review_reason")
    )
    rows = {r["id"]: r for r in apply_review_decisions(rerun, queue).to_dicts()}
    assert rows["p0"]["review_status"] is None
    assert rows["p1"]["review_status"] == "pending"
    # a decision still applies after the flag is gone: a rejected item stays rejected
    it = queue.claim_next("a")
    queue.reject(it.id, "a")
    cleared = rerun.with_columns(review_reason=pl.lit(None, dtype=pl.Utf8))
    rows = {r["id"]: r for r in apply_review_decisions(cleared, queue).to_dicts()}
    assert rows[it.problem_id]["drop_reason"] == "review_rejected"
