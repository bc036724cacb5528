"""Bugs caused by facts kept in several places (issue 12); each test failed before its fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from curation.cli.main import app
from curation.config import load_config
from curation.pipeline import Workspace, run_pipeline

runner = CliRunner()


def test_generated_parquet_is_read_back_as_puzzles_by_stage_commands(tmp_path):
    """`curate generate --out x.parquet` writes a curate Parquet file (schema tag), so `curate clean`
    reads the puzzles as they are instead of re-ingesting them as competition rows."""
    puzzles, cleaned = tmp_path / "m.parquet", tmp_path / "out.parquet"
    made = runner.invoke(app, ["generate", "maze", "-n", "2", "-l", "1", "-o", str(puzzles), "-w", "1"])
    assert made.exit_code == 0, made.output
    result = runner.invoke(app, ["clean", str(puzzles), str(cleaned)])
    assert result.exit_code == 0, result.output
    df = pl.read_parquet(cleaned)
    assert df["kind"].to_list() == ["puzzle", "puzzle"]
    assert df["drop_reason"].to_list() == [None, None]  # not dropped as `figure`
    assert df["id"].to_list() == pl.read_parquet(puzzles)["id"].to_list()


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def test_decontaminate_digit_masked_false_is_honoured_by_curate_run(tmp_path):
    """Every setting of [decontaminate] reaches the stage: with digit_masked = false an item that
    equals a benchmark question only after masking digits is not contaminated."""
    question = "A train travels 120 km in 2 hours at a constant pace. What is its speed in km per hour?"
    _write(tmp_path / "p.jsonl", [{"question": question, "answer": "60"}])
    _write(tmp_path / "b.jsonl", [{"question": question.replace("120", "150"), "answer": "75"}])
    base = '[[sources]]\npath = "p.jsonl"\n[difficulty]\nenabled = false\n[decontaminate]\nngram = 30\n'
    base += '[[decontaminate.benchmarks]]\nname = "b"\npath = "b.jsonl"\n'
    (tmp_path / "masked.toml").write_text('output_dir = "masked"\n' + base)
    (tmp_path / "plain.toml").write_text('output_dir = "plain"\n' + base.replace("ngram = 30", "ngram = 30\ndigit_masked = false"))
    kinds = {}
    for name in ("masked", "plain"):
        cfg = load_config(tmp_path / f"{name}.toml")
        run_pipeline(cfg)
        row = pl.read_parquet(Workspace(cfg).stage_file("decontaminate")).row(0, named=True)
        kinds[name] = [m["kind"] for m in row["contamination"]]
    assert kinds["masked"] == ["template"]  # the digit-masked match (the default) is found
    assert kinds["plain"] == []


def test_curate_run_and_curate_dedup_use_the_same_incremental_index(tmp_path):
    """`dedup.existing` means the index at `<existing>/dedup_index` for `curate run` (which writes
    it) and `curate dedup --config` (which reads it) alike."""
    _write(tmp_path / "p.jsonl", [
        {"question": "How many positive divisors does 360 have? Give the count.", "answer": "24"},
        {"question": "Find the remainder when 2 to the power 100 is divided by 7.", "answer": "2"},
    ])
    config = tmp_path / "c.toml"
    config.write_text('output_dir = "out"\n[[sources]]\npath = "p.jsonl"\n[difficulty]\nenabled = false\n'
                      '[dedup]\nexisting = "prev"\n')
    run_pipeline(load_config(config))
    assert (tmp_path / "prev" / "dedup_index").is_dir()
    out = tmp_path / "again.parquet"
    result = runner.invoke(app, ["dedup", str(tmp_path / "p.jsonl"), str(out), "--config", str(config)])
    assert result.exit_code == 0, result.output
    df = pl.read_parquet(out)
    assert df["duplicate_of"].null_count() == 0  # both match the rows `curate run` indexed


@pytest.mark.parametrize("setting", ['existing = "out/dataset"', 'index_dir = "out/dataset/dedup_index"'])
def test_incremental_dedup_against_the_runs_own_dataset_is_refused(tmp_path, setting):
    """A rerun would drop every row as a duplicate of itself and replace the dataset with the rest."""
    from curation.errors import ConfigError

    _write(tmp_path / "p.jsonl", [{"question": "How many positive divisors does 360 have? Give the count.", "answer": "24"}])
    config = tmp_path / "c.toml"
    config.write_text(f'output_dir = "out"\n[[sources]]\npath = "p.jsonl"\n[difficulty]\nenabled = false\n[dedup]\n{setting}\n')
    with pytest.raises(ConfigError, match=r"dedup\.(existing|index_dir): .* own output dataset"):
        run_pipeline(load_config(config))
    assert not (tmp_path / "out" / "dataset").exists()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = subprocess.run([sys.executable, "-m", "curation.cli.main", "run", "-c", str(config), "--engine", "local"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "own output dataset" in lines[0], result.stderr
