"""`chiiki telegram` and `chiiki line`: setting up the platforms' side."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.output import echo
from bot.cli.startup import command_settings, friendly_errors, run_in_runtime

if TYPE_CHECKING:
    from bot.runtime import Runtime


@click.group()
def telegram() -> None:
    """Telegram set-up."""


@telegram.command("set-webhook")
@click.argument("url")
@friendly_errors
def telegram_set_webhook(url: str) -> None:
    """Point Telegram at URL (https://.../webhook/telegram) with our secret token."""
    from bot.channels.telegram import set_webhook
    from bot.errors import ConfigError

    settings = command_settings()
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
    echo(f"Telegram will post updates to {url}")


@click.group()
def line() -> None:
    """The LINE official account."""


@line.command("rich-menu")
@click.option(
    "--image",
    "image_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save the drawn picture here (to check it before residents see it).",
)
@friendly_errors
def line_rich_menu(image_out: Path | None) -> None:
    """Draw the rich menu from the pack, upload it and make it the default (replacing ours)."""
    from bot.channels.line_rich_menu import (
        MENU_NAME,
        draw_menu_image,
        menu_buttons,
        rich_menu_body,
    )
    from bot.errors import ChiikiError
    from bot.fonts import find_font

    async def work(runtime: Runtime) -> None:
        services = runtime.services
        buttons = menu_buttons(services.catalog)
        image = draw_menu_image(services.pack, buttons, find_font(runtime.settings.font))
        if image_out is not None:
            image_out.write_bytes(image)
        if runtime.line is None:
            raise ChiikiError(
                "LINE is not configured: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN"
            )
        body = rich_menu_body(services.pack, services.catalog, buttons)
        menu_id = await runtime.line.replace_rich_menu(
            body, image, runtime.settings.line_data_api_base, MENU_NAME
        )
        echo(f"rich menu {menu_id} is now the default ({len(buttons)} buttons)")

    run_in_runtime(work)
