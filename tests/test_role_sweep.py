"""Every mounted dashboard route, requested as a district account and as a viewer with the ids
of another district's objects: a refusal (403) or nothing found (404), never a page with the
other district's data and never a 500. The table below must name every route
(bot/web/admin/routes.py, FEATURES), so a new page cannot join the dashboard unchecked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route

from bot.config import Settings
from bot.runtime import Runtime
from bot.staff.actor import StaffActor
from bot.staff.broadcast import plan_broadcast, prepare_notice, queue_notice
from bot.staff.events import EventSpec, create_event
from bot.staff.outcomes import record_outcome
from bot.staff.polls import create_poll
from bot.staff.watch import WatchFile, load_watch
from bot.staff.watch_counter import sign_up_at_counter
from bot.storage.audit import AuditRepository
from bot.storage.faq import FaqRepository, UnansweredRepository
from bot.storage.outcomes import NewOutcome
from bot.storage.staff import StaffRepository
from bot.storage.voices import NewVoice, Photo, VoiceKind
from bot.web.admin.routes import dashboard_routes
from bot.web.admin.site import Site
from tests.admin_helpers import STAFF_PASSWORD, csrf_of, staff_clients
from tests.conftest import FakeClock, make_settings
from tests.test_polls import poll_spec

EAST, WEST = "d01", "d02"
# In every text of the west's objects: a page a district account of the east gets must not
# carry it.
MARK = "WESTMARK"
PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg"


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


@dataclass
class West:
    """Ids of the objects of the west district (and of the city-wide FAQ)."""

    ids: dict[str, int] = field(default_factory=dict)


async def seed_west(runtime: Runtime, clock: FakeClock) -> West:
    s = runtime.services
    admin = StaffActor("kanri", "admin", frozenset(), "192.0.2.1", AuditRepository(runtime.db))
    west = West()
    poll_id, _ = await create_poll(
        poll_spec(clock, district=WEST, question={"ja": f"{MARK} 公園の使い方"}),
        s.polls,
        s.pack,
        clock.now,
        actor=admin,
    )
    west.ids["poll_id"] = poll_id
    event = EventSpec.model_validate(
        {
            "title": f"{MARK} 夏祭り",
            "place": f"{MARK} 公民館",
            "starts_at": (clock.now + timedelta(days=5)).isoformat(),
            "district": WEST,
        }
    )
    west.ids["event_id"] = await create_event(event, s.events, s.pack, clock.now, actor=admin)
    watch = WatchFile.model_validate(
        {
            "routes": [
                {
                    "id": "west",
                    "name": f"{MARK}通学路",
                    "district": WEST,
                    "meeting_point": f"{MARK}前",
                }
            ],
            "shifts": [
                {"route": "west", "date": "2026-11-25", "time": "07:20-08:10", "capacity": 2}
            ],
        }
    )
    await load_watch(watch, s.watch, s.pack, runtime.settings, clock.now, "w", actor=admin)
    (line,) = await s.watch.rosters.lines(clock.now, clock.now + timedelta(days=7), None)
    west.ids["shift_id"] = line.shift.id
    signed = await sign_up_at_counter(
        s.watch, line.shift.id, "西 花子", "counter", clock.now, actor=admin
    )
    west.ids["signup_id"] = signed.signup_id
    resident = await s.residents.get_or_create("web", "west-1", "ja", clock.now)
    await s.residents.set_district(resident.id, WEST, clock.now)
    assert s.voices is not None
    _, voice = await s.voices.send(
        NewVoice(
            resident.id,
            VoiceKind.PROBLEM,
            f"{MARK} 側溝のふたが外れています",
            "ja",
            WEST,
            photo=Photo("image/jpeg", PHOTO),
        ),
        clock.now,
    )
    assert voice is not None
    west.ids["voice_id"] = voice.id
    notice = prepare_notice(
        s.pack, s.catalog, f"{MARK} 断水のお知らせ", None, WEST, "all", actor=admin
    )
    plan = await plan_broadcast(runtime.broadcasts, None, WEST, "all")
    west.ids["broadcast_id"] = await queue_notice(
        runtime.broadcasts, notice, plan, clock.now, force=False, actor=admin
    )
    actors = (s.pack.actors.items[0].id,)
    await record_outcome(
        s.outcomes,
        s.notices,
        s.pack,
        NewOutcome("poll", poll_id, f"{MARK} 土曜に決まりました", None, None, actors),
        clock.now,
        actor=admin,
    )
    # City-wide: the FAQ and the unanswered questions (no district of their own).
    west.ids["entry_id"] = await FaqRepository(runtime.db).add(
        ["ごみの日は？"], "月曜日です", None, None, None, clock.now
    )
    unanswered = UnansweredRepository(runtime.db)
    await unanswered.record("駐車場は無料？", "ja", clock.now)
    west.ids["question_id"] = (await unanswered.latest())[0].id
    return west


def mounted(runtime: Runtime) -> set[tuple[str, str]]:
    site = Site(lambda: runtime)
    found = set()
    for route in dashboard_routes(site):
        assert isinstance(route, Route)
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


FORGED_POLL = {
    "question_ja": "FORGED 質問",
    "choices_ja": "はい\nいいえ",
    "closes_at": "2026-12-01T17:00",
    "district": WEST,
}
FORGED_EVENT = {
    "title_ja": "FORGED 行事",
    "place_ja": "公民館",
    "starts_at": "2026-12-01T17:00",
    "district": WEST,
    "remind_before": "1d",
}
FORGED_WATCH_FILE = (
    "routes:\n  - id: forged\n    name: FORGED\n    district: d02\n    meeting_point: 前\n"
).encode()
FORGED_FAQ = {"questions": "FORGED？", "answer_ja": "FORGED です"}

# What each role gets, per route. "read": 200 (for a district account without the west's
# data); "deny": 403 or 404; a number: exactly that status. `form`: what is posted.
DENY, READ = "deny", "read"


@dataclass(frozen=True)
class Expect:
    district: str | int
    viewer: str | int
    form: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    upload: bool = False


EXPECTED: dict[tuple[str, str], Expect] = {
    ("GET", "/login"): Expect(200, 200),
    ("POST", "/login"): Expect(DENY, DENY),  # without a token: the form has expired
    ("POST", "/logout"): Expect(303, 303, query="skip"),
    ("POST", "/language"): Expect(303, 303, {"lang": "en", "back": "/admin/"}),
    ("GET", "/"): Expect(READ, READ),
    ("GET", "/polls"): Expect(READ, READ),
    ("POST", "/polls"): Expect(DENY, DENY, FORGED_POLL),
    ("POST", "/polls/easy"): Expect(READ, READ, FORGED_POLL),
    ("GET", "/polls/{poll_id:rowid}"): Expect(DENY, READ),
    ("GET", "/polls/{poll_id:rowid}/results.json"): Expect(DENY, READ),
    ("GET", "/polls/{poll_id:rowid}/results.csv"): Expect(DENY, READ),
    ("GET", "/polls/{poll_id:rowid}/print"): Expect(DENY, READ),
    ("POST", "/polls/{poll_id:rowid}/close"): Expect(DENY, DENY),
    ("POST", "/polls/{poll_id:rowid}/paper"): Expect(
        DENY, DENY, {"district": WEST, "ballots": "1", "votes_1": "1"}
    ),
    ("GET", "/watch"): Expect(READ, READ),
    ("POST", "/watch"): Expect(DENY, DENY, upload=True),
    ("GET", "/watch/roster.csv"): Expect(READ, DENY),
    ("GET", "/watch/print"): Expect(READ, DENY, query="from=2026-11-24&to=2026-11-26"),
    ("POST", "/watch/shifts/{shift_id:rowid}/cancel"): Expect(DENY, DENY, {"reason": "雨"}),
    ("POST", "/watch/counter"): Expect(
        DENY, DENY, {"name": "FORGED", "consent": "yes", "via": "counter"}
    ),
    ("POST", "/watch/signups/{signup_id:rowid}/cancel"): Expect(DENY, DENY),
    ("GET", "/events"): Expect(READ, READ),
    ("POST", "/events"): Expect(DENY, DENY, FORGED_EVENT),
    ("POST", "/events/easy"): Expect(READ, READ, FORGED_EVENT),
    ("POST", "/events/{event_id:rowid}/cancel"): Expect(DENY, DENY),
    ("GET", "/outcomes"): Expect(READ, READ),
    ("POST", "/outcomes"): Expect(DENY, DENY, {"decided_ja": "FORGED"}),
    ("POST", "/outcomes/easy"): Expect(READ, READ, {"decided_ja": "FORGED"}),
    ("GET", "/voices"): Expect(READ, READ),
    ("GET", "/voices/{voice_id:rowid}"): Expect(DENY, READ),
    ("GET", "/voices/{voice_id:rowid}/photo"): Expect(DENY, 200),
    ("POST", "/voices/{voice_id:rowid}/state"): Expect(DENY, DENY, {"state": "reviewing"}),
    ("POST", "/voices/{voice_id:rowid}/answer"): Expect(DENY, DENY, {"answer_ja": "FORGED"}),
    ("POST", "/voices/{voice_id:rowid}/publish"): Expect(DENY, DENY, {"published": "1"}),
    ("GET", "/broadcasts"): Expect(READ, READ),
    ("POST", "/broadcasts/preview"): Expect(DENY, DENY, {"text_ja": "FORGED", "district": WEST}),
    ("POST", "/broadcasts"): Expect(DENY, DENY, {"text_ja": "FORGED", "district": WEST}),
    ("GET", "/broadcasts/{broadcast_id:rowid}"): Expect(DENY, READ),
    ("GET", "/broadcasts/{broadcast_id:rowid}/progress.json"): Expect(DENY, READ),
    ("GET", "/faq"): Expect(READ, READ),
    ("POST", "/faq"): Expect(DENY, DENY, FORGED_FAQ),
    ("GET", "/faq/new"): Expect(READ, READ),
    ("GET", "/faq/unanswered"): Expect(READ, READ),
    ("POST", "/faq/unanswered/{question_id:rowid}/dismiss"): Expect(DENY, DENY),
    ("GET", "/faq/{entry_id:rowid}"): Expect(READ, READ),
    ("POST", "/faq/{entry_id:rowid}"): Expect(DENY, DENY, FORGED_FAQ),
    ("GET", "/faq/{entry_id:rowid}/remove"): Expect(READ, READ),
    ("POST", "/faq/{entry_id:rowid}/remove"): Expect(DENY, DENY),
    ("GET", "/districts"): Expect(READ, READ),
    ("POST", "/districts"): Expect(DENY, DENY, {"id": "forged", "name_ja": "偽"}),
    ("GET", "/accounts"): Expect(DENY, DENY),
    ("POST", "/accounts"): Expect(
        DENY, DENY, {"login": "forged", "password": STAFF_PASSWORD, "role": "admin"}
    ),
    ("POST", "/accounts/role"): Expect(DENY, DENY, {"login": "kanri", "role": "viewer"}),
    ("POST", "/accounts/remove"): Expect(DENY, DENY, {"login": "kanri"}),
    ("GET", "/audit"): Expect(DENY, DENY),
    ("GET", "/audit.csv"): Expect(DENY, DENY),
}


def concrete(path: str, west: West) -> str:
    for name, value in west.ids.items():
        path = path.replace(f"{{{name}:rowid}}", str(value))
    assert "{" not in path, f"no id for {path}: add one to seed_west"
    return "/admin" + (path if path != "/" else "/")


@pytest.fixture
async def http_as(runtime: Runtime) -> AsyncIterator[Any]:
    async with staff_clients(runtime) as make:
        yield make


async def test_the_table_names_every_mounted_route(runtime: Runtime) -> None:
    assert mounted(runtime) == set(EXPECTED)


async def state_of(runtime: Runtime, west: West) -> tuple[object, ...]:
    """What a refused change would have altered."""
    s = runtime.services
    assert s.voices is not None
    poll = await s.polls.get(west.ids["poll_id"])
    event = await s.events.get(west.ids["event_id"])
    shift = await s.watch.schedule.shift(west.ids["shift_id"])
    voice = await s.voices.get(west.ids["voice_id"])
    assert poll and event and shift and voice
    return (
        len(await s.polls.all()),
        len(await s.events.all()),
        len(await runtime.broadcasts.history(100)),
        len(await s.outcomes.recent(100)),
        len(await FaqRepository(runtime.db).entries()),
        await UnansweredRepository(runtime.db).count_texts(),
        [r.key for r in await s.watch.schedule.routes_for(WEST)],
        poll.closed_at,
        await s.polls.paper.entries(poll.id),
        event.cancelled_at,
        shift.cancelled_at,
        [
            (line.volunteers, line.waitlist)
            for line in await s.watch.rosters.lines(shift.starts_at, shift.ends_at, None)
        ],
        (voice.state, voice.published),
        [(a.login, a.role) for a in await StaffRepository(runtime.db).roles()],
    )


@pytest.mark.parametrize(
    ("role", "districts"), [("district", (EAST,)), ("viewer", ())], ids=["district", "viewer"]
)
async def test_every_route_refuses_another_districts_objects(
    runtime: Runtime, clock: FakeClock, http_as: Any, role: str, districts: tuple[str, ...]
) -> None:
    west = await seed_west(runtime, clock)
    admin = await http_as("kanri", "admin", ())
    for method, path in EXPECTED:  # the ids are real: an admin reaches each object
        if method == "GET" and "{" in path:
            assert (await admin.get(concrete(path, west))).status_code == 200, path
    http = await http_as("someone", role, districts)
    before = await state_of(runtime, west)
    token = csrf_of(await http.get("/admin/"))
    wrong: list[str] = []
    for (method, path), expect in sorted(EXPECTED.items(), key=lambda item: item[0][0]):
        wanted = expect.district if role == "district" else expect.viewer
        if expect.query == "skip":
            continue
        url = concrete(path, west) + (f"?{expect.query}" if expect.query else "")
        if method == "GET":
            response = await http.get(url)
        else:
            data = {**expect.form, "csrf_token": token} if path != "/login" else {}
            if path == "/outcomes":
                data["subject"] = f"poll:{west.ids['poll_id']}"
                data["next"] = runtime.services.pack.actors.items[0].id
            if path == "/watch/counter":
                data["shift"] = str(west.ids["shift_id"])
            files = {"file": ("forged.yaml", FORGED_WATCH_FILE)} if expect.upload else None
            response = await http.post(url, data=data, files=files)
        status = response.status_code
        leaked = MARK in response.text
        if wanted == DENY:
            ok = status in (403, 404)
        elif wanted == READ:
            ok = status == 200 and (role == "viewer" or not leaked)
        else:
            ok = status == wanted
        if not ok:
            wrong.append(f"{method} {url}: {status}{' with the west data' if leaked else ''}")
    assert not wrong, "\n".join(wrong)
    assert await state_of(runtime, west) == before


# ---- what a district account is offered and shown ----


def district_options(page: str) -> list[str]:
    select = page.split('<select name="district">', 1)[1].split("</select>", 1)[0]
    return [part.split('"', 1)[0] for part in select.split('<option value="')[1:]]


async def test_create_forms_offer_a_district_account_only_its_districts(
    runtime: Runtime, http_as: Any
) -> None:
    east = await http_as("higashi", "district", (EAST, "d03"))
    admin = await http_as("kanri", "admin", ())
    everything = ["", *(d.id for d in runtime.services.pack.districts)]
    for path in ("/admin/polls", "/admin/events", "/admin/broadcasts"):
        assert district_options((await east.get(path)).text) == [EAST, "d03"], path
        assert district_options((await admin.get(path)).text) == everything, path
    # The voices filter: "all" (what it may read) and its own districts.
    assert district_options((await east.get("/admin/voices")).text) == ["", EAST, "d03"]
    refused = await east.get("/admin/voices", params={"district": WEST})
    assert refused.status_code == 403


async def test_a_forged_district_field_is_a_refusal_not_a_form_error(
    runtime: Runtime, http_as: Any
) -> None:
    east = await http_as("higashi", "district", (EAST,))
    token = csrf_of(await east.get("/admin/"))
    for district in (WEST, ""):  # another district, or city-wide
        for path, form in (("/admin/polls", FORGED_POLL), ("/admin/events", FORGED_EVENT)):
            sent = await east.post(path, data={**form, "district": district, "csrf_token": token})
            assert sent.status_code == 403, (path, district)
        notice = {"text_ja": "お知らせ", "district": district, "csrf_token": token}
        for path in ("/admin/broadcasts/preview", "/admin/broadcasts"):
            assert (await east.post(path, data=notice)).status_code == 403, (path, district)
    own = await east.post(
        "/admin/polls", data={**FORGED_POLL, "district": EAST, "csrf_token": token}
    )
    assert own.status_code == 303
    # A district that does not exist stays a mistake in the form.
    unknown = await east.post(
        "/admin/polls", data={**FORGED_POLL, "district": "nowhere", "csrf_token": token}
    )
    assert unknown.status_code == 400


async def test_the_overview_counts_only_a_district_accounts_districts(
    runtime: Runtime, clock: FakeClock, http_as: Any
) -> None:
    residents = runtime.services.residents
    for user, district in (("e1", EAST), ("e2", EAST), ("w1", WEST), ("w2", WEST), ("n1", None)):
        resident = await residents.get_or_create("web", user, "ja", clock.now)
        await residents.set_district(resident.id, district, clock.now)
    west = await seed_west(runtime, clock)  # one more west resident, and a west voice
    assert west.ids
    east = await http_as("higashi", "district", (EAST,))
    page = (await east.get("/admin/")).text
    assert "登録している住民 2人" in page and "第1地区" in page
    assert "第2地区" not in page and "地区未設定" not in page and MARK not in page
    assert "未確認の声が 0件あります" in page  # the west's voice is not counted
    viewer = await http_as("miru", "viewer", ())
    seen = (await viewer.get("/admin/")).text
    assert "登録している住民 6人" in seen and "第2地区" in seen and "地区未設定" in seen
    assert "未確認の声が 1件あります" in seen


async def test_the_voices_list_filters_before_it_caps(
    runtime: Runtime, clock: FakeClock, http_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.web.admin import voices as voice_pages

    voices = runtime.services.voices
    assert voices is not None
    resident = await runtime.services.residents.get_or_create("web", "v", "ja", clock.now)
    await voices.send(
        NewVoice(resident.id, VoiceKind.OPINION, "東の声です", "ja", EAST), clock.now
    )
    for n in range(3):  # newer than the east's: a cap of 2 applied first would hide it
        clock.advance(minutes=1)
        await voices.send(
            NewVoice(resident.id, VoiceKind.OPINION, f"{MARK}{n}", "ja", WEST), clock.now
        )
    monkeypatch.setattr(voice_pages, "SHOWN", 2)
    east = await http_as("higashi", "district", (EAST,))
    page = (await east.get("/admin/voices")).text
    assert "東の声です" in page and MARK not in page


async def test_broadcast_history_shows_a_district_account_its_own_and_city_wide_notices(
    runtime: Runtime, clock: FakeClock, http_as: Any
) -> None:
    from bot.staff.events import cancel_event

    s = runtime.services
    west = await seed_west(runtime, clock)
    admin = StaffActor("kanri", "admin", frozenset(), "192.0.2.1", AuditRepository(runtime.db))
    for district, text in ((None, "市全体のお知らせ"), (EAST, "東のお知らせ")):
        notice = prepare_notice(s.pack, s.catalog, text, None, district, "all", actor=admin)
        plan = await plan_broadcast(runtime.broadcasts, None, district, "all")
        await queue_notice(runtime.broadcasts, notice, plan, clock.now, force=False, actor=admin)
    # A west event's cancellation notice belongs to the west, though it has its own audience.
    await cancel_event(s.events, s.notices, west.ids["event_id"], clock.now, actor=admin)
    east = await http_as("higashi", "district", (EAST,))
    page = (await east.get("/admin/broadcasts")).text
    assert "市全体のお知らせ" in page and "東のお知らせ" in page
    assert MARK not in page and "event_cancelled" not in page and "中止" not in page
    # West's notice, the outcome of its poll, the two above and the cancellation.
    assert len(await runtime.broadcasts.history(10)) == 5


async def test_a_city_wide_voice_shows_a_district_account_only_events_it_may_read(
    runtime: Runtime, clock: FakeClock, http_as: Any
) -> None:
    voices = runtime.services.voices
    assert voices is not None
    await seed_west(runtime, clock)
    resident = await runtime.services.residents.get_or_create("web", "c", "ja", clock.now)
    _, voice = await voices.send(
        NewVoice(resident.id, VoiceKind.OPINION, "市全体の声", "ja", None), clock.now
    )
    assert voice is not None
    east = await http_as("higashi", "district", (EAST,))
    page = await east.get(f"/admin/voices/{voice.id}")
    assert page.status_code == 200 and "市全体の声" in page.text and MARK not in page.text


async def test_a_viewer_is_offered_no_create_form(runtime: Runtime, http_as: Any) -> None:
    viewer = await http_as("miru", "viewer", ())
    for path, action in (
        ("/admin/polls", "/admin/polls"),
        ("/admin/events", "/admin/events"),
        ("/admin/broadcasts", "/admin/broadcasts/preview"),
        ("/admin/districts", "/admin/districts"),
    ):
        page = await viewer.get(path)
        assert page.status_code == 200 and f'action="{action}"' not in page.text, path
    admin = await http_as("kanri", "admin", ())
    assert 'action="/admin/polls"' in (await admin.get("/admin/polls")).text
