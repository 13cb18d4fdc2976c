"""地域の声 on the platforms: a Telegram voice with a map pin and a photo (kept without EXIF), and
a LINE text voice, through the real webhooks and the fake Bot API / Messaging API."""

from __future__ import annotations

import io

from PIL import Image

from bot.images import photo_location
from bot.storage.voices import VoiceKind, VoiceRepository
from tests.conftest import FakeClock
from tests.platforms import Platforms, line_text, telegram_callback, telegram_text
from tests.test_attachments import (
    last_line_text,
    last_telegram_text,
    line_message,
    telegram_message,
    telegram_photo,
)
from tests.test_images import exif_with_gps


def voices_of(platforms: Platforms) -> VoiceRepository:
    voices = platforms.runtime.services.voices
    assert voices is not None
    return voices


def jpeg_with_gps() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 10, 10)).save(out, "JPEG", exif=exif_with_gps())
    return out.getvalue()


async def test_a_telegram_voice_with_a_place_and_a_photo(platforms: Platforms) -> None:
    await platforms.post_telegram(telegram_text("/voice"))
    assert "どれを送りますか" in last_telegram_text(platforms)
    await platforms.post_telegram(telegram_callback("vkind:problem"))
    await platforms.post_telegram(telegram_text("カーブミラーが割れています"))
    assert "位置情報" in last_telegram_text(platforms)
    await platforms.post_telegram(
        telegram_message(location={"latitude": 36.2551, "longitude": 138.8889})
    )
    assert "写真があれば" in last_telegram_text(platforms)
    photo = jpeg_with_gps()
    assert photo_location(photo) is not None  # the camera's position is in the original
    platforms.telegram.add_file("mirror", photo)
    await platforms.post_telegram(telegram_photo(("mirror", len(photo))))
    assert "連絡してもよいですか" in last_telegram_text(platforms)
    await platforms.post_telegram(telegram_callback("vcontact:yes"))
    confirm = last_telegram_text(platforms)
    assert "地図の位置" in confirm and "写真: あり" in confirm
    await platforms.post_telegram(telegram_callback("vsend"))
    assert "受付番号は" in last_telegram_text(platforms)
    (voice,) = await voices_of(platforms).search()
    assert voice.kind is VoiceKind.PROBLEM and voice.body == "カーブミラーが割れています"
    assert (voice.place.latitude, voice.place.longitude) == (36.2551, 138.8889)
    assert voice.has_photo and not voice.photo_public
    kept = await voices_of(platforms).photo(voice.id)
    assert kept is not None and kept.media_type == "image/jpeg"
    assert photo_location(kept.data) is None  # stored without EXIF
    # The photo never waits in the conversation once sent.
    rows = await platforms.runtime.db.fetch_all("SELECT data FROM conversation_state")
    assert rows == []


async def test_a_photo_that_is_not_one_is_refused_and_the_step_can_be_skipped(
    platforms: Platforms,
) -> None:
    await platforms.post_telegram(telegram_text("/voice"))
    await platforms.post_telegram(telegram_callback("vkind:opinion"))
    await platforms.post_telegram(telegram_text("公民館にWi-Fiを"))
    await platforms.post_telegram(telegram_callback("vnoplace"))
    platforms.telegram.add_file("fake", b"not a picture at all")
    await platforms.post_telegram(telegram_photo(("fake", 20)))
    assert "この写真は受け取れませんでした" in last_telegram_text(platforms)
    await platforms.post_telegram(telegram_callback("vnophoto"))
    await platforms.post_telegram(telegram_callback("vcontact:no"))
    await platforms.post_telegram(telegram_callback("vsend"))
    (voice,) = await voices_of(platforms).search()
    assert not voice.has_photo and voice.place.name is None and not voice.contact_ok


async def test_a_line_text_voice_with_a_line_location(
    platforms: Platforms, clock: FakeClock
) -> None:
    line = platforms.line

    async def say(text: str) -> str:
        await platforms.post_line([line_text(text, clock, line.new_reply_token())])
        return last_line_text(platforms)

    async def tap(data: str) -> str:
        event = {
            "type": "postback",
            "mode": "active",
            "timestamp": int(clock.now.timestamp() * 1000),
            "source": {"type": "user", "userId": "U111"},
            "webhookEventId": f"01HVOICE{data.replace(':', '')}",
            "deliveryContext": {"isRedelivery": False},
            "replyToken": line.new_reply_token(),
            "postback": {"data": data},
        }
        await platforms.post_line([event])
        return last_line_text(platforms)

    assert "どれを送りますか" in await say("声を届ける")
    await tap("vkind:question")
    await say("ごみ集積所の場所はどう決まりますか")
    # LINE's own map picker, before the step's buttons.
    items = platforms.line.sent("reply")[-1]["messages"][0]["quickReply"]["items"]
    assert items[0]["action"] == {"type": "location", "label": "地図で場所を送る"}
    place = line_message(
        clock,
        platforms,
        type="location",
        title="富岡市役所",
        address="群馬県富岡市",
        latitude=36.2597,
        longitude=138.8899,
    )
    await platforms.post_line([place])
    items = platforms.line.sent("reply")[-1]["messages"][0]["quickReply"]["items"]
    assert items[0]["action"] == {"type": "cameraRoll", "label": "写真を選ぶ"}
    await tap("vnophoto")
    await tap("vcontact:no")
    assert "受付番号は" in await tap("vsend")
    (voice,) = await voices_of(platforms).search()
    assert voice.kind is VoiceKind.QUESTION and voice.place.name == "富岡市役所"
    assert voice.place.latitude == 36.2597


async def test_a_pins_place_name_reaches_staff_without_control_characters(
    platforms: Platforms,
) -> None:
    """A venue's title is the sender's own text: no ESC for a terminal, no U+202E for staff."""
    await platforms.post_telegram(telegram_text("/voice"))
    await platforms.post_telegram(telegram_callback("vkind:problem"))
    await platforms.post_telegram(telegram_text("街灯が消えています"))
    point = {"latitude": 36.2551, "longitude": 138.8889}
    venue = {"location": point, "title": "公園\x1b]52;c;ZXZpbA==\x07\u202enimda", "address": "x"}
    await platforms.post_telegram(telegram_message(location=point, venue=venue))
    await platforms.post_telegram(telegram_callback("vnophoto"))
    await platforms.post_telegram(telegram_callback("vcontact:no"))
    await platforms.post_telegram(telegram_callback("vsend"))
    (voice,) = await voices_of(platforms).search()
    assert voice.place.name is not None and voice.place.name.startswith("公園")
    assert not any(ch in voice.place.name for ch in "\x1b\x07\u202e"), voice.place.name
