"""`curate review ...` commands over a real SQLite file."""

from __future__ import annotations

import json

import polars as pl
from typer.testing import CliRunner

from curation.cli.main import app

from .helpers import make_df

runner = CliRunner()


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, ["review", *args], catch_exceptions=False) if ok else runner.invoke(app, ["review", *args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_cli_flow(tmp_path):
    db = str(tmp_path / "review.sqlite")
    src = tmp_path / "in.parquet"
    make_df(3).write_parquet(src)
    assert "queued 3 new items" in run("add", str(src), "--db", db).output
    assert "queued 0 new items" in run("add", str(src), "--db", db).output
    assert "pending" in run("list", "--db", db).output
    out = run("next", "--db", db, "--reviewer", "alice").output
    assert "item 1" in out and "disputed_reference" in out
    bad = run("accept", "1", "--db", db, "--reviewer", "bob", ok=False)
    assert bad.exit_code != 0 and "lease" in str(bad.exception)
    run("accept", "1", "--db", db, "--reviewer", "alice", "--note", "fine")
    run("next", "--db", db, "--reviewer", "alice")
    run("edit", "2", "--db", db, "--reviewer", "alice", "--answer", "3")
    run("next", "--db", db, "--reviewer", "alice")
    run("skip", "3", "--db", db, "--reviewer", "alice")
    assert "audit trail" in run("show", "1", "--db", db).output
    stats = json.loads(run("stats", "--db", db, "--json").output)
    assert stats["by_status"]["accepted"] == 1 and stats["by_status"]["skipped"] == 1
    assert "throughput" in run("stats", "--db", db).output
    run("export", str(tmp_path / "d.jsonl"), "--db", db)
    lines = [json.loads(x) for x in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert {(x["problem_id"], x["decision"]) for x in lines} == {("p0", "accepted"), ("p1", "edited")}
    run("export", str(tmp_path / "h.parquet"), "--db", db, "--history")
    assert pl.read_parquet(tmp_path / "h.parquet").height == 3


def test_help_everywhere():
    for cmd in ("list", "next", "show", "claim", "accept", "edit", "reject", "skip", "release", "reopen", "stats", "export", "add", "serve"):
        out = runner.invoke(app, ["review", cmd, "--help"]).output
        assert "--db" in out or cmd == "serve" and "--port" in out, cmd


def test_read_and_decide_commands_never_create_a_database(tmp_path):
    """A mistyped --db is an error naming the path, not a new empty queue."""
    typo = tmp_path / "reveiw.sqlite"
    for args in (["list"], ["stats"], ["show", "1"], ["next", "--reviewer", "a"], ["accept", "1", "--reviewer", "a"],
                 ["export", str(tmp_path / "d.jsonl")]):
        result = runner.invoke(app, ["review", *args, "--db", str(typo)])
        assert result.exit_code != 0, (args, result.output)
        assert "no review queue at" in str(result.exception) and str(typo) in str(result.exception)
    assert not typo.exists()
    assert not list(tmp_path.glob("reveiw.sqlite*"))
    # `add` is the one command that creates a queue
    src = tmp_path / "in.parquet"
    make_df(1).write_parquet(src)
    run("add", str(src), "--db", str(typo))
    assert typo.exists()
    assert "pending" in run("list", "--db", f"sqlite:///{typo}").output


def test_cluster_commands_keep_undo_not_duplicates(tmp_path):
    from .test_cluster_decisions import cluster_frame

    db = str(tmp_path / "review.sqlite")
    src = tmp_path / "in.parquet"
    cluster_frame(["8", "9"], extra=False).write_parquet(src)
    run("add", str(src), "--db", db)
    out = run("next", "--db", db, "--reviewer", "ann").output
    assert "cluster members" in out and "curate review keep ITEM" in out
    refused = run("accept", "1", "--db", db, "--reviewer", "ann", ok=False)
    assert refused.exit_code != 0 and "decide the cluster" in str(refused.exception)
    kept = run("keep", "2", "--answer", "8", "--db", db, "--reviewer", "ann").output
    assert "keep_one" in kept and "1 duplicate (duplicate of m1)" in kept and "2 edited" in kept
    assert "duplicate" in run("show", "1", "--db", db).output
    assert "undone" in run("undo", "--db", db, "--reviewer", "ann").output
    again = run("undo", "--db", db, "--reviewer", "ann", ok=False)  # nothing left to take back: no false "undone"
    assert again.exit_code != 0 and "already taken back" in str(again.exception) and "undone" not in again.output
    run("not-duplicates", "1", "--db", db, "--reviewer", "ann")
    stats = json.loads(run("stats", "--db", db, "--json").output)
    assert stats["by_status"]["accepted"] == 2 and stats["by_status"]["duplicate"] == 0
    refused = run("drop-all", "1", "--db", db, "--reviewer", "ann", ok=False)
    assert refused.exit_code != 0 and "already" in str(refused.exception)
    for cmd in ("keep", "not-duplicates", "drop-all", "undo"):
        assert "--db" in runner.invoke(app, ["review", cmd, "--help"]).output


def test_curate_dedup_honours_the_review_databases_not_duplicates(tmp_path):
    from curation.review import ReviewQueue, queue_items
    from schemas import conform

    from .test_cluster_decisions import QUESTION

    src = tmp_path / "in.parquet"
    conform(pl.DataFrame({"id": ["a", "b"], "source": ["s", "s"], "question": [QUESTION, QUESTION + " "],
                          "answer": ["8", "9"]})).write_parquet(src)
    plain = tmp_path / "plain.parquet"
    assert runner.invoke(app, ["dedup", str(src), str(plain), "--no-progress"]).exit_code == 0
    marked = pl.read_parquet(plain)
    assert marked["conflicting_answers"].all()
    db = tmp_path / "review.sqlite"
    with ReviewQueue(db) as queue:
        queue_items(marked, queue)
        item = queue.claim_next("ann")
        queue.decide_cluster(item.id, "ann", "not_duplicates")
    out = tmp_path / "out.parquet"
    assert runner.invoke(app, ["dedup", str(src), str(out), "--no-progress", "--review-db", str(db)]).exit_code == 0
    again = pl.read_parquet(out)
    assert again["cluster_id"].null_count() == 2 and again["review_reason"].null_count() == 2
    missing = runner.invoke(app, ["dedup", str(src), str(out), "--review-db", str(tmp_path / "nope.sqlite")])
    assert missing.exit_code != 0 and "no review queue" in str(missing.exception)


def test_review_apply_writes_the_table_with_the_cluster_decision_applied(tmp_path):
    from .test_cluster_decisions import cluster_frame

    db = str(tmp_path / "review.sqlite")
    src = tmp_path / "in.parquet"
    cluster_frame(["8", "9"]).write_parquet(src)
    run("add", str(src), "--db", db)
    run("next", "--db", db, "--reviewer", "ann")
    run("keep", "2", "--answer", "8", "--db", db, "--reviewer", "ann")
    out = tmp_path / "out.parquet"
    printed = run("apply", str(src), str(out), "--db", db).output
    assert "decisions applied: edited 1, duplicate 1" in printed and "still pending: 0" in printed
    rows = {r["id"]: r for r in pl.read_parquet(out).to_dicts()}
    assert len(rows) == 3 and rows["m1"]["answer"] == "8" and rows["m0"]["drop_reason"] == "duplicate_of_reviewed"
    missing = runner.invoke(app, ["review", "apply", str(tmp_path / "nope.parquet"), str(out), "--db", db])
    assert missing.exit_code != 0 and "not found" in str(missing.exception)
