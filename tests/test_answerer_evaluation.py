"""The answerer on the evaluation questions (tests/answerer/questions_<pack>.yaml, format in
tests/answerer/README.md): at least 90 % right on each pack, at least 95 % honest "I don't know"
on the out-of-scope ones. `chiiki content eval` prints the same per group, with every miss."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.answerer import build_answerer
from bot.answerer.evaluation import Report, describe, evaluate, load_questions
from bot.cli import main
from bot.content import load_pack, load_pack_catalog

CONTENT = Path(__file__).parent.parent / "content"
QUESTIONS = Path(__file__).parent / "answerer"
PACKS = ("tomioka", "matsumoto")


@pytest.fixture(scope="module", params=PACKS)
def report(request: pytest.FixtureRequest) -> Report:
    pack = load_pack(CONTENT, request.param)
    answerer = build_answerer(CONTENT, pack, load_pack_catalog(CONTENT, pack))
    return evaluate(answerer, load_questions(QUESTIONS / f"questions_{request.param}.yaml"))


def test_at_least_90_percent_of_questions_in_scope_are_answered_right(report: Report) -> None:
    misses = "\n".join(line for line in describe(report) if line.startswith("miss"))
    assert report.in_scope >= 0.90, misses


def test_at_least_95_percent_out_of_scope_get_an_honest_i_do_not_know(report: Report) -> None:
    oos = "\n".join(line for line in describe(report) if line.startswith("miss [oos]"))
    assert report.out_of_scope >= 0.95, oos


def test_the_sets_are_big_enough_to_mean_something(report: Report) -> None:
    assert sum(report.asked.values()) >= 200
    assert report.asked["oos"] >= 30


def _matsumoto_report() -> Report:
    pack = load_pack(CONTENT, "matsumoto")
    answerer = build_answerer(CONTENT, pack, load_pack_catalog(CONTENT, pack))
    return evaluate(answerer, load_questions(QUESTIONS / "questions_matsumoto.yaml"))


def test_content_eval_prints_each_group_and_every_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIIKI_CONTENT_DIR", str(CONTENT))
    result = CliRunner().invoke(main, ["content", "eval", "--pack", "matsumoto"])
    assert result.exit_code == 0, result.output
    assert "== matsumoto" in result.output
    assert "\noos " in result.output and "in scope" in result.output
    report = _matsumoto_report()
    assert result.output.count("\nmiss [") == len(report.misses)
