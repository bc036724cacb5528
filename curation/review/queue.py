"""The review queue: item lifecycle, leases and the audit trail.

Lifecycle of an item (one row of `review_items`, keyed by problem id + content hash):

    pending ──claim──▶ claimed ──decide──▶ accepted | edited | rejected     (final)
       ▲                 │  └──skip──▶ skipped  (back in the queue, behind the others)
       │                 └──release / lease expiry──▶ pending
       └──────────────── reopen (a second opinion) ◀── any decided or skipped item

* **Claiming** is one conditional UPDATE (`... WHERE id = :candidate AND <still claimable>`) whose
  rowcount is checked, inside a write transaction (`BEGIN IMMEDIATE` on SQLite, `FOR UPDATE SKIP
  LOCKED` on PostgreSQL): two reviewers never hold the same item. A claimed item whose lease has
  expired is claimable again. A reviewer who still holds a live lease gets that item back from
  `claim_next` (renewed) instead of hoarding a second one.
* **Deciding** requires the caller to hold a live lease on the item. A decision on an item whose
  lease expired, was reclaimed by someone else, or was never held raises `ReviewError` naming the
  reason; nothing is written.
* **Skipped** means "not me": the item goes back to the queue behind everything queued so far, is
  never offered again to the reviewer who skipped it, and stays out of the training export
  (`apply_review_decisions` reports it as `pending`) until another reviewer decides it.
* **Superseded**: when the pipeline queues a changed problem (same problem id, new content hash),
  undecided items for the old content are marked `superseded` (a `requeued` event links them).
* Every change writes an event (`queued`, `claimed`, `released`, `decided`, `edited`, `requeued`)
  with actor, time, and the item's state before and after, in the same transaction.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional

import sqlalchemy as sa

from curation.errors import ReviewError
from curation.io import sqlite_url
from curation.review import store
from curation.review.store import cluster_decisions, decisions, events, items, skips

PENDING, CLAIMED, SKIPPED, SUPERSEDED = "pending", "claimed", "skipped", "superseded"
ACCEPTED, EDITED, REJECTED = "accepted", "edited", "rejected"
# a member a "keep one" cluster decision dropped in favour of the kept member (`duplicate_of`)
DUPLICATE = "duplicate"
FINAL = (ACCEPTED, EDITED, REJECTED, DUPLICATE)
OPEN = (PENDING, CLAIMED, SKIPPED)
STATUSES = (PENDING, CLAIMED, ACCEPTED, EDITED, REJECTED, DUPLICATE, SKIPPED, SUPERSEDED)
DECISIONS = (ACCEPTED, EDITED, REJECTED, SKIPPED)
# decisions on a whole duplicate cluster with conflicting answers (see `ReviewQueue.decide_cluster`)
KEEP_ONE, NOT_DUPLICATES, DROP_ALL = "keep_one", "not_duplicates", "drop_all"
CLUSTER_DECISIONS = (KEEP_ONE, NOT_DUPLICATES, DROP_ALL)
_CLUSTER_ALIASES = {"keep": KEEP_ONE, "keep-one": KEEP_ONE, "not-duplicates": NOT_DUPLICATES, "drop-all": DROP_ALL}
EVENT_KINDS = ("queued", "claimed", "released", "decided", "edited", "requeued")

_STATE_FIELDS = (
    "status",
    "lease_owner",
    "lease_expires",
    "decision",
    "decided_by",
    "decided_at",
    "note",
    "edited_question",
    "edited_answer",
    "queue_order",
    "duplicate_of",
    "cluster_decision_id",
)

KEY_SEP = "\x1e"
CHOICE_SEP = "\x1f"


def content_key(question: str | None, answer: str | None, choices: Iterable[str] | None) -> str:
    """The normalized content an item is matched on (the same string `apply` builds with polars)."""
    return (question or "") + KEY_SEP + (answer or "") + KEY_SEP + CHOICE_SEP.join(choices or [])


def content_hash(question: str | None, answer: str | None, choices: Iterable[str] | None) -> str:
    """sha256 (hex) of question + answer + choices: a changed problem gets a new queue item."""
    return hashlib.sha256(content_key(question, answer, choices).encode("utf-8")).hexdigest()


@dataclass
class ReviewItem:
    """One queue item as read from the store."""

    id: int
    problem_id: str
    content_hash: str
    reason: str
    status: str
    snapshot: dict[str, Any]
    evidence: dict[str, Any]
    queue_order: float
    queued_at: float
    updated_at: float
    lease_owner: Optional[str] = None
    lease_expires: Optional[float] = None
    decision: Optional[str] = None
    decided_by: Optional[str] = None
    decided_at: Optional[float] = None
    note: Optional[str] = None
    edited_question: Optional[str] = None
    edited_answer: Optional[str] = None
    version: int = 0
    cluster_key: Optional[str] = None
    duplicate_of: Optional[str] = None
    cluster_decision_id: Optional[int] = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def question(self) -> str:
        return self.snapshot.get("question") or ""

    @property
    def answer(self) -> Optional[str]:
        return self.snapshot.get("answer")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Hot-path statements, built once (bound parameters only; SQLAlchemy caches their compiled form).
_B = sa.bindparam


def _claimable_at(now: Any) -> Any:
    return sa.or_(
        items.c.status.in_((PENDING, SKIPPED)),
        sa.and_(items.c.status == CLAIMED, items.c.lease_expires < now),
    )


_SEL_ITEM = sa.select(items).where(items.c.id == _B("b_id"))
_SEL_ITEM_LOCK = _SEL_ITEM.with_for_update()
_SEL_HELD = (
    sa.select(items)
    .where(items.c.status == CLAIMED, items.c.lease_owner == _B("b_reviewer"), items.c.lease_expires >= _B("b_now"))
    .order_by(items.c.queue_order, items.c.id)
    .limit(1)
)
_NOT_SKIPPED = ~sa.exists().where(skips.c.item_id == items.c.id, skips.c.reviewer == _B("b_reviewer"))
_SEL_CANDIDATE = (
    sa.select(items)
    .where(_claimable_at(_B("b_now")), _NOT_SKIPPED)
    .order_by(items.c.queue_order, items.c.id)
    .limit(1)
    .with_for_update(skip_locked=True)
)
_SEL_CANDIDATE_REASON = _SEL_CANDIDATE.where(items.c.reason == _B("b_reason"))
_UPD_CLAIM = (
    items.update()
    .where(items.c.id == _B("b_id"), _claimable_at(_B("b_now")))
    .values(
        status=CLAIMED,
        lease_owner=_B("b_reviewer"),
        lease_expires=_B("b_expires"),
        updated_at=_B("b_now"),
        version=items.c.version + 1,
    )
)
_INS_EVENT = events.insert()
_INS_DECISION = decisions.insert()


def _item_from_row(row: Any) -> ReviewItem:
    m = row._mapping
    return ReviewItem(
        id=m["id"],
        problem_id=m["problem_id"],
        content_hash=m["content_hash"],
        reason=m["reason"],
        status=m["status"],
        snapshot=store.loads(m["snapshot"]) or {},
        evidence=store.loads(m["evidence"]) or {},
        queue_order=m["queue_order"],
        queued_at=m["queued_at"],
        updated_at=m["updated_at"],
        lease_owner=m["lease_owner"],
        lease_expires=m["lease_expires"],
        decision=m["decision"],
        decided_by=m["decided_by"],
        decided_at=m["decided_at"],
        note=m["note"],
        edited_question=m["edited_question"],
        edited_answer=m["edited_answer"],
        version=m["version"],
        cluster_key=m["cluster_key"],
        duplicate_of=m["duplicate_of"],
        cluster_decision_id=m["cluster_decision_id"],
    )


def _state(row: Any) -> dict[str, Any]:
    m = row._mapping if hasattr(row, "_mapping") else row
    return {k: m[k] for k in _STATE_FIELDS}


def _fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def _cluster_key_of(problem: dict[str, Any]) -> str | None:
    """The duplicate cluster a queued record belongs to: its `cluster_id` when dedup found the
    cluster's answers in conflict (the members are decided together), else None."""
    if problem.get("conflicting_answers") and problem.get("cluster_id"):
        return str(problem["cluster_id"])[:200]
    return None


def _check_reviewer(reviewer: str) -> str:
    name = (reviewer or "").strip()
    if not name:
        raise ReviewError("a reviewer name is required (--reviewer NAME, or the name field on the page)")
    if len(name) > 200:
        raise ReviewError("reviewer name is longer than 200 characters")
    return name


class ReviewQueue:
    """The human review queue stored in a database.

    `url` is a SQLAlchemy URL (`sqlite:///out/review.sqlite`, `postgresql+psycopg://...`) or a path
    to a SQLite file. The schema is created or migrated at open. `clock` (epoch seconds) is
    injectable for tests of lease expiry.
    """

    def __init__(
        self,
        url: str,
        *,
        lease_seconds: int = 900,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if lease_seconds <= 0:
            raise ReviewError(f"lease_seconds must be positive, got {lease_seconds}")
        self.url = sqlite_url(url)
        self.lease_seconds = int(lease_seconds)
        self.clock = clock
        self.engine = store.open_engine(self.url, clock=clock)

        # SQLite has one writer at a time: threads of this process queue on a lock (woken at once)
        # instead of polling SQLite's busy handler; other processes still wait via busy_timeout
        self._write_lock = threading.Lock() if self.engine.dialect.name == "sqlite" else None

    @contextmanager
    def _tx(self) -> Iterator[sa.Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite)."""
        try:
            if self._write_lock is None:
                with self.engine.begin() as conn:
                    yield conn
                return
            with self._write_lock, self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as exc:
            raise ReviewError(f"review database error (nothing was applied): {exc.orig}") from exc

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """A read-only connection (a deferred transaction on SQLite: does not take the write lock)."""
        with self.engine.connect() as conn:
            conn.execution_options(review_read=True)
            yield conn

    def __repr__(self) -> str:
        return f"ReviewQueue({self.engine.url.render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "ReviewQueue":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ----------------------------------------------------------------- internals
    def _event(self, conn: sa.Connection, item_id: int, kind: str, actor: str, before: Any, after: Any, at: float) -> None:
        conn.execute(
            _INS_EVENT,
            {
                "item_id": item_id,
                "event": kind,
                "actor": actor,
                "at": at,
                "before": None if before is None else store.dumps(before),
                "after": None if after is None else store.dumps(after),
            },
        )

    def _row(self, conn: sa.Connection, item_id: int, *, lock: bool = False) -> Any:
        return conn.execute(_SEL_ITEM_LOCK if lock else _SEL_ITEM, {"b_id": item_id}).first()

    def _update(self, conn: sa.Connection, row: Any, where: Any, **values: Any) -> dict[str, Any]:
        """Conditional update of one item (also on its version); returns the new state or raises."""
        values["version"] = row.version + 1
        result = conn.execute(
            items.update().where(items.c.id == row.id, items.c.version == row.version, where).values(**values)
        )
        if result.rowcount != 1:
            raise ReviewError(f"review item {row.id} changed concurrently; nothing was applied, try again")
        after = _state(row)
        after.update({k: v for k, v in values.items() if k in _STATE_FIELDS})
        return after

    # ----------------------------------------------------------------- queueing
    def enqueue(
        self,
        problem: dict[str, Any],
        reason: str,
        *,
        evidence: dict[str, Any] | None = None,
        actor: str = "pipeline",
    ) -> tuple[int, bool]:
        """Queue one problem record; returns (item id, newly queued). Idempotent by id + content."""
        ((item_id, new),) = self.enqueue_many([(problem, reason, evidence or {})], actor=actor)
        return item_id, new

    def enqueue_many(
        self,
        records: Iterable[tuple[dict[str, Any], str, dict[str, Any]]],
        *,
        actor: str = "pipeline",
    ) -> list[tuple[int, bool]]:
        """Queue many (record, reason, evidence) in one transaction; returns (item id, new) each.

        A record whose (id, content hash) is already queued (in any status) is not queued again.
        Undecided items of the same problem id with different content become `superseded`.
        """
        prepared = []
        for problem, reason, evidence in records:
            pid = problem.get("id")
            if not pid:
                raise ReviewError("cannot queue a record without an `id`")
            if not reason:
                raise ReviewError(f"cannot queue problem {pid}: empty review reason")
            q, a, ch = problem.get("question"), problem.get("answer"), problem.get("choices")
            prepared.append((str(pid), content_hash(q, a, ch), content_key(q, a, ch), str(reason), problem, evidence or {}))
        prepared = [(*p, _cluster_key_of(p[4])) for p in prepared]
        if not prepared:
            return []
        out: list[tuple[int, bool]] = []
        with self._tx() as conn:
            existing: dict[tuple[str, str], int] = {}
            open_by_problem: dict[str, list[Any]] = defaultdict(list)
            pids = sorted({p[0] for p in prepared})
            for start in range(0, len(pids), 500):
                chunk = pids[start : start + 500]
                for row in conn.execute(sa.select(items).where(items.c.problem_id.in_(chunk))):
                    existing[(row.problem_id, row.content_hash)] = row.id
                    if row.status in OPEN:
                        open_by_problem[row.problem_id].append(row)
            now = self.clock()
            for i, (pid, chash, ckey, reason, problem, evidence, cluster_key) in enumerate(prepared):
                if (pid, chash) in existing:
                    out.append((existing[(pid, chash)], False))
                    continue
                values = dict(
                    problem_id=pid,
                    content_hash=chash,
                    content_key=ckey,
                    reason=reason,
                    snapshot=store.dumps(problem),
                    evidence=store.dumps(evidence),
                    status=PENDING,
                    queue_order=now + i * 1e-6,
                    queued_at=now,
                    updated_at=now,
                    version=0,
                    cluster_key=cluster_key,
                )
                new_id = conn.execute(items.insert().values(**values)).inserted_primary_key[0]
                existing[(pid, chash)] = new_id
                self._event(conn, new_id, "queued", actor, None, {k: values.get(k) for k in _STATE_FIELDS} | {"reason": reason}, now)
                for old in open_by_problem.pop(pid, []):
                    after = self._update(
                        conn, old, items.c.status.in_(OPEN), status=SUPERSEDED, lease_owner=None, lease_expires=None, updated_at=now
                    )
                    after["superseded_by"] = new_id
                    self._event(conn, old.id, "requeued", actor, _state(old), after, now)
                out.append((new_id, True))
        return out

    # ----------------------------------------------------------------- leases
    def claim_next(self, reviewer: str, *, reason: str | None = None) -> ReviewItem | None:
        """Claim the next item for `reviewer` (atomic, with a lease); None when nothing is left.

        A reviewer already holding a live lease gets that item back, with the lease renewed.
        """
        reviewer = _check_reviewer(reviewer)
        for _attempt in range(50):
            with self._tx() as conn:
                now = self.clock()
                held = conn.execute(_SEL_HELD, {"b_reviewer": reviewer, "b_now": now}).first()
                if held is not None:
                    self._update(conn, held, items.c.lease_owner == reviewer, lease_expires=now + self.lease_seconds, updated_at=now)
                    return self.get(held.id, conn=conn)
                params = {"b_reviewer": reviewer, "b_now": now}
                if reason:
                    candidate = conn.execute(_SEL_CANDIDATE_REASON, params | {"b_reason": reason}).first()
                else:
                    candidate = conn.execute(_SEL_CANDIDATE, params).first()
                if candidate is None:
                    return None
                item = self._claim_row(conn, candidate, reviewer, now)
                if item is not None:
                    return item
        raise ReviewError("could not claim an item: the queue is under heavy contention, try again")

    def claim(self, item_id: int, reviewer: str) -> ReviewItem:
        """Claim one specific item (pending, skipped, expired, or already yours)."""
        reviewer = _check_reviewer(reviewer)
        with self._tx() as conn:
            now = self.clock()
            row = self._row(conn, item_id, lock=True)
            if row is None:
                raise ReviewError(f"no review item {item_id}")
            if row.status == CLAIMED and row.lease_owner == reviewer and row.lease_expires >= now:
                self._update(conn, row, items.c.lease_owner == reviewer, lease_expires=now + self.lease_seconds, updated_at=now)
                return self.get(item_id, conn=conn)
            if row.status == CLAIMED and row.lease_expires >= now:
                raise ReviewError(f"review item {item_id} is claimed by {row.lease_owner} until {_fmt_time(row.lease_expires)}")
            if row.status not in (PENDING, SKIPPED, CLAIMED):
                raise ReviewError(f"review item {item_id} is {row.status}; reopen it first (curate review reopen {item_id})")
            item = self._claim_row(conn, row, reviewer, now)
            if item is None:
                raise ReviewError(f"review item {item_id} was claimed concurrently; try again")
            return item

    def _claim_row(self, conn: sa.Connection, row: Any, reviewer: str, now: float, *, siblings: bool = True) -> ReviewItem | None:
        result = conn.execute(
            _UPD_CLAIM, {"b_id": row.id, "b_now": now, "b_reviewer": reviewer, "b_expires": now + self.lease_seconds}
        )
        if result.rowcount != 1:
            return None  # somebody else got it first: the caller retries with the next candidate
        before = _state(row)
        if row.status == CLAIMED:  # an expired lease: record that the previous holder lost it
            released = dict(before, status=PENDING, lease_owner=None, lease_expires=None)
            self._event(conn, row.id, "released", "system:lease-expired", before, released, now)
            before = released
        after = dict(before, status=CLAIMED, lease_owner=reviewer, lease_expires=now + self.lease_seconds)
        self._event(conn, row.id, "claimed", reviewer, before, after, now)
        if not siblings:
            return None
        if row.cluster_key is not None:
            # a conflicting cluster is decided as a whole: its open members go to the same reviewer
            for sib in self._siblings(conn, row):
                if sib.status in (PENDING, SKIPPED) or (sib.status == CLAIMED and sib.lease_expires < now):
                    self._claim_row(conn, sib, reviewer, now, siblings=False)
        return self.get(row.id, conn=conn)

    def _siblings(self, conn: sa.Connection, row: Any) -> list[Any]:
        """The other items of `row`'s conflicting cluster (not superseded), locked, in queue order."""
        if row.cluster_key is None:
            return []
        q = (
            sa.select(items)
            .where(items.c.cluster_key == row.cluster_key, items.c.id != row.id, items.c.status != SUPERSEDED)
            .order_by(items.c.queue_order, items.c.id)
            .with_for_update()
        )
        return list(conn.execute(q))

    def renew(self, item_id: int, reviewer: str) -> ReviewItem:
        """Extend a live lease held by `reviewer`."""
        reviewer = _check_reviewer(reviewer)
        with self._tx() as conn:
            now = self.clock()
            row = self._held_row(conn, item_id, reviewer, now, action="renew")
            self._update(conn, row, items.c.lease_owner == reviewer, lease_expires=now + self.lease_seconds, updated_at=now)
            return self.get(item_id, conn=conn)

    def release(self, item_id: int, reviewer: str) -> ReviewItem:
        """Give a claimed item back to the queue (same place in line)."""
        reviewer = _check_reviewer(reviewer)
        with self._tx() as conn:
            now = self.clock()
            row = self._held_row(conn, item_id, reviewer, now, action="release")
            after = self._update(
                conn,
                row,
                sa.and_(items.c.status == CLAIMED, items.c.lease_owner == reviewer),
                status=PENDING,
                lease_owner=None,
                lease_expires=None,
                updated_at=now,
            )
            self._event(conn, item_id, "released", reviewer, _state(row), after, now)
            self._release_siblings(conn, row, reviewer, now)
            return self.get(item_id, conn=conn)

    def _release_siblings(self, conn: sa.Connection, row: Any, reviewer: str, now: float, *, skip: bool = False) -> None:
        """Give back the other members of `row`'s cluster that `reviewer` holds (they were claimed
        with it); with `skip`, as skipped by `reviewer` (behind the queue, not offered to them again)."""
        for sib in self._siblings(conn, row):
            if not (sib.status == CLAIMED and sib.lease_owner == reviewer):
                continue
            values: dict[str, Any] = dict(status=SKIPPED if skip else PENDING, lease_owner=None, lease_expires=None, updated_at=now)
            if skip:
                values["queue_order"] = now
            after = self._update(conn, sib, items.c.status == CLAIMED, **values)
            self._event(conn, sib.id, "decided" if skip else "released", reviewer, _state(sib), after, now)
            if skip and conn.execute(
                sa.select(skips.c.item_id).where(skips.c.item_id == sib.id, skips.c.reviewer == reviewer)
            ).first() is None:
                conn.execute(skips.insert().values(item_id=sib.id, reviewer=reviewer, at=now))

    def _held_row(self, conn: sa.Connection, item_id: int, reviewer: str, now: float, *, action: str) -> Any:
        """The item row if `reviewer` holds a live lease on it; else a ReviewError saying why not."""
        row = self._row(conn, item_id, lock=True)
        if row is None:
            raise ReviewError(f"no review item {item_id}")
        what = f"{action} on review item {item_id} refused"
        if row.status in FINAL:
            raise ReviewError(f"{what}: it was already {row.status} by {row.decided_by} at {_fmt_time(row.decided_at)}")
        if row.status == SUPERSEDED:
            raise ReviewError(f"{what}: the problem changed and the item was superseded by a newer one")
        if row.status != CLAIMED:
            raise ReviewError(f"{what}: {reviewer} does not hold a lease on it (status {row.status}); claim it first")
        if row.lease_owner != reviewer:
            if row.lease_expires >= now:
                raise ReviewError(
                    f"{what}: it is claimed by {row.lease_owner} (lease until {_fmt_time(row.lease_expires)}); "
                    f"{reviewer}'s lease was lost or never held"
                )
            raise ReviewError(f"{what}: {reviewer} does not hold a lease on it (it was claimed by {row.lease_owner})")
        if row.lease_expires < now:
            raise ReviewError(
                f"{what}: {reviewer}'s lease expired at {_fmt_time(row.lease_expires)}; claim it again to decide"
            )
        return row

    # ----------------------------------------------------------------- decisions
    def decide(
        self,
        item_id: int,
        reviewer: str,
        decision: str,
        *,
        note: str | None = None,
        question: str | None = None,
        answer: str | None = None,
    ) -> ReviewItem:
        """Record a decision (accepted | edited | rejected | skipped) by the lease holder.

        Refused with `ReviewError` (nothing written) unless `reviewer` holds a live lease.
        `edited` needs a new question and/or answer.
        """
        reviewer = _check_reviewer(reviewer)
        decision = {"accept": ACCEPTED, "edit": EDITED, "reject": REJECTED, "skip": SKIPPED}.get(decision, decision)
        if decision not in DECISIONS:
            raise ReviewError(f"unknown decision {decision!r}; expected one of {', '.join(DECISIONS)}")
        if decision == EDITED:
            if question is not None and not question.strip():
                raise ReviewError("an edited question cannot be empty")
            if answer is not None and not answer.strip():
                raise ReviewError("an edited answer cannot be empty (reject the item if it has no answer)")
            if question is None and answer is None:
                raise ReviewError("an edit needs a new question and/or a new answer")
        elif question is not None or answer is not None:
            raise ReviewError(f"question/answer can only be given with an edit, not with {decision}")
        with self._tx() as conn:
            now = self.clock()
            row = self._held_row(conn, item_id, reviewer, now, action=f"{decision} decision")
            if row.cluster_key is not None and decision != SKIPPED:
                raise ReviewError(
                    f"review item {item_id} belongs to a duplicate cluster with conflicting answers: decide the "
                    f"cluster (keep one member, not duplicates, or drop all), not one member"
                )
            live = sa.and_(items.c.status == CLAIMED, items.c.lease_owner == reviewer, items.c.lease_expires >= now)
            if decision == SKIPPED:
                self._release_siblings(conn, row, reviewer, now, skip=True)
                after = self._update(
                    conn, row, live, status=SKIPPED, lease_owner=None, lease_expires=None, queue_order=now, updated_at=now
                )
                after["skip_note"] = note
                already = conn.execute(
                    sa.select(skips.c.item_id).where(skips.c.item_id == item_id, skips.c.reviewer == reviewer)
                ).first()
                if already is None:
                    conn.execute(skips.insert().values(item_id=item_id, reviewer=reviewer, at=now))
            else:
                eq = question if decision == EDITED else None
                ea = answer if decision == EDITED else None
                after = self._update(
                    conn,
                    row,
                    live,
                    status=decision,
                    lease_owner=None,
                    lease_expires=None,
                    decision=decision,
                    decided_by=reviewer,
                    decided_at=now,
                    note=note,
                    edited_question=eq,
                    edited_answer=ea,
                    updated_at=now,
                )
            conn.execute(
                _INS_DECISION,
                {
                    "item_id": item_id,
                    "reviewer": reviewer,
                    "decision": decision,
                    "at": now,
                    "note": note,
                    "edited_question": question,
                    "edited_answer": answer,
                },
            )
            self._event(conn, item_id, "edited" if decision == EDITED else "decided", reviewer, _state(row), after, now)
            return self.get(item_id, conn=conn)

    def accept(self, item_id: int, reviewer: str, *, note: str | None = None) -> ReviewItem:
        return self.decide(item_id, reviewer, ACCEPTED, note=note)

    def reject(self, item_id: int, reviewer: str, *, note: str | None = None) -> ReviewItem:
        return self.decide(item_id, reviewer, REJECTED, note=note)

    def skip(self, item_id: int, reviewer: str, *, note: str | None = None) -> ReviewItem:
        return self.decide(item_id, reviewer, SKIPPED, note=note)

    def edit(
        self, item_id: int, reviewer: str, *, question: str | None = None, answer: str | None = None, note: str | None = None
    ) -> ReviewItem:
        return self.decide(item_id, reviewer, EDITED, note=note, question=question, answer=answer)

    # ----------------------------------------------------------------- cluster decisions
    def decide_cluster(
        self,
        item_id: int,
        reviewer: str,
        decision: str,
        *,
        keep: int | None = None,
        question: str | None = None,
        answer: str | None = None,
        note: str | None = None,
    ) -> ReviewItem:
        """Decide the whole duplicate cluster (conflicting answers) of item `item_id`, whose lease
        `reviewer` holds; every open member of the cluster gets its outcome in one transaction:

        * `keep_one`: item `keep` (a member) is kept, accepted, or edited when `question`/`answer`
          correct it; every other member becomes `duplicate` with `duplicate_of` = the kept problem id
          (the pipeline drops it with `duplicate_of_reviewed`);
        * `not_duplicates`: every member is accepted and kept as its own problem; the members are
          remembered (`distinct_groups`) so dedup never merges them again;
        * `drop_all`: every member is rejected.

        Refused (nothing written) unless every open member is free or held by `reviewer`. Members an
        earlier cluster decision settled (the cluster grew in a later run) are decided again with the
        others, and that earlier decision stops standing. `undo_last` / `reopen` on any member take
        the whole decision back.
        """
        reviewer = _check_reviewer(reviewer)
        decision = _CLUSTER_ALIASES.get(decision, decision)
        if decision not in CLUSTER_DECISIONS:
            raise ReviewError(f"unknown cluster decision {decision!r}; expected one of {', '.join(CLUSTER_DECISIONS)}")
        if decision == KEEP_ONE:
            if keep is None:
                raise ReviewError("keep one: say which member to keep (its item id)")
            if question is not None and not question.strip():
                raise ReviewError("an edited question cannot be empty")
            if answer is not None and not answer.strip():
                raise ReviewError("an edited answer cannot be empty (drop all if no member has an answer)")
        elif keep is not None or question is not None or answer is not None:
            raise ReviewError(f"a member to keep and corrections go with keep_one, not with {decision}")
        with self._tx() as conn:
            now = self.clock()
            row = self._held_row(conn, item_id, reviewer, now, action=f"{decision} cluster decision")
            if row.cluster_key is None:
                raise ReviewError(
                    f"review item {item_id} is not a member of a duplicate cluster with conflicting answers; "
                    "decide it with accept, edit or reject"
                )
            members = [row]
            replaced: set[int] = set()  # earlier cluster decisions this one takes over
            for sib in self._siblings(conn, row):
                if sib.status in FINAL and sib.cluster_decision_id is not None:
                    # a member that joined an already decided cluster (a later run): deciding the
                    # cluster again covers the members decided before too
                    replaced.add(sib.cluster_decision_id)
                elif sib.status in FINAL:
                    raise ReviewError(
                        f"{decision} refused: member item {sib.id} was already {sib.status} by {sib.decided_by}; "
                        f"reopen it first (curate review reopen {sib.id})"
                    )
                if sib.status == CLAIMED and sib.lease_owner != reviewer and sib.lease_expires >= now:
                    raise ReviewError(f"{decision} refused: member item {sib.id} is claimed by {sib.lease_owner}")
                members.append(sib)
            kept = None
            if decision == KEEP_ONE:
                kept = next((m for m in members if m.id == keep), None)
                if kept is None:
                    raise ReviewError(
                        f"keep one: item {keep} is not a member of this cluster "
                        f"(members: {', '.join(str(m.id) for m in members)})"
                    )
            edited = decision == KEEP_ONE and (question is not None or answer is not None)
            for old in sorted(replaced):
                conn.execute(cluster_decisions.update().where(cluster_decisions.c.id == old).values(undone_at=now))
            cd_id = conn.execute(
                cluster_decisions.insert().values(
                    cluster_key=row.cluster_key, decision=decision, keep_item_id=kept.id if kept is not None else None,
                    keep_problem_id=kept.problem_id if kept is not None else None,
                    members=store.dumps(sorted({m.problem_id for m in members})), reviewer=reviewer, at=now, note=note,
                )
            ).inserted_primary_key[0]
            for m in members:
                is_kept = kept is not None and m.id == kept.id
                if decision == DROP_ALL:
                    status = REJECTED
                elif decision == NOT_DUPLICATES or is_kept:
                    status = EDITED if (is_kept and edited) else ACCEPTED
                else:
                    status = DUPLICATE
                after = self._update(
                    conn, m, items.c.status == m.status, status=status, lease_owner=None, lease_expires=None, decision=status,
                    decided_by=reviewer, decided_at=now, note=note,
                    edited_question=question if is_kept and edited else None,
                    edited_answer=answer if is_kept and edited else None,
                    duplicate_of=kept.problem_id if status == DUPLICATE else None,
                    cluster_decision_id=cd_id, updated_at=now,
                )
                after["cluster_decision"] = decision
                conn.execute(_INS_DECISION, {
                    "item_id": m.id, "reviewer": reviewer, "decision": status, "at": now, "note": note,
                    "edited_question": question if is_kept else None, "edited_answer": answer if is_kept else None,
                    "cluster_decision_id": cd_id,
                })
                self._event(conn, m.id, "edited" if status == EDITED else "decided", reviewer, _state(m), after, now)
            return self.get(item_id, conn=conn)

    def cluster_items(self, item_id: int) -> list[ReviewItem]:
        """The items of item `item_id`'s conflicting cluster (itself included, not superseded), in
        queue order; just the item when it belongs to no cluster."""
        item = self.get(item_id)
        if item.cluster_key is None:
            return [item]
        q = (
            sa.select(items)
            .where(items.c.cluster_key == item.cluster_key, items.c.status != SUPERSEDED)
            .order_by(items.c.queue_order, items.c.id)
        )
        with self._read() as conn:
            return [_item_from_row(r) for r in conn.execute(q)]

    def distinct_groups(self) -> list[list[str]]:
        """Problem ids a reviewer declared "not duplicates", one list per (standing) decision: dedup
        never links two ids of one group (`curation.dedup.mark_duplicates(not_duplicates=)`)."""
        q = (
            sa.select(cluster_decisions.c.members)
            .where(cluster_decisions.c.decision == NOT_DUPLICATES, cluster_decisions.c.undone_at.is_(None))
            .order_by(cluster_decisions.c.id)
        )
        with self._read() as conn:
            return [store.loads(r.members) for r in conn.execute(q)]

    def _reopen_cluster(self, conn: sa.Connection, cd_id: int, actor: str, note: str | None, now: float) -> None:
        """Take back cluster decision `cd_id`: every item it decided goes back to pending."""
        cd = conn.execute(sa.select(cluster_decisions).where(cluster_decisions.c.id == cd_id)).first()
        if cd is None or cd.undone_at is not None:
            raise ReviewError(f"cluster decision {cd_id} is not standing (already taken back)")
        conn.execute(cluster_decisions.update().where(cluster_decisions.c.id == cd_id).values(undone_at=now))
        for m in conn.execute(sa.select(items).where(items.c.cluster_decision_id == cd_id).with_for_update()).all():
            after = self._update(
                conn, m, items.c.cluster_decision_id == cd_id, status=PENDING, decision=None, decided_by=None,
                decided_at=None, note=note, edited_question=None, edited_answer=None, duplicate_of=None,
                cluster_decision_id=None, queue_order=now, updated_at=now,
            )
            conn.execute(skips.delete().where(skips.c.item_id == m.id))
            self._event(conn, m.id, "requeued", actor, _state(m), after, now)

    def reopen(self, item_id: int, actor: str, *, note: str | None = None) -> ReviewItem:
        """Put a decided (or skipped) item back in the queue for a second opinion.

        Earlier decisions stay in the decision history (used for agreement in `stats`). An item
        decided by a cluster decision reopens the whole cluster decision (every member).
        """
        actor = _check_reviewer(actor)
        with self._tx() as conn:
            now = self.clock()
            row = self._row(conn, item_id, lock=True)
            if row is None:
                raise ReviewError(f"no review item {item_id}")
            if row.status not in (*FINAL, SKIPPED):
                raise ReviewError(f"review item {item_id} is {row.status}; only decided or skipped items can be reopened")
            if row.cluster_decision_id is not None:
                self._reopen_cluster(conn, row.cluster_decision_id, actor, note, now)
                return self.get(item_id, conn=conn)
            after = self._update(
                conn,
                row,
                items.c.status == row.status,
                status=PENDING,
                decision=None,
                decided_by=None,
                decided_at=None,
                note=note,
                edited_question=None,
                edited_answer=None,
                queue_order=now,
                updated_at=now,
            )
            conn.execute(skips.delete().where(skips.c.item_id == item_id))
            self._event(conn, item_id, "requeued", actor, _state(row), after, now)
            return self.get(item_id, conn=conn)

    def undo_last(self, reviewer: str) -> ReviewItem:
        """Take back `reviewer`'s most recent decision: the item is reopened (the decision stays in
        the history) and claimed by the same reviewer, ready to be decided again."""
        reviewer = _check_reviewer(reviewer)
        with self._read() as conn:
            last = conn.execute(
                sa.select(decisions.c.item_id, decisions.c.decision)
                .where(decisions.c.reviewer == reviewer)
                .order_by(decisions.c.id.desc())
                .limit(1)
            ).first()
        if last is None:
            raise ReviewError(f"{reviewer} has no decision to undo")
        item = self.get(last.item_id)
        if item.status in (*FINAL, SKIPPED) and item.decided_by not in (None, reviewer):
            raise ReviewError(f"review item {item.id} was decided again by {item.decided_by} since; not undone")
        if item.status not in (*FINAL, SKIPPED):
            # already taken back (an earlier undo or a reopen): claiming it again and saying "undone"
            # would report an undo that did nothing
            raise ReviewError(
                f"{reviewer}'s last decision ({last.decision} on review item {item.id}) is already taken back; "
                f"the item is {item.status}" + (f" by {item.lease_owner}" if item.lease_owner else "")
            )
        self.reopen(item.id, reviewer, note=f"undo of {last.decision}")
        return self.claim(item.id, reviewer)

    # ----------------------------------------------------------------- reading
    def get(self, item_id: int, *, conn: sa.Connection | None = None, history: bool = False) -> ReviewItem:
        """One item (optionally with its audit events); ReviewError if unknown."""
        if conn is None:
            with self._read() as c:
                return self.get(item_id, conn=c, history=history)
        row = conn.execute(_SEL_ITEM, {"b_id": item_id}).first()
        if row is None:
            raise ReviewError(f"no review item {item_id}")
        item = _item_from_row(row)
        if history:
            item.history = self.events(item_id, conn=conn)
        return item

    def list_items(
        self, *, status: str | Iterable[str] | None = None, reason: str | None = None, limit: int | None = 100,
        source: str | None = None,
    ) -> list[ReviewItem]:
        """Items in queue order, filtered by status(es), reason and the problem's source."""
        q = sa.select(items).order_by(items.c.queue_order, items.c.id)
        if status:
            q = q.where(items.c.status.in_([status] if isinstance(status, str) else list(status)))
        if reason:
            q = q.where(items.c.reason == reason)
        if limit and not source:
            q = q.limit(limit)
        with self._read() as conn:
            found = [_item_from_row(r) for r in conn.execute(q)]
        if source:  # the source lives in the snapshot (JSON): filtered here, portable across databases
            found = [it for it in found if it.snapshot.get("source") == source]
            found = found[:limit] if limit else found
        return found

    def events(self, item_id: int | None = None, *, conn: sa.Connection | None = None) -> list[dict[str, Any]]:
        """Audit events in order (all, or one item's)."""
        if conn is None:
            with self._read() as c:
                return self.events(item_id, conn=c)
        q = sa.select(events).order_by(events.c.id)
        if item_id is not None:
            q = q.where(events.c.item_id == item_id)
        out = []
        for r in conn.execute(q):
            d = dict(r._mapping)
            d["before"], d["after"] = store.loads(d["before"]), store.loads(d["after"])
            out.append(d)
        return out

    def decision_history(self) -> list[dict[str, Any]]:
        """Every decision ever recorded (including skips and decisions later reopened)."""
        q = (
            sa.select(decisions, items.c.problem_id, items.c.content_hash, items.c.reason)
            .join(items, items.c.id == decisions.c.item_id)
            .order_by(decisions.c.id)
        )
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def item_states(self) -> list[dict[str, Any]]:
        """Compact rows (problem id, content key, status, decision, edits) for `apply_review_decisions`."""
        q = sa.select(
            items.c.id,
            items.c.problem_id,
            items.c.content_key,
            items.c.status,
            items.c.decision,
            items.c.edited_question,
            items.c.edited_answer,
            items.c.queued_at,
            items.c.duplicate_of,
        ).where(items.c.status != SUPERSEDED)
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def stats(self, *, window_seconds: float = 86400.0) -> dict[str, Any]:
        """Queue depth by reason, counts by status, throughput over the window, agreement."""
        now = self.clock()
        since = now - window_seconds
        with self._read() as conn:
            by_status = dict(conn.execute(sa.select(items.c.status, sa.func.count()).group_by(items.c.status)).all())
            depth_rows = conn.execute(
                sa.select(items.c.reason, items.c.status, sa.func.count())
                .where(items.c.status.in_(OPEN))
                .group_by(items.c.reason, items.c.status)
            ).all()
            recent = conn.execute(
                sa.select(decisions.c.reviewer, decisions.c.decision, sa.func.count())
                .where(decisions.c.at >= since)
                .group_by(decisions.c.reviewer, decisions.c.decision)
            ).all()
            first_recent = conn.execute(sa.select(sa.func.min(decisions.c.at)).where(decisions.c.at >= since)).scalar()
            multi = (
                sa.select(decisions.c.item_id)
                .where(decisions.c.decision != SKIPPED)
                .group_by(decisions.c.item_id)
                .having(sa.func.count() > 1)
            )
            multi_rows = conn.execute(
                sa.select(decisions.c.item_id, decisions.c.decision)
                .where(decisions.c.item_id.in_(multi), decisions.c.decision != SKIPPED)
                .order_by(decisions.c.item_id, decisions.c.id)
            ).all()
        depth: dict[str, dict[str, int]] = defaultdict(lambda: {s: 0 for s in OPEN})
        for reason, status, n in depth_rows:
            depth[reason][status] = n
        per_reviewer: dict[str, Counter] = defaultdict(Counter)
        total_recent = 0
        for reviewer, decision, n in recent:
            per_reviewer[reviewer][decision] += n
            if decision != SKIPPED:
                total_recent += n
        hours = window_seconds / 3600.0
        if first_recent is not None:  # a queue younger than the window: rate over its actual span
            hours = max((now - first_recent) / 3600.0, 1 / 60.0) if now - first_recent < window_seconds else hours
        by_item: dict[int, list[str]] = defaultdict(list)
        for item_id, decision in multi_rows:
            by_item[item_id].append(decision)
        agree_items = sum(1 for ds in by_item.values() if len(set(ds)) == 1)
        pairs = agree_pairs = 0
        for ds in by_item.values():
            for i in range(len(ds)):
                for j in range(i + 1, len(ds)):
                    pairs += 1
                    agree_pairs += ds[i] == ds[j]
        return {
            "by_status": {s: by_status.get(s, 0) for s in STATUSES},
            "depth_by_reason": {r: dict(v) for r, v in sorted(depth.items())},
            "open": sum(by_status.get(s, 0) for s in OPEN),
            "window_hours": window_seconds / 3600.0,
            "decisions_in_window": total_recent,
            "decisions_per_hour": (total_recent / hours) if total_recent else 0.0,
            "per_reviewer": {r: dict(c) for r, c in sorted(per_reviewer.items())},
            "multi_decision_items": len(by_item),
            "agreement_items": (agree_items / len(by_item)) if by_item else None,
            "agreement_pairwise": (agree_pairs / pairs) if pairs else None,
        }
