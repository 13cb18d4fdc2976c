"""What /readyz checks: a load balancer sends residents' traffic only to a ready instance.

/healthz says the process answers (liveness); ready means migrations are applied, the
delivery worker and the inbox are running, and the database takes a write, now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.health import schema_version, takes_writes

if TYPE_CHECKING:
    from bot.runtime import Runtime

# A write that takes longer than this means the database is not fit to serve.
WRITE_PROBE_SECONDS = 2.0


async def readiness_problems(runtime: Runtime) -> list[str]:
    """What keeps this instance from serving; empty when it is ready."""
    problems: list[str] = []
    if not runtime.inbox.accepting:
        problems.append("shutting down: not taking webhooks")
    if not runtime.delivery.running:
        problems.append("the delivery worker is not running")
    try:
        version = await schema_version(runtime.db)
    except Exception:
        version = -1
    if version < runtime.schema_version:
        problems.append(
            f"migrations not applied (database at {version}, code at {runtime.schema_version})"
        )
    if not await takes_writes(runtime.db, runtime.services.clock(), WRITE_PROBE_SECONDS):
        problems.append("the database does not take writes")
    return problems
