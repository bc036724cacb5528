"""Sampling against a scripted OpenAI-compatible server over real loopback HTTP (real openai client)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from curation.difficulty import grade_difficulty, grade_difficulty_async
from curation.model.store import store_stats
from curation.errors import ConfigError, ModelEndpointError

from .fake_server import FakeServer, Script
from .helpers import frame, make_settings


def result(out, row_id):
    row = out.filter(out["id"] == row_id).to_dicts()[0]
    return row, row["difficulty"][-1]


def test_retries_on_429_5xx_then_success(store_url):
    scripts = [Script("flaky", answers=["so \\boxed{12}"], faults=["429", "500", "503"])]
    with FakeServer(scripts) as srv:
        out, _ = grade_difficulty(frame([{"id": "f", "question": "flaky q", "answer": "12"}]),
                                  settings=make_settings(srv.base_url), store_url=store_url)
        assert srv.count("flaky") == 4
        assert [h.action for h in srv.hits] == ["429", "500", "503", "ok"]
    row, res = result(out, "f")
    assert res["status"] == "scored" and res["correct"] == 4 and res["k"] == 4
    stats = store_stats(store_url)
    assert stats["requests"] == 4 and stats["requests_ok"] == 1
    assert stats["errors"] == {"429": 1, "500": 1, "503": 1}
    assert stats["last_runs"][0]["retries"] == 3


def test_timeouts_malformed_and_truncated_bodies_are_retried(store_url):
    scripts = [
        Script("hangs", answers=["\\boxed{1}"], faults=["hang"]),
        Script("garbled", answers=["\\boxed{2}"], faults=["malformed", "truncated", "empty_choices"]),
    ]
    with FakeServer(scripts, hang_seconds=5) as srv:
        df = frame([{"id": "h", "question": "hangs q", "answer": "1"}, {"id": "g", "question": "garbled q", "answer": "2"}])
        out, _ = grade_difficulty(df, settings=make_settings(srv.base_url, request_timeout=0.5), store_url=store_url)
        assert srv.count("hangs") == 2
    for rid in ("h", "g"):
        _, res = result(out, rid)
        assert res["status"] == "scored" and res["correct"] == 4, res
    errors = store_stats(store_url)["errors"]
    assert errors.get("timeout") == 1 and errors.get("malformed") == 2 and errors.get("connection") == 1  # bad JSON + no choices; truncated body


def test_unscored_after_retries_is_not_dropped_nor_hard(store_url):
    scripts = [Script("down", faults=["500"] * 10), Script("fine", answers=["\\boxed{3}"])]
    with FakeServer(scripts) as srv:
        df = frame([{"id": "d", "question": "down q", "answer": "3"}, {"id": "ok", "question": "fine q", "answer": "4"}])
        settings = make_settings(srv.base_url, max_retries=2, max_unscored_share=0.5)  # 1 of 2 is tolerated
        out, evidence = grade_difficulty(df, settings=settings, store_url=store_url)
        assert srv.count("down") == 3  # one try + two retries
    row, res = result(out, "d")
    assert res["status"] == "unscored"
    assert "500" in res["error"] and res["failed"] == 4 and res["pass_rate"] is None
    assert row["drop_reason"] is None and row["difficulty_label"] is None and row["review_reason"] is None
    assert "d" not in evidence
    # the healthy item next to it is graded normally (and disputed: the model says 3, reference 4)
    row, res = result(out, "ok")
    assert res["status"] == "scored" and row["review_reason"] == "disputed_reference"


def test_fewer_choices_than_n_falls_back_to_single_requests(store_url):
    with FakeServer(supports_n=False, default_answer="\\boxed{5}") as srv:
        df = frame([{"id": "a", "question": "first q", "answer": "5"}, {"id": "b", "question": "second q", "answer": "5"}])
        out, _ = grade_difficulty(df, settings=make_settings(srv.base_url, concurrency=1), store_url=store_url)
        first = [h.n for h in srv.hits if "first" in h.question]
        second = [h.n for h in srv.hits if "second" in h.question]
    assert first == [4, 1, 1, 1]  # asked n=4, got 1, fetched 3 more one by one
    assert second == [1, 1, 1, 1]  # remembered per endpoint: straight to single requests
    for rid in ("a", "b"):
        assert result(out, rid)[1]["correct"] == 4


def test_partial_choices_and_400_on_n(store_url):
    scripts = [Script("two only", answers=["\\boxed{1}"], max_choices=2)]
    with FakeServer(scripts) as srv:
        out, _ = grade_difficulty(frame([{"id": "t", "question": "two only", "answer": "1"}]),
                                  settings=make_settings(srv.base_url), store_url=store_url)
        assert [h.n for h in srv.hits] == [4, 1, 1]
    assert result(out, "t")[1]["correct"] == 4
    scripts = [Script("refuse", answers=["\\boxed{1}"], faults=["400"])]
    with FakeServer(scripts) as srv:
        out, _ = grade_difficulty(frame([{"id": "r", "question": "refuse n", "answer": "1"}]),
                                  settings=make_settings(srv.base_url), store_url=store_url)
        assert [h.n for h in srv.hits] == [4, 1, 1, 1, 1]
    assert result(out, "r")[1]["correct"] == 4


def test_null_content_choice_is_a_failed_sample_not_a_crash(store_url):
    scripts = [Script("nullish", answers=["\\boxed{1}"], faults=["null_content", "null_content"])]
    with FakeServer(scripts) as srv:
        out, _ = grade_difficulty(frame([{"id": "n", "question": "nullish", "answer": "1"}]),
                                  settings=make_settings(srv.base_url, k=2, max_unscored_share=1.0),
                                  store_url=store_url)
        assert [h.action for h in srv.hits] == ["null_content", "null_content", "ok"]
    res = result(out, "n")[1]
    # one single request also came back without text: that sample is missing -> item unscored
    assert res["status"] == "unscored" and res["failed"] == 1
    # the next run asks only for the missing sample
    with FakeServer([Script("nullish", answers=["\\boxed{1}"])]) as srv:
        out, _ = grade_difficulty(frame([{"id": "n", "question": "nullish", "answer": "1"}]),
                                  settings=make_settings(srv.base_url, k=2), store_url=store_url)
        assert len(srv.hits) == 1
    assert result(out, "n")[1]["status"] == "scored"


def test_rerun_with_same_settings_makes_zero_requests(store_url):
    rows = [{"id": f"q{i}", "question": f"question {i}", "answer": "42"} for i in range(10)]
    with FakeServer() as srv:
        settings = make_settings(srv.base_url, k=3, easy_threshold=4)  # nothing dropped
        out1, _ = grade_difficulty(frame(rows), settings=settings, store_url=store_url)
        assert len(srv.hits) == 10
        srv.reset_hits()
        out2, _ = grade_difficulty(frame(rows), settings=settings, store_url=store_url)
        assert len(srv.hits) == 0
    assert out1["difficulty"].to_list() == out2["difficulty"].to_list()
    stats = store_stats(store_url)
    assert stats["cache_hits"] == 30 and stats["samples"] == 30 and stats["runs"] == 2
    assert stats["last_runs"][0]["requests"] == 0
    # changing a sampling parameter changes the keys: everything is requested again
    with FakeServer() as srv:
        grade_difficulty(frame(rows), settings=make_settings(srv.base_url, k=3, temperature=0.2), store_url=store_url)
        assert len(srv.hits) == 10


def test_killed_run_resumes_without_repeating_requests(store_url):
    rows = [{"id": f"q{i}", "question": f"question {i}", "answer": "42"} for i in range(12)]
    # the server dies after 5 answers (every later request gets a 500), no retries
    with FakeServer(fail_after=5) as srv:
        settings = make_settings(srv.base_url, max_retries=0, concurrency=3, max_unscored_share=1.0)
        out, _ = grade_difficulty(frame(rows), settings=settings, store_url=store_url)
    statuses = [r[-1]["status"] for r in out["difficulty"].to_list()]
    assert statuses.count("scored") == 5 and statuses.count("unscored") == 7
    assert store_stats(store_url)["samples"] == 20
    with FakeServer() as srv:
        out, _ = grade_difficulty(frame(rows), settings=make_settings(srv.base_url), store_url=store_url)
        assert len(srv.hits) == 7  # only the items not stored yet
    assert all(r[-1]["status"] == "scored" for r in out["difficulty"].to_list())


def test_cancelled_run_keeps_samples_and_resumes(store_url):
    rows = [{"id": f"q{i}", "question": f"question {i}", "answer": "42"} for i in range(20)]
    k = 3

    async def run_and_cancel(srv):
        settings = make_settings(srv.base_url, k=k, concurrency=2)
        task = asyncio.create_task(grade_difficulty_async(frame(rows), settings=settings, store_url=store_url))
        while srv.ok_responses < 15:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with FakeServer(supports_n=False, latency=0.02) as srv:
        asyncio.run(run_and_cancel(srv))
    stats = store_stats(store_url)
    stored = stats["samples"]
    assert 0 < stored < 60 and stats["last_runs"][0]["status"] == "interrupted"
    with FakeServer(supports_n=False) as srv:
        out, _ = grade_difficulty(frame(rows), settings=make_settings(srv.base_url, k=k), store_url=store_url)
        # no stored sample is asked for again: this server answers every request with one choice,
        # so each request delivers exactly one missing sample
        assert len(srv.hits) == 60 - stored
    assert all(r[-1]["status"] == "scored" for r in out["difficulty"].to_list())


def test_fatal_status_and_missing_key_raise_clear_errors(store_url, monkeypatch):
    monkeypatch.delenv("CURATE_TEST_NO_SUCH_KEY", raising=False)
    with FakeServer([Script("auth", faults=["401"])]) as srv:
        settings = make_settings(srv.base_url, api_key_env="CURATE_TEST_NO_SUCH_KEY")
        with pytest.raises(ModelEndpointError, match="CURATE_TEST_NO_SUCH_KEY"):
            grade_difficulty(frame([{"question": "auth q", "answer": "1"}]), settings=settings, store_url=store_url)
        assert srv.hits == []
        with pytest.raises(ModelEndpointError, match="401"):
            grade_difficulty(frame([{"question": "auth q", "answer": "1"}]), settings=make_settings(srv.base_url),
                             store_url=store_url)
        assert len(srv.hits) == 1  # not retried
    with pytest.raises(ConfigError):
        grade_difficulty(frame([{"question": "q", "answer": "1"}]),
                         settings=make_settings("http://127.0.0.1:9/v1", user_prompt="{nope}"), store_url=store_url)


def test_callable_from_running_loop_and_from_threads(store_url):
    rows = [{"id": "x", "question": "loop q", "answer": "42"}]
    with FakeServer() as srv:
        settings = make_settings(srv.base_url, k=2)

        async def inside_loop():
            return grade_difficulty(frame(rows), settings=settings, store_url=store_url)

        out, _ = asyncio.run(inside_loop())
        assert result(out, "x")[1]["correct"] == 2
        got = {}
        t = threading.Thread(target=lambda: got.update(r=grade_difficulty(frame(rows), settings=settings, store_url=store_url)))
        t.start()
        t.join()
        assert result(got["r"][0], "x")[1]["correct"] == 2


def test_retry_after_is_honoured_and_backoff_grows(store_url, monkeypatch):
    import curation.model.client as client_mod

    delays = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds, *a, **kw):
        delays.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(client_mod.asyncio, "sleep", fake_sleep)
    scripts = [Script("slow down", answers=["\\boxed{1}"], faults=["429:7", "500", "500"])]
    with FakeServer(scripts) as srv:
        out, _ = grade_difficulty(frame([{"id": "s", "question": "slow down", "answer": "1"}]),
                                  settings=make_settings(srv.base_url, backoff_base=1.0, backoff_max=10.0),
                                  store_url=store_url)
    assert result(out, "s")[1]["status"] == "scored"
    delays = [d for d in delays if d]  # asyncio.sleep is patched module-wide: drop others' sleep(0)
    assert len(delays) == 3
    assert delays[0] >= 7.0  # Retry-After: 7 (within backoff_max)
    assert delays[1] <= 2.0 and delays[2] <= 4.0  # full jitter on base * 2**attempt


def test_sigkilled_cli_run_resumes_without_repeating_requests(tmp_path):
    """A real kill -9 of `curate difficulty` mid-run; the rerun asks only for samples not stored."""
    import os
    import signal

    rows = [{"id": f"q{i}", "question": f"killable question {i}", "answer": "42"} for i in range(40)]
    k = 2
    with FakeServer(latency=0.05) as srv:
        proc, store, store_url = _start_difficulty(tmp_path, rows, srv.base_url, "--k", str(k), "--concurrency", "2")
        try:
            _wait_running(proc, lambda: srv.ok_responses >= 10)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(30)
        sent = srv.ok_responses
    stored = store_stats(store_url)["samples"]
    assert 0 < stored <= sent * k < 80
    with FakeServer() as srv:
        out, _ = grade_difficulty(frame(rows), settings=make_settings(srv.base_url, model="m", k=k), store_url=store_url)
        assert sum(h.n for h in srv.hits) == 80 - stored  # every sample asked for exactly once overall
    # the killed run is not left `running` forever: the next run on this host marks it
    assert [r["status"] for r in store_stats(store_url)["last_runs"]] == ["done", "interrupted"]
    assert all(r[-1]["status"] == "scored" for r in out["difficulty"].to_list())


def test_status_errors_keep_the_server_message_and_headers(store_url):
    """The request log keeps "HTTP <status>: <error.message>"; the key goes in the Authorization header."""
    from sqlalchemy import create_engine, text

    scripts = [Script("msg", answers=["\\boxed{5}"], faults=["429:0", "503"])]
    with FakeServer(scripts) as srv:
        out, _ = grade_difficulty(frame([{"id": "m", "question": "msg q", "answer": "5"}]),
                                  settings=make_settings(srv.base_url + "/"), store_url=store_url)
        assert [h.action for h in srv.hits] == ["429:0", "503", "ok"]
        assert {h.auth for h in srv.hits} == {"Bearer EMPTY"}
    _, res = result(out, "m")
    assert res["status"] == "scored" and res["correct"] == 4
    engine = create_engine(store_url)
    with engine.connect() as conn:
        errors = [r[0] for r in conn.execute(text("SELECT error FROM requests WHERE status != 'ok' ORDER BY attempt"))]
    engine.dispose()
    assert errors == ["429: HTTP 429: scripted 429:0", "503: HTTP 503: scripted 503"]


def test_samples_are_stored_as_they_arrive_not_when_the_item_completes(tmp_path):
    """A server that ignores `n` (one request per sample) and hangs on one of an item's k requests:
    the samples already received are in the store while the item is still incomplete, and a kill -9
    at that moment loses none of them (the rerun asks only for the one that never came)."""
    import os
    import signal

    rows = [{"id": "slow", "question": "a question with one slow sample", "answer": "42"}]
    k = 4
    # the first request (n=4) gets one choice, so the client falls back to single requests; the
    # first of those hangs
    scripts = [Script("one slow sample", answers=["\\boxed{42}"], faults=["ok", "hang"])]
    with FakeServer(scripts, supports_n=False, hang_seconds=120) as srv:
        proc, store, store_url = _start_difficulty(tmp_path, rows, srv.base_url, "--k", str(k), "--timeout", "300")

        def stored() -> int:
            try:
                return store_stats(store_url)["samples"]
            except Exception:  # the schema may not be there yet
                return 0

        try:
            _wait_running(proc, lambda: stored() == k - 1, seconds=90)
            assert stored() == k - 1, f"{stored()} of the {k - 1} received samples were stored while the item was incomplete"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(30)
        assert srv.count(action="ok") == k - 1
    assert store_stats(store_url)["samples"] == k - 1
    with FakeServer(supports_n=False) as srv:
        out, _ = grade_difficulty(frame(rows), settings=make_settings(srv.base_url, model="m", k=k), store_url=store_url)
        assert len(srv.hits) == 1  # only the sample that never arrived
    assert out["difficulty"].to_list()[0][-1]["status"] == "scored"


def test_too_many_unscored_items_fail_the_stage_with_one_line(store_url):
    """Past `max_unscored_share` the stage raises (the CLI exits non-zero) naming the count and the
    cause; what did arrive is stored, so the rerun asks only for the rest."""
    from curation.errors import UnscoredError

    scripts = [Script("broken", faults=["503"] * 100), Script("fine", answers=["\\boxed{3}"])]
    rows = [{"id": f"b{i}", "question": f"broken q{i}", "answer": "3"} for i in range(3)]
    rows.append({"id": "ok", "question": "fine q", "answer": "3"})
    with FakeServer(scripts) as srv:
        with pytest.raises(UnscoredError, match=r"3 of 4 graded items are unscored .*503"):
            grade_difficulty(frame(rows), settings=make_settings(srv.base_url, max_retries=1), store_url=store_url)
    assert store_stats(store_url)["samples"] == 4  # the healthy item's k samples are kept
    with FakeServer(scripts=[Script("q", answers=["\\boxed{3}"])]) as srv:
        out, _ = grade_difficulty(frame(rows), settings=make_settings(srv.base_url), store_url=store_url)
        assert srv.count("fine") == 0  # not asked again
    assert all(r[-1]["status"] == "scored" for r in out["difficulty"].to_list())


def test_refused_connection_stops_after_the_first_item(store_url):
    """A dead endpoint: one item's retries, then one clear error; not every item's retries."""
    import socket

    from curation.errors import ModelEndpointError

    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rows = [{"id": f"q{i}", "question": f"question {i}", "answer": "1"} for i in range(50)]
    settings = make_settings(f"http://127.0.0.1:{port}/v1", max_retries=1, concurrency=2)
    with pytest.raises(ModelEndpointError, match=r"no connection to http://127\.0\.0\.1:\d+/v1"):
        grade_difficulty(frame(rows), settings=settings, store_url=store_url)
    stats = store_stats(store_url)
    assert stats["requests"] <= 2 * settings.k  # the first item only (n=k, then singles at most)


@pytest.mark.parametrize("url", ["ftp://host/v1", "localhost:8000", "http://", "file:///tmp/x"])
def test_endpoint_url_is_validated_in_config(url):
    from curation.config import ModelSettings

    with pytest.raises(ValueError, match="http:// or https:// URL"):
        ModelSettings(base_url=url)


def test_sigterm_unwinds_like_ctrl_c_and_marks_the_run_interrupted(tmp_path):
    """`kill PID` (what schedulers send) flushes the samples received and records the run as
    interrupted, exit 130; nothing received is asked for again."""
    import os
    import signal

    rows = [{"id": f"t{i}", "question": f"terminated question {i}", "answer": "42"} for i in range(40)]
    with FakeServer(latency=0.05) as srv:
        proc, store, store_url = _start_difficulty(tmp_path, rows, srv.base_url, "--k", "2", "--concurrency", "2")
        try:
            _wait_running(proc, lambda: srv.ok_responses >= 6)
            os.kill(proc.pid, signal.SIGTERM)
            assert proc.wait(60) == 130
        finally:
            if proc.poll() is None:
                proc.kill()
        sent = srv.ok_responses
    stats = store_stats(store_url)
    assert stats["last_runs"][0]["status"] == "interrupted"
    assert 0 < stats["samples"] <= sent * 2
    with FakeServer() as srv:  # what was flushed is not asked for again
        grade_difficulty(frame(rows), settings=make_settings(srv.base_url, model="m", k=2), store_url=store_url)
        assert sum(h.n for h in srv.hits) == 80 - stats["samples"]


def _start_difficulty(tmp_path: Path, rows: list[dict], base_url: str, *options: str):
    """A real `curate difficulty` process over `rows`; returns (process, store path, store URL)."""
    import subprocess
    import sys

    from curation.io import write_problems

    inp = tmp_path / "in.parquet"
    write_problems(frame(rows), inp)
    store = tmp_path / "store.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "curation.cli.main", "difficulty", str(inp), str(tmp_path / "out.parquet"),
         "--base-url", base_url, "--model", "m", "--store", str(store), "--no-progress", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[2],
    )
    return proc, store, f"sqlite:///{store}"


def _wait_running(proc, condition, seconds: float = 120) -> None:
    """Wait until `condition()` holds while the process still runs (it must not have ended)."""
    import time

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be stopped"
