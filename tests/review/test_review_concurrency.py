"""Many reviewers claiming at once from one SQLite file: no item is ever held twice."""

from __future__ import annotations

import multiprocessing as mp
import queue as stdqueue
import threading
from collections import Counter

from curation.review import ReviewQueue, queue_items

from .helpers import claim_and_decide_worker, make_df

N_ITEMS = 120


def _check(url: str, results: list[tuple[str, list[int]]]) -> None:
    claimed = [i for _r, ids in results for i in ids]
    dupes = [i for i, n in Counter(claimed).items() if n > 1]
    assert dupes == []
    assert len(claimed) == N_ITEMS
    q = ReviewQueue(url)
    try:
        assert {i.status for i in q.list_items(limit=None)} == {"accepted"}
        ev = q.events()
        claims = Counter(e["item_id"] for e in ev if e["event"] == "claimed")
        decided = Counter(e["item_id"] for e in ev if e["event"] == "decided")
        assert set(claims.values()) == {1} and set(decided.values()) == {1} and len(claims) == N_ITEMS
        owners = {e["item_id"]: e["actor"] for e in ev if e["event"] == "claimed"}
        for reviewer, ids in results:
            assert all(owners[i] == reviewer for i in ids)
    finally:
        q.close()


def _prepare(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'review.sqlite'}"
    q = ReviewQueue(url)
    queue_items(make_df(N_ITEMS), q)
    q.close()
    return url


def _in_threads(worker, url: str, n: int) -> list:
    """Run `worker(url, reviewer, out)` in `n` threads at once; their reports."""
    out: stdqueue.Queue = stdqueue.Queue()
    threads = [threading.Thread(target=worker, args=(url, f"t{i}", out)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return [out.get_nowait() for _ in threads]


def test_threads_never_claim_the_same_item(tmp_path):
    url = _prepare(tmp_path)
    _check(url, _in_threads(claim_and_decide_worker, url, 8))


def test_processes_never_claim_the_same_item(tmp_path):
    url = _prepare(tmp_path)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=claim_and_decide_worker, args=(url, f"p{i}", out)) for i in range(4)]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    _check(url, results)
    assert sum(1 for _r, ids in results if ids) >= 1


def test_threads_in_several_processes_never_claim_the_same_item(tmp_path):
    from .helpers import threaded_process_worker

    url = _prepare(tmp_path)
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=threaded_process_worker, args=(url, f"p{i}", 4, out)) for i in range(3)]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in range(3 * 4)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    _check(url, results)


def _cluster_worker(url: str, reviewer: str, out) -> None:
    """Claim until empty; decide each claimed cluster (keep its first member); report what was decided."""
    q = ReviewQueue(url)
    got = []
    try:
        while True:
            item = q.claim_next(reviewer)
            if item is None:
                break
            members = q.cluster_items(item.id)
            got.append(sorted(m.id for m in members))
            q.decide_cluster(item.id, reviewer, "keep_one", keep=members[0].id)
    finally:
        q.close()
    out.put((reviewer, got))


def test_threads_take_whole_clusters_and_never_share_one(tmp_path):
    """40 conflicting clusters of 3 members, 6 reviewers at once: every cluster is claimed and decided
    by exactly one reviewer, every member once, one member kept per cluster."""
    import polars as pl

    from schemas import conform

    url = f"sqlite:///{tmp_path / 'review.sqlite'}"
    rows = [
        {"id": f"c{c}m{m}", "source": "s", "question": f"Cluster {c} copy {m}", "answer": str(m), "cluster_id": f"c{c}m0",
         "conflicting_answers": True, "review_reason": "conflicting_answers"}
        for c in range(40) for m in range(3)
    ]
    q = ReviewQueue(url)
    queue_items(conform(pl.DataFrame(rows)).sample(fraction=1.0, shuffle=True, seed=3), q)  # members interleaved
    q.close()
    results = _in_threads(_cluster_worker, url, 6)
    clusters = [tuple(c) for _r, got in results for c in got]
    assert len(clusters) == 40 and len(set(clusters)) == 40
    assert sorted(i for c in clusters for i in c) == list(range(1, 121))
    q = ReviewQueue(url)
    try:
        items = q.list_items(limit=None)
        assert Counter(i.status for i in items) == {"accepted": 40, "duplicate": 80}
        by_cluster: dict[str, set] = {}
        for i in items:
            by_cluster.setdefault(i.cluster_key, set()).add(i.decided_by)
        assert all(len(who) == 1 for who in by_cluster.values())
    finally:
        q.close()
