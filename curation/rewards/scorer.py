"""One reward for every exported item: `score(response, ground_truth, extra_info) -> float`.

Routing is by the item's kind (`extra_info["kind"]`, the problem schema's `kind`; rows without one
are scored as math). The table `SCORERS` maps a kind to the scorer that judges it, as a lazily
imported `"module:function"` path so importing the rewards module stays cheap (no numba, no sandbox)
and another module can add a kind in one line (`register_scorer("code", "curation.code.check:score_code")`).

A scorer is `fn(response: str, ground_truth: str, extra_info: Mapping) -> Verdict`. It bounds its
own time and input size (the verifier's cooperative budget, linear puzzle checks, the sandbox's
timeout); the router never raises: a scorer that raises, a missing scorer, a non-string response or
ground truth all give 0.0 and a logged reason.

Reward values: 1.0 correct, 0.0 wrong or unscorable. A code scorer may return a fraction (tests
passed). With `format_penalty=p > 0` (off by default) a response in which no final answer could be
found scores `-p` instead of 0.0, so the policy is pushed towards the `\\boxed{}` format.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Mapping

log = logging.getLogger("curation.rewards")

#: responses longer than this are judged on their last MAX_RESPONSE_CHARS characters
#: (the final answer is at the end; this bounds every scorer's input)
MAX_RESPONSE_CHARS = 200_000
#: default per-call time budget, seconds, handed to the scorer (verifier budget, sandbox timeout)
DEFAULT_TIMEOUT = 1.0


@dataclass(frozen=True)
class Verdict:
    """One scorer's judgment: value in [0, 1], why, and the final answer it read (if any).

    `answered` is False when no final answer could be found in the response (the format penalty
    applies to those only)."""

    value: float
    reason: str
    extracted: str | None = None
    answered: bool = True


@dataclass(frozen=True)
class Reward:
    """What `score_detail` returns: the reward and how it was reached."""

    value: float
    reason: str
    kind: str
    extracted: str | None = None


Scorer = Callable[[str, str, Mapping[str, Any]], Verdict]

#: kind -> scorer, or "module:function" imported on first use
SCORERS: dict[str, Scorer | str] = {
    "competition": "curation.rewards.math_scorer:score_math",
    "math": "curation.rewards.math_scorer:score_math",
    "puzzle": "curation.rewards.puzzle_scorer:score_puzzle",
    "code": "curation.code.check:score_code",
}
DEFAULT_KIND = "competition"
_lock = threading.Lock()


def register_scorer(kind: str, scorer: Scorer | str) -> None:
    """Route items of `kind` to `scorer` (a callable or a lazily imported `"module:function"`)."""
    if not isinstance(kind, str) or not kind:
        raise ValueError("kind must be a non-empty string")
    if not (callable(scorer) or (isinstance(scorer, str) and ":" in scorer)):
        raise ValueError("scorer must be a callable or a 'module:function' path")
    with _lock:
        SCORERS[kind] = scorer


def scorer_for(kind: str) -> Scorer:
    """The scorer of `kind` (imports it on first use). KeyError for an unknown kind."""
    entry = SCORERS[kind]
    if callable(entry):
        return entry
    module, _, name = entry.partition(":")
    fn = getattr(importlib.import_module(module), name)
    with _lock:
        SCORERS[kind] = fn
    return fn


def _text(value) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return None


def score_detail(
    response: Any,
    ground_truth: Any,
    extra_info: Mapping[str, Any] | None = None,
    *,
    format_penalty: float = 0.0,
) -> Reward:
    """Score one response; never raises. See the module docstring for values."""
    info = extra_info if isinstance(extra_info, Mapping) else {}
    kind = info.get("kind") or DEFAULT_KIND
    if not isinstance(kind, str):
        kind = DEFAULT_KIND
    text = _text(response)
    if text is None:
        return _zero(kind, f"response is {type(response).__name__}, not text")
    reference = _text(ground_truth)
    if reference is None and ground_truth is not None and not isinstance(ground_truth, (dict, list, tuple)):
        reference = str(ground_truth)  # a numeric reference (e.g. an int column) is still a reference
    if not reference or not reference.strip():
        return _zero(kind, "no ground truth")
    try:
        fn = scorer_for(kind)
    except KeyError:
        return _zero(kind, f"no scorer registered for kind {kind!r} (known: {', '.join(sorted(SCORERS))})")
    except Exception as exc:  # noqa: BLE001 - an import failure of one scorer must not stop training
        return _zero(kind, f"scorer for {kind!r} failed to load: {type(exc).__name__}: {exc}")
    try:
        verdict = fn(text[-MAX_RESPONSE_CHARS:], reference, info)
    except Exception as exc:  # noqa: BLE001 - garbage in, 0.0 out
        return _zero(kind, f"scorer raised {type(exc).__name__}: {exc}")
    value = float(verdict.value)
    if not 0.0 <= value <= 1.0 or value != value:
        return _zero(kind, f"scorer returned {verdict.value!r}, outside [0, 1]")
    if not verdict.answered and format_penalty:
        value = -abs(float(format_penalty))
    return Reward(value, verdict.reason, kind, verdict.extracted)


def _zero(kind: str, reason: str) -> Reward:
    log.warning("reward 0.0 (%s): %s", kind, reason)
    return Reward(0.0, reason, kind, None)


def score(response: Any, ground_truth: Any, extra_info: Mapping[str, Any] | None = None, *,
          format_penalty: float = 0.0) -> float:
    """The reward of one response: 1.0 correct, 0.0 otherwise (see the module docstring)."""
    return score_detail(response, ground_truth, extra_info, format_penalty=format_penalty).value
