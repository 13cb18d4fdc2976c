"""The LINE rich menu: drawn from the pack, checked by the fake platform, replaced cleanly."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from click.testing import CliRunner
from PIL import Image

from bot.channels.line_rich_menu import (
    HEIGHT,
    MENU_NAME,
    WIDTH,
    draw_menu_image,
    menu_buttons,
    rich_menu_body,
)
from bot.cli import main
from bot.core.commands import rich_menu_commands
from bot.fonts import find_font
from tests.conftest import FakeClock
from tests.platforms import Platforms, line_event, open_platforms

SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


async def install(platforms: Platforms) -> str:
    runtime = platforms.runtime
    services = runtime.services
    buttons = menu_buttons(services.catalog)
    image = draw_menu_image(services.pack, buttons, find_font())
    body = rich_menu_body(services.pack, services.catalog, buttons)
    assert runtime.line is not None
    return await runtime.line.replace_rich_menu(
        body, image, runtime.settings.line_data_api_base, MENU_NAME
    )


async def test_the_menu_fills_the_picture_with_one_postback_per_button(
    platforms: Platforms,
) -> None:
    menu_id = await install(platforms)
    body = platforms.line.rich_menus[menu_id]
    assert body["size"] == {"width": WIDTH, "height": HEIGHT}
    assert body["chatBarText"] == "メニュー"
    areas = body["areas"]
    tiled = [command.name for command in rich_menu_commands()]
    assert len(areas) == len(tiled) == 6
    assert sum(a["bounds"]["width"] * a["bounds"]["height"] for a in areas) == WIDTH * HEIGHT
    assert [a["action"]["data"] for a in areas] == [f"cmd:{c}" for c in tiled]
    assert [a["action"]["displayText"] for a in areas][:2] == ["地域づくりとは", "アンケート"]
    image = Image.open(io.BytesIO(platforms.line.rich_menu_images[menu_id]))
    assert image.size == (WIDTH, HEIGHT) and image.format == "PNG"
    # The tiles are in the pack's colour (Tomioka: #1e6b52), the gaps in its background.
    assert image.getpixel((WIDTH // 6, 60)) == (0x1E, 0x6B, 0x52)
    assert image.getpixel((5, 5)) == (0xF7, 0xF5, 0xEF)
    assert platforms.line.default_rich_menu == menu_id
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "line-rich-menu.png")


async def test_running_again_replaces_the_menu_and_deletes_the_old_one(
    platforms: Platforms,
) -> None:
    first = await install(platforms)
    second = await install(platforms)
    assert first != second
    assert list(platforms.line.rich_menus) == [second]
    assert platforms.line.default_rich_menu == second


async def test_a_menu_tap_goes_through_the_same_router_as_a_typed_command(
    platforms: Platforms, clock: FakeClock
) -> None:
    menu_id = await install(platforms)
    polls_area = platforms.line.rich_menus[menu_id]["areas"][1]["action"]
    tap = line_event(
        "postback",
        clock,
        replyToken=platforms.line.new_reply_token(),
        postback={"data": polls_area["data"]},
    )
    await platforms.post_line([tap])
    reply = platforms.line.sent("reply")[-1]["messages"][0]["text"]
    assert "アンケート" in reply


def test_long_labels_are_shortened_to_fit_their_tile(tmp_path: Path) -> None:
    from bot.channels.line_rich_menu import MenuButton
    from bot.content import load_pack
    from tests.test_content import CONTENT

    pack = load_pack(CONTENT, "matsumoto")
    long = [MenuButton("help", "とても長いボタンの名前" * 5, "A very long label " * 5)] * 6
    image = Image.open(io.BytesIO(draw_menu_image(pack, long, find_font())))
    assert image.size == (WIDTH, HEIGHT)


async def test_the_command_uploads_and_saves_the_picture(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock, serving=False) as platforms:
        settings = platforms.runtime.settings
        env = {
            "CHIIKI_DB": settings.db,
            "CHIIKI_CONTENT_DIR": str(content_dir),
            "LINE_CHANNEL_SECRET": "s",
            "LINE_CHANNEL_ACCESS_TOKEN": platforms.line.access_token,
            "LINE_API_BASE": settings.line_api_base,
            "LINE_DATA_API_BASE": settings.line_data_api_base,
        }
        picture = tmp_path / "menu.png"

        def run() -> tuple[int, str]:
            result = CliRunner().invoke(
                main, ["line", "rich-menu", "--image", str(picture)], env=env
            )
            return result.exit_code, result.output

        code, output = await asyncio.to_thread(run)
        assert code == 0, output
        assert "is now the default (6 buttons)" in output
        assert Image.open(picture).size == (WIDTH, HEIGHT)
        assert platforms.line.default_rich_menu is not None
