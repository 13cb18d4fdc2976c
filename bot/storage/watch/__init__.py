"""School-route watch (登下校見守り) storage, one module a job:

- schedule.py         routes and shifts: a watch file loaded, read, a shift cancelled
- places.py           the one place rule (confirmed while there is room, else the waitlist;
                      a freed place to the first waiting), for residents and counter alike
- signups.py          residents' sign-ups from the chat
- counter.py          counter sign-ups (窓口での代理入力): volunteers staff sign up by name
- rosters.py          who is on which shift, by name
- shift_reminders.py  who a due shift reminder goes to (for bot/storage/reminders.py)
"""

from __future__ import annotations

from bot.storage.database import Database
from bot.storage.watch.counter import CounterSignupRepository
from bot.storage.watch.rosters import RosterRepository
from bot.storage.watch.schedule import ScheduleRepository
from bot.storage.watch.signups import SignupRepository


class WatchRepository:
    """The watch's repositories over one database, handed to services as one."""

    def __init__(self, db: Database) -> None:
        self.schedule = ScheduleRepository(db)
        self.signups = SignupRepository(db, self.schedule)
        self.counter = CounterSignupRepository(db)
        self.rosters = RosterRepository(db, self.schedule)
