"""The Prefect flow's chunked work reaches the stage as explicit inputs (no function swapping):
the dedup band/cluster task uses the chunk signature files, the generate merge task the chunk records."""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from curation.config import load_config
from curation.dedup import signature_texts
from curation.dedup.minhash import minhash_signatures
from curation.pipeline import Workspace, run_stage
from flows import tasks
from flows.chunks import generate_chunk_file, seed_chunks

NEAR = [
    {"question": "Compute 3 * 7 and report the product as an integer.", "answer": "21"},
    {"question": "Compute 3 * 7 and report the product as an integer please.", "answer": "21"},
    {"question": "How many positive divisors does 360 have? Give the count.", "answer": "24"},
]


def _ingested(tmp_path, extra: str = ""):
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in NEAR) + "\n")
    config = tmp_path / "c.toml"
    config.write_text(f'output_dir = "out"\n[[sources]]\npath = "p.jsonl"\n{extra}')
    cfg = load_config(config)
    ws = Workspace(cfg)
    ws.work.mkdir(parents=True)
    ingested, _ = run_stage(ws, "ingest", None)
    return cfg, ws, ingested


def test_dedup_cluster_task_uses_the_chunk_signatures(tmp_path):
    cfg, ws, ingested = _ingested(tmp_path)
    df = pl.read_parquet(ingested)
    d = cfg.dedup
    real = minhash_signatures(signature_texts(df), num_perm=d.num_perm, seed=d.seed, shingle_size=d.shingle_size)
    plain, _ = run_stage(ws, "dedup", ingested)
    assert pl.read_parquet(plain)["duplicate_of"].null_count() == 2  # the near pair is found

    # the same signatures, split in two chunk files: same result as computing them in the stage
    files = [tmp_path / "a.npy", tmp_path / "b.npy"]
    np.save(files[0], real[:2])
    np.save(files[1], real[2:])
    params = dict(spec=tasks.make_spec(cfg), input_file=str(ingested), input_digest="-", sections="-",
                  external="-", code="-", out_file=str(ws.stage_file("dedup")))
    same = tasks.dedup_cluster_task.fn(signature_files=[str(f) for f in files], signature_digests=[], **params)
    assert pl.read_parquet(same["file"])["duplicate_of"].to_list() == pl.read_parquet(plain)["duplicate_of"].to_list()

    # signatures that make the near pair look unrelated: the task's output follows the files given
    unrelated = real.copy()
    unrelated[1] = np.arange(d.num_perm, dtype=real.dtype) + 7
    np.save(files[0], unrelated[:2])
    moved = tasks.dedup_cluster_task.fn(signature_files=[str(f) for f in files], signature_digests=[], **params)
    assert pl.read_parquet(moved["file"])["duplicate_of"].null_count() == 3


def test_generate_merge_task_uses_the_chunk_records(tmp_path):
    extra = '[generate]\nenabled = true\n[[generate.puzzles]]\ngenerator = "maze"\ncount = 3\nlevel = 1\n'
    cfg, ws, ingested = _ingested(tmp_path, extra)
    files = []
    for seeds in seed_chunks("maze", count=3, level=1, seed=0, size=2):
        files.append(generate_chunk_file("maze", 1, seeds, tmp_path / f"chunk_{seeds[0]}.parquet"))
    # mark the chunk records: the merged table must carry exactly these records
    marked = pl.read_parquet(files[1]).with_columns(pl.lit("chunk-made").alias("subject"))
    marked.write_parquet(files[1])
    requests = [{"generator": "maze", "count": 3, "level": 1, "seed": 0, "files": [str(f) for f in files]}]
    result = tasks.generate_merge_task.fn(
        spec=tasks.make_spec(cfg), input_file=str(ingested), input_digest="-", requests=requests,
        chunk_digests=[], sections="-", code="-", out_file=str(ws.stage_file("generate")),
    )
    out = pl.read_parquet(result["file"]).filter(pl.col("kind") == "puzzle")
    assert out.height == 3 and out["subject"].to_list()[2] == "chunk-made"
    # and the request really was served from the chunks: the same as generating in the stage
    direct, _ = run_stage(ws, "generate", ingested)
    assert pl.read_parquet(direct).filter(pl.col("kind") == "puzzle")["id"].to_list() == out["id"].to_list()
