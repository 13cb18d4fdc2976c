"""Routes for operators: /healthz (liveness), /readyz (readiness), /metrics (Prometheus)."""

from __future__ import annotations

import hmac
import ipaddress
import logging

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot import metrics
from bot.readiness import readiness_problems
from bot.runtime import Runtime

logger = logging.getLogger(__name__)
# Set by a reverse proxy: a request carrying one came from elsewhere, whatever its peer.
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


async def health(request: Request, runtime: Runtime) -> Response:
    """Liveness: the process answers and its database answers a query."""
    try:
        healthy = await runtime.db.ping()
    except Exception:
        healthy = False
    if not healthy:
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


async def ready(request: Request, runtime: Runtime) -> Response:
    """Readiness: 200 only when this instance can take residents' traffic now."""
    problems = await readiness_problems(runtime)
    if problems:
        return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ready"})


async def scrape(request: Request, runtime: Runtime) -> Response:
    """Prometheus text format, for the bearer of CHIIKI_METRICS_TOKEN or, without a token
    set, for a scraper on this machine only."""
    refusal = _refusal(request, runtime)
    if refusal is not None:
        return refusal
    body = metrics.exposition(await runtime.outbox.depth())
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _refusal(request: Request, runtime: Runtime) -> Response | None:
    token = runtime.settings.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "")
        expected = f"Bearer {token.get_secret_value()}"
        if hmac.compare_digest(given.encode(), expected.encode()):
            return None
        return JSONResponse(
            {"error": "send Authorization: Bearer <CHIIKI_METRICS_TOKEN>"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    if _from_loopback(request):
        return None
    logger.warning("/metrics refused to a peer not on this machine (no CHIIKI_METRICS_TOKEN)")
    return JSONResponse(
        {"error": "metrics are served to this machine only; set CHIIKI_METRICS_TOKEN"},
        status_code=403,
    )


def _from_loopback(request: Request) -> bool:
    if request.client is None or any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False
