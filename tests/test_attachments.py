"""Photos, places and files reach handlers as neutral attachments, fetched only when asked and
never past a cap, from Telegram, LINE and the web chat; nobody asked → a kind answer."""

from __future__ import annotations

import asyncio
import io
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.channels.line import render as line_render
from bot.channels.web import render_replies
from bot.core import Ask, Attachment, AttachmentKind, Choice, Reply
from bot.core.reply_json import dump_replies, load_replies
from bot.errors import AttachmentTooLargeError, AttachmentUnavailableError
from bot.images import photo_media_type
from handlers.context import HandlerContext
from handlers.routes import build_router
from handlers.routing import Request, Route, Router
from tests.conftest import FakeClock
from tests.platforms import Platforms, line_event, open_platforms, telegram_user

_ids = itertools.count(900_000)
MB = 1024 * 1024


def picture(form: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, form)
    return out.getvalue()


def telegram_message(user_id: int = 111, **fields: Any) -> dict[str, Any]:
    message = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "花子"},
        "from": telegram_user(user_id),
        **fields,
    }
    return {"update_id": next(_ids), "message": message}


def telegram_photo(*sizes: tuple[str, int | None], caption: str | None = None) -> dict[str, Any]:
    """A photo message: its sizes (file id, file size) smallest first, as the Bot API lists."""
    photo = []
    for number, (file_id, size) in enumerate(sizes):
        part: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "width": 90 * (number + 1),
            "height": 60 * (number + 1),
        }
        if size is not None:
            part["file_size"] = size
        photo.append(part)
    return telegram_message(photo=photo, **({"caption": caption} if caption else {}))


class Kept:
    """What the test route saw, and the cap it fetches with."""

    def __init__(self) -> None:
        self.attachments: list[Attachment] = []
        self.cap = MB

    async def take(self, request: Request, ctx: HandlerContext) -> list[Reply]:
        self.attachments += request.attachments
        words = []
        for attachment in request.attachments:
            if attachment.location is not None:
                place = attachment.location
                words.append(f"place {place.latitude},{place.longitude} {place.title}")
                continue
            try:
                data = await attachment.fetch(self.cap)
            except AttachmentTooLargeError:
                words.append("too large")
                continue
            except AttachmentUnavailableError:
                words.append("unavailable")
                continue
            words.append(f"{attachment.kind} {len(data)} bytes {photo_media_type(data)}")
        return [Reply("; ".join(words))]


@pytest.fixture
async def kept() -> Kept:
    return Kept()


@pytest.fixture
async def taking(
    tmp_path: Path,
    content_dir: Path,
    clock: FakeClock,
    kept: Kept,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Platforms]:
    """Platforms whose router has, first, a route that takes every kind of attachment."""

    def router_with_taker() -> Router:
        router = build_router()
        taker = Route(
            "test-taker",
            lambda request: bool(request.attachments),
            kept.take,
            accepts=frozenset(AttachmentKind),
        )
        return Router([taker, *router.routes], router.fallback)

    monkeypatch.setattr("bot.runtime.build_router", router_with_taker)
    async with open_platforms(tmp_path, content_dir, clock) as opened:
        yield opened


def last_telegram_text(platforms: Platforms) -> str:
    return str(platforms.telegram.sent("sendMessage")[-1]["text"])


# Telegram


async def test_a_telegram_photo_reaches_the_handler_in_its_largest_size(
    taking: Platforms, kept: Kept
) -> None:
    jpeg = picture()
    taking.telegram.add_file("small", picture(size=(8, 6)))
    taking.telegram.add_file("large", jpeg)
    update = telegram_photo(("small", 300), ("large", len(jpeg)), caption="道路の穴です")
    assert await taking.post_telegram(update) == 200
    (attachment,) = kept.attachments
    assert attachment.kind is AttachmentKind.PHOTO and attachment.size == len(jpeg)
    assert last_telegram_text(taking) == f"photo {len(jpeg)} bytes image/jpeg"
    assert taking.telegram.downloads() == ["documents/large.jpg"]  # fetched once, the large one


async def test_a_telegram_photo_too_large_for_the_cap_falls_back_to_a_smaller_size(
    taking: Platforms, kept: Kept
) -> None:
    small = picture(size=(8, 6))
    taking.telegram.add_file("small", small)
    taking.telegram.add_file("huge", size=3 * MB)
    await taking.post_telegram(telegram_photo(("small", len(small)), ("huge", 3 * MB)))
    assert last_telegram_text(taking) == f"photo {len(small)} bytes image/jpeg"
    assert taking.telegram.files["huge"].served == 0


async def test_a_telegram_location_and_a_venue_reach_the_handler(
    taking: Platforms, kept: Kept
) -> None:
    await taking.post_telegram(telegram_message(location={"latitude": 36.24, "longitude": 137.97}))
    assert last_telegram_text(taking) == "place 36.24,137.97 None"
    venue = {
        "location": {"latitude": 36.238, "longitude": 137.972},
        "title": "松本城",
        "address": "長野県松本市丸の内4-1",
    }
    await taking.post_telegram(telegram_message(location=venue["location"], venue=venue))
    place = kept.attachments[-1].location
    assert place is not None and (place.title, place.address) == ("松本城", venue["address"])
    assert taking.telegram.downloads() == []


async def test_an_over_size_telegram_file_is_refused_without_downloading(
    taking: Platforms, kept: Kept
) -> None:
    # Declared by getFile over the cap: nothing is downloaded.
    taking.telegram.add_file("big", size=2 * MB)
    document = {"file_id": "big", "file_unique_id": "ub", "file_name": "plan.pdf"}
    await taking.post_telegram(telegram_message(document=document))
    assert kept.attachments[-1].kind is AttachmentKind.FILE
    assert kept.attachments[-1].name == "plan.pdf"
    assert last_telegram_text(taking) == "too large"
    assert taking.telegram.sent("getFile") and taking.telegram.downloads() == []
    # Over the Bot API's 20 MB: getFile itself refuses ("file is too big").
    kept.cap = 20 * MB
    taking.telegram.add_file("giant", size=21 * MB)
    await taking.post_telegram(
        telegram_message(document={"file_id": "giant", "file_unique_id": "g"})
    )
    assert last_telegram_text(taking) == "too large"
    assert taking.telegram.downloads() == []


async def test_an_undeclared_size_is_caught_by_content_length_before_reading(
    taking: Platforms, kept: Kept
) -> None:
    taking.telegram.declare_file_sizes = False  # getFile leaves file_size out
    # The body stops after 64 KB although Content-Length says 8 MB: a client that read it
    # would get a broken download ("unavailable"), one that trusts the header reads nothing.
    big = taking.telegram.add_file("big", size=8 * MB)
    big.cut_after = 64 * 1024
    document = {"file_id": "big", "file_unique_id": "ub", "mime_type": "image/jpeg"}
    await taking.post_telegram(telegram_message(document=document))
    assert kept.attachments[-1].kind is AttachmentKind.PHOTO  # an uncompressed photo
    assert last_telegram_text(taking) == "too large"
    # Under a cap above 8 MB the same download is read, and found broken.
    kept.cap = 16 * MB
    await taking.post_telegram(telegram_message(document=document))
    assert last_telegram_text(taking) == "unavailable"


async def test_a_download_without_content_length_stops_at_the_cap(
    taking: Platforms, kept: Kept
) -> None:
    taking.telegram.declare_file_sizes = False
    taking.telegram.send_file_lengths = False
    endless = taking.telegram.add_file("endless", size=19 * MB)  # under getFile's 20 MB
    document = {"file_id": "endless", "file_unique_id": "ue", "file_name": "a.bin"}
    await taking.post_telegram(telegram_message(document=document))
    assert last_telegram_text(taking) == "too large"
    # The cap is 1 MB; with what the sockets' buffers took on top, far below the 19 MB offered.
    assert MB < endless.served < 10 * MB


async def test_a_download_that_redirects_is_not_followed(taking: Platforms, kept: Kept) -> None:
    """SSRF: a redirect from the file URL could point our request at an internal address
    (169.254.169.254, an admin page on localhost); the platforms serve bytes themselves."""
    api_base = taking.runtime.settings.telegram_api_base.rstrip("/")
    inside = f"{api_base.removesuffix('/bot')}/file/bot{taking.telegram.token}/documents/in.jpg"
    taking.telegram.add_file("in", picture())  # what the redirect would have reached
    taking.telegram.add_file("moved", picture())
    taking.telegram.redirects["moved"] = inside
    await taking.post_telegram(telegram_photo(("moved", 600)))
    assert last_telegram_text(taking) == "unavailable"
    assert taking.telegram.downloads() == ["documents/moved.jpg"]


@pytest.mark.parametrize(
    "file_path",
    [
        "documents/../documents/in.jpg",  # climbs, here back to another file
        "../../botTOKEN/deleteWebhook",  # out of /file/ to a method of the Bot API
        "documents/%2e%2e/in.jpg",
        "http://169.254.169.254/latest/meta-data",
        "/etc/hostname",  # PTB keeps a path naming a local file as it is
        "documents/in.jpg?x=1",
    ],
)
async def test_a_telegram_file_path_outside_the_file_url_is_not_fetched(
    taking: Platforms, kept: Kept, file_path: str
) -> None:
    taking.telegram.add_file("in", picture())
    taking.telegram.add_file("odd", picture())
    taking.telegram.file_paths["odd"] = file_path.replace("TOKEN", taking.telegram.token)
    await taking.post_telegram(telegram_photo(("odd", 600)))
    assert last_telegram_text(taking) == "unavailable"
    assert taking.telegram.downloads() == []


async def test_a_photo_nobody_asked_for_gets_a_kind_answer_and_is_not_downloaded(
    platforms: Platforms,
) -> None:
    platforms.telegram.add_file("p", picture())
    await platforms.post_telegram(telegram_photo(("p", 600), caption="これを見て"))
    answer = last_telegram_text(platforms)
    assert "写真や位置情報" in answer and "受け取れません" in answer
    await platforms.post_telegram(telegram_message(location={"latitude": 36.2, "longitude": 138}))
    assert "受け取れません" in last_telegram_text(platforms)
    assert platforms.telegram.sent("getFile") == [] and platforms.telegram.downloads() == []
    # A sticker is still something we cannot read at all.
    await platforms.post_telegram(telegram_message(sticker={"file_id": "s", "emoji": "👍"}))
    assert "文字のメッセージだけ" in last_telegram_text(platforms)


# LINE


def line_message(clock: FakeClock, platforms: Platforms, **message: Any) -> dict[str, Any]:
    return line_event(
        "message",
        clock,
        replyToken=platforms.line.new_reply_token(),
        message={"id": str(next(_ids)), "quoteToken": "q", **message},
    )


def last_line_text(platforms: Platforms) -> str:
    return str(platforms.line.sent("reply")[-1]["messages"][0]["text"])


async def test_a_line_image_and_location_reach_the_handler(
    taking: Platforms, kept: Kept, clock: FakeClock
) -> None:
    png = picture("PNG")
    image = line_message(clock, taking, type="image", contentProvider={"type": "line"})
    taking.line.add_content(image["message"]["id"], png)
    assert await taking.post_line([image]) == 200
    assert last_line_text(taking) == f"photo {len(png)} bytes image/png"
    (content_call,) = [c for c in taking.line.calls if c[0] == "content"]
    assert content_call[2]["authorization"] == f"Bearer {taking.line.access_token}"
    place = line_message(
        clock,
        taking,
        type="location",
        title="蟻ケ崎公民館",
        address="長野県松本市",
        latitude=36.2441,
        longitude=137.9571,
    )
    await taking.post_line([place])
    assert last_line_text(taking) == "place 36.2441,137.9571 蟻ケ崎公民館"
    assert kept.attachments[-1].location.address == "長野県松本市"  # type: ignore[union-attr]


async def test_line_content_over_the_cap_gone_or_external_is_refused(
    taking: Platforms, kept: Kept, clock: FakeClock
) -> None:
    big = line_message(clock, taking, type="file", fileName="a.zip", fileSize=3 * MB)
    hosted = taking.line.add_content(big["message"]["id"], size=3 * MB)
    taking.line.send_content_lengths = False  # only counting can stop it
    await taking.post_line([big])
    assert last_line_text(taking) == "too large"
    assert kept.attachments[-1].name == "a.zip" and kept.attachments[-1].size == 3 * MB
    assert hosted.served < 3 * MB
    # LINE keeps content only a while: gone is a 404.
    await taking.post_line([line_message(clock, taking, type="image")])
    assert last_line_text(taking) == "unavailable"
    # An image kept on another server (sent from a LIFF app) is not fetched from there.
    external = {"type": "external", "originalContentUrl": "https://example.com/a.jpg"}
    await taking.post_line([line_message(clock, taking, type="image", contentProvider=external)])
    assert last_line_text(taking) == "unavailable"


async def test_line_images_nobody_asked_for_get_the_kind_answer(
    platforms: Platforms, clock: FakeClock
) -> None:
    image = line_message(clock, platforms, type="image")
    platforms.line.add_content(image["message"]["id"], picture())
    await platforms.post_line([image])
    assert "受け取れません" in last_line_text(platforms)
    assert not [c for c in platforms.line.calls if c[0] == "content"]
    await platforms.post_line([line_message(clock, platforms, type="sticker", packageId="1")])
    assert "文字のメッセージだけ" in last_line_text(platforms)


# The web chat


async def post_photo(
    platforms: Platforms, body: bytes, media_type: str = "image/jpeg", **headers: str
) -> Any:
    return await platforms.http.post(
        "/chat/photo", content=body, headers={"content-type": media_type, **headers}
    )


async def test_a_web_jpeg_and_png_reach_the_handler_with_their_real_type(
    taking: Platforms,
) -> None:
    jpeg, png = picture(), picture("PNG")
    response = await post_photo(taking, jpeg)
    assert response.status_code == 200, response.text
    assert response.json()["replies"][0]["text"] == f"photo {len(jpeg)} bytes image/jpeg"
    # Declared a JPEG, really a PNG: the bytes decide.
    response = await post_photo(taking, png)
    assert response.json()["replies"][0]["text"] == f"photo {len(png)} bytes image/png"


async def test_web_uploads_that_are_not_photos_or_too_large_are_refused(
    platforms: Platforms,
) -> None:
    fake = b"\xff\xd8\xff\xe0 not really a JPEG, just text " * 10
    response = await post_photo(platforms, fake)
    assert response.status_code == 415
    assert "写真として読めませんでした" in response.json()["error"]
    english = await post_photo(platforms, fake, **{"accept-language": "en"})
    assert "could not be read as a photo" in english.json()["error"]
    over = picture() + bytes(5 * MB)
    response = await post_photo(platforms, over)
    assert response.status_code == 413
    assert "5MBまで" in response.json()["error"]
    # A form post (which any site could make the browser send) is refused before reading.
    response = await post_photo(platforms, picture(), "multipart/form-data; boundary=x")
    assert response.status_code == 415
    response = await post_photo(platforms, picture(), **{"sec-fetch-site": "cross-site"})
    assert response.status_code == 403


async def test_a_refused_upload_is_worded_in_the_language_the_resident_reads(
    platforms: Platforms,
) -> None:
    chosen = await platforms.http.post("/chat/api", json={"text": "やさしい日本語"})
    assert chosen.json()["language"] == "easy"
    fake = b"\xff\xd8\xff\xe0 not really a JPEG, just text " * 10
    # The resident's own choice, not the browser's language.
    response = await post_photo(platforms, fake, **{"accept-language": "en"})
    assert response.status_code == 415
    assert response.json()["error"].startswith("写真（しゃしん）として よめませんでした")
    over = await post_photo(platforms, picture() + bytes(5 * MB))
    assert "5MB（メガバイト）までの 写真を" in over.json()["error"]


async def test_a_web_photo_sent_too_slowly_is_cut_off(
    platforms: Platforms, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slowloris: a body trickling in would hold its connection and bytes for ever."""
    monkeypatch.setattr("bot.web.chat.PHOTO_UPLOAD_SECONDS", 0.2)
    never = asyncio.Event()

    async def trickle() -> AsyncIterator[bytes]:
        yield picture()[:100]
        await never.wait()  # the rest never comes
        yield b""

    response = await platforms.http.post(
        "/chat/photo", content=trickle(), headers={"content-type": "image/jpeg"}
    )
    assert response.status_code == 408
    assert "時間がかかりすぎました" in response.json()["error"]


async def test_web_photos_held_at_once_are_capped_per_address(platforms: Platforms) -> None:
    """Parallel uploads (each up to 5 MB, held until answered) cannot add up in memory."""
    go_on = asyncio.Event()
    jpeg = picture()

    async def stalled() -> AsyncIterator[bytes]:
        await go_on.wait()
        yield jpeg

    def upload() -> Any:
        return platforms.http.post(
            "/chat/photo", content=stalled(), headers={"content-type": "image/jpeg"}
        )

    held = [asyncio.create_task(upload()) for _ in range(2)]
    while platforms_uploads(platforms).bytes_held < 2 * 5 * MB:
        await asyncio.sleep(0.01)
    refused = await post_photo(platforms, jpeg)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "10"
    assert "写真" in refused.json()["error"]
    go_on.set()
    assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
    assert platforms_uploads(platforms).bytes_held == 0
    assert (await post_photo(platforms, jpeg)).status_code == 200


def chat_endpoints(platforms: Platforms) -> Any:
    """The chat's endpoints (their limits), found through the app's /chat/photo route."""
    app = platforms.http._transport.app  # type: ignore[attr-defined]
    for route in app.routes:
        if getattr(route, "path", "") == "/chat/photo":
            return route.endpoint.__self__
    raise AssertionError("no /chat/photo route")


def platforms_uploads(platforms: Platforms) -> Any:
    return chat_endpoints(platforms).uploads


async def test_photos_from_one_address_are_limited_an_hour(platforms: Platforms) -> None:
    """Each may be kept 5 MB with a voice, and fresh identities each send five voices a day:
    one address could otherwise fill the disk with hundreds of MB an hour."""
    from bot.web.chat import PHOTOS_PER_HOUR
    from bot.web.limits import TokenBuckets

    assert PHOTOS_PER_HOUR == chat_endpoints(platforms).photos.capacity == 30
    chat_endpoints(platforms).photos = TokenBuckets(2, 3600.0)  # the same rule, sooner met
    for _ in range(2):
        assert (await post_photo(platforms, picture())).status_code == 200
    refused = await post_photo(platforms, picture())
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 60
    assert "写真" in refused.json()["error"] and "分ほど" in refused.json()["error"]
    english = await post_photo(platforms, picture(), **{"accept-language": "en"})
    assert "Too many photos" in english.json()["error"]


async def test_a_web_photo_longer_than_its_content_length_is_refused(
    platforms: Platforms,
) -> None:
    # Counted at its declared size in the upload slots, so it may not grow past it.
    response = await post_photo(platforms, picture() + bytes(MB), **{"content-length": "200"})
    assert response.status_code == 400


async def test_a_web_photo_nobody_asked_for_gets_the_kind_answer(platforms: Platforms) -> None:
    response = await post_photo(platforms, picture())
    assert response.status_code == 200
    assert "受け取れません" in response.json()["replies"][0]["text"]
    assert response.cookies  # the same identity as the chat's messages


# Asking for one


def test_a_reply_asks_for_a_photo_or_a_place_with_buttons_of_their_own() -> None:
    asks = (Ask(AttachmentKind.PHOTO, "写真をえらぶ"), Ask(AttachmentKind.LOCATION, "地図で送る"))
    choices = tuple(Choice(f"c{n}", f"x:{n}") for n in range(11))
    reply = Reply("写真はありますか", choices, asks=asks)
    (message,) = line_render([reply])
    items = [item.action.to_dict() for item in message.quick_reply.items]  # type: ignore[union-attr]
    assert items[0] == {"type": "cameraRoll", "label": "写真をえらぶ"}
    assert items[1] == {"type": "location", "label": "地図で送る"}
    assert len(items) == 13 and items[2]["type"] == "postback"
    (bubble,) = render_replies([reply])["replies"]
    assert bubble["asks"] == [
        {"kind": "photo", "label": "写真をえらぶ"},
        {"kind": "location", "label": "地図で送る"},
    ]
    assert load_replies(dump_replies([reply])) == [reply]  # kept with a turn's stored replies
    with pytest.raises(ValueError, match="at most 13"):
        Reply("x", (*choices, Choice("c", "x:c")), asks=asks)
    with pytest.raises(ValueError, match="not a file"):
        Ask(AttachmentKind.FILE, "ファイル")


async def test_downloads_run_a_few_at_a_time_per_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each download may hold 5 MB: many residents' photos at once queue, not add up."""
    from types import SimpleNamespace

    from bot.channels import line_content, telegram_files
    from bot.channels.downloads import DOWNLOADS_AT_ONCE

    inside, most, release = 0, 0, asyncio.Event()

    async def counted(url: str, max_bytes: int, *args: object) -> bytes:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await release.wait()
        inside -= 1
        return b"ok"

    monkeypatch.setattr(line_content, "download_capped", counted)
    monkeypatch.setattr(telegram_files, "download_capped", counted)
    base = "http://127.0.0.1:9/file/botT"

    async def get_file(file_id: str) -> SimpleNamespace:
        return SimpleNamespace(file_size=None, file_path=f"{base}/photos/{file_id}.jpg")

    line = line_content.LineContent("http://127.0.0.1:9", "token", 5.0)
    telegram = telegram_files.TelegramFiles(
        SimpleNamespace(get_file=get_file, base_file_url=base)  # type: ignore[arg-type]
    )
    for fetches in (
        [line.download(str(n), MB) for n in range(12)],
        [telegram.download(((f"f{n}", None),), MB) for n in range(12)],
    ):
        most, release = 0, asyncio.Event()
        tasks = [asyncio.create_task(fetch) for fetch in fetches]
        for _ in range(20):
            await asyncio.sleep(0)
        assert most == DOWNLOADS_AT_ONCE == 4
        release.set()
        assert await asyncio.gather(*tasks) == [b"ok"] * 12
