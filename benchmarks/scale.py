"""Scale benchmark: template-heavy corpora through dedup alone, `curate run`, and incremental batches.

    python benchmarks/scale.py dedup -n 100000            # dedup alone + the quadratic baseline on a prefix
    python benchmarks/scale.py dedup -n 1000000 --baseline-n 0
    python benchmarks/scale.py run --sizes 100000,1000000 --corpora template,diverse  # curate run end to end
    python benchmarks/scale.py incremental -n 10000000 --batch 1000000
    python benchmarks/scale.py single -n 10000000 --batch 1000000   # one mark_duplicates over all rows
    python benchmarks/scale.py dask -n 200000 --workers 2  # single process vs Dask LocalCluster

Cap memory from outside (`prlimit --as=12000000000 python benchmarks/scale.py ...`): the old
quadratic candidate enumeration was OOM-killed at 24 GB on 1M of these rows.

Corpus (`--corpus template`, default): `benchmarks/ingest_export.py`'s generator (templated problems,
~400 bytes a row: the same sentence with other coefficients, so huge LSH buckets of *different*
problems), plus planted re-formatted copies of `--copies` (2%) of the rows (whitespace and line
breaks, LaTeX spacing, `\\dfrac`, `\\(...\\)` delimiters, "Find" -> "What is"): the ground truth.
A planted copy is the same problem as its source; every other pair of rows with different
normalized text is a different problem (each templated row carries its own numbers). `--corpus
diverse`: the unrelated-problem generator of `benchmarks/dedup.py` (Zipf-distributed words, 5% planted
edits of a recent row: re-formattings are the same problem, number / word / order changes another).

dedup: ingest, then `mark_duplicates` in-process; prints rows per CPU-second, peak RSS, checked
pairs per row, linking rounds, and pair precision / recall on the planted copies. Baseline in the
same run (`--baseline-n` rows, default 20,000): the previous algorithm's candidate step (every pair
of every LSH bucket up to `max_bucket` members, a star above, `minhash.candidate_pairs`, each pair Jaccard-checked) on the
same prefix, against the linear linking on that prefix.

run: `curate run` (local engine) on a config with only this source, difficulty and puzzle generation
off, no benchmarks, for every corpus x size, each in a fresh process; per-stage wall time, CPU and
peak RSS (the run report's `peak_rss_mb`), then one table: rows/s, peak memory, candidate pairs
checked per row, precision / recall on the planted copies, with two baselines measured in the same
invocation (the quadratic candidate step on a prefix of each corpus; the first diverse run's rows/s).

incremental: `n` rows in batches of `--batch`, generated batch by batch: each batch is deduplicated
against the persisted index (`update_index` with the kept rows), the way a 10M-row pool is handled
on one machine; later batches carry re-formatted copies of earlier rows, which must be caught.
`--prefill-index 9000000` first fills the index with 9M synthetic entries (random band keys), so a
1M batch meets a 10M-row index without generating and signing 9M texts first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from ingest_export import RssSampler, generate  # noqa: E402


def gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


def ru_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ------------------------------------------------------------------------------------ corpus
def _reformat(text: str, rnd: random.Random) -> str:
    """A re-formatting that keeps the problem: only layout, LaTeX spelling and question phrasing."""
    edits = [
        lambda t: t.replace(" ", "  ", 3).replace(". ", ".\n", 1),
        lambda t: t.replace(" + ", r"\,+\,").replace(" - ", r"\;-\;"),
        lambda t: t.replace(r"\frac", r"\dfrac"),
        lambda t: re.sub(r"\$([^$]*)\$", lambda m: "\\(" + m.group(1).replace(" ", "") + "\\)", t, count=1),
        lambda t: t.replace("Find the sum", "What is the sum", 1),
        lambda t: t.rstrip(".") + " ." if t.endswith(".") else t + " ",
    ]
    for edit in rnd.sample(edits, rnd.randint(1, 3)):
        text = edit(text)
    return text


def make_corpus(path: Path, n: int, *, corpus: str, copies: float, seed: int = 0) -> int:
    """Write `n` rows (JSONL) with planted copies among them; returns the number of copies."""
    if corpus == "diverse":
        from dedup import make_docs

        texts, _, problem = make_docs(n, seed=seed)
        with open(path, "w", encoding="utf-8") as fh:
            for i, t in enumerate(texts):
                # a re-formatted copy names its problem: `<problem id>@<row>-copy` (see `_problem`)
                sid = f"div-{i}" if problem[i] == i else f"div-{problem[i]}@{i}-copy"
                fh.write(json.dumps({"id": sid, "problem": t, "answer": "1"}) + "\n")
        return int((problem != np.arange(n)).sum())
    n_copies = int(n * copies)
    generate(path, n - n_copies, malformed=0, seed=seed)
    rnd = random.Random(seed + 1)
    picks = sorted(rnd.sample(range(n - n_copies), n_copies))
    out = []
    with open(path, encoding="utf-8") as fh:
        want = iter(picks)
        nxt = next(want, None)
        for i, line in enumerate(fh):
            if i == nxt:
                rec = json.loads(line)
                rec["id"] = f"{rec['id']}-copy"
                rec["problem"] = _reformat(rec["problem"], rnd)
                out.append(json.dumps(rec, ensure_ascii=False))
                nxt = next(want, None)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n".join(out) + ("\n" if out else ""))
    return n_copies


def _ingest(path: Path) -> pl.DataFrame:
    from curation.config import SourceConfig
    from curation.ingest import ingest_source

    return ingest_source(SourceConfig(name="synthetic", path=str(path))).problems


def _problem(sid: pl.Expr) -> pl.Expr:
    """The planted problem a source id stands for: a copy carries its problem's id plus a suffix
    (`-copy`, `-xcopy` across incremental batches; `@<row>` when a problem has several copies)."""
    return sid.str.replace(r"-x?copy$", "").str.replace(r"@\d+$", "")


def quality(out: pl.DataFrame) -> dict:
    """Precision / recall of duplicate links against the planted copies. A link between two rows of
    identical dedup text (the normalized question, with the options of a multiple-choice row) is
    right whatever their planted ids say: the generator repeats a few short problems by chance."""
    from curation.dedup import normalize_series
    from curation.dedup.normalize import dedup_question

    df = out.select("id", "cluster_id", "duplicate_of", "question", pl.col("source_id").alias("sid")).with_columns(
        _problem(pl.col("sid")).alias("problem"), normalize_series(dedup_question(out)).alias("_n")
    )
    # predicted duplicate pairs: (member, its representative); ids are content hashes, so rows are
    # matched through the representative row (cluster member without `duplicate_of`)
    members = df.filter(pl.col("duplicate_of").is_not_null())
    reps = df.filter(pl.col("cluster_id").is_not_null() & pl.col("duplicate_of").is_null())
    rep_problem = reps.select(pl.col("cluster_id"), pl.col("problem").alias("rep_problem"), pl.col("_n").alias("rep_n")).unique("cluster_id")
    pred = members.join(rep_problem, on="cluster_id", how="left")
    identical = pred["_n"] == pred["rep_n"]
    right = (pred["problem"] == pred["rep_problem"]) | identical
    copies = df.filter(pl.col("sid").str.ends_with("-copy"))
    src = df.filter(~pl.col("sid").str.ends_with("-copy")).select(pl.col("problem"), pl.col("cluster_id").alias("src_cluster"), pl.col("_n").alias("src_n"))
    c = copies.join(src, on="problem", how="left")
    found = (c["cluster_id"].is_not_null() & (c["cluster_id"] == c["src_cluster"])) | (c["_n"] == c["src_n"])
    return {
        "predicted_links": pred.height,
        "wrong_links": int((~right).sum()),
        "precision": float(right.mean()) if pred.height else 1.0,
        "planted": copies.height,
        "recall": float(found.mean()) if copies.height else 1.0,
    }


# -------------------------------------------------------------------------------------- modes
def baseline_quadratic(df: pl.DataFrame) -> dict:
    """The previous candidate step on `df`: every pair of every bucket, each Jaccard-checked."""
    from curation.config import DedupSettings
    from curation.dedup import minhash as mh, signature_texts

    s = DedupSettings()
    c0, w0 = time.process_time(), time.perf_counter()
    texts = signature_texts(df).unique(maintain_order=True)
    bands, nonempty = mh.band_hashes(texts, num_perm=s.num_perm, seed=s.seed, shingle_size=s.shingle_size, bands=s.bands, rows=s.rows)
    pairs = mh.candidate_pairs(bands, active=nonempty, max_bucket=s.max_bucket)
    sims = np.concatenate([mh.jaccard_pairs(texts, pairs[i : i + 2_000_000]) for i in range(0, len(pairs), 2_000_000)]) if len(pairs) else np.zeros(0)
    return {"cpu": time.process_time() - c0, "wall": time.perf_counter() - w0, "candidates": len(pairs),
            "verified": int((sims >= s.threshold).sum())}


def run_dedup(path: Path, baseline_n: int) -> None:
    from curation.dedup import mark_duplicates

    sampler = RssSampler()
    sampler.set("ingest")
    df = _ingest(path)
    n = df.height
    sampler.set("dedup")
    stats: dict = {}
    c0, w0 = time.process_time(), time.perf_counter()
    out = mark_duplicates(df, stats=stats)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    peaks = sampler.stop()
    print(f"dedup: {n:,} rows in {wall:.1f}s wall, {cpu:.1f} CPU-s = {n / cpu:,.0f} rows per CPU-second; "
          f"peak RSS {gb(peaks.get('dedup', 0))} (after ingest {gb(peaks.get('ingest', 0))})")
    print("  phases (CPU-s): " + ", ".join(f"{k} {v:.1f}" for k, v in stats.get("phases", {}).items()))
    print(f"  checked pairs {stats.get('candidates', 0):,} ({stats.get('candidates', 0) / n:.2f} per row), "
          f"near edges {stats.get('verified_pairs', 0):,}, rejected as other problems {stats.get('rejected_not_same_problem', 0):,}, "
          f"linking rounds {stats.get('link_rounds', 0)}, members left by the work cap {stats.get('capped_members', 0):,}")
    sizes = out.filter(pl.col("cluster_id").is_not_null()).group_by("cluster_id").len()["len"]
    print(f"  marked: " + ", ".join(f"{r}={c:,}" for r, c in out["drop_reason"].value_counts().sort("drop_reason").iter_rows() if r)
          + f"; clusters {sizes.len():,} (largest {int(sizes.max()) if sizes.len() else 0}); "
          f"template groups {out['template_group'].drop_nulls().n_unique():,}")
    if out["source_id"].str.ends_with("-copy").any():
        q = quality(out)
        print(f"  ground truth: {q['planted']:,} planted re-formatted copies, recall {q['recall']:.4f}; "
              f"{q['predicted_links']:,} duplicate links, precision {q['precision']:.4f} ({q['wrong_links']:,} wrong)")
    if baseline_n:
        prefix = df.head(baseline_n)
        st: dict = {}
        c0 = time.process_time()
        mark_duplicates(prefix, stats=st)
        new_cpu = time.process_time() - c0
        base = baseline_quadratic(prefix)
        print(f"baseline on the first {prefix.height:,} rows: all pairs of every bucket: {base['candidates']:,} candidate "
              f"pairs ({base['candidates'] / prefix.height:,.1f} per row), {base['verified']:,} with Jaccard >= 0.8, "
              f"{base['cpu']:.1f} CPU-s for the candidate step alone")
        print(f"  linear linking, whole dedup stage on the same rows: {st.get('candidates', 0):,} checked pairs "
              f"({st.get('candidates', 0) / prefix.height:.2f} per row), {new_cpu:.1f} CPU-s; "
              f"{base['cpu'] / max(new_cpu, 1e-9):.0f}x less CPU than the old candidate step alone")
    print(f"process peak RSS {gb(ru_peak())}")


def _vm_hwm() -> int:
    """Peak resident memory of this process (bytes), from /proc (a worker's own figure)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_dask(path: Path, work: Path, workers: int, chunk_rows: int, band_groups: int) -> None:
    """Single process vs the sharded path on a Dask LocalCluster, same rows, same output.

    Sharded path = what `curate run --engine prefect --task-runner dask` runs for dedup (the
    functions of flows/chunks.py), submitted with `distributed` directly so Prefect's own task
    overhead is not measured: signature chunk tasks (.npy), band-group tasks (edges .npz: row pairs
    + Jaccard), then the single cluster step in this process with `near_edges=`."""
    from distributed import Client, LocalCluster

    from curation.config import PipelineConfig
    from curation.dedup import mark_duplicates
    from curation.io import write_problems
    from flows.chunks import band_groups as groups_of, compute_band_group_edges, compute_signature_chunk, load_edges

    df = _ingest(path)
    n = df.height
    frame = write_problems(df, work / "dask-input.parquet")
    cfg = PipelineConfig()
    cols = ["exact_dup_of", "cluster_id", "duplicate_of", "dup_similarity", "conflicting_answers", "drop_reason",
            "review_reason", "template_group"]

    from curation.memory import PeakRss

    c0, w0 = time.process_time(), time.perf_counter()
    with PeakRss() as single_peak:
        single = mark_duplicates(df).select(cols)
    single_wall, single_cpu = time.perf_counter() - w0, time.process_time() - c0
    print(f"single process: {n:,} rows in {single_wall:.1f}s wall ({single_cpu:.1f} CPU-s), {n / single_wall:,.0f} rows/s; "
          f"peak RSS during dedup {gb(single_peak.bytes)} (the input frame included)", flush=True)

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("curation.dedup"))  # warm imports: not part of the work
        sig_dir = work / "dask-signatures"
        sig_dir.mkdir(exist_ok=True)
        w0 = time.perf_counter()
        futs = [
            client.submit(compute_signature_chunk, cfg, str(frame), a, min(n, a + chunk_rows),
                          str(sig_dir / f"sig_{a:09d}.npy"), pure=False)
            for a in range(0, n, chunk_rows)
        ]
        files = [r["file"] for r in client.gather(futs)]
        w_sig = time.perf_counter()
        groups = groups_of(cfg.dedup.bands, band_groups)
        futs = [
            client.submit(compute_band_group_edges, cfg, str(frame), files, a, b, str(sig_dir / f"bands_{a:03d}.npz"), pure=False)
            for a, b in groups
        ]
        band_results = client.gather(futs)
        w_band = time.perf_counter()
        c_driver = time.process_time()
        with PeakRss() as cluster_peak:
            edges = load_edges([r["file"] for r in band_results])
            sharded = mark_duplicates(df, near_edges=edges).select(cols)
        w_end = time.perf_counter()
        driver_cpu = time.process_time() - c_driver
        worker_peaks = client.run(_vm_hwm)
        worker_cpu = client.run(lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2]))
    dask_wall = w_end - w0
    edge_bytes = sum(Path(r["file"]).stat().st_size for r in band_results)
    sig_bytes = sum(Path(f).stat().st_size for f in files)
    print(f"dask LocalCluster, {workers} workers x 1 thread: {dask_wall:.1f}s wall = signatures {w_sig - w0:.1f}s "
          f"({len(files)} chunk tasks) + band/link {w_band - w_sig:.1f}s ({len(groups)} band-group tasks, "
          f"{sum(r['checked'] for r in band_results):,} pairs checked) + cluster step {w_end - w_band:.1f}s "
          f"({driver_cpu:.1f} CPU-s in the driver); {n / dask_wall:,.0f} rows/s")
    contents = set()
    for r in band_results:
        with np.load(r["file"]) as z:
            contents |= set(z.files)
    print(f"  travelled to the cluster step: {len(edges[0]):,} edges, {edge_bytes / 1e6:.2f} MB of .npz holding only "
          f"{sorted(contents)} (the signatures, {sig_bytes / 1e6:,.0f} MB, stay with the workers' storage)")
    if not contents <= {"pairs", "similarities", "by_answer"}:  # row pairs, Jaccard, answer-confirmed flag
        raise SystemExit(f"band-group files carry more than edges: {sorted(contents)}")
    print(f"  worker peak RSS: " + ", ".join(gb(v) for v in worker_peaks.values())
          + f"; worker CPU-s (incl. start-up): " + ", ".join(f"{v:.0f}" for v in worker_cpu.values())
          + f"; cluster step peak RSS {gb(cluster_peak.bytes)} (driver, input frame included); driver process peak {gb(ru_peak())}")
    same = single.equals(sharded)
    print(f"  same output as the single process: {same}")
    print(f"ratio single/dask wall: {single_wall / dask_wall:.2f}x (machine: {os.cpu_count()} cores, shared)")
    if not same:
        raise SystemExit("sharded dedup differs from the single process")


def run_end_to_end(path: Path, work: Path) -> dict:
    """`curate run` (local engine) on `path`; prints the per-stage table and returns the figures."""
    from curation.config import load_config
    from curation.pipeline import run_pipeline

    cfg_path = work / "scale.toml"
    cfg_path.write_text(
        f'output_dir = "{work / "out"}"\n\n[[sources]]\nname = "synthetic"\npath = "{path}"\n\n'
        "[difficulty]\nenabled = false\n\n[generate]\nenabled = false\n",
        encoding="utf-8",
    )
    cfg = load_config(cfg_path)
    rows: list[tuple] = []
    last_cpu = [time.process_time()]

    def on_stage(count) -> None:
        now = time.process_time()
        cpu, last_cpu[0] = now - last_cpu[0], now
        rows.append((count, cpu))

    w0, c0 = time.perf_counter(), time.process_time()
    report = run_pipeline(cfg, on_stage=on_stage)
    total, total_cpu = time.perf_counter() - w0, time.process_time() - c0
    n_in = rows[0][0].rows if rows else 0
    print(f"curate run (local engine, difficulty off) on {path.name}: {n_in:,} rows in {total:.1f}s wall, "
          f"{total_cpu:.1f} CPU-s (all threads), process peak RSS {gb(ru_peak())}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(f"  {'stage':<14} {'rows':>9} {'wall s':>8} {'CPU s':>8} {'dropped':>8} {'review':>7} {'peak RSS':>9}  note")
    for count, cpu in rows:
        peak = gb(count.peak_rss_mb * 1e6) if count.peak_rss_mb else "-"
        print(f"  {count.stage:<14} {count.rows:>9,} {count.seconds:>8.1f} {cpu:>8.1f} {sum(count.dropped.values()):>8,} "
              f"{sum(count.review.values()):>7,} {peak:>9}  {'(off) ' if count.skipped else ''}{count.note or ''}")
    print(f"  {'split+export':<14} {'':>9} {total - sum(c.seconds for c, _ in rows):>8.1f} "
          f"{total_cpu - sum(cpu for _, cpu in rows):>8.1f}")
    dedup = next(c for c, _ in rows if c.stage == "dedup")
    checked = int(re.match(r"([\d,]+) candidate pairs", dedup.note or "0").group(1).replace(",", "")) if dedup.note else 0
    dedup_file = next((work / "out" / "work").glob("*_dedup.parquet"), None)
    out = pl.read_parquet(dedup_file, columns=["id", "cluster_id", "duplicate_of", "question", "choices", "source_id"]) if dedup_file else None
    q = quality(out) if out is not None and out["source_id"].str.ends_with("-copy").any() else None
    return {
        "rows": n_in, "wall": total, "cpu": total_cpu, "peak": ru_peak(), "dedup_peak": (dedup.peak_rss_mb or 0) * 1e6,
        "dedup_wall": dedup.seconds, "checked": checked, "kept": report.destinations.get("kept", 0), "quality": q,
    }


def run_matrix(work: Path, sizes: list[int], corpora: list[str], copies: float, baseline_n: int) -> None:
    """`curate run` end to end on each corpus x size, each run in a fresh process (so its peak
    memory is its own), then one table; the baseline in the same run is (a) the quadratic candidate
    step (every pair of every LSH bucket, Jaccard-checked) on the first `baseline_n` rows of each
    corpus, and (b) the rows/s of the smallest diverse run."""
    import subprocess

    results = []
    for corpus in corpora:
        for n in sizes:
            path = work / f"{corpus}-{n}.jsonl"
            if not path.exists():
                make_corpus(path, n, corpus=corpus, copies=copies)
            sub = work / f"run-{corpus}-{n}"
            sub.mkdir(exist_ok=True)
            proc = subprocess.run(
                [sys.executable, __file__, "run-one", "--path", str(path), "--dir", str(sub)],
                capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            sys.stdout.write(proc.stdout)
            if proc.returncode:
                sys.stdout.write(proc.stderr[-3000:])
                raise SystemExit(f"curate run failed on {corpus} {n:,}")
            res = json.loads(proc.stdout.strip().splitlines()[-1].removeprefix("RESULT "))
            results.append((corpus, n, res))
            sys.stdout.flush()
    base = {}
    for corpus in corpora:
        if baseline_n:
            path = work / f"{corpus}-{min(sizes)}.jsonl"
            base[corpus] = baseline_quadratic(_ingest(path).head(baseline_n))
    ref = next((r for c, n, r in results if c == "diverse"), results[0][2])
    ref_rate = ref["rows"] / ref["wall"]
    print(f"\ncurate run end to end (local engine, difficulty off; {os.cpu_count()} shared cores, nice 5):")
    print(f"  {'corpus':<9} {'rows':>10} {'wall s':>7} {'CPU s':>7} {'rows/s':>8} {'vs ref':>6} {'peak RSS':>9} "
          f"{'dedup s':>7} {'dedup peak':>10} {'pairs/row':>9} {'quadratic pairs/row':>19} {'precision':>9} {'recall':>7}")
    for corpus, n, r in results:
        q = r["quality"] or {}
        b = base.get(corpus)
        bq = f"{b['candidates'] / baseline_n:,.1f}" if b else "-"
        print(f"  {corpus:<9} {n:>10,} {r['wall']:>7.1f} {r['cpu']:>7.1f} {r['rows'] / r['wall']:>8,.0f} "
              f"{r['rows'] / r['wall'] / ref_rate:>5.2f}x {gb(r['peak']):>9} {r['dedup_wall']:>7.1f} {gb(r['dedup_peak']):>10} "
              f"{r['checked'] / max(r['rows'], 1):>9.3f} {bq:>19} "
              f"{q.get('precision', float('nan')):>9.4f} {q.get('recall', float('nan')):>7.4f}")
    print(f"  vs ref: rows/s against the first diverse run; quadratic pairs/row: the previous candidate step "
          f"on the first {baseline_n:,} rows of that corpus (pairs of every bucket), against `pairs/row` checked now")
    for corpus, b in base.items():
        print(f"  baseline {corpus}: {b['candidates']:,} candidate pairs, {b['verified']:,} with Jaccard >= threshold, "
              f"{b['cpu']:.1f} CPU-s for the candidate step alone on {baseline_n:,} rows")


def _cross_batch_quality(out: pl.DataFrame, indexed: pl.DataFrame, index_dir: Path) -> dict:
    """Links from this batch to rows of the index (earlier batches): right when the target is the
    same planted problem or has the identical normalized text; recall over the `-xcopy` rows."""
    from curation.dedup import normalize_series
    from curation.dedup.normalize import dedup_question

    # a cluster whose representative is an indexed row has no batch row without `duplicate_of` (an
    # indexed row may share its content id with a batch row: ids are content hashes)
    batch_reps = out.filter(pl.col("cluster_id").is_not_null() & pl.col("duplicate_of").is_null())["id"]
    linked = out.filter(pl.col("duplicate_of").is_not_null() & ~pl.col("duplicate_of").is_in(batch_reps.implode()))
    linked = linked.select(
        pl.col("duplicate_of").alias("id"), _problem(pl.col("source_id")).alias("problem"),
        normalize_series(dedup_question(linked)).alias("_n"), pl.col("source_id").str.ends_with("-xcopy").alias("x"),
    ).join(indexed.rename({"problem": "target_problem"}), on="id", how="left")
    texts = (
        pl.scan_parquet(sorted(index_dir.glob("part-*.parquet"))).select("id", pl.col("norm").alias("target_n"))
        .filter(pl.col("id").is_in(linked["id"].unique().implode())).unique("id").collect()
    ) if linked.height else pl.DataFrame({"id": [], "target_n": []}, schema={"id": pl.Utf8, "target_n": pl.Utf8})
    linked = linked.join(texts, on="id", how="left")
    right = ((linked["problem"] == linked["target_problem"]) | (linked["_n"] == linked["target_n"])).fill_null(False)
    x = out.filter(pl.col("source_id").str.ends_with("-xcopy"))
    caught = linked.filter(pl.col("x") & right).height
    return {"links": linked.height, "wrong": int((~right).sum()), "planted": x.height, "caught": caught}


def run_incremental(work: Path, n: int, batch: int, copies: float) -> None:
    """`n` template-heavy rows in batches of `batch`, each generated on the fly (so the corpus never
    sits in memory or on disk whole), deduplicated against the persisted index, whose kept rows are
    then appended to it. Every batch after the first also carries re-formatted copies of 0.5% of the
    previous batch's rows (source id + `-xcopy`): they must be caught against the index. Source ids
    are made unique across batches (`b<k>-<i>`), so every link is checked against the ground truth:
    within a batch (`quality`, planted `-copy` rows) and from a batch to the index."""
    from curation.dedup import mark_duplicates, update_index

    index_dir = work / "index"
    sampler = RssSampler()
    totals = {"rows": 0, "dropped": 0, "checked": 0, "links": 0, "wrong": 0, "planted": 0, "found": 0,
              "x_planted": 0, "x_caught": 0, "x_links": 0, "x_wrong": 0, "cpu": 0.0, "wall": 0.0}
    indexed = pl.DataFrame(schema={"id": pl.Utf8, "problem": pl.Utf8})  # id -> planted problem of every indexed row
    w0, c0 = time.perf_counter(), time.process_time()
    rnd = random.Random(7)
    previous: list[str] = []
    print(f"  {'batch':>5} {'rows':>10} {'index':>11} {'dropped':>8} {'checked/row':>11} {'in-batch P / R':>16} "
          f"{'cross-batch P / R':>18} {'dedup s (CPU)':>14} {'index s (CPU)':>14} {'peak RSS':>9}", flush=True)
    for k, start in enumerate(range(0, n, batch)):
        sampler.set(f"generate-{k}")
        part = work / f"batch-{k}.jsonl"
        make_corpus(part, min(batch, n - start), corpus="template", copies=copies, seed=100 + k)
        lines = [ln.replace('{"id": "syn-', f'{{"id": "b{k}-', 1) for ln in part.read_text(encoding="utf-8").splitlines()]
        extra = []
        for line in rnd.sample(previous, len(previous) // 200) if previous else []:
            rec = json.loads(line)
            rec["id"] = f"{rec['id']}-xcopy"
            rec["problem"] = _reformat(rec["problem"], rnd)
            extra.append(json.dumps(rec, ensure_ascii=False))
        part.write_text("\n".join(lines + extra) + "\n", encoding="utf-8")
        previous = [ln for ln in lines if "-copy" not in ln]
        del lines, extra
        df = _ingest(part)
        part.unlink()
        index_rows = sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in index_dir.glob("part-*.parquet"))
        sampler.set(f"dedup-{k}")
        stats: dict = {}
        b0, bc0 = time.perf_counter(), time.process_time()
        out = mark_duplicates(df, index_dir=index_dir, stats=stats)
        d_wall, d_cpu = time.perf_counter() - b0, time.process_time() - bc0
        sampler.set(f"index-{k}")
        kept = out.filter(pl.col("drop_reason").is_null())
        i0, ic0 = time.perf_counter(), time.process_time()
        update_index(kept, index_dir)
        i_wall, i_cpu = time.perf_counter() - i0, time.process_time() - ic0
        sampler.set(f"quality-{k}")
        q = quality(out)
        xq = _cross_batch_quality(out, indexed, index_dir)
        indexed = pl.concat([indexed, kept.select("id", _problem(pl.col("source_id")).alias("problem"))]).unique("id", keep="first")
        peak = max(sampler.peaks.get(f"dedup-{k}", 0), sampler.peaks.get(f"index-{k}", 0))
        for key, v in (("rows", df.height), ("dropped", out.height - kept.height), ("checked", stats.get("candidates", 0)),
                       ("links", q["predicted_links"]), ("wrong", q["wrong_links"]), ("planted", q["planted"]),
                       ("found", round(q["recall"] * q["planted"])), ("x_planted", xq["planted"]), ("x_caught", xq["caught"]),
                       ("x_links", xq["links"]), ("x_wrong", xq["wrong"]), ("cpu", d_cpu + i_cpu), ("wall", d_wall + i_wall)):
            totals[key] += v
        xp = 1 - xq["wrong"] / xq["links"] if xq["links"] else 1.0
        xr = xq["caught"] / xq["planted"] if xq["planted"] else float("nan")
        print(f"  {k:>5} {df.height:>10,} {index_rows:>11,} {out.height - kept.height:>8,} "
              f"{stats.get('candidates', 0) / df.height:>11.3f} {q['precision']:>7.4f} / {q['recall']:.4f} "
              f"{xp:>8.4f} / {xr:.4f} {d_wall:>6.0f} ({d_cpu:>5.0f}) {i_wall:>6.0f} ({i_cpu:>5.0f}) {gb(peak):>9}", flush=True)
        del df, out, kept
    peaks = sampler.stop()
    dedup_peak = max((v for k_, v in peaks.items() if k_.startswith(("dedup-", "index-"))), default=0)
    t = totals
    print(f"incremental: {t['rows']:,} rows in {time.perf_counter() - w0:.0f}s wall ({time.process_time() - c0:.0f} CPU-s incl. "
          f"generating and ingesting the batches); dedup + index update alone {t['wall']:.0f}s wall, {t['cpu']:.0f} CPU-s "
          f"= {t['cpu'] / t['rows'] * 1e6:.0f} CPU-s per million rows; {t['dropped']:,} dropped; "
          f"checked pairs {t['checked'] / t['rows']:.3f} per row")
    print(f"  in-batch ground truth: {t['found']:,} of {t['planted']:,} planted copies found (recall {t['found'] / max(t['planted'], 1):.4f}), "
          f"{t['wrong']:,} wrong of {t['links']:,} links (precision {1 - t['wrong'] / max(t['links'], 1):.4f})")
    print(f"  cross-batch ground truth: {t['x_caught']:,} of {t['x_planted']:,} copies of earlier batches caught against the index "
          f"(recall {t['x_caught'] / max(t['x_planted'], 1):.4f}), {t['x_wrong']:,} wrong of {t['x_links']:,} links to the index "
          f"(precision {1 - t['x_wrong'] / max(t['x_links'], 1):.4f})")
    print(f"  peak RSS of dedup + index update {gb(dedup_peak)}; process peak RSS {gb(ru_peak())}")


def run_single(work: Path, n: int, batch: int, copies: float) -> None:
    """`n` template-heavy rows deduplicated in ONE `mark_duplicates` call (one process, the whole
    frame): the rows are generated and ingested `batch` rows at a time (source ids `b<k>-<i>`, planted
    copies within each batch, as in `incremental`) and concatenated in memory, so only the dedup
    stage itself holds all rows. Prints wall / CPU time, the peak RSS while dedup ran (the frame
    included), checked pairs per row and precision / recall on the planted copies."""
    from curation.dedup import mark_duplicates
    from curation.memory import PeakRss

    frames = []
    g0 = time.perf_counter()
    for k, start in enumerate(range(0, n, batch)):
        part = work / f"single-{k}.jsonl"
        make_corpus(part, min(batch, n - start), corpus="template", copies=copies, seed=100 + k)
        text = part.read_text(encoding="utf-8").replace('{"id": "syn-', f'{{"id": "b{k}-')
        part.write_text(text, encoding="utf-8")
        del text
        frames.append(_ingest(part))
        part.unlink()
        print(f"  generated and ingested batch {k}: {sum(f.height for f in frames):,} rows so far, RSS {gb(RssSampler.rss())}", flush=True)
    df = pl.concat(frames, how="vertical", rechunk=False)
    del frames
    print(f"frame: {df.height:,} rows ({df.estimated_size() / 1e9:.2f} GB estimated, RSS {gb(RssSampler.rss())}) "
          f"built in {time.perf_counter() - g0:.0f}s", flush=True)
    stats: dict = {}
    c0, w0 = time.process_time(), time.perf_counter()
    with PeakRss() as peak:
        out = mark_duplicates(df, stats=stats)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    del df
    print(f"one process, one mark_duplicates: {out.height:,} rows in {wall:.0f}s wall, {cpu:.0f} CPU-s "
          f"({cpu / out.height * 1e6:.0f} CPU-s per million rows); peak RSS while dedup ran {gb(peak.bytes)} (input frame included)")
    print("  phases (CPU-s): " + ", ".join(f"{k} {v:.0f}" for k, v in stats.get("phases", {}).items()))
    print(f"  checked pairs {stats.get('candidates', 0):,} ({stats.get('candidates', 0) / out.height:.3f} per row), "
          f"near edges {stats.get('verified_pairs', 0):,}, dropped {out['drop_reason'].is_not_null().sum():,}")
    q = quality(out.select("id", "cluster_id", "duplicate_of", "question", "choices", "source_id"))
    print(f"  ground truth: {q['planted']:,} planted copies, recall {q['recall']:.4f}; {q['predicted_links']:,} duplicate "
          f"links, precision {q['precision']:.4f} ({q['wrong_links']:,} wrong); process peak RSS {gb(ru_peak())}")


def prefill_index(index_dir: Path, rows: int, part_rows: int = 1_000_000) -> None:
    """An index of `rows` synthetic entries (random band keys, number keys and hashes; short texts):
    what a 10M-row curated pool costs the index load and the bucket pass, without generating and
    signing 10M texts. Written in the index's own part format (schema taken from a real part)."""
    from curation.config import DedupSettings
    from curation.dedup import update_index
    from schemas import conform

    seed_row = conform(pl.DataFrame({"id": ["prefill-seed"], "source": ["prefill"], "question": ["seed problem 1"], "answer": ["1"]}))
    update_index(seed_row, index_dir)
    schema = pl.read_parquet(next(index_dir.glob("part-*.parquet"))).schema
    bands = DedupSettings().bands
    rng = np.random.default_rng(5)
    for k, start in enumerate(range(0, rows, part_rows)):
        m = min(part_rows, rows - start)
        cols = {
            "id": pl.Series([f"prefill-{start + i}" for i in range(m)]),
            "source": pl.Series(["prefill"] * m),
            "norm": pl.Series([f"prefilled problem {start + i}" for i in range(m)]),
            "ans": pl.Series(["1"] * m),
            "has_solution": pl.Series([False] * m),
            "verified": pl.Series([True] * m),
            "tmpl": pl.Series(rng.integers(0, 2**63, m, dtype=np.uint64)),
            "nums": pl.Series(rng.integers(0, 2**63, m, dtype=np.uint64)),
            "nhash": pl.Series(rng.integers(0, 2**63, m, dtype=np.uint64)),
            "nlen": pl.Series([20] * m),
        }
        for j in range(bands):
            cols[f"b{j}"] = pl.Series(rng.integers(0, 2**63, m, dtype=np.uint64))
        pl.DataFrame(cols).select([pl.col(c).cast(t) for c, t in schema.items()]).write_parquet(
            index_dir / f"part-{k + 1:05d}.parquet", compression="zstd"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["dedup", "run", "run-one", "incremental", "single", "dask"])
    ap.add_argument("--sizes", default="100000,1000000", help="run: comma-separated row counts")
    ap.add_argument("--corpora", default="template,diverse", help="run: comma-separated corpora")
    ap.add_argument("--path", type=Path, default=None, help="run-one: the corpus file")
    ap.add_argument("-n", "--rows", type=int, default=100_000)
    ap.add_argument("--corpus", choices=["template", "diverse"], default="template")
    ap.add_argument("--copies", type=float, default=0.02, help="share of planted re-formatted copies (template corpus)")
    ap.add_argument("--baseline-n", type=int, default=None,
                    help="rows for the quadratic baseline (0: skip; default 20,000 for dedup, 5,000 for run: on the "
                         "template corpus nearly every pair of the prefix is a candidate)")
    ap.add_argument("--batch", type=int, default=1_000_000, help="rows per incremental batch")
    ap.add_argument("--prefill-index", type=int, default=0,
                    help="incremental: start from an index of this many synthetic entries (e.g. 9000000)")
    ap.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    ap.add_argument("--workers", type=int, default=2, help="dask: LocalCluster worker processes")
    ap.add_argument("--chunk-rows", type=int, default=50_000, help="dask: rows per signature chunk task")
    ap.add_argument("--band-groups", type=int, default=4, help="dask: band-group tasks of the band/link pass")
    args = ap.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="curate-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.mode == "incremental":
        if args.prefill_index and not list((work / "index").glob("part-*.parquet")):
            t = time.perf_counter()
            prefill_index(work / "index", args.prefill_index)
            print(f"prefilled the index with {args.prefill_index:,} synthetic entries in {time.perf_counter() - t:.0f}s", flush=True)
        run_incremental(work, args.rows, args.batch, args.copies)
        return
    if args.mode == "single":
        run_single(work, args.rows, args.batch, args.copies)
        return
    if args.mode == "run":
        run_matrix(work, [int(x) for x in args.sizes.split(",")], args.corpora.split(","), args.copies,
                   5_000 if args.baseline_n is None else args.baseline_n)
        return
    if args.mode == "run-one":
        print("RESULT " + json.dumps(run_end_to_end(args.path, work)))
        return
    path = work / f"{args.corpus}-{args.rows}.jsonl"
    if not path.exists():
        t = time.perf_counter()
        planted = make_corpus(path, args.rows, corpus=args.corpus, copies=args.copies)
        print(f"corpus: {args.rows:,} {args.corpus} rows ({planted:,} planted copies), {path.stat().st_size / 1e6:,.0f} MB, "
              f"generated in {time.perf_counter() - t:.0f}s", flush=True)
    if args.mode == "dedup":
        run_dedup(path, 20_000 if args.baseline_n is None else args.baseline_n)
    elif args.mode == "dask":
        run_dask(path, work, args.workers, args.chunk_rows, args.band_groups)


if __name__ == "__main__":
    main()
