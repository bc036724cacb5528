"""The response store: every sample persisted as it arrives, so runs resume and reruns are free.

SQLite through SQLAlchemy 2 by default (WAL, synchronous=NORMAL); any SQLAlchemy URL works.

Tables
- `samples`  one row per sample, primary key = `sample_key(model, messages, params, index)`
  (sha256 of the model, the rendered prompt, the sampling parameters and the sample index): text,
  finish_reason, latency, the request it came from, the run that fetched it.
- `requests` one row per HTTP attempt: endpoint (credentials stripped), n asked, choices returned,
  prompt/completion tokens *as the server reported them for that request* (some servers count one
  choice only on n>1 requests), latency, ok/error and the error kind.
- `runs`     one row per grading run: items, samples needed, cache hits, requests, new samples,
  failures, retries, tokens.

Writes go through one writer thread that drains a queue and commits whatever has accumulated in
one transaction, so a burst of samples costs one commit, and the event loop never waits on disk.
`flush()` waits for the queue; `close()` flushes and stops the writer (also on cancellation), so a
cancelled or interrupted run keeps everything received; a hard kill can lose only the samples of
the commit in progress (they are simply re-requested on the next run).

Nothing secret is ever written: no API key, no headers, endpoint URLs without user:password@.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import socket
import sqlite3
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)

metadata = MetaData()

samples_table = Table(
    "samples",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("model", String(200), nullable=False),
    Column("prompt_hash", String(64), nullable=False, index=True),
    Column("sample_index", Integer, nullable=False),
    Column("params", Text, nullable=False),
    Column("text", Text),
    Column("finish_reason", String(40)),
    Column("latency_ms", Float),
    Column("request_n", Integer),
    Column("request_id", String(32)),
    Column("run_id", String(32), index=True),
    Column("created_at", String(40)),
)

requests_table = Table(
    "requests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("run_id", String(32), index=True),
    Column("endpoint", String(500)),
    Column("model", String(200)),
    Column("n", Integer),
    Column("returned", Integer),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("latency_ms", Float),
    Column("status", String(10)),
    Column("error", Text),
    Column("attempt", Integer),
    Column("created_at", String(40)),
)

runs_table = Table(
    "runs",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("started_at", String(40)),
    Column("finished_at", String(40)),
    Column("status", String(20)),
    Column("endpoint", String(500)),
    Column("model", String(200)),
    Column("params", Text),
    Column("items", Integer),
    Column("samples_needed", Integer),
    Column("cache_hits", Integer),
    Column("requests", Integer),
    Column("new_samples", Integer),
    Column("failed_samples", Integer),
    Column("retries", Integer),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("unscored_items", Integer),
    # which process runs it: a run left `running` by a process that no longer exists (kill -9,
    # power loss) is marked `interrupted` by the next run on the same host
    Column("pid", Integer),
    Column("host", String(200)),
)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def prompt_hash(model: str, messages: list[dict], params: dict) -> str:
    payload = json.dumps({"model": model, "messages": messages, "params": params}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def sample_key(model: str, messages: list[dict], params: dict, index: int) -> str:
    """Cache key of one sample: hash of (model, rendered prompt, sampling parameters, sample index)."""
    return hashlib.sha256(f"{prompt_hash(model, messages, params)}:{index}".encode()).hexdigest()


def key_from_prompt_hash(phash: str, index: int) -> str:
    return hashlib.sha256(f"{phash}:{index}".encode()).hexdigest()


def make_engine(url: str):
    """An engine for `url`; SQLite files get WAL, NORMAL sync and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            # switching a new file to WAL needs a moment alone with it and, unlike writes, does
            # not wait on the busy timeout: retry briefly (WAL is a property of the file, so a
            # concurrent process that wins sets it for everyone)
            for attempt in range(50):
                try:
                    cur.execute("PRAGMA journal_mode=WAL")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or attempt == 49:
                        raise
                    time.sleep(0.05)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _insert_ignore(engine, table):
    name = engine.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert

        return dialect_insert(table).on_conflict_do_nothing()
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert

        return dialect_insert(table).on_conflict_do_nothing()
    return insert(table)


class ResponseStore:
    """Open (creating tables if needed) a store at `url`; use as a context manager."""

    _STOP = object()

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        create_schema(self.engine)
        self._queue: queue.Queue = queue.Queue()
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None
        self.written_samples = 0
        self.written_requests = 0

    # -- reads ---------------------------------------------------------------------------------
    def lookup(self, keys: Iterable[str], *, chunk: int = 500) -> dict[str, dict]:
        """Stored samples among `keys`: {key: {text, finish_reason, ...}}."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, dict] = {}
        cols = [samples_table.c.key, samples_table.c.text, samples_table.c.finish_reason, samples_table.c.sample_index]
        with self.engine.connect() as conn:
            for i in range(0, len(keys), chunk):
                part = keys[i : i + chunk]
                for row in conn.execute(select(*cols).where(samples_table.c.key.in_(part))):
                    found[row.key] = {"text": row.text, "finish_reason": row.finish_reason, "index": row.sample_index}
        return found

    # -- writes --------------------------------------------------------------------------------
    def start(self) -> "ResponseStore":
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="model-store-writer", daemon=True)
            self._writer.start()
        return self

    def put_sample(self, row: dict) -> None:
        row.setdefault("created_at", _now())
        self._queue.put(("s", row))

    def put_samples(self, rows: list[dict]) -> None:
        """Queue several samples as one queue item (one lock round trip per item, not per sample)."""
        if rows:
            now = _now()
            for row in rows:
                row.setdefault("created_at", now)
            self._queue.put(("S", rows))

    def put_request(self, row: dict) -> None:
        row.setdefault("created_at", _now())
        self._queue.put(("r", row))

    def flush(self) -> None:
        if self._writer is not None:
            self._queue.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        if self._writer is not None:
            self._queue.put((self._STOP, None))
            self._writer.join()
            self._writer = None
        self.engine.dispose()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> "ResponseStore":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def _write_loop(self) -> None:
        write_samples = self._batch_writer(samples_table)
        write_requests = self._batch_writer(requests_table)
        stop = False
        while not stop:
            first = self._queue.get()
            batch = [first]
            while len(batch) < 5000:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            samples = []
            for kind, item in batch:
                if kind == "s":
                    samples.append(item)
                elif kind == "S":
                    samples.extend(item)
            reqs = [row for kind, row in batch if kind == "r"]
            stop = any(kind is self._STOP for kind, _ in batch)
            try:
                if samples or reqs:
                    with self.engine.begin() as conn:
                        if samples:
                            write_samples(conn, samples)
                        if reqs:
                            write_requests(conn, reqs)
                    self.written_samples += len(samples)
                    self.written_requests += len(reqs)
            except BaseException as exc:  # surfaced by flush()/close()
                self._error = exc
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _batch_writer(self, table):
        """`write(conn, rows)`: insert rows, ignoring keys already stored.

        SQLite gets one plain DBAPI executemany of a prepared INSERT ... ON CONFLICT DO NOTHING
        (the same statement SQLAlchemy would compile, without its per-row parameter processing:
        this thread shares the GIL with the event loop, so its CPU is the loop's latency); other
        databases go through SQLAlchemy Core.
        """
        if self.engine.dialect.name == "sqlite":
            names = [c.name for c in table.columns]
            sql = (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                   "ON CONFLICT DO NOTHING")

            def write(conn, rows):
                conn.exec_driver_sql(sql, [tuple(map(row.get, names)) for row in rows])

            return write
        stmt = _insert_ignore(self.engine, table)

        def write(conn, rows):
            conn.execute(stmt, rows)

        return write

    # -- runs ----------------------------------------------------------------------------------
    def begin_run(self, *, endpoint: str | None, model: str, params: dict, items: int, samples_needed: int,
                  cache_hits: int) -> str:
        run_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            _mark_dead_runs(conn)
            conn.execute(
                insert(runs_table).values(
                    pid=os.getpid(),
                    host=socket.gethostname(),
                    run_id=run_id,
                    started_at=_now(),
                    status="running",
                    endpoint=endpoint,
                    model=model,
                    params=json.dumps(params, sort_keys=True),
                    items=items,
                    samples_needed=samples_needed,
                    cache_hits=cache_hits,
                )
            )
        return run_id

    def end_run(self, run_id: str, *, status: str, **counts: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(runs_table).where(runs_table.c.run_id == run_id).values(finished_at=_now(), status=status, **counts))


def create_schema(engine) -> None:
    """Create the tables, their indexes and columns added since, where missing.

    `CREATE ... IF NOT EXISTS` makes this safe when several processes open a new store at once
    (check-then-create raced: the loser failed with "table already exists"); adding a column
    another process just added is ignored the same way.
    """
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.schema import CreateIndex, CreateTable

    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            conn.execute(CreateTable(table, if_not_exists=True))
            for index in table.indexes:
                conn.execute(CreateIndex(index, if_not_exists=True))
    try:
        _add_missing_columns(engine, runs_table)
    except OperationalError as exc:
        if "duplicate column" not in str(exc).lower():
            raise


def _add_missing_columns(engine, table) -> None:
    """Stores written by an older curate lack newer nullable columns: add them (SQLite and others)."""
    from sqlalchemy import inspect

    have = {c["name"] for c in inspect(engine).get_columns(table.name)}
    missing = [c for c in table.columns if c.name not in have]
    if missing:
        with engine.begin() as conn:
            for col in missing:
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {col.name} {col.type.compile(engine.dialect)}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _mark_dead_runs(conn) -> None:
    host = socket.gethostname()
    rows = conn.execute(
        select(runs_table.c.run_id, runs_table.c.pid, runs_table.c.host).where(runs_table.c.status == "running")
    ).all()
    dead = [r.run_id for r in rows if r.pid is None or (r.host == host and not _pid_alive(r.pid))]
    if dead:
        conn.execute(update(runs_table).where(runs_table.c.run_id.in_(dead)).values(status="interrupted"))


def store_stats(url: str, *, last_runs: int = 5) -> dict:
    """Totals of a response store, for `curate stats`.

    {"url", "samples", "requests", "requests_ok", "requests_failed", "prompt_tokens",
     "completion_tokens", "errors": {kind: count}, "models": {model: samples},
     "runs": count, "cache_hits": of the last run, "last_runs": [per-run dicts, newest first]}
    Tokens are as the servers reported them per request (see module docstring).
    """
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    empty = {"url": _redact_db_url(url), "samples": 0, "requests": 0, "requests_ok": 0, "requests_failed": 0,
             "prompt_tokens": 0, "completion_tokens": 0, "errors": {}, "models": {}, "runs": 0,
             "cache_hits": 0, "last_runs": []}
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not os.path.exists(parsed.database):  # read-only: never create a store file here
            return empty
    engine = make_engine(url)
    try:
        found = inspect(engine)
        if not found.has_table(samples_table.name):
            return empty
        # a store written by an older curate may lack newer run columns: read the ones it has
        run_cols = [runs_table.c[c["name"]] for c in found.get_columns(runs_table.name) if c["name"] in runs_table.c]
        with engine.connect() as conn:
            samples = conn.execute(select(func.count()).select_from(samples_table)).scalar_one()
            models = {
                r[0]: r[1]
                for r in conn.execute(select(samples_table.c.model, func.count()).group_by(samples_table.c.model))
            }
            req = conn.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(requests_table.c.prompt_tokens), 0),
                    func.coalesce(func.sum(requests_table.c.completion_tokens), 0),
                )
            ).one()
            ok = conn.execute(
                select(func.count()).select_from(requests_table).where(requests_table.c.status == "ok")
            ).scalar_one()
            errors: dict[str, int] = {}
            for err, count in conn.execute(
                select(requests_table.c.error, func.count())
                .where(requests_table.c.status != "ok")
                .group_by(requests_table.c.error)
            ):
                kind = (err or "unknown").split(":", 1)[0]
                errors[kind] = errors.get(kind, 0) + count
            runs = conn.execute(select(func.count()).select_from(runs_table)).scalar_one()
            last = [
                dict(r._mapping)
                for r in conn.execute(select(*run_cols).order_by(runs_table.c.started_at.desc()).limit(last_runs))
            ]
    finally:
        engine.dispose()
    for r in last:
        r.pop("params", None)
    return {
        "url": _redact_db_url(url),
        "samples": samples,
        "requests": req[0],
        "requests_ok": ok,
        "requests_failed": req[0] - ok,
        "prompt_tokens": int(req[1]),
        "completion_tokens": int(req[2]),
        "errors": errors,
        "models": models,
        "runs": runs,
        "cache_hits": (last[0]["cache_hits"] or 0) if last else 0,
        "last_runs": last,
    }


def _redact_db_url(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url

