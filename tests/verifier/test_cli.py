"""`curate verify` through typer's CliRunner on the real app."""

from __future__ import annotations

import json

import pytest

from typer.testing import CliRunner

from curation.cli.main import app

runner = CliRunner()


def test_help_text_present():
    res = runner.invoke(app, ["verify", "--help"])
    assert res.exit_code == 0
    for option in ("--pairs", "--out", "--mode", "--timeout", "--processes", "--json"):
        assert option in res.output
    assert "equivalent" in res.output
    assert "verify" in runner.invoke(app, ["--help"]).output


def test_single_pair_prints_outcome_reason_extracted_rule():
    res = runner.invoke(app, ["verify", "\\frac12", "0.5"])
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0] == "equivalent"
    assert any(x.startswith("reason:") for x in lines)
    assert "extracted: 0.5" in lines


def test_single_response_is_extracted():
    res = runner.invoke(app, ["verify", "15", "\\boxed{12} ... wait ... \\boxed{15}", "--json"])
    assert res.exit_code == 0
    got = json.loads(res.output)
    assert got["outcome"] == "equivalent" and got["extracted"] == "15" and got["rule"] == "boxed"


def test_different_and_unparseable():
    res = runner.invoke(app, ["verify", "35", "0.35"])
    assert res.output.startswith("different") and res.exit_code == 1
    res = runner.invoke(app, ["verify", "\\frac{1}{", "1"])
    assert res.output.startswith("unparseable") and "reference unparseable" in res.output
    assert res.exit_code == 3


@pytest.mark.parametrize(
    ("reference", "answer", "code"),
    [("\\frac12", "0.5", 0), ("12:00", "1:00", 1), ("1", "\\frac{1}{0", 3), ("x", "\\sqrt{", 3)],
)
def test_exit_status_is_distinct_per_outcome(reference, answer, code):
    """0 equivalent, 1 different, 3 unparseable; 2 stays for usage errors (with --json too)."""
    assert runner.invoke(app, ["verify", reference, answer]).exit_code == code
    assert runner.invoke(app, ["verify", reference, answer, "--json"]).exit_code == code


def test_usage_error_exits_2(monkeypatch, capsys):
    from curation.cli.main import main

    monkeypatch.setattr("sys.argv", ["curate", "verify", "1"])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert "give REFERENCE and ANSWER" in capsys.readouterr().err


def test_pairs_file_with_bad_lines(tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [
        json.dumps({"id": 1, "reference": "2^{19}", "answer": "524288"}),
        "{not json",
        json.dumps({"id": 3, "reference": "x", "answer": 7}),
        "",
        json.dumps({"id": 4, "reference": "15", "answer": "Let me think.\nSo \\boxed{12}... wait, \\boxed{15}"}),
        json.dumps({"id": 5, "reference": "(1,2]", "answer": "(1,2)"}),
        json.dumps(["a", "list"]),
    ]
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    dst = tmp_path / "out" / "out.jsonl"
    res = runner.invoke(app, ["verify", "--pairs", str(src), "--out", str(dst)])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert len(out) == 6
    assert out[0] == {"id": 1, "reference": "2^{19}", "answer": "524288", "outcome": "equivalent",
                      "extracted": "524288", "rule": "as_given", "reason": out[0]["reason"], "judged_by": "rules"}
    assert out[1]["outcome"] == "unparseable" and out[1]["reason"] == "bad input line" and out[1]["line"] == 2
    assert out[2]["id"] == 3 and out[2]["reason"] == "bad input line"
    assert (out[3]["outcome"], out[3]["extracted"], out[3]["rule"]) == ("equivalent", "15", "boxed")
    assert out[4]["outcome"] == "different"
    assert out[5]["reason"] == "bad input line"
    err = res.stderr if hasattr(res, "stderr") else res.output
    assert ":2:" in err and ":3:" in err and ":7:" in err


def test_errors_are_curate_errors(tmp_path):
    from curation.errors import CurateError

    for args in (["verify", "1"], ["verify", "--pairs", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o.jsonl")],
                 ["verify", "--pairs", str(tmp_path / "x.jsonl")], ["verify", "1", "1", "--mode", "bogus"]):
        res = runner.invoke(app, args)
        assert res.exit_code != 0
        assert isinstance(res.exception, CurateError), args


def test_a_reference_with_boxes_is_read_as_its_boxed_answer(tmp_path):
    res = runner.invoke(app, ["verify", "So the roots are \\boxed{1} and \\boxed{-2}.", "1, -2", "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["outcome"] == "equivalent"
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"reference": "Thus $\\boxed{\\frac12}$.", "answer": "0.5"}) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["verify", "--pairs", str(src), "--out", str(dst)]).exit_code == 0
    assert json.loads(dst.read_text(encoding="utf-8"))["outcome"] == "equivalent"
