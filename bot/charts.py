"""Poll results drawn as a bar chart (matplotlib, no display), with Japanese labels."""

from __future__ import annotations

import asyncio
import io
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core import BarChart
from bot.storage.chart_images import ChartImageRepository

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Enough for a phone screen and for LINE's image limits (at most 10 MB, any size).
WIDTH_INCHES, DPI = 8.0, 120
DEFAULT_COLOUR = "#2e7d32"


def chart_figure(chart: BarChart, font_path: Path, colour: str = DEFAULT_COLOUR) -> Figure:
    """The figure: one horizontal bar per choice, in the poll's order, its count at the end.

    matplotlib's Figure is used without pyplot, so drawing keeps no global state and can run
    in a worker thread.
    """
    # Imported on first use: matplotlib costs tens of MB that most processes never need.
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=str(font_path))
    labels = [label for label, _ in chart.bars]
    counts = [count for _, count in chart.bars]
    height = 1.2 + 0.6 * len(labels)
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]  # the first choice on top
    bars = axes.barh(positions, counts, color=colour)
    # parse_math off: staff-written text is drawn as written; "$5 or $10" was set as
    # mathematics, and "$\\frac{$" made drawing fail for everyone who asked for the chart.
    axes.set_yticks(positions, labels, fontproperties=font, parse_math=False)
    axes.bar_label(bars, labels=[str(c) for c in counts], padding=4, fontproperties=font)
    axes.set_title(chart.title, fontproperties=font, loc="left", parse_math=False)
    axes.set_xlim(0, max([*counts, 1]) * 1.15)
    axes.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    return figure


@lru_cache(maxsize=64)
def chart_png(chart: BarChart, font_path: Path, colour: str = DEFAULT_COLOUR) -> bytes:
    """The chart as PNG bytes; the same results asked for by many residents are drawn once."""
    out = io.BytesIO()
    chart_figure(chart, font_path, colour).savefig(out, format="png")
    return out.getvalue()


class ChartRenderer:
    """Draws charts off the event loop (a chart takes tens of milliseconds of CPU)."""

    def __init__(self, font_path: Path, colour: str = DEFAULT_COLOUR) -> None:
        self._font_path = font_path
        self.colour = colour  # the pack's theme colour

    async def png(self, chart: BarChart) -> bytes:
        return await asyncio.to_thread(chart_png, chart, self._font_path, self.colour)


CHART_PATH = "/chat/charts/{name}.png"


class ChartPublisher:
    """Draws a chart and keeps it at an unguessable address: a relative one for the web chat,
    an absolute HTTPS one (CHIIKI_PUBLIC_URL) for LINE, which fetches pictures itself."""

    def __init__(
        self,
        renderer: ChartRenderer,
        store: ChartImageRepository,
        public_url: str | None = None,
    ) -> None:
        self.renderer = renderer
        self.store = store
        self._public_url = public_url.rstrip("/") if public_url else None

    async def png(self, chart: BarChart) -> bytes:
        return await self.renderer.png(chart)

    async def path(self, chart: BarChart, requester: str) -> str | None:
        """Where the chart's picture is: the stored one when these results were drawn lately,
        else a new drawing, unless `requester` ("channel:user id") has caused its share of
        drawings lately (None: the reply's words say the same)."""
        store = self.store
        shown = json.dumps([chart.title, chart.bars, chart.alt, self.renderer.colour])
        name = await store.name_for(shown)
        if not await store.keep(name):
            drawer = await store.drawer_for(requester)
            if not await store.may_draw(drawer):
                return None
            if not await store.put(name, await self.renderer.png(chart), drawer):
                return None
        return CHART_PATH.format(name=name)

    async def public_url(self, chart: BarChart, requester: str) -> str | None:
        """None when the service has no public address (then LINE gets the text only), or
        when `path` gives none."""
        if self._public_url is None:
            return None
        path = await self.path(chart, requester)
        return self._public_url + path if path else None
