"""An optional model judge for the pairs the rules cannot decide (off by default).

The rules (`compare.py`) stay the authority: a model is asked only about pairs they leave
`unparseable` (no answer extracted, outside our grammar, budget exceeded) and, when configured, about
free-text answers they call `different`. The model sees (question, reference answer, response) and
answers YES or NO; the reasoning variant explains briefly first and ends with `VERDICT: YES|NO`.
Requests go through the shared model client (`curation.model.client`: any OpenAI-compatible
endpoint, retries, one request per pair) and every reply is cached in the response store
(`curation.model.store`), keyed by model, prompt and sampling parameters, so a rerun asks nothing
twice. Outcomes carry `judged_by = "model"`; a reply without a verdict keeps the rules' judgment.

The rules can be wrong in one direction only through this path: a model YES turns an `unparseable`
(or a text `different`) into `equivalent`. Measure a judge model's agreement on a labelled set
before trusting it (`benchmarks/verifier.py --judge-model ...`).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Sequence

from curation.verifier.types import Judgment

JUDGE_SYSTEM = (
    "You grade answers to math problems. Compare the final answer in the response with the reference "
    "answer. Equivalent forms count as equal (1/2 = 0.5, x+1 = 1+x); a different value, a missing answer, "
    "or several different answers is not equal."
)
JUDGE_USER = (
    "Question:\n{question}\n\nReference answer:\n{reference}\n\nResponse:\n{response}\n\n"
    "Is the final answer of the response equivalent to the reference answer? Reply with YES or NO only."
)
JUDGE_USER_REASONING = (
    "Question:\n{question}\n\nReference answer:\n{reference}\n\nResponse:\n{response}\n\n"
    "Is the final answer of the response equivalent to the reference answer? Explain briefly, then end "
    "with a last line that is exactly `VERDICT: YES` or `VERDICT: NO`."
)
#: the response is cut to its last this many characters in the prompt (the final answer is at the end)
MAX_RESPONSE_CHARS = 6_000

_VERDICT = re.compile(r"VERDICT\s*[:：]\s*\**\s*(YES|NO)\b", re.IGNORECASE)
_BARE = re.compile(r"^\W*(YES|NO)\b", re.IGNORECASE)


@dataclass(frozen=True)
class JudgeConfig:
    """Where and how to ask. `base_url` is required (the embedded demo model is no judge)."""

    base_url: str
    model: str
    api_key_env: str | None = None
    reasoning: bool = False
    #: also ask about free-text answers the rules call `different` ("Evelyn" vs "evelyn's car")
    text_answers: bool = False
    max_tokens: int | None = None
    concurrency: int = 8
    request_timeout: float = 60.0
    max_retries: int = 3

    @property
    def tokens(self) -> int:
        return self.max_tokens or (512 if self.reasoning else 8)


def parse_verdict(text: str | None) -> bool | None:
    """True for YES, False for NO, None when the reply has no verdict (the last `VERDICT:` wins)."""
    if not text:
        return None
    found = _VERDICT.findall(text)
    if found:
        return found[-1].upper() == "YES"
    m = _BARE.match(text.strip())
    return m.group(1).upper() == "YES" if m else None


def needs_model(j: Judgment, reference: str, config: JudgeConfig) -> bool:
    """The rules leave this pair undecided (or it is a text answer and text answers are configured)."""
    if j.judged_by != "rules":
        return False
    if j.outcome == "unparseable":
        return True
    if config.text_answers and j.outcome == "different":
        from curation.verifier import classify_answer_type

        return classify_answer_type(reference) == "text"
    return False


def _run(make_coro):
    """Run a coroutine to completion from sync code, also when called inside a running event loop
    (the difficulty stage scores inside its async run): then on a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coro())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()


class ModelJudge:
    """Ask a model about the pairs the rules leave undecided; cache every reply in the response store.

    `store_url`: SQLAlchemy URL of the response store (None: an in-memory store, no cache across runs).
    """

    def __init__(self, config: JudgeConfig, *, store_url: str | None = None):
        self.config = config
        self.store_url = store_url or "sqlite://"
        self.requests = 0
        self.cache_hits = 0

    def _messages(self, question: str, reference: str, response: str) -> list[dict]:
        user = JUDGE_USER_REASONING if self.config.reasoning else JUDGE_USER
        return [
            {"role": "system", "content": JUDGE_SYSTEM},
            {"role": "user", "content": user.format(
                question=question or "(not given)", reference=reference, response=response[-MAX_RESPONSE_CHARS:])},
        ]

    def review(self, items: Sequence[tuple[str, str, str, Judgment]]) -> list[Judgment]:
        """items: (question, reference, response, rules judgment). Returns the judgments, with the model's
        verdict where the rules left the pair undecided (`needs_model`)."""
        out = list(j for *_, j in items)
        todo = [i for i, (_, ref, _, j) in enumerate(items) if needs_model(j, ref, self.config)]
        if not todo:
            return out
        replies = self._ask([self._messages(items[i][0], items[i][1], items[i][2]) for i in todo])
        for i, reply in zip(todo, replies):
            j = out[i]
            verdict = parse_verdict(reply)
            if verdict is None:
                out[i] = Judgment(j.outcome, f"{j.reason}; model judge gave no verdict", j.extracted, j.rule, "rules")
                continue
            out[i] = Judgment(
                "equivalent" if verdict else "different",
                f"model judge ({self.config.model}): {'YES' if verdict else 'NO'}; rules: {j.reason}",
                j.extracted, j.rule, "model",
            )
        return out

    def _ask(self, prompts: list[list[dict]]) -> list[str | None]:
        from curation.model.client import SamplingParams
        from curation.model.store import ResponseStore, prompt_hash, sample_key

        params = SamplingParams(model=self.config.model, temperature=0.0, top_p=1.0,
                                max_tokens=self.config.tokens, seed=0)
        key_params = {k: v for k, v in params.as_dict().items() if k != "model"}
        keys = [sample_key(self.config.model, m, key_params, 0) for m in prompts]
        store = ResponseStore(self.store_url)
        try:
            cached = store.lookup(keys)
            self.cache_hits += sum(1 for k in keys if k in cached)
            missing = [i for i, k in enumerate(keys) if k not in cached]
            fresh = _run(lambda: self._fetch([prompts[i] for i in missing], params)) if missing else []
            store.start()
            import json

            rows = []
            for i, text in zip(missing, fresh):
                if text is not None:
                    cached[keys[i]] = {"text": text}
                    rows.append({
                        "key": keys[i], "model": self.config.model,
                        "prompt_hash": prompt_hash(self.config.model, prompts[i], key_params),
                        "sample_index": 0, "params": json.dumps(key_params, sort_keys=True), "text": text,
                    })
            store.put_samples(rows)
            store.flush()
        finally:
            store.close()
        return [cached[k]["text"] if k in cached else None for k in keys]

    async def _fetch(self, prompts: list[list[dict]], params) -> list[str | None]:
        from curation.model.client import SamplingClient, resolve_api_key

        client = SamplingClient(
            base_url=self.config.base_url, api_key=resolve_api_key(self.config.api_key_env), params=params,
            concurrency=self.config.concurrency, timeout=self.config.request_timeout,
            max_retries=self.config.max_retries,
        )
        try:
            samples = await asyncio.gather(*(client.sample(m, [0]) for m in prompts))
        finally:
            await client.aclose()
        self.requests += client.stats.requests
        return [s[0].text if s and s[0].ok else None for s in samples]


class ReviewedVerifier:
    """A `Verifier` whose `judge_response` answers precomputed (rules, then model) judgments.

    Built by `verifier_with_model_judge` for a known set of (reference, response) pairs, so code that
    calls `verifier.judge_response(reference, text)` one pair at a time (the difficulty scoring) gets
    the model's verdicts without knowing about the judge; other pairs go to the rules.
    """

    def __init__(self, verifier, reviewed: dict[tuple[str, str], Judgment]):
        self._verifier = verifier
        self._reviewed = reviewed

    def judge(self, reference: str, answer: str) -> Judgment:
        return self._verifier.judge(reference, answer)

    def judge_response(self, reference: str, response: str) -> Judgment:
        got = self._reviewed.get((reference, response))
        return got if got is not None else self._verifier.judge_response(reference, response)


def verifier_with_model_judge(verifier, triples, config: JudgeConfig, *, store_url: str | None = None) -> ReviewedVerifier:
    """triples: (question, reference, response). Judge them by the rules, ask the model where the
    rules leave them undecided, and return a verifier that answers with those judgments."""
    triples = list(dict.fromkeys((q or "", r, t) for q, r, t in triples if r is not None and t is not None))
    items = [(q, r, t, verifier.judge_response(r, t)) for q, r, t in triples]
    reviewed = ModelJudge(config, store_url=store_url).review(items)
    return ReviewedVerifier(verifier, {(r, t): j for (_, r, t, _), j in zip(items, reviewed)})


def judge_config_from_settings(settings) -> JudgeConfig:
    """The judge of a `DifficultySettings` (`judge_model`, else the sampling endpoint)."""
    from curation.errors import ConfigError

    model = settings.judge_model or settings.model
    if not model.base_url:
        raise ConfigError("difficulty.judge = 'rules+model' needs an endpoint: set [difficulty.judge_model] base_url")
    return JudgeConfig(base_url=model.base_url, model=model.model, api_key_env=model.api_key_env,
                       reasoning=settings.judge_reasoning, concurrency=model.concurrency,
                       request_timeout=model.request_timeout, max_retries=model.max_retries)
