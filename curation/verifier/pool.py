"""Process-pool batch judging: `judge_in_pool(pairs, ...)` over N spawned workers.

Workers are *spawned* (not forked) so the pool is safe to start from any thread; each worker keeps
its own `Verifier` (and reference cache). Pairs are sent in contiguous chunks so one reference
with k samples usually lands in one worker.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from curation.verifier.compare import Verifier

_worker_verifier = None


def _init(timeout: float) -> None:
    global _worker_verifier
    _worker_verifier = Verifier(timeout=timeout)


def _run(chunk: list[tuple[str, str]], responses: bool):
    v = _worker_verifier
    return v.judge_many(chunk, responses=responses)


def judge_in_pool(pairs: list[tuple[str, str]], *, responses: bool, processes: int, timeout: float):
    """`Verifier(timeout).judge_many(pairs, responses=)` spread over `processes` workers, in order."""
    pairs = list(pairs)
    if processes <= 1 or len(pairs) <= 1:
        return Verifier(timeout=timeout).judge_many(pairs, responses=responses)
    n = len(pairs)
    size = max(1, min(500, -(-n // (processes * 4))))
    chunks = [pairs[i : i + size] for i in range(0, n, size)]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx, initializer=_init, initargs=(timeout,)) as ex:
        out = []
        for part in ex.map(_run, chunks, [responses] * len(chunks)):
            out.extend(part)
    return out
