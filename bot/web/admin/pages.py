"""The dashboard's pages: overview, polls, watch, events and broadcasts.

Each page calls the same staff functions as the `chiiki` command, so a rule (a poll's closing
time in the future, the LINE quota, small districts merged in exports) holds in both.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.content.readings import add_readings
from bot.core.choices import parse_number
from bot.errors import ChiikiError
from bot.staff.broadcast import MAX_NOTICE_CHARS, plan_broadcast, prepare_notice
from bot.staff.events import create_event
from bot.staff.outcomes import MAX_DECIDED_CHARS, SUBJECT_KINDS, new_outcome, record_outcome
from bot.staff.polls import create_poll, merge_small_groups, results_csv
from bot.staff.watch import load_watch, parse_watch_file, roster_csv
from bot.storage.broadcasts import BroadcastSummary, NewBroadcast
from bot.storage.polls import Poll
from bot.web.addresses import client_address
from bot.web.admin.auth import LoginOutcome, new_csrf_token
from bot.web.admin.districts import DistrictPages
from bot.web.admin.faq import FaqPages
from bot.web.admin.forms import FieldProblem, FormErrors, event_spec, poll_spec
from bot.web.admin.site import LANGUAGES, Page, Site, read_checked_form
from bot.web.convertors import register_convertors

ROSTER_DAYS = 14
HISTORY_LENGTH = 30
MAX_UPLOAD_BYTES = 256 * 1024


def _csv(text: str, filename: str) -> Response:
    # A BOM lets Excel, which staff open CSV files with, read the Japanese correctly.
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# What an easy-Japanese reader will see of a form's fields: (label's text key, text).
EasyPreview = list[tuple[str, str]] | None


def _easy(page: Page, *fields: tuple[str, str]) -> EasyPreview:
    """The form's Japanese fields (label's text key, field name) as easy readers get them: the
    staff's words with readings added (bot/content/readings.py)."""
    return [(key, add_readings(page.field(name))) for key, name in fields if page.field(name)]


def _words(page: Page, problems: FormErrors, site: Site) -> dict[str, str]:
    """Each field's problem in the page's language."""
    t = site.t(page.language)
    return {name: t(p.key, **p.values) for name, p in problems.problems.items()}


def _see(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def _number(request: Request, name: str) -> int | None:
    value = request.path_params.get(name)
    return value if isinstance(value, int) else None


async def _poll(page: Page) -> Poll | None:
    poll_id = _number(page.request, "poll_id")
    return await page.runtime.services.polls.get(poll_id) if poll_id is not None else None


async def _broadcast(page: Page) -> BroadcastSummary | None:
    broadcast_id = _number(page.request, "broadcast_id")
    found = await page.runtime.broadcasts.history(1, broadcast_id or 0)
    return found[0] if found else None


class AdminPages:
    def __init__(self, site: Site) -> None:
        self.site = site

    def routes(self) -> list[BaseRoute]:
        register_convertors()
        staff = self.site.staff_only
        return [
            Route("/login", self.login_form, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", staff(self.logout), methods=["POST"]),
            Route("/language", staff(self.language), methods=["POST"]),
            Route("/", staff(self.overview)),
            Route("/polls", staff(self.polls)),
            Route("/polls", staff(self.create_poll), methods=["POST"]),
            Route("/polls/easy", staff(self.preview_poll), methods=["POST"]),
            Route("/polls/{poll_id:rowid}", staff(self.poll)),
            Route("/polls/{poll_id:rowid}/results.json", staff(self.poll_results)),
            Route("/polls/{poll_id:rowid}/results.csv", staff(self.poll_csv)),
            Route("/polls/{poll_id:rowid}/close", staff(self.close_poll), methods=["POST"]),
            Route("/watch", staff(self.watch)),
            Route("/watch", staff(self.load_watch), methods=["POST"]),
            Route("/watch/roster.csv", staff(self.roster_csv)),
            Route(
                "/watch/shifts/{shift_id:rowid}/cancel", staff(self.cancel_shift), methods=["POST"]
            ),
            Route("/events", staff(self.events)),
            Route("/events", staff(self.create_event), methods=["POST"]),
            Route("/events/easy", staff(self.preview_event), methods=["POST"]),
            Route("/events/{event_id:rowid}/cancel", staff(self.cancel_event), methods=["POST"]),
            Route("/outcomes", staff(self.outcomes)),
            Route("/outcomes", staff(self.add_outcome), methods=["POST"]),
            Route("/outcomes/easy", staff(self.preview_outcome), methods=["POST"]),
            Route("/broadcasts", staff(self.broadcasts)),
            Route("/broadcasts/preview", staff(self.preview_broadcast), methods=["POST"]),
            Route("/broadcasts", staff(self.send_broadcast), methods=["POST"]),
            Route("/broadcasts/{broadcast_id:rowid}", staff(self.broadcast)),
            Route("/broadcasts/{broadcast_id:rowid}/progress.json", staff(self.progress)),
            *FaqPages(self.site).routes(),
            *DistrictPages(self.site).routes(),
        ]

    # Logging in and out

    async def login_form(self, request: Request) -> Response:
        # The login page's language link: the choice is kept for the session it starts.
        if request.query_params.get("lang") in LANGUAGES:
            request.session["lang"] = request.query_params["lang"]
        return self.site.render(request, self.site.language(request), "admin/login.html")

    async def login(self, request: Request) -> Response:
        site, language = self.site, self.site.language(request)
        form = await read_checked_form(request)
        if form is None:
            return site.render(request, language, "admin/login.html", 403, error="expired")
        runtime = site.get_runtime()
        login, password = form.get("login"), form.get("password")
        if not isinstance(login, str) or not isinstance(password, str):
            return site.render(request, language, "admin/login.html", 400, error="wrong")
        # The same address the chat's limits count: X-Forwarded-For only from a trusted proxy.
        address = client_address(request, runtime.settings.trusted_proxy_networks)
        result = await site.authenticator(runtime).log_in(
            login, password, address, runtime.services.clock()
        )
        if result.outcome == LoginOutcome.THROTTLED:
            return site.render(request, language, "admin/login.html", 429, error="throttled")
        if result.outcome != LoginOutcome.OK:
            return site.render(request, language, "admin/login.html", 401, error="wrong")
        # A new session and a new CSRF token: nothing chosen before login carries over.
        request.session.clear()
        request.session.update(token=result.session_token, csrf=new_csrf_token(), lang=language)
        return _see("/admin/")

    async def logout(self, page: Page) -> Response:
        token = page.request.session.get("token")
        await self.site.authenticator(page.runtime).log_out(
            token if isinstance(token, str) else None
        )
        page.request.session.clear()
        return _see("/admin/login")

    async def language(self, page: Page) -> Response:
        chosen = page.field("lang")
        if chosen in LANGUAGES:
            page.request.session["lang"] = chosen
        back = page.field("back")
        return _see(back if back.startswith("/admin/") else "/admin/")

    def render(self, page: Page, template: str, status: int = 200, **context: object) -> Response:
        return self.site.render(
            page.request,
            page.language,
            template,
            status,
            login=page.login,
            pack=page.runtime.services.pack,
            **context,
        )

    # Overview

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
        shifts = await services.watch.roster(page.now, page.now + timedelta(days=7), None)
        polls = [
            (poll, (await services.polls.tally(poll.id)).ballots)
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
        )

    # Polls

    async def polls(
        self,
        page: Page,
        error: str | None = None,
        easy: EasyPreview = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        services = page.runtime.services
        rows = [
            (poll, (await services.polls.tally(poll.id)).ballots)
            for poll in await services.polls.all()
        ]
        rows.sort(key=lambda row: row[0].id, reverse=True)
        return self.render(
            page,
            "admin/polls.html",
            400 if error or errors else 200,
            rows=rows,
            now=page.now,
            error=error,
            values=page.form or {},
            easy=easy,
            errors=errors or {},
        )

    async def preview_poll(self, page: Page) -> Response:
        return await self.polls(
            page,
            easy=_easy(
                page, ("polls.question_ja", "question_ja"), ("polls.choices_ja", "choices_ja")
            ),
        )

    async def create_poll(self, page: Page) -> Response:
        services = page.runtime.services
        try:
            spec = poll_spec(page)
            poll_id, announcement = await create_poll(
                spec, services.polls, services.pack, page.now, "form", services.notices
            )
        except FormErrors as problems:
            return await self.polls(page, errors=_words(page, problems, self.site))
        except ChiikiError as exc:
            return await self.polls(page, error=str(exc))
        if announcement is not None:
            page.runtime.delivery.wake.set()
        return _see(f"/admin/polls/{poll_id}")

    async def poll(self, page: Page) -> Response:
        polls = page.runtime.services.polls
        item = await _poll(page)
        if item is None:
            return self.render(page, "admin/missing.html", 404)
        tally = await polls.tally(item.id)
        groups = merge_small_groups(await polls.tally_by_district(item.id))
        return self.render(
            page,
            "admin/poll.html",
            poll=item,
            tally=tally,
            groups=groups,
            comments=len(await polls.comments(item.id)),
            open=item.is_open(page.now),
        )

    async def poll_results(self, page: Page) -> Response:
        polls = page.runtime.services.polls
        item = await _poll(page)
        if item is None:
            return JSONResponse({"error": "no such poll"}, status_code=404)
        tally = await polls.tally(item.id)
        return JSONResponse(
            {
                "ballots": tally.ballots,
                "counts": {str(c.position): tally.counts.get(c.position, 0) for c in item.choices},
                "open": item.is_open(page.now),
            }
        )

    async def poll_csv(self, page: Page) -> Response:
        polls = page.runtime.services.polls
        item = await _poll(page)
        if item is None:
            return self.render(page, "admin/missing.html", 404)
        text = results_csv(
            item, await polls.tally(item.id), await polls.tally_by_district(item.id)
        )
        return _csv(text, f"poll-{item.id}.csv")

    async def close_poll(self, page: Page) -> Response:
        poll_id = _number(page.request, "poll_id")
        if poll_id is not None:
            await page.runtime.services.polls.close(poll_id, page.now)
        return _see(f"/admin/polls/{poll_id}")

    # School-route watch

    async def watch(self, page: Page, message: str | None = None, error: bool = False) -> Response:
        lines = await page.runtime.services.watch.roster(
            page.now - timedelta(hours=12), page.now + timedelta(days=ROSTER_DAYS), None
        )
        return self.render(
            page,
            "admin/watch.html",
            400 if error else 200,
            lines=lines,
            days=ROSTER_DAYS,
            message=message,
            error=error,
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
                spec, services.watch, services.pack, page.runtime.settings, page.now, source
            )
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

    async def roster_csv(self, page: Page) -> Response:
        lines = await page.runtime.services.watch.roster(
            page.now - timedelta(hours=12), page.now + timedelta(days=ROSTER_DAYS), None
        )
        return _csv(roster_csv(lines, page.runtime.settings.tz), "watch-roster.csv")

    async def cancel_shift(self, page: Page) -> Response:
        services = page.runtime.services
        shift_id = _number(page.request, "shift_id")
        reason = page.field("reason")[:200]
        if not reason:
            return await self.watch(page, self.site.t(page.language)("watch.reason_needed"), True)
        if shift_id is not None:
            queued = await services.watch.cancel_shift(
                shift_id, reason, page.now, services.notices.shift_cancelled
            )
            if queued is not None:
                page.runtime.delivery.wake.set()
        return _see("/admin/watch")

    # Events

    async def events(
        self,
        page: Page,
        error: str | None = None,
        easy: EasyPreview = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        events = page.runtime.services.events
        rows = []
        for item in sorted(await events.all(), key=lambda e: e.starts_at, reverse=True):
            rows.append(
                (item, await events.audience_size(item.id), await events.reminders_of(item.id))
            )
        return self.render(
            page,
            "admin/events.html",
            400 if error or errors else 200,
            rows=rows,
            now=page.now,
            error=error,
            values=page.form or {},
            easy=easy,
            errors=errors or {},
        )

    async def preview_event(self, page: Page) -> Response:
        fields = ("title_ja", "place_ja", "description_ja")
        return await self.events(page, easy=_easy(page, *((f"events.{f}", f) for f in fields)))

    async def create_event(self, page: Page) -> Response:
        services = page.runtime.services
        try:
            await create_event(event_spec(page), services.events, services.pack, page.now, "form")
        except FormErrors as problems:
            return await self.events(page, errors=_words(page, problems, self.site))
        except ChiikiError as exc:
            return await self.events(page, error=str(exc))
        return _see("/admin/events")

    async def cancel_event(self, page: Page) -> Response:
        services = page.runtime.services
        event_id = _number(page.request, "event_id")
        item = await services.events.get(event_id) if event_id is not None else None
        if item is not None:
            queued = await services.events.cancel(
                item.id, services.notices.event_cancelled(item), page.now
            )
            if queued is not None:
                page.runtime.delivery.wake.set()
        return _see("/admin/events")

    # Outcomes

    async def outcomes(
        self,
        page: Page,
        error: str | None = None,
        easy: EasyPreview = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        services = page.runtime.services
        polls = sorted(await services.polls.all(), key=lambda p: p.id, reverse=True)
        events = sorted(await services.events.all(), key=lambda e: e.starts_at, reverse=True)
        subjects = [(f"poll:{p.id}", p.question_ja) for p in polls]
        subjects += [(f"event:{e.id}", e.title_ja) for e in events]
        return self.render(
            page,
            "admin/outcomes.html",
            400 if error or errors else 200,
            errors=errors or {},
            outcomes=await services.outcomes.recent(50),
            subjects=subjects,
            actors=services.pack.actors.items,
            error=error,
            values=page.form or {},
            chosen=page.form.getlist("next") if page.form else [],
            easy=easy,
        )

    async def preview_outcome(self, page: Page) -> Response:
        if page.field("decided_easy"):  # staff wrote it: sent as it is
            return await self.outcomes(
                page, easy=[("outcomes.decided_easy", page.field("decided_easy"))]
            )
        return await self.outcomes(page, easy=_easy(page, ("outcomes.decided_ja", "decided_ja")))

    def _check_outcome(self, page: Page) -> None:
        """The form's own checks, in the page's language (new_outcome words them for the CLI)."""
        problems: dict[str, FieldProblem] = {}
        if page.field("subject").partition(":")[0] not in SUBJECT_KINDS:
            problems["subject"] = FieldProblem("form.error.required")
        for name in ("decided_ja", "decided_easy", "decided_en"):
            if len(page.field(name)) > MAX_DECIDED_CHARS:
                problems[name] = FieldProblem("form.error.too_long", {"max": MAX_DECIDED_CHARS})
        if not page.field("decided_ja"):
            problems["decided_ja"] = FieldProblem("form.error.required")
        known = {actor.id for actor in page.runtime.services.pack.actors.items}
        chosen = [str(v) for v in page.form.getlist("next")] if page.form else []
        if not chosen or not set(chosen) <= known:
            problems["next"] = FieldProblem("outcomes.error.next")
        if problems:
            raise FormErrors(problems)

    async def add_outcome(self, page: Page) -> Response:
        services = page.runtime.services
        kind, _, number = page.field("subject").partition(":")
        try:
            self._check_outcome(page)
            spec = new_outcome(
                services.pack,
                kind,
                parse_number(number) or 0,
                page.field("decided_ja"),
                page.field("decided_en") or None,
                page.field("decided_easy") or None,
                [str(value) for value in page.form.getlist("next")] if page.form else [],
            )
            _, broadcast_id = await record_outcome(
                services.outcomes, services.notices, services.pack, spec, page.now
            )
        except FormErrors as problems:
            return await self.outcomes(page, errors=_words(page, problems, self.site))
        except ChiikiError as exc:
            return await self.outcomes(page, error=str(exc))
        page.runtime.delivery.wake.set()
        return _see(f"/admin/broadcasts/{broadcast_id}" if broadcast_id else "/admin/outcomes")

    # Broadcasts

    async def broadcasts(
        self, page: Page, error: str | None = None, errors: dict[str, str] | None = None
    ) -> Response:
        return self.render(
            page,
            "admin/broadcasts.html",
            400 if error or errors else 200,
            errors=errors or {},
            history=await page.runtime.broadcasts.history(HISTORY_LENGTH),
            kinds=self.site.texts.keys(),
            error=error,
            values=page.form or {},
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
        )

    async def preview_broadcast(self, page: Page) -> Response:
        try:
            message = self._notice(page)
            plan = await plan_broadcast(
                page.runtime.broadcasts, page.runtime.line, message.district, message.channel
            )
        except FormErrors as problems:
            return await self.broadcasts(page, errors=_words(page, problems, self.site))
        except ChiikiError as exc:
            return await self.broadcasts(page, error=str(exc))
        return self.render(
            page, "admin/broadcast_preview.html", message=message, plan=plan, values=page.form
        )

    async def send_broadcast(self, page: Page) -> Response:
        runtime = page.runtime
        try:
            message = self._notice(page)
            plan = await plan_broadcast(
                runtime.broadcasts, runtime.line, message.district, message.channel
            )
        except FormErrors as problems:
            return await self.broadcasts(page, errors=_words(page, problems, self.site))
        except ChiikiError as exc:
            return await self.broadcasts(page, error=str(exc))
        if plan.exceeds_quota and not page.checked("force"):
            return self.render(
                page,
                "admin/broadcast_preview.html",
                400,
                message=message,
                plan=plan,
                values=page.form,
                error=self.site.t(page.language)("broadcast.over_quota"),
            )
        broadcast_id = await runtime.broadcasts.create(message, page.now)
        runtime.delivery.wake.set()
        return _see(f"/admin/broadcasts/{broadcast_id}")

    async def broadcast(self, page: Page) -> Response:
        item = await _broadcast(page)
        if item is None:
            return self.render(page, "admin/missing.html", 404)
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
