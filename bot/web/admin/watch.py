"""The school-route watch pages: roster, loading a watch file, cancelling a shift, and
counter sign-ups (窓口での代理入力) for people without a chat account."""

from __future__ import annotations

import contextlib
from datetime import datetime, time, timedelta

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.errors import ChiikiError
from bot.staff.roles import StaffRoleError
from bot.staff.watch import (
    MAX_REASON_CHARS,
    ShiftCancelError,
    cancel_shift,
    export_roster_csv,
    load_watch,
    parse_watch_file,
    printable_roster,
    roster,
)
from bot.staff.watch_counter import (
    MAX_NAME_CHARS,
    CounterSignupError,
    cancel_counter_signup,
    counter_lines,
    roster_name,
    sign_up_at_counter,
)
from bot.web.admin.common import FeaturePages, csv_response, path_number, query_day, see
from bot.web.admin.site import Page

ROSTER_DAYS = 14
MAX_UPLOAD_BYTES = 256 * 1024


class WatchPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/watch", staff(self.watch)),
            Route("/watch", staff(self.load_watch), methods=["POST"]),
            Route("/watch/roster.csv", staff(self.roster_csv)),
            Route("/watch/print", staff(self.roster_print)),
            Route(
                "/watch/shifts/{shift_id:rowid}/cancel", staff(self.cancel_shift), methods=["POST"]
            ),
            Route("/watch/counter", staff(self.counter_signup), methods=["POST"]),
            Route(
                "/watch/signups/{signup_id:rowid}/cancel",
                staff(self.counter_cancel),
                methods=["POST"],
            ),
        ]

    async def watch(
        self,
        page: Page,
        message: str | None = None,
        error: bool = False,
        errors: dict[str, str] | None = None,
        counter_message: str | None = None,
    ) -> Response:
        lines = await roster(
            page.runtime.services.watch,
            page.now - timedelta(hours=12),
            page.now + timedelta(days=ROSTER_DAYS),
            None,
            actor=page.actor,
        )
        changeable = counter_lines(lines, page.now, page.actor)
        return self.render(
            page,
            "admin/watch.html",
            400 if error or errors else 200,
            lines=lines,
            counter_lines=changeable,
            counter_shifts={line.shift.id for line in changeable},
            name_limit=MAX_NAME_CHARS,
            days=ROSTER_DAYS,
            message=message,
            error=error,
            errors=errors or {},
            values=page.form if errors else {},
            counter_message=counter_message,
        )

    async def load_watch(self, page: Page) -> Response:
        upload = page.form.get("file") if page.form is not None else None
        raw = await upload.read(MAX_UPLOAD_BYTES + 1) if hasattr(upload, "read") else b""
        source = getattr(upload, "filename", None) or "upload"
        try:
            if not raw:
                raise ChiikiError("file: choose a watch file (YAML) to load")
            if len(raw) > MAX_UPLOAD_BYTES:
                raise ChiikiError(f"{source}: larger than {MAX_UPLOAD_BYTES // 1024} KB")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ChiikiError(f"{source}: not UTF-8 text") from None
            spec = parse_watch_file(text, source)
            services = page.runtime.services
            result = await load_watch(
                spec,
                services.watch,
                services.pack,
                page.runtime.settings,
                page.now,
                source,
                actor=page.actor,
            )
        except StaffRoleError:
            raise  # the frame answers 403: a refusal, not a mistake in the form
        except ChiikiError as exc:
            return await self.watch(page, str(exc), error=True)
        summary = self.site.t(page.language)(
            "watch.loaded",
            routes=result.routes_added,
            added=result.shifts_added,
            changed=result.shifts_changed,
            unchanged=result.unchanged,
        )
        return await self.watch(page, summary)

    async def roster_print(self, page: Page) -> Response:
        """A route's (or every route's) roster for a range of days as a clean A4 sheet."""
        params = page.request.query_params
        tz = page.runtime.settings.tz
        today = page.now.astimezone(tz).date()
        first = query_day(params.get("from") or today.isoformat())
        last = query_day(params.get("to")) if params.get("to") else None
        if first is None or (last is None and params.get("to")):
            return self.missing(page)  # malformed, or a day no roster has (year 1, 9999)
        last = last or first + timedelta(days=6)
        last = min(max(last, first), first + timedelta(days=62))
        route = (params.get("route") or "").strip()[:40] or None
        lines = await printable_roster(
            page.runtime.services.watch,
            datetime.combine(first, time(), tz),
            datetime.combine(last + timedelta(days=1), time(), tz),
            route,
            page.now,
            actor=page.actor,
        )
        return self.render(
            page, "admin/roster_print.html", lines=lines, first=first, last=last, now=page.now
        )

    async def roster_csv(self, page: Page) -> Response:
        text = await export_roster_csv(
            page.runtime.services.watch,
            page.now - timedelta(hours=12),
            page.now + timedelta(days=ROSTER_DAYS),
            None,
            page.runtime.settings.tz,
            page.now,
            actor=page.actor,
        )
        return csv_response(text, "watch-roster.csv")

    async def cancel_shift(self, page: Page) -> Response:
        services = page.runtime.services
        shift_id = path_number(page.request, "shift_id")
        reason = page.field("reason")[:MAX_REASON_CHARS]
        if not reason:
            return await self.watch(page, self.site.t(page.language)("watch.reason_needed"), True)
        if shift_id is not None:
            # No such shift, or cancelled already (a second click): the roster shows its state.
            with contextlib.suppress(ShiftCancelError):
                await cancel_shift(
                    services.watch,
                    services.notices,
                    shift_id,
                    reason,
                    page.now,
                    actor=page.actor,
                )
                page.runtime.delivery.wake.set()
        return see("/admin/watch")

    async def counter_signup(self, page: Page) -> Response:
        """Sign a person who phoned or came to the counter up by name; problems are shown
        beside their fields, and whether the person got a place or waits is said plainly."""
        t = self.site.t(page.language)
        try:
            shift_id = int(page.field("shift"))
        except ValueError:
            return await self.watch(page, errors={"shift": t("watch.counter.error.closed")})
        # Without the consent box ticked no way of consent is passed: the service refuses.
        via = page.field("via") if page.field("consent") == "yes" else None
        name = page.field("name")
        try:
            result = await sign_up_at_counter(
                page.runtime.services.watch, shift_id, name, via, page.now, actor=page.actor
            )
        except CounterSignupError as exc:
            problem = t(f"watch.counter.error.{exc.problem}", max=MAX_NAME_CHARS)
            return await self.watch(page, errors={exc.field: problem})
        shown = roster_name(name)
        if result.waitlist_position is None:
            done = t("watch.counter.confirmed", name=shown)
        else:
            done = t("watch.counter.waitlisted", name=shown, place=result.waitlist_position)
        return await self.watch(page, counter_message=done)

    async def counter_cancel(self, page: Page) -> Response:
        services = page.runtime.services
        signup_id = path_number(page.request, "signup_id")
        message = None
        if signup_id is not None:
            # Cancelled already (a second click): the roster shows the state.
            with contextlib.suppress(CounterSignupError):
                cancelled = await cancel_counter_signup(
                    services.watch, services.notices, signup_id, page.now, actor=page.actor
                )
                page.runtime.delivery.wake.set()  # a promoted resident's notice
                t = self.site.t(page.language)
                message = t("watch.counter.cancelled")
                if cancelled.promoted is not None:
                    message += " " + t("watch.counter.promoted", name=cancelled.promoted.label)
        if message is None:
            return see("/admin/watch")
        return await self.watch(page, counter_message=message)
