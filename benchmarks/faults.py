"""Fault benchmark: kills, a dead endpoint, malformed input and a huge row. Nothing may be lost.

Scenarios (each a real `curate` subprocess; model endpoints are loopback servers):
  kill9        `curate difficulty` against a server that ignores `n` (one request per sample), killed
               with SIGKILL mid-sampling, then rerun
  sigint       the same, stopped with Ctrl-C (SIGINT)
  sigterm      the same, stopped with SIGTERM (what schedulers send)
  dead         `curate run` with difficulty pointed at a port nobody listens on
  malformed    `curate run` over malformed JSONL lines, an absurdly nested line, a CSV with a field
               over the csv module's default limit and a bad record, and an empty file
  huge_row     `curate run` over a JSONL with one 50 MB line between normal rows

Figures per scenario: received-but-lost samples (responses the server finished sending at least
RECEIVE_MARGIN before the stop, asked for again by the rerun), repeated requests (every sample asked
for more than once over both runs), lost rows (input rows not accounted for as kept / dropped /
review / quarantined), exit codes and peak memory (RSS of the curate process). The baseline in the
same run is the sample count of the first run: the loss is reported against what was received.

    .venv/bin/python benchmarks/faults.py            # all scenarios (about 2 minutes)
    .venv/bin/python benchmarks/faults.py huge_row   # one
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "difficulty"))

from fake_server import FakeServer  # noqa: E402  (the loopback OpenAI-compatible test server)

RECEIVE_MARGIN = 0.25  # seconds: a response finished this long before the stop has surely arrived
ITEMS, K = 40, 4
MEASURE = (
    "import resource, subprocess, sys\n"
    "r = subprocess.run(sys.argv[1:])\n"
    "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(r.returncode)\n"
)


def curate(*args: str) -> list[str]:
    return [sys.executable, "-c", MEASURE, sys.executable, "-m", "curation.cli.main", *args]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "DO_NOT_TRACK": "1"}


def peak_mb(stderr: str) -> float | None:
    for line in stderr.splitlines():
        if line.startswith("MAXRSS_KB"):
            return int(line.split()[1]) / 1024
    return None


class RecordingServer(FakeServer):
    """FakeServer that notes when each (question, sample seed) response was fully sent."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.sent: dict[tuple[str, int | None], float] = {}
        self.asked: list[tuple[str, int | None]] = []

    async def _respond(self, method, path, headers, body, writer):
        if method == "POST":
            payload = json.loads(body or b"{}")
            q = next((m["content"] for m in reversed(payload.get("messages", [])) if m.get("role") == "user"), "")
            key = (q, payload.get("seed"))
            self.asked.append(key)
            keep = await super()._respond(method, path, headers, body, writer)
            self.sent[key] = time.monotonic()
            return keep
        return await super()._respond(method, path, headers, body, writer)


def write_items(path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    import polars as pl

    from curation.io import write_problems
    from schemas.problem import conform

    rows = [{"id": f"f{i}", "source": "faults", "question": f"fault question {i}: what is {i}+1?", "answer": str(i + 1)}
            for i in range(ITEMS)]
    write_problems(conform(pl.DataFrame(rows)), path)


def stop_scenario(name: str, sig: int, tmp: Path) -> dict:
    inp = tmp / "items.parquet"
    write_items(inp)
    store = tmp / f"{name}.sqlite"
    args = ["difficulty", str(inp), str(tmp / f"{name}.parquet"), "--model", "m", "--k", str(K),
            "--concurrency", "8", "--store", str(store), "--no-progress", "--seed", "0"]
    with RecordingServer(supports_n=False, latency=0.05) as srv:
        proc = subprocess.Popen(curate(*args, "--base-url", srv.base_url), env=env(), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while len(srv.sent) < ITEMS * K // 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.005)
        stopped_at = time.monotonic()
        target = proc.pid
        # the measuring wrapper runs curate as its child: signal the child
        kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        if kids:
            target = int(kids[0])
        os.kill(target, sig)
        _, err = proc.communicate(timeout=120)
        first_code = proc.returncode
        received = {k for k, t in srv.sent.items() if t <= stopped_at - RECEIVE_MARGIN}
        first_asked = list(srv.asked)
    with RecordingServer(supports_n=False) as srv2:
        rerun = subprocess.run(curate(*args, "--base-url", srv2.base_url), env=env(), cwd=ROOT,
                               capture_output=True, text=True, timeout=300)
        second_asked = list(srv2.asked)
    # the first request of an item asks n=K (seed 0): the server answers one choice; count samples by
    # (question, seed) as the server saw them
    lost = len(received & set(second_asked))
    all_asked = first_asked + second_asked
    repeated = len(all_asked) - len(set(all_asked))
    return {
        "scenario": name, "first_exit": first_code, "rerun_exit": rerun.returncode,
        "received_before_stop": len(received), "received_but_lost": lost, "repeated_requests": repeated,
        "rerun_requests": len(second_asked), "peak_mb": peak_mb(err),
    }


def counts(out: Path) -> dict:
    manifest = json.loads((out / "dataset" / "manifest.json").read_text(encoding="utf-8"))
    return manifest["counts"]


def run_config(tmp: Path, name: str, sources: list[str], extra: str = "") -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp / f"out_{name}"
    cfg = tmp / f"{name}.toml"
    text = f'output_dir = "{out}"\n' + "".join(f'[[sources]]\npath = "{s}"\n' for s in sources)
    text += "[difficulty]\nenabled = false\n" + extra
    cfg.write_text(text, encoding="utf-8")
    res = subprocess.run(curate("run", "--config", str(cfg), "--allow-empty"), env=env(), cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    return res, out


def dead_scenario(tmp: Path) -> dict:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    src = tmp / "dead.jsonl"
    src.write_text("".join(json.dumps({"question": f"What is {i} plus {i}?", "answer": str(2 * i)}) + "\n"
                           for i in range(30)), encoding="utf-8")
    out = tmp / "out_dead"
    cfg = tmp / "dead.toml"
    cfg.write_text(f'output_dir = "{out}"\n[[sources]]\npath = "{src}"\n[difficulty]\nk = 2\n'
                   f'[difficulty.model]\nbase_url = "http://127.0.0.1:{port}/v1"\nmax_retries = 2\nbackoff_base = 0.05\n',
                   encoding="utf-8")
    started = time.perf_counter()
    res = subprocess.run(curate("run", "--config", str(cfg)), env=env(), cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    last = [ln for ln in res.stderr.splitlines() if ln.strip() and not ln.startswith("MAXRSS_KB")]
    return {"scenario": "dead", "exit": res.returncode, "seconds": round(time.perf_counter() - started, 1),
            "exported": (out / "dataset" / "manifest.json").exists(), "message": last[-1][:160] if last else "",
            "peak_mb": peak_mb(res.stderr)}


def malformed_scenario(tmp: Path) -> dict:
    good = [json.dumps({"question": f"Compute {i} times {i}.", "answer": str(i * i)}) for i in range(6)]
    jsonl = tmp / "messy.jsonl"
    jsonl.write_text("\n".join([good[0], "{not json", good[1], "[1, 2]", '{"question": ' + "[" * 20000 + "]" * 20000 + "}",
                                good[2], ""]) + "\n", encoding="utf-8")
    csv_path = tmp / "messy.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        fh.write("question,answer\n")
        fh.write('"Compute 7 times 7.",49\n')
        fh.write('"' + "long " * 40000 + 'question?",1\n')  # 200,000 characters: past the csv default limit
        fh.write('"bro\x00ken",2\n')
        fh.write('"Compute 8 times 8.",64\n')
    empty = tmp / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    rows_in = 6 + 4 + 0  # non-blank JSONL lines + CSV records (the empty file has none)
    res, out = run_config(tmp, "malformed", [str(jsonl), str(csv_path), str(empty)])
    c = counts(out) if res.returncode == 0 else {}
    accounted = sum(c.get(k, 0) for k in ("kept", "dropped", "review", "quarantined"))
    return {"scenario": "malformed", "exit": res.returncode, "rows_in": rows_in, "accounted": accounted,
            "lost_rows": rows_in - accounted, "quarantined": c.get("quarantined"), "peak_mb": peak_mb(res.stderr)}


def huge_row_scenario(tmp: Path) -> dict:
    src = tmp / "huge.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for i in range(5):
            fh.write(json.dumps({"question": f"What is {i} squared plus one?", "answer": str(i * i + 1)}) + "\n")
        fh.write(json.dumps({"question": "Solve: " + "x + " * (50 * 1024 * 1024 // 4) + "1 = 2", "answer": "1"}) + "\n")
        for i in range(5, 10):
            fh.write(json.dumps({"question": f"What is {i} squared plus one?", "answer": str(i * i + 1)}) + "\n")
    res, out = run_config(tmp, "huge", [str(src)])
    c = counts(out) if res.returncode == 0 else {}
    accounted = sum(c.get(k, 0) for k in ("kept", "dropped", "review", "quarantined"))
    return {"scenario": "huge_row", "exit": res.returncode, "rows_in": 11, "lost_rows": 11 - accounted,
            "quarantined": c.get("quarantined"), "file_mb": round(src.stat().st_size / 2**20, 1),
            "peak_mb": peak_mb(res.stderr)}


def main() -> None:
    wanted = set(sys.argv[1:]) or {"kill9", "sigint", "sigterm", "dead", "malformed", "huge_row"}
    results = []
    with tempfile.TemporaryDirectory(prefix="curate-faults-") as d:
        tmp = Path(d)
        for name, sig in (("kill9", signal.SIGKILL), ("sigint", signal.SIGINT), ("sigterm", signal.SIGTERM)):
            if name in wanted:
                (tmp / name).mkdir()
                results.append(stop_scenario(name, sig, tmp / name))
                print(json.dumps(results[-1]), flush=True)
        for name, fn in (("dead", dead_scenario), ("malformed", malformed_scenario), ("huge_row", huge_row_scenario)):
            if name in wanted:
                (tmp / name).mkdir()
                results.append(fn(tmp / name))
                print(json.dumps(results[-1]), flush=True)
    bad = [r["scenario"] for r in results
           if r.get("received_but_lost") or r.get("lost_rows") or (r["scenario"] == "dead" and (r["exit"] == 0 or r["exported"]))]
    print("\nscenario    lost  repeated  peak MB   notes")
    for r in results:
        lost = r.get("received_but_lost", r.get("lost_rows", 0))
        notes = {k: v for k, v in r.items() if k not in ("scenario", "received_but_lost", "lost_rows", "repeated_requests", "peak_mb")}
        peak = r.get("peak_mb")
        print(f"{r['scenario']:<10} {lost:>5} {r.get('repeated_requests', 0):>9} {peak if peak is None else round(peak):>8}   {notes}")
    print("\nall zero:" if not bad else "\nFAILED:", ", ".join(bad) or "received-but-lost samples, lost rows")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
