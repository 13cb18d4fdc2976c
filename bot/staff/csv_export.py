"""CSV for spreadsheets: every CSV the service writes goes through `csv_text`.

A cell that starts with = + - @ (or a tab or carriage return, or ＝ ＋ － ＠) is read by Excel and
LibreOffice as a formula, so a volunteer named `=HYPERLINK(...)` would become a live link in
the roster. As OWASP recommends (CSV injection), such a cell is prefixed with a single quote,
which spreadsheets show as text; numbers stay numbers. Control characters other than line
breaks and tabs, and bidi overrides (U+202E), are shown as U+FFFD.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from bot.core.text import shown_safely

# With their full-width forms: Japanese Excel reads a typed ＝ as =, and staff text (a counter
# name, a poll label typed with the IME on) is stored as typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

Cell = str | int | float | None


def neutralise(cell: Cell) -> Cell:
    """The cell as a spreadsheet should show it: text that looks like a formula is quoted.

    A carriage return becomes a line feed: the csv module quotes a cell holding "\n" but not
    one holding a lone "\r", which readers take for the end of the row.
    """
    if not isinstance(cell, str):
        return cell
    text = shown_safely(cell.replace("\r\n", "\n").replace("\r", "\n"))
    return "'" + text if cell.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Iterable[Cell]]) -> str:
    """The rows as CSV text (one line each, "\\n"), every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue()
