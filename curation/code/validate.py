"""The test-validation stage: do a code problem's own reference solutions pass its own tests?

`validate_code_tests(df, *, settings, cache_url=None, runner=None) -> df`

Input columns: kind, code_tests, code_test_count, code_language, code_references, code_time_limit,
code_memory_limit, drop_reason, review_reason. Rows that are not `kind = "code"` or already have a
drop_reason are left alone (nothing is run for them).
Output columns: code_validation, code_validation_detail, and where still null:
- drop_reason `too_few_tests` (fewer than `min_tests` cases), `tests_inconsistent` (no reference
  passes every test, and more runs of the failing reference reproduce its output), or
  `nondeterministic_output` (one of `determinism_runs` more runs printed something else: the
  expected output cannot be trusted to be reproducible), `no_reference` only with `drop_without_reference`;
- review_reason `reference_timeout` when the references fail only by running out of time or
  memory (the limits may be too tight for this language; a person should decide), with
  `review_evidence` (the failing test, the limits).
`code_validation` is `passed` or the reason, also `no_reference` / `unsupported_language` (kept).

Up to `max_references` references run per problem (all tests each, through the cache); one that
passes everything is enough.
"""

from __future__ import annotations

import polars as pl

from curation.code.harness import LANGUAGES, TestSpec, normalize_language
from curation.code.runner import CodeRunner, Job, limits_for
from curation.frames import with_review_evidence

_RESOURCE_VERDICTS = {"timeout", "memory_limit"}


def validate_code_tests(df: pl.DataFrame, *, settings, cache_url: str | None = None,
                        runner: CodeRunner | None = None) -> pl.DataFrame:
    if df.height == 0 or "kind" not in df.columns:
        return df
    rows = df.select(
        "kind", "code_tests", "code_language", "code_references", "code_time_limit", "code_memory_limit", "drop_reason"
    ).to_dicts()
    validation: list[str | None] = list(df["code_validation"]) if "code_validation" in df.columns else [None] * df.height
    detail: list[str | None] = [None] * df.height
    drop: list[str | None] = [None] * df.height
    review: list[str | None] = [None] * df.height

    plans: dict[int, list[Job]] = {}
    for i, row in enumerate(rows):
        if row["kind"] != "code" or row["drop_reason"] is not None:
            continue
        try:
            spec = TestSpec.from_json(row["code_tests"] or "")
        except (ValueError, TypeError, KeyError) as exc:
            validation[i], detail[i], drop[i] = "tests_unreadable", str(exc)[:300], "tests_unreadable"
            continue
        if spec.count < settings.min_tests:
            validation[i], detail[i] = "too_few_tests", f"{spec.count} test(s), at least {settings.min_tests} needed"
            drop[i] = "too_few_tests"
            continue
        language = normalize_language(row["code_language"])
        if language not in LANGUAGES:
            validation[i], detail[i] = "unsupported_language", f"cannot run {row['code_language']!r}"
            continue
        refs = [r for r in (row["code_references"] or []) if r and r.strip()][: settings.max_references]
        if not refs:
            validation[i] = "no_reference"
            if settings.drop_without_reference:
                drop[i] = "no_reference"
            continue
        limits = limits_for(settings, time_limit=row["code_time_limit"], memory_limit=row["code_memory_limit"])
        plans[i] = [Job(ref, spec, language=language, limits=limits, float_tolerance=settings.float_tolerance) for ref in refs]

    own = runner is None and bool(plans)
    if own:
        runner = CodeRunner(settings, cache_url=cache_url)
    try:
        flat = [job for jobs in plans.values() for job in jobs]
        outcomes = iter(runner.run_jobs(flat)) if flat else iter(())
        for i, jobs in plans.items():
            results = [next(outcomes) for _ in jobs]
            if any(r.all_passed for r in results):
                validation[i] = "passed"
                continue
            failed_verdicts = {v for r in results for v in r.verdicts if v != "ok"}
            first = results[0]
            detail[i] = first.detail
            if failed_verdicts and failed_verdicts <= _RESOURCE_VERDICTS:
                validation[i], review[i] = "reference_timeout", "reference_timeout"
                continue
            # more uncached runs of the first reference: the same output every time → the tests are
            # wrong; any difference → the program is nondeterministic (then its expected output is too)
            if _differs_on_rerun(runner, jobs[0], first, settings.determinism_runs):
                validation[i] = drop[i] = "nondeterministic_output"
                detail[i] = "the reference printed different output when run again"
            else:
                validation[i] = drop[i] = "tests_inconsistent"
    finally:
        if own:
            runner.close()

    def merged(column: str, new: list[str | None]) -> pl.Series:
        old = df[column] if column in df.columns else pl.Series([None] * df.height, dtype=pl.Utf8)
        return pl.Series(column, [o if o is not None else n for o, n in zip(old.to_list(), new)], dtype=pl.Utf8)

    # the reviewer of a reference_timeout sees which test ran out of what, under which limits
    evidence = {}
    if "id" in df.columns:
        ids = df["id"].to_list()
        for i, reason in enumerate(review):
            if reason is not None and ids[i] is not None and i in plans:
                evidence[ids[i]] = {"reason": reason, "detail": detail[i], "cpu_seconds": plans[i][0].limits.cpu_seconds,
                                    "memory_mb": plans[i][0].limits.memory_mb, "references_run": len(plans[i])}
    out = df.with_columns(
        pl.Series("code_validation", validation, dtype=pl.Utf8),
        pl.Series("code_validation_detail", [d if d is not None else o for d, o in zip(
            detail, df["code_validation_detail"].to_list() if "code_validation_detail" in df.columns else [None] * df.height)],
            dtype=pl.Utf8),
        merged("drop_reason", drop),
        merged("review_reason", review),
    )
    return with_review_evidence(out, evidence) if evidence else out


_COMPLETED = {"ok", "wrong_answer"}  # the program ran to the end: its output is evidence


def _differs_on_rerun(runner: CodeRunner, job: Job, first, runs: int) -> bool:
    """True when a rerun of the reference printed something else on a test that both runs
    completed. A run cut short by a limit (a busy machine can push a program over the wall clock)
    is no evidence either way."""
    for _ in range(runs):
        again = runner.harness.run(job.code, job.spec, language=job.language, limits=job.limits,
                                   float_tolerance=job.float_tolerance)
        pairs = zip(first.verdicts, again.verdicts, first.outputs, again.outputs)
        if any(v1 in _COMPLETED and v2 in _COMPLETED and (o1 != o2 or v1 != v2) for v1, v2, o1, o2 in pairs):
            return True
    return False
