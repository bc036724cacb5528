"""Lifecycle, leases, idempotent queueing and the audit trail of the review queue."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from curation.errors import ReviewError
from curation.review import ReviewQueue, content_hash, queue_items
from curation.review.store import SCHEMA_VERSION, schema_version

from .helpers import make_df


def test_open_creates_schema_and_is_reopenable(tmp_path, clock):
    path = tmp_path / "sub" / "review.sqlite"
    q = ReviewQueue(str(path), clock=clock)
    q.close()
    q = ReviewQueue(f"sqlite:///{path}", clock=clock)  # URL form, already migrated
    with q.engine.connect() as conn:
        versions = [r.version for r in conn.execute(sa.select(schema_version).order_by(schema_version.c.version))]
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    assert mode == "wal"
    q.close()


def test_newer_schema_is_refused(tmp_path, clock):
    path = tmp_path / "review.sqlite"
    ReviewQueue(str(path), clock=clock).close()
    eng = sa.create_engine(f"sqlite:///{path}")
    with eng.begin() as conn:
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION + 1, name="future", applied_at=0.0))
    eng.dispose()
    with pytest.raises(ReviewError, match="newer"):
        ReviewQueue(str(path), clock=clock)


def test_queue_items_is_idempotent_and_skips_dropped_and_unflagged(queue):
    df = make_df(4).with_columns(
        pl.when(pl.col("id") == "p1").then(pl.lit("easy")).otherwise(pl.col("drop_reason")).alias("drop_reason"),
        pl.when(pl.col("id") == "p2").then(None).otherwise(pl.col("review_reason")).alias("review_reason"),
    )
    assert queue_items(df, queue) == 2
    assert queue_items(df, queue) == 0
    assert sorted(i.problem_id for i in queue.list_items()) == ["p0", "p3"]


def test_decided_item_is_not_requeued_and_changed_problem_is(queue):
    df = make_df(2)
    queue_items(df, queue)
    item = queue.claim_next("alice")
    queue.accept(item.id, "alice")
    assert queue_items(df, queue) == 0  # re-running the pipeline: nothing new
    assert queue.get(item.id).status == "accepted"
    changed = df.with_columns(
        pl.when(pl.col("id") == item.problem_id).then(pl.lit("42")).otherwise(pl.col("answer")).alias("answer")
    )
    assert queue_items(changed, queue) == 1
    fresh = [i for i in queue.list_items(status="pending") if i.problem_id == item.problem_id]
    assert len(fresh) == 1 and fresh[0].answer == "42"
    assert fresh[0].content_hash == content_hash(fresh[0].question, "42", None)
    assert queue.get(item.id).status == "accepted"  # the old decision stays on the old content


def test_changed_problem_supersedes_an_undecided_item(queue):
    df = make_df(1)
    queue_items(df, queue)
    (old,) = queue.list_items()
    queue_items(df.with_columns(pl.lit("Reworded?").alias("question")), queue)
    assert queue.get(old.id).status == "superseded"
    assert queue.events(old.id)[-1]["event"] == "requeued"
    with pytest.raises(ReviewError):
        queue.claim(old.id, "alice")


def test_evidence_is_taken_from_the_record_and_the_stage(queue):
    df = make_df(1).with_columns(
        pl.lit("p9").alias("duplicate_of"), pl.lit(True).alias("conflicting_answers"), pl.lit("c1").alias("cluster_id")
    )
    queue_items(df, queue, evidence={"p0": {"verifier": "mismatch", "candidates": ["7", "1"]}})
    item = queue.list_items()[0]
    ev = item.evidence
    assert ev["pass_rate"] == 0.25 and ev["majority_answer"] == "7" and ev["models"][0]["model"] == "m1"
    assert ev["duplicates"] == {"duplicate_of": "p9", "conflicting_answers": True, "cluster_id": "c1"}
    assert ev["stage"]["verifier"] == "mismatch"
    assert item.snapshot["question"] == df["question"][0]


def test_claim_is_exclusive_and_a_reviewer_gets_their_held_item_back(queue):
    queue_items(make_df(3), queue)
    a = queue.claim_next("alice")
    b = queue.claim_next("bob")
    assert a.id != b.id
    assert queue.claim_next("alice").id == a.id  # no hoarding
    with pytest.raises(ReviewError, match="claimed by alice"):
        queue.claim(a.id, "bob")


def test_expired_lease_returns_item_and_lost_lease_decision_is_refused(queue, clock):
    queue_items(make_df(1), queue)
    a = queue.claim_next("alice")
    assert queue.claim_next("bob") is None
    clock.advance(61)  # lease is 60 s in the fixture
    with pytest.raises(ReviewError, match="expired"):
        queue.accept(a.id, "alice")
    b = queue.claim_next("bob")
    assert b is not None and b.id == a.id and b.lease_owner == "bob"
    with pytest.raises(ReviewError, match="claimed by bob.*alice's lease was lost"):
        queue.accept(a.id, "alice")
    assert queue.get(a.id).status == "claimed"  # nothing was applied
    kinds = [(e["event"], e["actor"]) for e in queue.events(a.id)]
    assert kinds == [
        ("queued", "pipeline"),
        ("claimed", "alice"),
        ("released", "system:lease-expired"),
        ("claimed", "bob"),
    ]
    queue.reject(a.id, "bob", note="wrong reference")
    assert queue.get(a.id).status == "rejected"


def test_decision_without_a_claim_is_refused(queue):
    queue_items(make_df(1), queue)
    (item,) = queue.list_items()
    with pytest.raises(ReviewError, match="does not hold a lease"):
        queue.accept(item.id, "mallory")
    with pytest.raises(ReviewError, match="no review item"):
        queue.accept(999, "mallory")
    assert [e["event"] for e in queue.events(item.id)] == ["queued"]


def test_decided_item_cannot_be_decided_twice(queue):
    queue_items(make_df(1), queue)
    item = queue.claim_next("alice")
    queue.accept(item.id, "alice")
    with pytest.raises(ReviewError, match="already accepted by alice"):
        queue.reject(item.id, "alice")


def test_skip_requeues_behind_others_for_another_reviewer(queue, clock):
    queue_items(make_df(3), queue)
    first = queue.claim_next("alice")
    clock.advance(1)
    queue.skip(first.id, "alice", note="not my field")
    assert queue.get(first.id).status == "skipped"
    seen = []
    while (it := queue.claim_next("alice")) is not None:
        seen.append(it.id)
        queue.accept(it.id, "alice")
    assert first.id not in seen and len(seen) == 2  # never offered again to alice
    bob = queue.claim_next("bob")
    assert bob.id == first.id  # but it is back for bob
    queue.accept(bob.id, "bob")


def test_skipped_item_goes_behind_pending_ones(queue, clock):
    queue_items(make_df(3), queue)
    first = queue.claim_next("alice")
    clock.advance(1)
    queue.skip(first.id, "alice")
    order = [queue.claim_next(f"r{i}").id for i in range(3)]
    assert order[-1] == first.id


def test_edit_requires_content_and_records_event(queue):
    queue_items(make_df(1), queue)
    item = queue.claim_next("alice")
    with pytest.raises(ReviewError, match="needs a new question"):
        queue.edit(item.id, "alice")
    with pytest.raises(ReviewError, match="only be given with an edit"):
        queue.decide(item.id, "alice", "accepted", answer="3")
    with pytest.raises(ReviewError, match="answer cannot be empty"):  # a kept row with a blank reference
        queue.edit(item.id, "alice", answer="  ")
    assert queue.get(item.id).status == "claimed"
    queue.edit(item.id, "alice", answer="8", note="reference was off by one")
    got = queue.get(item.id)
    assert (got.status, got.edited_answer, got.edited_question, got.decided_by) == ("edited", "8", None, "alice")
    ev = queue.events(item.id)[-1]
    assert ev["event"] == "edited" and ev["before"]["status"] == "claimed" and ev["after"]["edited_answer"] == "8"


def test_release_and_reopen_write_events(queue):
    queue_items(make_df(1), queue)
    item = queue.claim_next("alice")
    queue.release(item.id, "alice")
    assert queue.get(item.id).status == "pending"
    item = queue.claim_next("bob")
    queue.accept(item.id, "bob")
    queue.reopen(item.id, "lead", note="second opinion")
    item = queue.claim_next("carol")
    queue.reject(item.id, "carol")
    kinds = [e["event"] for e in queue.events(item.id)]
    assert kinds == ["queued", "claimed", "released", "claimed", "decided", "requeued", "claimed", "decided"]
    for e in queue.events(item.id)[1:]:
        assert e["before"] is not None and e["after"] is not None and e["actor"]
    st = queue.stats()
    assert st["multi_decision_items"] == 1 and st["agreement_items"] == 0.0


def test_every_state_change_has_an_event(queue):
    """The audit trail replays to the current status of every item."""
    queue_items(make_df(4), queue)
    for name, action in [("a", "accept"), ("b", "reject"), ("c", "skip")]:
        it = queue.claim_next(name)
        getattr(queue, action)(it.id, name)
    it = queue.claim_next("d")
    queue.edit(it.id, "d", question="New?")
    for item in queue.list_items(limit=None):
        assert queue.events(item.id)[-1]["after"]["status"] == item.status


def test_stats_depth_throughput_agreement(queue, clock):
    queue_items(make_df(3), queue)
    queue_items(make_df(2, reason="conflicting_answers").with_columns(pl.Series("id", ["x0", "x1"])), queue)
    it = queue.claim_next("alice")
    queue.accept(it.id, "alice")
    queue.reopen(it.id, "lead")
    it = queue.claim_next("bob")
    queue.accept(it.id, "bob")
    clock.advance(1800)
    st = queue.stats()
    assert st["depth_by_reason"]["disputed_reference"]["pending"] == 2
    assert st["depth_by_reason"]["conflicting_answers"]["pending"] == 2
    assert st["decisions_in_window"] == 2
    assert st["decisions_per_hour"] == pytest.approx(4.0)  # 2 decisions over half an hour
    assert st["agreement_items"] == 1.0 and st["agreement_pairwise"] == 1.0


def test_bad_inputs_are_review_errors(tmp_path, queue):
    with pytest.raises(ReviewError, match="reviewer name"):
        queue.claim_next("  ")
    with pytest.raises(ReviewError, match="lease_seconds"):
        ReviewQueue(str(tmp_path / "x.sqlite"), lease_seconds=0)
    with pytest.raises(ReviewError, match="not usable"):
        ReviewQueue("nosuchdialect://x")
    queue_items(make_df(1), queue)
    it = queue.claim_next("a")
    with pytest.raises(ReviewError, match="unknown decision"):
        queue.decide(it.id, "a", "maybe")
