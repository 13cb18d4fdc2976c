"""`chiiki staff`: staff accounts for the dashboard."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from bot.cli.startup import friendly_errors, run_in_runtime
from bot.staff.actor import CLI_ACTOR
from bot.storage.staff import StaffRepository

if TYPE_CHECKING:
    from bot.runtime import Runtime


@click.group()
def staff() -> None:
    """Staff accounts for the dashboard at /admin."""


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


@staff.command("add")
@click.argument("login")
@friendly_errors
def staff_add(login: str) -> None:
    """Add a staff account; the password is asked for (or read from standard input)."""
    from bot.staff.accounts import add_account, check_login_name, hash_password

    login = check_login_name(login)
    password_hash = hash_password(_read_password())

    async def work(runtime: Runtime) -> None:
        await add_account(
            StaffRepository(runtime.db),
            login,
            password_hash,
            runtime.services.clock(),
            actor=CLI_ACTOR,
        )

    run_in_runtime(work)
    click.echo(f"added {login}; log in at /admin")


@staff.command("remove")
@click.argument("login")
@friendly_errors
def staff_remove(login: str) -> None:
    """Remove a staff account and end its sessions."""
    from bot.staff.accounts import remove_account

    async def work(runtime: Runtime) -> None:
        await remove_account(StaffRepository(runtime.db), login, actor=CLI_ACTOR)

    run_in_runtime(work)
    click.echo(f"removed {login}")


@staff.command("list")
@friendly_errors
def staff_list() -> None:
    """Every staff login."""

    async def work(runtime: Runtime) -> list[str]:
        return await StaffRepository(runtime.db).logins()

    for login in run_in_runtime(work):
        click.echo(login)


@staff.command("unlock")
@click.argument("login")
@friendly_errors
def staff_unlock(login: str) -> None:
    """Let LOGIN try again at once: forget its failed logins (wrong passwords lock a login
    name for 15 minutes)."""
    from bot.staff.accounts import unlock_account

    async def work(runtime: Runtime) -> int:
        return await unlock_account(StaffRepository(runtime.db), login, actor=CLI_ACTOR)

    cleared = run_in_runtime(work)
    click.echo(f"unlocked {login} ({cleared} failed login(s) forgotten)")
