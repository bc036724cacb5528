"""End to end: `curate review serve` (real uvicorn on loopback) driven by a real headless Chromium."""

from __future__ import annotations

import os
from contextlib import contextmanager

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


@contextmanager
def review_page(db):
    """`curate review serve` on `db` and a headless Chromium: yields (browser, base url, token)."""
    proc, base, token = start_server(db)
    browser = None
    try:
        browser = Browser()
        yield browser, base, token
    finally:
        if browser is not None:
            browser.close()
        stop_server(proc)


def sign_in(browser: Browser, base: str, token: str, reviewer: str) -> None:
    """Open the page with its token, save the reviewer name, leave the keyboard to the shortcuts."""
    browser.navigate(f"{base}/?token={token}")
    browser.wait_for("document.body && document.body.dataset.ready === '1'")
    browser.evaluate(f"document.getElementById('reviewer').value = '{reviewer}'; document.getElementById('save-name').click()")
    browser.wait_for("document.getElementById('msg').textContent.includes('reviewer set')")
    browser.evaluate("document.activeElement && document.activeElement.blur()")


def test_claim_and_accept_with_keyboard_in_chromium(tmp_path):
    db = tmp_path / "review.sqlite"
    df = make_df(3)
    q = ReviewQueue(str(db))
    assert queue_items(df, q) == 3
    q.close()
    with review_page(db) as (browser, base, token):
        # no token: the server refuses the page
        browser.navigate(base + "/")
        browser.wait_for("document.body && document.body.innerText.includes('access token required')")
        sign_in(browser, base, token, "carol")
        assert "token" not in browser.evaluate("location.href")  # dropped from the URL after login
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


def test_evidence_undo_position_and_list_view_in_chromium(tmp_path):
    """What a reviewer needs on one screen: the worked solution, the cluster members with their
    answers, a few model responses with the extracted answer highlighted, "item i of N", undo of
    the last decision, and a list view filtered by reason and source."""
    db = tmp_path / "review.sqlite"
    df = make_df(3, solution=["We square twice: \\boxed{1}", "Doubling gives \\boxed{2}", None],
                 source=["olympiad", "forum", "forum"])
    members = [{"id": "p0", "source": "olympiad", "question": "Compute 2^0.", "answer": "1", "representative": True},
               {"id": "q9", "source": "forum", "question": "Compute two to the zero.", "answer": "0"}]
    stage = {"samples": [{"answer": "7", "verdict": "different"}, {"answer": "1", "verdict": "equivalent"}],
             "responses": ["so the result is 7", "hence 1"], "members": members}
    q = ReviewQueue(str(db))
    assert queue_items(df, q, evidence={"p0": stage}) == 3
    q.close()
    with review_page(db) as (browser, base, token):
        sign_in(browser, base, token, "dana")
        browser.press("n")
        first = int(browser.wait_for("document.body.dataset.itemId"))
        assert first == 1
        browser.wait_for("document.getElementById('position').textContent === 'item 1 of 3'")
        assert "We square twice" in browser.evaluate("document.getElementById('sol-src').textContent")
        members_text = browser.evaluate("document.getElementById('members').innerText")
        assert "Compute two to the zero." in members_text and "representative" in members_text
        assert browser.evaluate("document.querySelectorAll('#samples details').length") == 2
        assert browser.evaluate("document.querySelector('#samples details pre mark').textContent") == "7"
        # decide, then undo: the same item comes back to dana, undecided
        browser.press("r")
        browser.wait_for(f"document.body.dataset.lastDecision === 'rejected:{first}'")
        browser.wait_for(f"document.body.dataset.itemId && document.body.dataset.itemId !== '{first}'")
        browser.wait_for("document.getElementById('position').textContent === 'item 2 of 3'")
        browser.press("u")
        browser.wait_for(f"document.body.dataset.itemId === '{first}'")
        assert "undone" in browser.evaluate("document.getElementById('msg').textContent")
        # list view, filtered by source
        browser.press("l")
        browser.wait_for("document.body.dataset.listRows === '3'")
        browser.evaluate("document.getElementById('f-source').value = 'forum'; document.getElementById('f-apply').click()")
        browser.wait_for("document.body.dataset.listRows === '2'")
    q = ReviewQueue(str(db))
    try:
        item = q.get(first)
        assert (item.status, item.lease_owner) == ("claimed", "dana")
        assert [e["event"] for e in q.events(first)] == ["queued", "claimed", "decided", "requeued", "claimed"]
    finally:
        q.close()


def test_cluster_side_by_side_keep_one_and_undo_in_chromium(tmp_path):
    """A conflicting cluster on one screen: every member side by side with its answer, the item
    buttons replaced by the cluster decisions; keeping member 2 with a corrected answer decides the
    whole cluster; undo takes it back for every member."""
    from .test_cluster_decisions import QUESTION, cluster_frame

    QUESTION_START = QUESTION[:20]
    db = tmp_path / "review.sqlite"
    df = cluster_frame(["8", "9"], extra=False)
    q = ReviewQueue(str(db))
    assert queue_items(df, q) == 2
    q.close()
    with review_page(db) as (browser, base, token):
        sign_in(browser, base, token, "erin")
        browser.press("n")
        first = int(browser.wait_for("document.body.dataset.itemId"))
        browser.wait_for("document.body.dataset.cluster === '2'")
        members = browser.evaluate("[...document.querySelectorAll('#cluster-members .member')].map(m => m.innerText)")
        assert all(QUESTION_START in m for m in members)
        assert browser.evaluate("[...document.querySelectorAll('#cluster-members .ans-src')].map(e => e.textContent)") == ["8", "9"]
        assert browser.evaluate("document.getElementById('b-accept').classList.contains('hidden')")
        browser.press("a")  # an item decision is refused on the page too
        browser.wait_for("document.getElementById('msg').textContent.includes('member of a cluster')")
        browser.evaluate("document.getElementById('keep-answer').value = '8'")
        browser.evaluate("document.querySelectorAll('#cluster-members button.keep')[1].click()")
        browser.wait_for(f"document.body.dataset.lastDecision === 'keep_one:{first}:2'")
        browser.wait_for("document.getElementById('empty').textContent.includes('queue is empty')")
        q = ReviewQueue(str(db))
        try:
            assert [(it.status, it.duplicate_of, it.edited_answer) for it in q.cluster_items(first)] == [
                ("duplicate", "m1", None), ("edited", None, "8")]
        finally:
            q.close()
        browser.press("u")
        browser.wait_for("document.body.dataset.cluster === '2' && document.getElementById('msg').textContent.includes('undone')")
        browser.press("d")  # not duplicates: both kept
        browser.wait_for(f"document.body.dataset.lastDecision && document.body.dataset.lastDecision.startsWith('not_duplicates:')")
    q = ReviewQueue(str(db))
    try:
        assert {it.status for it in q.cluster_items(first)} == {"accepted"}
        assert q.distinct_groups() == [["m0", "m1"]]
    finally:
        q.close()
