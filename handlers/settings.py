"""/settings: the resident's language and district."""

from __future__ import annotations

import dataclasses

from bot.content import EASY, LANGUAGES
from bot.core import MAX_CHOICES, Choice, Reply, commands
from bot.core.choices import encode_choice, parse_number
from handlers.context import HandlerContext
from handlers.menu import LANGUAGE_CHOICE, back_to_menu, command_choice, main_menu, start
from handlers.routing import Request

DISTRICT_CHOICE = "district"
# A page of districts leaves room for "previous", "next" and "back" within LINE's 13 items.
DISTRICTS_PER_PAGE = MAX_CHOICES - 3
LANGUAGE_NAMES = {"ja": "日本語", "en": "English", "easy": "やさしい日本語"}


def district_name(ctx: HandlerContext) -> str:
    district_id = ctx.resident.district
    district = ctx.pack.district(district_id) if district_id else None
    if district is None:
        return ctx.t("settings.no_district")
    return ctx.local(district.name)


async def welcome(request: Request, ctx: HandlerContext) -> list[Reply]:
    """A new follower: the greeting, then the district question when the city has districts."""
    replies = await start(request, ctx)
    if ctx.pack.districts and not ctx.resident.district:
        replies.append(district_page(ctx, 0))
    return replies


async def show_settings(request: Request, ctx: HandlerContext) -> list[Reply]:
    text = ctx.t(
        "settings.current",
        language=LANGUAGE_NAMES[ctx.language],
        district=district_name(ctx),
    )
    choices = [
        Choice(LANGUAGE_NAMES[code], encode_choice(LANGUAGE_CHOICE, code)) for code in LANGUAGES
    ]
    if ctx.pack.districts:
        choices.append(Choice(ctx.t("settings.choose_district"), _page_data(0)))
    else:
        text += "\n" + ctx.t("settings.districts_not_set_up")
    choices += [command_choice(ctx, commands.LINK), back_to_menu(ctx)]
    return [Reply(text, tuple(choices))]


async def choose_language(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.choice is not None
    code = request.choice.args[0] if request.choice.args else ""
    if code not in LANGUAGES:
        return await show_settings(request, ctx)
    return await _set_language(ctx, code)


async def _set_language(ctx: HandlerContext, code: str) -> list[Reply]:
    await ctx.services.residents.set_language(ctx.resident.id, code, ctx.now)
    ctx = dataclasses.replace(ctx, resident=dataclasses.replace(ctx.resident, language=code))
    return [Reply(ctx.t("settings.language_set", language=LANGUAGE_NAMES[code]), main_menu(ctx))]


async def use_easy_japanese(request: Request, ctx: HandlerContext) -> list[Reply]:
    """Typing やさしい日本語 switches to it at once."""
    return await _set_language(ctx, EASY)


async def choose_district(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.choice is not None
    match request.choice.args:
        case ("set", district_id) if ctx.pack.district(district_id):
            await ctx.services.residents.set_district(ctx.resident.id, district_id, ctx.now)
            district = ctx.pack.district(district_id)
            assert district is not None
            return [
                Reply(
                    ctx.t("settings.district_set", district=ctx.local(district.name)),
                    main_menu(ctx),
                )
            ]
        case ("clear",):
            await ctx.services.residents.set_district(ctx.resident.id, None, ctx.now)
            return [Reply(ctx.t("settings.district_cleared"), main_menu(ctx))]
        case ("page", page) if (number := parse_number(page)) is not None:
            return [district_page(ctx, number)]
    return [district_page(ctx, 0)]


def _page_data(page: int) -> str:
    return encode_choice(DISTRICT_CHOICE, "page", str(page))


def district_page(ctx: HandlerContext, page: int) -> Reply:
    districts = ctx.pack.districts
    if not districts:
        return Reply(ctx.t("settings.districts_not_set_up"), (back_to_menu(ctx),))
    last_page = (len(districts) - 1) // DISTRICTS_PER_PAGE
    page = min(max(page, 0), last_page)
    shown = districts[page * DISTRICTS_PER_PAGE : (page + 1) * DISTRICTS_PER_PAGE]
    choices = [
        Choice(ctx.local(d.name), encode_choice(DISTRICT_CHOICE, "set", d.id)) for d in shown
    ]
    if page > 0:
        choices.append(Choice(ctx.t("choices.previous"), _page_data(page - 1)))
    if page < last_page:
        choices.append(Choice(ctx.t("choices.next"), _page_data(page + 1)))
    if ctx.resident.district:
        choices.append(
            Choice(ctx.t("settings.clear_district"), encode_choice(DISTRICT_CHOICE, "clear"))
        )
    else:
        choices.append(command_choice(ctx, commands.SETTINGS))
    return Reply(ctx.t("settings.district_prompt"), tuple(choices))
