"""The outcomes page: what came of a poll or a meeting, told to everyone who took part."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.choices import parse_number
from bot.errors import ChiikiError
from bot.staff.outcomes import (
    MAX_DECIDED_CHARS,
    SUBJECT_KINDS,
    new_outcome,
    outcome_subjects,
    recent_outcomes,
    record_outcome,
)
from bot.staff.roles import StaffRoleError
from bot.web.admin.common import EasyPreview, FeaturePages, easy_preview, see
from bot.web.admin.forms import FieldProblem, FormErrors
from bot.web.admin.site import Page


class OutcomePages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/outcomes", staff(self.outcomes)),
            Route("/outcomes", staff(self.add_outcome), methods=["POST"]),
            Route("/outcomes/easy", staff(self.preview_outcome), methods=["POST"]),
        ]

    async def outcomes(
        self,
        page: Page,
        error: str | None = None,
        easy: EasyPreview = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        services = page.runtime.services
        return self.render_form_page(
            page,
            "admin/outcomes.html",
            errors=errors,
            error=error,
            easy=easy,
            outcomes=await recent_outcomes(services.outcomes, 50, actor=page.actor),
            subjects=await outcome_subjects(services.polls, services.events, actor=page.actor),
            actors=services.pack.actors.items,
            chosen=page.form.getlist("next") if page.form else [],
        )

    async def preview_outcome(self, page: Page) -> Response:
        if page.field("decided_easy"):  # staff wrote it: sent as it is
            return await self.outcomes(
                page, easy=[("outcomes.decided_easy", page.field("decided_easy"))]
            )
        return await self.outcomes(
            page, easy=easy_preview(page, ("outcomes.decided_ja", "decided_ja"))
        )

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
                services.outcomes,
                services.notices,
                services.pack,
                spec,
                page.now,
                actor=page.actor,
            )
        except FormErrors as problems:
            return await self.outcomes(page, errors=self.words(page, problems))
        except StaffRoleError:
            raise  # the frame answers 403: a refusal, not a mistake in the form
        except ChiikiError as exc:
            return await self.outcomes(page, error=str(exc))
        page.runtime.delivery.wake.set()
        return see(f"/admin/broadcasts/{broadcast_id}" if broadcast_id else "/admin/outcomes")
