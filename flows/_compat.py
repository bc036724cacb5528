"""Make Prefect 3.8.8's API server start with newer FastAPI releases.

FastAPI 0.155 removed the deprecated `**extra` keyword arguments of `Body(...)`; Prefect 3.8.8's
server still declares `Body(..., min_items=1)` (`prefect/server/api/concurrency_limits_v2.py`), so
importing the server raises `TypeError: Body() got an unexpected keyword argument 'min_items'`
with the fastapi pinned in pyproject (0.165.0). The clean fix is `fastapi<=0.154.0`; until then
`apply()` maps the pydantic-v1 spelling (`min_items`/`max_items`) to `min_length`/`max_length`,
in this process and in the temporary API server subprocess Prefect starts (by launching it through
`flows._compat.run_uvicorn` instead of `python -m uvicorn`). `python -m flows.prefect_cli` is the
`prefect` command with the patch, for `server start` (see docs/orchestration.md). Nothing is patched when the installed
fastapi still accepts the old keywords.
"""

from __future__ import annotations

import inspect
import sys

_applied = False


def _needs_patch() -> bool:
    import fastapi.param_functions as pf

    params = inspect.signature(pf.Body).parameters
    return "min_items" not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values())


def _patch_fastapi() -> None:
    import fastapi
    import fastapi.param_functions as pf

    if getattr(pf.Body, "_curate_compat", False):
        return
    original = pf.Body

    def Body(*args, min_items=None, max_items=None, **kwargs):  # noqa: N802 - mirrors fastapi.Body
        if min_items is not None:
            kwargs.setdefault("min_length", min_items)
        if max_items is not None:
            kwargs.setdefault("max_length", max_items)
        return original(*args, **kwargs)

    Body._curate_compat = True  # type: ignore[attr-defined]
    Body.__wrapped__ = original  # type: ignore[attr-defined]
    pf.Body = Body
    fastapi.Body = Body


def apply() -> None:
    """Patch fastapi (if needed) here and in Prefect's temporary server subprocess. Idempotent."""
    global _applied
    if _applied:
        return
    _applied = True
    if not _needs_patch():
        return
    _patch_fastapi()

    from prefect.server.api import server as prefect_server

    original = prefect_server.SubprocessASGIServer._run_uvicorn_command

    def _run_uvicorn_command(self):
        import subprocess

        real_popen = subprocess.Popen

        def popen(args, *a, **kw):
            if list(args[:3]) == [sys.executable, "-m", "uvicorn"]:
                args = [sys.executable, "-c", "import flows._compat as c; c.run_uvicorn()", *args[3:]]
            return real_popen(args, *a, **kw)

        subprocess.Popen = popen
        try:
            return original(self)
        finally:
            subprocess.Popen = real_popen

    prefect_server.SubprocessASGIServer._run_uvicorn_command = _run_uvicorn_command


def run_uvicorn() -> None:
    """`python -c "import flows._compat as c; c.run_uvicorn()" <uvicorn args>`: uvicorn, patched."""
    if _needs_patch():
        _patch_fastapi()
    import uvicorn.main

    sys.argv[0] = "uvicorn"
    uvicorn.main.main()


def prefect_cli() -> None:
    """`python -m flows.prefect_cli ...`: the `prefect` CLI with the patch (e.g. `server start`)."""
    if _needs_patch():
        _patch_fastapi()
    from prefect.cli import app

    sys.exit(app())
