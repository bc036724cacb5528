"""File utilities every module shares, at the bottom of the import graph (nothing from curation):
`atomic_path` (write next to the target, then rename, so a reader never sees half a file),
`write_text_atomic`, and `sqlite_url` (a path or a SQLAlchemy URL -> a URL)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block succeeds, rename it over `path`.

    The rename is atomic on one filesystem, so readers see the old file or the whole new one; on an
    error the temporary file is removed and `path` is untouched. The parent folder is created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def sqlite_url(url_or_path: str | Path) -> str:
    """A SQLAlchemy URL as is; a filesystem path becomes an absolute `sqlite:///` URL (parent created)."""
    text = str(url_or_path)
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"
