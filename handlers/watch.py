"""/watch (見守り): sign up for school-route watch shifts, with a waitlist; /watch mine."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.core import MAX_CARDS, Card, Choice, Reply
from bot.core.choices import encode_choice, parse_number
from bot.storage.watch import Shift, SignupOutcome
from handlers.context import HandlerContext
from handlers.menu import back_to_menu, command_choice
from handlers.routing import Request

ROUTE_CHOICE = "wroute"
SHIFT_CHOICE = "wshift"
JOIN_CHOICE = "wjoin"
LEAVE_CHOICE = "wleave"
CONSENT_CHOICE = "wconsent"
ASKING_NAME = "watch_name"
ASKING_CONSENT = "watch_consent"
NAME_LIMIT = 30
STATE_TTL = timedelta(minutes=30)
SHIFTS_LISTED = 10


def _watch_button(ctx: HandlerContext) -> Choice:
    return command_choice(ctx, "watch", "menu.watch")


def _mine_button(ctx: HandlerContext) -> Choice:
    return Choice(ctx.t("watch.mine_button"), encode_choice("cmd", "watch", "mine"))


def _id(request: Request) -> int | None:
    args = request.choice.args if request.choice else ()
    return parse_number(args[0]) if args else None


def _places(ctx: HandlerContext, shift: Shift) -> str:
    if shift.free:
        return ctx.t("watch.free", count=shift.free)
    return ctx.t("watch.full", count=shift.waitlisted)


async def show_watch(request: Request, ctx: HandlerContext) -> list[Reply]:
    if request.args[:1] == ("mine",):
        return await show_mine(request, ctx)
    routes = await ctx.services.watch.routes_for(ctx.resident.district)
    if not routes:
        return [Reply(ctx.t("watch.no_routes"), (back_to_menu(ctx),))]
    choices = [
        Choice(route.name(ctx.language), encode_choice(ROUTE_CHOICE, str(route.id)))
        for route in routes[:10]
    ]
    return [Reply(ctx.t("watch.choose_route"), (*choices, _mine_button(ctx), back_to_menu(ctx)))]


async def show_route(request: Request, ctx: HandlerContext) -> list[Reply]:
    route_id = _id(request)
    route = await ctx.services.watch.route(route_id) if route_id is not None else None
    if route is None:
        return [Reply(ctx.t("fallback.stale_choice"), (_watch_button(ctx),))]
    shifts = await ctx.services.watch.upcoming_shifts(route.id, ctx.now, SHIFTS_LISTED)
    lines = [
        f"【{ctx.staff(route.name)}】",
        ctx.t("watch.meeting", place=ctx.staff(route.meeting_point)),
    ]
    if route.note(ctx.language):
        lines.append(ctx.staff(lambda language: route.note(language) or ""))
    if not shifts:
        lines.append(ctx.t("watch.no_shifts"))
    cards = tuple(
        Card(
            ctx.local_time(shift.starts_at),
            (_places(ctx, shift),),
            (Choice(ctx.t("watch.open"), encode_choice(SHIFT_CHOICE, str(shift.id))),),
        )
        for shift in shifts[:MAX_CARDS]
    )
    return [Reply("\n".join(lines), (_watch_button(ctx),), cards=cards)]


async def show_shift(request: Request, ctx: HandlerContext) -> list[Reply]:
    shift_id = _id(request)
    shift = await ctx.services.watch.shift(shift_id) if shift_id is not None else None
    if shift is None or not shift.is_open(ctx.now):
        return [Reply(ctx.t("watch.closed"), (_watch_button(ctx),))]
    route = await ctx.services.watch.route(shift.route_id)
    assert route is not None
    text = "\n".join(
        [
            f"【{ctx.staff(route.name)}】",
            ctx.t(
                "watch.when",
                start=ctx.local_time(shift.starts_at),
                end=shift.ends_at.astimezone(ctx.services.timezone).strftime("%H:%M"),
            ),
            ctx.t("watch.meeting", place=ctx.staff(route.meeting_point)),
            _places(ctx, shift),
        ]
    )
    key = "watch.join" if shift.free else "watch.join_waitlist"
    join = Choice(ctx.t(key), encode_choice(JOIN_CHOICE, str(shift.id)))
    return [Reply(text, (join, _watch_button(ctx)))]


async def join(request: Request, ctx: HandlerContext) -> list[Reply]:
    shift_id = _id(request)
    if shift_id is None:
        return [Reply(ctx.t("fallback.stale_choice"), (_watch_button(ctx),))]
    if ctx.resident.consent_at is None or not ctx.resident.display_name:
        # The first sign-up asks the roster name and the consent to keep it.
        await ctx.services.conversations.enter(
            ctx.resident.id, ASKING_NAME, ctx.now + STATE_TTL, {"shift": shift_id}
        )
        return [Reply(ctx.t("watch.ask_name", limit=NAME_LIMIT), (_watch_button(ctx),))]
    return await _sign_up(shift_id, ctx)


async def receive_name(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.state is not None
    name = request.text.strip()
    if len(name) > NAME_LIMIT:
        return [Reply(ctx.t("watch.name_too_long", limit=NAME_LIMIT), (_watch_button(ctx),))]
    data = {**request.state.data, "name": name}
    await ctx.services.conversations.enter(
        ctx.resident.id, ASKING_CONSENT, ctx.now + STATE_TTL, data
    )
    choices = (
        Choice(ctx.t("watch.consent_yes"), encode_choice(CONSENT_CHOICE, "yes")),
        Choice(ctx.t("watch.consent_no"), encode_choice(CONSENT_CHOICE, "no")),
    )
    return [Reply(ctx.t("watch.ask_consent", name=name), choices)]


async def answer_consent(request: Request, ctx: HandlerContext) -> list[Reply]:
    conversations = ctx.services.conversations
    state = await conversations.current(ctx.resident.id, ctx.now)
    await conversations.leave(ctx.resident.id)
    if state is None or state.state != ASKING_CONSENT:
        return [Reply(ctx.t("fallback.stale_choice"), (_watch_button(ctx),))]
    if request.choice is None or request.choice.args != ("yes",):
        return [Reply(ctx.t("watch.no_consent"), (_watch_button(ctx), back_to_menu(ctx)))]
    name = str(state.data["name"])
    await ctx.services.residents.give_consent(ctx.resident.id, name, ctx.now)
    resident = dataclasses.replace(ctx.resident, display_name=name, consent_at=ctx.now)
    return await _sign_up(int(state.data["shift"]), dataclasses.replace(ctx, resident=resident))


async def _sign_up(shift_id: int, ctx: HandlerContext) -> list[Reply]:
    outcome, place = await ctx.services.watch.sign_up(shift_id, ctx.resident.id, ctx.now)
    key = {
        SignupOutcome.CONFIRMED: "watch.confirmed",
        SignupOutcome.WAITLISTED: "watch.waitlisted",
        SignupOutcome.ALREADY: "watch.already",
        SignupOutcome.OVERLAP: "watch.overlap",
        SignupOutcome.CLOSED: "watch.closed",
    }[outcome]
    return [Reply(ctx.t(key, place=place or 0), (_mine_button(ctx), _watch_button(ctx)))]


async def show_mine(request: Request, ctx: HandlerContext) -> list[Reply]:
    signups = await ctx.services.watch.signups_of(ctx.resident.id, ctx.now)
    if not signups:
        return [Reply(ctx.t("watch.none_mine"), (_watch_button(ctx), back_to_menu(ctx)))]
    lines = [ctx.t("watch.mine_heading")]
    choices = []
    for signup in signups[:11]:
        when = ctx.local_time(signup.shift.starts_at)
        status = (
            ctx.t("watch.status_confirmed")
            if signup.status == "confirmed"
            else ctx.t("watch.status_waitlisted", place=signup.waitlist_position)
        )
        lines.append(f"・{when} {ctx.staff(signup.route.name)} {status}")
        choices.append(
            Choice(
                ctx.t("watch.leave", time=when), encode_choice(LEAVE_CHOICE, str(signup.shift.id))
            )
        )
    return [Reply("\n".join(lines), (*choices, _watch_button(ctx)))]


async def leave(request: Request, ctx: HandlerContext) -> list[Reply]:
    shift_id = _id(request)
    left = False
    if shift_id is not None:
        left, _ = await ctx.services.watch.withdraw(
            shift_id, ctx.resident.id, ctx.now, ctx.services.notices.shift_promoted
        )
    key = "watch.left" if left else "fallback.stale_choice"
    return [Reply(ctx.t(key), (_mine_button(ctx), _watch_button(ctx)))]
