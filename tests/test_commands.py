"""Command names are defined once (bot/core/commands.py): routes, menus, Telegram's list and the
LINE rich menu all come from the table."""

from __future__ import annotations

import dataclasses
import re

from bot.channels.line_rich_menu import COLUMNS, ROWS, menu_buttons
from bot.config import PROJECT_ROOT
from bot.content import LANGUAGES, load_catalog
from bot.core import Channel, IncomingMessage
from bot.core.commands import (
    COMMANDS,
    GOALS,
    POLLS,
    Command,
    keywords,
    listed_commands,
    menu_commands,
)
from handlers.menu import command_list
from handlers.routes import KEYWORDS, build_router
from handlers.routing import parse_request

CATALOG = load_catalog(PROJECT_ROOT / "content")
# Telegram's rule for a command: 1-32 characters of a-z, 0-9 and _; a description of 1-256.
TELEGRAM_NAME = re.compile(r"[a-z0-9_]{1,32}")


def typed(text: str) -> IncomingMessage:
    return IncomingMessage(Channel.CONSOLE, "u1", text)


def test_every_command_has_its_own_route() -> None:
    router = build_router()
    for command in COMMANDS:
        route = router.resolve(parse_request(typed(f"/{command.name}"), KEYWORDS))
        assert route.name == command.name, f"/{command.name} reaches {route.name}"


def test_every_word_for_a_command_reaches_that_command() -> None:
    router = build_router()
    for command in COMMANDS:
        for word in command.words:
            request = parse_request(typed(word), KEYWORDS)
            assert router.resolve(request).name == command.name, word


def test_every_command_has_a_label_in_every_language_that_telegram_takes() -> None:
    names = [command.name for command in COMMANDS]
    assert len(names) == len(set(names))
    for command in COMMANDS:
        assert TELEGRAM_NAME.fullmatch(command.name), command.name
        for language in LANGUAGES:
            label = CATALOG.text(command.label, language)
            assert label and len(label) <= 256, (command.name, language)
            # The catalog falls back to Japanese; a label must be written in each language.
            assert CATALOG.entries()[command.label][language], (command.name, language)


def test_no_two_commands_claim_the_same_word() -> None:
    seen: dict[str, str] = {}
    for command in COMMANDS:
        for word in command.words:
            assert seen.setdefault(word, command.name) == command.name, word


def test_the_rich_menu_fills_its_tiles_once_each() -> None:
    tiles = sorted(command.tile for command in COMMANDS if command.tile is not None)
    assert tiles == list(range(COLUMNS * ROWS))


def test_the_telegram_list_follows_the_table() -> None:
    assert [name for name, _ in command_list(CATALOG, "en")] == [
        command.name for command in listed_commands()
    ]
    assert ("goals", "Goals") in command_list(CATALOG, "en")
    # A command taken off the list leaves it; a new listed one joins it, in table order.
    unlisted = [dataclasses.replace(c, listed=False) if c == GOALS else c for c in COMMANDS]
    assert "goals" not in [name for name, _ in command_list(CATALOG, "en", unlisted)]
    extra = Command("voice", "menu.polls", listed=True)
    names = [name for name, _ in command_list(CATALOG, "ja", (*COMMANDS, extra))]
    assert names[-1] == "voice"


def test_the_rich_menu_follows_the_table() -> None:
    assert [b.command for b in menu_buttons(CATALOG)][:2] == ["about", "polls"]
    # Swapping two commands' tiles swaps their buttons.
    swapped = [
        dataclasses.replace(c, tile=0)
        if c == POLLS
        else dataclasses.replace(c, tile=1)
        if c.name == "about"
        else c
        for c in COMMANDS
    ]
    buttons = menu_buttons(CATALOG, swapped)
    assert [b.command for b in buttons][:2] == ["polls", "about"]
    assert buttons[0].label_ja == "アンケート" and buttons[0].label_en == "Polls"


def test_the_keywords_and_main_menu_come_from_the_table() -> None:
    assert keywords() == KEYWORDS
    assert KEYWORDS["アンケート"] == "polls"
    assert [c.name for c in menu_commands()][:3] == ["polls", "events", "watch"]
    assert "start" not in [c.name for c in menu_commands()]


def test_the_help_texts_name_only_commands_of_the_table() -> None:
    names = {command.name for command in COMMANDS}
    mentioned = {
        found
        for key, entry in CATALOG.entries().items()
        if key.startswith(("help.", "start."))
        for text in entry.values()
        for found in re.findall(r"[（(]/([a-z_]+)[)）]", text)
    }
    assert {"polls", "events"} <= mentioned, "the scan is out of date"
    assert mentioned <= names, mentioned - names
