"""`curate review ...`: the human review queue from the command line, and its web page.

SQLAlchemy, FastAPI and uvicorn are imported inside command bodies so `curate --help` stays fast.
"""

from __future__ import annotations

import getpass
import json
import os
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from curation.cli.console import console as make_console, styled
from rich.table import Table

console = make_console()

review_app = typer.Typer(
    name="review",
    help="Human review queue: list, claim, decide, export; `serve` opens the review page.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

DbOpt = Annotated[
    Optional[str],
    typer.Option(
        "--db",
        envvar="CURATE_REVIEW_DB",
        help="SQLAlchemy URL or path to a .sqlite file (default: the config's review.db_url, else OUTPUT_DIR/review.sqlite, else out/review.sqlite).",
    ),
]
ConfigOpt = Annotated[
    Optional[Path], typer.Option("--config", "-c", help="Pipeline config (TOML) to take the default database and lease from.")
]
ReviewerOpt = Annotated[
    Optional[str],
    typer.Option("--reviewer", "-r", envvar="CURATE_REVIEWER", help="Your reviewer name (default: your login name)."),
]
NoteOpt = Annotated[Optional[str], typer.Option("--note", "-m", help="Free-text note stored with the decision.")]
ItemArg = Annotated[int, typer.Argument(help="Queue item id (see `curate review list`).")]


def _settings(db: str | None, config: Path | None) -> tuple[str, int]:
    lease = 900
    if config is not None:
        from curation.config import load_config

        cfg = load_config(config)
        lease = cfg.review.lease_seconds
        if db is None:
            from curation.review import db_url_for

            db = db_url_for(cfg)
    return db or str(Path("out") / "review.sqlite"), lease


def _open(db: str | None, config: Path | None, *, create: bool = False):
    """The queue at --db / the config's database. Only `add` may create one: every other command
    on a mistyped path says so instead of creating (and then showing) an empty queue."""
    from curation.review.queue import ReviewQueue

    url, lease = _settings(db, config)
    if not create:
        from sqlalchemy.engine import make_url

        from curation.errors import ReviewError

        try:
            parsed = make_url(url) if "://" in url else None
        except Exception:  # not a URL: ReviewQueue reports it
            parsed = None
        path = (parsed.database if parsed is not None and parsed.get_backend_name() == "sqlite" else
                (url if parsed is None else None))
        if path and path != ":memory:" and not Path(path).expanduser().exists():
            raise ReviewError(f"no review queue at {path} (check --db; `curate run` or `curate review add` creates one)")
    return ReviewQueue(url, lease_seconds=lease)


def _reviewer(name: str | None) -> str:
    if name and name.strip():
        return name.strip()
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers)
        from curation.errors import ReviewError

        raise ReviewError("no reviewer name: pass --reviewer NAME or set CURATE_REVIEWER") from None


def _when(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def _short(text: Any, n: int = 70) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _print_item(item: Any, *, history: bool = False, cluster: list | None = None) -> None:
    from rich.panel import Panel

    s, ev = item.snapshot, item.evidence
    head = (
        f"item {item.id} · problem {item.problem_id} · reason ", (str(item.reason), "bold"),
        " · status ", (str(item.status), "bold"),
        f" · lease {item.lease_owner} until {_when(item.lease_expires)} UTC" if item.lease_owner else "",
    )
    head = styled(*head)
    console.print(head, highlight=False)
    console.print(Panel(str(s.get("question") or ""), title="question (source)", expand=True), highlight=False)
    if s.get("choices"):
        for i, c in enumerate(s["choices"]):
            console.print(f"  {chr(65 + i)}. {c}", highlight=False)
    side = Table(show_header=True, expand=True)
    side.add_column("reference answer")
    side.add_column("model majority answer")
    maj = ev.get("majority_answer")
    side.add_row(
        str(s.get("answer")),
        "-" if maj is None else f"{maj}  (share {ev.get('majority_share')}, pass rate {ev.get('pass_rate')})",
    )
    console.print(side)
    if ev.get("models"):
        t = Table("model", "k", "correct", "pass rate", "majority", "share", title="model answers")
        for d in ev["models"]:
            t.add_row(*(str(d.get(k)) for k in ("model", "k", "correct", "pass_rate", "majority_answer", "majority_share")))
        console.print(t)
    if getattr(item, "cluster_key", None) is not None and cluster is not None:
        t = Table("item", "problem", "source", "answer", "status", "question", title="cluster members (decide them together)",
                  expand=True)
        for m in cluster:
            t.add_row(str(m.id), m.problem_id, str(m.snapshot.get("source") or ""), str(m.answer),
                      m.status + (f" (of {m.duplicate_of})" if m.duplicate_of else ""), _short(m.question, 60))
        console.print(t)
        console.print(
            f"decide the cluster: `curate review keep ITEM [--answer A]` (keep that member, the others are dropped as "
            f"its duplicates), `curate review not-duplicates {item.id}`, `curate review drop-all {item.id}`",
            highlight=False,
        )
    rest = {k: v for k, v in ev.items() if k not in ("models", "reason") and not (k == "members" and cluster)}
    if rest:
        console.print_json(json.dumps(rest, default=str))
    if item.decision:
        console.print(styled("decision: ", (str(item.decision), "bold"),
                             f" by {item.decided_by} at {_when(item.decided_at)} UTC; note: {item.note or '-'}"))
        if item.edited_question is not None or item.edited_answer is not None:
            console.print(f"edited question: {item.edited_question!r}\nedited answer: {item.edited_answer!r}", highlight=False)
    if history:
        t = Table("at (UTC)", "event", "actor", "status before → after", title="audit trail")
        for e in item.history:
            b, a = e["before"] or {}, e["after"] or {}
            t.add_row(_when(e["at"]), e["event"], e["actor"], f"{b.get('status', '-')} → {a.get('status', '-')}")
        console.print(t)


@review_app.command("list")
def list_cmd(
    status: Annotated[
        Optional[list[str]], typer.Option("--status", "-s", help="Only these statuses (repeatable): pending, claimed, accepted, edited, rejected, duplicate, skipped, superseded.")
    ] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Only items with this review reason.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many rows (0: all).")] = 50,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """List queue items in queue order."""
    with _open(db, config) as queue:
        rows = queue.list_items(status=status or None, reason=reason, limit=limit or None)
    t = Table("id", "problem", "reason", "status", "holder / decided by", "cluster", "question", title=f"review items ({len(rows)})")
    for it in rows:
        who = it.lease_owner or it.decided_by or ""
        t.add_row(str(it.id), it.problem_id, it.reason, it.status, who, it.cluster_key or "", _short(it.question))
    console.print(t)


@review_app.command("next")
def next_cmd(
    reviewer: ReviewerOpt = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Only claim items with this review reason.")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Claim the next item (with a lease) and show it; then accept/edit/reject/skip it by id."""
    with _open(db, config) as queue:
        item = queue.claim_next(_reviewer(reviewer), reason=reason)
        if item is None:
            console.print("nothing to review: the queue is empty (or holds only items you skipped)")
            return
        cluster = queue.cluster_items(item.id) if item.cluster_key is not None else None
        _print_item(item, cluster=cluster)
        how = ("keep ITEM | not-duplicates | drop-all | skip" if cluster else "accept|edit|reject|skip")
        console.print(
            f"lease held until {_when(item.lease_expires)} UTC; decide with `curate review {how} {item.id}`"
            if not cluster else f"lease on the whole cluster held until {_when(item.lease_expires)} UTC; decide with "
            f"`curate review {how}`",
            highlight=False,
        )


@review_app.command("show")
def show_cmd(
    item_id: ItemArg,
    history: Annotated[bool, typer.Option("--history/--no-history", help="Also print the audit trail.")] = True,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Show one item: the problem, its evidence, its decision and audit trail (does not claim)."""
    with _open(db, config) as queue:
        item = queue.get(item_id, history=history)
        cluster = queue.cluster_items(item_id) if item.cluster_key is not None else None
        _print_item(item, history=history, cluster=cluster)


@review_app.command("claim")
def claim_cmd(item_id: ItemArg, reviewer: ReviewerOpt = None, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Claim one specific item (pending, skipped, or with an expired lease)."""
    with _open(db, config) as queue:
        item = queue.claim(item_id, _reviewer(reviewer))
    console.print(f"claimed item {item.id} until {_when(item.lease_expires)} UTC")


def _decide(item_id: int, reviewer: str | None, decision: str, note: str | None, db: str | None, config: Path | None, **kw: Any) -> None:
    with _open(db, config) as queue:
        item = queue.decide(item_id, _reviewer(reviewer), decision, note=note, **kw)
    console.print(styled(f"item {item.id}: ", (str(decision), "bold"), f" by {_reviewer(reviewer)}"))


@review_app.command("accept")
def accept_cmd(item_id: ItemArg, reviewer: ReviewerOpt = None, note: NoteOpt = None, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Accept a claimed item as is (you must hold its lease)."""
    _decide(item_id, reviewer, "accepted", note, db, config)


@review_app.command("reject")
def reject_cmd(item_id: ItemArg, reviewer: ReviewerOpt = None, note: NoteOpt = None, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Reject a claimed item: the pipeline drops it with drop_reason=review_rejected."""
    _decide(item_id, reviewer, "rejected", note, db, config)


@review_app.command("skip")
def skip_cmd(item_id: ItemArg, reviewer: ReviewerOpt = None, note: NoteOpt = None, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Skip a claimed item: it returns to the queue behind the others for another reviewer."""
    _decide(item_id, reviewer, "skipped", note, db, config)


@review_app.command("edit")
def edit_cmd(
    item_id: ItemArg,
    question: Annotated[Optional[str], typer.Option("--question", "-q", help="The corrected question text.")] = None,
    answer: Annotated[Optional[str], typer.Option("--answer", "-a", help="The corrected reference answer.")] = None,
    reviewer: ReviewerOpt = None,
    note: NoteOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Edit a claimed item's question and/or answer; the originals are kept in the record."""
    _decide(item_id, reviewer, "edited", note, db, config, question=question, answer=answer)


def _decide_cluster(item_id: int, reviewer: str | None, decision: str, note: str | None, db: str | None,
                    config: Path | None, **kw: Any) -> None:
    with _open(db, config) as queue:
        queue.decide_cluster(item_id, _reviewer(reviewer), decision, note=note, **kw)
        members = queue.cluster_items(item_id)
    outcome = ", ".join(f"{m.id} {m.status}" + (f" (duplicate of {m.duplicate_of})" if m.duplicate_of else "") for m in members)
    console.print(styled("cluster of item ", f"{item_id}: ", (decision, "bold"), f" by {_reviewer(reviewer)}: {outcome}"))


@review_app.command("keep")
def keep_cmd(
    item_id: Annotated[int, typer.Argument(help="The cluster member to keep (an item id; you hold its cluster's lease).")],
    question: Annotated[Optional[str], typer.Option("--question", "-q", help="Corrected question text of the kept member.")] = None,
    answer: Annotated[Optional[str], typer.Option("--answer", "-a", help="Corrected reference answer of the kept member.")] = None,
    reviewer: ReviewerOpt = None,
    note: NoteOpt = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Conflicting duplicate cluster: keep this member (optionally corrected); the other members are
    dropped as its duplicates (drop reason duplicate_of_reviewed)."""
    _decide_cluster(item_id, reviewer, "keep_one", note, db, config, keep=item_id, question=question, answer=answer)


@review_app.command("not-duplicates")
def not_duplicates_cmd(item_id: ItemArg, reviewer: ReviewerOpt = None, note: NoteOpt = None, db: DbOpt = None,
                       config: ConfigOpt = None) -> None:
    """Conflicting duplicate cluster: its members are different problems; every one is kept, and
    dedup will not merge them again."""
    _decide_cluster(item_id, reviewer, "not_duplicates", note, db, config)


@review_app.command("drop-all")
def drop_all_cmd(item_id: ItemArg, reviewer: ReviewerOpt = None, note: NoteOpt = None, db: DbOpt = None,
                 config: ConfigOpt = None) -> None:
    """Conflicting duplicate cluster: drop every member (drop reason review_rejected)."""
    _decide_cluster(item_id, reviewer, "drop_all", note, db, config)


@review_app.command("undo")
def undo_cmd(reviewer: ReviewerOpt = None, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Take back your last decision (a cluster decision: for every member); the item is yours again."""
    with _open(db, config) as queue:
        item = queue.undo_last(_reviewer(reviewer))
    console.print(f"undone: item {item.id} is claimed by {item.lease_owner} again, undecided")


@review_app.command("release")
def release_cmd(item_id: ItemArg, reviewer: ReviewerOpt = None, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Give back a claimed item without deciding (it keeps its place in the queue)."""
    with _open(db, config) as queue:
        queue.release(item_id, _reviewer(reviewer))
    console.print(f"item {item_id} released")


@review_app.command("reopen")
def reopen_cmd(item_id: ItemArg, reviewer: ReviewerOpt = None, note: NoteOpt = None, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Put a decided or skipped item back in the queue (a second opinion; history is kept)."""
    with _open(db, config) as queue:
        queue.reopen(item_id, _reviewer(reviewer), note=note)
    console.print(f"item {item_id} reopened")


@review_app.command("stats")
def stats_cmd(
    window_hours: Annotated[float, typer.Option("--window-hours", help="Throughput window in hours.")] = 24.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Queue depth by reason, decisions per hour over the window, agreement on multi-decision items."""
    with _open(db, config) as queue:
        st = queue.stats(window_seconds=window_hours * 3600)
    if as_json:
        console.print_json(json.dumps(st))
        return
    t = Table("reason", "pending", "claimed", "skipped", title=f"queue depth (open: {st['open']})")
    for reason, d in st["depth_by_reason"].items():
        t.add_row(reason, str(d["pending"]), str(d["claimed"]), str(d["skipped"]))
    console.print(t)
    t = Table("status", "items", title="items by status")
    for s, n in st["by_status"].items():
        t.add_row(s, str(n))
    console.print(t)
    t = Table("reviewer", "accepted", "edited", "rejected", "duplicate", "skipped", title=f"decisions in the last {window_hours:g} h")
    for r, c in st["per_reviewer"].items():
        t.add_row(r, *(str(c.get(k, 0)) for k in ("accepted", "edited", "rejected", "duplicate", "skipped")))
    console.print(t)
    console.print(f"throughput: {st['decisions_per_hour']:.1f} decisions/hour ({st['decisions_in_window']} in window, skips excluded)")
    if st["multi_decision_items"]:
        console.print(
            f"agreement: {st['agreement_items']:.1%} of {st['multi_decision_items']} items with >1 decision fully agree; "
            f"pairwise {st['agreement_pairwise']:.1%}"
        )
    else:
        console.print("agreement: no item has more than one decision yet (use `curate review reopen` for second opinions)")


@review_app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Argument(help="Output file: .jsonl or .parquet (see --format).")],
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", help="jsonl or parquet (default: from the extension).")] = None,
    history: Annotated[bool, typer.Option("--history", help="Every decision ever made (incl. skips), not just each item's current decision.")] = False,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write decisions to JSONL or Parquet."""
    import polars as pl

    from curation.errors import ReviewError

    fmt = (fmt or ("parquet" if out.suffix == ".parquet" else "jsonl")).lower()
    if fmt not in ("jsonl", "parquet"):
        raise ReviewError(f"--format must be jsonl or parquet, got {fmt!r}")
    with _open(db, config) as queue:
        if history:
            rows = queue.decision_history()
        else:
            rows = []
            for it in queue.list_items(status=("accepted", "edited", "rejected", "duplicate"), limit=None):
                rows.append(
                    {
                        "item_id": it.id,
                        "problem_id": it.problem_id,
                        "content_hash": it.content_hash,
                        "reason": it.reason,
                        "decision": it.decision,
                        "reviewer": it.decided_by,
                        "at": it.decided_at,
                        "note": it.note,
                        "question": it.snapshot.get("question"),
                        "answer": it.snapshot.get("answer"),
                        "edited_question": it.edited_question,
                        "edited_answer": it.edited_answer,
                        "duplicate_of": it.duplicate_of,
                        "cluster_decision_id": it.cluster_decision_id,
                    }
                )
    df = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame(
        schema={"item_id": pl.Int64, "problem_id": pl.Utf8, "decision": pl.Utf8, "reviewer": pl.Utf8, "at": pl.Float64}
    )
    if "at" in df.columns:
        df = df.with_columns(pl.from_epoch(pl.col("at"), time_unit="s").dt.replace_time_zone("UTC").alias("at_utc"))
    from curation.io import atomic_path

    with atomic_path(out) as tmp:
        if fmt == "parquet":
            df.write_parquet(tmp)
        else:
            df.write_ndjson(tmp)
    console.print(f"wrote {df.height} decisions to {out}")


@review_app.command("add")
def add_cmd(
    file: Annotated[Path, typer.Argument(help="Parquet file of problem records (rows with review_reason are queued).")],
    reason: Annotated[Optional[str], typer.Option("--reason", help="Queue every row, using this reason where review_reason is empty.")] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Queue the rows of a Parquet file that have a review_reason (and no drop_reason)."""
    import polars as pl

    from curation.errors import ReviewError
    from curation.review.apply import queue_items
    from schemas.problem import conform

    if not file.exists():
        raise ReviewError(f"{file}: file not found")
    try:
        df = conform(pl.read_parquet(file))
    except Exception as exc:  # unreadable or not a problem table
        raise ReviewError(f"{file}: cannot read as a problem Parquet: {exc}") from None
    if reason:
        df = df.with_columns(pl.col("review_reason").fill_null(reason))
    with _open(db, config, create=True) as queue:
        n = queue_items(df, queue)
        open_n = queue.stats()["open"]
    console.print(f"queued {n} new items from {file} ({open_n} open in the queue)")


@review_app.command("apply")
def apply_cmd(
    file: Annotated[Path, typer.Argument(help="Problem table (curate Parquet, e.g. out/work/NN_review.parquet or a stage's output).")],
    out: Annotated[Path, typer.Argument(help="Output Parquet: the same rows with the decisions applied.")],
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Apply the queue's decisions to a problem table (what the pipeline's review stage does): edits,
    rejections, cluster decisions. Rows are never removed; `curate export` splits them."""
    import polars as pl

    from curation.errors import ReviewError
    from curation.io import write_problems
    from curation.review.apply import applied_decisions, apply_review_decisions
    from schemas.problem import conform

    if not file.exists():
        raise ReviewError(f"{file}: file not found")
    try:  # a curate problem table as written by a stage (ids kept), like `curate review add`
        df = conform(pl.read_parquet(file))
    except Exception as exc:
        raise ReviewError(f"{file}: cannot read as a problem Parquet: {exc}") from None
    with _open(db, config) as queue:
        done = apply_review_decisions(df, queue)
        distinct = queue.distinct_groups()
    write_problems(done, out)
    applied = applied_decisions(done)
    pending = 0
    if "review_status" in done.columns:
        pending = done.filter((pl.col("review_status") == "pending") & pl.col("drop_reason").is_null()).height
    summary = ", ".join(f"{d} {n}" for d, n in applied.items()) or "none"
    console.print(f"wrote {done.height} rows to {out}; decisions applied: {summary}; still pending: {pending}", highlight=False)
    if distinct:
        ids = {i for group in distinct for i in group}
        if "cluster_id" in done.columns and done.filter(pl.col("id").is_in(list(ids)) & pl.col("cluster_id").is_not_null()).height:
            console.print("note: 'not duplicates' decisions split clusters in the dedup stage: rerun `curate dedup "
                          "--review-db` (or `curate run`) to see them apart", highlight=False)


@review_app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Interface to bind (keep loopback unless you know why).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port.")] = 8765,
    token: Annotated[
        Optional[str], typer.Option("--token", envvar="CURATE_REVIEW_TOKEN", help="Access token (default: a fresh random one, printed).")
    ] = None,
    lease_seconds: Annotated[
        Optional[int], typer.Option("--lease-seconds", help="Lease length for claims made through the page (default: config, else 900).")
    ] = None,
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the review page (token-protected; keyboard: a accept, e edit, r reject, s skip, n next)."""
    import secrets
    import sys

    import uvicorn

    from curation.review.web import create_app

    from curation.review.queue import ReviewQueue

    url, lease = _settings(db, config)
    queue = ReviewQueue(url, lease_seconds=lease_seconds or lease)
    token = token or secrets.token_urlsafe(24)
    app = create_app(queue, token=token)
    shown = f"[{host}]" if ":" in host else host
    print(f"curate review: open http://{shown}:{port}/?token={token}", flush=True)
    # scripts send it as `Authorization: Bearer <token>` (and tests read it from this line)
    print(f"token: {token}", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {host}; anyone who can reach it and has the token can decide items", file=sys.stderr, flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        queue.close()


def register(app: typer.Typer) -> None:
    """Add the `review` command group to `app`."""
    app.add_typer(review_app, name="review")
