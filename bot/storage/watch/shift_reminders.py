"""Shift reminders for bot/storage/reminders.py: who a due one goes to, if anyone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.storage.broadcasts import NewBroadcast
from bot.storage.database import Connection
from bot.storage.reminders import DueReminder, ReminderNotice
from bot.storage.watch.schedule import Route, Shift, shift_and_route

# A shift's reminder of one kind ("evening", "hour"), composed by the caller.
ShiftReminder = Callable[[Shift, Route, str], NewBroadcast]


class ShiftReminders:
    """Shift reminders (table `shift_reminders`, the evening before and the hour before) for
    `Reminders`: each goes to the volunteers confirmed at that moment, unless the shift has
    begun or was cancelled."""

    name = "shift"
    table = "shift_reminders"
    subject_column = "shift_id"
    variant_column = "kind"

    def __init__(self, compose: ShiftReminder) -> None:
        self._compose = compose

    async def notice(
        self, conn: Connection, reminder: DueReminder, now: datetime
    ) -> ReminderNotice | None:
        shift, route = await shift_and_route(conn, reminder.subject_id)
        if not shift.is_open(now):
            return None
        return ReminderNotice(
            self._compose(shift, route, reminder.variant or ""),
            # Counter volunteers (no resident) have no channel: nothing is queued for them.
            "SELECT resident_id FROM watch_signups WHERE shift_id = ? AND status = 'confirmed'"
            " AND resident_id IS NOT NULL",
            (shift.id,),
        )
