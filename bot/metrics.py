"""Prometheus metrics (prometheus-client), in chiiki's own registry.

The hot paths only add to counters and a histogram (a dictionary lookup and an addition under
a lock: microseconds). What the database knows (the outbox depth) is counted when /metrics is
read, not kept up to date on every send.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError

# Not prometheus-client's global REGISTRY: only chiiki's metrics, and tests can read them.
REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES_RECEIVED = Counter(
    "chiiki_updates_received",
    "Platform updates stored by the inbox (redeliveries not counted)",
    ["channel"],
    registry=REGISTRY,
)
UPDATES_HANDLED = Counter(
    "chiiki_updates_handled", "Platform updates handled", ["channel"], registry=REGISTRY
)
UPDATES_FAILED = Counter(
    "chiiki_updates_failed",
    "Attempts at handling a platform update that failed (it is tried again)",
    ["channel"],
    registry=REGISTRY,
)
HANDLING_SECONDS = Histogram(
    "chiiki_update_handling_seconds",
    "Time from taking an update to its replies sent",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
REPLIES_SENT = Counter(
    "chiiki_replies_sent", "Replies sent to residents' messages", ["channel"], registry=REGISTRY
)
SENDS = Counter(
    "chiiki_sends",
    "Outbox sends by outcome: sent, 429, 403 (blocked), 5xx (and timeouts), other",
    ["channel", "outcome"],
    registry=REGISTRY,
)
LINE_QUOTA_LEFT = Gauge(
    "chiiki_line_quota_left",
    "LINE messages left this month (+Inf on an unlimited plan), as last read",
    registry=REGISTRY,
)
REMINDERS = Counter(
    "chiiki_reminders", "Reminders fired or skipped (too late)", ["outcome"], registry=REGISTRY
)
ANSWERER = Counter(
    "chiiki_answerer",
    "Free questions by outcome: answered, clarified, unknown",
    ["outcome"],
    registry=REGISTRY,
)
DATABASE_BUSY = Counter(
    "chiiki_database_busy_retries",
    "Writes that found the database busy and are tried again (webhook answered 503, or an"
    " inbox event retried)",
    ["where"],
    registry=REGISTRY,
)
ANSWERER_OUTCOMES = ("answered", "clarified", "unknown")
OUTBOX_CHANNELS = ("telegram", "line", "web")
OUTBOX_STATES = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class ChannelMetrics:
    """One channel's series, looked up once: a label lookup costs more than the addition."""

    # `.labels(…)` gives an instance of the metric's own class, bound to the labels.
    received: Counter
    handled: Counter
    failed: Counter
    handling_seconds: Histogram
    replies_sent: Counter


_BY_CHANNEL: dict[str, ChannelMetrics] = {}


def for_channel(channel: str) -> ChannelMetrics:
    found = _BY_CHANNEL.get(channel)
    if found is None:
        found = _BY_CHANNEL[channel] = ChannelMetrics(
            UPDATES_RECEIVED.labels(channel),
            UPDATES_HANDLED.labels(channel),
            UPDATES_FAILED.labels(channel),
            HANDLING_SECONDS.labels(channel),
            REPLIES_SENT.labels(channel),
        )
    return found


def observe_answerer(outcome: str) -> None:
    """One free question answered, answered with a question back (clarified), or not at all."""
    if outcome not in ANSWERER_OUTCOMES:
        raise ValueError(f"answerer outcome is one of {ANSWERER_OUTCOMES}, not {outcome!r}")
    ANSWERER.labels(outcome).inc()


def send_outcome(exc: DeliveryError) -> str:
    """The label of a failed send: 429, 403, 5xx (server errors and timeouts) or other."""
    if isinstance(exc, RetryableDeliveryError):
        if exc.retry_after is not None or "429" in str(exc):
            return "429"
        return "5xx"
    if isinstance(exc, PermanentDeliveryError) and exc.unreachable:
        return "403"
    return "other"


def set_line_quota(limit: int | None, used: int) -> None:
    LINE_QUOTA_LEFT.set(float("inf") if limit is None else max(0, limit - used))


class _OutboxDepth(Collector):
    def __init__(self, depth: Mapping[tuple[str, str], int]) -> None:
        self._depth = depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "chiiki_outbox_rows",
            "Outbox rows waiting (pending) or being sent (sending), per channel",
            labels=["channel", "state"],
        )
        for (channel, state), count in sorted(self._depth.items()):
            family.add_metric([channel, state], count)
        yield family


def exposition(outbox_depth: Iterable[tuple[str, str, int]]) -> bytes:
    """The Prometheus text format: the counters, and the outbox depth read just now."""
    depth: dict[tuple[str, str], int] = {
        (channel, state): 0
        for channel in ("telegram", "line", "web")
        for state in ("pending", "sending")
    }
    for channel, state, count in outbox_depth:
        depth[(channel, state)] = count
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_OutboxDepth(depth))
    return generate_latest(REGISTRY) + generate_latest(scraped)
