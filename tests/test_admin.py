"""The staff dashboard at the request level: who gets in, forms, and what each page does."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml
from click.testing import CliRunner
from starlette.routing import Mount, Route

from bot.cli import main
from bot.config import Settings
from bot.runtime import Runtime
from bot.web import build_web_app
from bot.web.admin.auth import MAX_FAILURES_PER_LOGIN
from bot.web.admin.site import Site, load_admin_texts
from tests.admin_helpers import (
    STAFF_PASSWORD,
    add_staff,
    csrf_of,
    log_in,
    post_form,
    web_client,
)
from tests.conftest import FakeClock, Resident, make_settings
from tests.databases import database_for
from tests.test_watch import WATCH_FILE

TEMPLATES = Path(__file__).resolve().parent.parent / "bot" / "web" / "templates" / "admin"


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


@pytest.fixture
async def anonymous(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(runtime) as http:
        yield http


@pytest.fixture
async def staff(runtime: Runtime, anonymous: httpx.AsyncClient) -> httpx.AsyncClient:
    await add_staff(runtime)
    response = await log_in(anonymous)
    assert response.status_code == 303 and response.headers["location"] == "/admin/"
    return anonymous


def _admin_routes() -> list[tuple[str, str]]:
    """Every (method, path) under /admin but the login page, with ids filled in."""
    from bot.web.admin.routes import dashboard_routes
    from bot.web.admin.site import Site

    found = []
    for route in dashboard_routes(Site(lambda: None)):  # type: ignore[arg-type, return-value]
        assert isinstance(route, Route)
        if route.path == "/login":
            continue
        path = "/admin" + re.sub(r"\{[a-z_]+:rowid\}", "1", route.path)
        found.extend((method, path) for method in sorted(route.methods or ()) if method != "HEAD")
    return found


ADMIN_ROUTES = _admin_routes()


def test_the_dashboard_is_mounted_under_admin(runtime: Runtime) -> None:
    mounts = [r for r in build_web_app(runtime).routes if isinstance(r, Mount)]
    assert "/admin" in [m.path for m in mounts]
    assert len(ADMIN_ROUTES) >= 20


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
async def test_every_admin_route_refuses_an_anonymous_request(
    anonymous: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await anonymous.request(method, path, data={"csrf_token": "x"})
    if method == "GET" and not path.endswith((".json", ".csv")):
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/login"
    else:
        assert response.status_code == 401
    assert "kanri" not in response.text


async def test_a_wrong_password_is_refused_then_rate_limited(
    runtime: Runtime, anonymous: httpx.AsyncClient, clock: FakeClock
) -> None:
    await add_staff(runtime)
    for _ in range(MAX_FAILURES_PER_LOGIN):
        wrong = await log_in(anonymous, password="not-the-password")
        assert wrong.status_code == 401
        assert "ログインIDまたはパスワードが違います" in wrong.text
    # Locked: even the right password is not checked for a while.
    locked = await log_in(anonymous)
    assert locked.status_code == 429
    assert "15分" in locked.text
    assert (await anonymous.get("/admin/")).status_code == 303
    clock.advance(minutes=16)
    assert (await log_in(anonymous)).status_code == 303
    assert (await anonymous.get("/admin/")).status_code == 200


async def test_an_unknown_login_is_refused_like_a_wrong_password(
    runtime: Runtime, anonymous: httpx.AsyncClient
) -> None:
    await add_staff(runtime)
    response = await log_in(anonymous, login="nobody", password=STAFF_PASSWORD)
    assert response.status_code == 401
    assert "ログインIDまたはパスワードが違います" in response.text


async def test_a_login_form_without_its_token_is_refused(
    runtime: Runtime, anonymous: httpx.AsyncClient
) -> None:
    await add_staff(runtime)
    await anonymous.get("/admin/login")
    response = await anonymous.post(
        "/admin/login", data={"login": "kanri", "password": STAFF_PASSWORD}
    )
    assert response.status_code == 403
    assert (await anonymous.get("/admin/")).status_code == 303


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    fields = {
        "question_ja": "公園の名前",
        "choices_ja": "さくら\nもみじ",
        "closes_at": "2026-12-01T17:00",
    }
    missing = await staff.post("/admin/polls", data=fields)
    forged = await staff.post("/admin/polls", data={**fields, "csrf_token": "forged"})
    assert missing.status_code == forged.status_code == 403
    assert await runtime.services.polls.all() == []
    accepted = await post_form(staff, "/admin/polls", fields)
    assert accepted.status_code == 303
    assert len(await runtime.services.polls.all()) == 1


async def test_the_session_cookie_is_httponly_samesite_and_scoped(
    runtime: Runtime, anonymous: httpx.AsyncClient
) -> None:
    await add_staff(runtime)
    response = await log_in(anonymous)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin" in cookie


async def test_logging_out_ends_the_session_on_the_server(
    staff: httpx.AsyncClient,
) -> None:
    saved = dict(staff.cookies)
    assert (await post_form(staff, "/admin/logout", {})).status_code == 303
    assert (await staff.get("/admin/")).status_code == 303
    # The old cookie, replayed, no longer opens anything.
    staff.cookies.update(saved)
    assert (await staff.get("/admin/")).status_code == 303


async def test_the_overview_counts_residents_by_channel_and_district(
    runtime: Runtime, staff: httpx.AsyncClient, clock: FakeClock
) -> None:
    residents = runtime.services.residents
    for n in range(3):
        row = await residents.get_or_create("telegram", f"t{n}", "ja", clock.now)
        await residents.set_district(row.id, "d02", clock.now)
    await residents.get_or_create("line", "U1", "ja", clock.now)
    await residents.mark_unreachable("line", "U1", clock.now)
    page = await staff.get("/admin/")
    assert page.status_code == 200
    assert "登録している住民 4人" in page.text
    # Columns: LINE, Telegram (the unreachable LINE resident is counted apart).
    assert re.search(r'第2地区</td>\s*<td class="num">0</td><td class="num">3</td>', page.text)
    assert "届かなくなった人（ブロック等）: 1人" in page.text
    assert 'aria-current="page">概要' in page.text


async def test_the_english_toggle_switches_the_dashboard(staff: httpx.AsyncClient) -> None:
    await post_form(staff, "/admin/language", {"lang": "en", "back": "/admin/polls"})
    page = await staff.get("/admin/polls")
    assert "New poll" in page.text and '<html lang="en">' in page.text


async def test_a_poll_created_in_the_dashboard_takes_votes_and_reports_them(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    created = await post_form(
        staff,
        "/admin/polls",
        {
            "question_ja": "次の清掃活動の日は？",
            "question_en": "When should the next clean-up be?",
            "choices_ja": "土曜日\n日曜日\n",
            "choices_en": "Saturday\nSunday",
            "closes_at": "2026-12-01T17:00",
            "district": "",
        },
    )
    assert created.status_code == 303
    poll_id = int(created.headers["location"].rsplit("/", 1)[1])
    poll = await runtime.services.polls.get(poll_id)
    assert poll is not None
    assert [c.label_en for c in poll.choices] == ["Saturday", "Sunday"]
    # 17:00 in Tokyo is 08:00 UTC.
    assert poll.closes_at.isoformat() == "2026-12-01T08:00:00+00:00"
    for n in range(3):
        voter = Resident(runtime, f"v{n}")
        await voter.say("/polls")
        await voter.tap_card("1. 次の清掃活動の日は？")
        await voter.tap("日曜日" if n else "土曜日")
    results = (await staff.get(f"/admin/polls/{poll_id}/results.json")).json()
    assert results == {"ballots": 3, "counts": {"1": 1, "2": 2}, "paper_ballots": 0, "open": True}
    page = await staff.get(f"/admin/polls/{poll_id}")
    assert 'data-position="2"' in page.text and "width: 66.7%" in page.text
    exported = await staff.get(f"/admin/polls/{poll_id}/results.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.content.decode("utf-8-sig").splitlines()
    # Three ballots from residents without a district: merged into "other", nobody exposed.
    assert lines[0] == "choice,label,counted,total,other" and lines[7] == "2,日曜日,all,2,2"
    closed = await post_form(staff, f"/admin/polls/{poll_id}/close", {})
    assert closed.status_code == 303
    assert (await staff.get(f"/admin/polls/{poll_id}/results.json")).json()["open"] is False


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"closes_at": "2026-11-01T10:00"}, "closes_at", "今より後の日時を選んでください。"),
        ({"choices_ja": "ひとつだけ"}, "choices_ja", "2個以上入力してください（1行に1つ）。"),
        ({"question_ja": "質" * 301}, "question_ja", "長すぎます（300文字まで）。"),
        ({"district": "atlantis"}, "district", "入力内容が正しくありません。"),
        ({"closes_at": "soon"}, "closes_at", "日付と時刻を選んでください。"),
        ({"choices_en": "only one"}, "choices_en", "英語の選択肢は、日本語と同じ数だけ"),
    ],
)
async def test_a_bad_poll_form_says_why_next_to_the_field_and_creates_nothing(
    runtime: Runtime, staff: httpx.AsyncClient, fields: dict[str, str], field: str, message: str
) -> None:
    good = {
        "question_ja": "質問",
        "choices_ja": "はい\nいいえ",
        "closes_at": "2026-12-01T17:00",
    }
    response = await post_form(staff, "/admin/polls", {**good, **fields})
    assert response.status_code == 400
    said = re.search(f'<p class="error field-error" id="{field}-error">([^<]*)</p>', response.text)
    assert said is not None and message in html.unescape(said.group(1))
    assert f'aria-describedby="{field}-error"' in response.text or field == "district"
    assert "should" not in response.text and "List" not in response.text  # no pydantic English
    assert await runtime.services.polls.all() == []


async def test_form_errors_follow_the_page_language(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    await post_form(staff, "/admin/language", {"lang": "en", "back": "/admin/events"})
    response = await post_form(
        staff,
        "/admin/events",
        {
            "title_ja": "会議",
            "place_ja": "公民館",
            "starts_at": "2026-12-01T17:00",
            "remind_before": "tomorrow",
        },
    )
    assert response.status_code == 400
    assert "Write them like 1d, 3h, 30m, separated by commas." in html.unescape(response.text)
    assert await runtime.services.events.all() == []


async def test_an_upload_loads_the_watch_file_and_a_shift_is_cancelled_with_a_reason(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    text = yaml.safe_dump(WATCH_FILE, allow_unicode=True).encode()
    token = csrf_of(await staff.get("/admin/watch"))
    loaded = await staff.post(
        "/admin/watch",
        data={"csrf_token": token},
        files={"file": ("routes.yaml", text, "text/yaml")},
    )
    assert loaded.status_code == 200
    assert "当番を6件追加" in loaded.text
    row = await runtime.services.residents.get_or_create(
        "web", "vol", "ja", runtime.services.clock()
    )
    await runtime.services.residents.give_consent(row.id, "山田", runtime.services.clock())
    await runtime.services.watch.signups.sign_up(1, row.id, runtime.services.clock())
    page = await staff.get("/admin/watch")
    assert "山田" in page.text and "4 / 5" in page.text
    roster = (await staff.get("/admin/watch/roster.csv")).content.decode("utf-8-sig")
    assert "山田" in roster.splitlines()[1]
    no_reason = await post_form(staff, "/admin/watch/shifts/1/cancel", {"reason": ""})
    assert no_reason.status_code == 400
    assert (await runtime.services.watch.schedule.shift(1)).cancelled_at is None  # type: ignore[union-attr]
    cancelled = await post_form(staff, "/admin/watch/shifts/1/cancel", {"reason": "雨のため"})
    assert cancelled.status_code == 303
    shift = await runtime.services.watch.schedule.shift(1)
    assert shift is not None and shift.cancel_reason == "雨のため"
    (notice,) = await runtime.broadcasts.history(10)
    await runtime.delivery.deliver_until_settled(notice.id)
    mailbox = await runtime.mailbox.take("web", "vol", runtime.services.clock())
    assert len(mailbox) == 1 and "雨のため" in mailbox[0]


async def test_a_bad_upload_names_the_problem(staff: httpx.AsyncClient) -> None:
    token = csrf_of(await staff.get("/admin/watch"))
    response = await staff.post(
        "/admin/watch",
        data={"csrf_token": token},
        files={"file": ("routes.yaml", b"routes: []\n", "text/yaml")},
    )
    assert response.status_code == 400
    assert "routes.yaml: routes" in response.text


async def test_events_are_created_listed_with_reminders_and_cancelled(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    created = await post_form(
        staff,
        "/admin/events",
        {
            "title_ja": "第3回 地域づくり協議会",
            "place_ja": "富岡市役所 3階",
            "starts_at": "2026-12-05T14:00",
            "remind_before": "1d, 1h",
        },
    )
    assert created.status_code == 303
    page = await staff.get("/admin/events")
    assert "第3回 地域づくり協議会" in page.text
    assert page.text.count("予定</span>") == 2
    (event,) = await runtime.services.events.all()
    assert (await post_form(staff, f"/admin/events/{event.id}/cancel", {})).status_code == 303
    assert (await runtime.services.events.get(event.id)).cancelled_at is not None  # type: ignore[union-attr]
    assert (await staff.get("/admin/events")).text.count("取消</span>") == 2


async def test_a_broadcast_shows_its_audience_then_sends_and_reports_progress(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    for n in range(3):
        await Resident(runtime, f"w{n}").say("/start")
    preview = await post_form(
        staff, "/admin/broadcasts/preview", {"text_ja": "断水のお知らせ", "channel": "all"}
    )
    assert preview.status_code == 200
    assert 'data-audience="web">3<' in preview.text
    # Staff see each language as residents get it, the automatic heading included.
    shown = html.unescape(preview.text)
    assert (
        '<pre class="message" lang="ja" data-language="ja">【富岡市からのお知らせ】\n断水' in shown
    )
    assert 'data-language="easy">【' in shown
    assert "英語の本文がないため" in shown
    assert await runtime.broadcasts.history(10) == []  # a preview sends nothing
    sent = await post_form(
        staff, "/admin/broadcasts", {"text_ja": "断水のお知らせ", "channel": "all"}
    )
    assert sent.status_code == 303
    broadcast_id = int(sent.headers["location"].rsplit("/", 1)[1])
    for _ in range(100):
        progress = (await staff.get(f"/admin/broadcasts/{broadcast_id}/progress.json")).json()
        if progress["percent"] == 100:
            break
        await asyncio.sleep(0.05)
    # Web chat residents see it at their next visit: waiting in the chat, not delivered.
    assert (progress["in_chat"], progress["sent"], progress["total"]) == (3, 0, 3)
    history = await staff.get("/admin/broadcasts")
    assert "断水のお知らせ" in history.text
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", history.text, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[2] == "お知らせ" and cells[4:6] == ["0", "3"]


async def test_an_empty_broadcast_is_refused_with_a_reason(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    response = await post_form(staff, "/admin/broadcasts", {"text_ja": "  ", "channel": "all"})
    assert response.status_code == 400
    assert (
        '<p class="error field-error" id="text_ja-error">入力してください。</p>' in response.text
    )
    assert await runtime.broadcasts.history(10) == []


async def test_an_unknown_id_is_a_404_page(staff: httpx.AsyncClient) -> None:
    assert (await staff.get("/admin/polls/999")).status_code == 404
    assert (await staff.get("/admin/broadcasts/999/progress.json")).status_code == 404


def test_every_dashboard_text_exists_in_japanese_and_english() -> None:
    texts = load_admin_texts()
    # `en_one` is English's singular ("1 answer") beside the plural.
    assert all(
        {"ja", "en"} <= set(entry) <= {"ja", "en", "en_one"} and all(entry.values())
        for entry in texts.values()
    )
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z_.]+)'", template.read_text(encoding="utf-8")))
    prefixes = {key for key in used if key.endswith(".")}
    assert not (used - prefixes) - set(texts), "used in templates but missing from texts.yaml"
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in texts)


def test_staff_add_reads_the_password_and_refuses_short_ones(tmp_path: Path) -> None:
    env = {"CHIIKI_DB": database_for(tmp_path, "staff")}
    runner = CliRunner()
    short = runner.invoke(main, ["staff", "add", "kanri"], input="short\n", env=env)
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    added = runner.invoke(main, ["staff", "add", "kanri"], input=STAFF_PASSWORD + "\n", env=env)
    assert added.exit_code == 0, added.output
    again = runner.invoke(main, ["staff", "add", "kanri"], input=STAFF_PASSWORD + "\n", env=env)
    assert again.exit_code == 2 and "already exists" in again.output
    listed = runner.invoke(main, ["staff", "list"], env=env)
    assert listed.output.split() == ["kanri", "admin"]
    assert runner.invoke(main, ["staff", "remove", "kanri"], env=env).exit_code == 0
    assert runner.invoke(main, ["staff", "list"], env=env).output.split() == []
    bad = runner.invoke(main, ["staff", "add", "bad name!"], input="x" * 12 + "\n", env=env)
    assert bad.exit_code == 2


async def test_an_outcome_is_recorded_and_the_voters_told(
    runtime: Runtime, staff: httpx.AsyncClient, clock: FakeClock
) -> None:
    from tests.test_polls import new_poll

    poll_id = await new_poll(runtime, clock)
    voter = Resident(runtime, "voter")
    await voter.say("/polls")
    await voter.tap_card("1. 防災訓練はいつがよいですか")
    await voter.tap("土曜")
    page = await staff.get("/admin/outcomes")
    assert f'value="poll:{poll_id}"' in page.text and 'value="groups"' in page.text
    refused = await post_form(
        staff, "/admin/outcomes", {"subject": f"poll:{poll_id}", "decided_ja": "土曜に実施"}
    )
    assert refused.status_code == 400 and "--next" not in refused.text
    assert '<p class="error field-error" id="next-error">次に動く人を1つ以上選んでください。' in (
        refused.text
    )
    assert await runtime.services.outcomes.recent() == []
    recorded = await post_form(
        staff,
        "/admin/outcomes",
        {"subject": f"poll:{poll_id}", "decided_ja": "土曜に実施", "next": ["groups", "city"]},  # type: ignore[dict-item]
    )
    assert recorded.status_code == 303
    assert recorded.headers["location"].startswith("/admin/broadcasts/")
    (outcome,) = await runtime.services.outcomes.recent()
    assert outcome.next_actors == ("groups", "city") and outcome.decided_ja == "土曜に実施"
    assert "土曜に実施" in (await staff.get("/admin/outcomes")).text


async def test_staff_preview_what_easy_readers_get_before_anything_is_sent(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    poll = {"question_ja": "防災訓練はいつがよいですか", "choices_ja": "土曜\n日曜"}
    preview = await post_form(staff, "/admin/polls/easy", poll)
    assert preview.status_code == 200
    assert "防災訓練（ぼうさいくんれん）はいつがよいですか" in preview.text
    assert 'value="防災訓練はいつがよいですか"' in preview.text  # the form keeps what was typed
    assert await runtime.services.polls.all() == []  # a preview creates nothing
    event = {"title_ja": "円卓会議", "place_ja": "富岡公民館"}
    preview = await post_form(staff, "/admin/events/easy", event)
    assert "円卓会議（えんたくかいぎ）" in preview.text
    assert "富岡公民館（とみおかこうみんかん）" in preview.text
    assert await runtime.services.events.all() == []
    outcome = {"decided_ja": "開館時間を延長します。"}
    preview = await post_form(staff, "/admin/outcomes/easy", outcome)
    assert "開館時間（かいかんじかん）" in preview.text
    written = {"decided_ja": "開館時間を延長します。", "decided_easy": "よる 8時まで あけます。"}
    preview = await post_form(staff, "/admin/outcomes/easy", written)
    assert "よる 8時まで あけます。" in preview.text and "（かいかんじかん）" not in preview.text
    notice = {"text_ja": "断水のお知らせ", "channel": "all"}
    preview = await post_form(staff, "/admin/broadcasts/preview", notice)
    assert "断水（だんすい）のお知らせ" in preview.text


def test_english_counts_say_one_answer_and_two_answers() -> None:
    site = Site(lambda: None)  # type: ignore[arg-type,return-value]
    english, japanese = site.t("en"), site.t("ja")
    assert english("polls.answers", count=1) == "1 answer"
    assert english("polls.answers", count=2) == "2 answers"
    assert english("overview.residents", count=1) == "1 resident"
    assert japanese("polls.answers", count=1) == "回答 1件"


def test_no_table_header_is_left_empty() -> None:
    for template in TEMPLATES.glob("*.html"):
        assert "<th></th>" not in template.read_text(encoding="utf-8"), template.name
