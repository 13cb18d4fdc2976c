"""Outcomes: staff record what came of a poll or meeting; those who took part are told."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core import Channel
from bot.runtime import Runtime
from bot.staff.outcomes import OutcomeError, new_outcome, record_outcome
from tests.actors import CLI_ACTOR
from tests.conftest import FakeClock, Resident
from tests.platforms import open_platforms
from tests.test_events import new_event
from tests.test_polls import new_poll


async def vote(resident: Resident, choice: str) -> None:
    await resident.say("/polls")
    # An easy-Japanese reader's card title has readings: 防災訓練（ぼうさいくんれん）.
    assert resident.card_titles()[0].startswith("1. 防災訓練")
    await resident.tap_card(resident.card_titles()[0])
    await resident.tap(choice)


async def test_voters_are_told_and_outcomes_list_links_the_roles(
    runtime: Runtime, clock: FakeClock
) -> None:
    poll_id = await new_poll(runtime, clock)
    voter, easy_voter = Resident(runtime, "a"), Resident(runtime, "b")
    bystander = Resident(runtime, "c")
    await vote(voter, "土曜")
    await easy_voter.say("やさしい日本語")
    await vote(easy_voter, "日曜")
    await bystander.say("/start")
    services = runtime.services
    spec = new_outcome(
        services.pack,
        "poll",
        poll_id,
        "訓練は10月の土曜に行います",
        None,
        "くんれんは 10月の 土曜日です",
        ["groups", "city"],
    )
    await record_outcome(
        services.outcomes, services.notices, services.pack, spec, clock.now, actor=CLI_ACTOR
    )
    await runtime.delivery.deliver_due()
    told = {user: await runtime.mailbox.take("web", user, clock.now) for user in "abc"}
    assert told["c"] == []
    assert "訓練は10月の土曜に行います" in told["a"][0] and "地域づくり団体、市" in told["a"][0]
    assert "くんれんは 10月の 土曜日です" in told["b"][0]
    await bystander.say("結果")
    assert "防災訓練はいつがよいですか" in bystander.text()
    assert "次に動くのは: 地域づくり団体、市" in bystander.text()
    assert bystander.labels()[:2] == ["地域づくり団体の役割", "市の役割"]
    await bystander.tap("市の役割")
    assert "■ 市" in bystander.text() and "出典:" in bystander.text()


async def test_a_meetings_followers_are_told(runtime: Runtime, clock: FakeClock) -> None:
    event_id = await new_event(runtime, clock)
    follower = Resident(runtime, "f", Channel.WEB)
    await follower.say("/events")
    await follower.tap_card("1. 富岡地区 円卓会議")
    await follower.tap("お知らせを受け取る")
    services = runtime.services
    spec = new_outcome(
        services.pack, "event", event_id, "公園の清掃日を決めました", None, None, ["residents"]
    )
    _, broadcast_id = await record_outcome(
        services.outcomes, services.notices, services.pack, spec, clock.now, actor=CLI_ACTOR
    )
    rows = await runtime.db.fetch_all(
        "SELECT resident_id FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
    )
    assert len(rows) == 1


async def test_bad_entries_are_refused_with_a_reason(runtime: Runtime, clock: FakeClock) -> None:
    pack = runtime.services.pack
    with pytest.raises(OutcomeError, match="--next"):
        new_outcome(pack, "poll", 1, "決定", None, None, ["mayor"])
    with pytest.raises(OutcomeError, match="--decided"):
        new_outcome(pack, "poll", 1, "  ", None, None, ["city"])
    spec = new_outcome(pack, "poll", 999, "決定", None, None, ["city"])
    services = runtime.services
    with pytest.raises(OutcomeError, match="no poll 999"):
        await record_outcome(
            services.outcomes, services.notices, pack, spec, clock.now, actor=CLI_ACTOR
        )
    assert await services.outcomes.recent() == []


async def test_outcome_add_from_the_command_line(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock, serving=False) as platforms:
        runtime = platforms.runtime
        poll_id = await new_poll(runtime, clock)
        await vote(Resident(runtime, "a"), "土曜")
        env = {"CHIIKI_DB": runtime.settings.db, "CHIIKI_CONTENT_DIR": str(content_dir)}

        def run(*args: str) -> tuple[int, str]:
            result = CliRunner().invoke(main, ["outcome", *args], env=env)
            return result.exit_code, result.output

        code, output = await asyncio.to_thread(
            run, "add", "--poll", str(poll_id), "--decided", "土曜に決定", "--next", "city,groups"
        )
        assert code == 0, output
        assert "recorded outcome 1" in output and "sent 1" in output
        code, output = await asyncio.to_thread(run, "list")
        assert "土曜に決定" in output and "city groups" in output
        code, output = await asyncio.to_thread(run, "add", "--decided", "x", "--next", "city")
        assert code != 0 and "--poll ID or --event ID" in output
