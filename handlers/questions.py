"""Questions in residents' own words: ask the answerer, then answer with that section or feature.

A topic answer runs the same handler as the menu (actions, not only explanations: 見守りを
やりたい starts the sign-up, データを消して asks the /forget confirmation). Two or three close
candidates get 「どれについて知りたいですか」 with a button each; nothing close gets an honest
"I don't know" with the office's contact, and the question is kept for staff without who asked.
"""

from __future__ import annotations

import dataclasses

from bot.answerer import Answer, Outcome
from bot.core import Choice, Reply
from bot.core.choices import ChoiceData, encode_choice, parse_number
from handlers import (
    about,
    events,
    link,
    menu,
    outcomes,
    polls,
    privacy,
    sections,
    settings,
    voices,
    watch,
)
from handlers.context import HandlerContext
from handlers.routing import Request

ASK_CHOICE = "ask"
# What a greeting or a thanks gets (content/synonyms.yaml `greetings:` names the kinds).
GREETING_REPLIES = {
    "hello": "greeting.hello",
    "morning": "greeting.morning",
    "evening": "greeting.evening",
    "thanks": "greeting.thanks",
    "ok": "greeting.ok",
    "bye": "greeting.bye",
}


async def answer_question(request: Request, ctx: HandlerContext) -> list[Reply]:
    answerer = ctx.services.answerer
    if request.message.data or answerer is None or not request.text:
        return await menu.not_understood(request, ctx)
    answer = await answerer.answer(request.text, ctx.now)
    if answer.greeting in GREETING_REPLIES:
        return _greet(GREETING_REPLIES[answer.greeting], answer.language, ctx)
    # A question written in English is answered in English, whatever the setting.
    switch_offer = answer.language == "en" and ctx.language != "en"
    if switch_offer:
        ctx = dataclasses.replace(ctx, resident=dataclasses.replace(ctx.resident, language="en"))
    if answer.outcome is Outcome.ANSWERED:
        replies = await reply_for_topic(answer.topics[0], request, ctx)
        if replies is None:
            return await _unknown(request, ctx, answer)
    elif answer.outcome is Outcome.CLARIFIED:
        replies = [_clarify(answer.topics, ctx)]
    else:
        return await _unknown(request, ctx, answer)
    if switch_offer:
        offer = Choice(
            ctx.t("answer.english_button"), encode_choice(settings.LANGUAGE_CHOICE, "en")
        )
        replies.append(Reply(ctx.t("answer.english_offer"), (offer,)))
    return replies


async def answer_topic(request: Request, ctx: HandlerContext) -> list[Reply]:
    """A tapped candidate of 「どれについて知りたいですか」 (`ask:<topic id>`)."""
    assert request.choice is not None
    topic_id = ":".join(request.choice.args)
    replies = await reply_for_topic(topic_id, request, ctx) if topic_id else None
    if replies is None:
        return [Reply(ctx.t("fallback.stale_choice"), menu.main_menu(ctx))]
    return replies


def _clarify(topic_ids: tuple[str, ...], ctx: HandlerContext) -> Reply:
    answerer = ctx.services.answerer
    assert answerer is not None
    choices = []
    for topic_id in topic_ids:
        topic = answerer.answerer.topic(topic_id)
        data = f"{ASK_CHOICE}:{topic_id}"
        if topic is not None and len(data.encode("utf-8")) <= 64:
            choices.append(Choice(ctx.local(topic.label), data))
    # One candidate the answerer is not sure of: "did you mean this?" rather than "which one?".
    key = "answer.maybe" if len(choices) == 1 else "answer.clarify"
    return Reply(ctx.t(key), (*choices, menu.back_to_menu(ctx)))


def _greet(key: str, language: str, ctx: HandlerContext) -> list[Reply]:
    """A kind word and the menu. Not an unanswered question (nothing kept for staff), and no
    offer to switch to English for a "thanks" typed in English: it is no reason to change."""
    if language == "en":
        ctx = dataclasses.replace(ctx, resident=dataclasses.replace(ctx.resident, language="en"))
    city = ctx.local(ctx.pack.municipality.name)
    return [Reply(ctx.t(key, city=city), menu.main_menu(ctx))]


async def _unknown(request: Request, ctx: HandlerContext, answer: Answer) -> list[Reply]:
    language = answer.language
    if ctx.services.unanswered is not None:
        # Only the text and its language: staff see what residents want to know, not who.
        message = request.message
        await ctx.services.unanswered.record(
            request.text,
            language,
            ctx.now,
            asker=f"{message.channel}:{message.user_id}",
            address=message.client_address,
        )
    contact = ctx.pack.contact
    office = ctx.local(contact.office)
    if answer.elsewhere and contact.switchboard and contact.phone:
        # Another office's business: the switchboard puts the resident through to it.
        text = ctx.t("answer.elsewhere", office=office, phone=contact.phone)
    elif contact.phone:
        text = ctx.t("answer.unknown", office=office, phone=contact.phone)
    else:
        text = ctx.t("answer.unknown_no_phone", office=office)
    # The question may go on to the city as a 質問 voice (地域の声), if the resident wants.
    offer = await voices.offer_question(ctx, request.text)
    choices = (offer, *menu.main_menu(ctx)) if offer else menu.main_menu(ctx)
    return [Reply(text, choices), *await menu.easier_words_if_lost(ctx)]


def _with(request: Request, **changes: object) -> Request:
    return dataclasses.replace(request, **changes)


def _choice(request: Request, action: str, *args: str) -> Request:
    return _with(request, choice=ChoiceData(action, args), command=None, args=())


async def reply_for_topic(
    topic_id: str, request: Request, ctx: HandlerContext
) -> list[Reply] | None:
    """The replies for one topic, or None when it no longer exists (a deleted poll, FAQ)."""
    kind, _, name = topic_id.partition(":")
    match kind:
        case "section":
            return await _section(name, request, ctx)
        case "challenge":
            number = parse_number(name)
            return sections.challenge(ctx, number) if number is not None else None
        case "goal":
            if ctx.pack.goal(name) is None:
                return None
            return await about.show_goal(_choice(request, about.GOAL_CHOICE, name), ctx)
        case "actor":
            if ctx.pack.actor(name) is None:
                return None
            return await about.show_actor(_choice(request, about.ACTOR_CHOICE, name), ctx)
        case "system":
            return sections.system_part(ctx, name)
        case "feature":
            return await _feature(name, request, ctx)
        case "faq":
            return _faq(topic_id, ctx)
        case "poll" if parse_number(name) is not None:
            return await polls.show_poll(_choice(request, polls.OPEN_CHOICE, name), ctx)
        case "event" if parse_number(name) is not None:
            return await events.show_event(_choice(request, events.EVENT_CHOICE, name), ctx)
        case "route" if parse_number(name) is not None:
            return await watch.show_route(_choice(request, watch.ROUTE_CHOICE, name), ctx)
    return None


async def _section(name: str, request: Request, ctx: HandlerContext) -> list[Reply] | None:
    match name:
        case "about":
            return await about.show_about(request, ctx)
        case "examples":
            return sections.examples(ctx)
        case "vision":
            return sections.vision(ctx)
        case "background":
            return sections.background(ctx)
        case "goals":
            return await about.show_goals(request, ctx)
        case "roles":
            return await about.show_roles(request, ctx)
        case "system":
            return await about.show_system(request, ctx)
        case "contact":
            return await menu.contact(request, ctx)
    return None


async def _feature(name: str, request: Request, ctx: HandlerContext) -> list[Reply] | None:
    plain = _with(request, choice=None, args=())
    match name:
        case "polls":
            return await polls.list_polls(plain, ctx)
        case "events":
            return await events.list_events(plain, ctx)
        case "watch":
            return await watch.show_watch(plain, ctx)
        case "shifts":
            return await watch.show_mine(plain, ctx)
        case "outcomes":
            return await outcomes.list_outcomes(plain, ctx)
        case "voice":
            return await voices.start(plain, ctx)
        case "settings" | "language" | "district":
            return await settings.show_settings(plain, ctx)
        case "easy":
            return await settings.use_easy_japanese(plain, ctx)
        case "link":
            return await link.show_link(plain, ctx)
        case "mydata":
            return await privacy.show_my_data(plain, ctx)
        case "forget":
            # Asks for confirmation; nothing is deleted until the resident taps yes.
            return await privacy.ask_to_forget(plain, ctx)
        case "help":
            return await menu.help_(plain, ctx)
        case "menu":
            return await menu.menu(plain, ctx)
    return None


def _faq(topic_id: str, ctx: HandlerContext) -> list[Reply] | None:
    answerer = ctx.services.answerer
    assert answerer is not None
    staff = answerer.staff_faq.get(topic_id)
    if staff is not None:
        return sections.faq_answer(ctx, ctx.staff(staff.answer), staff.source)
    entry = answerer.pack_faq.get(topic_id)
    if entry is None:
        return None
    return sections.faq_answer(ctx, ctx.local(entry.answer), entry.source)
