"""Limits per client address on the web chat: new residents an hour, requests a minute, and
where the address comes from (issue 20, item 2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from starlette.requests import Request

from bot.config import load_settings, parse_networks
from bot.core import IncomingMessage
from bot.errors import ConfigError
from bot.runtime import Runtime, open_runtime
from bot.storage.voices import VOICES_PER_ADDRESS, VOICES_PER_DAY, NewVoice, SendOutcome, VoiceKind
from bot.web import build_web_app
from bot.web.addresses import client_address
from bot.web.limits import TokenBuckets, UploadSlots
from tests.browser import chromium, serve
from tests.conftest import FakeClock, make_settings
from tests.test_polls import new_poll
from tests.web_clients import chat_client, post_as_new_residents

ATTACKER = "198.51.100.7"


@pytest.fixture
async def trusting_runtime(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> AsyncIterator[Runtime]:
    """A runtime behind a proxy on loopback (as nginx on the same host)."""
    settings = make_settings(tmp_path, content_dir, CHIIKI_TRUSTED_PROXIES="127.0.0.1, ::1")
    async with open_runtime(settings, clock=clock) as runtime:
        yield runtime


async def test_300_fresh_identities_from_one_address_cast_at_most_20_ballots(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    app = build_web_app(runtime)
    votes = [{"data": f"vote:{poll_id}:1"} for _ in range(300)]
    answers = await post_as_new_residents(app, votes, address=ATTACKER)
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 20 and statuses.count(429) == 280
    assert (await runtime.services.polls.tally(poll_id)).ballots == 20
    # Someone at another address is not held back by the flood.
    (neighbour,) = await post_as_new_residents(app, votes[:1], address="203.0.113.9")
    assert neighbour.status_code == 200
    assert (await runtime.services.polls.tally(poll_id)).ballots == 21
    # An hour later the address may start new chats again.
    clock.advance(hours=1)
    later = await post_as_new_residents(app, votes[:25], address=ATTACKER)
    assert [answer.status_code for answer in later].count(200) == 20


async def test_an_ipv6_48_split_into_many_64s_still_casts_a_bounded_number_of_ballots(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    """Each /64 is one client, but a /48 (65,536 of them) is what a tunnel broker gives
    anyone for free: new residents are also counted per /48, at ten times the per-address
    figure, so one holder cannot cast a ballot per /64 in every poll."""
    settings = make_settings(tmp_path, content_dir, CHIIKI_WEB_NEW_RESIDENTS_PER_HOUR="2")
    async with open_runtime(settings, clock=clock) as runtime:
        poll_id = await new_poll(runtime, clock)
        app = build_web_app(runtime)
        vote = {"data": f"vote:{poll_id}:1"}
        for n in range(15):
            await post_as_new_residents(app, [vote] * 3, address=f"2001:db8:7:{n:x}::1")
        assert (await runtime.services.polls.tally(poll_id)).ballots == 20
        # Another /48, and an IPv4 address, are not held back.
        (other,) = await post_as_new_residents(app, [vote], address="2001:db8:8::1")
        (ipv4,) = await post_as_new_residents(app, [vote], address=ATTACKER)
        assert (other.status_code, ipv4.status_code) == (200, 200)


async def _tap(browser: Any, answer: Any, label: str) -> Any:
    """Tap the button with this label under the last answer, as the page would."""
    choices = [c for bubble in answer.json()["replies"] for c in bubble["choices"]]
    (data,) = [c["data"] for c in choices if c["label"] == label] or [None]
    assert data is not None, f"no button {label!r} among {[c['label'] for c in choices]}"
    return await browser.post("/chat/api", json={"data": data})


async def _send_voices(browser: Any, count: int) -> list[str]:
    """`count` voices through the chat, each from /voice to 送る; the last words of each."""
    said = []
    for n in range(count):
        answer = await _tap(
            browser, await browser.post("/chat/api", json={"text": "/voice"}), "意見・提案"
        )
        if "1000文字まで" not in answer.text:
            said.append(answer.json()["replies"][0]["text"])
            continue
        answer = await browser.post("/chat/api", json={"text": f"ベンチがほしいです（{n}）"})
        for label in ("場所なし", "写真なし", "連絡してよい", "送る"):
            answer = await _tap(browser, answer, label)
        said.append(answer.json()["replies"][0]["text"])
    return said


async def test_fresh_identities_from_one_address_send_a_bounded_number_of_voices(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    # Each fresh identity may send five voices a day; one address could mint twenty an hour.
    settings = make_settings(tmp_path, content_dir, CHIIKI_WEB_REQUESTS_PER_MINUTE="1000")
    async with open_runtime(settings, clock=clock) as runtime:
        app = build_web_app(runtime)
        said: list[str] = []
        for _ in range(VOICES_PER_ADDRESS // VOICES_PER_DAY + 1):
            async with chat_client(app, ATTACKER) as browser:
                said += await _send_voices(browser, VOICES_PER_DAY)
        assert len(await runtime.services.voices.search()) == VOICES_PER_ADDRESS  # type: ignore[union-attr]
        refused = said[VOICES_PER_ADDRESS:]
        assert len(refused) == VOICES_PER_DAY
        assert all(text.startswith("同じ場所（同じインターネット回線）から") for text in refused)
        assert all("受付番号は" in text for text in said[:VOICES_PER_ADDRESS])
        # Someone at another address is not held back.
        async with chat_client(app, "203.0.113.9") as neighbour:
            assert "受付番号は" in (await _send_voices(neighbour, 1))[0]
        # An hour later the address may send again; each resident's own limit still holds.
        clock.advance(hours=1, minutes=1)
        async with chat_client(app, ATTACKER) as browser:
            assert "受付番号は" in (await _send_voices(browser, 1))[0]


async def test_the_address_limit_is_checked_again_in_the_sends_transaction(
    runtime: Runtime, clock: FakeClock
) -> None:
    # Two residents at one address both reach 送る when the address has one voice left.
    voices = runtime.services.voices
    assert voices is not None
    residents = runtime.services.residents
    for n in range(VOICES_PER_ADDRESS - 1):
        person = await residents.get_or_create("web", f"w{n}", "ja", clock.now)
        voice = NewVoice(person.id, VoiceKind.OPINION, "意見", "ja", None)
        assert (await voices.send(voice, clock.now, ATTACKER))[0] is SendOutcome.STORED
    first = await residents.get_or_create("web", "a", "ja", clock.now)
    second = await residents.get_or_create("web", "b", "ja", clock.now)
    for person, outcome in ((first, SendOutcome.STORED), (second, SendOutcome.ADDRESS_BUSY)):
        voice = NewVoice(person.id, VoiceKind.OPINION, "意見", "ja", None)
        assert (await voices.send(voice, clock.now, ATTACKER))[0] is outcome
    # Another address, and a platform (no address), are not counted with it.
    voice = NewVoice(second.id, VoiceKind.OPINION, "意見", "ja", None)
    assert (await voices.send(voice, clock.now, "203.0.113.9"))[0] is SendOutcome.STORED
    assert (await voices.send(voice, clock.now))[0] is SendOutcome.STORED
    # Only keyed hashes are kept, never the address.
    rows = await runtime.db.fetch_all("SELECT address_hash FROM voice_senders")
    assert len(rows) == VOICES_PER_ADDRESS + 1 and all(ATTACKER not in r[0] for r in rows)


async def test_a_refused_send_keeps_the_draft_for_a_later_send(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir, CHIIKI_WEB_REQUESTS_PER_MINUTE="1000")
    async with open_runtime(settings, clock=clock) as runtime:
        app = build_web_app(runtime)
        voices = runtime.services.voices
        assert voices is not None
        async with chat_client(app, ATTACKER) as browser:
            answer = await _tap(
                browser, await browser.post("/chat/api", json={"text": "/voice"}), "意見・提案"
            )
            answer = await browser.post("/chat/api", json={"text": "街灯を増やしてください"})
            for label in ("場所なし", "写真なし", "連絡してよい"):
                answer = await _tap(browser, answer, label)
            # Others at the same address used up the hour (45 minutes ago).
            earlier = clock.now - timedelta(minutes=45)
            for n in range(VOICES_PER_ADDRESS):
                person = await runtime.services.residents.get_or_create(
                    "web", f"o{n}", "ja", earlier
                )
                voice = NewVoice(person.id, VoiceKind.OPINION, "意見", "ja", None)
                assert (await voices.send(voice, earlier, ATTACKER))[0] is SendOutcome.STORED
            refused = await _tap(browser, answer, "送る")
            assert refused.json()["replies"][0]["text"].startswith("同じ場所")
            assert len(await voices.search()) == VOICES_PER_ADDRESS
            # Once those are over an hour old, 送る sends what was written.
            clock.advance(minutes=16)
            sent = await _tap(browser, refused, "送る")
            assert "受付番号は" in sent.json()["replies"][0]["text"]
            bodies = [v.body for v in await voices.search()]
            assert bodies.count("街灯を増やしてください") == 1


async def test_a_returning_browser_is_not_a_new_resident(
    runtime: Runtime, clock: FakeClock
) -> None:
    app = build_web_app(runtime)
    async with chat_client(app, ATTACKER) as browser:
        for _ in range(30):  # past 20, all with the identity of the first answer
            assert (await browser.post("/chat/api", json={"text": "/menu"})).status_code == 200
    assert len(await runtime.db.fetch_all("SELECT id FROM residents")) == 1


async def test_requests_past_the_cap_get_429_with_words_for_the_page(
    runtime: Runtime, clock: FakeClock
) -> None:
    async with chat_client(build_web_app(runtime), ATTACKER) as browser:
        # Refused bodies count too: they cost the server all the same.
        statuses = [(await browser.post("/chat/api", json={})).status_code for _ in range(120)]
        assert statuses == [400] * 120
        refused = await browser.post("/chat/api", json={"text": "/menu"})
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        body = refused.json()
        assert body["retry_after"] == 1
        assert body["error"].startswith("短い時間にたくさん送られました。1秒ほど待って")
        english = await browser.post(
            "/chat/api", json={"text": "/menu"}, headers={"Accept-Language": "en-GB,en"}
        )
        assert english.status_code == 429
        assert english.json()["error"].startswith("That was a lot of messages")
        clock.advance(seconds=1)  # two requests a second come back
        assert (await browser.post("/chat/api", json={"text": "/menu"})).status_code == 200


async def test_the_page_shows_the_limit_message(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir, CHIIKI_WEB_REQUESTS_PER_MINUTE="2")
    async with (
        open_runtime(settings, clock=clock) as runtime,
        serve(build_web_app(runtime)) as base,
        chromium() as browser,
    ):
        page = await browser.new_page(locale="ja-JP")
        await page.goto(f"{base}/chat")  # the page says /start: one request
        await expect(page.locator("#log li.bot").first).to_be_visible()
        for text in ("メニュー", "メニュー"):  # the second is the third request
            await page.get_by_placeholder("メッセージを入力").fill(text)
            await page.get_by_role("button", name="送信").click()
        await expect(page.locator("#log li.error").last).to_contain_text(
            "短い時間にたくさん送られました"
        )


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    runtime: Runtime, trusting_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = [{"X-Forwarded-For": f"192.0.2.{n}"} for n in range(30)]

    async def new_chats(app: Any, peer: str) -> list[int]:
        statuses = []
        for forwarded in headers:
            async with chat_client(app, peer) as client:
                answer = await client.post("/chat/api", json={}, headers=forwarded)
                statuses.append(answer.status_code)
        return statuses

    # Without trusted proxies, one peer naming 30 addresses is one address.
    assert (await new_chats(build_web_app(runtime), "127.0.0.1")).count(429) == 10
    # Behind a trusted proxy, each forwarded address counts on its own...
    trusting = build_web_app(trusting_runtime)
    assert (await new_chats(trusting, "127.0.0.1")).count(429) == 0
    # ...but a peer that is not the proxy cannot name an address.
    assert (await new_chats(trusting, ATTACKER)).count(429) == 10
    # The dispatcher is told the address the limits counted (link codes count by it too).
    seen: list[IncomingMessage] = []
    handle = trusting_runtime.pipeline.turn  # the dispatcher, as every channel reaches it

    async def spy(message: IncomingMessage) -> Any:
        seen.append(message)
        return await handle(message)

    monkeypatch.setattr(trusting_runtime.pipeline, "turn", spy)
    async with chat_client(trusting, "127.0.0.1") as client:
        forwarded = {"X-Forwarded-For": "192.0.2.200"}
        await client.post("/chat/api", json={"text": "/menu"}, headers=forwarded)
    async with chat_client(trusting, "203.0.113.50") as client:
        await client.post("/chat/api", json={"text": "/menu"}, headers=forwarded)
    assert [message.client_address for message in seen] == ["192.0.2.200", "203.0.113.50"]


def _connection(peer: str, forwarded: list[str] | None = None) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded or []]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", ["1.2.3.4"], "203.0.113.5"),  # not a proxy: header ignored
        ("10.0.0.2", [], "10.0.0.2"),  # a proxy that forwarded nothing
        ("10.0.0.2", ["1.2.3.4"], "1.2.3.4"),
        # The client may write anything left of what the proxies add: take the right-most
        # address that is not a trusted proxy.
        ("10.0.0.2", ["6.6.6.6, 1.2.3.4, 10.0.0.9"], "1.2.3.4"),
        ("10.0.0.2", ["6.6.6.6", "1.2.3.4"], "1.2.3.4"),  # two header lines read as one list
        ("10.0.0.2", ["junk, 1.2.3.4"], "1.2.3.4"),
        ("10.0.0.2", ["1.2.3.4, junk"], "10.0.0.2"),  # junk from the proxy side: the proxy
        # IPv6 counts by its /64; an IPv4-mapped address as IPv4.
        ("2001:db8:1:2:aaaa::1", [], "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", [], "2001:db8:1:2::/64"),
        ("10.0.0.2", ["2001:db8:9:9::5"], "2001:db8:9:9::/64"),
        ("::ffff:203.0.113.5", [], "203.0.113.5"),
        ("testclient", [], "testclient"),
    ],
)
def test_the_client_address(peer: str, forwarded: list[str], expected: str) -> None:
    proxies = parse_networks("10.0.0.0/8, fd00::/8")
    assert client_address(_connection(peer, forwarded), proxies) == expected


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert load_settings({"CHIIKI_TRUSTED_PROXIES": " 10.0.0.1 ,::1,"}).trusted_proxy_networks
    with pytest.raises(ConfigError, match="CHIIKI_TRUSTED_PROXIES"):
        load_settings({"CHIIKI_TRUSTED_PROXIES": "10.0.0.1, nginx"})


def test_the_table_of_addresses_is_bounded_and_drops_the_least_recent() -> None:
    buckets = TokenBuckets(capacity=1, period=60, max_keys=3)
    for key in ("a", "b", "c"):
        assert buckets.take(key, now=0) == 0
    assert buckets.take("a", now=1) > 0  # "a" is now the most recent
    assert buckets.take("d", now=1) == 0  # drops "b"
    assert len(buckets) == 3
    assert buckets.take("b", now=1) == 0  # forgotten, so full again (and "c" goes)
    assert buckets.take("a", now=1) > 0 and buckets.take("d", now=1) > 0


def test_a_clock_set_back_does_not_drain_or_fill_a_bucket() -> None:
    buckets = TokenBuckets(capacity=2, period=60)
    assert buckets.take("a", now=100) == 0 and buckets.take("a", now=100) == 0
    assert buckets.take("a", now=50) == pytest.approx(30)
    assert buckets.take("a", now=80) == 0  # 30 s after the last reading: one token back


def test_upload_slots_cap_each_address_and_the_bytes_of_everyone() -> None:
    slots = UploadSlots(per_address=2, total_bytes=10)
    assert slots.take("a", 4) and slots.take("a", 1)
    assert not slots.take("a", 1)  # a third from one address
    assert slots.take("b", 5) and slots.bytes_held == 10
    assert not slots.take("c", 1)  # nobody while the bytes are all held
    slots.give_back("a", 4)
    assert slots.take("c", 4) and not slots.take("d", 1)
    for address, size in (("a", 1), ("b", 5), ("c", 4)):
        slots.give_back(address, size)
    assert slots.bytes_held == 0 and slots.take("a", 10)
