"""Ingest for code sources: raw table → conformed problem table (kind = "code") + quarantine.

Called by `curation.ingest.ingest_source` when the source says `kind = "code"` or its columns are
unmistakably a code shape (`readers.is_code_table`). Code sets are small (thousands of rows) and
nested, so this goes row by row in Python. The statement is kept as written (only line endings
unified and trailing blanks trimmed): a HumanEval prompt is code, and its indentation matters.
"""

from __future__ import annotations

import json

import polars as pl

from curation.code.readers import CodeRowError, read_code_row
from schemas import conform, content_id, polars_schema


def _statement(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").rstrip()


def build_code_problems(raw, *, source: str):
    """`raw` is a `curation.readers.RawTable`; returns `curation.ingest.IngestResult`."""
    from curation.ingest import QUARANTINE_SCHEMA, IngestResult

    rows = raw.rows.to_list() if isinstance(raw.rows, pl.Series) else list(raw.rows)
    records, bad = [], list(raw.bad)
    for line, row in zip(rows, raw.df.iter_rows(named=True)):
        try:
            fields = read_code_row(row)
        except CodeRowError as exc:
            bad.append({"line": line, "error": f"code: {exc}", "raw": json.dumps(row, ensure_ascii=False, default=str)[:100_000]})
            continue
        question = _statement(fields.pop("question"))
        extra = fields.pop("metadata_fields")
        record = {
            "source": source,
            "source_file": raw.source_file,
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
            "source_file": [raw.source_file] * len(bad),
            "line": [b["line"] for b in bad],
            "error": [b["error"] for b in bad],
            "raw": [b["raw"] for b in bad],
        },
        schema=QUARANTINE_SCHEMA,
    )
    schema = polars_schema()
    names = [k for k in schema if any(k in r for r in records)]
    df = pl.DataFrame(records, schema={k: schema[k] for k in names}) if records else pl.DataFrame(schema=schema)
    return IngestResult(conform(df, extra="drop"), quarantine, len(records) + len(bad))
