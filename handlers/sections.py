"""One part of the pack at a time, for answers to questions: the examples, the vision, the
background, one challenge, one part of the local system, an FAQ entry."""

from __future__ import annotations

from bot.core import Reply, commands
from bot.core.commands import Command
from handlers.about import source_line
from handlers.context import HandlerContext
from handlers.menu import back_to_menu, command_choice


def _more(ctx: HandlerContext, command: Command) -> tuple:
    return (command_choice(ctx, command), back_to_menu(ctx))


def examples(ctx: HandlerContext) -> list[Reply]:
    about = ctx.pack.about
    lines = "\n".join(f"・{ctx.local(example)}" for example in about.examples)
    blocks = [ctx.t("about.examples"), lines, source_line(ctx, about.source)]
    return [Reply("\n".join(blocks), _more(ctx, commands.ABOUT))]


def vision(ctx: HandlerContext) -> list[Reply]:
    vision = ctx.pack.vision
    blocks = [
        ctx.t("about.vision", statement=ctx.local(vision.statement)),
        ctx.local(vision.text),
        source_line(ctx, vision.source),
    ]
    return [Reply("\n\n".join(blocks), _more(ctx, commands.GOALS))]


def background(ctx: HandlerContext) -> list[Reply] | None:
    background = ctx.pack.background
    if background is None:
        return None
    blocks = [f"【{ctx.local(background.heading)}】", ctx.local(background.intro)]
    blocks += [
        f"■ {ctx.local(challenge.title)}\n{ctx.local(challenge.text)}"
        for challenge in background.challenges
    ]
    blocks.append(source_line(ctx, background.source))
    return [Reply("\n\n".join(blocks), _more(ctx, commands.GOALS))]


def challenge(ctx: HandlerContext, number: int) -> list[Reply] | None:
    background = ctx.pack.background
    if background is None or not 1 <= number <= len(background.challenges):
        return None
    item = background.challenges[number - 1]
    blocks = [
        f"■ {ctx.local(item.title)}\n{ctx.local(item.text)}",
        source_line(ctx, background.source),
    ]
    return [Reply("\n\n".join(blocks), _more(ctx, commands.GOALS))]


def system_part(ctx: HandlerContext, part_id: str) -> list[Reply] | None:
    system = ctx.pack.system
    part = next((p for p in system.parts if p.id == part_id), None)
    if part is None:
        return None
    blocks = [f"■ {ctx.local(part.name)}\n{ctx.local(part.text)}", source_line(ctx, system.source)]
    return [Reply("\n\n".join(blocks), _more(ctx, commands.SYSTEM))]


def faq_answer(ctx: HandlerContext, answer: str, source: str | None) -> list[Reply]:
    """An FAQ answer; its source is a pack source id or an address."""
    text = answer
    if source:
        known = {s.id for s in ctx.pack.sources}
        cited = (
            source_line(ctx, source) if source in known else ctx.t("answer.source", source=source)
        )
        text = f"{answer}\n\n{cited}"
    return [Reply(text, _more(ctx, commands.CONTACT))]
