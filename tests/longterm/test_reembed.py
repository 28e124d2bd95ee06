"""``POST /collections/{name}/reembed``: after a model change the collection answers 409; the
job rebuilds every vector from the chunk text in the database into a new vector collection and
swaps it in, and the collection works again. While it is queued or running, /rag_query answers
from the lexical index with ``semantic_rebuilding``; a run resumes what a crashed one did.
Both backend pairs. (The "old model" is written into the registry: the mismatch rule compares
names and dimensions, and the vectors are really rebuilt: the old vector collection is gone.)"""

from __future__ import annotations

import subprocess
from hashlib import sha256
from typing import Any

import httpx
import numpy as np
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import update

from memory_api.app import create_app
from memory_api.client import AsyncMemoryClient
from memory_api.collections.models import Collection
from memory_api.collections.repository import CollectionRecord, CollectionRepository
from memory_api.documents.api_service import DocumentsService, Incoming
from memory_api.jobs.models import Job
from memory_api.reembed.handler import Reembedding
from memory_api.settings import Settings
from memory_api.testing.database import clear_tables
from memory_api.testing.jobs import wait_for_job
from memory_api.testing.server import ServerProcess, cli_path

CATS = "Cats purr when they are content and knead soft blankets."
SHIPS = "Container ships carry goods across the ocean between ports."
DOCS = "/collections/kb/documents"


async def _record(app: FastAPI, name: str = "kb") -> CollectionRecord:
    async with app.state.components.database.reading() as session:
        found = await CollectionRepository(session).get("default", name)
    assert found is not None
    return found


async def _pretend_old_model(app: FastAPI) -> None:
    """As if the collection had been built by another model (8 dimensions)."""
    async with app.state.components.database.unit_of_work() as session:
        await session.execute(
            update(Collection)
            .where(Collection.name == "kb")
            .values(embedding_model="old-model", embedding_dimension=8)
        )


async def _fill(client: httpx.AsyncClient) -> None:
    assert (await client.post("/collections", json={"name": "kb"})).status_code == 201
    for doc_id, text in (("cats", CATS), ("ships", SHIPS)):
        assert (await client.put(f"{DOCS}/{doc_id}", json={"text": text})).status_code == 201


async def _query(client: httpx.AsyncClient, text: str, mode: str) -> httpx.Response:
    return await client.post("/rag_query", json={"query": text, "collection": "kb", "mode": mode})


async def test_model_change_409_then_reembed(lt_app: FastAPI, lt_client: httpx.AsyncClient) -> None:
    await _fill(lt_client)
    await _pretend_old_model(lt_app)
    before = await _record(lt_app)
    refused = await _query(lt_client, "felines", "semantic")
    assert refused.status_code == 409
    assert "old-model" in refused.json()["detail"]
    assert (await lt_client.put(f"{DOCS}/x", json={"text": "t"})).status_code == 409

    model = lt_app.state.components.embedder.name  # the int8 build under CI
    started = await lt_client.post("/collections/kb/reembed")
    assert started.status_code == 202, started.text
    final = await wait_for_job(lt_client, started.json()["status_url"])
    assert final["status"] == "completed", final
    assert final["progress"] == 100
    assert final["result"] == {
        "vectors": 2,
        "embedded": 2,
        "resumed_with": 0,
        "embedding_model": model,
        "embedding_dimension": 384,
        "swapped": True,
    }
    after = await _record(lt_app)
    assert (after.embedding_model, after.embedding_dimension) == (model, 384)
    assert after.vector_collection != before.vector_collection
    vectors = lt_app.state.components.vectors
    assert await vectors.ids(after.vector_collection) == {
        sha256(CATS.encode()).hexdigest(),
        sha256(SHIPS.encode()).hexdigest(),
    }
    assert await vectors.collection_info(before.vector_collection) is None  # dropped

    answer = await _query(lt_client, "felines making happy sounds", "semantic")
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["doc_id"] == "cats"
    assert answer.json()["semantic_rebuilding"] is False
    assert (await lt_client.put(f"{DOCS}/x", json={"text": "tides"})).status_code == 201
    jobs = (await lt_client.get("/index_jobs")).json()
    assert [(j["kind"], j["collection"]) for j in jobs] == [("reembed", "kb")]


async def test_refusals(lt_client: httpx.AsyncClient) -> None:
    missing = await lt_client.post("/collections/nope/reembed")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Collection 'nope' not found"
    assert (await lt_client.post("/collections/No!/reembed")).status_code == 422


async def test_lexical_while_rebuilding_then_resume(lt_settings: Settings) -> None:
    """No worker in the first app: the job stays queued (as after a crash), queries answer
    lexically with the flag; one vector is already in the target (a crashed run's work); the
    second app's worker embeds only the other and swaps."""
    first = create_app(lt_settings, run_worker=False)
    async with LifespanManager(first, startup_timeout=120, shutdown_timeout=60):
        await clear_tables(first.state.components.database.engine)
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await _fill(client)
            await _pretend_old_model(first)
            started = (await client.post("/collections/kb/reembed")).json()
            again = (await client.post("/collections/kb/reembed")).json()
            assert again["task_id"] == started["task_id"]  # one re-embedding at a time
            answer = await _query(client, "why do cats purr", "semantic")
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert (body["mode"], body["semantic_rebuilding"]) == ("lexical", True)
            assert [r["doc_id"] for r in body["results"]] == ["cats"]
            # Writes are refused while the configured model is not the collection's: never lost.
            assert (await client.put(f"{DOCS}/x", json={"text": "t"})).status_code == 409
            components = first.state.components
            async with components.database.reading() as session:
                job = await session.get(Job, started["task_id"])
                assert job is not None
                target = job.params["target"]
            cats = sha256(CATS.encode()).hexdigest()
            embedder = components.embedder
            await components.vectors.ensure_collection(
                target, model=embedder.name, dimension=embedder.dimension
            )
            vector = await embedder.embed_documents([CATS])
            await components.vectors.upsert(target, [cats], np.asarray(vector))
    second = create_app(lt_settings)
    async with LifespanManager(second, startup_timeout=120, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            final = await wait_for_job(client, started["status_url"])
            assert final["status"] == "completed", final
            assert (final["result"]["resumed_with"], final["result"]["embedded"]) == (1, 1)
            answer = await _query(client, "vessels transporting cargo at sea", "semantic")
            assert answer.status_code == 200
            assert answer.json()["results"][0]["doc_id"] == "ships"
            assert (await _record(second)).vector_collection == target


async def test_sdk_reembed(lt_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=lt_app)
    async with AsyncMemoryClient("http://test", transport=transport) as memory:
        await memory.create_collection("kb")
        await memory.put_document("kb", "cats", CATS)
        await _pretend_old_model(lt_app)
        started = await memory.reembed("kb")
        final = await memory.wait_job(started.task_id, poll_interval=0.05, timeout=180)
        assert final.status == "completed" and final.result is not None
        assert final.result["vectors"] == 1
        info = await memory.get_collection("kb")
        model = lt_app.state.components.embedder.name
        assert (info.embedding_model, info.embedding_dimension) == (model, 384)


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
def test_cli_reembed(lt_settings: Settings, tmp_path: Any) -> None:
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_EMBEDDING_MODEL_DIR=str(lt_settings.embedding_model_dir),
        MEMORY_API_JOB_POLL_INTERVAL="0.2",
    )
    with ServerProcess(env, tmp_path / "server.log") as server:

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            cli_env = {**server.env, "MEMORY_API_URL": server.url}
            return subprocess.run(
                [cli_path(), *args], env=cli_env, capture_output=True, text=True, timeout=180
            )

        assert cli("collections", "create", "kb").returncode == 0
        missing = cli("reembed", "nope")
        assert missing.returncode != 0
        assert missing.stderr == "memory-api: HTTP 404: Collection 'nope' not found\n"
        done = cli("reembed", "kb", "--wait")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("completed: Re-embedded 0 vectors with all-MiniLM-L6-v2")
        assert done.stdout.endswith(" (384 dimensions)\n")


async def test_writes_during_the_rebuild_are_kept(
    lt_app: FastAPI, lt_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same model (a plain rebuild): a document written after the bulk pass, just before the
    swap, gets its vector in the new collection (the swap's catch-up); a writer holding the
    collection as read before the swap writes into the new vector collection too."""
    assert (await lt_client.post("/collections", json={"name": "kb"})).status_code == 201
    assert (await lt_client.put(f"{DOCS}/cats", json={"text": CATS})).status_code == 201
    stale = await _record(lt_app)
    original = Reembedding._swap

    async def write_first(self: Reembedding, *args: Any) -> int:
        put = await lt_client.put(f"{DOCS}/ships", json={"text": SHIPS})
        assert put.status_code == 201
        return await original(self, *args)

    monkeypatch.setattr(Reembedding, "_swap", write_first)
    started = (await lt_client.post("/collections/kb/reembed")).json()
    final = await wait_for_job(lt_client, started["status_url"])
    assert final["status"] == "completed", final
    assert (final["result"]["vectors"], final["result"]["embedded"]) == (1, 2)

    tides = "Tides rise and fall twice a day under the pull of the moon."
    components = lt_app.state.components
    await DocumentsService(components, "default").write(stale, [Incoming("tides", tides, {})])
    current = await _record(lt_app)
    assert current.vector_collection != stale.vector_collection
    assert await components.vectors.ids(current.vector_collection) == {
        sha256(text.encode()).hexdigest() for text in (CATS, SHIPS, tides)
    }
    answer = await _query(lt_client, "the moon pulls the sea", "semantic")
    assert answer.json()["results"][0]["doc_id"] == "tides"


async def test_real_model_change_fp32_to_int8(lt_settings: Settings) -> None:
    """Two local model names: the fp32 build writes the collection, a restart with the int8
    build gets 409, the re-embedding makes int8 vectors (not the fp32 ones copied) and the
    collection answers again."""
    cats = sha256(CATS.encode()).hexdigest()
    first = create_app(lt_settings.model_copy(update={"embedding_precision": "fp32"}))
    async with LifespanManager(first, startup_timeout=120, shutdown_timeout=60):
        await clear_tables(first.state.components.database.engine)
        transport = httpx.ASGITransport(app=first)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await _fill(client)
        old = await _record(first)
        assert old.embedding_model == "all-MiniLM-L6-v2"
        fp32 = (await first.state.components.vectors.embeddings(old.vector_collection, [cats]))[
            cats
        ]
    second = create_app(lt_settings.model_copy(update={"embedding_precision": "int8"}))
    async with LifespanManager(second, startup_timeout=120, shutdown_timeout=60):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            refused = await _query(client, "felines", "semantic")
            assert refused.status_code == 409
            started = (await client.post("/collections/kb/reembed")).json()
            final = await wait_for_job(client, started["status_url"])
            assert final["status"] == "completed", final
            assert final["result"]["embedding_model"] == "all-MiniLM-L6-v2-int8"
            answer = await _query(client, "felines making happy sounds", "semantic")
            assert answer.status_code == 200, answer.text
            assert answer.json()["results"][0]["doc_id"] == "cats"
        new = await _record(second)
        assert new.embedding_model == "all-MiniLM-L6-v2-int8"
        vectors = second.state.components.vectors
        int8 = (await vectors.embeddings(new.vector_collection, [cats]))[cats]
        expected = (await second.state.components.embedder.embed_documents([CATS]))[0]
        assert not np.array_equal(int8, fp32)
        assert np.allclose(int8, expected, atol=1e-5)
