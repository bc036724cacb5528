"""The run report: counts per stage and reason, the difficulty histogram, the review queue depth and
where the dataset went, as plain data and as Markdown (`out/run_report.md`).

Pure functions, no Prefect: `curate run` (no engine) writes the same Markdown as the Prefect flow,
which additionally publishes these pieces as artifacts (`flows/report.py`).

    facts = collect_run_facts(report, last_file=..., review_url=...)
    markdown = build_run_report(facts)
    write_run_report(facts, out_dir / "run_report.md")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from curation.io import write_text_atomic

REPORT_NAME = "run_report.md"

#: pass-rate bins of the difficulty histogram: (label, low, high, low inclusive, high inclusive)
PASS_RATE_BINS: tuple[tuple[str, float, float, bool, bool], ...] = (
    ("0 (never solved)", 0.0, 0.0, True, True),
    ("(0, 0.25]", 0.0, 0.25, False, True),
    ("(0.25, 0.5]", 0.25, 0.5, False, True),
    ("(0.5, 0.75]", 0.5, 0.75, False, True),
    ("(0.75, 1)", 0.75, 1.0, False, False),
    ("1 (always solved)", 1.0, 1.0, True, True),
)
UNSCORED = "not graded"
#: review decisions applied to rows (`review_status` set by `curation.review.apply_review_decisions`)
REVIEW_DECISIONS = ("accepted", "edited", "duplicate", "rejected")


@dataclass
class RunFacts:
    """Everything the report shows; plain data (JSON-able via `as_dict`)."""

    out_dir: str
    dataset_dir: str | None
    stages: list[dict[str, Any]]
    destinations: dict[str, int]
    difficulty_histogram: dict[str, int] = field(default_factory=dict)
    review_open: int | None = None
    review_by_reason: dict[str, int] = field(default_factory=dict)
    engine: str = "local"
    flow_run: str | None = None
    started_at: str | None = None
    seconds: float | None = None
    alarms: list[str] = field(default_factory=list)  # sanity alarms on the final rows (curation/alarms.py)
    # rows of the final table carrying an applied review decision, by decision; rows still waiting
    # for one, by review reason (a row a reviewer decided is not pending, whatever stage flagged it)
    review_decisions: dict[str, int] = field(default_factory=dict)
    review_pending: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _report_dict(report: Any) -> dict[str, Any]:
    return report.as_dict() if hasattr(report, "as_dict") else dict(report)


def difficulty_histogram(df: pl.DataFrame) -> dict[str, int]:
    """Rows per pass-rate bin; a row's pass rate is the mean over the models that scored it.

    Rows with no scored result (stage disabled, sample limit, endpoint failure) count as "not graded".
    """
    counts = {label: 0 for label, *_ in PASS_RATE_BINS}
    counts[UNSCORED] = 0
    if df.height == 0 or "difficulty" not in df.columns:
        counts[UNSCORED] = df.height
        return counts
    rates = df.select(
        pl.col("difficulty")
        .list.eval(pl.element().struct.field("pass_rate").drop_nulls())
        .list.mean()
        .alias("rate")
    ).get_column("rate")
    for rate in rates.to_list():
        if rate is None:
            counts[UNSCORED] += 1
            continue
        for label, low, high, low_inc, high_inc in PASS_RATE_BINS:
            above = rate >= low if low_inc else rate > low
            below = rate <= high if high_inc else rate < high
            if above and below:
                counts[label] += 1
                break
    return counts


def review_outcomes(df: pl.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """(rows with an applied review decision, by decision; rows still waiting for review, by reason)
    of a final problem table. Waiting = flagged, not dropped, and undecided (`drop.split_outcomes`)."""
    decided: dict[str, int] = {}
    pending: dict[str, int] = {}
    if df.height == 0 or "review_status" not in df.columns:
        if "review_reason" in df.columns:
            live = df.filter(pl.col("review_reason").is_not_null())
            if "drop_reason" in df.columns:
                live = live.filter(pl.col("drop_reason").is_null())
            pending = {r: n for r, n in live.group_by("review_reason").len().iter_rows()}
        return decided, pending
    for status, n in df.filter(pl.col("review_status").is_in(REVIEW_DECISIONS)).group_by("review_status").len().iter_rows():
        decided[status] = n
    if "review_reason" in df.columns:
        waiting = pl.col("review_reason").is_not_null() & (pl.col("review_status").is_null() | (pl.col("review_status") == "pending"))
        if "drop_reason" in df.columns:
            waiting = waiting & pl.col("drop_reason").is_null()
        pending = {r: n for r, n in df.filter(waiting).group_by("review_reason").len().iter_rows()}
    return {k: decided[k] for k in REVIEW_DECISIONS if k in decided}, dict(sorted(pending.items()))


def review_queue_depth(review_url: str | None) -> tuple[int | None, dict[str, int]]:
    """(open items, open items by reason) of the review queue; (None, {}) when it cannot be read."""
    if not review_url:
        return None, {}
    if review_url.startswith("sqlite:///"):
        path = Path(review_url.removeprefix("sqlite:///"))
        if not path.exists():
            return 0, {}
    try:
        from curation.review import ReviewQueue

        queue = ReviewQueue(review_url)
    except Exception:
        return None, {}
    try:
        stats = queue.stats()
        by_reason = {r: sum(v.values()) for r, v in stats.get("depth_by_reason", {}).items()}
        return int(stats.get("open", 0)), by_reason
    except Exception:
        return None, {}
    finally:
        close = getattr(queue, "close", None)
        if close:
            close()


def collect_run_facts(
    report: Any,
    *,
    last_file: str | Path | None = None,
    review_url: str | None = None,
    engine: str = "local",
    flow_run: str | None = None,
    started_at: datetime | None = None,
    seconds: float | None = None,
) -> RunFacts:
    """Gather the report's facts from a `PipelineReport` (or its dict), the last stage file and the queue."""
    data = _report_dict(report)
    histogram: dict[str, int] = {}
    decided: dict[str, int] = {}
    pending: dict[str, int] = {}
    if last_file is not None and Path(last_file).exists():
        histogram = difficulty_histogram(pl.read_parquet(last_file, columns=["difficulty"]))
        present = set(pl.read_parquet_schema(last_file))
        wanted = [c for c in ("review_status", "review_reason", "drop_reason") if c in present]
        if wanted:
            decided, pending = review_outcomes(pl.read_parquet(last_file, columns=wanted))
    depth, by_reason = review_queue_depth(review_url)
    return RunFacts(
        out_dir=str(data["out_dir"]),
        dataset_dir=str(data["dataset_dir"]) if data.get("dataset_dir") else None,
        stages=list(data.get("stages", [])),
        destinations=dict(data.get("destinations", {})),
        difficulty_histogram=histogram,
        review_open=depth,
        review_by_reason=by_reason,
        engine=engine,
        flow_run=flow_run,
        started_at=(started_at or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        seconds=seconds,
        alarms=list(data.get("alarms") or []),
        review_decisions=decided,
        review_pending=pending,
    )


def stage_reason_rows(facts: RunFacts) -> list[dict[str, Any]]:
    """One row per stage and reason: stage, rows after it, outcome (dropped/review), reason, count,
    and for review rows `pending`: how many rows with that reason still wait for a decision at the
    end of the run (decided rows are not pending).

    A stage that added no reason still gets one row (reason "-") so every stage appears.
    """
    rows = []
    for stage in facts.stages:
        added = [("dropped", r, n) for r, n in sorted(stage.get("dropped", {}).items())]
        added += [("review", r, n) for r, n in sorted(stage.get("review", {}).items())]
        status = "skipped" if stage.get("skipped") else ("cached" if stage.get("cached") else "ran")
        base = {"stage": stage["stage"], "rows": stage["rows"], "status": status, "seconds": stage.get("seconds", 0.0)}
        if not added:
            rows.append({**base, "outcome": "-", "reason": "-", "count": 0, "pending": None})
        for outcome, reason, n in added:
            # every row has the same keys (a Prefect table artifact wants that)
            pending = min(n, facts.review_pending.get(reason, 0)) if outcome == "review" else None
            row = {**base, "outcome": outcome, "reason": reason, "count": n, "pending": pending}
            rows.append(row)
    return rows


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _peak_mb(stage: dict[str, Any]) -> str:
    """The process's peak resident memory while the stage ran (`StageCount.peak_rss_mb`), "-" for a
    cached stage or a report from before the field existed."""
    value = stage.get("peak_rss_mb")
    return "-" if value is None else f"{float(value):,.0f}"


def build_run_report(facts: RunFacts) -> str:
    """The run report as Markdown."""
    out = ["# Curation run report", ""]
    meta = [f"- engine: {facts.engine}"]
    if facts.flow_run:
        meta.append(f"- flow run: {facts.flow_run}")
    if facts.started_at:
        meta.append(f"- started: {facts.started_at}")
    if facts.seconds is not None:
        meta.append(f"- wall time: {facts.seconds:.1f} s")
    meta.append(f"- output folder: `{facts.out_dir}`")
    meta.append(f"- exported dataset: `{facts.dataset_dir}`" if facts.dataset_dir else "- exported dataset: (none)")
    out += meta + ["", "## Outcome", ""]
    dest = facts.destinations
    out.append(_table(["kept", "dropped", "in review", "quarantined"],
                      [[dest.get("kept", 0), dest.get("dropped", 0), dest.get("review", 0), dest.get("quarantined", 0)]]))
    if facts.alarms:
        out += ["", "## Sanity alarms", ""] + [f"- {message}" for message in facts.alarms]
    out += ["", "## Stages", ""]
    stage_rows = []
    for s in facts.stages:
        status = "skipped" if s.get("skipped") else ("cached" if s.get("cached") else "ran")
        stage_rows.append([
            s["stage"], s["rows"], status, f"{float(s.get('seconds') or 0):.2f}",
            sum(s.get("dropped", {}).values()), sum(s.get("review", {}).values()), _peak_mb(s), s.get("note") or "",
        ])
    out.append(_table(["stage", "rows", "status", "seconds", "dropped", "flagged for review", "peak RSS MB", "note"], stage_rows))
    reasons = [r for r in stage_reason_rows(facts) if r["count"]]
    out += ["", "## Reasons", ""]
    if reasons:
        out.append(_table(["stage", "outcome", "reason", "count", "still pending"],
                          [[r["stage"], r["outcome"], r["reason"], r["count"], "" if r["pending"] is None else r["pending"]]
                           for r in reasons]))
    else:
        out.append("No stage dropped a row or sent one to review.")
    out += ["", "## Difficulty (pass rate over sampled solutions)", ""]
    if facts.difficulty_histogram and any(facts.difficulty_histogram.values()):
        out.append(_table(["pass rate", "items"], [[k, v] for k, v in facts.difficulty_histogram.items()]))
    else:
        out.append("No difficulty results.")
    out += ["", "## Review queue", ""]
    if facts.review_open is None:
        out.append("Review queue not available.")
    else:
        out.append(f"Open items: {facts.review_open}")
        if facts.review_by_reason:
            out += ["", _table(["reason", "open"], [[r, n] for r, n in sorted(facts.review_by_reason.items())])]
    out += ["", "Review decisions applied to this run's rows:", ""]
    if facts.review_decisions:
        out.append(_table(["decision", "rows"], [[d, n] for d, n in facts.review_decisions.items()]))
    else:
        out.append("none.")
    out.append("")
    return "\n".join(out)


def write_run_report(facts: RunFacts, path: str | Path | None = None) -> Path:
    """Write the Markdown report (default: `<out_dir>/run_report.md`) atomically; return its path."""
    path = Path(path) if path is not None else Path(facts.out_dir) / REPORT_NAME
    return write_text_atomic(path, build_run_report(facts))
