"""`curate init` writes a config that loads, and that does not grade every item with the demo model."""

from __future__ import annotations

from typer.testing import CliRunner

from curation.cli.main import app
from curation.config import PipelineConfig, load_config


def test_init_template_loads_and_limits_demo_grading(tmp_path):
    path = tmp_path / "my.toml"
    result = CliRunner().invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    cfg = load_config(path)
    assert cfg.difficulty.model.base_url is None
    assert cfg.difficulty.sample_limit == 8  # the only departure from the defaults, explained in the file
    assert PipelineConfig().difficulty.sample_limit is None
    assert "Remove sample_limit once base_url points at a real model" in path.read_text(encoding="utf-8")
