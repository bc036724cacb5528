"""Storage of the review queue: SQLAlchemy Core tables, engine setup and versioned migrations.

SQLite is the default (a file next to the data; WAL journal, busy timeout, `BEGIN IMMEDIATE` so
concurrent writers queue up instead of failing on a lock upgrade). Any SQLAlchemy URL works for a
team (PostgreSQL): the SQL is portable Core with bound parameters only.

Schema migrations are ordered functions in `MIGRATIONS`; `open_engine` applies the missing ones at
open, inside one write transaction, and records each in the `schema_version` table. To change the
schema, append a function (never edit an applied one).

Times are stored as UTC epoch seconds (float): portable, and comparable with an injectable clock.
JSON payloads (snapshot, evidence, audit before/after) are stored as text.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from curation.errors import ReviewError
from curation.io import sqlite_url

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.Float, nullable=False),
)

items = sa.Table(
    "review_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("problem_id", sa.String(200), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    # normalized content (question, answer, choices joined), used to match DataFrame rows by a join
    sa.Column("content_key", sa.Text, nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("snapshot", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("queue_order", sa.Float, nullable=False),
    sa.Column("lease_owner", sa.String(200)),
    sa.Column("lease_expires", sa.Float),
    sa.Column("decision", sa.String(20)),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", sa.Float),
    sa.Column("note", sa.Text),
    sa.Column("edited_question", sa.Text),
    sa.Column("edited_answer", sa.Text),
    sa.Column("queued_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=0),
    # migration 3: the duplicate cluster an item belongs to (conflicting answers), the problem id a
    # "keep one" cluster decision kept instead of it, and that cluster decision
    sa.Column("cluster_key", sa.String(200)),
    sa.Column("duplicate_of", sa.String(200)),
    sa.Column("cluster_decision_id", sa.Integer),
    sa.UniqueConstraint("problem_id", "content_hash", name="uq_review_items_problem_content"),
)

events = sa.Table(
    "review_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id"), nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("before", sa.Text),
    sa.Column("after", sa.Text),
)

# every decision ever made (an item reopened for a second opinion keeps its earlier decisions)
decisions = sa.Table(
    "review_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id"), nullable=False),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("edited_question", sa.Text),
    sa.Column("edited_answer", sa.Text),
    sa.Column("cluster_decision_id", sa.Integer),  # migration 3: taken as part of a cluster decision
)

# a reviewer who skipped an item is not offered it again
skips = sa.Table(
    "review_skips",
    metadata,
    sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id"), primary_key=True),
    sa.Column("reviewer", sa.String(200), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
)


# a decision taken on a whole duplicate cluster with conflicting answers (issue 15): keep one member
# (the others are dropped as its duplicates), "not duplicates" (every member kept; dedup never merges
# them again: `ReviewQueue.distinct_groups`), or drop all. `undone_at` is set when it is taken back.
cluster_decisions = sa.Table(
    "review_cluster_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cluster_key", sa.String(200), nullable=False),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("keep_item_id", sa.Integer),
    sa.Column("keep_problem_id", sa.String(200)),
    # the problem ids of every member the decision covered (JSON list)
    sa.Column("members", sa.Text, nullable=False),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("undone_at", sa.Float),
)


def _index(conn: Connection, name: str, table: str, columns: str) -> None:
    # constant identifiers only (no user input); not attached to the Table objects, so an index
    # belongs to exactly one migration
    conn.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"))


def _m1_initial(conn: Connection) -> None:
    for table in (items, events):
        table.create(conn, checkfirst=True)
    _index(conn, "ix_review_items_claim", "review_items", "status, queue_order")
    _index(conn, "ix_review_items_problem", "review_items", "problem_id")
    _index(conn, "ix_review_events_item", "review_events", "item_id, id")


def _m2_decisions_and_skips(conn: Connection) -> None:
    for table in (decisions, skips):
        table.create(conn, checkfirst=True)
    _index(conn, "ix_review_decisions_at", "review_decisions", "at")
    _index(conn, "ix_review_decisions_item", "review_decisions", "item_id")
    _index(conn, "ix_review_events_at", "review_events", "at")


def _m3_cluster_decisions(conn: Connection) -> None:
    # columns added with ALTER TABLE (portable: nullable, no default) to tables an older curate
    # created; a new database got them from the Table objects in migrations 1 and 2
    for table, name, kind in (
        ("review_items", "cluster_key", "VARCHAR(200)"),
        ("review_items", "duplicate_of", "VARCHAR(200)"),
        ("review_items", "cluster_decision_id", "INTEGER"),
        ("review_decisions", "cluster_decision_id", "INTEGER"),
    ):
        if name not in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))
    cluster_decisions.create(conn, checkfirst=True)
    _index(conn, "ix_review_items_cluster", "review_items", "cluster_key")
    _index(conn, "ix_review_cluster_decisions_key", "review_cluster_decisions", "cluster_key")


def _m4_cluster_keys_of_older_items(conn: Connection) -> None:
    # items queued before migration 3: their cluster from the snapshot, so an open conflicting cluster
    # is decided as a whole after the upgrade too (members decided one by one before stay as they are)
    rows = conn.execute(
        sa.text("SELECT id, snapshot FROM review_items WHERE reason = 'conflicting_answers' AND cluster_key IS NULL")
    ).all()
    for item_id, snapshot in rows:
        record = loads(snapshot) or {}
        if record.get("conflicting_answers") and record.get("cluster_id"):
            conn.execute(
                sa.text("UPDATE review_items SET cluster_key = :key WHERE id = :id"),
                {"key": str(record["cluster_id"])[:200], "id": item_id},
            )


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("initial items and events", _m1_initial),
    ("decision history and per-reviewer skips", _m2_decisions_and_skips),
    ("cluster decisions on conflicting duplicate clusters", _m3_cluster_decisions),
    ("cluster keys of items queued before cluster decisions", _m4_cluster_keys_of_older_items),
]
SCHEMA_VERSION = len(MIGRATIONS)




def _sqlite_setup(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # take transaction control away from the sqlite3 module so BEGIN IMMEDIATE can be emitted
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # take the write lock at the start: no SQLITE_BUSY on a read→write lock upgrade mid-transaction
        # (read-only connections opened with execution option review_read=True use a plain BEGIN)
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("review_read") else "BEGIN IMMEDIATE")


def open_engine(url: str, *, clock: Callable[[], float] = time.time) -> Engine:
    """Create the engine for `url` and bring its schema to the current version."""
    url = sqlite_url(url)
    try:
        engine = sa.create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise ReviewError(f"review database URL {url!r} is not usable: {exc}") from None
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    try:
        migrate(engine, clock=clock)
    except sa.exc.OperationalError as exc:
        raise ReviewError(f"cannot open review database {url!r}: {exc.orig}") from None
    return engine


def migrate(engine: Engine, *, clock: Callable[[], float] = time.time) -> int:
    """Apply missing migrations in order (one transaction); return the schema version."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(74221108)"))
        schema_version.create(conn, checkfirst=True)
        current = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0
        if current > SCHEMA_VERSION:
            raise ReviewError(
                f"review database schema version {current} is newer than this curate ({SCHEMA_VERSION}); upgrade curate"
            )
        for version, (name, step) in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            step(conn)
            conn.execute(schema_version.insert().values(version=version, name=name, applied_at=clock()))
    return SCHEMA_VERSION


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
