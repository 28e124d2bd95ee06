"""OpenAI (or any OpenAI-compatible server) embeddings through the official async SDK.

Requests stay within OpenAI's limits: at most 2048 inputs and a token budget per request. No
tokenizer is available offline, so tokens are over-estimated as UTF-8 bytes / 2 (English runs
at about 4 bytes per token). The SDK retries 408/409/429/5xx with exponential backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import openai

from memory_api.embeddings.base import Embedder, EmbedProgress, normalise
from memory_api.errors import EmbeddingUnavailable

logger = logging.getLogger("memory_api.embeddings")

DEFAULT_MODEL = "text-embedding-3-small"
MAX_INPUTS = 2048
TOKEN_BUDGET = 300_000
KNOWN_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
KEYLESS = "not-needed"  # OpenAI-compatible servers without auth still get a syntactic key


def estimate_tokens(text: str) -> int:
    return len(text.encode("utf-8")) // 2 + 1


def batches(
    texts: Sequence[str], max_inputs: int = MAX_INPUTS, budget: int = TOKEN_BUDGET
) -> Iterator[tuple[int, int]]:
    """(start, end) ranges that respect both the input-count and the token limits."""
    start, tokens = 0, 0
    for index, text in enumerate(texts):
        cost = estimate_tokens(text)
        if index > start and (index - start >= max_inputs or tokens + cost > budget):
            yield start, index
            start, tokens = index, 0
        tokens += cost
    if start < len(texts):
        yield start, len(texts)


class OpenAIEmbedder(Embedder):
    def __init__(
        self,
        model: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        max_retries: int = 5,
        timeout: float = 60.0,
    ) -> None:
        self.name = model or DEFAULT_MODEL
        self.api_key = api_key
        self.base_url = base_url
        self.max_retries = max_retries
        self.timeout = timeout
        self.error = "embedding provider not started"
        self._client: openai.AsyncOpenAI | None = None
        self._probing = asyncio.Lock()

    async def start(self) -> None:
        if not self.api_key and not self.base_url:
            self.error = "MEMORY_API_OPENAI_API_KEY (or OPENAI_API_KEY) is not set"
            logger.error("embedding provider unavailable: %s", self.error)
            return
        self._client = openai.AsyncOpenAI(
            api_key=self.api_key or KEYLESS,
            base_url=self.base_url,
            max_retries=self.max_retries,
            timeout=self.timeout,
        )
        known = KNOWN_DIMENSIONS.get(self.name)
        if known is not None and self.base_url is None:
            self.dimension, self.error = known, None
            return
        try:
            await self._probe()
        except EmbeddingUnavailable:
            logger.error("embedding provider unavailable: %s", self.error)

    async def _probe(self) -> None:
        """An unknown model (or a compatible server): ask for one vector to learn its size."""
        try:
            self.dimension = int((await self._request(["dimension probe"])).shape[1])
        except EmbeddingUnavailable as error:
            self.error = error.detail
            raise
        self.error = None

    async def ready(self) -> None:
        # A server that was down at start-up is probed again, once at a time, on later calls.
        if self._client is not None and self.dimension == 0:
            async with self._probing:
                if self.dimension == 0:
                    await self._probe()
        self._require_ready()

    async def embed_documents(
        self, texts: Sequence[str], on_progress: EmbedProgress | None = None
    ) -> np.ndarray:
        await self.ready()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = []
        for start, end in batches(texts):
            parts.append(await self._request(texts[start:end]))
            if on_progress is not None:
                on_progress(end - start)
        return np.concatenate(parts)

    async def _request(self, texts: Sequence[str]) -> np.ndarray:
        assert self._client is not None
        try:
            response = await self._client.embeddings.create(
                model=self.name, input=list(texts), encoding_format="float"
            )
        except openai.APIStatusError as error:
            raise EmbeddingUnavailable(
                f"embedding provider answered HTTP {error.status_code} for model {self.name}"
            ) from None
        except openai.APIConnectionError as error:
            raise EmbeddingUnavailable(
                f"embedding provider unreachable ({type(error).__name__})"
            ) from None
        items: list[Any] = sorted(response.data, key=lambda item: item.index)
        return normalise(np.asarray([item.embedding for item in items], dtype=np.float32))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
