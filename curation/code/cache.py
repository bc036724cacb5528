"""The result cache: one judged outcome per (code hash, tests hash), in SQLite via SQLAlchemy.

`code_hash` = sha256 of the language and the program text; `tests_hash` = sha256 of the test spec
together with everything else that decides the verdict (limits, float tolerance, whether the run
stopped at the first failure, the harness version). Same program, same tests, same judge → the
stored outcome, and nothing is executed again. Infrastructure failures (`sandbox_error`) are not
stored, so a broken sandbox does not poison later runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime, timezone

from sqlalchemy import Column, MetaData, String, Table, Text, select
from sqlalchemy.exc import IntegrityError

from curation.model.store import make_engine

metadata = MetaData()

results_table = Table(
    "code_results",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("tests_hash", String(64), primary_key=True),
    Column("outcome", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)


def code_hash(language: str, code: str) -> str:
    return hashlib.sha256(json.dumps([language, code], ensure_ascii=False).encode("utf-8")).hexdigest()


def tests_hash(tests_json: str, judge: dict) -> str:
    payload = json.dumps([tests_json, judge], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ResultCache:
    """Open (creating the table if needed) the cache at an SQLAlchemy URL."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        metadata.create_all(self.engine)
        self._lock = threading.Lock()

    def lookup(self, keys: list[tuple[str, str]], *, chunk: int = 400) -> dict[tuple[str, str], dict]:
        found: dict[tuple[str, str], dict] = {}
        wanted = list(dict.fromkeys(keys))
        t = results_table.c
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), chunk):
                part = wanted[i : i + chunk]
                codes = {c for c, _ in part}
                for row in conn.execute(select(t.code_hash, t.tests_hash, t.outcome).where(t.code_hash.in_(codes))):
                    key = (row.code_hash, row.tests_hash)
                    if key in part:
                        found[key] = json.loads(row.outcome)
        return found

    def put(self, key: tuple[str, str], outcome: dict) -> None:
        row = {
            "code_hash": key[0],
            "tests_hash": key[1],
            "outcome": json.dumps(outcome, ensure_ascii=False),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        with self._lock, self.engine.begin() as conn:
            try:
                conn.execute(results_table.insert().values(**row))
            except IntegrityError:
                pass  # stored by an earlier or concurrent run: same key, same verdict

    def count(self) -> int:
        from sqlalchemy import func

        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(results_table)).scalar_one()

    def close(self) -> None:
        self.engine.dispose()
