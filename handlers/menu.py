"""Greeting, menu, help, contact, and the friendly answer to anything not understood."""

from __future__ import annotations

from bot.content import EASY, Catalog
from bot.core import Choice, Reply
from bot.core.choices import COMMAND_CHOICE, encode_choice
from handlers.context import HandlerContext
from handlers.routing import Request

# The choice that sets the language (handled in handlers.settings, which imports this module).
LANGUAGE_CHOICE = "lang"

# The main menu, in the order residents see it: (command, catalog key of its label).
MAIN_MENU = (
    ("polls", "menu.polls"),
    ("events", "menu.events"),
    ("watch", "menu.watch"),
    ("outcomes", "menu.outcomes"),
    ("voice", "menu.voice"),
    ("goals", "menu.goals"),
    ("roles", "menu.roles"),
    ("about", "menu.about"),
    ("system", "menu.system"),
    ("settings", "menu.settings"),
    ("contact", "menu.contact"),
    ("help", "menu.help"),
)

# The commands a platform may list in its own menu (Telegram's "/" list), with descriptions.
COMMAND_LIST = (
    ("start", "command.start"),
    ("polls", "menu.polls"),
    ("events", "menu.events"),
    ("watch", "menu.watch"),
    ("goals", "menu.goals"),
    ("roles", "menu.roles"),
    ("about", "menu.about"),
    ("system", "menu.system"),
    ("outcomes", "menu.outcomes"),
    ("voice", "menu.voice"),
    ("contact", "menu.contact"),
    ("settings", "menu.settings"),
    ("link", "menu.link"),
    ("mydata", "command.mydata"),
    ("forget", "command.forget"),
    ("help", "menu.help"),
)


def command_list(catalog: Catalog, language: str) -> list[tuple[str, str]]:
    return [(command, catalog.text(key, language)) for command, key in COMMAND_LIST]


def command_choice(ctx: HandlerContext, command: str, label_key: str) -> Choice:
    return Choice(ctx.t(label_key), encode_choice(COMMAND_CHOICE, command))


def main_menu(ctx: HandlerContext) -> tuple[Choice, ...]:
    return tuple(command_choice(ctx, command, key) for command, key in MAIN_MENU)


def back_to_menu(ctx: HandlerContext) -> Choice:
    return command_choice(ctx, "menu", "menu.back")


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
