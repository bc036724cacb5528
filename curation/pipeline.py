"""The whole pipeline from one config: the built-in stages, declared once in `PIPELINE`, over Parquet files.

Each stage reads the previous stage's Parquet file from the work folder, runs one library stage and
writes its own file. `run_pipeline` runs them in order in-process (what `curate run` does); the
Prefect flows in `flows/` run the very same stages as tasks, so both produce the same export.

Adding a stage: write the library function (its own module), a settings class with `enabled` in
`curation/config.py`, a `step_<name>(ws, df, **inputs) -> (df, note)` here and one `Stage(...)`
entry in `PIPELINE` (see `curation.stage`). Everything else derives from the entry.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from curation.errors import ConfigError, StageContractError
from curation.config import PipelineConfig
from curation.frames import apply_to_subset, value_counts, with_review_evidence
from curation.io import read_columns, read_problems, sqlite_url, write_merged, write_problems
from curation.memory import PeakRss
from curation.stage import Stage, StageRegistry, dump
from schemas import conform, polars_schema



@dataclass
class StageCount:
    """What one stage did: rows in and out, and the drop/review reasons it added."""

    stage: str
    rows: int
    dropped: dict[str, int] = field(default_factory=dict)
    review: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: bool = False
    note: str | None = None
    # largest resident size of the process while the stage ran (curation.memory.PeakRss), MB
    peak_rss_mb: float | None = None

    def as_dict(self) -> dict:
        return {
            "stage": self.stage,
            "rows": self.rows,
            "dropped": self.dropped,
            "review": self.review,
            "seconds": round(self.seconds, 3),
            "skipped": self.skipped,
            "note": self.note,
            "peak_rss_mb": None if self.peak_rss_mb is None else round(self.peak_rss_mb, 1),
        }


@dataclass
class PipelineReport:
    out_dir: Path
    dataset_dir: Path | None
    stages: list[StageCount]
    destinations: dict[str, int]
    quarantined: int
    last_file: Path | None = None
    review_url: str | None = None
    alarms: list[str] = field(default_factory=list)  # sanity alarms on the final rows (curation/alarms.py)

    def as_dict(self) -> dict:
        return {
            "out_dir": str(self.out_dir),
            "dataset_dir": str(self.dataset_dir) if self.dataset_dir else None,
            "destinations": self.destinations,
            "quarantined": self.quarantined,
            "alarms": self.alarms,
            "stages": [s.as_dict() for s in self.stages],
        }


StageProgress = Callable[[str, int, "int | None", dict], None]


def _refuse_own_dataset_as_index(cfg: PipelineConfig, out: Path) -> None:
    """Incremental dedup against the dataset this very run replaces loses rows: ids are content hashes,
    so on a rerun every row is "already in the dataset", dropped as a duplicate, and the export
    replaces the dataset with what is left. Refused, naming the field."""
    index = cfg.dedup_index_dir()
    if index is None:
        return
    dataset = (out / cfg.export.dataset_dir).resolve()
    index = index.resolve()
    if index == dataset or dataset in index.parents:
        field = "dedup.index_dir" if cfg.dedup.index_dir else "dedup.existing"
        raise ConfigError(
            f"{field}: {index} is inside this run's own output dataset ({dataset}), which the run replaces: "
            "a rerun would drop every row as a duplicate of itself. Point it at the dataset of earlier "
            "batches, or write this run to another output_dir"
        )


class Workspace:
    """Paths of one run: the output folder, its work folder, and the stores next to the data."""

    def __init__(self, cfg: PipelineConfig, *, progress: StageProgress | None = None):
        self.cfg = cfg
        # progress(stage, done, total, info): total None = a stage that only reports it started
        self.progress = progress
        self.out = cfg.output_path
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"output_dir: {self.out} exists and is not a folder")
        _refuse_own_dataset_as_index(cfg, self.out)
        self.work = self.out / "work"

    def progress_for(self, stage: str) -> Callable[[int, int, dict], None] | None:
        """The `progress(done, total, info)` callback a library function takes, bound to `stage`."""
        if self.progress is None:
            return None
        report = self.progress
        return lambda done, total, info=None: report(stage, done, total, info or {})

    def stage_file(self, stage: str) -> Path:
        """The stage's work file: `work/NN_<stage>.parquet`, NN its position in the pipeline."""
        return self.work / f"{PIPELINE.index(stage):02d}_{stage}.parquet"

    @property
    def quarantine_file(self) -> Path:
        return self.work / "quarantine.jsonl"

    @property
    def review_url(self) -> str:
        from curation.review import db_url_for

        return db_url_for(self.cfg)

    @property
    def responses_url(self) -> str:
        url = self.cfg.difficulty.store_url
        if url and "://" not in url:
            url = str(self.cfg.resolve(url))  # a path in the config is relative to the config file
        return sqlite_url(url or self.out / "responses.sqlite")

    @property
    def code_cache_url(self) -> str:
        return sqlite_url(self.cfg.code.cache_url or self.out / "code_results.sqlite")

    @property
    def dedup_index(self) -> Path | None:
        return self.cfg.dedup_index_dir()


def _added(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}


# --- the built-in stages: each maps the previous table to the next one -----------------------------


def _given_or_written(stage: str, given: pl.DataFrame, out: pl.DataFrame) -> pl.DataFrame:
    """`out` without the schema columns a conforming library function added (defaults where absent):
    only the columns the stage was given and those it declares writing, so a projected run streams
    the others unchanged from the input. The declared `reads` of such a stage must be checked
    against the library's code (a conform hides an undeclared read behind a default)."""
    spec = PIPELINE[stage]
    return out.select([c for c in out.columns if c in given.columns or spec.declares(c)])


def step_ingest(ws: Workspace, df: pl.DataFrame | None = None) -> tuple[pl.DataFrame, str | None]:
    from curation.ingest import ingest_sources, write_quarantine

    result = ingest_sources(ws.cfg.sources, base_dir=Path(ws.cfg.base_dir))
    ws.work.mkdir(parents=True, exist_ok=True)
    write_quarantine(result.quarantine, ws.quarantine_file)
    note = f"{result.rows_read} rows read, {result.quarantine.height} quarantined"
    return result.problems, note


def step_generate(
    ws: Workspace, df: pl.DataFrame, *, pregenerated: list[list[dict]] | None = None
) -> tuple[pl.DataFrame, str | None]:
    """Append the configured puzzles. `pregenerated` (optional): the records of each request of
    `generate.puzzles`, in order, already generated elsewhere (the Prefect flow's chunk tasks)."""
    from generators import generate_records

    requests = ws.cfg.generate.puzzles
    if pregenerated is not None and len(pregenerated) != len(requests):
        raise ValueError(f"generate: {len(pregenerated)} pregenerated record lists for {len(requests)} requests")
    frames = [df]
    made = 0
    for i, req in enumerate(requests):
        if pregenerated is not None:
            records = pregenerated[i]
        else:
            records = generate_records(req.generator, count=req.count, level=req.level, seed=req.seed)
        made += len(records)
        frames.append(conform(pl.DataFrame(records, infer_schema_length=None)))
    return pl.concat(frames, how="diagonal_relaxed"), f"{made} puzzles generated"


def step_clean(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.alarms import check_alarms
    from curation.clean import flag_problems

    # code problems have no answer to clean: the code_tests stage checks them
    out = apply_to_subset(df, pl.col("kind") != "code", lambda part: flag_problems(part, settings=ws.cfg.clean))
    alarms = check_alarms(out, strict=ws.cfg.clean.strict_alarms, threshold=ws.cfg.clean.alarm_share)
    return out, ("ALARM " + " | ".join(a.message() for a in alarms)) if alarms else None


def step_convert_mcq(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.alarms import DataAlarmError
    from curation.mcq import convert_multiple_choice, mcq_alarms

    model = ws.cfg.difficulty.model if ws.cfg.mcq.model_mode else None
    out = apply_to_subset(
        df, pl.col("kind") != "code", lambda part: convert_multiple_choice(part, settings=ws.cfg.mcq, model=model)
    )
    alarms = mcq_alarms(out)  # a source whose every multiple-choice row was refused for one reason
    if alarms and ws.cfg.clean.strict_alarms:
        raise DataAlarmError(alarms[0].message())
    return out, ("ALARM " + " | ".join(a.message() for a in alarms)) if alarms else None


def _source_priority(cfg: PipelineConfig) -> dict[str, int]:
    from curation.dedup import source_priority_from_config

    return source_priority_from_config(cfg)


def _reviewed_distinct(cfg: PipelineConfig) -> list[list[str]]:
    """Problem ids a reviewer declared "not duplicates" (kept in the review database)."""
    from curation.review import distinct_groups_for

    return distinct_groups_for(cfg)


def step_dedup(ws: Workspace, df: pl.DataFrame, *, signatures=None, near_edges=None) -> tuple[pl.DataFrame, str | None]:
    """`signatures` (optional): the MinHash signatures of every row of `df`, in row order, computed
    elsewhere (the Prefect flow's chunk tasks); `near_edges` (optional): the verified near-duplicate
    edges of all band groups (the flow's band tasks); see `curation.dedup.mark_duplicates`."""
    from curation.dedup import mark_duplicates

    stats: dict = {}
    out = mark_duplicates(
        df, settings=ws.cfg.dedup, source_priority=_source_priority(ws.cfg), index_dir=ws.dedup_index,
        signatures=signatures, near_edges=near_edges, progress=ws.progress_for("dedup"),
        not_duplicates=_reviewed_distinct(ws.cfg), stats=stats,
    )
    out = _given_or_written("dedup", df, out)
    # the linking work, so a run shows it stays linear (when the pairs were checked in this process)
    note = None
    if "candidates" in stats and df.height:
        note = (f"{stats['candidates']:,} candidate pairs checked ({stats['candidates'] / df.height:.3f} per row), "
                f"{stats.get('verified_pairs', 0):,} near-duplicate edges")
    return out, note


def step_decontaminate(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.decontaminate import load_benchmarks, mark_contamination

    settings = ws.cfg.decontaminate
    if not settings.benchmarks:
        return df, "no benchmarks configured"
    benchmarks = load_benchmarks(settings.benchmarks, base_dir=ws.cfg.base_dir)
    return _given_or_written("decontaminate", df, mark_contamination(df, benchmarks=benchmarks, settings=settings)), None


def step_difficulty(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.difficulty import grade_difficulty

    # Puzzles are checked by their generators' verifiers, not the math verifier: not graded here.
    evidence: dict[str, dict] = {}

    def grade(part: pl.DataFrame) -> pl.DataFrame:
        graded, found = grade_difficulty(part, settings=ws.cfg.difficulty, store_url=ws.responses_url,
                                         progress=ws.progress_for("difficulty"))
        evidence.update(found)
        return graded

    out = apply_to_subset(df, ~pl.col("kind").is_in(["puzzle", "code"]), grade)
    if ws.cfg.code.enabled and (out["kind"] == "code").any():
        from curation.code.difficulty import grade_code_difficulty

        out = grade_code_difficulty(out, settings=ws.cfg.difficulty, code=ws.cfg.code, store_url=ws.responses_url,
                                    cache_url=ws.code_cache_url)
    out = with_review_evidence(out, evidence)
    note = None
    if not ws.cfg.difficulty.model.base_url:
        note = "embedded SmolLM2-135M: demonstrates the mechanics only; point difficulty.model.base_url at a real model"
    return out, note


def step_code_tests(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    if not (df["kind"] == "code").any():
        return df, "no code problems"
    from curation.code.validate import validate_code_tests

    return validate_code_tests(df, settings=ws.cfg.code, cache_url=ws.code_cache_url), None


def step_review(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.review import ReviewQueue, apply_review_decisions, queue_items

    queue = ReviewQueue(ws.review_url, lease_seconds=ws.cfg.review.lease_seconds)
    try:
        queued = queue_items(df, queue)  # the evidence travels in the `review_evidence` column
        out = apply_review_decisions(df, queue)
    finally:
        queue.close()
    from curation.review.apply import applied_decisions

    applied = applied_decisions(out)
    note = f"{queued} newly queued"
    if applied:
        note += "; decisions applied: " + ", ".join(f"{d} {n}" for d, n in applied.items())
    return out, note


def _review_card(df: pl.DataFrame) -> str | None:
    from curation.review.apply import review_card_section

    return review_card_section(df)


def _dedup_card(df: pl.DataFrame) -> str | None:
    from curation.dedup import dedup_card_section

    return dedup_card_section(df)


def _contamination_card(df: pl.DataFrame) -> str | None:
    from curation.decontaminate import contamination_card_section

    return contamination_card_section(df)


def _alarms_card(df: pl.DataFrame) -> str | None:
    from curation.alarms import alarms_card_section

    return alarms_card_section(df)


def _mcq_card(df: pl.DataFrame) -> str | None:
    from curation.mcq import mcq_card_section

    return mcq_card_section(df)


#: what every source row carries after ingest (and every generated puzzle)
_RECORD = (
    "id", "source", "source_file", "source_row", "source_id", "kind", "question", "answer", "answer_type",
    "answer_unit", "choices", "solution", "subject", "raw_question", "raw_answer", "image", "metadata", "schema_version",
    "code_language", "code_tests", "code_test_count", "code_starter", "code_references", "code_time_limit",
    "code_memory_limit",
)
_OUTCOME = ("drop_reason", "review_reason")

#: the pipeline's stages, in run order (see `curation.stage` for what each field means)
PIPELINE = StageRegistry()
PIPELINE.register(Stage(
    name="ingest", run=step_ingest, section="sources",
    description="Read every configured source into one table (unreadable rows go to quarantine.jsonl).",
    writes=_RECORD,
    projection=False,  # no input table: it reads the sources
    external_files=lambda cfg: [cfg.resolve(s.path) for s in cfg.sources],
    side_files=lambda ws: [ws.quarantine_file],
))
PIPELINE.register(Stage(
    name="generate", run=step_generate,
    description="Procedural puzzle generation (sudoku, maze), appended to the ingested table.",
    writes=(*_RECORD, "level"),
    projection=False,  # appends rows (the puzzles)
))
PIPELINE.register(Stage(
    name="clean", run=step_clean,
    description="Cleaning filters (curation/clean.py): each flag drops the row with that reason.",
    # and drop_reason (written); source, source_row, metadata: the sanity alarms (curation/alarms.py)
    reads=("question", "answer", "answer_type", "kind", "choices", "image", "source", "source_row", "metadata"),
    writes=("clean_flags", "has_figure_code", "drop_reason"),
    card_section=_alarms_card,
))
PIPELINE.register(Stage(
    name="convert_mcq", run=step_convert_mcq, section="mcq",
    description="Multiple-choice → fill-in conversion (curation/mcq/).",
    # source/source_row: the alarm names them; mcq_status (written): a converted row is not converted again
    reads=("question", "answer", "answer_type", "choices", "kind", "metadata", "source", "source_row"),
    writes=("question", "answer", "answer_type", "answer_unit", "choices", "original_question", "original_answer",
            "original_choices", "rewritten_by", "mcq_status", "mcq_method", "mcq_reason", "metadata", *_OUTCOME),
    network=lambda cfg: cfg.mcq.model_mode,
    cache_settings=lambda cfg: {
        "mcq": dump(cfg.mcq), "model": dump(cfg.difficulty.model) if cfg.mcq.model_mode else None,
    },
    card_section=_mcq_card,
))
PIPELINE.register(Stage(
    name="dedup", run=step_dedup,
    description="Exact, template and near-duplicate detection (MinHash LSH).",
    # curation/dedup/__init__.py "Input columns" (answer_type, solution: the representative's rank)
    reads=("id", "source", "kind", "question", "answer", "answer_type", "solution", "choices", "drop_reason",
           "review_reason"),
    writes=("exact_dup_of", "template_group", "cluster_id", "duplicate_of", "dup_similarity",
            "conflicting_answers", "same_problem_by", *_OUTCOME),
    cache_settings=lambda cfg: {
        "dedup": dump(cfg.dedup), "priority": sorted(_source_priority(cfg).items()),
        # a reviewer's "not duplicates" changes the clusters: a cached result must not outlive it
        "not_duplicates": _reviewed_distinct(cfg),
    },
    external_files=lambda cfg: [p for p in [cfg.dedup_index_dir()] if p is not None],
    card_section=_dedup_card,
))
PIPELINE.register(Stage(
    name="decontaminate", run=step_decontaminate,
    description="Drop items that overlap held-out benchmarks (n-gram match). Benchmarks are sources.",
    # answer, choices: the answer-confirmed tier (curation.dedup.nodes.keyed_answers)
    reads=("question", "answer", "choices", "drop_reason"),
    writes=("contaminated_by", "contamination", "contam_*", "drop_reason"),
    external_files=lambda cfg: [cfg.resolve(b.path) for b in cfg.decontaminate.benchmarks],
    card_section=_contamination_card,
))
PIPELINE.register(Stage(
    name="code_tests", run=step_code_tests, section="code",
    description="Code problems: run the reference solutions on their tests in the sandbox (results cached).",
    reads=("id", "kind", "code_language", "code_tests", "code_references", "code_time_limit", "code_memory_limit",
           "drop_reason", "review_reason"),
    # review_evidence: a reference timeout's evidence for the reviewer (curation/code/validate.py)
    writes=("code_validation", "code_validation_detail", "code_test_count", "review_evidence", *_OUTCOME),
))
PIPELINE.register(Stage(
    name="difficulty", run=step_difficulty,
    description="Drop easy items by sampling a model k times (OpenAI-compatible endpoint).",
    reads=("id", "kind", "question", "answer", "answer_type", "drop_reason"),
    writes=("difficulty", "difficulty_label", "review_evidence", *_OUTCOME),
    # whole rows: the math and code engines (curation/difficulty/engine.py, curation/code/difficulty.py)
    # conform their input and read more columns (code_*, answer_unit, ...) than declared here
    projection=False,
    network=lambda cfg: True,
    cache_settings=lambda cfg: {"difficulty": dump(cfg.difficulty), "code": dump(cfg.code)},
))
PIPELINE.register(Stage(
    name="review", run=step_review, flow_name="curate-review-sync",
    description="Human review queue (SQLite by default): queue flagged items, apply the decisions taken.",
    reads=("id", "question", "answer", "choices", "review_reason", "review_evidence"),
    writes=("question", "answer", "review_status", "duplicate_of", "exact_dup_of", "dup_similarity", "same_problem_by",
            "original_question", "original_answer", "rewritten_by", *_OUTCOME),
    projection=False,  # whole rows: the queue stores each flagged row for the reviewer (review/apply.py)
    cacheable=False,  # the review database changes between runs (human decisions)
    card_section=_review_card,
))


def stage_names() -> tuple[str, ...]:
    """The registered stages' names, in run order."""
    return PIPELINE.names()


def stage_enabled(cfg: PipelineConfig, stage: str) -> bool:
    return PIPELINE[stage].enabled(cfg)


def _projected_input(spec: Stage, input_file: Path | None, projection: bool) -> pl.DataFrame | None:
    """The stage's own columns of `input_file`, or None when the stage gets whole rows."""
    if not (projection and spec.projection and input_file is not None):
        return None
    return read_columns(input_file, spec.projected_columns(), also=spec.declares)


def _check_projected(spec: Stage, before: pl.DataFrame, after: pl.DataFrame) -> None:
    """A projected stage keeps every row in order and returns only columns it was handed or declares."""
    if after.height != before.height:
        raise StageContractError(f"stage {spec.name!r} turned {before.height} rows into {after.height}: "
                                 "a stage adds flags, never adds or removes rows")
    if "id" in after.columns and not after["id"].equals(before["id"]):
        raise StageContractError(f"stage {spec.name!r} changed the order or the ids of its rows")
    undeclared = [c for c in after.columns if c not in before.columns and not spec.declares(c)]
    if undeclared:
        raise StageContractError(
            f"stage {spec.name!r} returned columns it neither reads nor writes: {', '.join(undeclared)} "
            "(declare them in its Stage(reads=/writes=))"
        )


def run_stage(
    ws: Workspace, stage: str, input_file: Path | None, *, out_file: Path | None = None, projection: bool = True,
    **inputs,
) -> tuple[Path, StageCount]:
    """Run one stage from its input file to its output Parquet; return the file and its counts.

    The input is the previous stage's work file, or any file `read_problems` reads; the output is
    the stage's work file unless `out_file` is given. `inputs` are handed to the stage's run
    function (precomputed work, e.g. `signatures=` for dedup).

    With `projection` (default) and a stage declared `projection=True`, the stage is handed only
    its declared columns of a curate Parquet input (`Stage.projected_columns`); the other columns
    are streamed from the input into the output, so memory is that of the stage's columns. A stage
    that then uses an undeclared column fails (`ColumnNotFoundError` or `StageContractError`)
    instead of reading nulls.
    """
    started = time.perf_counter()
    with PeakRss() as peak:
        spec = PIPELINE[stage]
        enabled = spec.enabled(ws.cfg)
        if ws.progress is not None and enabled:
            ws.progress(stage, 0, None, {})
        narrow = _projected_input(spec, input_file, projection)
        if narrow is not None:
            df_in = narrow
        else:
            df_in = read_problems(input_file) if input_file is not None else None
        if enabled:
            try:
                df, note = spec.run(ws, df_in, **inputs)
            except pl.exceptions.ColumnNotFoundError as exc:
                if narrow is None:
                    raise
                raise StageContractError(f"stage {stage!r} used a column it does not declare in reads: {exc}") from exc
        else:
            df, note = (df_in if df_in is not None else pl.DataFrame(schema=polars_schema())), "disabled in config"
        out_file = out_file or ws.stage_file(stage)
        if narrow is not None:
            _check_projected(spec, narrow, df)
            write_merged(df, input_file, out_file)
        else:
            df = conform(df)
            write_problems(df, out_file)
        before_drop = value_counts(df_in, "drop_reason")
        before_review = value_counts(df_in, "review_reason")
    count = StageCount(
        stage=stage,
        rows=df.height,
        dropped=_added(before_drop, value_counts(df, "drop_reason")),
        review=_added(before_review, value_counts(df, "review_reason")),
        seconds=time.perf_counter() - started,
        skipped=not enabled,
        note=note,
        peak_rss_mb=peak.mb,
    )
    return out_file, count


def card_sections(df: pl.DataFrame) -> list[str]:
    """Markdown sections the stages contribute to the dataset card, in stage order."""
    sections = (stage.card_section(df) for stage in PIPELINE if stage.card_section is not None)
    return [text for text in sections if text]


def finish(ws: Workspace, last_file: Path, counts: list[StageCount]) -> PipelineReport:
    """The explicit drop step and the export."""
    from curation.drop import split_outcomes
    from curation.export import export_dataset

    df = read_problems(last_file)
    from curation.alarms import check_alarms

    # after every stage (a source can also lose its rows at MCQ or dedup); strict stops before export
    alarms = check_alarms(df, strict=ws.cfg.clean.strict_alarms, threshold=ws.cfg.clean.alarm_share)
    outcomes = split_outcomes(df)
    quarantine = pl.read_ndjson(ws.quarantine_file) if ws.quarantine_file.exists() and ws.quarantine_file.stat().st_size else None
    result = export_dataset(
        outcomes,
        out_dir=ws.out,
        settings=ws.cfg.export,
        quarantine=quarantine,
        stage_counts=[c.as_dict() for c in counts],
        extra_card_sections=card_sections(df),
        sources=ws.cfg.sources,
    )
    if ws.dedup_index is not None:
        from curation.dedup import update_index

        update_index(outcomes.kept, ws.dedup_index, ws.cfg.dedup)
    destinations = {
        "kept": outcomes.kept.height,
        "dropped": outcomes.dropped.height,
        "review": outcomes.review.height,
        "quarantined": quarantine.height if quarantine is not None else 0,
    }
    return PipelineReport(
        out_dir=ws.out,
        dataset_dir=getattr(result, "dataset_dir", None),
        stages=counts,
        destinations=destinations,
        quarantined=destinations["quarantined"],
        last_file=last_file,
        review_url=ws.review_url,
        alarms=[a.message() for a in alarms],
    )


def run_pipeline(
    cfg: PipelineConfig,
    *,
    on_stage: Callable[[StageCount], None] | None = None,
    on_progress: StageProgress | None = None,
    projection: bool = True,
) -> PipelineReport:
    """Run every configured stage in order, then split and export. Returns the run report.

    `on_stage(count)` after each stage; `on_progress(stage, done, total, info)` as a stage starts
    (done 0, total None) and, for stages that count their work (difficulty), as it advances.
    `projection=False` hands every stage whole rows (see `run_stage`; the output is the same).
    """
    ws = Workspace(cfg, progress=on_progress)
    ws.work.mkdir(parents=True, exist_ok=True)
    counts: list[StageCount] = []
    current: Path | None = None
    for stage in stage_names():
        current, count = run_stage(ws, stage, current, projection=projection)
        counts.append(count)
        if on_stage:
            on_stage(count)
    return finish(ws, current, counts)
