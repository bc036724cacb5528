"""`mark_duplicates(progress=)` reports rows signed of all rows per signature chunk, then the later
phases, ending at (rows, rows); the pipeline's dedup step and `curate dedup` pass it on (issue 18)."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from curation.cli import dedup_cmd
from curation.config import load_config
from curation.dedup import mark_duplicates, minhash
from curation.io import write_problems
from curation.pipeline import Workspace, run_stage

from .helpers import BASE, OTHER, frame


def _rows(n: int) -> list[dict]:
    # distinct texts (other numbers: other problems) plus one exact copy
    rows = [{"question": f"{OTHER} Then add {i} marbles of each colour and ask again."} for i in range(n - 1)]
    return rows + [{"question": rows[0]["question"]}]


def _check_monotone(calls: list[tuple[int, int, dict]], rows: int) -> None:
    assert calls, "no progress reported"
    done = [d for d, _, _ in calls]
    assert done == sorted(done), done
    assert all(t == rows for _, t, _ in calls)
    assert calls[-1][:2] == (rows, rows)


def test_progress_is_monotone_per_signature_chunk_and_ends_at_all_rows(monkeypatch):
    monkeypatch.setattr(minhash, "_DOC_CHUNK", 16)  # several signature chunks on a small frame
    df = frame(_rows(100))
    calls: list[tuple[int, int, dict]] = []
    out = mark_duplicates(df, progress=lambda d, t, info: calls.append((d, t, dict(info))))
    _check_monotone(calls, 100)
    signing = [d for d, _, info in calls if info.get("phase") == "signatures"]
    # one report per chunk of the 99 unique texts (16 each) plus the start: intermediate values seen
    assert len(signing) >= 7 and any(0 < d < 100 for d in signing)
    phases = [info.get("phase") for _, _, info in calls]
    assert phases.index("link+verify") > phases.index("signatures") and "clusters" in phases
    assert out["exact_dup_of"].drop_nulls().len() == 1  # the result is the stage's as usual


def test_progress_with_puzzle_rows_ends_at_all_rows_and_kindless_rows_are_text():
    df = frame([{"question": BASE}, {"question": BASE}, {"question": "Solve the sudoku.", "kind": "puzzle", "id": "p"},
                {"question": "Solve the sudoku.", "kind": "puzzle", "id": "p"}])
    calls: list[tuple[int, int, dict]] = []
    out = mark_duplicates(df, progress=lambda d, t, info: calls.append((d, t, info)))
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and calls[-1][:2] == (4, 4)
    # rows without a kind are text rows: deduplicated by text next to the puzzles, not skipped
    assert out["drop_reason"].to_list() == [None, "exact_duplicate", None, "exact_duplicate"]


def test_pipeline_dedup_step_reports_its_progress(tmp_path):
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in _rows(5)) + "\n")
    (tmp_path / "c.toml").write_text('output_dir = "out"\n[[sources]]\npath = "p.jsonl"\n')
    seen: list[tuple[str, int, int | None]] = []
    ws = Workspace(load_config(tmp_path / "c.toml"), progress=lambda stage, d, t, info: seen.append((stage, d, t)))
    ws.work.mkdir(parents=True)
    ingested, _ = run_stage(ws, "ingest", None)
    run_stage(ws, "dedup", ingested)
    dedup = [(d, t) for s, d, t in seen if s == "dedup" and t is not None]
    assert dedup and dedup[-1] == (5, 5)


def test_dedup_command_with_and_without_progress_bar(tmp_path):
    app = typer.Typer()
    dedup_cmd.register(app)
    src = write_problems(frame([{"question": BASE}, {"question": BASE}, {"question": OTHER}]), tmp_path / "in.parquet")
    for flag in ("--progress", "--no-progress"):
        res = CliRunner().invoke(app, ["dedup", str(src), str(tmp_path / "out.parquet"), flag])
        assert res.exit_code == 0, res.output
        assert "duplicates 1" in res.output
