"""Group commit: many callers' small writes made as one transaction, each caller still waiting
until its own write is stored.

One write runs at a time; whatever arrives meanwhile goes into the next one. Under load the
batches grow by themselves (a write costs about the same for one row as for a hundred), and a
lone caller is written at once, with no timer to wait out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Writes a batch in one transaction; returns one result per item, in the items' order.
WriteBatch = Callable[[list[T]], Awaitable[Sequence[R]]]


class GroupCommit(Generic[T, R]):
    def __init__(self, write: WriteBatch[T, R]) -> None:
        self._write = write
        self._items: list[T] = []
        # Resolves to the results of the batch _items will be written in.
        self._stored: asyncio.Future[Sequence[R]] | None = None
        self._writer: asyncio.Task[None] | None = None

    async def add(self, item: T) -> R:
        """Queue `item` for the next write, wait until that write is committed and return the
        item's result; raise what the write raised (the whole batch failed)."""
        return (await self.add_all([item]))[0]

    async def add_all(self, items: Sequence[T]) -> list[R]:
        if not items:
            return []  # nothing to wait for (and no write would come to end the wait)
        if self._stored is None:
            self._stored = asyncio.get_running_loop().create_future()
        stored, first = self._stored, len(self._items)
        self._items.extend(items)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_batches())
        # Shielded: a caller giving up (cancelled) must not cancel the others' write.
        results = await asyncio.shield(stored)
        return list(results[first : first + len(items)])

    async def _write_batches(self) -> None:
        try:
            while self._items:
                items, stored = self._items, self._stored
                self._items, self._stored = [], None
                assert stored is not None
                try:
                    results = await self._write(items)
                except Exception as exc:
                    stored.set_exception(exc)
                except BaseException:
                    stored.cancel()  # the writer itself stopped (shutdown): so do its waiters
                    raise
                else:
                    stored.set_result(results)
        finally:
            self._writer = None


__all__ = ["GroupCommit", "WriteBatch"]
