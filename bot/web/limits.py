"""Limits per client address on the web chat: new residents an hour (per address and per
IPv6 /48) and requests a minute.

Token buckets in memory, one per address and limit: a bucket holds up to `capacity` tokens,
refills at `capacity` per `period`, and each request takes one. The table of addresses is
bounded (the least recently seen are dropped first), so a flood of addresses cannot grow it
without end. Each instance counts on its own: behind a load balancer that spreads one address
over N instances, the limits are up to N times looser.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from bot.web.addresses import holder

# About 5 MB at most; an address dropped from the table starts again with a full bucket.
MAX_ADDRESSES = 50_000
# New residents one IPv6 /48 may start an hour, as a multiple of the per-address figure: each
# /64 is one client, but a /48 of them is free to anyone from a tunnel broker.
NEW_RESIDENTS_PER_HOLDER = 10


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """`capacity` requests per `period` seconds for each key, bursts up to `capacity`."""

    def __init__(self, capacity: int, period: float, max_keys: int = MAX_ADDRESSES) -> None:
        self.capacity = capacity
        self.rate = capacity / period
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """Take one token for `key`: 0.0 when allowed, otherwise the seconds until one is due
        (nothing is taken then)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.capacity), now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            # max(): a clock set back must not drain the bucket.
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.capacity), bucket.tokens + elapsed * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)


class WebLimits:
    """The web chat's two limits per address (settings CHIIKI_WEB_REQUESTS_PER_MINUTE and
    CHIIKI_WEB_NEW_RESIDENTS_PER_HOUR), new residents also per IPv6 /48."""

    def __init__(self, requests_per_minute: int, new_residents_per_hour: int) -> None:
        self.requests = TokenBuckets(requests_per_minute, 60.0)
        self.new_residents = TokenBuckets(new_residents_per_hour, 3600.0)
        self.new_per_holder = TokenBuckets(
            new_residents_per_hour * NEW_RESIDENTS_PER_HOLDER, 3600.0
        )

    def request(self, address: str, now: float) -> int:
        """0 when the request may go on, else the whole seconds to wait."""
        return math.ceil(self.requests.take(address, now))

    def new_resident(self, address: str, now: float) -> int:
        """0 when a new identity may be issued, else the whole seconds to wait."""
        wait = self.new_residents.take(address, now)
        wider = holder(address)
        if not wait and wider is not None:
            wait = self.new_per_holder.take(wider, now)
        return math.ceil(wait)


class UploadSlots:
    """Uploads being taken at once: at most `per_address` from one client address and
    `total_bytes` in all, each counted at the size it may reach, from its first byte until its
    answer (the decoding included). Past either, a new upload is refused at once: a few slow
    or parallel senders then cost other residents a retry, never the server its memory."""

    def __init__(self, per_address: int, total_bytes: int) -> None:
        self._per_address = per_address
        self._total_bytes = total_bytes
        self._held: dict[str, int] = {}
        self._bytes = 0

    def take(self, address: str, size: int) -> bool:
        held = self._held.get(address, 0)
        if held >= self._per_address or self._bytes + size > self._total_bytes:
            return False
        self._held[address] = held + 1
        self._bytes += size
        return True

    def give_back(self, address: str, size: int) -> None:
        held = self._held.pop(address, 1) - 1
        if held > 0:
            self._held[address] = held
        self._bytes -= size

    @property
    def bytes_held(self) -> int:
        return self._bytes
