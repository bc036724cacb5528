"""The pipeline configuration: one TOML file, validated with pydantic; errors name the field path.

Each stage owns one settings class below. Add a field to your stage's class only; every field has
a default so a minimal config stays minimal.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from curation.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldMapping(_Section):
    """Which source fields hold what. Dotted paths reach nested fields (`meta.answer`)."""

    question: Optional[str] = None
    answer: Optional[str] = None
    choices: Optional[str] = None
    solution: Optional[str] = None
    id: Optional[str] = None
    subject: Optional[str] = None
    unit: Optional[str] = None
    context: Optional[str] = Field(None, description="Field prepended to the question (shared passage).")


class SourceConfig(_Section):
    name: Optional[str] = Field(None, description="Defaults to the file stem.")
    path: str = Field(description="File, folder (HF save_to_disk) or `hf://NAME` for load_dataset.")
    format: Optional[Literal["jsonl", "json", "csv", "parquet", "hf"]] = Field(
        None, description="Detected from the extension when omitted."
    )
    split: Optional[str] = Field(None, description="Split for Hugging Face datasets.")
    mapping: FieldMapping = Field(default_factory=FieldMapping)
    answer_from_solution: bool = Field(True, description="Take the last \\boxed{} of the solution when no answer.")
    priority: int = Field(0, description="Higher wins when choosing a duplicate cluster's representative.")
    kind: Literal["competition", "puzzle"] = "competition"


class CleanSettings(_Section):
    enabled: bool = True
    min_question_chars: int = 10
    max_question_chars: int = 8000
    missing_answer: bool = True
    proof: bool = True
    figure: bool = True
    multi_part: bool = True
    yes_no: bool = True
    answer_leak: bool = True
    length: bool = True
    empty: bool = Field(True, description="Flag rows with no question text.")


class McqSettings(_Section):
    """Multiple-choice → fill-in conversion (curation/mcq/, docs/mcq.md)."""

    enabled: bool = True
    drop_not_convertible: bool = True
    model_mode: bool = False
    max_option_words: int = Field(6, description="An option with more prose words is a statement (not convertible).")
    text_answers: bool = Field(False, description="Convert items whose answer is a short text (a term, a name).")
    max_text_answer_words: int = Field(3, description="Longest text answer accepted when text_answers is on.")
    approx_rel_tol: float = Field(0.005, description="Non-integer options this close (relative) look like approximations.")
    model_reasons: list[str] = Field(
        default_factory=lambda: ["stem_depends_on_options"],
        description="Not-convertible reasons the model may try to rewrite (model_mode).",
    )
    model_max_tokens: int = 512
    model_temperature: float = 0.0


class DedupSettings(_Section):
    enabled: bool = True
    shingle_size: int = 5
    num_perm: int = 128
    bands: int = 16
    rows: int = 8
    threshold: float = 0.8
    seed: int = 1
    drop_duplicates: bool = True
    existing: Optional[str] = Field(None, description="Curated dataset folder to dedup against (incremental).")
    index_dir: Optional[str] = Field(
        None, description="Persisted dedup index folder (incremental mode); default `<existing>/dedup_index`."
    )
    max_bucket: int = Field(
        2000, description="LSH buckets larger than this emit star pairs (first member x others) instead of all pairs."
    )


class DecontaminateSettings(_Section):
    enabled: bool = True
    benchmarks: list[SourceConfig] = Field(default_factory=list)
    # what "the same problem" means: curation/decontaminate.py (module docstring)
    ngram: int = Field(5, description="Token n-gram length (words and numbers are tokens).")
    min_score: float = Field(
        0.5, description="Share of the item's (or the row's) informative n-grams the other side covers for a hit."
    )
    min_other_cover: float = Field(0.4, description="Coverage the less-covered side needs too.")
    min_span: int = Field(8, description="Longest common token span a hit needs (or the whole shorter text).")
    tail_tokens: int = Field(4, description="Last tokens of the better-covered side (the asked part) that must recur as one run.")
    min_number_agreement: float = Field(
        0.9, description="Share of the better-covered side's numbers (multiset) found in the other side."
    )
    min_other_number_agreement: float = Field(
        0.0, description="Share of the less-covered side's numbers (outside boilerplate) found in the better-covered side (0 = off)."
    )
    benchmark_common_items: int = Field(
        3, description="An n-gram in at least this many items of one benchmark is boilerplate (does not count)."
    )
    corpus_common_rows: int = Field(
        50, description="An n-gram in at least max(this, corpus_common_share x rows) training rows is boilerplate."
    )
    corpus_common_share: float = 0.001
    rare_word_share: float = Field(
        0.01, description="A word in at most max(rare_word_rows, this x documents) rows+items is rare (content)."
    )
    rare_word_rows: int = 5
    max_missing_rare_share: float = Field(
        0.25, description="Share of the better-covered side's rare words a hit may lack in the other side."
    )
    drop_contaminated: bool = True
    digit_masked: bool = Field(
        True, description="Also flag template matches (same wording, other numbers) as contam_template_<name>."
    )
    template_min_score: float = Field(0.8, description="Coverage score of a template match (numbers masked).")
    drop_templates: bool = Field(False, description="Drop template matches too (by default they are only flagged).")


class ModelSettings(_Section):
    """An OpenAI-compatible endpoint. With no base_url, the embedded SmolLM2 server is started."""

    base_url: Optional[str] = None
    model: str = "SmolLM2-135M-Instruct"
    api_key_env: Optional[str] = Field(None, description="Name of the environment variable holding the key.")
    request_timeout: float = 120.0
    concurrency: int = Field(16, description="Most HTTP requests in flight at once.")
    max_retries: int = Field(5, description="Retries of 429/5xx/timeouts/connection errors/malformed bodies.")
    backoff_base: float = Field(0.5, description="Seconds; retry i sleeps uniform(0, min(backoff_max, base*2**i)).")
    backoff_max: float = Field(30.0, description="Cap of one backoff sleep, seconds.")


class DifficultySettings(_Section):
    enabled: bool = True
    model: ModelSettings = Field(default_factory=ModelSettings)
    k: int = 4
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 512
    seed: Optional[int] = 0
    system_prompt: str = "You are a careful mathematician. Reason step by step."
    user_prompt: str = "{question}\n\nPut your final answer within \\boxed{{}}."
    easy_threshold: Optional[int] = Field(None, description="Drop as easy when correct >= this (default: k).")
    dispute_share: float = 0.75
    store_url: Optional[str] = Field(None, description="SQLAlchemy URL of the response store (default: next to output).")
    sample_limit: Optional[int] = Field(None, description="Grade only the first N items (for demos).")
    label_medium_from: float = Field(1 / 3, description="difficulty_label: pass rate below this is 'hard'.")
    label_easy_from: float = Field(0.75, description="difficulty_label: pass rate from this on is 'easy'.")


class PuzzleRequest(_Section):
    generator: Literal["sudoku", "maze"]
    count: int = 10
    level: int = 1
    seed: int = 0


class GenerateSettings(_Section):
    enabled: bool = False
    puzzles: list[PuzzleRequest] = Field(default_factory=list)


class ReviewSettings(_Section):
    enabled: bool = True
    db_url: Optional[str] = Field(None, description="SQLAlchemy URL (default: sqlite file next to the output).")
    lease_seconds: int = 900


class ExportSettings(_Section):
    shard_rows: int = 100_000
    compression: Literal["zstd", "snappy", "lz4", "gzip", "none"] = "zstd"
    compression_level: int = 3
    rl_layout: bool = True
    dataset_dir: str = Field("dataset", description="Folder under output_dir swapped in atomically by each export.")
    rl_instruction: str = Field(
        "\n\nPut your final answer within \\boxed{}.", description="Appended to the question in the RL prompt."
    )
    rl_system_prompt: Optional[str] = Field(None, description="System message of the RL prompt (none by default).")
    card_review_limit: int = Field(50, description="Pending review items listed in the dataset card.")


class PrefectSettings(_Section):
    """Orchestration with Prefect (`curate run --engine prefect`, `curate serve`); see docs/orchestration.md."""

    class Schedule(_Section):
        """A cron-scheduled deployment served by `curate serve`."""

        name: str = Field(description="Deployment name.")
        cron: str = Field(description="Cron expression, e.g. '0 2 * * *' (nightly at 02:00).")
        kind: Literal["curation", "watch", "puzzles"] = Field(
            "curation",
            description="curation: the pipeline on `config`; watch: the pipeline on every file in `watch`; "
            "puzzles: puzzle generation at the curriculum's level mix.",
        )
        config: Optional[str] = Field(None, description="Config file for the run (default: this config).")
        watch: Optional[str] = Field(None, description="Folder of input files (kind = watch).")
        output_dir: Optional[str] = Field(None, description="Output folder (default: the config's).")
        generators: list[str] = Field(default_factory=lambda: ["sudoku", "maze"], description="kind = puzzles.")
        count: int = Field(1000, description="Puzzles per generator (kind = puzzles).")
        seed: int = 0
        timezone: str = "UTC"

    task_runner: Literal["thread", "process", "dask"] = "thread"
    dask_address: Optional[str] = None
    dask_workers: int = 2
    max_workers: Optional[int] = Field(None, description="Threads/processes of the thread or process runner.")
    chunk_rows: int = Field(2000, ge=1, description="Seeds per puzzle-generation chunk task.")
    signature_chunk_rows: int = Field(
        50_000, ge=1, description="Rows per MinHash-signature chunk task (process / Dask runners; ~20 us a row)."
    )
    network_retries: int = Field(2, ge=0, description="Retries of stages that call a model endpoint.")
    retry_delay_seconds: float = Field(10.0, ge=0)
    schedules: list[Schedule] = Field(default_factory=list)


class PipelineConfig(_Section):
    output_dir: str = "out"
    sources: list[SourceConfig] = Field(default_factory=list)
    clean: CleanSettings = Field(default_factory=CleanSettings)
    mcq: McqSettings = Field(default_factory=McqSettings)
    dedup: DedupSettings = Field(default_factory=DedupSettings)
    decontaminate: DecontaminateSettings = Field(default_factory=DecontaminateSettings)
    difficulty: DifficultySettings = Field(default_factory=DifficultySettings)
    generate: GenerateSettings = Field(default_factory=GenerateSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    prefect: PrefectSettings = Field(default_factory=PrefectSettings)

    # relative paths in the file are relative to the config file's folder
    base_dir: str = Field(".", exclude=True)

    def resolve(self, path: str | None) -> Path | None:
        if path is None:
            return None
        if path.startswith("hf://"):
            return Path(path)
        p = Path(path).expanduser()
        return (p if p.is_absolute() else Path(self.base_dir) / p).resolve()

    @property
    def output_path(self) -> Path:
        return self.resolve(self.output_dir)


def _field_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def config_from_dict(data: dict, *, base_dir: str | Path = ".", origin: str = "config") -> PipelineConfig:
    """Validate a config mapping; raise ConfigError naming the first bad field path."""
    try:
        cfg = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{origin}: {_field_path(err['loc'])}: {err['msg']}{more}") from None
    cfg.base_dir = str(base_dir)
    return cfg


def load_config(path: str | Path) -> PipelineConfig:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return config_from_dict(data, base_dir=path.parent, origin=str(path))
