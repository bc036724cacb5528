"""Sanity alarms: a mis-read source is named with its reason and an example, never silent."""

from __future__ import annotations

import json

import polars as pl
import pytest

from curation.alarms import DataAlarmError, check_alarms, sanity_alarms


def frame(rows):
    base = {"source": "s", "source_row": 0, "question": "q", "answer": None, "drop_reason": None, "metadata": None}
    return pl.DataFrame([{**base, **r} for r in rows], schema_overrides={"answer": pl.Utf8, "drop_reason": pl.Utf8, "metadata": pl.Utf8})


def test_one_reason_taking_most_of_a_source_alarms_with_an_example():
    df = frame([{"source_row": i, "question": f"question {i}", "drop_reason": "missing_answer" if i < 8 else None} for i in range(10)])
    kinds = {a.kind: a for a in sanity_alarms(df)}
    assert "reason_share" in kinds and kinds["reason_share"].count == 8 and kinds["reason_share"].example_row == 0
    assert "missing_answer" in kinds["reason_share"].message()


def test_all_rows_lost_alarms_and_strict_raises():
    df = frame([{"source_row": i, "drop_reason": "figure" if i % 2 else "proof"} for i in range(4)])
    assert any(a.kind == "all_rows_lost" for a in sanity_alarms(df))
    with pytest.raises(DataAlarmError, match="source 's'"):
        check_alarms(df, strict=True)


def test_worked_solution_answers_alarm():
    worked = "First we add 3 and 4 to get 7 apples in total. Then we double it to get 14 apples. So she has 14."
    df = frame([{"answer": worked}] * 3 + [{"answer": "5"}])
    assert any(a.kind == "worked_solution_answers" for a in sanity_alarms(df))


def test_question_fragment_next_to_longer_unmapped_text_alarms():
    meta = json.dumps({"Body": "A basket holds five apples and three pears, and two more pears are added later."})
    df = frame([{"question": "How many pears are there?", "answer": "5", "metadata": meta}] * 4)
    assert any(a.kind == "question_fragment" for a in sanity_alarms(df))


def test_healthy_source_is_quiet():
    df = frame([{"source_row": i, "question": "What is the sum of two and three?", "answer": "5"} for i in range(5)])
    assert sanity_alarms(df) == [] and check_alarms(df, strict=True) == []


def test_cli_clean_warns_and_strict_exits_2(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    src = tmp_path / "keyless.jsonl"
    # the answer key sits in a field no mapping names: every row would be `missing_answer`
    src.write_text("".join(json.dumps({"question": f"What is {i} plus {i}?", "key": str(2 * i)}) + "\n" for i in range(5)))

    def cli(*extra):
        return subprocess.run([sys.executable, "-m", "curation.cli.main", "clean", str(src), str(tmp_path / "o.parquet"), *extra],
                              capture_output=True, text=True, cwd=root, timeout=300)

    warned = cli()
    assert warned.returncode == 0 and "warning: source 'keyless'" in warned.stderr and "missing_answer" in warned.stderr
    strict = cli("--strict")
    assert strict.returncode == 2 and strict.stderr.strip().count("\n") == 0 and "missing_answer" in strict.stderr


def test_card_section_names_the_alarm():
    from curation.alarms import alarms_card_section

    df = frame([{"source_row": i, "question": f"question {i}", "drop_reason": "missing_answer"} for i in range(3)])
    section = alarms_card_section(df)
    assert section.startswith("## Sanity alarms") and "missing_answer" in section and "'s'" in section
    assert alarms_card_section(frame([{"question": "What is two plus two?", "answer": "4"}])) == ""
