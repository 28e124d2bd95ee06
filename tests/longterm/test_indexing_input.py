"""Indexing input: roots, bad files, unknown jobs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from memory_api.app import create_app
from memory_api.settings import Settings
from memory_api.testing.database import clear_tables
from memory_api.testing.jobs import wait_for_job


@pytest.fixture
def lt_overrides() -> dict[str, Any]:
    return {"max_file_bytes": 4096}


async def test_bad_files_never_fail_the_job(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    (docs / "good.md").write_text("A perfectly normal document about gardening and roses.")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02 binary payload" * 10)
    (docs / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me br\xfbl\xe9e recipe".encode("latin-1"))
    (docs / "huge.md").write_text("x" * 10_000)
    job = await index()
    assert job["status"] == "completed", job
    result = job["result"]
    assert result["indexed"] == 2
    assert result["failed"] == 2
    reasons = {item["path"]: item["reason"] for item in result["failed_files"]}
    assert "binary" in reasons["binary.txt"]
    assert "large" in reasons["huge.md"]
    response = await lt_client.post("/rag_query", json={"query": "dessert recipe", "top_k": 1})
    assert "\ufffd" in response.json()["results"][0]["content"]


async def test_directory_outside_roots_is_refused(
    lt_client: httpx.AsyncClient, docs: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "key.md").write_text("secret")
    os.symlink(outside, docs / "link")
    for directory in ("/etc", str(docs / ".." / "secret"), str(docs / "link"), str(outside)):
        response = await lt_client.post("/index_files", json={"directory": directory})
        assert response.status_code == 403, (directory, response.text)
        assert "MEMORY_API_INDEX_ROOTS" in response.json()["detail"]
    stats = (await lt_client.get("/rag_stats")).json()
    assert stats["jobs"]["pending"] == 0


async def test_missing_directory_and_bad_extensions(
    lt_client: httpx.AsyncClient, docs: Path
) -> None:
    response = await lt_client.post("/index_files", json={"directory": str(docs / "nope")})
    assert response.status_code == 422
    assert "does not exist" in response.json()["detail"]
    response = await lt_client.post(
        "/index_files", json={"directory": str(docs), "file_extensions": ["../x"]}
    )
    assert response.status_code == 422
    misspelt = await lt_client.post("/index_files", json={"directory": str(docs), "force": True})
    assert misspelt.status_code == 422
    assert misspelt.json()["detail"][0]["type"] == "extra_forbidden"


async def test_extensions_are_normalised(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    (docs / "a.MD").write_text("Upper-case extension document about owls.")
    job = await index(file_extensions=["md"])
    assert job["result"]["indexed"] == 1


async def test_unknown_task_is_404_not_found(lt_client: httpx.AsyncClient) -> None:
    response = await lt_client.get("/index_status/does-not-exist")
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == "not_found"
    assert body["task_id"] == "does-not-exist"


async def test_symlinked_file_pointing_outside_is_not_read(
    lt_client: httpx.AsyncClient, docs: Path, tmp_path: Path, index: Any
) -> None:
    secret = tmp_path / "outside.md"
    secret.write_text("The launch code is swordfish.")
    os.symlink(secret, docs / "innocent.md")
    (docs / "real.md").write_text("Real content about mountains.")
    job = await index()
    assert job["result"]["indexed"] == 1
    results = (await lt_client.post("/rag_query", json={"query": "launch code"})).json()["results"]
    assert all("swordfish" not in r["content"] for r in results)


async def test_symlink_alias_inside_the_root(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    (docs / "real.md").write_text("Real content about rivers.")
    os.symlink(docs / "real.md", docs / "alias.md")
    job = await index()
    assert job["status"] == "completed", job
    assert job["result"]["indexed"] == 2
    again = await index()
    assert again["result"]["skipped"] == 2
    sources = {
        r["metadata"]["source"]
        for r in (await lt_client.post("/rag_query", json={"query": "rivers"})).json()["results"]
    }
    assert sources == {str(docs / "real.md"), str(docs / "alias.md")}


async def test_file_vanishing_after_the_scan_fails_only_that_file(
    lt_client: httpx.AsyncClient, docs: Path, index: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An indexed file deleted between the scan and the hash check: one failed file, and its
    chunks leave the index; the rest of the job completes."""
    from memory_api.indexing import pipeline

    (docs / "stays.md").write_text("Notes about the lighthouse keeper and the storm.")
    (docs / "goes.md").write_text("Notes about the baker and the morning bread.")
    assert (await index())["result"]["indexed"] == 2
    (docs / "stays.md").write_text("Notes about the lighthouse keeper, the storm and the ship.")

    real_scan = pipeline.scan_files

    def scan_then_delete(*args: Any) -> Any:
        entries = list(real_scan(*args))
        (docs / "goes.md").unlink()
        return iter(entries)

    monkeypatch.setattr(pipeline, "scan_files", scan_then_delete)
    job = await index()
    assert job["status"] == "completed", job
    result = job["result"]
    assert (result["indexed"], result["failed"]) == (1, 1)
    assert result["failed_files"][0]["path"] == "goes.md"
    assert "unreadable" in result["failed_files"][0]["reason"]
    response = await lt_client.post("/rag_query", json={"query": "baker bread", "top_k": 5})
    sources = {hit["metadata"]["relative_path"] for hit in response.json()["results"]}
    assert sources == {"stays.md"}


async def test_file_name_that_is_not_utf8_is_skipped_with_a_reason(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    """Names are bytes on Linux: one that is not UTF-8 cannot be stored or shown as text, so the
    file is skipped (its name shown escaped); the rest of the job completes."""
    (docs / "good.md").write_text("Notes about the orchard and its apple trees.")
    bad_directory = docs / os.fsdecode(b"sub\xfe")  # a real name made of these bytes
    bad_directory.mkdir()
    for path in (docs / os.fsdecode(b"caf\xe9.md"), bad_directory / "inner.md"):
        path.write_bytes(b"Notes about the harbour and its fishing boats.")
    job = await index()
    assert job["status"] == "completed", job
    result = job["result"]
    assert (result["indexed"], result["failed"]) == (1, 2)
    reasons = {item["path"]: item["reason"] for item in result["failed_files"]}
    assert reasons == {
        "caf\\xe9.md": "file name is not valid UTF-8",
        "sub\\xfe/inner.md": "file name is not valid UTF-8",
    }
    again = await index()
    assert again["status"] == "completed", again
    assert (again["result"]["skipped"], again["result"]["failed"]) == (1, 2)


async def _chunk_texts(lt_client: httpx.AsyncClient) -> list[str]:
    """Every chunk text of the collection, from the system of record."""
    from sqlalchemy import text

    app = lt_client._transport.app  # type: ignore[attr-defined]
    async with app.state.components.database.unit_of_work() as session:
        return list(await session.scalars(text("SELECT text FROM chunks")))


async def test_file_swapped_for_a_symlink_after_the_scan_is_not_read(
    lt_client: httpx.AsyncClient,
    docs: Path,
    tmp_path: Path,
    index: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scan checks a file; a hostile user replaces it with a link to a secret before it is
    read: the link is not followed, the file is reported, the secret is nowhere."""
    from memory_api.indexing import pipeline

    secret = tmp_path / "secret.md"
    secret.write_text("The database password is hunter2-swordfish.")
    (docs / "notes.md").write_text("Notes about the lighthouse keeper and the storm.")
    (docs / "other.md").write_text("Notes about the baker and the morning bread.")
    real_scan = pipeline.scan_files

    def scan_then_swap(*args: Any) -> Any:
        entries = list(real_scan(*args))
        (docs / "notes.md").unlink()
        os.symlink(secret, docs / "notes.md")
        return iter(entries)

    monkeypatch.setattr(pipeline, "scan_files", scan_then_swap)
    job = await index()
    assert job["status"] == "completed", job
    result = job["result"]
    assert (result["indexed"], result["failed"]) == (1, 1), result
    assert result["failed_files"][0]["path"] == "notes.md"
    assert "symbolic link" in result["failed_files"][0]["reason"]
    assert all("hunter2" not in chunk for chunk in await _chunk_texts(lt_client))


async def test_indexed_file_replaced_by_a_link_outside_leaves_the_index(
    lt_client: httpx.AsyncClient, docs: Path, tmp_path: Path, index: Any
) -> None:
    """An indexed document whose file became a link to a file outside the roots is removed by
    the next re-index, whatever extensions that re-index asks for; a plain file of another
    extension stays."""
    secret = tmp_path / "secret.md"
    secret.write_text("The database password is hunter2-swordfish.")
    (docs / "notes.md").write_text("Notes about the lighthouse keeper and the storm.")
    (docs / "diary.md").write_text("Notes about the baker and the morning bread.")
    (docs / "keep.md").write_text("Notes about the orchard and its apple trees.")
    assert (await index())["result"]["indexed"] == 3
    for name in ("notes.md", "diary.md"):
        (docs / name).unlink()
        os.symlink(secret, docs / name)

    same = await index()
    assert (same["result"]["deleted"], same["result"]["skipped"]) == (2, 1), same
    (docs / "notes.md").unlink()
    (docs / "notes.md").write_text("Notes about the lighthouse keeper and the storm.")
    assert (await index())["result"]["indexed"] == 1
    (docs / "notes.md").unlink()
    os.symlink(secret, docs / "notes.md")
    other = await index(file_extensions=[".txt"])
    assert other["result"]["deleted"] == 1, other
    texts = await _chunk_texts(lt_client)
    assert texts == ["Notes about the orchard and its apple trees."]


async def test_hard_link_is_refused_with_a_reason(
    lt_client: httpx.AsyncClient, docs: Path, tmp_path: Path, index: Any
) -> None:
    """A hard link is the same file under a second name, possibly one outside the roots: no
    path check can tell, so files with more than one link are refused by default."""
    secret = tmp_path / "api-key.txt"
    secret.write_text("OPENAI_API_KEY=sk-hardlinked-secret")
    os.link(secret, docs / "key.txt")
    (docs / "real.md").write_text("Real content about mountains.")
    job = await index()
    assert job["status"] == "completed", job
    result = job["result"]
    assert (result["indexed"], result["failed"]) == (1, 1), result
    assert result["failed_files"][0]["path"] == "key.txt"
    assert "hard link" in result["failed_files"][0]["reason"]
    assert "MEMORY_API_INDEX_ALLOW_HARDLINKS" in result["failed_files"][0]["reason"]
    assert all("sk-hardlinked" not in chunk for chunk in await _chunk_texts(lt_client))


@pytest.mark.parametrize("lt_overrides", [{"index_allow_hardlinks": True}])
async def test_hard_links_indexed_when_allowed(docs: Path, tmp_path: Path, index: Any) -> None:
    (tmp_path / "shared.txt").write_text("A note kept under two names on purpose.")
    os.link(tmp_path / "shared.txt", docs / "shared.txt")
    job = await index()
    assert (job["result"]["indexed"], job["result"]["failed"]) == (1, 0), job


async def test_vanished_directory_with_documents_is_a_reindex_that_removes_them(
    lt_client: httpx.AsyncClient, docs: Path, index: Any
) -> None:
    (docs / "sub").mkdir()
    (docs / "sub" / "a.md").write_text("Notes about the lighthouse keeper and the storm.")
    (docs / "sub" / "b.txt").write_text("Notes about the baker and the morning bread.")
    (docs / "top.md").write_text("Notes about the orchard and its apple trees.")
    assert (await index())["result"]["indexed"] == 3
    for name in ("a.md", "b.txt"):
        (docs / "sub" / name).unlink()
    (docs / "sub").rmdir()

    job = await index(directory=str(docs / "sub"))
    assert job["status"] == "completed", job
    result = job["result"]
    assert (result["files_seen"], result["deleted"], result["chunks_deleted"]) == (0, 2, 2)
    assert await _chunk_texts(lt_client) == ["Notes about the orchard and its apple trees."]
    hits = (await lt_client.post("/rag_query", json={"query": "bread", "top_k": 5})).json()
    assert [hit["metadata"]["relative_path"] for hit in hits["results"]] == ["top.md"]

    again = await lt_client.post("/index_files", json={"directory": str(docs / "sub")})
    assert again.status_code == 422, again.text
    assert "does not exist" in again.json()["detail"]


@pytest.mark.parametrize("stack", ["postgres-server"], indirect=True)
async def test_index_files_is_503_while_the_chroma_server_is_down(
    lt_settings: Settings, docs: Path
) -> None:
    """Like /rag_query: no job is queued that could only fail."""
    from memory_api.testing.tcp_proxy import TcpProxy

    proxy = TcpProxy(lt_settings.chroma_host or "", lt_settings.chroma_port)
    await proxy.start()
    settings = lt_settings.model_copy(update={"chroma_port": proxy.port})
    (docs / "a.md").write_text("Notes about the orchard and its apple trees.")
    app = create_app(settings)
    try:
        async with (
            LifespanManager(app, startup_timeout=120),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client,
        ):
            await clear_tables(app.state.components.database.engine)
            first = await client.post("/index_files", json={"directory": str(docs)})
            assert first.status_code == 202, first.text
            assert (await wait_for_job(client, first.json()["status_url"]))["status"] == "completed"
            await proxy.cut()
            down = await client.post("/index_files", json={"directory": str(docs)})
            assert down.status_code == 503, down.text
            assert "Vector store unavailable" in down.json()["detail"]
            assert (await client.get("/rag_stats")).json()["jobs"] == {
                "pending": 0,
                "in_progress": 0,
                "completed": 1,
                "failed": 0,
            }
            await proxy.restore()
            back = await client.post("/index_files", json={"directory": str(docs)})
            assert back.status_code == 202, back.text
    finally:
        await proxy.cut()
