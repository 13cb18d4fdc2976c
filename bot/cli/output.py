"""What `chiiki` commands print. Words residents, staff and outsiders wrote (a voice, a place
name from a map pin, a login name typed at the dashboard's login page) reach the terminal
only through here, with their control characters shown as U+FFFD: an ESC sequence in them
would otherwise be obeyed by the terminal (clear the screen, write the clipboard with OSC 52,
hide a link behind OSC 8), and a right-to-left override would reorder what staff read.
"""

from __future__ import annotations

import click

from bot.core.text import shown_safely


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """click.echo of `message` with its control characters made visible."""
    click.echo(shown_safely(message), err=err, nl=nl)


def cell(text: str) -> str:
    """Text for a rich table: control characters made visible, rich markup escaped."""
    from rich.markup import escape

    return escape(shown_safely(text))
