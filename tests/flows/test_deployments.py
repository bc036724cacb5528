"""prefect.yaml and the config schedules: entrypoints import, parameters match, scheduled flows run."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import yaml
from flows_sample import write_sample

ROOT = Path(__file__).resolve().parents[2]


def load_entrypoint(entrypoint: str):
    from prefect.flows import load_flow_from_entrypoint

    return load_flow_from_entrypoint(str(ROOT / entrypoint))


def test_prefect_yaml_deployments_are_valid():
    from cronsim import CronSim
    from prefect import Flow

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    deployments = spec["deployments"]
    assert {d["name"] for d in deployments} >= {"nightly-curation", "weekly-puzzles"}
    for dep in deployments:
        flow = load_entrypoint(dep["entrypoint"])
        assert isinstance(flow, Flow), dep["name"]
        params = inspect.signature(flow.fn).parameters
        given = dep.get("parameters", {})
        assert set(given) <= set(params), (dep["name"], set(given) - set(params))
        required = {n for n, p in params.items() if p.default is inspect.Parameter.empty}
        assert required <= set(given), (dep["name"], required - set(given))
        for sched in dep.get("schedules", []):
            CronSim(sched["cron"], __import__("datetime").datetime(2026, 1, 1))  # raises on a bad cron
        assert dep["work_pool"]["name"] == "curate-pool"
        # parameters validate against the flow's schema, as the server will do
        flow.validate_parameters(given)


def test_config_schedules_build_cron_deployments(tmp_path: Path):
    from curation.config import load_config
    from flows.deployments import build_deployments

    cfg_path = write_sample(
        tmp_path,
        extra="""
[[prefect.schedules]]
name = "nightly"
cron = "0 2 * * *"
kind = "watch"
watch = "incoming"

[[prefect.schedules]]
name = "weekly-puzzles"
cron = "0 3 * * 1"
kind = "puzzles"
count = 20

[[prefect.schedules]]
name = "curation"
cron = "30 1 * * *"
""",
    )
    deployments = build_deployments(load_config(cfg_path), cfg_path)
    assert [d.name for d in deployments] == ["nightly", "weekly-puzzles", "curation"]
    assert [d.schedules[0].schedule.cron for d in deployments] == ["0 2 * * *", "0 3 * * 1", "30 1 * * *"]
    assert deployments[0].parameters["folder"] == str((tmp_path / "incoming").resolve())
    assert deployments[1].parameters["count"] == 20
    assert deployments[2].parameters["config_path"] == str(cfg_path.resolve())


def test_watched_folder_flow(tmp_path: Path):
    from flows.deployments import curate_watched_folder

    cfg = write_sample(tmp_path)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (tmp_path / "problems.jsonl").rename(incoming / "sample.jsonl")  # same name as the configured source
    result = curate_watched_folder(config_path=str(cfg), folder="incoming")
    assert result["destinations"]["kept"] > 0
    assert (tmp_path / "out" / "run_report.md").exists()


def test_generate_puzzles_flow(tmp_path: Path):
    from flows.deployments import generate_puzzles
    from generators import generate_records

    result = generate_puzzles(output_dir=str(tmp_path), generators=["sudoku"], count=6, seed=5, chunk_rows=2)
    mix = result["mix"]["sudoku"]
    assert sum(mix.values()) == 6
    df = pl.read_parquet(result["files"]["sudoku"])
    assert df.height == 6
    # the first level's chunk is exactly what generate_records makes for those seeds
    first_level = min(level for level, n in mix.items() if n)
    expected = generate_records("sudoku", count=mix[first_level], level=first_level, seed=5)
    assert df.head(len(expected))["question"].to_list() == [r["question"] for r in expected]


def test_light_cli_commands_do_not_import_prefect():
    code = (
        "import sys; import curation.cli.main, curation.pipeline, curation.run_report; "
        "assert not [m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')], 'prefect imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_schedule_command_lists_schedules(tmp_path: Path):
    from typer.testing import CliRunner

    from curation.cli.main import app

    cfg = write_sample(tmp_path, extra='\n[[prefect.schedules]]\nname = "nightly"\ncron = "0 2 * * *"\n')
    result = CliRunner().invoke(app, ["schedule", "--config", str(cfg)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "nightly" in result.output and "0 2 * * *" in result.output
    bad = write_sample(tmp_path / "bad", extra='\n[[prefect.schedules]]\nname = "x"\ncron = "not a cron"\n')
    result = CliRunner().invoke(app, ["schedule", "--config", str(bad)])
    assert result.exit_code != 0


@pytest.mark.parametrize("missing", ["watch"])
def test_watch_schedule_needs_a_folder(tmp_path: Path, missing: str):
    from curation.config import load_config
    from curation.errors import ConfigError
    from flows.deployments import build_deployments

    cfg = write_sample(tmp_path, extra='\n[[prefect.schedules]]\nname = "n"\ncron = "0 2 * * *"\nkind = "watch"\n')
    with pytest.raises(ConfigError, match=missing):
        build_deployments(load_config(cfg), cfg)
