"""地域の声 (issue 24): a resident sends a voice and gets a receipt, staff move it on and answer,
the answer comes back once; published voices take one 賛同 a person; /forget; retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.channels.line import LABEL_LIMIT
from bot.cli import main
from bot.config import Settings, load_settings
from bot.content import LANGUAGES, load_catalog
from bot.core import AttachmentKind, Channel
from bot.runtime import Runtime, open_runtime
from bot.staff import voices as staff_voices
from bot.staff.outcomes import new_outcome, record_outcome
from bot.staff.voices import VoiceError
from bot.storage.retention import RetentionRules, Rule, apply_retention
from bot.storage.voices import (
    VOICES_PER_DAY,
    NewVoice,
    SendOutcome,
    VoiceKind,
    VoiceRepository,
    VoiceState,
)
from tests.actors import CLI_ACTOR
from tests.conftest import FakeClock, Resident
from tests.test_content import CONTENT
from tests.test_events import new_event
from tests.test_link import linked_pair

TOKYO = ZoneInfo("Asia/Tokyo")


def voices_of(runtime: Runtime) -> VoiceRepository:
    assert runtime.services.voices is not None
    return runtime.services.voices


async def send_voice(
    resident: Resident, text: str = "公園の入口の柵が壊れています", place: str | None = "中央公園"
) -> str:
    """The whole conversation; returns the receipt number the resident was given."""
    await resident.say("/voice")
    await resident.tap("困りごと・危険な場所")
    assert "1000文字まで" in resident.text()
    await resident.say(text)
    if place is None:
        await resident.tap("場所なし")
    else:
        await resident.say(place)
    assert "写真があれば" in resident.text()
    await resident.tap("写真なし")
    await resident.tap("連絡してよい")
    assert text in resident.text() and "困りごと・危険な場所" in resident.text()
    await resident.tap("送る")
    said = resident.text()
    assert "受付番号は " in said, said
    return said.split("受付番号は ")[1].split(" ")[0]


async def test_a_voice_is_stored_with_its_receipt_kind_place_and_consent(
    runtime: Runtime, clock: FakeClock
) -> None:
    resident = Resident(runtime)
    receipt = await send_voice(resident)
    (voice,) = await voices_of(runtime).search()
    assert voice.receipt == receipt == f"2026-{voice.id:05d}"
    assert voice.kind is VoiceKind.PROBLEM and voice.state is VoiceState.RECEIVED
    assert voice.body == "公園の入口の柵が壊れています" and voice.place.name == "中央公園"
    assert voice.contact_ok and not voice.published and voice.district is None
    assert "公園の入口" not in repr(voice)  # a resident's text never reaches a log by a repr
    # Nothing is left waiting in the conversation.
    assert await runtime.services.conversations.current(voice.resident_id or 0, clock.now) is None


async def test_a_place_can_be_left_out_and_a_cancel_stores_nothing(runtime: Runtime) -> None:
    resident = Resident(runtime)
    await send_voice(resident, "夜道が暗いです", place=None)
    (voice,) = await voices_of(runtime).search()
    assert voice.place.name is None
    await resident.say("/voice")
    await resident.tap("意見・提案")
    await resident.say("ベンチがほしいです")
    await resident.tap("場所なし")
    await resident.tap("写真なし")
    await resident.tap("連絡は不要")
    await resident.tap("やめる")
    assert "送るのをやめました" in resident.text()
    assert len(await voices_of(runtime).search()) == 1
    # The old confirmation button does nothing after the cancel.
    await resident.say("/voice")
    assert "どれを送りますか" in resident.text()


async def test_at_most_a_few_voices_a_day(runtime: Runtime, clock: FakeClock) -> None:
    resident = Resident(runtime)
    for n in range(VOICES_PER_DAY):
        await send_voice(resident, f"意見その{n}", place=None)
    await resident.say("/voice")
    await resident.tap("意見・提案")
    assert f"1日{VOICES_PER_DAY}件まで" in resident.text()
    voices = voices_of(runtime)
    assert len(await voices.search()) == VOICES_PER_DAY
    # The store refuses too, whatever path led there.
    person = await runtime.services.residents.find("web", "u1")
    assert person is not None
    extra = NewVoice(person.id, VoiceKind.OPINION, "もう一件", "ja", None)
    assert (await voices.send(extra, clock.now))[0] is SendOutcome.TOO_MANY
    clock.advance(days=1, minutes=1)
    assert (await voices.send(extra, clock.now))[0] is SendOutcome.STORED


async def test_the_answerer_routes_a_wish_to_speak_up_here(runtime: Runtime) -> None:
    resident = Resident(runtime)
    await resident.say("危ない場所があります")
    assert "どれを送りますか" in resident.text()
    assert "困りごと・危険な場所" in resident.labels()


async def test_an_unanswered_question_can_go_to_the_city(runtime: Runtime) -> None:
    resident = Resident(runtime)
    await resident.say("ゴミ収集車の騒音の基準はどうなっていますか")
    assert "市に質問を送る" in resident.labels(), resident.text()
    await resident.tap("市に質問を送る")
    assert resident.text().startswith("この質問を「地域の声」として市に送ります。\n")
    await resident.tap("連絡は不要")
    await resident.tap("送る")
    (voice,) = await voices_of(runtime).search()
    assert voice.kind is VoiceKind.QUESTION
    assert voice.body == "ゴミ収集車の騒音の基準はどうなっていますか"
    assert not voice.contact_ok


async def _answer_loop(settings: Settings, clock: FakeClock) -> None:
    async with open_runtime(settings, clock=clock, serving=False) as runtime:
        resident = Resident(runtime, "web-1", Channel.WEB)
        await send_voice(resident)
        (voice,) = await voices_of(runtime).search()
        services = runtime.services
        voices = voices_of(runtime)
        await staff_voices.change_state(
            voices, services.notices, voice.id, VoiceState.REVIEWING, clock.now, actor=CLI_ACTOR
        )
        await staff_voices.answer(
            voices,
            services.notices,
            voice.id,
            "来週修理します。",
            clock.now,
            easy="来週 なおします。",
            actor=CLI_ACTOR,
        )
    # A restart between the answer and its delivery: the answer is sent, and only once.
    async with open_runtime(settings, clock=clock, serving=False) as runtime:
        await runtime.delivery.deliver_due()
        await runtime.delivery.deliver_due()
        told = await runtime.mailbox.take("web", "web-1", clock.now)
        assert len(told) == 1 and "来週修理します。" in told[0] and voice.receipt in told[0]
        assert await runtime.mailbox.take("web", "web-1", clock.now) == []
        answered = await voices_of(runtime).get(voice.id)
        assert answered is not None and answered.state is VoiceState.ANSWERED


async def test_the_answer_reaches_the_resident_once_after_a_restart(
    settings: Settings, clock: FakeClock
) -> None:
    await _answer_loop(settings, clock)


async def test_states_go_forward_only_with_what_each_needs(
    runtime: Runtime, clock: FakeClock
) -> None:
    await send_voice(Resident(runtime))
    (voice,) = await voices_of(runtime).search()
    voices, notices = voices_of(runtime), runtime.services.notices
    with pytest.raises(VoiceError, match="reason"):
        await staff_voices.change_state(
            voices, notices, voice.id, VoiceState.DECLINED, clock.now, actor=CLI_ACTOR
        )
    with pytest.raises(VoiceError, match="event"):
        await staff_voices.change_state(
            voices, notices, voice.id, VoiceState.TAKEN_UP, clock.now, actor=CLI_ACTOR
        )
    with pytest.raises(VoiceError, match="no such event"):
        await staff_voices.change_state(
            voices,
            notices,
            voice.id,
            VoiceState.TAKEN_UP,
            clock.now,
            event_id=999,
            actor=CLI_ACTOR,
        )
    with pytest.raises(VoiceError, match="no voice"):
        await staff_voices.change_state(
            voices, notices, 999, VoiceState.REVIEWING, clock.now, actor=CLI_ACTOR
        )
    event_id = await new_event(runtime, clock)
    taken = await staff_voices.change_state(
        voices,
        notices,
        voice.id,
        VoiceState.TAKEN_UP,
        clock.now,
        event_id=event_id,
        actor=CLI_ACTOR,
    )
    assert taken.state is VoiceState.TAKEN_UP and taken.event_id == event_id
    with pytest.raises(VoiceError, match="cannot become received"):
        await staff_voices.change_state(
            voices, notices, voice.id, VoiceState.RECEIVED, clock.now, actor=CLI_ACTOR
        )
    declined = await staff_voices.change_state(
        voices,
        notices,
        voice.id,
        VoiceState.DECLINED,
        clock.now,
        reason="県の管理する道路です",
        actor=CLI_ACTOR,
    )
    assert declined.state is VoiceState.DECLINED and declined.reason == "県の管理する道路です"
    with pytest.raises(VoiceError, match="cannot become"):
        await staff_voices.answer(voices, notices, voice.id, "回答", clock.now, actor=CLI_ACTOR)
    await runtime.delivery.deliver_due()
    told = await runtime.mailbox.take("web", "u1", clock.now)
    assert len(told) == 2
    # Tomioka's own words for the meetings (its pack's wording of the notice).
    assert "地域づくり協議会や円卓会議で取り上げる" in told[0]
    assert "理由: 県の管理する道路です" in told[1]


async def test_support_counts_once_per_person_even_when_linked(
    runtime: Runtime, clock: FakeClock
) -> None:
    author = Resident(runtime, "author")
    await send_voice(author, "図書館の開館時間を延ばしてほしい", place=None)
    (voice,) = await voices_of(runtime).search()
    await staff_voices.publish(voices_of(runtime), voice.id, True, clock.now, actor=CLI_ACTOR)
    on_web, on_telegram = await linked_pair(runtime)
    await on_web.say("/voice")
    await on_web.tap("地区の声を見る")
    assert "図書館の開館時間を延ばしてほしい" in on_web.text()
    assert "賛同 0人" in on_web.text()
    on_web_list = on_web.last
    await on_web.tap("賛同する")
    assert "賛同した人は1人です" in on_web.text()
    # The same person on the other channel: the list shows no button, and a tap of the
    # web's old button from Telegram adds nothing.
    await on_telegram.say("/voice")
    await on_telegram.tap("地区の声を見る")
    assert "賛同 1人" in on_telegram.text()
    assert "賛同する" not in [c.label for r in on_telegram.last for c in r.all_choices]
    on_telegram.last = on_web_list
    await on_telegram.tap("賛同する")
    assert "もう賛同しています" in on_telegram.text()
    held = await voices_of(runtime).get(voice.id)
    assert held is not None and held.supports == 1


async def _person(runtime: Runtime, user: str) -> int:
    found = await runtime.services.residents.find("web", user)
    assert found is not None
    return found.linked_to or found.id


async def test_an_unpublished_voice_takes_no_support(runtime: Runtime, clock: FakeClock) -> None:
    await send_voice(Resident(runtime, "author"), place=None)
    (voice,) = await voices_of(runtime).search()
    other = Resident(runtime, "other")
    await other.say("/start")
    person = await _person(runtime, "other")
    assert await voices_of(runtime).support(voice.id, person, clock.now) is None


async def test_an_outcome_of_the_meeting_reaches_author_and_supporters(
    runtime: Runtime, clock: FakeClock
) -> None:
    await send_voice(Resident(runtime, "author"), "集会所に手すりを", place=None)
    (voice,) = await voices_of(runtime).search()
    services, voices = runtime.services, voices_of(runtime)
    event_id = await new_event(runtime, clock)
    await staff_voices.change_state(
        voices,
        services.notices,
        voice.id,
        VoiceState.TAKEN_UP,
        clock.now,
        event_id=event_id,
        actor=CLI_ACTOR,
    )
    await staff_voices.publish(voices, voice.id, True, clock.now, actor=CLI_ACTOR)
    supporter = Resident(runtime, "supporter")
    await supporter.say("/voice")
    await supporter.tap("地区の声を見る")
    await supporter.tap("賛同する")
    await Resident(runtime, "bystander").say("/start")
    spec = new_outcome(services.pack, "event", event_id, "手すりを付けます", None, None, ["city"])
    await record_outcome(
        services.outcomes, services.notices, services.pack, spec, clock.now, actor=CLI_ACTOR
    )
    await runtime.delivery.deliver_due()
    told = {
        u: await runtime.mailbox.take("web", u, clock.now)
        for u in ("author", "supporter", "bystander")
    }
    assert any("手すりを付けます" in text for text in told["author"])
    # Said to the author of a voice too, who did not take part in the meeting.
    assert any("あなたが関わった" in text for text in told["author"])
    assert any("手すりを付けます" in text for text in told["supporter"])
    assert told["bystander"] == []


async def test_forget_deletes_voices_and_keeps_published_ones_as_anonymous_text(
    runtime: Runtime, clock: FakeClock
) -> None:
    resident = Resident(runtime)
    await send_voice(resident, "公開される声", place="駅前")
    await send_voice(resident, "公開されない声", place=None)
    published, _ = sorted(await voices_of(runtime).search(), key=lambda v: v.id)
    await staff_voices.publish(voices_of(runtime), published.id, True, clock.now, actor=CLI_ACTOR)
    await resident.say("/mydata")
    assert "地域の声: 2件" in resident.text()
    assert "2028年4月1日に自動で消えます" in resident.text()  # the next fiscal year's end
    assert "賛同した地域の声" not in resident.text()
    await resident.say("/voice")
    await resident.tap("地区の声を見る")
    await resident.tap("賛同する")
    await resident.say("/mydata")
    assert "・賛同した地域の声: 1件" in resident.text()  # a support is kept: it is listed
    await resident.say("/forget")
    # Told before agreeing that what the district has read stays.
    assert "市が公開した地域の声は、消したあとも" in resident.text()
    await resident.tap("はい、消します")
    (left,) = await voices_of(runtime).search()
    assert left.id == published.id and left.body == "公開される声"
    assert left.resident_id is None and left.place.name is None and not left.contact_ok
    assert await runtime.db.fetch_all("SELECT voice_id FROM voice_supports") == []


async def test_each_channel_is_offered_the_pickers_it_has(runtime: Runtime) -> None:
    """LINE gets its map and camera-roll buttons, the web chat its photo button; a place is
    typed in the web chat, so its prompt does not ask for a location."""
    web, line = Resident(runtime, "w1"), Resident(runtime, "U1", Channel.LINE)
    for resident in (web, line):
        await resident.say("/voice")
        await resident.tap("困りごと・危険な場所")
        await resident.say("側溝のふたが外れています")
    assert "位置情報" not in web.text() and web.last[0].asks == ()
    assert "位置情報" in line.text()
    assert [(a.kind, a.label) for a in line.last[0].asks] == [
        (AttachmentKind.LOCATION, "地図で場所を送る")
    ]
    for resident in (web, line):
        await resident.tap("場所なし")
        assert [(a.kind, a.label) for a in resident.last[0].asks] == [
            (AttachmentKind.PHOTO, "写真を選ぶ")
        ]
        assert "写真は市の担当者だけが見ます" in resident.text()


async def test_retention_keeps_voices_until_the_end_of_the_next_fiscal_year(
    runtime: Runtime, clock: FakeClock
) -> None:
    await send_voice(Resident(runtime), place=None)  # 2026-11-23: fiscal year 2026
    rules = runtime.settings.retention
    assert rules.voices == Rule("fiscal-year+1")
    kept = await apply_retention(runtime.db, rules, datetime(2028, 3, 31, 23, tzinfo=TOKYO), TOKYO)
    assert kept["voices"] == 0
    gone = await apply_retention(runtime.db, rules, datetime(2028, 4, 1, 4, tzinfo=TOKYO), TOKYO)
    assert gone["voices"] == 1 and await voices_of(runtime).search() == []
    forever = RetentionRules(*(Rule("forever"),) * 5)
    assert "voices" not in await apply_retention(runtime.db, forever, clock.now, TOKYO)


def test_the_voices_rule_is_a_setting() -> None:
    assert load_settings({"CHIIKI_RETAIN_VOICES": "365d"}).retention.voices == Rule("365d")
    assert Rule("fiscal-year+1").expires(
        datetime(2027, 3, 31, 12, tzinfo=TOKYO), TOKYO
    ) == datetime(2028, 4, 1, tzinfo=TOKYO)
    assert Rule("fiscal-year+1").cutoff(datetime(2028, 4, 1, 4, tzinfo=TOKYO), TOKYO) == datetime(
        2027, 4, 1, tzinfo=TOKYO
    )


async def test_voices_move_to_the_person_on_linking(runtime: Runtime, clock: FakeClock) -> None:
    on_telegram = Resident(runtime, "42", Channel.TELEGRAM)
    await send_voice(on_telegram, place=None)
    await linked_pair(runtime)
    person = await _person(runtime, "web-user")
    (voice,) = await voices_of(runtime).search()
    assert voice.resident_id == person
    assert (await voices_of(runtime).count_of_resident(person))[0] == 1
    assert timedelta(0) <= clock.now - voice.created_at


async def test_staff_work_voices_from_the_command_line(
    runtime: Runtime, clock: FakeClock, content_dir: object
) -> None:
    resident = Resident(runtime)
    await send_voice(resident, "歩道に穴があります\n2\tfake row", place="駅前")
    (voice,) = await voices_of(runtime).search()
    env = {"CHIIKI_DB": runtime.settings.db, "CHIIKI_CONTENT_DIR": str(content_dir)}

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["voices", *args], env=env)
        return result.exit_code, result.output

    code, output = await asyncio.to_thread(run, "list", "--kind", "problem")
    assert code == 0, output
    (row,) = output.splitlines()  # the resident's line break cannot add a row
    assert row.startswith(f"{voice.id}\t{voice.receipt}\t") and "received" in row
    code, output = await asyncio.to_thread(run, "show", str(voice.id))
    assert "place: 駅前" in output and "歩道に穴があります" in output
    code, output = await asyncio.to_thread(run, "state", str(voice.id), "declined")
    assert code != 0 and "reason" in output
    code, output = await asyncio.to_thread(run, "state", str(voice.id), "reviewing")
    assert code == 0 and "is reviewing" in output
    code, output = await asyncio.to_thread(run, "answer", str(voice.id), "--text", "直します")
    assert code == 0, output
    code, output = await asyncio.to_thread(run, "publish", str(voice.id))
    assert "is published" in output
    code, output = await asyncio.to_thread(run, "list", "--state", "answered")
    assert str(voice.receipt) in output
    code, output = await asyncio.to_thread(run, "list", "--state", "done")
    assert code != 0 and "received, reviewing" in output
    clock.now = datetime.now(UTC) + timedelta(minutes=1)  # the command queued it by the wall clock
    await runtime.delivery.deliver_due()
    (told,) = await runtime.mailbox.take("web", "u1", clock.now)
    assert "直します" in told


def test_a_map_link_goes_to_openstreetmap() -> None:
    from bot.staff.voices import map_link
    from bot.storage.voices import Place

    assert map_link(Place("駅前")) is None
    link = map_link(Place(None, 36.2551, 138.8889))
    assert link == (
        "https://www.openstreetmap.org/?mlat=36.255100&mlon=138.888900#map=18/36.255100/138.888900"
    )


# Every button of the flow, as LINE's quick reply shows it (20 characters, cut short beyond).
VOICE_BUTTONS = (
    "menu.voice",
    "voices.kind.opinion",
    "voices.kind.problem",
    "voices.kind.question",
    "voices.published_button",
    "voices.no_place",
    "voices.place_button",
    "voices.no_photo",
    "voices.photo_button",
    "voices.contact_yes",
    "voices.contact_no",
    "voices.send",
    "voices.cancel",
    "voices.support_button",
    "voices.offer_question",
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_voice_button_fits_a_line_quick_reply(language: str) -> None:
    catalog = load_catalog(CONTENT)
    too_long = {
        key: text
        for key in VOICE_BUTTONS
        if len(text := catalog.text(key, language)) > LABEL_LIMIT
    }
    assert too_long == {}
