"""The canonical record schemas: one source of truth for pydantic, polars/Arrow and JSON Schema."""

from schemas.problem import (
    ANSWER_TYPES,
    KINDS,
    SCHEMA_VERSION,
    ContaminationHit,
    DifficultyResult,
    Problem,
    arrow_schema,
    conform,
    content_id,
    json_schema,
    polars_schema,
)

__all__ = [
    "ANSWER_TYPES",
    "KINDS",
    "SCHEMA_VERSION",
    "ContaminationHit",
    "DifficultyResult",
    "Problem",
    "arrow_schema",
    "conform",
    "content_id",
    "json_schema",
    "polars_schema",
]
