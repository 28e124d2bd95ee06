"""The metadata stored beside each vector: what query results return and filters match."""

from __future__ import annotations

from typing import Any


def chunk_metadata(
    *, source: str, relative_path: str, extension: str, chunk_index: int, collection: str
) -> dict[str, Any]:
    return {
        "source": source,
        "relative_path": relative_path,
        "extension": extension,
        "chunk_index": chunk_index,
        "collection": collection,
    }
