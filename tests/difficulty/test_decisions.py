"""Scores and decisions: easy items dropped, labels, disputes with evidence, per-model results."""

from __future__ import annotations

import json

import polars as pl
from hypothesis import given, settings as hsettings, strategies as st

from curation.config import DifficultySettings
from curation.difficulty import grade_difficulty
from curation.difficulty.scoring import difficulty_label, score_item
from curation.verifier import Verifier, canonical_form

from .fake_server import FakeServer, Script
from .helpers import frame, make_settings

SCRIPTS = [
    Script("always right", answers=["Thus \\boxed{4}."]),
    Script("consistently wrong", answers=["So \\boxed{7}."]),
    Script("half right", answers=["\\boxed{10}", "\\boxed{11}"]),
    Script("one in four", answers=["\\boxed{1}", "\\boxed{2}", "\\boxed{3}", "\\boxed{9}"]),
    Script("rambling", answers=["I am not sure.", "maybe", "\\boxed{5}", "no idea"]),
    Script("bad reference", answers=["\\boxed{6}"]),
]

ROWS = [
    {"id": "easy", "question": "always right: 2+2", "answer": "4"},
    {"id": "disputed", "question": "consistently wrong: 3+3", "answer": "6"},
    {"id": "medium", "question": "half right", "answer": "10"},
    {"id": "hard", "question": "one in four", "answer": "9"},
    {"id": "rambling", "question": "rambling", "answer": "5"},
    {"id": "badref", "question": "bad reference", "answer": None},
    {"id": "dropped", "question": "always right: dropped already", "answer": "4", "drop_reason": "duplicate"},
    {"id": "inreview", "question": "consistently wrong: in review", "answer": "6", "review_reason": "mcq_ambiguous"},
]


def by_id(out: pl.DataFrame) -> dict[str, dict]:
    return {r["id"]: r for r in out.to_dicts()}


def test_decisions_end_to_end(store_url):
    with FakeServer(SCRIPTS) as srv:
        out, evidence = grade_difficulty(frame(ROWS), settings=make_settings(srv.base_url), store_url=store_url)
        asked = {h.question for h in srv.hits}
    rows = by_id(out)
    assert out.height == len(ROWS)  # stages never remove rows

    easy = rows["easy"]
    assert easy["drop_reason"] == "too_easy" and easy["difficulty_label"] == "easy"
    assert easy["difficulty"][0]["correct"] == 4 and easy["difficulty"][0]["pass_rate"] == 1.0

    d = rows["disputed"]
    assert d["review_reason"] == "disputed_reference" and d["drop_reason"] is None
    assert d["difficulty_label"] == "unsolved"
    res = d["difficulty"][0]
    assert res["majority_answer"] == "7" and res["majority_share"] == 1.0 and res["correct"] == 0
    ev = evidence["disputed"]
    assert ev["reason"] == "disputed_reference" and ev["reference"] == "6"
    assert ev["answers"] == [{"answer": "7", "count": 4}] and len(ev["samples"]) == 4
    json.dumps(evidence)  # serialisable as is

    assert rows["medium"]["difficulty_label"] == "medium" and rows["medium"]["drop_reason"] is None
    assert rows["medium"]["review_reason"] is None  # majority share 0.5 < 0.75: no dispute
    assert rows["hard"]["difficulty_label"] == "hard" and rows["hard"]["difficulty"][0]["correct"] == 1

    r = rows["rambling"]["difficulty"][0]
    assert r["unparseable"] == 3 and r["correct"] == 1

    b = rows["badref"]
    assert b["review_reason"] == "unparseable_reference" and b["drop_reason"] is None
    assert b["difficulty"][0]["pass_rate"] is None and b["difficulty_label"] is None
    assert evidence["badref"]["majority_answer"] == "6"

    # rows already dropped are not sampled at all; review_reason set by an earlier stage is kept
    assert rows["dropped"]["difficulty"] == []
    assert not any("dropped already" in q for q in asked)
    assert rows["inreview"]["review_reason"] == "mcq_ambiguous"


def test_results_are_per_model_and_replaced_on_rerun(store_url):
    rows = [{"id": "m", "question": "half right", "answer": "10"}]
    with FakeServer(SCRIPTS) as srv:
        out, _ = grade_difficulty(frame(rows), settings=make_settings(srv.base_url, model="model-a"), store_url=store_url)
        out, _ = grade_difficulty(out, settings=make_settings(srv.base_url, model="model-b", k=2), store_url=store_url)
        out, _ = grade_difficulty(out, settings=make_settings(srv.base_url, model="model-a"), store_url=store_url)
    results = out["difficulty"].to_list()[0]
    assert [r["model"] for r in results] == ["model-b", "model-a"]
    assert [r["k"] for r in results] == [2, 4]


def test_easy_threshold_and_sample_limit(store_url):
    rows = [{"id": f"e{i}", "question": f"always right {i}", "answer": "4"} for i in range(5)]
    with FakeServer(SCRIPTS) as srv:
        out, _ = grade_difficulty(frame(rows), settings=make_settings(srv.base_url, easy_threshold=5, sample_limit=3),
                                  store_url=store_url)
        assert len(srv.hits) == 3
    graded = [r for r in out.to_dicts() if r["difficulty"]]
    assert len(graded) == 3 and all(r["drop_reason"] is None and r["difficulty_label"] == "easy" for r in graded)


def test_duplicate_prompts_share_samples(store_url):
    rows = [{"id": "a", "question": "always right: same", "answer": "4"},
            {"id": "b", "question": "always right: same", "answer": "5"}]
    with FakeServer(SCRIPTS) as srv:
        out, evidence = grade_difficulty(frame(rows), settings=make_settings(srv.base_url), store_url=store_url)
        assert len(srv.hits) == 1
    rows = by_id(out)
    assert rows["a"]["drop_reason"] == "too_easy"
    assert rows["b"]["review_reason"] == "disputed_reference" and "b" in evidence


def test_labels_bands():
    kw = dict(medium_from=1 / 3, easy_from=0.75)
    assert difficulty_label(0, 0.0, **kw) == "unsolved"
    assert difficulty_label(1, 0.25, **kw) == "hard"
    assert difficulty_label(2, 0.5, **kw) == "medium"
    assert difficulty_label(3, 0.75, **kw) == "easy"


@hsettings(max_examples=60, deadline=None)
@given(
    k=st.integers(1, 8),
    picks=st.lists(st.sampled_from(["\\boxed{1}", "\\boxed{2}", "\\boxed{3}", "no answer"]), min_size=8, max_size=8),
    threshold=st.one_of(st.none(), st.integers(1, 9)),
)
def test_score_invariants(k, picks, threshold):
    settings = DifficultySettings(k=k, easy_threshold=threshold)
    texts = picks[:k]
    s = score_item("1", texts, model="m", k=k, settings=settings, verifier=Verifier(), canonical=canonical_form)
    r = s.result
    assert r["status"] == "scored" and r["k"] == k
    assert r["correct"] == sum(t == "\\boxed{1}" for t in texts)
    assert 0.0 <= r["pass_rate"] <= 1.0
    assert r["unparseable"] == sum(t == "no answer" for t in texts)
    assert s.too_easy == (r["correct"] >= (threshold if threshold is not None else k))
    if s.review_reason == "disputed_reference":
        assert r["majority_share"] >= settings.dispute_share and r["majority_answer"] != "1"
    # an unscored item is never easy, never labelled
    u = score_item("1", [*texts[:-1], None], model="m", k=k, settings=settings, verifier=Verifier(),
                   canonical=canonical_form, error="500: down")
    assert u.result["status"] == "unscored" and not u.too_easy and u.label is None and u.review_reason is None
