"""The review page: a small FastAPI app over a `ReviewQueue`.

Security model (the server binds 127.0.0.1 by default):
* Every request needs the access token printed at start: `?token=...` once (answered with a
  redirect that sets an HttpOnly, SameSite=Strict cookie and drops the token from the URL), or an
  `Authorization: Bearer ...` / `X-Review-Token` header for scripts. Without it: 401.
* State-changing requests are POSTs with a JSON body. When authenticated by cookie they must carry
  the session's CSRF token (`X-CSRF-Token`, double-submit against the HttpOnly `curate_review_csrf`
  cookie set at login) and an `Origin` (or `Referer`) equal to the page's own origin: otherwise 403.
  Header-token clients are not exposed to CSRF (browsers never add that header by themselves).
* Responses carry a strict Content-Security-Policy (scripts only with the per-response nonce and
  from this server), `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`.
* All SQL goes through the queue's parameterized SQLAlchemy statements.

LaTeX: if an installed package ships KaTeX (the Prefect UI bundle does), it is served from
`/static/katex.js` and used to render `$...$`, `$$...$$`, `\\(...\\)`, `\\[...\\]` as MathML (no fonts or
CSS needed, no network). The LaTeX source is always shown too, in a monospace block.
"""

from __future__ import annotations

import hmac
import importlib.util
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from curation.errors import ReviewError
from curation.review.queue import ReviewQueue

AUTH_COOKIE = "curate_review_auth"
CSRF_COOKIE = "curate_review_csrf"
REVIEWER_COOKIE = "curate_reviewer"


def find_katex() -> Path | None:
    """A KaTeX ES-module bundle shipped by an installed package (no download), or None."""
    spec = importlib.util.find_spec("prefect")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        for found in sorted(Path(base, "server", "ui-v2", "assets").glob("katex-*.js")):
            return found
    return None


def _item_json(item: Any, queue: ReviewQueue | None = None) -> dict[str, Any] | None:
    """An item as JSON; a member of a conflicting duplicate cluster carries `cluster`: every member
    item (id, problem, source, status, question, answer, duplicate_of), for the side-by-side view."""
    if item is None:
        return None
    d = item.to_dict()
    d.pop("history", None)
    if queue is not None and item.cluster_key is not None:
        d["cluster"] = [
            {"item_id": m.id, "problem_id": m.problem_id, "source": m.snapshot.get("source"), "status": m.status,
             "question": m.question, "answer": m.answer, "duplicate_of": m.duplicate_of, "lease_owner": m.lease_owner}
            for m in queue.cluster_items(item.id)
        ]
    return d


def create_app(queue: ReviewQueue, *, token: str, katex: Path | None | bool = True) -> FastAPI:
    """The review app for `queue`, guarded by `token`. `katex=True` looks for an installed bundle."""
    if not token:
        raise ReviewError("the review server needs a non-empty access token")
    katex_path = find_katex() if katex is True else (katex or None)
    app = FastAPI(title="curate review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.queue = queue

    def authenticated_by(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        header = auth[7:] if auth.lower().startswith("bearer ") else request.headers.get("x-review-token")
        if header and hmac.compare_digest(header.encode(), token.encode()):
            return "header"
        cookie = request.cookies.get(AUTH_COOKIE)
        if cookie and hmac.compare_digest(cookie.encode(), token.encode()):
            return "cookie"
        return None

    def same_origin(request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin or origin == "null":
            referer = request.headers.get("referer")
            if not referer:
                return False
            parts = urlsplit(referer)
            origin = f"{parts.scheme}://{parts.netloc}"
        host = request.headers.get("host", "")
        return origin == f"{request.url.scheme}://{host}"

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        query_token = request.query_params.get("token")
        if query_token is not None and request.method == "GET":
            if not hmac.compare_digest(query_token.encode(), token.encode()):
                return JSONResponse({"error": "invalid token"}, status_code=401)
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (("?" + urlencode(rest)) if rest else "")
            resp = RedirectResponse(target, status_code=303)
            resp.set_cookie(AUTH_COOKIE, token, httponly=True, samesite="strict", path="/")
            resp.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="strict", path="/")
            resp.headers["Referrer-Policy"] = "no-referrer"
            return resp
        how = authenticated_by(request)
        if how is None:
            return JSONResponse(
                {"error": "access token required: open the URL printed by `curate review serve` (…?token=…)"},
                status_code=401,
            )
        if request.method not in ("GET", "HEAD", "OPTIONS") and how == "cookie":
            csrf_cookie = request.cookies.get(CSRF_COOKIE, "")
            csrf_header = request.headers.get("x-csrf-token", "")
            if not csrf_cookie or not hmac.compare_digest(csrf_cookie.encode(), csrf_header.encode()):
                return JSONResponse({"error": "CSRF token missing or wrong"}, status_code=403)
            if not same_origin(request):
                return JSONResponse({"error": "cross-origin request refused"}, status_code=403)
        request.state.auth = how
        response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def body(request: Request) -> dict[str, Any]:
        if "application/json" not in request.headers.get("content-type", ""):
            raise BadRequest("expected a JSON body (Content-Type: application/json)")
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            raise BadRequest("request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest("request body must be a JSON object")
        return data

    def item_id_of(data: dict[str, Any]) -> int:
        value = data.get("item_id")
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise BadRequest("item_id must be an integer")
        try:
            return int(value)
        except ValueError:
            raise BadRequest("item_id must be an integer") from None

    def reviewer_of(request: Request, data: dict[str, Any]) -> str:
        name = data.get("reviewer") or request.cookies.get(REVIEWER_COOKIE) or ""
        if not isinstance(name, str) or not name.strip():
            raise BadRequest("set your reviewer name first (the name field at the top of the page)")
        return name.strip()

    @app.exception_handler(ReviewError)
    async def review_error(_request: Request, exc: ReviewError) -> JSONResponse:
        # a malformed request is the client's mistake (400); a refused operation (lost lease,
        # item already decided) is a conflict with the queue's state (409)
        return JSONResponse({"error": str(exc)}, status_code=400 if isinstance(exc, BadRequest) else 409)

    @app.get("/", response_class=HTMLResponse)
    def page(request: Request) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        html = (
            PAGE.replace("__NONCE__", nonce)
            .replace("__CSRF__", _attr(request.cookies.get(CSRF_COOKIE, "")))
            .replace("__REVIEWER__", _attr(request.cookies.get(REVIEWER_COOKIE, "")))
            .replace("__KATEX__", "1" if katex_path else "0")
        )
        resp = HTMLResponse(html)
        resp.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        return resp

    @app.get("/static/katex.js")
    def katex_js() -> Response:
        if not katex_path:
            return JSONResponse({"error": "KaTeX is not installed"}, status_code=404)
        return FileResponse(katex_path, media_type="text/javascript")

    @app.get("/api/stats")
    def stats() -> dict[str, Any]:
        return queue.stats()

    @app.get("/api/item/{item_id}")
    def item(item_id: int) -> Any:
        try:
            got = queue.get(item_id, history=True)
        except ReviewError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        return {"item": _item_json(got, queue) | {"history": queue.events(item_id)}}

    @app.post("/api/reviewer")
    async def set_reviewer(request: Request) -> Response:
        data = await body(request)
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise BadRequest("reviewer name must be 1-200 characters")
        resp = JSONResponse({"reviewer": name.strip()})
        resp.set_cookie(REVIEWER_COOKIE, name.strip(), httponly=False, samesite="strict", path="/", max_age=90 * 86400)
        return resp

    @app.post("/api/next")
    async def next_item(request: Request) -> dict[str, Any]:
        data = await body(request)
        reviewer = reviewer_of(request, data)
        reason = data.get("reason") or None
        from starlette.concurrency import run_in_threadpool

        got = await run_in_threadpool(lambda: _item_json(queue.claim_next(reviewer, reason=reason), queue))
        return {"item": got}

    @app.post("/api/decide")
    async def decide(request: Request) -> dict[str, Any]:
        data = await body(request)
        reviewer = reviewer_of(request, data)
        item_id = item_id_of(data)
        decision = str(data.get("decision") or "")
        kwargs: dict[str, Any] = {"note": data.get("note") or None}
        if decision in ("edit", "edited"):
            for key in ("question", "answer"):
                value = data.get(key)
                if value is not None and not isinstance(value, str):
                    raise BadRequest(f"{key} must be a string")
                kwargs[key] = value
        from starlette.concurrency import run_in_threadpool

        done = await run_in_threadpool(lambda: queue.decide(item_id, reviewer, decision, **kwargs))
        return {"item": _item_json(done)}

    @app.post("/api/cluster")
    async def decide_cluster(request: Request) -> dict[str, Any]:
        """A decision on the whole conflicting cluster of `item_id`: {decision: keep_one |
        not_duplicates | drop_all, keep: member item id (keep_one), question/answer: corrections of
        the kept member (optional), note}."""
        data = await body(request)
        reviewer = reviewer_of(request, data)
        item_id = item_id_of(data)
        kwargs: dict[str, Any] = {"note": data.get("note") or None}
        if data.get("keep") is not None:
            kwargs["keep"] = item_id_of({"item_id": data["keep"]})
        for key in ("question", "answer"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"{key} must be a string")
            if value is not None:
                kwargs[key] = value
        decision = str(data.get("decision") or "")
        from starlette.concurrency import run_in_threadpool

        done = await run_in_threadpool(
            lambda: _item_json(queue.decide_cluster(item_id, reviewer, decision, **kwargs), queue)
        )
        return {"item": done}

    @app.get("/api/items")
    def list_items(status: str | None = None, reason: str | None = None, source: str | None = None,
                   limit: int = 200) -> dict[str, Any]:
        if limit < 1 or limit > 5000:
            raise BadRequest("limit must be between 1 and 5000")
        statuses = [x for x in (status or "").split(",") if x] or None
        found = queue.list_items(status=statuses, reason=reason or None, source=source or None, limit=limit)
        rows = [
            {"id": it.id, "problem_id": it.problem_id, "reason": it.reason, "status": it.status,
             "source": it.snapshot.get("source"), "question": str(it.snapshot.get("question") or "")[:200],
             "answer": it.snapshot.get("answer"), "decided_by": it.decided_by, "lease_owner": it.lease_owner,
             "cluster_key": it.cluster_key}
            for it in found
        ]
        return {"items": rows}

    @app.post("/api/claim")
    async def claim(request: Request) -> dict[str, Any]:
        data = await body(request)
        reviewer = reviewer_of(request, data)
        from starlette.concurrency import run_in_threadpool

        item_id = item_id_of(data)
        got = await run_in_threadpool(lambda: _item_json(queue.claim(item_id, reviewer), queue))
        return {"item": got}

    @app.post("/api/undo")
    async def undo(request: Request) -> dict[str, Any]:
        data = await body(request)
        reviewer = reviewer_of(request, data)
        from starlette.concurrency import run_in_threadpool

        got = await run_in_threadpool(lambda: _item_json(queue.undo_last(reviewer), queue))
        return {"item": got}

    @app.post("/api/release")
    async def release(request: Request) -> dict[str, Any]:
        data = await body(request)
        reviewer = reviewer_of(request, data)
        from starlette.concurrency import run_in_threadpool

        done = await run_in_threadpool(queue.release, item_id_of(data), reviewer)
        return {"item": _item_json(done)}

    return app


class BadRequest(ReviewError):
    """A malformed request to the review API (HTTP 400)."""


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")
    )


PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="__CSRF__">
<title>curate review</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#24292f;color:#fff;flex-wrap:wrap}
header input{padding:.25rem .4rem}
main{max-width:1200px;margin:1rem auto;padding:0 1rem}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:1rem;margin-bottom:1rem}
.side{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
pre,.src{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-word;background:#f0f2f4;padding:.5rem;border-radius:4px;margin:.3rem 0}
.rendered{font-size:1.1rem;line-height:1.6;white-space:pre-wrap}
.reason{display:inline-block;background:#fff3cd;border:1px solid #e0c36c;border-radius:4px;padding:.1rem .4rem}
button{padding:.4rem .9rem;margin-right:.4rem;border-radius:4px;border:1px solid #8c959f;background:#fff;cursor:pointer}
button kbd{font-weight:bold}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left}
#msg{min-height:1.4rem}.err{color:#b42318}.ok{color:#1a7f37}
textarea{width:100%;min-height:6rem;font-family:ui-monospace,monospace}
.hidden{display:none}
mark{background:#fff08a;padding:0 .1rem}
.ok-v{color:#1a7f37}.bad-v{color:#b42318}
.kv td:first-child{font-weight:600;white-space:nowrap;vertical-align:top}
#list-table tr[data-id]{cursor:pointer}#list-table tr[data-id]:hover{background:#eef3ff}
.members td{vertical-align:top;max-width:28rem}
.cluster-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.8rem}
.member{border:1px solid #d0d7de;border-radius:6px;padding:.6rem;background:#fbfcfd}
.member .ans{font-family:ui-monospace,monospace;background:#fff3cd;padding:.1rem .3rem;border-radius:3px}
.pos{font-weight:600}
</style></head>
<body>
<header><strong>curate review</strong>
<label>Reviewer <input id="reviewer" value="__REVIEWER__" maxlength="200" autocomplete="off"></label>
<button id="save-name">Save name</button>
<span id="stats"></span><span id="position" class="pos"></span></header>
<main>
<div id="msg"></div>
<div class="card">
<button id="b-next"><kbd>n</kbd> next</button>
<button id="b-accept"><kbd>a</kbd> accept</button>
<button id="b-edit"><kbd>e</kbd> edit</button>
<button id="b-reject"><kbd>r</kbd> reject</button>
<button id="b-skip"><kbd>s</kbd> skip</button>
<button id="b-undo"><kbd>u</kbd> undo last</button>
<button id="b-list"><kbd>l</kbd> list</button>
<label>Note <input id="note" size="50" maxlength="2000"></label>
</div>
<div id="list" class="card hidden"><h3>Items</h3>
<label>Status <select id="f-status"><option value="pending,claimed,skipped">open</option><option value="">all</option>
<option value="accepted">accepted</option><option value="edited">edited</option><option value="rejected">rejected</option>
<option value="skipped">skipped</option></select></label>
<label>Reason <select id="f-reason"><option value="">any</option></select></label>
<label>Source <input id="f-source" size="16"></label> <button id="f-apply">Filter</button>
<table id="list-table"></table></div>
<div id="empty" class="card">Set your name, then press <kbd>n</kbd> to claim the next item.</div>
<div id="item" class="hidden">
<div class="card"><div>Item <span id="item-id"></span> · problem <code id="problem-id"></code> ·
<span class="reason" id="reason"></span> · status <span id="status"></span> · lease until <span id="lease"></span></div>
<h3>Question</h3><div class="rendered" id="q-render"></div>
<details open><summary>LaTeX source</summary><pre id="q-src"></pre></details>
<div id="choices"></div></div>
<div class="side">
<div class="card"><h3>Reference answer</h3><div class="rendered" id="ref-render"></div><pre id="ref-src"></pre></div>
<div class="card"><h3>Model majority answer</h3><div id="maj-meta"></div><div class="rendered" id="maj-render"></div><pre id="maj-src"></pre></div>
</div>
<div id="members-card" class="card hidden"><h3>Cluster members</h3><div id="members"></div></div>
<div id="cluster-card" class="card hidden"><h3>Duplicate cluster with conflicting answers: decide it as a whole</h3>
<div id="cluster-members" class="cluster-grid"></div>
<p><label>Corrected answer for the member you keep (optional) <input id="keep-answer" size="30" maxlength="2000"></label></p>
<button id="b-notdup"><kbd>d</kbd> not duplicates (keep every member)</button>
<button id="b-dropall"><kbd>x</kbd> drop all</button>
<span>· <kbd>1</kbd>…<kbd>9</kbd> keep that member (the others are dropped as its duplicates)</span></div>
<div id="solution-card" class="card hidden"><details open><summary><strong>Worked solution</strong></summary>
<div class="rendered" id="sol-render"></div><details><summary>LaTeX source</summary><pre id="sol-src"></pre></details></details></div>
<div id="samples-card" class="card hidden"><h3>Model samples</h3><div id="samples"></div></div>
<div id="edit-box" class="card hidden"><h3>Edit (Ctrl+Enter saves, Esc cancels)</h3>
<label>Question<textarea id="edit-q"></textarea></label>
<label>Answer<textarea id="edit-a"></textarea></label>
<button id="b-save">Save edit</button><button id="b-cancel">Cancel</button></div>
<div class="card"><h3>Evidence</h3><table class="kv" id="evidence-kv"></table><div id="evidence"></div>
<details><summary>All evidence (JSON)</summary><pre id="evidence-json"></pre></details>
<details><summary>Full record (JSON)</summary><pre id="snapshot-json"></pre></details></div>
</div>
</main>
<script type="module" nonce="__NONCE__">
const CSRF = document.querySelector('meta[name=csrf-token]').content;
let katex = null;
if ("__KATEX__" === "1") { try { katex = (await import('/static/katex.js')).default; } catch (e) { katex = null; } }
let current = null;
const $ = (id) => document.getElementById(id);
function msg(text, cls) { const m = $('msg'); m.textContent = text || ''; m.className = cls || ''; }
function esc(s) { return String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c])); }
function renderMath(el, text) {
  text = String(text ?? '');
  if (!katex) { el.textContent = text; return; }
  const re = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$([^$\n]+?)\$/g;
  let out = '', last = 0, m;
  while ((m = re.exec(text)) !== null) {
    out += esc(text.slice(last, m.index));
    const display = m[1] !== undefined || m[2] !== undefined;
    const tex = m[1] ?? m[2] ?? m[3] ?? m[4];
    try { out += katex.renderToString(tex, {displayMode: display, output: 'mathml', throwOnError: false, trust: false}); }
    catch (e) { out += esc(m[0]); }
    last = re.lastIndex;
  }
  out += esc(text.slice(last));
  el.innerHTML = out;
}
function renderAnswer(prefix, text) {
  const t = String(text ?? '');
  const delimited = /\$|\\\(|\\\[/.test(t);
  renderMath($(prefix + '-render'), !t ? '—' : (katex && !delimited ? '$' + t + '$' : t));
  $(prefix + '-src').textContent = t || '(none)';
}
function kvRows(obj) {
  return Object.entries(obj).filter(([k, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => '<tr><td>' + esc(k.replace(/_/g, ' ')) + '</td><td>' + esc(v) + '</td></tr>').join('');
}
function highlight(text, needle) {
  const t = String(text ?? ''), n = String(needle ?? '');
  if (!n) return esc(t);
  const at = t.lastIndexOf(n);
  if (at < 0) return esc(t);
  return esc(t.slice(0, at)) + '<mark>' + esc(n) + '</mark>' + esc(t.slice(at + n.length));
}
function showMembers(ev) {
  const members = ev.members || (ev.stage && ev.stage.members) || (ev.duplicates && ev.duplicates.members);
  if (!members || !members.length) { $('members-card').classList.add('hidden'); return; }
  $('members-card').classList.remove('hidden');
  const cols = ['id', 'source', 'question', 'answer'];
  $('members').innerHTML = '<table class="members"><tr>' + cols.map(c => '<th>' + c + '</th>').join('') + '<th></th></tr>' +
    members.map(m => '<tr>' + cols.map(c => '<td class="m-' + c + '">' + esc(m[c]) + '</td>').join('') +
      '<td>' + esc(m.representative ? 'representative' : (m.role || '')) + '</td></tr>').join('') + '</table>';
  for (const td of $('members').querySelectorAll('td.m-question')) renderMath(td, td.textContent);
}
function showCluster(item) {
  const members = item.cluster || [];
  const isCluster = members.length > 0;
  $('cluster-card').classList.toggle('hidden', !isCluster);
  for (const id of ['b-accept', 'b-edit', 'b-reject']) $(id).classList.toggle('hidden', isCluster);
  document.body.dataset.cluster = isCluster ? String(members.length) : '';
  if (!isCluster) return;
  $('members-card').classList.add('hidden');
  $('keep-answer').value = '';
  $('cluster-members').innerHTML = members.map((m, i) =>
    '<div class="member" data-item="' + esc(m.item_id) + '"><div><strong>' + (i + 1) + '.</strong> item ' + esc(m.item_id) +
    ' · ' + esc(m.source ?? '') + ' · <code>' + esc(m.problem_id) + '</code> · ' + esc(m.status) +
    (m.duplicate_of ? ' (duplicate of ' + esc(m.duplicate_of) + ')' : '') + '</div>' +
    '<div class="rendered m-question"></div><pre class="m-src"></pre>' +
    '<div>answer: <span class="ans"></span> <code class="ans-src"></code></div>' +
    '<button class="keep" data-keep="' + esc(m.item_id) + '">keep this one (' + (i + 1) + ')</button></div>').join('');
  members.forEach((m, i) => {
    const box = $('cluster-members').children[i];
    renderMath(box.querySelector('.m-question'), m.question); box.querySelector('.m-src').textContent = m.question || '';
    const a = String(m.answer ?? ''), delimited = /\$|\\\(|\\\[/.test(a);
    renderMath(box.querySelector('.ans'), !a ? '(none)' : (katex && !delimited ? '$' + a + '$' : a));
    box.querySelector('.ans-src').textContent = a;
  });
  for (const b of $('cluster-members').querySelectorAll('button.keep')) b.onclick = () => decideCluster('keep_one', Number(b.dataset.keep));
}
async function decideCluster(decision, keep) {
  if (!current || !current.cluster) { msg('claim a cluster item first (n)', 'err'); return; }
  const answer = $('keep-answer').value.trim();
  const data = {item_id: current.id, decision, reviewer: $('reviewer').value.trim(), note: $('note').value || null};
  if (decision === 'keep_one') { data.keep = keep; if (answer) data.answer = answer; }
  try {
    await api('/api/cluster', data);
    msg(decision.replace('_', ' ') + ': cluster of item ' + current.id, 'ok');
    document.body.dataset.lastDecision = decision + ':' + current.id + (keep ? ':' + keep : '');
    $('note').value = ''; show(null); await next();
  } catch (e) { msg(e.message, 'err'); }
}
function showSamples(ev) {
  const st = ev.stage || {};
  const samples = st.samples || [], responses = st.responses || [];
  if (!samples.length && !responses.length) { $('samples-card').classList.add('hidden'); return; }
  $('samples-card').classList.remove('hidden');
  let h = '';
  if (st.answers && st.answers.length) h += '<div>answers: ' + st.answers.map(a => esc(a.answer) + ' ×' + esc(a.count)).join(' · ') + '</div>';
  const n = Math.max(samples.length, responses.length);
  for (let i = 0; i < Math.min(n, 8); i++) {
    const smp = samples[i] || {}, text = responses[i];
    const cls = smp.verdict === 'equivalent' ? 'ok-v' : 'bad-v';
    h += '<details><summary>sample ' + (i + 1) + ': <mark>' + esc(smp.answer ?? '(no answer)') + '</mark> <span class="' + cls + '">' + esc(smp.verdict ?? '') + '</span></summary>' +
      (text !== undefined ? '<pre>' + highlight(text, smp.answer) + '</pre>' : '<div>(response text not kept)</div>') + '</details>';
  }
  $('samples').innerHTML = h;
}
async function api(path, data) {
  const opts = data === undefined ? {} : {method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': CSRF}, body: JSON.stringify(data)};
  const r = await fetch(path, Object.assign({credentials: 'same-origin'}, opts));
  let j = {};
  try { j = await r.json(); } catch (e) {}
  if (!r.ok) throw new Error(j.error || ('HTTP ' + r.status));
  return j;
}
function show(item) {
  current = item;
  $('edit-box').classList.add('hidden');
  if (!item) { $('cluster-card').classList.add('hidden'); $('item').classList.add('hidden'); $('empty').classList.remove('hidden'); $('empty').textContent = 'The queue is empty for you. Press n to check again.'; document.body.dataset.itemId = ''; return; }
  $('empty').classList.add('hidden'); $('item').classList.remove('hidden');
  document.body.dataset.itemId = item.id;
  $('item-id').textContent = item.id; $('problem-id').textContent = item.problem_id;
  $('reason').textContent = item.reason; $('status').textContent = item.status;
  $('lease').textContent = item.lease_expires ? new Date(item.lease_expires * 1000).toLocaleTimeString() : '-';
  const s = item.snapshot || {}, ev = item.evidence || {};
  renderMath($('q-render'), s.question); $('q-src').textContent = s.question || '';
  $('choices').innerHTML = (s.choices && s.choices.length) ? '<h4>Choices</h4><ol type="A">' + s.choices.map(c => '<li>' + esc(c) + '</li>').join('') + '</ol>' : '';
  renderAnswer('ref', s.answer);
  renderAnswer('maj', ev.majority_answer);
  $('maj-meta').textContent = ev.majority_answer !== undefined ? ('share ' + (ev.majority_share ?? '?') + ' · model ' + (ev.majority_model ?? '?') + ' · pass rate ' + (ev.pass_rate ?? '?')) : 'no model answers recorded';
  let h = '';
  if (ev.models) h += '<table><tr><th>model</th><th>k</th><th>correct</th><th>pass rate</th><th>majority</th><th>share</th><th>unparseable</th><th>status</th></tr>' + ev.models.map(d => '<tr><td>' + [d.model, d.k, d.correct, d.pass_rate, d.majority_answer, d.majority_share, d.unparseable, d.status].map(esc).join('</td><td>') + '</td></tr>').join('') + '</table>';
  // the flagging stages' details as readable tables (members and samples have their own cards;
  // the raw JSON stays one click away below)
  for (const key of ['duplicates', 'mcq']) if (ev[key]) h += '<h4>' + key + '</h4><table class="kv">' + kvRows(ev[key]) + '</table>';
  for (const key of ['contaminated_by', 'clean_flags']) if (ev[key]) h += '<div>' + key + ': ' + esc(ev[key].join(', ')) + '</div>';
  $('evidence').innerHTML = h;
  $('evidence-kv').innerHTML = kvRows(Object.assign({}, ev, ev.stage || {})) || '<tr><td>(no evidence beyond the reason)</td></tr>';
  if (s.solution) { $('solution-card').classList.remove('hidden'); renderMath($('sol-render'), s.solution); $('sol-src').textContent = s.solution; }
  else $('solution-card').classList.add('hidden');
  showMembers(ev); showCluster(item); showSamples(ev);
  $('evidence-json').textContent = JSON.stringify(ev, null, 2);
  $('snapshot-json').textContent = JSON.stringify(s, null, 2);
}
async function refreshStats() {
  try {
    const st = await api('/api/stats'), b = st.by_status || {};
    $('stats').textContent = 'open ' + st.open + ' · decided/h ' + st.decisions_per_hour.toFixed(1);
    const decided = (b.accepted || 0) + (b.edited || 0) + (b.rejected || 0) + (b.duplicate || 0);
    const total = decided + st.open;
    $('position').textContent = current ? ('item ' + Math.min(decided + 1, total) + ' of ' + total) : (decided + ' of ' + total + ' decided');
    const sel = $('f-reason'), have = new Set([...sel.options].map(o => o.value));
    for (const r of Object.keys(st.depth_by_reason || {})) if (!have.has(r)) { const o = document.createElement('option'); o.value = r; o.textContent = r; sel.appendChild(o); }
  } catch (e) {}
}
async function undo() {
  try { const j = await api('/api/undo', {reviewer: $('reviewer').value.trim()}); show(j.item); msg('undone: item ' + j.item.id + ' is yours again', 'ok'); }
  catch (e) { msg(e.message, 'err'); }
  refreshStats();
}
async function showList() {
  const box = $('list');
  if (!box.classList.contains('hidden')) { box.classList.add('hidden'); return; }
  box.classList.remove('hidden'); await loadList();
}
async function loadList() {
  const q = new URLSearchParams({status: $('f-status').value, reason: $('f-reason').value, source: $('f-source').value.trim()});
  try {
    const j = await api('/api/items?' + q.toString());
    $('list-table').innerHTML = '<tr><th>id</th><th>status</th><th>reason</th><th>source</th><th>question</th><th>answer</th><th>by</th></tr>' +
      j.items.map(it => '<tr data-id="' + esc(it.id) + '"><td>' + [it.id, it.status, it.reason, it.source, it.question, it.answer, it.decided_by || it.lease_owner || ''].map(esc).join('</td><td>') + '</td></tr>').join('');
    for (const tr of $('list-table').querySelectorAll('tr[data-id]')) tr.onclick = () => openItem(Number(tr.dataset.id));
    document.body.dataset.listRows = String(j.items.length);
  } catch (e) { msg(e.message, 'err'); }
}
async function openItem(id) {
  try { const j = await api('/api/claim', {item_id: id, reviewer: $('reviewer').value.trim()}); show(j.item); $('list').classList.add('hidden'); msg('claimed item ' + id, 'ok'); }
  catch (e) { msg(e.message, 'err'); }
  refreshStats();
}
async function saveName() {
  const name = $('reviewer').value.trim();
  if (!name) { msg('enter your name', 'err'); return; }
  try { await api('/api/reviewer', {name}); msg('reviewer set to ' + name, 'ok'); } catch (e) { msg(e.message, 'err'); }
}
async function next() {
  try { const j = await api('/api/next', {reviewer: $('reviewer').value.trim()}); show(j.item); msg(j.item ? 'claimed item ' + j.item.id : 'nothing to review', 'ok'); }
  catch (e) { msg(e.message, 'err'); }
  refreshStats();
}
async function decide(decision, extra) {
  if (!current) { msg('claim an item first (n)', 'err'); return; }
  try {
    await api('/api/decide', Object.assign({item_id: current.id, decision, reviewer: $('reviewer').value.trim(), note: $('note').value || null}, extra || {}));
    msg(decision + ': item ' + current.id, 'ok'); document.body.dataset.lastDecision = decision + ':' + current.id;
    $('note').value = ''; show(null); await next();
  } catch (e) { msg(e.message, 'err'); }
}
function startEdit() {
  if (!current) { msg('claim an item first (n)', 'err'); return; }
  $('edit-q').value = current.snapshot.question || ''; $('edit-a').value = current.snapshot.answer || '';
  $('edit-box').classList.remove('hidden'); $('edit-a').focus();
}
function saveEdit() {
  const q = $('edit-q').value, a = $('edit-a').value, s = current.snapshot;
  decide('edited', {question: q !== (s.question || '') ? q : null, answer: a !== (s.answer || '') ? a : null});
}
$('save-name').onclick = saveName; $('b-next').onclick = next;
$('b-accept').onclick = () => decide('accepted'); $('b-reject').onclick = () => decide('rejected');
$('b-skip').onclick = () => decide('skipped'); $('b-edit').onclick = startEdit;
$('b-undo').onclick = undo;
$('b-notdup').onclick = () => decideCluster('not_duplicates'); $('b-dropall').onclick = () => decideCluster('drop_all'); $('b-list').onclick = showList; $('f-apply').onclick = loadList;
$('b-save').onclick = saveEdit; $('b-cancel').onclick = () => $('edit-box').classList.add('hidden');
$('reviewer').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') saveName(); });
document.addEventListener('keydown', (ev) => {
  const typing = ['INPUT', 'TEXTAREA'].includes(document.activeElement?.tagName);
  if (typing) {
    if (ev.key === 'Escape') { document.activeElement.blur(); $('edit-box').classList.add('hidden'); }
    if (ev.key === 'Enter' && ev.ctrlKey && !$('edit-box').classList.contains('hidden')) saveEdit();
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const k = ev.key.toLowerCase();
  if (current && current.cluster) {  // a conflicting cluster is decided as a whole
    if (/^[1-9]$/.test(k) && current.cluster[Number(k) - 1]) { decideCluster('keep_one', current.cluster[Number(k) - 1].item_id); return; }
    if (k === 'd') { decideCluster('not_duplicates'); return; }
    if (k === 'x') { decideCluster('drop_all'); return; }
    if (['a', 'e', 'r'].includes(k)) { msg('this item is one member of a cluster: keep one (1-9), not duplicates (d) or drop all (x)', 'err'); return; }
  }
  if (k === 'n') next(); else if (k === 'a') decide('accepted'); else if (k === 'r') decide('rejected');
  else if (k === 's') decide('skipped'); else if (k === 'e') { ev.preventDefault(); startEdit(); }
  else if (k === 'u') undo(); else if (k === 'l') showList();
});
document.body.dataset.ready = '1';
refreshStats();
</script>
</body></html>
"""
