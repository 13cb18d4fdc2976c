"""Every command a resident can send, defined once.

Routes (handlers/routes.py), the main menu (handlers/menu.py), Telegram's "/" list and the LINE
rich menu are all read from `COMMANDS`; adding a command is one entry here, its route and the
catalog key of its label. It lives in bot/core because channels (the rich menu, LINE's follow
event) and handlers both need it, and channels may not import handlers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.text import fold_keyword


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # what follows the slash: /polls (Telegram: 1-32 of a-z, 0-9 and _)
    label: str  # catalog key: its button label and its description in platform lists
    words: tuple[str, ...] = ()  # what a resident may type instead (folded, see `keywords`)
    in_menu: bool = False  # a button of the main menu, in table order
    listed: bool = False  # in the platform's own command list (Telegram's "/" menu)
    tile: int | None = None  # its place on the LINE rich menu (0-5, reading order)


START = Command("start", "command.start", ("はじめる", "スタート", "start"), listed=True)
POLLS = Command(
    "polls",
    "menu.polls",
    ("アンケート", "投票", "polls", "poll"),
    in_menu=True,
    listed=True,
    tile=1,
)
EVENTS = Command(
    "events",
    "menu.events",
    ("イベント", "行事", "会議", "events"),
    in_menu=True,
    listed=True,
    tile=3,
)
WATCH = Command(
    "watch", "menu.watch", ("見守り", "みまもり", "watch"), in_menu=True, listed=True, tile=2
)
OUTCOMES = Command(
    "outcomes",
    "menu.outcomes",
    ("結果", "けっか", "決まったこと", "outcomes"),
    in_menu=True,
    listed=True,
)
# 地域の声: send an opinion, a problem or a question to the district (handlers/voices.py).
VOICE = Command(
    "voice", "menu.voice", ("声を届ける", "地域の声", "voice"), in_menu=True, listed=True
)
GOALS = Command(
    "goals", "menu.goals", ("目標", "基本理念", "理念", "goals"), in_menu=True, listed=True
)
ROLES = Command("roles", "menu.roles", ("役割", "roles"), in_menu=True, listed=True)
ABOUT = Command(
    "about",
    "menu.about",
    ("地域づくりとは", "地域づくり", "条例", "about"),
    in_menu=True,
    listed=True,
    tile=0,
)
SYSTEM = Command(
    "system", "menu.system", ("しくみ", "仕組み", "system"), in_menu=True, listed=True
)
SETTINGS = Command(
    "settings", "menu.settings", ("設定", "settings"), in_menu=True, listed=True, tile=4
)
CONTACT = Command(
    "contact",
    "menu.contact",
    ("問い合わせ", "お問い合わせ", "連絡先", "contact"),
    in_menu=True,
    listed=True,
)
LINK = Command("link", "menu.link", ("つなぐ", "アプリをつなぐ", "link"), listed=True)
MYDATA = Command(
    "mydata",
    "command.mydata",
    ("マイデータ", "わたしのデータ", "私のデータ", "mydata"),
    listed=True,
)
FORGET = Command("forget", "command.forget", ("データ削除", "forget"), listed=True)
HELP = Command(
    "help", "menu.help", ("ヘルプ", "使い方", "help", "?"), in_menu=True, listed=True, tile=5
)
MENU = Command("menu", "command.menu", ("メニュー", "menu"))
EASY = Command("easy", "command.easy", ("やさしい日本語", "やさしいにほんご", "やさしい にほんご"))
# Sent by the LINE channel itself when a resident adds (or unblocks) the bot.
WELCOME = Command("welcome", "command.welcome")

COMMANDS: tuple[Command, ...] = (
    START,
    POLLS,
    EVENTS,
    WATCH,
    OUTCOMES,
    VOICE,
    GOALS,
    ROLES,
    ABOUT,
    SYSTEM,
    SETTINGS,
    CONTACT,
    LINK,
    MYDATA,
    FORGET,
    HELP,
    MENU,
    EASY,
    WELCOME,
)


def menu_commands(commands: Iterable[Command] = COMMANDS) -> list[Command]:
    """The main menu's buttons, in table order."""
    return [command for command in commands if command.in_menu]


def listed_commands(commands: Iterable[Command] = COMMANDS) -> list[Command]:
    """The commands a platform lists in its own menu, in table order."""
    return [command for command in commands if command.listed]


def rich_menu_commands(commands: Iterable[Command] = COMMANDS) -> list[Command]:
    """The LINE rich menu's tiles, in reading order."""
    tiled = [command for command in commands if command.tile is not None]
    return sorted(tiled, key=lambda command: command.tile or 0)


def keywords(commands: Iterable[Command] = COMMANDS) -> dict[str, str]:
    """Typed word → command name, each word both as written and folded (「アンケート。」)."""
    return {
        key: command.name
        for command in commands
        for word in command.words
        for key in (word, fold_keyword(word))
        if key
    }
