"""Contamination counts for the run report and the dataset card."""

from __future__ import annotations

import polars as pl


def contamination_summary(df: pl.DataFrame) -> dict:
    """Per benchmark: hits and template matches among rows that would otherwise be kept (no other stage
    dropped them), plus totals. {"benchmarks": {name: {"problem": n, "answer": n, "template": n}}, "rows": n,
    "dropped": n, "already_dropped": n}. `problem` counts every hit; `answer` those of them confirmed by
    the reference answers (evidence kind "answer")."""
    if "contamination" not in df.columns or df.height == 0:
        return {"benchmarks": {}, "rows": 0, "dropped": 0, "already_dropped": 0}
    live = pl.col("drop_reason").is_null() | (pl.col("drop_reason") == "contaminated")
    ev = df.select(live.alias("live"), "contamination").with_row_index("row").explode("contamination").drop_nulls("contamination").unnest("contamination")
    per: dict[str, dict[str, int]] = {}
    for name in [c[len("contam_"):] for c in df.columns if c.startswith("contam_") and not c.startswith("contam_template_")]:
        per[name] = {"problem": 0, "answer": 0, "template": 0}
    counts = ev.filter(pl.col("live")).group_by("benchmark", "kind").agg(pl.col("row").n_unique().alias("n"))
    for b, kind, n in counts.iter_rows():
        entry = per.setdefault(b, {"problem": 0, "answer": 0, "template": 0})
        entry[kind] += n
        if kind == "answer":  # an answer-confirmed hit is a hit (one kind per row and benchmark)
            entry["problem"] += n
    flagged = df["contaminated_by"].list.len().fill_null(0) > 0
    return {
        "benchmarks": per,
        "rows": int((flagged & df.select(live).to_series()).sum()),
        "dropped": int((df["drop_reason"] == "contaminated").sum()),
        "already_dropped": int((flagged & ~df.select(live).to_series()).sum()),
    }


def contamination_card_section(df: pl.DataFrame) -> str:
    """Markdown section for the dataset card: contamination counts per benchmark."""
    s = contamination_summary(df)
    lines = ["## Decontamination", ""]
    if not s["benchmarks"]:
        lines.append("No benchmarks were checked.")
        return "\n".join(lines) + "\n"
    lines += [
        "Rows that are the same problem as a benchmark item (most of the item's distinctive word n-grams "
        "covered, a long common span, the same numbers), and rows that share an item's wording with other "
        "numbers (template). Counted among rows no earlier stage dropped. \"Of which by answer\": reworded "
        "copies the text rules alone reject, confirmed by an equivalent, informative reference answer.",
        "",
        "| benchmark | same problem | of which by answer | template (other numbers) |",
        "|---|---:|---:|---:|",
        *[f"| {k} | {v['problem']} | {v['answer']} | {v['template']} |" for k, v in s["benchmarks"].items()],
        "",
        f"Rows flagged: {s['rows']}; dropped as contaminated: {s['dropped']}; "
        f"also matching but already dropped by an earlier stage: {s['already_dropped']}.",
    ]
    return "\n".join(lines) + "\n"
