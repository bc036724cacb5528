"""Peak resident memory per stage: measured while the stage runs, in the counts, the run report and
the `curate run` summary. Never a timing or size bound: only that the figure exists, is positive,
and follows the memory actually used (not the process's monotonic high-water mark)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from curation.config import config_from_dict
from curation.memory import PeakRss, current_rss
from curation.pipeline import run_pipeline, stage_names
from curation.run_report import build_run_report, collect_run_facts

needs_proc = pytest.mark.skipif(current_rss() is None, reason="needs /proc/self/statm (Linux)")


def _config(tmp_path):
    src = tmp_path / "problems.jsonl"
    rows = [{"question": f"What is {i} plus {i + 3}?", "answer": 2 * i + 3} for i in range(8)]
    rows.append({"question": "What is 1 plus 4?", "answer": 5})  # an exact duplicate for dedup
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return config_from_dict(
        {"output_dir": str(tmp_path / "out"), "sources": [{"path": str(src)}],
         "difficulty": {"enabled": False}, "review": {"enabled": False}},
        base_dir=tmp_path,
    )


@needs_proc
def test_peak_follows_a_transient_allocation_and_is_not_monotonic():
    with PeakRss() as before:
        pass
    with PeakRss(interval=0.005) as during:
        block = np.ones(300_000_000 // 8)  # 300 MB, every page touched
        del block
    with PeakRss() as after:
        pass
    assert during.bytes >= before.bytes + 200_000_000
    # the memory was returned: a later block does not inherit the earlier peak (ru_maxrss would)
    assert after.bytes < during.bytes - 200_000_000
    assert before.mb > 0 and after.mb > 0


def test_every_stage_reports_a_positive_peak_in_counts_and_report(tmp_path):
    report = run_pipeline(_config(tmp_path))
    assert [s.stage for s in report.stages] == list(stage_names())
    for count in report.stages:
        assert count.peak_rss_mb is not None and count.peak_rss_mb > 0, count.stage
        assert count.as_dict()["peak_rss_mb"] > 0
    text = build_run_report(collect_run_facts(report))
    header = next(line for line in text.splitlines() if line.startswith("| stage | rows |"))
    column = header.strip("|").split("|").index(" peak RSS MB ")
    for stage in stage_names():
        row = next(line for line in text.splitlines() if line.startswith(f"| {stage} |"))
        value = row.strip("|").split("|")[column].strip().replace(",", "")
        assert float(value) > 0, (stage, row)
    assert (tmp_path / "out" / "run_report.md").exists() is False  # run_pipeline alone writes no report


def test_report_without_the_figure_shows_a_dash(tmp_path):
    stages = [{"stage": "ingest", "rows": 2, "dropped": {}, "review": {}, "seconds": 0.1, "skipped": False, "note": None}]
    facts = collect_run_facts({"out_dir": str(tmp_path), "dataset_dir": None, "stages": stages, "destinations": {}})
    row = next(line for line in build_run_report(facts).splitlines() if line.startswith("| ingest |"))
    assert "| - |" in row
    stages[0]["peak_rss_mb"] = 1234.5
    facts = collect_run_facts({"out_dir": str(tmp_path), "dataset_dir": None, "stages": stages, "destinations": {}})
    assert "| 1,234 |" in build_run_report(facts) or "| 1,235 |" in build_run_report(facts)


def test_curate_run_summary_prints_peak_memory_per_stage(tmp_path):
    from curation.cli.main import app

    cfg = _config(tmp_path)
    path = tmp_path / "curate.toml"
    path.write_text(
        f'output_dir = "{cfg.output_dir}"\n\n[[sources]]\npath = "{tmp_path / "problems.jsonl"}"\n\n'
        "[difficulty]\nenabled = false\n\n[review]\nenabled = false\n"
    )
    result = CliRunner().invoke(app, ["run", "-c", str(path), "--engine", "local"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for stage in ("ingest", "clean", "dedup"):
        line = next(ln for ln in result.output.splitlines() if re.search(rf"\b{stage}\b.*rows", ln))
        assert re.search(r"peak [\d,]+ MB", line), line
    report = (tmp_path / "out" / "run_report.md").read_text()
    assert "peak RSS MB" in report
