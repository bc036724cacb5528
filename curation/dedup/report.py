"""Dedup counts for run reports and the dataset card."""

from __future__ import annotations

import polars as pl

from schemas import conform


# ------------------------------------------------------------------------------- card + summary
_IN_REVIEW = (
    pl.col("conflicting_answers")
    & pl.col("drop_reason").is_null()
    & (pl.col("review_reason") == "conflicting_answers")
    & (pl.col("review_status").is_null() | (pl.col("review_status") == "pending"))
)


def dedup_summary(df: pl.DataFrame) -> dict:
    """Counts for reports: clusters, duplicates by kind, conflicting clusters, template groups."""
    df = conform(df)
    clustered = df.filter(pl.col("cluster_id").is_not_null())
    sizes = clustered.group_by("cluster_id").len()["len"] if clustered.height else pl.Series([], dtype=pl.UInt32)
    dups = df.filter(pl.col("duplicate_of").is_not_null())
    return {
        "rows": df.height,
        "clusters": int(sizes.len()),
        "clustered_rows": clustered.height,
        "max_cluster_size": int(sizes.max()) if sizes.len() else 0,
        "mean_cluster_size": float(sizes.mean()) if sizes.len() else 0.0,
        "duplicates": dups.height,
        "exact_duplicates": int(dups["exact_dup_of"].is_not_null().sum()),
        "near_duplicates": int(dups["exact_dup_of"].is_null().sum()),
        # near duplicates linked by the answer-confirmed tier (`same_problem_by`), the ones to audit first
        "linked_by_answer": int((dups["same_problem_by"] == "answer").sum()),
        "dropped_as_duplicate": int(df["drop_reason"].is_in(["exact_duplicate", "near_duplicate"]).sum()),
        # exactly the conflicting clusters waiting in review (every member there with its answer)
        "conflicting_clusters": int(clustered.filter(_IN_REVIEW)["cluster_id"].n_unique()),
        "conflicting_clusters_settled": int(
            clustered.filter(pl.col("conflicting_answers") & pl.col("review_status").is_in(["accepted", "edited", "rejected", "duplicate"]))[
                "cluster_id"
            ].n_unique()
        ),
        "template_groups": int(df["template_group"].drop_nulls().n_unique()),
        "template_rows": int(df["template_group"].is_not_null().sum()),
    }


def dedup_card_section(df: pl.DataFrame) -> str:
    """Markdown section for the dataset card: clusters, sizes, duplicates, conflicts."""
    s = dedup_summary(df)
    hist = ""
    clustered = conform(df).filter(pl.col("cluster_id").is_not_null())
    if clustered.height:
        sizes = clustered.group_by("cluster_id").len().group_by("len").len(name="clusters").sort("len")
        hist = "\n| cluster size | clusters |\n|---:|---:|\n" + "\n".join(
            f"| {a} | {b} |" for a, b in sizes.head(10).iter_rows()
        ) + "\n"
    return (
        "## Deduplication\n\n"
        "Exact duplicates (normalized text), near duplicates (character 5-gram MinHash LSH, verified by exact "
        "Jaccard and the same-problem rule: numbers, math and content words agree), clustered by connected "
        "components; one representative kept per cluster. Similar text with other numbers or another asked "
        "quantity is a same-template group, kept.\n\n"
        f"- rows: {s['rows']}\n"
        f"- duplicate clusters: {s['clusters']} ({s['clustered_rows']} rows; mean size {s['mean_cluster_size']:.2f}, "
        f"max {s['max_cluster_size']})\n"
        f"- duplicates: {s['duplicates']} ({s['exact_duplicates']} exact, {s['near_duplicates']} near, of which "
        f"{s['linked_by_answer']} reworded copies confirmed by an equivalent, informative reference answer); "
        f"dropped as duplicate: {s['dropped_as_duplicate']}\n"
        f"- clusters with conflicting answers: {s['conflicting_clusters']} in review (every member with its answer)"
        + (f"; {s['conflicting_clusters_settled']} settled by a reviewer" if s["conflicting_clusters_settled"] else "")
        + "\n"
        f"- same-template groups (numbers differ): {s['template_groups']} ({s['template_rows']} rows)\n"
        + hist
    )

