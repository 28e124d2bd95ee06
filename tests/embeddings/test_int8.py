"""The int8 build of all-MiniLM-L6-v2, made by the service from the shipped fp32 file."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from memory_api.app import create_app
from memory_api.auth.keys import DEFAULT_TENANT
from memory_api.collections.precision import precision_for
from memory_api.db.engine import create_engine
from memory_api.db.session import Database
from memory_api.embeddings.local import LocalEmbedder, find_model_files
from memory_api.embeddings.quantize import cached_int8_path, ensure_int8_model
from memory_api.settings import Settings
from memory_api.tenants.grants import IndexRoot
from memory_api.testing.collections import register_collection
from memory_api.testing.database import clear_tables

FP32, INT8 = "all-MiniLM-L6-v2", "all-MiniLM-L6-v2-int8"
TEXTS = [
    "The cat sat on the mat.",
    "A feline was resting on the rug.",
    "Quarterly revenue grew by twelve percent.",
    "def add(a, b):\n    return a + b",
    "Caroline: I went to the LGBTQ support group yesterday and it was so powerful.",
    "Retry the request with exponential backoff, at most five times. " * 12,
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def source(model_dir: Path) -> Path:
    found = find_model_files(model_dir)
    assert found is not None
    return found[0]


@pytest.fixture(scope="module")
def int8_cache(tmp_path_factory: pytest.TempPathFactory, source: Path) -> Iterator[Path]:
    """One build for the module."""
    cache = tmp_path_factory.mktemp("int8-cache")
    ensure_int8_model(source, [cache])
    yield cache


def test_build_is_deterministic_and_kept(source: Path, int8_cache: Path, tmp_path: Path) -> None:
    """Two builds at once from the same model (several API processes starting together) both
    succeed and write the same bytes as the first; asking again finds the file (no rebuild:
    same mtime); only the named file is left behind (no partial file, nothing beside the
    model). Found when two benchmark processes started together: onnxruntime's shape-inferred
    copy beside the model was deleted under the other build."""
    first = cached_int8_path(source, int8_cache)
    beside_the_model = sorted(source.parent.iterdir())
    with ThreadPoolExecutor(2) as pool:
        builds = [pool.submit(ensure_int8_model, source, [tmp_path / n]) for n in ("other", "also")]
        second, also = (build.result() for build in builds)
    assert second == cached_int8_path(source, tmp_path / "other")
    assert sha256(second) == sha256(first) == sha256(also)
    assert sorted(source.parent.iterdir()) == beside_the_model
    assert second.stat().st_size < source.stat().st_size * 0.7  # int8 weights, fp32 rest
    mtime = second.stat().st_mtime_ns
    assert ensure_int8_model(source, [tmp_path / "other"]) == second
    assert second.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in (tmp_path / "other").iterdir()) == [second.name]
    # Found in a later folder of the list before anything is built in the first one.
    assert ensure_int8_model(source, [tmp_path / "empty", int8_cache]) == first
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").iterdir())


async def test_vectors_stay_close_to_fp32(model_dir: Path, int8_cache: Path) -> None:
    fp32 = LocalEmbedder(model_dir)
    int8 = LocalEmbedder(model_dir, precision="int8", cache_dir=int8_cache)
    for embedder in (fp32, int8):
        await embedder.start()
        assert embedder.error is None
    assert (fp32.name, int8.name) == (FP32, INT8)
    assert int8.model_file == cached_int8_path(fp32.model_file or Path(), int8_cache)
    reference = await fp32.embed_documents(TEXTS)
    vectors = await int8.embed_documents(TEXTS)
    cosine = (reference * vectors).sum(axis=1)
    assert cosine.min() >= 0.98, cosine
    assert cosine.max() < 0.99999  # another model, not the fp32 file again
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = await int8.embed_query(TEXTS[0])
    np.testing.assert_allclose(query, vectors[0], atol=1e-5)  # both sessions: one model
    await fp32.aclose()
    await int8.aclose()


def test_no_writable_cache_is_a_clear_error(source: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(RuntimeError, match=r"none of .* is writable.*PRECISION=fp32"):
        ensure_int8_model(source, [blocker / "cache"])


async def test_a_broken_model_file_fails_the_build_with_its_reason(tmp_path: Path) -> None:
    broken = tmp_path / "model" / "model.onnx"
    broken.parent.mkdir()
    broken.write_bytes(b"this is not an onnx file")
    with pytest.raises(RuntimeError, match=r"building the int8 embedding model .* failed"):
        ensure_int8_model(broken, [tmp_path / "cache"])
    assert list((tmp_path / "cache").iterdir()) == []  # the partial file is gone


def test_the_default_keeps_fp32_only_for_databases_built_with_it() -> None:
    assert precision_for(set()) == "int8"
    assert precision_for({FP32}) == "fp32"
    assert precision_for({FP32, "text-embedding-3-small"}) == "fp32"
    assert precision_for({FP32, INT8}) == "int8"
    assert precision_for({"text-embedding-3-small"}) == "int8"


@pytest.fixture
async def fp32_collection(settings: Settings) -> AsyncIterator[Settings]:
    """A database holding one collection built with the fp32 model, before the app starts."""
    database = Database(create_engine(settings))
    await database.start()
    await clear_tables(database.engine)
    await register_collection(database, settings.collection_name, model=FP32, dimension=384)
    try:
        yield settings
    finally:  # the PostgreSQL database is shared: later apps must not see an fp32 database
        await clear_tables(database.engine)
        await database.dispose()


async def _started(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=60):
        yield app


async def test_an_fp32_database_keeps_fp32_by_default(
    fp32_collection: Settings, int8_cache: Path
) -> None:
    settings = fp32_collection.model_copy(update={"embedding_cache_dir": int8_cache})
    assert settings.embedding_precision is None
    async for app in _started(settings):
        assert app.state.components.embedder.name == FP32
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            response = await client.post("/rag_query", json={"query": "x"})
            assert response.status_code == 200, response.text


async def test_a_new_database_gets_int8_by_default(settings: Settings, int8_cache: Path) -> None:
    settings = settings.model_copy(update={"embedding_cache_dir": int8_cache})
    database = Database(create_engine(settings))
    await database.start()
    await clear_tables(database.engine)
    await database.dispose()
    async for app in _started(settings):
        assert app.state.components.embedder.name == INT8


async def test_int8_on_an_fp32_collection_is_409_naming_both(
    fp32_collection: Settings, int8_cache: Path, tmp_path: Path
) -> None:
    settings = fp32_collection.model_copy(
        update={"embedding_cache_dir": int8_cache, "embedding_precision": "int8"}
    )
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("some notes")
    settings = settings.model_copy(update={"index_roots": [IndexRoot(DEFAULT_TENANT, docs)]})
    async for app in _started(settings):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as client:
            for response in (
                await client.post("/rag_query", json={"query": "x"}),
                await client.post("/index_files", json={"directory": str(docs)}),
            ):
                assert response.status_code == 409, response.text
                detail = response.json()["detail"]
                assert f"built with embedding model {FP32} (384 dimensions)" in detail
                assert f"the configured model is {INT8} (384 dimensions)" in detail
