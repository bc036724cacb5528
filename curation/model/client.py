"""Async sampling from any OpenAI-compatible chat-completions endpoint, with observable retries.

- The `openai` client's own retries are disabled (`max_retries=0`); `SamplingClient` retries 429,
  5xx, timeouts, connection errors and malformed/truncated bodies itself, with exponential backoff
  and full jitter, and counts every attempt in `ClientStats`.
- `n=k` is asked for in one request. When an endpoint returns fewer choices than asked for (or
  refuses `n>1` with a 400), the missing indexes are fetched with single requests and the endpoint
  is remembered (per base_url + model, process-wide) as "no n", so later items go straight to
  single requests.
- Single requests for sample index i use seed `seed + i`, so a deterministic server still gives k
  different samples; an n-request uses `seed + first index`.
- Usage: recorded per *request*. Some servers (llama.cpp among them) count `usage` for one choice
  only on an n>1 request; we store what the server said, on the request row, and never multiply.
- Concurrency: one `asyncio.Semaphore` slot per HTTP attempt in flight (backoff sleeps hold none);
  a 429's Retry-After (seconds) is honoured, capped at backoff_max.
- Requests use the client's documented raw-request path (`client.post(..., cast_to=Response)`:
  the client's auth, base_url, timeout and error mapping) and read the JSON directly; building the
  pydantic response models doubled the CPU per request, which capped throughput.
- The API key is read from the environment variable *named* in the settings and is passed to the
  client only; it never appears in a log line, an error message, the store or an artifact.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

from curation.errors import ModelEndpointError

log = logging.getLogger("curation.model")

DUMMY_KEY = "EMPTY"

# (base_url, model) -> False when the endpoint was seen returning fewer choices than n
_N_SUPPORT: dict[tuple[str, str], bool] = {}


def redact_url(url: str | None) -> str | None:
    """The URL without user:password@ (safe to log and store)."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def resolve_api_key(api_key_env: str | None) -> str:
    """The key from the environment variable named `api_key_env`; "EMPTY" when none is named."""
    if not api_key_env:
        return DUMMY_KEY
    value = os.environ.get(api_key_env)
    if not value:
        raise ModelEndpointError(f"environment variable {api_key_env} (model.api_key_env) is not set or empty")
    return value


@dataclass(frozen=True)
class SamplingParams:
    """Everything besides the prompt that changes a sample (part of the cache key)."""

    model: str
    temperature: float
    top_p: float
    max_tokens: int
    seed: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }


@dataclass
class Sample:
    """One completion (or one failed attempt to get it) for one sample index."""

    index: int
    text: str | None
    finish_reason: str | None = None
    latency_ms: float = 0.0
    request_n: int = 1
    error: str | None = None
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


@dataclass
class RequestRecord:
    """One HTTP attempt, as stored in the `requests` table."""

    n: int
    returned: int
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float
    status: str  # ok | error
    error: str | None = None
    attempt: int = 0
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class ClientStats:
    requests: int = 0
    ok: int = 0
    retries: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    samples: int = 0
    failed_samples: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallbacks: int = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class _Retryable(Exception):
    def __init__(self, kind: str, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


class _NoN(Exception):
    pass


class _Fatal(Exception):
    def __init__(self, kind: str, message: str, status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status


class SamplingClient:
    """Draw samples for chat prompts from one endpoint.

    `on_request(RequestRecord)` is called after every HTTP attempt (for the store's request log).
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        params: SamplingParams,
        concurrency: int = 16,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        on_request=None,
    ):
        import openai

        self.base_url = base_url
        self.params = params
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.timeout = timeout
        self.on_request = on_request
        self.stats = ClientStats()
        self._sem = asyncio.Semaphore(max(1, concurrency))
        # one connection pool per 16 connections: httpcore's pool bookkeeping grows with the number
        # of connections x waiting requests, so a few small pools cost less CPU than one big one
        limits_cls = type(openai.DEFAULT_CONNECTION_LIMITS)
        shards = max(1, -(-concurrency // 16))
        per_shard = -(-max(1, concurrency) // shards)
        self._clients = [
            openai.AsyncOpenAI(
                base_url=base_url,
                api_key=api_key,
                max_retries=0,
                timeout=timeout,
                http_client=openai.DefaultAsyncHttpxClient(
                    limits=limits_cls(max_connections=max(1, concurrency), max_keepalive_connections=per_shard + 4),
                    timeout=timeout,
                ),
            )
            for _ in range(shards)
        ]
        self._next = 0
        self._endpoint = (redact_url(base_url) or "", params.model)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.close()

    @property
    def supports_n(self) -> bool:
        return _N_SUPPORT.get(self._endpoint, True)

    # -- public --------------------------------------------------------------------------------
    async def sample(
        self, messages: list[dict], indexes: list[int], *, on_received: Callable[[list[Sample]], None] | None = None
    ) -> list[Sample]:
        """Samples for the given indexes (a failed one carries `error`); never raises for faults.

        `on_received(samples)` is called with the samples of each response the moment it arrives
        (before the other indexes are back), so a caller can persist them at once: with one request
        per sample (servers that ignore `n`), an interruption then loses nothing already received.
        Raises ModelEndpointError only for errors no retry can fix (401/403/404).
        """
        if not indexes:
            return []
        out: dict[int, Sample] = {}

        def received(got: list[Sample]) -> None:
            for s in got:
                out[s.index] = s
            ok = [s for s in got if s.ok]
            if on_received is not None and ok:
                on_received(ok)

        if len(indexes) > 1 and self.supports_n:
            got, err, returned = await self._request(messages, indexes)
            received(got)
            missing = [i for i in indexes if i not in out]
            if missing and err is None and returned < len(indexes) and self.supports_n:
                # fewer choices than n: remember, fetch the rest one by one
                _N_SUPPORT[self._endpoint] = False
                self.stats.fallbacks += 1
                log.info(
                    "endpoint %s returned %d of %d choices; using single requests from now on",
                    self._endpoint[0], returned, len(indexes),
                )
            elif missing and err is not None:
                for i in missing:
                    out[i] = Sample(index=i, text=None, error=err, request_n=len(indexes))
                missing = []
        else:
            missing = list(indexes)
        if missing:

            async def single(i: int) -> None:
                got, err, _ = await self._request(messages, [i])
                if got:
                    received(got[:1])
                else:
                    out[i] = Sample(index=i, text=None, error=err or "no choice returned", request_n=1)

            await asyncio.gather(*(single(i) for i in missing))
        samples = [out[i] for i in indexes]
        for s in samples:
            if s.ok:
                self.stats.samples += 1
            else:
                self.stats.failed_samples += 1
        return samples

    # -- internals -----------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_max, self.backoff_base * (2**attempt)))

    async def _request(self, messages: list[dict], indexes: list[int]) -> tuple[list[Sample], str | None, int]:
        """One logical request (with retries): (samples with a text, error of last attempt, choices returned)."""
        n = len(indexes)
        seed = None if self.params.seed is None else self.params.seed + indexes[0]
        last_error = None
        retry_after = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.stats.retries += 1
                delay = self._backoff(attempt - 1)
                if retry_after is not None:  # the server's Retry-After wins, capped at backoff_max
                    delay = max(delay, min(retry_after, self.backoff_max))
                await asyncio.sleep(delay)
            try:
                result = await self._attempt(messages, n, seed, attempt)
                return self._choices(result, indexes), None, len(result[0])
            except _NoN:
                return [], None, 0
            except _Retryable as exc:
                retry_after = exc.retry_after
                last_error = f"{exc.kind}: {exc}"
                self.stats.error(exc.kind)
                log.debug("retryable %s (attempt %d/%d)", last_error, attempt + 1, self.max_retries + 1)
            except _Fatal as exc:
                self.stats.error(exc.kind)
                if exc.status in (401, 403, 404):
                    raise ModelEndpointError(f"{self._endpoint[0]}: {exc} (model {self.params.model!r})") from None
                if exc.kind == "bad_request" and n > 1:
                    # e.g. llama.cpp refuses n larger than its parallel slots: fall back to singles
                    _N_SUPPORT[self._endpoint] = False
                    self.stats.fallbacks += 1
                    return [], None, 0
                return [], f"{exc.kind}: {exc}", 0
        return [], last_error, 0

    async def _attempt(self, messages: list[dict], n: int, seed: int | None, attempt: int):
        import openai

        body: dict[str, Any] = {
            "model": self.params.model,
            "messages": messages,
            "temperature": self.params.temperature,
            "top_p": self.params.top_p,
            "max_tokens": self.params.max_tokens,
        }
        if n > 1:
            body["n"] = n
        if seed is not None:
            body["seed"] = seed
        async with self._sem:
            client = self._clients[self._next % len(self._clients)]
            self._next += 1
            if n > 1 and not self.supports_n:
                raise _NoN()  # learned while this request waited for a slot: go single
            start = time.perf_counter()
            self.stats.requests += 1
            record = RequestRecord(n=n, returned=0, prompt_tokens=None, completion_tokens=None, latency_ms=0.0,
                                   status="error", attempt=attempt)
            try:
                try:
                    # the client's documented raw-request path (auth, base_url, timeout and error
                    # mapping included), without building pydantic models: ~2x less CPU per request
                    http_response = await client.post("/chat/completions", body=body, cast_to=_response_class())
                    data = json.loads(http_response.content)
                except openai.RateLimitError as exc:
                    raise _Retryable("429", _status_message(exc), _retry_after(exc)) from None
                except openai.APITimeoutError:
                    raise _Retryable("timeout", f"no response within {self.timeout:g}s") from None
                except openai.APIConnectionError as exc:
                    raise _Retryable("connection", _cause(exc)) from None
                except openai.APIStatusError as exc:
                    if exc.status_code >= 500 or exc.status_code in (408, 409):
                        raise _Retryable(str(exc.status_code), _status_message(exc)) from None
                    kind = "bad_request" if exc.status_code in (400, 422) else str(exc.status_code)
                    raise _Fatal(kind, _status_message(exc), exc.status_code) from None
                except (ValueError, TypeError, UnicodeDecodeError, openai.APIResponseValidationError) as exc:
                    raise _Retryable("malformed", f"unreadable response body ({type(exc).__name__})") from None
                except openai.OpenAIError as exc:
                    raise _Retryable("other", f"{type(exc).__name__}") from None
                choices = data.get("choices") if isinstance(data, dict) else None
                if not isinstance(choices, list) or not choices:
                    raise _Retryable("malformed", "response is not a chat completion with choices")
                record.status = "ok"
                record.returned = len(choices)
                usage = data.get("usage")
                if isinstance(usage, dict):
                    record.prompt_tokens = _int_or_none(usage.get("prompt_tokens"))
                    record.completion_tokens = _int_or_none(usage.get("completion_tokens"))
                    self.stats.prompt_tokens += record.prompt_tokens or 0
                    self.stats.completion_tokens += record.completion_tokens or 0
                self.stats.ok += 1
                return choices, (time.perf_counter() - start) * 1000.0, n, record.id
            except (_Retryable, _Fatal) as exc:
                record.error = f"{exc.kind}: {exc}"
                raise
            finally:
                record.latency_ms = (time.perf_counter() - start) * 1000.0
                if self.on_request is not None:
                    self.on_request(record)

    @staticmethod
    def _choices(result, indexes: list[int]) -> list[Sample]:
        choices, latency_ms, n, request_id = result
        out = []
        seen = set()
        for pos, choice in enumerate(choices):
            if not isinstance(choice, dict):
                continue
            idx = choice.get("index")
            if not isinstance(idx, int) or idx in seen or not 0 <= idx < len(indexes):
                idx = pos
            if idx in seen or idx >= len(indexes):
                continue
            message = choice.get("message")
            text = message.get("content") if isinstance(message, dict) else None
            if not isinstance(text, str):
                continue  # a choice without text is a missing sample
            seen.add(idx)
            finish = choice.get("finish_reason")
            out.append(
                Sample(
                    index=indexes[idx],
                    text=text,
                    finish_reason=finish if isinstance(finish, str) else None,
                    latency_ms=latency_ms,
                    request_n=n,
                    request_id=request_id,
                )
            )
        return out


def _response_class():
    """The raw HTTP response class the openai client returns for `cast_to` (httpx2 in openai 3.x)."""
    try:
        import httpx2

        return httpx2.Response
    except ImportError:  # pragma: no cover - older openai releases use httpx
        import httpx

        return httpx.Response


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _status_message(exc) -> str:
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    msg = None
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else str(err)
    text = f"HTTP {status}" + (f": {str(msg)[:200]}" if msg else "")
    return text


def _retry_after(exc) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _cause(exc) -> str:
    cause = exc.__cause__ or exc.__context__
    return type(cause).__name__ if cause is not None else type(exc).__name__
