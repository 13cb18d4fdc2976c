"""/mydata shows everything stored about the resident; /forget deletes it after a confirmation."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import Channel, Choice, Reply
from bot.core.choices import encode_choice
from bot.storage.retention import FISCAL_YEAR, FOREVER, NEXT_FISCAL_YEAR, Rule
from handlers.context import HandlerContext
from handlers.link import channel_name, channel_names
from handlers.menu import back_to_menu, main_menu
from handlers.routing import Request
from handlers.settings import LANGUAGE_NAMES, district_name

FORGET_CHOICE = "forget"
CONFIRM_FORGET = "confirm_forget"
# An old "yes" button must not delete anything: the confirmation lapses.
CONFIRMATION_TTL = timedelta(minutes=10)


async def show_my_data(request: Request, ctx: HandlerContext) -> list[Reply]:
    resident = ctx.resident
    identities = await ctx.services.links.identities(resident.id)
    lines = [ctx.t("mydata.heading")]
    for identity in identities:
        lines.append(ctx.t("mydata.channel", channel=channel_name(ctx, identity.channel)))
        if identity.channel == Channel.WEB:
            # The web id is the key to the resident's data: shown nowhere, not even here.
            lines.append(ctx.t("mydata.user_id_web"))
        else:
            lines.append(ctx.t("mydata.user_id", user_id=identity.platform_user_id))
    if len(identities) > 1:
        names, preferred = channel_names(ctx, identities)
        lines.append(ctx.t("mydata.linked", channels=names, preferred=preferred))
    lines += [
        ctx.t("mydata.language", language=LANGUAGE_NAMES[resident.language]),
        ctx.t("mydata.district", district=district_name(ctx)),
    ]
    retention = ctx.services.retention
    if resident.consent_at and resident.display_name:
        lines.append(ctx.t("mydata.consent_given", name=resident.display_name))
        lines += _deleted_on(ctx, retention.roster_names, resident.consent_at)
    else:
        lines.append(ctx.t("mydata.consent_none"))
    comments = await ctx.services.polls.comment_times(resident.id)
    if comments:
        lines.append(ctx.t("mydata.comments", count=len(comments)))
        lines += _deleted_on(ctx, retention.comments, comments[0])
    lines += [
        ctx.t("mydata.watch", count=await ctx.services.watch.signups.count(resident.id, ctx.now)),
        ctx.t("mydata.reachable" if resident.reachable else "mydata.unreachable"),
        ctx.t("mydata.since", date=_city_date(ctx, resident.created_at)),
        ctx.t("mydata.ballots", count=await ctx.services.polls.ballots_by(resident.id)),
        ctx.t(
            "mydata.events",
            count=await ctx.services.events.subscriptions_of(resident.id),
            following=ctx.t("mydata.following")
            if await ctx.services.events.is_following(resident.id)
            else "",
        ),
        ctx.t("mydata.unanswered", kept=_kept(ctx, ctx.services.retention.unanswered)),
    ]
    if ctx.services.voices is not None:
        count, oldest = await ctx.services.voices.count_of_resident(resident.id)
        if count and oldest is not None:
            lines.append(ctx.t("mydata.voices", count=count))
            lines += _deleted_on(ctx, retention.voices, oldest)
        supports = await ctx.services.voices.supports_of(resident.id)
        if supports:
            lines.append(ctx.t("mydata.supports", count=supports))
    # Apart from the list, so it reads as a closing word and not as part of the last item.
    lines += ["", ctx.t("mydata.footer")]
    choices = (
        Choice(ctx.t("mydata.forget_button"), encode_choice("cmd", "forget")),
        back_to_menu(ctx),
    )
    return [Reply("\n".join(lines), choices)]


def _city_date(ctx: HandlerContext, moment: datetime) -> str:
    """The day `moment` fell on in the city (not in UTC), written the resident's way."""
    return ctx.local_date(moment.astimezone(ctx.services.timezone).date())


def _deleted_on(ctx: HandlerContext, rule: Rule, stored_at: datetime) -> list[str]:
    """'→ deleted on …' under an item the daily retention job will remove."""
    day = ctx.services.retention.removal_day(rule, stored_at, ctx.services.timezone)
    if day is None:
        return []
    return [ctx.t("mydata.deleted_on", date=ctx.local_date(day))]


def _kept(ctx: HandlerContext, rule: Rule) -> str:
    """How long a rule keeps something, in words ("deleted after 90 days")."""
    if rule.text == FOREVER:
        return ctx.t("mydata.kept_forever")
    if rule.text == FISCAL_YEAR:
        return ctx.t("mydata.kept_fiscal_year")
    if rule.text == NEXT_FISCAL_YEAR:
        return ctx.t("mydata.kept_next_fiscal_year")
    return ctx.t("mydata.kept_days", days=rule.text.removesuffix("d"))


async def ask_to_forget(request: Request, ctx: HandlerContext) -> list[Reply]:
    await ctx.services.conversations.enter(
        ctx.resident.id, CONFIRM_FORGET, ctx.now + CONFIRMATION_TTL
    )
    choices = (
        Choice(ctx.t("forget.yes"), encode_choice(FORGET_CHOICE, "yes")),
        Choice(ctx.t("forget.no"), encode_choice(FORGET_CHOICE, "no")),
    )
    text = ctx.t("forget.confirm")
    if ctx.services.voices is not None:
        count, _ = await ctx.services.voices.count_of_resident(ctx.resident.id)
        if count:  # published ones stay as text: said before the resident agrees
            text += "\n" + ctx.t("forget.voices_kept")
    return [Reply(text, choices)]


async def answer_forget(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.choice is not None
    conversations = ctx.services.conversations
    state = await conversations.current(ctx.resident.id, ctx.now)
    if request.choice.args != ("yes",):
        await conversations.leave(ctx.resident.id)
        return [Reply(ctx.t("forget.kept"), main_menu(ctx))]
    if state is None or state.state != CONFIRM_FORGET:
        return await ask_to_forget(request, ctx)
    # Leaving each shift first lets the next on its waitlist take the place (and be told).
    await ctx.services.watch.signups.withdraw_everywhere(
        ctx.resident.id, ctx.now, ctx.services.notices.shift_promoted
    )
    await ctx.services.residents.delete(ctx.resident.id, ctx.now)
    # The answer is built before the row is gone from memory; nothing is stored after this.
    return [Reply(ctx.t("forget.done"), (back_to_menu(ctx),))]
