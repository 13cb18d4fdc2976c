"""The events pages: list with reminders, create (with the easy-Japanese preview), cancel."""

from __future__ import annotations

import contextlib

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.errors import ChiikiError
from bot.staff.events import EventCancelError, cancel_event, create_event, list_events
from bot.staff.roles import StaffRoleError
from bot.web.admin.common import EasyPreview, FeaturePages, easy_preview, path_number, see
from bot.web.admin.forms import FormErrors, event_spec
from bot.web.admin.site import Page


class EventPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/events", staff(self.events)),
            Route("/events", staff(self.create_event), methods=["POST"]),
            Route("/events/easy", staff(self.preview_event), methods=["POST"]),
            Route("/events/{event_id:rowid}/cancel", staff(self.cancel_event), methods=["POST"]),
        ]

    async def events(
        self,
        page: Page,
        error: str | None = None,
        easy: EasyPreview = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        listed = await list_events(page.runtime.services.events, actor=page.actor)
        listed.sort(key=lambda row: row.event.starts_at, reverse=True)
        rows = [(row.event, row.audience, row.reminders) for row in listed]
        return self.render_form_page(
            page,
            "admin/events.html",
            error=error,
            easy=easy,
            errors=errors,
            rows=rows,
            now=page.now,
        )

    async def preview_event(self, page: Page) -> Response:
        fields = ("title_ja", "place_ja", "description_ja")
        return await self.events(
            page, easy=easy_preview(page, *((f"events.{f}", f) for f in fields))
        )

    async def create_event(self, page: Page) -> Response:
        services = page.runtime.services
        try:
            await create_event(
                event_spec(page),
                services.events,
                services.pack,
                page.now,
                "form",
                actor=page.actor,
            )
        except FormErrors as problems:
            return await self.events(page, errors=self.words(page, problems))
        except StaffRoleError:
            raise  # the frame answers 403: a refusal, not a mistake in the form
        except ChiikiError as exc:
            return await self.events(page, error=str(exc))
        return see("/admin/events")

    async def cancel_event(self, page: Page) -> Response:
        services = page.runtime.services
        event_id = path_number(page.request, "event_id")
        if event_id is not None:
            # No such event, or cancelled already (a second click): the list shows its state.
            with contextlib.suppress(EventCancelError):
                await cancel_event(
                    services.events, services.notices, event_id, page.now, actor=page.actor
                )
                page.runtime.delivery.wake.set()
        return see("/admin/events")
