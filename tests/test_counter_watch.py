"""Counter sign-ups (窓口での代理入力, issue 25 point 3): staff sign a person without a chat
account up for a watch shift by name. They take places and waitlist positions exactly like
residents, show on rosters marked 窓口 (escaped wherever shown), are never sent anything, are
removed by the roster-name retention rule, and every sign-up and cancellation is audited with
the staff member's login but without the volunteer's name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.runtime import Runtime
from bot.scheduler import fire_due_reminders
from bot.staff import audit as actions
from bot.staff.actor import StaffActor
from bot.staff.roles import StaffRoleError
from bot.staff.watch import WatchFile, cancel_shift, load_watch, roster, roster_csv
from bot.staff.watch_counter import (
    CounterSignupError,
    cancel_counter_signup,
    sign_up_at_counter,
)
from bot.storage.audit import AuditFilter, AuditRepository
from bot.storage.retention import RetentionRules, Rule, apply_retention
from tests.admin_helpers import csrf_of, staff_clients, web_client
from tests.conftest import FakeClock, make_settings
from tests.databases import database_for

EAST, WEST = "d01", "d02"
# The fake clock stands at 2026-11-23 18:00 in Tokyo. Shifts (ids in load order):
# 1 east 11-25 07:20 (2 places), 2 east 11-26 07:20 (1 place), 3 west 11-25 07:20 (2 places).
WATCH = {
    "routes": [
        {"id": "east", "name": "東ルート", "district": EAST, "meeting_point": "東公民館前"},
        {"id": "west", "name": "西ルート", "district": WEST, "meeting_point": "西公民館前"},
    ],
    "shifts": [
        {"route": "east", "date": "2026-11-25", "time": "07:20-08:10", "capacity": 2},
        {"route": "east", "date": "2026-11-26", "time": "07:20-08:10", "capacity": 1},
        {"route": "west", "date": "2026-11-25", "time": "07:20-08:10", "capacity": 2},
    ],
}
HOSTILE = ['=HYPERLINK("http://evil.example","x")', "<script>alert(1)</script>"]


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


def actor_of(runtime: Runtime, login: str, role: str = "admin", *districts: str) -> StaffActor:
    return StaffActor(login, role, frozenset(districts), "192.0.2.1", AuditRepository(runtime.db))


@pytest.fixture
async def admin(runtime: Runtime, clock: FakeClock) -> StaffActor:
    actor = actor_of(runtime, "kanri")
    s = runtime.services
    spec = WatchFile.model_validate(WATCH)
    await load_watch(spec, s.watch, s.pack, runtime.settings, clock.now, "w", actor=actor)
    return actor


async def chat_volunteer(runtime: Runtime, clock: FakeClock, user: str, shift_id: int) -> int:
    residents = runtime.services.residents
    row = await residents.get_or_create("telegram", user, "ja", clock.now)
    await residents.give_consent(row.id, f"chat-{user}", clock.now)
    await runtime.services.watch.signups.sign_up(shift_id, row.id, clock.now)
    return row.id


async def outbox_residents(runtime: Runtime) -> list[int | None]:
    rows = await runtime.db.fetch_all("SELECT resident_id FROM outbox ORDER BY id")
    return [row[0] for row in rows]


async def test_counter_volunteers_take_places_and_wait_like_residents(
    runtime: Runtime, clock: FakeClock, admin: StaffActor
) -> None:
    watch = runtime.services.watch
    await chat_volunteer(runtime, clock, "a", 1)
    first = await sign_up_at_counter(watch, 1, "山田 花子", "phone", clock.now, actor=admin)
    assert (first.outcome, first.waitlist_position) == ("confirmed", None)
    # The shift is full now: the next person, at the counter or in the chat, waits in turn.
    second = await sign_up_at_counter(watch, 1, "佐藤 一郎", "counter", clock.now, actor=admin)
    assert (second.outcome, second.waitlist_position) == ("waitlisted", 1)
    residents = runtime.services.residents
    late = await residents.get_or_create("telegram", "late", "ja", clock.now)
    assert await watch.signups.sign_up(1, late.id, clock.now) == ("waitlisted", 2)
    shift = await watch.schedule.shift(1)
    assert shift is not None and (shift.confirmed, shift.waitlisted, shift.free) == (2, 2, 0)
    with pytest.raises(CounterSignupError, match="already"):
        await sign_up_at_counter(watch, 1, " 山田  花子 ", "counter", clock.now, actor=admin)
    (line,) = await roster(watch, clock.now, clock.now + timedelta(days=2), "east", actor=admin)
    assert line.volunteers == ["chat-a", "山田 花子（窓口・電話）"]
    assert line.waitlist == ["佐藤 一郎（窓口）", "(no name)"]
    assert [(c.id, c.status) for c in line.counter] == [
        (first.signup_id, "confirmed"),
        (second.signup_id, "waitlisted"),
    ]
    stored = await runtime.db.fetch_one(
        "SELECT resident_id, counter_name, counter_via, counter_staff FROM watch_signups"
        " WHERE id = ?",
        (first.signup_id,),
    )
    assert stored is not None and tuple(stored) == (None, "山田 花子", "phone", "kanri")


async def test_a_counter_sign_up_needs_consent_a_name_on_one_line_and_an_open_shift(
    runtime: Runtime, clock: FakeClock, admin: StaffActor
) -> None:
    watch = runtime.services.watch
    for via in (None, "", "email"):
        with pytest.raises(CounterSignupError, match="consent"):
            await sign_up_at_counter(watch, 1, "山田", via, clock.now, actor=admin)
    for name in ("", "  \n ", "あ" * 41):
        with pytest.raises(CounterSignupError, match="name"):
            await sign_up_at_counter(watch, 1, name, "counter", clock.now, actor=admin)
    with pytest.raises(CounterSignupError, match="shift"):
        await sign_up_at_counter(watch, 99, "山田", "counter", clock.now, actor=admin)
    await cancel_shift(watch, runtime.services.notices, 2, "雨", clock.now, actor=admin)
    with pytest.raises(CounterSignupError, match="shift"):
        await sign_up_at_counter(watch, 2, "山田", "counter", clock.now, actor=admin)
    # Line breaks, tabs and invisible characters could forge rows of a printed roster.
    done = await sign_up_at_counter(
        watch, 1, "やまだ\n| 11-25 | 東 |\tさとう\u200b\x07", "counter", clock.now, actor=admin
    )
    (line,) = await roster(watch, clock.now, clock.now + timedelta(days=2), "east", actor=admin)
    assert line.volunteers == ["やまだ | 11-25 | 東 | さとう（窓口）"]
    assert done.outcome == "confirmed"
    count = await runtime.db.fetch_one("SELECT count(*) FROM watch_signups")
    assert count is not None and count[0] == 1


async def test_cancelling_a_counter_sign_up_promotes_a_resident_who_is_told(
    runtime: Runtime, clock: FakeClock, admin: StaffActor
) -> None:
    watch = runtime.services.watch
    notices = runtime.services.notices
    counter = await sign_up_at_counter(watch, 1, "山田 花子", "counter", clock.now, actor=admin)
    await chat_volunteer(runtime, clock, "a", 1)
    waiting = await chat_volunteer(runtime, clock, "b", 1)
    cancelled = await cancel_counter_signup(
        watch, notices, counter.signup_id, clock.now, actor=admin
    )
    assert (cancelled.status, cancelled.promoted) == ("confirmed", None)
    shift = await watch.schedule.shift(1)
    assert shift is not None and (shift.confirmed, shift.waitlisted) == (2, 0)
    assert await outbox_residents(runtime) == [waiting]  # exactly the one moved up, and told
    text = await runtime.db.fetch_one("SELECT text_ja FROM broadcasts")
    assert text is not None and "繰り上がりました" in text[0]
    with pytest.raises(CounterSignupError):  # a second click
        await cancel_counter_signup(watch, notices, counter.signup_id, clock.now, actor=admin)
    # A resident's sign-up is not a counter sign-up: staff cannot cancel it this way.
    resident_signup = await runtime.db.fetch_one(
        "SELECT id FROM watch_signups WHERE resident_id = ?", (waiting,)
    )
    assert resident_signup is not None
    with pytest.raises(CounterSignupError):
        await cancel_counter_signup(watch, notices, resident_signup[0], clock.now, actor=admin)
    assert (await watch.schedule.shift(1)).confirmed == 2  # type: ignore[union-attr]


async def test_a_counter_volunteer_moved_up_is_not_sent_anything_but_named_to_staff(
    runtime: Runtime, clock: FakeClock, admin: StaffActor
) -> None:
    watch = runtime.services.watch
    notices = runtime.services.notices
    first = await sign_up_at_counter(watch, 2, "山田 花子", "counter", clock.now, actor=admin)
    second = await sign_up_at_counter(watch, 2, "佐藤 一郎", "phone", clock.now, actor=admin)
    cancelled = await cancel_counter_signup(
        watch, notices, first.signup_id, clock.now, actor=admin
    )
    assert cancelled.promoted is not None
    assert (cancelled.promoted.id, cancelled.promoted.label) == (
        second.signup_id,
        "佐藤 一郎（窓口・電話）",
    )
    # A resident withdrawing moves a counter volunteer up the same way, without a notice.
    resident = await chat_volunteer(runtime, clock, "a", 1)
    await sign_up_at_counter(watch, 1, "田中", "counter", clock.now, actor=admin)
    await sign_up_at_counter(watch, 1, "鈴木", "counter", clock.now, actor=admin)
    left, promoted = await watch.signups.withdraw(1, resident, clock.now, notices.shift_promoted)
    assert (left, promoted) == (True, None)
    (line,) = await roster(watch, clock.now, clock.now + timedelta(days=2), "east", actor=admin)
    assert line.volunteers == ["田中（窓口）", "鈴木（窓口）"] and line.waitlist == []
    # Nobody but staff can tell 鈴木: the roster keeps when they moved up.
    assert [(c.label, c.moved_up_at) for c in line.counter] == [
        ("田中（窓口）", None),
        ("鈴木（窓口）", clock.now),
    ]
    assert await outbox_residents(runtime) == []
    broadcasts = await runtime.db.fetch_one("SELECT count(*) FROM broadcasts")
    assert broadcasts is not None and broadcasts[0] == 0


async def test_reminders_and_a_cancelled_shift_reach_only_chat_volunteers(
    runtime: Runtime, clock: FakeClock, admin: StaffActor
) -> None:
    watch = runtime.services.watch
    resident = await chat_volunteer(runtime, clock, "a", 1)
    await sign_up_at_counter(watch, 1, "山田 花子", "counter", clock.now, actor=admin)
    await sign_up_at_counter(watch, 3, "佐藤 一郎", "phone", clock.now, actor=admin)  # alone
    clock.advance(days=1, minutes=1)  # 11-24 18:01 Tokyo: the evening reminders are due
    queued = await fire_due_reminders(runtime.duties)
    assert len(queued) == 2  # shift 1 and shift 3 (whose only volunteer gets nothing)
    assert await outbox_residents(runtime) == [resident]
    await cancel_shift(watch, runtime.services.notices, 1, "雨", clock.now, actor=admin)
    assert await outbox_residents(runtime) == [resident, resident]


async def test_a_district_account_signs_up_only_on_its_own_routes_and_a_viewer_never(
    runtime: Runtime, clock: FakeClock, admin: StaffActor
) -> None:
    watch = runtime.services.watch
    notices = runtime.services.notices
    east = actor_of(runtime, "higashi", "district", EAST)
    viewer = actor_of(runtime, "miru", "viewer")
    west_signup = await sign_up_at_counter(watch, 3, "西の人", "counter", clock.now, actor=admin)
    # Shift 3 is the west route's: a district account typing its id gets nothing done.
    with pytest.raises(StaffRoleError):
        await sign_up_at_counter(watch, 3, "山田", "counter", clock.now, actor=east)
    with pytest.raises(StaffRoleError):
        await cancel_counter_signup(watch, notices, west_signup.signup_id, clock.now, actor=east)
    with pytest.raises(StaffRoleError):
        await sign_up_at_counter(watch, 1, "山田", "counter", clock.now, actor=viewer)
    own = await sign_up_at_counter(watch, 1, "山田", "counter", clock.now, actor=east)
    with pytest.raises(StaffRoleError):
        await cancel_counter_signup(watch, notices, own.signup_id, clock.now, actor=viewer)
    rows = await runtime.db.fetch_all("SELECT shift_id, counter_name FROM watch_signups")
    assert sorted(tuple(row) for row in rows) == [(1, "山田"), (3, "西の人")]
    await cancel_counter_signup(watch, notices, own.signup_id, clock.now, actor=east)
    entries = await AuditRepository(runtime.db).entries(AuditFilter())
    assert [(e.login, e.action) for e in entries if e.action.startswith("shift.counter")] == [
        ("higashi", actions.SHIFT_COUNTER_CANCELLED),
        ("higashi", actions.SHIFT_COUNTER_SIGNUP),
        ("kanri", actions.SHIFT_COUNTER_SIGNUP),
    ]


async def test_counter_actions_are_audited_with_the_staff_login_and_without_the_name(
    runtime: Runtime, clock: FakeClock, admin: StaffActor
) -> None:
    watch = runtime.services.watch
    east = actor_of(runtime, "higashi", "district", EAST)
    done = await sign_up_at_counter(watch, 2, "山田 花子", "phone", clock.now, actor=east)
    waiting = await sign_up_at_counter(watch, 2, "佐藤 一郎", "counter", clock.now, actor=admin)
    clock.advance(minutes=5)
    await cancel_counter_signup(
        watch, runtime.services.notices, done.signup_id, clock.now, actor=east
    )
    rows = await AuditRepository(runtime.db).entries(AuditFilter(login="higashi"))
    assert [(r.action, r.object_kind, r.object_id, r.detail, r.address) for r in rows] == [
        (
            actions.SHIFT_COUNTER_CANCELLED,
            "watch_signup",
            str(done.signup_id),
            f"shift 2, was confirmed, moved up sign-up {waiting.signup_id}",
            "192.0.2.1",
        ),
        (
            actions.SHIFT_COUNTER_SIGNUP,
            "watch_signup",
            str(done.signup_id),
            "shift 2, confirmed, consent phone",
            "192.0.2.1",
        ),
    ]
    everything = await runtime.db.fetch_all("SELECT * FROM staff_audit")
    assert not any("山田" in str(v) or "佐藤" in str(v) for row in everything for v in row)


async def test_roster_csv_neutralises_formulas_and_keeps_the_mark(
    runtime: Runtime, clock: FakeClock, admin: StaffActor
) -> None:
    watch = runtime.services.watch
    for name in HOSTILE:
        await sign_up_at_counter(watch, 1, name, "phone", clock.now, actor=admin)
    lines = await roster(watch, clock.now, clock.now + timedelta(days=2), "east", actor=admin)
    text = roster_csv(lines, runtime.settings.tz)
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    assert "<script>alert(1)</script>（窓口・電話）" in text  # CSV is text; pages escape it
    assert text.count("\n") == 2  # the header and one shift: no name broke a row


async def test_retention_removes_counter_names_by_the_roster_rule_after_their_shift(
    runtime: Runtime, clock: FakeClock, admin: StaffActor
) -> None:
    watch = runtime.services.watch
    await sign_up_at_counter(watch, 1, "過ぎた当番の人", "counter", clock.now, actor=admin)
    signup = await sign_up_at_counter(watch, 2, "来年の当番の人", "phone", clock.now, actor=admin)
    # Shift 2 moved past the cutoff, as a sign-up in March for a shift in April would be.
    await runtime.db.execute(
        "UPDATE watch_shifts SET starts_at = ?, ends_at = ? WHERE id = 2",
        ("2027-04-05T22:20:00+00:00", "2027-04-05T23:10:00+00:00"),
    )
    rules = RetentionRules(Rule("fiscal-year"), Rule("180d"), Rule("7d"))
    tz = runtime.settings.tz
    removed = await apply_retention(runtime.db, rules, datetime(2027, 4, 2, 3, tzinfo=tz), tz)
    assert removed["counter_names"] == 1
    rows = await runtime.db.fetch_all(
        "SELECT shift_id, counter_name, status FROM watch_signups ORDER BY shift_id"
    )
    assert [tuple(row) for row in rows] == [
        (1, None, "confirmed"),  # the place stays counted; the name is gone
        (2, "来年の当番の人", "confirmed"),
    ]
    # Staff can still take the nameless sign-up off (it keeps its 窓口 mark).
    start = datetime(2026, 11, 24, tzinfo=tz)
    (line,) = await roster(watch, start, start + timedelta(days=2), "east", actor=admin)
    assert line.volunteers == ["(no name)（窓口）"]
    await cancel_counter_signup(
        watch, runtime.services.notices, line.counter[0].id, clock.now, actor=admin
    )
    assert signup.signup_id != line.counter[0].id


# ---- the dashboard and the command line ----

Browser = Callable[[str, str, tuple[str, ...]], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def browser_as(runtime: Runtime) -> AsyncIterator[Browser]:
    async with staff_clients(runtime) as make:
        yield make


async def counter_form(http: httpx.AsyncClient, **fields: str) -> httpx.Response:
    token = csrf_of(await http.get("/admin/watch"))
    return await http.post("/admin/watch/counter", data={"csrf_token": token, **fields})


async def counter_rows(runtime: Runtime) -> list[tuple[Any, ...]]:
    rows = await runtime.db.fetch_all(
        "SELECT shift_id, counter_name, counter_via, status FROM watch_signups"
        " WHERE counter_via IS NOT NULL ORDER BY id"
    )
    return [tuple(row) for row in rows]


async def test_staff_sign_up_and_cancel_at_the_counter_on_the_dashboard(
    runtime: Runtime, clock: FakeClock, admin: StaffActor, browser_as: Browser
) -> None:
    http = await browser_as("kanri", "admin", ())
    page = await http.get("/admin/watch")
    assert (
        "窓口で申し込む" in page.text and "名簿に名前を載せることに同意をいただいた" in page.text
    )
    # No consent ticked: refused beside the box, nothing stored, the name kept in the field.
    refused = await counter_form(http, shift="2", name="山田 花子", via="phone")
    assert refused.status_code == 400
    assert 'id="consent-error"' in refused.text and 'value="山田 花子"' in refused.text
    assert await counter_rows(runtime) == []
    done = await counter_form(http, shift="2", name=HOSTILE[1], via="phone", consent="yes")
    assert done.status_code == 200 and "（確定）" in done.text
    assert "<script>alert(1)" not in done.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;（窓口・電話）" in done.text
    waiting = await counter_form(http, shift="2", name="佐藤 一郎", via="counter", consent="yes")
    assert "満員のため" in waiting.text and "キャンセル待ち1番目" in waiting.text
    twice = await counter_form(http, shift="2", name="佐藤 一郎", via="counter", consent="yes")
    assert twice.status_code == 400 and 'id="name-error"' in twice.text
    assert "すでにこの当番に登録されています" in twice.text
    assert await counter_rows(runtime) == [
        (2, HOSTILE[1], "phone", "confirmed"),
        (2, "佐藤 一郎", "counter", "waitlisted"),
    ]
    sheet = await http.get("/admin/watch/print", params={"from": "2026-11-25", "to": "2026-11-26"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;（窓口・電話）" in sheet.text
    assert "<script>alert(1)" not in sheet.text and "佐藤 一郎（窓口）" in sheet.text
    first = await runtime.db.fetch_one("SELECT id FROM watch_signups WHERE counter_via = 'phone'")
    assert first is not None
    listed = await http.get("/admin/watch")
    assert f'action="/admin/watch/signups/{first[0]}/cancel"' in listed.text
    token = csrf_of(listed)
    cancelled = await http.post(
        f"/admin/watch/signups/{first[0]}/cancel", data={"csrf_token": token}
    )
    assert cancelled.status_code == 200
    assert "キャンセル待ちの佐藤 一郎（窓口）が繰り上がりました" in cancelled.text
    assert "佐藤 一郎（窓口）はキャンセル待ちから繰り上がりました（11/23 18:00）" in cancelled.text
    assert await counter_rows(runtime) == [(2, "佐藤 一郎", "counter", "confirmed")]
    again = await http.post(f"/admin/watch/signups/{first[0]}/cancel", data={"csrf_token": token})
    assert again.status_code == 303  # a second click: nothing left to cancel
    forged = await http.post("/admin/watch/counter", data={"shift": "1", "name": "x"})
    assert forged.status_code in (400, 403)  # no CSRF token
    entries = await AuditRepository(runtime.db).entries(AuditFilter(login="kanri"))
    counter = [e for e in entries if e.action.startswith("shift.counter")]
    assert [(e.action, e.address) for e in counter] == [
        (actions.SHIFT_COUNTER_CANCELLED, "192.0.2.9"),
        (actions.SHIFT_COUNTER_SIGNUP, "192.0.2.9"),
        (actions.SHIFT_COUNTER_SIGNUP, "192.0.2.9"),
    ]
    # Staff-side figures still add up with people who are not residents.
    overview = await http.get("/admin/")
    assert overview.status_code == 200 and "1／1人" in overview.text
    async with web_client(runtime) as plain:
        metrics = await plain.get("/metrics")
    assert metrics.status_code == 200


async def test_the_dashboard_keeps_counter_entry_to_the_accounts_districts(
    runtime: Runtime, clock: FakeClock, admin: StaffActor, browser_as: Browser
) -> None:
    west = await sign_up_at_counter(
        runtime.services.watch, 3, "西の人", "counter", clock.now, actor=admin
    )
    east = await browser_as("higashi", "district", (EAST,))
    page = await east.get("/admin/watch")
    assert '<option value="1"' in page.text and '<option value="3"' not in page.text
    assert f"/admin/watch/signups/{west.signup_id}/cancel" not in page.text
    forged = await counter_form(east, shift="3", name="山田", via="counter", consent="yes")
    assert forged.status_code == 403
    token = csrf_of(page)
    refused = await east.post(
        f"/admin/watch/signups/{west.signup_id}/cancel", data={"csrf_token": token}
    )
    assert refused.status_code == 403
    own = await counter_form(east, shift="1", name="山田", via="counter", consent="yes")
    assert own.status_code == 200
    viewer = await browser_as("miru", "viewer", ())
    seen = await viewer.get("/admin/watch")
    assert "申し込める当番はありません" in seen.text and 'name="consent"' not in seen.text
    assert "/admin/watch/signups/" not in seen.text
    assert (
        await counter_form(viewer, shift="1", name="x", consent="yes", via="counter")
    ).status_code == 403
    assert await counter_rows(runtime) == [
        (3, "西の人", "counter", "confirmed"),
        (1, "山田", "counter", "confirmed"),
    ]


def test_counter_commands_sign_up_list_and_cancel(tmp_path: Path) -> None:
    path = tmp_path / "watch.yaml"
    day = (date.today() + timedelta(days=3)).isoformat()
    spec = {
        "routes": [{"id": "east", "name": "東ルート", "meeting_point": "東公民館前"}],
        "shifts": [{"route": "east", "date": day, "time": "07:20-08:10", "capacity": 1}],
    }
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    env = {"CHIIKI_DB": database_for(tmp_path, "c")}
    runner = CliRunner()
    assert runner.invoke(main, ["watch", "load", str(path)], env=env).exit_code == 0
    signup = ["watch", "counter-signup", "1", "--consent", "phone", "--name"]
    first = runner.invoke(main, [*signup, "山田 花子"], env=env)
    assert first.exit_code == 0 and "sign-up 1: confirmed on shift 1" in first.output
    second = runner.invoke(main, [*signup, "佐藤"], env=env)
    assert "number 1 on the waitlist" in second.output
    refused = runner.invoke(main, ["watch", "counter-signup", "1", "--name", "x"], env=env)
    assert refused.exit_code == 2  # --consent is required
    roster = runner.invoke(main, ["watch", "roster", "--csv"], env=env)
    assert "山田 花子（窓口・電話）" in roster.output and "佐藤（窓口・電話）" in roster.output
    cancelled = runner.invoke(main, ["watch", "counter-cancel", "1"], env=env)
    assert cancelled.exit_code == 0
    assert "佐藤（窓口・電話） moved up from the waitlist" in cancelled.output
    twice = runner.invoke(main, ["watch", "counter-cancel", "1"], env=env)
    assert twice.exit_code == 2 and "no counter sign-up 1" in twice.output
