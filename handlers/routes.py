"""Every route the bot knows, in one ordered list: the first match wins."""

from __future__ import annotations

from bot.core import fold_keyword
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
from handlers.routing import Route, Router, in_state, on_choice, on_command

# Words a resident may type instead of a command (compared after NFKC folding and lower-casing).
_WORDS_FOR_COMMAND: dict[str, tuple[str, ...]] = {
    "start": ("はじめる", "スタート", "start"),
    "menu": ("メニュー", "menu"),
    "help": ("ヘルプ", "使い方", "help", "?"),
    "polls": ("アンケート", "投票", "polls", "poll"),
    "events": ("イベント", "行事", "会議", "events"),
    "watch": ("見守り", "みまもり", "watch"),
    "goals": ("目標", "基本理念", "理念", "goals"),
    "roles": ("役割", "roles"),
    "about": ("地域づくりとは", "地域づくり", "条例", "about"),
    "system": ("しくみ", "仕組み", "system"),
    "contact": ("問い合わせ", "お問い合わせ", "連絡先", "contact"),
    "settings": ("設定", "settings"),
    "mydata": ("マイデータ", "わたしのデータ", "私のデータ", "mydata"),
    "forget": ("データ削除", "forget"),
    "link": ("つなぐ", "アプリをつなぐ", "link"),
    "outcomes": ("結果", "けっか", "決まったこと", "outcomes"),
    "easy": ("やさしい日本語", "やさしいにほんご", "やさしい にほんご"),
    "voice": ("声を届ける", "地域の声", "こえ", "voice"),
}
KEYWORDS: dict[str, str] = {
    key: command
    for command, words in _WORDS_FOR_COMMAND.items()
    for word in words
    for key in (word, fold_keyword(word))
    if key
}


def build_router() -> Router:
    routes = [
        Route("start", on_command("start"), menu.start),
        Route("welcome", on_command("welcome"), settings.welcome),
        Route("menu", on_command("menu"), menu.menu),
        Route("help", on_command("help"), menu.help_),
        Route("contact", on_command("contact"), menu.contact),
        Route("goals", on_command("goals"), about.show_goals),
        Route("goal", on_choice(about.GOAL_CHOICE), about.show_goal),
        Route("roles", on_command("roles"), about.show_roles),
        Route("about", on_command("about"), about.show_about),
        Route("system", on_command("system"), about.show_system),
        Route("settings", on_command("settings"), settings.show_settings),
        Route("language", on_choice(settings.LANGUAGE_CHOICE), settings.choose_language),
        Route("district", on_choice(settings.DISTRICT_CHOICE), settings.choose_district),
        Route("polls", on_command("polls"), polls.list_polls),
        Route("poll", on_choice(polls.OPEN_CHOICE), polls.show_poll),
        Route("vote", on_choice(polls.VOTE_CHOICE), polls.vote),
        Route("poll-pick", on_choice(polls.PICK_CHOICE), polls.toggle_pick),
        Route("poll-confirm", on_choice(polls.CONFIRM_CHOICE), polls.confirm_picks),
        Route("poll-comment", on_choice(polls.COMMENT_CHOICE), polls.ask_comment),
        Route("poll-chart", on_choice(polls.CHART_CHOICE), polls.show_chart),
        Route("poll-comment-text", in_state(polls.COMMENTING), polls.receive_comment),
        Route("events", on_command("events"), events.list_events),
        Route("event", on_choice(events.EVENT_CHOICE), events.show_event),
        Route("event-subscribe", on_choice(events.SUBSCRIBE_CHOICE), events.subscribe),
        Route("event-unsubscribe", on_choice(events.UNSUBSCRIBE_CHOICE), events.unsubscribe),
        Route("event-follow", on_choice(events.FOLLOW_CHOICE), events.follow),
        Route("watch", on_command("watch"), watch.show_watch),
        Route("watch-route", on_choice(watch.ROUTE_CHOICE), watch.show_route),
        Route("watch-shift", on_choice(watch.SHIFT_CHOICE), watch.show_shift),
        Route("watch-join", on_choice(watch.JOIN_CHOICE), watch.join),
        Route("watch-leave", on_choice(watch.LEAVE_CHOICE), watch.leave),
        Route("watch-consent", on_choice(watch.CONSENT_CHOICE), watch.answer_consent),
        Route("watch-name", in_state(watch.ASKING_NAME), watch.receive_name),
        Route("easy", on_command("easy"), settings.use_easy_japanese),
        Route("link", on_command("link"), link.show_link),
        Route("link-choice", on_choice(link.LINK_CHOICE), link.choose),
        Route("link-code", in_state(link.ENTERING_CODE), link.receive_code),
        Route("outcomes", on_command("outcomes"), outcomes.list_outcomes),
        Route("actor", on_choice(about.ACTOR_CHOICE), about.show_actor),
        Route("mydata", on_command("mydata"), privacy.show_my_data),
        Route("forget", on_command("forget"), privacy.ask_to_forget),
        Route("forget-answer", on_choice(privacy.FORGET_CHOICE), privacy.answer_forget),
        Route("ask", on_choice(questions.ASK_CHOICE), questions.answer_topic),
        Route("voice", on_command("voice"), voices.start),
        Route("voice-kind", on_choice(voices.KIND_CHOICE), voices.choose_kind),
        Route("voice-text", in_state(voices.WRITING), voices.receive_text),
        Route("voice-place", in_state(voices.PLACING), voices.receive_place),
        Route("voice-no-place", on_choice(voices.SKIP_PLACE_CHOICE), voices.skip_place),
        Route("voice-contact", on_choice(voices.CONTACT_CHOICE), voices.answer_contact),
        Route("voice-send", on_choice(voices.SEND_CHOICE), voices.send),
        Route("voice-cancel", on_choice(voices.CANCEL_CHOICE), voices.cancel),
        Route("voice-question", on_choice(voices.QUESTION_CHOICE), voices.send_question),
        Route("voice-list", on_choice(voices.LIST_CHOICE), voices.list_published),
        Route("voice-support", on_choice(voices.SUPPORT_CHOICE), voices.support),
    ]
    # Anything else typed is a question in the resident's own words.
    return Router(routes, fallback=Route("question", lambda _: True, questions.answer_question))
