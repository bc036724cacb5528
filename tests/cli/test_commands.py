"""Foundation CLI: help texts, init/ingest/clean/export/stats, one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from curation.cli.main import app
from curation.config import PipelineConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
COMMANDS = ("init", "ingest", "clean", "export", "stats")
runner = CliRunner()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "curation.cli.main", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_option_has_help(name):
    command = typer.main.get_command(app).commands[name]
    assert command.help and len(command.help) > 20
    for param in command.params:
        if isinstance(param, click.Option) and param.name == "help":
            continue
        assert getattr(param, "help", None), f"{name}: {param.name} has no help"
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_init_writes_a_valid_commented_config_covering_every_section(tmp_path):
    path = tmp_path / "c.toml"
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text()
    cfg = load_config(path)
    assert [s.name for s in cfg.sources] == ["competition", "mcq_letters"]
    for section, field in PipelineConfig.model_fields.items():
        if section in ("base_dir", "output_dir", "sources", "extra_sections"):
            continue
        assert f"[{section}]" in text, section
    assert text.count("\n# ") > 20
    assert runner.invoke(app, ["init", str(path)]).exit_code != 0  # no silent overwrite
    assert runner.invoke(app, ["init", str(path), "--force"]).exit_code == 0


def test_init_config_mentions_every_settings_field(tmp_path):
    from pydantic import BaseModel

    from curation.cli.foundation_cmd import example_config

    text = example_config()
    for section, field in PipelineConfig.model_fields.items():
        cls = field.annotation
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            for name in cls.model_fields:
                assert f"{name} = " in text or f"[{section}.{name}]" in text or f"[[{section}.{name}]]" in text, (
                    f"{section}.{name}"
                )


def test_ingest_clean_export_stats(tmp_path):
    problems = tmp_path / "problems.parquet"
    r = runner.invoke(app, ["ingest", str(SAMPLES / "competition.jsonl"), str(problems)])
    assert r.exit_code == 0, r.output
    assert "read 38 rows: 36 problems" in r.output and "2 quarantined" in r.output
    quarantine = tmp_path / "problems.quarantine.jsonl"
    assert len(quarantine.read_text().splitlines()) == 2

    cleaned = tmp_path / "cleaned.parquet"
    r = runner.invoke(app, ["clean", str(problems), str(cleaned)])
    assert r.exit_code == 0, r.output and "flagged" in r.output

    r = runner.invoke(app, ["export", str(cleaned), str(tmp_path / "out"), "--quarantine", str(quarantine),
                            "--shard-rows", "10"])
    assert r.exit_code == 0, r.output
    manifest = json.loads((tmp_path / "out" / "dataset" / "manifest.json").read_text())
    assert manifest["counts"]["quarantined"] == 2 and manifest["counts"]["total"] == 38

    r = runner.invoke(app, ["stats", str(tmp_path / "out"), "--json"])
    assert r.exit_code == 0, r.output
    stats = json.loads(r.output)
    assert stats["destinations"]["quarantined"] == 2
    assert sum(stats["destinations"].values()) == 38
    assert stats["drop_reasons"]["figure"] == 1
    r = runner.invoke(app, ["stats", str(cleaned)])
    assert r.exit_code == 0 and "drop reason" in r.output


def test_ingest_with_config(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[sources]]\npath = "{SAMPLES / "mcq_index.csv"}"\n[[sources]]\npath = "{SAMPLES / "inline_mcq.jsonl"}"\n')
    r = runner.invoke(app, ["ingest", "--config", str(cfg), str(tmp_path / "all.parquet")])
    assert r.exit_code == 0, r.output
    assert "16 problems" in r.output


def test_stats_reads_response_store_when_present(tmp_path, monkeypatch):
    import curation.model.store as response_store

    calls = []
    monkeypatch.setattr(response_store, "store_stats", lambda url, **k: calls.append(url) or {"requests": 3, "cache_hits": 1},
                        raising=False)
    runner.invoke(app, ["ingest", str(SAMPLES / "second_source.jsonl"), str(tmp_path / "p.parquet")])
    runner.invoke(app, ["export", str(tmp_path / "p.parquet"), str(tmp_path / "out")])
    (tmp_path / "out" / "responses.sqlite").write_bytes(b"")
    r = runner.invoke(app, ["stats", str(tmp_path / "out"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["response_store"] == {"requests": 3, "cache_hits": 1}
    assert calls and calls[0].startswith("sqlite:///")


def test_errors_are_one_line_with_exit_code_2(tmp_path):
    r = run_cli("ingest", str(tmp_path / "missing.jsonl"), str(tmp_path / "x.parquet"))
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "not found" in r.stderr and "Traceback" not in r.stderr

    (tmp_path / "weird.txt").write_text("x")
    r = run_cli("ingest", str(tmp_path / "weird.txt"), str(tmp_path / "x.parquet"))
    assert r.returncode == 2 and "format" in r.stderr

    bad = tmp_path / "bad.toml"
    bad.write_text("[clean]\nmin_question_chars = 'ten'\n")
    r = run_cli("clean", str(SAMPLES / "competition.jsonl"), str(tmp_path / "c.parquet"), "--config", str(bad))
    assert r.returncode == 2 and "clean.min_question_chars" in r.stderr and r.stderr.strip().count("\n") == 0

    r = run_cli("stats", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "not found" in r.stderr
