"""Commands of this module are registered on the `curate` app by `register`."""

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
