"""Peak resident memory of this process while a piece of work runs (per pipeline stage).

`resource.getrusage(...).ru_maxrss` is the high-water mark of the whole process so far: it never
goes down, so after a stage that needed 5 GB every later stage would report 5 GB too. `PeakRss`
instead samples the current resident size (`/proc/self/statm`) on a background thread every
`interval` seconds while the block runs, and keeps the largest value seen (also sampled at the
start and the end, so a short stage still gets a value). It is the process's memory, not the
stage's own allocations: memory an earlier stage still holds (or the allocator kept) counts too.
Where `/proc` is missing (not Linux), it falls back to `ru_maxrss` at the end of the block.
"""

from __future__ import annotations

import os
import resource
import sys
import threading
from pathlib import Path
from typing import Optional

_STATM = Path("/proc/self/statm")


def current_rss() -> Optional[int]:
    """Resident set size of this process in bytes, or None when it cannot be read."""
    try:
        with open(_STATM) as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def max_rss_so_far() -> int:
    """The process's high-water mark (bytes): `ru_maxrss` is KiB on Linux, bytes on macOS."""
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(value) if sys.platform == "darwin" else int(value) * 1024


class PeakRss:
    """`with PeakRss() as peak: ...` then `peak.bytes` / `peak.mb`: the largest resident size seen."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.bytes = 0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _sample(self) -> None:
        value = current_rss()
        if value is not None and value > self.bytes:
            self.bytes = value

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> "PeakRss":
        self._sample()
        if current_rss() is not None:  # no /proc: nothing to sample
            self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        if self.bytes == 0:
            self.bytes = max_rss_so_far()

    @property
    def mb(self) -> float:
        return self.bytes / 1e6
