"""User text (paths, config names, messages) and help texts reach the terminal as written: never
parsed as Rich markup, so brackets neither crash the CLI nor vanish."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from curation.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def _curate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curation.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": "200"})


@pytest.mark.parametrize("name", ["runs[/b].toml", "exp[bold].toml", "a[red]b[/red].toml"])
def test_bracketed_config_name_is_reported_verbatim(tmp_path, name):
    res = _curate("run", "--config", name, cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1  # one line
    assert name in res.stderr


def test_bracketed_text_in_a_config_error_is_literal(tmp_path):
    cfg = tmp_path / "c[x].toml"
    cfg.write_text('output_dir = "out"\n[[sources]]\npath = "in[/b].jsonl"\n', encoding="utf-8")
    res = _curate("run", "--config", cfg.name, cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "in[/b].jsonl" in res.stderr


@pytest.mark.parametrize("command, section", [("clean", "[clean]"), ("export", "[export]"), ("dedup", "[dedup]"),
                                              ("difficulty", "[difficulty]")])
def test_help_texts_keep_config_section_names(command, section):
    res = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert res.exit_code == 0
    assert section in res.output
