"""Wait for an indexing job through the HTTP API."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from memory_api.jobs.status import FINISHED


async def wait_for_job(
    client: httpx.AsyncClient, status_url: str, limit_seconds: float = 180
) -> dict[str, Any]:
    """Poll ``status_url`` until the job is completed or failed; fail loudly if it is stuck."""
    deadline = asyncio.get_running_loop().time() + limit_seconds
    while True:
        body: dict[str, Any] = (await client.get(status_url)).json()
        if body["status"] in FINISHED:
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"job still {body['status']} after {limit_seconds}s: {body}")
        await asyncio.sleep(0.1)


def wait_for_job_sync(
    client: httpx.Client, status_url: str, limit_seconds: float = 180
) -> dict[str, Any]:
    """``wait_for_job`` for a blocking client (benchmarks, subprocess tests)."""
    deadline = time.monotonic() + limit_seconds
    while True:
        body: dict[str, Any] = client.get(status_url).json()
        if body["status"] in FINISHED:
            return body
        if time.monotonic() > deadline:
            raise TimeoutError(f"job still {body['status']} after {limit_seconds}s: {body}")
        time.sleep(0.2)
