"""Column projection in `run_stage`: a stage sees only its declared columns, the others are streamed
from its input file to its output, and the result is the same file as with whole rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stage_fixtures import write_sample

import curation.io as io
from curation.config import load_config
from curation.errors import StageContractError
from curation.io import SCHEMA_KEY, is_curated_parquet, read_columns, write_merged, write_problems
from curation.pipeline import PIPELINE, Workspace, run_pipeline, run_stage
from schemas import SCHEMA_VERSION, conform

REPO = Path(__file__).resolve().parents[2]


def _parquet_files(out: Path) -> dict[str, pl.DataFrame]:
    return {str(p.relative_to(out)): pl.read_parquet(p) for p in sorted(out.rglob("*.parquet"))}


def _run_both_ways(cfg_path: Path) -> tuple[dict, dict, list, list]:
    """The pipeline with projection, then (its output moved aside) with whole rows, in the same
    folder: the same source paths, a fresh review database each time."""
    cfg = load_config(cfg_path)
    projected = run_pipeline(cfg, projection=True)
    aside = cfg.output_path.parent / "projected_out"
    shutil.move(cfg.output_path, aside)
    whole = run_pipeline(cfg, projection=False)
    counts = [[(c.stage, c.rows, c.dropped, c.review, c.note) for c in r.stages] for r in (projected, whole)]
    return _parquet_files(aside), _parquet_files(cfg.output_path), *counts


def _assert_same_files(projected: dict, whole: dict) -> None:
    assert projected.keys() == whole.keys() and any(k.startswith("work/") for k in whole)
    for name, frame in whole.items():
        other = projected[name]
        assert other.schema == frame.schema, name
        differ = [c for c in frame.columns if not other[c].equals(frame[c])]
        assert not differ, f"{name}: columns {differ} differ with projection"


def test_sample_pipeline_is_the_same_with_and_without_projection(tmp_path):
    projected, whole, counts_p, counts_w = _run_both_ways(write_sample(tmp_path, generate=True))
    _assert_same_files(projected, whole)
    assert counts_p == counts_w


def test_shipped_sample_config_is_the_same_with_and_without_projection(tmp_path):
    """data/curate.toml (MCQ shapes, duplicates, a benchmark, a quarantined row), difficulty off."""
    shutil.copytree(REPO / "data", tmp_path / "data")
    cfg = tmp_path / "data" / "curate.toml"
    text = cfg.read_text().replace('output_dir = "../out"', 'output_dir = "out"')
    assert "[difficulty]\n" in text
    cfg.write_text(text.replace("[difficulty]\n", "[difficulty]\nenabled = false\n"))
    projected, whole, counts_p, counts_w = _run_both_ways(cfg)
    _assert_same_files(projected, whole)
    assert counts_p == counts_w
    dropped = whole["dataset/dropped.parquet"]
    assert {"exact_duplicate", "contaminated"} & set(dropped["drop_reason"].to_list())  # the stages did work


@pytest.fixture
def ingested(tmp_path):
    cfg = load_config(write_sample(tmp_path))
    ws = Workspace(cfg)
    ws.work.mkdir(parents=True)
    first, _ = run_stage(ws, "ingest", None)
    return ws, first


def test_a_projected_stage_is_handed_only_its_declared_columns(ingested):
    ws, first = ingested
    seen = {}

    def spy(ws, df):
        seen["columns"] = set(df.columns)
        return df, None

    with PIPELINE.replaced("clean", run=spy):
        out, _ = run_stage(ws, "clean", first)
    assert seen["columns"] == set(PIPELINE["clean"].projected_columns())
    assert "subject" not in seen["columns"] and "source_file" not in seen["columns"]
    # the untouched columns came through from the input file, with the schema tag
    assert pl.read_parquet(out).equals(conform(pl.read_parquet(first)))
    assert pl.read_parquet_metadata(out)[SCHEMA_KEY] == SCHEMA_VERSION and is_curated_parquet(out)


def test_a_stage_using_an_undeclared_column_fails_instead_of_reading_nulls(ingested):
    ws, first = ingested

    def uses_subject(ws, df):  # declares clean's reads, but looks at `subject`
        flag = pl.when(pl.col("subject").is_null()).then(pl.lit("no_subject")).otherwise(pl.col("drop_reason"))
        return df.with_columns(flag.alias("drop_reason")), None

    with PIPELINE.replaced("clean", run=uses_subject):
        with pytest.raises(StageContractError, match="clean.*subject"):
            run_stage(ws, "clean", first)
        # whole rows: the same stage runs (the declaration is what projection relies on)
        out, count = run_stage(ws, "clean", first, projection=False)
    assert count.dropped == {"no_subject": 8}


def test_a_stage_that_fills_in_columns_it_was_not_given_is_refused(ingested):
    """A library function that conforms its input would read schema defaults for undeclared
    columns: the columns it hands back give it away."""
    ws, first = ingested

    def conforms(ws, df):
        return conform(df).with_columns(pl.col("answer_unit").fill_null("m")), None

    with PIPELINE.replaced("clean", run=conforms):
        with pytest.raises(StageContractError, match="neither reads nor writes: .*answer_unit"):
            run_stage(ws, "clean", first)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda df: df.head(df.height - 1), "turned 8 rows into 7"),
        (lambda df: pl.concat([df, df.head(1)]), "turned 8 rows into 9"),
        (lambda df: df.reverse(), "order or the ids"),
    ],
    ids=["removes a row", "adds a row", "reorders rows"],
)
def test_a_projected_stage_that_changes_rows_is_refused(ingested, change, message):
    ws, first = ingested
    target = ws.stage_file("clean")
    with PIPELINE.replaced("clean", run=lambda ws, df: (change(df), None)):
        with pytest.raises(StageContractError, match=message):
            run_stage(ws, "clean", first)
    assert not target.exists()  # nothing half-written


def test_read_columns_falls_back_to_whole_rows_for_other_files(tmp_path, ingested):
    _, first = ingested
    assert read_columns(first, ["id", "question"]).columns == ["id", "question"]
    assert read_columns(first, ["id", "no_such_column"]) is None  # an older file: read whole, conformed
    raw = tmp_path / "raw.parquet"
    pl.DataFrame({"id": ["a"], "question": ["q"]}).write_parquet(raw)
    assert read_columns(raw, ["id"]) is None  # not written by curate
    older = tmp_path / "older.parquet"
    pl.read_parquet(first).with_columns(pl.col("source_row").cast(pl.Utf8)).write_parquet(
        older, metadata={SCHEMA_KEY: SCHEMA_VERSION})
    assert read_columns(older, ["id", "source_row"]) is None  # another dtype than the schema's


_TEXT = st.one_of(st.none(), st.text(max_size=6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(_TEXT, _TEXT, _TEXT, st.one_of(st.none(), st.lists(st.text(max_size=3), max_size=3))),
                  max_size=12),
    stage_columns=st.sets(st.sampled_from(["question", "answer", "drop_reason", "choices", "contam_x"]), min_size=1),
    batch=st.integers(min_value=1, max_value=5),
)
def test_merged_write_equals_writing_the_whole_frame(tmp_path, rows, stage_columns, batch):
    """Whatever columns the stage returns and however the rows fall into batches, the merged file
    is the file `write_problems` writes for the whole frame."""
    full = conform(pl.DataFrame(
        {"id": [str(i) for i in range(len(rows))],
         "question": [r[0] for r in rows], "answer": [r[1] for r in rows], "drop_reason": [r[2] for r in rows],
         "choices": [r[3] for r in rows], "contam_old": [r[0] for r in rows]},
        schema_overrides={"choices": pl.List(pl.Utf8), "contam_old": pl.Utf8},
    ))
    source, merged, reference = tmp_path / "in.parquet", tmp_path / "merged.parquet", tmp_path / "whole.parquet"
    write_problems(full, source)
    # the stage's result: `id` (always handed in) and its columns (a new extra column too), changed
    result = full.select(["id", *(c for c in full.columns if c in stage_columns)])
    result = result.with_columns(pl.col(pl.Utf8).exclude("id").str.to_uppercase())
    if "contam_x" in stage_columns:
        result = result.with_columns(pl.lit("hit").alias("contam_x"))
    expected = full.with_columns(result)
    write_problems(expected, reference)
    old = io.MERGE_BATCH_ROWS
    io.MERGE_BATCH_ROWS = batch
    try:
        write_merged(result, source, merged)
    finally:
        io.MERGE_BATCH_ROWS = old
    back, want = pl.read_parquet(merged), pl.read_parquet(reference)
    assert back.schema == want.schema and back.equals(want)
    assert pl.read_parquet_metadata(merged)[SCHEMA_KEY] == SCHEMA_VERSION


def test_merged_write_refuses_a_result_of_another_length(tmp_path, ingested):
    _, first = ingested
    narrow = pl.read_parquet(first, columns=["id"])
    with pytest.raises(ValueError, match="rows"):
        write_merged(narrow.head(3), first, tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()
