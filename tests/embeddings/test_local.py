"""The local all-MiniLM-L6-v2 runner, against the real model."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from memory_api.embeddings.local import BACKGROUND_NICE, LocalEmbedder
from memory_api.errors import EmbeddingUnavailable

SENTENCES = [
    "The cat sat on the mat.",
    "A feline was resting on the rug.",
    "Quarterly revenue grew by twelve percent.",
    "def add(a, b):\n    return a + b",
]


@pytest.fixture
async def embedder(model_dir: Path) -> LocalEmbedder:
    local = LocalEmbedder(model_dir, batch_size=8)
    await local.start()
    assert local.error is None
    return local


async def test_matches_chromas_own_runner(
    embedder: LocalEmbedder, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    shutil.copytree(model_dir, tmp_path / "onnx")
    monkeypatch.setattr(ONNXMiniLM_L6_V2, "DOWNLOAD_PATH", tmp_path)
    reference = np.asarray(ONNXMiniLM_L6_V2()(SENTENCES), dtype=np.float32)
    ours = await embedder.embed_documents(SENTENCES)
    assert ours.shape == (4, 384)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, atol=1e-5)


async def test_dynamic_padding_does_not_change_vectors(embedder: LocalEmbedder) -> None:
    alone = await embedder.embed_query("short query")
    long_texts = ["a much longer text " * 40, "another long passage about many things " * 20]
    batch = await embedder.embed_documents([long_texts[0], "short query", long_texts[1]])
    np.testing.assert_allclose(batch[1], alone, atol=1e-5)


async def test_progress_is_reported_per_run_with_the_same_vectors(
    embedder: LocalEmbedder,
) -> None:
    """With a progress hook, runs start small and are sized to take about half a second (at
    most a batch): every text is counted once, and the vectors do not change."""
    texts = [f"passage {i} about rivers and bridges " * (1 + i % 7) for i in range(40)]
    plain = await embedder.embed_documents(texts)
    counts: list[int] = []
    reported = await embedder.embed_documents(texts, counts.append)
    assert sum(counts) == 40
    assert counts[0] == 4 and max(counts) <= embedder.batch_size
    np.testing.assert_allclose(reported, plain, atol=1e-5)


@pytest.mark.parametrize("threads", [0, 1])
async def test_indexing_session_gives_the_query_sessions_vectors(
    model_dir: Path, threads: int
) -> None:
    """Indexing on its own session (here 1 thread) or on the query session (0): the same
    vectors either way."""
    local = LocalEmbedder(model_dir, indexing_threads=threads)
    await local.start()
    assert (local._bulk_session is local._session) == (threads == 0)  # else loaded on demand
    documents = await local.embed_documents(SENTENCES)
    assert (local._bulk_session is local._session) == (threads == 0)
    for sentence, vector in zip(SENTENCES, documents, strict=True):
        np.testing.assert_allclose(vector, await local.embed_query(sentence), atol=1e-5)
    assert local._bulk_session.get_session_options().intra_op_num_threads == threads
    await local.aclose()


def test_indexing_uses_every_core_by_default() -> None:
    cores = len(os.sched_getaffinity(0))
    assert LocalEmbedder(None).indexing_threads == cores
    assert LocalEmbedder(None, indexing_threads=0).indexing_threads == 0


def _nice_by_thread() -> dict[int, int]:
    """Every thread of this process: its id and nice value (field 19 of /proc's stat)."""
    values = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        values[int(task.name)] = int(fields[16])
    return values


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="Linux only")
async def test_indexing_threads_run_at_low_priority(model_dir: Path) -> None:
    """The indexing thread and the pool of its session (3 threads: the caller and at least 2
    workers) are at nice 10 (BACKGROUND_NICE), so the API preempts them; the query thread
    stays at 0. A thread count no other test uses, so the session is new here."""
    before = _nice_by_thread()
    local = LocalEmbedder(model_dir, indexing_threads=3)
    await local.start()
    assert local.error is None
    await local.embed_documents(SENTENCES)
    await local.embed_query("warm up the query thread")
    bulk_thread = local._bulk.submit(threading.get_native_id).result()
    query_thread = local._query.submit(threading.get_native_id).result()
    after = _nice_by_thread()
    assert after[bulk_thread] == BACKGROUND_NICE == 10
    assert after[query_thread] == 0
    new_low = {tid for tid, nice in after.items() if nice == 10 and tid not in before}
    assert bulk_thread in new_low
    assert len(new_low - {bulk_thread}) >= 2  # the session's worker threads
    await local.aclose()


async def test_long_text_is_truncated_not_rejected(embedder: LocalEmbedder) -> None:
    very_long = "word " * 5000
    vector = (await embedder.embed_documents([very_long]))[0]
    truncated = (await embedder.embed_documents(["word " * 300]))[0]
    np.testing.assert_allclose(vector, truncated, atol=1e-5)  # both cut at 256 tokens


async def test_semantics_and_normalisation(embedder: LocalEmbedder) -> None:
    vectors = await embedder.embed_documents(SENTENCES)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.2
    assert (await embedder.embed_documents([])).shape == (0, 384)


async def test_event_loop_keeps_running_while_embedding(embedder: LocalEmbedder) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await embedder.embed_documents(["some text to embed " * 40] * 48)
    task.cancel()
    assert ticks >= 5


def _link_model(model_dir: Path, folder: Path, *, tokenizer_beside_onnx: bool) -> None:
    (folder / "onnx").mkdir()
    for item in model_dir.iterdir():
        beside = tokenizer_beside_onnx and item.name != "model.onnx"
        (folder / item.name if beside else folder / "onnx" / item.name).symlink_to(item)


@pytest.mark.parametrize("layout", ["model-folder", "hugging-face"])
async def test_the_model_folder_above_onnx_is_accepted_too(
    embedder: LocalEmbedder, model_dir: Path, tmp_path: Path, layout: str
) -> None:
    """MEMORY_API_EMBEDDING_MODEL_DIR may name the folder holding model.onnx (``onnx/``) or the
    model's folder above it, with the tokenizer in ``onnx/`` or beside it."""
    _link_model(model_dir, tmp_path, tokenizer_beside_onnx=layout == "hugging-face")
    above = LocalEmbedder(tmp_path, batch_size=8)
    await above.start()
    assert above.error is None
    np.testing.assert_array_equal(
        await above.embed_documents(SENTENCES), await embedder.embed_documents(SENTENCES)
    )


async def test_missing_model_is_an_error_not_a_crash(tmp_path: Path) -> None:
    missing = LocalEmbedder(tmp_path / "nowhere")
    await missing.start()  # must not raise
    assert missing.error is not None
    assert str(tmp_path / "nowhere") in missing.error
    assert "MEMORY_API_EMBEDDING_MODEL_DIR" in missing.error
    with pytest.raises(EmbeddingUnavailable):
        await missing.embed_query("x")
    with pytest.raises(EmbeddingUnavailable):
        await missing.embed_documents(["x"])


async def test_download_path_is_chromas(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without a model dir, the model comes from Chroma's cache, downloaded as Chroma does."""
    from chromadb.utils.embedding_functions import onnx_mini_lm_l6_v2 as chroma_onnx

    calls: list[str] = []

    def fake_download(self: object, url: str, fname: str, chunk_size: int = 1024) -> None:
        calls.append(url)
        raise OSError("network is unreachable")

    monkeypatch.setattr(chroma_onnx.ONNXMiniLM_L6_V2, "DOWNLOAD_PATH", tmp_path / "cache")
    monkeypatch.setattr(chroma_onnx.ONNXMiniLM_L6_V2, "_download", fake_download)
    embedder = LocalEmbedder(None)
    await embedder.start()
    assert calls == [chroma_onnx.ONNXMiniLM_L6_V2.MODEL_DOWNLOAD_URL]
    assert embedder.error is not None
    assert "cannot download" in embedder.error
    assert "MEMORY_API_EMBEDDING_MODEL_DIR" in embedder.error
