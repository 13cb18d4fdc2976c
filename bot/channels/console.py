"""The terminal chat (`chiiki chat`): replies as text, choices numbered and picked by number."""

from __future__ import annotations

from bot.core import Channel, Choice, IncomingMessage, Reply

TEXT_WIDTH_HINT = 72


class ConsoleSession:
    """Remembers the last choices shown, so typing `2` taps the second button."""

    def __init__(self, user_id: str = "console") -> None:
        self.user_id = user_id
        self._choices: tuple[Choice, ...] = ()

    def incoming(self, line: str) -> IncomingMessage:
        picked = line.strip()
        if picked.isdigit() and 1 <= int(picked) <= len(self._choices):
            choice = self._choices[int(picked) - 1]
            return IncomingMessage(Channel.CONSOLE, self.user_id, data=choice.data)
        return IncomingMessage(Channel.CONSOLE, self.user_id, text=line)

    def render(self, replies: list[Reply]) -> str:
        blocks = []
        shown: tuple[Choice, ...] = ()
        for reply in replies:
            blocks.append(reply.plain_text)
            if reply.all_choices:
                shown = reply.all_choices
        if shown:
            blocks.append("\n".join(f"  [{n}] {c.label}" for n, c in enumerate(shown, start=1)))
        self._choices = shown
        return "\n\n".join(blocks)
