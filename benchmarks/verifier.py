"""Benchmark: curate's answer verifier vs Math-Verify, on peers' test suites, real pairs and generated pairs.

Part 1 (quality, one run, beside Math-Verify):
* Math-Verify's own test cases (`benchmarks/quality/verifier/math_verify_cases.jsonl`, clear cases only),
* NeMo-Skills' `math_equal` tests and Qwen2.5-Math grader examples (`peer_math_equal_cases.jsonl`),
* must-not-match tables (`must_not_match.jsonl`: pairs that must never be judged equivalent),
* real must-match pairs: the reference answer vs the worked solution (MATH-500, Minerva, AIME 2024) from
  `../shared/corpora` (relative to the repository); skipped with a note when that folder is absent.
Both sides of a suite case are read the way `curate verify --mode auto` reads an answer (a whole
response is run through extraction; a short answer is judged as given).

Optional: `--judge-model NAME --judge-base-url URL` measures a model judge's agreement (precision,
recall, false positives) with the same labelled suites (the model is asked about every case).

Part 2 (speed):

Generates 1,200 mixed (reference, answer) pairs with known ground truth (60% equivalent):
integers, fractions/decimals, powers, scientific notation, radicals, polynomial identities, intervals,
sets, tuples, equations, choice letters, and boxed
answers inside ~2,000-character model responses (with self-corrections). Measures pairs per
CPU-second (`time.process_time`) for `curation.verifier.Verifier` and, in the same run, for
`math_verify` (`parse` + `verify`, main thread: it uses signal-based timeouts), and prints the
throughput ratio and both accuracies against ground truth.

    python benchmarks/verifier.py [--pairs 1200] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from math import gcd
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FILLER = (
    "We consider the problem carefully. Let us denote the unknown quantity and set up the relevant "
    "equations, then simplify step by step, checking each intermediate result for consistency. "
)


def _frac(p: int, q: int) -> str:
    return f"\\frac{{{p}}}{{{q}}}"


def gen_pair(rng: random.Random, equivalent: bool) -> tuple[str, str, str, bool]:
    """(category, reference, answer, is_response)."""
    kind = rng.choice(
        ["integer", "fraction", "power", "radical", "polynomial", "interval", "set", "response", "response",
         "scientific", "equation", "choice", "tuple"]
    )
    if kind == "scientific":
        m, e = rng.randint(11, 99), rng.randint(2, 9)
        ref = f"{m / 10}\\times 10^{{{e}}}"
        val = m * 10 ** (e - 1)
        ans = str(val) if equivalent else str(val * 10)
        return kind, ref, ans, False
    if kind == "equation":
        v, n = rng.choice("xyk"), rng.randint(-50, 50)
        ref = f"{v} = {n}"
        ans = rng.choice([str(n), f"{v}={n}"]) if equivalent else rng.choice([str(-n if n else 1), f"{v}={n + 1}"])
        return kind, ref, ans, False
    if kind == "choice":
        letter = rng.choice("ABCDE")
        other = rng.choice([c for c in "ABCDE" if c != letter])
        ans = rng.choice([f"({letter})", f"\\text{{({letter})}}", letter]) if equivalent else f"({other})"
        return kind, letter, ans, False
    if kind == "tuple":
        a, b = rng.sample(range(-9, 10), 2)
        ref = f"({a}, {b})"
        ans = f"\\left({a},{b}\\right)" if equivalent else f"({b}, {a})"
        return kind, ref, ans, False
    if kind == "integer":
        n = rng.randint(-10**7, 10**7)
        if equivalent:
            ans = rng.choice([str(n), f"{n:,}", f"{n}.0", _frac(2 * n, 2), f"${n}$"])
        else:
            ans = rng.choice([str(n + rng.choice([1, -1, 10])), str(n * 10), f"{n / 100}"])
        return kind, str(n), ans, False
    if kind == "fraction":
        q = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 16, 20, 25])
        p = rng.randint(1, 5 * q)
        g = gcd(p, q)
        p, q = p // g, q // g
        if q == 1:
            q = 7
        ref = _frac(p, q)
        if equivalent:
            k = rng.randint(2, 9)
            opts = [_frac(k * p, k * q), f"{p}/{q}", f"\\dfrac{{{p}}}{{{q}}}"]
            if 10**6 % q == 0:
                opts.append(str(p / q))
            ans = rng.choice(opts)
        else:
            ans = rng.choice([_frac(p + 1, q), _frac(q, p) if p != q else _frac(p, q + 1), f"{p}/{q + 1}"])
        return kind, ref, ans, False
    if kind == "power":
        b, e = rng.choice([2, 3, 5, 7]), rng.randint(5, 40)
        ref = f"{b}^{{{e}}}"
        ans = str(b**e) if equivalent else str(b ** (e + 1) if rng.random() < 0.5 else b**e + 1)
        return kind, ref, ans, False
    if kind == "radical":
        a, s = rng.randint(2, 9), rng.choice([2, 3, 5, 6, 7])
        ref = f"{a}\\sqrt{{{s}}}"
        ans = f"\\sqrt{{{a * a * s}}}" if equivalent else f"\\sqrt{{{a * a * s + 1}}}"
        return kind, ref, ans, False
    if kind == "polynomial":
        a = rng.randint(1, 9)
        v = rng.choice("xyt")
        ref = f"({v}+{a})^2"
        ans = f"{v}^2+{2 * a}{v}+{a * a}" if equivalent else f"{v}^2+{a}{v}+{a * a}"
        return kind, ref, ans, False
    if kind == "interval":
        lo = rng.randint(-20, 10)
        hi = lo + rng.randint(1, 15)
        ref = f"({lo}, {hi}]"
        ans = f"{lo} < x \\le {hi}" if equivalent else rng.choice([f"[{lo}, {hi}]", f"({lo}, {hi})", f"{lo} \\le x < {hi}"])
        return kind, ref, ans, False
    if kind == "set":
        xs = rng.sample(range(-20, 20), 3)
        ref = "\\{" + ", ".join(map(str, xs)) + "\\}"
        ys = xs[:]
        rng.shuffle(ys)
        if not equivalent:
            ys[0] += 1
        return kind, ref, "\\{" + ", ".join(map(str, ys)) + "\\}", False
    # a boxed answer inside a ~2,000 character response
    p, q = rng.randint(1, 30), rng.choice([3, 7, 9, 11])
    ref = _frac(p, q)
    final = _frac(2 * p, 2 * q) if equivalent else _frac(p + 1, q)
    body = FILLER * 10
    wrong = _frac(p + 2, q)
    if rng.random() < 0.3:
        body += f" So we get \\boxed{{{wrong}}}. Wait, that is not right; let me recompute. " + FILLER * 2
    body += f" Therefore the answer is $\\boxed{{{final}}}$."
    return kind, ref, body, True


def make_pairs(n: int, seed: int):
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        eq = rng.random() < 0.6
        kind, ref, ans, resp = gen_pair(rng, eq)
        pairs.append((kind, ref, ans, resp, eq))
    return pairs


def run_curate(pairs):
    from curation.verifier import Verifier

    v = Verifier(timeout=1.0)
    t0 = time.process_time()
    got = [(v.judge_response(r, a) if resp else v.judge(r, a)).outcome == "equivalent" for _, r, a, resp, _ in pairs]
    return got, time.process_time() - t0


def run_math_verify(pairs):
    from math_verify import parse, verify

    t0 = time.process_time()
    got = []
    for _, r, a, resp, _ in pairs:
        gold = parse(f"${r}$")
        pred = parse(a if resp else f"${a}$")
        try:
            got.append(bool(verify(gold, pred)))
        except Exception:  # noqa: BLE001 - count as "not equivalent"
            got.append(False)
    return got, time.process_time() - t0


QUALITY = Path(__file__).resolve().parent / "quality" / "verifier"
_REPO = Path(__file__).resolve().parents[1]
#: ../shared/corpora beside the repository (a git worktree one level deeper also finds it)
CORPORA = next((p for p in (_REPO.parent / "shared" / "corpora", _REPO.parent.parent / "shared" / "corpora") if p.is_dir()),
               _REPO.parent / "shared" / "corpora")


def _jsonl(path: Path) -> list[dict]:
    import json

    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _curate_suite_verdict(verifier, gold: str, pred: str) -> tuple[bool, object]:
    from curation.cli.verify_cmd import judge_auto, read_reference

    j = judge_auto(verifier, read_reference(gold), pred, "auto")
    return j.outcome == "equivalent", j


def _mv_verdict(gold: str, pred: str, match_types=("latex", "expr")) -> bool:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    targets = []
    if "latex" in match_types:
        targets.append(LatexExtractionConfig(boxed_match_priority=0))
    if "expr" in match_types:
        targets.append(ExprExtractionConfig())
    try:
        return bool(verify(parse(gold, targets), parse(pred, targets)))
    except Exception:  # noqa: BLE001 - a crash counts as "not equivalent"
        return False


def real_pairs() -> list[tuple[str, str, str]]:
    """(set, reference, solution) must-match pairs from ../shared/corpora; [] when absent."""
    from curation.text import last_boxed

    out: list[tuple[str, str, str]] = []
    math500 = CORPORA / "real" / "math500.jsonl"
    if math500.exists():
        out += [("math500", r["answer"], r["solution"]) for r in _jsonl(math500)]
    aime = CORPORA / "real" / "aime24.jsonl"
    if aime.exists():
        out += [("aime24", str(r["answer"]), r["solution"]) for r in _jsonl(aime) if "boxed" in r["solution"]]
    minerva = CORPORA / "minerva_math.jsonl"
    if minerva.exists():
        for r in _jsonl(minerva):
            ref = last_boxed(r["solution"])
            if ref:
                out.append(("minerva", ref, r["solution"]))
    return out


#: common ways a model ends a response (Minerva/Qwen, boxed, "Answer:", reasoning models, Chinese)
ENDINGS = (
    "We compute step by step and simplify.\n\nFinal Answer: The final answer is ${r}$. I hope it is correct.",
    "Putting everything together, the answer is $\\boxed{{{r}}}$.",
    "Let me double-check: $\\boxed{{0}}$ was wrong. Recomputing gives\n\n**Answer:** ${r}$",
    "<think>try 0, then recompute</think>\n\nThe final answer is $\\boxed{{{r}}}$",
    "经过计算，所以答案是 ${r}$。",
)


def round_trip_references() -> list[tuple[str, str]]:
    """(set, reference) from ../shared/corpora: every real reference answer, for the round trip."""
    import json

    out: list[tuple[str, str]] = []
    train = CORPORA / "real" / "math_train.json"
    if train.exists():
        out += [("math_train", str(r["answer"])) for r in json.loads(train.read_text(encoding="utf-8")) if r.get("answer")]
    for name, path, field in (("gaokao2023en", CORPORA / "gaokao2023en.jsonl", "answer"),
                              ("amc23", CORPORA / "real" / "amc23.jsonl", "answer")):
        if path.exists():
            out += [(name, str(r[field]).strip("$ ")) for r in _jsonl(path)]
    olymp = CORPORA / "olympiadbench.jsonl"
    if olymp.exists():
        from curation.text import parse_literal

        for r in _jsonl(olymp):
            got = parse_literal(r["final_answer"]) if isinstance(r["final_answer"], str) else r["final_answer"]
            if isinstance(got, list) and len(got) == 1:
                out.append(("olympiadbench", str(got[0]).strip("$ ")))
    return [(n, r) for n, r in out if r.strip() and "\n" not in r]


def round_trip(verbose: bool) -> None:
    """Every real reference, written into common response endings, must be read back as equivalent
    (a check on shapes no suite above was tuned on: extraction and parsing of real answers)."""
    from curation.verifier import Verifier

    refs = round_trip_references()
    if not refs:
        print(f"round trip of real references: skipped ({CORPORA} not found)")
        return
    v = Verifier(timeout=1.0)
    by_set: dict[str, list[str]] = {}
    for name, ref in refs:
        by_set.setdefault(name, []).append(ref)
    for name, items in by_set.items():
        misses = []
        total = 0
        for ref in items:
            for ending in ENDINGS:
                total += 1
                j = v.judge_response(ref, ending.format(r=ref))
                if j.outcome != "equivalent":
                    misses.append((ref, ending[:30], j))
        print(f"round trip {name:14s} references={len(items):5d} responses={total:6d}  read back equivalent "
              f"{1 - len(misses) / total:7.2%} ({len(misses)} misses, {sum(j.outcome == 'different' for *_, j in misses)} different)")
        if verbose:
            for ref, ending, j in misses[:40]:
                print(f"   miss {j.outcome:11s} ref={ref[:50]!r} ending={ending!r} extracted={str(j.extracted)[:50]!r} rule={j.rule} reason={j.reason[:50]}")


def judge_agreement(model: str, base_url: str, api_key_env: str | None, reasoning: bool) -> None:
    """Agreement of a model judge with the labelled suites: the model is asked about *every* case
    (not only those the rules leave undecided), so its precision and recall are measured directly."""
    from curation.verifier import Judgment
    from curation.verifier.judge_model import JudgeConfig, ModelJudge

    cases = [c for c in _jsonl(QUALITY / "math_verify_cases.jsonl") if c["clear"]]
    cases += _jsonl(QUALITY / "peer_math_equal_cases.jsonl") + _jsonl(QUALITY / "must_not_match.jsonl")
    config = JudgeConfig(base_url=base_url, model=model, api_key_env=api_key_env, reasoning=reasoning)
    mj = ModelJudge(config)
    undecided = Judgment("unparseable", "asked for the agreement benchmark")
    got = mj.review([(c.get("question", ""), c["gold"], c["pred"], undecided) for c in cases])
    tp = sum(1 for c, j in zip(cases, got) if c["expected"] and j.outcome == "equivalent")
    fp = sum(1 for c, j in zip(cases, got) if not c["expected"] and j.outcome == "equivalent")
    fn = sum(1 for c, j in zip(cases, got) if c["expected"] and j.outcome != "equivalent")
    none = sum(1 for j in got if j.judged_by != "model")
    agree = sum(1 for c, j in zip(cases, got) if (j.outcome == "equivalent") == bool(c["expected"]))
    print(f"== model judge {model} ({'reasoning' if reasoning else 'YES/NO'}) on {len(cases)} labelled cases: "
          f"agreement {agree / len(cases):.2%}, precision {tp / max(tp + fp, 1):.2%}, recall {tp / max(tp + fn, 1):.2%}, "
          f"{fp} false positives, {none} without a verdict, {mj.requests} requests")


def quality(verbose: bool) -> None:
    from curation.verifier import Verifier

    v = Verifier(timeout=1.0)
    print("== quality (accuracy on cases with a known verdict)")
    suites: dict[str, list[dict]] = {}
    for c in _jsonl(QUALITY / "math_verify_cases.jsonl"):
        if c["clear"]:
            suites.setdefault("math_verify_tests", []).append(c)
    for c in _jsonl(QUALITY / "peer_math_equal_cases.jsonl"):
        suites.setdefault(c["suite"], []).append(c)
    for c in _jsonl(QUALITY / "must_not_match.jsonl"):
        suites.setdefault("must_not_match:" + c["class"], []).append(c)
    for name, cases in suites.items():
        ours = theirs = 0
        misses = []
        for c in cases:
            got, j = _curate_suite_verdict(v, c["gold"], c["pred"])
            if got == bool(c["expected"]):
                ours += 1
            else:
                misses.append((c, j))
            theirs += _mv_verdict(c["gold"], c["pred"], c.get("match_types", ("latex", "expr"))) == bool(c["expected"])
        n = len(cases)
        fp = sum(1 for c, j in misses if not c["expected"])
        print(f"{name:32s} n={n:4d}  curate {ours / n:7.2%} ({ours}/{n}, {fp} false positives)  math-verify {theirs / n:7.2%}")
        if verbose:
            for c, j in misses:
                print(f"   miss exp={c['expected']} {j.outcome:11s} gold={c['gold'][:60]!r} pred=...{c['pred'][-70:]!r} "
                      f"extracted={str(j.extracted)[:50]!r} rule={j.rule} reason={j.reason[:60]}")
    pairs = real_pairs()
    if not pairs:
        print(f"real must-match pairs: skipped ({CORPORA} not found)")
        return
    by_set: dict[str, list] = {}
    for name, ref, sol in pairs:
        by_set.setdefault(name, []).append((ref, sol))
    t_ours = t_theirs = 0.0
    n_all = 0
    for name, items in by_set.items():
        t0 = time.process_time()
        got = v.judge_many(items, responses=True)
        t_ours += time.process_time() - t0
        ok = sum(j.outcome == "equivalent" for j in got)
        unp = sum(j.outcome == "unparseable" for j in got)
        t0 = time.process_time()
        theirs = sum(_mv_verdict(f"${ref}$", sol) for ref, sol in items)
        t_theirs += time.process_time() - t0
        n_all += len(items)
        print(f"real must-match {name:16s} n={len(items):4d}  curate {ok / len(items):7.2%} ({unp} unparseable)  "
              f"math-verify {theirs / len(items):7.2%}")
        if verbose:
            for (ref, sol), j in zip(items, got):
                if j.outcome != "equivalent":
                    print(f"   miss {j.outcome:11s} ref={ref[:60]!r} extracted={str(j.extracted)[:60]!r} rule={j.rule} reason={j.reason[:60]}")
    print(f"real pairs per CPU-second: curate {n_all / t_ours:.0f}, math-verify {n_all / t_theirs:.0f} "
          f"(ratio {t_theirs / t_ours:.1f}x; sympy-fallback worker time not counted)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=1200, help="number of generated pairs (>= 1000)")
    ap.add_argument("--seed", type=int, default=7, help="generator seed")
    ap.add_argument("--verbose", action="store_true", help="list every miss of the quality suites")
    ap.add_argument("--skip-quality", action="store_true", help="only the speed comparison")
    ap.add_argument("--judge-model", help="also measure this model judge's agreement with the labelled suites")
    ap.add_argument("--judge-base-url", help="OpenAI-compatible endpoint of the judge model")
    ap.add_argument("--judge-api-key-env", help="environment variable holding the judge's API key")
    ap.add_argument("--judge-reasoning", action="store_true", help="the judge explains before its verdict")
    args = ap.parse_args()
    if args.judge_model:
        if not args.judge_base_url:
            ap.error("--judge-model needs --judge-base-url")
        judge_agreement(args.judge_model, args.judge_base_url, args.judge_api_key_env, args.judge_reasoning)
    if not args.skip_quality:
        quality(args.verbose)
        round_trip(args.verbose)
    print("== speed (generated pairs)")
    pairs = make_pairs(args.pairs, args.seed)
    truth = [p[4] for p in pairs]
    kinds = Counter(p[0] for p in pairs)
    print(f"pairs: {len(pairs)} ({sum(truth) / len(truth):.0%} equivalent); kinds: {dict(kinds)}")
    # warm imports outside the timed region for both
    import math_verify  # noqa: F401

    import curation.verifier  # noqa: F401

    ours, t_ours = run_curate(pairs)
    theirs, t_theirs = run_math_verify(pairs)

    def acc(pred):
        return sum(p == t for p, t in zip(pred, truth)) / len(truth)

    rate_ours = len(pairs) / t_ours
    rate_theirs = len(pairs) / t_theirs
    print(f"curate      : {rate_ours:10.0f} pairs/CPU-s  ({t_ours:.2f} CPU-s)  accuracy {acc(ours):.4f}")
    print(f"math-verify : {rate_theirs:10.0f} pairs/CPU-s  ({t_theirs:.2f} CPU-s)  accuracy {acc(theirs):.4f}")
    print(f"throughput ratio curate / math-verify: {rate_ours / rate_theirs:.1f}x")
    for name, pred in (("curate", ours), ("math-verify", theirs)):
        wrong = Counter(p[0] for p, g, t in zip(pairs, pred, truth) if g != t)
        print(f"{name} errors by kind: {dict(wrong)}")


if __name__ == "__main__":
    main()
