import json
from pathlib import Path

import pytest

from curation.code.harness import TestSpec, normalize_language
from curation.code.readers import CodeRowError, is_code_table, read_code_row
from curation.config import SourceConfig
from curation.ingest import ingest_source

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def test_humaneval_row():
    out = read_code_row({"task_id": "T/1", "prompt": "def f(x):\n    '''doc'''\n", "canonical_solution": "    return x\n",
                         "entry_point": "f", "test": "def check(c):\n    assert c(1) == 1\n    assert c(2) == 2\n"})
    spec = TestSpec.from_json(out["code_tests"])
    assert spec.style == "assert" and spec.entry_point == "f"
    assert out["code_test_count"] == 2 and out["source_id"] == "T/1"
    assert out["code_references"] == ["def f(x):\n    '''doc'''\n    return x\n"]
    assert out["code_starter"].startswith("def f(x)")


def test_apps_stdio_and_call_rows():
    stdio = read_code_row({"question": "Sum.", "input_output": json.dumps({"inputs": ["1 2\n"], "outputs": ["3\n"]}),
                           "solutions": json.dumps(["print(sum(map(int, input().split())))"]),
                           "time_limit": "2 seconds", "memory_limit": "256 megabytes"})
    assert TestSpec.from_json(stdio["code_tests"]).style == "stdio"
    assert stdio["code_time_limit"] == 2.0 and stdio["code_memory_limit"] == 256
    call = read_code_row({"question": "f", "input_output": {"fn_name": "f", "inputs": [[1, [2]]], "outputs": [[3]]}})
    spec = TestSpec.from_json(call["code_tests"])
    assert spec.style == "call" and spec.fn_name == "f" and spec.cases[0] == {"input": [1, [2]], "output": [3]}


def test_code_contests_row_prefers_python_references_and_counts_all_test_groups():
    out = read_code_row({
        "description": "Double x.",
        "public_tests": {"input": ["1\n"], "output": ["2\n"]},
        "private_tests": {"input": ["2\n"], "output": ["4\n"]},
        "generated_tests": {"input": ["3\n"], "output": ["6\n"]},
        "solutions": {"language": [2, 1, 3], "solution": ["cpp code", "py2 code", "print(2*int(input()))"]},
        "time_limit": {"seconds": 1, "nanos": 500000000}, "memory_limit_bytes": 256 << 20,
    })
    assert out["code_test_count"] == 3
    assert out["code_references"] == ["print(2*int(input()))"] and out["code_language"] == "python"
    assert out["code_time_limit"] == 1.5 and out["code_memory_limit"] == 256


def test_plain_rows_and_bad_rows():
    out = read_code_row({"problem": "p", "tests": [{"input": ["a", "b"], "output": "ab"}], "solution": "x", "language": "C++17"})
    assert out["code_language"] == "cpp" and out["code_references"] == ["x"]
    assert TestSpec.from_json(out["code_tests"]).cases[0]["input"] == "a\nb"
    with pytest.raises(CodeRowError, match="no tests"):
        read_code_row({"question": "only a statement"})
    with pytest.raises(CodeRowError, match="inputs but"):
        read_code_row({"question": "q", "input_output": {"inputs": ["1"], "outputs": []}})
    with pytest.raises(CodeRowError, match="not valid JSON"):
        read_code_row({"question": "q", "input_output": "{broken"})
    with pytest.raises(CodeRowError, match="no statement"):
        read_code_row({"tests": [{"input": "1", "output": "1"}]})


def test_language_names():
    assert normalize_language("Python3") == "python" and normalize_language(3) == "python"
    assert normalize_language("c++") == "cpp" and normalize_language(2) == "cpp"
    assert normalize_language(1) is None and normalize_language("java") is None


def test_code_shapes_are_recognised_without_kind():
    assert is_code_table(["prompt", "test", "entry_point", "canonical_solution"])
    assert is_code_table(["question", "input_output"])
    assert not is_code_table(["question", "answer", "input"])
    assert is_code_table(["id", "question", "tests", "solution"])
    assert not is_code_table(["question", "answer", "tests"])  # a math row with a "tests" field


def test_ingest_sample_files(tmp_path):
    plain = ingest_source(SourceConfig(path=str(SAMPLES / "code.jsonl"), kind="code"))
    assert plain.rows_read == plain.problems.height + plain.quarantine.height
    assert plain.quarantine.height == 1 and "no tests" in plain.quarantine["error"][0]
    assert set(plain.problems["kind"]) == {"code"}
    # a function-call test keeps its JSON types (polars alone would turn the list into text)
    vowels = plain.problems.filter(plain.problems["source_id"] == "count-vowels-fn").row(0, named=True)
    assert TestSpec.from_json(vowels["code_tests"]).cases[0] == {"input": ["hello"], "output": 2}
    for name in ("code_humaneval.jsonl", "code_apps.jsonl", "code_contests.jsonl"):
        result = ingest_source(SourceConfig(path=str(SAMPLES / name)))  # recognised by its columns
        assert result.quarantine.height == 0 and set(result.problems["kind"]) == {"code"}, name
    # malformed JSON lines are quarantined with their line number
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "tests": [{"input": "1", "output": "1"}]}\n{oops\n')
    result = ingest_source(SourceConfig(path=str(bad), kind="code"))
    assert result.problems.height == 1 and result.quarantine["line"].to_list() == [2]
