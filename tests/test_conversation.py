from __future__ import annotations

import pytest

from bot.core import Channel, IncomingMessage, Reply, split_text
from bot.core.commands import ROLES
from bot.runtime import Runtime, open_runtime
from handlers.context import HandlerContext
from handlers.dispatcher import Dispatcher
from handlers.routes import build_router
from handlers.routing import Request, Route, Router, on_command
from tests.conftest import FakeClock, Resident, make_settings

TOMIOKA_GOALS = ["地域を知ろう", "地域について話し合おう", "地域づくりに関わろう"]


@pytest.mark.parametrize("text", ["/goals", "目標", "goals", "／ｇｏａｌｓ", "/goals@chiiki_bot"])
async def test_goals_by_command_keyword_or_full_width(resident: Resident, text: str) -> None:
    await resident.say(text)
    for title in TOMIOKA_GOALS:
        assert title in resident.text()
    assert resident.labels()[:3] == TOMIOKA_GOALS


async def test_a_goal_shows_what_residents_groups_and_the_city_do(resident: Resident) -> None:
    await resident.say("/goals")
    await resident.tap("地域について話し合おう")
    text = resident.text()
    assert "■ 市民" in text and "■ 地域づくり団体" in text and "■ 市" in text
    assert "対話" not in text or "話し合いの場" in text
    assert "出典: 富岡市" in text and "2022年4月1日登録" in text
    assert "地域について話し合おう" not in resident.labels()  # the goal shown is not offered again


async def test_roles_about_and_system_name_their_source(resident: Resident) -> None:
    await resident.say("/roles")
    assert "地域づくり協議会・行政区" not in resident.text()  # our own words, not the page's list
    assert "行政区" in resident.text() and "出典:" in resident.text()
    await resident.say("地域づくりとは")
    assert "登下校" in resident.text()
    assert "誰もが安心して暮らし続けられる地域社会" in resident.text()
    await resident.tap("地域のしくみ")
    assert "地域づくり協議会" in resident.text() and "円卓会議" in resident.text()
    assert "出典:" in resident.text()


async def test_menu_buttons_run_the_same_routes_as_typed_commands(resident: Resident) -> None:
    await resident.say("/start")
    assert "富岡市" in resident.text()
    await resident.tap("目標")
    assert resident.labels()[:3] == TOMIOKA_GOALS


async def test_the_main_menu_leads_to_the_city_office(resident: Resident) -> None:
    await resident.say("/start")
    await resident.tap("問い合わせ先")
    assert "富岡市" in resident.text() and "電話" in resident.text()


async def test_unknown_text_gets_a_friendly_menu(resident: Resident) -> None:
    await resident.say("今日の天気は？")
    assert "お答えできません" in resident.text()
    assert "目標" in resident.labels()


async def test_unknown_and_oversized_choice_data_get_a_menu(runtime: Runtime) -> None:
    for data in ("goal:no-such-goal", "nonsense", "x" * 500, "district:set:atlantis"):
        replies = await runtime.dispatcher.handle(IncomingMessage(Channel.WEB, "u1", data=data))
        assert replies and replies[-1].choices, data


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x02", "\u200b"])
async def test_empty_or_junk_input_gets_a_clear_answer(resident: Resident, text: str) -> None:
    await resident.say(text)
    assert "文字のメッセージ" in resident.text()
    assert resident.labels()


async def test_a_ten_thousand_character_message_is_refused_and_nothing_breaks(
    resident: Resident,
) -> None:
    await resident.say("あ" * 10_000)
    assert "長すぎます" in resident.text()
    await resident.say("/goals")
    assert TOMIOKA_GOALS[0] in resident.text()


async def test_a_failing_handler_apologises_instead_of_raising(runtime: Runtime) -> None:
    async def broken(request: Request, ctx: HandlerContext) -> list[Reply]:
        raise RuntimeError("boom")

    router = Router([Route("broken", on_command(ROLES), broken)], fallback=build_router().fallback)
    dispatcher = Dispatcher(router, runtime.services)
    replies = await dispatcher.handle(IncomingMessage(Channel.WEB, "u1", text="/roles"))
    assert "申し訳ありません" in replies[0].text
    assert replies[0].choices


async def test_english_residents_read_english(runtime: Runtime) -> None:
    english = Resident(runtime, "en-user")
    first = IncomingMessage(Channel.WEB, "en-user", text="/goals", language_hint="en-GB")
    english.last = await runtime.dispatcher.handle(first)
    assert "Get to know your community" in english.text()
    await english.tap("Talk about your community")
    assert "■ Residents" in english.text()
    assert "Source:" in english.text() and "1 Apr 2022" in english.text()


async def test_settings_switch_language_and_back(resident: Resident) -> None:
    await resident.say("/settings")
    assert "日本語" in resident.text()
    await resident.tap("English")
    assert "Language set to English" in resident.text()
    await resident.say("/goals")
    assert "Get to know your community" in resident.text()
    await resident.say("settings")
    await resident.tap("日本語")
    assert "ことばを日本語にしました" in resident.text()


async def test_seed_packs_without_districts_say_so(resident: Resident) -> None:
    await resident.say("/settings")
    assert "地区はまだ登録されていません" in resident.text()
    assert "地区を選ぶ" not in resident.labels()


async def test_district_choice_pages_through_many_districts(tmp_path, content_dir, clock) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")
    async with open_runtime(settings, clock=clock) as runtime:
        resident = Resident(runtime)
        await resident.say("/settings")
        await resident.tap("地区を選ぶ")
        assert len(resident.labels()) <= 13
        assert "第1地区" in resident.labels() and "第15地区" not in resident.labels()
        await resident.tap("次へ ▶")
        await resident.tap("第15地区")
        assert "第15地区" in resident.text()
        await resident.say("/mydata")
        assert "地区: 第15地区" in resident.text()
        stored = await runtime.services.residents.find("web", "u1")
        assert stored is not None and stored.district == "d15"


async def test_mydata_shows_what_is_stored(resident: Resident) -> None:
    await resident.say("/mydata")
    text = resident.text()
    assert "ウェブのチャット" in text and "未設定" in text
    # The web id is what the identity cookie carries: /mydata never prints it.
    assert "利用者ID: このブラウザだけが持っています" in text and "u1" not in text


async def test_forget_needs_confirmation_and_then_deletes(
    runtime: Runtime, resident: Resident
) -> None:
    await resident.say("/forget")
    await resident.tap("やめる")
    assert await runtime.services.residents.find("web", "u1") is not None
    await resident.say("/forget")
    await resident.tap("はい、消します")
    assert "消しました" in resident.text()
    assert await runtime.services.residents.find("web", "u1") is None
    row = await runtime.db.fetch_one("SELECT count(*) FROM conversation_state")
    assert row is not None and row[0] == 0


async def test_an_old_forget_button_does_not_delete(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    await resident.say("/forget")
    clock.advance(minutes=11)
    await resident.tap("はい、消します")
    assert "よろしいですか" in resident.text()  # asked again instead
    assert await runtime.services.residents.find("web", "u1") is not None


def test_long_text_splits_on_sentence_ends_within_the_limit() -> None:
    text = "地域づくりは大切です。" * 1000
    parts = split_text(text, 4096)
    assert all(len(part) <= 4096 for part in parts)
    assert all(part.endswith("。") for part in parts)
    assert "".join(parts) == text
    assert split_text("a" * 10, 4) == ["aaaa", "aaaa", "aa"]
    assert split_text("short", 4096) == ["short"]


async def test_matsumoto_explains_principles_and_the_centres(tmp_path, content_dir, clock) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="matsumoto")
    async with open_runtime(settings, clock=clock) as runtime:
        resident = Resident(runtime)
        await resident.say("/goals")
        assert "基本理念" in resident.text()
        await resident.say("/about")
        assert "健康寿命延伸都市・松本" in resident.text() and "地域力" in resident.text()
        await resident.say("/roles")
        assert "地域づくりセンター" in resident.text()
