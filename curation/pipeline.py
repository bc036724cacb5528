"""The whole pipeline from one config, as a list of named stage steps over Parquet files.

Each step reads the previous step's Parquet file from the work folder, runs one library stage and
writes its own file. `run_pipeline` runs them in order in-process (what `curate run` does); the
Prefect flows in `flows/` run the very same steps as tasks, so both produce the same export.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from curation.errors import ConfigError
from curation.config import PipelineConfig
from curation.frames import apply_to_subset
from curation.io import read_problems, sqlite_url, write_problems
from schemas import conform

STAGES = ("ingest", "generate", "clean", "convert_mcq", "dedup", "decontaminate", "code_tests", "difficulty", "review")


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

    def as_dict(self) -> dict:
        return {
            "stage": self.stage,
            "rows": self.rows,
            "dropped": self.dropped,
            "review": self.review,
            "seconds": round(self.seconds, 3),
            "skipped": self.skipped,
            "note": self.note,
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


class Workspace:
    """Paths of one run: the output folder, its work folder, and the stores next to the data."""

    def __init__(self, cfg: PipelineConfig):
        self.cfg = cfg
        self.out = cfg.output_path
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"output_dir: {self.out} exists and is not a folder")
        self.work = self.out / "work"

    def stage_file(self, stage: str) -> Path:
        return self.work / f"{STAGES.index(stage):02d}_{stage}.parquet"

    @property
    def quarantine_file(self) -> Path:
        return self.work / "quarantine.jsonl"

    @property
    def evidence_file(self) -> Path:
        return self.work / "review_evidence.json"

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
        return self.cfg.code.cache_url or f"sqlite:///{(self.out / 'code_results.sqlite').resolve()}"

    @property
    def dedup_index(self) -> Path | None:
        return self.cfg.resolve(self.cfg.dedup.existing) if self.cfg.dedup.existing else None


def _reason_counts(df: pl.DataFrame, column: str) -> dict[str, int]:
    if df.height == 0:
        return {}
    counts = df.get_column(column).drop_nulls().value_counts()
    return {row[column]: row["count"] for row in counts.iter_rows(named=True)}


def _added(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0}


# --- the stage steps: each maps the previous table to the next one --------------------------------


def step_ingest(ws: Workspace) -> tuple[pl.DataFrame, str | None]:
    from curation.ingest import ingest_sources, write_quarantine

    result = ingest_sources(ws.cfg.sources, base_dir=Path(ws.cfg.base_dir))
    ws.work.mkdir(parents=True, exist_ok=True)
    write_quarantine(result.quarantine, ws.quarantine_file)
    note = f"{result.rows_read} rows read, {result.quarantine.height} quarantined"
    return result.problems, note


def step_generate(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from generators import generate_records

    frames = [df]
    made = 0
    for req in ws.cfg.generate.puzzles:
        records = generate_records(req.generator, count=req.count, level=req.level, seed=req.seed)
        made += len(records)
        frames.append(conform(pl.DataFrame(records, infer_schema_length=None)))
    return pl.concat(frames, how="diagonal_relaxed"), f"{made} puzzles generated"


def step_clean(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.clean import flag_problems

    from curation.alarms import check_alarms

    # code problems have no answer to clean: the code_tests stage checks them
    out = apply_to_subset(df, pl.col("kind") != "code", lambda part: flag_problems(part, settings=ws.cfg.clean))
    from curation.alarms import strict_requested

    alarms = check_alarms(out, strict=strict_requested(ws.cfg.clean.strict_alarms), threshold=ws.cfg.clean.alarm_share)
    return out, ("ALARM " + " | ".join(a.message() for a in alarms)) if alarms else None


def step_convert_mcq(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.alarms import DataAlarmError, strict_requested
    from curation.mcq import convert_multiple_choice, mcq_alarms

    model = ws.cfg.difficulty.model if ws.cfg.mcq.model_mode else None
    out = apply_to_subset(
        df, pl.col("kind") != "code", lambda part: convert_multiple_choice(part, settings=ws.cfg.mcq, model=model)
    )
    alarms = mcq_alarms(out)  # a source whose every multiple-choice row was refused for one reason
    if alarms and strict_requested(ws.cfg.clean.strict_alarms):
        raise DataAlarmError(alarms[0].message())
    return out, ("ALARM " + " | ".join(a.message() for a in alarms)) if alarms else None


def step_dedup(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.dedup import mark_duplicates

    priority = {(s.name or Path(s.path).stem): s.priority for s in ws.cfg.sources}
    return mark_duplicates(df, settings=ws.cfg.dedup, source_priority=priority, index_dir=ws.dedup_index), None


def step_decontaminate(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.decontaminate import load_benchmarks, mark_contamination

    settings = ws.cfg.decontaminate
    if not settings.benchmarks:
        return df, "no benchmarks configured"
    benchmarks = load_benchmarks(settings.benchmarks, base_dir=ws.cfg.base_dir)
    return mark_contamination(df, benchmarks=benchmarks, settings=settings), None


def step_difficulty(ws: Workspace, df: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    from curation.difficulty import grade_difficulty

    # Puzzles are checked by their generators' verifiers, not the math verifier: not graded here.
    evidence: dict[str, dict] = {}

    def grade(part: pl.DataFrame) -> pl.DataFrame:
        graded, found = grade_difficulty(part, settings=ws.cfg.difficulty, store_url=ws.responses_url)
        evidence.update(found)
        return graded

    out = apply_to_subset(df, ~pl.col("kind").is_in(["puzzle", "code"]), grade)
    if ws.cfg.code.enabled and (out["kind"] == "code").any():
        from curation.code.difficulty import grade_code_difficulty

        out = grade_code_difficulty(out, settings=ws.cfg.difficulty, code=ws.cfg.code, store_url=ws.responses_url,
                                    cache_url=ws.code_cache_url)
    ws.evidence_file.write_text(json.dumps(evidence, ensure_ascii=False, default=str))
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

    evidence = json.loads(ws.evidence_file.read_text()) if ws.evidence_file.exists() else {}
    queue = ReviewQueue(ws.review_url, lease_seconds=ws.cfg.review.lease_seconds)
    try:
        queued = queue_items(df, queue, evidence=evidence)
        out = apply_review_decisions(df, queue)
    finally:
        queue.close()
    return out, f"{queued} newly queued"


STEPS: dict[str, Callable] = {
    "generate": step_generate,
    "clean": step_clean,
    "convert_mcq": step_convert_mcq,
    "dedup": step_dedup,
    "decontaminate": step_decontaminate,
    "code_tests": step_code_tests,
    "difficulty": step_difficulty,
    "review": step_review,
}


def stage_enabled(cfg: PipelineConfig, stage: str) -> bool:
    section = {
        "ingest": None,
        "generate": cfg.generate,
        "clean": cfg.clean,
        "convert_mcq": cfg.mcq,
        "dedup": cfg.dedup,
        "decontaminate": cfg.decontaminate,
        "code_tests": cfg.code,
        "difficulty": cfg.difficulty,
        "review": cfg.review,
    }[stage]
    return section is None or section.enabled


def run_stage(ws: Workspace, stage: str, input_file: Path | None) -> tuple[Path, StageCount]:
    """Run one stage from its input Parquet to its output Parquet; return the file and its counts."""
    started = time.perf_counter()
    if stage == "ingest":
        df_in = None
        df, note = step_ingest(ws)
    else:
        df_in = read_problems(input_file)
        if stage_enabled(ws.cfg, stage):
            df, note = STEPS[stage](ws, df_in)
        else:
            df, note = df_in, "disabled in config"
    df = conform(df)
    out_file = write_problems(df, ws.stage_file(stage))
    before_drop = _reason_counts(df_in, "drop_reason") if df_in is not None else {}
    before_review = _reason_counts(df_in, "review_reason") if df_in is not None else {}
    count = StageCount(
        stage=stage,
        rows=df.height,
        dropped=_added(before_drop, _reason_counts(df, "drop_reason")),
        review=_added(before_review, _reason_counts(df, "review_reason")),
        seconds=time.perf_counter() - started,
        skipped=not stage_enabled(ws.cfg, stage),
        note=note,
    )
    return out_file, count


def card_sections(df: pl.DataFrame) -> list[str]:
    """Markdown sections the stages contribute to the dataset card."""
    from curation.decontaminate import contamination_card_section
    from curation.dedup import dedup_card_section
    from curation.mcq import mcq_card_section

    from curation.alarms import alarms_card_section

    sections = (dedup_card_section(df), contamination_card_section(df), mcq_card_section(df), alarms_card_section(df))
    return [text for text in sections if text]


def finish(ws: Workspace, last_file: Path, counts: list[StageCount]) -> PipelineReport:
    """The explicit drop step and the export."""
    from curation.drop import split_outcomes
    from curation.export import export_dataset

    df = read_problems(last_file)
    from curation.alarms import check_alarms, strict_requested

    # after every stage (a source can also lose its rows at MCQ or dedup); strict stops before export
    alarms = check_alarms(df, strict=strict_requested(ws.cfg.clean.strict_alarms), threshold=ws.cfg.clean.alarm_share)
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


def run_pipeline(cfg: PipelineConfig, *, on_stage: Callable[[StageCount], None] | None = None) -> PipelineReport:
    """Run every configured stage in order, then split and export. Returns the run report."""
    ws = Workspace(cfg)
    ws.work.mkdir(parents=True, exist_ok=True)
    counts: list[StageCount] = []
    current: Path | None = None
    for stage in STAGES:
        current, count = run_stage(ws, stage, current)
        counts.append(count)
        if on_stage:
            on_stage(count)
    return finish(ws, current, counts)
