"""Run a program against a problem's tests in the sandbox and judge the results on the host.

Three test styles (the `code_tests` column holds one as JSON, see `TestSpec`):
- `stdio`: cases `{input, output}`; the program reads stdin, its stdout is compared on the host
  (`compare.outputs_match`). One sandboxed execution per case.
- `call`: cases `{input: [args...], output: value}` and `fn_name` (APPS/TACO `fn_name` problems; a
  top-level function or a method of `class Solution`). One execution runs every case; the driver
  prints the return values as JSON and the host compares them (`compare.values_match`).
- `assert`: HumanEval-style test code defining `check(candidate)`; the program, the test code and
  `check(entry_point)` run in one execution and pass when they finish without an exception.

Reward hacking: in `call` and `assert` the program shares a process with the driver, so the driver
reads a random nonce from a file and deletes it before running the program, and the result counts
only if the nonce is printed after the tests ran. A program that exits early (`sys.exit(0)`,
`os._exit(0)`) or prints fake results therefore fails. (It could still dig the nonce out of the
driver's memory; judging outside the process is what `stdio` does.)
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field, replace

from curation.code.compare import outputs_match, values_match
from curation.code.sandbox import Execution, Limits, Sandbox

HARNESS_VERSION = "1"  # part of every cache key: bump when judging changes
STYLES = ("stdio", "call", "assert")
LANGUAGES = ("python", "cpp")
_LANGUAGE_NAMES = {
    "python": "python", "python3": "python", "py": "python", "py3": "python", "python 3": "python",
    "pypy": "python", "pypy3": "python", "3": "python",
    "cpp": "cpp", "c++": "cpp", "cpp11": "cpp", "cpp14": "cpp", "cpp17": "cpp", "cpp20": "cpp",
    "c++11": "cpp", "c++14": "cpp", "c++17": "cpp", "c++20": "cpp", "gnu++17": "cpp", "g++": "cpp", "2": "cpp",
}


def normalize_language(name) -> str | None:
    """`python` / `cpp` for the spellings sources use (CodeContests numbers: 3 = Python 3, 2 = C++);
    None for anything else (Python 2, Java, ...), which curate cannot run."""
    if name is None:
        return None
    return _LANGUAGE_NAMES.get(str(name).strip().lower())


@dataclass(frozen=True)
class TestSpec:
    __test__ = False  # not a pytest class

    style: str
    cases: tuple = ()
    fn_name: str | None = None
    test: str | None = None  # assert style: test code defining check(candidate)
    entry_point: str | None = None

    @property
    def count(self) -> int:
        """Number of test cases (assert style: the number of `assert` statements)."""
        if self.style == "assert":
            return count_asserts(self.test or "")
        return len(self.cases)

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v not in (None, ())}
        data["cases"] = list(self.cases)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "TestSpec":
        data = json.loads(text)
        if data.get("style") not in STYLES:
            raise ValueError(f"unknown test style {data.get('style')!r}")
        return cls(
            style=data["style"],
            cases=tuple(data.get("cases") or ()),
            fn_name=data.get("fn_name"),
            test=data.get("test"),
            entry_point=data.get("entry_point"),
        )


def count_asserts(test_code: str) -> int:
    """`assert` statements in test code, found by parsing (never running) it; bounded in size."""
    import ast

    if len(test_code) > 1_000_000:
        return 0
    try:
        tree = ast.parse(test_code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return test_code.count("assert ")
    return sum(isinstance(node, ast.Assert) for node in ast.walk(tree))


@dataclass
class TestOutcome:
    """The judgement of one program on one test spec."""

    __test__ = False  # not a pytest class

    status: str  # passed | failed | compile_error | unsupported
    passed: int = 0
    total: int = 0
    verdicts: list[str] = field(default_factory=list)  # per case: ok | wrong_answer | <execution status>
    outputs: list[str] = field(default_factory=list)  # per case: what the program produced (capped)
    detail: str | None = None  # first failure, readable
    executions: int = 0

    @property
    def all_passed(self) -> bool:
        return self.status == "passed"

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TestOutcome":
        return cls(**data)


_OUTPUT_KEEP = 2000

# both drivers start alike: read the nonce and delete its file before any untrusted code runs
_DRIVER_START = r'''
import json, sys
sys.setrecursionlimit(100000)
def _curate_run():
    with open("nonce") as fh:
        nonce = fh.read()
    import os
    os.unlink("nonce")
    with open(PROGRAM_FILE) as fh:
        source = fh.read()
'''

_CALL_DRIVER = _DRIVER_START.replace("PROGRAM_FILE", '"solution.py"') + r'''
    with open("cases.json") as fh:
        cases = json.load(fh)
    ns = {"__name__": "solution"}
    results = []
    try:
        exec(compile(source, "solution.py", "exec"), ns)  # inside the sandbox: running it is the point
        fn = ns.get(FN_NAME)
        if fn is None and isinstance(ns.get("Solution"), type):
            fn = getattr(ns["Solution"](), FN_NAME, None)
        if fn is None:
            raise NameError("no function " + FN_NAME)
    except BaseException as exc:
        sys.stdout.write("\n" + nonce + json.dumps({"load_error": type(exc).__name__ + ": " + str(exc)[:300]}) + "\n")
        return
    for args in cases:
        try:
            value = fn(*args)
            try:
                results.append({"value": json.loads(json.dumps(value))})
            except (TypeError, ValueError):
                results.append({"error": "unserializable return value " + type(value).__name__})
        except BaseException as exc:
            results.append({"error": type(exc).__name__ + ": " + str(exc)[:200]})
    sys.stdout.flush()
    sys.stdout.write("\n" + nonce + json.dumps(results) + "\n")
_curate_run()
'''

_ASSERT_DRIVER = _DRIVER_START.replace("PROGRAM_FILE", '"program.py"') + r'''
    ns = {"__name__": "__main__"}
    exec(compile(source, "program.py", "exec"), ns)  # inside the sandbox: running it is the point
    sys.stdout.flush()
    sys.stdout.write("\n" + nonce + "\n")
_curate_run()
'''


def assert_program(code: str, spec: TestSpec) -> str:
    return f"{code}\n\n{spec.test}\n\ncheck({spec.entry_point})\n"


class Harness:
    """Judges programs on a `Sandbox`. `compile_limits` bound the C++ compiler."""

    def __init__(self, sandbox: Sandbox, *, python: str = "python3", cxx: str = "g++",
                 compile_limits: Limits | None = None):
        self.sandbox = sandbox
        self.python = python
        self.cxx = cxx
        self.compile_limits = compile_limits or Limits(
            cpu_seconds=30, wall_seconds=60, memory_mb=2048, processes=64, output_bytes=64 << 20, tmp_mb=256
        )

    def run(self, code: str, spec: TestSpec, *, language: str = "python", limits: Limits | None = None,
            float_tolerance: float | None = None, stop_on_failure: bool = False) -> TestOutcome:
        limits = limits or self.sandbox.limits
        language = normalize_language(language) or language
        if language not in LANGUAGES:
            return TestOutcome("unsupported", total=spec.count, detail=f"language {language!r} cannot be run")
        if spec.style != "stdio" and language != "python":
            return TestOutcome("unsupported", total=spec.count, detail=f"{spec.style} tests need Python")
        if spec.style == "stdio":
            return self._stdio(code, spec, language, limits, float_tolerance, stop_on_failure)
        if spec.style == "call":
            return self._call(code, spec, limits, float_tolerance)
        return self._assert(code, spec, limits)

    # -- styles -----------------------------------------------------------------------------

    def _stdio(self, code, spec, language, limits, tol, stop_on_failure) -> TestOutcome:
        out = TestOutcome("passed", total=len(spec.cases))
        if language == "cpp":
            compiled = self._compile(code)
            out.executions += 1
            if isinstance(compiled, Execution):
                out.status, out.detail = "compile_error", (compiled.stderr or compiled.detail or "")[-_OUTPUT_KEEP:]
                return out
            files, argv = {"main": compiled}, ["./main"]
        else:
            files, argv = {"solution.py": code}, [self.python, "-s", "solution.py"]
        for i, case in enumerate(spec.cases):
            ex = self.sandbox.run(argv, files=files, stdin=_text(case.get("input")), limits=limits)
            out.executions += 1
            out.outputs.append(ex.stdout[:_OUTPUT_KEEP])
            if ex.ok and outputs_match(ex.stdout, _text(case.get("output")), float_tolerance=tol):
                out.verdicts.append("ok")
                out.passed += 1
                continue
            verdict = "wrong_answer" if ex.ok else ex.status
            out.verdicts.append(verdict)
            if out.detail is None:
                out.detail = f"test {i + 1}: {verdict}" + (f" ({_last_line(ex.stderr)})" if ex.stderr.strip() else "")
            if stop_on_failure:
                break
        if out.passed < out.total:
            out.status = "failed"
        return out

    def _call(self, code, spec, limits, tol) -> TestOutcome:
        out = TestOutcome("failed", total=len(spec.cases), executions=1)
        nonce = secrets.token_hex(16)
        driver = _CALL_DRIVER.replace("FN_NAME", json.dumps(spec.fn_name or ""))
        cases = [c.get("input") if isinstance(c.get("input"), list) else [c.get("input")] for c in spec.cases]
        # one process runs every case: give it the per-case CPU time for each
        total_limits = replace(limits, cpu_seconds=min(limits.cpu_seconds * max(1, len(cases)), 60),
                               wall_seconds=None)
        ex = self.sandbox.run(
            [self.python, "-s", "driver.py"],
            files={"driver.py": driver, "solution.py": code, "cases.json": json.dumps(cases), "nonce": nonce},
            limits=total_limits,
        )
        results = _after_nonce(ex.stdout, nonce)
        if not ex.ok or results is None:
            out.detail = ex.status if not ex.ok else "the driver did not finish"
            out.detail += f" ({_last_line(ex.stderr)})" if ex.stderr.strip() else ""
            out.verdicts = [ex.status if not ex.ok else "runtime_error"] * len(cases)
            return out
        if isinstance(results, dict):
            out.detail = results.get("load_error", "load error")
            out.verdicts = ["runtime_error"] * len(cases)
            return out
        for i, (case, result) in enumerate(zip(spec.cases, results)):
            if "value" in result and values_match(result["value"], case.get("output"), float_tolerance=tol):
                verdict = "ok"
                out.passed += 1
            else:
                verdict = "wrong_answer" if "value" in result else "runtime_error"
                if out.detail is None:
                    out.detail = f"test {i + 1}: {verdict}" + (f" ({result['error']})" if "error" in result else "")
            out.verdicts.append(verdict)
            out.outputs.append(json.dumps(result.get("value"))[:_OUTPUT_KEEP] if "value" in result else "")
        if out.passed == out.total and len(results) == len(cases):
            out.status = "passed"
        return out

    def _assert(self, code, spec, limits) -> TestOutcome:
        total = spec.count or 1
        out = TestOutcome("failed", total=total, executions=1)
        nonce = secrets.token_hex(16)
        ex = self.sandbox.run(
            [self.python, "-s", "driver.py"],
            files={"driver.py": _ASSERT_DRIVER, "program.py": assert_program(code, spec), "nonce": nonce},
            limits=limits,
        )
        out.outputs.append(ex.stdout[-_OUTPUT_KEEP:])
        finished = _after_nonce(ex.stdout, nonce, parse=False)
        if ex.ok and finished is not None:
            out.status, out.passed = "passed", total
            out.verdicts = ["ok"]
        elif ex.ok:  # exit 0 without the nonce: the program ended the process before the tests ran
            out.verdicts, out.detail = ["runtime_error"], "exited before the tests finished"
        else:
            err = _last_line(ex.stderr)
            out.verdicts, out.detail = [ex.status], ex.status + (f" ({err})" if err else "")
        return out

    def _compile(self, code: str) -> bytes | Execution:
        ex, kept = self.sandbox.run_keep(
            [self.cxx, "-O2", "-std=gnu++17", "-pipe", "-o", "main", "main.cpp"],
            files={"main.cpp": code},
            limits=self.compile_limits,
            keep=["main"],
        )
        if not ex.ok or "main" not in kept:
            if ex.ok:
                ex.status = "runtime_error"
            return ex
        return kept["main"]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _after_nonce(stdout: str, nonce: str, *, parse: bool = True):
    for line in reversed(stdout.splitlines()):
        if line.startswith(nonce):
            if not parse:
                return True
            try:
                return json.loads(line[len(nonce):])
            except ValueError:
                return None
    return None
