"""Choice data encoding: `action` or `action:arg:arg`, short enough for every platform."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.messages import MAX_CHOICE_DATA_BYTES

SEPARATOR = ":"
# Choice data that runs a command, so a menu button and a typed command take the same route.
COMMAND_CHOICE = "cmd"


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
