"""Response store (keys, persistence, stats) and the guarantee that the API key is never written."""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from curation.difficulty import grade_difficulty
from curation.model.store import store_stats
from curation.model.client import redact_url
from curation.model.store import ResponseStore, sample_key
from curation.io import write_problems

from .fake_server import FakeServer, Script
from .helpers import frame, make_settings

SENTINEL = "sk-SENTINEL-do-not-write-0123456789abcdef"


def test_sample_key_covers_model_prompt_params_index():
    msgs = [{"role": "user", "content": "q"}]
    p = {"temperature": 0.7, "top_p": 0.95, "max_tokens": 10, "seed": 0}
    base = sample_key("m", msgs, p, 0)
    assert base == sample_key("m", msgs, dict(p), 0)
    assert len({
        base,
        sample_key("m2", msgs, p, 0),
        sample_key("m", [{"role": "user", "content": "q2"}], p, 0),
        sample_key("m", msgs, {**p, "temperature": 0.1}, 0),
        sample_key("m", msgs, p, 1),
    }) == 5


def test_store_is_wal_and_persists_on_close(tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    with ResponseStore(url) as store:
        for i in range(100):
            store.put_sample({"key": f"k{i}", "model": "m", "prompt_hash": "p", "sample_index": i, "params": "{}",
                              "text": "t"})
        store.put_sample({"key": "k0", "model": "m", "prompt_hash": "p", "sample_index": 0, "params": "{}",
                          "text": "dup ignored"})
    assert len(ResponseStore(url).lookup([f"k{i}" for i in range(100)])) == 100
    with sa.create_engine(url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_store_records_tokens_latency_finish_reason(store_url):
    with FakeServer([Script("cut", answers=["\\boxed{1"], finish_reason="length")]) as srv:
        grade_difficulty(frame([{"question": "cut off", "answer": "1"}]), settings=make_settings(srv.base_url, k=2),
                         store_url=store_url)
    engine = sa.create_engine(store_url)
    with engine.connect() as conn:
        s = conn.exec_driver_sql("select finish_reason, latency_ms, request_n, request_id from samples").all()
        r = conn.exec_driver_sql("select n, returned, prompt_tokens, completion_tokens, status from requests").all()
    assert [x[0] for x in s] == ["length", "length"] and all(x[1] > 0 and x[2] == 2 and x[3] for x in s)
    assert r == [(2, 2, 30, 24, "ok")]
    stats = store_stats(store_url)
    assert stats["prompt_tokens"] == 30 and stats["completion_tokens"] == 24 and stats["samples"] == 2


def test_redact_url():
    assert redact_url("https://user:pw@host:8443/v1") == "https://host:8443/v1"
    assert redact_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"


def test_api_key_never_written(tmp_path, monkeypatch, caplog):
    from curation.cli.main import app

    monkeypatch.setenv("CURATE_TEST_KEY", SENTINEL)
    caplog.set_level(logging.DEBUG)
    inp = tmp_path / "in.parquet"
    write_problems(frame([
        {"id": "a", "question": "flaky: 2+2", "answer": "4"},
        {"id": "b", "question": "wrong: 3+3", "answer": "6"},
        {"id": "c", "question": "down: 1+1", "answer": "2"},
    ]), inp)
    out = tmp_path / "out" / "graded.parquet"
    store = tmp_path / "store" / "responses.sqlite"
    scripts = [Script("flaky", answers=["\\boxed{4}"], faults=["429", "500"]),
               Script("wrong", answers=["\\boxed{7}"]), Script("down", faults=["500"] * 10)]
    with FakeServer(scripts) as srv:
        result = CliRunner().invoke(app, [
            "difficulty", str(inp), str(out), "--base-url", srv.base_url, "--model", "m",
            "--api-key-env", "CURATE_TEST_KEY", "--store", str(store), "--max-retries", "2", "--no-progress",
            "--max-unscored-share", "0.5",  # item c stays unscored on purpose
        ])
        auth = {h.auth for h in srv.hits}
    assert result.exit_code == 0, result.output
    assert auth == {f"Bearer {SENTINEL}"}  # the key was really used...
    # ...and written nowhere
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("responses.sqlite") for p in files)
    for p in files:
        assert SENTINEL.encode() not in p.read_bytes(), p
    assert SENTINEL not in result.output
    assert SENTINEL not in caplog.text
    stats = store_stats(f"sqlite:///{store}")
    assert stats["requests"] == 3 + 1 + 3 and stats["errors"] == {"429": 1, "500": 4}
    ev = Path(str(out.with_suffix(".evidence.json")))
    assert '"b"' in ev.read_text()
    import polars as pl

    graded = pl.read_parquet(out)
    assert set(graded.filter(pl.col("drop_reason") == "too_easy")["id"]) == {"a"}
    assert graded.filter(pl.col("id") == "c")["difficulty"].to_list()[0][0]["status"] == "unscored"


def test_two_processes_opening_a_new_store_at_once(tmp_path):
    """Both create the schema; the loser of the race must not fail (it used to exit with
    'table already exists' when a second curate process opened the same new store)."""
    import concurrent.futures

    from curation.model.store import ResponseStore

    for trial in range(10):
        url = f"sqlite:///{tmp_path / f'race{trial}.sqlite'}"
        with concurrent.futures.ProcessPoolExecutor(2) as pool:
            done = list(pool.map(_open_store, [url] * 4))
        assert done == [True] * 4


def _open_store(url: str) -> bool:
    from curation.model.store import ResponseStore

    ResponseStore(url).engine.dispose()
    return True


def test_stats_of_a_missing_or_old_store_changes_nothing(tmp_path):
    import sqlite3

    missing = tmp_path / "nope.sqlite"
    assert store_stats(f"sqlite:///{missing}")["samples"] == 0
    assert not missing.exists()
    old = tmp_path / "old.sqlite"  # a runs table from before the pid/host columns
    con = sqlite3.connect(old)
    con.execute("CREATE TABLE samples (key TEXT PRIMARY KEY, model TEXT)")
    con.execute("CREATE TABLE requests (id TEXT PRIMARY KEY, status TEXT, error TEXT, prompt_tokens INT, completion_tokens INT)")
    con.execute("CREATE TABLE runs (run_id TEXT PRIMARY KEY, started_at TEXT, status TEXT, cache_hits INT, params TEXT)")
    con.execute("INSERT INTO runs VALUES ('r1', '2026-01-01', 'done', 3, '{}')")
    con.commit()
    con.close()
    stats = store_stats(f"sqlite:///{old}")
    assert stats["runs"] == 1 and stats["last_runs"][0]["status"] == "done"
    con = sqlite3.connect(old)
    assert "pid" not in {r[1] for r in con.execute("PRAGMA table_info(runs)")}  # not altered by a read
    con.close()
