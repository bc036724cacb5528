"""Progress inside `curate run`: every running stage is announced, and the difficulty stage
reports done/total as items finish (the CLI turns this into a bar with rate and ETA)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from rich.console import Console

from curation.cli.progress import PipelineProgress
from curation.config import load_config
from curation.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "difficulty"))
from fake_server import FakeServer  # noqa: E402


def _config(tmp_path: Path, base_url: str) -> Path:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"question": f"What is {i} plus {i + 1}? Give a number.", "answer": str(2 * i + 1)})
                           + "\n" for i in range(12)), encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'output_dir = "out"\n[[sources]]\npath = "in.jsonl"\n[difficulty]\nk = 2\n'
                   f'[difficulty.model]\nbase_url = "{base_url}"\nmodel = "m"\nconcurrency = 2\n', encoding="utf-8")
    return cfg


def test_stages_announce_themselves_and_difficulty_counts(tmp_path):
    calls: list[tuple] = []
    with FakeServer(default_answer="\\boxed{1}") as srv:
        report = run_pipeline(load_config(_config(tmp_path, srv.base_url)),
                              on_progress=lambda stage, done, total, info: calls.append((stage, done, total, dict(info))))
    started = [c[0] for c in calls if c[1] == 0 and c[2] is None]
    assert started[0] == "ingest" and "dedup" in started and "difficulty" in started
    assert started == [s.stage for s in report.stages if not s.skipped]  # each enabled stage, in order, once
    counted = [(d, t) for stage, d, t, _ in calls if stage == "difficulty" and t is not None]
    assert counted[-1] == (12, 12)  # every graded item reported
    assert [d for d, _ in counted] == sorted(d for d, _ in counted)  # monotone
    assert any(info.get("requests") for stage, _, t, info in calls if stage == "difficulty" and t)


def test_the_display_shows_a_bar_then_one_line_per_finished_stage():
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, markup=False)
    printed = []
    with PipelineProgress(console) as live:
        done = live.finished(lambda count: printed.append(count.stage))
        live.update("ingest", 0, None, {})
        done(type("Count", (), {"stage": "ingest"})())
        live.update("difficulty", 0, None, {})
        live.update("difficulty", 3, 10, {"requests": 5})
        assert live.progress.tasks[0].total == 10 and live.progress.tasks[0].completed == 3
        assert "5 requests" in live.progress.tasks[0].fields["detail"]
        done(type("Count", (), {"stage": "difficulty"})())
        assert live.progress.tasks == []
    assert printed == ["ingest", "difficulty"]
