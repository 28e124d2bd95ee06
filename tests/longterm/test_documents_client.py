"""Collections and documents through the SDK (async over ASGI on both stacks; sync against a
server process) and the CLI (`collections`, `add`, `docs`): results, errors, exit codes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from memory_api.client import (
    AsyncMemoryClient,
    ConflictError,
    MemoryClient,
    NotFoundError,
    ValidationError,
)
from memory_api.settings import Settings
from memory_api.testing.server import ServerProcess, cli_path

OWLS = "Owls hunt at night and can turn their heads very far."


@pytest.fixture
async def memory(lt_app: FastAPI) -> Any:
    transport = httpx.ASGITransport(app=lt_app)
    async with AsyncMemoryClient("http://test", transport=transport) as client:
        yield client


async def test_async_sdk(memory: AsyncMemoryClient, tmp_path: Path) -> None:
    created = await memory.create_collection("birds", metadata={"k": 1}, chunk_size=500)
    assert (created.name, created.chunk_size, created.chunk_overlap) == ("birds", 500, 100)
    with pytest.raises(ConflictError) as exists:
        await memory.create_collection("birds")
    assert exists.value.detail == "Collection 'birds' already exists"
    with pytest.raises(ValidationError):
        await memory.create_collection("Birds")
    assert [c.name for c in await memory.list_collections()] == ["birds"]

    written = await memory.put_document("birds", "owl", OWLS, {"order": "strigiformes"})
    assert (written.status, written.chunk_count) == ("created", 1)
    answer = await memory.query("nocturnal birds of prey", collection="birds", mode="semantic")
    assert answer.results[0].doc_id == "owl"
    batch = await memory.put_documents(
        "birds", [{"doc_id": "wren", "text": "Wrens sing loudly."}, {"doc_id": "x y", "text": "t"}]
    )
    assert (batch.created, batch.errors) == (1, 1)
    page = await memory.list_documents("birds", limit=1)
    assert [d.doc_id for d in page.documents] == ["owl"] and page.next_cursor
    rest = await memory.list_documents("birds", cursor=page.next_cursor)
    assert [d.doc_id for d in rest.documents] == ["wren"] and rest.next_cursor is None
    (tmp_path / "heron.md").write_text("Herons wade in shallow water to catch fish.")
    uploaded = await memory.upload_files("birds", [tmp_path / "heron.md"], metadata={"k": "v"})
    assert [(d.doc_id, d.status) for d in uploaded.documents] == [("heron.md", "created")]
    heron = await memory.get_document("birds", "heron.md")
    assert (heron.source, heron.metadata) == ("upload", {"k": "v", "filename": "heron.md"})
    assert heron.chunks is None
    with_chunks = await memory.get_document("birds", "heron.md", include_chunks=True)
    assert with_chunks.chunks is not None
    assert [chunk.position for chunk in with_chunks.chunks] == list(range(heron.chunk_count))
    assert "".join(chunk.text for chunk in with_chunks.chunks).strip()
    assert (await memory.get_collection("birds")).documents == 3

    await memory.delete_document("birds", "owl")
    with pytest.raises(NotFoundError):
        await memory.get_document("birds", "owl")
    with pytest.raises(ValidationError):
        await memory.get_document("birds", "a/b")  # sent as a%2Fb: the doc_id rule answers
    await memory.delete_collection("birds")
    with pytest.raises(NotFoundError):
        await memory.get_collection("birds")


@pytest.fixture
def server(lt_settings: Settings, tmp_path: Path, docs: Path) -> Iterator[ServerProcess]:
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_INDEX_ROOTS=str(docs),
        MEMORY_API_EMBEDDING_MODEL_DIR=str(lt_settings.embedding_model_dir),
    )
    with ServerProcess(env, tmp_path / "server.log") as running:
        yield running


def cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "MEMORY_API_URL": server.url, "COLUMNS": "200"}
    return subprocess.run([cli_path(), *args], env=env, capture_output=True, text=True, timeout=180)


@pytest.mark.parametrize("stack", ["sqlite-embedded"], indirect=True)
def test_sync_sdk_and_cli(server: ServerProcess, tmp_path: Path) -> None:
    with MemoryClient(server.url) as client:
        assert client.create_collection("kb").documents == 0
        assert client.put_document("kb", "owl", OWLS).status == "created"
        assert client.put_document("kb", "owl", OWLS).status == "unchanged"
        assert client.get_document("kb", "owl").text == OWLS

    created = cli(server, "collections", "create", "notes", "--chunk-size", "400", "--json")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["chunk_overlap"] == 80
    again = cli(server, "collections", "create", "notes")
    assert (again.returncode, again.stderr) == (
        1,
        "memory-api: HTTP 409: Collection 'notes' already exists\n",
    )
    (tmp_path / "a.md").write_text("# Alpha\n\nThe first letter.")
    (tmp_path / "b.html").write_text("<p>Beta is the second letter.</p>")
    added = cli(
        server, "add", str(tmp_path / "a.md"), str(tmp_path / "b.html"), "--collection", "notes"
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout == "created   a.md (1 chunks)\ncreated   b.html (1 chunks)\n"
    missing = cli(server, "add", str(tmp_path / "nope.md"), "--collection", "notes")
    assert (missing.returncode, missing.stderr) == (
        1,
        f"memory-api: {tmp_path}/nope.md: no such file\n",
    )
    png = tmp_path / "logo.png"
    png.write_bytes(b"\x89PNG")
    refused = cli(server, "add", str(png), "--collection", "notes")
    assert refused.returncode == 1
    assert refused.stderr.startswith("memory-api: HTTP 415: 'logo.png': unsupported file type .png")

    listed = cli(server, "docs", "list", "--collection", "notes", "--json")
    assert [d["doc_id"] for d in json.loads(listed.stdout)["documents"]] == ["a.md", "b.html"]
    shown = cli(server, "docs", "show", "b.html", "--collection", "notes")
    assert json.loads(shown.stdout)["text"] == "Beta is the second letter."
    assert json.loads(shown.stdout)["chunks"] is None
    chunked = cli(server, "docs", "show", "b.html", "--collection", "notes", "--chunks")
    assert [c["text"] for c in json.loads(chunked.stdout)["chunks"]] == [
        "Beta is the second letter."
    ]
    assert (
        cli(server, "docs", "delete", "b.html", "--collection", "notes").stdout
        == "deleted b.html\n"
    )
    gone = cli(server, "docs", "show", "b.html", "--collection", "notes")
    assert (gone.returncode, gone.stderr) == (
        1,
        "memory-api: HTTP 404: Document 'b.html' not found in collection 'notes'\n",
    )
    table = cli(server, "collections", "list").stdout.splitlines()
    assert [line.split()[:3] for line in table] == [
        ["kb", "1", "documents,"],
        ["notes", "1", "documents,"],
    ]
    shown_collection = cli(server, "collections", "show", "notes").stdout
    assert "chunks of 400/80" in shown_collection
    deleted = cli(server, "collections", "delete", "notes")
    assert deleted.stdout == "deleted collection notes\n"
    assert cli(server, "collections", "show", "notes").returncode == 1
