"""Who is chatting on the web: an identity the server issues in a signed cookie.

The browser never chooses its id (anyone who learnt a posted id could act as that resident).
A request without a valid cookie gets a new random identity; the cookie carries it with an
HMAC under a server key kept in the database (`server_keys`), so every instance accepts it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, Signer
from starlette.requests import Request
from starlette.responses import Response

from bot.runtime import Runtime
from bot.storage.server_keys import ServerKeyRepository

COOKIE_NAME = "chiiki_web"
# The chat page and its API live under /chat; nothing else needs to see the cookie.
COOKIE_PATH = "/chat"
# Browsers keep a cookie at most about 400 days; it is renewed with every answer.
COOKIE_MAX_AGE = int(timedelta(days=400).total_seconds())
KEY_NAME = "web-identity"
# 128 random bits, written in 22 URL-safe characters.
IDENTITY_BYTES = 16


@dataclass(frozen=True, slots=True)
class WebIdentity:
    """A web resident's id and the signed cookie value that carries it."""

    id: str
    cookie: str


class WebIdentities:
    """Issues and checks web chat identities for one app (the signer is made on first use)."""

    def __init__(self, secure_cookie: bool) -> None:
        self._signer: Signer | None = None
        self._signer_runtime: Runtime | None = None
        # The same attributes on every answer: written once (starlette's set_cookie goes
        # through http.cookies, several times the cost of checking the signature).
        self._attributes = (
            f"; Max-Age={COOKIE_MAX_AGE}; Path={COOKIE_PATH}; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure_cookie else "")
        )

    async def _signer_for(self, runtime: Runtime) -> Signer:
        if self._signer is None or self._signer_runtime is not runtime:
            key = await ServerKeyRepository(runtime.db).get_or_create(
                KEY_NAME, runtime.services.clock()
            )
            self._signer = Signer(key, salt=KEY_NAME, digest_method=hashlib.sha256)
            self._signer_runtime = runtime
        return self._signer

    async def read(self, request: Request, runtime: Runtime) -> WebIdentity | None:
        """The identity in the request's cookie, or None when there is none or it was not
        signed by us (a forged or altered cookie counts as none)."""
        value = request.cookies.get(COOKIE_NAME)
        if not value:
            return None
        try:
            identity = (await self._signer_for(runtime)).unsign(value).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None
        return WebIdentity(identity, value)

    async def issue(self, runtime: Runtime) -> WebIdentity:
        """A new identity, never seen before, with its cookie."""
        identity = secrets.token_urlsafe(IDENTITY_BYTES)
        return WebIdentity(identity, await self.cookie_value(runtime, identity))

    async def cookie_value(self, runtime: Runtime, identity: str) -> str:
        return (await self._signer_for(runtime)).sign(identity).decode("ascii")

    def set_cookie(self, response: Response, identity: WebIdentity) -> None:
        # The value is ours (URL-safe base64 and a dot): nothing to quote.
        response.headers.append("set-cookie", f"{COOKIE_NAME}={identity.cookie}{self._attributes}")
