"""The よくある質問 pages: staff add, edit and remove entries, and read what went unanswered.

Entries are used by the answerer as soon as they are saved: a change tells this instance's
answerer to re-read them at the next question (other instances re-read within their refresh
interval). Unanswered questions are shown as text and date only.
"""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.choices import parse_number
from bot.staff.faq import (
    FIELDS,
    FaqError,
    FaqProblem,
    answer_unanswered,
    check_faq,
    dismiss_unanswered,
    remove_faq,
    update_faq,
)
from bot.storage.faq import FaqRepository, StaffFaq, UnansweredRepository
from bot.web.admin.common import FeaturePages, see
from bot.web.admin.site import Page

UNANSWERED_PAGE_SIZE = 50
_DAYS = re.compile(r"^(\d+)d$")


def _answerer_changed(page: Page) -> None:
    """This instance answers with the change from the next question on; other instances see it
    within their answerer's refresh interval."""
    answerer = page.runtime.services.answerer
    if answerer is not None:
        answerer.invalidate()


def _path_number(page: Page, name: str) -> int | None:
    value = page.request.path_params.get(name)
    return value if isinstance(value, int) and value > 0 else None


def _query_number(page: Page, name: str, default: int | None) -> int | None:
    """A positive whole number from the query string; None when it is anything else."""
    raw = page.request.query_params.get(name)
    if raw is None:
        return default
    number = parse_number(raw)  # ASCII digits only: "²" passed isdigit() and int() raised
    return number if number else None


def _entry_values(entry: StaffFaq) -> dict[str, str]:
    return {
        "questions": "\n".join(entry.questions),
        "answer_ja": entry.answer_ja,
        "answer_en": entry.answer_en or "",
        "answer_easy": entry.answer_easy or "",
        "source": entry.source or "",
    }


class FaqPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/faq", staff(self.entries)),
            Route("/faq", staff(self.create), methods=["POST"]),
            Route("/faq/new", staff(self.new)),
            Route("/faq/unanswered", staff(self.unanswered)),
            Route(
                "/faq/unanswered/{question_id:rowid}/dismiss",
                staff(self.dismiss),
                methods=["POST"],
            ),
            Route("/faq/{entry_id:rowid}", staff(self.edit)),
            Route("/faq/{entry_id:rowid}", staff(self.update), methods=["POST"]),
            Route("/faq/{entry_id:rowid}/remove", staff(self.confirm_remove)),
            Route("/faq/{entry_id:rowid}/remove", staff(self.remove), methods=["POST"]),
        ]

    async def _entry(self, page: Page) -> StaffFaq | None:
        entry_id = _path_number(page, "entry_id")
        return await FaqRepository(page.runtime.db).get(entry_id) if entry_id else None

    # The list

    async def entries(self, page: Page) -> Response:
        unanswered = UnansweredRepository(page.runtime.db)
        answerer = page.runtime.services.answerer
        return self.render(
            page,
            "admin/faq.html",
            entries=await FaqRepository(page.runtime.db).entries(),
            unanswered=await unanswered.count_texts(),
            # The pack's own entries, shown so staff do not write them again.
            pack_entries=list(answerer.pack_faq.values()) if answerer is not None else [],
            pack_file=f"content/{page.runtime.settings.pack}/faq.yaml",
        )

    # Adding and editing

    def form(
        self,
        page: Page,
        values: dict[str, str],
        entry: StaffFaq | None = None,
        question_id: int | None = None,
        problems: dict[str, FaqProblem] | None = None,
    ) -> Response:
        translate = self.site.t(page.language)
        errors = {
            name: translate(f"faq.error.{problem.code}", **problem.values)
            for name, problem in (problems or {}).items()
        }
        return self.render(
            page,
            "admin/faq_form.html",
            400 if errors else 200,
            entry=entry,
            values=values,
            question_id=question_id,
            errors=errors,
        )

    async def new(self, page: Page) -> Response:
        question_id = _query_number(page, "question", None)
        values: dict[str, str] = {}
        if "question" in page.request.query_params:
            question = (
                await UnansweredRepository(page.runtime.db).get(question_id)
                if question_id
                else None
            )
            if question is None:
                return self.missing(page)
            values["questions"] = question.text
        return self.form(page, values, question_id=question_id)

    def _posted(self, page: Page) -> dict[str, str]:
        return {name: page.field(name) for name in FIELDS}

    async def create(self, page: Page) -> Response:
        values = self._posted(page)
        from_field = page.field("question_id")
        question_id = parse_number(from_field)
        try:
            draft = check_faq([values["questions"]], **_answers(values))
        except FaqError as exc:
            return self.form(page, values, None, question_id, exc.by_field())
        await answer_unanswered(
            FaqRepository(page.runtime.db),
            UnansweredRepository(page.runtime.db),
            question_id,
            draft,
            page.now,
            actor=page.actor,
        )
        _answerer_changed(page)
        return see("/admin/faq/unanswered" if question_id else "/admin/faq")

    async def edit(self, page: Page) -> Response:
        entry = await self._entry(page)
        if entry is None:
            return self.missing(page)
        return self.form(page, _entry_values(entry), entry)

    async def update(self, page: Page) -> Response:
        entry = await self._entry(page)
        if entry is None:
            return self.missing(page)
        values = self._posted(page)
        try:
            draft = check_faq([values["questions"]], **_answers(values))
        except FaqError as exc:
            return self.form(page, values, entry, None, exc.by_field())
        faq = FaqRepository(page.runtime.db)
        if not await update_faq(faq, entry.id, draft, page.now, actor=page.actor):
            return self.missing(page)  # removed meanwhile, by someone else
        _answerer_changed(page)
        return see("/admin/faq")

    # Removing

    async def confirm_remove(self, page: Page) -> Response:
        entry = await self._entry(page)
        if entry is None:
            return self.missing(page)
        return self.render(page, "admin/faq_remove.html", entry=entry)

    async def remove(self, page: Page) -> Response:
        entry_id = _path_number(page, "entry_id")
        faq = FaqRepository(page.runtime.db)
        if not entry_id or not await remove_faq(faq, entry_id, page.now, actor=page.actor):
            return self.missing(page)
        _answerer_changed(page)
        return see("/admin/faq")

    # What residents did not get answered

    async def unanswered(self, page: Page) -> Response:
        repository = UnansweredRepository(page.runtime.db)
        number = _query_number(page, "page", 1)
        total = await repository.count_texts()
        pages = max(1, -(-total // UNANSWERED_PAGE_SIZE))
        if number is None or number > pages:
            return self.missing(page)
        groups = await repository.grouped(
            UNANSWERED_PAGE_SIZE, (number - 1) * UNANSWERED_PAGE_SIZE
        )
        kept = _DAYS.match(page.runtime.settings.retention.unanswered.text)
        return self.render(
            page,
            "admin/faq_unanswered.html",
            groups=groups,
            page_number=number,
            pages=pages,
            total=total,
            kept_days=int(kept.group(1)) if kept else None,
        )

    async def dismiss(self, page: Page) -> Response:
        repository = UnansweredRepository(page.runtime.db)
        question_id = _path_number(page, "question_id")
        if not question_id or not await dismiss_unanswered(
            repository, question_id, page.now, actor=page.actor
        ):
            return self.missing(page)
        # Back to the page it was on, or the last one if that page is now gone.
        asked = page.field("page")
        number = parse_number(asked) or 1
        pages = max(1, -(-(await repository.count_texts()) // UNANSWERED_PAGE_SIZE))
        return see(f"/admin/faq/unanswered?page={max(1, min(number, pages))}")


def _answers(values: dict[str, str]) -> dict[str, str]:
    return {name: values[name] for name in FIELDS if name != "questions"}
