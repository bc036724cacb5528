"""The review page's API: token required, CSRF and Origin checks, decisions through HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from curation.review import queue_items
from curation.review.web import CSRF_COOKIE, create_app

from .helpers import make_df

TOKEN = "s3cret-token"
ORIGIN = "http://testserver"


@pytest.fixture
def app(queue):
    queue_items(make_df(3), queue)
    return create_app(queue, token=TOKEN)


def _login(client: TestClient) -> str:
    r = client.get(f"/?token={TOKEN}", follow_redirects=False)
    assert r.status_code == 303 and "token" not in r.headers["location"]
    cookies = r.headers.get_list("set-cookie")
    assert all("HttpOnly" in c and "SameSite=strict" in c for c in cookies)
    return client.cookies[CSRF_COOKIE]


def test_every_route_requires_the_token(app):
    client = TestClient(app)
    for path in ("/", "/api/stats", "/api/item/1", "/static/katex.js", "/nope"):
        assert client.get(path).status_code == 401
    assert client.post("/api/next", json={"reviewer": "x"}).status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get("/api/stats", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_header_token_works_for_scripts(app, queue):
    client = TestClient(app)
    h = {"Authorization": f"Bearer {TOKEN}"}
    item = client.post("/api/next", json={"reviewer": "bot"}, headers=h).json()["item"]
    assert item["lease_owner"] == "bot"
    r = client.post("/api/decide", json={"reviewer": "bot", "item_id": item["id"], "decision": "accepted"}, headers={"X-Review-Token": TOKEN})
    assert r.status_code == 200 and queue.get(item["id"]).status == "accepted"


def test_cookie_session_page_and_decision(app, queue):
    client = TestClient(app)
    csrf = _login(client)
    page = client.get("/")
    assert page.status_code == 200 and csrf in page.text
    assert "nonce-" in page.headers["content-security-policy"] and page.headers["x-frame-options"] == "DENY"
    h = {"X-CSRF-Token": csrf, "Origin": ORIGIN}
    assert client.post("/api/reviewer", json={"name": "carol"}, headers=h).status_code == 200
    item = client.post("/api/next", json={}, headers=h).json()["item"]
    assert item["lease_owner"] == "carol"
    r = client.post("/api/decide", json={"item_id": item["id"], "decision": "edited", "answer": "5"}, headers=h)
    assert r.status_code == 200
    got = queue.get(item["id"])
    assert (got.status, got.decided_by, got.edited_answer) == ("edited", "carol", "5")


def test_csrf_and_origin_are_enforced(app, queue):
    client = TestClient(app)
    csrf = _login(client)
    body = {"reviewer": "eve"}
    assert client.post("/api/next", json=body).status_code == 403  # no CSRF header
    assert client.post("/api/next", json=body, headers={"X-CSRF-Token": "forged", "Origin": ORIGIN}).status_code == 403
    r = client.post("/api/next", json=body, headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"})
    assert r.status_code == 403 and "cross-origin" in r.json()["error"]
    assert client.post("/api/next", json=body, headers={"X-CSRF-Token": csrf}).status_code == 403  # no Origin/Referer
    assert all(e["event"] == "queued" for e in queue.events())  # nothing happened
    ok = client.post("/api/next", json=body, headers={"X-CSRF-Token": csrf, "Referer": ORIGIN + "/"})
    assert ok.status_code == 200


def test_lost_lease_over_http_is_a_clear_409(app, queue, clock):
    client = TestClient(app)
    h = {"Authorization": f"Bearer {TOKEN}"}
    item = client.post("/api/next", json={"reviewer": "alice"}, headers=h).json()["item"]
    clock.advance(3600)
    client.post("/api/next", json={"reviewer": "bob"}, headers=h)
    r = client.post("/api/decide", json={"reviewer": "alice", "item_id": item["id"], "decision": "rejected"}, headers=h)
    assert r.status_code == 409 and "lease" in r.json()["error"]
    assert queue.get(item["id"]).lease_owner == "bob"


def test_bad_requests_are_4xx_with_a_message_never_500(app):
    client = TestClient(app)
    h = {"Authorization": f"Bearer {TOKEN}"}
    bad = [
        client.post("/api/next", json={}, headers=h),  # no reviewer
        client.post("/api/next", content=b"x", headers=h | {"Content-Type": "application/json"}),
        client.post("/api/next", json=[1], headers=h),
        client.post("/api/decide", json={"reviewer": "a", "item_id": "x", "decision": "accepted"}, headers=h),
        client.post("/api/decide", json={"reviewer": "a", "decision": "accepted"}, headers=h),
        client.post("/api/release", json={"reviewer": "a"}, headers=h),  # no item_id
        client.post("/api/release", json={"reviewer": "a", "item_id": None}, headers=h),
        client.post("/api/release", json={"reviewer": "a", "item_id": [1]}, headers=h),
        client.post("/api/release", content=b"reviewer=a", headers=h | {"Content-Type": "text/plain"}),
    ]
    assert [r.status_code for r in bad] == [400] * len(bad)
    assert all(r.json()["error"] for r in bad)
    missing = client.get("/api/item/999", headers=h)
    assert missing.status_code == 404 and "999" in missing.json()["error"]


def test_create_app_needs_a_token(queue):
    from curation.errors import ReviewError

    with pytest.raises(ReviewError):
        create_app(queue, token="")


def test_page_without_katex_shows_source_only(queue):
    client = TestClient(create_app(queue, token=TOKEN, katex=False))
    h = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/static/katex.js", headers=h).status_code == 404
    page = client.get("/", headers=h).text
    assert '"0" === "1"' in page and 'id="q-src"' in page


def test_list_claim_and_undo_over_http(app, queue):
    client = TestClient(app)
    h = {"Authorization": f"Bearer {TOKEN}"}
    rows = client.get("/api/items", headers=h).json()["items"]
    assert [r["status"] for r in rows] == ["pending"] * 3
    assert client.get("/api/items?source=nowhere", headers=h).json()["items"] == []
    assert client.get("/api/items?limit=0", headers=h).status_code == 400
    got = client.post("/api/claim", json={"reviewer": "ann", "item_id": rows[2]["id"]}, headers=h).json()["item"]
    assert (got["id"], got["lease_owner"]) == (rows[2]["id"], "ann")
    assert client.post("/api/undo", json={"reviewer": "ann"}, headers=h).status_code == 409  # nothing decided yet
    client.post("/api/decide", json={"reviewer": "ann", "item_id": got["id"], "decision": "rejected"}, headers=h)
    assert client.get("/api/items?status=rejected", headers=h).json()["items"][0]["id"] == got["id"]
    back = client.post("/api/undo", json={"reviewer": "ann"}, headers=h).json()["item"]
    assert (back["id"], back["status"], back["lease_owner"]) == (got["id"], "claimed", "ann")
    assert queue.decision_history()[-1]["decision"] == "rejected"  # the history keeps what was undone


def test_undo_does_not_take_back_someone_elses_later_decision(app, queue):
    client = TestClient(app)
    h = {"Authorization": f"Bearer {TOKEN}"}
    item = client.post("/api/next", json={"reviewer": "ann"}, headers=h).json()["item"]
    client.post("/api/decide", json={"reviewer": "ann", "item_id": item["id"], "decision": "accepted"}, headers=h)
    queue.reopen(item["id"], "bob")
    queue.claim(item["id"], "bob")
    queue.reject(item["id"], "bob")
    r = client.post("/api/undo", json={"reviewer": "ann"}, headers=h)
    assert r.status_code == 409 and "bob" in r.json()["error"]
    assert queue.get(item["id"]).status == "rejected"


def test_cluster_decision_over_http(queue):
    from .test_cluster_decisions import cluster_frame

    queue_items(cluster_frame(["8", "9", "8"], extra=False), queue)
    client = TestClient(create_app(queue, token=TOKEN))
    h = {"Authorization": f"Bearer {TOKEN}"}
    item = client.post("/api/next", json={"reviewer": "bot"}, headers=h).json()["item"]
    members = item["cluster"]
    assert [m["answer"] for m in members] == ["8", "9", "8"] and {m["lease_owner"] for m in members} == {"bot"}
    r = client.post("/api/decide", json={"reviewer": "bot", "item_id": item["id"], "decision": "accepted"}, headers=h)
    assert r.status_code == 409 and "decide the cluster" in r.json()["error"]
    bad = client.post("/api/cluster", json={"reviewer": "bot", "item_id": item["id"], "decision": "keep_one", "keep": "x"}, headers=h)
    assert bad.status_code == 400
    keep = members[1]["item_id"]
    r = client.post("/api/cluster", json={"reviewer": "bot", "item_id": item["id"], "decision": "keep_one", "keep": keep,
                                          "answer": "8"}, headers=h)
    assert r.status_code == 200
    assert [(m["status"], m["duplicate_of"]) for m in r.json()["item"]["cluster"]] == [
        ("duplicate", "m1"), ("edited", None), ("duplicate", "m1")]
    undone = client.post("/api/undo", json={"reviewer": "bot"}, headers=h).json()["item"]
    assert {m["status"] for m in undone["cluster"]} == {"claimed"}
    r = client.post("/api/cluster", json={"reviewer": "bot", "item_id": item["id"], "decision": "not_duplicates"}, headers=h)
    assert r.status_code == 200 and queue.distinct_groups() == [["m0", "m1", "m2"]]
