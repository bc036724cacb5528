"""Convert Math-Verify's parametrised test cases into a data file (no code is copied or run).

Reads the test modules of a Math-Verify checkout with `ast` (literal values only) and writes
`math_verify_cases.jsonl`: one line per (gold, pred, expected) case with the test it came from and the
settings that test passes to Math-Verify (match types, precision, strict, set-relation flag).
A case is `clear` when its expected verdict is the mathematical truth under default settings; the
cases we judged otherwise by reading them are listed in UNCLEAR below with the reason.

    python benchmarks/quality/verifier/convert_math_verify.py /path/to/Math-Verify
Source: https://github.com/huggingface/Math-Verify (tests/), Apache-2.0.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (gold, pred) -> why the expected verdict is not a clear default-settings truth.
UNCLEAR: dict[tuple[str, str], str] = {
    ("$1 - \\frac{1}{\\mathrm{e}}$", "$1 + \\frac{1}{\\mathrm{e}}$"): "expected 1 is mathematically wrong",
    ("$9$", "Answer $ \n 9 \n $"): "expected 0 only because Math-Verify rejects a line break in inline math",
    ("$9$", "Answer \\( \n 9 \n \\)"): "expected 0 only because Math-Verify rejects a line break in inline math",
    ("$x = 1/3$", "$x = 5+5+1 = 1/3 \\approx 11$"): "the response contradicts itself",
    ("$1/3$", "$x=1/3\\approx1.3$"): "the response contradicts itself",
    ("$1 = \\zzz = x = 0$", "$0$"): "the reference is not well-formed",
    ("$\text{13}$", "$13$"): "the test string holds a tab (`\\t` in a non-raw literal), not \\text",
    (r"$x \in [-2,7]$", r"$-2 \\le x \\le 7$"): "expected 0 is Math-Verify's gold/pred asymmetry",
    ("$\\frac{1}{12}$", "$0.0833333333333333$"): "needs rounding the answer (Math-Verify precision setting)",
    ("$(\\begin{pmatrix}\\frac{1}{3}\\\\ \\frac{1}{5} \\end{pmatrix})$", "$\\begin{pmatrix}0.33\\\\0.2 \\end{pmatrix}$"): "needs rounding the answer to 2 places (precision=2)",
    ("$(\\frac{3}{5},\\frac{8}{3}]$", "$(0.6,2.6667]$"): "needs rounding the answer (precision=2)",
    ("1000.99", "1000,99"): "decimal comma: `1,2` is a list of two answers in competition data",
    ("1,22", "1.22"): "decimal comma: `1,2` is a list of two answers in competition data",
    ("0,111", "0.111"): "decimal comma: `1,2` is a list of two answers in competition data",
    ("2.74", "Soucis : 2,74 $ a.."): "decimal comma: `1,2` is a list of two answers in competition data",
}


def _kwargs(fn: ast.FunctionDef) -> dict:
    """Literal keyword arguments of the compare_strings(...) call inside a test function."""
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "compare_strings":
            out = {}
            for kw in node.keywords:
                try:
                    out[kw.arg] = ast.literal_eval(kw.value)
                except ValueError:
                    out[kw.arg] = ast.unparse(kw.value)
            return out
    return {}


def cases_from(path: Path):
    tree = ast.parse(path.read_text())
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for deco in fn.decorator_list:
            if not (isinstance(deco, ast.Call) and ast.unparse(deco.func).endswith("parametrize")):
                continue
            names = [n.strip() for n in ast.literal_eval(deco.args[0]).split(",")]
            if "gold" not in names or "pred" not in names:
                continue
            settings = _kwargs(fn)
            calls_compare = bool(settings) or "compare_strings" in ast.unparse(fn)
            for elt in deco.args[1].elts:
                try:
                    values = ast.literal_eval(elt)
                except ValueError:
                    continue
                row = dict(zip(names, values))
                expected = row.get("expected", row.get("result"))
                case = {
                    "source": f"{path.name}::{fn.name}",
                    "gold": row["gold"],
                    "pred": row["pred"],
                    "expected": int(expected),
                    "match_types": settings.get("match_types", ["latex", "expr"]) if calls_compare else "default",
                }
                for key in ("precision", "strict", "allow_set_relation_comp"):
                    if key in row:
                        case[key] = row[key]
                    elif key in settings and not isinstance(settings[key], str):
                        case[key] = settings[key]
                yield case


def main(repo: str) -> None:
    out = []
    for path in sorted((Path(repo) / "tests").glob("test_*.py")):
        out.extend(cases_from(path))
    with (HERE / "math_verify_cases.jsonl").open("w") as fh:
        for case in out:
            why = UNCLEAR.get((case["gold"], case["pred"]))
            if case.get("allow_set_relation_comp") or case.get("strict") is False:
                why = why or "non-default Math-Verify setting"
            case["clear"] = why is None
            if why:
                case["unclear_reason"] = why
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(len(out), "cases,", sum(c["clear"] for c in out), "clear")


if __name__ == "__main__":
    main(sys.argv[1])
