"""The review stage's two pipeline calls: queue rows that need a human, apply their decisions.

    n_new = queue_items(df, queue, evidence=None)
    df = apply_review_decisions(df, queue)

Input columns: `id`, `question`, `answer`, `choices`, `review_reason`, `drop_reason`, plus whatever
evidence the record carries (`difficulty`, `duplicate_of`, `cluster_id`, `exact_dup_of`,
`conflicting_answers`, `dup_similarity`, `mcq_status`, `mcq_method`, `mcq_reason`, `contaminated_by`,
`clean_flags`, `metadata`).
Output columns (apply): `review_status`, and for decisions `question`, `answer`,
`original_question`, `original_answer`, `rewritten_by`, `drop_reason`. Rows are never removed.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from curation.review.queue import (
    ACCEPTED,
    CHOICE_SEP,
    DUPLICATE,
    EDITED,
    KEY_SEP,
    REJECTED,
    ReviewQueue,
)

_DUP_FIELDS = ("duplicate_of", "cluster_id", "exact_dup_of", "conflicting_answers", "dup_similarity", "template_group")
_MCQ_FIELDS = ("mcq_status", "mcq_method", "mcq_reason")


def build_evidence(record: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a reviewer needs to judge a record: model answers, pass rate, duplicates, MCQ notes.

    `extra` (from the stage that flagged the row, e.g. the verifier outcome) is kept under "stage".
    """
    ev: dict[str, Any] = {"reason": record.get("review_reason")}
    runs = [dict(d) for d in (record.get("difficulty") or []) if d]
    if runs:
        ev["models"] = runs
        k = sum(int(d.get("k") or 0) for d in runs)
        correct = sum(int(d.get("correct") or 0) for d in runs)
        ev["samples"] = k
        ev["correct"] = correct
        ev["pass_rate"] = (correct / k) if k else None
        scored = [d for d in runs if d.get("majority_answer") is not None]
        if scored:
            best = max(scored, key=lambda d: (d.get("majority_share") or 0.0))
            ev["majority_answer"] = best.get("majority_answer")
            ev["majority_share"] = best.get("majority_share")
            ev["majority_model"] = best.get("model")
    dup = {f: record.get(f) for f in _DUP_FIELDS if record.get(f) not in (None, False)}
    if dup:
        ev["duplicates"] = dup
    mcq = {f: record.get(f) for f in _MCQ_FIELDS if record.get(f) is not None}
    if mcq:
        ev["mcq"] = mcq
    for f in ("contaminated_by", "clean_flags"):
        if record.get(f):
            ev[f] = list(record[f])
    meta = record.get("metadata")
    if meta:
        try:
            ev["metadata"] = json.loads(meta)
        except (TypeError, ValueError):
            ev["metadata"] = meta
    if extra:
        ev["stage"] = extra
    return ev


def queue_items(df: pl.DataFrame, queue: ReviewQueue, *, evidence: dict[str, dict] | None = None) -> int:
    """Queue every row with a `review_reason` and no `drop_reason`; return how many are new.

    Idempotent: a row whose (id, question+answer+choices) is already queued — whatever its status,
    decided included — is not queued again; a changed problem is queued afresh. `evidence` maps a
    problem id to extra evidence from the flagging stage (e.g. the verifier outcome), on top of the
    row's own `review_evidence` column.
    """
    if df.height == 0 or "review_reason" not in df.columns:
        return 0
    todo = df.filter(pl.col("review_reason").is_not_null())
    if "drop_reason" in todo.columns:
        todo = todo.filter(pl.col("drop_reason").is_null())
    if todo.height == 0:
        return 0
    evidence = evidence or {}
    clusters = _conflict_clusters(df, todo)
    records = []
    for rec in todo.to_dicts():  # one DB row per record: inserting is inherently per row
        extra = evidence.get(rec.get("id"))
        carried = rec.pop("review_evidence", None)  # the flagging stage's evidence, carried in the frame
        if carried:
            extra = {**json.loads(carried), **(extra or {})}
        ev = build_evidence(rec, extra)
        if rec.get("conflicting_answers") and rec.get("cluster_id") in clusters:
            ev.update(clusters[rec["cluster_id"]])
        records.append((rec, rec["review_reason"], ev))
    return sum(1 for _id, new in queue.enqueue_many(records) if new)


CLUSTER_DECISION = (
    "A duplicate cluster whose members' answers differ. Decide the cluster as a whole: keep one member "
    "(optionally correcting its answer; the others are dropped as its duplicates, drop reason "
    "duplicate_of_reviewed), not duplicates (every member kept; dedup will not merge them again), "
    "or drop all."
)
#: drop reason of a member a reviewer's "keep one" cluster decision dropped in favour of the kept one
DUPLICATE_OF_REVIEWED = "duplicate_of_reviewed"


def _conflict_clusters(df: pl.DataFrame, todo: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Evidence for each conflicting duplicate cluster in `todo`: `members` (every member with its
    answer; the review page shows them side by side) and `cluster_decision` (what a decision does)."""
    if not {"conflicting_answers", "cluster_id", "id", "source", "question", "answer", "drop_reason"} <= set(df.columns):
        return {}
    ids = todo.filter(pl.col("conflicting_answers").fill_null(False) & pl.col("cluster_id").is_not_null())["cluster_id"].unique()
    if ids.len() == 0:
        return {}
    members = df.filter(pl.col("cluster_id").is_in(ids.to_list()))
    out: dict[str, dict[str, Any]] = {}
    for rec in members.select("cluster_id", "id", "source", "question", "answer", "drop_reason").to_dicts():
        c = out.setdefault(rec["cluster_id"], {"cluster_decision": CLUSTER_DECISION, "members": []})
        c["members"].append(
            {"id": rec["id"], "source": rec["source"], "answer": rec["answer"], "question": (rec["question"] or "")[:400],
             "dropped": rec["drop_reason"]}
        )
    return out


# rows with the same normalized text: the best of them is `exact_dup_of` of the others
_EXACT_GROUP = pl.coalesce(pl.col("exact_dup_of"), pl.col("id"))


def _apply_cluster_decisions(out: pl.DataFrame, tmp: str) -> pl.DataFrame:
    """A conflicting cluster settles as a whole: once a member is accepted or edited (the canonical
    one: the first such member in row order), every member still undecided is dropped as its
    duplicate (`exact_duplicate` when it has the canonical's normalized text, else `near_duplicate`) with
    `duplicate_of` = the canonical id. Members the reviewer accepted are kept ("not duplicates");
    rejected ones are dropped as any rejected row. Nothing changes while no member is accepted."""
    needed = {"conflicting_answers", "cluster_id", "duplicate_of", "exact_dup_of"}
    if not needed <= set(out.columns):
        return out
    conflict = pl.col("conflicting_answers").fill_null(False) & pl.col("cluster_id").is_not_null()
    canon = (
        out.filter(conflict & pl.col("review_status").is_in([ACCEPTED, EDITED]))
        .group_by("cluster_id", maintain_order=True)
        .agg(pl.col("id").first().alias(tmp + "canon"), _EXACT_GROUP.first().alias(tmp + "canon_group"))
    )
    if canon.height == 0:
        return out
    out = out.join(canon, on="cluster_id", how="left", maintain_order="left")
    undecided = (
        conflict
        & pl.col(tmp + "canon").is_not_null()
        & pl.col("drop_reason").is_null()
        & (pl.col("review_status").is_null() | (pl.col("review_status") == "pending"))
    )
    return out.with_columns(
        pl.when(undecided)
        .then(pl.when(_EXACT_GROUP == pl.col(tmp + "canon_group")).then(pl.lit("exact_duplicate")).otherwise(pl.lit("near_duplicate")))
        .otherwise(pl.col("drop_reason"))
        .alias("drop_reason"),
        pl.when(undecided).then(pl.col(tmp + "canon")).otherwise(pl.col("duplicate_of")).alias("duplicate_of"),
    ).drop(tmp + "canon", tmp + "canon_group")


# the dedup links a row carries to its cluster's representative (`curation.dedup`)
_LINK_FIELDS = ("duplicate_of", "exact_dup_of", "dup_similarity", "same_problem_by")


def _clear_kept_member_links(out: pl.DataFrame, tmp: str) -> pl.DataFrame:
    """The member a "keep one" decision kept is its cluster's representative now: dedup had linked it
    to another member (`duplicate_of`, `exact_dup_of`, ...), which the decision dropped as *its*
    duplicate, so those links would point in a circle. Cleared, as on any representative."""
    kept_ids = out.filter(pl.col(tmp + "status") == DUPLICATE)[tmp + "duplicate_of"].drop_nulls().unique()
    if kept_ids.len() == 0:
        return out
    kept = pl.col("id").is_in(kept_ids.implode()) & pl.col(tmp + "status").is_in([ACCEPTED, EDITED])
    return out.with_columns(
        pl.when(kept).then(pl.lit(None, dtype=out.schema[c])).otherwise(pl.col(c)).alias(c)
        for c in _LINK_FIELDS
        if c in out.columns
    )


#: review decisions a row can carry once applied, in the order reports list them
APPLIED_DECISIONS = (ACCEPTED, EDITED, DUPLICATE, REJECTED)


def applied_decisions(df: pl.DataFrame) -> dict[str, int]:
    """Rows carrying an applied review decision (`review_status`), by decision (non-zero only)."""
    if df.height == 0 or "review_status" not in df.columns:
        return {}
    found = dict(df.filter(pl.col("review_status").is_in(APPLIED_DECISIONS)).group_by("review_status").len().iter_rows())
    return {d: found[d] for d in APPLIED_DECISIONS if found.get(d)}


def review_card_section(df: pl.DataFrame) -> str | None:
    """The dataset card's review section: decisions applied by decision, and what still waits."""
    applied = applied_decisions(df)
    if not applied:
        return None
    labels = {
        ACCEPTED: "accepted (kept as is)",
        EDITED: "edited (kept with the reviewer's question/answer)",
        DUPLICATE: f"kept another member of its duplicate cluster (dropped: {DUPLICATE_OF_REVIEWED})",
        REJECTED: "rejected (dropped: review_rejected)",
    }
    lines = ["## Review decisions", "", "Human decisions from the review queue applied to this export's rows:", ""]
    lines += [f"- {labels[d]}: {n}" for d, n in applied.items()]
    return "\n".join(lines) + "\n"


def _content_key_expr() -> pl.Expr:
    choices = pl.col("choices").list.join(CHOICE_SEP).fill_null("")
    return pl.concat_str(
        [pl.col("question").fill_null(""), pl.col("answer").fill_null(""), choices],
        separator=KEY_SEP,
    )


def apply_review_decisions(df: pl.DataFrame, queue: ReviewQueue) -> pl.DataFrame:
    """Apply decisions to the rows that have a queue item (matched on id + content); a join.

    accepted → `review_status="accepted"`; edited → question/answer replaced (previous values in
    `original_question`/`original_answer` unless an earlier rewrite already holds them), `rewritten_by="review"`, `review_status="edited"`;
    rejected → `review_status="rejected"` and `drop_reason="review_rejected"` where still null;
    duplicate (a "keep one" cluster decision kept another member) → `review_status="duplicate"`,
    `drop_reason="duplicate_of_reviewed"` where still null, `duplicate_of` = the kept problem id;
    pending, claimed or skipped → `review_status="pending"` while the row still has a `review_reason`
    (a row no stage flags any more is not held back by a stale item). Rows without an item are unchanged.
    A conflicting duplicate cluster is settled as a whole (see `_apply_cluster_decisions`).
    """
    if df.height == 0:
        return df
    states = queue.item_states()
    if not states:
        return df
    tmp = "__review_"
    items_df = pl.DataFrame(
        states,
        schema={
            "id": pl.Int64,
            "problem_id": pl.Utf8,
            "content_key": pl.Utf8,
            "status": pl.Utf8,
            "decision": pl.Utf8,
            "edited_question": pl.Utf8,
            "edited_answer": pl.Utf8,
            "queued_at": pl.Float64,
            "duplicate_of": pl.Utf8,
        },
    ).rename(lambda c: tmp + c)
    # one item per (problem id, content): the latest queued wins if an old item was reopened/requeued
    items_df = items_df.sort(tmp + "queued_at", tmp + "id").unique(
        [tmp + "problem_id", tmp + "content_key"], keep="last", maintain_order=True
    )
    cols = df.columns
    for name in ("original_question", "original_answer", "rewritten_by", "review_status", "review_reason", "drop_reason",
                 "duplicate_of"):
        if name not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(name))
    if "choices" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.List(pl.Utf8)).alias("choices"))
    joined = df.with_columns(_content_key_expr().alias(tmp + "key")).join(
        items_df,
        left_on=["id", tmp + "key"],
        right_on=[tmp + "problem_id", tmp + "content_key"],
        how="left",
        maintain_order="left",
    )
    status = pl.col(tmp + "status")
    has_item = status.is_not_null()
    is_edit = status == EDITED
    new_q = pl.col(tmp + "edited_question")
    new_a = pl.col(tmp + "edited_answer")
    q_changes = is_edit & new_q.is_not_null()
    a_changes = is_edit & new_a.is_not_null()
    out = joined.with_columns(
        pl.when(~has_item)
        .then(pl.col("review_status"))
        .when(status.is_in([ACCEPTED, EDITED, REJECTED, DUPLICATE]))
        .then(status)
        # undecided: held back only while a stage still flags the row (a row no stage flags any
        # more, e.g. after a fixed reference, is not held by a stale queue item)
        .when(pl.col("review_reason").is_not_null())
        .then(pl.lit("pending"))
        .otherwise(pl.col("review_status"))
        .alias("review_status"),
        pl.when(q_changes).then(new_q).otherwise(pl.col("question")).alias("question"),
        pl.when(a_changes).then(new_a).otherwise(pl.col("answer")).alias("answer"),
        # the earliest original wins: an item rewritten by MCQ conversion and then edited keeps the
        # question as ingested, not the intermediate rewrite
        pl.when(is_edit & pl.col("original_question").is_null())
        .then(pl.col("question"))
        .otherwise(pl.col("original_question"))
        .alias("original_question"),
        pl.when(is_edit & pl.col("original_answer").is_null())
        .then(pl.col("answer"))
        .otherwise(pl.col("original_answer"))
        .alias("original_answer"),
        pl.when(is_edit).then(pl.lit("review")).otherwise(pl.col("rewritten_by")).alias("rewritten_by"),
        pl.when((status == REJECTED) & pl.col("drop_reason").is_null())
        .then(pl.lit("review_rejected"))
        .when((status == DUPLICATE) & pl.col("drop_reason").is_null())
        .then(pl.lit(DUPLICATE_OF_REVIEWED))
        .otherwise(pl.col("drop_reason"))
        .alias("drop_reason"),
        pl.when(status == DUPLICATE).then(pl.col(tmp + "duplicate_of")).otherwise(pl.col("duplicate_of")).alias("duplicate_of"),
    )
    out = _clear_kept_member_links(out, tmp)
    out = _apply_cluster_decisions(out, tmp)
    added = [c for c in ("original_question", "original_answer", "rewritten_by", "review_status", "drop_reason", "duplicate_of")
             if c not in cols]
    if "review_reason" not in cols:
        out = out.drop("review_reason")
    return out.select(cols + added)
