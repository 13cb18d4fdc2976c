"""Paper ballots (紙・窓口, issue 25): staff enter the counts of paper ballots for a poll; each
staff member's entry for a district stands apart and a correction replaces it; results show
online, paper and both, with small districts merged; every entry is in the audit log."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.runtime import Runtime
from bot.staff import audit as actions
from bot.staff.actor import StaffActor
from bot.staff.paper_ballots import (
    PAPER_GRACE,
    PaperBallotError,
    PaperForm,
    paper_entries,
    record_paper_ballots,
)
from bot.staff.polls import close_poll, create_poll, list_polls, poll_report
from bot.staff.roles import StaffRoleError
from bot.storage import open_database
from bot.storage.audit import AuditFilter, AuditRepository
from bot.storage.paper_ballots import PaperEntry
from bot.storage.polls import PollRepository
from tests.admin_helpers import csrf_of, post_form, staff_clients
from tests.conftest import FakeClock, Resident, make_settings
from tests.databases import INTEGRITY_ERRORS, database_for
from tests.test_polls import poll_spec

EAST, WEST = "d01", "d02"


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


def actor_of(runtime: Runtime, login: str, role: str = "admin", *districts: str) -> StaffActor:
    return StaffActor(login, role, frozenset(districts), "192.0.2.1", AuditRepository(runtime.db))


async def new_poll(
    runtime: Runtime, clock: FakeClock, district: str | None = None, **fields: Any
) -> int:
    spec = poll_spec(clock, district=district, **fields)
    poll_id, _ = await create_poll(
        spec,
        runtime.services.polls,
        runtime.services.pack,
        clock.now,
        actor=actor_of(runtime, "kanri"),
    )
    return poll_id


async def enter(
    runtime: Runtime,
    clock: FakeClock,
    actor: StaffActor,
    poll_id: int,
    district: str | None,
    ballots: int,
    votes: dict[int, int],
) -> Any:
    return await record_paper_ballots(
        runtime.services.polls,
        runtime.services.pack,
        poll_id,
        PaperForm(district, ballots, votes),
        clock.now,
        actor=actor,
    )


async def vote_online(runtime: Runtime, clock: FakeClock, poll_id: int, *votes: Any) -> None:
    """(district, choice) for each resident voting online."""
    residents, polls = runtime.services.residents, runtime.services.polls
    for n, (district, choice) in enumerate(votes):
        person = await residents.get_or_create("web", f"v{poll_id}-{n}", "ja", clock.now)
        await polls.vote(poll_id, person.id, district, frozenset({choice}), clock.now)


async def test_an_entry_counts_apart_from_online_ballots_and_in_the_total(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    await vote_online(runtime, clock, poll_id, *[(EAST, 1)] * 6)
    tanaka = actor_of(runtime, "tanaka", "district", EAST)
    recorded = await enter(runtime, clock, tanaka, poll_id, EAST, 12, {1: 5, 2: 7})
    assert recorded.earlier is None and not recorded.after_close
    assert recorded.entry.votes == {1: 5, 2: 7, 3: 0}
    report = await poll_report(runtime.services.polls, poll_id, actor=tanaka)
    assert report is not None
    assert (report.counted.online.ballots, report.counted.paper.ballots) == (6, 12)
    assert report.tally.ballots == 18 and report.tally.counts == {1: 11, 2: 7}
    east = report.by_district[EAST]
    assert (east.online.ballots, east.paper.ballots, east.total.counts[2]) == (6, 12, 7)
    # The online running counts are untouched.
    assert (await runtime.services.polls.tally(poll_id)).ballots == 6
    listed = await list_polls(runtime.services.polls, actor=tanaka)
    assert [ballots for poll, ballots in listed if poll.id == poll_id] == [18]


async def test_a_correction_replaces_the_staff_members_own_entry(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    tanaka = actor_of(runtime, "tanaka", "district", EAST)
    await enter(runtime, clock, tanaka, poll_id, EAST, 12, {1: 5, 2: 7})
    clock.advance(minutes=5)
    corrected = await enter(runtime, clock, tanaka, poll_id, EAST, 10, {1: 4, 2: 6})
    assert corrected.earlier is not None and corrected.earlier.ballots == 12
    tally = await runtime.services.polls.paper.tally(poll_id)
    assert tally.ballots == 10 and tally.counts == {1: 4, 2: 6}
    (entry,) = await paper_entries(runtime.services.polls, poll_id, actor=tanaka)  # type: ignore[misc]
    assert (entry.entered_by, entry.ballots, entry.entered_at) == ("tanaka", 10, clock.now)


async def test_entries_of_two_staff_members_add_up_and_each_sees_their_own(
    runtime: Runtime, clock: FakeClock
) -> None:
    polls = runtime.services.polls
    poll_id = await new_poll(runtime, clock)
    tanaka = actor_of(runtime, "tanaka", "district", EAST)
    suzuki = actor_of(runtime, "suzuki", "district", EAST, WEST)
    admin = actor_of(runtime, "kanri")
    await enter(runtime, clock, tanaka, poll_id, EAST, 12, {1: 5, 2: 7})
    await enter(runtime, clock, suzuki, poll_id, EAST, 3, {3: 3})
    await enter(runtime, clock, suzuki, poll_id, WEST, 8, {1: 8})
    await enter(runtime, clock, suzuki, poll_id, WEST, 9, {1: 9})  # corrected: replaces
    by_district = await polls.paper.tally_by_district(poll_id)
    assert by_district[EAST].ballots == 15 and by_district[EAST].counts == {1: 5, 2: 7, 3: 3}
    assert by_district[WEST].ballots == 9
    assert (await polls.paper.tally(poll_id)).ballots == 24
    own = await paper_entries(polls, poll_id, actor=tanaka)
    assert [(e.entered_by, e.district) for e in own or []] == [("tanaka", EAST)]
    everyone = await paper_entries(polls, poll_id, actor=admin)
    assert [(e.entered_by, e.district, e.ballots) for e in everyone or []] == [
        ("suzuki", EAST, 3),
        ("suzuki", WEST, 9),
        ("tanaka", EAST, 12),
    ]


@pytest.mark.parametrize(
    ("ballots", "votes", "field", "reason"),
    [
        (-1, {}, "ballots", "range"),
        (100_001, {1: 100_001}, "ballots", "range"),
        (5, {4: 5}, "votes", "unknown_choice"),
        (5, {1: -1, 2: 6}, "votes_1", "votes_range"),
        (5, {1: 6}, "votes_1", "votes_range"),
        (5, {1: 2, 2: 2}, "votes", "single_sum"),  # one paper missing from the choices
    ],
)
async def test_counts_that_do_not_hold_together_are_refused_and_nothing_is_stored(
    runtime: Runtime,
    clock: FakeClock,
    ballots: int,
    votes: dict[int, int],
    field: str,
    reason: str,
) -> None:
    poll_id = await new_poll(runtime, clock)
    with pytest.raises(PaperBallotError) as refused:
        await enter(runtime, clock, actor_of(runtime, "kanri"), poll_id, EAST, ballots, votes)
    assert (refused.value.field, refused.value.reason) == (field, reason)
    assert await runtime.services.polls.paper.entries(poll_id) == []
    audited = await AuditRepository(runtime.db).entries(AuditFilter(action="poll.paper_ballots"))
    assert audited == []


async def test_a_multiple_choice_poll_takes_several_marks_a_ballot_but_at_least_one(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock, multiple=True)
    admin = actor_of(runtime, "kanri")
    await enter(runtime, clock, admin, poll_id, None, 4, {1: 4, 2: 3, 3: 1})
    tally = await runtime.services.polls.paper.tally(poll_id)
    assert tally.ballots == 4 and tally.counts == {1: 4, 2: 3, 3: 1}
    with pytest.raises(PaperBallotError) as refused:
        await enter(runtime, clock, admin, poll_id, None, 4, {1: 1, 2: 1})
    assert refused.value.reason == "multiple_sum"


async def test_the_database_itself_never_holds_more_votes_than_paper_ballots(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    await runtime.services.polls.paper.replace(
        PaperEntry(poll_id, "tanaka", EAST, 3, {1: 3}, clock.now)
    )
    with pytest.raises(INTEGRITY_ERRORS):
        await runtime.services.polls.paper.replace(
            PaperEntry(poll_id, "tanaka", EAST, 3, {1: 4}, clock.now)
        )
    with pytest.raises(INTEGRITY_ERRORS):  # a choice the poll does not have
        await runtime.services.polls.paper.replace(
            PaperEntry(poll_id, "tanaka", EAST, 3, {9: 1}, clock.now)
        )
    for sql in (
        "UPDATE paper_tallies SET ballots = 2",
        "UPDATE paper_tally_votes SET votes = 4",
        "UPDATE paper_tallies SET ballots = -1",
    ):
        with pytest.raises(INTEGRITY_ERRORS):
            await runtime.db.execute(sql)
    # The refused replacements rolled back whole: the first entry stands.
    assert (await runtime.services.polls.paper.tally(poll_id)).counts == {1: 3}


async def test_a_district_account_enters_only_for_its_districts_and_a_viewer_never(
    runtime: Runtime, clock: FakeClock
) -> None:
    east = actor_of(runtime, "tanaka", "district", EAST)
    viewer = actor_of(runtime, "miru", "viewer")
    city_poll = await new_poll(runtime, clock)
    west_poll = await new_poll(runtime, clock, WEST)
    east_poll = await new_poll(runtime, clock, EAST)
    # Another district's poll: as if it did not exist.
    assert await enter(runtime, clock, east, west_poll, WEST, 1, {1: 1}) is None
    assert await enter(runtime, clock, east, west_poll, EAST, 1, {1: 1}) is None
    for district in (WEST, None):  # a city-wide poll, but another district or none
        with pytest.raises(StaffRoleError):
            await enter(runtime, clock, east, city_poll, district, 1, {1: 1})
    with pytest.raises(StaffRoleError):
        await enter(runtime, clock, viewer, city_poll, EAST, 1, {1: 1})
    assert await paper_entries(runtime.services.polls, city_poll, actor=viewer) == []
    await enter(runtime, clock, east, city_poll, EAST, 1, {1: 1})
    await enter(runtime, clock, east, east_poll, EAST, 1, {1: 1})
    # A district poll's paper ballots are its district's, whoever enters them.
    with pytest.raises(PaperBallotError) as refused:
        await enter(runtime, clock, actor_of(runtime, "kanri"), east_poll, WEST, 1, {1: 1})
    assert refused.value.reason == "poll_district"
    with pytest.raises(PaperBallotError) as refused:
        await enter(runtime, clock, actor_of(runtime, "kanri"), city_poll, "atlantis", 1, {1: 1})
    assert refused.value.reason == "unknown_district"
    assert (await runtime.services.polls.paper.tally(west_poll)).ballots == 0
    assert (await runtime.services.polls.paper.tally(city_poll)).ballots == 1


async def test_each_entry_is_audited_with_the_staff_name_and_counts(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    tanaka = actor_of(runtime, "tanaka", "district", EAST)
    await enter(runtime, clock, tanaka, poll_id, EAST, 12, {1: 5, 2: 7})
    clock.advance(minutes=1)
    await enter(runtime, clock, tanaka, poll_id, EAST, 10, {1: 4, 2: 6})
    rows = await AuditRepository(runtime.db).entries(AuditFilter(login="tanaka"))
    assert [(r.action, r.object_kind, r.object_id, r.address) for r in rows] == [
        (actions.POLL_PAPER_BALLOTS, "poll", str(poll_id), "192.0.2.1")
    ] * 2
    assert rows[0].detail == f"district {EAST}: 10 ballots (1=4 2=6 3=0); replaces 12"
    assert rows[1].detail == f"district {EAST}: 12 ballots (1=5 2=7 3=0)"


async def test_entries_are_taken_after_closing_for_a_while_and_say_so(
    runtime: Runtime, clock: FakeClock
) -> None:
    admin = actor_of(runtime, "kanri")
    poll_id = await new_poll(runtime, clock)
    assert await close_poll(runtime.services.polls, poll_id, clock.now, actor=admin)
    clock.advance(days=2)
    recorded = await enter(runtime, clock, admin, poll_id, EAST, 2, {2: 2})
    assert recorded.after_close
    (row,) = await AuditRepository(runtime.db).entries(AuditFilter(action="poll.paper_ballots"))
    assert row.detail is not None and row.detail.endswith("; after close")
    clock.advance(days=PAPER_GRACE.days)
    with pytest.raises(PaperBallotError) as refused:
        await enter(runtime, clock, admin, poll_id, EAST, 3, {2: 3})
    assert refused.value.reason == "too_late"
    assert (await runtime.services.polls.paper.tally(poll_id)).ballots == 2


async def test_results_and_csv_show_online_paper_and_total_with_small_districts_merged(
    runtime: Runtime, clock: FakeClock
) -> None:
    admin = actor_of(runtime, "kanri")
    polls = runtime.services.polls
    poll_id = await new_poll(runtime, clock)
    # d01: 6 online, 5 paper (both shown); d02: 30 online but only 2 on paper (its whole row
    # is merged, or the total minus the online count would show those two papers); d03: 5
    # paper only (shown); no district: 1 online.
    await vote_online(runtime, clock, poll_id, *[(EAST, 1)] * 6, *[(WEST, 2)] * 30, (None, 3))
    await enter(runtime, clock, admin, poll_id, EAST, 5, {1: 2, 2: 3})
    await enter(runtime, clock, admin, poll_id, WEST, 2, {3: 2})
    await enter(runtime, clock, admin, poll_id, "d03", 5, {3: 5})
    report = await poll_report(polls, poll_id, actor=admin)
    assert report is not None
    lines = report.csv().strip().split("\n")
    assert lines[0] == "choice,label,counted,total,d01,d03,other"
    assert lines[1:4] == [
        ",ballots,all,49,11,5,33",
        ",ballots,online,37,6,0,31",
        ",ballots,paper,12,5,5,2",
    ]
    assert lines[4:7] == ["1,土曜,all,8,8,0,0", "1,土曜,online,6,6,0,0", "1,土曜,paper,2,2,0,0"]
    assert lines[10:13] == [
        "3,平日の夜,all,8,0,5,3",
        "3,平日の夜,online,1,0,0,1",
        "3,平日の夜,paper,7,0,5,2",
    ]
    assert "d02" not in report.csv()


async def test_paper_tallies_go_with_their_poll(runtime: Runtime, clock: FakeClock) -> None:
    """Polls are kept (no retention rule removes them); whatever removes one takes its paper
    tallies along (ON DELETE CASCADE)."""
    poll_id = await new_poll(runtime, clock)
    await enter(runtime, clock, actor_of(runtime, "kanri"), poll_id, EAST, 3, {1: 3})
    await runtime.db.execute("DELETE FROM polls WHERE id = ?", (poll_id,))
    for table in ("paper_tallies", "paper_tally_votes"):
        row = await runtime.db.fetch_one(f"SELECT count(*) FROM {table}")
        assert row is not None and row[0] == 0


# ---- the dashboard: the form on the poll's page ----


@pytest.fixture
async def staff_as(runtime: Runtime) -> AsyncIterator[Any]:
    async with staff_clients(runtime) as make:
        yield lambda login, role, *districts: make(login, role, districts)


async def test_the_poll_page_takes_paper_ballots_and_shows_them_apart_and_together(
    runtime: Runtime, clock: FakeClock, staff_as: Any
) -> None:
    poll_id = await new_poll(runtime, clock)
    await vote_online(runtime, clock, poll_id, *[(EAST, 1)] * 5)
    http = await staff_as("tanaka", "district", EAST)
    page = (await http.get(f"/admin/polls/{poll_id}")).text
    assert f'action="/admin/polls/{poll_id}/paper"' in page
    assert f'<option value="{EAST}"' in page and f'<option value="{WEST}"' not in page
    saved = await post_form(
        http,
        f"/admin/polls/{poll_id}/paper",
        {"district": EAST, "ballots": "7", "votes_1": "2", "votes_2": "5", "votes_3": ""},
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("paper=saved#paper")
    page = (await http.get(f"/admin/polls/{poll_id}")).text
    split = page[page.index("回答の内訳") :]
    # 土曜: 5 online + 2 paper = 7; 12 ballots in all.
    assert '<td class="num">5</td><td class="num">2</td><td class="num">7</td>' in split
    assert '<td class="num">5</td><td class="num">7</td><td class="num">12</td>' in split
    assert "tanaka" in page[page.index("あなたの入力") :]
    # 訂正する fills the form with the staff member's own entry.
    assert f'href="/admin/polls/{poll_id}?correct={EAST}#paper"' in page
    correcting = (await http.get(f"/admin/polls/{poll_id}", params={"correct": EAST})).text
    form = correcting[correcting.index(f'action="/admin/polls/{poll_id}/paper"') :]
    assert re.search(r'name="ballots"[^>]* value="7"', form)
    assert re.search(r'name="votes_2"[^>]* value="5"', form)
    assert re.search(r'<option value="d01"\s+selected', form)
    sheet = (await http.get(f"/admin/polls/{poll_id}/print")).text
    assert "紙・窓口" in sheet and '<td class="num">12</td>' in sheet
    exported = (await http.get(f"/admin/polls/{poll_id}/results.csv")).content.decode("utf-8-sig")
    assert ",ballots,paper,7,7" in exported
    rows = await AuditRepository(runtime.db).entries(AuditFilter(login="tanaka"))
    assert [r.action for r in rows][:2] == [actions.CSV_EXPORTED, actions.POLL_PAPER_BALLOTS]


async def test_a_double_clicked_form_and_a_second_instance_replace_one_entry_at_once(
    runtime: Runtime, clock: FakeClock, staff_as: Any
) -> None:
    # Four posts of the same form at the same instant (a double click, twice), and the same
    # staff member's entry through another instance's connection meanwhile: each waits for the
    # one before and replaces it (write transactions run one at a time, on SQLite and on
    # PostgreSQL, where they take one advisory lock), so none meets the entry's UNIQUE key.
    poll_id = await new_poll(runtime, clock)
    http = await staff_as("tanaka", "district", EAST)
    form = {"district": EAST, "ballots": "7", "votes_1": "2", "votes_2": "5", "votes_3": ""}
    form["csrf_token"] = csrf_of(await http.get("/admin/"))
    other_instance = await open_database(runtime.settings.db)
    try:
        tanaka = actor_of(runtime, "tanaka", "district", EAST)
        answers = await asyncio.gather(
            *(http.post(f"/admin/polls/{poll_id}/paper", data=form) for _ in range(4)),
            record_paper_ballots(
                PollRepository(other_instance),
                runtime.services.pack,
                poll_id,
                PaperForm(EAST, 7, {1: 2, 2: 5}),
                clock.now,
                actor=tanaka,
            ),
        )
    finally:
        await other_instance.close()
    assert [answer.status_code for answer in answers[:4]] == [303] * 4
    (entry,) = await runtime.services.polls.paper.entries(poll_id)
    assert (entry.entered_by, entry.ballots, entry.votes) == ("tanaka", 7, {1: 2, 2: 5, 3: 0})
    tally = await runtime.services.polls.paper.tally(poll_id)
    assert tally.ballots == 7 and tally.counts == {1: 2, 2: 5}  # counted once
    audited = await AuditRepository(runtime.db).entries(AuditFilter(login="tanaka"))
    details = [row.detail for row in audited if row.action == actions.POLL_PAPER_BALLOTS]
    assert len(details) == 5 and sum("replaces 7" in (d or "") for d in details) == 4


async def test_a_forged_district_field_is_refused_and_a_wrong_count_is_shown_at_its_field(
    runtime: Runtime, clock: FakeClock, staff_as: Any
) -> None:
    poll_id = await new_poll(runtime, clock)
    west_poll = await new_poll(runtime, clock, WEST)
    http = await staff_as("tanaka", "district", EAST)
    forged = await post_form(
        http, f"/admin/polls/{poll_id}/paper", {"district": WEST, "ballots": "1", "votes_1": "1"}
    )
    assert forged.status_code == 403
    other = await post_form(
        http, f"/admin/polls/{west_poll}/paper", {"district": WEST, "ballots": "1", "votes_1": "1"}
    )
    assert other.status_code == 404
    wrong = await post_form(
        http,
        f"/admin/polls/{poll_id}/paper",
        {"district": EAST, "ballots": "5", "votes_1": "2", "votes_2": "x"},
    )
    assert wrong.status_code == 400
    assert 'aria-describedby="votes_2-error"' in wrong.text and 'id="votes_2-error"' in wrong.text
    short = await post_form(
        http, f"/admin/polls/{poll_id}/paper", {"district": EAST, "ballots": "5", "votes_1": "2"}
    )
    assert short.status_code == 400 and "票数の合計（2）が回答数（5）と合いません。" in short.text
    assert 'value="5"' in short.text  # the form keeps what was typed
    viewer = await staff_as("miru", "viewer")
    assert (
        f"/admin/polls/{poll_id}/paper" not in (await viewer.get(f"/admin/polls/{poll_id}")).text
    )
    refused = await post_form(
        viewer, f"/admin/polls/{poll_id}/paper", {"district": "", "ballots": "1", "votes_1": "1"}
    )
    assert refused.status_code == 403
    assert await runtime.services.polls.paper.entries(poll_id) == []


def test_the_paper_command_enters_corrects_and_lists(tmp_path: Path) -> None:
    env = {"CHIIKI_DB": database_for(tmp_path, "p")}
    path = tmp_path / "poll.yaml"
    path.write_text(
        "question: 公園の名前\nchoices: [さくら, もみじ]\ncloses_at: 2030-01-01T10:00:00+09:00\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(main, ["poll", "create", str(path)], env=env).exit_code == 0
    entered = runner.invoke(
        main, ["poll", "paper", "1", "--ballots", "3", "--votes", "1=2", "2=1"], env=env
    )
    assert entered.exit_code == 0, entered.output
    assert "district none: 3 paper ballots (1=2, 2=1)" in entered.output
    wrong = runner.invoke(
        main, ["poll", "paper", "1", "--ballots", "4", "--votes", "1=2"], env=env
    )
    assert wrong.exit_code == 2 and "add up to the ballots (4), not 2" in wrong.output
    again = runner.invoke(main, ["poll", "paper", "1", "--ballots", "4", "1=2", "2=2"], env=env)
    assert again.exit_code == 0 and "replaces your earlier entry" in again.output
    results = runner.invoke(main, ["poll", "results", "1"], env=env).output
    assert "(4 answers, 0 comments)" in results and "online 0 + paper (紙・窓口) 4" in results
    assert "1. さくら: 0 + 2" in results
    listed = runner.invoke(main, ["poll", "paper-entries", "1"], env={**env, "COLUMNS": "200"})
    assert listed.exit_code == 0 and "none" in listed.output and " 4 " in listed.output
    log = runner.invoke(main, ["audit"], env={**env, "COLUMNS": "300"}).output
    assert log.count("poll.paper_ballots") == 2


async def test_residents_see_the_total_and_that_it_includes_paper_ballots(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    resident = Resident(runtime)
    await resident.say("/polls")
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    await resident.tap("日曜")
    assert "（回答 1件）" in resident.text() and "紙・窓口" not in resident.text()
    await enter(runtime, clock, actor_of(runtime, "kanri"), poll_id, EAST, 5, {2: 3, 3: 2})
    await resident.tap("グラフで見る")
    (reply,) = resident.last
    assert reply.chart is not None and dict(reply.chart.bars)["日曜"] == 4
    assert "（回答 6件）" in reply.text and "（うち 紙・窓口での回答 5件）" in reply.text
