"""Read code problems from the common source shapes into problem records.

Shapes (recognised per row by their fields; names are case-sensitive as the sources spell them):
- HumanEval: `prompt`, `test`, `entry_point`, optional `canonical_solution`, `task_id`. The statement
  is the prompt (signature + docstring), also the starter code; the reference is prompt + solution;
  the tests are the `check(candidate)` assertions (`assert` style).
- APPS / TACO: `question`, `input_output` (JSON text or object: `inputs`, `outputs`, optional
  `fn_name`), `solutions` (JSON list), `starter_code`, TACO's `time_limit` ("2 seconds") and
  `memory_limit` ("256 megabytes"). With `fn_name`: function-call tests (`call`), else stdin/stdout.
- CodeContests: `description`, `public_tests` / `private_tests` / `generated_tests` (each
  `{input: [...], output: [...]}`), `solutions` (`{language: [...], solution: [...]}`, language 3 =
  Python 3, 2 = C++), `time_limit` (`{seconds, nanos}`), `memory_limit_bytes`, `name`.
- Plain: a statement (`question` / `problem` / `description` / `prompt` / `statement`) and `tests`: a
  list (or JSON text) of `{input, output}`; optional `solution(s)`, `language`, `fn_name`,
  `starter_code`, `time_limit` (seconds), `memory_limit` (MB).

A row that matches no shape, or whose tests cannot be read, raises `CodeRowError` (ingest
quarantines it with the message). Nothing here runs code.
"""

from __future__ import annotations

import json
import re

from curation.code.harness import TestSpec, normalize_language

STATEMENT_FIELDS = ("question", "problem", "description", "prompt", "statement")
ID_FIELDS = ("task_id", "problem_id", "id", "name")
# a `tests` column beside one of these is not a code source (a math set may carry "tests" metadata)
_ANSWER_FIELDS = {"answer", "final_answer", "correct", "correct_answer", "gold", "target", "label", "choices", "options"}
# fields too bulky (or already mapped) to copy into metadata
_BULKY = {"incorrect_solutions", "input_output", "public_tests", "private_tests", "generated_tests", "solutions",
          "tests", "test", "canonical_solution", "prompt", "question", "description", "starter_code",
          "entry_point", "fn_name", "language", "time_limit", "memory_limit", "memory_limit_bytes", "solution"}


class CodeRowError(ValueError):
    """A row is not a readable code problem."""


def is_code_table(columns) -> bool:
    """True when the columns are unmistakably one of the code shapes (used to recognise a code
    source whose config does not say `kind = "code"`): HumanEval, APPS/TACO, CodeContests, or a
    statement with a `tests` column and no answer column."""
    cols = set(columns)
    plain = "tests" in cols and not (_ANSWER_FIELDS & cols) and bool(set(STATEMENT_FIELDS) & cols)
    return ({"prompt", "test", "entry_point"} <= cols) or "input_output" in cols or plain or bool(
        {"public_tests", "private_tests"} & cols
    )


def read_code_row(row: dict) -> dict:
    """One source row → the code fields of a problem record (question, code_* columns, source_id,
    solution, metadata fields left over)."""
    if row.get("entry_point") is not None and row.get("test") is not None and row.get("prompt") is not None:
        out = _humaneval(row)
    elif row.get("input_output") is not None:
        out = _apps(row)
    elif any(row.get(k) is not None for k in ("public_tests", "private_tests", "generated_tests")):
        out = _code_contests(row)
    elif row.get("tests") is not None:
        out = _plain(row)
    else:
        raise CodeRowError("no tests: expected HumanEval (prompt/test/entry_point), APPS/TACO input_output, "
                           "CodeContests public/private tests, or a tests list of {input, output}")
    if not (out.get("question") or "").strip():
        raise CodeRowError("no statement")
    spec: TestSpec = out.pop("spec")
    out["code_tests"] = spec.to_json()
    out["code_test_count"] = spec.count
    out["source_id"] = _first(row, ID_FIELDS)
    if out["source_id"] is not None:
        out["source_id"] = str(out["source_id"])
    out["metadata_fields"] = {k: v for k, v in row.items() if k not in _BULKY and k not in ID_FIELDS and v is not None}
    return out


# -- shapes ---------------------------------------------------------------------------------------


def _humaneval(row: dict) -> dict:
    prompt = str(row["prompt"])
    solution = row.get("canonical_solution")
    spec = TestSpec("assert", test=str(row["test"]), entry_point=str(row["entry_point"]))
    return {
        "question": prompt,
        "code_language": "python",
        "code_starter": prompt,
        "code_references": [prompt + str(solution)] if solution else [],
        "spec": spec,
    }


def _apps(row: dict) -> dict:
    io = _json_obj(row["input_output"], "input_output")
    if not isinstance(io, dict):
        raise CodeRowError("input_output is not an object")
    inputs, outputs = io.get("inputs"), io.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise CodeRowError("input_output needs lists `inputs` and `outputs`")
    if len(inputs) != len(outputs):
        raise CodeRowError(f"input_output: {len(inputs)} inputs but {len(outputs)} outputs")
    fn_name = io.get("fn_name")
    if fn_name:
        spec = TestSpec("call", cases=tuple({"input": i, "output": o} for i, o in zip(inputs, outputs)), fn_name=str(fn_name))
    else:
        spec = TestSpec("stdio", cases=tuple({"input": _io_text(i), "output": _io_text(o)} for i, o in zip(inputs, outputs)))
    solutions = row.get("solutions")
    refs = _json_obj(solutions, "solutions") if isinstance(solutions, str) and solutions.strip() else solutions
    refs = [str(s) for s in refs] if isinstance(refs, list) else []
    return {
        "question": str(row.get("question") or ""),
        "code_language": "python",  # APPS and TACO solutions are Python 3
        "code_starter": row.get("starter_code") or None,
        "code_references": refs,
        "code_time_limit": _seconds(row.get("time_limit")),
        "code_memory_limit": _megabytes(row.get("memory_limit")),
        "subject": row.get("difficulty") if isinstance(row.get("difficulty"), str) else None,
        "spec": spec,
    }


def _code_contests(row: dict) -> dict:
    cases = []
    for key in ("public_tests", "private_tests", "generated_tests"):
        group = row.get(key)
        if group is None:
            continue
        group = _json_obj(group, key) if isinstance(group, str) else group
        if not isinstance(group, dict):
            raise CodeRowError(f"{key} is not an object of input/output lists")
        ins, outs = group.get("input") or [], group.get("output") or []
        if len(ins) != len(outs):
            raise CodeRowError(f"{key}: {len(ins)} inputs but {len(outs)} outputs")
        cases += [{"input": str(i), "output": str(o)} for i, o in zip(ins, outs)]
    refs, language = [], None
    solutions = row.get("solutions")
    if isinstance(solutions, dict):
        by_language: dict[str, list[str]] = {}
        for lang, code in zip(solutions.get("language") or [], solutions.get("solution") or []):
            name = normalize_language(lang)
            if name and code:
                by_language.setdefault(name, []).append(str(code))
        # Python references when there are any (the sandbox's first language), else C++
        for name in ("python", "cpp"):
            if by_language.get(name):
                refs, language = by_language[name], name
                break
    limit = row.get("time_limit")
    seconds = None
    if isinstance(limit, dict):
        seconds = float(limit.get("seconds") or 0) + float(limit.get("nanos") or 0) / 1e9 or None
    memory = row.get("memory_limit_bytes")
    return {
        "question": str(row.get("description") or ""),
        "code_language": language or "python",
        "code_references": refs,
        "code_time_limit": seconds,
        "code_memory_limit": int(memory) >> 20 if isinstance(memory, (int, float)) and memory > 0 else None,
        "spec": TestSpec("stdio", cases=tuple(cases)),
    }


def _plain(row: dict) -> dict:
    tests = row["tests"]
    tests = _json_obj(tests, "tests") if isinstance(tests, str) else tests
    if isinstance(tests, dict) and isinstance(tests.get("inputs"), list):
        tests = [{"input": i, "output": o} for i, o in zip(tests["inputs"], tests.get("outputs") or [])]
    if not isinstance(tests, list) or not all(isinstance(t, dict) and "input" in t and "output" in t for t in tests):
        raise CodeRowError("tests must be a list of {input, output}")
    fn_name = row.get("fn_name") or row.get("entry_point")
    if fn_name:
        spec = TestSpec("call", cases=tuple({"input": t["input"], "output": t["output"]} for t in tests), fn_name=str(fn_name))
    else:
        spec = TestSpec("stdio", cases=tuple({"input": _io_text(t["input"]), "output": _io_text(t["output"])} for t in tests))
    refs = row.get("solutions") if row.get("solutions") is not None else row.get("solution") or row.get("reference")
    if isinstance(refs, str):
        parsed = _maybe_json_list(refs)
        refs = parsed if parsed is not None else [refs]
    refs = [str(r) for r in refs] if isinstance(refs, list) else []
    language = row.get("language")
    return {
        "question": str(_first(row, STATEMENT_FIELDS) or ""),
        "code_language": normalize_language(language) or (str(language) if language else "python"),
        "code_starter": row.get("starter_code") or None,
        "code_references": refs,
        "code_time_limit": _seconds(row.get("time_limit")),
        "code_memory_limit": _megabytes(row.get("memory_limit")),
        "spec": spec,
    }


# -- helpers --------------------------------------------------------------------------------------


def _first(row: dict, names):
    for name in names:
        if row.get(name) is not None and row.get(name) != "":
            return row[name]
    return None


def _json_obj(value, name: str):
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as exc:
        raise CodeRowError(f"{name}: not valid JSON ({exc})") from None


def _maybe_json_list(text: str):
    if not text.lstrip().startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _io_text(value) -> str:
    if isinstance(value, list):  # APPS sometimes stores a case as a list of lines
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


def _seconds(value) -> float | None:
    """`2`, `2.5`, `"2 seconds"`, `"1000 ms"` → seconds."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else None
    m = _NUMBER.search(str(value))
    if not m:
        return None
    number = float(m.group(1))
    text = str(value).lower()
    if re.search(r"\bms\b|millisecond", text):
        number /= 1000
    return number or None


def _megabytes(value) -> int | None:
    """`256`, `"256 megabytes"`, `"1 GB"`, `"65536 KB"` → megabytes."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value > 0 else None
    m = _NUMBER.search(str(value))
    if not m:
        return None
    number = float(m.group(1))
    text = str(value).lower()
    if re.search(r"\bg(?:b|igabytes?)\b", text):
        number *= 1024
    elif re.search(r"\bk(?:b|ilobytes?)\b", text):
        number /= 1024
    return int(number) or None
