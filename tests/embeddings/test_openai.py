"""The OpenAI provider, through the real SDK, against a local OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from memory_api.embeddings.openai import MAX_INPUTS, OpenAIEmbedder, batches
from memory_api.errors import EmbeddingUnavailable
from memory_api.testing.openai_server import FakeOpenAI, run_fake_openai


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with run_fake_openai(dimension=64) as server:
        yield server


@pytest.fixture(autouse=True)
def reset(fake: FakeOpenAI) -> None:
    fake.requests.clear()
    fake.fail_next.clear()


async def started(fake: FakeOpenAI, **options: object) -> OpenAIEmbedder:
    embedder = OpenAIEmbedder(
        "custom-embedder",
        api_key="sk-test",
        base_url=fake.base_url,
        **options,  # type: ignore[arg-type]
    )
    await embedder.start()
    return embedder


async def test_vectors_in_order_normalised_and_dimension_probed(fake: FakeOpenAI) -> None:
    embedder = await started(fake)
    assert embedder.error is None
    assert embedder.dimension == 64  # unknown model: probed with one request
    texts = ["alpha", "beta", "gamma"]
    vectors = await embedder.embed_documents(texts)
    assert vectors.shape == (3, 64) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors[1], fake.vector("beta"), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(await embedder.embed_query("gamma"), fake.vector("gamma"), atol=1e-6)
    assert fake.requests[-1]["model"] == "custom-embedder"
    assert fake.requests[-1]["auth"] == "Bearer sk-test"
    await embedder.aclose()


async def test_requests_stay_within_input_and_token_limits(fake: FakeOpenAI) -> None:
    embedder = await started(fake)
    fake.requests.clear()
    counts: list[int] = []
    vectors = await embedder.embed_documents([f"text {i}" for i in range(5000)], counts.append)
    assert vectors.shape == (5000, 64)
    assert [r["inputs"] for r in fake.requests] == [MAX_INPUTS, MAX_INPUTS, 5000 - 2 * MAX_INPUTS]
    assert counts == [MAX_INPUTS, MAX_INPUTS, 5000 - 2 * MAX_INPUTS]  # progress per request

    # The token budget splits requests long before 2048 inputs when texts are large.
    ranges = list(batches(["x" * 200_000] * 10, budget=300_000))
    assert ranges == [(i, i + 2) for i in range(0, 10, 2)]
    await embedder.aclose()


async def test_retries_on_429_and_5xx(fake: FakeOpenAI) -> None:
    embedder = await started(fake, max_retries=3)
    fake.requests.clear()
    fake.fail_next.extend([429, 500, 503])
    vectors = await embedder.embed_documents(["retry me"])
    assert vectors.shape == (1, 64)
    assert len(fake.requests) == 4
    await embedder.aclose()


async def test_persistent_failure_is_unavailable(fake: FakeOpenAI) -> None:
    embedder = await started(fake, max_retries=1)
    fake.fail_next.extend([500, 500])
    with pytest.raises(EmbeddingUnavailable, match="HTTP 500"):
        await embedder.embed_documents(["boom"])
    await embedder.aclose()


async def test_missing_key_without_base_url_is_reported() -> None:
    embedder = OpenAIEmbedder()
    await embedder.start()
    assert embedder.error is not None and "MEMORY_API_OPENAI_API_KEY" in embedder.error
    assert embedder.name == "text-embedding-3-small"
    with pytest.raises(EmbeddingUnavailable):
        await embedder.embed_query("x")


async def test_unreachable_server_is_reported_at_start() -> None:
    embedder = OpenAIEmbedder("m", api_key="k", base_url="http://127.0.0.1:9/v1", max_retries=0)
    await embedder.start()
    assert embedder.error is not None and "unreachable" in embedder.error
    await embedder.aclose()


async def test_a_server_down_at_start_is_probed_again_later(fake: FakeOpenAI) -> None:
    fake.fail_next.extend([503, 503])
    embedder = await started(fake, max_retries=1)
    assert embedder.error is not None and "HTTP 503" in embedder.error
    assert embedder.dimension == 0
    fake.fail_next.extend([503, 503])  # still down at the first use: still unavailable
    with pytest.raises(EmbeddingUnavailable, match="HTTP 503"):
        await embedder.ready()
    vectors = await embedder.embed_documents(["back", "again"])  # the server is back
    assert vectors.shape == (2, 64) and embedder.dimension == 64 and embedder.error is None
    probes = len(fake.requests)
    await embedder.ready()
    assert len(fake.requests) == probes, "a known dimension is not probed again"
    await embedder.aclose()
