"""A config that cannot be used is one line naming the file (or the field), never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from curation.config import load_config
from curation.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_invalid_utf8_config_names_the_file(tmp_path):
    cfg = tmp_path / "latin1.toml"
    cfg.write_bytes('output_dir = "sortie-\xe9t\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.toml: not UTF-8"):
        load_config(cfg)


def test_config_that_is_a_folder(tmp_path):
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(tmp_path)


def test_output_dir_that_is_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "out").write_text("not a folder", encoding="utf-8")
    (tmp_path / "in.jsonl").write_text('{"question": "What is 1+1?", "answer": "2"}\n', encoding="utf-8")
    cfg = tmp_path / "c.toml"
    cfg.write_text('output_dir = "out"\n[[sources]]\npath = "in.jsonl"\n[difficulty]\nenabled = false\n',
                   encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "curation.cli.main", "run", "--config", str(cfg)],
                         capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert res.returncode == 2
    assert "output_dir" in res.stderr and "not a folder" in res.stderr and "Traceback" not in res.stderr
    assert (tmp_path / "out").read_text(encoding="utf-8") == "not a folder"
