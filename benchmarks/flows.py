"""Prefect orchestration overhead: the pipeline on N synthetic problems, engine vs no engine.

    python benchmarks/flows.py                       # 100,000 problems, 1,000 puzzles, difficulty off
    python benchmarks/flows.py --n 20000 --difficulty 200 --latency 0.05
    python benchmarks/flows.py --runners thread      # skip the Dask run

Runs, each in a fresh output folder (so nothing is cached), after a small warm-up of both paths:
1. baseline: `curation.pipeline.run_pipeline` in-process (what `curate run` does without the engine);
2. `flows.pipeline.curation_pipeline` with each requested task runner (thread; dask = a
   `LocalCluster` of `--workers` single-threaded worker processes, started inside the run);
3. the thread run once more on the same folder: every stage but review is a cache hit;
4. the baseline again (the ratio uses the mean of both baselines: it shows the machine's noise).

The Prefect API server (temporary, local) is started once before the engine runs and its start-up
time is reported separately: a real deployment talks to a long-running server. Per stage it prints
the library time (inside the task) and the wall time seen by the flow (task submission, state
round-trips, result persistence included). Overhead = engine wall time / baseline wall time.

Data: word-salad problems (25-45 Zipf-distributed words from an 8,000-word vocabulary, numbers,
inline LaTeX), ~4% exact duplicates, ~4% near duplicates (one word added), ~5% multiple choice,
~2% proofs; plus
`--puzzles` generated puzzles (sudoku + maze, chunked by seed). The difficulty stage is off unless
`--difficulty K` grades the first K items against a loopback OpenAI-compatible server with a fixed
`--latency` (tests/difficulty/fake_server.py).

Peak memory: the highest resident set size of this process plus all its child processes (Dask
workers, the API server, process-pool workers), sampled every 0.1 s during each run.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import logging  # noqa: E402

import psutil  # noqa: E402

logging.getLogger("distributed").setLevel(logging.CRITICAL)  # cluster shutdown chatter

ROOT = Path(__file__).resolve().parents[1]

PROOF = "Prove that for every integer n the number n^{a} - n is divisible by {b}."
MCQ = "Which of the following equals {a} * {b}? (A) {x} (B) {y} (C) {z} (D) {w}"


def make_vocab(rng: random.Random, size: int = 8000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def make_problems(n: int, seed: int = 0) -> list[dict]:
    """Word-salad problems (Zipf-distributed words, numbers, inline LaTeX) with planted duplicates."""
    rng = random.Random(seed)
    vocab = make_vocab(rng)
    rng.shuffle(vocab)
    weights = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(vocab))))
    rows: list[dict] = []
    for i in range(n):
        r = rng.random()
        if rows and r < 0.04:  # exact duplicate of a recent row
            rows.append(dict(rows[rng.randrange(max(0, len(rows) - 500), len(rows))], id=f"b{i}"))
            continue
        if rows and r < 0.08:  # near duplicate: one extra word
            base = rows[rng.randrange(max(0, len(rows) - 500), len(rows))]
            rows.append(dict(base, id=f"b{i}", question=base["question"].replace(" ", " really ", 1)))
            continue
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        if r < 0.13:
            prod = a * b
            opts = [prod, prod + 1, prod - 1, prod + 10]
            rng.shuffle(opts)
            q = " ".join(rng.choices(vocab, cum_weights=weights, k=rng.randint(8, 20))) + ". " + MCQ.format(
                a=a, b=b, x=opts[0], y=opts[1], z=opts[2], w=opts[3]
            )
            rows.append({"id": f"b{i}", "question": q, "answer": "ABCD"[opts.index(prod)]})
        elif r < 0.15:
            q = " ".join(rng.choices(vocab, cum_weights=weights, k=rng.randint(8, 20))) + ". " + PROOF.format(a=a, b=b)
            rows.append({"id": f"b{i}", "question": q, "answer": ""})
        else:
            words = rng.choices(vocab, cum_weights=weights, k=rng.randint(25, 45))
            words.insert(rng.randrange(len(words)), f"${a}x^{{{b}}} + {rng.randint(1, 999)}$")
            q = " ".join(words) + f". Find the value for n = {rng.randint(1, 10_000)}."
            rows.append({"id": f"b{i}", "question": q, "answer": str(rng.randint(1, 10_000))})
    return rows


def write_inputs(root: Path, n: int, puzzles: int, difficulty: int, base_url: str | None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    with (root / "problems.jsonl").open("w") as fh:
        for row in make_problems(n):
            fh.write(json.dumps(row) + "\n")
    bench = [{"question": "What is the number of positive divisors of 360?", "answer": "24"}]
    (root / "bench.jsonl").write_text("\n".join(json.dumps(b) for b in bench) + "\n")
    text = f'output_dir = "out"\n\n[[sources]]\nname = "synthetic"\npath = "problems.jsonl"\n\n'
    text += '[[decontaminate.benchmarks]]\nname = "bench"\npath = "bench.jsonl"\n\n'
    if difficulty and base_url:
        text += f'[difficulty]\nk = 4\nsample_limit = {difficulty}\n[difficulty.model]\nbase_url = "{base_url}"\nmodel = "fake"\nconcurrency = 32\n\n'
    else:
        text += "[difficulty]\nenabled = false\n\n"
    if puzzles:
        half = puzzles // 2
        text += "[generate]\nenabled = true\n"
        text += f'[[generate.puzzles]]\ngenerator = "sudoku"\ncount = {half}\nlevel = 1\nseed = 1\n'
        text += f'[[generate.puzzles]]\ngenerator = "maze"\ncount = {puzzles - half}\nlevel = 2\nseed = 1\n\n'
    text += "[prefect]\nchunk_rows = 5000\nsignature_chunk_rows = 50000\n"
    cfg = root / "curate.toml"
    cfg.write_text(text)
    return cfg


class PeakMemory:
    """Highest RSS of this process + descendants, sampled in a thread."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> int:
        me = psutil.Process()
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.peak = self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def fake_server(latency: float):
    spec = importlib.util.spec_from_file_location("curate_fake_server", ROOT / "tests" / "difficulty" / "fake_server.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.FakeServer(default_answer="The answer is \\boxed{42}.", latency=latency)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="synthetic problems")
    ap.add_argument("--puzzles", type=int, default=1000, help="generated puzzles (sudoku + maze)")
    ap.add_argument("--difficulty", type=int, default=0, help="grade the first K items (0: stage off)")
    ap.add_argument("--latency", type=float, default=0.05, help="loopback model latency per request (s)")
    ap.add_argument("--runners", default="thread,dask", help="comma-separated: thread, process, dask")
    ap.add_argument("--workers", type=int, default=2, help="Dask workers / process-pool size")
    ap.add_argument("--chunk-rows", type=int, default=250, help="seeds per puzzle chunk task")
    ap.add_argument("--signature-chunk-rows", type=int, default=50_000, help="rows per signature chunk task")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="curate-bench-flows-"))
    os.environ.setdefault("PREFECT_HOME", str(tmp / "prefect-home"))
    server = fake_server(args.latency) if args.difficulty else None
    if server:
        server.start()
    t = time.perf_counter()
    cfg_path = write_inputs(tmp, args.n, args.puzzles, args.difficulty, server.base_url if server else None)
    cfg_path.write_text(
        cfg_path.read_text()
        .replace("\nchunk_rows = 5000", f"\nchunk_rows = {args.chunk_rows}")
        .replace("signature_chunk_rows = 50000", f"signature_chunk_rows = {args.signature_chunk_rows}")
    )
    print(f"data: {args.n:,} problems + {args.puzzles:,} puzzles written in {time.perf_counter() - t:.1f}s ({tmp})")
    print(f"machine: {os.cpu_count()} cores; difficulty: " + (f"{args.difficulty} items, k=4, latency {args.latency}s" if args.difficulty else "off"))

    from curation.config import load_config
    from curation.pipeline import run_pipeline

    results: dict[str, dict] = {}

    def baseline(label: str) -> None:
        cfg = load_config(cfg_path)
        cfg.output_dir = str(tmp / f"out-{label.replace(' ', '-')}")
        with PeakMemory() as mem:
            t = time.perf_counter()
            report = run_pipeline(cfg)
            wall = time.perf_counter() - t
        results[label] = {
            "wall": wall, "peak": mem.peak, "destinations": report.destinations,
            "stages": {s.stage: (s.seconds, s.seconds) for s in report.stages},
        }

    # warm-up (imports, first-call costs) on a small copy, for both sides, not measured
    warm = tmp / "warm"
    warm_cfg = write_inputs(warm, 2000, 20, 0, None)
    wcfg = load_config(warm_cfg)
    run_pipeline(wcfg)

    # 1. baseline
    baseline("no engine")

    # 2. the engine: one temporary API server for all runs
    import flows  # noqa: F401  (FastAPI compatibility patch, analytics off)
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.pipeline import api_url_for_workers, curation_pipeline

    t = time.perf_counter()
    api = SubprocessASGIServer()
    api.start(timeout=180)
    startup = time.perf_counter() - t
    print(f"Prefect temporary API server start-up: {startup:.1f}s (not counted below)")

    runs = [(r.strip(), f"prefect {r.strip()}", tmp / f"out-{r.strip()}") for r in args.runners.split(",") if r.strip()]
    if any(r == "thread" for r, *_ in runs):
        runs.append(("thread", "prefect thread (cached re-run)", tmp / "out-thread"))
    from flows.pipeline import runner_for

    with temporary_settings({PREFECT_API_URL: api.api_url}), api_url_for_workers(api.api_url):
        curation_pipeline(config_path=str(warm_cfg), output_dir=str(warm / "out-flow"), task_runner="thread")
        for kind, label, out in runs:
            cfg = load_config(cfg_path)
            runner = runner_for(cfg, kind)
            if kind == "dask":
                runner.cluster_kwargs["n_workers"] = args.workers
            with PeakMemory() as mem:
                t = time.perf_counter()
                res = curation_pipeline.with_options(task_runner=runner)(
                    config_path=str(cfg_path), output_dir=str(out), task_runner=kind
                )
                wall = time.perf_counter() - t
            results[label] = {
                "wall": wall, "peak": mem.peak, "destinations": res["destinations"],
                "stages": {s["stage"]: (s["seconds"], s.get("wall_seconds", s["seconds"])) for s in res["flow_stages"]},
                "cached": sum(1 for s in res["flow_stages"] if s.get("cached")),
            }
    api.stop()
    baseline("no engine (again)")  # the machine may be shared: a second baseline shows the noise
    if server:
        server.stop()

    base = dict(results["no engine"])
    base["wall"] = (results["no engine"]["wall"] + results["no engine (again)"]["wall"]) / 2
    stages = list(base["stages"])
    print()
    head = f"{'stage':<14}" + "".join(f"{label:>32}" for label in results)
    print("per stage: library seconds / wall seconds seen by the flow")
    print(head)
    for st in stages:
        line = f"{st:<14}"
        for r in results.values():
            lib, wall = r["stages"].get(st, (float("nan"), float("nan")))
            line += f"{lib:>20.2f} / {wall:>8.2f}"
        print(line)
    print()
    print(f"{'run':<32}{'wall s':>10}{'vs no engine':>14}{'overhead s':>12}{'peak RSS MB':>13}  kept/dropped/review"
          "   (no engine = mean of the two baseline runs)")
    for label, r in results.items():
        ratio = r["wall"] / base["wall"]
        d = r["destinations"]
        print(
            f"{label:<32}{r['wall']:>10.1f}{ratio:>13.2f}x{r['wall'] - base['wall']:>12.1f}{r['peak'] / 2**20:>13.0f}"
            f"  {d.get('kept')}/{d.get('dropped')}/{d.get('review')}"
            + (f"  ({r['cached']} stages cached)" if r.get("cached") else "")
        )
    same = all(r["destinations"] == base["destinations"] for r in results.values())
    print(f"\nsame destinations in every run: {same}")
    for label, r in results.items():
        if label.startswith("prefect") and "cached" not in label:
            single = [st for st in stages if st != "generate"]  # generate's chunk tasks are not in its task time
            per_task = sum(r["stages"][st][1] - r["stages"][st][0] for st in single if st in r["stages"])
            print(f"{label}: Prefect overhead share = {(r['wall'] - base['wall']) / r['wall']:+.0%} of the run "
                  f"(vs baseline); task overhead of the one-task stages (flow wall - task time) = {per_task:.1f}s")
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
