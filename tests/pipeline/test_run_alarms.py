"""Sanity alarms in a whole run: named in the report and the card; strict stops the run (exit path)."""

from __future__ import annotations

import json

import pytest

from curation.alarms import DataAlarmError
from curation.config import config_from_dict
from curation.pipeline import run_pipeline


def _config(tmp_path, **clean):
    keyless = tmp_path / "keyless.jsonl"  # the answer key sits in a field no mapping names
    keyless.write_text("".join(json.dumps({"question": f"What is {i} times {i + 1}?", "key": i * (i + 1)}) + "\n" for i in range(6)))
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"question": f"What is {i} plus {i + 3}?", "answer": 2 * i + 3}) + "\n" for i in range(6)))
    data = {
        "output_dir": str(tmp_path / "out"),
        "sources": [{"path": str(keyless)}, {"path": str(good)}],
        "clean": clean,
        "difficulty": {"enabled": False},
        "review": {"enabled": False},
    }
    return config_from_dict(data, base_dir=tmp_path)


def test_run_names_the_alarm_in_report_and_card(tmp_path):
    report = run_pipeline(_config(tmp_path))
    assert any("source 'keyless'" in m and "missing_answer" in m for m in report.alarms)
    assert not any("'good'" in m for m in report.alarms)
    clean_note = next(s.note for s in report.stages if s.stage == "clean")
    assert clean_note and "keyless" in clean_note
    card = (report.dataset_dir / "README.md").read_text()
    assert "## Sanity alarms" in card and "keyless" in card
    from curation.run_report import build_run_report, collect_run_facts

    run_report = build_run_report(collect_run_facts(report))
    assert "## Sanity alarms" in run_report and "source 'keyless'" in run_report


def test_strict_run_stops_with_a_named_error(tmp_path):
    with pytest.raises(DataAlarmError, match="keyless"):
        run_pipeline(_config(tmp_path, strict_alarms=True))
