"""`{name:rowid}` in a route: a database id of at most 9 digits, so it always fits the
32-bit INTEGER PostgreSQL keeps ids in (SQLite's are 64-bit). A longer one (10**30 gave
OverflowError, a 500) matches no route: 404."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class RowIdConvertor(Convertor[int]):
    regex = "[0-9]{1,9}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


def register_convertors() -> None:
    """Make `:rowid` known to starlette (a process-wide table; registering again is harmless).
    Call before building routes that use it."""
    register_url_convertor("rowid", RowIdConvertor())
