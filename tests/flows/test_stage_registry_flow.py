"""An extra stage registered at run time runs through the Prefect pipeline flow and its own flow."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))  # the shared stage fixtures

from stage_fixtures import MIN_WORDS, SHORT_QUESTION, write_sample  # noqa: E402

from curation.config import load_config  # noqa: E402
from curation.pipeline import PIPELINE, Workspace, stage_names  # noqa: E402


def test_extra_stage_runs_through_the_pipeline_flow_and_its_own_flow(tmp_path: Path):
    from flows.pipeline import curation_pipeline
    from flows.stages import flows_by_name, stage_flow

    config = write_sample(tmp_path, extra="[min_words]\nmin_words = 8\n")
    with PIPELINE.added(MIN_WORDS, after="clean"):
        result = curation_pipeline(config_path=str(config))
        assert [s["stage"] for s in result["flow_stages"]] == list(stage_names())
        count = next(s for s in result["flow_stages"] if s["stage"] == "min_words")
        assert count["dropped"] == {"too_few_words": 1} and not count["cached"]
        dropped = pl.read_parquet(Path(result["dataset_dir"]) / "dropped.parquet")
        assert dropped.filter(pl.col("drop_reason") == "too_few_words")["question"].to_list() == [SHORT_QUESTION]

        # its own flow, named from the declaration, reads the previous stage's work file
        one = stage_flow("min_words")
        assert one.name == "curate-min-words" and "min_words" in flows_by_name()
        again = one(config_path=str(config))
        assert again["cached"] and Path(again["file"]) == Workspace(load_config(config)).stage_file("min_words")

        # the stage's settings are part of its cache key
        config.write_text(config.read_text().replace("min_words = 8", "min_words = 9"))
        changed = one(config_path=str(config))
        assert not changed["cached"] and changed["count"]["dropped"]["too_few_words"] > 1
