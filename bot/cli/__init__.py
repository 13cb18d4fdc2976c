"""The `chiiki` command: everything staff and developers do from a terminal.

One module per command group; each command starts through bot/cli/startup.py and does its
work by calling bot/staff. A new group is a module here and one line in `COMMANDS`.
"""

from __future__ import annotations

import click

from bot.cli import (
    accounts,
    audit,
    broadcast,
    chat,
    content,
    db,
    events,
    faq,
    outcomes,
    platforms,
    polls,
    server,
    voices,
    watch,
)

# Each group's module is named after its job; `chiiki --help` lists them by name.
COMMANDS: tuple[click.Command, ...] = (
    server.serve,
    db.migrate,
    db.db,
    chat.chat,
    platforms.telegram,
    platforms.line,
    content.content,
    polls.poll,
    broadcast.broadcast,
    events.event,
    outcomes.outcome,
    watch.watch,
    accounts.staff,
    audit.audit,
    faq.faq,
    faq.unanswered,
    voices.voices,
)


@click.group()
def main() -> None:
    """chiiki: a community-building (地域づくり) chat bot for municipalities."""


for command in COMMANDS:
    main.add_command(command)
