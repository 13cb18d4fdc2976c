"""Role boundaries: a district account sees and changes only its districts' items (city-wide
ones read-only), a viewer reads only and exports nothing personal, and editing a URL or a form
field meets the same refusal, because the check is in bot/staff. Each audited staff action
writes its row, from the bot/staff function."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Settings
from bot.runtime import Runtime
from bot.staff import audit as actions
from bot.staff.accounts import StaffAccountError, change_role, remove_account
from bot.staff.actor import StaffActor
from bot.staff.broadcast import BroadcastPlan, queue_notice
from bot.staff.events import EventSpec, cancel_event, create_event
from bot.staff.outcomes import record_outcome
from bot.staff.polls import close_poll, create_poll, list_polls, poll_report
from bot.staff.roles import StaffRoleError
from bot.staff.watch import WatchFile, cancel_shift, export_roster_csv, load_watch
from bot.storage.audit import AuditFilter, AuditRepository
from bot.storage.broadcasts import NewBroadcast
from bot.storage.outcomes import NewOutcome
from bot.storage.staff import StaffRepository
from tests.admin_helpers import STAFF_PASSWORD, csrf_of, staff_clients
from tests.conftest import FakeClock, make_settings
from tests.test_polls import poll_spec

EAST, WEST = "d01", "d02"


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


def actor_of(runtime: Runtime, role: str, *districts: str) -> StaffActor:
    return StaffActor(
        f"{role}-{'-'.join(districts) or 'all'}",
        role,
        frozenset(districts),
        "192.0.2.1",
        AuditRepository(runtime.db),
    )


async def poll_in(runtime: Runtime, clock: FakeClock, district: str | None) -> int:
    admin = actor_of(runtime, "admin")
    spec = poll_spec(clock, district=district)
    poll_id, _ = await create_poll(
        spec, runtime.services.polls, runtime.services.pack, clock.now, actor=admin
    )
    return poll_id


def event_spec(clock: FakeClock, district: str | None) -> EventSpec:
    return EventSpec.model_validate(
        {
            "title": "防災訓練",
            "place": "公民館",
            "starts_at": (clock.now + timedelta(days=5)).isoformat(),
            "district": district,
        }
    )


def watch_file(district: str | None, key: str) -> WatchFile:
    return WatchFile.model_validate(
        {
            "routes": [
                {
                    "id": key,
                    "name": f"{key}通学路",
                    "district": district,
                    "meeting_point": "公民館前",
                }
            ],
            "shifts": [{"route": key, "date": "2026-11-25", "time": "07:20-08:10", "capacity": 2}],
        }
    )


async def test_a_district_account_changes_only_its_districts(
    runtime: Runtime, clock: FakeClock
) -> None:
    services = runtime.services
    east = actor_of(runtime, "district", EAST)
    west_poll = await poll_in(runtime, clock, WEST)
    city_poll = await poll_in(runtime, clock, None)
    east_poll = await poll_in(runtime, clock, EAST)
    for other in (west_poll, city_poll):
        with pytest.raises(StaffRoleError):
            await close_poll(services.polls, other, clock.now, actor=east)
    assert await close_poll(services.polls, east_poll, clock.now, actor=east)
    for district in (WEST, None):
        with pytest.raises(StaffRoleError):
            await create_poll(
                poll_spec(clock, district=district),
                services.polls,
                services.pack,
                clock.now,
                actor=east,
            )
        with pytest.raises(StaffRoleError):
            await create_event(
                event_spec(clock, district), services.events, services.pack, clock.now, actor=east
            )
    # Reading: its own and city-wide polls, never another district's (not even by id).
    listed = {poll.id for poll, _ in await list_polls(services.polls, actor=east)}
    assert listed == {city_poll, east_poll}
    assert await poll_report(services.polls, west_poll, actor=east) is None
    assert await poll_report(services.polls, city_poll, actor=east) is not None


async def test_a_viewer_changes_nothing_and_exports_no_roster(
    runtime: Runtime, clock: FakeClock
) -> None:
    services = runtime.services
    viewer = actor_of(runtime, "viewer")
    poll_id = await poll_in(runtime, clock, None)
    with pytest.raises(StaffRoleError):
        await close_poll(services.polls, poll_id, clock.now, actor=viewer)
    with pytest.raises(StaffRoleError):
        await create_event(
            event_spec(clock, None), services.events, services.pack, clock.now, actor=viewer
        )
    with pytest.raises(StaffRoleError):
        await export_roster_csv(
            services.watch,
            clock.now,
            clock.now + timedelta(days=7),
            None,
            runtime.settings.tz,
            clock.now,
            actor=viewer,
        )
    assert {poll.id for poll, _ in await list_polls(services.polls, actor=viewer)} == {poll_id}
    assert await AuditRepository(runtime.db).entries(AuditFilter(login=viewer.login)) == []


async def test_a_district_account_cannot_load_another_districts_route_or_cancel_its_shift(
    runtime: Runtime, clock: FakeClock
) -> None:
    services = runtime.services
    admin, east = actor_of(runtime, "admin"), actor_of(runtime, "district", EAST)
    with pytest.raises(StaffRoleError):
        await load_watch(
            watch_file(WEST, "west"),
            services.watch,
            services.pack,
            runtime.settings,
            clock.now,
            "w",
            actor=east,
        )
    await load_watch(
        watch_file(WEST, "west"),
        services.watch,
        services.pack,
        runtime.settings,
        clock.now,
        "w",
        actor=admin,
    )
    lines = await services.watch.rosters.lines(clock.now, clock.now + timedelta(days=7), None)
    with pytest.raises(StaffRoleError):
        await cancel_shift(
            services.watch, services.notices, lines[0].shift.id, "雨", clock.now, actor=east
        )
    assert (await services.watch.schedule.shift(lines[0].shift.id)).cancelled_at is None  # type: ignore[union-attr]
    csv = await export_roster_csv(
        services.watch,
        clock.now,
        clock.now + timedelta(days=7),
        None,
        runtime.settings.tz,
        clock.now,
        actor=east,
    )
    assert "west" not in csv and len(csv.splitlines()) == 1


# ---- the dashboard: URLs and form fields edited by hand ----


@pytest.fixture
async def browser_as(
    runtime: Runtime,
) -> AsyncIterator[Callable[[str, str, tuple[str, ...]], Awaitable[httpx.AsyncClient]]]:
    async with staff_clients(runtime) as make:
        yield make


async def test_the_dashboard_refuses_another_districts_poll_by_url_and_by_form_field(
    runtime: Runtime, clock: FakeClock, browser_as: Any
) -> None:
    west_poll = await poll_in(runtime, clock, WEST)
    east_poll = await poll_in(runtime, clock, EAST)
    http = await browser_as("higashi", "district", (EAST,))
    assert (await http.get(f"/admin/polls/{west_poll}")).status_code == 404
    assert (await http.get(f"/admin/polls/{west_poll}/results.csv")).status_code == 404
    assert (await http.get(f"/admin/polls/{west_poll}/results.json")).status_code == 404
    assert (await http.get(f"/admin/polls/{east_poll}")).status_code == 200
    assert (await http.get(f"/admin/polls/{west_poll}/print")).status_code == 404
    sheet = await http.get(f"/admin/polls/{east_poll}/print")
    assert sheet.status_code == 200 and "/static/print.css" in sheet.text
    assert "防災訓練はいつがよいですか" in sheet.text and "<nav>" not in sheet.text
    listing = (await http.get("/admin/polls")).text
    assert f"/admin/polls/{west_poll}" not in listing and f"/admin/polls/{east_poll}" in listing
    token = csrf_of(await http.get("/admin/"))
    closed = await http.post(f"/admin/polls/{west_poll}/close", data={"csrf_token": token})
    assert closed.status_code == 403
    assert (await runtime.services.polls.get(west_poll)).closed_at is None  # type: ignore[union-attr]
    before = len(await runtime.services.polls.all())
    created = await http.post(
        "/admin/polls",
        data={
            "csrf_token": token,
            "question_ja": "次の清掃活動の日は？",
            "choices_ja": "土曜日\n日曜日",
            "closes_at": "2026-12-01T17:00",
            "district": WEST,
        },
    )
    assert created.status_code != 303
    assert len(await runtime.services.polls.all()) == before
    for admin_only in ("/admin/accounts", "/admin/audit", "/admin/audit.csv"):
        assert (await http.get(admin_only)).status_code == 403
    added = await http.post(
        "/admin/accounts",
        data={"csrf_token": token, "login": "x", "password": STAFF_PASSWORD, "role": "admin"},
    )
    assert added.status_code == 403
    assert await StaffRepository(runtime.db).role("x") is None


async def test_a_viewer_in_the_dashboard_reads_but_gets_no_roster_csv(
    runtime: Runtime, clock: FakeClock, browser_as: Any
) -> None:
    http = await browser_as("miru", "viewer", ())
    assert (await http.get("/admin/watch")).status_code == 200
    assert (await http.get("/admin/watch/roster.csv")).status_code == 403


async def test_an_admin_changes_roles_on_the_accounts_page(
    runtime: Runtime, browser_as: Any
) -> None:
    http = await browser_as("kanri", "admin", ())
    token = csrf_of(await http.get("/admin/accounts"))
    added = await http.post(
        "/admin/accounts",
        data={
            "csrf_token": token,
            "login": "higashi",
            "password": STAFF_PASSWORD,
            "role": "district",
            "district": [EAST, WEST],
        },
    )
    assert added.status_code == 303
    role = await StaffRepository(runtime.db).role("higashi")
    assert role is not None and (role.role, role.districts) == ("district", {EAST, WEST})
    refused = await http.post(
        "/admin/accounts/role",
        data={"csrf_token": token, "login": "higashi", "role": "district"},
    )
    assert refused.status_code == 400  # a district account needs a district
    changed = await http.post(
        "/admin/accounts/role", data={"csrf_token": token, "login": "higashi", "role": "viewer"}
    )
    assert changed.status_code == 303
    assert (await StaffRepository(runtime.db).role("higashi")).role == "viewer"  # type: ignore[union-attr]
    page = (await http.get("/admin/accounts")).text
    assert "higashi" in page and "閲覧のみ" in page


# ---- each audited action writes its row ----


async def _create_poll(runtime: Runtime, clock: FakeClock, actor: StaffActor) -> None:
    await create_poll(
        poll_spec(clock, district=EAST),
        runtime.services.polls,
        runtime.services.pack,
        clock.now,
        actor=actor,
    )


async def _close_poll(runtime: Runtime, clock: FakeClock, actor: StaffActor) -> None:
    poll_id = await poll_in(runtime, clock, EAST)
    assert await close_poll(runtime.services.polls, poll_id, clock.now, actor=actor)


async def _create_event(runtime: Runtime, clock: FakeClock, actor: StaffActor) -> None:
    s = runtime.services
    await create_event(event_spec(clock, EAST), s.events, s.pack, clock.now, actor=actor)


async def _cancel_event(runtime: Runtime, clock: FakeClock, actor: StaffActor) -> None:
    s = runtime.services
    admin = actor_of(runtime, "admin")
    event_id = await create_event(
        event_spec(clock, EAST), s.events, s.pack, clock.now, actor=admin
    )
    await cancel_event(s.events, s.notices, event_id, clock.now, actor=actor)


async def _load_route(runtime: Runtime, clock: FakeClock, actor: StaffActor) -> None:
    s = runtime.services
    await load_watch(
        watch_file(EAST, "east"), s.watch, s.pack, runtime.settings, clock.now, "w", actor=actor
    )


async def _cancel_shift(runtime: Runtime, clock: FakeClock, actor: StaffActor) -> None:
    s = runtime.services
    await load_watch(
        watch_file(EAST, "east"),
        s.watch,
        s.pack,
        runtime.settings,
        clock.now,
        "w",
        actor=actor_of(runtime, "admin"),
    )
    lines = await s.watch.rosters.lines(clock.now, clock.now + timedelta(days=7), None)
    await cancel_shift(s.watch, s.notices, lines[0].shift.id, "雨のため", clock.now, actor=actor)


async def _broadcast(runtime: Runtime, clock: FakeClock, actor: StaffActor) -> None:
    notice = NewBroadcast(kind="notice", text_ja="断水のお知らせ", district=EAST)
    plan = BroadcastPlan({"line": 3, "web": 1}, 3, None, None)
    await queue_notice(runtime.broadcasts, notice, plan, clock.now, force=False, actor=actor)


async def _outcome(runtime: Runtime, clock: FakeClock, actor: StaffActor) -> None:
    s = runtime.services
    poll_id = await poll_in(runtime, clock, EAST)
    actors = [s.pack.actors.items[0].id]
    await record_outcome(
        s.outcomes,
        s.notices,
        s.pack,
        NewOutcome("poll", poll_id, "土曜に決まりました", None, None, tuple(actors)),
        clock.now,
        actor=actor,
    )


async def _roster_csv(runtime: Runtime, clock: FakeClock, actor: StaffActor) -> None:
    await export_roster_csv(
        runtime.services.watch,
        clock.now,
        clock.now + timedelta(days=7),
        None,
        runtime.settings.tz,
        clock.now,
        actor=actor,
    )


@pytest.mark.parametrize(
    ("action", "do"),
    [
        (actions.POLL_CREATED, _create_poll),
        (actions.POLL_CLOSED, _close_poll),
        (actions.EVENT_CREATED, _create_event),
        (actions.EVENT_CANCELLED, _cancel_event),
        (actions.WATCH_LOADED, _load_route),
        (actions.SHIFT_CANCELLED, _cancel_shift),
        (actions.BROADCAST_QUEUED, _broadcast),
        (actions.OUTCOME_RECORDED, _outcome),
        (actions.CSV_EXPORTED, _roster_csv),
    ],
)
async def test_each_staff_action_writes_one_row_naming_the_actor(
    runtime: Runtime, clock: FakeClock, action: str, do: Any
) -> None:
    actor = actor_of(runtime, "district", EAST)
    await do(runtime, clock, actor)
    rows = await AuditRepository(runtime.db).entries(AuditFilter(login=actor.login))
    assert [(r.action, r.address) for r in rows] == [(action, "192.0.2.1")]
    assert "雨のため" not in str(rows) and "土曜に決まりました" not in str(rows)


async def test_a_district_account_reads_a_city_wide_voice_but_cannot_answer_it(
    runtime: Runtime, browser_as: Any
) -> None:
    from tests.conftest import Resident
    from tests.test_voices import send_voice

    await send_voice(Resident(runtime), "側溝のふたが外れています", "駅前")
    voices = runtime.services.voices
    assert voices is not None
    (voice,) = await voices.search()
    assert voice.district is None
    http = await browser_as("higashi", "district", (EAST,))
    assert (await http.get(f"/admin/voices/{voice.id}")).status_code == 200
    token = csrf_of(await http.get("/admin/"))
    answered = await http.post(
        f"/admin/voices/{voice.id}/answer", data={"csrf_token": token, "answer": "直します"}
    )
    assert answered.status_code in (400, 403)  # refused (the page shows the reason)
    assert (await voices.get(voice.id)).state.value == "received"  # type: ignore[union-attr]


async def test_the_printable_roster_is_scoped_recorded_and_not_for_viewers(
    runtime: Runtime, clock: FakeClock, browser_as: Any
) -> None:
    s = runtime.services
    admin = actor_of(runtime, "admin")
    for district, key in ((EAST, "east"), (WEST, "west")):
        await load_watch(
            watch_file(district, key),
            s.watch,
            s.pack,
            runtime.settings,
            clock.now,
            "w",
            actor=admin,
        )
    viewer = await browser_as("miru", "viewer", ())
    assert (await viewer.get("/admin/watch/print")).status_code == 403
    east = await browser_as("higashi", "district", (EAST,))
    sheet = await east.get("/admin/watch/print", params={"from": "2026-11-24", "to": "2026-11-26"})
    assert sheet.status_code == 200 and "/static/print.css" in sheet.text
    assert "east通学路" in sheet.text and "west通学路" not in sheet.text
    rows = await AuditRepository(runtime.db).entries(AuditFilter(login="higashi"))
    assert [r.action for r in rows] == [actions.ROSTER_PRINTED, actions.LOGIN]


async def test_a_district_account_cannot_take_another_districts_route_over_by_its_key(
    runtime: Runtime, clock: FakeClock
) -> None:
    s = runtime.services
    admin, east = actor_of(runtime, "admin"), actor_of(runtime, "district", EAST)
    await load_watch(
        watch_file(WEST, "west"), s.watch, s.pack, runtime.settings, clock.now, "w", actor=admin
    )
    # The same key again, now claimed for the east: loading would rewrite the west's route.
    with pytest.raises(StaffRoleError):
        await load_watch(
            watch_file(EAST, "west"), s.watch, s.pack, runtime.settings, clock.now, "w", actor=east
        )
    (route,) = await s.watch.schedule.routes_by_key(["west"])
    assert route.district == WEST


async def test_a_watch_reload_is_one_audit_row_with_its_counts(
    runtime: Runtime, clock: FakeClock
) -> None:
    s = runtime.services
    east = actor_of(runtime, "district", EAST)
    two_routes = WatchFile.model_validate(
        {
            "routes": [
                {"id": key, "name": f"{key}通学路", "district": EAST, "meeting_point": "公民館前"}
                for key in ("east-a", "east-b")
            ],
            "shifts": [
                {"route": key, "date": "2026-11-25", "time": "07:20-08:10", "capacity": 2}
                for key in ("east-a", "east-b")
            ],
        }
    )
    await load_watch(
        two_routes, s.watch, s.pack, runtime.settings, clock.now, "a.yaml", actor=east
    )
    raw = two_routes.model_dump(by_alias=True, exclude_none=True)
    raw["routes"][0]["name"] = {"ja": "新しい名前"}
    raw["shifts"][1]["capacity"] = 5
    changed = WatchFile.model_validate(raw)
    await load_watch(changed, s.watch, s.pack, runtime.settings, clock.now, "b.yaml", actor=east)
    rows = await AuditRepository(runtime.db).entries(AuditFilter(login=east.login))
    assert [(r.action, r.object_kind, r.object_id, r.detail) for r in rows] == [
        (
            actions.WATCH_LOADED,
            "watch",
            "b.yaml",
            "routes added 0 changed 1; shifts added 0 changed 1 unchanged 1; districts d01",
        ),
        (
            actions.WATCH_LOADED,
            "watch",
            "a.yaml",
            "routes added 2 changed 0; shifts added 2 changed 0 unchanged 0; districts d01",
        ),
    ]


async def test_a_broadcast_is_recorded_as_queued_with_the_audience_it_was_queued_for(
    runtime: Runtime, clock: FakeClock
) -> None:
    from tests.conftest import Resident

    await Resident(runtime, "u1").say("こんにちは")  # one web resident, no district yet
    east = actor_of(runtime, "district", EAST)
    notice = NewBroadcast(kind="notice", text_ja="断水のお知らせ", district=None, channel="all")
    stale_plan = BroadcastPlan({"line": 3, "web": 0}, 3, None, None)  # counted earlier
    with pytest.raises(StaffRoleError):  # city-wide: not for a district account
        await queue_notice(
            runtime.broadcasts, notice, stale_plan, clock.now, force=False, actor=east
        )
    admin = actor_of(runtime, "admin")
    broadcast_id = await queue_notice(
        runtime.broadcasts, notice, stale_plan, clock.now, force=False, actor=admin
    )
    (row,) = await AuditRepository(runtime.db).entries(AuditFilter(login=admin.login))
    assert (row.action, row.object_id) == ("broadcast.queued", str(broadcast_id))
    assert row.detail == (
        "district all channel all audience telegram=0 line=0 web=1 line_cost_estimate=0"
    )


async def test_removing_a_faq_entry_and_dismissing_a_question_are_recorded_at_the_given_time(
    runtime: Runtime, clock: FakeClock
) -> None:
    from bot.staff.faq import check_faq, dismiss_unanswered, remove_faq
    from bot.storage.faq import FaqRepository, UnansweredRepository

    admin = actor_of(runtime, "admin")
    faq, unanswered = FaqRepository(runtime.db), UnansweredRepository(runtime.db)
    draft = check_faq(["ごみの日は？"], "月曜日です")
    entry_id = await faq.add(list(draft.questions), draft.answer_ja, None, None, None, clock.now)
    await unanswered.record("駐車場は無料？", "ja", clock.now)
    (question,) = await unanswered.latest()
    clock.advance(days=3)
    assert await remove_faq(faq, entry_id, clock.now, actor=admin)
    assert await dismiss_unanswered(unanswered, question.id, clock.now, actor=admin)
    rows = await AuditRepository(runtime.db).entries(AuditFilter(login=admin.login))
    assert [(r.action, r.at) for r in rows] == [
        (actions.UNANSWERED_DISMISSED, clock.now),
        (actions.FAQ_REMOVED, clock.now),
    ]


async def test_the_last_admin_cannot_be_demoted_or_removed_and_a_demotion_bites_at_once(
    runtime: Runtime, browser_as: Any
) -> None:
    staff = StaffRepository(runtime.db)
    kanri = await browser_as("kanri", "admin", ())
    token = csrf_of(await kanri.get("/admin/accounts"))
    demote_self = {"csrf_token": token, "login": "kanri", "role": "viewer"}
    refused = await kanri.post("/admin/accounts/role", data=demote_self)
    assert refused.status_code == 400 and "only admin" in refused.text
    assert (await staff.role("kanri")).role == "admin"  # type: ignore[union-attr]
    # A district account cannot make itself (or anyone) an admin by posting the form.
    higashi = await browser_as("higashi", "district", (EAST,))
    own_token = csrf_of(await higashi.get("/admin/"))
    grab = {"csrf_token": own_token, "login": "higashi", "role": "admin"}
    assert (await higashi.post("/admin/accounts/role", data=grab)).status_code == 403
    assert (await staff.role("higashi")).role == "district"  # type: ignore[union-attr]
    # With a second admin, kanri may step down, and its open session loses the rights at once.
    promoted = {"csrf_token": token, "login": "higashi", "role": "admin"}
    assert (await kanri.post("/admin/accounts/role", data=promoted)).status_code == 303
    assert (await kanri.post("/admin/accounts/role", data=demote_self)).status_code == 303
    assert (await kanri.get("/admin/accounts")).status_code == 403
    assert (await kanri.get("/admin/audit")).status_code == 403
    # higashi, now the only admin, cannot be removed by anyone (`chiiki staff remove` too).
    with pytest.raises(StaffAccountError, match="only admin"):
        await remove_account(
            staff, "higashi", runtime.services.clock(), actor=actor_of(runtime, "admin")
        )


async def _two_admins(runtime: Runtime) -> StaffRepository:
    staff = StaffRepository(runtime.db)
    for login in ("aoki", "baba"):
        assert await staff.add(login, "x", runtime.services.clock(), "admin")
    assert await staff.add("chiba", "x", runtime.services.clock(), "viewer")
    return staff


def _admin(login: str, runtime: Runtime) -> StaffActor:
    return StaffActor(login, "admin", frozenset(), "192.0.2.1", AuditRepository(runtime.db))


@pytest.mark.parametrize("change", ["demote", "remove"])
async def test_two_admins_demoting_or_removing_each_other_at_once_leave_one_admin(
    runtime: Runtime, change: str
) -> None:
    staff = await _two_admins(runtime)
    now = runtime.services.clock()

    async def act(actor: str, target: str) -> None:
        if change == "demote":
            await change_role(
                staff, target, "viewer", frozenset(), now, actor=_admin(actor, runtime)
            )
        else:
            await remove_account(staff, target, now, actor=_admin(actor, runtime))

    outcomes = await asyncio.gather(
        act("aoki", "baba"), act("baba", "aoki"), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, StaffAccountError)]
    assert len(refused) == 1 and "only admin" in str(refused[0])
    assert outcomes.count(None) == 1
    admins = [r.login for r in await staff.roles() if r.role == "admin"]
    assert len(admins) == 1
    rows = await AuditRepository(runtime.db).entries(AuditFilter())
    assert len(rows) == 1  # only the change that happened is recorded
