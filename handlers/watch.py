"""/watch (見守り): sign up for school-route watch shifts, with a waitlist; /watch mine."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bot.core import MAX_CARDS, Card, Choice, Reply, commands
from bot.core.choices import encode_choice, parse_number
from bot.storage.watch.places import SignupOutcome
from bot.storage.watch.schedule import Route, Shift
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


def _watch_button(ctx: HandlerContext) -> Choice:
    return command_choice(ctx, commands.WATCH)


def _mine_button(ctx: HandlerContext) -> Choice:
    return Choice(ctx.t("watch.mine_button"), _mine_data())


def _id(request: Request) -> int | None:
    args = request.choice.args if request.choice else ()
    return parse_number(args[0]) if args else None


def _shift_time(ctx: HandlerContext, shift: Shift, key: str = "time.shift") -> str:
    """The shift's day with its weekday, start and end: 「12月3日(木) 7:30〜8:15」, easy
    「12月3日（木） 午前7時30分から 午前8時15分まで」."""
    return ctx.local_span(shift.starts_at, shift.ends_at, key)


def _places(ctx: HandlerContext, shift: Shift) -> str:
    if shift.free:
        return ctx.t("watch.free", count=shift.free)
    return ctx.t("watch.full", count=shift.waitlisted)


async def show_watch(request: Request, ctx: HandlerContext) -> list[Reply]:
    if request.args[:1] == ("mine",):
        return await show_mine(request, ctx)
    routes = await ctx.services.watch.schedule.routes_for(ctx.resident.district)
    if not routes:
        return [Reply(ctx.t("watch.no_routes"), (back_to_menu(ctx),))]
    choices = [
        Choice(route.name.pick(ctx.language), encode_choice(ROUTE_CHOICE, str(route.id)))
        for route in routes[:10]
    ]
    return [Reply(ctx.t("watch.choose_route"), (*choices, _mine_button(ctx), back_to_menu(ctx)))]


async def show_route(request: Request, ctx: HandlerContext) -> list[Reply]:
    route = await _route_for(ctx, _id(request))
    if route is None:
        return [Reply(ctx.t("fallback.stale_choice"), (_watch_button(ctx),))]
    # A page of shifts at a time, as many as a reply holds cards; "more" shows the next page.
    args = request.choice.args if request.choice else ()
    offset = (parse_number(args[1]) if len(args) > 1 else None) or 0
    shifts = await ctx.services.watch.schedule.upcoming_shifts(
        route.id, ctx.now, offset + MAX_CARDS + 1
    )
    shown = shifts[offset : offset + MAX_CARDS]
    held = {s.shift.id: s for s in await ctx.services.watch.signups.of(ctx.resident.id, ctx.now)}
    lines = [
        f"【{ctx.staff(route.name)}】",
        ctx.t("watch.meeting", place=ctx.staff(route.meeting_point)),
    ]
    if route.note is not None:
        lines.append(ctx.staff(route.note))
    if not shown:
        lines.append(ctx.t("watch.no_shifts"))
    cards = []
    for shift in shown:
        card_lines = [_places(ctx, shift)]
        mine = held.get(shift.id)
        if mine is not None:  # the resident's own shift, so they need not open it to know
            held_key = f"watch.held_{mine.status}"
            card_lines.insert(0, ctx.t(held_key, place=mine.waitlist_position or 0))
        label = ctx.t("watch.open_at", when=_shift_time(ctx, shift, "time.shift_start"))
        cards.append(
            Card(
                _shift_time(ctx, shift),
                tuple(card_lines),
                (Choice(label, encode_choice(SHIFT_CHOICE, str(shift.id))),),
            )
        )
    choices = [_watch_button(ctx)]
    if len(shifts) > offset + MAX_CARDS:
        more = encode_choice(ROUTE_CHOICE, str(route.id), str(offset + MAX_CARDS))
        choices.insert(0, Choice(ctx.t("watch.more"), more))
    return [Reply("\n".join(lines), tuple(choices), cards=tuple(cards))]


def _status(ctx: HandlerContext, status: str, place: int | None) -> str:
    if status == "confirmed":
        return ctx.t("watch.status_confirmed")
    return ctx.t("watch.status_waitlisted", place=place)


async def show_shift(request: Request, ctx: HandlerContext) -> list[Reply]:
    shift_id = _id(request)
    shift = await ctx.services.watch.schedule.shift(shift_id) if shift_id is not None else None
    route = await _route_for(ctx, shift.route_id) if shift is not None else None
    if shift is None or route is None or not shift.is_open(ctx.now):
        return [Reply(ctx.t("watch.closed"), (_watch_button(ctx),))]
    text = "\n".join(
        [
            f"【{ctx.staff(route.name)}】",
            ctx.t("watch.when_day", when=_shift_time(ctx, shift)),
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
    # One line: a line break or tab in a roster name would print as rows of its own.
    name = " ".join(request.text.split())
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


async def _route_for(ctx: HandlerContext, route_id: int | None) -> Route | None:
    """The route, if this resident is offered it: the list shows only routes of everywhere and
    of their own district, and a forged button must not reach the others."""
    route = await ctx.services.watch.schedule.route(route_id) if route_id is not None else None
    if route is None or route.district not in (None, ctx.resident.district):
        return None
    return route


async def _sign_up(shift_id: int, ctx: HandlerContext) -> list[Reply]:
    shift = await ctx.services.watch.schedule.shift(shift_id)
    if shift is None or await _route_for(ctx, shift.route_id) is None:
        return [Reply(ctx.t("watch.closed"), (_mine_button(ctx), _watch_button(ctx)))]
    outcome, place = await ctx.services.watch.signups.sign_up(shift_id, ctx.resident.id, ctx.now)
    key = {
        SignupOutcome.CONFIRMED: "watch.confirmed",
        SignupOutcome.WAITLISTED: "watch.waitlisted",
        SignupOutcome.ALREADY: "watch.already",
        SignupOutcome.OVERLAP: "watch.overlap",
        SignupOutcome.CLOSED: "watch.closed",
    }[outcome]
    return [Reply(ctx.t(key, place=place or 0), (_mine_button(ctx), _watch_button(ctx)))]


async def show_mine(request: Request, ctx: HandlerContext) -> list[Reply]:
    signups = await ctx.services.watch.signups.of(ctx.resident.id, ctx.now)
    if not signups:
        return [Reply(ctx.t("watch.none_mine"), (_watch_button(ctx), back_to_menu(ctx)))]
    lines = [ctx.t("watch.mine_heading")]
    choices = []
    for signup in signups[:11]:
        when = _shift_time(ctx, signup.shift)
        status = _status(ctx, signup.status, signup.waitlist_position)
        lines.append(f"・{when} {ctx.staff(signup.route.name)} {status}")
        label = ctx.t("watch.leave", time=_shift_time(ctx, signup.shift, "time.shift_start"))
        choices.append(Choice(label, encode_choice(LEAVE_CHOICE, str(signup.shift.id))))
    return [Reply("\n".join(lines), (*choices, _watch_button(ctx)))]


async def leave(request: Request, ctx: HandlerContext) -> list[Reply]:
    """One tap asks; the second (`wleave:<shift>:yes`) withdraws."""
    shift_id = _id(request)
    args = request.choice.args if request.choice else ()
    if shift_id is not None and args[1:] != ("yes",):
        # Asked only about a shift the resident holds: the question names its route and time,
        # which a forged button must not reveal for another district's shift.
        held = await ctx.services.watch.signups.of(ctx.resident.id, ctx.now)
        signup = next((s for s in held if s.shift.id == shift_id), None)
        if signup is not None:
            sure = Choice(
                ctx.t("watch.leave_yes"), encode_choice(LEAVE_CHOICE, str(shift_id), "yes")
            )
            when, route = _shift_time(ctx, signup.shift), ctx.staff(signup.route.name)
            text = ctx.t("watch.leave_confirm", when=when, route=route)
            return [Reply(text, (sure, Choice(ctx.t("watch.leave_no"), _mine_data())))]
        shift_id = None  # nothing of theirs to leave, and nothing was asked
    left = False
    if shift_id is not None:
        left, _ = await ctx.services.watch.signups.withdraw(
            shift_id, ctx.resident.id, ctx.now, ctx.services.notices.shift_promoted
        )
    key = "watch.left" if left else "fallback.stale_choice"
    return [Reply(ctx.t(key), (_mine_button(ctx), _watch_button(ctx)))]


def _mine_data() -> str:
    return encode_choice("cmd", "watch", "mine")
