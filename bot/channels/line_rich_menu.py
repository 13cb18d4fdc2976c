"""The LINE rich menu: six buttons at the bottom of the chat, drawn from the pack and uploaded.

The buttons are the commands with a `tile` in bot/core/commands.py.

Each area sends a postback with the same choice data a menu button carries (`cmd:<command>`), so
a tap goes through the same router as a typed command.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bot.content import Catalog, Pack
from bot.core.choices import COMMAND_CHOICE, encode_choice
from bot.core.commands import COMMANDS, Command, rich_menu_commands
from bot.errors import ChiikiError

# LINE's full-size menu; the image must have exactly this size and stay under 1 MB.
WIDTH, HEIGHT = 2500, 1686
COLUMNS, ROWS = 3, 2
MAX_IMAGE_BYTES = 1024 * 1024
MENU_NAME = "chiiki"
CHAT_BAR_LIMIT = 14


class RichMenuError(ChiikiError):
    """The menu picture cannot be made within LINE's limits."""


@dataclass(frozen=True, slots=True)
class MenuButton:
    command: str
    label_ja: str
    label_en: str


def menu_buttons(catalog: Catalog, commands: Iterable[Command] = COMMANDS) -> list[MenuButton]:
    """A button for each command the table puts on a tile (bot/core/commands.py)."""
    return [
        MenuButton(
            command.name, catalog.text(command.label, "ja"), catalog.text(command.label, "en")
        )
        for command in rich_menu_commands(commands)
    ]


def _cell(index: int) -> tuple[int, int, int, int]:
    """(x, y, width, height) of button `index`, filling the image without gaps."""
    column, row = index % COLUMNS, index // COLUMNS
    x0, x1 = WIDTH * column // COLUMNS, WIDTH * (column + 1) // COLUMNS
    y0, y1 = HEIGHT * row // ROWS, HEIGHT * (row + 1) // ROWS
    return x0, y0, x1 - x0, y1 - y0


def draw_menu_image(pack: Pack, buttons: list[MenuButton], font_path: Path) -> bytes:
    """The menu picture in the pack's colours: a tile per button, Japanese large, English small."""
    theme = pack.municipality.theme
    image = Image.new("RGB", (WIDTH, HEIGHT), theme.background)
    draw = ImageDraw.Draw(image)
    margin = 24
    for index, button in enumerate(buttons):
        x, y, w, h = _cell(index)
        draw.rounded_rectangle(
            (x + margin, y + margin, x + w - margin, y + h - margin),
            radius=48,
            fill=theme.primary,
        )
        centre_x, centre_y = x + w // 2, y + h // 2
        for text, size, dy in ((button.label_ja, 120, -40), (button.label_en, 64, 100)):
            font, shown = _fit(draw, text, font_path, size, w - 120)
            draw.text(
                (centre_x, centre_y + dy), shown, font=font, fill=theme.background, anchor="mm"
            )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    data = out.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        raise RichMenuError(f"the menu image is {len(data)} bytes; LINE takes at most 1 MB")
    return data


def _fit(
    draw: ImageDraw.ImageDraw, text: str, font_path: Path, size: int, width: int
) -> tuple[ImageFont.FreeTypeFont, str]:
    """The largest font down to 60 % of `size` that fits the tile; past that, shortened with …"""
    font = ImageFont.truetype(str(font_path), size)
    for step in range(size, int(size * 0.6) - 1, -4):
        font = ImageFont.truetype(str(font_path), step)
        if draw.textlength(text, font=font) <= width:
            return font, text
    while len(text) > 1 and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…"
    return font, text


def rich_menu_body(pack: Pack, catalog: Catalog, buttons: list[MenuButton]) -> dict[str, Any]:
    """The rich menu object LINE's API takes (areas in the same order as the picture)."""
    areas = []
    for index, button in enumerate(buttons):
        x, y, w, h = _cell(index)
        areas.append(
            {
                "bounds": {"x": x, "y": y, "width": w, "height": h},
                "action": {
                    "type": "postback",
                    "label": button.label_ja[:20],
                    "data": encode_choice(COMMAND_CHOICE, button.command),
                    "displayText": button.label_ja,
                },
            }
        )
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": True,
        "name": f"{MENU_NAME} {pack.id}",
        "chatBarText": catalog.text("menu.chat_bar", "ja")[:CHAT_BAR_LIMIT],
        "areas": areas,
    }
