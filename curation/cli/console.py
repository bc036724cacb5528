"""The consoles every command prints through: user text is never read as Rich markup.

Paths, config names, notes and error messages come from users and data (`runs[/b].toml`,
`exp[bold].toml`, `[clean]`): with markup on, Rich would crash on some and silently eat others.
So consoles are made with markup off, and styling is given explicitly (`style=`, `Text`).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text


def console(*, stderr: bool = False) -> Console:
    return Console(stderr=stderr, markup=False, highlight=False)


def styled(*parts: str | tuple[str, str]) -> Text:
    """`styled(("error:", "bold red"), " ", message)`: styled pieces and plain (literal) text."""
    return Text.assemble(*parts)
