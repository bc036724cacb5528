"""`curate run --allow-empty / --strict` reach the stages when the real Prefect engine runs them.

The flow's tasks rebuild the config from a spec, so an option applied only to the CLI's own config
object would be silently lost; these tests run `curation_pipeline` with and without the options.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curation.alarms import DataAlarmError
from curation.errors import ExportError


def _write_config(tmp_path: Path, rows: list[dict]) -> Path:
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = tmp_path / "curate.toml"
    config.write_text(
        'output_dir = "out"\n[[sources]]\npath = "rows.jsonl"\n'
        "[difficulty]\nenabled = false\n[review]\nenabled = false\n"
    )
    return config


def _run(config: Path, **options) -> dict:
    from flows.pipeline import curation_pipeline

    return curation_pipeline(config_path=str(config), **options)


KEYLESS = [{"question": f"What is {i} times {i + 1}?", "key": i * (i + 1)} for i in range(6)]
GOOD = [{"question": f"What is {i} plus {i + 3}?", "answer": 2 * i + 3} for i in range(6)]


def test_strict_stops_the_flow_and_without_it_the_alarm_is_reported(tmp_path: Path):
    config = _write_config(tmp_path, KEYLESS)
    with pytest.raises(DataAlarmError, match="missing_answer"):
        _run(config, strict=True)
    assert not (tmp_path / "out" / "dataset").exists()

    result = _run(config)  # the same data without --strict: a warning, and the run finishes
    assert any("missing_answer" in alarm for alarm in result["alarms"])


def test_allow_empty_lets_an_empty_run_replace_a_dataset(tmp_path: Path):
    config = _write_config(tmp_path, GOOD)
    first = _run(config)
    assert first["destinations"]["kept"] == len(GOOD)
    manifest = Path(first["dataset_dir"]) / "manifest.json"

    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in KEYLESS))  # every row drops
    with pytest.raises(ExportError, match="allow-empty"):
        _run(config)
    assert json.loads(manifest.read_text())["counts"]["kept"] == len(GOOD)  # the dataset is untouched

    result = _run(config, allow_empty=True)
    assert result["destinations"]["kept"] == 0
    assert json.loads((Path(result["dataset_dir"]) / "manifest.json").read_text())["counts"]["kept"] == 0
