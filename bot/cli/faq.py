"""`chiiki faq` and `chiiki unanswered`: the FAQ staff write, and what went unanswered."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.output import echo
from bot.cli.startup import friendly_errors, run_in_runtime
from bot.errors import ChiikiError
from bot.staff.actor import cli_actor
from bot.storage.faq import FaqRepository, UnansweredRepository

if TYPE_CHECKING:
    from bot.runtime import Runtime


@click.group()
def faq() -> None:
    """Questions and answers staff write (the dashboard's よくある質問 page)."""


@faq.command("list")
@friendly_errors
def faq_list() -> None:
    """Every staff FAQ entry: id, updated, languages, first question, answer."""
    from bot.staff.faq import one_line

    async def work(runtime: Runtime) -> list[str]:
        return [
            f"{e.id}\t{e.updated_at.astimezone(runtime.settings.tz):%Y-%m-%d}"
            f"\tja{' easy' if e.answer_easy else ''}{' en' if e.answer_en else ''}"
            f"\t{one_line(' / '.join(e.questions))}\t{one_line(e.answer_ja)[:60]}"
            for e in await FaqRepository(runtime.db).entries()
        ]

    for row in run_in_runtime(work):
        echo(row)


@faq.command("add")
@click.option(
    "--question", "questions", multiple=True, required=True, help="A way residents ask it (1-10)."
)
@click.option("--answer", "answer_ja", required=True, help="The answer in Japanese.")
@click.option("--answer-en", help="The answer in English.")
@click.option("--answer-easy", help="The answer in easy Japanese (やさしい日本語).")
@click.option("--source", help="An http(s) address the answer comes from.")
@friendly_errors
def faq_add(
    questions: tuple[str, ...],
    answer_ja: str,
    answer_en: str | None,
    answer_easy: str | None,
    source: str | None,
) -> None:
    """Add an entry; the running service answers with it within half a minute."""
    from bot.staff.faq import add_faq, check_faq

    draft = check_faq(list(questions), answer_ja, answer_en, answer_easy, source)

    async def work(runtime: Runtime) -> int:
        return await add_faq(
            FaqRepository(runtime.db), draft, runtime.services.clock(), actor=cli_actor(runtime.db)
        )

    echo(f"added FAQ entry {run_in_runtime(work)}")


@faq.command("remove")
@click.argument("entry_id", type=int)
@friendly_errors
def faq_remove(entry_id: int) -> None:
    """Remove entry ENTRY_ID."""

    from bot.staff.faq import remove_faq

    async def work(runtime: Runtime) -> bool:
        return await remove_faq(
            FaqRepository(runtime.db),
            entry_id,
            runtime.services.clock(),
            actor=cli_actor(runtime.db),
        )

    if not run_in_runtime(work):
        raise ChiikiError(f"no FAQ entry {entry_id} (see chiiki faq list)")
    echo(f"removed FAQ entry {entry_id}")


@click.group()
def unanswered() -> None:
    """What residents asked that the bot could not answer (text only, never who asked)."""


@unanswered.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@friendly_errors
def unanswered_list(limit: int) -> None:
    """Newest first: id, day last asked, times asked, text."""
    from bot.staff.faq import one_line

    async def work(runtime: Runtime) -> list[str]:
        return [
            f"{q.id}\t{q.last_asked_at.astimezone(runtime.settings.tz):%Y-%m-%d}\t{q.times}"
            f"\t{one_line(q.text)}"
            for q in await UnansweredRepository(runtime.db).grouped(limit)
        ]

    for row in run_in_runtime(work):
        echo(row)
