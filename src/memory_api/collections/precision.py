"""Which build of the local model (fp32 or int8) a service runs when the setting is left unset.

The int8 build is the default for new installations: it embeds about twice as fast with vectors
that keep a cosine >= 0.98 to fp32 (BENCHMARKS.md). A collection records the model that built
it and another model gets 409 on it, so a database whose collections were all built with fp32
keeps fp32: upgrading the service never locks anyone out of their collections. Choosing
explicitly (``MEMORY_API_EMBEDDING_PRECISION``) skips the look-up.
"""

from __future__ import annotations

import asyncio
import logging

from memory_api.collections.repository import CollectionRepository
from memory_api.db.session import Database
from memory_api.embeddings.local import Precision, model_name

logger = logging.getLogger("memory_api.embeddings")

LOOKUP_TIMEOUT_SECONDS = 10.0


def precision_for(models: set[str]) -> Precision:
    """fp32 when collections exist and fp32 built them all but none with int8; else int8."""
    if model_name("fp32") in models and model_name("int8") not in models:
        return "fp32"
    return "int8"


async def default_precision(database: Database) -> Precision:
    """``precision_for`` the database's collections; int8 (logged) when it cannot be read."""
    try:
        async with asyncio.timeout(LOOKUP_TIMEOUT_SECONDS):
            async with database.reading() as session:
                models = await CollectionRepository(session).embedding_models()
    except Exception as error:  # a start-up must not fail on this look-up
        logger.warning(
            "cannot read the collections' embedding models (%s); using the int8 model. Set "
            "MEMORY_API_EMBEDDING_PRECISION=fp32 if the collections were built with fp32",
            error,
        )
        return "int8"
    return precision_for(models)
