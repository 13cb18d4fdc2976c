from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.databases import database_for


def run_chat(tmp_path: Path, content_dir: Path, lines: str, **env: str) -> str:
    environ = {
        "CHIIKI_DB": database_for(tmp_path, "c"),
        "CHIIKI_CONTENT_DIR": str(content_dir),
        **env,
    }
    result = CliRunner().invoke(main, ["chat"], input=lines, env=environ)
    assert result.exit_code == 0, result.output
    return result.output


def test_goals_names_tomiokas_three_goals(tmp_path: Path, content_dir: Path) -> None:
    output = run_chat(tmp_path, content_dir, "/goals\n")
    for goal in ("地域を知ろう", "地域について話し合おう", "地域づくりに関わろう"):
        assert goal in output
    assert "[1] 地域を知ろう" in output


def test_a_number_picks_the_numbered_choice(tmp_path: Path, content_dir: Path) -> None:
    output = run_chat(tmp_path, content_dir, "/goals\n3\n")
    assert "【地域づくりに関わろう】" in output
    assert "身近な課題の解決" in output


def test_a_number_with_no_such_choice_is_just_text(tmp_path: Path, content_dir: Path) -> None:
    output = run_chat(tmp_path, content_dir, "/goals\n99\n")
    assert "お答えできません" in output


def test_matsumoto_about_and_roles(tmp_path: Path, content_dir: Path) -> None:
    output = run_chat(tmp_path, content_dir, "/about\n/roles\n", CHIIKI_PACK="matsumoto")
    assert "地域力" in output and "地域づくりセンター" in output


def test_a_bad_setting_stops_with_one_line(tmp_path: Path, content_dir: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["chat"],
        input="",
        env={"CHIIKI_PORT": "nope", "CHIIKI_DB": database_for(tmp_path, "x")},
    )
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "CHIIKI_PORT" in result.output


def test_migrate_command_reports_then_is_idempotent(tmp_path: Path) -> None:
    env = {"CHIIKI_DB": database_for(tmp_path, "m", migrated=False)}
    first = CliRunner().invoke(main, ["migrate"], env=env)
    assert first.exit_code == 0 and "applied: 0001" in first.output
    again = CliRunner().invoke(main, ["migrate"], env=env)
    assert "up to date" in again.output


def test_exit_or_quit_leaves_and_the_start_says_so(
    tmp_path: Path, content_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.cli.chat._interactive", lambda: True)
    output = run_chat(tmp_path, content_dir, "quit\n/goals\n")
    assert "type exit or quit to leave" in output and "exit か quit" in output
    assert "地域を知ろう" not in output  # left before /goals
    assert "地域を知ろう" in run_chat(tmp_path, content_dir, "/goals\nexit\n")
    assert "地域を知ろう" not in run_chat(tmp_path, content_dir, " EXIT \n/goals\n")
