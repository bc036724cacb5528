"""Load test of the review queue: N concurrent reviewers against a real `curate review serve`.

    python benchmarks/review_load.py [--duration 60] [--reviewers 20] [--items 1000]

Each reviewer (a thread with its own httpx client, header-token auth) loops: POST /api/next, then
POST /api/decide (70% accept, 10% edit, 15% reject, 5% skip). When the queue runs dry the harness
queues another batch of fresh items (in-process, through the library, while the server runs).
At the end the server is stopped and the DB's audit table is checked:
  * duplicate claims — an item `claimed` while another reviewer still held it (must be 0);
  * lost decisions  — decisions acknowledged with HTTP 200 but missing from the audit (must be 0);
  * phantom decisions — audit decisions no client saw acknowledged (reported).
Baseline: the same loop calling the library in-process (same thread count, fresh DB), and the
ratio HTTP / in-process. Figures only; no assertions on timings.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from curation.review import ReviewQueue, queue_items  # noqa: E402
from schemas.problem import conform  # noqa: E402

MIX = [("accepted", 0.70), ("edited", 0.10), ("rejected", 0.15), ("skipped", 0.05)]


def make_items(n: int, start: int) -> pl.DataFrame:
    ids = [f"bench{i:07d}" for i in range(start, start + n)]
    return conform(
        pl.DataFrame(
            {
                "id": ids,
                "source": ["bench"] * n,
                "question": [f"Find the remainder of $3^{{{i}}}$ modulo $7$." for i in range(start, start + n)],
                "answer": [str(pow(3, i, 7)) for i in range(start, start + n)],
                "review_reason": ["disputed_reference"] * n,
                "difficulty": [[{"model": "m", "k": 4, "correct": 1, "pass_rate": 0.25, "majority_answer": "1", "majority_share": 0.5}]] * n,
            }
        )
    )


def pick(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for name, p in MIX:
        acc += p
        if x < acc:
            return name
    return MIX[0][0]


class Refill:
    """Queue another batch of fresh items when the queue runs dry (one refill at a time)."""

    def __init__(self, url: str, batch: int, start: int) -> None:
        self.url, self.batch, self.next_start = url, batch, start
        self.lock = threading.Lock()
        self.count = 0
        self.queue = ReviewQueue(url)

    def __call__(self) -> None:
        if not self.lock.acquire(blocking=False):
            time.sleep(0.02)  # another reviewer is refilling
            return
        try:
            if self.queue.stats()["by_status"]["pending"] == 0:
                queue_items(make_items(self.batch, self.next_start), self.queue)
                self.next_start += self.batch
                self.count += 1
        finally:
            self.lock.release()


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.claims: Counter = Counter()  # (item_id, reviewer)
        self.acked: Counter = Counter()  # (item_id, reviewer, decision)
        self.refused = 0
        self.errors: Counter = Counter()
        self.cycle_ms: list[float] = []


THINK_MS = 0.0


def think(rng: random.Random) -> None:
    if THINK_MS:
        time.sleep(rng.uniform(0, THINK_MS) / 1000)


def http_reviewer(base: str, token: str, name: str, deadline: float, stats: Stats, refill: Refill, seed: int) -> None:
    import httpx

    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60.0) as client:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            r = client.post("/api/next", json={"reviewer": name})
            if r.status_code != 200:
                with stats.lock:
                    stats.errors[f"next {r.status_code}"] += 1
                continue
            item = r.json()["item"]
            if item is None:
                refill()
                continue
            with stats.lock:
                stats.claims[(item["id"], name)] += 1
            think(rng)
            decision = pick(rng)
            body = {"reviewer": name, "item_id": item["id"], "decision": decision}
            if decision == "edited":
                body["answer"] = item["snapshot"]["answer"] + " (checked)"
            r = client.post("/api/decide", json=body)
            with stats.lock:
                if r.status_code == 200:
                    stats.acked[(item["id"], name, decision)] += 1
                    stats.cycle_ms.append((time.perf_counter() - t0) * 1000)
                elif r.status_code == 409:
                    stats.refused += 1
                else:
                    stats.errors[f"decide {r.status_code}"] += 1


def library_reviewer(queue: ReviewQueue, name: str, deadline: float, stats: Stats, refill: Refill, seed: int) -> None:
    from curation.errors import ReviewError

    rng = random.Random(seed)
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        item = queue.claim_next(name)
        if item is None:
            refill()
            continue
        with stats.lock:
            stats.claims[(item.id, name)] += 1
        think(rng)
        decision = pick(rng)
        try:
            kw = {"answer": item.answer + " (checked)"} if decision == "edited" else {}
            queue.decide(item.id, name, decision, **kw)
        except ReviewError:
            with stats.lock:
                stats.refused += 1
            continue
        with stats.lock:
            stats.acked[(item.id, name, decision)] += 1
            stats.cycle_ms.append((time.perf_counter() - t0) * 1000)


def audit_check(url: str, stats: Stats) -> dict:
    """Replay the audit table: duplicate claims, lost and phantom decisions."""
    q = ReviewQueue(url)
    try:
        events = q.events()
    finally:
        q.close()
    holder: dict[int, str | None] = {}
    duplicate_claims = 0
    db_decisions: Counter = Counter()
    db_claims: Counter = Counter()
    for e in events:
        item, kind = e["item_id"], e["event"]
        if kind == "claimed":
            if holder.get(item) not in (None, e["actor"]):
                duplicate_claims += 1
            holder[item] = e["actor"]
            db_claims[(item, e["actor"])] += 1
        elif kind in ("decided", "edited"):
            if holder.get(item) != e["actor"]:
                duplicate_claims += 1  # a decision by someone not holding the item
            holder[item] = None
            db_decisions[(item, e["actor"], e["after"]["status"])] += 1
        elif kind in ("released", "requeued"):
            holder[item] = None
    lost = sum((stats.acked - db_decisions).values())
    phantom = sum((db_decisions - stats.acked).values())
    # every claim a client saw must be an audited claim by that reviewer (and vice versa)
    claim_mismatch = sum((stats.claims - db_claims).values()) + sum((db_claims - stats.claims).values())
    return {
        "events": len(events),
        "duplicate_claims": duplicate_claims,
        "lost_decisions": lost,
        "phantom_decisions": phantom,
        "claim_mismatch": claim_mismatch,
        "db_decisions": sum(db_decisions.values()),
    }


def run_threads(target, args_for, n: int) -> float:
    threads = [threading.Thread(target=target, args=args_for(i)) for i in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def report(label: str, stats: Stats, elapsed: float, audit: dict, refills: int) -> float:
    n = sum(stats.acked.values())
    rate = n / elapsed if elapsed else 0.0
    p50 = statistics.median(stats.cycle_ms) if stats.cycle_ms else float("nan")
    p95 = statistics.quantiles(stats.cycle_ms, n=20)[-1] if len(stats.cycle_ms) >= 20 else float("nan")
    print(f"[{label}] decisions: {n} in {elapsed:.1f} s = {rate:.1f} decisions/s "
          f"(claim+decide cycle p50 {p50:.1f} ms, p95 {p95:.1f} ms); refills: {refills}")
    print(f"[{label}] by decision: {dict(Counter(d for (_i, _r, d), c in stats.acked.items() for _ in range(c)))}")
    print(f"[{label}] duplicate claims: {audit['duplicate_claims']}  lost decisions: {audit['lost_decisions']}  "
          f"phantom decisions: {audit['phantom_decisions']}  claim/audit mismatches: {audit['claim_mismatch']}  "
          f"refused (409): {stats.refused}  errors: {dict(stats.errors)}  audit events: {audit['events']}")
    return rate


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of HTTP load (default 60)")
    ap.add_argument("--baseline-duration", type=float, default=None, help="seconds of the in-process baseline (default: same as --duration)")
    ap.add_argument("--reviewers", type=int, default=20)
    ap.add_argument("--items", type=int, default=1000, help="items queued at the start (and per refill)")
    ap.add_argument("--lease-seconds", type=float, default=900, help="lease length (short leases exercise expiry and refusals)")
    ap.add_argument("--think-ms", type=float, default=0.0, help="random 0..N ms pause between claim and decision (with short leases: lost leases)")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    global THINK_MS
    THINK_MS = args.think_ms
    work = args.workdir or Path(tempfile.mkdtemp(prefix="review-load-"))
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "tests"))
    from review.helpers import start_server, stop_server  # the same launcher the e2e test uses

    # ---------------------------------------------------------------- HTTP against a real server
    url = f"sqlite:///{work / 'http.sqlite'}"
    q = ReviewQueue(url)
    queue_items(make_items(args.items, 0), q)
    q.close()
    proc, base, token = start_server(work / "http.sqlite", args=("--lease-seconds", str(int(max(1, args.lease_seconds)))))
    stats = Stats()
    refill = Refill(url, args.items, args.items)
    try:
        deadline = time.monotonic() + args.duration
        elapsed = run_threads(
            http_reviewer, lambda i: (base, token, f"reviewer{i:02d}", deadline, stats, refill, i), args.reviewers
        )
    finally:
        stop_server(proc)
        refill.queue.close()
    audit = audit_check(url, stats)
    print(f"review load: {args.reviewers} reviewers, {args.items} items, {args.duration:.0f} s, "
          f"lease {args.lease_seconds:g} s, think 0..{args.think_ms:g} ms, "
          f"SQLite at {work}, python {sys.version.split()[0]}")
    http_rate = report("http", stats, elapsed, audit, refill.count)

    # ---------------------------------------------------------------- baseline: library in-process
    url_b = f"sqlite:///{work / 'library.sqlite'}"
    qb = ReviewQueue(url_b, lease_seconds=int(max(1, args.lease_seconds)))
    queue_items(make_items(args.items, 0), qb)
    stats_b = Stats()
    refill_b = Refill(url_b, args.items, args.items)
    deadline = time.monotonic() + (args.baseline_duration or args.duration)
    elapsed_b = run_threads(
        library_reviewer, lambda i: (qb, f"reviewer{i:02d}", deadline, stats_b, refill_b, i), args.reviewers
    )
    qb.close()
    refill_b.queue.close()
    audit_b = audit_check(url_b, stats_b)
    lib_rate = report("library", stats_b, elapsed_b, audit_b, refill_b.count)
    ratio = http_rate / lib_rate if lib_rate else float("nan")
    print(f"ratio http/library decisions per second: {ratio:.2f}")
    ok = all(a["duplicate_claims"] == 0 and a["lost_decisions"] == 0 for a in (audit, audit_b))
    print("integrity:", "OK (0 duplicate claims, 0 lost decisions)" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
