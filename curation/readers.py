"""Format readers: JSONL, JSON, CSV, Parquet and Hugging Face datasets → one raw polars frame.

Each reader returns a `RawTable`: the records as a polars frame (source columns as found, nested
objects as structs), the row position of every record (`source_row`: 1-based line for JSONL/CSV,
0-based index otherwise) and the rows that could not be read (`bad`: position, error, raw text).

Speed: JSONL is read with `polars.read_ndjson` (vectorized), straight from the file when a memory-mapped
check finds no BOM and no line starting with whitespace. Only when that fails (a malformed line,
a line that is not an object, or types polars cannot reconcile) do we fall back to a per-line
`json.loads` pass that finds the bad lines; the good lines are then read with polars again.
Blank (whitespace-only) lines are not records: they are skipped, and line numbers stay exact.
"""

from __future__ import annotations

import csv
import io
import json
import mmap
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from curation.errors import SourceError

RAW_LIMIT = 2000
_INFER_ROWS = 10_000
# a line that starts with whitespace (blank lines included): line numbers need the careful path
_BLANK_LINE = re.compile(rb"\n\s")


@dataclass
class RawTable:
    df: pl.DataFrame
    rows: list[int] | pl.Series  # source_row of each df row
    source_file: str
    bad: list[dict] = field(default_factory=list)  # {"line": int, "error": str, "raw": str}


def detect_format(path: str | Path, fmt: str | None, *, source: str) -> str:
    """The format named in the config, else from the extension (or `hf://`, or a save_to_disk dir)."""
    if fmt is not None:
        if fmt not in READERS:
            raise SourceError(f"source {source!r}: unknown format {fmt!r} (expected one of {', '.join(READERS)})")
        return fmt
    text = str(path)
    if text.startswith("hf://"):
        return "hf"
    p = Path(path)
    if p.is_dir():
        if (p / "dataset_info.json").exists() or (p / "dataset_dict.json").exists() or (p / "state.json").exists():
            return "hf"
        raise SourceError(f"source {source!r}: {p} is a folder but not a Hugging Face save_to_disk dataset")
    suffix = p.suffix.lower()
    for reader in READERS.values():
        if suffix in reader.extensions:
            return reader.name
    raise SourceError(
        f"source {source!r}: cannot tell the format of {p.name!r} from its extension; set format = one of {', '.join(READERS)}"
    )


def _truncate(text: str) -> str:
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + "…"


def read_raw(
    path: str | Path, fmt: str, *, source: str, split: str | None = None, max_row_bytes: int | None = None
) -> RawTable:
    """Read one source. Rows larger than `max_row_bytes` (their text in the file) are quarantined
    before they are parsed into the frame, so one huge line cannot blow up a later stage."""
    text = str(path)
    if fmt in READERS and READERS[fmt].local and not Path(path).exists():
        raise SourceError(f"source {source!r}: input not found: {path}")
    if fmt not in READERS:
        raise SourceError(f"source {source!r}: unknown format {fmt!r}")
    try:
        return READERS[fmt].read(text, source=source, split=split, max_row_bytes=max_row_bytes)
    except SourceError:
        raise
    except RecursionError:
        raise SourceError(f"source {source!r}: cannot read {path}: JSON nested too deeply") from None
    except (OSError, UnicodeDecodeError, pl.exceptions.PolarsError, ValueError) as exc:
        raise SourceError(f"source {source!r}: cannot read {path}: {type(exc).__name__}: {exc}") from None


# ---------------------------------------------------------------------------------------- JSONL


def _clean_jsonl_file(path: Path) -> bool:
    """True when the file has no BOM and no line starting with whitespace (blank lines included),
    checked on a memory map so the common path never copies the file into Python."""
    with open(path, "rb") as fh:
        if fh.read(3) in (b"\xef\xbb\xbf", b""):
            return False
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            return not mm[:1].isspace() and _BLANK_LINE.search(mm) is None


def _has_line_longer_than(path: Path, limit: int | None) -> bool:
    """True when some line of the file has more than `limit` bytes.

    Jumps from line start to the last newline within the next `limit + 1` bytes (`rfind` on a
    memory map, in C): about size/limit steps, far cheaper than reading the file, which polars does
    next anyway. A window with no newline before the end of the file holds a longer line.
    """
    if limit is None or path.stat().st_size <= limit:
        return False
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        pos, size = 0, len(mm)
        while size - pos > limit:
            last = mm.rfind(b"\n", pos, pos + limit + 1)
            if last < 0:
                return True
            pos = last + 1
    return False


def read_jsonl(path: Path, *, max_row_bytes: int | None = None) -> RawTable:
    if _has_line_longer_than(path, max_row_bytes):
        data = path.read_bytes()
        return _read_jsonl_careful(data[3:] if data.startswith(b"\xef\xbb\xbf") else data, path, max_row_bytes)
    if _clean_jsonl_file(path):  # fast path: polars reads the file itself
        try:
            df = pl.read_ndjson(path, infer_schema_length=_INFER_ROWS)
            if not _has_coerced_text(df):
                return RawTable(df, pl.int_range(1, df.height + 1, eager=True), str(path))
        except Exception:  # noqa: BLE001 - any parse/schema problem → the careful path
            pass
        return _read_jsonl_careful(path.read_bytes(), path)
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    blanks = data[:1].isspace() or _BLANK_LINE.search(data) is not None
    if not blanks:
        try:
            df = pl.read_ndjson(io.BytesIO(data), infer_schema_length=_INFER_ROWS)
            # polars turns a column mixing texts and lists/objects into text without JSON escaping
            # (`\\boxed` would read back as a backspace); such files take the careful path.
            if not _has_coerced_text(df):
                # no blank lines, so row i is line i + 1
                return RawTable(df, pl.int_range(1, df.height + 1, eager=True), str(path))
        except Exception:  # noqa: BLE001 - any parse/schema problem → the careful path
            pass
    return _read_jsonl_careful(data, path)


def _has_coerced_text(df: pl.DataFrame) -> bool:
    cols = [c for c, t in df.schema.items() if t == pl.Utf8]
    if not cols or df.height == 0:
        return False
    hit = df.select(pl.any_horizontal([pl.col(c).str.contains(r'^\s*[\[{]\s*"').any() for c in cols])).item()
    return bool(hit)


def _read_ndjson_bytes(body: bytes) -> pl.DataFrame:
    """read_ndjson inferring the schema from the first rows, then (if that fails) from all rows."""
    try:
        return pl.read_ndjson(io.BytesIO(body), infer_schema_length=_INFER_ROWS)
    except Exception:  # noqa: BLE001
        return pl.read_ndjson(io.BytesIO(body), infer_schema_length=None)


def _oversized(number: int, size: int, limit: int, raw: bytes | str) -> dict:
    head = raw[: RAW_LIMIT * 4]
    head = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    return {"line": number, "error": f"row of {size:,} bytes exceeds max_row_bytes ({limit:,})", "raw": _truncate(head)}


def _bad_line(number: int, line: bytes | str) -> dict:
    """The quarantine entry for one line, with json.loads' own error message."""
    raw = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    try:
        obj = json.loads(line)
    except RecursionError:
        return {"line": number, "error": "malformed JSON: nested too deeply", "raw": _truncate(raw)}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return {"line": number, "error": f"malformed JSON: {exc}", "raw": _truncate(raw)}
    if not isinstance(obj, dict):
        return {"line": number, "error": f"not a JSON object (got {type(obj).__name__})", "raw": _truncate(raw)}
    return {"line": number, "error": "JSON object the fast reader rejects (e.g. NaN/Infinity)", "raw": _truncate(raw)}


def _read_jsonl_careful(data: bytes, path: Path, max_row_bytes: int | None = None) -> RawTable:
    """Blank lines, malformed lines or lines that are not objects: find them vectorized (polars'
    `json_path_match` gives null for invalid JSON), quarantine them with their line numbers, and
    read the good lines with `read_ndjson`. Only the bad lines go through `json.loads` (for the
    error message). Types polars cannot reconcile → a column-wise build from `json.loads`."""
    parts = data.split(b"\n")
    binary = pl.Series("b", parts, dtype=pl.Binary)
    del parts
    try:
        text = binary.cast(pl.Utf8)  # strict: invalid UTF-8 raises
    except Exception:  # noqa: BLE001
        return _read_jsonl_per_line(data, path, max_row_bytes)
    lines = text.to_frame("l").with_row_index("n", offset=1)
    del text
    huge = pl.col("l").str.len_bytes() > max_row_bytes if max_row_bytes is not None else pl.lit(False)
    lines = lines.with_columns(huge=huge)
    oversized = [
        _oversized(int(n), len(line.encode()), max_row_bytes, line)
        for n, line in lines.filter(pl.col("huge")).select("n", "l").iter_rows()
    ]
    lines = lines.with_columns(pl.when(pl.col("huge")).then(pl.lit("")).otherwise(pl.col("l")).alias("l"))
    lines = lines.with_columns(
        blank=pl.col("l").str.contains(r"^[ \t\r\x0b\x0c]*$") & ~pl.col("huge"),
        obj=pl.col("l").str.contains(r"^[ \t\r\x0b\x0c]*\{") & pl.col("l").str.json_path_match("$").is_not_null(),
    )
    bad_rows = lines.filter(~pl.col("blank") & ~pl.col("obj") & ~pl.col("huge"))
    bad = [_bad_line(int(n), line) for n, line in bad_rows.select("n", "l").iter_rows()]
    bad = sorted(bad + oversized, key=lambda b: b["line"])
    good = lines.filter(pl.col("obj"))
    rows = good["n"].cast(pl.Int64)
    if good.height == 0:
        return RawTable(pl.DataFrame(), [], str(path), bad)
    try:
        body = b"\n".join(binary.filter(lines["obj"]).to_list())
        del binary
        df = _read_ndjson_bytes(body)
        if df.height != good.height or _has_coerced_text(df):
            raise ValueError("row count mismatch or coerced text")
    except Exception:  # noqa: BLE001 - types polars cannot reconcile → build column-wise
        records, keep, more_bad = [], [], []
        for n, line in good.select("n", "l").iter_rows():
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):
                obj = None
            if isinstance(obj, dict):
                records.append(obj)
                keep.append(n)
            else:
                more_bad.append(_bad_line(int(n), line))
        bad = sorted(bad + more_bad, key=lambda b: b["line"])
        df = frame_from_records(records) if records else pl.DataFrame()
        rows = pl.Series(keep, dtype=pl.Int64)
    return RawTable(df, rows, str(path), bad)


def _read_jsonl_per_line(data: bytes, path: Path, max_row_bytes: int | None = None) -> RawTable:
    """Slow, fully Python path for files that are not valid UTF-8 as a whole."""
    good_lines: list[bytes] = []
    good_rows: list[int] = []
    records: list[dict] = []
    bad: list[dict] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        if max_row_bytes is not None and len(line) > max_row_bytes:
            bad.append(_oversized(number, len(line), max_row_bytes, line))
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            bad.append(_bad_line(number, line))
            continue
        if not isinstance(obj, dict):
            bad.append(_bad_line(number, line))
            continue
        good_lines.append(line)
        good_rows.append(number)
        records.append(obj)
    if not good_lines:
        return RawTable(pl.DataFrame(), [], str(path), bad)
    try:
        df = pl.read_ndjson(io.BytesIO(b"\n".join(good_lines)), infer_schema_length=None)
        if df.height != len(good_rows) or _has_coerced_text(df):
            raise ValueError("row count mismatch or coerced text")
    except Exception:  # noqa: BLE001 - types polars cannot reconcile → build column-wise
        df = frame_from_records(records)
    return RawTable(df, good_rows, str(path), bad)


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return "other"


def frame_from_records(records: list[dict]) -> pl.DataFrame:
    """Records with inconsistent value types → a frame; a column with mixed kinds becomes text
    (strings as they are, other values JSON-encoded, so `"['1','2']"`-style handling applies)."""
    keys: dict[str, None] = {}
    for rec in records:
        for k in rec:
            keys.setdefault(k, None)
    columns = {}
    for key in keys:
        values = [rec.get(key) for rec in records]
        kinds = {_kind(v) for v in values} - {"null"}
        if len(kinds) > 1 or kinds & {"other"}:
            values = [v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values]
            columns[key] = pl.Series(key, values, dtype=pl.Utf8)
            continue
        try:
            columns[key] = pl.Series(key, values, strict=False)
        except Exception:  # noqa: BLE001 - nested shapes polars cannot type → JSON text
            columns[key] = pl.Series(
                key, [v if v is None else json.dumps(v, ensure_ascii=False) for v in values], dtype=pl.Utf8
            )
    return pl.DataFrame(columns)


# ----------------------------------------------------------------------------------------- JSON


def read_json(path: Path, *, source: str) -> RawTable:
    try:
        obj = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise SourceError(f"source {source!r}: {path} is not valid JSON: {exc}") from None
    if isinstance(obj, dict):
        if isinstance(obj.get("data"), list):
            obj = obj["data"]
        elif obj and all(isinstance(v, list) for v in obj.values()) and len({len(v) for v in obj.values()}) == 1:
            n = len(next(iter(obj.values())))
            obj = [{k: v[i] for k, v in obj.items()} for i in range(n)]
        else:
            raise SourceError(
                f"source {source!r}: {path}: expected an array of records, {{\"data\": [...]}} or a dict of equal-length columns"
            )
    if not isinstance(obj, list):
        raise SourceError(f"source {source!r}: {path}: expected an array of records")
    records, rows, bad = [], [], []
    for i, rec in enumerate(obj):
        if isinstance(rec, dict):
            records.append(rec)
            rows.append(i)
        else:
            bad.append({"line": i, "error": f"not a JSON object (got {type(rec).__name__})", "raw": _truncate(json.dumps(rec, ensure_ascii=False))})
    return RawTable(frame_from_records(records) if records else pl.DataFrame(), rows, str(path), bad)


# ------------------------------------------------------------------------------------------ CSV


def read_csv(path: Path, *, max_row_bytes: int | None = None) -> RawTable:
    """CSV with a header. A pass with the csv module finds each record's first line (records may
    span lines inside quotes), rows with the wrong number of fields, rows over `max_row_bytes` and
    records the csv module rejects; each is quarantined with its line and the reading goes on.
    polars then reads the good rows."""
    text = path.read_text(encoding="utf-8-sig")
    # the csv module refuses fields over 131,072 characters by default and would end the file
    # there; size is policed per row by max_row_bytes instead
    csv.field_size_limit(max(len(text), 1 << 17))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return RawTable(pl.DataFrame(), [], str(path))
    good: list[list[str]] = []
    rows: list[int] = []
    bad: list[dict] = []
    start = reader.line_num + 1
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            bad.append({"line": start, "error": f"malformed CSV: {exc}", "raw": ""})
            start = reader.line_num + 1
            continue
        if not rec or all(not c.strip() for c in rec):
            pass
        elif max_row_bytes is not None and (size := sum(len(c.encode()) for c in rec)) > max_row_bytes:
            bad.append(_oversized(start, size, max_row_bytes, ",".join(rec)[: RAW_LIMIT * 4]))
        elif len(rec) != len(header):
            bad.append({"line": start, "error": f"expected {len(header)} fields, got {len(rec)}", "raw": _truncate(",".join(rec))})
        else:
            good.append(rec)
            rows.append(start)
        start = reader.line_num + 1
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(good)
    df = pl.read_csv(buf.getvalue().encode(), infer_schema_length=_INFER_ROWS)
    return RawTable(df, rows, str(path), bad)


# --------------------------------------------------------------------------------- Hugging Face


def read_hf(path: str, *, split: str | None, source: str) -> RawTable:
    import datasets  # heavy

    if path.startswith("hf://"):
        ds = datasets.load_dataset(path[len("hf://") :], split=split or "train")
    else:
        ds = datasets.load_from_disk(path)
        if isinstance(ds, datasets.DatasetDict):
            names = list(ds.keys())
            if split is None:
                split = "train" if "train" in names else names[0]
            if split not in ds:
                raise SourceError(f"source {source!r}: split {split!r} not in {path} (has {', '.join(names)})")
            ds = ds[split]
    table = ds.with_format("arrow")[:] if len(ds) else ds.data.table
    df = pl.from_arrow(table)
    if isinstance(df, pl.Series):
        df = df.to_frame()
    return RawTable(df, pl.int_range(0, df.height, eager=True), path)


# ------------------------------------------------------------------------------ the reader registry


@dataclass(frozen=True)
class Reader:
    """One input format: `read(path, *, source, split, max_row_bytes) -> RawTable`, the file
    extensions that select it when a source names no `format`, and whether `path` is local."""

    name: str
    read: Callable[..., RawTable]
    extensions: tuple[str, ...] = ()
    local: bool = True


def _read_parquet(path: str, **_: object) -> RawTable:
    df = pl.read_parquet(path)
    return RawTable(df, pl.int_range(0, df.height, eager=True), path)


#: format name -> reader; `SourceConfig.format` is validated against it. Add a format: write the
#: reader function above and register it here (one entry).
READERS: dict[str, Reader] = {
    r.name: r
    for r in (
        Reader("jsonl", lambda path, *, max_row_bytes, **_: read_jsonl(Path(path), max_row_bytes=max_row_bytes),
               (".jsonl", ".ndjson")),
        Reader("json", lambda path, *, source, **_: read_json(Path(path), source=source), (".json",)),
        Reader("csv", lambda path, *, max_row_bytes, **_: read_csv(Path(path), max_row_bytes=max_row_bytes), (".csv",)),
        Reader("parquet", _read_parquet, (".parquet", ".pq")),
        Reader("hf", lambda path, *, source, split, **_: read_hf(path, split=split, source=source), local=False),
    )
}
