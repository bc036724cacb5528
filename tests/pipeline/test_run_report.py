"""The run report is a pure function of the pipeline report, the last table and the review queue."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from curation.run_report import (
    UNSCORED,
    build_run_report,
    collect_run_facts,
    difficulty_histogram,
    stage_reason_rows,
    write_run_report,
)
from schemas import conform


def table_with_rates(rates: list[list[float | None]]) -> pl.DataFrame:
    rows = []
    for i, per_model in enumerate(rates):
        results = [{"model": f"m{j}", "k": 4, "pass_rate": r} for j, r in enumerate(per_model)]
        rows.append({"id": str(i), "source": "s", "question": f"q{i}", "difficulty": results})
    return conform(pl.DataFrame(rows, infer_schema_length=None))


def test_histogram_bins_and_unscored():
    df = table_with_rates([[0.0], [0.25], [0.5, 1.0], [1.0], [None], [], [0.9]])
    h = difficulty_histogram(df)
    assert h["0 (never solved)"] == 1
    assert h["(0, 0.25]"] == 1
    assert h["(0.5, 0.75]"] == 1  # mean of 0.5 and 1.0
    assert h["1 (always solved)"] == 1
    assert h["(0.75, 1)"] == 1
    assert h[UNSCORED] == 2


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.floats(0, 1)), max_size=3), max_size=30))
def test_histogram_counts_every_row_once(rates):
    df = table_with_rates(rates) if rates else conform(pl.DataFrame({"id": [], "source": [], "question": []}))
    assert sum(difficulty_histogram(df).values()) == len(rates)


def test_report_markdown(tmp_path: Path):
    report = {
        "out_dir": str(tmp_path),
        "dataset_dir": str(tmp_path / "dataset"),
        "destinations": {"kept": 5, "dropped": 2, "review": 1, "quarantined": 0},
        "quarantined": 0,
        "stages": [
            {"stage": "ingest", "rows": 8, "dropped": {}, "review": {}, "seconds": 0.1, "skipped": False, "note": "8 rows read"},
            {"stage": "clean", "rows": 8, "dropped": {"proof": 2}, "review": {}, "seconds": 0.2, "skipped": False, "note": None},
            {"stage": "dedup", "rows": 8, "dropped": {}, "review": {"conflicting_answers": 1}, "seconds": 0.3,
             "skipped": False, "note": None, "cached": True},
        ],
    }
    last = tmp_path / "last.parquet"
    table_with_rates([[0.0], [1.0]]).write_parquet(last)
    facts = collect_run_facts(report, last_file=last, review_url=f"sqlite:///{tmp_path / 'none.sqlite'}", seconds=1.5)
    md = build_run_report(facts)
    assert "| clean | dropped | proof | 2 |" in md
    assert "| dedup | review | conflicting_answers | 1 |" in md
    assert "| dedup | 8 | cached |" in md
    assert "| 5 | 2 | 1 | 0 |" in md
    assert "Open items: 0" in md
    rows = stage_reason_rows(facts)
    assert {r["stage"] for r in rows} == {"ingest", "clean", "dedup"}
    path = write_run_report(facts)
    assert path == tmp_path / "run_report.md" and path.read_text() == md


def test_decided_rows_are_counted_as_decisions_not_as_pending(tmp_path: Path):
    """After a rerun that applied review decisions the report says so: the flagging stage's reason
    row shows how many rows still wait (0 here), and the decisions applied are counted by decision."""
    report = {
        "out_dir": str(tmp_path), "dataset_dir": None, "quarantined": 0,
        "destinations": {"kept": 2, "dropped": 2, "review": 1, "quarantined": 0},
        "stages": [
            {"stage": "dedup", "rows": 5, "dropped": {}, "review": {"conflicting_answers": 3}, "seconds": 0.1,
             "skipped": False, "note": None},
            {"stage": "difficulty", "rows": 5, "dropped": {}, "review": {"disputed_reference": 1}, "seconds": 0.1,
             "skipped": False, "note": None},
        ],
    }
    last = tmp_path / "last.parquet"
    conform(pl.DataFrame({
        "id": list("abcde"), "source": ["s"] * 5, "question": list("abcde"),
        "review_reason": ["conflicting_answers"] * 3 + ["disputed_reference", None],
        "review_status": ["accepted", "duplicate", "rejected", "pending", None],
        "drop_reason": [None, "duplicate_of_reviewed", "review_rejected", None, None],
    })).write_parquet(last)
    facts = collect_run_facts(report, last_file=last)
    assert facts.review_decisions == {"accepted": 1, "duplicate": 1, "rejected": 1}
    assert facts.review_pending == {"disputed_reference": 1}
    md = build_run_report(facts)
    assert "| dedup | review | conflicting_answers | 3 | 0 |" in md
    assert "| difficulty | review | disputed_reference | 1 | 1 |" in md
    assert "| accepted | 1 |" in md and "| duplicate | 1 |" in md and "| rejected | 1 |" in md
    assert {r["pending"] for r in stage_reason_rows(facts)} == {0, 1}
