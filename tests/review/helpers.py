"""Shared helpers for the review tests (importable by spawned worker processes too)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from schemas.problem import conform


class FakeClock:
    """An injectable clock: epoch seconds that only move when told to."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_df(n: int = 4, *, reason: str | None = "disputed_reference", **overrides) -> pl.DataFrame:
    """A conformed problem frame with `n` rows, all flagged for review unless told otherwise."""
    data = {
        "id": [f"p{i}" for i in range(n)],
        "source": ["unit"] * n,
        "question": [f"Compute $x^{i}$ for \\(x = 2\\)." for i in range(n)],
        "answer": [str(2**i) for i in range(n)],
        "review_reason": [reason] * n,
        "difficulty": [
            [{"model": "m1", "k": 4, "correct": 1, "pass_rate": 0.25, "majority_answer": "7", "majority_share": 0.75}]
        ]
        * n,
    }
    data.update(overrides)
    return conform(pl.DataFrame(data))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str | Path, *, port: int | None = None, extra_env: dict | None = None, args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str, str]:
    """Run `curate review serve` on a free loopback port; return (process, base url, token)."""
    import os

    port = port or free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(extra_env or {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "curation.cli.main", "review", "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    token = None
    deadline = time.monotonic() + 60
    while token is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                raise RuntimeError(f"review server exited with {proc.returncode}")
            continue
        if line.startswith("token: "):
            token = line.split(": ", 1)[1].strip()
    if token is None:
        proc.kill()
        raise RuntimeError("review server did not print its token")
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}", token


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def claim_and_decide_worker(url: str, reviewer: str, out) -> None:
    """Process/thread worker: claim until the queue is empty, accepting each item; report ids."""
    from curation.review import ReviewQueue

    queue = ReviewQueue(url)
    got = []
    try:
        while True:
            item = queue.claim_next(reviewer)
            if item is None:
                break
            got.append(item.id)
            queue.accept(item.id, reviewer)
    finally:
        queue.close()
    out.put((reviewer, got))


def threaded_process_worker(url: str, prefix: str, n_threads: int, out) -> None:
    """A process running `n_threads` claiming threads (each its own ReviewQueue); reports each."""
    import queue as stdqueue
    import threading

    local: stdqueue.Queue = stdqueue.Queue()
    threads = [threading.Thread(target=claim_and_decide_worker, args=(url, f"{prefix}-t{i}", local)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    while not local.empty():
        out.put(local.get())
