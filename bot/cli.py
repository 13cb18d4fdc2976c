"""The `chiiki` command: everything staff and developers do from a terminal."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from bot.config import Settings, load_settings
from bot.errors import ChiikiError

F = TypeVar("F", bound=Callable[..., Any])


def _friendly_errors(command: F) -> F:
    """Our own errors end the command with one line and exit code 2, not a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ChiikiError as exc:
            click.echo(f"chiiki: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def _settings() -> Settings:
    return load_settings()


@click.group()
def main() -> None:
    """chiiki: a community-building (地域づくり) chat bot for municipalities."""


@main.command()
@click.option("--host", help="Address to listen on (default CHIIKI_HOST).")
@click.option("--port", type=int, help="Port to listen on (default CHIIKI_PORT).")
@click.option(
    "--telegram-polling",
    is_flag=True,
    help="Fetch Telegram updates with getUpdates (no public HTTPS address needed).",
)
@_friendly_errors
def serve(host: str | None, port: int | None, telegram_polling: bool) -> None:
    """Start the web server: web chat at /chat, health at /healthz."""
    import uvicorn

    from bot.content import load_catalog, load_pack
    from bot.logging_setup import configure_logging
    from bot.web import build_app

    settings = _settings()
    configure_logging(settings.log_level)
    # Fail before the server starts, with one line, when the pack or catalog is broken.
    load_pack(settings.content_dir, settings.pack)
    load_catalog(settings.content_dir)
    click.echo(f"chiiki: web chat at http://{host or settings.host}:{port or settings.port}/chat")
    uvicorn.run(
        build_app(settings, telegram_polling=telegram_polling),
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
    )


@main.command()
@_friendly_errors
def migrate() -> None:
    """Apply pending database migrations."""
    from bot.storage import apply_migrations, open_database

    settings = _settings()

    async def run() -> list[int]:
        db = await open_database(settings.db)
        try:
            return await apply_migrations(db, settings.migrations_dir)
        finally:
            await db.close()

    applied = asyncio.run(run())
    if applied:
        click.echo("applied: " + ", ".join(f"{v:04d}" for v in applied))
    else:
        click.echo("the database is up to date")


@main.command()
@click.option("--user", default="console", show_default=True, help="Resident id to chat as.")
@_friendly_errors
def chat(user: str) -> None:
    """Chat with the bot in the terminal: type text, or a number to pick a choice."""
    from bot.channels.console import ConsoleSession
    from bot.logging_setup import configure_logging
    from bot.runtime import open_runtime

    settings = _settings()
    configure_logging("WARNING")
    session = ConsoleSession(user)
    interactive = sys.stdin.isatty()

    async def run() -> None:
        async with open_runtime(settings) as runtime:
            if interactive:
                replies = await runtime.dispatcher.handle(session.incoming("/start"))
                click.echo(session.render(replies))
            while True:
                if interactive:
                    click.echo("> ", nl=False)
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    break
                if not line.strip():
                    continue
                replies = await runtime.dispatcher.handle(session.incoming(line.rstrip("\n")))
                click.echo(session.render(replies) + "\n")

    asyncio.run(run())


@main.group()
def telegram() -> None:
    """Telegram set-up."""


@telegram.command("set-webhook")
@click.argument("url")
@_friendly_errors
def telegram_set_webhook(url: str) -> None:
    """Point Telegram at URL (https://.../webhook/telegram) with our secret token."""
    from bot.channels.telegram import set_webhook
    from bot.errors import ConfigError

    settings = _settings()
    if not settings.telegram_bot_token or not settings.telegram_webhook_secret:
        raise ConfigError("set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first")
    asyncio.run(
        set_webhook(
            settings.telegram_bot_token.get_secret_value(),
            settings.telegram_api_base,
            url,
            settings.telegram_webhook_secret.get_secret_value(),
        )
    )
    click.echo(f"Telegram will post updates to {url}")


@main.group()
def content() -> None:
    """Content packs: one per municipality, under content/."""


@content.command("check")
@_friendly_errors
def content_check() -> None:
    """Validate every pack and the message catalog; exit 1 naming each problem."""
    from bot.content import list_packs, load_catalog
    from bot.content.loader import check_packs

    settings = _settings()
    problems = check_packs(settings.content_dir)
    try:
        load_catalog(settings.content_dir)
    except ChiikiError as exc:
        problems.append(str(exc))
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("ok: " + ", ".join(list_packs(settings.content_dir)) + " and the message catalog")


@content.command("list")
@_friendly_errors
def content_list() -> None:
    """List the packs that can be chosen with CHIIKI_PACK."""
    from bot.content import list_packs

    for name in list_packs(_settings().content_dir):
        click.echo(name)
