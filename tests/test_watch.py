from __future__ import annotations

import asyncio
import functools
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.core import Choice, Reply
from bot.runtime import Runtime, open_runtime
from bot.scheduler import fire_due_reminders
from bot.staff.watch import (
    WatchFile,
    WatchFileError,
    load_watch_file,
    plan_load,
    reminder_times,
    roster_csv,
)
from tests.conftest import FakeClock, Resident, make_settings
from tests.databases import database_for
from tests.platforms import (
    Platforms,
    open_platforms,
    telegram_callback,
    telegram_text,
    wait_until,
)

# The fake clock stands at 2026-11-23 18:00 in Tokyo (09:00 UTC), a Monday.
WATCH_FILE: dict[str, Any] = {
    "routes": [
        {
            "id": "east",
            "name": {"ja": "富岡小 東ルート", "en": "Tomioka Elementary, east"},
            "meeting_point": "東町公民館前",
            "note": "黄色いベストを貸し出します",
        }
    ],
    "shifts": [
        {"route": "east", "date": "2026-11-25", "time": "07:20-08:10", "capacity": 5},
        {"route": "east", "date": "2026-11-25", "time": "07:50-08:30", "capacity": 2},
        {
            "route": "east",
            "weekdays": ["mon", "thu"],
            "from": "2026-11-26",
            "until": "2026-12-07",
            "time": "14:30-15:30",
            "capacity": 2,
        },
    ],
}


async def load(runtime: Runtime, clock: FakeClock, raw: dict[str, Any] = WATCH_FILE) -> Any:
    tz = runtime.settings.tz
    routes, shifts = plan_load(WatchFile.model_validate(raw), runtime.services.pack, tz)
    return await runtime.services.watch.schedule.load(
        routes, shifts, clock.now, reminder_times(tz, time(18, 0), True)
    )


async def volunteer(runtime: Runtime, user: str, name: str) -> Resident:
    person = Resident(runtime, user)
    row = await runtime.services.residents.get_or_create(
        "web", user, "ja", runtime.services.clock()
    )
    await runtime.services.residents.give_consent(row.id, name, runtime.services.clock())
    return person


async def test_loading_expands_rules_and_reloading_changes_nothing(
    runtime: Runtime, clock: FakeClock
) -> None:
    first = await load(runtime, clock)
    assert (first.routes_added, first.shifts_added) == (1, 2 + 4)  # Thu 26, Mon 30, Thu 3, Mon 7
    again = await load(runtime, clock)
    assert (again.routes_added, again.shifts_added, again.shifts_changed) == (0, 0, 0)
    assert again.unchanged == 6
    shift = await runtime.services.watch.schedule.shift(1)
    assert shift is not None
    reminders = await runtime.services.watch.schedule.reminders_of(1)
    local = [(kind, due.astimezone(runtime.settings.tz)) for kind, due, _ in reminders]
    assert [(k, d.strftime("%m-%d %H:%M")) for k, d in local] == [
        ("evening", "11-24 18:00"),
        ("hour", "11-25 06:20"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"routes": []}, "routes"),
        (
            {
                "shifts": [
                    {"route": "west", "date": "2026-12-01", "time": "07:00-08:00", "capacity": 1}
                ]
            },
            "shifts.0.route",
        ),
        (
            {"shifts": [{"route": "east", "date": "2026-12-01", "time": "8-9", "capacity": 1}]},
            "shifts.0.time",
        ),
        ({"shifts": [{"route": "east", "time": "07:00-08:00", "capacity": 1}]}, "shifts.0"),
        (
            {
                "shifts": [
                    {"route": "east", "date": "2026-12-01", "time": "07:00-08:00", "capacity": 0}
                ]
            },
            "shifts.0.capacity",
        ),
    ],
)
def test_a_bad_watch_file_names_the_field(
    tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    path = tmp_path / "watch.yaml"
    path.write_text(yaml.safe_dump({**WATCH_FILE, **change}, allow_unicode=True), "utf-8")
    with pytest.raises(WatchFileError) as caught:
        load_watch_file(path)
    assert f"{path}: {field}" in str(caught.value)


async def test_first_sign_up_asks_name_and_consent(runtime: Runtime, clock: FakeClock) -> None:
    await load(runtime, clock)
    person = Resident(runtime, "v1")
    await person.say("見守り")
    await person.tap("富岡小 東ルート")
    assert "集合場所: 東町公民館前" in person.text()
    await person.tap_card(person.card_titles()[0])
    await person.tap("参加する")
    assert "お名前を送ってください" in person.text()
    await person.say("やまだ")
    assert "「やまだ」" in person.text()
    await person.tap("やめる")
    assert "登録しませんでした" in person.text()
    stored = await runtime.services.residents.find("web", "v1")
    assert stored is not None and stored.display_name is None and stored.consent_at is None
    assert await runtime.services.watch.signups.count(stored.id, clock.now) == 0

    await person.say("/watch")
    await person.tap("富岡小 東ルート")
    await person.tap_card(person.card_titles()[0])
    await person.tap("参加する")
    await person.say("やまだ")
    await person.tap("同意して登録")
    assert "当番に登録しました" in person.text()
    stored = await runtime.services.residents.find("web", "v1")
    assert stored is not None and stored.display_name == "やまだ" and stored.consent_at
    await person.say("/mydata")
    assert (
        "名簿に載せる名前: やまだ" in person.text()
        and "見守り当番（これから）: 1件" in person.text()
    )


async def test_a_roster_name_is_kept_on_one_line(runtime: Runtime, clock: FakeClock) -> None:
    # A name with line breaks printed as rows of its own in the roster (chiiki watch roster,
    # the dashboard's table): a volunteer could write a fake row under their own.
    await load(runtime, clock)
    person = Resident(runtime, "v-lines")
    await person.say("見守り")
    await person.tap("富岡小 東ルート")
    await person.tap_card(person.card_titles()[0])
    await person.tap("参加する")
    await person.say("やまだ\n| 12-06 | 東 |\tさとう   花子")
    assert "「やまだ | 12-06 | 東 | さとう 花子」" in person.text()
    await person.tap("同意して登録")
    stored = await runtime.services.residents.find("web", "v-lines")
    assert stored is not None
    assert stored.display_name == "やまだ | 12-06 | 東 | さとう 花子"


async def test_twenty_simultaneous_sign_ups_for_five_places(
    runtime: Runtime, clock: FakeClock
) -> None:
    await load(runtime, clock)
    people = [
        await runtime.services.residents.get_or_create("web", f"p{n:02d}", "ja", clock.now)
        for n in range(20)
    ]
    outcomes = await asyncio.gather(
        *(runtime.services.watch.signups.sign_up(1, p.id, clock.now) for p in people)
    )
    assert [o for o, _ in outcomes].count("confirmed") == 5
    waitlisted = [place for o, place in outcomes if o == "waitlisted"]
    assert waitlisted == list(range(1, 16))  # in order of arrival
    shift = await runtime.services.watch.schedule.shift(1)
    assert shift is not None and (shift.confirmed, shift.waitlisted, shift.free) == (5, 15, 0)
    # Arrival order decided: the first five confirmed, the rest waiting in the same order.
    rows = await runtime.db.fetch_all(
        "SELECT resident_id, status FROM watch_signups WHERE shift_id = 1 ORDER BY id"
    )
    assert [r[1] for r in rows] == ["confirmed"] * 5 + ["waitlisted"] * 15


async def test_a_cancellation_promotes_exactly_one_and_tells_them(
    runtime: Runtime, clock: FakeClock
) -> None:
    await load(runtime, clock)
    names = ["a", "b", "c", "d"]
    people = [await volunteer(runtime, n, n) for n in names]
    for person in people:
        await person.say("/watch")
        await person.tap("富岡小 東ルート")
        await person.tap_card(person.card_titles()[1])  # the 07:50 shift, two places
        await person.tap(person.labels()[0])
    assert "キャンセル待ち1番目" in people[2].text()
    await people[0].say("/watch mine")
    assert "（確定）" in people[0].text()
    await people[0].tap(people[0].labels()[0])
    assert "取り消しますか" in people[0].text()  # one tap only asks
    await people[0].tap("はい、取り消します")
    assert "取り消しました" in people[0].text()
    shift = await runtime.services.watch.schedule.shift(2)
    assert shift is not None and (shift.confirmed, shift.waitlisted) == (2, 1)
    rows = await runtime.db.fetch_all(
        "SELECT r.platform_user_id FROM outbox o JOIN residents r ON r.id = o.resident_id"
    )
    assert [row[0] for row in rows] == ["c"]  # exactly one promoted, and told
    text = await runtime.db.fetch_one("SELECT text_ja FROM broadcasts")
    assert text is not None and "繰り上がりました" in text[0]
    await people[3].say("/watch mine")
    assert "キャンセル待ち1番目" in people[3].text()


async def test_overlapping_shifts_cannot_both_be_booked(
    runtime: Runtime, clock: FakeClock
) -> None:
    await load(runtime, clock)
    person = await runtime.services.residents.get_or_create("web", "x", "ja", clock.now)
    assert (await runtime.services.watch.signups.sign_up(1, person.id, clock.now))[
        0
    ] == "confirmed"
    assert (await runtime.services.watch.signups.sign_up(1, person.id, clock.now))[0] == "already"
    assert (await runtime.services.watch.signups.sign_up(2, person.id, clock.now))[0] == "overlap"
    assert (await runtime.services.watch.signups.sign_up(3, person.id, clock.now))[
        0
    ] == "confirmed"


async def test_roster_shows_names_free_places_and_the_waitlist(
    runtime: Runtime, clock: FakeClock
) -> None:
    await load(runtime, clock)
    for user in ("さとう", "すずき", "たなか"):
        row = await runtime.services.residents.get_or_create("web", user, "ja", clock.now)
        await runtime.services.residents.give_consent(row.id, user, clock.now)
        await runtime.services.watch.signups.sign_up(2, row.id, clock.now)
    tz = runtime.settings.tz
    start = clock.now.astimezone(tz).replace(hour=0) + timedelta(days=2)
    lines = await runtime.services.watch.rosters.lines(start, start + timedelta(days=1), "east")
    assert [line.shift.id for line in lines] == [1, 2]
    assert lines[1].volunteers == ["さとう", "すずき"] and lines[1].waitlist == ["たなか"]
    csv_text = roster_csv(lines, tz)
    assert (
        "2,2026-11-25,07:50,08:30,富岡小 東ルート,2,0,さとう / すずき,たなか,planned" in csv_text
    )


async def test_forget_leaves_future_shifts_and_the_roster(
    runtime: Runtime, clock: FakeClock
) -> None:
    await load(runtime, clock)
    leaving = await volunteer(runtime, "leaver", "いなくなる人")
    waiting = await runtime.services.residents.get_or_create("web", "w", "ja", clock.now)
    other = await runtime.services.residents.get_or_create("web", "o", "ja", clock.now)
    await runtime.services.watch.signups.sign_up(2, other.id, clock.now)
    assert leaving.runtime is runtime
    me = await runtime.services.residents.find("web", "leaver")
    assert me is not None
    await runtime.services.watch.signups.sign_up(2, me.id, clock.now)
    await runtime.services.watch.signups.sign_up(2, waiting.id, clock.now)
    await leaving.say("/forget")
    await leaving.tap("はい、消します")
    shift = await runtime.services.watch.schedule.shift(2)
    assert shift is not None and (shift.confirmed, shift.waitlisted) == (2, 0)
    start = clock.now
    lines = await runtime.services.watch.rosters.lines(start, start + timedelta(days=30), None)
    assert all("いなくなる人" not in line.volunteers + line.waitlist for line in lines)


async def test_shift_cancellation_tells_everyone_on_it_or_waiting(
    runtime: Runtime, clock: FakeClock
) -> None:
    await load(runtime, clock)
    ids = []
    for user in ("a", "b", "c"):
        row = await runtime.services.residents.get_or_create("telegram", user, "ja", clock.now)
        await runtime.services.watch.signups.sign_up(2, row.id, clock.now)
        ids.append(row.id)
    broadcast_id = await runtime.services.watch.schedule.cancel_shift(
        2, "雨天のため", clock.now, runtime.services.notices.shift_cancelled
    )
    assert broadcast_id is not None
    rows = await runtime.db.fetch_all("SELECT resident_id FROM outbox ORDER BY resident_id")
    assert [row[0] for row in rows] == ids
    text = await runtime.db.fetch_one("SELECT text_ja FROM broadcasts")
    assert text is not None and "中止" in text[0] and "雨天のため" in text[0]
    assert {s for _, _, s in await runtime.services.watch.schedule.reminders_of(2)} == {
        "cancelled"
    }
    assert (await runtime.services.watch.signups.sign_up(2, ids[0], clock.now))[0] == "closed"


async def test_a_restart_before_the_evening_reminder_still_sends_it_once(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock) as platforms:
        await load(platforms.runtime, clock)
        person = await platforms.runtime.services.residents.get_or_create(
            "telegram", "321", "ja", clock.now
        )
        await platforms.runtime.services.residents.give_consent(person.id, "たろう", clock.now)
        await platforms.post_telegram(telegram_text("/watch", user_id=321))
        await platforms.post_telegram(telegram_callback("wjoin:1", user_id=321))
        assert "当番に登録しました" in platforms.telegram.sent("sendMessage")[-1]["text"]
    clock.advance(days=1, minutes=5)  # 11-24 18:05 Tokyo: the evening reminder is 5 minutes due
    for restart in range(2):
        async with open_platforms(tmp_path, content_dir, clock) as platforms:
            await platforms.runtime.delivery.deliver_due()
            if restart == 0:
                # The serving instance's own delivery loop, woken at start, may hold the row
                # (and be sending it) when deliver_due looks: wait for the send, not the call.
                await wait_until(functools.partial(evening_reminders_sent, platforms))
            sent = evening_reminders_sent(platforms)
            assert len(sent) == (1 if restart == 0 else 0)
            if restart == 0:
                assert sent[0]["chat_id"] == 321 and "東町公民館前" in sent[0]["text"]
    async with open_platforms(tmp_path, content_dir, clock, serving=False) as platforms:
        states = {
            k: s for k, _, s in await platforms.runtime.services.watch.schedule.reminders_of(1)
        }
        assert states == {"evening": "sent", "hour": "pending"}


def evening_reminders_sent(platforms: Platforms) -> list[dict[str, Any]]:
    return [m for m in platforms.telegram.sent("sendMessage") if "明日の見守り" in m["text"]]


async def test_hour_reminder_goes_only_to_those_confirmed_at_that_time(
    runtime: Runtime, clock: FakeClock
) -> None:
    await load(runtime, clock)
    a = await runtime.services.residents.get_or_create("telegram", "a", "ja", clock.now)
    b = await runtime.services.residents.get_or_create("telegram", "b", "ja", clock.now)
    for person in (a, b):
        await runtime.services.watch.signups.sign_up(2, person.id, clock.now)
    await runtime.services.watch.signups.withdraw(
        2, a.id, clock.now, runtime.services.notices.shift_promoted
    )
    clock.now = clock.now.replace(day=24, hour=21, minute=0)  # 11-25 06:00 Tokyo: evening late
    queued = await fire_due_reminders(runtime.duties)
    assert queued == []  # the evening reminder is more than an hour late: skipped
    clock.advance(minutes=50)  # 06:50: the hour reminders of 07:20 (no one on it) and 07:50
    assert len(await fire_due_reminders(runtime.duties)) == 2
    rows = await runtime.db.fetch_all("SELECT resident_id FROM outbox")
    assert [row[0] for row in rows] == [b.id]


def test_watch_commands_load_roster_and_cancel(tmp_path: Path) -> None:
    path = tmp_path / "watch.yaml"
    future = {
        **WATCH_FILE,
        "shifts": [
            {
                "route": "east",
                "date": (date.today() + timedelta(days=3)).isoformat(),
                "time": "07:20-08:10",
                "capacity": 3,
            },
        ],
    }
    path.write_text(yaml.safe_dump(future, allow_unicode=True), "utf-8")
    env = {"CHIIKI_DB": database_for(tmp_path, "w")}
    runner = CliRunner()
    first = runner.invoke(main, ["watch", "load", str(path)], env=env)
    assert "routes added 1; shifts added 1" in first.output, first.output
    again = runner.invoke(main, ["watch", "load", str(path)], env=env)
    assert "shifts added 0, changed 0, unchanged 1" in again.output
    roster = runner.invoke(main, ["watch", "roster", "--csv"], env=env)
    assert "富岡小 東ルート,3,3" in roster.output
    cancelled = runner.invoke(main, ["watch", "cancel-shift", "1", "--reason", "休校"], env=env)
    assert cancelled.exit_code == 0 and "shift 1 cancelled" in cancelled.output
    twice = runner.invoke(main, ["watch", "cancel-shift", "1", "--reason", "休校"], env=env)
    assert twice.exit_code == 2 and "already cancelled" in twice.output


async def test_every_shift_is_reachable_with_its_weekday_end_and_a_button_of_its_own(
    runtime: Runtime, clock: FakeClock
) -> None:
    many = {
        **WATCH_FILE,
        "shifts": [
            {
                "route": "east",
                "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                "from": "2026-11-24",
                "until": "2026-12-11",
                "time": "07:20-08:10",
                "capacity": 2,
            }
        ],
    }
    await load(runtime, clock, many)  # 14 school days
    person = await volunteer(runtime, "v", "山田")
    await person.say("/watch")
    await person.tap("富岡小 東ルート")
    titles = person.card_titles()
    assert len(titles) == 10 and titles[0] == "11月24日(火) 7:20〜8:10"
    buttons = [c.choices[0].label for r in person.last for c in r.cards]
    assert buttons[0] == "11月24日(火) 7:20 詳しく見る" and len(set(buttons)) == 10
    await person.tap("次の当番を見る")
    assert person.card_titles() == [
        "12月8日(火) 7:20〜8:10",
        "12月9日(水) 7:20〜8:10",
        "12月10日(木) 7:20〜8:10",
        "12月11日(金) 7:20〜8:10",
    ]
    assert "次の当番を見る" not in person.labels()  # the last page

    await person.tap_card("12月9日(水) 7:20〜8:10")
    assert "日時: 12月9日(水) 7:20〜8:10" in person.text()
    await person.tap(person.labels()[0])  # join
    await person.say("/watch")
    await person.tap("富岡小 東ルート")
    await person.tap("次の当番を見る")
    held = [c for r in person.last for c in r.cards if c.title.startswith("12月9日")]
    assert held[0].lines == ("あなたが参加します", "残り1人")
    others = [c for r in person.last for c in r.cards if not c.title.startswith("12月9日")]
    assert all(c.lines == ("残り2人",) for c in others)

    await person.say("/watch mine")
    assert person.labels()[0] == "取消 12月9日(水) 7:20"
    await person.tap("取消 12月9日(水) 7:20")
    assert "12月9日(水) 7:20〜8:10 富岡小 東ルートの当番を取り消しますか？" in person.text()
    await person.tap("取り消しません")
    assert "（確定）" in person.text()  # still on it: back at their shifts


async def test_another_districts_route_cannot_be_reached_with_a_forged_button(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    raw = {
        "routes": [{**WATCH_FILE["routes"][0], "district": "d01"}],
        "shifts": WATCH_FILE["shifts"][:1],
    }
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")
    async with open_runtime(settings, clock=clock) as runtime:
        await load(runtime, clock, raw)
        (route,) = await runtime.services.watch.schedule.routes_for("d01")
        (shift,) = await runtime.services.watch.schedule.upcoming_shifts(route.id, clock.now, 5)
        outsider = await volunteer(runtime, "outsider", "よそもの")
        await outsider.say("/settings")
        await outsider.tap("地区を選ぶ")
        await outsider.tap("第2地区")
        await outsider.say("見守り")
        assert "富岡小 東ルート" not in outsider.labels()
        for data in (
            f"wroute:{route.id}",
            f"wshift:{shift.id}",
            f"wjoin:{shift.id}",
            # Leaving asks first, naming the shift: only for one the resident holds.
            f"wleave:{shift.id}",
        ):
            outsider.last = [Reply("", (Choice("forged", data),))]
            await outsider.tap("forged")
            assert "東町公民館前" not in outsider.text(), data
            assert "富岡小 東ルート" not in outsider.text(), data
        resident = await runtime.services.residents.find("web", "outsider")
        assert resident is not None
        assert await runtime.services.watch.signups.count(resident.id, clock.now) == 0
