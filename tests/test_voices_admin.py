"""The 声 dashboard pages: the list and its filters, one voice with its photo and map link,
state changes with errors next to fields, the answer sent once, publishing, the counter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.runtime import Runtime
from bot.storage.voices import NewVoice, Photo, Place, VoiceKind, VoiceRepository, VoiceState
from tests.admin_helpers import logged_in_staff, post_form, web_client
from tests.conftest import FakeClock, Resident, make_settings
from tests.test_events import new_event
from tests.test_voices import send_voice


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


@pytest.fixture
async def staff(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_staff(runtime) as http:
        yield http


def voices_of(runtime: Runtime) -> VoiceRepository:
    assert runtime.services.voices is not None
    return runtime.services.voices


async def test_staff_triage_answer_and_publish_a_voice(
    runtime: Runtime, clock: FakeClock, staff: httpx.AsyncClient
) -> None:
    resident = Resident(runtime)
    await send_voice(resident, "<script>alert(1)</script> 側溝のふたが外れています", "駅前")
    (voice,) = await voices_of(runtime).search()
    home = await staff.get("/admin/")
    assert "未確認の声が 1件あります。" in home.text
    listed = await staff.get("/admin/voices?kind=problem&state=received")
    assert voice.receipt in listed.text and "困りごと・危険な場所" in listed.text
    assert "<script>alert(1)</script>" not in listed.text  # escaped, as everything residents wrote
    assert voice.receipt not in (await staff.get("/admin/voices?kind=question")).text
    page = await staff.get(f"/admin/voices/{voice.id}")
    assert page.status_code == 200 and "&lt;script&gt;" in page.text and "駅前" in page.text
    # Declined without a reason: the error sits next to the field, nothing changes.
    refused = await post_form(staff, f"/admin/voices/{voice.id}/state", {"state": "declined"})
    assert refused.status_code == 400
    assert (
        'id="reason-error"' in refused.text and "対応しない理由を入力してください" in refused.text
    )
    refused = await post_form(staff, f"/admin/voices/{voice.id}/state", {"state": "taken_up"})
    assert 'id="event-error"' in refused.text
    event_id = await new_event(runtime, clock)
    moved = await post_form(
        staff, f"/admin/voices/{voice.id}/state", {"state": "taken_up", "event": str(event_id)}
    )
    assert moved.status_code == 303
    empty = await post_form(staff, f"/admin/voices/{voice.id}/answer", {"answer_ja": ""})
    assert empty.status_code == 400 and 'id="answer_ja-error"' in empty.text
    answered = await post_form(
        staff, f"/admin/voices/{voice.id}/answer", {"answer_ja": "今週中に直します。"}
    )
    assert answered.status_code == 303
    stored = await voices_of(runtime).get(voice.id)
    assert stored is not None and stored.state is VoiceState.ANSWERED
    again = await post_form(staff, f"/admin/voices/{voice.id}/answer", {"answer_ja": "二度目"})
    assert again.status_code == 400
    await runtime.delivery.deliver_due()
    told = await runtime.mailbox.take("web", "u1", clock.now)
    assert len(told) == 2 and "今週中に直します。" in told[1]
    published = await post_form(staff, f"/admin/voices/{voice.id}/publish", {"published": "1"})
    assert published.status_code == 303
    assert (await voices_of(runtime).get(voice.id)).published  # type: ignore[union-attr]
    assert "未確認の声が 0件あります。" in (await staff.get("/admin/")).text


async def test_a_photo_and_a_map_link_are_shown_to_staff_only(
    runtime: Runtime, clock: FakeClock, staff: httpx.AsyncClient
) -> None:
    resident = await runtime.services.residents.get_or_create("telegram", "7", "ja", clock.now)
    new = NewVoice(
        resident.id,
        VoiceKind.PROBLEM,
        "ミラーが割れています",
        "ja",
        "d01",
        Place("三差路", 36.2551, 138.8889),
        Photo("image/png", b"\x89PNG fake bytes"),
    )
    _, voice = await voices_of(runtime).send(new, clock.now)
    assert voice is not None
    page = await staff.get(f"/admin/voices/{voice.id}")
    assert "https://www.openstreetmap.org/?mlat=36.255100&amp;mlon=138.888900" in page.text
    assert f'src="/admin/voices/{voice.id}/photo"' in page.text
    photo = await staff.get(f"/admin/voices/{voice.id}/photo")
    assert photo.content == b"\x89PNG fake bytes" and photo.headers["content-type"] == "image/png"
    assert "no-store" in photo.headers["cache-control"]
    assert (await staff.get("/admin/voices/999/photo")).status_code == 404
    assert (await staff.get("/admin/voices/999")).status_code == 404
    async with web_client(runtime) as outsider:
        response = await outsider.get(f"/admin/voices/{voice.id}/photo")
        assert response.status_code in (302, 303) and b"PNG" not in response.content
    by_district = await staff.get("/admin/voices?district=d01")
    assert voice.receipt in by_district.text
    assert voice.receipt not in (await staff.get("/admin/voices?district=d02")).text
