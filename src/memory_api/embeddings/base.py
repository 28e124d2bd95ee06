"""The embedding provider interface."""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence

import numpy as np

from memory_api.errors import EmbeddingUnavailable

#: Called with the number of texts just embedded, as the work goes (possibly from a thread).
#: It may raise to stop the work (a cancelled job).
EmbedProgress = Callable[[int], None]


class Embedder(abc.ABC):
    """Turns texts into L2-normalised float32 vectors without blocking the event loop."""

    #: model identifier recorded on collections
    name: str
    #: vector size, known once ``start()`` succeeded
    dimension: int = 0
    #: None when usable; otherwise a reason a person can act on
    error: str | None = None

    @abc.abstractmethod
    async def start(self) -> None:
        """Load or probe the model. Never raises: a failure is kept in ``error``."""

    @abc.abstractmethod
    async def embed_documents(
        self, texts: Sequence[str], on_progress: EmbedProgress | None = None
    ) -> np.ndarray:
        """Shape (len(texts), dimension); ``on_progress`` hears of each part as it is done."""

    async def embed_query(self, text: str) -> np.ndarray:
        """Shape (dimension,)."""
        vectors = await self.embed_documents([text])
        first: np.ndarray = vectors[0]
        return first

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release clients and threads."""

    async def ready(self) -> None:
        """Raise EmbeddingUnavailable unless usable; a provider may retry its start-up here."""
        self._require_ready()

    def _require_ready(self) -> None:
        if self.error is not None:
            raise EmbeddingUnavailable(self.error)


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    result: np.ndarray = (vectors / np.clip(norms, 1e-12, None)).astype(np.float32, copy=False)
    return result
