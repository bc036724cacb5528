"""schemas/problem.schema.json must match `schemas.json_schema()` (regenerate: python -m tests.schema.regen_schema)."""

import json

from tests.schema.regen_schema import SCHEMA_FILE, render


def test_schema_file_is_up_to_date():
    assert SCHEMA_FILE.exists(), "run: python -m tests.schema.regen_schema"
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == json.loads(render()), (
        "schemas/problem.schema.json is out of date: python -m tests.schema.regen_schema"
    )
