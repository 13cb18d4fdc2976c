"""`chiiki migrate` and `chiiki db`: the database itself (migrations, backup, restore, copy).

These work on database files and addresses, not through the runtime: `migrate` reports what
it applied, `restore` must run while nothing holds the database, `copy` opens two databases.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.cli.output import echo
from bot.cli.startup import command_settings, friendly_errors


@click.command()
@friendly_errors
def migrate() -> None:
    """Apply pending database migrations."""
    from bot.storage import apply_migrations, open_database

    settings = command_settings()

    async def run() -> list[int]:
        db = await open_database(settings.db, settings.db_busy_timeout_ms)
        try:
            return await apply_migrations(db, settings.migrations_dir)
        finally:
            await db.close()

    applied = asyncio.run(run())
    if applied:
        echo("applied: " + ", ".join(f"{v:04d}" for v in applied))
    else:
        echo("the database is up to date")


@click.group()
def db() -> None:
    """The database itself."""


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@friendly_errors
def db_backup(file: Path) -> None:
    """Copy the SQLite database to FILE while the service runs (one consistent snapshot)."""
    from bot.storage.backup import backup_sqlite

    made = backup_sqlite(command_settings().db, file)
    echo(f"backed up to {made} ({made.stat().st_size} bytes)")


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@friendly_errors
def db_restore(file: Path) -> None:
    """Put the backup FILE in place of the SQLite database (stop every chiiki on it first).

    The backup must pass SQLite's integrity check and be no newer than this chiiki; the file
    it replaces is kept beside it as <db>.replaced-<time>.
    """
    from bot.storage.backup import restore_sqlite
    from bot.storage.migrations import discover_migrations

    settings = command_settings()
    newest = discover_migrations(settings.migrations_dir)[-1].version
    version = restore_sqlite(file, settings.db, newest)
    echo(f"restored {file} (migration {version:04d}) to {settings.db}")


@db.command("copy")
@click.argument("sqlite_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("postgres_url")
@friendly_errors
def db_copy(sqlite_file: Path, postgres_url: str) -> None:
    """Copy everything in SQLITE_FILE into the empty PostgreSQL database at POSTGRES_URL.

    Stop `chiiki serve` first, so nothing changes in the file while it is copied.
    """
    from bot.storage import open_database
    from bot.storage.copy import copy_database
    from bot.storage.database import is_postgres_target

    if not is_postgres_target(postgres_url):
        raise click.BadParameter("a postgresql://… address", param_hint="POSTGRES_URL")
    settings = command_settings()

    async def run() -> dict[str, int]:
        source = await open_database(str(sqlite_file), settings.db_busy_timeout_ms)
        try:
            target = await open_database(postgres_url, settings.db_busy_timeout_ms)
            try:
                return await copy_database(source, target, settings.migrations_dir)
            finally:
                await target.close()
        finally:
            await source.close()

    copied = asyncio.run(run())
    for table, rows in copied.items():
        echo(f"{table}: {rows}")
    echo(f"copied {sum(copied.values())} rows in {len(copied)} tables")
