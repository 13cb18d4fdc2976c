"""/metrics: what is counted, and who may read it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.delivery.outbox import DeliverySettings, OutboxWorker
from bot.runtime import Runtime
from bot.storage.broadcasts import NewBroadcast
from bot.storage.delivery_workers import DeliveryWorkers
from bot.web import build_web_app
from tests.conftest import FakeClock
from tests.platforms import Platforms, open_platforms, telegram_text
from tests.test_broadcast import FAST, add_residents, settle
from tests.web_clients import chat_client

TOKEN = "metrics-token-0123456789"


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(
    runtime: Runtime, client: tuple[str, int] = ("127.0.0.1", 40000), **headers: str
) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_web_app(runtime), client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://chiiki") as http:
        return await http.get("/metrics", headers=headers)


async def test_an_update_is_counted_received_handled_timed_and_replied_to(
    platforms: Platforms,
) -> None:
    before = {
        name: value(name, channel="telegram")
        for name in (
            "chiiki_updates_received_total",
            "chiiki_updates_handled_total",
            "chiiki_update_handling_seconds_count",
            "chiiki_replies_sent_total",
        )
    }
    update = telegram_text("/goals", user_id=7070)
    assert await platforms.post_telegram(update) == 200
    assert await platforms.post_telegram(update) == 200  # a redelivery is not received again
    response = await scrape(platforms.runtime)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    for name, earlier in before.items():
        assert found[(name, (("channel", "telegram"),))] >= earlier + 1, name
    assert found[("chiiki_updates_received_total", (("channel", "telegram"),))] == (
        before["chiiki_updates_received_total"] + 1
    )


async def test_the_outbox_depth_is_read_at_scrape_time(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock, serving=False) as quiet:
        await add_residents(quiet.runtime, "telegram", 7)
        await add_residents(quiet.runtime, "line", 3)
        await quiet.runtime.broadcasts.create(NewBroadcast("notice", "お知らせ"), clock.now)
        found = samples((await scrape(quiet.runtime)).text)
    assert found[("chiiki_outbox_rows", (("channel", "telegram"), ("state", "pending")))] == 7
    assert found[("chiiki_outbox_rows", (("channel", "line"), ("state", "pending")))] == 3
    assert found[("chiiki_outbox_rows", (("channel", "web"), ("state", "sending")))] == 0


async def test_sends_are_counted_by_outcome(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    outcomes = ("sent", "429", "403", "5xx")
    before = {o: value("chiiki_sends_total", channel="telegram", outcome=o) for o in outcomes}
    async with open_platforms(tmp_path, content_dir, clock, serving=False) as quiet:
        chats = await add_residents(quiet.runtime, "telegram", 5)
        quiet.telegram.blocked_chats.add(int(chats[0]))
        quiet.telegram.refuse_next = 1
        broadcast_id = await quiet.runtime.broadcasts.create(
            NewBroadcast("notice", "お知らせ"), clock.now
        )
        runtime = quiet.runtime
        delivery = OutboxWorker(
            runtime.outbox,
            DeliveryWorkers(runtime.db),
            clock,
            runtime.telegram,
            runtime.line,
            DeliverySettings(**FAST.__dict__),
        )
        await settle(delivery, broadcast_id, clock)
        quiet.telegram.fail_next = 1
        await add_residents(runtime, "telegram", 1, start=100)
        newcomer = await runtime.db.fetch_one("SELECT max(id) FROM residents")
        assert newcomer is not None
        again = await runtime.broadcasts.create_for(
            NewBroadcast("notice", "二通目"), [newcomer[0]], clock.now
        )
        await settle(delivery, again, clock)
    counted = {
        o: value("chiiki_sends_total", channel="telegram", outcome=o) - before[o] for o in outcomes
    }
    # 4 of 5 on the first try (one 429 waited out, one blocked), the newcomer after a 502.
    assert counted == {"sent": 5, "429": 1, "403": 1, "5xx": 1}


def test_the_answerer_outcomes_are_counted_and_nothing_else() -> None:
    before = value("chiiki_answerer_total", outcome="clarified")
    metrics.observe_answerer("clarified")
    assert value("chiiki_answerer_total", outcome="clarified") == before + 1
    with pytest.raises(ValueError, match="answered"):
        metrics.observe_answerer("maybe")


async def test_without_a_token_only_this_machine_may_read_metrics(runtime: Runtime) -> None:
    assert (await scrape(runtime, ("::1", 40000))).status_code == 200
    assert (await scrape(runtime, ("203.0.113.9", 40000))).status_code == 403
    # A reverse proxy on this machine forwards requests from anywhere: refused as well.
    forwarded = await scrape(runtime, ("127.0.0.1", 40000), **{"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.status_code == 403


async def test_with_a_token_the_bearer_may_read_metrics_from_anywhere(
    tmp_path: Path, content_dir: Path, clock: FakeClock
) -> None:
    async with open_platforms(tmp_path, content_dir, clock, CHIIKI_METRICS_TOKEN=TOKEN) as p:
        remote = ("203.0.113.9", 40000)
        assert (await scrape(p.runtime, remote)).status_code == 401
        assert (await scrape(p.runtime, ("127.0.0.1", 1))).status_code == 401  # token or nothing
        wrong = await scrape(p.runtime, remote, Authorization=f"Bearer {TOKEN[:-1]}x")
        assert wrong.status_code == 401
        right = await scrape(p.runtime, remote, Authorization=f"Bearer {TOKEN}")
    assert right.status_code == 200 and "chiiki_sends_total" in right.text
    assert TOKEN not in repr(p.runtime.settings)


async def test_the_line_quota_left_is_what_line_last_said(platforms: Platforms) -> None:
    assert platforms.runtime.line is not None
    platforms.line.quota_limit, platforms.line.quota_used = 5000, 1200
    await platforms.runtime.line.quota()
    assert value("chiiki_line_quota_left") == 3800
    platforms.line.quota_limit = None  # an unlimited plan
    await platforms.runtime.line.quota()
    assert value("chiiki_line_quota_left") == float("inf")


async def test_a_web_chat_turn_is_counted_like_a_platform_update(runtime: Runtime) -> None:
    names = (
        "chiiki_updates_received_total",
        "chiiki_updates_handled_total",
        "chiiki_update_handling_seconds_count",
        "chiiki_replies_sent_total",
    )
    before = {name: value(name, channel="web") for name in names}
    async with chat_client(build_web_app(runtime)) as browser:
        assert (await browser.post("/chat/api", json={"text": "/goals"})).status_code == 200
    found = samples((await scrape(runtime)).text)
    for name in names:
        assert found[(name, (("channel", "web"),))] >= before[name] + 1, name
