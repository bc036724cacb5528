"""The stage registry: declarations agree with the schema and with what stages really do; an extra
stage (one module, one registry entry, one settings class) runs through `curate run`."""

from __future__ import annotations

import polars as pl
import pytest
from stage_fixtures import MIN_WORDS, SHORT_QUESTION, write_sample
from typer.testing import CliRunner

from curation.cli.main import app
from curation.config import load_config
from curation.errors import ConfigError, StageContractError
from curation.pipeline import PIPELINE, Workspace, run_pipeline, run_stage, stage_names
from curation.stage import Stage
from schemas import polars_schema


def _matches(column: str, declared: tuple[str, ...]) -> bool:
    return any(column == d or (d.endswith("*") and column.startswith(d[:-1])) for d in declared)


def test_written_columns_are_in_the_schema_and_read_columns_are_produced_upstream():
    schema = set(polars_schema().names())
    produced: set[str] = set()
    for stage in PIPELINE:
        assert stage.writes or stage.reads, f"{stage.name} declares no columns"
        for column in stage.writes:
            assert column.endswith("*") or column in schema, f"{stage.name} writes {column!r}, not in the schema"
        for column in stage.reads:
            assert column in produced, f"{stage.name} reads {column!r}, which no earlier stage writes"
        produced |= {c for c in stage.writes if not c.endswith("*")}


def test_each_stage_changes_only_the_columns_it_declares(tmp_path):
    """Run the sample through every stage (puzzles too) and diff each stage's input and output."""
    cfg = load_config(write_sample(tmp_path, generate=True))
    run_pipeline(cfg)
    ws = Workspace(cfg)
    before = None
    for name in stage_names():
        after = pl.read_parquet(ws.stage_file(name))
        stage = PIPELINE[name]
        if before is not None and stage.enabled(cfg):
            assert after.height >= before.height, f"{name} removed rows"
            grown = after.head(before.height)
            for column in after.columns:
                if column in before.columns and grown[column].equals(before[column]):
                    continue
                assert _matches(column, stage.writes), f"{name} changed {column!r} without declaring it"
        before = after


def test_declaration_contract_catches_an_undeclared_write(tmp_path):
    """The diff above really sees a column a stage writes without declaring it."""
    cfg = load_config(write_sample(tmp_path))
    ws = Workspace(cfg)
    ws.work.mkdir(parents=True)
    first, _ = run_stage(ws, "ingest", None)

    def sneaky(ws, df):
        return df.with_columns(pl.lit("x").alias("subject")), None

    with PIPELINE.replaced("clean", run=sneaky):
        # projected (the default), the stage is refused outright (tests/pipeline/test_projection.py);
        # with whole rows the write goes through, and the diff sees it
        with pytest.raises(StageContractError, match="subject"):
            run_stage(ws, "clean", first)
        out, _ = run_stage(ws, "clean", first, projection=False)
    a, b = pl.read_parquet(first), pl.read_parquet(out)
    changed = [c for c in b.columns if not b[c].equals(a[c])]
    assert changed == ["subject"] and not _matches("subject", PIPELINE["clean"].writes)


def test_extra_stage_runs_through_curate_run(tmp_path):
    config = write_sample(tmp_path, extra="[min_words]\nmin_words = 8\n")
    with PIPELINE.added(MIN_WORDS, after="clean"):
        names = stage_names()
        assert names[names.index("clean") + 1] == "min_words"
        result = CliRunner().invoke(app, ["run", "--config", str(config), "--engine", "local"])
        assert result.exit_code == 0, result.output
        assert "min_words" in result.output
        ws = Workspace(load_config(config))
        assert ws.stage_file("min_words").name == f"{names.index('min_words'):02d}_min_words.parquet"
        assert ws.stage_file("min_words").exists()
    dropped = pl.read_parquet(tmp_path / "out" / "dataset" / "dropped.parquet")
    assert dropped.filter(pl.col("drop_reason") == "too_few_words")["question"].to_list() == [SHORT_QUESTION]
    assert "| min_words |" in (tmp_path / "out" / "run_report.md").read_text()
    # unregistered again: the section is unknown and the stage is gone
    assert "min_words" not in stage_names()
    with pytest.raises(ConfigError, match="min_words"):
        load_config(config)


def test_extra_stage_settings_are_validated_and_switch_it_off(tmp_path):
    with PIPELINE.added(MIN_WORDS, after="clean"):
        bad = write_sample(tmp_path / "bad", extra='[min_words]\nmin_words = "many"\n')
        with pytest.raises(ConfigError, match="min_words.min_words"):
            load_config(bad)
        cfg = load_config(write_sample(tmp_path / "off", extra="[min_words]\nenabled = false\nmin_words = 8\n"))
        report = run_pipeline(cfg)
    count = next(c for c in report.stages if c.stage == "min_words")
    assert count.skipped and not count.dropped


def test_registry_refuses_duplicates_and_names_unknown_stages():
    with pytest.raises(ValueError, match="already registered"):
        PIPELINE.register(Stage(name="clean", run=lambda ws, df: (df, None), description="again"))
    with pytest.raises(KeyError, match="unknown stage 'nope'.*ingest"):
        PIPELINE["nope"]
    with pytest.raises(KeyError, match="nope"):
        PIPELINE.register(MIN_WORDS, after="nope")
    assert "min_words" not in stage_names()


def test_curate_init_notes_come_from_the_stage_declarations():
    from curation.cli.foundation_cmd import example_config

    text = example_config()
    for stage in PIPELINE:
        if stage.config_section != "sources":
            assert "# " + stage.description in text, stage.name


def test_curate_stage_runs_any_registered_stage(tmp_path):
    config = write_sample(tmp_path, extra="[min_words]\nmin_words = 8\n")
    cli = CliRunner()
    with PIPELINE.added(MIN_WORDS, after="clean"):
        missing = cli.invoke(app, ["stage", "clean", "--config", str(config)])
        assert missing.exit_code != 0 and "does not exist" in str(missing.exception)
        for name in ("ingest", "generate", "clean", "min_words"):
            result = cli.invoke(app, ["stage", name, "--config", str(config)])
            assert result.exit_code == 0, result.output
        assert "1 dropped" in result.output
        assert Workspace(load_config(config)).stage_file("min_words").exists()
        out = tmp_path / "alone.parquet"
        alone = cli.invoke(app, ["stage", "min_words", str(tmp_path / "problems.jsonl"), str(out), "--config", str(config)])
        assert alone.exit_code == 0, alone.output
        unknown = cli.invoke(app, ["stage", "nope", "--config", str(config)])
        assert unknown.exit_code != 0 and "unknown stage 'nope'" in str(unknown.exception)
    assert pl.read_parquet(out).filter(pl.col("drop_reason") == "too_few_words")["question"].to_list() == [SHORT_QUESTION]
