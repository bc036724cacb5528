"""The test-validation stage on the sample problems, in the real sandbox, with the result cache."""

from pathlib import Path

import polars as pl
import pytest

from curation.code.runner import CodeRunner
from curation.code.validate import validate_code_tests
from curation.config import CodeSettings, SourceConfig
from curation.ingest import ingest_source
from schemas import conform

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.fixture(scope="module")
def problems():
    frames = [ingest_source(SourceConfig(path=str(SAMPLES / "code.jsonl"), kind="code")).problems]
    frames += [ingest_source(SourceConfig(path=str(SAMPLES / n))).problems
               for n in ("code_humaneval.jsonl", "code_apps.jsonl", "code_contests.jsonl")]
    return pl.concat(frames)


def verdicts(df):
    return {r["source_id"]: (r["code_validation"], r["drop_reason"], r["review_reason"]) for r in df.iter_rows(named=True)}


def test_validation_verdicts_and_a_cached_rerun(problems, sandbox, tmp_path):
    settings = CodeSettings(float_tolerance=1e-6)
    url = f"sqlite:///{tmp_path / 'cache.sqlite'}"
    with CodeRunner(settings, cache_url=url, sandbox=sandbox) as runner:
        out = validate_code_tests(problems, settings=settings, runner=runner)
        first = runner.stats.executions
    got = verdicts(out)
    assert got["sum-two"] == ("passed", None, None)
    assert got["reverse-words"] == ("passed", None, None)  # trailing spaces / missing newline tolerated
    assert got["circle-area"] == ("passed", None, None)  # float tolerance
    assert got["max-of-list-wrong-tests"] == ("tests_inconsistent", "tests_inconsistent", None)
    assert got["no-tests"] == ("too_few_tests", "too_few_tests", None)
    assert got["random-pick"] == ("nondeterministic_output", "nondeterministic_output", None)
    assert got["count-vowels-fn"] == ("passed", None, None)
    assert got["slow-fib"] == ("reference_timeout", None, "reference_timeout")
    evidence = out.filter(pl.col("source_id") == "slow-fib")["review_evidence"][0]
    assert "timeout" in evidence and "cpu_seconds" in evidence
    assert got["Sample/2"][0] == "tests_inconsistent"  # its canonical solution ignores "distinct"
    assert got["1"][0] == got["2"][0] == got["1000_A. Double"][0] == "passed"
    assert out.height == problems.height  # rows are never removed
    assert first > 0
    # a rerun (fresh runner, same cache) executes nothing for the cached verdicts; only the
    # deliberate second run of a failing reference (the determinism check) executes again
    with CodeRunner(settings, cache_url=url, sandbox=sandbox) as runner:
        again = validate_code_tests(problems, settings=settings, runner=runner)
        assert runner.stats.judged == 0 and runner.stats.cached == runner.stats.jobs
    assert verdicts(again) == got


def test_without_tolerance_the_float_problem_is_inconsistent(problems, sandbox):
    settings = CodeSettings()
    circle = problems.filter(pl.col("source_id") == "circle-area")
    with CodeRunner(settings, sandbox=sandbox) as runner:
        out = validate_code_tests(circle, settings=settings, runner=runner)
    assert out["drop_reason"].to_list() == ["tests_inconsistent"]


def test_rows_already_dropped_or_not_code_are_not_run(problems, sandbox):
    settings = CodeSettings()
    df = problems.head(2).with_columns(drop_reason=pl.lit("duplicate"))
    math = conform(pl.DataFrame({"id": ["m"], "source": ["s"], "question": ["1+1?"], "answer": ["2"]}))
    with CodeRunner(settings, sandbox=sandbox) as runner:
        out = validate_code_tests(pl.concat([df, math], how="diagonal_relaxed"), settings=settings, runner=runner)
        assert runner.stats.jobs == 0
    assert out["code_validation"].to_list() == [None, None, None]
    assert out["drop_reason"].to_list() == ["duplicate", "duplicate", None]
