"""The dashboard's first page: residents by district and channel, what is coming up."""

from __future__ import annotations

from dataclasses import fields

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.staff.overview import overview
from bot.web.admin.common import FeaturePages
from bot.web.admin.site import Page


class OverviewPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        return [Route("/", self.site.staff_only(self.overview))]

    async def overview(self, page: Page) -> Response:
        services = page.runtime.services
        figures = await overview(
            services.residents,
            services.polls,
            services.events,
            services.watch,
            services.voices,
            page.now,
            actor=page.actor,
        )
        shown = {f.name: getattr(figures, f.name) for f in fields(figures)}
        return self.render(page, "admin/overview.html", **shown)
