"""The dashboard's first page: residents by district and channel, what is coming up."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.staff.watch import roster
from bot.web.admin.common import FeaturePages
from bot.web.admin.site import Page


class OverviewPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        return [Route("/", self.site.staff_only(self.overview))]

    async def overview(self, page: Page) -> Response:
        services = page.runtime.services
        census = await services.residents.census()
        channels = sorted({row[0] for row in census})
        districts: dict[str | None, dict[str, int]] = {}
        unreachable = 0
        for channel, district, reachable, count in census:
            if reachable:
                row = districts.setdefault(district, {})
                row[channel] = row.get(channel, 0) + count
            else:
                unreachable += count
        events = [
            e
            for e in await services.events.all()
            if e.cancelled_at is None and e.starts_at > page.now
        ]
        shifts = await roster(
            services.watch, page.now, page.now + timedelta(days=7), None, actor=page.actor
        )
        polls = [
            (
                poll,
                (await services.polls.tally(poll.id)).ballots
                + (await services.polls.paper.tally(poll.id)).ballots,
            )
            for poll in await services.polls.open_for(None, page.now)
        ]
        return self.render(
            page,
            "admin/overview.html",
            channels=channels,
            districts=districts,
            unreachable=unreachable,
            total=sum(row[3] for row in census),
            events=events[:5],
            shifts=[line for line in shifts if line.shift.cancelled_at is None][:8],
            polls=polls,
            new_voices=await services.voices.count_new() if services.voices else 0,
        )
