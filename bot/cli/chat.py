"""`chiiki chat`: talk to the bot in the terminal, as a resident would."""

from __future__ import annotations

import asyncio
import sys

import click

from bot.cli.output import echo
from bot.cli.startup import command_settings, friendly_errors, run_in_runtime

# Typed alone, these end `chiiki chat` (as does Ctrl-D); said at the start.
LEAVE_WORDS = frozenset({"exit", "quit", "/exit", "/quit", "終了", "おわり"})
LEAVE_HINT = "（終わるときは exit か quit と入力してください / type exit or quit to leave）"


def _interactive() -> bool:
    """A person at a terminal (greeted, prompted), not lines piped in."""
    return sys.stdin.isatty()


@click.command()
@click.option("--user", default="console", show_default=True, help="Resident id to chat as.")
@friendly_errors
def chat(user: str) -> None:
    """Chat with the bot in the terminal: type text, or a number to pick a choice."""
    from bot.channels.console import ConsoleSession
    from bot.logging_setup import configure_logging, secret_values
    from bot.runtime import Runtime

    settings = command_settings()
    configure_logging("WARNING", secrets=secret_values(settings))
    session = ConsoleSession(user)
    interactive = _interactive()

    async def talk(runtime: Runtime) -> None:
        if interactive:
            replies = await runtime.pipeline.converse(session.incoming("/start"))
            echo(session.render(replies))
            echo(f"\n{LEAVE_HINT}")
        while True:
            if interactive:
                echo("> ", nl=False)
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line or line.strip().lower() in LEAVE_WORDS:
                break
            if not line.strip():
                continue
            replies = await runtime.pipeline.converse(session.incoming(line.rstrip("\n")))
            echo(session.render(replies) + "\n")

    # The console is a whole bot: it answers questions, fires reminders and delivers.
    run_in_runtime(talk, settings, serving=True, answering=True)
