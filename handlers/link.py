"""/link: one resident across LINE, Telegram and the web chat, with a one-time code."""

from __future__ import annotations

from bot.core import Choice, Reply
from bot.core.choices import encode_choice, parse_number
from bot.storage.links import CODE_LIFETIME, Identity, LinkOutcome, show_code
from handlers.context import HandlerContext
from handlers.menu import back_to_menu, main_menu
from handlers.routing import Request

LINK_CHOICE = "link"
ENTERING_CODE = "link_code"


def channel_name(ctx: HandlerContext, channel: str) -> str:
    return ctx.t(f"channel.{channel}")


def channel_names(ctx: HandlerContext, identities: list[Identity]) -> tuple[str, str]:
    """The resident's channels, and the one that receives their notices."""
    names = ctx.t("list.joiner").join(channel_name(ctx, i.channel) for i in identities)
    receiver = next((i for i in identities if i.receives_notices), identities[0])
    return names, channel_name(ctx, receiver.channel)


async def show_link(request: Request, ctx: HandlerContext) -> list[Reply]:
    """A typed `/link CODE` redeems the code; a bare /link gives this channel's code."""
    if request.args:
        return await _redeem(request, ctx, " ".join(request.args))
    code = await ctx.services.links.issue_code(ctx.resident.id, ctx.now)
    lines = [
        ctx.t("link.code", code=show_code(code), minutes=int(CODE_LIFETIME.total_seconds() // 60))
    ]
    identities = await ctx.services.links.identities(ctx.resident.id)
    choices = [Choice(ctx.t("link.enter_button"), encode_choice(LINK_CHOICE, "enter"))]
    if len(identities) > 1:
        names, preferred = channel_names(ctx, identities)
        lines.append(ctx.t("link.linked", channels=names, preferred=preferred))
        for identity in identities:
            name = channel_name(ctx, identity.channel)
            if not identity.receives_notices and identity.reachable:
                data = encode_choice(LINK_CHOICE, "notify", str(identity.id))
                choices.append(Choice(ctx.t("link.notify_button", channel=name), data))
            if identity.id != ctx.resident.id:
                data = encode_choice(LINK_CHOICE, "unlink", str(identity.id))
                choices.append(Choice(ctx.t("link.unlink_button", channel=name), data))
    choices.append(back_to_menu(ctx))
    return [Reply("\n".join(lines), tuple(choices[:13]))]


async def choose(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.choice is not None
    links = ctx.services.links
    match request.choice.args:
        case ("enter",):
            await ctx.services.conversations.enter(
                ctx.resident.id, ENTERING_CODE, ctx.now + CODE_LIFETIME
            )
            return [Reply(ctx.t("link.enter_prompt"), (back_to_menu(ctx),))]
        case (("unlink" | "notify") as action, text) if (number := parse_number(text)) is not None:
            # Only a channel of this resident: the number in a button is not trusted.
            identities = {i.id: i for i in await links.identities(ctx.resident.id)}
            identity = identities.get(number)
            if identity is None:
                return await show_link(request, ctx)
            name = channel_name(ctx, identity.channel)
            if action == "notify":
                await links.send_notices_to(ctx.resident.id, identity.id)
                return [Reply(ctx.t("link.notify_set", channel=name), main_menu(ctx))]
            if await links.unlink(ctx.resident.id, identity.id, ctx.now):
                return [Reply(ctx.t("link.unlinked", channel=name), main_menu(ctx))]
    return await show_link(request, ctx)


async def receive_code(request: Request, ctx: HandlerContext) -> list[Reply]:
    await ctx.services.conversations.leave(ctx.resident.id)
    return await _redeem(request, ctx, request.text)


async def _redeem(request: Request, ctx: HandlerContext, typed: str) -> list[Reply]:
    message = request.message
    identity = await ctx.services.residents.find(message.channel, message.user_id)
    assert identity is not None  # the dispatcher created it before routing
    result = await ctx.services.links.redeem(
        identity.id,
        identity.linked_to,
        typed,
        ctx.now,
        channel=message.channel,
        client_address=message.client_address,
    )
    match result.outcome:
        case LinkOutcome.LINKED:
            assert result.person_id is not None
            identities = await ctx.services.links.identities(result.person_id)
            names, preferred = channel_names(ctx, identities)
            text = ctx.t("link.done", channels=names, preferred=preferred)
            return [Reply(text, main_menu(ctx))]
        case LinkOutcome.WRONG:
            return [Reply(ctx.t("link.wrong", left=result.tries_left), (back_to_menu(ctx),))]
        case LinkOutcome.LOCKED:
            minutes = int(result.wait.total_seconds() // 60)
            return [Reply(ctx.t("link.locked", minutes=minutes), (back_to_menu(ctx),))]
        case LinkOutcome.BUSY:
            minutes = int(result.wait.total_seconds() // 60)
            return [Reply(ctx.t("link.busy", minutes=minutes), (back_to_menu(ctx),))]
        case LinkOutcome.SAME:
            return [Reply(ctx.t("link.same"), (back_to_menu(ctx),))]
        case LinkOutcome.ALREADY_LINKED:
            return [Reply(ctx.t("link.already_linked"), (back_to_menu(ctx),))]
    raise AssertionError(result.outcome)
