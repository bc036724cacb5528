"""The pipeline flow on the real Prefect engine: same export as `run_pipeline`, caching, resume, retries."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from flows_sample import write_sample

from curation.config import load_config
from curation.pipeline import PIPELINE, Workspace, run_pipeline, stage_names


def dataset_tables(dataset_dir: Path) -> dict[str, pl.DataFrame]:
    """Every Parquet file of an exported dataset, by relative path (rows sorted for comparison)."""
    out = {}
    for p in sorted(dataset_dir.rglob("*.parquet")):
        df = pl.read_parquet(p)
        key = [c for c in ("id", "source_row") if c in df.columns]
        out[str(p.relative_to(dataset_dir))] = df.sort(key) if key else df
    return out


def assert_same_export(a: Path, b: Path) -> None:
    ta, tb = dataset_tables(a), dataset_tables(b)
    assert ta.keys() == tb.keys()
    assert ta, "the export has no Parquet files"
    for name in ta:
        assert ta[name].equals(tb[name]), name


def run_flow(config: Path, **kw) -> dict:
    from flows.pipeline import curation_pipeline

    return curation_pipeline(config_path=str(config), **kw)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_sample(tmp_path / "s")


def test_flow_export_equals_run_pipeline(sample: Path, tmp_path: Path):
    cfg = load_config(sample)
    cfg.output_dir = str(tmp_path / "local")
    local = run_pipeline(cfg)

    result = run_flow(sample)
    assert result["destinations"] == local.destinations
    assert result["destinations"]["kept"] > 0 and result["destinations"]["dropped"] > 0
    assert_same_export(Path(local.dataset_dir), Path(result["dataset_dir"]))
    # the run counts are the library's counts (timings aside)
    strip = lambda s: {k: v for k, v in s.items() if k not in ("seconds", "cached", "attempts", "peak_rss_mb")}  # noqa: E731
    assert [strip(s) for s in result["stages"]] == [strip(s.as_dict()) for s in local.stages]

    report = Path(result["run_report"])
    assert report == sample.parent / "out" / "run_report.md"
    text = report.read_text()
    for stage in stage_names():
        assert f"| {stage} |" in text
    assert "near_duplicate" in text or "exact_duplicate" in text
    assert "Review queue" in text and "Difficulty" in text


def test_flow_publishes_artifacts(sample: Path):
    import asyncio

    from prefect import get_client

    run_flow(sample)
    keys = ["curation-stage-counts", "curation-difficulty", "curation-review-queue", "curation-dataset", "curation-run-report"]

    async def read():
        async with get_client() as client:
            # the raw filter endpoint with every field given (the pinned FastAPI rejects null body fields)
            body = {"artifacts": {"key": {"any_": keys}}, "limit": 50, "offset": 0, "sort": "CREATED_DESC"}
            response = await client._client.post("/artifacts/filter", json=body)
            response.raise_for_status()
        return {a["key"]: a for a in response.json()}

    found = asyncio.run(read())
    assert set(keys) <= set(found)
    assert found["curation-dataset"]["type"] == "markdown"  # Prefect stores link artifacts as markdown
    assert "dataset" in found["curation-dataset"]["data"]
    assert found["curation-stage-counts"]["type"] == "table" and "clean" in str(found["curation-stage-counts"]["data"])


def test_second_run_is_cached_and_recomputes_changed_outputs(sample: Path):
    first = run_flow(sample)
    assert not any(s["cached"] for s in first["flow_stages"])
    ws = Workspace(load_config(sample))
    mtimes = {s: ws.stage_file(s).stat().st_mtime_ns for s in stage_names()}

    second = run_flow(sample)
    cached = {s["stage"]: s["cached"] for s in second["flow_stages"]}
    assert cached == {s: s != "review" for s in stage_names()}  # review reads the live review database
    for s in stage_names():
        if s != "review":
            assert ws.stage_file(s).stat().st_mtime_ns == mtimes[s], s
    assert second["destinations"] == first["destinations"]

    # a deleted output is recomputed even though its cache key is unchanged
    ws.stage_file("convert_mcq").unlink()
    third = run_flow(sample)
    cached = {s["stage"]: s["cached"] for s in third["flow_stages"]}
    assert cached["convert_mcq"] is False and cached["clean"] is True and cached["dedup"] is True
    assert ws.stage_file("convert_mcq").exists()

    # a config change recomputes that stage; unchanged output keeps later stages cached
    text = sample.read_text().replace("[decontaminate]", "[clean]\nmax_question_chars = 7999\n\n[decontaminate]")
    sample.write_text(text)
    fourth = run_flow(sample)
    cached = {s["stage"]: s["cached"] for s in fourth["flow_stages"]}
    assert cached["ingest"] is True and cached["clean"] is False and cached["dedup"] is True
    assert fourth["destinations"] == first["destinations"]


def test_failing_stage_is_retried_and_reported(sample: Path):
    calls = {"n": 0}
    real = PIPELINE["clean"].run

    def flaky(ws, df):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("endpoint went away")
        return real(ws, df)

    with PIPELINE.replaced("clean", run=flaky, network=lambda cfg: True):
        result = run_flow(sample)
    clean = next(s for s in result["flow_stages"] if s["stage"] == "clean")
    assert calls["n"] == 2 and clean["attempts"] == 2
    assert "clean" in Path(result["run_report"]).read_text()
    assert result["destinations"]["kept"] > 0


def test_failing_stage_without_retries_fails_the_flow(sample: Path):
    def broken(ws, df):
        raise RuntimeError("stage is broken")

    from flows.pipeline import curation_pipeline

    with PIPELINE.replaced("clean", run=broken):
        state = curation_pipeline(config_path=str(sample), return_state=True)
    assert state.is_failed()
    with pytest.raises(RuntimeError, match="stage is broken"):
        state.result()


def test_single_stage_flows_chain(sample: Path):
    from flows.stages import flows_by_name

    flows = flows_by_name()
    out = None
    for stage in stage_names():
        out = flows[stage](config_path=str(sample))
        assert Path(out["file"]).exists()
    report = flows["export"](config_path=str(sample))
    assert report["destinations"]["kept"] > 0
    assert (sample.parent / "out" / "run_report.md").exists()


def test_run_with_prefect_returns_pipeline_report(sample: Path, tmp_path: Path):
    from curation.pipeline import PipelineReport
    from flows.pipeline import run_with_prefect

    report = run_with_prefect(sample, task_runner="thread")
    assert isinstance(report, PipelineReport)
    assert report.dataset_dir is not None and report.dataset_dir.exists()
    assert [s.stage for s in report.stages] == list(stage_names())
