"""The common shape of a puzzle generator and the record it emits.

A generator is built from a validated, frozen config (`GeneratorConfigError`, a `ValueError`, on bad
values), produces one record per seed with `generate(seed)` (its own `random.Random(seed)`, so the
same seed gives the same item on any machine), and checks an answer against a record with
`verify(record, answer)` -> `VerifyResult(ok, reason)`; pass/fail only, no partial credit.
`verify` reads everything it needs from the record's `metadata` JSON, so a record read back from
Parquet or JSONL can be checked without the generator's config.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from curation.errors import CurateError, GeneratorConfigError
from schemas import Problem, content_id

__all__ = [
    "GenerationError",
    "GeneratorConfigError",
    "PuzzleGenerator",
    "VerifyResult",
    "build_record",
    "record_metadata",
    "strip_answer",
]


class GenerationError(CurateError, RuntimeError):
    """A generator could not produce an item meeting its config within its attempt budget."""


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of checking one answer: pass/fail and a human-readable reason."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:  # `if verify(...)` reads naturally
        return self.ok


class PuzzleGenerator:
    """Base class: subclasses set `name`, `config_cls`, `levels` and implement generate/verify."""

    name: ClassVar[str]
    config_cls: ClassVar[type]
    #: level -> config keyword arguments; `from_level` builds the config.
    levels: ClassVar[dict[int, dict[str, Any]]]

    def __init__(self, config=None, *, level: int | None = None):
        if config is None:
            config = self.level_config(level if level is not None else min(self.levels))
        if not isinstance(config, self.config_cls):
            raise GeneratorConfigError(f"{self.name}: config must be a {self.config_cls.__name__}, got {type(config).__name__}")
        self.config = config

    @classmethod
    def level_config(cls, level: int):
        """The config for a curriculum level; unknown levels raise GeneratorConfigError."""
        if isinstance(level, bool) or not isinstance(level, int) or level not in cls.levels:
            raise GeneratorConfigError(f"{cls.name}: unknown level {level!r}; known levels: {sorted(cls.levels)}")
        return cls.config_cls(**cls.levels[level], level=level)

    @classmethod
    def from_level(cls, level: int) -> "PuzzleGenerator":
        return cls(cls.level_config(level))

    def generate(self, seed: int) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def verify(record: dict, answer: str) -> VerifyResult:  # pragma: no cover - abstract
        raise NotImplementedError


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GeneratorConfigError(f"seed must be a non-negative integer, got {seed!r}")
    return seed


def record_metadata(record: dict) -> dict:
    """The record's metadata JSON as a dict (raises ValueError with a clear message if absent/bad)."""
    raw = record.get("metadata")
    if isinstance(raw, dict):
        return raw
    if not raw:
        raise ValueError(f"record {record.get('id')!r} has no metadata")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"record {record.get('id')!r} has malformed metadata JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"record {record.get('id')!r} metadata is not a JSON object")
    return meta


def build_record(
    *,
    generator: str,
    readable_id: str,
    question: str,
    answer: str,
    level: int | None,
    metadata: dict,
    solution: str | None = None,
) -> dict:
    """A problem record (validated against `schemas.Problem`) for one generated puzzle.

    `id` is the content hash (`schemas.content_id`) like every other record; the readable,
    seed-derived name (e.g. `sudoku-9x9-L3-s12345`) is kept in `source_id`.
    """
    record = {
        "id": content_id("puzzle", question, answer, None),
        "source": f"generator:{generator}",
        "source_id": readable_id,
        "kind": "puzzle",
        "question": question,
        "answer": answer,
        "answer_type": "puzzle",
        "solution": solution,
        "subject": generator,
        "level": level,
        "metadata": json.dumps(metadata, sort_keys=True, separators=(",", ":")),
    }
    return Problem.model_validate(record).model_dump()


def config_dict(config) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()}


def strip_answer(answer: str | None) -> str:
    """The content of the last `\\boxed{...}` if present, else the text; trimmed."""
    from curation.text import last_boxed

    if answer is None:
        return ""
    text = str(answer)
    boxed = last_boxed(text)
    if boxed is not None:
        text = boxed
    return text.strip()
