"""The difficulty stage: sample k answers per item, score them, drop easy items, flag disputes.

`grade_difficulty(df, *, settings, store_url, progress=None) -> (df, evidence)`

Input columns: id, question, answer, drop_reason, review_reason, difficulty, difficulty_label.
Output columns (updated): difficulty (one DifficultyResult per model; a rerun with the same model
replaces its earlier result), difficulty_label, drop_reason ("too_easy", only where null),
review_reason ("disputed_reference" / "unparseable_reference", only where null).
Evidence: `{id: {...}}` for disputed / unparseable-reference items (see `scoring._evidence`), ready
for `curation.review.queue_items(df, queue, evidence=evidence)`.

Rows that already have a drop_reason (or no question) are skipped: no model calls are spent on
items that will be dropped anyway; with `sample_limit` only the first N remaining rows are graded.
Rows with the same rendered prompt share their samples (one set of requests).

Samples come from the response store first; only missing (prompt, index) pairs are requested, and
each one is persisted as it arrives, so an interrupted run resumes where it stopped and a rerun
with the same settings makes zero requests (and does not even start the embedded server).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import polars as pl

from curation.model.client import SamplingClient, SamplingParams, redact_url, resolve_api_key
from curation.model.embedded import DEMO_WARNING, EMBEDDED_MODEL, EmbeddedServer, embedded_layout
from curation.difficulty.scoring import ItemScore, score_item
from curation.model.store import ResponseStore, key_from_prompt_hash, prompt_hash
from curation.errors import ConfigError, ModelEndpointError, UnscoredError

log = logging.getLogger("curation.difficulty")

Progress = Callable[[int, int, dict], None]


def render_messages(settings, question: str) -> list[dict]:
    """The chat messages for one question (system prompt + user template with `{question}`)."""
    try:
        user = settings.user_prompt.format(question=question)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"difficulty.user_prompt: bad template ({exc}); use {{question}} and double literal braces ({{{{}}}})"
        ) from None
    messages = []
    if settings.system_prompt:
        messages.append({"role": "system", "content": settings.system_prompt})
    messages.append({"role": "user", "content": user})
    return messages


def sampling_params(settings) -> dict[str, Any]:
    return {
        "temperature": settings.temperature,
        "top_p": settings.top_p,
        "max_tokens": settings.max_tokens,
        "seed": settings.seed,
    }


@dataclass
class _Prompt:
    phash: str
    messages: list[dict]
    texts: list[str | None]
    rows: list[int] = field(default_factory=list)
    error: str | None = None


def _run_sync(factory):
    """Run a coroutine to completion from sync code, with or without a loop in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    # called from inside a running loop (notebook, async task): use a fresh loop in a worker thread
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="curate-difficulty") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


def grade_difficulty(
    df: pl.DataFrame,
    *,
    settings,
    store_url: str,
    progress: Progress | None = None,
) -> tuple[pl.DataFrame, dict[str, dict]]:
    """Grade every eligible row with k samples of `settings.model`; see the module docstring.

    `progress(done_items, total_items, info)` is called as items finish; info has requests,
    cache_hits, samples, failed_samples, retries, errors, elapsed (seconds), embedded (bool).
    Safe to call from any thread (with or without an event loop) and from Prefect tasks.
    """
    return _run_sync(lambda: grade_difficulty_async(df, settings=settings, store_url=store_url, progress=progress))


async def grade_difficulty_async(
    df: pl.DataFrame,
    *,
    settings,
    store_url: str,
    progress: Progress | None = None,
) -> tuple[pl.DataFrame, dict[str, dict]]:
    """The async engine behind `grade_difficulty` (same contract)."""
    from schemas.problem import conform, polars_schema

    if settings.k < 1:
        raise ConfigError("difficulty.k: must be at least 1")
    df = conform(df)
    k = settings.k
    embedded = not settings.model.base_url
    model = settings.model.model
    if embedded and model != EMBEDDED_MODEL:
        log.warning("no base_url: the embedded server serves %s, not %r", EMBEDDED_MODEL, model)
        model = EMBEDDED_MODEL
    params = sampling_params(settings)
    key_params = {**params}

    # -- which rows, which prompts --------------------------------------------------------------
    questions = df["question"].to_list()
    drops = df["drop_reason"].to_list()
    eligible = [i for i, (q, d) in enumerate(zip(questions, drops)) if d is None and q is not None and str(q).strip()]
    if settings.sample_limit is not None:
        eligible = eligible[: max(0, settings.sample_limit)]
    prompts: dict[str, _Prompt] = {}
    row_prompt: dict[int, str] = {}
    for i in eligible:
        messages = render_messages(settings, questions[i])
        ph = prompt_hash(model, messages, key_params)
        p = prompts.get(ph)
        if p is None:
            p = prompts[ph] = _Prompt(ph, messages, [None] * k)
        p.rows.append(i)
        row_prompt[i] = ph

    store = ResponseStore(store_url)
    keys = {(ph, j): key_from_prompt_hash(ph, j) for ph in prompts for j in range(k)}
    cached = await asyncio.to_thread(store.lookup, keys.values())
    for (ph, j), key in keys.items():
        hit = cached.get(key)
        if hit is not None and hit["text"] is not None:
            prompts[ph].texts[j] = hit["text"]
    cache_hits = sum(1 for p in prompts.values() for t in p.texts if t is not None)
    todo = [p for p in prompts.values() if any(t is None for t in p.texts)]
    total = len(prompts)
    samples_needed = total * k
    log.info(
        "difficulty: %d rows eligible (%d skipped), %d prompts, k=%d: %d samples cached, %d to request",
        len(eligible), df.height - len(eligible), total, k, cache_hits, samples_needed - cache_hits,
    )

    started = time.perf_counter()
    info: dict[str, Any] = {
        "requests": 0, "cache_hits": cache_hits, "samples": 0, "failed_samples": 0, "retries": 0,
        "errors": {}, "elapsed": 0.0, "embedded": embedded and bool(todo), "to_request": samples_needed - cache_hits,
    }
    done = total - len(todo)
    if progress is not None:
        progress(done, total, dict(info))

    server: EmbeddedServer | None = None
    client: SamplingClient | None = None
    run_id: str | None = None
    status = "failed"
    try:
        if total and not todo:
            run_id = store.begin_run(endpoint=redact_url(settings.model.base_url), model=model, params=key_params,
                                     items=total, samples_needed=samples_needed, cache_hits=cache_hits)
        if todo:
            concurrency = settings.model.concurrency
            if embedded:
                log.warning(DEMO_WARNING)
                parallel, ctx, concurrency = embedded_layout(k, settings.max_tokens, concurrency)
                server = EmbeddedServer(parallel=parallel, ctx_per_slot=ctx)
                await asyncio.to_thread(server.start)
                base_url, api_key = server.base_url, "EMPTY"
            else:
                base_url, api_key = settings.model.base_url, resolve_api_key(settings.model.api_key_env)
            endpoint = redact_url(base_url)
            run_id = store.begin_run(endpoint=endpoint, model=model, params=key_params, items=total,
                                     samples_needed=samples_needed, cache_hits=cache_hits)
            store.start()

            def on_request(rec) -> None:
                store.put_request({
                    "id": rec.id, "run_id": run_id, "endpoint": endpoint, "model": model, "n": rec.n,
                    "returned": rec.returned, "prompt_tokens": rec.prompt_tokens,
                    "completion_tokens": rec.completion_tokens, "latency_ms": rec.latency_ms,
                    "status": rec.status, "error": rec.error, "attempt": rec.attempt,
                })

            client = SamplingClient(
                base_url=base_url,
                api_key=api_key,
                params=SamplingParams(model=model, **params),
                concurrency=concurrency,
                timeout=settings.model.request_timeout,
                max_retries=settings.model.max_retries,
                backoff_base=settings.model.backoff_base,
                backoff_max=settings.model.backoff_max,
                on_request=on_request,
            )
            params_json = _json(key_params)
            pending = iter(todo)
            started = time.perf_counter()  # requests start now (after imports and server start)

            async def handle(p: _Prompt) -> None:
                nonlocal done
                missing = [j for j, t in enumerate(p.texts) if t is None]

                def persist(samples) -> None:
                    # queued for the store the moment a response arrives (not when all k are in);
                    # the writer commits whatever has accumulated, so a kill loses at most the
                    # commit in progress
                    rows = []
                    for s in samples:
                        p.texts[s.index] = s.text
                        rows.append({
                            "key": keys[(p.phash, s.index)], "model": model, "prompt_hash": p.phash,
                            "sample_index": s.index, "params": params_json, "text": s.text,
                            "finish_reason": s.finish_reason, "latency_ms": s.latency_ms,
                            "request_n": s.request_n, "request_id": s.request_id, "run_id": run_id,
                        })
                    store.put_samples(rows)

                for s in await client.sample(p.messages, missing, on_received=persist):
                    if not s.ok:
                        p.error = s.error
                done += 1
                if progress is not None:
                    st = client.stats
                    info.update(requests=st.requests, samples=st.samples, failed_samples=st.failed_samples,
                                retries=st.retries, errors=dict(st.errors), elapsed=time.perf_counter() - started)
                    progress(done, total, dict(info))

            async def worker() -> None:
                for p in pending:  # shared iterator: each prompt is taken by exactly one worker
                    await handle(p)

            # pre-flight: the first prompt goes alone (its samples count, no call is wasted); an
            # endpoint that nobody answers stops the stage here, with one line, not after every
            # item has run through its retries and come back unscored
            first = next(pending)
            await handle(first)
            st = client.stats
            if st.ok == 0 and st.errors and set(st.errors) <= {"connection"}:
                raise ModelEndpointError(
                    f"difficulty: no connection to {endpoint} ({first.error}); "
                    "is the server up and model.base_url right?"
                )
            workers = max(1, min(len(todo) - 1, concurrency + 4))
            await asyncio.gather(*(worker() for _ in range(workers)))
        status = "done"
    except (asyncio.CancelledError, KeyboardInterrupt):
        status = "interrupted"
        raise
    finally:
        if client is not None:
            try:
                await client.aclose()
            except Exception:  # pragma: no cover
                pass
        try:
            store.close()  # flushes every queued sample, also on cancellation
        finally:
            if server is not None:
                server.stop()
            if run_id is not None:
                st = client.stats if client is not None else None
                unscored = sum(1 for p in prompts.values() if any(t is None for t in p.texts))
                store.end_run(
                    run_id, status=status,
                    requests=st.requests if st else 0, new_samples=st.samples if st else 0,
                    failed_samples=st.failed_samples if st else 0, retries=st.retries if st else 0,
                    prompt_tokens=st.prompt_tokens if st else 0, completion_tokens=st.completion_tokens if st else 0,
                    unscored_items=unscored,
                )
            store.engine.dispose()
    elapsed = time.perf_counter() - started
    if client is not None:
        st = client.stats
        log.info(
            "difficulty: %d requests (%d retries, errors %s), %d new samples, %d failed, %.1fs",
            st.requests, st.retries, st.errors or "none", st.samples, st.failed_samples, elapsed,
        )

    # -- score and decide ---------------------------------------------------------------------
    from curation.verifier import Verifier, canonical_form

    verifier = Verifier(timeout=1.0)
    answers = df["answer"].to_list()
    if settings.judge == "rules+model":  # the optional model judge: only pairs the rules leave undecided
        from curation.verifier.judge_model import judge_config_from_settings, verifier_with_model_judge

        verifier = verifier_with_model_judge(
            verifier, [(questions[i], answers[i], t) for i in eligible for t in prompts[row_prompt[i]].texts],
            judge_config_from_settings(settings), store_url=store_url)
    scores: dict[int, ItemScore] = {}
    for i in eligible:
        p = prompts[row_prompt[i]]
        scores[i] = score_item(
            answers[i], p.texts, model=model, k=k, settings=settings, verifier=verifier,
            canonical=canonical_form, error=p.error,
        )
    out, evidence = apply_scores(df, scores, polars_schema())
    n_easy = sum(1 for s in scores.values() if s.too_easy)
    n_disp = sum(1 for s in scores.values() if s.review_reason)
    n_uns = sum(1 for s in scores.values() if s.result["status"] == "unscored")
    log.info("difficulty: %d graded: %d too easy, %d for review, %d unscored", len(scores), n_easy, n_disp, n_uns)
    if embedded and scores:
        # info, not a warning: DEMO_WARNING was already given when the server started
        log.info("difficulty decisions above come from the embedded demo model: mechanics only")
    check_unscored_share(scores, prompts, row_prompt, settings.max_unscored_share)
    return out, evidence


def check_unscored_share(scores: dict[int, ItemScore], prompts: dict[str, _Prompt], row_prompt: dict[int, str],
                         max_share: float) -> None:
    """Raise UnscoredError when more than `max_share` of the graded items came back unscored.

    A dead or failing endpoint must not look like a successful run whose every item is merely
    `unscored`; the samples that did arrive are already in the store, so a rerun resumes.
    """
    if not scores:
        return
    unscored = [i for i, s in scores.items() if s.result["status"] == "unscored"]
    share = len(unscored) / len(scores)
    if share <= max_share:
        return
    errors = Counter(prompts[row_prompt[i]].error or "no usable sample" for i in unscored)
    cause, count = errors.most_common(1)[0]
    raise UnscoredError(
        f"difficulty: {len(unscored)} of {len(scores)} graded items are unscored ({share:.0%} > "
        f"max_unscored_share {max_share:g}); most common cause ({count}): {cause}. "
        "Samples received are stored; rerun to resume"
    )


def apply_scores(df: pl.DataFrame, scores: dict[int, ItemScore], schema) -> tuple[pl.DataFrame, dict[str, dict]]:
    """Write the scores into the difficulty columns; return the frame and the evidence mapping."""
    diff = df["difficulty"].to_list()
    labels = df["difficulty_label"].to_list()
    reviews = df["review_reason"].to_list()
    drops = df["drop_reason"].to_list()
    ids = df["id"].to_list()
    evidence: dict[str, dict] = {}
    for i, s in scores.items():
        model = s.result["model"]
        kept = [r for r in (diff[i] or []) if r and r.get("model") != model]
        diff[i] = [*kept, s.result]
        if s.result["status"] != "scored":
            continue
        if s.label is not None:
            labels[i] = s.label
        if s.review_reason is not None:
            if reviews[i] is None:
                reviews[i] = s.review_reason
            if s.evidence is not None and ids[i] is not None:
                evidence[ids[i]] = s.evidence
        elif s.too_easy and drops[i] is None:
            drops[i] = "too_easy"
    out = df.with_columns(
        pl.Series("difficulty", diff, dtype=schema["difficulty"]),
        pl.Series("difficulty_label", labels, dtype=pl.Utf8),
        pl.Series("review_reason", reviews, dtype=pl.Utf8),
        pl.Series("drop_reason", drops, dtype=pl.Utf8),
    )
    return out, evidence


def _json(obj) -> str:
    import json

    return json.dumps(obj, sort_keys=True)
