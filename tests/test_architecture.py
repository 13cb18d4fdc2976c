"""Dependencies point one way (docs/ARCHITECTURE.md). This test is the rule, not the doc."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

# Third-party packages, and the only places allowed to import them.
OWNERS = {
    "telegram": ("bot/channels/",),
    "linebot": ("bot/channels/",),
    "starlette": ("bot/web/",),
    # The database drivers: only bot/storage, which raises chiiki's own errors in place of
    # theirs (StorageBusyError, ConstraintViolationError in bot/errors.py).
    "aiosqlite": ("bot/storage/",),
    "sqlite3": ("bot/storage/",),
    "asyncpg": ("bot/storage/",),
    "apscheduler": ("bot/scheduler.py",),
    "sudachipy": ("bot/japanese.py",),
}
# What handlers/ and bot/core may import from our own code.
HANDLERS_MAY_IMPORT = (
    "bot.core",
    "bot.storage",
    "bot.content",
    "bot.notices",
    "bot.errors",
    "bot.answerer",
    "bot.images",  # Pillow only: a photo's real type, EXIF stripped
    "handlers",
)
# What a channel adapter (bot/channels) may import of ours: the neutral types and its own
# package (with what is in them), the delivery interface (retries and their errors) and the
# counters. Never the dispatcher, handlers or storage: the pipeline (bot/pipeline.py) stands
# between them.
CHANNELS_MAY_IMPORT_PACKAGES = ("bot.core", "bot.channels")
CHANNELS_MAY_IMPORT_MODULES = (
    "bot.delivery",  # the package's interface (RetryPolicy, send_with_retries), not the outbox
    "bot.delivery.retry",
    "bot.errors",
    "bot.metrics",
)
# The LINE rich menu is staff set-up drawn from the pack and catalog, not a conversation path.
CHANNEL_EXCEPTIONS = {"line_rich_menu.py": ("bot.content",)}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (PROJECT_ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("bot", "handlers"), ids=lambda p: p.name)
def test_sdks_and_drivers_stay_in_their_rooms(path: Path) -> None:
    relative = path.relative_to(PROJECT_ROOT).as_posix()
    for module in imports_of(path):
        top = module.split(".")[0]
        if top in OWNERS:
            assert relative.startswith(OWNERS[top]), f"{relative} imports {module}"


@pytest.mark.parametrize("path", python_files("handlers"), ids=lambda p: p.name)
def test_handlers_import_only_the_core_storage_and_content(path: Path) -> None:
    for module in imports_of(path):
        if module.split(".")[0] in {"bot", "handlers"}:
            assert module.startswith(HANDLERS_MAY_IMPORT), f"{path.name} imports {module}"


def own_imports(path: Path) -> set[str]:
    """Our modules `path` imports, `from bot import metrics` counted as bot.metrics."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in {"bot", "handlers"}:
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
    return {module for module in found if module.split(".")[0] in {"bot", "handlers"}}


@pytest.mark.parametrize("path", python_files("bot/channels"), ids=lambda p: p.name)
def test_channels_import_only_their_sdk_the_core_and_the_delivery_interface(path: Path) -> None:
    modules = CHANNELS_MAY_IMPORT_MODULES + CHANNEL_EXCEPTIONS.get(path.name, ())
    for module in own_imports(path):
        inside = any(
            module == p or module.startswith(f"{p}.") for p in CHANNELS_MAY_IMPORT_PACKAGES
        )
        assert inside or module in modules, f"{path.name} imports {module}"


@pytest.mark.parametrize("path", python_files("bot/core"), ids=lambda p: p.name)
def test_the_core_imports_nothing_of_ours_but_itself(path: Path) -> None:
    for module in imports_of(path):
        if module.split(".")[0] in {"bot", "handlers"}:
            assert module.startswith("bot.core"), f"{path.name} imports {module}"


LANGUAGE_CODES = {"ja", "en", "easy"}
_LANGUAGE_FIELD = re.compile(r"_(ja|en|easy)$")


def _language_code(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and node.value in LANGUAGE_CODES:
        return str(node.value)
    if isinstance(node, ast.Name) and node.id.lower() in LANGUAGE_CODES:
        return node.id.lower()  # JA, EN, EASY
    return None


def _hand_picked_texts(path: Path) -> list[str]:
    """Places that pick a text by language themselves: `texts["en"]`, `texts.get("easy")`,
    `x_en if … else x_ja`, or a function comparing a language with both en and easy."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            key = node.args[0].value
        elif isinstance(node, ast.IfExp):
            branches = (node.body, node.orelse)
            names = [getattr(b, "attr", getattr(b, "id", "")) for b in branches]
            if any(_LANGUAGE_FIELD.search(name) for name in names):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            compared = {
                code
                for compare in ast.walk(node)
                if isinstance(compare, ast.Compare)
                for side in (compare.left, *compare.comparators)
                if (code := _language_code(side)) in {"en", "easy"}
            }
            if len(compared) == 2:
                found.append(f"line {node.lineno}: {node.name} picks between en and easy")
        if key in LANGUAGE_CODES:
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("path", python_files("bot", "handlers"), ids=lambda p: p.name)
def test_only_localized_picks_a_language(path: Path) -> None:
    # One rule for which language a reader gets (bot/core/localized.py: easy → ja, en → ja).
    if path.relative_to(PROJECT_ROOT).as_posix() == "bot/core/localized.py":
        return
    assert _hand_picked_texts(path) == [], f"{path.name}: use Localized.pick"


def test_templates_pick_texts_with_pick() -> None:
    # Jinja renders a missing method as nothing: `name.get(lang)` would show an empty cell.
    for template in (PROJECT_ROOT / "bot/web/templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"\.(get|question|label|name|title)\(lang\)", text), template.name


def test_the_hand_picking_scan_sees_the_old_ways(tmp_path: Path) -> None:
    old = tmp_path / "old.py"
    old.write_text(
        "a = self.title_en if language == 'en' and self.title_en else self.title_ja\n"
        "b = entry.get(language) or entry['ja']\n"
        "c = {'en': x, 'easy': y}.get('easy')\n"
        "def text(self, language):\n"
        "    if language == 'en' and self.en:\n"
        "        return self.en\n"
        "    return self.easy if language == EASY and self.easy else self.ja\n",
        encoding="utf-8",
    )
    assert len(_hand_picked_texts(old)) == 4


def test_only_config_reads_the_environment() -> None:
    for path in python_files("bot", "handlers"):
        if path.name == "config.py":
            continue
        assert "os.environ" not in path.read_text(encoding="utf-8"), path


def test_every_csv_goes_through_the_formula_safe_writer() -> None:
    # bot/staff/csv_export.py quotes cells a spreadsheet would run as formulas (OWASP).
    for path in python_files("bot", "handlers"):
        if path.name == "csv_export.py":
            continue
        assert "csv.writer" not in path.read_text(encoding="utf-8"), path


def test_every_command_prints_through_the_terminal_safe_output() -> None:
    # bot/cli/output.py shows control characters as U+FFFD: an ESC sequence in a name or a
    # voice would otherwise be obeyed by the terminal of whoever runs `chiiki`.
    for path in python_files("bot/cli"):
        if path.name == "output.py":
            continue
        text = path.read_text(encoding="utf-8")
        for raw in ("click.echo", "click.secho", "rich.markup"):
            assert raw not in text, (path, raw)
        assert not re.search(r"(?<![.\w])print\(", text), path


# The staff service layer (docs/ARCHITECTURE.md): the CLI and the dashboard both call bot/staff.
# bot/staff knows nothing of either, nor of the channels; the CLI reaches the web server and
# the channels' set-up only through these entry points, never their internals.
CLI_MAY_IMPORT_FROM_WEB_AND_CHANNELS = (
    "bot.web",  # the package's own exports: build_served_app, GracefulServer
    "bot.channels.console",  # `chiiki chat` renders replies as the console channel does
    "bot.channels.telegram",  # `chiiki telegram set-webhook`
    "bot.channels.line_rich_menu",  # `chiiki line rich-menu`
)


@pytest.mark.parametrize("path", python_files("bot/staff"), ids=lambda p: p.name)
def test_the_staff_layer_imports_neither_the_web_nor_the_channels(path: Path) -> None:
    for module in imports_of(path):
        assert not module.startswith(("bot.web", "bot.channels", "bot.cli")), (
            f"{path.name} imports {module}"
        )


@pytest.mark.parametrize("path", python_files("bot/cli"), ids=lambda p: p.name)
def test_the_cli_reaches_the_web_and_channels_only_through_their_entry_points(path: Path) -> None:
    for module in imports_of(path):
        if module.startswith(("bot.web", "bot.channels")):
            assert module in CLI_MAY_IMPORT_FROM_WEB_AND_CHANNELS, f"{path.name} imports {module}"


# Repository methods that change something: from the dashboard they are called by bot/staff.
MUTATING_METHODS = {
    "add",
    "cancel",
    "cancel_shift",
    "close",
    "create",
    "dismiss",
    "load",
    "record",
    "remove",
    "unlock",
    "update",
}


def _repository_names(tree: ast.AST) -> set[str]:
    """Local names bound to a repository: `x = FaqRepository(db)`, `x = services.polls` or
    `x = services.watch.schedule`."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_repository(node.value, set()):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _is_repository(node: ast.expr, names: set[str]) -> bool:
    text = ast.unparse(node)
    return (
        "Repository(" in text
        # services.polls, or one of a repository's parts (services.watch.schedule)
        or "services" in text.split(".")[:-1]
        or text.endswith(("runtime.broadcasts", "runtime.outbox"))
        or (isinstance(node, ast.Name) and node.id in names)
    )


# auth.py is the login machinery itself (sessions, throttling), which bot/staff does not hold.
@pytest.mark.parametrize(
    "path",
    [p for p in python_files("bot/web/admin") if p.name != "auth.py"],
    ids=lambda p: p.name,
)
def test_the_dashboard_changes_nothing_but_through_bot_staff(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = _repository_names(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MUTATING_METHODS
        ):
            assert not _is_repository(node.func.value, names), (
                f"{path.name}:{node.lineno} calls {ast.unparse(node.func)}: call bot/staff"
            )


def test_the_dashboard_scan_sees_repositories_and_their_parts() -> None:
    for text, seen in [
        ("page.runtime.services.polls", True),
        ("page.runtime.services.watch.schedule", True),
        ("services.watch.counter", True),
        ("page.runtime.settings", False),
    ]:
        node = ast.parse(text, mode="eval").body
        assert _is_repository(node, set()) == seen, text


# SQL as chiiki writes it (keywords in capitals): a statement's head and its second keyword.
SQL_TEXT = re.compile(
    r"\b(SELECT\b[^;]*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+"
    r"(TEMP\s+|UNIQUE\s+)?(TABLE|INDEX)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX))\b"
)


def sql_texts(path: Path) -> list[str]:
    """The string constants of a module that read as SQL (docstrings and comments aside:
    only code that could be sent to a database)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and SQL_TEXT.search(node.value)
    ]


def test_the_sql_pattern_finds_what_repositories_write() -> None:
    found = sql_texts(PROJECT_ROOT / "bot" / "storage" / "broadcasts.py")
    assert any("INSERT INTO broadcasts" in text for text in found)
    assert not SQL_TEXT.search("Select a district from the list, then update your settings.")


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in python_files("bot", "handlers")
        if not p.is_relative_to(PROJECT_ROOT / "bot/storage")
    ],
    ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix(),
)
def test_sql_text_lives_only_in_storage(path: Path) -> None:
    """Handlers, the dashboard, the CLI and the staff layer ask repositories; they write no SQL
    (nor reach the database behind a repository)."""
    assert sql_texts(path) == [], f"{path.name} holds SQL: call a repository in bot/storage"


@pytest.mark.parametrize("path", python_files("handlers"), ids=lambda p: p.name)
def test_handlers_reach_storage_through_repositories_not_the_database(path: Path) -> None:
    for module in imports_of(path):
        assert module not in {
            "bot.storage",  # the package's exports are the Database and its migrations
            "bot.storage.database",
            "bot.storage.sqlite",
            "bot.storage.postgres",
            "bot.storage.migrations",
        }, f"{path.name} imports {module}: ask a repository"
