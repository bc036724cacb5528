"""Ingest for code sources: raw table → conformed problem table (kind = "code") + quarantine.

Called by `curation.ingest.ingest_source` when the source says `kind = "code"` or its columns are
unmistakably a code shape (`readers.is_code_table`). Code sets are small (thousands of rows) and
nested, so this goes row by row in Python. The statement is kept as written (only line endings
unified and trailing blanks trimmed): a HumanEval prompt is code, and its indentation matters.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from curation.code.readers import CodeRowError, read_code_row
from curation.errors import SourceError
from schemas import conform, content_id, polars_schema


def _statement(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").rstrip()


def _json_rows(path: Path, fmt: str) -> tuple[list[tuple[int, dict]], list[dict]]:
    """Rows of a JSONL / JSON file with their JSON types intact (polars would turn a column mixing
    lists and texts, common in function-call tests, into text). JSONL: 1-based lines; JSON: 0-based
    indexes, as the other readers number them."""
    rows, bad = [], []
    if fmt == "jsonl":
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except ValueError as exc:
                    bad.append({"line": line_no, "error": f"malformed JSON: {exc}", "raw": line[:100_000]})
                    continue
                if isinstance(value, dict):
                    rows.append((line_no, value))
                else:
                    bad.append({"line": line_no, "error": "not a JSON object", "raw": line[:100_000]})
        return rows, bad
    data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), [data])
    for i, value in enumerate(data):
        if isinstance(value, dict):
            rows.append((i, value))
        else:
            bad.append({"line": i, "error": "not a JSON object", "raw": json.dumps(value)[:100_000]})
    return rows, bad


def build_code_problems(raw, *, source: str, path=None, fmt: str | None = None):
    """`raw` is a `curation.readers.RawTable` (JSONL/JSON files are re-read with `json` to keep
    nested types); returns (problems, quarantine, rows read), the fields of `curation.ingest.IngestResult`."""
    from schemas.quarantine import QUARANTINE_SCHEMA

    if fmt in ("jsonl", "json") and path is not None:
        if not Path(path).is_file():
            raise SourceError(f"source {source!r}: input not found: {path}")
        try:
            pairs, bad = _json_rows(Path(path), fmt)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise SourceError(f"source {source!r}: cannot read {path}: {type(exc).__name__}: {exc}") from None
    else:
        rows = raw.rows.to_list() if isinstance(raw.rows, pl.Series) else list(raw.rows)
        pairs, bad = list(zip(rows, raw.df.iter_rows(named=True))), list(raw.bad)
    source_file = raw.source_file if raw is not None else str(path)
    records = []
    for line, row in pairs:
        try:
            fields = read_code_row(row)
        except CodeRowError as exc:
            bad.append({"line": line, "error": f"code: {exc}", "raw": json.dumps(row, ensure_ascii=False, default=str)[:100_000]})
            continue
        question = _statement(fields.pop("question"))
        extra = fields.pop("metadata_fields")
        record = {
            "source": source,
            "source_file": source_file,
            "source_row": line,
            "kind": "code",
            "question": question,
            "answer_type": "unknown",
            "metadata": json.dumps(extra, ensure_ascii=False, default=str) if extra else None,
            **fields,
        }
        record["id"] = content_id("code", question, None, None)
        records.append(record)
    quarantine = pl.DataFrame(
        {
            "source": [source] * len(bad),
            "source_file": [source_file] * len(bad),
            "line": [b["line"] for b in bad],
            "error": [b["error"] for b in bad],
            "raw": [b["raw"] for b in bad],
        },
        schema=QUARANTINE_SCHEMA,
    )
    schema = polars_schema()
    names = [k for k in schema if any(k in r for r in records)]
    df = pl.DataFrame(records, schema={k: schema[k] for k in names}) if records else pl.DataFrame(schema=schema)
    return conform(df, extra="drop"), quarantine, len(records) + len(bad)
