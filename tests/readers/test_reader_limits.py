"""Readers never lose rows silently or abort a source on one bad record: huge fields, rows over
`max_row_bytes` and absurdly nested lines are quarantined with their line number; the rest is read."""

from __future__ import annotations

import csv
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.config import SourceConfig
from curation.ingest import ingest_source


def _csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["question", "answer"])
        w.writerows(rows)


def _ingest(path, **kw):
    return ingest_source(SourceConfig(path=str(path), **kw))


def test_csv_field_over_the_csv_module_default_limit_keeps_every_row(tmp_path):
    # 131,072 characters is the csv module's default field limit: it used to end the file there
    rows = [["What is 1+1?", "2"], ["y" * 200_000, "3"], *[[f"What is {i}+{i}?", str(2 * i)] for i in range(3)]]
    path = tmp_path / "big.csv"
    _csv(path, rows)
    res = _ingest(path)
    assert res.problems.height + res.quarantine.height == 5
    assert res.problems.height == 5


def test_csv_row_over_max_row_bytes_is_quarantined_with_its_line(tmp_path):
    rows = [["What is 1+1?", "2"], ["z" * 5000, "3"], ["What is 3+3?", "6"]]
    path = tmp_path / "rows.csv"
    _csv(path, rows)
    res = _ingest(path, max_row_bytes=1000)
    assert res.problems["question"].to_list() == ["What is 1+1?", "What is 3+3?"]
    q = res.quarantine.to_dicts()
    assert [r["line"] for r in q] == [3]
    assert "exceeds max_row_bytes" in q[0]["error"]


def test_csv_bad_record_does_not_end_the_file(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_text('question,answer\n"What is 1+1?",2\n"bro\x00ken",3\n"What is 2+2?",4\n', encoding="utf-8")
    res = _ingest(path)
    assert res.problems.height + res.quarantine.height == 3
    assert "What is 2+2?" in res.problems["question"].to_list()


def test_deeply_nested_jsonl_line_is_quarantined_not_fatal(tmp_path):
    deep = "[" * 50_000 + "]" * 50_000
    path = tmp_path / "deep.jsonl"
    path.write_text(
        json.dumps({"question": "What is 1+1?", "answer": "2"}) + "\n"
        + '{"question": "nested", "meta": ' + deep + "}\n"
        + json.dumps({"question": "What is 2+2?", "answer": "4"}) + "\n",
        encoding="utf-8",
    )
    res = _ingest(path)
    assert res.problems["question"].to_list() == ["What is 1+1?", "What is 2+2?"]
    q = res.quarantine.to_dicts()
    assert [r["line"] for r in q] == [2] and "nested too deeply" in q[0]["error"]


def test_deeply_nested_json_array_is_one_clear_source_error(tmp_path):
    from curation.errors import SourceError

    path = tmp_path / "deep.json"
    path.write_text("[" * 50_000 + "]" * 50_000, encoding="utf-8")
    with pytest.raises(SourceError, match="nested too deeply"):
        _ingest(path)


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_jsonl_line_over_max_row_bytes_is_quarantined_unread(tmp_path, position):
    lines = [json.dumps({"question": f"What is {i}+{i}?", "answer": str(2 * i)}) for i in range(4)]
    huge = json.dumps({"question": "w" * 20_000, "answer": "1"})
    at = {"first": 0, "middle": 2, "last": 4}[position]
    lines.insert(at, huge)
    path = tmp_path / "huge.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = _ingest(path, max_row_bytes=10_000)
    assert res.problems.height == 4
    q = res.quarantine.to_dicts()
    assert [r["line"] for r in q] == [at + 1]
    assert "20,0" in q[0]["error"] and len(q[0]["raw"]) < 10_000


def test_no_limit_reads_big_rows(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps({"question": "v" * 20_000, "answer": "1"}) + "\n", encoding="utf-8")
    assert _ingest(path, max_row_bytes=None).problems.height == 1


def test_max_row_bytes_must_be_positive():
    with pytest.raises(ValueError):
        SourceConfig(path="x.jsonl", max_row_bytes=0)



@given(lines=st.lists(st.integers(0, 40), min_size=1, max_size=10), limit=st.integers(1, 30),
       trailing_newline=st.booleans())
@settings(max_examples=200, deadline=None)
def test_long_line_scan_agrees_with_splitting(tmp_path_factory, lines, limit, trailing_newline):
    """The memory-map jump scan finds a line over the limit exactly when splitting the file does."""
    from curation.readers import _has_line_longer_than

    data = b"\n".join(b"x" * n for n in lines) + (b"\n" if trailing_newline else b"")
    path = tmp_path_factory.mktemp("scan") / "f.jsonl"
    path.write_bytes(data)
    assert _has_line_longer_than(path, limit) == any(len(line) > limit for line in data.split(b"\n"))
