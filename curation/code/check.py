"""Judge one answer (code) against one code problem: `curate check-answer` and the RL reward.

`code_spec(record)` is the JSON a code problem needs to be judged without the rest of the record
(tests, starter, language, limits): the export puts it in the RL rows' `extra_info.code_spec`.
`check_code_answer(spec, answer)` extracts the program (last fenced block, or the whole answer when
it has no fence), runs it on every test in the sandbox and says PASS/FAIL with the reason.
`score_code(response, ground_truth, extra_info)` is the reward scorer for `kind = "code"`
(`curation.rewards` routes code items here): 1.0 when every test passes, else 0.0.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Any, Mapping

from curation.code.answer import entry_name, extract_code, program_for
from curation.code.harness import TestOutcome, TestSpec, normalize_language
from curation.errors import SourceError

_SPEC_FIELDS = ("code_tests", "code_starter", "code_language", "code_time_limit", "code_memory_limit")


def code_spec(record: Mapping[str, Any]) -> str | None:
    """The judging spec of a code record as JSON text; None for other kinds."""
    if record.get("kind") != "code" or not record.get("code_tests"):
        return None
    return json.dumps({k.removeprefix("code_"): record.get(k) for k in _SPEC_FIELDS}, ensure_ascii=False, sort_keys=True)


@dataclass
class CodeCheck:
    ok: bool
    reason: str
    outcome: TestOutcome | None = None
    answered: bool = True
    program: str | None = None


def check_code_answer(spec_json: str, answer: str, *, settings=None, runner=None, require_fence: bool = False) -> CodeCheck:
    """Judge `answer` against the spec (`code_spec` JSON). `runner` defaults to a shared one."""
    from curation.code.runner import Job, limits_for
    from curation.config import CodeSettings

    settings = settings or CodeSettings()
    try:
        spec_data = json.loads(spec_json)
        spec = TestSpec.from_json(spec_data["tests"])
    except (ValueError, TypeError, KeyError) as exc:
        raise SourceError(f"code item has no readable tests: {exc}") from None
    code, fence_language = extract_code(answer, require_fence=require_fence, defines=entry_name(spec))
    if code is None:
        return CodeCheck(False, "no code found in the answer" + (" (expected a fenced code block)" if require_fence else ""),
                         answered=False)
    language = normalize_language(spec_data.get("language")) or "python"
    if spec.style == "stdio" and fence_language:
        language = fence_language
    program = program_for(spec, spec_data.get("starter"), code)
    limits = limits_for(settings, time_limit=spec_data.get("time_limit"), memory_limit=spec_data.get("memory_limit"))
    job = Job(program, spec, language=language, limits=limits, float_tolerance=settings.float_tolerance)
    runner = runner or shared_runner(settings)
    (outcome,) = runner.run_jobs([job])
    if outcome.all_passed:
        return CodeCheck(True, f"all {outcome.total} tests passed", outcome, program=program)
    if outcome.status in ("compile_error", "unsupported"):
        return CodeCheck(False, f"{outcome.status}: {(outcome.detail or '').strip().splitlines()[0] if outcome.detail else ''}".rstrip(": "),
                         outcome, program=program)
    return CodeCheck(False, f"{outcome.passed}/{outcome.total} tests passed; {outcome.detail}", outcome, program=program)


_shared: dict[tuple, Any] = {}
_shared_lock = threading.Lock()


def shared_runner(settings):
    """One runner (sandbox pool, no result cache) per process and settings: RL reward calls come by
    the thousand and must not pay for a new sandbox pool each."""
    from curation.code.runner import CodeRunner

    key = (settings.unsafe_no_sandbox, settings.workers, settings.python, settings.cxx, os.getpid())
    with _shared_lock:
        runner = _shared.get(key)
        if runner is None:
            runner = _shared[key] = CodeRunner(settings)
        return runner


def score_code(response: str, ground_truth: str, extra_info: Mapping[str, Any]):
    """Reward scorer for code items: the program in the response's last fenced block must pass every
    test. `extra_info["code_spec"]` (from the export) holds the tests; a `ground_truth` that is itself
    a spec (JSON with `tests`) works too."""
    from curation.rewards import Verdict

    spec_json = extra_info.get("code_spec") or ground_truth
    result = check_code_answer(spec_json, response, require_fence=True)
    return Verdict(1.0 if result.ok else 0.0, result.reason, extracted=result.program, answered=result.answered)
