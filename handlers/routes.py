"""Every route the bot knows, in one ordered list: the first match wins."""

from __future__ import annotations

from handlers import about, menu, privacy, settings
from handlers.routing import Route, Router, on_choice, on_command

# Words a resident may type instead of a command (compared after NFKC folding and lower-casing).
KEYWORDS: dict[str, str] = {
    "はじめる": "start",
    "スタート": "start",
    "start": "start",
    "メニュー": "menu",
    "menu": "menu",
    "ヘルプ": "help",
    "help": "help",
    "使い方": "help",
    "?": "help",
    "目標": "goals",
    "goals": "goals",
    "基本理念": "goals",
    "理念": "goals",
    "役割": "roles",
    "roles": "roles",
    "地域づくりとは": "about",
    "地域づくり": "about",
    "about": "about",
    "条例": "about",
    "しくみ": "system",
    "仕組み": "system",
    "system": "system",
    "問い合わせ": "contact",
    "お問い合わせ": "contact",
    "連絡先": "contact",
    "contact": "contact",
    "設定": "settings",
    "settings": "settings",
    "マイデータ": "mydata",
    "わたしのデータ": "mydata",
    "私のデータ": "mydata",
    "mydata": "mydata",
    "データ削除": "forget",
    "forget": "forget",
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
        Route("mydata", on_command("mydata"), privacy.show_my_data),
        Route("forget", on_command("forget"), privacy.ask_to_forget),
        Route("forget-answer", on_choice(privacy.FORGET_CHOICE), privacy.answer_forget),
    ]
    return Router(routes, fallback=Route("not-understood", lambda _: True, menu.not_understood))
