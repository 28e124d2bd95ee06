"""Three tenants on one service, both backend pairs: acme and globex hold data under the same
ids, initech holds nothing. Each of acme and globex is granted its own index root."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from memory_api.app import create_app
from memory_api.db.migrate import upgrade
from memory_api.settings import Settings
from memory_api.testing.chroma_server import ChromaServer
from memory_api.testing.database import clear_tables
from memory_api.testing.tenants import Tenants

KEYS = {"acme": "acme-key-0123456789", "globex": "globex-key-0123456789"}
KEYS["initech"] = "initech-key-0123456789"
DEFAULT_KEY = "plain-key-0123456789"  # an entry without a tenant: the default tenant's


@pytest.fixture(params=["sqlite-embedded", "postgres-server"])
def stack(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tenant_settings(
    stack: str, tmp_path: Path, model_dir: Path, request: pytest.FixtureRequest
) -> Settings:
    roots = {name: tmp_path / f"{name}-docs" for name in ("acme", "globex", "default")}
    for root in roots.values():
        root.mkdir()
    entries = [f"{tenant}:{key}" for tenant, key in KEYS.items()] + [DEFAULT_KEY]
    options: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "embedding_model_dir": model_dir,
        "api_keys": ",".join(entries),
        # A plain entry is the default tenant's; initech is granted nothing.
        "index_roots": f"acme:{roots['acme']},globex:{roots['globex']},{roots['default']}",
        "collection_name": f"test-{uuid.uuid4().hex[:12]}",
        "job_poll_interval": 0.2,
    }
    if stack == "postgres-server":
        server: ChromaServer = request.getfixturevalue("chroma_server")
        options.update(
            database_url=request.getfixturevalue("postgres_url"),
            chroma_host=server.host,
            chroma_port=server.port,
        )
    settings = Settings(_env_file=None, **options)  # type: ignore[call-arg]
    if stack == "sqlite-embedded":
        upgrade(settings)
    return settings


@pytest.fixture
async def tenants(tenant_settings: Settings, tmp_path: Path) -> AsyncIterator[Tenants]:
    application = create_app(tenant_settings)
    clients: dict[str, httpx.AsyncClient] = {}
    async with LifespanManager(application, startup_timeout=120, shutdown_timeout=60):
        await clear_tables(application.state.components.database.engine)
        transport = httpx.ASGITransport(app=application)

        def client(tenant: str) -> httpx.AsyncClient:
            if tenant not in clients:
                key = DEFAULT_KEY if tenant == "default" else KEYS[tenant]
                clients[tenant] = httpx.AsyncClient(
                    transport=transport, base_url="http://test", headers={"X-API-Key": key}
                )
            return clients[tenant]

        roots = {name: tmp_path / f"{name}-docs" for name in ("acme", "globex", "default")}
        try:
            yield Tenants(application, tenant_settings, roots, client)
        finally:
            for http in clients.values():
                await http.aclose()
