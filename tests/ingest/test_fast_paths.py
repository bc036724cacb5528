"""Fast paths added for throughput (benchmarks/ingest_export.py) give the same results as the
reference (Python) paths they shortcut."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.config import ExportSettings, SourceConfig
from curation.drop import split_outcomes
from curation.export import export_dataset
from curation.ingest import _add_note, _add_notes, _last_boxed_series, ingest_file, ingest_source
from curation.readers import read_jsonl
from curation.text import last_boxed
from schemas import SCHEMA_VERSION, conform, content_id, polars_schema


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


_BOX_TEXT = st.lists(
    st.sampled_from(["\\boxed{", "\\fbox {", "\\boxed  {", "{", "}", "\\", "\\{", "\\}", "a", " ", "\n", "\\frac", "1", "é", "\x1c"]),
    max_size=14,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.none(), _BOX_TEXT), max_size=8))
def test_vectorized_last_boxed_matches_last_boxed(values):
    got = _last_boxed_series(pl.Series(values, dtype=pl.Utf8)).to_list()
    assert got == [last_boxed(v) if v else None for v in values]


def test_last_boxed_nested_and_several():
    values = ["so $\\boxed{\\frac{1}{\\sqrt{2}}}$", "\\boxed{1} or \\boxed{2}", "\\boxed{{{{deep}}}}", "\\boxed{open", "none"]
    assert _last_boxed_series(pl.Series(values)).to_list() == ["\\frac{1}{\\sqrt{2}}", "2", "{{{deep}}}", None, None]


_META = st.one_of(
    st.none(),
    st.just("{}"),
    st.dictionaries(st.sampled_from(["level", "curate_notes", "x"]), st.one_of(st.integers(0, 9), st.lists(st.text(max_size=3), max_size=2)), max_size=3)
    .map(lambda d: json.dumps(d, separators=(",", ":"))),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_META, st.one_of(st.none(), st.sampled_from(["multiple answers", "answer from solution", 'odd "note"']))), min_size=1, max_size=8))
def test_vectorized_notes_match_add_note(rows):
    meta = pl.Series([m for m, _ in rows], dtype=pl.Utf8)
    notes = pl.Series([n for _, n in rows], dtype=pl.Utf8)
    got = _add_notes(meta, notes, notes.is_not_null()).to_list()
    for (m, n), g in zip(rows, got):
        if n is None:
            assert g == m
        else:
            assert json.loads(g) == json.loads(_add_note(m, n))


def test_raw_text_is_null_when_unchanged(tmp_path):
    p = write_jsonl(tmp_path / "r.jsonl", [
        {"question": "What is two plus two?", "answer": "4"},
        {"question": "Ｗhat is  two plus three?", "answer": "5.0"},
        {"question": "What is six minus one?", "solution": "It is $\\boxed{5}$."},
        {"question": "What is the empty answer?", "answer": ""},
    ])
    rows = ingest_file(p).problems.select("question", "raw_question", "answer", "raw_answer").rows()
    assert rows[0] == ("What is two plus two?", None, "4", None)
    assert rows[1] == ("What is two plus three?", "Ｗhat is  two plus three?", "5", "5.0")
    assert rows[2] == ("What is six minus one?", None, "5", None)  # the boxed text is the answer as is
    assert rows[3][2:] == (None, "")  # an empty answer becomes null; the raw "" is kept
    for q, raw_q, a, raw_a in rows:  # lossless: raw = coalesce(raw, normalized)
        assert (raw_q if raw_q is not None else q) is not None


def test_content_id_is_xxh3_of_the_json_payload():
    import xxhash

    payload = json.dumps(["competition", "What is 1+1?", "2", []], ensure_ascii=False).encode()
    assert content_id("competition", "What is 1+1?", "2", None) == xxhash.xxh3_64_hexdigest(payload)
    assert len(content_id("puzzle", "q", None, ["a"])) == 16


def test_conform_fast_path_returns_the_same_frame():
    df = conform(pl.DataFrame({"id": ["x"], "source": ["s"], "question": ["q"]}))
    assert conform(df) is df
    assert conform(df.with_columns(extra=pl.lit(1))).columns[-1] == "extra"
    assert conform(df.with_columns(extra=pl.lit(1)), extra="drop").columns == list(polars_schema())


def test_split_with_nothing_removed(tmp_path):
    df = conform(pl.DataFrame({"id": ["a", "b"], "source": ["s", "s"], "question": ["q1", "q2"]}))
    out = split_outcomes(df)
    assert out.kept.height == 2 and out.dropped.height == 0 and out.review.height == 0
    assert out.dropped.schema == df.schema


def test_jsonl_fast_and_careful_paths_agree(tmp_path):
    rows = [{"question": f"Question number {i}?", "answer": str(i)} for i in range(5)]
    fast = read_jsonl(write_jsonl(tmp_path / "a.jsonl", rows))
    bom = tmp_path / "b.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + (tmp_path / "a.jsonl").read_bytes())
    careful = read_jsonl(bom)
    assert fast.df.equals(careful.df) and list(fast.rows) == list(careful.rows) == [1, 2, 3, 4, 5]
    empty = tmp_path / "e.jsonl"
    empty.write_bytes(b"")
    assert read_jsonl(empty).df.height == 0


def test_rl_shards_carry_schema_version_and_content(tmp_path):
    p = write_jsonl(tmp_path / "x.jsonl", [
        {"question": "What is two plus two?", "answer": "4"},
        {"question": "Pick the right value", "choices": ["1", "2"], "answer": 1},
    ])
    res = ingest_source(SourceConfig(name="x", path=str(p)))
    for comp in ("zstd", "lz4"):
        out = export_dataset(split_outcomes(res.problems), out_dir=tmp_path / comp, settings=ExportSettings(compression=comp, val_fraction=0))
        shard = next((out.dataset_dir / "rl").glob("*.parquet"))
        assert pl.read_parquet_metadata(shard)["curate_schema_version"] == SCHEMA_VERSION
        rl = pl.read_parquet(shard)
        assert rl["prompt"].to_list()[1][0]["content"].startswith("Pick the right value\n\nA) 1\nB) 2")
        assert rl["extra_info"].struct.field("choices").to_list() == [None, ["1", "2"]]
