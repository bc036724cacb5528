"""Model mode against a scripted OpenAI-compatible server on loopback (FastAPI + uvicorn in a
thread, the real `openai` client via the difficulty stage's SamplingClient)."""

from __future__ import annotations

import socket
import threading
import time

import polars as pl
import pytest
import uvicorn
from fastapi import FastAPI, Request

from curation.config import McqSettings, ModelSettings
from curation.mcq import convert_multiple_choice
from schemas import conform

# stem substring -> the model's rewrite reply; question substring -> the judge's verdict
REWRITES = {
    "prime factor of 91": "QUESTION: What is the largest prime factor of 91?\nANSWER: 13",
    "divisible by 4": "QUESTION: Which of the following numbers is a multiple of 4: 6, 10, 12 or 14?\nANSWER: 12",
    "perfect square": "QUESTION: What is the smallest two-digit perfect square?\nANSWER: 25",
    "is even": "QUESTION: What is the only even number between 5 and 7?\nANSWER: 6",
    "is irrational": "IMPOSSIBLE",
}
VERDICTS = {"largest prime factor of 91": "YES", "only even number between 5 and 7": "NO, it depends on context"}


def make_app(calls: list) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        user = body["messages"][-1]["content"]
        calls.append(user)
        if "Rewrite the question" in user:
            reply = next((v for k, v in REWRITES.items() if k in user), "IMPOSSIBLE")
        else:
            reply = next((v for k, v in VERDICTS.items() if k in user), "NO")
        return {
            "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }

    return app


@pytest.fixture
def server():
    calls: list = []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(make_app(calls), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/v1", calls
    srv.should_exit = True
    thread.join(timeout=5)


def test_model_mode(server):
    base_url, calls = server
    rows = [
        ("Which of the following is a prime factor of 91?", ["2", "3", "5", "13"], "D"),  # accepted
        ("Which of the following numbers is divisible by 4?", ["6", "10", "12", "14"], "C"),  # still mentions options
        ("Which of these is a perfect square?", ["20", "24", "36", "40"], "C"),  # model changed the answer (25)
        ("Which of the following is even?", ["3", "5", "6", "7"], "C"),  # judge: not self-contained
        ("Which of the following is irrational?", ["$\\sqrt{2}$", "1", "2", "4"], "A"),  # IMPOSSIBLE
        ("What is 2 + 2?", ["3", "4", "5", "6"], "B"),  # rules convert it; never sent
        ("Which statement is true?", ["2 is odd and prime", "3 is even", "4 is prime", "5 is prime and odd"], "D"),  # not a value
    ]
    df = conform(pl.DataFrame({"id": [str(i) for i in range(len(rows))], "source": "t", "question": [r[0] for r in rows],
                               "choices": [r[1] for r in rows], "answer": [r[2] for r in rows], "answer_type": "choice"}))
    out = convert_multiple_choice(df, settings=McqSettings(model_mode=True),
                                  model=ModelSettings(base_url=base_url, model="scripted", max_retries=1))
    r = out.to_dicts()
    assert (r[0]["mcq_status"], r[0]["mcq_method"], r[0]["question"], r[0]["answer"]) == (
        "converted", "model", "What is the largest prime factor of 91?", "13")
    assert r[0]["original_question"] == rows[0][0] and r[0]["choices"] is None and r[0]["rewritten_by"] == "mcq"
    for i in (1, 2, 3):
        assert (r[i]["mcq_status"], r[i]["mcq_reason"], r[i]["review_reason"]) == ("review", "model_rewrite_rejected", "mcq_ambiguous")
        assert r[i]["question"] == rows[i][0]
    assert '"rejected_because": "mentions_options"' in r[1]["metadata"]
    assert '"rejected_because": "answer_changed"' in r[2]["metadata"]
    assert '"rejected_because": "not_self_contained"' in r[3]["metadata"]
    assert (r[4]["mcq_status"], r[4]["mcq_reason"], r[4]["drop_reason"]) == ("not_convertible", "stem_depends_on_options",
                                                                              "mcq_not_convertible")
    assert (r[5]["mcq_status"], r[5]["mcq_method"]) == ("converted", "rule")
    assert r[6]["mcq_status"] == "not_convertible"
    rewrites = [c for c in calls if "Rewrite the question" in c]
    judges = [c for c in calls if "self-contained" in c]
    assert len(rewrites) == 5 and len(judges) == 2  # only rows 0-4 sent; judged only when checks 1-2 pass
