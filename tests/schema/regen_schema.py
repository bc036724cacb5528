"""Regenerate schemas/problem.schema.json: `python -m tests.schema.regen_schema`."""

import json
from pathlib import Path

from schemas import json_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "problem.schema.json"


def render() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(SCHEMA_FILE)
