from __future__ import annotations

import pytest

from .helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue(tmp_path, clock):
    from curation.review import ReviewQueue

    q = ReviewQueue(str(tmp_path / "review.sqlite"), lease_seconds=60, clock=clock)
    yield q
    q.close()
