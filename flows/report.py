"""Publish the run report as Prefect artifacts and write it next to the export as Markdown.

The report itself is built by `curation.run_report` (pure, no Prefect), so `curate run` without the
engine writes the same `out/run_report.md`. Artifacts published for each pipeline run:

- `curation-stage-counts` (table): per stage and reason, rows, outcome, count, cached/ran;
- `curation-difficulty` (table): the pass-rate histogram of the `difficulty` column;
- `curation-review-queue` (table): open review items by reason (the queue depth);
- `curation-dataset` (link): the exported dataset folder;
- `curation-run-report` (markdown): the whole Markdown report.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from curation.run_report import RunFacts, collect_run_facts, stage_reason_rows, write_run_report


def _merge_counts(report: dict[str, Any], counts: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's stages carrying the flow-only fields (cached, attempts) from the task results."""
    extra = {c["stage"]: c for c in counts}
    stages = []
    for s in report.get("stages", []):
        more = extra.get(s["stage"], {})
        stages.append({**s, "cached": more.get("cached", False), "attempts": more.get("attempts", 1)})
    return {**report, "stages": stages}


def build_facts(
    ws,
    report: dict[str, Any],
    *,
    counts: list[dict[str, Any]],
    last_file: str | Path | None,
    started_at: datetime | None = None,
    seconds: float | None = None,
    engine: str = "prefect",
) -> RunFacts:
    flow_run = None
    try:
        from prefect.runtime import flow_run as fr

        flow_run = f"{fr.flow_name}/{fr.name}" if fr.id else None
    except Exception:
        pass
    return collect_run_facts(
        _merge_counts(report, counts),
        last_file=last_file,
        review_url=ws.review_url,
        engine=engine,
        flow_run=flow_run,
        started_at=started_at,
        seconds=seconds,
    )


def publish_artifacts(facts: RunFacts, markdown: str, report_path: Path) -> None:
    """Create the run's Prefect artifacts (inside a flow or task run)."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

    create_table_artifact(
        stage_reason_rows(facts),
        key="curation-stage-counts",
        description="Rows after each stage, and the drop / review reasons it added.",
    )
    create_table_artifact(
        [{"pass_rate": k, "items": v} for k, v in facts.difficulty_histogram.items()] or [{"pass_rate": "-", "items": 0}],
        key="curation-difficulty",
        description="Difficulty histogram: items per pass-rate bin (mean over models).",
    )
    depth_rows = [{"reason": r, "open": n} for r, n in sorted(facts.review_by_reason.items())]
    depth_rows.append({"reason": "(total)", "open": facts.review_open if facts.review_open is not None else "n/a"})
    create_table_artifact(depth_rows, key="curation-review-queue", description="Review queue depth (open items).")
    if facts.dataset_dir:
        create_link_artifact(
            Path(facts.dataset_dir).resolve().as_uri(),
            link_text=str(facts.dataset_dir),
            key="curation-dataset",
            description="The exported dataset folder.",
        )
    create_markdown_artifact(
        markdown + f"\n\nReport file: `{report_path}`\n",
        key="curation-run-report",
        description="The run report (also written next to the export).",
    )


def publish_report(
    ws,
    report: dict[str, Any],
    *,
    counts: list[dict[str, Any]],
    last_file: str | Path | None,
    started_at: datetime | None = None,
    seconds: float | None = None,
) -> Path:
    """Write `out/run_report.md` and publish the artifacts; return the report path."""
    from curation.run_report import build_run_report

    facts = build_facts(ws, report, counts=counts, last_file=last_file, started_at=started_at, seconds=seconds)
    path = write_run_report(facts)
    publish_artifacts(facts, build_run_report(facts), path)
    return path
