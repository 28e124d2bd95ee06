"""Choose the provider from settings (``MEMORY_API_EMBEDDING_PROVIDER``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from memory_api.embeddings.base import Embedder
from memory_api.settings import Settings

if TYPE_CHECKING:
    from memory_api.embeddings.local import Precision


def create_embedder(settings: Settings, precision: Precision | None = None) -> Embedder:
    """``precision`` (local provider): the build to run when the setting leaves it open;
    without either, fp32."""
    if settings.embedding_provider == "openai":
        from memory_api.embeddings.openai import OpenAIEmbedder

        key = settings.openai_api_key
        return OpenAIEmbedder(
            settings.embedding_model,
            api_key=key.get_secret_value() if key else None,
            base_url=settings.openai_base_url,
            max_retries=settings.openai_max_retries,
            timeout=settings.openai_timeout,
        )
    from memory_api.embeddings.local import LocalEmbedder

    return LocalEmbedder(
        settings.embedding_model_dir,
        batch_size=settings.embedding_batch_size,
        indexing_threads=settings.embedding_indexing_threads,
        indexing_nice=settings.embedding_indexing_nice,
        precision=settings.embedding_precision or precision or "fp32",
        cache_dir=settings.embedding_cache_dir or settings.data_dir / "models",
    )
