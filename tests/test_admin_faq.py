"""The dashboard's よくある質問 pages: staff add, edit and remove entries; the unanswered list."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.runtime import Runtime
from bot.staff.faq import FaqError, check_faq
from bot.storage import open_database
from bot.storage.faq import FaqRepository, UnansweredRepository
from bot.web.admin.faq import UNANSWERED_PAGE_SIZE
from tests.admin_helpers import logged_in_staff, post_form, web_client
from tests.conftest import FakeClock, make_settings
from tests.databases import database_for

HOSTILE = '<script>alert("x")</script>'
ENTRY = {
    "questions": "円卓会議ってなんですか\n円卓会議とは\n",
    "answer_ja": "住民と市が同じテーブルで話し合う場です。",
    "answer_easy": "",
    "answer_en": "A meeting where residents and the city talk as equals.",
    "source": "https://www.city.tomioka.lg.jp/entaku",
}


PACK_FAQ = """
faq:
  - id: since-when
    questions: [条例はいつからですか, いつ施行されたの]
    answer:
      ja: 令和4年（2022年）4月1日から施行されています。
      en: It took effect on 1 April 2022.
    source: https://www.city.example.jp/jorei
"""


@pytest.fixture
def content_dir(content_dir: Path) -> Path:
    """The test pack with an FAQ entry of its own, which the dashboard lists but cannot edit."""
    (content_dir / "testville" / "faq.yaml").write_text(PACK_FAQ, encoding="utf-8")
    return content_dir


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


@pytest.fixture
async def anonymous(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(runtime) as http:
        yield http


@pytest.fixture
async def staff(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_staff(runtime) as http:
        yield http


def faq(runtime: Runtime) -> FaqRepository:
    return FaqRepository(runtime.db)


def unanswered(runtime: Runtime) -> UnansweredRepository:
    return UnansweredRepository(runtime.db)


def field_error(page: httpx.Response, field: str) -> str:
    """The message shown next to a field, or '' when it has none."""
    match = re.search(rf'<p class="error" id="faq-{field}-error">([^<]*)</p>', page.text)
    return html.unescape(match.group(1)) if match else ""


async def test_an_entry_is_added_listed_and_given_to_the_answerer_at_once(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    before = await faq(runtime).version()
    form = await staff.get("/admin/faq/new")
    assert form.status_code == 200 and 'name="answer_ja"' in form.text
    saved = await post_form(staff, "/admin/faq", ENTRY)
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/faq"
    [entry] = await faq(runtime).entries()
    assert entry.questions == ("円卓会議ってなんですか", "円卓会議とは")
    assert entry.answer_en == ENTRY["answer_en"] and entry.answer_easy is None
    assert entry.source == ENTRY["source"]
    assert await faq(runtime).version() != before  # the answerer's cue to reload
    listed = await staff.get("/admin/faq")
    assert "円卓会議ってなんですか" in listed.text and "ほか1通り" in listed.text
    assert "日本語 · 英語" in listed.text  # no easy Japanese given
    pack_part = listed.text.split("コンテンツパックのよくある質問")[1]
    assert "条例はいつからですか" in pack_part and "content/testville/faq.yaml" in pack_part
    assert "/admin/faq/" not in pack_part  # no edit or remove links for the pack's entries
    assert 'aria-current="page">よくある質問' in listed.text
    assert "default-src 'self'" in listed.headers["content-security-policy"]


async def test_an_entry_is_edited_and_the_change_is_seen(
    runtime: Runtime, staff: httpx.AsyncClient, clock: FakeClock
) -> None:
    await post_form(staff, "/admin/faq", ENTRY)
    [entry] = await faq(runtime).entries()
    form = await staff.get(f"/admin/faq/{entry.id}")
    assert "住民と市が同じテーブルで話し合う場です。" in form.text
    assert f'action="/admin/faq/{entry.id}"' in form.text
    before = await faq(runtime).version()
    clock.advance(minutes=5)
    changed = {**ENTRY, "answer_ja": "毎月第2土曜日に開く話し合いの場です。", "source": ""}
    saved = await post_form(staff, f"/admin/faq/{entry.id}", changed)
    assert saved.status_code == 303
    stored = await faq(runtime).get(entry.id)
    assert stored is not None
    assert stored.answer_ja == "毎月第2土曜日に開く話し合いの場です。" and stored.source is None
    assert stored.updated_at == clock.now
    assert await faq(runtime).version() != before


async def test_removing_asks_first_then_removes(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    await post_form(staff, "/admin/faq", ENTRY)
    [entry] = await faq(runtime).entries()
    question = await staff.get(f"/admin/faq/{entry.id}/remove")
    assert question.status_code == 200 and "この質問と答えを削除しますか？" in question.text
    assert await faq(runtime).get(entry.id) is not None  # asking removed nothing
    removed = await post_form(staff, f"/admin/faq/{entry.id}/remove", {})
    assert removed.status_code == 303
    assert await faq(runtime).entries() == []
    assert (await staff.get(f"/admin/faq/{entry.id}")).status_code == 404
    assert (await post_form(staff, f"/admin/faq/{entry.id}/remove", {})).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"questions": " \n \n"}, "questions", "質問を1つ以上入力してください。"),
        (
            {"questions": "\n".join(f"聞き方{n}" for n in range(11))},
            "questions",
            "質問は10通りまでです（今は11通り）。",
        ),
        (
            {"questions": "ごみ\n" + "あ" * 201},
            "questions",
            "2行目の質問が長すぎます（200文字まで、今は201文字）。",
        ),
        ({"answer_ja": "   "}, "answer_ja", "日本語の答えを入力してください。"),
        ({"answer_ja": "あ" * 2001}, "answer_ja", "長すぎます（2000文字まで、今は2001文字）。"),
        ({"answer_en": "a" * 2001}, "answer_en", "長すぎます（2000文字まで、今は2001文字）。"),
        ({"source": "javascript:alert(1)"}, "source", "http:// または https:// で始まるURL"),
        ({"source": "www.city.example.jp"}, "source", "http:// または https:// で始まるURL"),
    ],
)
async def test_a_bad_entry_is_refused_with_the_reason_next_to_its_field(
    runtime: Runtime, staff: httpx.AsyncClient, changes: dict[str, str], field: str, message: str
) -> None:
    page = await post_form(staff, "/admin/faq", {**ENTRY, **changes})
    assert page.status_code == 400
    assert message in field_error(page, field)
    assert f'aria-describedby="faq-{field}-error"' in page.text
    others = {"questions", "answer_ja", "answer_en", "answer_easy", "source"} - {field}
    assert not any(field_error(page, other) for other in others)
    assert await faq(runtime).entries() == []
    # What staff typed is kept in the form, to correct rather than retype.
    other = "answer_ja" if field == "questions" else "questions"
    typed = changes[field].strip().split("\n")[0] or ENTRY[other].split("\n")[0]
    assert html.escape(typed, quote=False) in page.text


async def test_every_bad_field_is_named_at_once_in_the_pages_language(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    await post_form(staff, "/admin/language", {"lang": "en", "back": "/admin/faq"})
    page = await post_form(
        staff, "/admin/faq", {"questions": "", "answer_ja": "", "source": "ftp://x.jp/a"}
    )
    assert page.status_code == 400
    assert field_error(page, "questions") == "Give at least one way residents ask it."
    assert field_error(page, "answer_ja") == "The answer in Japanese is required."
    assert "http:// or https://" in field_error(page, "source")


async def test_an_edit_with_a_bad_field_changes_nothing(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    await post_form(staff, "/admin/faq", ENTRY)
    [entry] = await faq(runtime).entries()
    page = await post_form(staff, f"/admin/faq/{entry.id}", {**ENTRY, "answer_ja": ""})
    assert page.status_code == 400 and field_error(page, "answer_ja")
    assert await faq(runtime).get(entry.id) == entry


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    entry_id = await faq(runtime).add(["a"], "b", None, None, None, runtime.services.clock())
    await unanswered(runtime).record("ごみの日は？", "ja", runtime.services.clock())
    [question] = await unanswered(runtime).latest()
    for path, fields in (
        ("/admin/faq", ENTRY),
        (f"/admin/faq/{entry_id}", ENTRY),
        (f"/admin/faq/{entry_id}/remove", {}),
        (f"/admin/faq/unanswered/{question.id}/dismiss", {}),
    ):
        missing = await staff.post(path, data=fields)
        forged = await staff.post(path, data={**fields, "csrf_token": "forged"})
        assert missing.status_code == forged.status_code == 403, path
    [entry] = await faq(runtime).entries()
    assert entry.answer_ja == "b"
    assert len(await unanswered(runtime).latest()) == 1


async def test_the_faq_pages_need_a_login(runtime: Runtime, anonymous: httpx.AsyncClient) -> None:
    entry_id = await faq(runtime).add(
        ["a"], "秘密の答え", None, None, None, runtime.services.clock()
    )
    await unanswered(runtime).record("住民の質問", "ja", runtime.services.clock())
    for path in (
        "/admin/faq",
        "/admin/faq/new",
        f"/admin/faq/{entry_id}",
        "/admin/faq/unanswered",
    ):
        page = await anonymous.get(path)
        assert page.status_code == 303 and page.headers["location"] == "/admin/login", path
    for path in ("/admin/faq", f"/admin/faq/{entry_id}/remove", "/admin/faq/unanswered/1/dismiss"):
        refused = await anonymous.post(path, data={**ENTRY, "csrf_token": "x"})
        assert refused.status_code == 401, path
        assert "秘密の答え" not in refused.text and "住民の質問" not in refused.text
    assert len(await faq(runtime).entries()) == 1
    assert len(await unanswered(runtime).latest()) == 1


async def test_hostile_text_is_shown_as_text_everywhere(
    runtime: Runtime, staff: httpx.AsyncClient
) -> None:
    hostile = {
        **ENTRY,
        "questions": f'{HOSTILE}\n"><img src=x onerror=alert(1)>',
        "answer_ja": f"{HOSTILE}</textarea><b>太字</b>",
    }
    assert (await post_form(staff, "/admin/faq", hostile)).status_code == 303
    await unanswered(runtime).record(f"{HOSTILE}？", "ja", runtime.services.clock())
    [entry] = await faq(runtime).entries()
    [question] = await unanswered(runtime).latest()
    pages = [
        await staff.get("/admin/faq"),
        await staff.get(f"/admin/faq/{entry.id}"),
        await staff.get(f"/admin/faq/{entry.id}/remove"),
        await staff.get("/admin/faq/unanswered"),
        await staff.get(f"/admin/faq/new?question={question.id}"),
        await post_form(staff, "/admin/faq", {**hostile, "source": "javascript:x"}),
    ]
    for page in pages:
        assert page.status_code in (200, 400), page.url
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, page.url
        assert "</textarea><b>" not in page.text, page.url
        assert "&lt;script&gt;alert(" in page.text, page.url


async def test_the_unanswered_list_shows_text_and_date_never_who_asked(
    runtime: Runtime, staff: httpx.AsyncClient, clock: FakeClock
) -> None:
    residents = runtime.services.residents
    for user in ("U4af4980629aaaaaaaaaaaaaaaaaaaaaaa", "tg-778899"):
        await residents.get_or_create("line", user, "ja", clock.now)
    clock.now = clock.now.replace(hour=8, minute=47)  # 17:47 in Tokyo
    await unanswered(runtime).record("ごみの収集日はいつですか", "ja", clock.now)
    clock.advance(hours=1)
    await unanswered(runtime).record("When is the rubbish collected?", "en", clock.now)
    # Nothing in the table could lead back to a resident.
    row = await runtime.db.fetch_one("SELECT * FROM unanswered_questions")
    assert row is not None and len(tuple(row)) == 4  # id, text, language, asked_at
    page = await staff.get("/admin/faq/unanswered")
    assert page.status_code == 200
    newer, older = page.text.index("When is the rubbish"), page.text.index("ごみの収集日")
    assert newer < older  # newest first
    assert "2026-11-23" in page.text
    assert "17:47" not in page.text and "18:47" not in page.text  # the date only
    for user in ("U4af4980629", "tg-778899"):
        assert user not in page.text
    assert "だれが聞いたかは保存していません。90日たつと自動で消えます。" in page.text
    listed = await staff.get("/admin/faq")
    assert "答えられなかった質問: 2件" in listed.text


async def test_the_same_question_asked_again_is_one_line_with_a_count(
    runtime: Runtime, staff: httpx.AsyncClient, clock: FakeClock
) -> None:
    for _ in range(3):
        await unanswered(runtime).record("市役所の駐車場は無料？", "ja", clock.now)
        clock.advance(minutes=1)
    await unanswered(runtime).record("図書館は何時まで？", "ja", clock.now)
    page = await staff.get("/admin/faq/unanswered")
    assert page.text.count("市役所の駐車場は無料？") == 1
    assert re.search(
        r'市役所の駐車場は無料？</td>\s*<td>[^<]+</td>\s*<td class="num">3</td>', page.text
    )


async def test_add_as_faq_prefills_the_form_and_the_question_leaves_the_list(
    runtime: Runtime, staff: httpx.AsyncClient, clock: FakeClock
) -> None:
    for text in ("えんたくかいぎとは", "えんたくかいぎとは", "図書館は何時まで？"):
        await unanswered(runtime).record(text, "ja", clock.now)
        clock.advance(minutes=1)
    groups = await unanswered(runtime).grouped(10)
    target = next(group for group in groups if group.text == "えんたくかいぎとは")
    listing = await staff.get("/admin/faq/unanswered")
    assert f'href="/admin/faq/new?question={target.id}"' in listing.text
    form = await staff.get(f"/admin/faq/new?question={target.id}")
    assert form.status_code == 200
    assert re.search(r'name="questions"[^>]*>えんたくかいぎとは</textarea>', form.text)
    assert f'name="question_id" value="{target.id}"' in form.text
    saved = await post_form(
        staff,
        "/admin/faq",
        {
            "questions": "えんたくかいぎとは\n円卓会議とは",
            "answer_ja": "住民と市が話し合う場です。",
            "question_id": str(target.id),
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/faq/unanswered"
    [entry] = await faq(runtime).entries()
    assert entry.questions == ("えんたくかいぎとは", "円卓会議とは")
    left = await unanswered(runtime).latest()
    assert [q.text for q in left] == ["図書館は何時まで？"]  # both askings went
    after = await staff.get("/admin/faq/unanswered")
    assert "えんたくかいぎとは" not in after.text and "図書館は何時まで？" in after.text


async def test_a_refused_add_as_faq_keeps_the_question(
    runtime: Runtime, staff: httpx.AsyncClient, clock: FakeClock
) -> None:
    await unanswered(runtime).record("バスの時刻表", "ja", clock.now)
    [question] = await unanswered(runtime).latest()
    page = await post_form(
        staff,
        "/admin/faq",
        {"questions": "バスの時刻表", "answer_ja": "", "question_id": str(question.id)},
    )
    assert page.status_code == 400
    assert f'name="question_id" value="{question.id}"' in page.text
    assert len(await unanswered(runtime).latest()) == 1


async def test_dismiss_removes_a_question_without_adding_anything(
    runtime: Runtime, staff: httpx.AsyncClient, clock: FakeClock
) -> None:
    await unanswered(runtime).record("天気は？", "ja", clock.now)
    await unanswered(runtime).record("税金の払い方", "ja", clock.now)
    first = next(q for q in await unanswered(runtime).latest() if q.text == "天気は？")
    gone = await post_form(staff, f"/admin/faq/unanswered/{first.id}/dismiss", {"page": "1"})
    assert gone.status_code == 303
    assert gone.headers["location"] == "/admin/faq/unanswered?page=1"
    assert [q.text for q in await unanswered(runtime).latest()] == ["税金の払い方"]
    assert await faq(runtime).entries() == []
    again = await post_form(staff, f"/admin/faq/unanswered/{first.id}/dismiss", {})
    assert again.status_code == 404


async def test_the_unanswered_list_is_paginated_newest_first(
    runtime: Runtime, staff: httpx.AsyncClient, clock: FakeClock
) -> None:
    total = 2 * UNANSWERED_PAGE_SIZE + 7
    for n in range(total):
        await unanswered(runtime).record(f"質問その{n:03d}", "ja", clock.now)
        clock.advance(minutes=1)
    first = await staff.get("/admin/faq/unanswered")
    shown = re.findall(r"質問その(\d{3})", first.text)
    assert shown == [f"{n:03d}" for n in range(total - 1, total - 1 - UNANSWERED_PAGE_SIZE, -1)]
    assert (
        "1 / 3 ページ" in first.text
        and 'rel="next" href="/admin/faq/unanswered?page=2"' in first.text
    )
    assert 'rel="prev"' not in first.text
    last = await staff.get("/admin/faq/unanswered?page=3")
    assert re.findall(r"質問その(\d{3})", last.text) == [f"{n:03d}" for n in range(6, -1, -1)]
    assert 'rel="prev" href="/admin/faq/unanswered?page=2"' in last.text
    assert 'rel="next"' not in last.text
    for wrong in ("4", "0", "-1", "abc", "99999999999999999999"):
        assert (await staff.get(f"/admin/faq/unanswered?page={wrong}")).status_code == 404
    # Dismissing the last one on the last page goes back to the page before.
    for question in await unanswered(runtime).grouped(UNANSWERED_PAGE_SIZE, 100):
        response = await post_form(
            staff, f"/admin/faq/unanswered/{question.id}/dismiss", {"page": "3"}
        )
    assert response.headers["location"] == "/admin/faq/unanswered?page=2"


async def test_ids_that_do_not_exist_are_404(runtime: Runtime, staff: httpx.AsyncClient) -> None:
    await faq(runtime).add(["a"], "b", None, None, None, runtime.services.clock())
    huge = "9" * 25
    for path in ("/admin/faq/999", "/admin/faq/999/remove", f"/admin/faq/{huge}", "/admin/faq/0"):
        assert (await staff.get(path)).status_code == 404, path
    for wrong in ("999", "0", "abc", huge):
        page = await staff.get(f"/admin/faq/new?question={wrong}")
        assert page.status_code == 404, wrong
    for path in (
        "/admin/faq/999",
        "/admin/faq/999/remove",
        f"/admin/faq/{huge}/remove",
        "/admin/faq/unanswered/999/dismiss",
        f"/admin/faq/unanswered/{huge}/dismiss",
    ):
        response = await post_form(staff, path, ENTRY)
        assert response.status_code == 404, path
    assert len(await faq(runtime).entries()) == 1


def test_the_checks_clean_what_they_keep() -> None:
    draft = check_faq(
        ["  円卓会議とは \r\n円卓会議とは\n\n円卓\x00会議って？ "],
        " 答え\x07です ",
        "",
        None,
        " https://example.jp/a?b=1 ",
    )
    assert draft.questions == ("円卓会議とは", "円卓会議って？")
    assert draft.answer_ja == "答えです" and draft.answer_en is None
    assert draft.source == "https://example.jp/a?b=1"
    with pytest.raises(FaqError) as refused:
        check_faq(["x"], "y", source="https://")
    assert [p.field for p in refused.value.problems] == ["source"]
    assert "http:// or https://" in str(refused.value)


async def test_removing_and_adding_the_same_count_still_changes_the_version(
    runtime: Runtime, clock: FakeClock
) -> None:
    repository = faq(runtime)
    first = await repository.add(["a"], "b", None, None, None, clock.now)
    await repository.add(["c"], "d", None, None, None, clock.now)
    before = await repository.version()
    await repository.remove(first)
    await repository.add(["e"], "f", None, None, None, clock.now)
    assert await repository.version() != before


def test_the_faq_and_unanswered_commands(tmp_path: Path) -> None:
    env = {"CHIIKI_DB": database_for(tmp_path, "faqcli")}
    runner = CliRunner()
    bad = runner.invoke(
        main,
        ["faq", "add", "--question", "x", "--answer", "y", "--source", "javascript:1"],
        env=env,
    )
    assert bad.exit_code == 2 and "source: a web address starting with http" in bad.output
    added = runner.invoke(
        main,
        [
            *("faq", "add", "--question", "円卓会議とは", "--question", "えんたくかいぎ"),
            *("--answer", "話し合いの場です。", "--answer-en", "A meeting."),
        ],
        env=env,
    )
    assert added.exit_code == 0, added.output
    entry_id = added.output.split()[-1]
    listed = runner.invoke(main, ["faq", "list"], env=env).output
    assert (
        f"{entry_id}\t" in listed
        and "\tja en\t円卓会議とは / えんたくかいぎ\t話し合いの場です。" in listed
    )

    async def residents_asked() -> None:
        db = await open_database(env["CHIIKI_DB"])
        try:
            repository = UnansweredRepository(db)
            for text in ("ごみの日は？", "ごみの日は？", "\x1b[2J\x1b[31m消えろ\x9b0m\nです"):
                await repository.record(text, "ja", datetime.now(UTC))
        finally:
            await db.close()

    asyncio.run(residents_asked())
    shown = runner.invoke(main, ["unanswered", "list"], env=env).output
    assert "\t2\tごみの日は？" in shown
    assert "\x1b" not in shown and "\x9b" not in shown and "[31m消えろ 0m です" in shown
    assert runner.invoke(main, ["faq", "remove", entry_id], env=env).exit_code == 0
    again = runner.invoke(main, ["faq", "remove", entry_id], env=env)
    assert again.exit_code == 2 and "no FAQ entry" in again.output
    assert runner.invoke(main, ["faq", "list"], env=env).output == ""
