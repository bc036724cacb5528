"""Code items in `curate check-answer` (the answer is the program), kept out of generate_cmd."""

from __future__ import annotations

import sys

import typer


def check_code_record(record: dict, answer: str, *, unsafe_no_sandbox: bool = False) -> bool:
    """Judge `answer` when `record` is a code item (a curate record with kind "code", or a raw row
    of a code source); print PASS/FAIL and exit 1 on FAIL. Returns False (nothing done) for a record
    that is not a code problem."""
    from curation.code.check import check_code_answer, code_spec
    from curation.code.readers import CodeRowError, read_code_row
    from curation.config import CodeSettings
    from curation.errors import SourceError

    if record.get("kind") == "code":
        spec = code_spec(record)
    else:
        try:
            fields = read_code_row(record)
        except CodeRowError:
            return False
        spec = code_spec({"kind": "code", **fields})
    if spec is None:
        raise SourceError("code item has no tests (code_tests is empty)")
    if answer == "-":
        answer = sys.stdin.read()
    elif answer.startswith("@"):
        from pathlib import Path

        path = Path(answer[1:])
        if not path.is_file():
            raise SourceError(f"{path}: no such file")
        answer = path.read_text(encoding="utf-8", errors="replace")
    result = check_code_answer(spec, answer, settings=CodeSettings(unsafe_no_sandbox=unsafe_no_sandbox))
    typer.echo(f"{'PASS' if result.ok else 'FAIL'}: {result.reason}")
    if not result.ok:
        raise typer.Exit(1)
    return True
