from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.core import Channel, Choice, IncomingMessage, Reply
from bot.runtime import Runtime, open_runtime
from bot.scheduler import sweep
from bot.staff.polls import (
    Counted,
    PollFileError,
    PollSpec,
    create_poll,
    load_poll_file,
    results_csv,
)
from bot.storage.polls import Tally, VoteOutcome
from bot.web import build_web_app
from tests.actors import CLI_ACTOR
from tests.conftest import FakeClock, Resident, make_settings
from tests.databases import INTEGRITY_ERRORS, database_for
from tests.platforms import Platforms, telegram_callback
from tests.web_clients import post_as_new_residents


def poll_spec(clock: FakeClock, **fields: Any) -> PollSpec:
    raw: dict[str, Any] = {
        "question": {"ja": "防災訓練はいつがよいですか", "en": "When should the drill be?"},
        "choices": [{"ja": "土曜", "en": "Saturday"}, {"ja": "日曜", "en": "Sunday"}, "平日の夜"],
        "closes_at": (clock.now + timedelta(days=7)).isoformat(),
    }
    raw.update(fields)
    return PollSpec.model_validate(raw)


async def new_poll(runtime: Runtime, clock: FakeClock, **fields: Any) -> int:
    spec = poll_spec(clock, **fields)
    poll_id, _ = await create_poll(
        spec, runtime.services.polls, runtime.services.pack, clock.now, actor=CLI_ACTOR
    )
    return poll_id


async def test_a_resident_votes_and_sees_counts_percentages_and_bars(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    await resident.say("アンケート")
    assert "防災訓練はいつがよいですか" in resident.text()
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    assert resident.labels()[:3] == ["土曜", "日曜", "平日の夜"]
    await resident.tap("日曜")
    text = resident.text()
    assert "回答ありがとうございました" in text
    assert "回答 1件" in text and "■■■■■■■■■■ 1 (100%)" in text
    tally = await runtime.services.polls.tally(poll_id)
    assert tally.ballots == 1 and tally.counts == {2: 1}


async def test_voting_again_replaces_the_ballot_and_says_so(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    await resident.say("/polls")
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    await resident.tap("土曜")
    await resident.say("/polls")
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    assert "前回の回答: 土曜" in resident.text()
    await resident.tap("平日の夜")
    assert "回答を変更しました" in resident.text()
    tally = await runtime.services.polls.tally(poll_id)
    assert tally.ballots == 1 and tally.counts == {3: 1}


async def test_multiple_choice_toggles_and_confirms(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock, multiple=True)
    await resident.say("/polls")
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    await resident.tap("決定")
    assert "一つ以上選んで" in resident.text()
    await resident.tap("☐ 土曜")
    await resident.tap("☐ 平日の夜")
    await resident.tap("☐ 日曜")
    await resident.tap("☑ 日曜")  # and off again
    assert resident.labels()[:3] == ["☑ 土曜", "☐ 日曜", "☑ 平日の夜"]
    await resident.tap("決定")
    assert "回答ありがとうございました" in resident.text()
    tally = await runtime.services.polls.tally(poll_id)
    assert tally.ballots == 1 and tally.counts == {1: 1, 3: 1}


async def test_a_single_choice_poll_refuses_two_choices_at_once(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    resident = await runtime.services.residents.get_or_create("web", "x", "ja", clock.now)
    outcome = await runtime.services.polls.vote(
        poll_id, resident.id, None, frozenset({1, 2}), clock.now
    )
    assert outcome == "invalid"
    assert (await runtime.services.polls.tally(poll_id)).ballots == 0


async def test_the_database_itself_refuses_a_second_ballot(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    await resident.say("/polls")
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    await resident.tap("土曜")
    with pytest.raises(INTEGRITY_ERRORS):
        async with runtime.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO ballots (poll_id, resident_id, cast_at, updated_at)"
                " SELECT ?, resident_id, cast_at, updated_at FROM ballots",
                (poll_id,),
            )


async def test_a_vote_on_a_closed_poll_is_refused_and_changes_nothing(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    await resident.say("/polls")
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    paper = list(resident.last)
    await resident.tap("土曜")
    await runtime.services.polls.close(poll_id, clock.now)
    resident.last = paper
    await resident.tap("日曜")
    assert "締め切られました" in resident.text()
    assert (await runtime.services.polls.tally(poll_id)).counts == {1: 1}
    await resident.say("/polls")
    assert "いま答えられるアンケートはありません" in resident.text()


async def test_a_vote_after_closes_at_is_refused_even_before_the_timer(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    await resident.say("/polls")
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    clock.advance(days=8)
    await resident.tap("土曜")
    assert "締め切られました" in resident.text()
    assert (await runtime.services.polls.tally(poll_id)).ballots == 0


async def test_district_polls_reach_only_that_district(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")
    async with open_runtime(settings, clock=clock) as runtime:
        poll_id = await new_poll(runtime, clock, district="d01")
        inside, outside = Resident(runtime, "in"), Resident(runtime, "out")
        for person, district in ((inside, "第1地区"), (outside, "第2地区")):
            await person.say("/settings")
            await person.tap("地区を選ぶ")
            await person.tap(district)
        await outside.say("/polls")
        assert "ありません" in outside.text()
        await inside.say("/polls")
        await inside.tap_card("1. 防災訓練はいつがよいですか")
        paper = list(inside.last)
        outside.last = paper  # a forwarded button must not let an outsider vote
        await outside.tap("土曜")
        assert "別の地区" in outside.text()
        await inside.tap("土曜")
        tally = await runtime.services.polls.tally(poll_id)
        assert tally.ballots == 1
        # Closed, its results are still the district's own: a forged button shows none.
        await runtime.services.polls.close(poll_id, clock.now)
        for data in (f"poll:{poll_id}", f"vote:{poll_id}:1", f"pollcmt:{poll_id}"):
            outside.last = [Reply("", (Choice("forged", data),))]
            await outside.tap("forged")
            assert "別の地区" in outside.text() and "回答 1件" not in outside.text(), data


async def test_a_poll_closes_by_itself_after_a_restart(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir)
    async with open_runtime(settings, clock=clock) as runtime:
        poll_id = await new_poll(runtime, clock, closes_at=(clock.now + timedelta(days=30)))
        await sweep(runtime.timers, runtime.duties)  # the minutely sweep
        assert f"poll-close:{poll_id}" in runtime.timers.job_ids()
    clock.advance(days=31)  # far ahead of the wall clock, so the timer waits
    async with open_runtime(settings, clock=clock) as runtime:
        poll = await runtime.services.polls.get(poll_id)
        assert poll is not None and poll.closed_at == poll.closes_at


async def test_the_timer_closes_a_poll_at_its_time(tmp_path: Path, content_dir: Path) -> None:
    settings = make_settings(tmp_path, content_dir)
    async with open_runtime(settings) as runtime:  # the real clock, for APScheduler's timer
        now = datetime.now(UTC)
        spec = PollSpec.model_validate(
            {"question": "q", "choices": ["a", "b"], "closes_at": now + timedelta(seconds=2)}
        )
        poll_id, _ = await create_poll(
            spec, runtime.services.polls, runtime.services.pack, now, actor=CLI_ACTOR
        )
        await sweep(runtime.timers, runtime.duties)
        for _ in range(60):
            poll = await runtime.services.polls.get(poll_id)
            assert poll is not None
            if poll.closed_at:
                break
            await asyncio.sleep(0.1)
        assert poll.closed_at is not None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"question": None}, "question"),
        ({"choices": ["only one"]}, "choices"),
        ({"choices": [str(n) for n in range(11)]}, "choices"),
        ({"closes_at": "2026-12-01T10:00:00"}, "closes_at"),
        ({"closes_at": "next week"}, "closes_at"),
        ({"multiple": "perhaps"}, "multiple"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_poll_file_names_the_field_and_creates_nothing(
    tmp_path: Path, clock: FakeClock, change: dict[str, Any], field: str
) -> None:
    raw: dict[str, Any] = {
        "question": "q",
        "choices": ["a", "b"],
        "closes_at": "2030-01-01T10:00:00+09:00",
    }
    raw.update(change)
    path = tmp_path / "poll.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PollFileError) as caught:
        load_poll_file(path)
    assert str(caught.value).startswith(f"{path}: {field}")
    result = CliRunner().invoke(
        main, ["poll", "create", str(path)], env={"CHIIKI_DB": database_for(tmp_path, "p")}
    )
    assert result.exit_code == 2 and field in result.output
    listing = CliRunner().invoke(
        main, ["poll", "list"], env={"CHIIKI_DB": database_for(tmp_path, "p")}
    )
    assert "q" not in listing.output.split("answers")[-1]


async def test_a_past_closing_time_or_unknown_district_is_refused(
    runtime: Runtime, clock: FakeClock
) -> None:
    with pytest.raises(PollFileError, match="closes_at"):
        await new_poll(runtime, clock, closes_at=(clock.now - timedelta(minutes=1)).isoformat())
    with pytest.raises(PollFileError, match="district"):
        await new_poll(runtime, clock, district="atlantis")
    assert await runtime.services.polls.all() == []


def test_poll_commands_create_list_results_and_close(tmp_path: Path) -> None:
    env = {"CHIIKI_DB": database_for(tmp_path, "p")}
    path = tmp_path / "poll.yaml"
    path.write_text(
        "question: 公園の名前\nchoices: [さくら, もみじ]\ncloses_at: 2030-01-01T10:00:00+09:00\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert "created poll 1" in runner.invoke(main, ["poll", "create", str(path)], env=env).output
    assert "公園の名前" in runner.invoke(main, ["poll", "list"], env=env).output
    assert "0 answers" in runner.invoke(main, ["poll", "results", "1"], env=env).output
    assert "closed poll 1" in runner.invoke(main, ["poll", "close", "1"], env=env).output
    again = runner.invoke(main, ["poll", "close", "1"], env=env)
    assert again.exit_code == 1 and "already closed" in again.output


async def test_csv_merges_districts_under_five_ballots_into_other(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")
    async with open_runtime(settings, clock=clock) as runtime:
        poll_id = await new_poll(runtime, clock)
        polls, residents = runtime.services.polls, runtime.services.residents
        voters = [("d01", 1)] * 5 + [("d02", 2)] * 2 + [(None, 3)]
        for n, (district, choice) in enumerate(voters):
            person = await residents.get_or_create("web", f"v{n}", "ja", clock.now)
            await polls.vote(poll_id, person.id, district, frozenset({choice}), clock.now)
        poll = await polls.get(poll_id)
        assert poll is not None
        by_district = await polls.tally_by_district(poll_id)
        csv_text = results_csv(
            poll,
            Counted(await polls.tally(poll_id)),
            {district: Counted(tally) for district, tally in by_district.items()},
        )
    lines = csv_text.strip().split("\n")
    assert lines[0] == "choice,label,counted,total,d01,other"
    assert lines[1] == ",ballots,all,8,5,3"
    assert lines[4] == "1,土曜,all,5,5,0"
    assert lines[7] == "2,日曜,all,2,0,2"
    assert lines[10] == "3,平日の夜,all,1,0,1"
    assert "v0" not in csv_text and "d02" not in csv_text


async def test_forget_keeps_a_closed_polls_count_and_drops_the_link(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    await resident.say("/polls")
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    await resident.tap("日曜")
    await resident.say("/mydata")
    assert "アンケートへの回答: 1件" in resident.text()
    clock.advance(days=30)  # the poll has closed
    await resident.say("/forget")
    await resident.tap("はい、消します")
    assert (await runtime.services.polls.tally(poll_id)).ballots == 1
    row = await runtime.db.fetch_one("SELECT resident_id FROM ballots")
    assert row is not None and row[0] is None


async def test_forgetting_between_votes_does_not_cast_a_second_ballot(
    runtime: Runtime, clock: FakeClock
) -> None:
    """A ballot in a poll still open is withdrawn by /forget: kept without its voter, the same
    Telegram or LINE account, a new resident after /forget, could vote again, and again."""
    poll_id = await new_poll(runtime, clock)
    voter = Resident(runtime, "cycler", Channel.TELEGRAM)
    for _ in range(3):
        await voter.say("/polls")
        await voter.tap_card("1. 防災訓練はいつがよいですか")
        await voter.tap("日曜")
        await voter.say("/forget")
        await voter.tap("はい、消します")
    assert (await runtime.services.polls.tally(poll_id)).ballots == 0
    await voter.say("/polls")
    await voter.tap_card("1. 防災訓練はいつがよいですか")
    await voter.tap("日曜")
    tally = await runtime.services.polls.tally(poll_id)
    assert (tally.ballots, tally.counts.get(2)) == (1, 1)


async def test_a_comment_of_at_most_200_characters(
    runtime: Runtime, resident: Resident, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock, comment=True)
    await resident.say("/polls")
    await resident.tap_card("1. 防災訓練はいつがよいですか")
    await resident.tap("土曜")
    await resident.tap("ひとことコメント")
    await resident.say("あ" * 201)
    assert "長すぎます" in resident.text()
    await resident.say("子どもも参加しやすい時間がいいです")
    assert "受け付けました" in resident.text()
    assert await runtime.services.polls.comments(poll_id) == ["子どもも参加しやすい時間がいいです"]
    await resident.say("これはただのメッセージ")  # no longer waiting for a comment
    assert "お答えできません" in resident.text()


async def test_200_concurrent_votes_through_the_web_api_are_all_counted(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    # 200 new residents from one test address: far past the default limits per address.
    settings = make_settings(
        tmp_path,
        content_dir,
        CHIIKI_WEB_NEW_RESIDENTS_PER_HOUR="1000",
        CHIIKI_WEB_REQUESTS_PER_MINUTE="1000",
    )
    async with open_runtime(settings, clock=clock) as runtime:
        poll_id = await new_poll(runtime, clock)
        votes = [{"data": f"vote:{poll_id}:{n % 3 + 1}"} for n in range(200)]
        responses = await post_as_new_residents(build_web_app(runtime), votes)
        assert [response.status_code for response in responses] == [200] * 200
        tally = await runtime.services.polls.tally(poll_id)
    assert tally.ballots == 200
    assert tally.counts == {1: 67, 2: 67, 3: 66}


async def test_votes_arriving_together_each_get_their_own_outcome(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    """Votes cast at the same moment are checked and written together: each still gets its own
    answer, a resident's later vote replaces the earlier one (made before or in the same
    batch), and a refused vote spoils nothing."""
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")
    async with open_runtime(settings, clock=clock) as runtime:
        poll_id = await new_poll(runtime, clock)
        several = await new_poll(runtime, clock, multiple=True)
        local = await new_poll(runtime, clock, district="d01")
        closed_id = await new_poll(runtime, clock, closes_at=(clock.now + timedelta(hours=1)))
        polls, now = runtime.services.polls, clock.now
        voters = [
            (await runtime.services.residents.get_or_create(Channel.WEB, f"v{n}", "ja", now)).id
            for n in range(30)
        ]
        # Five had answered before the burst.
        for voter in voters[:5]:
            assert await polls.vote(poll_id, voter, None, frozenset({2}), now) is VoteOutcome.CAST
        clock.advance(hours=2)  # the fourth poll has closed
        at = clock.now
        first = [polls.vote(poll_id, v, None, frozenset({1}), at) for v in voters]
        again = [polls.vote(poll_id, v, None, frozenset({3}), at) for v in voters[:10]]
        picks = [
            polls.vote(several, voters[0], None, frozenset({1, 3}), at),
            polls.vote(several, voters[0], None, frozenset({2, 3}), at),
            polls.vote(several, voters[1], None, frozenset({1, 2, 3}), at),
        ]
        refused = [
            polls.vote(closed_id, voters[0], None, frozenset({1}), at),
            polls.vote(poll_id, voters[1], None, frozenset({9}), at),
            polls.vote(poll_id, voters[2], None, frozenset({1, 2}), at),  # one choice only
            polls.vote(local, voters[3], "d02", frozenset({1}), at),
            polls.vote(9999, voters[4], None, frozenset({1}), at),
        ]
        local_vote = polls.vote(local, voters[4], "d01", frozenset({2}), at)
        outcomes = await asyncio.gather(*first, *again, *picks, *refused, local_vote)
        assert outcomes == (
            [VoteOutcome.REPLACED] * 5
            + [VoteOutcome.CAST] * 25
            + [VoteOutcome.REPLACED] * 10
            + [VoteOutcome.CAST, VoteOutcome.REPLACED, VoteOutcome.CAST]
            + [VoteOutcome.CLOSED, VoteOutcome.INVALID, VoteOutcome.INVALID]
            + [VoteOutcome.NOT_ELIGIBLE, VoteOutcome.INVALID, VoteOutcome.CAST]
        )
        assert await polls.tally(poll_id) == Tally(30, {1: 20, 3: 10})
        assert await polls.ballot_of(poll_id, voters[0]) == frozenset({3})
        assert await polls.tally(several) == Tally(2, {1: 1, 2: 2, 3: 2})
        assert await polls.tally_by_district(local) == {"d01": Tally(1, {2: 1})}
        assert (await polls.tally(closed_id)).ballots == 0
        await assert_counts_match_a_recount(runtime)


async def test_the_same_telegram_callback_twice_counts_once(
    platforms: Platforms, clock: FakeClock
) -> None:
    runtime = platforms.runtime
    poll_id = await new_poll(runtime, clock)
    update = telegram_callback(f"vote:{poll_id}:2")
    await platforms.post_telegram(update)
    await platforms.post_telegram(update)
    tally = await runtime.services.polls.tally(poll_id)
    assert tally.ballots == 1
    sent = platforms.telegram.sent("sendMessage")
    assert len(sent) == 1 and "回答ありがとうございました" in sent[0]["text"]


async def test_english_residents_see_english_polls(runtime: Runtime, clock: FakeClock) -> None:
    await new_poll(runtime, clock)
    message = IncomingMessage(Channel.WEB, "en1", text="/polls", language_hint="en")
    replies = await runtime.dispatcher.handle(message)
    assert "When should the drill be?" in replies[0].plain_text
    assert "until" in replies[0].plain_text


async def test_an_announced_poll_is_queued_to_its_audience_with_the_poll(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")
    async with open_runtime(settings, clock=clock) as runtime:
        residents = runtime.services.residents
        inside = await residents.get_or_create("telegram", "1", "ja", clock.now)
        await residents.set_district(inside.id, "d01", clock.now)
        await residents.get_or_create("telegram", "2", "ja", clock.now)  # no district
        spec = poll_spec(clock, district="d01", announce=True)
        poll_id, broadcast_id = await create_poll(
            spec,
            runtime.services.polls,
            runtime.services.pack,
            clock.now,
            "poll",
            runtime.services.notices,
            actor=CLI_ACTOR,
        )
        assert broadcast_id is not None
        rows = await runtime.db.fetch_all("SELECT resident_id FROM outbox")
        assert [row[0] for row in rows] == [inside.id]
        text = await runtime.db.fetch_one("SELECT text_ja FROM broadcasts")
        assert text is not None and "【新しいアンケート】防災訓練はいつがよいですか" in text[0]
        quiet_id, none = await create_poll(
            poll_spec(clock),
            runtime.services.polls,
            runtime.services.pack,
            clock.now,
            "poll",
            runtime.services.notices,
            actor=CLI_ACTOR,
        )
        assert none is None and quiet_id == poll_id + 1


# What the running counts (migration 0009) must always equal: the ballots counted afresh.
RECOUNT = (
    "SELECT b.poll_id, coalesce(b.district, ''), 0, count(*) FROM ballots b"
    " GROUP BY b.poll_id, coalesce(b.district, '')"
    " UNION ALL SELECT b.poll_id, coalesce(b.district, ''), bc.position, count(*)"
    " FROM ballots b JOIN ballot_choices bc ON bc.ballot_id = b.id"
    " GROUP BY b.poll_id, coalesce(b.district, ''), bc.position"
)
KEPT = (
    "SELECT poll_id, district, 0, ballots FROM poll_ballot_counts WHERE ballots <> 0"
    " UNION ALL SELECT poll_id, district, position, votes FROM poll_choice_counts"
    " WHERE votes <> 0"
)


async def assert_counts_match_a_recount(runtime: Runtime) -> set[tuple[Any, ...]]:
    recounted = {tuple(row) for row in await runtime.db.fetch_all(RECOUNT)}
    kept = {tuple(row) for row in await runtime.db.fetch_all(KEPT)}
    assert kept == recounted
    return kept


async def test_the_running_counts_always_equal_a_recount_of_the_ballots(
    runtime: Runtime, clock: FakeClock
) -> None:
    from tests.test_link import code_in

    single = await new_poll(runtime, clock)
    several = await new_poll(runtime, clock, multiple=True)
    residents, polls, now = runtime.services.residents, runtime.services.polls, clock.now
    ids = {}
    for name, district in (("a", "一ノ宮"), ("b", "七日市"), ("c", None)):
        person = await residents.get_or_create(Channel.WEB, name, "ja", now)
        ids[name] = (person.id, district)
    for name, position in (("a", 1), ("b", 2), ("c", 3)):
        await polls.vote(single, ids[name][0], ids[name][1], frozenset({position}), now)
    assert (single, "一ノ宮", 1, 1) in await assert_counts_match_a_recount(runtime)
    await polls.vote(single, ids["a"][0], "一ノ宮", frozenset({2}), now)  # changes its mind
    await polls.vote(single, ids["b"][0], "黒川", frozenset({2}), now)  # moved, votes again
    await polls.vote(several, ids["a"][0], "一ノ宮", frozenset({1, 3}), now)
    await polls.vote(several, ids["a"][0], "一ノ宮", frozenset({2}), now)
    kept = await assert_counts_match_a_recount(runtime)
    assert (single, "七日市", 0, 1) not in kept and (single, "黒川", 2, 1) in kept
    assert (await polls.tally(single)) == Tally(3, {2: 2, 3: 1})
    assert (await polls.tally_by_district(several)) == {"一ノ宮": Tally(1, {2: 1})}

    # Two apps of one person who both voted: linking keeps one ballot, the counts follow.
    on_web, on_telegram = Resident(runtime, "web-user"), Resident(runtime, "42", Channel.TELEGRAM)
    for person, choice in ((on_web, "土曜"), (on_telegram, "日曜")):
        await person.say("/polls")
        await person.tap_card("1. 防災訓練はいつがよいですか")
        await person.tap(choice)
    assert (await polls.tally(single)).ballots == 5
    await on_web.say("/link")
    await on_telegram.say(f"/link {code_in(on_web)}")
    assert (await polls.tally(single)) == Tally(4, {1: 1, 2: 2, 3: 1})
    # Forgetting a voter withdraws their ballot while the poll is open (they could vote again).
    await on_telegram.say("/forget")
    await on_telegram.tap("はい、消します")
    assert (await polls.tally(single)) == Tally(3, {2: 2, 3: 1})
    await assert_counts_match_a_recount(runtime)
    # A ballot deleted outright (as linking does) takes its choices out of the counts.
    await runtime.db.execute("DELETE FROM ballots WHERE resident_id = ?", (ids["a"][0],))
    assert (await polls.tally(single)) == Tally(2, {2: 1, 3: 1})
    assert await polls.tally_by_district(several) == {}
    await assert_counts_match_a_recount(runtime)
