"""Sampling throughput of the difficulty stage against a fixed-latency loopback server.

The server (tests/difficulty/fake_server.py, run in a subprocess so it does not share our GIL)
answers every request after an asyncio sleep of --latency seconds with unlimited parallelism, so
the ideal rate at concurrency C is min(C, requests) / latency requests per second. For each
concurrency limit we grade --items items x --k samples into a fresh response store and print the
achieved requests/s against that ideal (the baseline measured in the same run), then rerun the
last configuration on the same store: it must make 0 requests.

    python benchmarks/sampling.py                       # 2000 items x k=8, C = 32, 64, 128
    python benchmarks/sampling.py --mode single         # server ignores n: k requests per item
    python benchmarks/sampling.py --items 500 --concurrency 16 32

Sampling time is measured from the first request to the last item finished (progress callback);
scoring time (verifier on every sample) is reported separately.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from curation.config import DifficultySettings, ModelSettings  # noqa: E402
from curation.difficulty import grade_difficulty  # noqa: E402
from curation.model.store import store_stats
from schemas.problem import conform  # noqa: E402

SERVER = ROOT / "tests" / "difficulty" / "fake_server.py"


def start_server(latency: float, supports_n: bool) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, str(SERVER), "--latency", str(latency)]
    if not supports_n:
        cmd.append("--no-n")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"fake server did not start: {url!r}")
    return proc, url


def server_hits(url: str) -> int:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=10) as resp:
        return json.loads(resp.read())["hits"]


def problems(items: int) -> pl.DataFrame:
    return conform(pl.DataFrame({
        "id": [f"b{i}" for i in range(items)],
        "source": ["bench"] * items,
        "question": [f"Benchmark question number {i}: what is 40 + 2?" for i in range(items)],
        "answer": ["42" if i % 2 else "41" for i in range(items)],
    }))


def run(df, url, store_url, *, k, concurrency, timeout) -> dict:
    settings = DifficultySettings(
        model=ModelSettings(base_url=url, model="bench-model", concurrency=concurrency, request_timeout=timeout,
                            max_retries=3, backoff_base=0.05),
        k=k, max_tokens=64,
    )
    last: dict = {}

    def progress(done, total, info):
        last.update(info, done=done, total=total)

    hits0 = server_hits(url)
    t0 = time.perf_counter()
    out, evidence = grade_difficulty(df, settings=settings, store_url=store_url, progress=progress)
    wall = time.perf_counter() - t0
    requests = server_hits(url) - hits0
    sampling = last.get("elapsed") or 0.0
    return {"wall": wall, "sampling": sampling, "scoring": wall - sampling, "requests": requests,
            "client_requests": last.get("requests", 0), "out": out}


def cpu_share(seconds: float = 0.5) -> float:
    """Share of one core this process gets right now (busy loop: CPU time / wall time).

    On a shared machine other work steals the CPU; both the client and the server need it, so
    read the ratios below against this figure.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    x = 0
    while time.perf_counter() - t0 < seconds:
        x += 1
    return (time.process_time() - c0) / (time.perf_counter() - t0)


def bare_client(url: str, *, concurrency: int, requests: int, k: int, supports_n: bool) -> float:
    """Requests/s of a bare loop of AsyncOpenAI raw requests (no store, no engine, no scoring).

    The same HTTP path the engine uses, so engine/bare shows what the engine itself costs.
    """
    import asyncio

    import openai

    async def go() -> float:
        limits = type(openai.DEFAULT_CONNECTION_LIMITS)(max_connections=concurrency, max_keepalive_connections=concurrency)
        client = openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0, timeout=30,
                                    http_client=openai.DefaultAsyncHttpxClient(limits=limits))
        from curation.model.client import _response_class

        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            body = {"model": "bench-model", "messages": [{"role": "user", "content": f"bare {i}"}], "max_tokens": 64}
            if supports_n:
                body["n"] = k
            async with sem:
                resp = await client.post("/chat/completions", body=body, cast_to=_response_class())
                json.loads(resp.content)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        elapsed = time.perf_counter() - t0
        await client.close()
        return requests / elapsed

    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--latency", type=float, default=0.2, help="server latency per request, seconds")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[32, 64, 128])
    ap.add_argument("--bare", type=int, default=0,
                    help="also time N requests of a bare AsyncOpenAI loop at each concurrency (engine vs bare)")
    ap.add_argument("--mode", choices=["n", "single", "both"], default="both",
                    help="n: server honours n=k (one request per item); single: one choice per request")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    df = problems(args.items)
    modes = ["n", "single"] if args.mode == "both" else [args.mode]
    print(f"items={args.items} k={args.k} latency={args.latency * 1000:.0f}ms "
          f"(server in a subprocess, asyncio sleep, unlimited parallelism)")
    print(f"cpu share available to this process before the run: {cpu_share():.0%} of one core")
    header = f"{'mode':<7}{'conc':>5}{'requests':>10}{'sampling s':>12}{'req/s':>9}{'ideal':>9}{'ratio':>8}{'scoring s':>11}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            proc, url = start_server(args.latency, supports_n=(mode == "n"))
            try:
                last_store = None
                for c in args.concurrency:
                    store_url = f"sqlite:///{Path(tmp) / f'{mode}-{c}.sqlite'}"
                    r = run(df, url, store_url, k=args.k, concurrency=c, timeout=30)
                    n_req = r["requests"]
                    ideal = min(c, n_req) / args.latency
                    rps = n_req / r["sampling"] if r["sampling"] else float("nan")
                    print(f"{mode:<7}{c:>5}{n_req:>10}{r['sampling']:>12.2f}{rps:>9.1f}{ideal:>9.1f}"
                          f"{rps / ideal:>8.1%}{r['scoring']:>11.2f}", flush=True)
                    if args.bare:
                        bare = bare_client(url, concurrency=c, requests=args.bare, k=args.k, supports_n=(mode == "n"))
                        bare_ideal = min(c, args.bare) / args.latency
                        print(f"{'  bare':<7}{c:>5}{args.bare:>10}{'':>12}{bare:>9.1f}{bare_ideal:>9.1f}"
                              f"{bare / bare_ideal:>8.1%}   engine/bare {rps / bare:.0%}", flush=True)
                    last_store = (store_url, c)
                print(f"{mode:<7}cpu share now: {cpu_share():.0%} of one core", flush=True)
                store_url, c = last_store
                r = run(df, url, store_url, k=args.k, concurrency=c, timeout=30)
                stats = store_stats(store_url)
                print(f"{mode:<7}cached rerun (C={c}): {r['requests']} requests (store says "
                      f"{stats['last_runs'][0]['requests']}), cache hits {stats['cache_hits']}, "
                      f"wall {r['wall']:.2f}s (sampling phase {r['sampling']:.2f}s, scoring {r['scoring']:.2f}s)",
                      flush=True)
            finally:
                proc.terminate()
                proc.wait(10)


if __name__ == "__main__":
    main()
