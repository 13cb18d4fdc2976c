"""Greeting, menu, help, contact, and the friendly answer to anything not understood."""

from __future__ import annotations

from collections.abc import Iterable

from bot.content import EASY, Catalog
from bot.core import Choice, Reply
from bot.core.choices import COMMAND_CHOICE, encode_choice
from bot.core.commands import COMMANDS, MENU, Command, listed_commands, menu_commands
from handlers.context import HandlerContext
from handlers.routing import Request

# The choice that sets the language (handled in handlers.settings, which imports this module).
LANGUAGE_CHOICE = "lang"


def command_list(
    catalog: Catalog, language: str, commands: Iterable[Command] = COMMANDS
) -> list[tuple[str, str]]:
    """(name, description) of each command a platform lists in its own menu (Telegram's "/")."""
    return [
        (command.name, catalog.text(command.label, language))
        for command in listed_commands(commands)
    ]


def command_choice(ctx: HandlerContext, command: Command, label_key: str | None = None) -> Choice:
    """A button that takes the same route as typing the command; labelled as in the table."""
    return Choice(ctx.t(label_key or command.label), encode_choice(COMMAND_CHOICE, command.name))


def main_menu(ctx: HandlerContext) -> tuple[Choice, ...]:
    return tuple(command_choice(ctx, command) for command in menu_commands())


def back_to_menu(ctx: HandlerContext) -> Choice:
    return command_choice(ctx, MENU, "menu.back")


async def start(request: Request, ctx: HandlerContext) -> list[Reply]:
    city = ctx.local(ctx.pack.municipality.name)
    return [Reply(ctx.t("start.welcome", city=city), main_menu(ctx))]


async def menu(request: Request, ctx: HandlerContext) -> list[Reply]:
    return [Reply(ctx.t("menu.prompt"), main_menu(ctx))]


async def help_(request: Request, ctx: HandlerContext) -> list[Reply]:
    # The lines a city words its own way (its pack's messages) are filled in.
    lines = {name: ctx.t(f"help.{name}") for name in ("events", "goals", "roles")}
    return [Reply(ctx.t("help.text", **lines), main_menu(ctx)), *await easier_words_if_lost(ctx)]


async def contact(request: Request, ctx: HandlerContext) -> list[Reply]:
    office = ctx.pack.contact
    lines = [ctx.t("contact.heading"), ctx.local(office.office)]
    if office.address:
        lines.append(ctx.t("contact.address", address=ctx.local(office.address)))
    if office.phone:
        lines.append(ctx.t("contact.phone", phone=office.phone))
    if office.fax:
        lines.append(ctx.t("contact.fax", fax=office.fax))
    return [Reply("\n".join(lines), (back_to_menu(ctx),))]


async def not_understood(request: Request, ctx: HandlerContext) -> list[Reply]:
    key = "fallback.stale_choice" if request.message.data else "fallback.unknown"
    return [Reply(ctx.t(key), main_menu(ctx)), *await easier_words_if_lost(ctx)]


# A resident who asks for help (or is not understood) this often is offered やさしい日本語.
HELP_ASKS_BEFORE_OFFER = 2


async def easier_words_if_lost(ctx: HandlerContext) -> list[Reply]:
    if ctx.language != "ja":
        return []
    if not await ctx.services.residents.count_help_ask(ctx.resident.id, HELP_ASKS_BEFORE_OFFER):
        return []
    offer = Choice(ctx.t("language.offer_button"), encode_choice(LANGUAGE_CHOICE, EASY))
    return [Reply(ctx.t("language.offer"), (offer, back_to_menu(ctx)))]
