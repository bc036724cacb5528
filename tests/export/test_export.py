"""Export: files, sharding, card, manifest, RL layout, loaders, atomic swap."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
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
    manifest = json.loads((d / "manifest.json").read_text())
    fp = manifest["fingerprint"]
    assert re.fullmatch(r"[0-9a-f]{12}", fp)
    train = sorted((d / "data").glob("train-*.parquet"))
    val = sorted((d / "data").glob("validation-*.parquet"))
    n_train, n_val = manifest["splits"]["train"], manifest["splits"]["validation"]
    assert n_train + n_val == kept and n_val > 0
    assert len(train) == -(-n_train // 20) and train[0].name == f"train-00000-of-{len(train):05d}-{fp}.parquet"
    assert val[0].name == f"validation-00000-of-00001-{fp}.parquet"
    shards = train + val
    assert sum(pl.read_parquet(p).height for p in shards) == kept
    assert pl.read_parquet_metadata(shards[0])["curate_schema_version"] == SCHEMA_VERSION
    assert pl.read_parquet(d / "dropped.parquet")["drop_reason"].is_not_null().all()
    assert pl.read_parquet(d / "review.parquet")["source_id"].to_list() == ["c023"]
    assert len((d / "quarantine.jsonl").read_text().splitlines()) == 2

    assert manifest["schema_version"] == SCHEMA_VERSION and manifest["curate_version"]
    assert manifest["counts"] == {"kept": kept, "dropped": outcomes.dropped.height, "review": 1, "quarantined": 2,
                                  "total": kept + outcomes.dropped.height + 1 + 2}
    assert manifest["drop_reasons"]["figure"] == 1
    assert manifest["sources"]["competition"]["quarantined"] == 2
    assert manifest["stages"][0]["stage"] == "ingest"
    files = {f["path"]: f["rows"] for f in manifest["files"]}
    assert files["review.parquet"] == 1 and sum(v for k, v in files.items() if k.startswith("data/")) == kept

    card = (d / "README.md").read_text()
    assert card.startswith("---\npretty_name:")
    for text in ("## Per source", "| competition |", "## Drop reasons", "| multi_part | 1 |", "## Answer types",
                 "## Pending review", "disputed_reference", "## Quarantine", "## Stages", "| clean |",
                 "## Dedup clusters", "nothing yet"):
        assert text in card, text


def _rl(dataset_dir: Path) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(p) for p in sorted((dataset_dir / "rl").glob("*.parquet"))])


def test_rl_layout(tmp_path, curated):
    outcomes, _ = curated
    res = export_dataset(outcomes, out_dir=tmp_path, settings=ExportSettings(rl_system_prompt="Be careful.", val_fraction=0))
    rl = _rl(res.dataset_dir)
    assert rl.columns == ["data_source", "prompt", "ability", "reward_model", "extra_info", "answer"]
    assert rl.height == outcomes.kept.height
    row = rl.row(0, named=True)
    assert row["prompt"][0] == {"role": "system", "content": "Be careful."}
    assert row["prompt"][1]["role"] == "user" and row["prompt"][1]["content"].endswith("\\boxed{}.")
    assert row["reward_model"]["style"] == "rule" and row["reward_model"]["ground_truth"] == outcomes.kept["answer"][0]
    assert row["answer"] == row["reward_model"]["ground_truth"] == row["extra_info"]["answer"]
    info = row["extra_info"]
    assert info["id"] == outcomes.kept["id"][0] and info["index"] == 0 and info["split"] == "train"
    assert info["kind"] == "competition" and info["answer_type"] == outcomes.kept["answer_type"][0]
    assert set(rl["ability"]) == {"math"}
    assert set(rl["data_source"]) == {f"curate/{s}" for s in outcomes.kept["source"].unique()}
    assert rl["extra_info"].struct.field("index").to_list() == list(range(rl.height))
    mcq = rl.filter(pl.col("data_source") == "curate/mcq_index").row(0, named=True)
    assert "\nA) 16\nB) 25" in mcq["prompt"][1]["content"]  # options appended for list-choice items
    inline = rl.filter(pl.col("data_source") == "curate/inline_mcq").row(0, named=True)
    assert inline["prompt"][1]["content"].count("A)") == 1  # inline options not repeated


@pytest.fixture(scope="module")
def puzzles():
    from curation.drop import Outcomes
    from generators import generate_records
    from schemas import conform

    rows = generate_records("maze", count=2, level=2, seed=1) + generate_records("sudoku", count=2, level=1, seed=1)
    df = conform(pl.DataFrame([{k: v for k, v in r.items() if k != "difficulty"} for r in rows]), extra="drop")
    return Outcomes(df, df.clear(), df.clear())


def test_puzzle_rows_carry_their_spec_and_one_instruction(tmp_path, puzzles):
    import json as _json

    res = export_dataset(puzzles, out_dir=tmp_path, settings=ExportSettings(val_fraction=0))
    rl = _rl(res.dataset_dir)
    assert set(rl["ability"]) == {"puzzle"} and set(rl["data_source"]) == {"curate/generator:maze", "curate/generator:sudoku"}
    for row in rl.iter_rows(named=True):
        content = row["prompt"][0]["content"]
        assert content.count("\\boxed") == 1 and "Put your final answer" not in content  # one answer instruction
        spec = _json.loads(row["extra_info"]["puzzle_spec"])
        assert spec["generator"] in ("maze", "sudoku") and ("open" in spec or "givens" in spec)
        assert row["extra_info"]["kind"] == "puzzle"


def test_prompt_template(tmp_path, curated):
    outcomes, _ = curated
    settings = ExportSettings(prompt_template="Problem: {question}{options}\n\nAnswer in \\boxed{{}}. {{literal}}", val_fraction=0)
    rl = _rl(export_dataset(outcomes, out_dir=tmp_path, settings=settings).dataset_dir)
    text = rl["prompt"][0][0]["content"]
    assert text.startswith("Problem: ") and text.endswith("Answer in \\boxed{}. {literal}") and "Put your final" not in text


def test_validation_split_is_stable_and_by_source(tmp_path, curated):
    outcomes, _ = curated
    first = export_dataset(outcomes, out_dir=tmp_path / "a", settings=ExportSettings(val_fraction=0.3))
    val_ids = set(pl.read_parquet(first.dataset_dir / "data" / "validation-*.parquet")["id"])
    assert 0 < len(val_ids) < outcomes.kept.height
    rl_val = pl.read_parquet(first.dataset_dir / "rl" / "validation-*.parquet")
    assert set(rl_val["extra_info"].struct.field("id")) == val_ids  # the same rows in data/ and rl/
    assert set(rl_val["extra_info"].struct.field("split")) == {"validation"}
    assert rl_val["extra_info"].struct.field("index").to_list() == list(range(rl_val.height))
    # a re-export of a subset keeps every remaining row in its split
    sub = type(outcomes)(outcomes.kept.tail(40), outcomes.dropped, outcomes.review)
    second = export_dataset(sub, out_dir=tmp_path / "b", settings=ExportSettings(val_fraction=0.3))
    val2 = set(pl.read_parquet(second.dataset_dir / "data" / "validation-*.parquet")["id"])
    assert val2 == val_ids & set(sub.kept["id"])
    by_source = export_dataset(outcomes, out_dir=tmp_path / "c", settings=ExportSettings(val_fraction=0, val_sources=["mcq_index"]))
    v = pl.read_parquet(by_source.dataset_dir / "data" / "validation-*.parquet")
    assert set(v["source"]) == {"mcq_index"} and v.height == outcomes.kept.filter(pl.col("source") == "mcq_index").height
    none = export_dataset(outcomes, out_dir=tmp_path / "d", settings=ExportSettings(val_fraction=0))
    assert not list((none.dataset_dir / "data").glob("validation-*")) and "validation" not in (none.dataset_dir / "README.md").read_text()


def _front_matter(card: str) -> dict:
    import yaml

    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_card_yaml_for_the_hub(tmp_path, curated):
    from huggingface_hub import DatasetCard

    outcomes, _ = curated
    sources = [SourceConfig(name=n, path=f"{n}.jsonl", license="mit") for n in outcomes.kept["source"].unique()]
    res = export_dataset(outcomes, out_dir=tmp_path, settings=ExportSettings(language=["en", "zh"]), sources=sources)
    meta = _front_matter((res.dataset_dir / "README.md").read_text())
    assert meta["license"] == "mit" and meta["language"] == ["en", "zh"] and meta["pretty_name"] == "Curated problem set"
    assert meta["task_categories"] == ["text-generation", "question-answering"] and meta["size_categories"] == ["n<1K"]
    configs = {c["config_name"]: {f["split"]: f["path"] for f in c["data_files"]} for c in meta["configs"]}
    fp = res.manifest["fingerprint"]
    assert configs == {"default": {"train": f"data/train-*-{fp}.parquet", "validation": f"data/validation-*-{fp}.parquet"},
                       "rl": {"train": f"rl/train-*-{fp}.parquet", "validation": f"rl/validation-*-{fp}.parquet"}}
    card = DatasetCard.load(res.dataset_dir / "README.md")  # the Hub's own parser accepts it
    assert card.data.license == "mit" and card.data.pretty_name == "Curated problem set"
    # sources declaring different licences: 'other', each listed in the card body
    mixed = [SourceConfig(name=s.name, path=s.path, license="mit" if i else "cc-by-4.0") for i, s in enumerate(sources)]
    res = export_dataset(outcomes, out_dir=tmp_path / "m", sources=mixed + [SourceConfig(name="hf", path="hf://openai/gsm8k")])
    text = (res.dataset_dir / "README.md").read_text()
    assert _front_matter(text)["license"] == "other" and "`cc-by-4.0`" in text
    # nothing declared: unknown; the config wins over sources
    assert _front_matter((export_dataset(outcomes, out_dir=tmp_path / "u").dataset_dir / "README.md").read_text())["license"] == "unknown"
    forced = export_dataset(outcomes, out_dir=tmp_path / "f", settings=ExportSettings(license="apache-2.0", source_datasets=["openai/gsm8k"]),
                            sources=mixed)
    meta = _front_matter((forced.dataset_dir / "README.md").read_text())
    assert meta["license"] == "apache-2.0" and meta["source_datasets"] == ["openai/gsm8k"]


def test_card_reports_prompt_lengths(tmp_path, curated, puzzles):
    from curation.drop import Outcomes

    outcomes, _ = curated
    both = Outcomes(pl.concat([conform_(outcomes.kept), conform_(puzzles.kept)]), outcomes.dropped, outcomes.review)
    res = export_dataset(both, out_dir=tmp_path, settings=ExportSettings(val_fraction=0, max_prompt_tokens=100))
    lengths = {(r["split"], r["kind"]): r for r in res.manifest["prompt_lengths"]}
    maze_chars = max(len(q) for q in puzzles.kept.filter(pl.col("subject") == "maze")["question"])
    assert lengths[("train", "puzzle")]["chars_max"] == maze_chars
    assert lengths[("train", "puzzle")]["over_limit"] == 4 and lengths[("train", "competition")]["rows"] == outcomes.kept.height
    assert lengths[("train", "puzzle")]["approx_tokens_max"] > lengths[("train", "competition")]["approx_tokens_median"]
    card = (res.dataset_dir / "README.md").read_text()
    assert "## RL prompt lengths" in card and "data.max_prompt_length" in card


def conform_(df):
    from schemas import conform

    return conform(df, extra="drop")


def test_loads_in_datasets_polars_duckdb(tmp_path, curated):
    import datasets
    import duckdb

    outcomes, _ = curated
    res = export_dataset(outcomes, out_dir=tmp_path / "out", settings=ExportSettings(shard_rows=25))
    d = res.dataset_dir
    n_val = res.manifest["splits"]["validation"]
    cache = str(tmp_path / "hf_cache")
    ds = datasets.load_dataset("parquet", data_files=str(d / "data" / "*.parquet"), split="train", cache_dir=cache)
    assert ds.num_rows == outcomes.kept.height and "question" in ds.column_names
    by_card = datasets.load_dataset(str(d), cache_dir=cache)
    assert by_card["train"].num_rows + by_card["validation"].num_rows == outcomes.kept.height
    assert by_card["validation"].num_rows == n_val
    by_root = datasets.load_dataset(str(tmp_path / "out"), split="validation", cache_dir=cache)  # root README → dataset/
    assert by_root.num_rows == n_val
    rl = datasets.load_dataset(str(d), "rl", split="train", cache_dir=cache)
    assert rl[0]["prompt"][0]["role"] == "user" and isinstance(rl[0]["answer"], str)
    folder = datasets.load_dataset(str(d / "rl"), cache_dir=cache)  # OpenRLHF's form: a folder, splits from names
    assert folder["validation"].num_rows == n_val and folder["train"].num_rows == rl.num_rows
    assert pl.scan_parquet(d / "data" / "*.parquet").select(pl.len()).collect().item() == outcomes.kept.height
    n = duckdb.sql(f"select count(*) from read_parquet('{d}/data/*.parquet')").fetchall()[0][0]
    assert n == outcomes.kept.height
    assert duckdb.sql(f"select count(*) from read_parquet('{d}/rl/*.parquet')").fetchall()[0][0] == n


def test_every_load_form_reads_the_current_export_after_a_re_export(tmp_path, curated):
    """The folder form served the previous export's rows after a re-export: shard names now change with content."""
    import datasets

    outcomes, _ = curated
    cache = str(tmp_path / "hf_cache")
    out = tmp_path / "out"
    settings = ExportSettings(val_fraction=0)
    first = export_dataset(outcomes, out_dir=out, settings=settings)
    files = str(first.dataset_dir / "data" / "*.parquet")
    assert datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=cache).num_rows == outcomes.kept.height
    assert datasets.load_dataset(str(out / "dataset"), split="train", cache_dir=cache).num_rows == outcomes.kept.height
    assert datasets.load_dataset(str(out / "dataset" / "rl"), split="train", cache_dir=cache).num_rows == outcomes.kept.height
    smaller = type(outcomes)(kept=outcomes.kept.head(3), dropped=outcomes.dropped, review=outcomes.review)
    second = export_dataset(smaller, out_dir=out, settings=settings)
    assert second.manifest["fingerprint"] != first.manifest["fingerprint"]
    assert datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=cache).num_rows == 3
    assert datasets.load_dataset(str(out / "dataset"), split="train", cache_dir=cache).num_rows == 3
    assert datasets.load_dataset(str(out), split="train", cache_dir=cache).num_rows == 3
    assert datasets.load_dataset(str(out / "dataset" / "rl"), split="train", cache_dir=cache).num_rows == 3


def test_empty_export_still_loads(tmp_path, curated):
    outcomes, _ = curated
    from curation.drop import Outcomes

    empty = Outcomes(outcomes.kept.clear(), outcomes.dropped.clear(), outcomes.review.clear())
    res = export_dataset(empty, out_dir=tmp_path)
    fp = res.manifest["fingerprint"]
    assert sorted(p.name for p in (res.dataset_dir / "data").iterdir()) == [
        f"train-00000-of-00001-{fp}.parquet", f"validation-00000-of-00001-{fp}.parquet"]
    assert json.loads((res.dataset_dir / "manifest.json").read_text())["counts"]["total"] == 0


def test_empty_run_does_not_replace_a_dataset_without_allow_empty(tmp_path, curated):
    from curation.drop import Outcomes
    from curation.errors import ExportError

    outcomes, quarantine = curated
    first = export_dataset(outcomes, out_dir=tmp_path)
    before = (first.dataset_dir / "manifest.json").read_text()
    empty = Outcomes(outcomes.kept.clear(), outcomes.dropped.clear(), outcomes.review.clear())
    with pytest.raises(ExportError, match=rf"refusing to replace .*\({outcomes.kept.height} kept rows\).*quarantined 2.*--allow-empty"):
        export_dataset(empty, out_dir=tmp_path, quarantine=quarantine)  # a fully quarantined run
    assert (first.dataset_dir / "manifest.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "dataset"]
    res = export_dataset(empty, out_dir=tmp_path, settings=ExportSettings(allow_empty=True))
    assert res.manifest["counts"]["kept"] == 0
    export_dataset(empty, out_dir=tmp_path)  # empty replacing empty needs no flag


def test_cli_export_allow_empty(tmp_path, curated):
    outcomes, _ = curated
    export_dataset(outcomes, out_dir=tmp_path / "out")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "curation.cli.main", "export", *args], capture_output=True, text=True, env=env)

    r = cli(str(empty), str(tmp_path / "out"))
    assert r.returncode == 2 and "--allow-empty" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert json.loads((tmp_path / "out" / "dataset" / "manifest.json").read_text())["counts"]["kept"] == outcomes.kept.height
    r = cli(str(empty), str(tmp_path / "out"), "--allow-empty")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "out" / "dataset" / "manifest.json").read_text())["counts"]["kept"] == 0


def test_exported_folder_follows_the_umask(tmp_path, curated):
    outcomes, _ = curated
    old = os.umask(0o022)
    try:
        res = export_dataset(outcomes, out_dir=tmp_path)
        assert res.dataset_dir.stat().st_mode & 0o777 == 0o755
        os.umask(0o027)
        res = export_dataset(outcomes, out_dir=tmp_path)
        assert res.dataset_dir.stat().st_mode & 0o777 == 0o750
    finally:
        os.umask(old)


def test_stale_temp_and_backup_folders_are_removed_at_the_start(tmp_path, curated, monkeypatch):
    import curation.export as export

    outcomes, _ = curated
    export_dataset(outcomes, out_dir=tmp_path)
    (tmp_path / ".dataset.tmp-999999-dead").mkdir()
    (tmp_path / ".dataset.old-abc").mkdir()
    live = tmp_path / f".dataset.tmp-{os.getppid()}-live"  # a running export's temp folder is left alone
    live.mkdir()
    seen = []
    real = export._swap

    def spy(tmp, final, out_dir, name):
        seen.append(sorted(p.name for p in out_dir.iterdir() if p != tmp))
        return real(tmp, final, out_dir, name)

    monkeypatch.setattr(export, "_swap", spy)
    export_dataset(outcomes, out_dir=tmp_path)
    assert seen == [sorted(["README.md", "dataset", live.name])]  # cleaned before the new folder is swapped in


def test_dataset_swap_is_one_exchange(tmp_path, curated, monkeypatch):
    """No instant without a dataset: the old folder is exchanged for the new one in one call."""
    import curation.export as export

    outcomes, _ = curated
    first = export_dataset(outcomes, out_dir=tmp_path)
    calls = []
    real = export._exchange

    def watch(a, b):
        ok = real(a, b)
        calls.append(ok)
        assert (tmp_path / "dataset" / "manifest.json").exists()
        raise KeyboardInterrupt  # killed right after the exchange, before the old copy is removed

    monkeypatch.setattr(export, "_exchange", watch)
    smaller = type(outcomes)(outcomes.kept.head(5), outcomes.dropped, outcomes.review)
    with pytest.raises(KeyboardInterrupt):
        export_dataset(smaller, out_dir=tmp_path)
    assert calls == [True]
    assert json.loads((tmp_path / "dataset" / "manifest.json").read_text())["counts"]["kept"] == 5
    monkeypatch.setattr(export, "_exchange", lambda a, b: False)  # where unsupported: two renames still work
    res = export_dataset(outcomes, out_dir=tmp_path)
    assert res.manifest["counts"]["kept"] == first.manifest["counts"]["kept"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md", "dataset"]


KILL_SCRIPT = """
import sys, polars as pl
from pathlib import Path
from curation.drop import Outcomes
from curation.export import export_dataset
from schemas import conform
kept = conform(pl.read_parquet(sys.argv[1]))
i = 0
while True:
    i += 1
    part = kept.head(1 + i % kept.height)
    export_dataset(Outcomes(part, part.clear(), part.clear()), out_dir=Path(sys.argv[2]))
    print(i, flush=True)
"""


def test_a_dataset_is_present_after_a_kill_at_any_moment(tmp_path, curated):
    outcomes, _ = curated
    src = tmp_path / "kept.parquet"
    outcomes.kept.write_parquet(src)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    import random

    rng = random.Random(7)
    for attempt in range(8):
        proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(src), str(out)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        proc.stdout.readline()  # at least one export finished
        time.sleep(rng.uniform(0.0, 0.4))
        proc.kill()
        proc.wait()
        assert (out / "dataset" / "manifest.json").exists(), attempt
        shards = list((out / "dataset" / "data").glob("*.parquet"))
        manifest = json.loads((out / "dataset" / "manifest.json").read_text())
        assert sum(pl.read_parquet(p).height for p in shards) == manifest["counts"]["kept"]


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


def test_an_export_folder_read_as_a_stage_input_holds_each_row_once(tmp_path, curated):
    """`curate dedup out/dataset ...` (or any stage given the export folder): the rl/ shards are the
    kept rows again in the RL shape (no question); they must not come back as extra question-less rows."""
    from curation.io import read_problems

    outcomes, quarantine = curated
    res = export_dataset(outcomes, out_dir=tmp_path, settings=ExportSettings(), quarantine=quarantine)
    assert list((res.dataset_dir / "rl").glob("*.parquet"))  # the RL layout is there to be skipped
    whole = read_problems(res.dataset_dir)
    assert whole.height == outcomes.kept.height + outcomes.dropped.height + outcomes.review.height
    assert whole["question"].is_not_null().all()
    assert read_problems(res.dataset_dir / "data").height == outcomes.kept.height
