"""Model mode of the multiple-choice conversion: an LLM rewrites stems the rules could not convert.

Only rows not converted for a reason in `McqSettings.model_reasons` (default: the stem depends on
its options) and whose correct option is a clean, verifiable value are sent. A rewrite is
accepted only when all three hold:

1. it no longer mentions options or letters ("which of the following", "(A)", "options", an
   inline option list — the same rules that flag stems, `curation.mcq.rules.stem_problem`);
2. it keeps the answer: the model's ANSWER line is judged equivalent to the correct option's value
   by the verifier (`curation.verifier.judge`);
3. a second call judges the rewritten question self-contained (one definite answer, no options).

Outcomes: accepted → `converted` (method "model"); the model says IMPOSSIBLE or the call fails →
the row keeps its rule decision (not_convertible); a rewrite that fails a check → `review` with
reason `model_rewrite_rejected` (the rejected rewrite is in the proposal).

Transport: `curation.model.client.SamplingClient` (the shared async model client: retries
with backoff on 429/5xx/timeouts, concurrency limit, key from the env variable named in
`ModelSettings.api_key_env`). With no `base_url`, the embedded SmolLM2 server is started (mechanics
only: that model cannot rewrite anything useful).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass, field

from curation.mcq import rules as R
from curation.choices import LETTERS, split_inline_choices
from curation.config import McqSettings, ModelSettings

log = logging.getLogger("curation.mcq")

REWRITE_SYSTEM = (
    "You turn multiple-choice math and science questions into open-ended questions with one definite answer. "
    "The rewritten question must be answerable without any answer options and must not mention options, "
    "letters, 'which of the following', 'the following' or 'the choices'."
)
REWRITE_USER = (
    "Question:\n{stem}\n\nOptions:\n{options}\n\nCorrect option: {letter}) {correct}\n\n"
    "Rewrite the question so that its single correct answer is exactly: {answer}\n"
    "If that is impossible without listing options, reply with the single word IMPOSSIBLE.\n"
    "Otherwise reply in exactly this format:\nQUESTION: <the rewritten question>\nANSWER: <the answer>"
)
JUDGE_SYSTEM = "You check questions for a math dataset. Reply with YES or NO only."
JUDGE_USER = (
    "Is the following question self-contained, with a single definite answer, and answerable without "
    "being shown any answer options?\n\n{question}\n\nReply YES or NO."
)

_MENTIONS = re.compile(
    r"\b(?:options?|choices?|alternatives?|answer\s+choices|following)\b|\(\s*[A-E]\s*\)|(?:^|\s)[A-E]\)|"
    r"\b(?:option|choice|letter)\s+[A-E]\b|选项|下列",
    re.IGNORECASE,
)


@dataclass
class ModelStats:
    sent: int = 0
    accepted: int = 0
    impossible: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    failed: int = 0


def _parse_rewrite(text: str) -> tuple[str | None, str | None]:
    if not text or re.match(r"^\s*IMPOSSIBLE\b", text.strip(), re.IGNORECASE):
        return None, None
    q = re.search(r"QUESTION:\s*(.+?)\s*(?:\n\s*ANSWER:|$)", text, re.IGNORECASE | re.DOTALL)
    a = re.search(r"ANSWER:\s*(.+?)\s*$", text, re.IGNORECASE | re.DOTALL)
    return (q.group(1).strip() if q else None), (a.group(1).strip() if a else None)


def mentions_options(question: str) -> bool:
    """True when a rewritten question still refers to options or letters."""
    return bool(_MENTIONS.search(question)) or split_inline_choices(question) is not None or R.stem_problem(question) is not None


def _same_answer(reference: str, answer: str) -> bool:
    value, _ = R.clean_option(answer)
    try:
        from curation.verifier import judge

        return judge(reference, value).outcome == "equivalent"
    except Exception:
        return re.sub(r"\s+", "", value) == re.sub(r"\s+", "", reference)


def candidate_value(conv, settings: McqSettings) -> tuple[str, str | None] | None:
    """(value, unit) of the correct option when it is a clean verifiable value; None otherwise."""
    if conv.choices is None or conv.correct_index is None:
        return None
    correct = conv.choices[conv.correct_index]
    if R.is_meta_option(correct) or R.is_statement(correct, max_words=settings.max_option_words):
        return None
    value, unit = R.clean_option(correct)
    if not value or R.looks_malformed(value) or R.is_unevaluated_arithmetic(value):
        return None
    if R.is_texty(value) and (not settings.text_answers or R.option_words(value) > settings.max_text_answer_words):
        return None
    return value, unit


async def _rewrite_all(todo: dict, model: ModelSettings, settings: McqSettings, stats: ModelStats) -> dict:
    from curation.mcq.outcome import Conversion, answer_type_of as _answer_type
    from curation.model.client import SamplingClient, SamplingParams, resolve_api_key

    server = None
    if model.base_url:
        base_url, api_key = model.base_url, resolve_api_key(model.api_key_env)
        name = model.model
    else:
        from curation.model.embedded import EMBEDDED_MODEL, EmbeddedServer

        log.warning("mcq model mode without base_url: the embedded %s cannot rewrite questions usefully", EMBEDDED_MODEL)
        server = EmbeddedServer(parallel=2, ctx_per_slot=settings.model_max_tokens + 1024).start()
        base_url, api_key, name = server.base_url, "EMPTY", EMBEDDED_MODEL
    params = SamplingParams(model=name, temperature=settings.model_temperature, top_p=1.0,
                            max_tokens=settings.model_max_tokens, seed=0)
    client = SamplingClient(base_url=base_url, api_key=api_key, params=params, concurrency=model.concurrency,
                            timeout=model.request_timeout, max_retries=model.max_retries)

    async def ask(system: str, user: str) -> str | None:
        samples = await client.sample([{"role": "system", "content": system}, {"role": "user", "content": user}], [0])
        return samples[0].text if samples and samples[0].ok else None

    async def one(i: int, conv, value: str, unit: str | None):
        stats.sent += 1
        options = "\n".join(f"{LETTERS[k]}) {o}" for k, o in enumerate(conv.choices))
        reply = await ask(REWRITE_SYSTEM, REWRITE_USER.format(
            stem=conv.stem, options=options, letter=LETTERS[conv.correct_index],
            correct=conv.choices[conv.correct_index], answer=value))
        if reply is None:
            stats.failed += 1
            return i, None
        question, answer = _parse_rewrite(reply)
        if question is None:
            stats.impossible += 1
            return i, None
        proposal = {"question": question, "answer": value, "answer_unit": unit, "model_answer": answer}
        check = None
        if mentions_options(question):
            check = "mentions_options"
        elif answer is None or not _same_answer(value, answer):
            check = "answer_changed"
        else:
            verdict = await ask(JUDGE_SYSTEM, JUDGE_USER.format(question=question))
            if verdict is None:
                stats.failed += 1
                return i, None
            if not re.match(r"^\W*yes\b", verdict.strip(), re.IGNORECASE):
                check = "not_self_contained"
        if check is not None:
            stats.rejected[check] = stats.rejected.get(check, 0) + 1
            proposal["rejected_because"] = check
            return i, Conversion(status="review", reason="model_rewrite_rejected", choices=conv.choices,
                                 correct_index=conv.correct_index, stem=conv.stem, proposal=proposal)
        stats.accepted += 1
        return i, Conversion(status="converted", reason="options_removed+model", question=question, answer=value,
                             answer_unit=unit, answer_type=_answer_type(value), method="model", choices=conv.choices,
                             correct_index=conv.correct_index, stem=conv.stem)

    try:
        jobs = []
        for i, conv in todo.items():
            cand = candidate_value(conv, settings)
            if cand is not None:
                jobs.append(one(i, conv, *cand))
        results = await asyncio.gather(*jobs)
    finally:
        await client.aclose()
        if server is not None:
            server.stop()
    return {i: c for i, c in results if c is not None}


def rewrite_rows(todo: dict, *, model: ModelSettings, settings: McqSettings, stats: ModelStats | None = None) -> dict:
    """Send the given rule decisions ({row: Conversion}) to the model; return the changed ones."""
    stats = stats if stats is not None else ModelStats()
    coro_args = (todo, model, settings, stats)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        out = asyncio.run(_rewrite_all(*coro_args))
    else:  # called from inside an event loop (e.g. an async flow): run in a worker thread
        box: dict = {}

        def run() -> None:
            try:
                box["out"] = asyncio.run(_rewrite_all(*coro_args))
            except BaseException as exc:  # re-raised in the caller's thread
                box["err"] = exc

        t = threading.Thread(target=run, name="mcq-model")
        t.start()
        t.join()
        if "err" in box:
            raise box["err"]
        out = box["out"]
    log.info("mcq model mode: sent %d, accepted %d, impossible %d, rejected %s, failed %d",
             stats.sent, stats.accepted, stats.impossible, stats.rejected, stats.failed)
    return out
