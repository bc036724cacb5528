"""The same pairs get the same verdicts on an idle and on a busy machine (issue 16, item 4).

Bounds are deterministic (sizes, an operation count) and time is measured as CPU time (the judging
thread's, and the sympy worker's own), so CPU contention cannot turn a verdict into a different one.
A budget overrun is `unparseable` with a "budget exceeded" reason, never `equivalent`/`different`.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from curation.verifier import Verifier, judge
from curation.verifier.bounded import Budget, Timeout

PAIRS = [
    ("x^2+2x+1", "(x+1)^2"),
    ("\\frac{1}{3}", "0.\\overline{3}"),
    ("2^{100}", "1267650600228229401496703205376"),
    ("\\sqrt{2}+\\sqrt{3}", "\\sqrt{5+2\\sqrt{6}}"),
    ("(1,2]", "1 < x \\le 2"),
    ("|y|", "y"),
    ("12:00", "1:00"),
    ("f(0)", "g(0)"),
    ("\\sin^2 x + \\cos^2 x", "1"),
    ("\\binom{60}{30}", "118264581564861424"),
    ("(x+y)^{12}", "\\sum_{k=0}^{12} \\binom{12}{k} x^k y^{12-k}"),
    ("55", "\\sum_{k=1}^{10} k"),
    ("\\frac{1}{2}", "\\int_0^1 x\\,dx"),
    ("1", "\\sum_{k=1}^{10^{12}} k^{k}"),
    ("(x_1+x_2+x_3+x_4+x_5+x_6)^{9}", "(x_6+x_5+x_4+x_3+x_2+x_1)^{9}"),
]


def _verdicts():
    """(outcome, reason); which safety net stopped an overrun (the worker's CPU timer or, when sympy
    sits in one long C call, the wall-clock net) may vary, so only its class is kept."""
    out = []
    for j in Verifier(timeout=1.0).judge_many(PAIRS):
        out.append((j.outcome, "budget exceeded" if j.reason.startswith("budget exceeded") else j.reason))
    return out


@pytest.mark.timeout(300)
def test_same_verdicts_under_cpu_contention():
    quiet = _verdicts()
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        busy = _verdicts()
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    assert busy == quiet
    # the probe pairs really exercise the fallback and its budget
    reasons = [r for _, r in quiet]
    assert any(r.startswith("sympy fallback") for r in reasons)
    assert ("unparseable", "budget exceeded") in quiet


def test_operation_budget_is_deterministic():
    def run():
        b = Budget(None, max_operations=1000)
        n = 0
        try:
            while True:
                b.tick()
                n += 1
        except Timeout as exc:
            return n, str(exc)

    assert run() == run() == (1000, "budget exceeded: more than 1000 operations")


def test_overrun_is_unparseable_never_a_verdict(monkeypatch):
    import curation.verifier.bounded as bounded

    monkeypatch.setattr(bounded, "MAX_OPERATIONS", 5)
    monkeypatch.setattr(Budget.__init__, "__defaults__", (5,))
    j = judge("(x+1)^{5}", "x^5+5x^4+10x^3+10x^2+5x+1")
    assert j.outcome == "unparseable" and j.reason.startswith("budget exceeded")
