"""Task runners: Dask (2-worker LocalCluster) and the process pool give the thread runner's output."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from flows_sample import write_sample

from curation.config import PipelineConfig, load_config
from curation.pipeline import Workspace, run_pipeline


def stage_table(out: Path, stage: str) -> pl.DataFrame:
    """The work file of `stage` in the run whose output folder is `out`."""
    return pl.read_parquet(Workspace(PipelineConfig(output_dir=str(out))).stage_file(stage))


@pytest.fixture(scope="module")
def thread_run(tmp_path_factory) -> Path:
    from flows.pipeline import curation_pipeline

    root = tmp_path_factory.mktemp("thread")
    cfg = write_sample(root, generate=True, runner="thread", chunk_rows=3)
    curation_pipeline(config_path=str(cfg))
    return root / "out"


def _compare(a: Path, b: Path) -> None:
    for name in ("generate", "dedup"):
        # source_file names the sample file, which lives in a different tmp folder per run
        ta, tb = stage_table(a, name).drop("source_file"), stage_table(b, name).drop("source_file")
        assert ta.columns == tb.columns
        for col in ta.columns:
            assert ta[col].equals(tb[col]), (name, col)
    puzzles = stage_table(a, "generate").filter(pl.col("kind") == "puzzle")
    assert puzzles.height == 12  # 7 sudoku + 5 maze, in chunks of 3 seeds


def test_chunked_generation_equals_run_pipeline(thread_run: Path, tmp_path: Path):
    cfg = load_config(thread_run.parent / "curate.toml")
    cfg.output_dir = str(tmp_path / "local")
    run_pipeline(cfg)
    _compare(thread_run, tmp_path / "local")


def test_dask_runner_gives_same_dedup_and_puzzles(thread_run: Path, tmp_path: Path):
    from flows.pipeline import curation_pipeline

    cfg = write_sample(tmp_path / "dask", generate=True, runner="dask", chunk_rows=3, extra="dask_workers = 2\ndedup_band_groups = 3")
    result = curation_pipeline(config_path=str(cfg))
    _compare(thread_run, tmp_path / "dask" / "out")
    stages = {s["stage"]: s for s in result["flow_stages"]}
    assert stages["generate"]["rows"] == stage_table(thread_run, "generate").height
    # the work really was split: 3 sudoku + 2 maze seed chunks, one signature task per 3 rows
    assert stages["generate"]["chunks"] == 5
    assert stages["dedup"]["chunks"] == -(-stages["dedup"]["rows"] // 3)
    # the band/link pass ran as separate band-group tasks whose edges alone reached the cluster
    # task, and the near pair (p2 / p2-near) was still found there
    assert stages["dedup"]["band_groups"] == 3
    dedup = stage_table(tmp_path / "dask" / "out", "dedup")
    near = dedup.filter(pl.col("question").str.ends_with("integer please."))
    assert near["drop_reason"].to_list() == ["near_duplicate"]
    assert dedup.filter(pl.col("id") == near["duplicate_of"][0])["question"].str.ends_with("an integer.").all()
    edges = sorted((tmp_path / "dask" / "out").rglob("*_bands_*.npz"))
    assert len(edges) == 3
    for f in edges:
        import numpy as np

        with np.load(f) as z:
            # row pairs, Jaccard and which were linked by the answer-confirmed tier only (no texts, no signatures)
            assert sorted(z.files) == ["by_answer", "pairs", "similarities"]


def test_task_runner_override_and_process_pool(thread_run: Path, tmp_path: Path):
    from flows.pipeline import curation_pipeline

    cfg = write_sample(tmp_path / "proc", generate=True, runner="thread", chunk_rows=3)
    curation_pipeline(config_path=str(cfg), task_runner="process")
    _compare(thread_run, tmp_path / "proc" / "out")


def test_make_task_runner_kinds():
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from curation.errors import ConfigError
    from flows.runners import make_task_runner, runner_kind

    assert isinstance(make_task_runner("thread"), ThreadPoolTaskRunner)
    assert isinstance(make_task_runner("process", workers=2), ProcessPoolTaskRunner)
    local = make_task_runner("dask", workers=2)
    assert isinstance(local, DaskTaskRunner)
    remote = make_task_runner("thread", dask_address="tcp://127.0.0.1:8786")
    assert runner_kind(remote) == "dask"
    with pytest.raises(ConfigError):
        make_task_runner("fibers")
