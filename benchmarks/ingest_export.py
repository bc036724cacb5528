"""Benchmark: ingest → clean → split → export of N synthetic problems (JSONL, ~400 bytes each),
against plain `polars.read_ndjson` + `write_parquet` of the same file in the same run.

    python benchmarks/ingest_export.py                 # N = 1,000,000
    python benchmarks/ingest_export.py -n 200000 --malformed 5 --keep

Each side runs in its own subprocess so peak RSS is measured separately (a sampler thread records
the RSS high-water mark of every phase; `ru_maxrss` gives the process peak). Prints rows/s per phase,
peak memory, and the ratio of curate's end-to-end throughput to the plain polars baseline.
Goal: ratio ≥ 0.5, peak memory < 8 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUBJECTS = ["algebra", "geometry", "number theory", "counting", "precalculus", "prealgebra"]
EXPRESSIONS = ["3\\sqrt{2}", "x^2 + 2x + 1", "\\frac{\\pi}{4}", "2\\sqrt{3} - 1", "(1, 2)", "[2, 5]", "\\{1, 3\\}"]


def generate(path: Path, n: int, *, malformed: int, seed: int = 0) -> None:
    """Write n problems (about 400 bytes per line) with a realistic mix of shapes."""
    rnd = random.Random(seed)
    bad_lines = set(rnd.sample(range(n), min(malformed, n))) if malformed else set()
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            if i in bad_lines:
                fh.write('{"id": "broken", "problem": "truncated\n')
                continue
            a, b, c = rnd.randint(2, 999), rnd.randint(2, 999), rnd.randint(1, 99)
            r = rnd.random()
            rec: dict = {"id": f"syn-{i}", "subject": SUBJECTS[i % len(SUBJECTS)], "level": i % 5 + 1}
            q = (f"Let $f(x) = {a}x^2 + {b}x - {c}$. Find the sum of all real values of $x$ such that "
                 f"$f(x) = {a + b}$, and express your answer in simplest form. (Problem {i}.)")
            if r < 0.55:
                rec.update(problem=q, answer=str(a * b + c))
            elif r < 0.75:
                rec.update(problem=q, answer=f"-\\frac{{{b}}}{{{a}}}")
            elif r < 0.83:
                rec.update(problem=q, answer=rnd.choice(EXPRESSIONS))
            elif r < 0.88:
                rec.update(problem=f"What is the value of ${a} \\times {b}$? Choose the correct option below.",
                           choices=[str(a * b - 1), str(a * b), str(a * b + 1), str(a * b + 2)], answer=1)
            elif r < 0.92:
                rec.update(problem=q, solution=f"By Vieta's formulas the sum is $\\boxed{{-\\frac{{{b}}}{{{a}}}}}$.")
            elif r < 0.94:
                rec.update(problem=f"Ｆｉｎｄ the remainder when ${a}^{{{b}}}$ is divided by ${c + 1}$ — a problem with non-ASCII text.",
                           answer=float(pow(a, b, c + 1)))
            elif r < 0.96:
                rec.update(problem=f"Prove that for every integer $n$, $n^{{{c}}} - n$ is divisible by the number ${a}$ whenever it holds.",
                           answer=None)
            elif r < 0.98:
                rec.update(problem=f"In the figure below, triangle $ABC$ has sides {a}, {b} and {a + b - 1}. Find its perimeter.",
                           answer=str(3 * a + 2 * b - 1))
            else:
                rec.update(problem=q, answer=f"{a} cm")
            rec["solution"] = rec.get("solution") or (
                f"Using Vieta's formulas with coefficients {a} and {b}, the sum of the roots of "
                f"${a}x^2 + {b}x - {c + a + b} = 0$ is $-{b}/{a}$, and the result follows."
            )
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


class RssSampler:
    """High-water mark of this process's RSS per named phase (sampled every 20 ms from /proc)."""

    def __init__(self) -> None:
        self.phase = "start"
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def rss() -> int:
        try:
            with open("/proc/self/statm") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            value = self.rss()
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), value)
            time.sleep(0.02)

    def set(self, phase: str) -> None:
        self.phase = phase
        self.peaks[phase] = max(self.peaks.get(phase, 0), self.rss())

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        return self.peaks


class Clock:
    """Wall and CPU seconds (all threads of this process) per phase, plus totals."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._w0 = self._w = time.perf_counter()
        self._c0 = self._c = time.process_time()

    def lap(self, name: str) -> None:
        w, c = time.perf_counter(), time.process_time()
        self.wall[name], self.cpu[name] = w - self._w, c - self._c
        self._w, self._c = w, c
        self.wall["total"], self.cpu["total"] = w - self._w0, c - self._c0


def run_baseline(src: Path, work: Path) -> dict:
    import polars as pl

    sampler = RssSampler()
    clock = Clock()
    sampler.set("read_ndjson")
    df = pl.read_ndjson(src, infer_schema_length=10_000)
    clock.lap("read_ndjson")
    sampler.set("write_parquet")
    df.write_parquet(work / "baseline.parquet", compression="zstd")
    clock.lap("write_parquet")
    peaks = sampler.stop()
    return {"rows": df.height, "times": clock.wall, "cpu": clock.cpu, "peak_rss": peaks,
            "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def run_pipeline(src: Path, work: Path) -> dict:
    from curation.clean import flag_problems
    from curation.config import SourceConfig
    from curation.drop import split_outcomes
    from curation.export import export_dataset
    from curation.ingest import ingest_source
    from curation.verifier import classify_answer_type

    # One-time imports (the verifier pulls in mpmath) stay outside the timed phases, as polars'
    # import does for the baseline: the ratio compares per-row work.
    classify_answer_type("1")
    sampler = RssSampler()
    clock = Clock()
    sampler.set("ingest")
    result = ingest_source(SourceConfig(name="synthetic", path=str(src)))
    clock.lap("ingest")
    sampler.set("clean")
    df = flag_problems(result.problems)
    clock.lap("clean")
    sampler.set("split")
    outcomes = split_outcomes(df)
    clock.lap("split")
    sampler.set("export")
    export_dataset(outcomes, out_dir=work / "out", quarantine=result.quarantine)
    clock.lap("export")
    peaks = sampler.stop()
    return {
        "rows": result.rows_read,
        "kept": outcomes.kept.height,
        "dropped": outcomes.dropped.height,
        "review": outcomes.review.height,
        "quarantined": result.quarantine.height,
        "times": clock.wall,
        "cpu": clock.cpu,
        "peak_rss": peaks,
        "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _child(kind: str, src: Path, work: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--src", str(src), "--work", str(work)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{kind} run failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _phases(run: dict, n: int) -> None:
    print(f"  {'phase':<14} {'wall':>8} {'rows/s':>12} {'cpu':>8}  peak RSS")
    for phase in sorted(run["times"], key=lambda k: k == "total"):
        sec = run["times"][phase]
        peak = f"  {gb(run['peak_rss'][phase])}" if phase in run["peak_rss"] else ""
        print(f"  {phase:<14} {sec:7.2f}s {n / max(sec, 1e-9):>12,.0f} {run['cpu'][phase]:7.2f}s{peak}")


def gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--rows", type=int, default=1_000_000, help="Synthetic problems to generate.")
    parser.add_argument("--malformed", type=int, default=0,
                        help="Malformed lines mixed in (forces the careful path; the baseline reads the clean twin).")
    parser.add_argument("--dir", type=Path, default=None, help="Work folder (default: a temp dir).")
    parser.add_argument("--keep", action="store_true", help="Keep the work folder.")
    parser.add_argument("--child", choices=["baseline", "pipeline"], help=argparse.SUPPRESS)
    parser.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        fn = run_baseline if args.child == "baseline" else run_pipeline
        print(json.dumps(fn(args.src, args.work)))
        return

    work = args.dir or Path(tempfile.mkdtemp(prefix="curate-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "synthetic.jsonl"
    try:
        t = time.perf_counter()
        generate(src, args.rows, malformed=args.malformed)
        size = src.stat().st_size
        print(f"generated {args.rows:,} rows, {size / 1e6:.0f} MB ({size / args.rows:.0f} B/row) in {time.perf_counter() - t:.1f}s")
        base_src = src
        if args.malformed:  # plain polars cannot read a file with malformed lines: baseline on the clean twin
            base_src = work / "synthetic_clean.jsonl"
            generate(base_src, args.rows, malformed=0)
        base = _child("baseline", base_src, work)
        pipe = _child("pipeline", src, work)
        n = args.rows
        print("\nbaseline: polars read_ndjson + write_parquet (zstd)")
        _phases(base, n)
        print(f"  process peak RSS {gb(base['ru_maxrss'])}")
        print("\ncurate: ingest → clean → split → export (kept shards + RL layout + dropped/review/quarantine + card)")
        _phases(pipe, n)
        print(f"  process peak RSS {gb(pipe['ru_maxrss'])}")
        print(f"  outcome: kept {pipe['kept']:,}, dropped {pipe['dropped']:,}, review {pipe['review']:,}, quarantined {pipe['quarantined']:,}")
        ratio = base["times"]["total"] / pipe["times"]["total"]
        cpu_ratio = base["cpu"]["total"] / pipe["cpu"]["total"]
        print(f"\nthroughput ratio curate / polars baseline (wall time): {ratio:.2f} (goal ≥ 0.50)")
        print(f"work ratio curate / polars baseline (CPU seconds, all threads): {cpu_ratio:.2f}")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
        print(f"peak memory: {gb(pipe['ru_maxrss'])} (goal < 8 GB)")
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
