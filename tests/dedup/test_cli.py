"""`curate dedup` / `curate decontaminate` end to end on curate Parquet files."""

from __future__ import annotations

import polars as pl
import typer
from typer.testing import CliRunner

from curation.cli import dedup_cmd
from curation.io import write_problems

from .helpers import BASE, OTHER, THIRD, frame


def _app() -> typer.Typer:
    app = typer.Typer()
    dedup_cmd.register(app)
    return app


def test_dedup_command_marks_and_keeps_all_rows(tmp_path):
    src = write_problems(
        frame([
            {"id": "a", "question": BASE, "answer": "1"},
            {"id": "b", "question": BASE + "  ", "answer": "2"},
            {"id": "c", "question": OTHER},
        ]),
        tmp_path / "in.parquet",
    )
    out = tmp_path / "out.parquet"
    res = CliRunner().invoke(_app(), ["dedup", str(src), str(out), "--threshold", "0.9", "--index", str(tmp_path / "idx")])
    assert res.exit_code == 0, res.output
    assert "1 clusters" in res.output and "conflicting clusters 1" in res.output
    df = pl.read_parquet(out)
    b = df.filter(pl.col("id") == "b").row(0, named=True)
    # answers 1 and 2 conflict: the cluster waits for a reviewer instead of dropping b
    assert df.height == 3 and b["exact_dup_of"] == "a" and b["drop_reason"] is None
    assert b["review_reason"] == "conflicting_answers"
    assert (tmp_path / "idx" / "params.json").exists()
    # second batch against the index: the same problem again is a duplicate of the indexed row
    src2 = write_problems(frame([{"id": "z", "question": BASE}]), tmp_path / "in2.parquet")
    res = CliRunner().invoke(_app(), ["dedup", str(src2), str(tmp_path / "out2.parquet"), "--index", str(tmp_path / "idx"), "--keep-duplicates"])
    assert res.exit_code == 0, res.output
    df2 = pl.read_parquet(tmp_path / "out2.parquet")
    assert df2["duplicate_of"][0] == "a" and df2["drop_reason"][0] is None
    # different parameters against the same index are refused with a CurateError
    res = CliRunner().invoke(_app(), ["dedup", str(src2), str(tmp_path / "o3.parquet"), "--index", str(tmp_path / "idx"), "--num-perm", "64", "--bands", "8"])
    assert res.exit_code != 0 and "different parameters" in str(res.exception)
    assert "use its parameters" in str(res.exception)
    # an index an earlier version built (older normalization) cannot be matched by settings: the rebuild is named
    params = tmp_path / "idx" / "params.json"
    params.write_text(params.read_text().replace('"normalization": ', '"normalization": -1, "old_normalization": '))
    res = CliRunner().invoke(_app(), ["dedup", str(src2), str(tmp_path / "o5.parquet"), "--index", str(tmp_path / "idx")])
    assert res.exit_code != 0 and "earlier curate version" in str(res.exception)
    assert "docs/upgrading.md" in str(res.exception) and "use its parameters" not in str(res.exception)
    # a mistyped index path with --no-update-index would dedup against nothing, silently: refused
    res = CliRunner().invoke(_app(), ["dedup", str(src2), str(tmp_path / "o4.parquet"), "--index", str(tmp_path / "idz"),
                                      "--no-update-index"])
    assert res.exit_code != 0 and "no dedup index at" in str(res.exception)
    assert not (tmp_path / "o4.parquet").exists() and not (tmp_path / "idz").exists()


def test_decontaminate_command(tmp_path):
    src = write_problems(frame([{"id": "a", "question": THIRD}, {"id": "b", "question": OTHER}]), tmp_path / "in.parquet")
    bench = write_problems(frame([{"id": "m1", "question": THIRD}]), tmp_path / "math500.parquet")
    out = tmp_path / "out.parquet"
    res = CliRunner().invoke(_app(), ["decontaminate", str(src), str(out), "--benchmark", str(bench), "--keep"])
    assert res.exit_code == 0, res.output
    assert "contaminated 1 (math500: 1)" in res.output
    df = pl.read_parquet(out)
    assert df["contam_math500"].to_list() == ["m1", None]
    assert df["drop_reason"].null_count() == 2


def test_text_only_switches_the_same_problem_rule_off(tmp_path):
    src = write_problems(
        frame([{"id": "a", "question": BASE, "answer": "1"}, {"id": "b", "question": BASE.replace("= 25", "= 26"), "answer": "1"}]),
        tmp_path / "in.parquet",
    )
    strict, loose = tmp_path / "strict.parquet", tmp_path / "loose.parquet"
    assert CliRunner().invoke(_app(), ["dedup", str(src), str(strict)]).exit_code == 0
    res = CliRunner().invoke(_app(), ["dedup", str(src), str(loose), "--text-only"])
    assert res.exit_code == 0, res.output
    assert pl.read_parquet(strict).filter(pl.col("id") == "b")["drop_reason"][0] is None
    assert pl.read_parquet(loose).filter(pl.col("id") == "b")["drop_reason"][0] == "near_duplicate"
