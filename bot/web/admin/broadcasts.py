"""The broadcast pages: write a notice, see its audience and LINE cost, send, follow it."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.errors import ChiikiError
from bot.staff.broadcast import (
    MAX_NOTICE_CHARS,
    BroadcastPlan,
    OverQuotaError,
    broadcast_history,
    plan_broadcast,
    prepare_notice,
    queue_notice,
    readable_broadcast,
)
from bot.staff.roles import StaffRoleError
from bot.storage.broadcasts import BroadcastSummary, NewBroadcast
from bot.web.admin.common import FeaturePages, path_number, see
from bot.web.admin.forms import FieldProblem, FormErrors
from bot.web.admin.site import Page

HISTORY_LENGTH = 30


async def _broadcast(page: Page) -> BroadcastSummary | None:
    broadcast_id = path_number(page.request, "broadcast_id")
    if broadcast_id is None:
        return None
    return await readable_broadcast(page.runtime.broadcasts, broadcast_id, actor=page.actor)


class BroadcastPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/broadcasts", staff(self.broadcasts)),
            Route("/broadcasts/preview", staff(self.preview_broadcast), methods=["POST"]),
            Route("/broadcasts", staff(self.send_broadcast), methods=["POST"]),
            Route("/broadcasts/{broadcast_id:rowid}", staff(self.broadcast)),
            Route("/broadcasts/{broadcast_id:rowid}/progress.json", staff(self.progress)),
        ]

    async def broadcasts(
        self, page: Page, error: str | None = None, errors: dict[str, str] | None = None
    ) -> Response:
        return self.render_form_page(
            page,
            "admin/broadcasts.html",
            errors=errors,
            error=error,
            history=await broadcast_history(
                page.runtime.broadcasts, HISTORY_LENGTH, actor=page.actor
            ),
            kinds=self.site.texts.keys(),
        )

    def _notice(self, page: Page) -> NewBroadcast:
        services = page.runtime.services
        problems = {
            name: FieldProblem("form.error.too_long", {"max": MAX_NOTICE_CHARS})
            for name in ("text_ja", "text_en")
            if len(page.field(name)) > MAX_NOTICE_CHARS
        }
        if not page.field("text_ja"):
            problems["text_ja"] = FieldProblem("form.error.required")
        if problems:
            raise FormErrors(problems)
        return prepare_notice(
            services.pack,
            services.catalog,
            page.field("text_ja"),
            page.field("text_en") or None,
            page.field("district") or None,
            page.field("channel") or "all",
            actor=page.actor,
        )

    async def _planned(self, page: Page) -> tuple[NewBroadcast, BroadcastPlan] | Response:
        """The form's notice and whom it reaches, or the form again saying what is wrong."""
        try:
            message = self._notice(page)
            plan = await plan_broadcast(
                page.runtime.broadcasts, page.runtime.line, message.district, message.channel
            )
        except FormErrors as problems:
            return await self.broadcasts(page, errors=self.words(page, problems))
        except StaffRoleError:
            raise  # the frame answers 403: a refusal, not a mistake in the form
        except ChiikiError as exc:
            return await self.broadcasts(page, error=str(exc))
        return message, plan

    def _preview(
        self,
        page: Page,
        message: NewBroadcast,
        plan: BroadcastPlan,
        status: int = 200,
        error: str | None = None,
    ) -> Response:
        return self.render(
            page,
            "admin/broadcast_preview.html",
            status,
            message=message,
            plan=plan,
            values=page.form,
            error=error,
        )

    async def preview_broadcast(self, page: Page) -> Response:
        planned = await self._planned(page)
        if isinstance(planned, Response):
            return planned
        return self._preview(page, *planned)

    async def send_broadcast(self, page: Page) -> Response:
        planned = await self._planned(page)
        if isinstance(planned, Response):
            return planned
        message, plan = planned
        try:
            broadcast_id = await queue_notice(
                page.runtime.broadcasts,
                message,
                plan,
                page.now,
                force=page.checked("force"),
                actor=page.actor,
            )
        except OverQuotaError:
            over_quota = self.site.t(page.language)("broadcast.over_quota")
            return self._preview(page, message, plan, 400, over_quota)
        page.runtime.delivery.wake.set()
        return see(f"/admin/broadcasts/{broadcast_id}")

    async def broadcast(self, page: Page) -> Response:
        item = await _broadcast(page)
        if item is None:
            return self.missing(page)
        return self.render(page, "admin/broadcast.html", item=item)

    async def progress(self, page: Page) -> Response:
        item = await _broadcast(page)
        if item is None:
            return JSONResponse({"error": "no such broadcast"}, status_code=404)
        percent = 100 if item.total == 0 else round(100 * item.settled / item.total)
        counts = {**item.counts, "sent": item.counts["sent"] - item.in_chat}
        return JSONResponse(
            {**counts, "in_chat": item.in_chat, "total": item.total, "percent": percent}
        )
