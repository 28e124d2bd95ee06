"""While PostgreSQL is unreachable: 503 with a clear detail; recovery without restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager

from memory_api.app import create_app
from memory_api.settings import Settings
from memory_api.testing.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres


async def _eventually(call: Callable[[], object], expected: int, seconds: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        response = await call()  # type: ignore[misc]
        if response.status_code == expected:
            return
        assert asyncio.get_running_loop().time() < deadline, response.text
        await asyncio.sleep(0.2)


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of PostgreSQL, for the test to cut."""
    parts = urlsplit(postgres_url)
    running = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await running.start()
    yield running
    await running.cut()


def through(proxy: TcpProxy, postgres_url: str) -> str:
    parts = urlsplit(postgres_url)
    return urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))


async def test_postgres_outage_gives_503_then_recovers(
    proxy: TcpProxy, postgres_url: str, settings_factory: Callable[..., Settings]
) -> None:
    app = create_app(settings_factory(through(proxy, postgres_url), db_connect_timeout=2))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.post("/state/o", json={"state_data": {"n": 1}})).status_code == 201

            await proxy.cut()
            for response in (
                await client.post("/state/o", json={"state_data": {"n": 2}}),
                await client.get("/state/o"),
                await client.get("/sessions"),
                await client.delete("/state/o"),
            ):
                assert response.status_code == 503, response.text
                assert response.json()["detail"].startswith("Database unavailable")
                assert response.headers["retry-after"]
            health = await client.get("/health")
            assert health.status_code == 503
            assert health.headers["retry-after"] == "5"  # README: 503 with Retry-After
            body = health.json()
            assert body["status"] == "unavailable"
            assert body["services"]["database"]["status"] == "unavailable"
            ready = await client.get("/readyz")
            assert ready.status_code == 503
            assert ready.headers["retry-after"] == "5"
            assert (await client.get("/livez")).status_code == 200

            await proxy.restore()
            await _eventually(lambda: client.get("/readyz"), 200)
            assert "retry-after" not in (await client.get("/readyz")).headers
            await _eventually(lambda: client.post("/state/o", json={"state_data": {"n": 3}}), 201)
            assert (await client.get("/state/o")).json()["state_data"] == {"n": 3}


async def test_connections_dropped_while_idle_cost_no_request(
    proxy: TcpProxy, postgres_url: str, settings_factory: Callable[..., Settings]
) -> None:
    """PostgreSQL restarts (or a proxy drops every link) while the pools hold idle connections:
    the first requests afterwards, on both pools, find fresh connections instead of a 503."""
    settings = settings_factory(through(proxy, postgres_url), db_connect_timeout=2)
    app = create_app(settings, run_worker=False)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            # Warm both pools: session state (asyncpg's) and everything else (SQLAlchemy's).
            assert (await client.post("/state/d", json={"state_data": {"n": 1}})).status_code == 201
            assert (await client.get("/rag_stats")).status_code == 200
            await proxy.cut()
            await proxy.restore()
            await asyncio.sleep(0.2)
            for _ in range(3):
                assert (await client.get("/state/d")).status_code == 200
                stats = await client.get("/rag_stats")
                assert stats.status_code == 200, stats.text
                assert (await client.get("/readyz")).status_code == 200
