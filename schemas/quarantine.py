"""The quarantine record: a source row that could not be read, with where it was and why."""

from __future__ import annotations

import polars as pl

QUARANTINE_SCHEMA = {"source": pl.Utf8, "source_file": pl.Utf8, "line": pl.Int64, "error": pl.Utf8, "raw": pl.Utf8}


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)
