"""Code difficulty end to end: the real `openai` client against a loopback server, the real
sandbox, the response store and the result cache."""

from pathlib import Path

import polars as pl
import pytest

from curation.code.answer import extract_code, program_for
from curation.code.difficulty import grade_code_difficulty
from curation.code.harness import TestSpec
from curation.code.runner import CodeRunner
from curation.code.validate import validate_code_tests
from curation.config import CodeSettings
from curation.ingest import ingest_source
from curation.config import SourceConfig
from tests.difficulty.fake_server import FakeServer, Script
from tests.difficulty.helpers import make_settings

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
FENCE = "```"


def test_extract_last_fenced_block():
    text = f"First try:\n{FENCE}python\nprint(1)\n{FENCE}\nBetter:\n{FENCE}cpp\nint main(){{}}\n{FENCE}\nDone."
    assert extract_code(text) == ("int main(){}\n", "cpp")
    assert extract_code("print(2)") == ("print(2)", None)  # bare code
    assert extract_code(f"{FENCE}py\nprint(3)\n") == ("print(3)\n", "python")  # cut off before the closing fence
    assert extract_code("   ") == (None, None)
    assert extract_code(f"{FENCE}\n{FENCE}") == (None, None)
    assert extract_code("print(2)", require_fence=True) == (None, None)  # a model's prose is not a program
    # a function problem: the last block that defines the function, not a usage example after it
    usage = f"{FENCE}python\ndef add(x, y):\n    return x + y\n{FENCE}\nUsage:\n{FENCE}python\nprint(add(2, 3))\n{FENCE}"
    assert extract_code(usage, defines="add")[0] == "def add(x, y):\n    return x + y\n"
    assert extract_code(usage)[0] == "print(add(2, 3))\n"


def test_program_for_function_completion():
    spec = TestSpec("assert", test="def check(c):\n    assert c(1) == 2\n", entry_point="inc")
    starter = "import math\n\ndef inc(x):\n    '''Add one.'''\n"
    whole = program_for(spec, starter, "def inc(x):\n    return x + 1\n")
    assert whole.startswith(starter) and whole.rstrip().endswith("return x + 1")
    body = program_for(spec, starter, "return x + 1")
    assert body == starter + "    return x + 1\n"
    stdio = TestSpec("stdio", cases=({"input": "", "output": ""},))
    assert program_for(stdio, None, "print(1)") == "print(1)"


@pytest.fixture()
def problems():
    df = ingest_source(SourceConfig(path=str(SAMPLES / "code.jsonl"), kind="code")).problems
    return df.filter(pl.col("source_id").is_in(["sum-two", "reverse-words", "gcd-cpp", "count-vowels-fn"]))


def test_pass_rates_easy_drop_and_hard_label(problems, sandbox, tmp_path):
    scripts = [
        # always right: dropped as too easy
        Script("two integers a and b", answers=[f"Sure.\n{FENCE}python\na, b = map(int, input().split())\nprint(a + b)\n{FENCE}"]),
        # right once in four (one wrong program, one without code, one crash)
        Script("reverse order", answers=[
            f"{FENCE}python\nprint(' '.join(input().split()[::-1]))\n{FENCE}",
            f"{FENCE}python\nprint(input())\n{FENCE}",
            "I cannot solve this.",
            f"{FENCE}python\nraise ValueError\n{FENCE}",
        ]),
        # never right, but the reference passes: hard
        Script("greatest common divisor", answers=[f"{FENCE}cpp\n#include <cstdio>\nint main(){{puts(\"1\");}}\n{FENCE}"]),
        Script("count_vowels", answers=[f"{FENCE}python\ndef count_vowels(s):\n    return len(s)\n{FENCE}"]),
    ]
    code = CodeSettings(float_tolerance=1e-6)
    cache = f"sqlite:///{tmp_path / 'code.sqlite'}"
    store = f"sqlite:///{tmp_path / 'responses.sqlite'}"
    with FakeServer(scripts=scripts) as srv:
        settings = make_settings(srv.base_url, k=4)
        with CodeRunner(code, cache_url=cache, sandbox=sandbox) as runner:
            validated = validate_code_tests(problems, settings=code, runner=runner)
            out = grade_code_difficulty(validated, settings=settings, code=code, store_url=store, runner=runner)
        hits = len(srv.hits)
    rows = {r["source_id"]: r for r in out.iter_rows(named=True)}
    easy = rows["sum-two"]
    assert easy["drop_reason"] == "too_easy" and easy["difficulty"][0]["correct"] == 4
    mixed = rows["reverse-words"]["difficulty"][0]
    assert (mixed["correct"], mixed["pass_rate"], mixed["unparseable"]) == (1, 0.25, 1)
    assert rows["reverse-words"]["drop_reason"] is None and rows["reverse-words"]["difficulty_label"] == "hard"
    gcd = rows["gcd-cpp"]
    assert gcd["difficulty"][0]["correct"] == 0 and gcd["difficulty_label"] == "hard"
    assert gcd["review_reason"] is None and gcd["drop_reason"] is None  # hard, not disputed
    assert rows["count-vowels-fn"]["difficulty"][0]["correct"] == 0
    assert hits > 0

    # rerun: every sample from the store, every program from the cache: no request, no execution
    with FakeServer(scripts=scripts) as srv2:
        settings2 = make_settings(srv2.base_url, k=4)
        with CodeRunner(code, cache_url=cache, sandbox=sandbox) as runner:
            again = grade_code_difficulty(validated, settings=settings2, code=code, store_url=store, runner=runner)
            assert runner.stats.judged == 0 and runner.stats.executions == 0 and runner.stats.cached > 0
        assert srv2.hits == []
    assert again["difficulty"].to_list() == out["difficulty"].to_list()


def test_unreachable_model_leaves_items_unscored(problems, sandbox, tmp_path):
    code = CodeSettings()
    settings = make_settings("http://127.0.0.1:9/v1", k=2, max_retries=0, request_timeout=0.5)
    with CodeRunner(code, sandbox=sandbox) as runner:
        out = grade_code_difficulty(problems, settings=settings, code=code,
                                    store_url=f"sqlite:///{tmp_path / 'r.sqlite'}", runner=runner)
    assert {r[0]["status"] for r in out["difficulty"].to_list()} == {"unscored"}
    assert out["drop_reason"].to_list() == [None] * problems.height
