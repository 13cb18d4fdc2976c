"""The explain flow: vision, goals or principles, roles, what 地域づくり means, the system."""

from __future__ import annotations

from bot.content.schema import Actor, SystemPart
from bot.core import Choice, Reply, commands
from bot.core.choices import encode_choice
from handlers.context import HandlerContext
from handlers.menu import back_to_menu, command_choice
from handlers.routing import Request

GOAL_CHOICE = "goal"
ACTOR_CHOICE = "actor"


def source_line(ctx: HandlerContext, source_id: str) -> str:
    """'出典: …' naming the page a text was written from."""
    source = ctx.pack.source(source_id)
    title, publisher = ctx.local(source.title), ctx.local(source.publisher)
    if source.registered is None:
        return ctx.t("source.undated", title=title, publisher=publisher)
    date = ctx.local_date(source.registered)
    return ctx.t("source.dated", title=title, publisher=publisher, date=date)


def _goal_choices(ctx: HandlerContext, exclude: str | None = None) -> tuple[Choice, ...]:
    goals = ctx.pack.goals.items
    others = [
        Choice(ctx.local(goal.title), encode_choice(GOAL_CHOICE, goal.id))
        for goal in goals
        if goal.id != exclude
    ]
    return (*others, back_to_menu(ctx))


async def show_goals(request: Request, ctx: HandlerContext) -> list[Reply]:
    goals = ctx.pack.goals
    lines = [f"【{ctx.local(goals.heading)}】"]
    if goals.intro:
        lines.append(ctx.local(goals.intro))
    for number, goal in enumerate(goals.items, start=1):
        subtitle = f"（{ctx.local(goal.subtitle)}）" if goal.subtitle else ""
        lines.append(f"{number}. {ctx.local(goal.title)}{subtitle}")
    lines.append(source_line(ctx, goals.source))
    return [Reply("\n".join(lines), _goal_choices(ctx))]


async def show_goal(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.choice is not None
    goal = ctx.pack.goal(request.choice.args[0]) if request.choice.args else None
    if goal is None:
        return [Reply(ctx.t("fallback.stale_choice"), _goal_choices(ctx))]
    lines = [f"【{ctx.local(goal.title)}】"]
    if goal.subtitle:
        lines[0] += f"（{ctx.local(goal.subtitle)}）"
    if goal.text:
        lines.append(ctx.local(goal.text))
    for actor_id, action in goal.actions.items():
        actor = ctx.pack.actor(actor_id)
        assert actor is not None  # the pack schema checks every actor id
        label = ctx.pack.goals.actor_label(actor)
        lines.append(f"■ {ctx.local(label)}\n{ctx.local(action)}")
    lines.append(source_line(ctx, ctx.pack.goals.source))
    return [Reply("\n\n".join(lines), _goal_choices(ctx, exclude=goal.id))]


async def show_roles(request: Request, ctx: HandlerContext) -> list[Reply]:
    actors = ctx.pack.actors
    blocks = [ctx.t("roles.heading")]
    if actors.note:
        blocks.append(ctx.local(actors.note))
    blocks += [_actor_block(ctx, actor) for actor in actors.items]
    blocks.append(source_line(ctx, actors.source))
    choices = (command_choice(ctx, commands.GOALS), back_to_menu(ctx))
    return [Reply("\n\n".join(blocks), choices)]


async def show_actor(request: Request, ctx: HandlerContext) -> list[Reply]:
    """One actor's roles (linked from an outcome's "who acts next")."""
    assert request.choice is not None
    actor = ctx.pack.actor(request.choice.args[0]) if request.choice.args else None
    if actor is None:
        return await show_roles(request, ctx)
    text = "\n\n".join((_actor_block(ctx, actor), source_line(ctx, ctx.pack.actors.source)))
    choices = (command_choice(ctx, commands.ROLES), back_to_menu(ctx))
    return [Reply(text, choices)]


def _actor_block(ctx: HandlerContext, actor: Actor) -> str:
    roles = "\n".join(f"・{ctx.local(role)}" for role in actor.roles)
    return f"■ {ctx.local(actor.name)}\n{ctx.local(actor.who)}\n{roles}"


async def show_about(request: Request, ctx: HandlerContext) -> list[Reply]:
    pack, about = ctx.pack, ctx.pack.about
    blocks = [ctx.t("about.heading"), ctx.local(about.definition)]
    if about.basic_idea:
        blocks.append(ctx.local(about.basic_idea))
    if about.examples:
        examples = "\n".join(f"・{ctx.local(example)}" for example in about.examples)
        blocks.append(f"{ctx.t('about.examples')}\n{examples}")
    blocks.append(source_line(ctx, about.source))
    vision = pack.vision
    vision_block = "\n\n".join(
        (ctx.t("about.vision", statement=ctx.local(vision.statement)), ctx.local(vision.text))
    )
    replies = [Reply("\n\n".join(blocks)), Reply(vision_block)]
    if pack.background:
        replies.append(Reply(_background(ctx)))
    replies[-1] = Reply(
        replies[-1].text,
        (
            command_choice(ctx, commands.SYSTEM),
            command_choice(ctx, commands.GOALS),
            back_to_menu(ctx),
        ),
    )
    return replies


def _background(ctx: HandlerContext) -> str:
    background = ctx.pack.background
    assert background is not None
    blocks = [f"【{ctx.local(background.heading)}】", ctx.local(background.intro)]
    blocks += [
        f"■ {ctx.local(challenge.title)}\n{ctx.local(challenge.text)}"
        for challenge in background.challenges
    ]
    blocks.append(source_line(ctx, background.source))
    return "\n\n".join(blocks)


async def show_system(request: Request, ctx: HandlerContext) -> list[Reply]:
    system = ctx.pack.system
    blocks = [f"【{ctx.local(system.heading)}】"]
    if system.intro:
        blocks.append(ctx.local(system.intro))
    blocks += [_part_block(ctx, part) for part in system.parts_of(None)]
    for group in system.groups:
        blocks.append(f"【{ctx.local(group.name)}】\n{ctx.local(group.text)}")
        blocks += [_part_block(ctx, part) for part in system.parts_of(group.id)]
    blocks.append(source_line(ctx, system.source))
    choices = (command_choice(ctx, commands.CONTACT), back_to_menu(ctx))
    return [Reply("\n\n".join(blocks), choices)]


def _part_block(ctx: HandlerContext, part: SystemPart) -> str:
    return f"■ {ctx.local(part.name)}\n{ctx.local(part.text)}"
