"""Group commit: callers arriving during a write share the next one, and each waits for its own."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.group_commit import GroupCommit


class Writes:
    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.fail_next = False

    async def write(self, items: list[int]) -> list[int]:
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database is locked")
        self.batches.append(items)
        return [item * 10 for item in items]  # a result per item, as an insert's new ids


async def test_callers_arriving_during_a_write_share_the_next_one() -> None:
    writes = Writes()
    group = GroupCommit(writes.write)
    first = asyncio.create_task(group.add(1))
    await asyncio.sleep(0)  # the first write starts and waits at the gate
    rest = [asyncio.create_task(group.add(n)) for n in range(2, 51)]
    await asyncio.sleep(0)
    assert not any(task.done() for task in [first, *rest])  # nobody returns before the write
    writes.gate.set()
    results = await asyncio.gather(first, *rest)
    assert writes.batches == [[1], list(range(2, 51))]
    assert results == [n * 10 for n in range(1, 51)]  # each caller gets its own item's result


async def test_a_lone_caller_is_written_at_once_and_each_batch_once() -> None:
    writes = Writes()
    writes.gate.set()
    group = GroupCommit(writes.write)
    assert await group.add(1) == 10
    assert await group.add_all([2, 3]) == [20, 30]
    assert await group.add_all([]) == []  # returns at once (a LINE webhook may carry no events)
    assert writes.batches == [[1], [2, 3]]


async def test_a_failed_write_fails_its_own_callers_only() -> None:
    writes = Writes()
    group = GroupCommit(writes.write)
    writes.fail_next = True
    failing = [asyncio.create_task(group.add(n)) for n in (1, 2)]
    await asyncio.sleep(0)
    later = asyncio.create_task(group.add(3))  # joins the batch after the failing one
    writes.gate.set()
    for task in failing:
        with pytest.raises(RuntimeError, match="locked"):
            await task
    await later
    assert writes.batches == [[3]]


async def test_a_caller_giving_up_does_not_cancel_the_others_write() -> None:
    writes = Writes()
    group = GroupCommit(writes.write)
    impatient = asyncio.create_task(group.add(1))
    patient = asyncio.create_task(group.add(2))
    await asyncio.sleep(0)
    impatient.cancel()
    writes.gate.set()
    await patient
    assert writes.batches == [[1, 2]]  # the write went ahead, with both items
    assert impatient.cancelled()
