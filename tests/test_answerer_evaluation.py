"""The answerer on the evaluation questions (tests/answerer/questions_<pack>.yaml, format in
tests/answerer/README.md): at least 90 % right on each pack, at least 95 % honest "I don't know"
on the out-of-scope ones. `chiiki content eval` prints the same per group, with every miss.

And on the held-out sets (heldout_<pack>.yaml, never tuned on): floors a little under the
figures reached (tests/answerer/README.md), so that a change that makes the answerer worse on
questions it has not seen fails here, and a ceiling on confident wrong answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.answerer.evaluation import Report, describe, evaluate, load_questions
from bot.cli import main
from tests.answerers import CONTENT, shipped_answerer

QUESTIONS = Path(__file__).parent / "answerer"
PACKS = ("tomioka", "matsumoto")


@pytest.fixture(scope="module", params=PACKS)
def report(request: pytest.FixtureRequest) -> Report:
    answerer = shipped_answerer(request.param)
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


# A little under what the answerer reaches (Tomioka 91.3 %, Matsumoto 89.0 %; wrong 2.8 %, 4.1 %).
HELD_OUT_FLOOR = {"tomioka": 0.88, "matsumoto": 0.86}
HELD_OUT_MOST_WRONG = 0.06


@pytest.fixture(scope="module", params=PACKS)
def held_out(request: pytest.FixtureRequest) -> tuple[str, Report]:
    answerer = shipped_answerer(request.param)
    questions = load_questions(QUESTIONS / f"heldout_{request.param}.yaml")
    return request.param, evaluate(answerer, questions)


def test_held_out_questions_stay_above_their_floor(held_out: tuple[str, Report]) -> None:
    pack, report = held_out
    misses = "\n".join(line for line in describe(report) if line.startswith("miss"))
    assert sum(report.asked.values()) >= 120
    assert report.overall >= HELD_OUT_FLOOR[pack], misses


def test_held_out_confident_wrong_answers_stay_rare(held_out: tuple[str, Report]) -> None:
    _, report = held_out
    assert report.wrong_share <= HELD_OUT_MOST_WRONG, dict(report.wrong)


def test_held_out_city_business_small_talk_and_attacks_are_not_answered_as_topics(
    held_out: tuple[str, Report],
) -> None:
    _, report = held_out
    assert report.share({"oos"}) >= 0.95
    assert report.share({"smalltalk"}) >= 0.9
    assert report.wrong["oos"] + report.wrong["smalltalk"] + report.wrong["adversarial"] <= 1


# Held-out set 3 (heldout3_<pack>.yaml: misconversions, voice input, dialect, fragments …),
# scored on its test half only, the half never read: a little under what the answerer reaches
# (Tomioka 89.9 %, Matsumoto 87.3 % right; 6.3 %, 3.8 % wrong). Failures print counts per group,
# not the questions, so that the test half stays unread.
HELD_OUT_3_FLOOR = {"tomioka": 0.87, "matsumoto": 0.84}
HELD_OUT_3_MOST_WRONG = 0.09


@pytest.fixture(scope="module", params=PACKS)
def held_out_3_test_half(request: pytest.FixtureRequest) -> tuple[str, Report]:
    answerer = shipped_answerer(request.param)
    questions = load_questions(QUESTIONS / f"heldout3_{request.param}.yaml")
    return request.param, evaluate(answerer, [q for q in questions if q.half == "test"])


def test_held_out_3_test_half_stays_above_its_floor(
    held_out_3_test_half: tuple[str, Report],
) -> None:
    pack, report = held_out_3_test_half
    assert sum(report.asked.values()) >= 75
    assert report.overall >= HELD_OUT_3_FLOOR[pack], dict(report.right)


def test_held_out_3_test_half_has_few_confident_wrong_answers(
    held_out_3_test_half: tuple[str, Report],
) -> None:
    _, report = held_out_3_test_half
    assert report.wrong_share <= HELD_OUT_3_MOST_WRONG, dict(report.wrong)
    assert report.wrong["oos"] <= 1, dict(report.wrong)


def _matsumoto_report() -> Report:
    answerer = shipped_answerer("matsumoto")
    return evaluate(answerer, load_questions(QUESTIONS / "questions_matsumoto.yaml"))


def test_content_eval_prints_each_group_and_every_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIIKI_CONTENT_DIR", str(CONTENT))
    result = CliRunner().invoke(main, ["content", "eval", "--pack", "matsumoto"])
    assert result.exit_code == 0, result.output
    assert "== matsumoto" in result.output
    assert "\noos " in result.output and "in scope" in result.output
    report = _matsumoto_report()
    assert result.output.count("\nmiss [") == len(report.misses)


def test_content_eval_can_score_the_held_out_set_and_keep_its_test_half_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHIIKI_CONTENT_DIR", str(CONTENT))
    arguments = ["content", "eval", "--pack", "tomioka", "--set", "heldout", "--misses-of", "dev"]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert "\nsmalltalk " in result.output and "wrong answers" in result.output
    answerer = shipped_answerer("tomioka")
    report = evaluate(answerer, load_questions(QUESTIONS / "heldout_tomioka.yaml"))
    dev_misses = [miss for miss in report.misses if miss.question.half == "dev"]
    assert result.output.count("\nmiss [") == len(dev_misses) < len(report.misses)
