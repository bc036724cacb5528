"""The pipeline configuration: one TOML file, validated with pydantic; errors name the field path.

Each stage owns one settings class below. Add a field to your stage's class only; every field has
a default so a minimal config stays minimal.
"""

from __future__ import annotations

import tomllib
from urllib.parse import urlparse
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, SerializationInfo, ValidationError, field_validator, model_serializer

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
    image: Optional[str] = Field(None, description="Field naming an image that goes with the problem (file or link).")
    answer_extraction: Optional[Literal["####", "boxed", "answer_is", "regex", "none"]] = Field(
        None,
        description="How to take the final answer out of an answer field that holds a worked solution: "
        "'####' (text after the last '#### '), 'boxed' (last \\boxed{}), 'answer_is' ('The answer is X'), "
        "'regex' (first group of answer_pattern), 'none' (take the field as it is). "
        "Unset: '####' is recognised when the answer ends in '#### X'.",
    )
    answer_pattern: Optional[str] = Field(None, description="Regex with one group, for answer_extraction = 'regex'.")


class SourceConfig(_Section):
    name: Optional[str] = Field(None, description="Defaults to the file stem.")
    path: str = Field(description="File, folder (HF save_to_disk) or `hf://NAME` for load_dataset.")
    format: Optional[str] = Field(
        None, description="A registered reader (curation.readers.READERS); detected from the extension when omitted."
    )
    split: Optional[str] = Field(None, description="Split for Hugging Face datasets.")
    mapping: FieldMapping = Field(default_factory=FieldMapping)
    answer_from_solution: bool = Field(True, description="Take the last \\boxed{} of the solution when no answer.")
    priority: int = Field(0, description="Higher wins when choosing a duplicate cluster's representative.")
    kind: Literal["competition", "puzzle", "code"] = Field(
        "competition", description="code: programming problems (HumanEval, APPS/TACO, CodeContests, {input, output} lists)."
    )
    license: Optional[str] = Field(
        None, description="The source's licence (a Hub licence id such as mit, cc-by-4.0); shown in the dataset card."
    )
    max_row_bytes: Optional[int] = Field(
        4 << 20, gt=0,
        description="JSONL/CSV rows larger than this (bytes in the file) are quarantined unread; none: no limit.",
    )

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: Optional[str]) -> Optional[str]:
        from curation.readers import READERS

        if value is not None and value not in READERS:
            raise ValueError(f"unknown format {value!r}; registered readers: {', '.join(READERS)}")
        return value


class CleanSettings(_Section):
    enabled: bool = True
    min_question_chars: int = 10
    max_question_chars: int = 8000
    missing_answer: bool = True
    proof: bool = True
    figure: bool = True
    multi_part: bool = True
    yes_no: bool = True
    answer_leak: bool = Field(
        False, description="Off by default: on labelled real rows it was right in 1 of 22 hits (benchmarks/quality.py)."
    )
    length: bool = True
    strict_alarms: bool = Field(False, description="A sanity alarm (curation/alarms.py) stops the run instead of warning.")
    alarm_share: float = Field(0.5, description="Alarm when one drop reason takes more than this share of a source.")
    figure_code: Literal["keep", "drop"] = Field(
        "keep", description="A problem whose figure is given as code ([asy], TikZ): keep it (has_figure_code) or drop it as figure."
    )
    empty: bool = Field(True, description="Flag rows with no question text.")


class McqSettings(_Section):
    """Multiple-choice → fill-in conversion (curation/mcq/, docs/mcq.md)."""

    enabled: bool = True
    drop_not_convertible: bool = True
    model_mode: bool = False
    max_option_words: int = Field(6, description="An option with more prose words is a statement (not convertible).")
    text_answers: bool = Field(False, description="Convert items whose answer is a short text (a term, a name).")
    max_text_answer_words: int = Field(3, description="Longest text answer accepted when text_answers is on.")
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
    bands: int = 32
    rows: int = 4
    # the same-problem rule (curation.dedup.content), not the text threshold, guards precision: 0.5 lets
    # re-typed copies (citations, markup, `$`) through; benchmarks/dedup.py measured it on labelled real pairs
    threshold: float = 0.5
    seed: int = 1
    drop_duplicates: bool = True
    existing: Optional[str] = Field(
        None,
        description="Curated dataset folder of earlier batches to dedup against (incremental). Rows already in its "
        "index are dropped as duplicates (ids are content hashes: the same rows rerun included), and a run exports "
        "only its own batch. The run's own output_dir/dataset is refused: a rerun would replace it with the rows "
        "not seen before.",
    )
    index_dir: Optional[str] = Field(
        None, description="Persisted dedup index folder (incremental mode); default `<existing>/dedup_index`."
    )
    max_bucket: int = Field(
        2000, description="LSH buckets larger than this are checked against one pivot only (one linking round)."
    )
    max_pivots: int = Field(
        8, description="Linking rounds per LSH bucket: each round checks the members left against one new pivot."
    )
    require_same_problem: bool = Field(
        True,
        description="A near duplicate must be the same problem: numbers, math and content words agree "
        "(otherwise a template variant, kept).",
    )
    answer_confirmed: bool = Field(
        True,
        description="A reworded copy the same-problem rule rejects is still a duplicate when its math agrees and "
        "both reference answers are equivalent and informative (curation.dedup.content, answer-confirmed tier).",
    )


class DecontaminateSettings(_Section):
    enabled: bool = True
    benchmarks: list[SourceConfig] = Field(default_factory=list)
    # what "the same problem" means: curation/decontaminate/ (module docstring)
    ngram: int = Field(5, description="Token n-gram length (words and numbers are tokens).")
    min_score: float = Field(
        0.6, description="Share of the item's (or the row's) informative n-grams the other side covers for a hit."
    )
    min_other_cover: float = Field(0.4, description="Coverage the less-covered side needs too.")
    min_span: int = Field(8, description="Longest common token span a hit needs (or the whole shorter text).")
    tail_tokens: int = Field(4, description="Last tokens of the better-covered side (the asked part) that must recur as one run.")
    min_number_agreement: float = Field(
        0.9, description="Share of the better-covered side's numbers (multiset) found in the other side."
    )
    min_other_number_agreement: float = Field(
        0.5,
        description="Share of the less-covered side's numbers (outside boilerplate) found in the better-covered side "
        "(0 = off): a side whose numbers are mostly absent from the other states other conditions.",
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
    min_math_cover: float = Field(
        0.3,
        description="Coverage both sides need for a hit by agreement of the mathematics: the same numbers "
        "(multiset, at least one), the same asked part both ways, rare words kept; a reworded copy.",
    )
    answer_confirmed: bool = Field(
        True,
        description="Also a hit: a candidate pair the text rules reject whose reference answers agree (the bounded "
        "verifier) and are informative (no yes/no, letter, integer below 10 or relation such as 'x + y = 0'), whose numbers agree (the side "
        "with fewer numbers has all of them in the other) and whose coverage reaches answer_min_cover. "
        "Evidence kind 'answer'.",
    )
    answer_min_cover: float = Field(
        0.25, description="Coverage score (the better-covered side) an answer-confirmed hit needs."
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

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: Optional[str]) -> Optional[str]:
        # caught here, not after a run of retries against a URL no HTTP client can reach
        if value is None:
            return value
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be an http:// or https:// URL with a host (e.g. http://localhost:8000/v1)")
        return value


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
    max_unscored_share: float = Field(
        0.2, ge=0.0, le=1.0,
        description="Fail the stage (exit non-zero) when more than this share of graded items is unscored.",
    )
    judge: Literal["rules", "rules+model"] = Field(
        "rules", description="'rules+model': samples the rules leave unparseable are judged by judge_model (off by default)."
    )
    judge_model: Optional[ModelSettings] = Field(
        None, description="Endpoint of the model judge (default: the sampling endpoint; the embedded model is no judge)."
    )
    judge_reasoning: bool = Field(False, description="The judge explains briefly before its YES/NO verdict.")


class CodeSettings(_Section):
    """Code problems: the sandbox, test validation and code difficulty (curation/code/, docs/code.md)."""

    enabled: bool = True
    unsafe_no_sandbox: bool = Field(
        False, description="Run programs as plain subprocesses when bubblewrap is missing. Only on a machine you trust."
    )
    workers: Optional[int] = Field(None, description="Programs run at once (default: the number of cores).")
    cache_url: Optional[str] = Field(None, description="SQLAlchemy URL of the result cache (default: next to output).")
    python: str = Field("python3", description="Python interpreter inside the sandbox (from /usr).")
    cxx: str = Field("g++", description="C++ compiler inside the sandbox.")
    time_limit: float = Field(2.0, gt=0, description="CPU seconds per test when the source gives none.")
    max_time_limit: float = Field(10.0, gt=0, description="Cap on a source's time limit.")
    memory_limit_mb: int = Field(512, ge=64, description="Address space per program when the source gives none.")
    max_memory_limit_mb: int = Field(2048, ge=64, description="Cap on a source's memory limit.")
    processes: int = Field(64, ge=4, description="Processes/threads one program may have.")
    output_bytes: int = Field(1 << 20, ge=1024, description="Largest output (stdout, stderr, any file) of a program.")
    float_tolerance: Optional[float] = Field(None, description="Accept numbers within tol * max(1, |expected|).")
    min_tests: int = Field(1, ge=0, description="Fewer test cases: too_few_tests.")
    max_references: int = Field(3, ge=1, description="Reference solutions run per problem by validation.")
    determinism_runs: int = Field(
        2, ge=1, description="Extra runs of a reference that fails its tests: different output = nondeterministic_output."
    )
    drop_without_reference: bool = Field(False, description="Drop problems with no runnable reference (no_reference).")
    # difficulty sampling (model endpoint, k, temperature, store and thresholds come from [difficulty])
    system_prompt: str = "You are an expert programmer. Write correct, efficient code."
    user_prompt: str = Field(
        "{question}\n\nWrite a complete {language} solution. Put the final code in one fenced code block.",
        description="Template with {question}, {language} and {starter}.",
    )
    function_prompt: str = Field(
        "Complete this {language} function. Reply with the whole function in one fenced code block.\n\n{question}",
        description="Template for function-completion problems (HumanEval style), same fields.",
    )


def _known_generators(names: list[str]) -> list[str]:
    from generators.registry import REGISTRY

    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown generator {unknown[0]!r}; registered: {', '.join(sorted(REGISTRY))}")
    return names


class PuzzleRequest(_Section):
    generator: str = Field(description="A registered puzzle generator (generators.registry.REGISTRY).")
    count: int = 10
    level: int = 1
    seed: int = 0

    @field_validator("generator")
    @classmethod
    def _known_generator(cls, value: str) -> str:
        return _known_generators([value])[0]


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
    rl_code_instruction: str = Field(
        "\n\nPut your final code in one fenced code block.", description="The {instruction} of code problems' RL prompts."
    )
    card_review_limit: int = Field(50, description="Pending review items listed in the dataset card.")
    prompt_template: str = Field(
        "{question}{options}{instruction}",
        description="RL prompt text. Placeholders: {question}, {options} (\"\\n\\nA) ...\" lines when the row has "
        "options not already in the question), {instruction} (rl_instruction; rl_code_instruction for code problems; left empty when the "
        "question already asks for a \\boxed{} answer, as puzzle questions do). Write {{ and }} for literal braces.",
    )
    val_fraction: float = Field(
        0.05, ge=0.0, lt=1.0,
        description="Share of kept rows written as the validation split (chosen by id hash: stable across re-exports).",
    )
    val_sources: list[str] = Field(
        default_factory=list, description="Sources whose rows all go to the validation split (split by source)."
    )
    allow_empty: bool = Field(
        False, description="Let an export with no kept rows replace a dataset that has some (CLI: --allow-empty)."
    )
    license: Optional[str] = Field(
        None, description="Card licence (Hub id). Default: the sources' common `license`, else 'other' / 'unknown'."
    )
    language: list[str] = Field(default_factory=lambda: ["en"], description="Card `language` (ISO 639-1 codes).")
    pretty_name: str = Field("Curated problem set", description="Card `pretty_name` and title.")
    task_categories: list[str] = Field(
        default_factory=lambda: ["text-generation", "question-answering"], description="Card `task_categories`."
    )
    source_datasets: list[str] = Field(
        default_factory=list,
        description="Card `source_datasets` (Hub ids); `hf://NAME` sources are added automatically.",
    )
    max_prompt_tokens: int = Field(
        512, ge=1, description="The card counts RL prompts longer than this (approximate tokens; verl's default limit)."
    )

    @field_validator("prompt_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        import string

        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
        except ValueError as exc:
            raise ValueError(f"invalid template: {exc}") from None
        unknown = sorted(set(fields) - {"question", "options", "instruction"})
        if unknown:
            raise ValueError(f"unknown placeholder(s) {', '.join('{' + f + '}' for f in unknown)}; "
                             "use {question}, {options}, {instruction}")
        if "question" not in fields:
            raise ValueError("the template must contain {question}")
        return value


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

        @field_validator("generators")
        @classmethod
        def _known(cls, value: list[str]) -> list[str]:
            return _known_generators(value)

    task_runner: Literal["thread", "process", "dask"] = "thread"
    dask_address: Optional[str] = None
    dask_workers: int = 2
    max_workers: Optional[int] = Field(None, description="Threads/processes of the thread or process runner.")
    chunk_rows: int = Field(2000, ge=1, description="Seeds per puzzle-generation chunk task.")
    signature_chunk_rows: int = Field(
        50_000, ge=1, description="Rows per MinHash-signature chunk task (process / Dask runners; ~20 us a row)."
    )
    dedup_band_groups: int = Field(
        4, ge=1, description="Dedup band/link pass split into this many band-group tasks (process / Dask runners); "
        "only their edges travel to the one cluster task."
    )
    network_retries: int = Field(2, ge=0, description="Retries of stages that call a model endpoint.")
    retry_delay_seconds: float = Field(10.0, ge=0)
    schedules: list[Schedule] = Field(default_factory=list)


#: settings sections of stages declared outside this file (`curation.stage.Stage.settings_model`)
EXTRA_SECTIONS: dict[str, type[BaseModel]] = {}


def register_section(name: str, model: type[BaseModel]) -> None:
    """Accept a `[name]` table validated by `model` (a stage's settings class) in every config."""
    if name in PipelineConfig.model_fields or EXTRA_SECTIONS.get(name, model) is not model:
        raise ValueError(f"config section {name!r} already exists")
    EXTRA_SECTIONS[name] = model


def unregister_section(name: str) -> None:
    EXTRA_SECTIONS.pop(name, None)


class PipelineConfig(_Section):
    output_dir: str = "out"
    sources: list[SourceConfig] = Field(default_factory=list)
    clean: CleanSettings = Field(default_factory=CleanSettings)
    mcq: McqSettings = Field(default_factory=McqSettings)
    dedup: DedupSettings = Field(default_factory=DedupSettings)
    decontaminate: DecontaminateSettings = Field(default_factory=DecontaminateSettings)
    difficulty: DifficultySettings = Field(default_factory=DifficultySettings)
    code: CodeSettings = Field(default_factory=CodeSettings)
    generate: GenerateSettings = Field(default_factory=GenerateSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    export: ExportSettings = Field(default_factory=ExportSettings)
    prefect: PrefectSettings = Field(default_factory=PrefectSettings)

    # relative paths in the file are relative to the config file's folder
    base_dir: str = Field(".", exclude=True)
    # sections of stages registered with their own settings class (EXTRA_SECTIONS), by name
    extra_sections: dict[str, BaseModel] = Field(default_factory=dict, exclude=True)

    @model_serializer(mode="wrap")
    def _dump_extra_sections(self, handler, info: SerializationInfo) -> dict:
        data = handler(self)
        for name, section in self.extra_sections.items():
            data[name] = section.model_dump(mode=info.mode)
        return data

    def section(self, name: str):
        """The settings of section `name`: a built-in field or a registered stage's section."""
        if name in self.extra_sections:
            return self.extra_sections[name]
        if name in type(self).model_fields and name not in ("base_dir", "extra_sections"):
            return getattr(self, name)
        raise KeyError(f"no config section {name!r}")

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

    def dedup_index_dir(self) -> Path | None:
        """The incremental dedup index folder: `dedup.index_dir`, else `<dedup.existing>/dedup_index`,
        else None (plain batch dedup). The one rule `curate run`, the flows and `curate dedup` share."""
        if self.dedup.index_dir:
            return self.resolve(self.dedup.index_dir)
        if self.dedup.existing:
            return self.resolve(self.dedup.existing) / "dedup_index"
        return None


def _field_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def config_from_dict(data: dict, *, base_dir: str | Path = ".", origin: str = "config") -> PipelineConfig:
    """Validate a config mapping; raise ConfigError naming the first bad field path."""
    data = dict(data)
    extra = {name: data.pop(name, {}) for name in EXTRA_SECTIONS}
    try:
        cfg = PipelineConfig.model_validate(data)
        sections = {}
        for name, model in EXTRA_SECTIONS.items():
            try:
                sections[name] = model.model_validate(extra[name])
            except ValidationError as exc:
                errors = [{**e, "loc": (name, *e["loc"])} for e in exc.errors()]
                raise _Named(errors) from None
    except ValidationError as exc:
        _raise_named(exc.errors(), origin)
    except _Named as exc:
        _raise_named(exc.errors, origin)
    cfg.extra_sections = sections
    cfg.base_dir = str(base_dir)
    return cfg


class _Named(Exception):
    def __init__(self, errors: list[dict]):
        self.errors = errors


def _raise_named(errors: list[dict], origin: str):
    err = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    raise ConfigError(f"{origin}: {_field_path(err['loc'])}: {err['msg']}{more}") from None


def load_config(path: str | Path) -> PipelineConfig:
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"config file not found: {path}")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a TOML config file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}): save the config as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return config_from_dict(data, base_dir=path.parent, origin=str(path))
