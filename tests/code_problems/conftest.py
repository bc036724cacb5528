"""Fixtures for the code tests: a REAL bubblewrap sandbox (never a mock).

The tests that need it skip, with the reason, only when bwrap is missing or cannot create
namespaces on this machine (`.ci/run` installs bubblewrap).
"""

from __future__ import annotations

import pytest

from curation.code.sandbox import Limits, Sandbox, SandboxUnavailable


@pytest.fixture(scope="session")
def sandbox():
    try:
        box = Sandbox(limits=Limits(cpu_seconds=1, wall_seconds=4, memory_mb=256, output_bytes=64 * 1024), workers=2)
    except SandboxUnavailable as exc:
        pytest.skip(f"real sandbox unavailable: {exc}")
    yield box
    box.close()


@pytest.fixture(scope="session")
def harness(sandbox):
    from curation.code.harness import Harness

    return Harness(sandbox)
