"""Every route the bot knows, in one ordered list: the first match wins."""

from __future__ import annotations

from bot.core import commands
from bot.core.commands import keywords
from handlers import (
    about,
    events,
    link,
    menu,
    outcomes,
    polls,
    privacy,
    questions,
    settings,
    voices,
    watch,
)
from handlers.routing import Route, Router, awaiting, command_route, in_state, on_choice

# Words a resident may type instead of a command (compared after NFKC folding and lower-casing).
KEYWORDS: dict[str, str] = keywords()


def build_router() -> Router:
    routes = [
        command_route(commands.START, menu.start),
        command_route(commands.WELCOME, settings.welcome),
        command_route(commands.MENU, menu.menu),
        command_route(commands.HELP, menu.help_),
        command_route(commands.CONTACT, menu.contact),
        command_route(commands.GOALS, about.show_goals),
        Route("goal", on_choice(about.GOAL_CHOICE), about.show_goal),
        command_route(commands.ROLES, about.show_roles),
        command_route(commands.ABOUT, about.show_about),
        command_route(commands.SYSTEM, about.show_system),
        command_route(commands.SETTINGS, settings.show_settings),
        Route("language", on_choice(settings.LANGUAGE_CHOICE), settings.choose_language),
        Route("district", on_choice(settings.DISTRICT_CHOICE), settings.choose_district),
        command_route(commands.POLLS, polls.list_polls),
        Route("poll", on_choice(polls.OPEN_CHOICE), polls.show_poll),
        Route("vote", on_choice(polls.VOTE_CHOICE), polls.vote),
        Route("poll-pick", on_choice(polls.PICK_CHOICE), polls.toggle_pick),
        Route("poll-confirm", on_choice(polls.CONFIRM_CHOICE), polls.confirm_picks),
        Route("poll-comment", on_choice(polls.COMMENT_CHOICE), polls.ask_comment),
        Route("poll-chart", on_choice(polls.CHART_CHOICE), polls.show_chart),
        Route("poll-comment-text", in_state(polls.COMMENTING), polls.receive_comment),
        command_route(commands.EVENTS, events.list_events),
        Route("event", on_choice(events.EVENT_CHOICE), events.show_event),
        Route("event-subscribe", on_choice(events.SUBSCRIBE_CHOICE), events.subscribe),
        Route("event-unsubscribe", on_choice(events.UNSUBSCRIBE_CHOICE), events.unsubscribe),
        Route("event-follow", on_choice(events.FOLLOW_CHOICE), events.follow),
        command_route(commands.WATCH, watch.show_watch),
        Route("watch-route", on_choice(watch.ROUTE_CHOICE), watch.show_route),
        Route("watch-shift", on_choice(watch.SHIFT_CHOICE), watch.show_shift),
        Route("watch-join", on_choice(watch.JOIN_CHOICE), watch.join),
        Route("watch-leave", on_choice(watch.LEAVE_CHOICE), watch.leave),
        Route("watch-consent", on_choice(watch.CONSENT_CHOICE), watch.answer_consent),
        Route("watch-name", in_state(watch.ASKING_NAME), watch.receive_name),
        command_route(commands.EASY, settings.use_easy_japanese),
        command_route(commands.LINK, link.show_link),
        Route("link-choice", on_choice(link.LINK_CHOICE), link.choose),
        Route("link-code", in_state(link.ENTERING_CODE), link.receive_code),
        command_route(commands.OUTCOMES, outcomes.list_outcomes),
        Route("actor", on_choice(about.ACTOR_CHOICE), about.show_actor),
        command_route(commands.MYDATA, privacy.show_my_data),
        command_route(commands.FORGET, privacy.ask_to_forget),
        Route("forget-answer", on_choice(privacy.FORGET_CHOICE), privacy.answer_forget),
        Route("ask", on_choice(questions.ASK_CHOICE), questions.answer_topic),
        command_route(commands.VOICE, voices.start),
        Route("voice-kind", on_choice(voices.KIND_CHOICE), voices.choose_kind),
        Route("voice-text", in_state(voices.WRITING), voices.receive_text),
        Route("voice-place", awaiting(voices.PLACING), voices.receive_place, voices.PLACE_KINDS),
        Route("voice-no-place", on_choice(voices.SKIP_PLACE_CHOICE), voices.skip_place),
        Route(
            "voice-photo", awaiting(voices.PHOTOGRAPHING), voices.receive_photo, voices.PHOTO_KINDS
        ),
        Route("voice-no-photo", on_choice(voices.SKIP_PHOTO_CHOICE), voices.skip_photo),
        Route("voice-contact", on_choice(voices.CONTACT_CHOICE), voices.answer_contact),
        Route("voice-send", on_choice(voices.SEND_CHOICE), voices.send),
        Route("voice-cancel", on_choice(voices.CANCEL_CHOICE), voices.cancel),
        Route("voice-question", on_choice(voices.QUESTION_CHOICE), voices.send_question),
        Route("voice-list", on_choice(voices.LIST_CHOICE), voices.list_published),
        Route("voice-support", on_choice(voices.SUPPORT_CHOICE), voices.support),
    ]
    # Anything else typed is a question in the resident's own words.
    return Router(routes, fallback=Route("question", lambda _: True, questions.answer_question))
