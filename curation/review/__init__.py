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


__all__ = [
    "db_url_for",
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
