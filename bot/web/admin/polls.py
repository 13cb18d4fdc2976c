"""The polls pages: list, create (with the easy-Japanese preview), results, CSV, close."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.errors import ChiikiError
from bot.staff.polls import (
    PollReport,
    close_poll,
    create_poll,
    export_results_csv,
    list_polls,
    merge_small_groups,
    poll_report,
    readable_poll,
)
from bot.staff.roles import StaffRoleError
from bot.storage.polls import Poll
from bot.web.admin.common import (
    EasyPreview,
    FeaturePages,
    csv_response,
    easy_preview,
    path_number,
    see,
)
from bot.web.admin.forms import FormErrors, poll_spec
from bot.web.admin.site import Page


async def _poll(page: Page) -> Poll | None:
    poll_id = path_number(page.request, "poll_id")
    if poll_id is None:
        return None
    return await readable_poll(page.runtime.services.polls, poll_id, actor=page.actor)


async def _report(page: Page) -> PollReport | None:
    poll_id = path_number(page.request, "poll_id")
    if poll_id is None:
        return None
    return await poll_report(page.runtime.services.polls, poll_id, actor=page.actor)


class PollPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/polls", staff(self.polls)),
            Route("/polls", staff(self.create_poll), methods=["POST"]),
            Route("/polls/easy", staff(self.preview_poll), methods=["POST"]),
            Route("/polls/{poll_id:rowid}", staff(self.poll)),
            Route("/polls/{poll_id:rowid}/results.json", staff(self.poll_results)),
            Route("/polls/{poll_id:rowid}/results.csv", staff(self.poll_csv)),
            Route("/polls/{poll_id:rowid}/print", staff(self.poll_print)),
            Route("/polls/{poll_id:rowid}/close", staff(self.close_poll), methods=["POST"]),
        ]

    async def polls(
        self,
        page: Page,
        error: str | None = None,
        easy: EasyPreview = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        rows = await list_polls(page.runtime.services.polls, actor=page.actor)
        rows.sort(key=lambda row: row[0].id, reverse=True)
        return self.render_form_page(
            page,
            "admin/polls.html",
            error=error,
            easy=easy,
            errors=errors,
            rows=rows,
            now=page.now,
        )

    async def preview_poll(self, page: Page) -> Response:
        return await self.polls(
            page,
            easy=easy_preview(
                page, ("polls.question_ja", "question_ja"), ("polls.choices_ja", "choices_ja")
            ),
        )

    async def create_poll(self, page: Page) -> Response:
        services = page.runtime.services
        try:
            spec = poll_spec(page)
            poll_id, announcement = await create_poll(
                spec,
                services.polls,
                services.pack,
                page.now,
                "form",
                services.notices,
                actor=page.actor,
            )
        except FormErrors as problems:
            return await self.polls(page, errors=self.words(page, problems))
        except StaffRoleError:
            raise  # the frame answers 403: a refusal, not a mistake in the form
        except ChiikiError as exc:
            return await self.polls(page, error=str(exc))
        if announcement is not None:
            page.runtime.delivery.wake.set()
        return see(f"/admin/polls/{poll_id}")

    async def poll(self, page: Page) -> Response:
        report = await _report(page)
        if report is None:
            return self.missing(page)
        return self.render(
            page,
            "admin/poll.html",
            poll=report.poll,
            tally=report.tally,
            groups=merge_small_groups(report.by_district),
            comments=report.comments,
            open=report.poll.is_open(page.now),
        )

    async def poll_print(self, page: Page) -> Response:
        """The results as a clean A4 sheet: totals only, small districts merged as on screen."""
        report = await _report(page)
        if report is None:
            return self.render(page, "admin/missing.html", 404)
        return self.render(
            page,
            "admin/poll_print.html",
            poll=report.poll,
            tally=report.tally,
            groups=merge_small_groups(report.by_district),
            now=page.now,
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
        poll_id = path_number(page.request, "poll_id")
        text = None
        if poll_id is not None:
            text = await export_results_csv(
                page.runtime.services.polls, poll_id, page.now, actor=page.actor
            )
        if text is None:
            return self.missing(page)
        return csv_response(text, f"poll-{poll_id}.csv")

    async def close_poll(self, page: Page) -> Response:
        poll_id = path_number(page.request, "poll_id")
        if poll_id is not None:
            await close_poll(page.runtime.services.polls, poll_id, page.now, actor=page.actor)
        return see(f"/admin/polls/{poll_id}")
