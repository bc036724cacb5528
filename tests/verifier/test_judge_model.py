"""The optional model judge: real `openai` client against a loopback server (tests/difficulty/fake_server.py)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from curation.verifier import Judgment, judge, judge_response
from curation.verifier.judge_model import JudgeConfig, ModelJudge, parse_verdict
from tests.difficulty.fake_server import FakeServer, Script

UNDECIDED_Q = "Q-undecided: compute the thing"
TEXT_Q = "Q-text: who is fastest"
EASY_Q = "Q-easy: 1+1"


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [("YES", True), ("no.", False), (" **Yes**", True), ("It differs.\nVERDICT: NO", False),
     ("VERDICT: NO ... on reflection VERDICT: YES", True), ("maybe", None), ("", None), (None, None)],
)
def test_parse_verdict(reply, verdict):
    assert parse_verdict(reply) is verdict


def _items():
    undecided = judge_response("\\operatorname{foo}(3)", "So the value is \\boxed{\\operatorname{bar}(3)}")
    easy = judge("2", "2")
    text = judge("\\text{Evelyn}", "\\text{evelyn's bike}")
    return [
        (UNDECIDED_Q, "\\operatorname{foo}(3)", "So the value is \\boxed{\\operatorname{bar}(3)}", undecided),
        (EASY_Q, "2", "2", easy),
        (TEXT_Q, "\\text{Evelyn}", "\\text{evelyn's bike}", text),
    ]


def test_only_undecided_pairs_are_asked_and_replies_are_cached(tmp_path):
    items = _items()
    assert items[0][3].outcome == "unparseable" and items[1][3].outcome == "equivalent"
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    scripts = [Script(UNDECIDED_Q, answers=["YES"]), Script(TEXT_Q, answers=["YES"]), Script(EASY_Q, answers=["NO"])]
    with FakeServer(scripts) as srv:
        mj = ModelJudge(JudgeConfig(base_url=srv.base_url, model="judge-m"), store_url=store)
        got = mj.review(items)
        assert [h.question for h in srv.hits] and all(UNDECIDED_Q in h.question for h in srv.hits)
        assert got[0].outcome == "equivalent" and got[0].judged_by == "model"
        assert "model judge (judge-m): YES" in got[0].reason
        assert got[1] == items[1][3] and got[1].judged_by == "rules"
        assert got[2] == items[2][3]  # text answers are not asked unless configured
        asked = len(srv.hits)
        again = ModelJudge(JudgeConfig(base_url=srv.base_url, model="judge-m"), store_url=store).review(items)
        assert len(srv.hits) == asked  # cached in the response store
        assert again == got
        texts = ModelJudge(JudgeConfig(base_url=srv.base_url, model="judge-m", text_answers=True), store_url=store)
        got3 = texts.review(items)
        assert got3[2].outcome == "equivalent" and got3[2].judged_by == "model"


def test_reasoning_variant_and_no_verdict(tmp_path):
    items = _items()[:1]
    with FakeServer([Script(UNDECIDED_Q, answers=["foo and bar differ at 3.\nVERDICT: NO"])]) as srv:
        got = ModelJudge(JudgeConfig(base_url=srv.base_url, model="m", reasoning=True)).review(items)
        assert "VERDICT: YES" in srv.hits[0].question  # the reasoning prompt asks for a verdict line
        assert got[0].outcome == "different" and got[0].judged_by == "model"
    with FakeServer([Script(UNDECIDED_Q, answers=["I cannot tell."])]) as srv:
        got = ModelJudge(JudgeConfig(base_url=srv.base_url, model="m")).review(items)
        assert got[0].outcome == "unparseable" and got[0].judged_by == "rules"
        assert got[0].reason.endswith("model judge gave no verdict")


def test_endpoint_failure_keeps_the_rules_judgment():
    items = _items()[:1]
    with FakeServer([Script(UNDECIDED_Q, faults=["500"] * 10)]) as srv:
        got = ModelJudge(JudgeConfig(base_url=srv.base_url, model="m", max_retries=1)).review(items)
    assert got[0].outcome == "unparseable" and got[0].judged_by == "rules"


def test_cli_judge_model(tmp_path):
    from curation.cli.main import app

    runner = CliRunner()
    with FakeServer([Script("foo", answers=["YES"])]) as srv:
        args = ["verify", "\\operatorname{foo}(3)", "\\operatorname{bar}(3)", "--json", "--question", "foo",
                "--judge-model", "m", "--judge-base-url", srv.base_url]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        got = json.loads(res.output)
        assert got["outcome"] == "equivalent" and got["judged_by"] == "model"
        # without the judge the same pair is unparseable (exit 3)
        res = runner.invoke(app, args[:4])
        assert res.exit_code == 3 and json.loads(res.output)["judged_by"] == "rules"


def test_judgment_default_is_rules():
    assert Judgment("equivalent", "x").judged_by == "rules"


def test_difficulty_judge_rules_plus_model(tmp_path):
    """`[difficulty] judge = "rules+model"`: samples the rules cannot read are judged by the judge model;
    the default ("rules") never calls it."""
    from curation.config import ModelSettings
    from curation.difficulty import grade_difficulty
    from tests.difficulty.helpers import frame, make_settings

    rows = [{"id": "r", "question": "rambling", "answer": "5"}, {"id": "e", "question": "easy one", "answer": "4"}]
    sampling = [Script("rambling", answers=["I am not sure.", "maybe", "\\boxed{5}", "no idea"]),
                Script("easy one", answers=["\\boxed{4}"])]
    store = f"sqlite:///{tmp_path / 'responses.sqlite'}"
    with FakeServer(sampling) as srv, FakeServer([Script("rambling", answers=["NO"])]) as judge_srv:
        judge_settings = ModelSettings(base_url=judge_srv.base_url, model="judge-m", max_retries=1)
        out, _ = grade_difficulty(frame(rows), settings=make_settings(srv.base_url), store_url=store)
        assert judge_srv.hits == []
        assert out.filter(out["id"] == "r")["difficulty"][0][0]["unparseable"] == 3
        settings = make_settings(srv.base_url, judge="rules+model", judge_model=judge_settings)
        out, _ = grade_difficulty(frame(rows), settings=settings, store_url=store)
        result = out.filter(out["id"] == "r")["difficulty"][0][0]
        assert result["unparseable"] == 0 and result["correct"] == 1
        # the judge was asked about the 3 unreadable samples of "rambling" only, never about "easy one"
        assert len({h.question for h in judge_srv.hits}) == 3
        assert all("easy one" not in h.question for h in judge_srv.hits)


def test_rules_plus_model_without_an_endpoint_is_a_config_error():
    from curation.errors import ConfigError
    from curation.verifier.judge_model import judge_config_from_settings
    from tests.difficulty.helpers import make_settings

    with pytest.raises(ConfigError, match="judge_model"):
        judge_config_from_settings(make_settings(None, judge="rules+model"))
