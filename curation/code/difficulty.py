"""Difficulty for code problems: sample k programs, run each against the tests in the sandbox.

`grade_code_difficulty(df, *, settings, code, store_url, cache_url=None, runner=None) -> df`

Input columns: kind, question, code_tests, code_starter, code_language, code_time_limit,
code_memory_limit, code_validation, drop_reason, difficulty, difficulty_label, review_reason.
Only `kind = "code"` rows without a drop_reason are graded.
Output columns: difficulty (one DifficultyResult per model: k, correct = samples passing every
test, pass_rate = correct / k, unparseable = samples with no code, failed = samples the endpoint
never returned), difficulty_label, drop_reason `too_easy` (correct >= easy_threshold, default k).

Labels: the math bands (`curation.difficulty.scoring.difficulty_label`), except that a problem no
sample solves is `hard` when its own reference passes the tests (`code_validation = "passed"`): the
tests are satisfiable, the model just cannot do it. That is never a dispute; without a passing
reference it stays `unsolved`.

Samples come from the shared model client (`curation.model.client.SamplingClient`) and are kept in
the shared response store, so a rerun requests nothing; judged programs are cached by (code hash,
tests hash), so a rerun executes nothing either. The last fenced code block of each sample is the
program (`curation.code.answer`).
"""

from __future__ import annotations

import asyncio
import json
import logging

import polars as pl

from curation.code.answer import entry_name, extract_code, program_for
from curation.code.harness import LANGUAGES, TestSpec, normalize_language
from curation.code.runner import CodeRunner, Job, limits_for
from curation.difficulty.engine import _run_sync, apply_scores, sampling_params
from curation.difficulty.scoring import ItemScore, difficulty_label
from curation.errors import ConfigError
from curation.model.client import SamplingClient, SamplingParams, resolve_api_key
from curation.model.store import ResponseStore, key_from_prompt_hash, prompt_hash

log = logging.getLogger("curation.code")
_LANGUAGE_NAMES = {"python": "Python 3", "cpp": "C++17"}


def render_code_messages(code_settings, question: str, *, language: str, starter: str | None, function: bool) -> list[dict]:
    template = code_settings.function_prompt if function else code_settings.user_prompt
    try:
        user = template.format(question=question, language=_LANGUAGE_NAMES.get(language, language), starter=starter or "")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"code.{'function_prompt' if function else 'user_prompt'}: bad template ({exc})") from None
    messages = [{"role": "system", "content": code_settings.system_prompt}] if code_settings.system_prompt else []
    return messages + [{"role": "user", "content": user}]


def grade_code_difficulty(df: pl.DataFrame, *, settings, code, store_url: str, cache_url: str | None = None,
                          runner: CodeRunner | None = None) -> pl.DataFrame:
    from schemas import conform, polars_schema

    if settings.k < 1:
        raise ConfigError("difficulty.k: must be at least 1")
    df = conform(df)
    k = settings.k
    model = settings.model.model
    params = sampling_params(settings)
    rows = df.select("kind", "question", "code_tests", "code_starter", "code_language", "code_time_limit",
                     "code_memory_limit", "code_validation", "drop_reason").to_dicts()
    plans: dict[int, dict] = {}
    for i, row in enumerate(rows):
        if row["kind"] != "code" or row["drop_reason"] is not None or not (row["question"] or "").strip():
            continue
        try:
            spec = TestSpec.from_json(row["code_tests"] or "")
        except (ValueError, TypeError, KeyError):
            continue
        language = normalize_language(row["code_language"]) or "python"
        if spec.style != "stdio":
            language = "python"
        function = spec.style in ("assert", "call")
        messages = render_code_messages(code, row["question"], language=language, starter=row["code_starter"], function=function)
        plans[i] = {"spec": spec, "language": language, "messages": messages, "phash": prompt_hash(model, messages, params),
                    "starter": row["code_starter"], "reference_ok": row["code_validation"] == "passed",
                    "limits": limits_for(code, time_limit=row["code_time_limit"], memory_limit=row["code_memory_limit"])}
    if settings.sample_limit is not None:
        plans = dict(list(plans.items())[: max(0, settings.sample_limit)])
    if not plans:
        return df

    texts, errors = _samples(plans, settings=settings, model=model, params=params, store_url=store_url)

    jobs: list[Job] = []
    owners: list[tuple[int, int]] = []
    unparseable: dict[int, int] = {}
    for i, plan in plans.items():
        for j, text in enumerate(texts[plan["phash"]]):
            if text is None:
                continue
            program, fence_language = extract_code(text, require_fence=True, defines=entry_name(plan["spec"]))
            language = fence_language if fence_language in LANGUAGES and plan["spec"].style == "stdio" else plan["language"]
            if program is None:
                unparseable[i] = unparseable.get(i, 0) + 1
                continue
            jobs.append(Job(program_for(plan["spec"], plan["starter"], program), plan["spec"], language=language,
                            limits=plan["limits"], float_tolerance=code.float_tolerance, stop_on_failure=True))
            owners.append((i, j))
    own = runner is None and bool(jobs)
    if own:
        runner = CodeRunner(code, cache_url=cache_url)
    try:
        outcomes = runner.run_jobs(jobs) if jobs else []
    finally:
        if own:
            runner.close()
    correct: dict[int, int] = {}
    for (i, _j), outcome in zip(owners, outcomes):
        correct[i] = correct.get(i, 0) + int(outcome.all_passed)

    threshold = settings.easy_threshold if settings.easy_threshold is not None else k
    scores: dict[int, ItemScore] = {}
    for i, plan in plans.items():
        got = texts[plan["phash"]]
        failed = sum(t is None for t in got)
        base = {"model": model, "k": k, "majority_answer": None, "majority_share": None, "unparseable": unparseable.get(i, 0),
                "failed": failed}
        if failed == k:
            scores[i] = ItemScore({**base, "correct": 0, "pass_rate": None, "status": "unscored",
                                   "error": errors.get(plan["phash"]) or "no samples"})
            continue
        n = correct.get(i, 0)
        rate = n / k
        label = difficulty_label(n, rate, medium_from=settings.label_medium_from, easy_from=settings.label_easy_from)
        if n == 0 and plan["reference_ok"]:
            label = "hard"  # the tests are satisfiable (the reference passes): hard, not disputed
        scores[i] = ItemScore({**base, "correct": n, "pass_rate": rate, "status": "scored", "error": None},
                              label=label, too_easy=n >= threshold)
    out, _ = apply_scores(df, scores, polars_schema())
    log.info("code difficulty: %d graded, %d programs judged, %d too easy", len(scores), len(jobs),
             sum(s.too_easy for s in scores.values()))
    return out


def _samples(plans, *, settings, model, params, store_url) -> tuple[dict[str, list[str | None]], dict[str, str]]:
    """k texts per prompt hash (None where the endpoint gave none): the store first, then the model."""
    k = settings.k
    prompts = {p["phash"]: p["messages"] for p in plans.values()}
    texts = {ph: [None] * k for ph in prompts}
    errors: dict[str, str] = {}
    store = ResponseStore(store_url)
    try:
        keys = {(ph, j): key_from_prompt_hash(ph, j) for ph in prompts for j in range(k)}
        cached = store.lookup(keys.values())
        for (ph, j), key in keys.items():
            hit = cached.get(key)
            if hit is not None and hit["text"] is not None:
                texts[ph][j] = hit["text"]
        todo = {ph: [j for j in range(k) if texts[ph][j] is None] for ph in prompts}
        todo = {ph: idx for ph, idx in todo.items() if idx}
        if todo:
            store.start()
            _run_sync(lambda: _request(todo, prompts, texts, errors, settings=settings, model=model, params=params,
                                       store=store))
    finally:
        store.close()
        store.engine.dispose()
    return texts, errors


async def _request(todo, prompts, texts, errors, *, settings, model, params, store) -> None:
    server = None
    if settings.model.base_url:
        base_url, api_key = settings.model.base_url, resolve_api_key(settings.model.api_key_env)
    else:  # the embedded demo model, as the math difficulty stage does
        from curation.model.embedded import EmbeddedServer, embedded_layout

        parallel, ctx, _ = embedded_layout(settings.k, settings.max_tokens, settings.model.concurrency)
        server = EmbeddedServer(parallel=parallel, ctx_per_slot=ctx)
        await asyncio.to_thread(server.start)
        base_url, api_key = server.base_url, "EMPTY"
    client = SamplingClient(
        base_url=base_url, api_key=api_key, params=SamplingParams(model=model, **params),
        concurrency=settings.model.concurrency, timeout=settings.model.request_timeout,
        max_retries=settings.model.max_retries, backoff_base=settings.model.backoff_base,
        backoff_max=settings.model.backoff_max,
    )
    params_json = json.dumps(params, sort_keys=True)

    async def one(ph: str, indexes: list[int]) -> None:
        rows = []
        for s in await client.sample(prompts[ph], indexes):
            if s.ok:
                texts[ph][s.index] = s.text
                rows.append({"key": key_from_prompt_hash(ph, s.index), "model": model, "prompt_hash": ph,
                             "sample_index": s.index, "params": params_json, "text": s.text,
                             "finish_reason": s.finish_reason, "latency_ms": s.latency_ms,
                             "request_n": s.request_n, "request_id": s.request_id, "run_id": None})
            else:
                errors[ph] = s.error
        store.put_samples(rows)

    try:
        await asyncio.gather(*(one(ph, idx) for ph, idx in todo.items()))
    finally:
        await client.aclose()
        if server is not None:
            server.stop()

