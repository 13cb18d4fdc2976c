"""What residents see of the pack facts: labels, groups, notes, the address, /mydata's date."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.runtime import Runtime, open_runtime
from tests.conftest import FakeClock, Resident, make_settings


@pytest.fixture
async def matsumoto(tmp_path: Path, content_dir: Path, clock: FakeClock) -> AsyncIterator[Runtime]:
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="matsumoto")
    async with open_runtime(settings, clock=clock) as runtime:
        yield runtime


async def test_tomioka_goal_heads_the_citys_part_with_the_pages_label(resident: Resident) -> None:
    await resident.say("/goals")
    await resident.tap("地域を知ろう")
    assert "■ 市（公民館）\n" in resident.text()
    assert "公民館が中心" not in resident.text()


async def test_matsumoto_system_shows_the_pages_two_systems(matsumoto: Runtime) -> None:
    resident = Resident(matsumoto)
    await resident.say("/system")
    text = resident.text()
    community, administration = text.index("【地域システム】"), text.index("【行政システム】")
    assert community < text.index("■ 緩やかな協議体") < administration
    assert administration < text.index("■ 地域づくりセンター")


async def test_matsumoto_roles_say_the_chat_grouped_them(matsumoto: Runtime) -> None:
    resident = Resident(matsumoto)
    await resident.say("/roles")
    assert "このチャットが主体ごとにまとめています" in resident.text()


async def test_matsumoto_contact_gives_the_address(matsumoto: Runtime) -> None:
    resident = Resident(matsumoto)
    await resident.say("/contact")
    assert "住所: 〒390-8620 長野県松本市丸の内3番7号" in resident.text()


async def test_mydata_gives_the_start_date_in_the_city(runtime: Runtime, clock: FakeClock) -> None:
    clock.now = clock.now.replace(hour=20)  # 20:00 UTC is 05:00 the next day in Japan
    resident = Resident(runtime)
    await resident.say("/mydata")
    assert "・利用開始日: 2026年11月24日" in resident.text()


async def test_mydata_closing_word_stands_apart_from_the_roster_name(resident: Resident) -> None:
    await resident.say("/mydata")
    lines = resident.text().splitlines()
    assert lines[-2] == ""
    assert "名前" not in lines[-1]


async def test_help_is_worded_for_each_city(resident: Resident, matsumoto: Runtime) -> None:
    await resident.say("/help")
    assert "円卓会議" in resident.text()
    assert "市民・地域づくり団体・市" in resident.text()
    in_matsumoto = Resident(matsumoto)
    await in_matsumoto.say("/help")
    text = in_matsumoto.text()
    assert "円卓会議" not in text
    assert "町会" in text and "基本理念" in text
    assert "{" not in text
    assert "基本理念" in in_matsumoto.labels()
    await in_matsumoto.say("/settings")
    await in_matsumoto.tap("English")
    await in_matsumoto.say("/help")
    assert "round table" not in in_matsumoto.text()
    assert "Principles" in in_matsumoto.labels()
