"""/events: upcoming council events for the resident's district, and reminders for them."""

from __future__ import annotations

from bot.core import Card, Choice, Reply, commands
from bot.core.choices import encode_choice, parse_number
from bot.storage.events import Event
from handlers.context import HandlerContext
from handlers.menu import back_to_menu, command_choice
from handlers.routing import Request

EVENT_CHOICE = "event"
SUBSCRIBE_CHOICE = "evsub"
UNSUBSCRIBE_CHOICE = "evunsub"
FOLLOW_CHOICE = "evfollow"
EVENTS_LISTED = 10


def _events_button(ctx: HandlerContext) -> Choice:
    return command_choice(ctx, commands.EVENTS)


async def _follow_button(ctx: HandlerContext) -> Choice:
    following = await ctx.services.events.is_following(ctx.resident.id)
    key, value = ("events.unfollow", "off") if following else ("events.follow", "on")
    return Choice(ctx.t(key), encode_choice(FOLLOW_CHOICE, value))


async def list_events(request: Request, ctx: HandlerContext) -> list[Reply]:
    events = await ctx.services.events.upcoming_for(ctx.resident.district, ctx.now, EVENTS_LISTED)
    follow = await _follow_button(ctx)
    if not events:
        return [Reply(ctx.t("events.none"), (follow, back_to_menu(ctx)))]
    cards = tuple(
        Card(
            f"{n}. {ctx.staff(event.title)}",
            (
                ctx.t("events.when", time=ctx.local_time(event.starts_at)),
                ctx.t("events.where", place=ctx.staff(event.place)),
            ),
            (Choice(ctx.t("events.open"), encode_choice(EVENT_CHOICE, str(event.id))),),
        )
        for n, event in enumerate(events, start=1)
    )
    return [Reply(ctx.t("events.heading"), (follow, back_to_menu(ctx)), cards=cards)]


async def _event_for(request: Request, ctx: HandlerContext) -> Event | None:
    args = request.choice.args if request.choice else ()
    event_id = parse_number(args[0]) if args else None
    if event_id is None:
        return None
    event = await ctx.services.events.get(event_id)
    if event is None or event.cancelled_at is not None or event.starts_at <= ctx.now:
        return None
    if event.district is not None and event.district != ctx.resident.district:
        return None
    return event


async def show_event(
    request: Request, ctx: HandlerContext, lead: str | None = None
) -> list[Reply]:
    event = await _event_for(request, ctx)
    if event is None:
        return [Reply(ctx.t("events.unknown"), (_events_button(ctx),))]
    subscribed = await ctx.services.events.is_subscribed(event.id, ctx.resident.id)
    lines = [lead] if lead else []
    lines += [
        f"【{ctx.staff(event.title)}】",
        ctx.t("events.when", time=ctx.local_time(event.starts_at)),
        ctx.t("events.where", place=ctx.staff(event.place)),
    ]
    if ctx.staff(event.description):
        lines.append(ctx.staff(event.description))
    if subscribed:
        lines.append(ctx.t("events.is_subscribed"))
    action, key = (
        (UNSUBSCRIBE_CHOICE, "events.unsubscribe")
        if subscribed
        else (SUBSCRIBE_CHOICE, "events.subscribe")
    )
    choices = (Choice(ctx.t(key), encode_choice(action, str(event.id))), _events_button(ctx))
    return [Reply("\n".join(lines), choices)]


async def subscribe(request: Request, ctx: HandlerContext) -> list[Reply]:
    event = await _event_for(request, ctx)
    if event is None:
        return [Reply(ctx.t("events.unknown"), (_events_button(ctx),))]
    await ctx.services.events.subscribe(event.id, ctx.resident.id, ctx.now)
    return await show_event(request, ctx, lead=ctx.t("events.subscribed"))


async def unsubscribe(request: Request, ctx: HandlerContext) -> list[Reply]:
    event = await _event_for(request, ctx)
    if event is None:
        return [Reply(ctx.t("events.unknown"), (_events_button(ctx),))]
    await ctx.services.events.unsubscribe(event.id, ctx.resident.id)
    return await show_event(request, ctx, lead=ctx.t("events.unsubscribed"))


async def follow(request: Request, ctx: HandlerContext) -> list[Reply]:
    following = bool(request.choice and request.choice.args == ("on",))
    await ctx.services.events.set_following(ctx.resident.id, following, ctx.now)
    key = "events.followed" if following else "events.unfollowed"
    return [Reply(ctx.t(key), (_events_button(ctx), back_to_menu(ctx)))]
