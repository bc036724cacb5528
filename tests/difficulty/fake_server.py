"""A scripted OpenAI-compatible chat-completions server on loopback (stdlib asyncio only).

Used by the difficulty tests and by `benchmarks/sampling.py` (which loads this file by path or
runs it as a script in a subprocess). It speaks just enough HTTP/1.1 (keep-alive, Content-Length
bodies) for httpx/openai.

Behaviour is scripted per question (the last user message is matched against `Script.match`,
a substring): the answers to give (cycled over choices/hits), faults to inject on the first hits
("429", "429:SECONDS" with Retry-After, "500", "503", "400", "401", "404", "hang", "malformed", "truncated", "empty_choices",
"null_content"),
the most choices to return whatever `n` asks for, and a latency. Server-wide switches:
`supports_n` (False: always one choice), `fail_after` (after that many successful responses every
request gets a 500), `latency` (asyncio sleep per request, unlimited parallelism).

Every request is recorded in `hits` (question, n, seed, what was done) so tests can count them;
`GET /stats` returns {"hits", "ok"} (for a server running in another process).

    with FakeServer(scripts=[Script("2+2", answers=["\\\\boxed{4}"])]) as srv:
        client = AsyncOpenAI(base_url=srv.base_url, api_key="x")
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Script:
    """What to do for questions containing `match`."""

    match: str
    answers: list[str] = field(default_factory=lambda: ["The answer is \\boxed{0}."])
    faults: list[str] = field(default_factory=list)  # consumed one per hit, then normal answers
    max_choices: int | None = None
    latency: float | None = None
    finish_reason: str = "stop"
    # internal state
    hits: int = 0


@dataclass
class Hit:
    question: str
    n: int
    seed: int | None
    action: str
    auth: str | None = None


class FakeServer:
    """Run the scripted server in a background thread (own event loop) on 127.0.0.1:free port."""

    def __init__(
        self,
        scripts: list[Script] | None = None,
        *,
        default_answer: str = "I think the answer is \\boxed{42}.",
        supports_n: bool = True,
        fail_after: int | None = None,
        latency: float = 0.0,
        hang_seconds: float = 30.0,
        usage_per_request_only: bool = False,
        port: int = 0,
    ):
        self.scripts = list(scripts or [])
        self.default_answer = default_answer
        self.supports_n = supports_n
        self.fail_after = fail_after
        self.latency = latency
        self.hang_seconds = hang_seconds
        self.usage_per_request_only = usage_per_request_only
        self.port = port
        self.hits: list[Hit] = []
        self.ok_responses = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "FakeServer":
        self._thread = threading.Thread(target=self._run, name="fake-openai", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=2048)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    async def serve_forever(self) -> None:
        """Serve in the current event loop (used when run as a script)."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]
        print(self.base_url, flush=True)
        async with self._server:
            await self._server.serve_forever()

    # -- counting ------------------------------------------------------------------------------
    def count(self, match: str | None = None, action: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for h in self.hits
                if (match is None or match in h.question) and (action is None or h.action == action)
            )

    def reset_hits(self) -> None:
        with self._lock:
            self.hits.clear()

    # -- HTTP ----------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, path, _ = line.decode("latin-1").split(" ", 2)
                headers = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0") or 0)
                body = await reader.readexactly(length) if length else b""
                keep = await self._respond(method, path, headers, body, writer)
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    @staticmethod
    def _send(writer, status: int, body: bytes, *, content_length: int | None = None, reason: str = "OK",
              extra_headers: str = "") -> None:
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{extra_headers}"
            f"Content-Length: {len(body) if content_length is None else content_length}\r\n"
            "Connection: keep-alive\r\n\r\n"
        )
        writer.write(head.encode("latin-1") + body)

    async def _respond(self, method, path, headers, body, writer) -> bool:
        if method == "GET":
            if path.startswith("/stats"):
                with self._lock:
                    data = {"hits": len(self.hits), "ok": self.ok_responses}
                self._send(writer, 200, json.dumps(data).encode())
                await writer.drain()
                return True
            self._send(writer, 200, json.dumps({"object": "list", "data": []}).encode())
            await writer.drain()
            return True
        try:
            payload = json.loads(body or b"{}")
        except json.JSONDecodeError:
            self._send(writer, 400, b'{"error": {"message": "bad json"}}', reason="Bad Request")
            await writer.drain()
            return True
        messages = payload.get("messages") or []
        question = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        n = int(payload.get("n") or 1)
        seed = payload.get("seed")
        script = next((s for s in self.scripts if s.match in question), None)
        with self._lock:
            fault = None
            if script is not None:
                script.hits += 1
                if script.faults:
                    fault = script.faults.pop(0)
            if fault is None and self.fail_after is not None and self.ok_responses >= self.fail_after:
                fault = "500"
            if fault is None:
                self.ok_responses += 1
            self.hits.append(Hit(question, n, seed, fault or "ok", headers.get("authorization")))
        latency = script.latency if script is not None and script.latency is not None else self.latency
        if latency:
            await asyncio.sleep(latency)
        if fault in ("429", "500", "503", "400", "401", "404") or (fault or "").startswith("429:"):
            status = int(fault.split(":")[0])
            msg = json.dumps({"error": {"message": f"scripted {fault}", "type": "scripted"}}).encode()
            extra = f"Retry-After: {fault.split(':')[1]}\r\n" if ":" in fault else ""
            self._send(writer, status, msg, reason="Error", extra_headers=extra)
            await writer.drain()
            return True
        if fault == "hang":
            await asyncio.sleep(self.hang_seconds)
            return False
        if fault == "malformed":
            self._send(writer, 200, b'{"id": "x", "choices": [ {"index": 0, "message": ')
            await writer.drain()
            return True
        if fault == "truncated":
            data = self._completion(payload, script, n, seed)
            self._send(writer, 200, data[: len(data) // 2], content_length=len(data))
            await writer.drain()
            return False  # close mid-body
        data = self._completion(payload, script, n, seed, fault=fault)
        self._send(writer, 200, data)
        await writer.drain()
        return True

    def _completion(self, payload, script, n, seed, fault=None) -> bytes:
        answers = script.answers if script is not None else [self.default_answer]
        count = n if self.supports_n else 1
        if script is not None and script.max_choices is not None:
            count = min(count, script.max_choices)
        offset = (seed or 0) if n == 1 else 0
        choices = []
        for i in range(count):
            text = answers[(offset + i) % len(answers)]
            choices.append(
                {
                    "index": i,
                    "message": {"role": "assistant", "content": None if fault == "null_content" else text},
                    "finish_reason": script.finish_reason if script is not None else "stop",
                }
            )
        if fault == "empty_choices":
            choices = []
        completion = 12 if self.usage_per_request_only else 12 * max(1, count)
        return json.dumps(
            {
                "id": f"chatcmpl-{time.monotonic_ns()}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": payload.get("model", "fake"),
                "choices": choices,
                "usage": {"prompt_tokens": 30, "completion_tokens": completion, "total_tokens": 30 + completion},
            }
        ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description="Scripted OpenAI-compatible loopback server.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="Seconds of asyncio sleep per request.")
    parser.add_argument("--no-n", action="store_true", help="Return one choice whatever n asks for.")
    args = parser.parse_args()
    server = FakeServer(latency=args.latency, supports_n=not args.no_n, port=args.port)
    asyncio.run(server.serve_forever())


if __name__ == "__main__":
    main()
