"""End to end: `curate review serve` (real uvicorn on loopback) driven by a real headless Chromium."""

from __future__ import annotations

import os

import pytest

from curation.review import ReviewQueue, apply_review_decisions, queue_items
from curation.review.web import find_katex

from .cdp import CHROMIUM, Browser
from .helpers import make_df, start_server, stop_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} is missing (CI installs it with .ci/install-browser.sh: apt-get install -y chromium)",
    ),
]


def test_claim_and_accept_with_keyboard_in_chromium(tmp_path):
    db = tmp_path / "review.sqlite"
    df = make_df(3)
    q = ReviewQueue(str(db))
    assert queue_items(df, q) == 3
    q.close()
    proc, base, token = start_server(db)
    browser = None
    try:
        browser = Browser()
        # no token: the server refuses the page
        browser.navigate(base + "/")
        browser.wait_for("document.body && document.body.innerText.includes('access token required')")
        browser.navigate(f"{base}/?token={token}")
        browser.wait_for("document.body && document.body.dataset.ready === '1'")
        assert "token" not in browser.evaluate("location.href")  # dropped from the URL after login
        browser.evaluate("document.getElementById('reviewer').value = 'carol'; document.getElementById('save-name').click()")
        browser.wait_for("document.getElementById('msg').textContent.includes('reviewer set')")
        browser.evaluate("document.activeElement && document.activeElement.blur()")
        browser.press("n")
        item_id = int(browser.wait_for("document.body.dataset.itemId"))
        assert browser.evaluate("document.getElementById('q-src').textContent") == df["question"][0]
        assert browser.evaluate("document.getElementById('maj-src').textContent") == "7"
        if find_katex() is not None:
            browser.wait_for("document.querySelector('#q-render math') !== null")
        browser.press("a")
        browser.wait_for(f"document.body.dataset.lastDecision === 'accepted:{item_id}'")
        # the page moved on and claimed the next item for carol
        browser.wait_for(f"document.body.dataset.itemId && document.body.dataset.itemId !== '{item_id}'")
    finally:
        if browser is not None:
            browser.close()
        stop_server(proc)
    q = ReviewQueue(str(db))
    try:
        item = q.get(item_id)
        assert (item.status, item.decided_by) == ("accepted", "carol")
        assert [e["event"] for e in q.events(item_id)] == ["queued", "claimed", "decided"]
        out = apply_review_decisions(df, q)
        status = dict(zip(out["id"], out["review_status"]))
        assert status[item.problem_id] == "accepted"
        assert sorted(status.values()) == ["accepted", "pending", "pending"]
    finally:
        q.close()
