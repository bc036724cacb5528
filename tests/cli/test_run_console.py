"""`curate run` console: the demo-model warning is said once, the summary fits 80 columns."""

from __future__ import annotations

import logging

from curation.cli.pipeline_cmd import _said_once


def test_a_message_the_cli_already_printed_is_dropped_once_and_only_that_one(caplog):
    logger = logging.getLogger("curation.test-said-once")
    _said_once(logger, "the demo model is near-random")
    _said_once(logger, "the demo model is near-random")  # a second run in one process adds no second filter
    assert len(logger.filters) == 1
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.warning("the demo model is near-random")
        logger.warning("%s decisions", "other")
    assert [r.getMessage() for r in caplog.records] == ["other decisions"]


def test_stage_lines_fit_80_columns_and_notes_go_on_their_own_line(tmp_path):
    import json

    from typer.testing import CliRunner

    from curation.cli.main import app

    rows = [{"question": f"What is {i} plus {i + 3}?", "answer": 2 * i + 3} for i in range(5)]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + "{broken\n")
    (tmp_path / "c.toml").write_text(
        'output_dir = "out"\n[[sources]]\npath = "p.jsonl"\n[difficulty]\nenabled = false\n[review]\nenabled = false\n'
    )
    result = CliRunner().invoke(app, ["run", "-c", str(tmp_path / "c.toml"), "--engine", "local"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    stage_lines = [ln for ln in lines if ln.startswith("✓ ")]
    assert len(stage_lines) >= 5
    assert all(len(ln) <= 80 for ln in stage_lines), stage_lines
    ingest = next(i for i, ln in enumerate(lines) if ln.startswith("✓ ingest"))
    assert "1 quarantined" in lines[ingest + 1] and lines[ingest + 1].startswith("    ")


def test_a_named_curate_error_under_prefect_is_logged_without_its_traceback():
    """Prefect's engine logs a failed task and flow run with exc_info; for a named curate error (a
    refused export, a strict alarm) the CLI's one line is the message, so the traceback is left out.
    Any other exception keeps it. (Checked by hand on a real `curate run --engine prefect` refusal.)"""
    import io

    from curation.cli.pipeline_cmd import PREFECT_RUN_LOGGERS, quiet_curate_error_tracebacks
    from curation.errors import ExportError

    quiet_curate_error_tracebacks()
    quiet_curate_error_tracebacks()  # once per process, however many runs
    for name in PREFECT_RUN_LOGGERS:
        logger = logging.getLogger(name)
        assert sum(type(f).__name__ == "_NoTracebackForCurateErrors" for f in logger.filters) == 1
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        logger.addHandler(handler)
        try:
            for exc in (ExportError("refusing to replace the dataset"), ValueError("a real bug")):
                try:
                    raise exc
                except Exception:
                    logger.error("Task run failed with exception: %r", exc, exc_info=True)
        finally:
            logger.removeHandler(handler)
        text = stream.getvalue()
        assert "Task run failed with exception: ExportError('refusing to replace the dataset')" in text
        assert text.count("Traceback") == 1 and "ValueError: a real bug" in text
        assert "raise exc\nExportError" not in text
