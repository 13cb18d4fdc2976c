"""`chiiki content`: check, list and score the content packs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.output import echo
from bot.cli.startup import command_settings, friendly_errors
from bot.config import PROJECT_ROOT


@click.group()
def content() -> None:
    """Content packs: one per municipality, under content/."""


@content.command("check")
@friendly_errors
def content_check() -> None:
    """Validate every pack and the message catalog; exit 1 naming each problem."""
    from bot.content import list_packs
    from bot.content.loader import check_packs

    settings = command_settings()
    problems = check_packs(settings.content_dir)
    for problem in problems:
        echo(problem, err=True)
    if problems:
        sys.exit(1)
    echo("ok: " + ", ".join(list_packs(settings.content_dir)) + " and the message catalog")


@content.command("eval")
@click.option("--pack", "packs", multiple=True, help="A pack to score (default: every pack).")
@click.option(
    "--questions",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "tests" / "answerer",
    show_default=True,
    help="Where questions_<pack>.yaml are.",
)
@click.option(
    "--set",
    "question_set",
    type=click.Choice(["questions", "heldout", "heldout3"]),
    default="questions",
    show_default=True,
    help="The evaluation set, or a held-out one (heldout_<pack>.yaml, heldout3_<pack>.yaml).",
)
@click.option(
    "--misses-of",
    "half",
    type=click.Choice(["all", "dev", "none"]),
    default="all",
    show_default=True,
    help="Whose misses to print: all, the dev half's only (the test half stays unread), none.",
)
@friendly_errors
def content_eval(packs: tuple[str, ...], folder: Path, question_set: str, half: str) -> None:
    """Score the answerer on the evaluation questions: per group, then every miss."""
    from bot.answerer import build_answerer
    from bot.answerer.evaluation import describe, evaluate, load_questions
    from bot.content import list_packs, load_pack, load_pack_catalog

    settings = command_settings()
    for name in packs or list_packs(settings.content_dir):
        path = folder / f"{question_set}_{name}.yaml"
        if not path.is_file():
            echo(f"{name}: no {path}", err=True)
            continue
        pack = load_pack(settings.content_dir, name)
        answerer = build_answerer(
            settings.content_dir, pack, load_pack_catalog(settings.content_dir, pack)
        )
        questions = load_questions(path)
        report = evaluate(answerer, questions)
        echo(f"== {name}: {len(questions)} questions")
        halves = {"all": None, "dev": {"dev"}, "none": set()}[half]
        for line in describe(report, halves):
            echo(line)


@content.command("list")
@friendly_errors
def content_list() -> None:
    """List the packs that can be chosen with CHIIKI_PACK."""
    from bot.content import list_packs

    for name in list_packs(command_settings().content_dir):
        echo(name)
