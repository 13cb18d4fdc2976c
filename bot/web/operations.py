"""Routes for operators: /healthz (liveness), /readyz (readiness)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.readiness import readiness_problems
from bot.runtime import Runtime


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
