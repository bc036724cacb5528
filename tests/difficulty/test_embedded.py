"""The embedded llama.cpp server with SmolLM2-135M: mechanics (n choices, stop, usage), not correctness."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest

from curation.difficulty import grade_difficulty
from curation.model.store import store_stats
from curation.model.embedded import EMBEDDED_MODEL, EmbeddedServer

from .helpers import frame, make_settings

pytestmark = pytest.mark.slow


def test_embedded_server_serves_openai_chat_with_n_choices():
    import openai

    async def ask(base_url):
        client = openai.AsyncOpenAI(base_url=base_url, api_key="EMPTY", max_retries=0, timeout=120)
        try:
            return await client.chat.completions.create(
                model=EMBEDDED_MODEL,
                messages=[{"role": "user", "content": "What is 2+3? Put the answer in \\boxed{}."}],
                n=2, max_tokens=32, temperature=0.7, seed=1, stop=["\n\n\n"],
            )
        finally:
            await client.close()

    with EmbeddedServer(parallel=2, ctx_per_slot=512) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        resp = asyncio.run(ask(server.base_url))
        url = server.base_url
    assert len(resp.choices) == 2
    assert {c.index for c in resp.choices} == {0, 1}
    assert all(c.finish_reason in ("stop", "length") for c in resp.choices)
    assert all(isinstance(c.message.content, str) for c in resp.choices)
    assert resp.usage.prompt_tokens > 0 and 0 < resp.usage.completion_tokens <= 64
    with pytest.raises(OSError):  # stopped with the context
        urllib.request.urlopen(url.removesuffix("/v1") + "/health", timeout=2)


def test_grade_difficulty_without_endpoint_uses_embedded_model(store_url, caplog):
    rows = [{"id": "a", "question": "What is 1+1?", "answer": "2"},
            {"id": "b", "question": "What is 2*3?", "answer": "6"}]
    settings = make_settings(None, model=EMBEDDED_MODEL, k=2, max_tokens=32, request_timeout=120)
    with caplog.at_level("WARNING", logger="curation.difficulty"):
        out, _ = grade_difficulty(frame(rows), settings=settings, store_url=store_url)
    assert "MECHANICS ONLY" in caplog.text
    results = [r[-1] for r in out["difficulty"].to_list()]
    assert all(r["status"] == "scored" and r["k"] == 2 and r["model"] == EMBEDDED_MODEL for r in results)
    stats = store_stats(store_url)
    assert stats["samples"] == 4 and stats["requests"] == 2  # n=2 in one request per item
    # a rerun is served from the store: no server start, no request
    out2, _ = grade_difficulty(frame(rows), settings=settings, store_url=store_url)
    assert store_stats(store_url)["last_runs"][0]["requests"] == 0
    assert out2["difficulty"].to_list() == out["difficulty"].to_list()
