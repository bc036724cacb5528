"""`curate run` end to end on the shipped sample data, as a user runs it (a subprocess), with the
difficulty stage pointed at a scripted loopback OpenAI-compatible server."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fake_server_module():
    spec = importlib.util.spec_from_file_location("curate_fake_server_run", ROOT / "tests" / "difficulty" / "fake_server.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _curate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "PREFECT_API_URL": ""}
    return subprocess.run(
        [sys.executable, "-m", "curation.cli.main", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """One `curate run` of data/curate.toml (copied), the model answering 42 to everything."""
    tmp = tmp_path_factory.mktemp("run")
    shutil.copytree(ROOT / "data", tmp / "data", ignore=shutil.ignore_patterns("out"))
    mod = _fake_server_module()
    scripts = [
        # always right -> dropped as too easy
        mod.Script("positive divisors of $360$", answers=["So there are \\boxed{24} divisors."]),
        # right once in four, answers scattered -> kept, labelled hard, not disputed
        mod.Script("sum of the roots", answers=["\\boxed{7}", "\\boxed{10}", "\\boxed{-7}", "\\boxed{5}"]),
    ]
    # everything else: consistently 42 -> the model disagrees with the reference -> review
    with mod.FakeServer(scripts, default_answer="The answer is \\boxed{42}.") as server:
        cfg = tmp / "data" / "curate.toml"
        cfg.write_text(cfg.read_text() + f'\n[difficulty.model]\nbase_url = "{server.base_url}"\nmodel = "fake"\n')
        first = _curate("run", "--config", str(cfg), cwd=tmp)
        requests_after_first = len(server.hits)
        second = _curate("run", "--config", str(cfg), cwd=tmp)
        requests_after_second = len(server.hits)
    return tmp, first, second, requests_after_first, requests_after_second


def test_run_exports_the_sample_data_with_card_report_and_quarantine(sample_run):
    tmp, first, *_ = sample_run
    assert first.returncode == 0, first.stderr + first.stdout
    out = tmp / "out"
    dataset = out / "dataset"
    for name in ("README.md", "manifest.json", "dropped.parquet", "review.parquet", "quarantine.jsonl"):
        assert (dataset / name).exists(), name
    assert list((dataset / "data").glob("train-*.parquet")) and list((dataset / "rl").glob("train-*.parquet"))
    assert (out / "run_report.md").exists()
    assert "kept" in first.stdout and "quarantined" in first.stdout


def test_every_input_row_ends_in_exactly_one_place(sample_run):
    tmp, *_ = sample_run
    dataset = tmp / "out" / "dataset"
    kept = pl.read_parquet(dataset / "data" / "*.parquet")
    dropped = pl.read_parquet(dataset / "dropped.parquet")
    review = pl.read_parquet(dataset / "review.parquet")
    quarantine = [json.loads(line) for line in (dataset / "quarantine.jsonl").read_text().splitlines() if line]
    # what went in: every line of every sample source, plus the generated puzzles
    from curation.config import load_config
    from curation.pipeline import Workspace

    ws = Workspace(load_config(tmp / "data" / "curate.toml"))
    ingested = pl.read_parquet(ws.stage_file("ingest"))
    generated = pl.read_parquet(ws.stage_file("generate")).height - ingested.height
    assert kept.height + dropped.height + review.height == ingested.height + generated
    assert len(quarantine) == 2 and {q["line"] for q in quarantine} == {15, 26}
    assert dropped["drop_reason"].null_count() == 0
    keys = [(r["source"], r["source_row"], r["id"]) for df in (kept, dropped, review) for r in df.iter_rows(named=True)]
    assert len(keys) == len(set(keys)), "a row landed in two places"
    manifest = json.loads((dataset / "manifest.json").read_text())
    assert json.dumps(manifest).count("quarantine") >= 1


def test_every_stage_did_its_job_on_the_samples(sample_run):
    tmp, *_ = sample_run
    dropped = pl.read_parquet(tmp / "out" / "dataset" / "dropped.parquet")
    reasons = set(dropped["drop_reason"].to_list())
    assert {"proof", "figure", "multi_part", "exact_duplicate", "contaminated", "mcq_not_convertible"} <= reasons
    assert "too_easy" in reasons
    review = pl.read_parquet(tmp / "out" / "dataset" / "review.parquet")
    assert {"conflicting_answers", "disputed_reference"} <= set(review["review_reason"].to_list())
    disputed = review.filter(pl.col("review_reason") == "disputed_reference")
    assert set(disputed["difficulty"].list.first().struct.field("majority_answer").to_list()) == {"42"}
    # the difficulty evidence travels in the frame and reaches the review queue with the item
    evidence = [json.loads(e) for e in disputed["review_evidence"].to_list()]
    assert evidence and all(e["majority_answer"] == "42" and len(e["samples"]) == 4 for e in evidence)
    assert not (tmp / "out" / "work" / "review_evidence.json").exists()
    from curation.review import ReviewQueue

    with ReviewQueue(tmp / "out" / "review.sqlite") as queue:
        queued = queue.list_items(reason="disputed_reference", limit=None)
    assert queued and all(item.evidence["stage"]["samples"] and item.evidence["stage"]["reference"] for item in queued)
    kept = pl.read_parquet(tmp / "out" / "dataset" / "data" / "*.parquet")
    assert kept.filter(pl.col("kind") == "puzzle").height == 8
    hard = kept.filter(pl.col("question").str.contains("sum of the roots"))
    assert hard["difficulty_label"].to_list() == ["hard"]
    assert hard["difficulty"].list.first().struct.field("correct").to_list() == [1]


def test_rerun_makes_no_model_requests(sample_run):
    _, first, second, after_first, after_second = sample_run
    assert second.returncode == 0, second.stderr
    assert after_first > 0
    assert after_second == after_first


def test_bad_config_is_one_line_naming_the_field(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[sources]]\npath = "x.jsonl"\n[dedup]\nthreshold = "high"\n')
    result = _curate("run", "--config", str(cfg), cwd=tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "dedup.threshold" in lines[0] and "Traceback" not in result.stderr


def test_missing_source_file_is_one_clear_line(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('output_dir = "out"\n[[sources]]\npath = "missing.jsonl"\n[difficulty]\nenabled = false\n')
    result = _curate("run", "--config", str(cfg), cwd=tmp_path)
    assert result.returncode == 2
    assert "missing.jsonl" in result.stderr and "Traceback" not in result.stderr
