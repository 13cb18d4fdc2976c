"""Broadcast notices: plan (audience, LINE quota cost), then queue in one transaction."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.content import Catalog, Pack
from bot.content.readings import add_readings
from bot.errors import ChiikiError
from bot.staff.actor import StaffActor
from bot.staff.audit import BROADCAST_QUEUED, record
from bot.staff.districts import unknown_district
from bot.staff.roles import read_scope, require_change
from bot.storage.broadcasts import (
    PUSH_CHANNELS,
    BroadcastRepository,
    BroadcastSummary,
    NewBroadcast,
)
from bot.storage.outbox_claims import HeldClaims

CHANNEL_CHOICES = ("all", *PUSH_CHANNELS)
MAX_NOTICE_CHARS = 2000


class BroadcastError(ChiikiError):
    pass


class OverQuotaError(BroadcastError):
    """The notice would cost more LINE messages than this month has left."""

    def __init__(self, plan: BroadcastPlan) -> None:
        super().__init__(
            f"this would use {plan.line_cost} LINE messages but only {plan.quota_left} are "
            "left this month; send to fewer residents, or add --force to send anyway"
        )
        self.plan = plan


class QuotaSource(Protocol):
    """What a broadcast plan needs of LINE: its monthly (limit or None, used)."""

    async def quota(self) -> tuple[int | None, int]: ...


@dataclass(frozen=True)
class BroadcastPlan:
    audience: dict[str, int]
    line_cost: int  # push-type messages count one per recipient against the monthly quota
    quota_limit: int | None  # None: unlimited, or LINE not configured
    quota_used: int | None

    @property
    def quota_left(self) -> int | None:
        if self.quota_limit is None or self.quota_used is None:
            return None
        return self.quota_limit - self.quota_used

    @property
    def exceeds_quota(self) -> bool:
        left = self.quota_left
        return left is not None and self.line_cost > left


def notice(pack: Pack, catalog: Catalog, text_ja: str, text_en: str | None) -> NewBroadcast:
    """A staff notice, headed with the city's name in each language."""
    for text in (text_ja, text_en or ""):
        if len(text) > MAX_NOTICE_CHARS:
            raise BroadcastError(f"--text: at most {MAX_NOTICE_CHARS} characters")
    if not text_ja.strip():
        raise BroadcastError("--text: the Japanese text is required")
    city = pack.municipality.name
    return NewBroadcast(
        kind="notice",
        text_ja=catalog.text("broadcast.notice", "ja", city=city.ja, text=text_ja.strip()),
        text_en=catalog.text("broadcast.notice", "en", city=city.en, text=text_en.strip())
        if text_en
        else None,
        # Staff write Japanese; easy-Japanese readers get it under the easy heading, with
        # readings for the hard words (shown to staff in the dashboard's preview).
        text_easy=catalog.text(
            "broadcast.notice", "easy", city=city.pick("easy"), text=add_readings(text_ja.strip())
        ),
    )


def prepare_notice(
    pack: Pack,
    catalog: Catalog,
    text_ja: str,
    text_en: str | None,
    district: str | None,
    channel: str,
    *,
    actor: StaffActor,
) -> NewBroadcast:
    """A checked staff notice to one district (or all) on one channel (or all). The role is
    checked here already: the plan that follows counts the district's residents."""
    require_change(actor, district)
    check_target(pack, district, channel)
    return dataclasses.replace(
        notice(pack, catalog, text_ja, text_en), district=district, channel=channel
    )


async def plan_broadcast(
    broadcasts: BroadcastRepository, line: QuotaSource | None, district: str | None, channel: str
) -> BroadcastPlan:
    audience = await broadcasts.audience(district, channel)
    line_cost = audience.get("line", 0)
    limit = used = None
    if line is not None and line_cost:
        limit, used = await line.quota()
    return BroadcastPlan(audience, line_cost, limit, used)


def check_target(pack: Pack, district: str | None, channel: str) -> None:
    if channel not in CHANNEL_CHOICES:
        raise BroadcastError(f"--channel: one of {', '.join(CHANNEL_CHOICES)}")
    if problem := unknown_district(pack, district):
        raise BroadcastError(f"--district: {problem}")


async def queue_notice(
    broadcasts: BroadcastRepository,
    notice: NewBroadcast,
    plan: BroadcastPlan,
    now: datetime,
    *,
    force: bool,
    actor: StaffActor,
) -> int:
    """Queue a planned notice; past the LINE monthly quota only when `force` says so (the
    quota gate, for the CLI and the dashboard alike). Returns the broadcast id."""
    require_change(actor, notice.district)
    if plan.exceeds_quota and not force:
        raise OverQuotaError(plan)
    broadcast_id = await broadcasts.create(notice, now)
    # Queued, not sent: the workers send it row by row afterwards (the broadcast's page shows
    # how far). The audience is counted from the rows written, which may differ a little from
    # the plan staff saw; LINE counts one message per recipient, hence the cost estimate.
    queued = await broadcasts.queued(broadcast_id)
    audience = " ".join(f"{channel}={queued.get(channel, 0)}" for channel in notice.channels())
    await record(
        actor,
        BROADCAST_QUEUED,
        now,
        "broadcast",
        broadcast_id,
        f"district {notice.district or 'all'} channel {notice.channel} audience {audience}"
        f" line_cost_estimate={queued.get('line', 0)}" + (" forced" if force else ""),
    )
    return broadcast_id


async def broadcast_history(
    broadcasts: BroadcastRepository, limit: int, *, actor: StaffActor
) -> list[BroadcastSummary]:
    """The newest broadcasts the actor may read: a district account its districts' and those
    that went to the whole city (filtered before the limit)."""
    return await broadcasts.history(limit, districts=read_scope(actor))


async def readable_broadcast(
    broadcasts: BroadcastRepository, broadcast_id: int, *, actor: StaffActor
) -> BroadcastSummary | None:
    """The broadcast, or None when there is none or the actor may not read it."""
    found = await broadcasts.history(1, broadcast_id, districts=read_scope(actor))
    return found[0] if found else None


def waiting_for(held: list[HeldClaims], now: datetime, lease_seconds: float) -> str | None:
    """What a resume waits for, e.g. "waiting for worker a/3f2c…'s 12 claim(s), heartbeat 6 s
    old (taken over at 10 s)"; None when no other worker holds anything."""
    if not held:
        return None
    parts = []
    for claims in held:
        if claims.seen_at is None:
            beat = "no heartbeat"
        else:
            beat = f"heartbeat {max(0.0, (now - claims.seen_at).total_seconds()):.0f} s old"
        parts.append(f"worker {claims.owner}'s {claims.rows} claim(s), {beat}")
    return f"waiting for {'; '.join(parts)} (taken over at {lease_seconds:.0f} s)"
