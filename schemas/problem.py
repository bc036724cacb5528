"""The canonical problem record.

`Problem` (pydantic) is the definition; `polars_schema()`, `arrow_schema()` and `json_schema()` are
derived from it, so a column is added in exactly one place. Bump `SCHEMA_VERSION` (and note it in
`schemas/CHANGELOG.md`) whenever a field is added, removed or changes meaning.

Stage-owned columns are declared here too (nullable, default empty), so every stage's output has
the same columns and a stage can run alone on any input.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Literal, Optional

import polars as pl
import xxhash
from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.7"

KINDS = ("competition", "puzzle", "code")
ANSWER_TYPES = (
    "integer",
    "number",
    "expression",
    "equation",
    "interval",
    "set",
    "tuple",
    "matrix",
    "text",
    "boolean",
    "choice",
    "puzzle",
    "unknown",
)


class ContaminationHit(BaseModel):
    """Evidence of one benchmark match (curation/decontaminate.py)."""

    model_config = ConfigDict(extra="forbid")

    benchmark: str
    item_id: str
    kind: str = Field(description="problem (same problem: drops) | template (same wording, other numbers).")
    score: float = Field(description="Share of the item's (or the row's) informative n-grams covered.")
    span: str = Field(description="Longest common token span (normalized tokens joined by spaces).")


class DifficultyResult(BaseModel):
    """One model's grading of one item (issue: drop easy items by sampling)."""

    model_config = ConfigDict(extra="forbid")

    model: str
    k: int = 0
    correct: int = 0
    pass_rate: Optional[float] = None
    unparseable: int = 0
    failed: int = 0
    majority_answer: Optional[str] = None
    majority_share: Optional[float] = None
    status: str = "scored"  # scored | unscored
    error: Optional[str] = None


class Problem(BaseModel):
    """One problem, as it flows through every stage and into the export."""

    model_config = ConfigDict(extra="forbid")

    # identity and provenance
    id: str = Field(description="Content-derived id: XXH3-64 (16 hex digits) of kind, normalized question, answer and choices.")
    source: str = Field(description="Source name from the config (or the file stem).")
    source_file: Optional[str] = Field(None, description="File or dataset the row came from.")
    source_row: Optional[int] = Field(None, description="1-based line (JSONL/CSV) or 0-based row index.")
    source_id: Optional[str] = Field(None, description="The id the source gave the row, if any.")
    kind: Literal["competition", "puzzle", "code"] = "competition"

    # content
    question: str
    answer: Optional[str] = Field(None, description="Reference answer as text.")
    answer_type: str = "unknown"
    answer_unit: Optional[str] = Field(None, description="Unit stripped from the reference answer, if any.")
    choices: Optional[list[str]] = Field(None, description="Option texts, in order (A, B, C, ...).")
    solution: Optional[str] = None
    subject: Optional[str] = None

    # raw text as in the source, and the value before a stage rewrote it
    raw_question: Optional[str] = Field(
        None, description="Question text as in the source; null when normalization left it unchanged (then it equals `question`)."
    )
    raw_answer: Optional[str] = Field(
        None, description="Answer as in the source (as text); null when there was none or it equals `answer` unchanged."
    )
    original_question: Optional[str] = Field(None, description="Question before a rewrite (MCQ conversion, review edit).")
    original_answer: Optional[str] = None
    original_choices: Optional[list[str]] = None
    rewritten_by: Optional[str] = Field(None, description="Stage that last rewrote question/answer.")

    # cleaning
    clean_flags: list[str] = Field(default_factory=list, description="Every cleaning reason that fired.")
    has_figure_code: bool = Field(False, description="The question carries its figure as code ([asy], TikZ, chemfig).")
    image: Optional[str] = Field(None, description="Image the source gives with the problem (file name or link), not in the text.")

    # deduplication and decontamination
    exact_dup_of: Optional[str] = None
    template_group: Optional[str] = Field(None, description="Digit-masked template hash shared by >1 rows.")
    cluster_id: Optional[str] = None
    duplicate_of: Optional[str] = None
    dup_similarity: Optional[float] = None
    conflicting_answers: bool = False
    same_problem_by: Optional[str] = Field(
        None,
        description="How a duplicate was linked to its cluster: text (identical or the same-problem rule on the "
        "texts) or answer (reworded; the math and an informative reference answer agree).",
    )
    contaminated_by: list[str] = Field(default_factory=list, description="Benchmarks this item matches.")
    contamination: list[ContaminationHit] = Field(
        default_factory=list, description="Evidence of every benchmark match (one per benchmark and kind)."
    )

    # multiple choice conversion
    mcq_status: Optional[str] = Field(None, description="converted | not_convertible | review | None (not MCQ).")
    mcq_method: Optional[str] = None
    mcq_reason: Optional[str] = None

    # difficulty
    difficulty: list[DifficultyResult] = Field(default_factory=list)
    difficulty_label: Optional[str] = None
    level: Optional[int] = Field(None, description="Puzzle level or curriculum level.")

    # code problems (kind = "code"; see curation/code/ and docs/code.md)
    code_language: Optional[str] = Field(None, description="python | cpp: the language of the references and expected answers.")
    code_tests: Optional[str] = Field(
        None, description="JSON test spec: {style: stdio|call|assert, cases: [{input, output}], fn_name, test, entry_point}."
    )
    code_test_count: Optional[int] = Field(None, description="Test cases (assert style: assert statements).")
    code_starter: Optional[str] = Field(None, description="Starter code / function signature given to the solver.")
    code_references: Optional[list[str]] = Field(None, description="Reference solutions (complete programs).")
    code_time_limit: Optional[float] = Field(None, description="Seconds of CPU per test, from the source.")
    code_memory_limit: Optional[int] = Field(None, description="Megabytes, from the source.")
    code_validation: Optional[str] = Field(
        None, description="Test validation: passed | tests_inconsistent | too_few_tests | nondeterministic_output | no_reference | unsupported_language."
    )
    code_validation_detail: Optional[str] = Field(None, description="Why validation failed (first failing test).")

    # review
    review_status: Optional[str] = Field(None, description="pending | accepted | edited | rejected | duplicate (a reviewer kept another member of its duplicate cluster).")
    review_reason: Optional[str] = None
    review_evidence: Optional[str] = Field(
        None, description="JSON object: what the stage that set review_reason shows the reviewer (e.g. the model's samples)."
    )

    # outcome
    drop_reason: Optional[str] = Field(None, description="Set by the first stage that decides to drop the row.")

    metadata: Optional[str] = Field(None, description="JSON object with anything else.")
    schema_version: str = SCHEMA_VERSION


def _polars_dtype(annotation) -> pl.DataType:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return _polars_dtype(inner)
    if origin is Literal:
        return pl.Utf8()
    if origin is list:
        return pl.List(_polars_dtype(args[0]))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pl.Struct({name: _polars_dtype(f.annotation) for name, f in annotation.model_fields.items()})
    return {str: pl.Utf8(), int: pl.Int64(), float: pl.Float64(), bool: pl.Boolean()}[annotation]


def polars_schema() -> pl.Schema:
    """The problem table's polars schema, in column order."""
    return pl.Schema({name: _polars_dtype(f.annotation) for name, f in Problem.model_fields.items()})


def arrow_schema():
    """The problem table's Arrow schema (with the schema version in its metadata)."""
    schema = pl.DataFrame(schema=polars_schema()).to_arrow().schema
    return schema.with_metadata({b"curate_schema_version": SCHEMA_VERSION.encode()})


def json_schema() -> dict:
    """JSON Schema of one problem record."""
    schema = Problem.model_json_schema()
    schema["$comment"] = f"curate problem schema version {SCHEMA_VERSION}"
    return schema


def _defaults() -> dict:
    out = {}
    for name, field in Problem.model_fields.items():
        if field.default_factory is not None:
            out[name] = field.default_factory()
        elif not field.is_required():
            out[name] = field.default
    return out


def conform(df: pl.DataFrame, *, extra: str = "keep") -> pl.DataFrame:
    """Add any missing schema columns (with defaults), cast to schema dtypes and order them first.

    `extra="keep"` keeps columns outside the schema after the schema columns (e.g. per-benchmark
    contamination flags); `extra="drop"` removes them.
    """
    schema = polars_schema()
    have = df.schema
    if list(have.items())[: len(schema)] == list(schema.items()) and (extra == "keep" or len(have) == len(schema)):
        return df  # already conformed (the common case between stages): nothing to add, cast or move
    defaults = _defaults()
    columns = []
    for name, dtype in schema.items():
        if name in df.columns:
            columns.append(pl.col(name) if have[name] == dtype else pl.col(name).cast(dtype, strict=False))
        else:
            default = defaults.get(name)
            if isinstance(default, list):
                columns.append(pl.lit([], dtype=dtype).alias(name) if default == [] else pl.lit(default).cast(dtype).alias(name))
            else:
                columns.append(pl.lit(default, dtype=dtype).alias(name))
    others = [c for c in df.columns if c not in schema] if extra == "keep" else []
    return df.select([*columns, *[pl.col(c) for c in others]])


def content_id(kind: str, question: str, answer: str | None, choices: list[str] | None) -> str:
    """Stable id from content: the same problem text, answer and options give the same id anywhere."""
    payload = json.dumps([kind, question, answer or "", choices or []], ensure_ascii=False)
    return xxhash.xxh3_64_hexdigest(payload.encode("utf-8"))  # 16 hex digits; XXH3 is a frozen, portable spec
