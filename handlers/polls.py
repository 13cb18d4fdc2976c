"""/polls: answer the city's short opinion polls, one ballot each, and see the results."""

from __future__ import annotations

from datetime import timedelta

from bot.core import BarChart, Card, Choice, Reply, commands
from bot.core.choices import encode_choice, parse_number
from bot.storage.polls import Poll, Tally, VoteOutcome
from handlers.context import HandlerContext
from handlers.menu import back_to_menu, command_choice
from handlers.routing import Request

OPEN_CHOICE = "poll"
VOTE_CHOICE = "vote"
PICK_CHOICE = "pick"
CONFIRM_CHOICE = "pollok"
COMMENT_CHOICE = "pollcmt"
CHART_CHOICE = "pollchart"
PICKING = "poll_picks"
COMMENTING = "poll_comment"
COMMENT_LIMIT = 200
STATE_TTL = timedelta(minutes=30)
BAR_WIDTH = 10
POLLS_LISTED = 10


def bar(share: float) -> str:
    filled = round(share * BAR_WIDTH)
    return "■" * filled + "□" * (BAR_WIDTH - filled)


def format_tally(poll: Poll, tally: Tally, language: str, heading: str) -> str:
    """Counts, percentages and text bars; percentages are of ballots (multiple may exceed 100)."""
    lines = [heading]
    for choice in poll.choices:
        count = tally.counts.get(choice.position, 0)
        share = count / tally.ballots if tally.ballots else 0.0
        lines.append(f"{choice.position}. {choice.label.pick(language)}")
        lines.append(f"   {bar(share)} {count} ({share:.0%})")
    return "\n".join(lines)


def _poll_id(request: Request) -> int | None:
    args = request.choice.args if request.choice else ()
    return parse_number(args[0]) if args else None


async def _poll_for(request: Request, ctx: HandlerContext) -> Poll | None:
    poll_id = _poll_id(request)
    return await ctx.services.polls.get(poll_id) if poll_id is not None else None


def _polls_button(ctx: HandlerContext) -> Choice:
    return command_choice(ctx, commands.POLLS)


async def list_polls(request: Request, ctx: HandlerContext) -> list[Reply]:
    polls = await ctx.services.polls.open_for(ctx.resident.district, ctx.now)
    if not polls:
        return [Reply(ctx.t("polls.none"), (back_to_menu(ctx),))]
    cards = tuple(
        Card(
            f"{n}. {ctx.staff(poll.question)}",
            (ctx.t("polls.until", time=ctx.local_time(poll.closes_at)),),
            (Choice(ctx.t("polls.answer"), encode_choice(OPEN_CHOICE, str(poll.id))),),
        )
        for n, poll in enumerate(polls[:POLLS_LISTED], start=1)
    )
    return [Reply(ctx.t("polls.heading"), (back_to_menu(ctx),), cards=cards)]


async def show_poll(request: Request, ctx: HandlerContext) -> list[Reply]:
    poll = await _poll_for(request, ctx)
    refusal = await _refusal(poll, ctx)
    if refusal or poll is None:
        return refusal or []
    earlier = await ctx.services.polls.ballot_of(poll.id, ctx.resident.id)
    if poll.multiple:
        picks = earlier or frozenset()
        await ctx.services.conversations.enter(
            ctx.resident.id,
            PICKING,
            ctx.now + STATE_TTL,
            {"poll": poll.id, "picks": sorted(picks)},
        )
        return [_ballot_paper(poll, ctx, picks, earlier)]
    return [_ballot_paper(poll, ctx, frozenset(), earlier)]


def _ballot_paper(
    poll: Poll, ctx: HandlerContext, picks: frozenset[int], earlier: frozenset[int] | None
) -> Reply:
    lines = [f"【{ctx.staff(poll.question)}】"]
    lines.append(ctx.t("polls.until", time=ctx.local_time(poll.closes_at)))
    if earlier:
        chosen = ctx.t("list.joiner").join(
            ctx.staff(c.label) for c in poll.choices if c.position in earlier
        )
        lines.append(ctx.t("polls.earlier", choices=chosen))
    if poll.multiple:
        lines.append(ctx.t("polls.pick_many"))
        choices = [
            Choice(
                ("☑ " if c.position in picks else "☐ ") + c.label.pick(ctx.language),
                encode_choice(PICK_CHOICE, str(poll.id), str(c.position)),
            )
            for c in poll.choices
        ]
        choices.append(Choice(ctx.t("polls.confirm"), encode_choice(CONFIRM_CHOICE, str(poll.id))))
    else:
        lines.append(ctx.t("polls.pick_one"))
        choices = [
            Choice(
                c.label.pick(ctx.language),
                encode_choice(VOTE_CHOICE, str(poll.id), str(c.position)),
            )
            for c in poll.choices
        ]
    choices.append(_polls_button(ctx))
    return Reply("\n".join(lines), tuple(choices))


async def _refusal(poll: Poll | None, ctx: HandlerContext) -> list[Reply] | None:
    """Why this resident cannot answer this poll now, or None when they can."""
    if poll is None:
        return [Reply(ctx.t("polls.unknown"), (_polls_button(ctx),))]
    # The district first: a closed poll's results are its district's, not anyone's who
    # forges its button.
    if poll.district is not None and poll.district != ctx.resident.district:
        return [Reply(ctx.t("polls.other_district"), (_polls_button(ctx),))]
    if not poll.is_open(ctx.now):
        return [await _results_reply(poll, ctx, ctx.t("polls.closed"))]
    return None


async def vote(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.choice is not None
    position = request.choice.args[1] if len(request.choice.args) > 1 else ""
    number = parse_number(position)
    if number is None:
        return [Reply(ctx.t("fallback.stale_choice"), (_polls_button(ctx),))]
    return await _cast(request, ctx, frozenset({number}))


async def toggle_pick(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.choice is not None
    poll = await _poll_for(request, ctx)
    refusal = await _refusal(poll, ctx)
    position = request.choice.args[1] if len(request.choice.args) > 1 else ""
    if refusal or poll is None:
        return refusal or []
    number = parse_number(position)
    if number is None or poll.choice(number) is None:
        return [Reply(ctx.t("fallback.stale_choice"), (_polls_button(ctx),))]
    state = await ctx.services.conversations.current(ctx.resident.id, ctx.now)
    picks = (
        set(state.data.get("picks", [])) if state and state.data.get("poll") == poll.id else set()
    )
    picks ^= {number}
    await ctx.services.conversations.enter(
        ctx.resident.id, PICKING, ctx.now + STATE_TTL, {"poll": poll.id, "picks": sorted(picks)}
    )
    return [_ballot_paper(poll, ctx, frozenset(picks), None)]


async def confirm_picks(request: Request, ctx: HandlerContext) -> list[Reply]:
    poll_id = _poll_id(request)
    state = await ctx.services.conversations.current(ctx.resident.id, ctx.now)
    if state is None or state.state != PICKING or state.data.get("poll") != poll_id:
        return await show_poll(request, ctx)  # the picks expired: start again
    picks = frozenset(int(p) for p in state.data.get("picks", []))
    if not picks:
        poll = await _poll_for(request, ctx)
        if poll is None:
            return [Reply(ctx.t("polls.unknown"), (_polls_button(ctx),))]
        paper = _ballot_paper(poll, ctx, picks, None)
        return [Reply(ctx.t("polls.pick_at_least_one") + "\n\n" + paper.text, paper.choices)]
    return await _cast(request, ctx, picks)


async def _cast(request: Request, ctx: HandlerContext, picks: frozenset[int]) -> list[Reply]:
    poll = await _poll_for(request, ctx)
    refusal = await _refusal(poll, ctx)
    if refusal or poll is None:
        return refusal or []
    outcome = await ctx.services.polls.vote(
        poll.id, ctx.resident.id, ctx.resident.district, picks, ctx.now
    )
    if outcome in (VoteOutcome.CLOSED, VoteOutcome.NOT_ELIGIBLE):
        return await _refusal(await ctx.services.polls.get(poll.id), ctx) or []
    if outcome is VoteOutcome.INVALID:
        return [Reply(ctx.t("fallback.stale_choice"), (_polls_button(ctx),))]
    await ctx.services.conversations.leave(ctx.resident.id)
    thanks = ctx.t("polls.replaced" if outcome is VoteOutcome.REPLACED else "polls.thanks")
    reply = await _results_reply(poll, ctx, thanks)
    if poll.allow_comment:
        comment = Choice(
            ctx.t("polls.comment_button"), encode_choice(COMMENT_CHOICE, str(poll.id))
        )
        reply = Reply(reply.text, (comment, *reply.choices))
    return [reply]


async def _tally_and_heading(poll: Poll, ctx: HandlerContext) -> tuple[Tally, str]:
    """The results residents see: online and paper ballots (紙・窓口) together, saying how many
    were on paper when there are any."""
    paper = await ctx.services.polls.paper.tally(poll.id)
    tally = (await ctx.services.polls.tally(poll.id)).plus(paper)
    heading = ctx.t("polls.results", question=ctx.staff(poll.question), ballots=tally.ballots)
    if paper.ballots:
        heading += "\n" + ctx.t("polls.results_paper", paper=paper.ballots)
    return tally, heading


async def _results_reply(poll: Poll, ctx: HandlerContext, lead: str) -> Reply:
    tally, heading = await _tally_and_heading(poll, ctx)
    text = lead + "\n\n" + format_tally(poll, tally, ctx.language, heading)
    # The picture only on request: drawing one for every vote would slow a burst of votes.
    chart = Choice(ctx.t("polls.chart_button"), encode_choice(CHART_CHOICE, str(poll.id)))
    return Reply(text, (chart, _polls_button(ctx), back_to_menu(ctx)))


async def show_chart(request: Request, ctx: HandlerContext) -> list[Reply]:
    """The results as a picture, with the counts in words for screen readers."""
    poll = await _poll_for(request, ctx)
    if poll is None or (poll.district is not None and poll.district != ctx.resident.district):
        return [Reply(ctx.t("polls.unknown"), (_polls_button(ctx),))]
    if (
        poll.is_open(ctx.now)
        and await ctx.services.polls.ballot_of(poll.id, ctx.resident.id) is None
    ):
        # The button comes after a vote: an open poll's counts are not shown before answering
        # (a forged button would let a resident vote with them in view).
        return await show_poll(request, ctx)
    tally, heading = await _tally_and_heading(poll, ctx)
    # Buttons and chart bars keep the plain label: readings would not fit their space.
    bars = tuple(
        (c.label.pick(ctx.language), tally.counts.get(c.position, 0)) for c in poll.choices
    )
    alt = "\n".join([heading, *(f"{label}: {count}" for label, count in bars)])
    return [Reply(alt, (_polls_button(ctx), back_to_menu(ctx)), BarChart(heading, bars, alt))]


async def ask_comment(request: Request, ctx: HandlerContext) -> list[Reply]:
    poll = await _poll_for(request, ctx)
    refusal = await _refusal(poll, ctx)
    if refusal or poll is None:
        return refusal or []
    if (
        not poll.allow_comment
        or await ctx.services.polls.ballot_of(poll.id, ctx.resident.id) is None
    ):
        return [Reply(ctx.t("fallback.stale_choice"), (_polls_button(ctx),))]
    await ctx.services.conversations.enter(
        ctx.resident.id, COMMENTING, ctx.now + STATE_TTL, {"poll": poll.id}
    )
    return [Reply(ctx.t("polls.comment_prompt", limit=COMMENT_LIMIT), (_polls_button(ctx),))]


async def receive_comment(request: Request, ctx: HandlerContext) -> list[Reply]:
    assert request.state is not None
    if len(request.text) > COMMENT_LIMIT:
        return [Reply(ctx.t("polls.comment_too_long", limit=COMMENT_LIMIT), (_polls_button(ctx),))]
    poll_id = int(request.state.data["poll"])
    saved = await ctx.services.polls.set_comment(poll_id, ctx.resident.id, request.text, ctx.now)
    await ctx.services.conversations.leave(ctx.resident.id)
    key = "polls.comment_saved" if saved else "polls.closed"
    return [Reply(ctx.t(key), (_polls_button(ctx), back_to_menu(ctx)))]
