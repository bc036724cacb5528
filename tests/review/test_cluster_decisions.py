"""Cluster decisions on a duplicate cluster whose answers conflict: keep one, not duplicates, drop all.

Real components: the SQLite review queue, `queue_items` / `apply_review_decisions`, the split into
kept / dropped / review, the dedup stage (for "not duplicates" being remembered) and whole pipeline
runs (for the run report and the card).
"""

from __future__ import annotations

import json
import sqlite3

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation.dedup import mark_duplicates
from curation.drop import split_outcomes
from curation.errors import ReviewError
from curation.review import ReviewQueue, apply_review_decisions, queue_items
from schemas import conform

QUESTION = "A bag holds 3 red and 5 blue marbles. How many marbles are in the bag?"


def cluster_frame(answers: list[str], *, extra: bool = True) -> pl.DataFrame:
    """Members m0.. of one conflicting cluster (as the dedup stage marks them), plus an unrelated row."""
    n = len(answers)
    rows = [
        {"id": f"m{i}", "source": f"s{i}", "question": QUESTION + " " * i, "answer": a, "cluster_id": "m0",
         "conflicting_answers": True, "review_reason": "conflicting_answers", "duplicate_of": None if i == 0 else "m0"}
        for i, a in enumerate(answers)
    ]
    if extra:
        rows.append({"id": "x", "source": "s", "question": "What is 2 plus 2?", "answer": "4", "conflicting_answers": False})
    assert n >= 1
    return conform(pl.DataFrame(rows))


def _items(queue: ReviewQueue) -> dict[str, int]:
    return {it.problem_id: it.id for it in queue.list_items(limit=None)}


def _place(df: pl.DataFrame) -> dict[str, str]:
    out = split_outcomes(df)
    where = {}
    for name, part in (("kept", out.kept), ("dropped", out.dropped), ("review", out.review)):
        for pid in part["id"]:
            assert pid not in where, f"{pid} in two places"
            where[pid] = name
    return where


def test_keep_one_with_a_corrected_answer(tmp_path):
    df = cluster_frame(["8", "9", "8"])
    with ReviewQueue(tmp_path / "r.sqlite") as queue:
        assert queue_items(df, queue) == 3
        ids = _items(queue)
        queue.claim(ids["m0"], "ann")
        queue.decide_cluster(ids["m0"], "ann", "keep_one", keep=ids["m1"], answer="8", note="9 is a typo")
        out = apply_review_decisions(df, queue)
        history = queue.decision_history()
    rows = {r["id"]: r for r in out.to_dicts()}
    assert rows["m1"]["answer"] == "8" and rows["m1"]["original_answer"] == "9" and rows["m1"]["review_status"] == "edited"
    for pid in ("m0", "m2"):
        assert rows[pid]["drop_reason"] == "duplicate_of_reviewed" and rows[pid]["duplicate_of"] == "m1"
    assert _place(out) == {"m0": "dropped", "m1": "kept", "m2": "dropped", "x": "kept"}
    assert sorted(h["decision"] for h in history) == ["duplicate", "duplicate", "edited"]
    assert len({h["cluster_decision_id"] for h in history}) == 1


def test_the_kept_member_no_longer_points_at_a_member_dropped_as_its_duplicate(tmp_path):
    """Dedup linked m1 to m0 (duplicate_of, exact_dup_of, similarity, by); keeping m1 drops m0 as m1's
    duplicate, so the exported m1 must not still name m0 as the row it duplicates (a circle)."""
    df = cluster_frame(["8", "9"]).with_columns(
        pl.when(pl.col("id") == "m1").then(pl.lit("m0")).otherwise(pl.lit(None)).alias("exact_dup_of"),
        pl.when(pl.col("id") == "m1").then(pl.lit(1.0)).otherwise(pl.lit(None)).alias("dup_similarity"),
        pl.when(pl.col("id") == "m1").then(pl.lit("text")).otherwise(pl.lit(None)).alias("same_problem_by"),
    )
    with ReviewQueue(tmp_path / "r.sqlite") as queue:
        queue_items(df, queue)
        ids = _items(queue)
        queue.claim(ids["m0"], "ann")
        queue.decide_cluster(ids["m0"], "ann", "keep_one", keep=ids["m1"], answer="8")
        out = apply_review_decisions(df, queue)
    rows = {r["id"]: r for r in out.to_dicts()}
    assert rows["m0"]["duplicate_of"] == "m1" and rows["m0"]["drop_reason"] == "duplicate_of_reviewed"
    kept = rows["m1"]
    assert (kept["duplicate_of"], kept["exact_dup_of"], kept["dup_similarity"], kept["same_problem_by"]) == (None,) * 4
    assert kept["cluster_id"] == "m0" and kept["review_status"] == "edited"
    assert _place(out) == {"m0": "dropped", "m1": "kept", "x": "kept"}


def test_drop_all_rejects_every_member(tmp_path):
    df = cluster_frame(["8", "9"])
    with ReviewQueue(tmp_path / "r.sqlite") as queue:
        queue_items(df, queue)
        ids = _items(queue)
        queue.claim(ids["m1"], "ann")
        queue.decide_cluster(ids["m1"], "ann", "drop-all")
        out = apply_review_decisions(df, queue)
    assert _place(out) == {"m0": "dropped", "m1": "dropped", "x": "kept"}
    assert set(out.filter(pl.col("id").is_in(["m0", "m1"]))["drop_reason"]) == {"review_rejected"}


def test_claiming_one_member_leases_the_whole_cluster(tmp_path, clock):
    df = cluster_frame(["8", "9"], extra=False)
    with ReviewQueue(tmp_path / "r.sqlite", lease_seconds=60, clock=clock) as queue:
        queue_items(df, queue)
        ids = _items(queue)
        first = queue.claim_next("ann")
        assert {it.lease_owner for it in queue.cluster_items(first.id)} == {"ann"}
        assert queue.claim_next("bob") is None  # nothing else open: bob cannot take a member ann holds
        with pytest.raises(ReviewError, match="lease"):
            queue.decide_cluster(ids["m1"], "bob", "not_duplicates")
        clock.advance(61)  # ann's lease expired: bob may take the cluster
        got = queue.claim_next("bob")
        assert got is not None and {it.lease_owner for it in queue.cluster_items(got.id)} == {"bob"}
        with pytest.raises(ReviewError, match="lease"):
            queue.decide_cluster(ids["m0"], "ann", "drop_all")
        queue.release(got.id, "bob")  # releasing gives back every member bob held
        assert {it.status for it in queue.cluster_items(got.id)} == {"pending"}


def test_a_member_cannot_be_decided_alone_and_skip_skips_the_cluster(tmp_path):
    df = cluster_frame(["8", "9"], extra=False)
    with ReviewQueue(tmp_path / "r.sqlite") as queue:
        queue_items(df, queue)
        ids = _items(queue)
        queue.claim(ids["m0"], "ann")
        for call in (lambda: queue.accept(ids["m0"], "ann"), lambda: queue.edit(ids["m0"], "ann", answer="8"),
                     lambda: queue.reject(ids["m0"], "ann")):
            with pytest.raises(ReviewError, match="decide the cluster"):
                call()
        queue.skip(ids["m0"], "ann")
        assert {it.status for it in queue.cluster_items(ids["m0"])} == {"skipped"}
        assert queue.claim_next("ann") is None  # skipped by ann: not offered to her again
        assert queue.claim_next("bob") is not None


def test_refused_cluster_decisions_write_nothing(tmp_path):
    df = cluster_frame(["8", "9"]).with_columns(  # x waits for review too, on its own
        pl.when(pl.col("id") == "x").then(pl.lit("disputed_reference")).otherwise(pl.col("review_reason")).alias("review_reason")
    )
    with ReviewQueue(tmp_path / "r.sqlite") as queue:
        queue_items(df, queue)
        ids = _items(queue)
        queue.claim(ids["m0"], "ann")
        queue.claim(ids["x"], "bob")
        bad = [
            (lambda: queue.decide_cluster(ids["m0"], "ann", "keep_one"), "which member"),
            (lambda: queue.decide_cluster(ids["m0"], "ann", "keep_one", keep=ids["x"]), "not a member of this cluster"),
            (lambda: queue.decide_cluster(ids["m0"], "ann", "not_duplicates", answer="8"), "go with keep_one"),
            (lambda: queue.decide_cluster(ids["m0"], "ann", "merge"), "unknown cluster decision"),
            (lambda: queue.decide_cluster(ids["m0"], "ann", "keep_one", keep=ids["m0"], question=" "), "cannot be empty"),
            (lambda: queue.decide_cluster(ids["m0"], "ann", "keep_one", keep=ids["m0"], answer="  "), "answer cannot be empty"),
            (lambda: queue.decide_cluster(ids["x"], "bob", "drop_all"), "not a member of a duplicate cluster"),
        ]
        for call, message in bad:
            with pytest.raises(ReviewError, match=message):
                call()
        assert {it.status for it in queue.cluster_items(ids["m0"])} == {"claimed"}
        assert queue.decision_history() == [] and queue.distinct_groups() == []


def test_undo_and_reopen_take_back_the_whole_cluster_decision(tmp_path):
    df = cluster_frame(["8", "9", "10"])
    with ReviewQueue(tmp_path / "r.sqlite") as queue:
        queue_items(df, queue)
        ids = _items(queue)
        queue.claim(ids["m0"], "ann")
        queue.decide_cluster(ids["m0"], "ann", "not_duplicates")
        assert queue.distinct_groups() == [["m0", "m1", "m2"]]
        back = queue.undo_last("ann")
        members = queue.cluster_items(back.id)
        assert {(it.status, it.lease_owner, it.cluster_decision_id) for it in members} == {("claimed", "ann", None)}
        assert queue.distinct_groups() == []  # an undone "not duplicates" no longer splits the cluster
        assert set(_place(apply_review_decisions(df, queue)).values()) == {"review", "kept"}
        queue.decide_cluster(back.id, "ann", "keep_one", keep=ids["m2"])
        queue.reopen(ids["m0"], "bob", note="second opinion")  # one member reopens the whole decision
        assert {it.status for it in queue.cluster_items(ids["m0"])} == {"pending"}
        assert _place(apply_review_decisions(df, queue)) == {"m0": "review", "m1": "review", "m2": "review", "x": "kept"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    answers=st.lists(st.sampled_from(["1", "2", "1/2", "0.5", "7"]), min_size=2, max_size=5),
    decision=st.sampled_from(["keep_one", "not_duplicates", "drop_all"]),
    keep_at=st.integers(0, 4),
    actor=st.integers(0, 4),
)
def test_every_member_ends_in_exactly_one_place(tmp_path_factory, answers, decision, keep_at, actor):
    df = cluster_frame(answers)
    members = [f"m{i}" for i in range(len(answers))]
    with ReviewQueue(tmp_path_factory.mktemp("q") / "r.sqlite") as queue:
        queue_items(df, queue)
        ids = _items(queue)
        acting = ids[members[actor % len(members)]]
        queue.claim(acting, "ann")
        keep = ids[members[keep_at % len(members)]] if decision == "keep_one" else None
        queue.decide_cluster(acting, "ann", decision, keep=keep)
        out = apply_review_decisions(df, queue)
    place = _place(out)
    assert set(place) == {*members, "x"} and out.height == df.height
    kept = [m for m in members if place[m] == "kept"]
    assert place["x"] == "kept" and "review" not in place.values()
    if decision == "keep_one":
        assert kept == [members[keep_at % len(members)]]
        others = out.filter(pl.col("id").is_in(members) & (pl.col("id") != kept[0]))
        assert set(others["duplicate_of"]) <= {kept[0]} and set(others["drop_reason"]) <= {"duplicate_of_reviewed"}
    else:
        assert kept == (members if decision == "not_duplicates" else [])


def test_not_duplicates_is_remembered_by_dedup(tmp_path):
    """The reviewer's "not duplicates" survives a rerun: dedup no longer merges those ids (while rows
    with one id, i.e. identical content, stay exact duplicates)."""
    rows = [
        {"id": "a", "source": "s", "question": QUESTION, "answer": "8"},
        {"id": "b", "source": "s", "question": QUESTION + " ", "answer": "9"},
        {"id": "b", "source": "s", "question": QUESTION + " ", "answer": "9"},  # an identical copy of b
    ]
    df = conform(pl.DataFrame(rows))
    before = mark_duplicates(df)
    assert before["conflicting_answers"].all() and before["cluster_id"].n_unique() == 1
    with ReviewQueue(tmp_path / "r.sqlite") as queue:
        queue_items(before, queue)
        (first, *_rest) = queue.list_items()
        queue.claim(first.id, "ann")
        queue.decide_cluster(first.id, "ann", "not_duplicates")
        groups = queue.distinct_groups()
    after = mark_duplicates(df, not_duplicates=groups)
    assert after["review_reason"].to_list() == [None, None, None]
    assert after["cluster_id"].to_list() == [None, "b", "b"]
    assert after["drop_reason"].to_list() == [None, None, "exact_duplicate"]


def test_opening_a_schema_2_database_migrates_it(tmp_path):
    db = tmp_path / "r.sqlite"
    with ReviewQueue(db) as queue:
        queue_items(cluster_frame(["8", "9"]), queue)
    con = sqlite3.connect(db)  # back to what a curate before cluster decisions left
    con.executescript(
        "DROP INDEX ix_review_items_cluster; ALTER TABLE review_items DROP COLUMN cluster_key;"
        "ALTER TABLE review_items DROP COLUMN duplicate_of; ALTER TABLE review_items DROP COLUMN cluster_decision_id;"
        "ALTER TABLE review_decisions DROP COLUMN cluster_decision_id; DROP TABLE review_cluster_decisions;"
        "DELETE FROM schema_version WHERE version >= 3;"
    )
    con.commit()
    con.close()
    with ReviewQueue(db) as queue:
        # the cluster of the items queued before comes from their snapshots: decided as a whole
        assert [it.cluster_key for it in queue.list_items()] == ["m0", "m0"]
        item = queue.claim_next("ann")
        assert {it.lease_owner for it in queue.cluster_items(item.id)} == {"ann"}
        queue.decide_cluster(item.id, "ann", "drop_all")
        assert {it.status for it in queue.cluster_items(item.id)} == {"rejected"}
    con = sqlite3.connect(db)
    assert con.execute("SELECT max(version) FROM schema_version").fetchone() == (4,)
    con.close()


# ------------------------------------------------------------------ whole runs: report and card
def _run_config(tmp_path):
    from curation.config import config_from_dict

    src = tmp_path / "in.jsonl"
    rows = [{"question": QUESTION, "answer": "8"}, {"question": QUESTION.replace("How many", "how many"), "answer": "9"},
            {"question": "What is 2 plus 2?", "answer": "4"}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return config_from_dict(
        {"output_dir": str(tmp_path / "out"), "sources": [{"path": str(src)}], "difficulty": {"enabled": False}},
        base_dir=tmp_path,
    )


def test_a_rerun_applies_the_cluster_decision_and_reports_it(tmp_path):
    from curation.pipeline import run_pipeline
    from curation.run_report import build_run_report, collect_run_facts

    cfg = _run_config(tmp_path)
    first = run_pipeline(cfg)
    assert first.destinations["review"] == 2
    db = tmp_path / "out" / "review.sqlite"
    with ReviewQueue(db) as queue:
        item = queue.claim_next("ann")
        eight = next(m for m in queue.cluster_items(item.id) if m.answer == "8")
        queue.decide_cluster(item.id, "ann", "keep_one", keep=eight.id)
    second = run_pipeline(cfg)
    assert second.destinations == {"kept": 2, "dropped": 1, "review": 0, "quarantined": 0}
    review_note = next(s.note for s in second.stages if s.stage == "review")
    assert "decisions applied: accepted 1, duplicate 1" in review_note
    md = build_run_report(collect_run_facts(second, last_file=second.last_file, review_url=second.review_url))
    assert "| dedup | review | conflicting_answers | 2 | 0 |" in md  # flagged 2, none still pending
    assert "| accepted | 1 |" in md and "| duplicate | 1 |" in md
    card = (second.dataset_dir / "README.md").read_text()
    assert "## Review decisions" in card and "- accepted (kept as is): 1" in card
    assert "| duplicate_of_reviewed | 1 |" in card  # the drop reasons table
    assert "Nothing waiting for review." in card


def test_a_rerun_after_not_duplicates_keeps_both_and_does_not_merge_them(tmp_path):
    from curation.pipeline import run_pipeline

    cfg = _run_config(tmp_path)
    run_pipeline(cfg)
    with ReviewQueue(tmp_path / "out" / "review.sqlite") as queue:
        item = queue.claim_next("ann")
        queue.decide_cluster(item.id, "ann", "not_duplicates")
    second = run_pipeline(cfg)
    assert second.destinations == {"kept": 3, "dropped": 0, "review": 0, "quarantined": 0}
    final = pl.read_parquet(second.last_file)
    assert final["cluster_id"].null_count() == 3 and not final["conflicting_answers"].any()


def test_a_member_joining_a_decided_cluster_is_settled_and_deciding_it_decides_the_cluster_again(tmp_path):
    df = cluster_frame(["8", "9"])
    with ReviewQueue(tmp_path / "r.sqlite") as queue:
        queue_items(df, queue)
        ids = _items(queue)
        queue.claim(ids["m0"], "ann")
        queue.decide_cluster(ids["m0"], "ann", "keep_one", keep=ids["m0"])
        grown = cluster_frame(["8", "9", "7"])  # a later run: a third copy with yet another answer
        assert queue_items(grown, queue) == 1
        place = _place(apply_review_decisions(grown, queue))
        assert place == {"m0": "kept", "m1": "dropped", "m2": "dropped", "x": "kept"}  # settled meanwhile
        new = _items(queue)["m2"]
        assert queue.claim_next("bob").id == new
        queue.decide_cluster(new, "bob", "not_duplicates")
        assert {(it.problem_id, it.status) for it in queue.cluster_items(new)} == {
            ("m0", "accepted"), ("m1", "accepted"), ("m2", "accepted")}
        assert queue.distinct_groups() == [["m0", "m1", "m2"]]
        assert _place(apply_review_decisions(grown, queue)) == {"m0": "kept", "m1": "kept", "m2": "kept", "x": "kept"}
