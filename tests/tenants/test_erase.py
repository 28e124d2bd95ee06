"""``DELETE /tenant``: exactly the caller's rows and vectors go (counted in the database and in
Chroma), the other tenant's stay; a wrong ``confirm`` or a running job erases nothing."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select, update

from memory_api.app import create_app
from memory_api.client import AsyncMemoryClient, ConflictError
from memory_api.collections.models import Collection
from memory_api.db.columns import utcnow
from memory_api.db.models import Base
from memory_api.documents.models import Chunk, Document
from memory_api.jobs.models import Job as IndexJob
from memory_api.settings import Settings
from memory_api.state.models import SessionState
from memory_api.tenants.repository import ERASURES
from memory_api.testing.chroma_server import ChromaServer
from memory_api.testing.collections import register_collection
from memory_api.testing.database import clear_tables
from memory_api.testing.jobs import wait_for_job
from memory_api.testing.tcp_proxy import TcpProxy
from memory_api.testing.tenants import Tenants


def test_every_table_is_erased() -> None:
    """A new table of tenant data (checkpoints, store, history) needs its line in ERASURES."""
    erased = [erasure.table.name for erasure in ERASURES]
    assert sorted(erased) == sorted(table.name for table in Base.metadata.sorted_tables)
    # Children first: a table comes before every table it references.
    for position, erasure in enumerate(ERASURES):
        for key in erasure.table.foreign_keys:
            assert key.column.table.name in erased[position + 1 :], erasure.name


async def _rows(tenants: Tenants, tenant: str) -> dict[str, int]:
    """The tenant's rows of each kind, counted in the database itself."""
    owned = select(Collection.id).where(Collection.tenant == tenant)
    documents = select(Document.id).where(Document.collection_id.in_(owned))
    queries: dict[str, Any] = {
        "sessions": select(func.count()).where(SessionState.tenant == tenant),
        "jobs": select(func.count()).where(IndexJob.tenant == tenant),
        "collections": select(func.count()).select_from(owned.subquery()),
        "documents": select(func.count()).select_from(documents.subquery()),
        "chunks": select(func.count()).where(Chunk.document_id.in_(documents)),
    }
    async with tenants.app.state.components.database.reading() as session:
        return {name: int(await session.scalar(query) or 0) for name, query in queries.items()}


async def _owned(tenants: Tenants, tenant: str) -> dict[str, int]:
    """The tenant's rows of every table in ERASURES (tables added later included)."""
    async with tenants.app.state.components.database.reading() as session:
        return {
            erasure.table.name: int(
                await session.scalar(
                    select(func.count()).select_from(erasure.table).where(erasure.owned(tenant))
                )
                or 0
            )
            for erasure in ERASURES
        }


async def _report(tenants: Tenants, tenant: str, vectors: int) -> dict[str, int]:
    """What DELETE /tenant must report now: every counted kind of ERASURES (those added later
    too), as the database counts it, and ``vectors``."""
    owned = await _owned(tenants, tenant)
    counted = {e.name: owned[e.table.name] for e in ERASURES if e.counted}
    return dict(sorted({**counted, "vectors": vectors}.items()))


async def _vector_names(tenants: Tenants, tenant: str) -> list[str]:
    async with tenants.app.state.components.database.reading() as session:
        found = await session.scalars(
            select(Collection.vector_collection).where(Collection.tenant == tenant)
        )
        return sorted(found)


async def _seed(tenants: Tenants, tenant: str) -> None:
    """Two sessions, two indexed files (one job), under the same ids for every tenant."""
    client, root = tenants.client(tenant), tenants.roots[tenant]
    for session_id in ("shared", f"only-{tenant}"):
        stored = await client.post(f"/state/{session_id}", json={"state_data": {"of": tenant}})
        assert stored.status_code == 201, stored.text
    (root / "shared.md").write_text(f"# Shared\n\nThe {tenant} notes about comets.\n")
    (root / "other.txt").write_text(f"{tenant} keeps a second file about tides. " * 40)
    started = await client.post("/index_files", json={})
    assert started.status_code == 202, started.text
    done = await wait_for_job(client, started.json()["status_url"])
    assert (done["status"], done["result"]["indexed"]) == ("completed", 2), done


async def _deleted_collection_with_vectors(tenants: Tenants, tenant: str) -> str:
    """A collection deleted but not cleaned up yet (its vectors still in Chroma)."""
    components = tenants.app.state.components
    embedder = components.embedder
    record = await register_collection(
        components.database, "old", model=embedder.name, dimension=embedder.dimension, tenant=tenant
    )
    async with components.database.unit_of_work() as session:
        await session.execute(
            update(Collection).where(Collection.id == record.id).values(deleted_at=utcnow())
        )
    vectors = components.vectors
    name = record.vector_collection
    await vectors.ensure_collection(name, model=embedder.name, dimension=embedder.dimension)
    await vectors.upsert(name, ["a", "b", "c"], np.ones((3, embedder.dimension), np.float32))
    return name


async def test_erases_exactly_the_callers_tenant(tenants: Tenants) -> None:
    for tenant in ("acme", "globex"):
        await _seed(tenants, tenant)
    old = await _deleted_collection_with_vectors(tenants, "acme")
    vectors = tenants.app.state.components.vectors
    acme_before, globex_before = await _rows(tenants, "acme"), await _rows(tenants, "globex")
    globex_owned = await _owned(tenants, "globex")
    assert acme_before["sessions"] == acme_before["documents"] == acme_before["collections"] == 2
    assert acme_before["jobs"] == 1 and acme_before["chunks"] >= 3
    assert globex_before == {**acme_before, "collections": 1}
    acme_vectors = await _vector_names(tenants, "acme")
    globex_vectors = await _vector_names(tenants, "globex")
    assert old in acme_vectors and len(acme_vectors) == 2
    vector_counts = {name: await vectors.count(name) for name in acme_vectors + globex_vectors}
    assert vector_counts[old] == 3

    expected = await _report(tenants, "acme", sum(vector_counts[name] for name in acme_vectors))
    # The kinds counted here independently agree with ERASURES' own predicates.
    assert {kind: expected[kind] for kind in acme_before} == acme_before

    acme = tenants.client("acme")
    response = await acme.delete("/tenant", params={"confirm": "acme"})
    assert response.status_code == 200, response.text
    assert response.json() == {"tenant": "acme", "deleted": expected}
    assert await _rows(tenants, "acme") == dict.fromkeys(acme_before, 0)
    assert set((await _owned(tenants, "acme")).values()) == {0}
    assert await _owned(tenants, "globex") == globex_owned
    for name in acme_vectors:
        assert await vectors.collection_info(name) is None, name
    # The other tenant: every row and every vector still there, and still served.
    assert await _rows(tenants, "globex") == globex_before
    assert await _vector_names(tenants, "globex") == globex_vectors
    for name in globex_vectors:
        assert await vectors.count(name) == vector_counts[name]
    globex = tenants.client("globex")
    assert (await globex.get("/state/shared")).json()["state_data"] == {"of": "globex"}
    found = await globex.post("/rag_query", json={"query": "comets", "mode": "semantic"})
    assert "The globex notes about comets." in found.json()["results"][0]["content"]

    # The erased tenant starts again from nothing.
    assert (await acme.get("/state/shared")).status_code == 404
    assert (await acme.get("/sessions")).json() == []
    assert (await acme.get("/index_jobs")).json() == []
    stats = (await acme.get("/rag_stats")).json()
    assert (stats["documents"], stats["chunks"], stats["vectors"]) == (0, 0, 0)
    again = await acme.delete("/tenant", params={"confirm": "acme"})
    assert again.json()["deleted"] == dict.fromkeys(expected, 0)


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
async def test_a_wrong_confirmation_erases_nothing(tenants: Tenants) -> None:
    await _seed(tenants, "acme")
    before = await _rows(tenants, "acme")
    acme = tenants.client("acme")
    for name in ("globex", "default", "initech", "nobody"):
        refused = await acme.delete("/tenant", params={"confirm": name})
        assert refused.status_code == 409, refused.text
        assert refused.json() == {
            "detail": f"confirm={name!r} does not name your tenant: repeat it as "
            "confirm='acme' to erase everything tenant 'acme' owns"
        }
    # Not a tenant name at all (or none): the parameter is invalid.
    for params in ({"confirm": "ACME"}, {"confirm": ""}, {"confirm": "acme "}, {}):
        invalid = await acme.delete("/tenant", params=params)
        assert invalid.status_code == 422, (params, invalid.text)
        assert invalid.json()["detail"][0]["loc"] == ["query", "confirm"]
    # globex confirming its own name erases globex (nothing), not acme.
    other = await tenants.client("globex").delete("/tenant", params={"confirm": "globex"})
    assert other.json()["deleted"]["sessions"] == 0
    assert await _rows(tenants, "acme") == before


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
async def test_a_running_job_blocks_the_erasure(tenants: Tenants) -> None:
    await _seed(tenants, "acme")
    database = tenants.app.state.components.database
    # A job another worker runs right now (live lease), written as that worker would.
    async with database.unit_of_work() as session:
        session.add(
            IndexJob(
                id="running-job",
                tenant="acme",
                kind="index_directory",
                collection="x",
                status="in_progress",
                params={},
                created_at=utcnow(),
                heartbeat_at=utcnow(),
                worker_id="elsewhere",
            )
        )
    before = await _rows(tenants, "acme")
    acme = tenants.client("acme")
    refused = await acme.delete("/tenant", params={"confirm": "acme"})
    assert refused.status_code == 409, refused.text
    assert refused.json() == {
        "detail": "1 indexing job(s) of tenant 'acme' are running (running-job): cancel them "
        "(POST /index_status/{id}/cancel), wait until they end, then retry"
    }
    assert await _rows(tenants, "acme") == before
    async with database.unit_of_work() as session:
        await session.execute(
            update(IndexJob).where(IndexJob.id == "running-job").values(status="failed")
        )
    erased = await acme.delete("/tenant", params={"confirm": "acme"})
    assert erased.json()["deleted"]["jobs"] == 2
    assert await _rows(tenants, "acme") == dict.fromkeys(before, 0)


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
async def test_sdk_delete_tenant(tenants: Tenants) -> None:
    await _seed(tenants, "globex")
    transport = httpx.ASGITransport(app=tenants.app)
    key = "globex-key-0123456789"
    async with AsyncMemoryClient("http://test", api_key=key, transport=transport) as client:
        with pytest.raises(ConflictError) as refused:
            await client.delete_tenant("acme")
        assert refused.value.status_code == 409
        erased = await client.delete_tenant("globex")
    assert erased.tenant == "globex"
    assert (erased.deleted["sessions"], erased.deleted["documents"]) == (2, 2)
    assert await _rows(tenants, "globex") == dict.fromkeys(await _rows(tenants, "acme"), 0)
    assert set((await _owned(tenants, "globex")).values()) == {0}


@pytest.mark.parametrize("stack", ["postgres-server"], indirect=True)
async def test_a_vector_store_outage_erases_nothing(
    tenant_settings: Settings, chroma_server: ChromaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma unreachable before the erasure starts, then while it drops the collections: 503
    both times, every row stays; once Chroma is back the same request erases everything."""
    proxy = TcpProxy(chroma_server.host, chroma_server.port)
    await proxy.start()
    settings = tenant_settings.model_copy(update={"chroma_port": proxy.port})
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=120, shutdown_timeout=60):
        await clear_tables(application.state.components.database.engine)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            headers={"X-API-Key": "acme-key-0123456789"},
        ) as acme:
            roots = {"acme": settings.index_roots_for("acme")[0]}
            tenants = Tenants(application, settings, roots, lambda _: acme)
            await _seed(tenants, "acme")
            await _deleted_collection_with_vectors(tenants, "acme")
            before = await _rows(tenants, "acme")
            names = await _vector_names(tenants, "acme")
            vectors = application.state.components.vectors
            counts = [await vectors.count(name) for name in names]
            expected = await _report(tenants, "acme", sum(counts))

            await proxy.cut()
            down = await acme.delete("/tenant", params={"confirm": "acme"})
            assert down.status_code == 503, down.text
            assert await _rows(tenants, "acme") == before

            # Up for the counts, down when the collections are dropped (after the rows went,
            # in the transaction that must then roll back).
            await proxy.restore()
            drop = vectors.delete_collection

            async def drop_while_down(name: str) -> None:
                await proxy.cut()
                await drop(name)

            monkeypatch.setattr(vectors, "delete_collection", drop_while_down)
            midway = await acme.delete("/tenant", params={"confirm": "acme"})
            assert midway.status_code == 503, midway.text
            assert await _rows(tenants, "acme") == before
            monkeypatch.undo()
            await proxy.restore()

            erased = await acme.delete("/tenant", params={"confirm": "acme"})
            assert erased.status_code == 200, erased.text
            assert erased.json()["deleted"] == expected
            assert await _rows(tenants, "acme") == dict.fromkeys(before, 0)
            for name in names:
                assert await vectors.collection_info(name) is None
    await proxy.cut()
