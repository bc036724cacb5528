"""`curate generate` and `curate check-answer` through typer's CliRunner."""

from __future__ import annotations

import json

import polars as pl
from typer.testing import CliRunner

from curation.cli.main import app
from generators import verify_record
from schemas import polars_schema

runner = CliRunner()


def test_generate_parquet_and_check_answer(tmp_path):
    out = tmp_path / "sudoku.parquet"
    res = runner.invoke(app, ["generate", "sudoku", "--count", "4", "--level", "2", "--seed", "10", "--out", str(out), "--workers", "2"])
    assert res.exit_code == 0, res.output
    df = pl.read_parquet(out)
    assert df.height == 4
    assert list(df.schema.items())[: len(polars_schema())] == list(polars_schema().items())
    assert df["source_id"].to_list() == [f"sudoku-9x9-L2-s{s}" for s in range(10, 14)]
    rec = df.row(0, named=True)
    assert verify_record(rec, rec["answer"]).ok

    ok = runner.invoke(app, ["check-answer", str(out), rec["id"], rec["answer"]])
    assert ok.exit_code == 0 and ok.output.startswith("PASS")
    bad_answer = "".join(str(int(c) % 9 + 1) for c in rec["answer"])
    bad = runner.invoke(app, ["check-answer", str(out), rec["source_id"], bad_answer])
    assert bad.exit_code == 1 and bad.output.startswith("FAIL") and "given" in bad.output


def test_generate_jsonl_maze_and_check(tmp_path):
    out = tmp_path / "maze.jsonl"
    res = runner.invoke(app, ["generate", "maze", "-n", "3", "-l", "3", "-s", "0", "-o", str(out), "-w", "1"])
    assert res.exit_code == 0, res.output
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["source_id"] for r in recs] == ["maze-12x12-L3-s0", "maze-12x12-L3-s1", "maze-12x12-L3-s2"]
    ans = recs[1]["answer"]
    good = runner.invoke(app, ["check-answer", str(out), "maze-12x12-L3-s1", " ".join(ans)])
    assert good.exit_code == 0, good.output
    longer = ans[0] + {"U": "D", "D": "U", "L": "R", "R": "L"}[ans[0]] + ans
    bad = runner.invoke(app, ["check-answer", str(out), "maze-12x12-L3-s1", longer])
    assert bad.exit_code == 1 and "> optimal" in bad.output


def test_errors(tmp_path):
    res = runner.invoke(app, ["generate", "kakuro", "--out", str(tmp_path / "x.jsonl")])
    assert res.exit_code != 0 and "unknown generator" in str(res.exception or res.output)
    res = runner.invoke(app, ["generate", "maze", "--out", str(tmp_path / "x.csv")])
    assert res.exit_code != 0 and ".parquet or .jsonl" in str(res.exception or res.output)
    res = runner.invoke(app, ["check-answer", str(tmp_path / "missing.jsonl"), "x", "R"])
    assert res.exit_code != 0


def test_help_on_commands():
    for cmd in ("generate", "check-answer"):
        res = runner.invoke(app, [cmd, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output
