"""Child process of the sympy fallback (`fallback.py`): JSON lines on stdin -> JSON lines on stdout.

Run as `python -m curation.verifier._sympy_worker`. Request: ["reference latex", "answer latex",
cpu_seconds]; reply: ["equivalent" | "different" | "unparseable", "reason"]. The first line written is
"ready". Each request may use at most `cpu_seconds` of this process's CPU time (an interval timer on
CPU time, so a busy machine does not shorten it); past that the reply is
["unparseable", "budget exceeded: sympy CPU time"] and the caller restarts the worker.
"""

from __future__ import annotations

import json
import sys

MEMORY_LIMIT = 2 * 1024**3
CPU_BUDGET_REASON = "budget exceeded: sympy CPU time"


class _CpuBudget(BaseException):
    """Raised by the CPU-time timer inside a request (BaseException: sympy's `except Exception`
    clauses must not swallow it)."""


def _judge(parse, sympy, ref: str, ans: str) -> list[str]:
    try:
        a = parse(ref)
    except Exception as exc:  # noqa: BLE001 - any parser failure is "unparseable"
        return ["unparseable", f"reference unparseable: {type(exc).__name__}"]
    try:
        b = parse(ans)
    except Exception as exc:  # noqa: BLE001
        return ["unparseable", f"answer unparseable: {type(exc).__name__}"]
    if isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr):
        d = sympy.simplify(a - b)
        same = d == 0
        if not same and d.is_number:
            same = abs(complex(d.evalf(40))) < 1e-30
    else:
        same = a == b
    return ["equivalent" if same else "different", "sympy fallback: " + ("equal" if same else "not shown equal")]


def main() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def _out_of_cpu(signum, frame):
        raise _CpuBudget()

    signal.signal(signal.SIGPROF, _out_of_cpu)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass
    import sympy
    from latex2sympy2_extended import latex2sympy

    def parse(text: str):
        v = latex2sympy(text)  # ANTLR grammar building sympy objects; no eval (see fallback.py)
        if hasattr(v, "doit"):
            v = v.doit()
        return v

    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            ref, ans = request[0], request[1]
            cpu = float(request[2]) if len(request) > 2 else 1.0
            signal.setitimer(signal.ITIMER_PROF, max(cpu, 0.001))
            try:
                reply = _judge(parse, sympy, str(ref), str(ans))
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
        except _CpuBudget:
            reply = ["unparseable", CPU_BUDGET_REASON]
        except Exception as exc:  # noqa: BLE001 - never die on one bad request
            reply = ["unparseable", f"sympy fallback failed: {type(exc).__name__}"]
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
