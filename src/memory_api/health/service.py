"""Run every registered dependency check concurrently, each under a timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from memory_api.errors import MemoryAPIError
from memory_api.health.schemas import ServiceHealth

HealthCheck = Callable[[], Awaitable[None]]
CHECK_TIMEOUT_SECONDS = 3.0


async def _run(check: HealthCheck) -> ServiceHealth:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return ServiceHealth(
            status="unavailable", detail=f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"
        )
    except MemoryAPIError as error:
        return ServiceHealth(status="unavailable", detail=error.detail)
    except Exception as error:
        return ServiceHealth(status="unavailable", detail=f"{type(error).__name__}: {error}")
    return ServiceHealth(status="ok")


async def check_all(checks: dict[str, HealthCheck]) -> dict[str, ServiceHealth]:
    results = await asyncio.gather(*(_run(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))
