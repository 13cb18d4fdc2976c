"""The 職員アカウント page (admin only): accounts with their roles; add, change a role, remove."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.staff.accounts import (
    StaffAccountError,
    add_account,
    change_role,
    check_login_name,
    hash_password,
    list_accounts,
    remove_account,
)
from bot.staff.roles import ROLES, StaffRoleError, require_admin
from bot.storage.staff import StaffRepository
from bot.web.admin.common import FeaturePages, see
from bot.web.admin.site import Page


class StaffAccountPages(FeaturePages):
    def routes(self) -> list[BaseRoute]:
        staff = self.site.staff_only
        return [
            Route("/accounts", staff(self.accounts)),
            Route("/accounts", staff(self.add), methods=["POST"]),
            Route("/accounts/role", staff(self.role), methods=["POST"]),
            Route("/accounts/remove", staff(self.remove), methods=["POST"]),
        ]

    async def accounts(self, page: Page, error: str | None = None) -> Response:
        require_admin(page.actor)
        return self.render(
            page,
            "admin/accounts.html",
            400 if error else 200,
            accounts=await list_accounts(StaffRepository(page.runtime.db), actor=page.actor),
            roles=ROLES,
            error=error,
            me=page.login,
        )

    def _districts(self, page: Page) -> frozenset[str]:
        assert page.form is not None
        return frozenset(
            value.strip() for value in page.form.getlist("district") if isinstance(value, str)
        )

    async def add(self, page: Page) -> Response:
        require_admin(page.actor)
        try:
            login = check_login_name(page.field("login"))
            password_hash = hash_password(page.field("password"))
            await add_account(
                StaffRepository(page.runtime.db),
                login,
                password_hash,
                page.now,
                actor=page.actor,
                role=page.field("role"),
                districts=self._districts(page),
                pack=page.runtime.services.pack,
            )
        except (StaffAccountError, StaffRoleError) as problem:
            return await self.accounts(page, str(problem))
        return see("/admin/accounts")

    async def role(self, page: Page) -> Response:
        require_admin(page.actor)
        try:
            await change_role(
                StaffRepository(page.runtime.db),
                page.field("login"),
                page.field("role"),
                self._districts(page),
                page.now,
                actor=page.actor,
                pack=page.runtime.services.pack,
            )
        except (StaffAccountError, StaffRoleError) as problem:
            return await self.accounts(page, str(problem))
        return see("/admin/accounts")

    async def remove(self, page: Page) -> Response:
        require_admin(page.actor)
        if page.field("login") == page.login:
            return await self.accounts(page, "you cannot remove your own account")
        try:
            await remove_account(
                StaffRepository(page.runtime.db), page.field("login"), page.now, actor=page.actor
            )
        except StaffAccountError as problem:
            return await self.accounts(page, str(problem))
        return see("/admin/accounts")
