"""`chiiki staff`: staff accounts for the dashboard."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from bot.cli.output import echo
from bot.cli.startup import friendly_errors, run_in_runtime
from bot.staff.actor import cli_actor
from bot.storage.staff import StaffRepository, StaffRole

if TYPE_CHECKING:
    from bot.runtime import Runtime


@click.group()
def staff() -> None:
    """Staff accounts for the dashboard at /admin."""


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


_ROLE = click.option(
    "--role",
    type=click.Choice(["admin", "district", "viewer"]),
    default="admin",
    show_default=True,
    help="admin: everything; district: only the --district ones; viewer: reads only",
)
_DISTRICT = click.option(
    "--district", "districts", multiple=True, help="a district id (repeat for more)"
)


@staff.command("add")
@click.argument("login")
@_ROLE
@_DISTRICT
@friendly_errors
def staff_add(login: str, role: str, districts: tuple[str, ...]) -> None:
    """Add a staff account; the password is asked for (or read from standard input)."""
    from bot.staff.accounts import add_account, check_login_name, hash_password
    from bot.staff.roles import check_role

    login = check_login_name(login)
    check_role(role, districts)
    password_hash = hash_password(_read_password())

    async def work(runtime: Runtime) -> None:
        await add_account(
            StaffRepository(runtime.db),
            login,
            password_hash,
            runtime.services.clock(),
            actor=cli_actor(runtime.db),
            role=role,
            districts=frozenset(districts),
            pack=runtime.services.pack,
        )

    run_in_runtime(work)
    echo(f"added {login} ({role}); log in at /admin")


@staff.command("role")
@click.argument("login")
@_ROLE
@_DISTRICT
@friendly_errors
def staff_role(login: str, role: str, districts: tuple[str, ...]) -> None:
    """Give LOGIN another role (and districts)."""
    from bot.staff.accounts import change_role

    async def work(runtime: Runtime) -> None:
        await change_role(
            StaffRepository(runtime.db),
            login,
            role,
            frozenset(districts),
            runtime.services.clock(),
            actor=cli_actor(runtime.db),
            pack=runtime.services.pack,
        )

    run_in_runtime(work)
    echo(f"{login} is now {role} {' '.join(districts)}".rstrip())


@staff.command("remove")
@click.argument("login")
@friendly_errors
def staff_remove(login: str) -> None:
    """Remove a staff account and end its sessions."""
    from bot.staff.accounts import remove_account

    async def work(runtime: Runtime) -> None:
        await remove_account(
            StaffRepository(runtime.db),
            login,
            runtime.services.clock(),
            actor=cli_actor(runtime.db),
        )

    run_in_runtime(work)
    echo(f"removed {login}")


@staff.command("list")
@friendly_errors
def staff_list() -> None:
    """Every staff login with its role (and districts)."""
    from bot.staff.accounts import list_accounts

    async def work(runtime: Runtime) -> list[StaffRole]:
        return await list_accounts(StaffRepository(runtime.db), actor=cli_actor(runtime.db))

    for account in run_in_runtime(work):
        echo(f"{account.login} {account.role} {' '.join(sorted(account.districts))}".rstrip())


@staff.command("unlock")
@click.argument("login")
@friendly_errors
def staff_unlock(login: str) -> None:
    """Let LOGIN try again at once: forget its failed logins (wrong passwords lock a login
    name for 15 minutes)."""
    from bot.staff.accounts import unlock_account

    async def work(runtime: Runtime) -> int:
        return await unlock_account(
            StaffRepository(runtime.db),
            login,
            runtime.services.clock(),
            actor=cli_actor(runtime.db),
        )

    cleared = run_in_runtime(work)
    echo(f"unlocked {login} ({cleared} failed login(s) forgotten)")
