"""How every `chiiki` command starts: its settings, its errors, and the one way it opens the
runtime (database migrated, pack and catalog loaded, channels to send with)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from bot.cli.output import echo
from bot.config import Settings, load_settings
from bot.errors import ChiikiError

if TYPE_CHECKING:
    from bot.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def friendly_errors(command: F) -> F:
    """Our own errors end the command with one line and exit code 2, not a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ChiikiError as exc:
            echo(f"chiiki: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def command_settings() -> Settings:
    """The settings, read once per command; from here on no log line shows a secret of theirs
    (a staff command's Telegram timeout names the Bot API URL, token included)."""
    from bot.logging_setup import scrub_secrets, secret_values

    settings = load_settings()
    scrub_secrets(secret_values(settings))
    return settings


def run_in_runtime(
    work: Callable[[Runtime], Awaitable[T]],
    settings: Settings | None = None,
    serving: bool = False,
    answering: bool = False,
) -> T:
    """Open the runtime for a command and run `work` in it. A staff command gets channels to
    send with and no server duties; `chiiki chat` also serves (timers, delivery) and answers."""
    from bot.runtime import open_runtime

    settings = settings or command_settings()

    async def run() -> T:
        async with open_runtime(settings, serving=serving, answering=answering) as runtime:
            return await work(runtime)

    return asyncio.run(run())


async def deliver_with_progress(runtime: Runtime, broadcast_id: int) -> None:
    """Send a queued broadcast from this process, with a progress bar, and say how it went."""
    from rich.progress import Progress

    total = sum((await runtime.outbox.progress(broadcast_id)).values())
    with Progress(transient=False) as bar:
        task = bar.add_task(f"broadcast {broadcast_id}", total=total)
        runtime.delivery.on_progress = lambda state, count: bar.advance(task, count)
        final = await runtime.delivery.deliver_until_settled(broadcast_id)
    echo(f"sent {final['sent']}, failed {final['failed']}, unreachable {final['unreachable']}")
