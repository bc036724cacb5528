"""Sandbox benchmark: the cost of bubblewrap, HumanEval in the sandbox, and a cached rerun.

    python benchmarks/sandbox.py                  # 400 executions per side, HumanEval if present
    python benchmarks/sandbox.py --n 1000 --workers 2

1. Overhead: the same `--n` executions of a small Python stdin/stdout program (read two numbers,
   print their sum) through `Sandbox` (bubblewrap, namespaces, rlimits, per-slot uid) and through
   the baseline: the same `Sandbox` class in `unsafe_no_sandbox` mode (plain subprocesses with the
   same rlimits, timeout, output files and worker pool, no bwrap), both with `--workers` threads.
   Prints executions/s for each and the ratio (the sandbox's overhead per execution).
2. HumanEval (needs ../shared/corpora/real/HumanEval.jsonl.gz; skipped, saying so, without it):
   ingest the real file with curate's reader, run the validation stage (every canonical solution
   on its own tests in the sandbox) and list any that fail; then the same 164 tasks with each
   canonical solution moved to the NEXT task's prompt (a wrong program for that task), which must
   all fail: precision/recall of the judge's "passed" on 164 right + 164 wrong programs.
3. Cache: the validation stage again with the same result cache: jobs, cache hits and sandbox
   executions of the rerun (expected: 0 executions).
4. Labelled answers (`benchmarks/quality/code/labelled_answers.jsonl`, also needs HumanEval): each
   answer judged as `curate check-answer` judges it; precision and recall of "right".
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# ../shared/corpora next to the repository (a worktree one level deeper also finds it); CURATE_CORPORA overrides
_CANDIDATES = [ROOT.parent / "shared" / "corpora", ROOT.parent.parent / "shared" / "corpora"]
CORPORA = Path(os.environ["CURATE_CORPORA"]) if os.environ.get("CURATE_CORPORA") else next(
    (c for c in _CANDIDATES if c.exists()), _CANDIDATES[0])
HUMANEVAL = CORPORA / "real" / "HumanEval.jsonl.gz"
PROGRAM = "a, b = map(int, input().split())\nprint(a + b)\n"


def overhead(n: int, workers: int) -> None:
    from curation.code.sandbox import Limits, Sandbox

    limits = Limits(cpu_seconds=2, memory_mb=512)
    rates = {}
    for name, unsafe in (("plain subprocess (baseline)", True), ("bubblewrap sandbox", False)):
        with Sandbox(limits=limits, workers=workers, unsafe_no_sandbox=unsafe) as box:
            box.run(["python3", "-c", "pass"])  # warm the page cache
            started = time.perf_counter()
            with ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(
                    lambda i: box.run(["python3", "-s", "main.py"], files={"main.py": PROGRAM}, stdin=f"{i} {i}\n"),
                    range(n)))
            elapsed = time.perf_counter() - started
        wrong = sum(1 for i, r in enumerate(results) if r.stdout != f"{2 * i}\n")
        rates[name] = n / elapsed
        print(f"  {name:30s} {n} executions in {elapsed:6.2f}s = {n / elapsed:7.1f}/s  (wrong outputs: {wrong})")
    base, box = rates["plain subprocess (baseline)"], rates["bubblewrap sandbox"]
    print(f"  ratio sandbox/plain throughput = {box / base:.2f}  (overhead {base / box:.2f}x per execution, "
          f"{(1 / box - 1 / base) * 1000 * workers:.1f} ms extra per execution per worker)")


def humaneval(workers: int) -> None:
    import polars as pl

    from curation.code.runner import CodeRunner
    from curation.code.validate import validate_code_tests
    from curation.config import CodeSettings, SourceConfig
    from curation.ingest import ingest_source

    if not HUMANEVAL.exists():
        print(f"  skipped: {HUMANEVAL} not found (../shared is not part of a clone)")
        return
    tmp = Path(tempfile.mkdtemp(prefix="curate-bench-"))
    try:
        plain = tmp / "HumanEval.jsonl"
        plain.write_bytes(gzip.decompress(HUMANEVAL.read_bytes()))
        df = ingest_source(SourceConfig(path=str(plain))).problems
        print(f"  ingested {df.height} tasks (kind {sorted(set(df['kind']))}, styles: assert)")
        settings = CodeSettings(workers=workers, time_limit=10)
        cache = f"sqlite:///{tmp / 'cache.sqlite'}"
        with CodeRunner(settings, cache_url=cache) as runner:
            started = time.perf_counter()
            out = validate_code_tests(df, settings=settings, runner=runner)
            elapsed = time.perf_counter() - started
            first = runner.stats
        passed = out.filter(pl.col("code_validation") == "passed").height
        print(f"  canonical solutions passing their own tests: {passed}/{df.height} in {elapsed:.1f}s "
              f"({first.executions} sandboxed executions)")
        for row in out.filter(pl.col("code_validation") != "passed").iter_rows(named=True):
            print(f"    FAILS: {row['source_id']}: {row['code_validation']} {row['code_validation_detail']}")

        # wrong programs: task i's prompt with task i+1's canonical solution
        refs = df["code_references"].to_list()
        starters = df["code_starter"].to_list()
        bodies = [r[0][len(s):] for r, s in zip(refs, starters)]
        swapped = df.with_columns(pl.Series("code_references", [[s + bodies[(i + 1) % len(bodies)]]
                                                               for i, s in enumerate(starters)]))
        with CodeRunner(settings, cache_url=cache) as runner:
            wrong = validate_code_tests(swapped, settings=settings, runner=runner)
        false_pass = wrong.filter(pl.col("code_validation") == "passed")
        tp, fn = passed, df.height - passed
        fp = false_pass.height
        print(f"  judge on {df.height} right + {df.height} wrong programs: precision {tp / max(1, tp + fp):.3f} "
              f"recall {tp / df.height:.3f} (tp {tp}, fp {fp}, fn {fn})")
        for row in false_pass.iter_rows(named=True):
            print(f"    wrong program accepted: {row['source_id']}")

        with CodeRunner(settings, cache_url=cache) as runner:
            started = time.perf_counter()
            again = validate_code_tests(df, settings=settings, runner=runner)
            elapsed = time.perf_counter() - started
            st = runner.stats
        same = again["code_validation"].to_list() == out["code_validation"].to_list()
        print(f"  cached rerun: {st.jobs} jobs, {st.cached} cache hits, {st.judged} judged, "
              f"{st.executions} sandboxed executions, {elapsed:.2f}s, same verdicts: {same}")
        labelled(df, settings)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def labelled(df, settings) -> None:
    import json

    from curation.code.check import check_code_answer, code_spec
    from curation.code.runner import CodeRunner

    path = ROOT / "benchmarks" / "quality" / "code" / "labelled_answers.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = {r["source_id"]: r for r in df.iter_rows(named=True)}
    tp = fp = fn = tn = 0
    print(f"4. labelled answers ({len(items)}, {path.relative_to(ROOT)})")
    with CodeRunner(settings) as runner:
        for item in items:
            result = check_code_answer(code_spec(records[item["task_id"]]), item["answer"], settings=settings, runner=runner)
            right = item["label"] == "right"
            tp += result.ok and right
            fp += result.ok and not right
            fn += (not result.ok) and right
            tn += (not result.ok) and not right
            if result.ok != right:
                print(f"    MISJUDGED {item['task_id']} ({item['why']}): judge says {'PASS' if result.ok else 'FAIL'}: {result.reason}")
    print(f"  'right' precision {tp / max(1, tp + fp):.3f} recall {tp / max(1, tp + fn):.3f} "
          f"(tp {tp}, fp {fp}, fn {fn}, tn {tn})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=400, help="executions per side in the overhead run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; workers {args.workers}; bwrap {shutil.which('bwrap') or 'MISSING'}")
    print("1. sandbox overhead")
    overhead(args.n, args.workers)
    print("2. HumanEval canonical solutions in the sandbox")
    humaneval(args.workers)


if __name__ == "__main__":
    main()
