"""The polls pages: list, create (with the easy-Japanese preview), results, CSV, close, and
the paper ballots (紙・窓口) staff enter."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.errors import ChiikiError
from bot.staff.actor import ADMIN
from bot.staff.paper_ballots import (
    PAPER_GRACE,
    PAPER_LIMIT,
    PaperBallotError,
    PaperForm,
    paper_deadline,
    paper_districts,
    paper_entries,
    record_paper_ballots,
)
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
from bot.web.admin.forms import FieldProblem, FormErrors, poll_spec
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
            Route("/polls/{poll_id:rowid}/paper", staff(self.enter_paper), methods=["POST"]),
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

    async def poll(
        self,
        page: Page,
        error: str | None = None,
        errors: dict[str, str] | None = None,
        saved: bool = False,
    ) -> Response:
        report = await _report(page)
        if report is None:
            return self.missing(page)
        poll, services = report.poll, page.runtime.services
        return self.render_form_page(
            page,
            "admin/poll.html",
            error=error,
            errors=errors,
            poll=poll,
            tally=report.tally,
            counted=report.counted,
            groups=merge_small_groups(report.by_district),
            comments=report.comments,
            open=poll.is_open(page.now),
            paper_districts=paper_districts(poll, services.pack, page.actor),
            paper_taken=page.now <= paper_deadline(poll),
            paper_grace_days=PAPER_GRACE.days,
            paper_entries=await paper_entries(services.polls, poll.id, actor=page.actor) or [],
            paper_saved=saved or page.request.query_params.get("paper") == "saved",
            is_admin=page.actor.role == ADMIN,
        )

    async def enter_paper(self, page: Page) -> Response:
        """Paper ballots for one district: the staff member's entry, replacing their earlier
        one; a problem is shown next to its field."""
        item = await _poll(page)
        if item is None:
            return self.missing(page)
        services = page.runtime.services
        try:
            recorded = await record_paper_ballots(
                services.polls,
                services.pack,
                item.id,
                _paper_form(page, item),
                page.now,
                actor=page.actor,
            )
        except FormErrors as problems:
            return await self.poll(page, errors=self.words(page, problems))
        except PaperBallotError as refused:
            words = self.site.t(page.language)(f"paper.error.{refused.reason}", **refused.values)
            if refused.field is None:
                return await self.poll(page, error=words)
            return await self.poll(page, errors={refused.field: words})
        if recorded is None:
            return self.missing(page)
        return see(f"/admin/polls/{item.id}?paper=saved#paper")

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
            counted=report.counted,
            groups=merge_small_groups(report.by_district),
            now=page.now,
        )

    async def poll_results(self, page: Page) -> Response:
        report = await _report(page)
        if report is None:
            return JSONResponse({"error": "no such poll"}, status_code=404)
        item, tally = report.poll, report.tally
        return JSONResponse(
            {
                "ballots": tally.ballots,
                "counts": {str(c.position): tally.counts.get(c.position, 0) for c in item.choices},
                "paper_ballots": report.counted.paper.ballots,
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


def _count(page: Page, name: str) -> int:
    text = page.field(name)
    # Seven digits are more than any count taken (PAPER_LIMIT): longer is a mistake.
    if not text.isascii() or not text.isdigit() or len(text) > 7:
        raise FormErrors({name: FieldProblem("form.error.count", {"max": f"{PAPER_LIMIT:,}"})})
    return int(text)


def _paper_form(page: Page, poll: Poll) -> PaperForm:
    """The form's counts: a whole number in every field (an empty vote field is 0)."""
    problems: dict[str, FieldProblem] = {}
    votes: dict[int, int] = {}
    ballots = 0
    try:
        ballots = _count(page, "ballots")
    except FormErrors as problem:
        problems.update(problem.problems)
    for choice in poll.choices:
        name = f"votes_{choice.position}"
        if not page.field(name):
            continue
        try:
            votes[choice.position] = _count(page, name)
        except FormErrors as problem:
            problems.update(problem.problems)
    if problems:
        raise FormErrors(problems)
    return PaperForm(page.field("district") or None, ballots, votes)
