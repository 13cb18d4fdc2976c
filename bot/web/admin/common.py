"""What every dashboard feature's pages share: rendering with the staff frame, redirects,
CSV downloads, path ids, form problems and the easy-Japanese preview."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.content.readings import add_readings
from bot.staff.districts import districts_to_change, districts_to_read
from bot.web.admin.forms import FormErrors
from bot.web.admin.site import Page, Site

# Days a page's filter may name. Python's dates reach year 1 and 9999, but a day a step from
# either end overflows once a day is added or it is moved to UTC (a 500): none of ours is there.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)

# What an easy-Japanese reader will see of a form's fields: (label's text key, text).
EasyPreview = list[tuple[str, str]] | None


def see(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def csv_response(text: str, filename: str) -> Response:
    # A BOM lets Excel, which staff open CSV files with, read the Japanese correctly.
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def query_day(text: str | None) -> date | None:
    """A YYYY-MM-DD from a query string, or None when it is missing, malformed or outside
    FIRST_DAY to LAST_DAY."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


def path_number(request: Request, name: str) -> int | None:
    value = request.path_params.get(name)
    return value if isinstance(value, int) else None


def easy_preview(page: Page, *fields: tuple[str, str]) -> EasyPreview:
    """The form's Japanese fields (label's text key, field name) as easy readers get them: the
    staff's words with readings added (bot/content/readings.py)."""
    return [(key, add_readings(page.field(name))) for key, name in fields if page.field(name)]


class FeaturePages:
    """One feature's pages (polls, events…): each subclass lists its routes in `routes()`."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def render(self, page: Page, template: str, status: int = 200, **context: object) -> Response:
        pack = page.runtime.services.pack
        return self.site.render(
            page.request,
            page.language,
            template,
            status,
            login=page.login,
            pack=pack,
            # Forms offer only the districts the account may create in (bot/staff checks it
            # again), filters only those it may read.
            district_choices=districts_to_change(pack, page.actor),
            district_filter=districts_to_read(pack, page.actor),
            **context,
        )

    def missing(self, page: Page) -> Response:
        return self.render(page, "admin/missing.html", 404)

    def render_form_page(
        self,
        page: Page,
        template: str,
        error: str | None = None,
        errors: dict[str, str] | None = None,
        easy: EasyPreview = None,
        **context: object,
    ) -> Response:
        """A page with a form: 400 with the form's values when it had a problem (one `error`,
        or `errors` by field), and the easy-Japanese preview when one was asked for."""
        return self.render(
            page,
            template,
            400 if error or errors else 200,
            error=error,
            errors=errors or {},
            values=page.form or {},
            easy=easy,
            **context,
        )

    def words(self, page: Page, problems: FormErrors) -> dict[str, str]:
        """Each field's problem in the page's language."""
        t = self.site.t(page.language)
        return {name: t(p.key, **p.values) for name, p in problems.problems.items()}
