"""The stage registry: one declaration per pipeline stage, from which everything else derives.

A `Stage` names the stage once. That one name is the config section's key (or the section is
named explicitly), the work file (`work/NN_<name>.parquet`), the `curate stage <name>` command,
the Prefect flow (`curate-<name>`) and the row of the run report. From the declarations derive:
`curate run` (`curation.pipeline.run_pipeline`), the Prefect flows and their cache keys
(`flows.stages`, `flows.fingerprint`), the dataset card's stage sections, `curate init`'s section
notes and the column contract test (every written column is in the schema, every read column is
produced upstream).

A stage's run function is `run(ws, df, **inputs) -> (df, note)`: `ws` is the run's
`curation.pipeline.Workspace` (config and paths), `df` the previous stage's table (None for the
first stage), `inputs` optional precomputed work a caller hands in explicitly (e.g. the Prefect
flow's chunked MinHash signatures), `note` one line for the run report or None. A stage adds
columns and flags, never removes rows.

No Prefect import here, and no stage is declared here: the built-in stages are declared in
`curation.pipeline`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import BaseModel

from curation.config import register_section, unregister_section

if TYPE_CHECKING:  # pragma: no cover
    from curation.config import PipelineConfig

StageResult = tuple[pl.DataFrame, "str | None"]


def _never(cfg: "PipelineConfig") -> bool:
    return False


def _no_paths(_: Any) -> list[Path]:
    return []


@dataclass(frozen=True)
class Stage:
    """One pipeline stage, declared once.

    - `name`: the one name of the stage (work file, CLI command, flow, run report).
    - `run`: `(ws, df, **inputs) -> (df, note)`.
    - `description`: one line, used as the flow's description and the `curate init` section note.
    - `section`: the `PipelineConfig` attribute holding the stage's settings (default: `name`). A
      section with an `enabled` field switches the stage off; the stage's cache key includes it.
    - `reads` / `writes`: the schema columns the stage reads and writes. A name ending in `*` is a
      family of extra columns (e.g. `contam_*`, one per benchmark) that is not in the schema.
    - `network`: `cfg -> bool`, True when this run of the stage calls a model endpoint (the flow
      retries it).
    - `cache_settings`: `cfg -> JSON-able data` the result depends on (default: the section).
    - `external_files`: `cfg -> paths` outside the work folder the stage reads (cache key).
    - `side_files`: `ws -> paths` the stage writes besides its work file (a cached result is reused
      only while they are intact).
    - `card_section`: `df -> Markdown or None`, the stage's section of the dataset card.
    - `cacheable`: False when the result depends on something no key can see (a live database).
    - `flow_name`: override of the flow name `curate-<name>` (kept for deployed flow names).
    - `settings_model`: the stage's settings class when it is not a field of `PipelineConfig`;
      registering the stage makes every config accept and validate its `[section]` table.
    - `projection`: True (default) when the stage sees only the columns it declares (`reads`,
      `writes`, and the run report's `id`, `drop_reason`, `review_reason`); the other columns are
      streamed from the input file to the output (`curation.io.write_merged`), so a stage's memory
      is that of its own columns. False for a stage that needs whole rows or adds rows (ingest has
      no input; generate appends puzzles).
    """

    name: str
    run: Callable[..., StageResult]
    description: str
    section: str | None = None
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    network: Callable[["PipelineConfig"], bool] = _never
    cache_settings: Callable[["PipelineConfig"], Any] | None = None
    external_files: Callable[["PipelineConfig"], list[Path]] = _no_paths
    side_files: Callable[[Any], list[Path]] = _no_paths
    card_section: Callable[[pl.DataFrame], str | None] | None = None
    cacheable: bool = True
    flow_name: str | None = None
    settings_model: type[BaseModel] | None = None
    projection: bool = True

    @property
    def config_section(self) -> str:
        return self.section or self.name

    @property
    def flow(self) -> str:
        return self.flow_name or "curate-" + self.name.replace("_", "-")

    def settings(self, cfg: "PipelineConfig") -> Any:
        """The stage's settings object (or list, for `sources`) from the config."""
        return cfg.section(self.config_section)

    def enabled(self, cfg: "PipelineConfig") -> bool:
        return bool(getattr(self.settings(cfg), "enabled", True))

    def projected_columns(self) -> tuple[str, ...]:
        """The columns the stage is handed under projection (`*` families are added by the caller)."""
        wanted = ("id", *self.reads, *self.writes, "drop_reason", "review_reason")
        return tuple(dict.fromkeys(c for c in wanted if not c.endswith("*")))

    def declares(self, column: str) -> bool:
        """True when `column` is among the stage's reads or writes (a `prefix*` family included)."""
        return any(column == d or (d.endswith("*") and column.startswith(d[:-1])) for d in (*self.reads, *self.writes))

    def cache_data(self, cfg: "PipelineConfig") -> Any:
        """JSON-able config data the stage's result depends on."""
        if self.cache_settings is not None:
            return self.cache_settings(cfg)
        return dump(self.settings(cfg))


def dump(model: Any) -> Any:
    """A settings object (or list of them) as JSON-able data."""
    if isinstance(model, list):
        return [dump(m) for m in model]
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else model


@dataclass
class StageRegistry:
    """The ordered stages of the pipeline. Order is run order (and the work files' numbering)."""

    _stages: list[Stage] = field(default_factory=list)

    def register(self, stage: Stage, *, after: str | None = None) -> Stage:
        """Add `stage` at the end, or right after the stage named `after`."""
        if stage.name in self.names():
            raise ValueError(f"stage {stage.name!r} is already registered")
        if stage.settings_model is not None:
            register_section(stage.config_section, stage.settings_model)
        if after is None:
            self._stages.append(stage)
        else:
            self._stages.insert(self.index(after) + 1, stage)
        return stage

    def unregister(self, name: str) -> None:
        stage = self._stages.pop(self.index(name))
        if stage.settings_model is not None:
            unregister_section(stage.config_section)

    @contextmanager
    def added(self, stage: Stage, *, after: str | None = None) -> Iterator[Stage]:
        """Register `stage` for the duration of the block (tests, one-off runs)."""
        self.register(stage, after=after)
        try:
            yield stage
        finally:
            self.unregister(stage.name)

    @contextmanager
    def replaced(self, name: str, **changes: Any) -> Iterator[Stage]:
        """Within the block, the stage `name` has the given fields changed (tests: a failing run)."""
        import dataclasses

        i = self.index(name)
        original = self._stages[i]
        self._stages[i] = dataclasses.replace(original, **changes)
        try:
            yield self._stages[i]
        finally:
            self._stages[i] = original

    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self._stages)

    def index(self, name: str) -> int:
        names = self.names()
        if name not in names:
            raise KeyError(f"unknown stage {name!r}; stages: {', '.join(names)}")
        return names.index(name)

    def __getitem__(self, name: str) -> Stage:
        return self._stages[self.index(name)]

    def __contains__(self, name: object) -> bool:
        return name in self.names()

    def __iter__(self) -> Iterator[Stage]:
        return iter(list(self._stages))

    def __len__(self) -> int:
        return len(self._stages)

    def previous(self, name: str) -> Stage | None:
        i = self.index(name)
        return self._stages[i - 1] if i > 0 else None
