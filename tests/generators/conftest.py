"""Compile the numba kernels once, in this process, before any test starts a process pool: with a
cold cache, pool workers would each compile them at the same time (once 125 s in one CLI test)."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels():
    from generators.registry import REGISTRY, generate_chunk

    for name, cls in REGISTRY.items():
        generate_chunk(name, min(cls.levels), [0])
