"""/outcomes: what came of polls and meetings, and who acts next."""

from __future__ import annotations

from bot.core import MAX_CHOICES, Choice, Reply
from bot.core.choices import encode_choice
from handlers.about import ACTOR_CHOICE
from handlers.context import HandlerContext
from handlers.menu import back_to_menu
from handlers.routing import Request

SHOWN = 5


async def list_outcomes(request: Request, ctx: HandlerContext) -> list[Reply]:
    outcomes = await ctx.services.outcomes.recent(SHOWN)
    if not outcomes:
        return [Reply(ctx.t("outcomes.none"), (back_to_menu(ctx),))]
    blocks = [ctx.t("outcomes.heading")]
    acting: list[str] = []
    for outcome in outcomes:
        blocks.append(
            ctx.t(
                "outcomes.item",
                subject=ctx.staff(outcome.subject.title),
                date=ctx.local_date(outcome.created_at.astimezone(ctx.services.timezone).date()),
                decided=ctx.staff(outcome.decided),
                actors=ctx.pack.actor_names(outcome.next_actors, ctx.language),
            )
        )
        acting += [a for a in outcome.next_actors if a not in acting and ctx.pack.actor(a)]
    # Each actor acting next links to what the content pack says that actor does.
    choices = [
        Choice(
            ctx.t("outcomes.role_button", actor=ctx.local(actor.name)),
            encode_choice(ACTOR_CHOICE, actor.id),
        )
        for actor in (ctx.pack.actor(a) for a in acting[: MAX_CHOICES - 1])
        if actor is not None
    ]
    return [Reply("\n\n".join(blocks), (*choices, back_to_menu(ctx)))]
