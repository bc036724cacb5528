"""Time and size bounds that work from any thread or process.

No signals: every expensive step is bounded *before* it runs (input length, token count, nesting
depth, exponent/factorial magnitude estimates) and the evaluator counts its steps in a cooperative
`Budget`. The verdict must not depend on how busy the machine is, so the bounds that normally apply
are deterministic: sizes, and a count of evaluation steps (MAX_OPERATIONS). Time is only a safety net,
measured as the judging thread's CPU time (not wall-clock time, which a loaded machine stretches).
A violated bound raises `TooLarge` or `Timeout`, which the judge turns into an `unparseable` judgment
with reason "too large: ..." / "budget exceeded: ..." — never into `equivalent` or `different`.
"""

from __future__ import annotations

import time

#: a final answer (after extraction) longer than this is refused
MAX_ANSWER_CHARS = 4_000
#: responses longer than this are only searched in their last MAX_RESPONSE_CHARS characters
MAX_RESPONSE_CHARS = 200_000
#: tokens in one answer
MAX_TOKENS = 1_500
#: bracket / recursion nesting
MAX_DEPTH = 60
#: exact integers/rationals may have at most this many bits (~60,000 decimal digits)
MAX_BITS = 200_000
#: n! and binom(n, k) computed exactly only for n up to this
MAX_FACTORIAL = 10_000
#: items in one set/tuple/list/matrix
MAX_ITEMS = 200
#: ± signs in one answer (each doubles the alternatives)
MAX_PM = 4
#: evaluation steps for one judgment (deterministic; ~0.1-0.5 CPU-seconds of work)
MAX_OPERATIONS = 400_000


class BoundExceeded(Exception):
    """Base: a size or time bound was hit; the message is the reason shown to users."""


class TooLarge(BoundExceeded):
    """The input or an intermediate value is too large to handle within bounds."""

    def __init__(self, what: str):
        super().__init__(f"too large: {what}")


BUDGET_EXCEEDED = "budget exceeded"


class Timeout(BoundExceeded):
    """A work budget ran out (steps, CPU time, or the wall-clock safety net of the sympy worker)."""

    def __init__(self, what: str = "time") -> None:
        super().__init__(f"{BUDGET_EXCEEDED}: {what}")


class Budget:
    """Counts evaluation steps: `tick()` is cheap and raises `Timeout` after `max_operations` steps
    (deterministic) or once the calling thread has used `timeout` seconds of CPU time (a safety net
    that a busy machine does not shorten)."""

    __slots__ = ("deadline", "_n", "max_operations")

    def __init__(self, timeout: float | None, max_operations: int | None = MAX_OPERATIONS):
        self.deadline = None if timeout is None else time.thread_time() + max(timeout, 0.0)
        self.max_operations = max_operations
        self._n = 0

    def tick(self) -> None:
        self._n += 1
        if self.max_operations is not None and self._n > self.max_operations:
            raise Timeout(f"more than {self.max_operations} operations")
        if self.deadline is not None and (self._n & 31) == 0 and time.thread_time() > self.deadline:
            raise Timeout()

    def check(self) -> None:
        if self.deadline is not None and time.thread_time() > self.deadline:
            raise Timeout()


def check_bits(bits: int, what: str = "number") -> None:
    """Refuse exact values that would need more than MAX_BITS bits."""
    if bits > MAX_BITS:
        raise TooLarge(f"{what} would need ~{bits} bits")


def max_nesting(text: str) -> int:
    """Deepest bracket nesting of `text` (linear scan; used before parsing)."""
    depth = best = 0
    for ch in text:
        if ch in "({[":
            depth += 1
            if depth > best:
                best = depth
        elif ch in ")}]":
            depth -= 1
    return best
