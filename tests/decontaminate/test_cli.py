"""`curate decontaminate` with a config: benchmark mapping and settings honoured; unreadable benchmark → exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl

from curation.io import write_problems
from schemas import conform

from .test_decontaminate import ITEM_TRAIN

ROOT = Path(__file__).resolve().parents[2]


def _curate(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "curation.cli.main", *args], capture_output=True, text=True, env=env, timeout=300)


def _input(tmp_path: Path) -> Path:
    rows = [ITEM_TRAIN, ITEM_TRAIN.replace("48", "50").replace("62", "60"), "An unrelated question about prime numbers below 100?"]
    return write_problems(conform(pl.DataFrame({"id": ["a", "b", "c"], "question": rows, "source": "s"})), tmp_path / "in.parquet")


def test_config_mapping_and_settings_are_used(tmp_path):
    head, last = ITEM_TRAIN.rsplit(". ", 1)
    (tmp_path / "bench.json").write_text(json.dumps([{"Body": head + ".", "Ask": last, "Key": "K1"}]))
    (tmp_path / "c.toml").write_text(
        "[decontaminate]\ndigit_masked = false\ndrop_contaminated = false\n\n"
        "[[decontaminate.benchmarks]]\nname = \"trains\"\npath = \"bench.json\"\nformat = \"json\"\n"
        "mapping = { question = \"Ask\", context = \"Body\", id = \"Key\" }\n"
    )
    res = _curate("decontaminate", str(_input(tmp_path)), str(tmp_path / "out.parquet"), "--config", str(tmp_path / "c.toml"))
    assert res.returncode == 0, res.stderr
    assert "contaminated 1 (trains: 1)" in res.stderr
    out = pl.read_parquet(tmp_path / "out.parquet")
    assert out["contam_trains"].to_list() == ["K1", None, None]
    assert out["contam_template_trains"].to_list() == [None, None, None]  # digit_masked = false honoured
    assert out["drop_reason"].to_list() == [None, None, None]  # drop_contaminated = false honoured


def test_unreadable_benchmark_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "mybench.jsonl"
    bad.write_text("{not json\n")
    res = _curate("decontaminate", str(_input(tmp_path)), str(tmp_path / "out.parquet"), "--benchmark", str(bad))
    assert res.returncode == 2
    assert "mybench" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out.parquet").exists()


def test_no_answer_confirmed_switches_the_answer_path_off_from_the_command_line(tmp_path):
    """`[decontaminate] answer_confirmed` has a CLI switch, as `curate dedup --no-answer-confirmed` does."""
    from .test_answer_confirmed import BENCH, COPY, FILLER

    rows = [COPY, *FILLER]
    src = write_problems(
        conform(pl.DataFrame({"id": [f"r{i}" for i in range(len(rows))], "question": rows,
                              "answer": ["51/145"] + ["12"] * len(FILLER), "source": "s"})),
        tmp_path / "in.parquet",
    )
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps({"id": r["source_id"], "question": r["question"], "answer": r["answer"]}) + "\n"
                             for r in BENCH.to_dicts()))
    on = _curate("decontaminate", str(src), str(tmp_path / "on.parquet"), "--benchmark", str(bench))
    off = _curate("decontaminate", str(src), str(tmp_path / "off.parquet"), "--benchmark", str(bench), "--no-answer-confirmed")
    assert on.returncode == 0 and off.returncode == 0, on.stderr + off.stderr
    assert "by answer" in on.stderr
    assert pl.read_parquet(tmp_path / "on.parquet")["contam_bench"][0] == "jar"
    assert pl.read_parquet(tmp_path / "off.parquet")["contam_bench"][0] is None
