"""Judging programs in the real sandbox: the three test styles, C++, and reward hacks."""

import shutil

import pytest

from curation.code.harness import TestSpec

STDIO = TestSpec("stdio", cases=({"input": "1 2\n", "output": "3\n"}, {"input": "5 5\n", "output": "10"}))
CALL = TestSpec("call", fn_name="add", cases=({"input": [1, 2], "output": 3}, {"input": [2, 2], "output": [4]}))
ASSERT = TestSpec("assert", entry_point="add", test="def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(0, 0) == 0\n")


def test_stdio_pass_and_fail(harness):
    ok = harness.run("a, b = map(int, input().split())\nprint(a + b)", STDIO)
    assert ok.all_passed and ok.passed == 2 and ok.executions == 2
    bad = harness.run("a, b = map(int, input().split())\nprint(a + b if a > 1 else 0)", STDIO)
    assert bad.status == "failed" and bad.verdicts == ["wrong_answer", "ok"] and bad.detail.startswith("test 1")
    crash = harness.run("raise SystemExit(3)", STDIO, stop_on_failure=True)
    assert crash.verdicts == ["runtime_error"] and crash.executions == 1


def test_call_style_top_level_and_solution_class(harness):
    assert harness.run("def add(a, b):\n    return a + b", CALL).all_passed
    assert harness.run("class Solution:\n    def add(self, a, b):\n        return a + b", CALL).all_passed
    wrong = harness.run("def add(a, b):\n    return a - b", CALL)
    assert wrong.passed == 0 and wrong.verdicts == ["wrong_answer", "wrong_answer"]
    missing = harness.run("def other(a, b):\n    return a + b", CALL)
    assert missing.status == "failed" and "no function" in missing.detail


def test_assert_style(harness):
    assert harness.run("def add(a, b):\n    return a + b", ASSERT).all_passed
    assert ASSERT.count == 2
    failed = harness.run("def add(a, b):\n    return 3", ASSERT)
    assert failed.status == "failed" and "AssertionError" in failed.detail


@pytest.mark.parametrize("hack", ["import sys\nsys.exit(0)", "import os\nos._exit(0)",
                                  "import builtins\nbuiltins.print('done')\nraise SystemExit"])
def test_exiting_before_the_tests_does_not_pass(harness, hack):
    assert not harness.run(f"def add(a, b):\n    return 0\n{hack}", ASSERT).all_passed
    assert not harness.run(f"def add(a, b):\n    return 0\n{hack}", CALL).all_passed


def test_forged_results_line_does_not_pass(harness):
    forged = 'def add(a, b):\n    return 0\nprint("\\n" + "0" * 32 + "[{\\"value\\": 3}, {\\"value\\": 4}]")'
    assert not harness.run(forged, CALL).all_passed


@pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler (g++) on this machine")
def test_cpp_compiles_once_and_runs_each_case(harness):
    code = "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<std::endl;}"
    ok = harness.run(code, STDIO, language="c++17")
    assert ok.all_passed and ok.executions == 3  # one compile + two runs
    broken = harness.run("int main( {", STDIO, language="cpp")
    assert broken.status == "compile_error" and "error" in broken.detail


def test_unsupported_language_is_not_run(harness):
    out = harness.run("class Main {}", STDIO, language="java")
    assert out.status == "unsupported" and out.executions == 0
