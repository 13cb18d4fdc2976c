"""The staff audit log: append-only in the database itself, removed only by retention after
at least a year, written by the bot/staff functions (so the CLI and the dashboard both write
it), shown to admins only, exported through the one CSV writer, printed by `chiiki audit`."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.staff.accounts import hash_password
from bot.staff.actor import StaffActor, cli_actor
from bot.staff.audit import ACCOUNT_ADDED, LOGIN, LOGIN_FAILED, record
from bot.storage.audit import AuditEntry, AuditFilter, AuditRepository
from bot.storage.retention import RetentionRules, Rule, apply_retention
from bot.storage.staff import StaffRepository
from bot.storage.timestamps import to_db
from tests.admin_helpers import STAFF_PASSWORD, add_staff, csrf_of, log_in, web_client
from tests.conftest import FakeClock, make_settings
from tests.databases import database_for

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def settings(tmp_path: Path, content_dir: Path) -> Settings:
    return make_settings(tmp_path, content_dir, CHIIKI_PACK="testville")


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(runtime, "192.0.2.7") as client:
        yield client


def real_now() -> datetime:
    # The database's triggers compare with the database's own clock, not the test's.
    return datetime.now(UTC)


async def add_row(runtime: Runtime, at: datetime, action: str = "poll.closed") -> None:
    await AuditRepository(runtime.db).add(AuditEntry(at, "kanri", action, "poll", "1"))


async def test_the_database_refuses_changing_any_row_and_deleting_a_recent_one(
    runtime: Runtime,
) -> None:
    await add_row(runtime, real_now())
    with pytest.raises(Exception, match="append-only"):
        async with runtime.db.transaction() as conn:
            await conn.execute("UPDATE staff_audit SET login = 'someone-else'")
    with pytest.raises(Exception, match="at least a year"):
        async with runtime.db.transaction() as conn:
            await conn.execute("DELETE FROM staff_audit")
    entries = await AuditRepository(runtime.db).entries(AuditFilter())
    assert [e.login for e in entries] == ["kanri"]


def test_the_repository_offers_no_way_to_change_or_remove_a_row() -> None:
    public = {name for name, _ in inspect.getmembers(AuditRepository, inspect.isfunction)}
    assert public - {"__init__"} == {"add", "entries", "actions"}


async def test_retention_removes_only_rows_past_the_rule(runtime: Runtime) -> None:
    now = real_now()
    await add_row(runtime, now - timedelta(days=6 * 365), "old")
    await add_row(runtime, now - timedelta(days=2 * 365), "kept")
    await add_row(runtime, now, "new")
    removed = await apply_retention(runtime.db, runtime.settings.retention, now, TOKYO)
    assert removed["audit"] == 1
    left = await AuditRepository(runtime.db).entries(AuditFilter())
    assert sorted(e.action for e in left) == ["kept", "new"]
    # Even a rule of a year and a day leaves this year's rows alone.
    short = RetentionRules(*(Rule("forever"),) * 5, Rule("366d"))
    assert (await apply_retention(runtime.db, short, now, TOKYO))["audit"] == 1
    assert [e.action for e in await AuditRepository(runtime.db).entries(AuditFilter())] == ["new"]


def test_the_audit_rule_defaults_to_five_years_and_refuses_under_a_year() -> None:
    assert load_settings({}).retention.audit == Rule("1827d")
    assert load_settings({"CHIIKI_RETAIN_AUDIT": "forever"}).retention.audit == Rule("forever")
    for short in ("30d", "fiscal-year"):
        with pytest.raises(ConfigError, match="CHIIKI_RETAIN_AUDIT"):
            load_settings({"CHIIKI_RETAIN_AUDIT": short})


async def test_filters_by_who_action_and_days(runtime: Runtime) -> None:
    audit = AuditRepository(runtime.db)
    day = datetime(2026, 11, 20, 3, tzinfo=UTC)
    await audit.add(AuditEntry(day, "a", "poll.closed"))
    await audit.add(AuditEntry(day + timedelta(days=1), "b", "poll.closed"))
    await audit.add(AuditEntry(day + timedelta(days=2), "a", "event.created"))
    assert [e.login for e in await audit.entries(AuditFilter(login="a"))] == ["a", "a"]
    assert [e.login for e in await audit.entries(AuditFilter(action="poll.closed"))] == [
        "b",
        "a",
    ]
    window = AuditFilter(since=day + timedelta(hours=12), until=day + timedelta(days=1, hours=1))
    assert [e.login for e in await audit.entries(window)] == ["b"]


async def test_an_actor_without_a_log_writes_nothing_and_the_cli_actor_has_one(
    runtime: Runtime, clock: FakeClock
) -> None:
    await record(StaffActor("t"), "poll.closed", clock.now)
    assert await AuditRepository(runtime.db).entries(AuditFilter()) == []
    actor = cli_actor(runtime.db)
    assert actor.address == "cli" and actor.audit is not None
    await record(actor, "poll.closed", clock.now, "poll", 3, "x" * 500)
    (entry,) = await AuditRepository(runtime.db).entries(AuditFilter())
    assert (entry.object_id, entry.address, len(entry.detail or "")) == ("3", "cli", 200)


async def test_logins_and_failed_logins_are_recorded_with_the_address(
    runtime: Runtime, http: httpx.AsyncClient
) -> None:
    await add_staff(runtime)
    assert (await log_in(http, password="wrong-password-1")).status_code == 401
    assert (await log_in(http)).status_code == 303
    entries = await AuditRepository(runtime.db).entries(AuditFilter())
    assert [(e.action, e.login, e.address) for e in entries] == [
        (LOGIN, "kanri", "192.0.2.7"),
        (LOGIN_FAILED, "kanri", "192.0.2.7"),
    ]
    assert all("wrong-password" not in str(e) for e in entries)


async def test_the_audit_page_and_csv_are_for_admins_only_and_escape(
    runtime: Runtime, http: httpx.AsyncClient
) -> None:
    await add_staff(runtime)
    staff = StaffRepository(runtime.db)
    assert await staff.add(
        "miru", hash_password(STAFF_PASSWORD), runtime.services.clock(), "viewer"
    )
    await AuditRepository(runtime.db).add(
        AuditEntry(
            runtime.services.clock(), "<script>x</script>", "=cmd()", "poll", "1", "@SUM(1)"
        )
    )
    await log_in(http, "miru")
    assert (await http.get("/admin/audit")).status_code == 403
    assert (await http.get("/admin/audit.csv")).status_code == 403
    assert "/admin/audit" not in (await http.get("/admin/")).text
    await http.post("/admin/logout", data={"csrf_token": csrf_of(await http.get("/admin/"))})
    await log_in(http)
    page = await http.get("/admin/audit")
    assert page.status_code == 200
    assert "<script>x</script>" not in page.text and "&lt;script&gt;" in page.text
    filtered = await http.get("/admin/audit", params={"who": "miru", "action": LOGIN})
    assert filtered.text.count("<tr><td>") == 1
    exported = await http.get("/admin/audit.csv", params={"action": "=cmd()"})
    assert exported.status_code == 200
    assert "'=cmd()" in exported.text and "'@SUM(1)" in exported.text
    last = (await AuditRepository(runtime.db).entries(AuditFilter()))[0]
    assert (last.action, last.login, last.object_kind) == ("csv.exported", "kanri", "audit")


def test_staff_commands_are_recorded_and_chiiki_audit_prints_them(
    tmp_path: Path, content_dir: Path
) -> None:
    env = {
        "CHIIKI_DB": database_for(tmp_path, "audit-cli"),
        "CHIIKI_CONTENT_DIR": str(content_dir),
        "CHIIKI_PACK": "testville",
        "COLUMNS": "200",  # rich's table on one line per row
    }
    runner = CliRunner()
    added = runner.invoke(
        main,
        ["staff", "add", "higashi", "--role", "district", "--district", "higashi"],
        input=STAFF_PASSWORD + "\n",
        env=env,
    )
    # The pack has no such district: refused.
    assert added.exit_code == 2 and "no district higashi" in added.output
    pack_district = "d03"
    added = runner.invoke(
        main,
        ["staff", "add", "higashi", "--role", "district", "--district", pack_district],
        input=STAFF_PASSWORD + "\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert (
        runner.invoke(main, ["staff", "role", "higashi", "--role", "viewer"], env=env).exit_code
        == 0
    )
    assert runner.invoke(main, ["staff", "remove", "higashi"], env=env).exit_code == 0
    printed = runner.invoke(main, ["audit"], env=env)
    assert printed.exit_code == 0, printed.output
    for line in ("account.removed", "account.role_changed", ACCOUNT_ADDED):
        assert line in printed.output
    assert f"district {pack_district}" in printed.output and "cli" in printed.output
    only = runner.invoke(main, ["audit", "--action", "account.removed"], env=env)
    assert "account.added" not in only.output and "account.removed" in only.output


async def test_an_audit_row_keeps_its_time_in_utc_text(runtime: Runtime) -> None:
    moment = datetime(2026, 11, 23, 9, tzinfo=TOKYO)
    await add_row(runtime, moment)
    row = await runtime.db.fetch_one("SELECT at FROM staff_audit")
    assert row is not None and row[0] == to_db(moment)


async def test_days_at_the_ends_of_the_calendar_are_no_server_error(
    runtime: Runtime, http: httpx.AsyncClient
) -> None:
    """to=9999-12-31 overflowed when a day was added, from=0001-01-01 when moved to UTC."""
    await add_staff(runtime)
    await log_in(http)
    await add_row(runtime, real_now())
    for days in ({"to": "9999-12-31"}, {"from": "0001-01-01"}, {"from": "0001-01-01", "to": ""}):
        for path in ("/admin/audit", "/admin/audit.csv"):
            response = await http.get(path, params=days)
            assert response.status_code == 200, (path, days)
            assert "poll.closed" in response.text  # an impossible day filters nothing out
    for days in ({"from": "9999-12-31"}, {"from": "0001-01-01"}, {"to": "9999-12-31"}):
        assert (await http.get("/admin/watch/print", params=days)).status_code == 404
