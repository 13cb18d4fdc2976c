"""/link: one resident across channels, one ballot, codes that expire and cannot be guessed."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta

from bot.core import Channel, IncomingMessage
from bot.runtime import Runtime
from bot.storage.broadcasts import NewBroadcast
from bot.storage.links import (
    ADDRESS_GUESSES_PER_HOUR,
    DROPPED_TABLES,
    GLOBAL_GUESSES_PER_HOUR,
    IDENTITY_TABLES,
    KEY_NAME,
    MAX_FAILURES,
    PERSON_TABLES,
    LinkOutcome,
)
from bot.storage.server_keys import ServerKeyRepository
from tests.conftest import FakeClock, Resident
from tests.test_polls import new_poll


def code_in(resident: Resident) -> str:
    match = re.search(r"/link (\d{4}-\d{4}-\d{4})", resident.text())
    assert match, resident.text()
    return match.group(1)


async def linked_pair(runtime: Runtime) -> tuple[Resident, Resident]:
    on_web = Resident(runtime, "web-user", Channel.WEB)
    on_telegram = Resident(runtime, "42", Channel.TELEGRAM)
    await on_web.say("/link")
    await on_telegram.say(f"/link {code_in(on_web)}")
    assert "つなぎました" in on_telegram.text(), on_telegram.text()
    return on_web, on_telegram


async def test_a_linked_resident_cannot_vote_twice(runtime: Runtime, clock: FakeClock) -> None:
    poll_id = await new_poll(runtime, clock)
    on_web, on_telegram = await linked_pair(runtime)
    for resident, choice in ((on_web, "土曜"), (on_telegram, "日曜")):
        await resident.say("/polls")
        await resident.tap_card("1. 防災訓練はいつがよいですか")
        await resident.tap(choice)
    assert "回答を変更しました" in on_telegram.text()
    tally = await runtime.services.polls.tally(poll_id)
    assert tally.ballots == 1 and tally.counts == {2: 1}


async def test_ballots_cast_before_linking_are_merged_into_one(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    on_web = Resident(runtime, "web-user", Channel.WEB)
    on_telegram = Resident(runtime, "42", Channel.TELEGRAM)
    for resident, choice in ((on_web, "土曜"), (on_telegram, "日曜")):
        await resident.say("/polls")
        await resident.tap_card("1. 防災訓練はいつがよいですか")
        await resident.tap(choice)
    assert (await runtime.services.polls.tally(poll_id)).ballots == 2
    await on_web.say("/link")
    await on_telegram.say(f"/link {code_in(on_web)}")
    tally = await runtime.services.polls.tally(poll_id)
    assert tally.ballots == 1 and tally.counts == {1: 1}  # the code's owner's answer stays


async def test_settings_and_data_are_shared_and_notices_go_to_one_channel(
    runtime: Runtime, clock: FakeClock
) -> None:
    on_web, on_telegram = await linked_pair(runtime)
    await on_telegram.say("/settings")
    await on_telegram.tap("English")
    await on_web.say("/menu")
    assert "What would you like to know?" in on_web.text()
    await on_web.say("/mydata")
    assert "Telegram" in on_web.text() and "web chat" in on_web.text()
    # Listed the English way, not with Japanese punctuation.
    assert "- Linked apps: web chat, Telegram (notices go to web chat)" in on_web.text()
    broadcasts = runtime.broadcasts
    broadcast_id = await broadcasts.create(NewBroadcast("notice", "お知らせ", "Notice"), clock.now)
    rows = await runtime.db.fetch_all(
        "SELECT o.channel FROM outbox o WHERE broadcast_id = ?", (broadcast_id,)
    )
    assert [row[0] for row in rows] == ["web"]
    await on_telegram.say("/link")
    await on_telegram.tap("Get notices on Telegram")
    broadcast_id = await broadcasts.create(NewBroadcast("notice", "お知らせ"), clock.now)
    rows = await runtime.db.fetch_all(
        "SELECT o.channel FROM outbox o WHERE broadcast_id = ?", (broadcast_id,)
    )
    assert [row[0] for row in rows] == ["telegram"]


async def test_an_expired_code_is_refused(runtime: Runtime, clock: FakeClock) -> None:
    on_web = Resident(runtime, "web-user", Channel.WEB)
    on_line = Resident(runtime, "U1", Channel.LINE)
    await on_web.say("/link")
    code = code_in(on_web)
    clock.advance(minutes=10, seconds=1)
    await on_line.say(f"/link {code}")
    assert "時間が切れています" in on_line.text()
    assert await runtime.services.residents.find("line", "U1") is not None
    assert len(await runtime.services.links.identities(1)) == 1


async def test_a_code_works_once_and_only_the_newest_works(
    runtime: Runtime, clock: FakeClock
) -> None:
    on_web = Resident(runtime, "web-user", Channel.WEB)
    await on_web.say("/link")
    first = code_in(on_web)
    await on_web.say("/link")
    second = code_in(on_web)
    on_line = Resident(runtime, "U1", Channel.LINE)
    await on_line.say(f"/link {first}")
    assert "番号がちがうか" in on_line.text()
    await on_line.say(f"/link {second}")
    assert "つなぎました" in on_line.text()
    other = Resident(runtime, "U2", Channel.LINE)
    await other.say(f"/link {second}")
    assert "番号がちがうか" in other.text()


async def test_guessing_is_stopped_after_a_few_wrong_codes(
    runtime: Runtime, clock: FakeClock
) -> None:
    on_web = Resident(runtime, "web-user", Channel.WEB)
    await on_web.say("/link")
    right = code_in(on_web)
    guesser = Resident(runtime, "99", Channel.TELEGRAM)
    for n in range(MAX_FAILURES):
        await guesser.say(f"/link {n:012d}")
        assert "番号がちがうか" in guesser.text()
    await guesser.say(f"/link {right}")  # even the right code waits until the window passes
    assert "受け付けられません" in guesser.text()
    assert len(await runtime.services.links.identities(1)) == 1
    clock.advance(minutes=16)
    await on_web.say("/link")
    await guesser.say(f"/link {code_in(on_web)}")
    assert "つなぎました" in guesser.text()


async def test_typing_the_code_after_the_button_and_unlinking(
    runtime: Runtime, clock: FakeClock
) -> None:
    on_web = Resident(runtime, "web-user", Channel.WEB)
    on_line = Resident(runtime, "U1", Channel.LINE)
    await on_web.say("/link")
    code = code_in(on_web)
    await on_line.say("つなぐ")
    await on_line.tap("番号を入力する")
    await on_line.say(code.replace(" ", "-"))
    assert "つなぎました" in on_line.text()
    await on_web.say("/link")
    await on_web.tap("LINEのつながりをはずす")
    assert "はずしました" in on_web.text()
    assert len(await runtime.services.links.identities(1)) == 1
    line_row = await runtime.services.residents.find("line", "U1")
    assert line_row is not None and line_row.linked_to is None and line_row.receives_notices


async def test_a_linked_channel_cannot_join_a_second_resident(runtime: Runtime) -> None:
    on_web, on_telegram = await linked_pair(runtime)
    stranger = Resident(runtime, "U9", Channel.LINE)
    await stranger.say("/link")
    await on_telegram.say(f"/link {code_in(stranger)}")
    assert "ほかのアプリとつながっています" in on_telegram.text()
    await on_web.say("/link")
    await on_telegram.say(f"/link {code_in(on_web)}")
    assert "もうつながっています" in on_telegram.text()


async def test_forget_on_either_channel_deletes_both(runtime: Runtime) -> None:
    _, on_telegram = await linked_pair(runtime)
    await on_telegram.say("/forget")
    await on_telegram.tap("はい、消します")
    rows = await runtime.db.fetch_all("SELECT count(*) FROM residents")
    assert rows[0][0] == 0


async def test_every_table_referring_to_residents_is_handled_on_linking(runtime: Runtime) -> None:
    referring = {
        "sqlite": "SELECT m.name FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f"
        " WHERE m.type = 'table' AND f.\"table\" = 'residents' AND m.name <> 'residents'",
        "postgresql": "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c"
        " WHERE c.contype = 'f' AND c.confrelid = 'residents'::regclass"
        " AND c.conrelid <> 'residents'::regclass",
    }
    tables = await runtime.db.fetch_all(referring[runtime.db.dialect])
    handled = {*PERSON_TABLES, *IDENTITY_TABLES, *DROPPED_TABLES}
    assert {row[0] for row in tables} == handled


async def test_notices_move_to_a_channel_that_still_reaches_the_resident(
    runtime: Runtime, clock: FakeClock
) -> None:
    await linked_pair(runtime)
    await runtime.services.residents.mark_unreachable("web", "web-user", clock.now + timedelta(1))
    telegram = await runtime.services.residents.find("telegram", "42")
    assert telegram is not None and telegram.receives_notices
    counts = await runtime.broadcasts.audience(None, "all")
    assert counts == {"telegram": 1, "line": 0, "web": 0}


async def test_shifts_merge_and_a_shared_shift_keeps_its_confirmed_place(
    runtime: Runtime, clock: FakeClock
) -> None:
    from tests.test_watch import load

    await load(runtime, clock, {**WATCH_ONE_PLACE})
    watch, residents = runtime.services.watch, runtime.services.residents
    on_web = await residents.get_or_create("web", "web-user", "ja", clock.now)
    on_telegram = await residents.get_or_create("telegram", "42", "ja", clock.now)
    assert (await watch.signups.sign_up(1, on_telegram.id, clock.now))[0] == "confirmed"
    assert (await watch.signups.sign_up(1, on_web.id, clock.now))[0] == "waitlisted"
    await linked_pair(runtime)
    rows = await runtime.db.fetch_all("SELECT resident_id, status FROM watch_signups")
    assert [tuple(row) for row in rows] == [(on_web.id, "confirmed")]
    assert await watch.signups.count(on_web.id, clock.now) == 1


WATCH_ONE_PLACE = {
    "routes": [{"id": "east", "name": {"ja": "東ルート"}, "meeting_point": "公民館前"}],
    "shifts": [{"route": "east", "date": "2026-11-25", "time": "07:20-08:10", "capacity": 1}],
}


async def say_from(runtime: Runtime, user: str, address: str, text: str) -> str:
    """A web chat message from a client address (as bot/web fills it in)."""
    message = IncomingMessage(Channel.WEB, user, text=text, client_address=address)
    return "\n".join(r.plain_text for r in await runtime.dispatcher.handle(message))


async def test_codes_have_12_digits_and_are_kept_as_a_keyed_hash(
    runtime: Runtime, clock: FakeClock
) -> None:
    on_web = Resident(runtime, "web-user", Channel.WEB)
    await on_web.say("/link")
    code = code_in(on_web).replace("-", "")
    assert len(code) == 12
    stored = (await runtime.db.fetch_all("SELECT code_hash FROM link_codes"))[0][0]
    assert stored != hashlib.sha256(code.encode()).hexdigest()
    key = await ServerKeyRepository(runtime.db).get_or_create(KEY_NAME, clock.now)
    assert stored == hmac.new(key, code.encode(), hashlib.sha256).hexdigest()
    typed = " ".join(chr(ord(d) + 0xFEE0) for d in code)  # full width, spaced out
    on_line = Resident(runtime, "U1", Channel.LINE)
    await on_line.say(f"/link {typed}")
    assert "つなぎました" in on_line.text()


async def test_fresh_identities_from_one_address_cannot_keep_guessing(
    runtime: Runtime, clock: FakeClock
) -> None:
    on_web = Resident(runtime, "web-user", Channel.WEB)
    await on_web.say("/link")
    right = code_in(on_web)
    attacker = "203.0.113.9"
    answers = [
        await say_from(runtime, f"fresh-{n}", attacker, f"/link {n:012d}")
        for n in range(ADDRESS_GUESSES_PER_HOUR + 10)
    ]
    wrong = sum("番号がちがうか" in answer for answer in answers)
    assert wrong == ADDRESS_GUESSES_PER_HOUR
    assert all("受け付けられません" in a for a in answers[ADDRESS_GUESSES_PER_HOUR:])
    # Even the right code waits, from a fresh identity at that address...
    assert "受け付けられません" in await say_from(runtime, "fresh-x", attacker, f"/link {right}")
    assert len(await runtime.services.links.identities(1)) == 1
    # ...while a resident elsewhere links as usual, and the address may try again an hour on.
    assert "つなぎました" in await say_from(runtime, "home", "198.51.100.7", f"/link {right}")
    clock.advance(minutes=61)
    await on_web.say("/link")
    answer = await say_from(runtime, "fresh-y", attacker, f"/link {code_in(on_web)}")
    assert "つなぎました" in answer


async def test_wrong_codes_from_everyone_together_pause_linking(
    runtime: Runtime, clock: FakeClock
) -> None:
    links, residents = runtime.services.links, runtime.services.residents
    owner = await residents.get_or_create("web", "owner", "ja", clock.now)
    right = await links.issue_code(owner.id, clock.now)
    per_identity = MAX_FAILURES
    for n in range(GLOBAL_GUESSES_PER_HOUR // per_identity):
        guesser = await residents.get_or_create("web", f"g{n}", "ja", clock.now)
        for attempt in range(per_identity):
            result = await links.redeem(
                guesser.id, None, f"{attempt:012d}", clock.now, "web", f"10.0.{n}.1"
            )
            assert result.outcome == LinkOutcome.WRONG
    late = await residents.get_or_create("web", "late", "ja", clock.now)
    result = await links.redeem(late.id, None, right, clock.now, "web", "192.0.2.1")
    assert result.outcome == LinkOutcome.BUSY  # the right code too: no more guesses this hour
    message = IncomingMessage(Channel.WEB, "late", text=f"/link {right}", client_address="x")
    replies = await runtime.dispatcher.handle(message)
    assert "つなぐ受付を一時止めています" in replies[0].plain_text
    clock.advance(minutes=9)
    result = await links.redeem(late.id, None, right, clock.now, "web", "192.0.2.1")
    assert result.outcome == LinkOutcome.BUSY
    clock.advance(minutes=52)
    right = await links.issue_code(owner.id, clock.now)
    result = await links.redeem(late.id, None, right, clock.now, "web", "192.0.2.1")
    assert result.outcome == LinkOutcome.LINKED
