"""Peak memory of a stage with and without column projection (`curation.pipeline.run_stage`).

    python benchmarks/stage_memory.py -n 1000000            # template-heavy rows (benchmarks/scale.py)
    prlimit --as=20000000000 python benchmarks/stage_memory.py -n 10000000 --skip-run

Each measurement runs in a fresh process, so one's peak does not hide the other's:
1. `curate run` (local engine, difficulty and puzzle generation off, no benchmarks) with
   `projection=False` (the baseline: every stage reads and writes whole rows), then with projection;
   per-stage peak RSS (`StageCount.peak_rss_mb`) and the process peak (`ru_maxrss`);
2. `run_stage("dedup", ...)` alone on the run's convert_mcq work file, without and with projection
   (what `curate dedup` on a work file costs).
Prints the figures and the ratio projected / whole rows, and checks that both give the same files
(column by column). No ../shared data needed: the corpus is generated.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _config(work: Path, corpus: Path, out: str) -> Path:
    cfg = work / f"{out}.toml"
    cfg.write_text(
        f'output_dir = "{work / out}"\n\n[[sources]]\nname = "synthetic"\npath = "{corpus}"\n\n'
        "[difficulty]\nenabled = false\n\n[generate]\nenabled = false\n",
        encoding="utf-8",
    )
    return cfg


def child_run(cfg_path: str, projection: bool) -> dict:
    from curation.config import load_config
    from curation.pipeline import run_pipeline

    t0 = time.perf_counter()
    report = run_pipeline(load_config(Path(cfg_path)), projection=projection)
    return {"wall": time.perf_counter() - t0, "process_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "stages": {c.stage: c.peak_rss_mb for c in report.stages}, "kept": report.destinations["kept"]}


def child_stage(cfg_path: str, stage: str, input_file: str, out_file: str, projection: bool) -> dict:
    from curation.config import load_config
    from curation.pipeline import Workspace, run_stage

    t0 = time.perf_counter()
    _, count = run_stage(Workspace(load_config(Path(cfg_path))), stage, Path(input_file), out_file=Path(out_file),
                         projection=projection)
    return {"wall": time.perf_counter() - t0, "process_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "stage_peak_mb": count.peak_rss_mb, "rows": count.rows}


def child_same(a: str, b: str) -> dict:
    """Column by column, one column at a time (two whole 10M-row frames would not fit)."""
    import polars as pl

    cols_a, cols_b = pl.read_parquet_schema(a), pl.read_parquet_schema(b)
    differ = [c for c in cols_a if not pl.read_parquet(a, columns=[c])[c].equals(pl.read_parquet(b, columns=[c])[c])]
    return {"same_columns": list(cols_a.items()) == list(cols_b.items()), "differ": differ}


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--rows", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    ap.add_argument("--skip-run", action="store_true", help="only the dedup stage (the input comes from one projected run)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, *rest = args.child
        fn = {"run": lambda c, p: child_run(c, p == "1"),
              "stage": lambda c, s, i, o, p: child_stage(c, s, i, o, p == "1"), "same": child_same}[kind]
        print(json.dumps(fn(*rest)))
        return
    from scale import make_corpus

    work = args.dir or Path(tempfile.mkdtemp(prefix="stage_memory_"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus.jsonl"
    t0 = time.perf_counter()
    copies = make_corpus(corpus, args.rows, corpus="template", copies=0.02)
    print(f"corpus: {args.rows:,} template-heavy rows ({copies:,} planted copies) in {time.perf_counter() - t0:.0f}s, {work}")

    whole_cfg, proj_cfg = _config(work, corpus, "whole"), _config(work, corpus, "projected")
    if not args.skip_run:
        whole = _child("run", str(whole_cfg), "0")
        proj = _child("run", str(proj_cfg), "1")
        print(f"\ncurate run (difficulty off), {args.rows:,} rows: peak RSS per stage, MB")
        print(f"  {'stage':<14} {'whole rows':>11} {'projected':>11} {'ratio':>7}")
        for stage, w in whole["stages"].items():
            p = proj["stages"].get(stage)
            ratio = f"{p / w:.2f}" if w and p else "-"
            print(f"  {stage:<14} {w or 0:>11.0f} {p or 0:>11.0f} {ratio:>7}")
        print(f"  {'process peak':<14} {whole['process_peak_mb']:>11.0f} {proj['process_peak_mb']:>11.0f} "
              f"{proj['process_peak_mb'] / whole['process_peak_mb']:>7.2f}   (split+export included)")
        print(f"  {'wall s':<14} {whole['wall']:>11.1f} {proj['wall']:>11.1f}   kept rows {whole['kept']:,} / {proj['kept']:,}")
        for name in sorted(p.name for p in (work / "whole" / "work").glob("*.parquet")):
            same = _child("same", str(work / "whole" / "work" / name), str(work / "projected" / "work" / name))
            print(f"  same {name}: {same['same_columns'] and not same['differ']} {same['differ'] or ''}")
    else:
        _child("run", str(proj_cfg), "1")
    stage_in = next((work / "projected" / "work").glob("*_convert_mcq.parquet"))
    res = {}
    for label, flag in (("whole rows", "0"), ("projected", "1")):
        res[label] = _child("stage", str(proj_cfg), "dedup", str(stage_in), str(work / f"dedup_{flag}.parquet"), flag)
    w, p = res["whole rows"], res["projected"]
    print(f"\nrun_stage('dedup') on {stage_in.name} ({w['rows']:,} rows), each in a fresh process:")
    print(f"  {'':<22} {'whole rows':>11} {'projected':>11} {'ratio':>7}")
    print(f"  {'stage peak RSS MB':<22} {w['stage_peak_mb']:>11.0f} {p['stage_peak_mb']:>11.0f} {p['stage_peak_mb'] / w['stage_peak_mb']:>7.2f}")
    print(f"  {'process peak RSS MB':<22} {w['process_peak_mb']:>11.0f} {p['process_peak_mb']:>11.0f} "
          f"{p['process_peak_mb'] / w['process_peak_mb']:>7.2f}")
    print(f"  {'wall s':<22} {w['wall']:>11.1f} {p['wall']:>11.1f}")
    same = _child("same", str(work / "dedup_0.parquet"), str(work / "dedup_1.parquet"))
    print(f"  same output: {same['same_columns'] and not same['differ']} {same['differ'] or ''}")


if __name__ == "__main__":
    main()
