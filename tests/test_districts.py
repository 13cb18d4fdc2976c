"""Staff add districts on the dashboard (Tomioka's sources name none): residents choose them
in settings, staff aim notices at them, and they are kept across restarts."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.config import Settings
from bot.runtime import Runtime, open_runtime
from tests.admin_helpers import logged_in_staff, post_form
from tests.conftest import FakeClock, Resident


@pytest.fixture
async def staff(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_staff(runtime) as http:
        yield http


async def test_a_district_added_on_the_dashboard_is_one_residents_can_choose(
    runtime: Runtime, staff: httpx.AsyncClient, settings: Settings, clock: FakeClock
) -> None:
    resident = Resident(runtime)
    await resident.say("/settings")
    assert "この市の地区はまだ登録されていません。" in resident.text()
    assert "地区を選ぶ" not in resident.labels()

    added = await post_form(
        staff,
        "/admin/districts",
        {"id": "kuroiwa", "name_ja": "黒岩地区", "name_en": "Kuroiwa", "name_easy": ""},
    )
    assert added.status_code == 303
    page = await staff.get(added.headers["location"])
    assert "黒岩地区" in page.text and "地区「kuroiwa」を追加しました" in page.text

    await resident.say("/settings")
    assert "この市の地区はまだ登録されていません。" not in resident.text()
    await resident.tap("地区を選ぶ")
    await resident.tap("黒岩地区")
    assert "黒岩地区" in resident.text()
    preview = await post_form(
        staff, "/admin/broadcasts/preview", {"text_ja": "お知らせ", "district": "kuroiwa"}
    )
    assert preview.status_code == 200 and 'data-audience="web">1<' in preview.text

    # Kept in the database: a restarted process has it too, once.
    async with open_runtime(settings, clock=clock, serving=False) as again:
        assert [d.id for d in again.services.pack.districts].count("kuroiwa") == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"id": "Kuro Iwa", "name_ja": "黒岩"}, "id", "半角英小文字・数字・ハイフン"),
        ({"id": "kuroiwa", "name_ja": ""}, "name_ja", "入力してください。"),
        ({"id": "kuroiwa", "name_ja": "黒" * 41}, "name_ja", "長すぎます（40文字まで）。"),
    ],
)
async def test_a_wrong_district_is_refused_next_to_its_field(
    runtime: Runtime, staff: httpx.AsyncClient, fields: dict[str, str], field: str, message: str
) -> None:
    response = await post_form(staff, "/admin/districts", fields)
    assert response.status_code == 400
    assert f'id="{field}-error">' in response.text
    assert message in html.unescape(response.text)
    assert runtime.services.pack.districts == []


async def test_the_same_id_twice_is_refused(staff: httpx.AsyncClient) -> None:
    form = {"id": "kuroiwa", "name_ja": "黒岩地区"}
    assert (await post_form(staff, "/admin/districts", form)).status_code == 303
    again = await post_form(staff, "/admin/districts", form)
    assert again.status_code == 400 and "このIDの地区はもうあります。" in again.text
