"""Entry point of the `curate` command.

Command modules each define `register(app)`. Heavy libraries (sympy, prefect, openai, datasets)
are imported inside command bodies so `curate --help` and light commands start fast.
"""

from __future__ import annotations

import os
import sys

import typer
from curation.cli.console import console as make_console, styled

from curation.cli import (
    difficulty_cmd,
    foundation_cmd,
    generate_cmd,
    mcq_cmd,
    dedup_cmd,
    orchestration_cmd,
    pipeline_cmd,
    review_cmd,
    verify_cmd,
)
from curation.errors import CurateError

app = typer.Typer(
    name="curate",
    help="Turn raw competition problems into clean, verified, difficulty-graded RL training data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # help texts name config sections like [clean]: print them as written
)

for module in (
    foundation_cmd,
    pipeline_cmd,
    verify_cmd,
    dedup_cmd,
    mcq_cmd,
    difficulty_cmd,
    generate_cmd,
    review_cmd,
    orchestration_cmd,
):
    module.register(app)

err_console = make_console(stderr=True)


def _interrupt_on_sigterm() -> None:
    """SIGTERM (a scheduler stopping the job, `kill`) unwinds like Ctrl-C: stores flush what they
    received and runs are recorded as interrupted, instead of the process vanishing mid-write."""
    import signal

    def handler(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (embedded use)
        pass


def main() -> None:
    """Run the CLI; a CurateError (or any unexpected error) becomes one line on stderr and exit 2."""
    _interrupt_on_sigterm()
    try:
        app()
    except CurateError as exc:
        err_console.print(styled(("error:", "bold red"), f" {exc}"), soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err_console.print("interrupted", style="bold red")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: never a traceback unless asked for
        if os.environ.get("CURATE_DEBUG"):
            raise
        err_console.print(
            styled(("error:", "bold red"), f" {type(exc).__name__}: {exc} (set CURATE_DEBUG=1 for a traceback)"),
            soft_wrap=True,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
