"""``/index_files`` with a ``"collection"``: the folder lands in that collection only; an
unknown or deleted one is 404 (as PUT documents: only the default is created by its first
writer), a bad name 422. The SDK and the CLI pass it through. Both backend pairs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from memory_api.settings import Settings
from memory_api.testing.jobs import wait_for_job
from memory_api.testing.server import ServerProcess, cli_path

CATS = "Cats purr when they are content and knead soft blankets."


async def _search(client: httpx.AsyncClient, collection: str | None) -> list[str]:
    body: dict[str, Any] = {"query": "why do cats purr", "mode": "lexical"}
    if collection is not None:
        body["collection"] = collection
    response = await client.post("/rag_query", json=body)
    assert response.status_code == 200, response.text
    return [result["content"] for result in response.json()["results"]]


async def test_index_into_named_collection(
    lt_client: httpx.AsyncClient, docs: Path, lt_settings: Any
) -> None:
    (docs / "cats.md").write_text(CATS)
    assert (await lt_client.post("/collections", json={"name": "pets"})).status_code == 201
    response = await lt_client.post(
        "/index_files", json={"directory": str(docs), "collection": "pets"}
    )
    assert response.status_code == 202, response.text
    final = await wait_for_job(lt_client, response.json()["status_url"])
    assert final["status"] == "completed", final
    assert final["result"]["indexed"] == 1
    jobs = (await lt_client.get("/index_jobs")).json()
    assert [job["collection"] for job in jobs] == ["pets"]

    assert await _search(lt_client, "pets") == [CATS]
    info = (await lt_client.get("/collections/pets")).json()
    assert (info["documents"], info["chunks"]) == (1, 1)
    # The default collection was never written to: it does not even exist.
    assert await _search(lt_client, None) == []
    default = await lt_client.get(f"/collections/{lt_settings.collection_name}")
    assert default.status_code == 404


async def test_default_collection_unchanged(lt_client: httpx.AsyncClient, docs: Path) -> None:
    (docs / "cats.md").write_text(CATS)
    response = await lt_client.post("/index_files", json={"directory": str(docs)})
    assert response.status_code == 202
    final = await wait_for_job(lt_client, response.json()["status_url"])
    assert final["status"] == "completed"
    assert await _search(lt_client, None) == [CATS]


async def test_unknown_deleted_and_bad_collection(lt_client: httpx.AsyncClient, docs: Path) -> None:
    unknown = await lt_client.post(
        "/index_files", json={"directory": str(docs), "collection": "nope"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "Collection 'nope' not found"

    assert (await lt_client.post("/collections", json={"name": "gone"})).status_code == 201
    assert (await lt_client.delete("/collections/gone")).status_code == 204
    deleted = await lt_client.post(
        "/index_files", json={"directory": str(docs), "collection": "gone"}
    )
    assert deleted.status_code == 404
    assert deleted.json()["detail"] == "Collection 'gone' not found"

    bad = await lt_client.post("/index_files", json={"directory": str(docs), "collection": "No!"})
    assert bad.status_code == 422
    assert "collection" in bad.text
    assert (await lt_client.get("/index_jobs")).json() == []


async def test_sdk_index_into_collection(lt_app: Any, docs: Path) -> None:
    from memory_api.client import AsyncMemoryClient, NotFoundError

    (docs / "cats.md").write_text(CATS)
    transport = httpx.ASGITransport(app=lt_app)
    async with AsyncMemoryClient("http://test", transport=transport) as memory:
        with pytest.raises(NotFoundError):
            await memory.index(str(docs), collection="pets")
        await memory.create_collection("pets")
        final = await memory.index_and_wait(str(docs), collection="pets", poll_interval=0.05)
        assert final.status == "completed" and final.result is not None
        assert final.result["indexed"] == 1
        answer = await memory.query("why do cats purr", mode="lexical", collection="pets")
        assert [result.content for result in answer.results] == [CATS]


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
def test_cli_index_collection(lt_settings: Settings, tmp_path: Path, docs: Path) -> None:
    (docs / "cats.md").write_text(CATS)
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_INDEX_ROOTS=str(docs),
        MEMORY_API_EMBEDDING_MODEL_DIR=str(lt_settings.embedding_model_dir),
        MEMORY_API_JOB_POLL_INTERVAL="0.2",
    )
    with ServerProcess(env, tmp_path / "server.log") as server:

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            cli_env = {**server.env, "MEMORY_API_URL": server.url}
            return subprocess.run(
                [cli_path(), *args], env=cli_env, capture_output=True, text=True, timeout=180
            )

        missing = cli("index", str(docs), "--collection", "pets")
        assert missing.returncode != 0
        assert missing.stderr == "memory-api: HTTP 404: Collection 'pets' not found\n"
        assert cli("collections", "create", "pets").returncode == 0
        indexed = cli("index", str(docs), "--collection", "pets", "--wait")
        assert indexed.returncode == 0, indexed.stderr
        assert indexed.stdout.startswith("completed: Indexed 1 files"), indexed.stdout
        listed = json.loads(cli("collections", "show", "pets", "--json").stdout)
        assert (listed["documents"], listed["chunks"]) == (1, 1)
