"""Hostile JSON and ids get 400 or 404 on every endpoint, never a 500."""

from __future__ import annotations

import json
import logging

import pytest

from bot.core import Channel, IncomingMessage
from bot.runtime import Runtime
from bot.storage.faq import UNANSWERED_PER_RESIDENT_PER_DAY, UnansweredRepository
from bot.web.bodies import MAX_JSON_DEPTH
from tests.admin_helpers import add_staff, log_in
from tests.conftest import FakeClock
from tests.fakes.line import sign
from tests.platforms import (
    WEBHOOK_SECRET,
    Platforms,
    line_event,
    line_text,
    telegram_callback,
    telegram_text,
)

HOSTILE_BODIES = {
    "8,000 nested brackets": b"[" * 8000 + b"]" * 8000,
    "nested objects past the limit": b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * 65,
    "a 5,000-digit number": b'{"update_id": ' + b"9" * 5000 + b"}",
    "a 4,000-digit number": b'{"update_id": ' + b"9" * 4000 + b"}",
    "an integer past 64 bits": b'{"update_id": 9223372036854775808}',
    "a 5,000-digit fraction": b'{"update_id": 1.' + b"5" * 5000 + b"}",
    "a float past its range": b'{"update_id": 1e999}',
    "NaN": b'{"update_id": NaN}',
}


def _headers(path: str, body: bytes) -> dict[str, str]:
    if path == "/webhook/telegram":
        return {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    if path == "/webhook/line":
        return {"X-Line-Signature": sign(body)}
    return {"content-type": "application/json"}


@pytest.mark.parametrize("path", ["/chat/api", "/webhook/telegram", "/webhook/line"])
async def test_hostile_json_is_refused_with_400_on_every_json_endpoint(
    platforms: Platforms, path: str
) -> None:
    for name, body in HOSTILE_BODIES.items():
        response = await platforms.http.post(path, content=body, headers=_headers(path, body))
        assert response.status_code == 400, (name, response.status_code, response.text)
        assert "error" in response.json()
    rows = await platforms.runtime.db.fetch_all("SELECT count(*) FROM inbound_events")
    assert rows[0][0] == 0
    assert (await platforms.http.get("/healthz")).status_code == 200


async def test_nesting_within_the_limit_is_still_read(platforms: Platforms) -> None:
    deep = b'{"update_id": 77, "x": ' + b"[" * (MAX_JSON_DEPTH - 2) + b"]" * 62 + b"}"
    headers = _headers("/webhook/telegram", deep)
    response = await platforms.http.post("/webhook/telegram", content=deep, headers=headers)
    assert response.status_code == 200


async def test_out_of_range_dashboard_ids_are_404(platforms: Platforms) -> None:
    await add_staff(platforms.runtime)
    assert (await log_in(platforms.http)).status_code == 303
    huge = str(10**30)
    for path in (
        f"/admin/polls/{huge}",
        f"/admin/polls/{huge}/results.json",
        f"/admin/polls/{huge}/results.csv",
        f"/admin/broadcasts/{huge}",
        f"/admin/broadcasts/{huge}/progress.json",
        "/admin/polls/2147483648",  # past PostgreSQL's INTEGER
        "/admin/polls/999999999",  # 9 digits: a valid id that does not exist
        "/admin/broadcasts/999999999/progress.json",
    ):
        response = await platforms.http.get(path)
        assert response.status_code == 404, (path, response.status_code)
    assert (await platforms.http.get("/admin/polls")).status_code == 200


def test_no_route_takes_an_unbounded_integer() -> None:
    from bot.config import PROJECT_ROOT

    for path in (PROJECT_ROOT / "bot" / "web").rglob("*.py"):
        assert ":int}" not in path.read_text(encoding="utf-8"), f"{path}: use :rowid"


FORGED_NUMBERS = ("²", "١", "9" * 10, "9" * 30)
# Every choice whose data carries a number; the client can send any data it likes.
NUMBERED_CHOICES = (
    "poll:{n}",
    "vote:1:{n}",
    "vote:{n}:1",
    "pick:1:{n}",
    "pick:{n}:1",
    "pollok:{n}",
    "pollcmt:{n}",
    "pollchart:{n}",
    "event:{n}",
    "evsub:{n}",
    "evunsub:{n}",
    "wroute:{n}",
    "wroute:1:{n}",
    "wshift:{n}",
    "wjoin:{n}",
    "wleave:{n}",
    "link:unlink:{n}",
    "link:notify:{n}",
    "district:page:{n}",
    "ask:challenge:{n}",
    "ask:poll:{n}",
    "ask:event:{n}",
    "ask:route:{n}",
)


async def test_forged_numbers_in_choice_data_get_a_polite_answer_not_an_error(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    sorry = runtime.services.catalog.text("error.sorry", "ja")
    await runtime.dispatcher.handle(IncomingMessage(Channel.WEB, "forger", text="/start"))
    for pattern in NUMBERED_CHOICES:
        for number in FORGED_NUMBERS:
            data = pattern.format(n=number)
            message = IncomingMessage(Channel.WEB, "forger", data=data)
            replies = await runtime.dispatcher.handle(message)
            assert replies and sorry not in replies[0].text, data
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def test_another_sites_page_cannot_post_to_the_chat_api(platforms: Platforms) -> None:
    """A form or plain fetch from a hostile page needs no preflight: refused before any
    identity, resident or ballot is made."""
    body = b'{"text": "/start"}'
    simple_posts = {
        "a form": {"content-type": "application/x-www-form-urlencoded"},
        "text/plain": {"content-type": "text/plain"},
        "no type": {},
        "multipart": {"content-type": "multipart/form-data; boundary=x"},
        "JSON from another site": {
            "content-type": "application/json",
            "sec-fetch-site": "cross-site",
        },
    }
    for name, headers in simple_posts.items():
        response = await platforms.http.post("/chat/api", content=body, headers=headers)
        assert response.status_code in (403, 415), (name, response.status_code)
        assert "error" in response.json() and "set-cookie" not in response.headers, name
    rows = await platforms.runtime.db.fetch_all("SELECT count(*) FROM residents")
    assert rows[0][0] == 0
    own_page = {"content-type": "application/json; charset=utf-8", "sec-fetch-site": "same-origin"}
    response = await platforms.http.post("/chat/api", content=body, headers=own_page)
    assert response.status_code == 200 and response.json()["replies"]


async def test_dashboard_numbers_in_queries_and_forms_take_ascii_digits_only(
    platforms: Platforms,
) -> None:
    await add_staff(platforms.runtime)
    assert (await log_in(platforms.http)).status_code == 303
    for path in (
        "/admin/faq/unanswered?page=²",
        "/admin/faq/unanswered?page=" + "9" * 30,
        "/admin/faq/new?question_id=²",
    ):
        response = await platforms.http.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
    page = await platforms.http.get("/admin/outcomes")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    for subject in ("poll:²", "event:²", "poll:" + "9" * 30):
        form = {"csrf_token": token, "subject": subject, "decided_ja": "決まりました"}
        response = await platforms.http.post("/admin/outcomes", data=form)
        assert response.status_code < 500, (subject, response.status_code)


async def test_one_resident_cannot_flood_the_unanswered_list(runtime: Runtime) -> None:
    async def ask(user: str, text: str) -> None:
        await runtime.dispatcher.handle(IncomingMessage(Channel.WEB, user, text=text))

    for number in range(UNANSWERED_PER_RESIDENT_PER_DAY + 20):
        await ask("flooder", f"zqxj wvut {number} kpfh?")
    await ask("neighbour", "zqxj kpfh wvut?")
    kept = [q.text for q in await UnansweredRepository(runtime.db).latest(limit=500)]
    assert len(kept) == UNANSWERED_PER_RESIDENT_PER_DAY + 1
    assert "zqxj kpfh wvut?" in kept


async def test_lone_surrogates_in_json_strings_get_a_kind_answer_not_a_500(
    platforms: Platforms, clock: FakeClock
) -> None:
    """`\\ud800` is valid JSON but no character: Python keeps it in the string, and encoding
    it for the database or the response raised UnicodeEncodeError (a 500, which the
    platforms send again and again). Read as U+FFFD; a proper pair stays one character."""
    # The web chat: in text, in a button's data, in a key.
    for body in (
        b'{"text": "a\\ud800b"}',
        b'{"data": "poll:\\udfff"}',
        b'{"text": "/goals", "\\udc00": 1}',
    ):
        response = await platforms.http.post(
            "/chat/api", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 200, (body, response.text)
        assert response.json()["replies"]
    # Telegram: a message and a button press.
    for update in (telegram_text("LONE"), telegram_callback("LONE")):
        body = json.dumps(update).replace('"LONE"', '"\\ud83d"').encode()
        response = await platforms.http.post(
            "/webhook/telegram", content=body, headers=_headers("/webhook/telegram", body)
        )
        assert response.status_code == 200, response.text
    await platforms.runtime.inbox.drain()
    assert len(platforms.telegram.sent("sendMessage")) == 2
    # LINE: a message and a postback.
    events = [
        line_text("LONE", clock, platforms.line.new_reply_token()),
        line_event(
            "postback",
            clock,
            replyToken=platforms.line.new_reply_token(),
            postback={"data": "LONE"},
        ),
    ]
    body = (
        json.dumps({"destination": "Uchiiki", "events": events})
        .replace('"LONE"', '"x\\udbff"')
        .encode()
    )
    response = await platforms.http.post(
        "/webhook/line", content=body, headers=_headers("/webhook/line", body)
    )
    assert response.status_code == 200, response.text
    await platforms.runtime.inbox.drain()
    assert len(platforms.line.sent("reply")) == 2


def test_a_surrogate_pair_stays_one_character_and_a_lone_one_becomes_u_fffd() -> None:
    from bot.web.bodies import parse_json

    body = b'{"a": "\\ud83d\\ude00", "b": ["\\ud800", {"\\udfff": "\\\\ud800"}]}'
    assert parse_json(body) == {"a": "😀", "b": ["\ufffd", {"\ufffd": "\\ud800"}]}


async def test_text_that_grows_when_folded_is_held_to_the_same_limit(runtime: Runtime) -> None:
    """Typed text is NFKC-folded before anything reads it, and one character can become 18
    (U+FDFA): 1,000 of them passed the 1,000-character limit and reached the answerer, its
    memory and the unanswered list as 18,000."""
    from handlers.dispatcher import MAX_INPUT_CHARS

    too_long = runtime.services.catalog.text("input.too_long", "ja", limit=MAX_INPUT_CHARS)
    for text in ("\ufdfa" * 1000, "㍿" * 300):
        replies = await runtime.dispatcher.handle(
            IncomingMessage(Channel.WEB, "folder", text=text)
        )
        assert replies[0].text == too_long, text[:3]
    kept = await UnansweredRepository(runtime.db).latest(limit=10)
    assert kept == []
    # Text within the limit once folded is read as before.
    replies = await runtime.dispatcher.handle(
        IncomingMessage(Channel.WEB, "folder", text="㍿" * 200)
    )
    assert replies[0].text != too_long


async def test_forgetting_or_fresh_identities_do_not_renew_the_unanswered_share(
    runtime: Runtime,
) -> None:
    """The daily share was counted per resident row: /forget makes a new row, so one Telegram
    account could fill the staff's list by forgetting between batches; fresh web identities
    (20 an hour per address) likewise. Counted per platform identity, and per address."""
    from bot.storage.faq import UNANSWERED_PER_ADDRESS_PER_DAY

    async def say(user: str, text: str, channel: Channel, address: str | None = None) -> None:
        message = IncomingMessage(channel, user, text=text, client_address=address)
        await runtime.dispatcher.handle(message)

    async def forget(user: str) -> None:
        await say(user, "/forget", Channel.TELEGRAM)
        await runtime.dispatcher.handle(IncomingMessage(Channel.TELEGRAM, user, data="forget:yes"))

    for batch in range(3):
        for number in range(UNANSWERED_PER_RESIDENT_PER_DAY):
            await say("forgetter", f"zqxj wvut {batch} {number} kpfh?", Channel.TELEGRAM)
        await forget("forgetter")
    kept = await UnansweredRepository(runtime.db).latest(limit=1000)
    assert len(kept) == UNANSWERED_PER_RESIDENT_PER_DAY
    for browser in range(6):
        for number in range(UNANSWERED_PER_RESIDENT_PER_DAY):
            await say(
                f"web{browser}", f"zqxj {browser} {number} kpfh?", Channel.WEB, "198.51.100.7"
            )
    kept = await UnansweredRepository(runtime.db).latest(limit=1000)
    assert len(kept) == UNANSWERED_PER_RESIDENT_PER_DAY + UNANSWERED_PER_ADDRESS_PER_DAY
    # Someone else, from elsewhere, is still heard.
    await say("neighbour", "zqxj kpfh wvut?", Channel.WEB, "203.0.113.9")
    assert "zqxj kpfh wvut?" in [q.text for q in await UnansweredRepository(runtime.db).latest()]
