"""The 地区 page: the pack's districts, and a form that adds one without editing YAML."""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.staff.districts import add_district
from bot.storage.districts import DistrictRepository, StaffDistrict
from bot.web.admin.common import FeaturePages, see
from bot.web.admin.forms import FieldProblem
from bot.web.admin.site import Page

DISTRICT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")  # the pack's Slug
NAME_LIMIT = 40


class DistrictPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/districts", staff(self.districts)),
            Route("/districts", staff(self.add), methods=["POST"]),
        ]

    async def districts(
        self, page: Page, errors: dict[str, str] | None = None, added: str | None = None
    ) -> Response:
        pack = page.runtime.services.pack
        stored = {d.id for d in await DistrictRepository(page.runtime.db).all()}
        return self.render(
            page,
            "admin/districts.html",
            400 if errors else 200,
            districts=[(d, d.id in stored) for d in pack.districts],
            errors=errors or {},
            values=page.form if errors else {},
            added=added,
        )

    async def add(self, page: Page) -> Response:
        pack = page.runtime.services.pack
        district = StaffDistrict(
            page.field("id").lower(),
            page.field("name_ja"),
            page.field("name_en") or None,
            page.field("name_easy") or None,
        )
        problems: dict[str, FieldProblem] = {}
        if not DISTRICT_ID.match(district.id):
            problems["id"] = FieldProblem("districts.error.id")
        elif pack.district(district.id) is not None:
            problems["id"] = FieldProblem("districts.error.taken")
        if not district.name_ja:
            problems["name_ja"] = FieldProblem("form.error.required")
        for name in ("name_ja", "name_en", "name_easy"):
            if len(page.field(name)) > NAME_LIMIT:
                problems[name] = FieldProblem("form.error.too_long", {"max": NAME_LIMIT})
        t = self.site.t(page.language)
        if problems:
            return await self.districts(
                page, {name: t(p.key, **p.values) for name, p in problems.items()}
            )
        repository = DistrictRepository(page.runtime.db)
        if not await add_district(repository, pack, district, page.now, actor=page.actor):
            return await self.districts(page, {"id": t("districts.error.taken")})
        return see(f"/admin/districts?added={district.id}")
