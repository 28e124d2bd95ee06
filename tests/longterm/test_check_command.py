"""`memory-api check [--repair]` as a command, on real drift written through the vector store:
exit 1 while the database and the vectors disagree, `--repair` exit 0, then exit 0."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from asgi_lifespan import LifespanManager

from memory_api.app import create_app
from memory_api.settings import Settings
from memory_api.testing.collections import vector_collection
from memory_api.testing.jobs import wait_for_job
from memory_api.testing.server import ServerProcess, cli_path

FILES = 4


def _environment(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The command's environment: the settings the app under test ran with."""
    env = ServerProcess.base_env(
        tmp_path,
        MEMORY_API_DATA_DIR=str(settings.data_dir),
        MEMORY_API_COLLECTION_NAME=settings.collection_name,
        MEMORY_API_EMBEDDING_MODEL_DIR=str(settings.embedding_model_dir),
    )
    if settings.chroma_host:
        env.update(
            MEMORY_API_DATABASE_URL=settings.resolved_database_url,
            MEMORY_API_CHROMA_HOST=settings.chroma_host,
            MEMORY_API_CHROMA_PORT=str(settings.chroma_port),
        )
    return env


async def _index_then_drift(settings: Settings, docs: Path) -> int:
    """Index FILES small notes, then delete one vector and add one that no chunk owns, through
    the vector store; the number of vectors indexed. The app is closed afterwards: an embedded
    Chroma directory is not shared with another process."""
    for i in range(FILES):
        (docs / f"note{i}.md").write_text(f"Note {i} about the {['sea', 'sky', 'soil', 'sun'][i]}.")
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60):
        components = app.state.components
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            started = await client.post("/index_files", json={"directory": str(docs)})
            assert started.status_code == 202, started.text
            job = await wait_for_job(client, started.json()["status_url"])
        assert job["status"] == "completed", job
        vectors = await vector_collection(components.database, settings.collection_name)
        indexed = sorted(await components.vectors.ids(vectors))
        assert len(indexed) == FILES  # one chunk per note
        await components.vectors.delete(vectors, indexed[:1])
        # Whatever the id scheme, no chunk row holds this one.
        orphan = hashlib.sha256(b"a text no chunk row holds").hexdigest()
        assert orphan not in indexed
        embedding = np.ones((1, components.embedder.dimension), dtype=np.float32)
        await components.vectors.upsert(vectors, [orphan], embedding)
        assert await components.vectors.ids(vectors) == {orphan, *indexed[1:]}
    return len(indexed)


async def _check(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    result = await asyncio.to_thread(
        subprocess.run,
        [cli_path(), "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    report = json.loads(result.stdout) if result.stdout else {}
    return result.returncode, report, result.stderr


async def test_check_exits_1_on_drift_and_repair_fixes_it(
    lt_settings: Settings, docs: Path, tmp_path: Path
) -> None:
    chunks = await _index_then_drift(lt_settings, docs)
    env = _environment(lt_settings, tmp_path)

    code, report, stderr = await _check(env)
    assert code == 1, stderr
    assert report == {
        "collection": lt_settings.collection_name,
        "consistent": False,
        "chunks": chunks,
        "texts": chunks,  # every note is one distinct text
        "vectors": chunks,  # one deleted, one orphan added
        "vectors_without_chunk": 1,
        "chunks_without_vector": 1,
        "model_problem": None,
        "chunks_without_postings": 0,  # the lexical index is untouched
        "postings_without_chunk": 0,
        "lexical_frequencies_wrong": 0,
        "repaired": False,
    }

    code, report, stderr = await _check(env, "--repair")
    assert code == 0, stderr
    assert (report["consistent"], report["repaired"]) == (False, True)  # as found, then fixed
    assert (report["vectors_without_chunk"], report["chunks_without_vector"]) == (1, 1)

    code, report, stderr = await _check(env)
    assert code == 0, stderr
    assert report == {
        "collection": lt_settings.collection_name,
        "consistent": True,
        "chunks": chunks,
        "texts": chunks,
        "vectors": chunks,
        "vectors_without_chunk": 0,
        "chunks_without_vector": 0,
        "model_problem": None,
        "chunks_without_postings": 0,
        "postings_without_chunk": 0,
        "lexical_frequencies_wrong": 0,
        "repaired": False,
    }
