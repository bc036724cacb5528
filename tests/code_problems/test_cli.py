"""`curate check-answer` on code items: PASS/FAIL/exit codes, answers from a file, and the one-line
refusal when bubblewrap is missing (real CLI process, real sandbox)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


def curate(*args, env=None, stdin=None):
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "curation.cli.main", *args], capture_output=True, text=True,
                          env=full_env, input=stdin, timeout=120)


@pytest.fixture(autouse=True)
def _needs_sandbox(sandbox):
    """These run the real sandbox in a child process: skip where the fixture cannot make one."""


def test_check_answer_pass_fail_and_file_answers(tmp_path):
    ok = tmp_path / "sum.py"
    ok.write_text("a, b = map(int, input().split())\nprint(a + b)\n")
    res = curate("check-answer", str(SAMPLES / "code.jsonl"), "sum-two", f"@{ok}")
    assert res.returncode == 0 and res.stdout.startswith("PASS")
    res = curate("check-answer", str(SAMPLES / "code.jsonl"), "sum-two", "print(3)")
    assert res.returncode == 1 and res.stdout.startswith("FAIL") and "test 2: wrong_answer" in res.stdout
    # HumanEval style: a body completes the prompt; stdin answers work too
    res = curate("check-answer", str(SAMPLES / "code_humaneval.jsonl"), "Sample/1", "-", stdin="    return text == text[::-1]\n")
    assert res.returncode == 0, res.stdout + res.stderr
    res = curate("check-answer", str(SAMPLES / "code_humaneval.jsonl"), "Sample/1", "    import os\n    os._exit(0)\n")
    assert res.returncode == 1


def test_check_answer_errors_are_one_line(tmp_path):
    res = curate("check-answer", str(SAMPLES / "code.jsonl"), "sum-two", f"@{tmp_path / 'missing.py'}")
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and "no such file" in res.stderr


def test_missing_bwrap_is_refused_unless_unsafe(tmp_path):
    env = {"PATH": str(tmp_path)}  # no bwrap on this PATH
    res = curate("check-answer", str(SAMPLES / "code.jsonl"), "sum-two", "print(1)", env=env)
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1 and "bwrap" in res.stderr and "--unsafe-no-sandbox" in res.stderr
    res = curate("check-answer", "--unsafe-no-sandbox", str(SAMPLES / "code.jsonl"), "sum-two",
                 "a, b = map(int, input().split())\nprint(a + b)", env=env)
    assert res.returncode == 0 and res.stdout.startswith("PASS")
