"""Bounded sympy fallback for LaTeX our own parser does not support (`\\sum`, `\\int`, `\\lim`,
`\\max`, `\\gcd`, derivatives, ...).

The text is parsed by latex2sympy2_extended — an ANTLR grammar that builds sympy objects directly.
We checked its source: the only `parse_expr` call is for caller-supplied `variable_values` (we pass
none) and `sympify` is only applied to already-built sympy objects, so untrusted text is never
`eval`-ed. Because sympy itself may run for a long time (`\\sum_{k=1}^{10^{10}}`, simplification),
all sympy work happens in a separate worker *process* (`python -m curation.verifier._sympy_worker`,
JSON lines over pipes — no multiprocessing, so the caller's `__main__` is never re-imported). Each
request may use `timeout` seconds of the *worker's CPU time* (enforced inside the worker, so the
verdict does not depend on machine load); the caller waits, via `select` from any thread, at most a
generous wall-clock safety net (WALL_FACTOR x timeout + WALL_SLACK, plus a one-off, separately bounded
start-up) and kills the worker when that overruns. Either bound gives `unparseable` with a
"budget exceeded" reason, never a verdict. The worker also runs under an address-space limit.

Disable with the environment variable CURATE_VERIFIER_SYMPY_FALLBACK=0.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time

from curation.verifier.bounded import BUDGET_EXCEEDED, Timeout

#: the worker must be up within this many seconds (it imports sympy once)
STARTUP_TIMEOUT = 30.0
#: strings longer than this are not sent to sympy at all
MAX_FALLBACK_CHARS = 500
#: the wall-clock safety net per request: WALL_FACTOR * cpu budget + WALL_SLACK seconds
WALL_FACTOR = 4.0
WALL_SLACK = 10.0


def wall_limit(timeout: float) -> float:
    return WALL_FACTOR * timeout + WALL_SLACK


def enabled() -> bool:
    return os.environ.get("CURATE_VERIFIER_SYMPY_FALLBACK", "1").lower() not in ("0", "false", "no", "off", "")


class _Worker:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.buf = b""
        self.pid = os.getpid()
        self.broken = False

    def _read_line(self, deadline: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise Timeout()
            chunk = os.read(fd, 65536)
            if not chunk:
                raise EOFError("worker exited")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def _start(self) -> None:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "curation.verifier._sympy_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        self.buf = b""
        try:
            if self._read_line(time.monotonic() + STARTUP_TIMEOUT) != b"ready":
                raise EOFError("worker did not start")
        except BaseException:
            self._stop()
            raise

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        self.buf = b""
        if proc is not None:
            try:
                proc.kill()
                proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
            for f in (proc.stdin, proc.stdout):
                try:
                    if f is not None:
                        f.close()
                except OSError:
                    pass

    def call(self, ref: str, ans: str, timeout: float) -> tuple[str, str]:
        # waiting for another thread's request is not this request's work: only the safety net applies
        if not self.lock.acquire(timeout=wall_limit(timeout) * 4):
            raise Timeout("waiting for the sympy worker")
        try:
            if self.pid != os.getpid():  # forked child: never share the parent's worker
                self.proc, self.buf, self.pid = None, b"", os.getpid()
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write((json.dumps([ref, ans, timeout]) + "\n").encode())
            self.proc.stdin.flush()
            try:
                line = self._read_line(time.monotonic() + wall_limit(timeout))
            except Timeout:
                self._stop()
                raise Timeout("sympy wall-clock safety net") from None
            outcome, reason = json.loads(line)
            if str(reason).startswith(BUDGET_EXCEEDED):
                self._stop()  # interrupted mid-computation: start clean next time
            return str(outcome), str(reason)
        except (EOFError, OSError, ValueError):
            self._stop()
            return ("unparseable", "sympy fallback unavailable")
        finally:
            self.lock.release()

    def close(self) -> None:
        with self.lock:
            self._stop()


_worker = _Worker()


def judge_with_sympy(ref: str, ans: str, timeout: float) -> tuple[str, str] | None:
    """(outcome, reason) from the sympy worker, or None when the fallback is off or unavailable.
    Raises `Timeout` when the worker overruns (it is then killed and restarted on next use)."""
    if not enabled() or _worker.broken:
        return None
    if len(ref) > MAX_FALLBACK_CHARS or len(ans) > MAX_FALLBACK_CHARS:
        return None
    try:
        return _worker.call(ref, ans, timeout)
    except Timeout:
        raise
    except (RuntimeError, PermissionError, FileNotFoundError):
        _worker.broken = True
        return None


def shutdown() -> None:
    """Stop the worker process (it is also killed when this process exits: its stdin closes)."""
    _worker.close()
