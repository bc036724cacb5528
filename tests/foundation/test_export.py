"""Export: files, sharding, card, manifest, RL layout, loaders, atomic swap."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from curation.clean import flag_problems
from curation.config import ExportSettings
from curation.drop import split_outcomes
from curation.export import export_dataset, find_dataset_dir, recover_dataset_dir
from curation.ingest import ingest_sources
from curation.config import SourceConfig
from schemas import SCHEMA_VERSION

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.fixture(scope="module")
def curated():
    sources = [SourceConfig(path=str(SAMPLES / f)) for f in
               ("competition.jsonl", "second_source.jsonl", "mcq_letters.json", "mcq_index.csv", "mcq_dict.parquet",
                "inline_mcq.jsonl")]
    result = ingest_sources(sources)
    df = flag_problems(result.problems)
    # one row waiting for review, as a later stage would leave it
    df = df.with_columns(
        review_reason=pl.when(pl.col("source_id") == "c023").then(pl.lit("disputed_reference")).otherwise(pl.col("review_reason"))
    )
    return split_outcomes(df), result.quarantine


def test_files_card_and_manifest(tmp_path, curated):
    outcomes, quarantine = curated
    res = export_dataset(outcomes, out_dir=tmp_path, settings=ExportSettings(shard_rows=20), quarantine=quarantine,
                         stage_counts=[{"stage": "ingest", "rows_in": 78, "rows_out": 76}, {"stage": "clean", "dropped": 8}],
                         extra_card_sections=["## Dedup clusters\n\nnothing yet"])
    d = res.dataset_dir
    assert d == tmp_path / "dataset"
    kept = outcomes.kept.height
    shards = sorted((d / "data").glob("*.parquet"))
    assert len(shards) == -(-kept // 20) and shards[0].name == f"train-00000-of-{len(shards):05d}.parquet"
    assert sum(pl.read_parquet(p).height for p in shards) == kept
    assert pl.read_parquet_metadata(shards[0])["curate_schema_version"] == SCHEMA_VERSION
    assert pl.read_parquet(d / "dropped.parquet")["drop_reason"].is_not_null().all()
    assert pl.read_parquet(d / "review.parquet")["source_id"].to_list() == ["c023"]
    assert len((d / "quarantine.jsonl").read_text().splitlines()) == 2

    manifest = json.loads((d / "manifest.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION and manifest["curate_version"]
    assert manifest["counts"] == {"kept": kept, "dropped": outcomes.dropped.height, "review": 1, "quarantined": 2,
                                  "total": kept + outcomes.dropped.height + 1 + 2}
    assert manifest["drop_reasons"]["figure"] == 1
    assert manifest["sources"]["competition"]["quarantined"] == 2
    assert manifest["stages"][0]["stage"] == "ingest"
    files = {f["path"]: f["rows"] for f in manifest["files"]}
    assert files["review.parquet"] == 1 and sum(v for k, v in files.items() if k.startswith("data/")) == kept

    card = (d / "README.md").read_text()
    assert card.startswith("---\nconfigs:")
    for text in ("## Per source", "| competition |", "## Drop reasons", "| multi_part | 1 |", "## Answer types",
                 "## Pending review", "disputed_reference", "## Quarantine", "## Stages", "| clean |",
                 "## Dedup clusters", "nothing yet"):
        assert text in card, text


def test_rl_layout(tmp_path, curated):
    outcomes, _ = curated
    res = export_dataset(outcomes, out_dir=tmp_path, settings=ExportSettings(rl_system_prompt="Be careful."))
    rl = pl.concat([pl.read_parquet(p) for p in sorted((res.dataset_dir / "rl").glob("*.parquet"))])
    assert rl.columns == ["data_source", "prompt", "ability", "reward_model", "extra_info"]
    assert rl.height == outcomes.kept.height
    row = rl.row(0, named=True)
    assert row["prompt"][0] == {"role": "system", "content": "Be careful."}
    assert row["prompt"][1]["role"] == "user" and row["prompt"][1]["content"].endswith("\\boxed{}.")
    assert row["reward_model"]["style"] == "rule" and row["reward_model"]["ground_truth"] == outcomes.kept["answer"][0]
    assert row["extra_info"]["id"] == outcomes.kept["id"][0] and row["extra_info"]["index"] == 0
    assert set(rl["ability"]) == {"math"}
    mcq = rl.filter(pl.col("data_source") == "mcq_index").row(0, named=True)
    assert "\nA) 16\nB) 25" in mcq["prompt"][1]["content"]  # options appended for list-choice items
    inline = rl.filter(pl.col("data_source") == "inline_mcq").row(0, named=True)
    assert inline["prompt"][1]["content"].count("A)") == 1  # inline options not repeated


def test_loads_in_datasets_polars_duckdb(tmp_path, curated):
    import datasets
    import duckdb

    outcomes, _ = curated
    res = export_dataset(outcomes, out_dir=tmp_path / "out", settings=ExportSettings(shard_rows=25))
    d = res.dataset_dir
    cache = str(tmp_path / "hf_cache")
    ds = datasets.load_dataset("parquet", data_files=str(d / "data" / "*.parquet"), split="train", cache_dir=cache)
    assert ds.num_rows == outcomes.kept.height and "question" in ds.column_names
    by_card = datasets.load_dataset(str(d), split="train", cache_dir=cache)
    assert by_card.num_rows == outcomes.kept.height
    by_root = datasets.load_dataset(str(tmp_path / "out"), split="train", cache_dir=cache)  # root README → dataset/
    assert by_root.num_rows == outcomes.kept.height
    rl = datasets.load_dataset(str(d), "rl", split="train", cache_dir=cache)
    assert rl[0]["prompt"][0]["role"] == "user"
    assert pl.scan_parquet(d / "data" / "*.parquet").select(pl.len()).collect().item() == outcomes.kept.height
    n = duckdb.sql(f"select count(*) from read_parquet('{d}/data/*.parquet')").fetchall()[0][0]
    assert n == outcomes.kept.height
    assert duckdb.sql(f"select count(*) from read_parquet('{d}/rl/*.parquet')").fetchall()[0][0] == n


def test_data_files_form_reads_the_current_export_after_a_re_export(tmp_path, curated):
    """The form the README and card recommend stays current when an export replaces the previous one."""
    import datasets

    outcomes, _ = curated
    cache = str(tmp_path / "hf_cache")
    out = tmp_path / "out"
    first = export_dataset(outcomes, out_dir=out, settings=ExportSettings())
    files = str(first.dataset_dir / "data" / "*.parquet")
    assert datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=cache).num_rows == outcomes.kept.height
    smaller = type(outcomes)(kept=outcomes.kept.head(3), dropped=outcomes.dropped, review=outcomes.review)
    export_dataset(smaller, out_dir=out, settings=ExportSettings())
    assert datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=cache).num_rows == 3


def test_empty_export_still_loads(tmp_path, curated):
    outcomes, _ = curated
    from curation.drop import Outcomes

    empty = Outcomes(outcomes.kept.clear(), outcomes.dropped.clear(), outcomes.review.clear())
    res = export_dataset(empty, out_dir=tmp_path)
    assert [p.name for p in (res.dataset_dir / "data").iterdir()] == ["train-00000-of-00001.parquet"]
    assert json.loads((res.dataset_dir / "manifest.json").read_text())["counts"]["total"] == 0


def test_failure_mid_export_leaves_previous_output_and_siblings(tmp_path, curated, monkeypatch):
    import curation.export as export

    outcomes, _ = curated
    (tmp_path / "review.sqlite").write_bytes(b"db")
    (tmp_path / "dedup_index").mkdir()
    (tmp_path / "dedup_index" / "x.bin").write_bytes(b"idx")
    first = export_dataset(outcomes, out_dir=tmp_path)
    before = {p.relative_to(tmp_path): p.read_bytes() for p in first.dataset_dir.rglob("*") if p.is_file()}

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export, "render_card", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        export_dataset(outcomes, out_dir=tmp_path, settings=ExportSettings(shard_rows=5))
    after = {p.relative_to(tmp_path): p.read_bytes() for p in first.dataset_dir.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "dataset", "dedup_index", "review.sqlite"]  # no temp left
    monkeypatch.undo()
    second = export_dataset(outcomes, out_dir=tmp_path, settings=ExportSettings(shard_rows=5))
    assert len(list((second.dataset_dir / "data").glob("*.parquet"))) > 1
    assert (tmp_path / "review.sqlite").read_bytes() == b"db" and (tmp_path / "dedup_index" / "x.bin").exists()


def test_root_card_never_overwrites_a_foreign_readme(tmp_path, curated):
    outcomes, _ = curated
    (tmp_path / "README.md").write_text("mine")
    export_dataset(outcomes, out_dir=tmp_path)
    assert (tmp_path / "README.md").read_text() == "mine"


def test_kill_between_renames_is_recovered(tmp_path, curated):
    outcomes, _ = curated
    res = export_dataset(outcomes, out_dir=tmp_path)
    # simulate a crash after "dataset → .dataset.old-*" and before the new folder was renamed in
    res.dataset_dir.rename(tmp_path / ".dataset.old-abc")
    (tmp_path / ".dataset.tmp-999999-x").mkdir()  # a dead export's temp folder
    recover_dataset_dir(tmp_path)
    assert find_dataset_dir(tmp_path) == tmp_path / "dataset"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "dataset"]
