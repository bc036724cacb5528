"""The pipeline flow on the shipped sample data (data/curate.toml), difficulty against a scripted
loopback OpenAI-compatible server: same export as `run_pipeline`; a crashed/forgotten difficulty
stage resumes from the response store without repeating a request."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
from test_pipeline_flow import assert_same_export

from curation.config import load_config
from curation.pipeline import run_pipeline

ROOT = Path(__file__).resolve().parents[2]


def _fake_server_module():
    spec = importlib.util.spec_from_file_location("curate_fake_server", ROOT / "tests" / "difficulty" / "fake_server.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def fake_server():
    mod = _fake_server_module()
    with mod.FakeServer(default_answer="The answer is \\boxed{42}.") as srv:
        yield srv


@pytest.fixture
def sample_config(tmp_path: Path, fake_server) -> Path:
    if not (ROOT / "data" / "curate.toml").exists():
        pytest.skip("data/curate.toml not there yet")
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    cfg = data / "curate.toml"
    cfg.write_text(
        cfg.read_text()
        + f'\n[difficulty.model]\nbase_url = "{fake_server.base_url}"\nmodel = "fake"\nmax_retries = 1\n'
        + "\n[prefect]\nchunk_rows = 8\nsignature_chunk_rows = 8\nretry_delay_seconds = 0\n"
    )
    return cfg


def test_sample_data_flow_matches_run_pipeline_and_resumes(sample_config: Path, tmp_path: Path, fake_server):
    from flows.pipeline import curation_pipeline

    cfg = load_config(sample_config)
    cfg.output_dir = str(tmp_path / "local")
    local = run_pipeline(cfg)

    result = curation_pipeline(config_path=str(sample_config), output_dir=str(tmp_path / "flow"))
    assert result["destinations"] == local.destinations
    assert_same_export(Path(local.dataset_dir), Path(result["dataset_dir"]))
    difficulty = next(s for s in result["flow_stages"] if s["stage"] == "difficulty")
    assert not difficulty["skipped"]
    requests = len(fake_server.hits)
    assert requests > 0

    # lose the difficulty stage's output (as after a crash): the stage runs again, all from the store
    next((tmp_path / "flow" / "work").glob("*_difficulty.parquet")).unlink()
    again = curation_pipeline(config_path=str(sample_config), output_dir=str(tmp_path / "flow"))
    difficulty = next(s for s in again["flow_stages"] if s["stage"] == "difficulty")
    assert difficulty["cached"] is False
    assert len(fake_server.hits) == requests, "a resumed difficulty stage repeated model requests"
    assert again["destinations"] == result["destinations"]
    report = (tmp_path / "flow" / "run_report.md").read_text()
    assert "| difficulty |" in report and "not graded" in report
