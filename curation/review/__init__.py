"""Human review queue (issue 8): a store of items needing a human, leases, audit, decisions.

Pipeline API::

    from curation.review import ReviewQueue, apply_review_decisions, db_url_for, queue_items
    queue = ReviewQueue(db_url_for(cfg), lease_seconds=cfg.review.lease_seconds)
    queue_items(df, queue, evidence=None)      # -> number newly queued
    df = apply_review_decisions(df, queue)     # -> review_status / edits / review_rejected

Imports SQLAlchemy: import it lazily from CLI code.
"""

from curation.review.apply import apply_review_decisions, build_evidence, queue_items
from curation.review.queue import (
    CLUSTER_DECISIONS,
    DECISIONS,
    STATUSES,
    ReviewItem,
    ReviewQueue,
    content_hash,
    content_key,
)


def db_url_for(cfg) -> str:
    """The review database of a pipeline config: `review.db_url`, else OUTPUT_DIR/review.sqlite."""
    return cfg.review.db_url or str(cfg.output_path / "review.sqlite")


def distinct_groups_for(cfg) -> list[list[str]]:
    """The "not duplicates" groups recorded in the config's review database (`ReviewQueue.
    distinct_groups`), for the dedup stage; [] while no review database exists (none is created)."""
    from pathlib import Path

    url = db_url_for(cfg)
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else (None if "://" in url else url)
    if path is not None and not Path(path).expanduser().exists():
        return []
    with ReviewQueue(url) as queue:
        return queue.distinct_groups()


__all__ = [
    "db_url_for",
    "distinct_groups_for",
    "CLUSTER_DECISIONS",
    "DECISIONS",
    "STATUSES",
    "ReviewItem",
    "ReviewQueue",
    "apply_review_decisions",
    "build_evidence",
    "content_hash",
    "content_key",
    "queue_items",
]
