"""The Japanese font for pictures chiiki draws (the LINE rich menu, poll charts)."""

from __future__ import annotations

from pathlib import Path

from bot.errors import ChiikiError

# Debian's fonts-noto-cjk (`make fonts`, `make test`); CHIIKI_FONT may name another.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


class FontMissingError(ChiikiError):
    """No font with Japanese glyphs is installed."""


def find_font(preferred: Path | None = None) -> Path:
    for path in (preferred, *FONT_CANDIDATES):
        if path is not None and path.is_file():
            return path
    raise FontMissingError(
        "no Japanese font found: install Debian's fonts-noto-cjk (make fonts) or set CHIIKI_FONT"
    )
