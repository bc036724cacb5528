"""The one explicit removal step: split a problem table into kept / dropped / in review.

- dropped: `drop_reason` is set (whatever the review state);
- review: no drop_reason, and the review is undecided — `review_status == "pending"`, or
  `review_reason` set while `review_status` is null;
- kept: everything else (including rows a reviewer accepted/edited; a rejected row carries a
  drop_reason set by the review stage).
Every row lands in exactly one of the three.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from curation.frames import value_counts
from schemas import conform


@dataclass
class Outcomes:
    kept: pl.DataFrame
    dropped: pl.DataFrame
    review: pl.DataFrame

    @property
    def total(self) -> int:
        return self.kept.height + self.dropped.height + self.review.height


def _destination() -> pl.Expr:
    dropped = pl.col("drop_reason").is_not_null()
    pending = (pl.col("review_status") == "pending").fill_null(False) | (
        pl.col("review_reason").is_not_null() & pl.col("review_status").is_null()
    )
    return pl.when(dropped).then(pl.lit("dropped")).when(pending).then(pl.lit("review")).otherwise(pl.lit("kept"))


def split_outcomes(df: pl.DataFrame) -> Outcomes:
    """Split `df` (conformed first) into kept / dropped / review frames (row order preserved)."""
    df = conform(df)
    dest = df.select(_destination().alias("d")).to_series()
    kept = dest == "kept"
    if kept.all():  # nothing to remove: no copy
        return Outcomes(kept=df, dropped=df.clear(), review=df.clear())
    return Outcomes(
        kept=df.filter(kept),
        dropped=df.filter(dest == "dropped"),
        review=df.filter(dest == "review"),
    )


def outcome_counts(outcomes: Outcomes, quarantine: pl.DataFrame | None = None) -> dict:
    """Counts per destination, per drop reason, per review reason and per source.

    Returns {"kept", "dropped", "review", "quarantined", "total", "drop_reasons": {reason: n},
    "review_reasons": {reason: n}, "sources": {source: {kept, dropped, review, quarantined}}}.
    """
    q = quarantine if quarantine is not None else pl.DataFrame(schema={"source": pl.Utf8})
    counts = {
        "kept": outcomes.kept.height,
        "dropped": outcomes.dropped.height,
        "review": outcomes.review.height,
        "quarantined": q.height,
    }
    counts["total"] = sum(counts.values())
    counts["drop_reasons"] = value_counts(outcomes.dropped, "drop_reason", null_as="(none)")
    counts["review_reasons"] = value_counts(outcomes.review, "review_reason", null_as="pending")
    sources: dict[str, dict[str, int]] = {}
    for dest, frame in (("kept", outcomes.kept), ("dropped", outcomes.dropped), ("review", outcomes.review), ("quarantined", q)):
        for name, n in value_counts(frame, "source", null_as="(none)").items():
            sources.setdefault(name, {"kept": 0, "dropped": 0, "review": 0, "quarantined": 0})[dest] = n
    counts["sources"] = dict(sorted(sources.items()))
    return counts
