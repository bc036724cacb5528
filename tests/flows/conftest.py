"""One Prefect test harness (temporary API server + database) for the whole tests/flows session."""

from __future__ import annotations

import os
import tempfile

# before Prefect is imported: a throw-away PREFECT_HOME, no analytics
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="curate-prefect-home-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels():
    """Compile the puzzle kernels once here, before process-pool and Dask runners start workers."""
    from generators.registry import REGISTRY, generate_chunk

    for name, cls in REGISTRY.items():
        generate_chunk(name, min(cls.levels), [0])
