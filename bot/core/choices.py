"""Choice data encoding: `action` or `action:arg:arg`, short enough for every platform."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.messages import MAX_CHOICE_DATA_BYTES

SEPARATOR = ":"
# Choice data that runs a command, so a menu button and a typed command take the same route.
COMMAND_CHOICE = "cmd"
# A number in choice data is a database id or a position: at most 9 ASCII digits, so it always
# fits PostgreSQL's 32-bit INTEGER keys (as the dashboard's `:rowid` URLs do).
MAX_NUMBER_DIGITS = 9


@dataclass(frozen=True, slots=True)
class ChoiceData:
    action: str
    args: tuple[str, ...] = ()


def encode_choice(action: str, *args: str) -> str:
    """Build choice data; raises ValueError when a part holds the separator or it is too long."""
    for part in (action, *args):
        if not part or SEPARATOR in part:
            raise ValueError(f"choice data part must be non-empty without {SEPARATOR!r}: {part!r}")
    data = SEPARATOR.join((action, *args))
    if len(data.encode("utf-8")) > MAX_CHOICE_DATA_BYTES:
        raise ValueError(f"choice data over {MAX_CHOICE_DATA_BYTES} bytes: {data!r}")
    return data


def decode_choice(data: str) -> ChoiceData:
    action, *args = data.split(SEPARATOR)
    return ChoiceData(action=action, args=tuple(args))


def parse_number(text: str) -> int | None:
    """The number a choice's argument holds, or None for anything we never write there.

    Choice data comes back from the client and may be forged: str.isdigit() also accepts
    "²" (which int() refuses) and "١", and 30 digits overflow a database key; each of those
    gave the resident an internal error and the log a traceback.
    """
    if text.isascii() and text.isdigit() and len(text) <= MAX_NUMBER_DIGITS:
        return int(text)
    return None
