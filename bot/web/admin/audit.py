"""The 操作記録 page (admin only): the staff audit log with filters, and its CSV export."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.staff.audit import audit_entries, export_audit_csv
from bot.staff.roles import require_admin
from bot.storage.audit import AuditFilter, AuditRepository
from bot.web.admin.common import FeaturePages, csv_response, query_day
from bot.web.admin.site import Page


class AuditPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/audit", staff(self.log)),
            Route("/audit.csv", staff(self.export)),
        ]

    def _filter(self, page: Page) -> tuple[AuditFilter, dict[str, str]]:
        """The query's filters; the date range is in city days, the end day included."""
        params = page.request.query_params
        tz = page.runtime.settings.tz
        since, until = query_day(params.get("from")), query_day(params.get("to"))
        where = AuditFilter(
            login=(params.get("who") or "").strip()[:64] or None,
            action=(params.get("action") or "").strip()[:64] or None,
            since=datetime.combine(since, time(), tz) if since else None,
            until=datetime.combine(until + timedelta(days=1), time(), tz) if until else None,
        )
        values = {
            "who": where.login or "",
            "action": where.action or "",
            "from": since.isoformat() if since else "",
            "to": until.isoformat() if until else "",
        }
        return where, values

    async def log(self, page: Page) -> Response:
        require_admin(page.actor)
        audit = AuditRepository(page.runtime.db)
        where, values = self._filter(page)
        return self.render(
            page,
            "admin/audit.html",
            entries=await audit_entries(audit, where),
            actions=await audit.actions(),
            values=values,
            query=page.request.url.query,
        )

    async def export(self, page: Page) -> Response:
        where, _ = self._filter(page)
        text = await export_audit_csv(
            AuditRepository(page.runtime.db),
            where,
            page.runtime.settings.tz,
            page.now,
            actor=page.actor,
        )
        return csv_response(text, "audit.csv")
