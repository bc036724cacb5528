"""Hostile inputs: everything returns a judgment, bounded, and nothing is executed."""

from __future__ import annotations

import threading

import pytest

from curation.verifier import Verifier, canonical_form, classify_answer_type, is_verifiable, judge

BOUNDED = ("too large", "budget exceeded")


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("reference", "answer"),
    [
        ("1", "9^{9^{9^{9}}}"),
        ("9^{9^{9^{9}}}", "1"),
        ("1", "10^{10^{10}}"),
        ("10^{10^{10}}", "10^{10^{10}}+1"),
        ("1", "(10^{10^{10}})!"),
        ("1", "100000!"),
        ("1", "\\binom{10^{9}}{10^{8}}"),
        ("1", "2^{2^{2^{2^{2^{2}}}}}"), ("1", "3^{3^{3^{3}}}"),
        ("1", "e^{10^{10}}"),
    ],
)
def test_huge_values_are_refused(reference, answer):
    j = judge(reference, answer)
    assert j.outcome == "unparseable"
    assert any(b in j.reason for b in BOUNDED), j.reason


@pytest.mark.timeout(10)
def test_one_megabyte_answer():
    j = judge("1", "1" * 1_000_000)
    assert j.outcome == "unparseable" and "too large" in j.reason
    j = judge("1" * 1_000_000, "1")
    assert j.outcome == "unparseable" and j.reason.startswith("reference unparseable: too large")


@pytest.mark.timeout(10)
@pytest.mark.parametrize("text", ["(" * 10_000 + "1" + ")" * 10_000, "{" * 10_000 + "}" * 10_000, "\\sqrt{" * 5000 + "2" + "}" * 5000, "-" * 10_000 + "1", "2^" * 3000 + "2"])
def test_deep_nesting(text):
    j = judge("1", text)
    assert j.outcome == "unparseable"
    assert "too large" in j.reason or "unparseable" in j.reason


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch /tmp/curate_pwned')",
        "eval('1+1')",
        "lambda: 1",
        "().__class__.__bases__[0].__subclasses__()",
        "\\input{/etc/passwd}",
        "exec(\"import os\")",
        "import os; os.system('echo hi')",
    ],
)
def test_code_is_inert(text, tmp_path):
    for j in (judge("1", text), judge(text, "1")):
        assert j.outcome in ("unparseable", "different")
    assert canonical_form(text) is None or isinstance(canonical_form(text), str)
    classify_answer_type(text)
    is_verifiable(text)
    import os

    assert not os.path.exists("/tmp/curate_pwned")


@pytest.mark.timeout(10)
def test_many_items_and_plus_minus():
    big_set = "\\{" + ",".join(str(i) for i in range(1000)) + "\\}"
    j = judge(big_set, big_set.replace("1,", "2,"))
    assert j.outcome == "unparseable" and "too large" in j.reason
    pm = "1" + "\\pm 1" * 10
    assert judge("1", pm).outcome == "unparseable"


@pytest.mark.timeout(20)
def test_bounded_from_worker_threads():
    out = []

    def work():
        out.append(judge("1", "9^{9^{9^{9}}}"))
        out.append(judge("1", "(" * 10_000 + ")" * 10_000))
        out.append(Verifier().judge("2", "\\sqrt{4}"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 12
    assert [j.outcome for j in out].count("equivalent") == 4


def test_zero_timeout_gives_timeout_or_answer():
    j = judge("x^2+2x+1", "(x+1)^2", timeout=0.0)
    assert j.outcome in ("equivalent", "unparseable")
    if j.outcome == "unparseable":
        assert j.reason.startswith("budget exceeded")
